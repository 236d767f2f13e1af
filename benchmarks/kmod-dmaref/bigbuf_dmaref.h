/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bigbuf_dmaref: benchmark-only reference for the cost of mapping a buffer
 * for a PCI function (see bigbuf_dmaref.c).  Userspace ABI of
 * /dev/bigbuf_dmaref.
 *
 * One pinned buffer and one PCI function per open file: DMAREF_IOC_SETUP
 * pins the pages of a user mapping (e.g. of a /dev/bigbuf buffer) and looks
 * the function up; DMAREF_IOC_OP then runs one timed step on them; the
 * last close (or DMAREF_IOC_RELEASE) unmaps, unpins and drops the function.
 */
#ifndef _UAPI_BIGBUF_DMAREF_H
#define _UAPI_BIGBUF_DMAREF_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DMAREF_ABI_VERSION	1

/* How the function's DMA is translated (as BIGBUF_DMA_*). */
#define DMAREF_MODE_DIRECT	1
#define DMAREF_MODE_IDENTITY	2
#define DMAREF_MODE_TRANSLATED	3

/**
 * struct dmaref_setup - DMAREF_IOC_SETUP argument
 * @addr:        in: user address of the buffer's first byte, page aligned
 * @size:        in: bytes, a multiple of the page size; the pages must be
 *               physically contiguous
 * @domain:      in: PCI domain of the function
 * @bus:         in: its bus
 * @slot:        in: its device number
 * @func:        in: its function number
 * @pad:         must be zero
 * @abi_version: in: DMAREF_ABI_VERSION
 * @mode:        out: DMAREF_MODE_*
 * @phys_addr:   out: physical address of the first byte
 * @dma_mask:    out: the function's DMA mask (used as is, never changed)
 *
 * Errors: EINVAL bad size, alignment, version or pad, pages not physically
 * contiguous; ENODEV no such function; EBUSY already set up; EFAULT the
 * range is not mapped.
 */
struct dmaref_setup {
	__u64 addr;
	__u64 size;
	__u32 domain;
	__u8 bus;
	__u8 slot;
	__u8 func;
	__u8 pad;
	__u32 abi_version;
	__u32 mode;
	__u64 phys_addr;
	__u64 dma_mask;
};

/*
 * Timed steps (dmaref_op.op).  Each one is timed in the kernel around the
 * step itself, nothing else:
 *   MAP_PAGE   dma_map_page_attrs() of the whole range (stays mapped)
 *   UNMAP_PAGE dma_unmap_page_attrs() of it
 *   MAP_SG     dma_map_sgtable() of a one-entry table of the range, built
 *              before the clock starts (stays mapped)
 *   UNMAP_SG   dma_unmap_sgtable() of it (the table is freed afterwards)
 *   SG_BUILD   sg_alloc_table() of one entry, sg_set_page(), sg_free_table()
 *   VERIFY     what bigbuf checks after mapping, on the current mapping:
 *              per page iommu_iova_to_phys() on the function's domain
 *              (translated) or phys_to_dma() (direct, identity);
 *              dmaref_op.ok says whether every page matched
 *   MASK       dma_set_mask() to the current mask and back, as bigbuf does
 *              around its mapping call
 * All steps use DMA_BIDIRECTIONAL and DMA_ATTR_SKIP_CPU_SYNC, as bigbuf.
 */
#define DMAREF_OP_MAP_PAGE	1
#define DMAREF_OP_UNMAP_PAGE	2
#define DMAREF_OP_MAP_SG	3
#define DMAREF_OP_UNMAP_SG	4
#define DMAREF_OP_SG_BUILD	5
#define DMAREF_OP_VERIFY	6
#define DMAREF_OP_MASK		7

/**
 * struct dmaref_op - DMAREF_IOC_OP argument
 * @op:        in: DMAREF_OP_*
 * @ok:        out: VERIFY: 1 if every page matched, else 0; others: 1
 * @dma_addr:  out: device address of the first byte after MAP_*
 * @kernel_ns: out: time of the step
 *
 * Errors: EINVAL unknown op, or MAP with a mapping present / UNMAP or
 * VERIFY without one; ENOENT not set up; ENOMEM the mapping failed.
 */
struct dmaref_op {
	__u32 op;
	__u32 ok;
	__u64 dma_addr;
	__u64 kernel_ns;
};

#define DMAREF_IOC_MAGIC	'D'
#define DMAREF_IOC_SETUP	_IOWR(DMAREF_IOC_MAGIC, 1, struct dmaref_setup)
#define DMAREF_IOC_OP		_IOWR(DMAREF_IOC_MAGIC, 2, struct dmaref_op)
#define DMAREF_IOC_RELEASE	_IO(DMAREF_IOC_MAGIC, 3)

#endif /* _UAPI_BIGBUF_DMAREF_H */
