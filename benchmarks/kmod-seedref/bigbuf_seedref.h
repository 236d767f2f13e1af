/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bigbuf_seedref: benchmark-only reference implementation of the 2009 seed
 * algorithm (see bigbuf_seedref.c). Userspace ABI of /dev/bigbuf_seedref.
 *
 * One buffer per open file: SEEDREF_IOC_ALLOC runs the algorithm and, on
 * success, keeps the buffer until SEEDREF_IOC_FREE or the last close.
 */
#ifndef _UAPI_BIGBUF_SEEDREF_H
#define _UAPI_BIGBUF_SEEDREF_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SEEDREF_ABI_VERSION	1

/*
 * Allocate with plain GFP_KERNEL | __GFP_NOWARN, as the original did (minus
 * the warnings). Without it, __GFP_NORETRY is added: kinder to the guest
 * than the original, which had neither flag.
 */
#define SEEDREF_F_ORIGINAL_GFP	(1U << 0)
/*
 * Zero the kept buffer before returning (included in elapsed_ns), as bigbuf
 * does for every buffer: makes the times comparable.
 */
#define SEEDREF_F_ZERO		(1U << 1)
#define SEEDREF_F_ALL		(SEEDREF_F_ORIGINAL_GFP | SEEDREF_F_ZERO)

struct seedref_alloc {
	/* in */
	__u64 size;		/* bytes requested, > 0 */
	__u32 flags;		/* SEEDREF_F_* */
	__u32 abi_version;	/* SEEDREF_ABI_VERSION */
	/* out, also filled when status != 0 */
	__s32 status;		/* 0, -ENOMEM (no cluster found) or -EINTR */
	__u32 block_order;	/* order of each grabbed block */
	__u64 phys_addr;	/* start of the kept buffer */
	__u64 kept_bytes;	/* size of the kept buffer (size rounded up to blocks) */
	__u64 peak_bytes;	/* most bytes held at one time during the search */
	__u64 elapsed_ns;	/* in-kernel time, search and freeing the rest */
	__u32 blocks_grabbed;	/* blocks allocated from the buddy allocator */
	__u32 max_clusters;	/* longest cluster list seen */
};

#define SEEDREF_IOC_MAGIC	'S'
#define SEEDREF_IOC_ALLOC	_IOWR(SEEDREF_IOC_MAGIC, 1, struct seedref_alloc)
#define SEEDREF_IOC_FREE	_IO(SEEDREF_IOC_MAGIC, 2)

#endif /* _UAPI_BIGBUF_SEEDREF_H */
