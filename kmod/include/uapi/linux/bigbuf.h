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
 * Device mappings (BIGBUF_IOC_MAP, BIGBUF_IOC_ALLOC_EXT with a device) make
 * a buffer reachable by one PCI function through the kernel's DMA API and
 * give the address that function must use (see "Device addresses" below).
 * A device mapping belongs to the buffer: it lasts until BIGBUF_IOC_UNMAP,
 * until the buffer itself goes (FREE, fd close, last munmap, process exit),
 * or until the function is removed or a kernel driver binds to it.
 *
 * Accounting: every buffer a process allocates is charged, for its whole
 * life, to the process's (real) user against RLIMIT_MEMLOCK, on the same
 * per-user count of locked memory as mlock() and io_uring's registered
 * buffers: a user holds at most RLIMIT_MEMLOCK (of the allocating process)
 * in bigbuf buffers and other locked memory together.  CAP_IPC_LOCK lifts
 * the limit; its buffers are counted all the same.  The charge stays with
 * the allocating user when the file or a mapping is passed to another
 * process or user, and is returned when the buffer's pages are (FREE,
 * close, last munmap, exit).  Over the limit ALLOC and ALLOC_EXT fail with
 * EDQUOT ("quota exceeded"; no other error of this ABI means it, unlike
 * ENOMEM, which io_uring and mlock() return for the same condition) and
 * nothing changes, not even the failures counter.  Raise the limit with
 * ulimit -l, systemd's LimitMEMLOCK= or limits.conf "memlock".  Root reads
 * what each user holds in /sys/class/misc/bigbuf/stats/users_bytes_held.
 *
 * Compatibility: later additions to ABI version 1 are announced by bits in
 * bigbuf_info.features; a module without a bit answers the new ioctls with
 * ENOTTY and leaves the new output fields zero.
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

/* All flag bits BIGBUF_IOC_ALLOC accepts; others give EINVAL. */
#define BIGBUF_ALLOC_FLAGS_VALID	BIGBUF_STRATEGY_MASK

/*
 * Flags of BIGBUF_IOC_ALLOC_EXT, on top of the strategy byte:
 *   DEVICE      map the new buffer for bigbuf_alloc_ext.dev in the same
 *               call (as BIGBUF_IOC_MAP); max_addr is then the device's
 *               address limit, not a physical one, and the buffer is
 *               placed on the device's NUMA node unless node says other
 *   SCATTER     device-contiguous: the pages need not be physically
 *               adjacent, the device sees them as one range of its own
 *               address space.  Needs DEVICE and a translating IOMMU
 *               (BIGBUF_DMA_TRANSLATED); BUDDY or AUTO strategy only
 *   NODE_STRICT only pages of bigbuf_alloc_ext.node, no fallback
 */
#define BIGBUF_ALLOC_DEVICE		(1U << 8)
#define BIGBUF_ALLOC_SCATTER		(1U << 9)
#define BIGBUF_ALLOC_NODE_STRICT	(1U << 10)
#define BIGBUF_ALLOC_EXT_FLAGS_VALID	(BIGBUF_STRATEGY_MASK |		\
					 BIGBUF_ALLOC_DEVICE |		\
					 BIGBUF_ALLOC_SCATTER |		\
					 BIGBUF_ALLOC_NODE_STRICT)

/* bigbuf_alloc_ext.node: no preference (the device's node, if any). */
#define BIGBUF_NODE_ANY		(-1)

/* How a buffer's pages lie (bigbuf_alloc_ext.kind, bigbuf_query.kind). */
#define BIGBUF_KIND_PHYS_CONTIG	1	/* physically contiguous */
#define BIGBUF_KIND_DEV_CONTIG	2	/* contiguous for its devices only */

/*
 * Device addresses.  What a device mapping's dev_addr is depends on how
 * the kernel translates the function's DMA (bigbuf_map.mode):
 *   DIRECT      no IOMMU: the bus address of the physical memory
 *   IDENTITY    IOMMU in passthrough (identity domain, iommu=pt): the same
 *   TRANSLATED  IOMMU DMA domain (intel_iommu=on, AMD-Vi by default): an
 *               I/O virtual address that only this function can use; the
 *               IOMMU blocks its DMA to anything not mapped for it
 * Every mapping is verified page by page (the IOMMU's page table, or the
 * bus address of each page) and refused if the DMA layer would bounce it
 * through swiotlb: the device always reaches the buffer's own pages.
 */
#define BIGBUF_DMA_DIRECT	1
#define BIGBUF_DMA_IDENTITY	2
#define BIGBUF_DMA_TRANSLATED	3

/* bigbuf_map.flags: the device may only read the buffer (DMA_TO_DEVICE). */
#define BIGBUF_MAP_DEVICE_READ_ONLY	(1U << 0)
#define BIGBUF_MAP_FLAGS_VALID		BIGBUF_MAP_DEVICE_READ_ONLY

/* bigbuf_info.features */
#define BIGBUF_FEATURE_DEVICE_MAP	(1ULL << 0)	/* MAP, UNMAP, ALLOC_EXT */
#define BIGBUF_FEATURE_NUMA		(1ULL << 1)	/* node placement */
#define BIGBUF_FEATURE_MEMMAP		(1ULL << 2)	/* BIGBUF_IOC_MEMMAP */

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
 * or the request (size, alignment, max_addr) could not be satisfied, or
 * all buffers together would hold more than the module's max_held_pct of
 * RAM;
 * EOPNOTSUPP strategy not available in this build; EINTR a signal arrived
 * while grabbing memory; ENOSPC too many buffers on this file; EBADF the
 * file is not open for writing (allocate on an O_RDWR file); EDQUOT the
 * buffer would take the caller's user over RLIMIT_MEMLOCK (see
 * "Accounting" above; checked after the arguments, before any memory is
 * taken).
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
 * @kind:        out: BIGBUF_KIND_* (0 from modules without
 *               BIGBUF_FEATURE_DEVICE_MAP); in: must be zero
 * @node:        out: NUMA node of the pages, -1 if they lie on several
 *               (meaningful with BIGBUF_FEATURE_NUMA); in: must be zero
 * @dev_maps:    out: number of device mappings of the buffer; in: zero
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
	__u32 kind;
	__s32 node;
	__u32 dev_maps;
	__u64 reserved;
};

/**
 * struct bigbuf_pci_dev - a PCI function, as in "0000:00:04.0"
 * @domain: PCI domain (segment)
 * @bus:    bus number
 * @slot:   device number, 0..31
 * @func:   function number, 0..7
 * @pad:    must be zero
 */
struct bigbuf_pci_dev {
	__u32 domain;
	__u8 bus;
	__u8 slot;
	__u8 func;
	__u8 pad;
};

/**
 * struct bigbuf_map - BIGBUF_IOC_MAP argument: map a buffer for a device
 * @id:       in: buffer id on this open file, or 0 to name the buffer by
 *            @addr instead
 * @addr:     in (with id 0): any address inside a mapping of the buffer
 *            in the calling process (an mmap of /dev/bigbuf); lets a
 *            process that freed the id but kept the mapping name it
 * @dev:      in: the PCI function
 * @dma_mask: in: highest address the function can generate, 2^n - 1 with
 *            12 <= n <= 64 (e.g. 0x0fffffff for a 28-bit DMA engine);
 *            0 means its current DMA mask (32 bits for a PCI function
 *            without a driver)
 * @flags:    in: BIGBUF_MAP_*
 * @mode:     out: BIGBUF_DMA_* (what @dev_addr is)
 * @dev_addr: out: the address the function uses for the buffer's first
 *            byte; the buffer is contiguous at [dev_addr, dev_addr + size)
 *            for it, and the whole range lies at or below dma_mask
 * @reserved: must be zero
 *
 * The function must have no kernel driver bound (a userspace driver owns
 * it, e.g. through sysfs resource files).  Its DMA mask is set to @dma_mask
 * only for the duration of the call.  Needs CAP_SYS_RAWIO.
 *
 * Errors: EINVAL bad flags, mask or PCI address field, reserved or pad not
 * zero; ENOENT no such buffer (on this file or at @addr in this process);
 * ENODEV no such PCI function; EBUSY a kernel driver is bound to it, or its
 * IOMMU domain is owned by someone else (e.g. VFIO); EEXIST the buffer is
 * already mapped for this function; EXDEV the buffer is device-contiguous
 * and the function is not behind a translating IOMMU; ERANGE the function
 * cannot reach the buffer without bounce buffering (physical address above
 * dma_mask, or swiotlb in use); ENOMEM no room below dma_mask in the
 * function's I/O address space, or no memory for the mapping; ENOSPC too
 * many mappings of this buffer; EOPNOTSUPP the function's DMA is not
 * cache-coherent; EPERM no CAP_SYS_RAWIO.
 */
struct bigbuf_map {
	__u64 id;
	__u64 addr;
	struct bigbuf_pci_dev dev;
	__u64 dma_mask;
	__u32 flags;
	__u32 mode;
	__u64 dev_addr;
	__u64 reserved[2];
};

/**
 * struct bigbuf_unmap - BIGBUF_IOC_UNMAP argument
 * @id:       in: as for BIGBUF_IOC_MAP
 * @addr:     in: as for BIGBUF_IOC_MAP
 * @dev:      in: the PCI function the buffer was mapped for
 * @reserved: must be zero
 *
 * The function must not use the mapping's addresses after this (behind a
 * translating IOMMU its DMA there faults from now on).
 * Errors: EINVAL reserved or pad not zero, bad PCI address field; ENOENT
 * no such buffer, or it is not mapped for this function (includes double
 * unmap); EPERM no CAP_SYS_RAWIO.
 */
struct bigbuf_unmap {
	__u64 id;
	__u64 addr;
	struct bigbuf_pci_dev dev;
	__u64 reserved[2];
};

/**
 * struct bigbuf_alloc_ext - BIGBUF_IOC_ALLOC_EXT argument: ALLOC with a
 * NUMA node and, optionally, the mapping for a device in the same call
 * @size, @align, @strategy, @id, @phys_addr, @mmap_offset, @actual_size:
 *               as in struct bigbuf_alloc; @phys_addr is 0 for a
 *               device-contiguous buffer (it has no single one); with
 *               BIGBUF_ALLOC_DEVICE @align is that of @dev_addr (behind a
 *               translating IOMMU not that of @phys_addr)
 * @max_addr:    in: as in struct bigbuf_alloc; with BIGBUF_ALLOC_DEVICE
 *               the device's address limit (bigbuf_map.dma_mask rules)
 * @flags:       in: strategy byte | BIGBUF_ALLOC_*
 * @node:        in: NUMA node to allocate on, or BIGBUF_NODE_ANY (the
 *               device's node with BIGBUF_ALLOC_DEVICE, else anywhere);
 *               pages come from other nodes when that one has no room,
 *               unless BIGBUF_ALLOC_NODE_STRICT; out: as bigbuf_query.node
 * @dev:         in with BIGBUF_ALLOC_DEVICE: the PCI function
 * @map_flags:   in with BIGBUF_ALLOC_DEVICE: BIGBUF_MAP_*
 * @kind:        out: BIGBUF_KIND_*
 * @mode:        out with BIGBUF_ALLOC_DEVICE: BIGBUF_DMA_*
 * @dev_addr:    out with BIGBUF_ALLOC_DEVICE: as bigbuf_map.dev_addr
 * @reserved:    must be zero
 *
 * Errors: those of BIGBUF_IOC_ALLOC and, with BIGBUF_ALLOC_DEVICE, those
 * of BIGBUF_IOC_MAP (nothing is allocated then); EINVAL also for a node
 * that is not online, SCATTER without DEVICE or with a strategy other than
 * AUTO or BUDDY; EXDEV SCATTER for a function that is not behind a
 * translating IOMMU.
 */
struct bigbuf_alloc_ext {
	__u64 size;
	__u64 align;
	__u64 max_addr;
	__u32 flags;
	__u32 strategy;
	__u64 id;
	__u64 phys_addr;
	__u64 mmap_offset;
	__u64 actual_size;
	__s32 node;
	__u32 map_flags;
	struct bigbuf_pci_dev dev;
	__u32 kind;
	__u32 mode;
	__u64 dev_addr;
	__u64 reserved[4];
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
 * @features:       BIGBUF_FEATURE_* bits this module provides
 * @nr_nodes:       number of possible NUMA node ids (nodes are 0..n-1)
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
	__u64 features;
	__u32 nr_nodes;
	__u32 pad;
	__u64 reserved;
};

/**
 * struct bigbuf_stats - BIGBUF_IOC_STATS result (output only), module-wide
 * @bytes_held:     bytes currently held by all buffers (mapped or not)
 * @buffers:        number of buffers currently held
 * @allocations:    successful allocations since load
 * @failures:       failed allocations since load (any errno but EDQUOT)
 * @frees:          buffers returned to the kernel since load
 * @pages_grabbed:  pages taken from the buddy allocator by GRAB
 * @pages_returned: of those, pages given back as not part of a buffer
 * @peak_bytes_held: largest bytes_held seen
 * @by_strategy:    successful allocations per strategy (index = BIGBUF_
 *                  STRATEGY_*, index 0 unused)
 * @dev_maps:       device mappings currently held (per device: sysfs
 *                  stats/device_mappings)
 * @dev_mapped_bytes: bytes of those mappings
 * @dev_maps_total: device mappings made since load
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
	__u64 dev_maps;
	__u64 dev_mapped_bytes;
	__u64 dev_maps_total;
	__u64 reserved;
};

/*
 * Contiguity map (BIGBUF_IOC_MEMMAP): what occupies each pageblock of
 * physical memory, as far as building a contiguous buffer goes.  One byte
 * per block; a block holding pages of several kinds reports the first of
 * BUFFER, UNMOVABLE, MOVABLE, FREE that it holds (HOLE only when it holds
 * no online page at all, UNMOVABLE when only part of it is online).
 *   HOLE       no online memory (a gap in the physical map, firmware,
 *              offline memory)
 *   FREE       every page is free in the buddy allocator
 *   MOVABLE    pages in use, all of them movable (LRU or movable_ops
 *              pages): alloc_contig_range() could migrate them away
 *   UNMOVABLE  at least one page in use that cannot be migrated (slab,
 *              page tables, pinned or reserved pages)
 *   BUFFER     at least one page of a bigbuf buffer
 * The map is a snapshot taken without stopping the allocator: by the time
 * userspace reads it, pages may have changed state.
 */
#define BIGBUF_BLOCK_HOLE	0
#define BIGBUF_BLOCK_FREE	1
#define BIGBUF_BLOCK_MOVABLE	2
#define BIGBUF_BLOCK_UNMOVABLE	3
#define BIGBUF_BLOCK_BUFFER	4

/**
 * struct bigbuf_memmap - BIGBUF_IOC_MEMMAP argument: the contiguity map
 * @start_pfn:   in: first page frame to describe; rounded down to a
 *               pageblock; out: as rounded
 * @end_pfn:     out: one past the highest page frame of any zone (the map
 *               of all memory ends there; a caller pages through it by
 *               calling again from start_pfn + nr_blocks * block_pages)
 * @states:      in: user pointer to nr_blocks bytes, filled with
 *               BIGBUF_BLOCK_* for the blocks from start_pfn on
 * @nr_blocks:   in: room in @states, 1..BIGBUF_MEMMAP_MAX_BLOCKS; out:
 *               blocks written (fewer at end_pfn; 0 from end_pfn on)
 * @block_pages: out: pages per block (the kernel's pageblock_nr_pages:
 *               on x86-64 with 4 KiB pages 2 MiB worth with hugetlbfs,
 *               else the largest buddy block)
 * @flags:       in: zero
 * @pad:         must be zero
 * @reserved:    must be zero
 *
 * Needs CAP_SYS_ADMIN: the map tells where kernel memory lies.
 * Errors: EPERM without CAP_SYS_ADMIN; EINVAL nr_blocks 0 or above the
 * maximum, non-zero flags/pad/reserved; EFAULT @states not writable;
 * EINTR a fatal signal arrived during the scan (nothing is written then).
 */
struct bigbuf_memmap {
	__u64 start_pfn;
	__u64 end_pfn;
	__u64 states;
	__u32 nr_blocks;
	__u32 block_pages;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/* Most blocks per BIGBUF_IOC_MEMMAP call (1 TiB in 2 MiB blocks). */
#define BIGBUF_MEMMAP_MAX_BLOCKS	(1U << 19)

#define BIGBUF_IOC_ALLOC	_IOWR(BIGBUF_IOC_MAGIC, 0x01, struct bigbuf_alloc)
#define BIGBUF_IOC_FREE		_IOW(BIGBUF_IOC_MAGIC, 0x02, struct bigbuf_free)
#define BIGBUF_IOC_INFO		_IOR(BIGBUF_IOC_MAGIC, 0x03, struct bigbuf_info)
#define BIGBUF_IOC_STATS	_IOR(BIGBUF_IOC_MAGIC, 0x04, struct bigbuf_stats)
#define BIGBUF_IOC_QUERY	_IOWR(BIGBUF_IOC_MAGIC, 0x05, struct bigbuf_query)
#define BIGBUF_IOC_MAP		_IOWR(BIGBUF_IOC_MAGIC, 0x06, struct bigbuf_map)
#define BIGBUF_IOC_UNMAP	_IOW(BIGBUF_IOC_MAGIC, 0x07, struct bigbuf_unmap)
#define BIGBUF_IOC_ALLOC_EXT	_IOWR(BIGBUF_IOC_MAGIC, 0x08, struct bigbuf_alloc_ext)
#define BIGBUF_IOC_MEMMAP	_IOWR(BIGBUF_IOC_MAGIC, 0x09, struct bigbuf_memmap)

#endif /* _UAPI_LINUX_BIGBUF_H */
