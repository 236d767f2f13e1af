/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bigbuf internals shared by the device (bigbuf_main.c), the allocation
 * strategies (bigbuf_alloc.c), the device mappings (bigbuf_devmap.c) and
 * the contiguity map (bigbuf_memmap.c).
 */
#ifndef BIGBUF_INTERNAL_H
#define BIGBUF_INTERNAL_H

#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/slab.h>
#include <linux/types.h>

#include <linux/bigbuf.h>

/*
 * Largest usable buddy order, inclusive.  MAX_ORDER was exclusive until
 * 6.4, inclusive from 6.4, and is called MAX_PAGE_ORDER since 6.8.  In all
 * of these MAX_ORDER_NR_PAGES is the size of the largest block, so derive
 * the order from it instead of from kernel version numbers.
 */
#ifdef MAX_PAGE_ORDER
#define BB_MAX_ORDER	MAX_PAGE_ORDER
#else
#define BB_MAX_ORDER	ilog2(MAX_ORDER_NR_PAGES)
#endif

/* alloc_contig_range() is exported when the kernel has CONFIG_CONTIG_ALLOC. */
#if IS_ENABLED(CONFIG_CONTIG_ALLOC)
#define BB_HAVE_CONTIG	1
#else
#define BB_HAVE_CONTIG	0
#endif

/* kzalloc_obj() (7.x) sizes an allocation from its object; it is a macro. */
#ifndef kzalloc_obj
#define kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif

/* Largest accepted alignment (bytes), see bigbuf_info.max_align. */
#define BB_MAX_ALIGN	BIT_ULL(30)

/**
 * struct bb_request - a validated allocation request, in pages
 * @nr_pages:    pages wanted, > 0
 * @align:       alignment in pages, a power of two
 * @limit_pfn:   every page of the result must have a pfn below this
 * @strategy:    BIGBUF_STRATEGY_*, AUTO to try all in order
 * @nid:         node to take the pages from first, NUMA_NO_NODE for any
 * @node_strict: no pages from other nodes than @nid
 */
struct bb_request {
	unsigned long nr_pages;
	unsigned long align;
	unsigned long limit_pfn;
	unsigned int strategy;
	int nid;
	bool node_strict;
};

/**
 * struct bb_buffer - one buffer
 * @ref:        owners: the file's xarray and every mapping file
 * @nr_pages:   number of order-0 pages
 * @pfn:        first page frame (BIGBUF_KIND_PHYS_CONTIG)
 * @pages:      every page, in order (BIGBUF_KIND_DEV_CONTIG), else NULL
 * @strategy:   BIGBUF_STRATEGY_* that produced it
 * @kind:       BIGBUF_KIND_*
 * @nid:        node of all its pages, NUMA_NO_NODE if they lie on several
 * @devmaps:    its device mappings (bigbuf_devmap.c, under its lock)
 * @nr_devmaps: length of @devmaps (same lock)
 * @handed_out: its id was published: counted as an allocation, and as a
 *              free on release
 * @memmap_node: on the list of every buffer (bigbuf_memmap.c, under its
 *              lock) from creation to release
 * @user:       the user its pages are charged to (bigbuf_acct.c), with a
 *              reference, until release; NULL if not charged (the
 *              preallocation)
 *
 * Everything but @ref, @handed_out (set before publishing), the device
 * mappings and @memmap_node is fixed at creation.
 */
struct bb_buffer {
	struct kref ref;
	unsigned long nr_pages;
	unsigned long pfn;
	struct page **pages;
	unsigned int strategy;
	unsigned int kind;
	int nid;
	struct list_head devmaps;
	unsigned int nr_devmaps;
	bool handed_out;
	struct list_head memmap_node;
	struct user_struct *user;
};

/* Non-LRU pages that migrate through movable_ops; Kbuild probes the name. */
#ifdef BB_HAVE_PAGE_HAS_MOVABLE_OPS
#define bb_page_movable_ops(page)	page_has_movable_ops(page)
#else
#define bb_page_movable_ops(page)	__PageMovable(page)
#endif

/*
 * Whether a page obviously cannot be migrated: in use, yet neither on an
 * LRU list nor a movable non-LRU page (page tables, kernel stacks, vmalloc
 * and other kernel allocations).  A cut-down has_unmovable_pages(), which
 * is not available to modules.  Used by the CONTIG scan and the map.
 */
static inline bool bb_page_unmovable(struct page *page)
{
	struct page *head = compound_head(page);

	return page_count(head) && !PageLRU(head) && !bb_page_movable_ops(head);
}

static inline struct page *bb_buffer_page(const struct bb_buffer *buf,
					  unsigned long idx)
{
	return buf->pages ? buf->pages[idx] : pfn_to_page(buf->pfn + idx);
}

/*
 * Module-wide statistics, all protected by bb_stats.lock (a spinlock: the
 * updates are a few additions and may happen in the ->release of a mapping
 * file, so nothing here may sleep).
 */
struct bb_stats {
	spinlock_t lock;	/* protects s */
	struct bigbuf_stats s;
};

extern struct bb_stats bb_stats;

unsigned int bb_strategies(void);
unsigned long bb_end_pfn(void);
unsigned long bb_grab_cap_pages(void);
unsigned long bb_contig_kernel_ranges(void);
int bb_alloc_range(const struct bb_request *req, unsigned long *pfn,
		   unsigned int *strategy);
void bb_free_range(unsigned long pfn, unsigned long nr_pages);
int bb_alloc_scatter(const struct bb_request *req, struct page **pages);
void bb_free_scatter(struct page **pages, unsigned long nr_pages);

struct pci_dev;
int bb_devmap_check(const struct bigbuf_pci_dev *d, u64 mask, u32 flags);
struct pci_dev *bb_devmap_get_pci(const struct bigbuf_pci_dev *d, u64 mask,
				  unsigned int *mode);
int bb_devmap_add(struct bb_buffer *buf, struct pci_dev *pdev, u64 mask,
		  u32 flags, unsigned int *mode, u64 *dev_addr);
int bb_devmap_del(struct bb_buffer *buf, const struct bigbuf_pci_dev *d);
void bb_devmap_release(struct bb_buffer *buf);
unsigned int bb_devmap_count(struct bb_buffer *buf);
ssize_t bb_devmap_show(char *page);
int bb_devmap_init(void);
void bb_devmap_exit(void);

struct user_struct;
struct user_struct *bb_acct_charge(unsigned long nr_pages);
void bb_acct_uncharge(struct user_struct *user, unsigned long nr_pages);
ssize_t bb_acct_show(char *page);

void bb_memmap_add(struct bb_buffer *buf);
void bb_memmap_del(struct bb_buffer *buf);
long bb_ioctl_memmap(void __user *argp);

#endif /* BIGBUF_INTERNAL_H */
