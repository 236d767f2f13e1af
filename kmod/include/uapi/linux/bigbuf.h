/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bigbuf - large physically contiguous, zeroed buffers for device DMA.
 *
 * Userspace ABI of /dev/bigbuf.  This header is the single source of truth:
 * the C tests include it and the Java (JNA) side mirrors every constant and
 * struct layout below.  All structs use fixed-width fields and explicit
 * padding so that their layout is identical on every ABI; every struct
 * field named "reserved" or "pad" must be zero on input, otherwise the ioctl
 * fails with EINVAL (this keeps the fields available for future use).
 *
 * Model: each open file description of /dev/bigbuf owns the buffers it
 * allocated.  Closing it (or the owning process dying) frees every buffer
 * that is not mapped; a mapped buffer is freed on its last munmap.
 *
 * Errors common to all ioctls:
 *   ENOTTY  unknown ioctl command
 *   EFAULT  argument pointer not readable/writable
 *   EINVAL  non-zero reserved/pad field, unknown flag or strategy
 */
#ifndef _UAPI_LINUX_BIGBUF_H
#define _UAPI_LINUX_BIGBUF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on any incompatible change of the structs or semantics below. */
#define BIGBUF_ABI_VERSION	1

/* ioctl magic: 0xB9 is unassigned in ioctl-number.rst. */
#define BIGBUF_IOC_MAGIC	0xB9

/*
 * Allocation strategies.  The low byte of bigbuf_alloc.flags selects one;
 * BIGBUF_STRATEGY_AUTO tries, in this order and each bounded:
 *   BUDDY  - one buddy allocator block (only if size and alignment fit the
 *            largest buddy order; see bigbuf_info.max_order);
 *   CONTIG - scan the zones below max_addr for a range of movable/free
 *            pages and migrate its users away (alloc_contig_range());
 *   GRAB   - take free max-order blocks from the buddy allocator until
 *            physically adjacent ones form a large enough run, then give
 *            back every page not used (bounded by the grab cap).
 * bigbuf_alloc.strategy reports which one succeeded.  Forcing a strategy
 * that the running module does not provide fails with EOPNOTSUPP; see
 * bigbuf_info.strategies.
 */
#define BIGBUF_STRATEGY_AUTO	0
#define BIGBUF_STRATEGY_BUDDY	1
#define BIGBUF_STRATEGY_CONTIG	2
#define BIGBUF_STRATEGY_GRAB	3
#define BIGBUF_STRATEGY_COUNT	4	/* number of values incl. AUTO */
#define BIGBUF_STRATEGY_MASK	0xffU

/* All flag bits the kernel currently accepts; others give EINVAL. */
#define BIGBUF_ALLOC_FLAGS_VALID	BIGBUF_STRATEGY_MASK

/*
 * mmap offset cookies: buffer N is mapped at offset N << BIGBUF_MMAP_SHIFT.
 * A mapping may cover any page-aligned sub-range of the buffer, i.e.
 * offset = mmap_offset + k * page_size with the mapping ending inside the
 * buffer.  Userspace should use mmap_offset as returned, not compute it.
 */
#define BIGBUF_MMAP_SHIFT	40

/**
 * struct bigbuf_alloc - BIGBUF_IOC_ALLOC argument
 * @size:        in: bytes wanted, > 0; rounded up to whole pages
 * @align:       in: alignment of the physical address in bytes; 0 means
 *               page size, otherwise a power of two <= 2^30
 * @max_addr:    in: highest physical address the buffer's LAST byte may
 *               occupy (inclusive), e.g. 0x0fffffff for a 28-bit DMA
 *               engine; 0 means no limit
 * @flags:       in: strategy (BIGBUF_STRATEGY_*) in the low byte, no other
 *               bits defined yet
 * @strategy:    out: strategy that produced the buffer (never AUTO)
 * @id:          out: buffer id, unique within the open file, never 0
 * @phys_addr:   out: physical (bus on x86 without IOMMU) address
 * @mmap_offset: out: offset to pass to mmap() to map the buffer
 * @actual_size: out: size in bytes actually held (size rounded up to pages)
 * @reserved:    must be zero
 *
 * Errors: EINVAL size 0, bad alignment, non-zero reserved, unknown flags or
 * strategy; ENOMEM size larger than RAM (incl. sizes that would overflow),
 * or the request (size, alignment, max_addr) could not be satisfied;
 * EOPNOTSUPP strategy not available in this build; EINTR a signal arrived
 * while grabbing memory; ENOSPC too many buffers on this file; EBADF the
 * file is not open for writing (allocate on an O_RDWR file).
 */
struct bigbuf_alloc {
	__u64 size;
	__u64 align;
	__u64 max_addr;
	__u32 flags;
	__u32 strategy;
	__u64 id;
	__u64 phys_addr;
	__u64 mmap_offset;
	__u64 actual_size;
	__u64 reserved[2];
};

/**
 * struct bigbuf_free - BIGBUF_IOC_FREE argument
 * @id:       in: id returned by BIGBUF_IOC_ALLOC on this open file
 * @reserved: must be zero
 *
 * The id is invalid right after the call.  Pages of a buffer that is still
 * mapped are returned on its last munmap.
 * Errors: ENOENT no such buffer on this file (includes double free).
 */
struct bigbuf_free {
	__u64 id;
	__u64 reserved;
};

/**
 * struct bigbuf_query - BIGBUF_IOC_QUERY argument
 * @id:          in: buffer id on this open file
 * @phys_addr:   out: as for BIGBUF_IOC_ALLOC
 * @mmap_offset: out: as for BIGBUF_IOC_ALLOC
 * @size:        out: bytes held
 * @strategy:    out: strategy that produced the buffer
 * @pad:         must be zero
 * @reserved:    must be zero
 *
 * Errors: ENOENT no such buffer on this file.
 */
struct bigbuf_query {
	__u64 id;
	__u64 phys_addr;
	__u64 mmap_offset;
	__u64 size;
	__u32 strategy;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct bigbuf_info - BIGBUF_IOC_INFO result (output only)
 * @abi_version:    BIGBUF_ABI_VERSION of the running module
 * @page_size:      kernel page size in bytes
 * @max_order:      largest buddy order usable (inclusive): the BUDDY
 *                  strategy serves up to page_size << max_order bytes
 * @strategies:     bit mask, bit N set if strategy N can be forced
 * @max_alloc_size: largest size accepted before ENOMEM (total RAM)
 * @grab_cap_bytes: current bound on memory the GRAB strategy may hold
 *                  at once (depends on free memory unless fixed)
 * @total_ram:      total RAM in bytes
 * @free_ram:       free RAM in bytes at the time of the call
 * @max_align:      largest accepted alignment in bytes
 * @reserved:       zero
 */
struct bigbuf_info {
	__u32 abi_version;
	__u32 page_size;
	__u32 max_order;
	__u32 strategies;
	__u64 max_alloc_size;
	__u64 grab_cap_bytes;
	__u64 total_ram;
	__u64 free_ram;
	__u64 max_align;
	__u64 reserved[3];
};

/**
 * struct bigbuf_stats - BIGBUF_IOC_STATS result (output only), module-wide
 * @bytes_held:     bytes currently held by all buffers (mapped or not)
 * @buffers:        number of buffers currently held
 * @allocations:    successful allocations since load
 * @failures:       failed allocations since load (any errno)
 * @frees:          buffers returned to the kernel since load
 * @pages_grabbed:  pages taken from the buddy allocator by GRAB
 * @pages_returned: of those, pages given back as not part of a buffer
 * @peak_bytes_held: largest bytes_held seen
 * @by_strategy:    successful allocations per strategy (index = BIGBUF_
 *                  STRATEGY_*, index 0 unused)
 * @reserved:       zero
 */
struct bigbuf_stats {
	__u64 bytes_held;
	__u64 buffers;
	__u64 allocations;
	__u64 failures;
	__u64 frees;
	__u64 pages_grabbed;
	__u64 pages_returned;
	__u64 peak_bytes_held;
	__u64 by_strategy[BIGBUF_STRATEGY_COUNT];
	__u64 reserved[4];
};

#define BIGBUF_IOC_ALLOC	_IOWR(BIGBUF_IOC_MAGIC, 0x01, struct bigbuf_alloc)
#define BIGBUF_IOC_FREE		_IOW(BIGBUF_IOC_MAGIC, 0x02, struct bigbuf_free)
#define BIGBUF_IOC_INFO		_IOR(BIGBUF_IOC_MAGIC, 0x03, struct bigbuf_info)
#define BIGBUF_IOC_STATS	_IOR(BIGBUF_IOC_MAGIC, 0x04, struct bigbuf_stats)
#define BIGBUF_IOC_QUERY	_IOWR(BIGBUF_IOC_MAGIC, 0x05, struct bigbuf_query)

#endif /* _UAPI_LINUX_BIGBUF_H */
