/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Coalescing of naturally aligned, equally sized page blocks into
 * physically contiguous runs.  Pure bookkeeping, no memory allocation
 * besides its own bitmap: this file and coalesce.c build both in the
 * kernel and in userspace (for unit tests under AddressSanitizer).
 */
#ifndef BIGBUF_COALESCE_H
#define BIGBUF_COALESCE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "coalesce_user.h"
#endif

/**
 * struct bb_coalesce - blocks held so far, sorted by pfn
 * @map:         one bit per block of the window, set if the block is held
 * @base_pfn:    first pfn of the window, aligned to the block size
 * @nr_blocks:   number of blocks (bits) in the window
 * @block_order: log2 of pages per block
 * @need:        pages wanted
 * @align:       alignment of the wanted range in pages (power of two)
 * @held:        number of blocks currently held
 *
 * The bitmap is the pfn-sorted structure: inserting is O(1) and finding
 * the run around a block only looks at that run, which is shorter than
 * need + align pages as long as no earlier insertion succeeded.
 */
struct bb_coalesce {
	unsigned long *map;
	unsigned long base_pfn;
	unsigned long nr_blocks;
	unsigned int block_order;
	unsigned long need;
	unsigned long align;
	unsigned long held;
};

int bb_coalesce_init(struct bb_coalesce *c, unsigned long start_pfn,
		     unsigned long end_pfn, unsigned int block_order,
		     unsigned long need, unsigned long align);
void bb_coalesce_destroy(struct bb_coalesce *c);
bool bb_coalesce_covers(const struct bb_coalesce *c, unsigned long pfn);
int bb_coalesce_add(struct bb_coalesce *c, unsigned long pfn,
		    unsigned long *found);
bool bb_coalesce_next(const struct bb_coalesce *c, unsigned long *cursor,
		      unsigned long *pfn);

#endif /* BIGBUF_COALESCE_H */
