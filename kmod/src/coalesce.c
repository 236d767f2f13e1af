// SPDX-License-Identifier: GPL-2.0
/*
 * Coalescing of max-order buddy blocks into contiguous runs (the GRAB
 * strategy's bookkeeping).  See coalesce.h.  Builds in the kernel and, via
 * coalesce_user.h, in userspace; keep it free of anything else.
 */
#ifdef __KERNEL__
#include <linux/align.h>
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/minmax.h>
#endif

#include "coalesce.h"

/**
 * bb_coalesce_init - set up an empty window of blocks
 * @c:           state to initialise
 * @start_pfn:   lowest pfn a block may start at (rounded down to a block)
 * @end_pfn:     pfn after the highest page a usable block may contain
 * @block_order: log2 of the number of pages per block
 * @need:        pages wanted, > 0
 * @align:       alignment of the wanted range in pages, a power of two
 *
 * Blocks outside [start_pfn, end_pfn) are not usable and must not be
 * added; the caller keeps them elsewhere (bb_coalesce_covers() tells).
 *
 * Return: 0, -EINVAL on bad arguments or -ENOMEM.
 */
int bb_coalesce_init(struct bb_coalesce *c, unsigned long start_pfn,
		     unsigned long end_pfn, unsigned int block_order,
		     unsigned long need, unsigned long align)
{
	unsigned long block_pages;

	if (block_order >= BITS_PER_LONG - 1 || !need || !align ||
	    (align & (align - 1)))
		return -EINVAL;
	block_pages = 1UL << block_order;
	c->base_pfn = ALIGN_DOWN(start_pfn, block_pages);
	/* Only whole blocks below end_pfn are usable. */
	end_pfn = ALIGN_DOWN(end_pfn, block_pages);
	if (end_pfn <= c->base_pfn)
		return -EINVAL;
	c->nr_blocks = (end_pfn - c->base_pfn) >> block_order;
	c->block_order = block_order;
	c->need = need;
	c->align = align;
	c->held = 0;
	c->map = bitmap_zalloc(c->nr_blocks, GFP_KERNEL);
	return c->map ? 0 : -ENOMEM;
}

/**
 * bb_coalesce_destroy - free the bitmap (not the blocks it records)
 * @c: state
 */
void bb_coalesce_destroy(struct bb_coalesce *c)
{
	bitmap_free(c->map);
	c->map = NULL;
}

/**
 * bb_coalesce_covers - whether a block may be added
 * @c:   state
 * @pfn: first pfn of the block
 *
 * Return: true if @pfn is block aligned and the block lies in the window.
 */
bool bb_coalesce_covers(const struct bb_coalesce *c, unsigned long pfn)
{
	if (pfn < c->base_pfn || pfn & ((1UL << c->block_order) - 1))
		return false;
	return ((pfn - c->base_pfn) >> c->block_order) < c->nr_blocks;
}

/**
 * bb_coalesce_add - record a held block and look for a large enough run
 * @c:     state
 * @pfn:   first pfn of the block; bb_coalesce_covers() must be true
 * @found: set to the first pfn of a suitable range when 1 is returned
 *
 * Return: 1 if the run containing the new block holds @c->need pages at
 * @c->align alignment (the range [*found, *found + need) lies within held
 * blocks), 0 if not yet, -EINVAL if @pfn is not addable or already held.
 */
int bb_coalesce_add(struct bb_coalesce *c, unsigned long pfn,
		    unsigned long *found)
{
	unsigned long bit, first, last, run_start, run_end, start;

	if (!bb_coalesce_covers(c, pfn))
		return -EINVAL;
	bit = (pfn - c->base_pfn) >> c->block_order;
	if (test_bit(bit, c->map))
		return -EINVAL;
	__set_bit(bit, c->map);
	c->held++;

	/*
	 * Extent of the run around the new block.  Walking left bit by bit
	 * is bounded: a run of need + align pages always contains an aligned
	 * fit, and such a run would have been reported when it formed.
	 */
	first = bit;
	while (first > 0 && test_bit(first - 1, c->map))
		first--;
	last = find_next_zero_bit(c->map, c->nr_blocks, bit + 1);

	run_start = c->base_pfn + (first << c->block_order);
	run_end = c->base_pfn + (last << c->block_order);
	start = ALIGN(run_start, c->align);
	/* ALIGN() may wrap for absurd alignments; start < run_start then. */
	if (start < run_start || start >= run_end ||
	    run_end - start < c->need)
		return 0;
	*found = start;
	return 1;
}

/**
 * bb_coalesce_next - iterate over held blocks in pfn order
 * @c:      state
 * @cursor: iteration state, start with 0
 * @pfn:    set to the first pfn of the next held block
 *
 * Return: false when there are no more blocks.
 */
bool bb_coalesce_next(const struct bb_coalesce *c, unsigned long *cursor,
		      unsigned long *pfn)
{
	unsigned long bit = find_next_bit(c->map, c->nr_blocks, *cursor);

	if (bit >= c->nr_blocks)
		return false;
	*cursor = bit + 1;
	*pfn = c->base_pfn + (bit << c->block_order);
	return true;
}
