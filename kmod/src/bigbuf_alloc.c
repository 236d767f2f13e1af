// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf allocation strategies.
 *
 * Every buffer handed out is a range of order-0 pages, each with a page
 * count of one, whatever strategy produced it: high-order buddy blocks are
 * split with split_page() and alloc_contig_range() already returns order-0
 * pages.  So there is a single free path (bb_free_range()) that returns
 * exactly the pages held, and surplus pages are returned to the buddy
 * allocator at allocation time instead of being remembered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>

#include <asm/dma.h>

#include "bigbuf_internal.h"
#include "coalesce.h"

/* Buddy strategy: blocks beyond the DMA limit kept aside before giving up. */
#define BB_BUDDY_TRIES		4

/* Pages processed between cond_resched() calls when zeroing/freeing. */
#define BB_RESCHED_PAGES	512

/* grab_cap_pct is a percentage. */
#define BB_PERCENT		100

#define BB_DEFAULT_GRAB_PCT	50
#define BB_DEFAULT_CONTIG_TRIES	16

static unsigned int bb_grab_cap_pct = BB_DEFAULT_GRAB_PCT;
module_param_named(grab_cap_pct, bb_grab_cap_pct, uint, 0644);
MODULE_PARM_DESC(grab_cap_pct,
		 "GRAB strategy may hold at most this % of free RAM at once (default 50)");

static unsigned long bb_grab_cap_mb;
module_param_named(grab_cap_mb, bb_grab_cap_mb, ulong, 0644);
MODULE_PARM_DESC(grab_cap_mb,
		 "if non-zero, fixed GRAB cap in MiB instead of grab_cap_pct");

static unsigned int bb_contig_tries = BB_DEFAULT_CONTIG_TRIES;
module_param_named(contig_tries, bb_contig_tries, uint, 0644);
MODULE_PARM_DESC(contig_tries,
		 "CONTIG strategy: max alloc_contig_range() attempts per pass, two passes (default 16)");

/*
 * Serialises GRAB allocations: each may hold up to the grab cap of free
 * memory for a while, two at once would only starve each other and make
 * the cap meaningless.  Taken interruptibly, never nested.
 */
static DEFINE_MUTEX(bb_grab_lock);

unsigned int bb_strategies(void)
{
	unsigned int s = BIT(BIGBUF_STRATEGY_BUDDY) | BIT(BIGBUF_STRATEGY_GRAB);

	if (BB_HAVE_CONTIG)
		s |= BIT(BIGBUF_STRATEGY_CONTIG);
	return s;
}

/* Highest pfn + 1 of any online node: the end of the pfn space to scan. */
unsigned long bb_end_pfn(void)
{
	unsigned long end = 0;
	int nid;

	for_each_online_node(nid)
		end = max(end, pgdat_end_pfn(NODE_DATA(nid)));
	return end;
}

unsigned long bb_grab_cap_pages(void)
{
	struct sysinfo si;

	if (bb_grab_cap_mb)
		return bb_grab_cap_mb << (20 - PAGE_SHIFT);
	si_meminfo(&si);
	return si.freeram / BB_PERCENT * min(bb_grab_cap_pct, BB_PERCENT);
}

/*
 * Zone modifier for a DMA limit: the smallest zone set that still has a
 * chance, chosen so that a zone entirely below the limit is used when one
 * exists.  The result is verified by the callers anyway.
 */
static gfp_t bb_zone_gfp(unsigned long limit_pfn)
{
	if (limit_pfn >= bb_end_pfn())
		return 0;
#ifdef CONFIG_ZONE_DMA32
	if (limit_pfn >= MAX_DMA_PFN)
		return GFP_DMA32;
#endif
#ifdef CONFIG_ZONE_DMA
	return GFP_DMA;
#else
	return 0;
#endif
}

/* Pages of the requested node only, if the request insists on it. */
static gfp_t bb_node_gfp(const struct bb_request *req)
{
	return req->node_strict ? __GFP_THISNODE : 0;
}

static void bb_stats_grab(unsigned long grabbed, unsigned long returned)
{
	spin_lock(&bb_stats.lock);
	bb_stats.s.pages_grabbed += grabbed;
	bb_stats.s.pages_returned += returned;
	spin_unlock(&bb_stats.lock);
}

/**
 * bb_free_range - return pages held by a buffer
 * @pfn:      first pfn
 * @nr_pages: number of order-0 pages
 *
 * Pages still mapped somewhere (e.g. pinned by get_user_pages()) keep their
 * extra references and go back when those are dropped.
 */
void bb_free_range(unsigned long pfn, unsigned long nr_pages)
{
	unsigned long i;

	for (i = 0; i < nr_pages; i++) {
		__free_page(pfn_to_page(pfn + i));
		if (!((i + 1) % BB_RESCHED_PAGES))
			cond_resched();
	}
}

static void bb_zero_range(unsigned long pfn, unsigned long nr_pages)
{
	unsigned long i;

	for (i = 0; i < nr_pages; i++) {
		clear_highpage(pfn_to_page(pfn + i));
		if (!((i + 1) % BB_RESCHED_PAGES))
			cond_resched();
	}
}

/*
 * Keep [keep, keep + nr) of a freshly allocated, non-compound block of
 * 2^order pages at @block and give every other page back.
 */
static void bb_trim_block(unsigned long block, unsigned int order,
			  unsigned long keep, unsigned long nr)
{
	unsigned long pfn, end = block + (1UL << order);

	split_page(pfn_to_page(block), order);
	for (pfn = block; pfn < end; pfn++)
		if (pfn < keep || pfn >= keep + nr)
			__free_page(pfn_to_page(pfn));
}

static bool bb_fits(unsigned long pfn, const struct bb_request *req)
{
	return pfn <= req->limit_pfn && req->limit_pfn - pfn >= req->nr_pages;
}

static void bb_free_block_list(struct list_head *list, unsigned int order)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		__free_pages(page, order);
	}
}

/*
 * Strategy BUDDY: one block of the buddy allocator, surplus trimmed.
 * @first_of_auto: BUDDY is only AUTO's fast path: take a costly-order block
 * only if one is free right now, without reclaim or waking kswapd. Reclaim
 * for a high-order block swaps out or drops other pages to make room; the
 * measured effect was thousands of pages swapped out per try on a guest
 * whose memory was fragmented, where CONTIG migrates them instead and never
 * swaps (benchmarks/README.md).
 */
static int bb_alloc_buddy(const struct bb_request *req, bool first_of_auto,
			  unsigned long *out)
{
	unsigned int order = max(order_base_2(req->nr_pages), ilog2(req->align));
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | bb_zone_gfp(req->limit_pfn) |
		    bb_node_gfp(req);
	LIST_HEAD(rejected);
	struct page *page;
	unsigned long pfn;
	int tries;

	if (order > BB_MAX_ORDER)
		return -ENOMEM;
	/* Costly orders: fail fast, the other strategies do better. */
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		gfp |= __GFP_NORETRY;
		if (first_of_auto)
			gfp &= ~__GFP_RECLAIM;
	}

	for (tries = 0; tries < BB_BUDDY_TRIES; tries++) {
		page = alloc_pages_node(req->nid, gfp, order);
		if (!page)
			break;
		pfn = page_to_pfn(page);
		if (bb_fits(pfn, req)) {
			bb_trim_block(pfn, order, pfn, req->nr_pages);
			bb_free_block_list(&rejected, order);
			*out = pfn;
			return 0;
		}
		/* Above the DMA limit: hold it so the next try differs. */
		list_add(&page->lru, &rejected);
	}
	bb_free_block_list(&rejected, order);
	return -ENOMEM;
}

#if BB_HAVE_CONTIG
/* What alloc_contig_range() is told: an ordinary (non-CMA) movable range. */
#ifdef BB_HAVE_ACR_FLAGS
#define BB_CONTIG_RANGE_MODE	ACR_FLAGS_NONE
#else
#define BB_CONTIG_RANGE_MODE	MIGRATE_MOVABLE
#endif

/*
 * Serialises our alloc_contig_range() calls, as CMA's alloc_mutex does its
 * own: a call that cannot isolate its range because another one holds part
 * of it undoes the isolation of every pageblock in its range, the other
 * call's included (undo_isolate_page_range() on its error path, 6.1 to
 * 7.3).  The other call then migrates into, or hands out, pages that free
 * page allocation can take meanwhile; DEBUG_VM catches it in
 * isolate_single_pageblock().  Held across one call only, taken
 * interruptibly, never nested.
 */
static DEFINE_MUTEX(bb_contig_lock);

/*
 * The checks of the kernel's pfn_range_valid_contig(): a range worth
 * handing to alloc_contig_range() is online, in one zone and has no
 * reserved or hugetlb pages; slab pages are skipped too.  With @strict,
 * also pages that look unmovable right now (bb_page_unmovable()): that
 * finds clean ranges quickly, but also rejects pages that are merely
 * between states (e.g. new pages still in a per-CPU LRU batch), hence the
 * second, relaxed pass.  Racy by nature (the pages are not ours), which is
 * fine: it only avoids hopeless attempts, alloc_contig_range() decides.
 *
 * The checks cover every pageblock the range touches, not only the range:
 * alloc_contig_range() isolates whole pageblocks, and newer kernels refuse
 * a pageblock with an unmovable page anywhere in it (with 4 MiB pageblocks
 * a small range next to the kernel image would otherwise fail every try).
 * @in_use is set to the number of pages in use inside the range (to be
 * migrated away).
 *
 * Return: 0 if the range looks usable, else the first pfn that is not.
 */
static unsigned long bb_contig_bad_pfn(struct zone *zone, unsigned long start,
				       unsigned long nr_pages, bool strict,
				       unsigned long *in_use)
{
	unsigned long end = start + nr_pages;
	unsigned long first = max(ALIGN_DOWN(start, pageblock_nr_pages),
				  zone->zone_start_pfn);
	unsigned long last = min(ALIGN(end, pageblock_nr_pages),
				 zone_end_pfn(zone));
	unsigned long pfn;
	struct page *page;

	*in_use = 0;
	for (pfn = first; pfn < last; pfn++) {
		page = pfn_to_online_page(pfn);
		if (!page || page_zone(page) != zone || PageReserved(page) ||
		    PageHuge(page) || PageSlab(page) ||
		    (strict && bb_page_unmovable(page)))
			return pfn;
		if (pfn >= start && pfn < end && page_count(page))
			(*in_use)++;
	}
	return 0;
}

/*
 * Pages the kernel can hand out without swapping: free pages plus the file
 * LRU (clean page cache is dropped, dirty written back), less every zone's
 * high watermark.  Deliberately not si_mem_available(): that also counts
 * half of the reclaimable slab, which a migration cannot count on.
 */
static long bb_pages_for_migration(void)
{
	long pages = global_zone_page_state(NR_FREE_PAGES) +
		     global_node_page_state(NR_ACTIVE_FILE) +
		     global_node_page_state(NR_INACTIVE_FILE);
	struct zone *zone;
	int nid, zi;

	for_each_online_node(nid) {
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			zone = &NODE_DATA(nid)->node_zones[zi];
			if (populated_zone(zone))
				pages -= high_wmark_pages(zone);
		}
	}
	return pages;
}

/*
 * Whether the @in_use pages of a candidate range of @nr_pages can move
 * out: they need that many pages outside the range that the kernel can
 * hand out.  Without them the migration fails after reclaiming what it
 * can, and 6.1 warns about each failed migration target allocation (it
 * ignores __GFP_NOWARN there), so such a range is not tried.
 */
static bool bb_contig_room_to_migrate(unsigned long nr_pages,
				      unsigned long in_use)
{
	/* The free pages inside the range are no targets for its pages. */
	return bb_pages_for_migration() - (long)(nr_pages - in_use) >=
	       (long)in_use;
}

/*
 * Scan one zone as alloc_contig_pages() does, but below the DMA limit, at
 * the requested alignment, and skipping past pages that cannot move.
 * @tries counts alloc_contig_range() attempts left (each may migrate up to
 * nr_pages pages, so they are bounded).
 */
static int bb_contig_zone(struct zone *zone, const struct bb_request *req,
			  bool strict, unsigned int *tries, unsigned long *out)
{
	unsigned long end = min(zone_end_pfn(zone), req->limit_pfn);
	unsigned long pfn = ALIGN(zone->zone_start_pfn, req->align);
	unsigned long nr = req->nr_pages, bad, step, in_use;
	int ret;

	/* After a failed attempt move on by half a range, at least a pageblock. */
	step = ALIGN(max(nr / 2, pageblock_nr_pages), req->align);

	while (pfn >= zone->zone_start_pfn && pfn < end && end - pfn >= nr) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
		bad = bb_contig_bad_pfn(zone, pfn, nr, strict, &in_use);
		if (bad) {
			/* No range touching its pageblock can be had. */
			pfn = ALIGN(ALIGN(bad + 1, pageblock_nr_pages),
				    req->align);
			continue;
		}
		if (!bb_contig_room_to_migrate(nr, in_use)) {
			pr_debug("contig: [%#lx, %#lx): no room to move %lu pages\n",
				 pfn, pfn + nr, in_use);
			pfn += step;
			continue;
		}
		if (!*tries)
			return -ENOMEM;
		(*tries)--;
		if (mutex_lock_interruptible(&bb_contig_lock))
			return -EINTR;
		ret = alloc_contig_range(pfn, pfn + nr, BB_CONTIG_RANGE_MODE,
					 GFP_KERNEL | __GFP_NOWARN);
		mutex_unlock(&bb_contig_lock);
		if (!ret) {
			*out = pfn;
			return 0;
		}
		if (ret == -EINTR)
			return ret;
		pr_debug("contig: [%#lx, %#lx) busy (%d)\n", pfn, pfn + nr, ret);
		pfn += step;
	}
	return -ENOMEM;
}

/*
 * Scan the zones of node @only, or with NUMA_NO_NODE of every node but the
 * request's own, higher zones first like the zonelist order, to spare
 * DMA32/DMA memory.
 */
static int bb_contig_nodes(const struct bb_request *req, bool strict, int only,
			   unsigned int *tries, unsigned long *out)
{
	struct zone *zone;
	int zi, nid, ret;

	for (zi = MAX_NR_ZONES - 1; zi >= 0; zi--) {
#ifdef CONFIG_ZONE_DEVICE
		/*
		 * Device memory is never online, skip its zone outright (the
		 * enumerator only exists with CONFIG_ZONE_DEVICE).
		 */
		if (zi == ZONE_DEVICE)
			continue;
#endif
		for_each_online_node(nid) {
			if (only != NUMA_NO_NODE ? nid != only :
						   nid == req->nid)
				continue;
			zone = &NODE_DATA(nid)->node_zones[zi];
			if (!populated_zone(zone) ||
			    zone->zone_start_pfn >= req->limit_pfn)
				continue;
			ret = bb_contig_zone(zone, req, strict, tries, out);
			if (ret != -ENOMEM || !*tries)
				return ret;
		}
	}
	return -ENOMEM;
}

/*
 * One pass over the zones: of the requested node first, then (unless the
 * request insists on its node) of all others.  At most contig_tries
 * attempts per pass.
 */
static int bb_contig_pass(const struct bb_request *req, bool strict,
			  unsigned long *out)
{
	unsigned int tries = bb_contig_tries;
	int ret;

	if (req->nid != NUMA_NO_NODE) {
		ret = bb_contig_nodes(req, strict, req->nid, &tries, out);
		if (ret != -ENOMEM || !tries || req->node_strict)
			return ret;
	}
	return bb_contig_nodes(req, strict, NUMA_NO_NODE, &tries, out);
}

/*
 * Where CONTIG looks for a range: the module's own zone scan (below any DMA
 * limit, at any alignment, skipping unmovable pages) and, where the kernel
 * exports it (7.x), the kernel's own search alloc_contig_pages(), which
 * only knows zones, not limits within them, and is only safe for sizes of
 * a power of two of at least a pageblock (see bb_kernel_search_fits()).
 * "auto": the module's scan, then the kernel's search for what it can
 * express; "kernel": the kernel's search only, requests it cannot express
 * fail; "module": the module's scan only.
 */
enum bb_contig_search {
	BB_CONTIG_SEARCH_AUTO,
	BB_CONTIG_SEARCH_KERNEL,
	BB_CONTIG_SEARCH_MODULE,
};

static const char * const bb_contig_search_names[] = {
	[BB_CONTIG_SEARCH_AUTO] = "auto",
	[BB_CONTIG_SEARCH_KERNEL] = "kernel",
	[BB_CONTIG_SEARCH_MODULE] = "module",
};

#ifdef BB_HAVE_ALLOC_CONTIG_PAGES
#define BB_KERNEL_SEARCH	true
#else
#define BB_KERNEL_SEARCH	false
#endif

static int bb_contig_search = BB_KERNEL_SEARCH ? BB_CONTIG_SEARCH_AUTO :
						 BB_CONTIG_SEARCH_MODULE;

/* Ranges the kernel's search found (sysfs stats/contig_kernel_ranges). */
static atomic_long_t bb_contig_kernel_found = ATOMIC_LONG_INIT(0);

unsigned long bb_contig_kernel_ranges(void)
{
	return atomic_long_read(&bb_contig_kernel_found);
}

static int bb_contig_search_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(bb_contig_search_names, val);

	if (i < 0)
		return -EINVAL;
	/* Without the export only the module's own scan exists. */
	if (!BB_KERNEL_SEARCH &&
	    i != BB_CONTIG_SEARCH_MODULE)
		return -EINVAL;
	WRITE_ONCE(bb_contig_search, i);
	return 0;
}

static int bb_contig_search_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n",
			  bb_contig_search_names[READ_ONCE(bb_contig_search)]);
}

static const struct kernel_param_ops bb_contig_search_ops = {
	.set = bb_contig_search_set,
	.get = bb_contig_search_get,
};
module_param_cb(contig_search, &bb_contig_search_ops, NULL, 0644);
MODULE_PARM_DESC(contig_search,
		 "CONTIG strategy: auto (the module's scan, then the kernel's alloc_contig_pages() where it applies), kernel, module; only module without the kernel export");

#ifdef BB_HAVE_ALLOC_CONTIG_PAGES
/*
 * Whether alloc_contig_pages() can only return what the request allows.
 * It starts at ALIGN(zone start, nr_pages) and steps by nr_pages: only for
 * a power of two of at least a pageblock is every candidate pageblock
 * aligned.  Other sizes can start in a pageblock its zone does not wholly
 * span (ZONE_DMA begins at pfn 1 on x86), which the isolation code does not
 * expect: a DEBUG_VM kernel oopses there (found by bb_load on the debug
 * kernel).  It aligns to that size, and it searches whole zones, so every
 * zone it may use must end at the limit.
 */
static bool bb_kernel_search_fits(const struct bb_request *req, gfp_t zone_gfp)
{
	enum zone_type highest = gfp_zone(GFP_KERNEL | zone_gfp);
	struct zone *zone;
	int nid, zi;

	if (!is_power_of_2(req->nr_pages) ||
	    req->nr_pages < pageblock_nr_pages || req->align > req->nr_pages)
		return false;
	for_each_online_node(nid) {
		for (zi = 0; zi <= highest; zi++) {
			zone = &NODE_DATA(nid)->node_zones[zi];
			if (populated_zone(zone) &&
			    zone_end_pfn(zone) > req->limit_pfn)
				return false;
		}
	}
	return true;
}

/*
 * The kernel's own search over the request's node's zonelist (only that
 * node if the request insists on it), under bb_contig_lock as every
 * alloc_contig_range() of ours.  It tries every candidate range it finds
 * valid, so contig_tries does not bound it.  -ENOMEM also when the request
 * cannot be expressed to it.
 */
static int bb_contig_kernel(const struct bb_request *req, unsigned long *out)
{
	gfp_t zone_gfp = bb_zone_gfp(req->limit_pfn);
	int nid = req->nid == NUMA_NO_NODE ? numa_mem_id() : req->nid;
	nodemask_t only = NODE_MASK_NONE;
	struct page *page;

	if (!bb_kernel_search_fits(req, zone_gfp))
		return -ENOMEM;
	if (req->node_strict)
		node_set(nid, only);
	if (mutex_lock_interruptible(&bb_contig_lock))
		return -EINTR;
	page = alloc_contig_pages(req->nr_pages,
				  GFP_KERNEL | __GFP_NOWARN | zone_gfp, nid,
				  req->node_strict ? &only : NULL);
	mutex_unlock(&bb_contig_lock);
	if (!page)
		return fatal_signal_pending(current) ? -EINTR : -ENOMEM;
	atomic_long_inc(&bb_contig_kernel_found);
	*out = page_to_pfn(page);
	return 0;
}
#else
static int bb_contig_kernel(const struct bb_request *req, unsigned long *out)
{
	return -ENOMEM;
}
#endif /* BB_HAVE_ALLOC_CONTIG_PAGES */

/* Strategy CONTIG: migrate movable pages out of a suitable range. */
static int bb_alloc_contig(const struct bb_request *req, unsigned long *out)
{
	int search = READ_ONCE(bb_contig_search);
	int ret;

	if (search == BB_CONTIG_SEARCH_KERNEL)
		return bb_contig_kernel(req, out);
	ret = bb_contig_pass(req, true, out);
	if (ret == -ENOMEM)
		ret = bb_contig_pass(req, false, out);
	if (ret == -ENOMEM && search == BB_CONTIG_SEARCH_AUTO)
		ret = bb_contig_kernel(req, out);
	return ret;
}
#else
static int bb_alloc_contig(const struct bb_request *req, unsigned long *out)
{
	return -EOPNOTSUPP;
}

unsigned long bb_contig_kernel_ranges(void)
{
	return 0;
}
#endif /* BB_HAVE_CONTIG */

/*
 * Give back every grabbed block; the ones overlapping the chosen range
 * [keep, keep + nr) are split and only their surplus pages returned.
 */
static unsigned long bb_grab_release(struct bb_coalesce *c,
				     struct list_head *unusable,
				     unsigned long keep, unsigned long nr)
{
	unsigned long cursor = 0, block, block_pages = 1UL << c->block_order;
	unsigned long returned = 0;
	struct page *page, *next;

	while (bb_coalesce_next(c, &cursor, &block)) {
		if (nr && block < keep + nr && keep < block + block_pages) {
			bb_trim_block(block, c->block_order, keep, nr);
			returned += block_pages -
				(min(block + block_pages, keep + nr) -
				 max(block, keep));
		} else {
			__free_pages(pfn_to_page(block), c->block_order);
			returned += block_pages;
		}
	}
	list_for_each_entry_safe(page, next, unusable, lru) {
		list_del(&page->lru);
		__free_pages(page, c->block_order);
		returned += block_pages;
	}
	return returned;
}

/*
 * Strategy GRAB (the 2009 seed's idea, bounded): take max-order blocks
 * from the buddy allocator until physically adjacent ones form a run that
 * holds the request, then give back everything not used.  Bounded by the
 * grab cap, does no retrying reclaim (__GFP_NORETRY) and stops on signals.
 */
static int bb_alloc_grab(const struct bb_request *req, unsigned long *out)
{
	unsigned int order = BB_MAX_ORDER;
	unsigned long block_pages = 1UL << order;
	gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN |
		    bb_zone_gfp(req->limit_pfn) | bb_node_gfp(req);
	unsigned long cap = bb_grab_cap_pages();
	unsigned long grabbed = 0, returned, found = 0, pfn;
	struct bb_coalesce c;
	LIST_HEAD(unusable);
	struct page *page;
	int ret;

	if (req->nr_pages > cap) {
		pr_debug("grab: %lu pages exceed the grab cap of %lu\n",
			 req->nr_pages, cap);
		return -ENOMEM;
	}
	ret = bb_coalesce_init(&c, 0, min(req->limit_pfn, bb_end_pfn()),
			       order, req->nr_pages, req->align);
	if (ret)
		return ret == -EINVAL ? -ENOMEM : ret;
	if (mutex_lock_interruptible(&bb_grab_lock)) {
		bb_coalesce_destroy(&c);
		return -EINTR;
	}

	ret = -ENOMEM;
	while (grabbed + block_pages <= cap) {
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		page = alloc_pages_node(req->nid, gfp, order);
		if (!page)
			break;
		grabbed += block_pages;
		pfn = page_to_pfn(page);
		if (!bb_coalesce_covers(&c, pfn)) {
			list_add(&page->lru, &unusable);
			continue;
		}
		if (bb_coalesce_add(&c, pfn, &found) > 0) {
			ret = 0;
			break;
		}
		cond_resched();
	}

	returned = bb_grab_release(&c, &unusable, found,
				   ret ? 0 : req->nr_pages);
	mutex_unlock(&bb_grab_lock);
	pr_debug("grab: %lu pages grabbed, %lu returned, %s\n", grabbed,
		 returned, ret ? "failed" : "found");
	bb_stats_grab(grabbed, returned);
	bb_coalesce_destroy(&c);
	if (!ret)
		*out = found;
	return ret;
}

static int bb_alloc_one(unsigned int strategy, const struct bb_request *req,
			unsigned long *pfn)
{
	switch (strategy) {
	case BIGBUF_STRATEGY_BUDDY:
		return bb_alloc_buddy(req,
				      req->strategy == BIGBUF_STRATEGY_AUTO,
				      pfn);
	case BIGBUF_STRATEGY_CONTIG:
		return bb_alloc_contig(req, pfn);
	case BIGBUF_STRATEGY_GRAB:
		return bb_alloc_grab(req, pfn);
	}
	return -EINVAL;
}

/**
 * bb_alloc_range - allocate, verify and zero a contiguous range
 * @req:      validated request
 * @pfn:      set to the first pfn on success
 * @strategy: set to the strategy that succeeded
 *
 * Context: process context, may sleep for long (migration, zeroing).
 * Return: 0, -ENOMEM, -EINTR or -EOPNOTSUPP.
 */
int bb_alloc_range(const struct bb_request *req, unsigned long *pfn,
		   unsigned int *strategy)
{
	static const unsigned int order[] = {
		BIGBUF_STRATEGY_BUDDY, BIGBUF_STRATEGY_CONTIG,
		BIGBUF_STRATEGY_GRAB,
	};
	unsigned int i, s;
	int ret = -ENOMEM;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		s = req->strategy == BIGBUF_STRATEGY_AUTO ? order[i] :
							    req->strategy;
		if (!(bb_strategies() & BIT(s))) {
			ret = -EOPNOTSUPP;
		} else {
			ret = bb_alloc_one(s, req, pfn);
			if (!ret)
				break;
		}
		if (req->strategy != BIGBUF_STRATEGY_AUTO || ret == -EINTR)
			return ret;
	}
	if (ret)
		return ret == -EOPNOTSUPP ? -ENOMEM : ret;

	/* Every strategy is meant to honour the limits; do not trust it. */
	if (WARN_ON_ONCE(!bb_fits(*pfn, req) ||
			 !IS_ALIGNED(*pfn, req->align) ||
			 (req->node_strict &&
			  pfn_to_nid(*pfn) != req->nid))) {
		bb_free_range(*pfn, req->nr_pages);
		return -ENOMEM;
	}
	bb_zero_range(*pfn, req->nr_pages);
	*strategy = s;
	return 0;
}

/**
 * bb_alloc_scatter - allocate and zero pages that need not be adjacent
 * @req:   validated request; its limit and alignment do not apply (the
 *         buffer is only contiguous behind a translating IOMMU)
 * @pages: array of req->nr_pages entries, filled in order
 *
 * Takes the largest free buddy blocks first, smaller ones when those run
 * out, down to single pages, all without reclaim: large blocks keep the
 * IOMMU's page tables small, and what is free costs nobody anything.  Only
 * when not even a single page is free does it reclaim, one light pass per
 * page (__GFP_NORETRY: page cache first, never the OOM killer): reclaiming
 * for blocks instead swaps out far more than the buffer needs.
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOMEM or -EINTR; nothing is held on failure.
 */
int bb_alloc_scatter(const struct bb_request *req, struct page **pages)
{
	unsigned long done = 0, i, n;
	unsigned int order = BB_MAX_ORDER;
	bool reclaim = false;
	struct page *page;
	gfp_t gfp;
	int ret;

	while (done < req->nr_pages) {
		if (signal_pending(current)) {
			ret = -EINTR;
			goto fail;
		}
		order = min_t(unsigned int, order, ilog2(req->nr_pages - done));
		gfp = GFP_KERNEL | __GFP_NOWARN | bb_node_gfp(req);
		gfp = reclaim ? gfp | __GFP_NORETRY : gfp & ~__GFP_RECLAIM;
		page = alloc_pages_node(req->nid, gfp, order);
		if (!page) {
			if (order) {
				order--;
			} else if (!reclaim) {
				reclaim = true;
			} else {
				ret = -ENOMEM;
				goto fail;
			}
			continue;
		}
		n = 1UL << order;
		if (order)
			split_page(page, order);
		for (i = 0; i < n; i++)
			pages[done + i] = page + i;
		done += n;
		cond_resched();
	}
	for (i = 0; i < done; i++) {
		clear_highpage(pages[i]);
		if (!((i + 1) % BB_RESCHED_PAGES))
			cond_resched();
	}
	return 0;

fail:
	bb_free_scatter(pages, done);
	return ret;
}

/**
 * bb_free_scatter - return the pages of bb_alloc_scatter()
 * @pages:    the pages
 * @nr_pages: how many
 */
void bb_free_scatter(struct page **pages, unsigned long nr_pages)
{
	unsigned long i;

	for (i = 0; i < nr_pages; i++) {
		__free_page(pages[i]);
		if (!((i + 1) % BB_RESCHED_PAGES))
			cond_resched();
	}
}
