// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf contiguity map (BIGBUF_IOC_MEMMAP): one byte per pageblock saying
 * what occupies it, as far as building a contiguous buffer goes (see the
 * UAPI header for the states and their precedence).
 *
 * The map must know which pages are bigbuf's own.  The open files'
 * xarrays cannot tell: a buffer outlives its entry there while it is
 * mapped, and the size= preallocation has no file at all.  So every
 * buffer is on one list, from its creation to its release, under
 * bb_memmap_lock (a mutex: buffers are created and released in process
 * context, and a map walks the pages of scattered buffers under it).  A
 * map marks the blocks of every listed buffer in one pass under the lock,
 * O(buffers + pages of scattered buffers) whatever their number, then
 * walks the pages of the remaining blocks without it.
 *
 * The walk is lockless, like the kernel's own scanners (compaction,
 * page isolation): free buddy blocks are skipped by their order, which
 * may be stale and is range checked; a page that changes state under the
 * walk is reported in one of its states.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/memory_hotplug.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/page-flags.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "bigbuf_internal.h"

/* No BIGBUF_BLOCK_* value: a block whose pages are still to be walked. */
#define BB_BLOCK_UNKNOWN	0xff

/*
 * The order of a free buddy block, read without the zone lock, as
 * buddy_order_unsafe() in mm/ does (which modules cannot include): the
 * order lives in page->private while PageBuddy is set.
 */
#define bb_buddy_order_unsafe(page)	READ_ONCE(page_private(page))

/* Protects bb_memmap_buffers; never held while taking another lock. */
static DEFINE_MUTEX(bb_memmap_lock);
static LIST_HEAD(bb_memmap_buffers);

/**
 * bb_memmap_add - list a new buffer, before it is handed out
 * @buf: a buffer whose pages are set
 *
 * Context: process context, may sleep.
 */
void bb_memmap_add(struct bb_buffer *buf)
{
	mutex_lock(&bb_memmap_lock);
	list_add_tail(&buf->memmap_node, &bb_memmap_buffers);
	mutex_unlock(&bb_memmap_lock);
}

/**
 * bb_memmap_del - unlist a buffer, before its pages are freed
 * @buf: a buffer listed by bb_memmap_add()
 *
 * Context: process context, may sleep.
 */
void bb_memmap_del(struct bb_buffer *buf)
{
	mutex_lock(&bb_memmap_lock);
	list_del(&buf->memmap_node);
	mutex_unlock(&bb_memmap_lock);
}

/**
 * struct bb_memmap_window - the blocks one call describes
 * @first:  pfn of the first block, pageblock aligned
 * @nr:     number of blocks
 * @states: @nr bytes, BIGBUF_BLOCK_* or BB_BLOCK_UNKNOWN
 */
struct bb_memmap_window {
	unsigned long first;
	unsigned long nr;
	u8 *states;
};

/* Mark every block of the window that [pfn, pfn + nr_pages) touches. */
static void bb_memmap_mark(const struct bb_memmap_window *w, unsigned long pfn,
			   unsigned long nr_pages)
{
	unsigned long end = min(pfn + nr_pages,
				w->first + w->nr * pageblock_nr_pages);

	for (pfn = max(pfn, w->first); pfn < end;
	     pfn = ALIGN(pfn + 1, pageblock_nr_pages))
		w->states[(pfn - w->first) / pageblock_nr_pages] =
			BIGBUF_BLOCK_BUFFER;
}

/* A scattered buffer is marked run by run of adjacent pages. */
static void bb_memmap_mark_buffer(const struct bb_memmap_window *w,
				  const struct bb_buffer *buf)
{
	unsigned long i, n, pfn;

	if (!buf->pages) {
		bb_memmap_mark(w, buf->pfn, buf->nr_pages);
		return;
	}
	for (i = 0; i < buf->nr_pages; i += n) {
		pfn = page_to_pfn(buf->pages[i]);
		for (n = 1; i + n < buf->nr_pages; n++)
			if (page_to_pfn(buf->pages[i + n]) != pfn + n)
				break;
		bb_memmap_mark(w, pfn, n);
	}
}

/* The blocks of all buffers, as of now. */
static int bb_memmap_mark_buffers(const struct bb_memmap_window *w)
{
	struct bb_buffer *buf;

	if (mutex_lock_killable(&bb_memmap_lock))
		return -EINTR;
	list_for_each_entry(buf, &bb_memmap_buffers, memmap_node) {
		bb_memmap_mark_buffer(w, buf);
		cond_resched();
	}
	mutex_unlock(&bb_memmap_lock);
	return 0;
}

/*
 * Whether an in-use page keeps alloc_contig_range() from migrating it:
 * not movable at all, or (maybe) pinned for DMA, which makes its
 * migration fail.
 */
static bool bb_memmap_unmovable(struct page *page)
{
	return bb_page_unmovable(page) ||
	       folio_maybe_dma_pinned(page_folio(page));
}

/*
 * What the block at @start holds, from its pages (buffer blocks are
 * marked before).  @end_pfn: no page from there on counts as online.
 * *@free_end carries the end of the last free buddy block seen into the
 * next call: one above pageblock_order covers the following blocks too.
 */
static u8 bb_memmap_block(unsigned long start, unsigned long end_pfn,
			  unsigned long *free_end)
{
	unsigned long end = start + pageblock_nr_pages, pfn = start;
	unsigned long online = 0, n;
	unsigned int order;
	struct page *page;
	bool in_use = false;

	while (pfn < end) {
		if (pfn < *free_end) {
			n = min(*free_end, end) - pfn;
			online += n;
			pfn += n;
			continue;
		}
		page = pfn < end_pfn ? pfn_to_online_page(pfn) : NULL;
		if (!page) {
			pfn++;
			continue;
		}
		if (PageBuddy(page)) {
			/* A stale order is a block being split or merged. */
			order = bb_buddy_order_unsafe(page);
			if (order > BB_MAX_ORDER)
				order = 0;
			*free_end = ALIGN(pfn + 1, 1UL << order);
			continue;
		}
		online++;
		pfn++;
		/*
		 * A page of count 0 that is no buddy page is free too (on a
		 * per-CPU list) or on its way there.
		 */
		if (!page_count(compound_head(page)))
			continue;
		if (bb_memmap_unmovable(page))
			return BIGBUF_BLOCK_UNMOVABLE;
		in_use = true;
	}
	if (!online)
		return BIGBUF_BLOCK_HOLE;
	/* Only partly online: no contiguous range can include all of it. */
	if (online < pageblock_nr_pages)
		return BIGBUF_BLOCK_UNMOVABLE;
	return in_use ? BIGBUF_BLOCK_MOVABLE : BIGBUF_BLOCK_FREE;
}

/* Fill in the blocks not marked as buffers. */
static int bb_memmap_walk(const struct bb_memmap_window *w,
			  unsigned long end_pfn)
{
	unsigned long i, free_end = 0;

	for (i = 0; i < w->nr; i++) {
		/* Nothing is written for a caller being killed. */
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		if (w->states[i] == BB_BLOCK_UNKNOWN)
			w->states[i] = bb_memmap_block(w->first +
						       i * pageblock_nr_pages,
						       end_pfn, &free_end);
	}
	return 0;
}

static bool bb_memmap_valid(const struct bigbuf_memmap *m)
{
	return !m->flags && !m->pad && !m->reserved[0] && !m->reserved[1] &&
	       m->nr_blocks && m->nr_blocks <= BIGBUF_MEMMAP_MAX_BLOCKS;
}

/**
 * bb_ioctl_memmap - BIGBUF_IOC_MEMMAP
 * @argp: user pointer to a struct bigbuf_memmap
 *
 * Context: process context, may sleep; the walk takes in the order of a
 * page look-up per page of the window (free buddy blocks are skipped).
 * Return: 0, -EPERM, -EFAULT, -EINVAL, -ENOMEM or -EINTR.
 */
long bb_ioctl_memmap(void __user *argp)
{
	struct bb_memmap_window w = { };
	struct bigbuf_memmap m;
	unsigned long end_pfn;
	long ret;

	/* Where kernel memory lies is for the administrator only. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (!bb_memmap_valid(&m)) {
		pr_debug("memmap: bad flags, pad, reserved or nr_blocks %u\n",
			 m.nr_blocks);
		return -EINVAL;
	}

	end_pfn = bb_end_pfn();
	/* Compared before rounding: "0 blocks from end_pfn on". */
	if (m.start_pfn < end_pfn) {
		w.first = ALIGN_DOWN(m.start_pfn, pageblock_nr_pages);
		w.nr = min_t(unsigned long, m.nr_blocks,
			     DIV_ROUND_UP(end_pfn - w.first,
					  pageblock_nr_pages));
	}
	m.start_pfn = ALIGN_DOWN(m.start_pfn, (u64)pageblock_nr_pages);
	m.end_pfn = end_pfn;
	m.block_pages = pageblock_nr_pages;
	m.nr_blocks = w.nr;

	if (w.nr) {
		/* Up to BIGBUF_MEMMAP_MAX_BLOCKS bytes, at the caller's cost. */
		w.states = kvmalloc(w.nr, GFP_KERNEL_ACCOUNT);
		if (!w.states)
			return -ENOMEM;
		memset(w.states, BB_BLOCK_UNKNOWN, w.nr);
		ret = bb_memmap_mark_buffers(&w);
		if (ret)
			goto out_free;
		ret = bb_memmap_walk(&w, end_pfn);
		if (ret)
			goto out_free;
		if (copy_to_user(u64_to_user_ptr(m.states), w.states, w.nr)) {
			ret = -EFAULT;
			goto out_free;
		}
	}
	ret = copy_to_user(argp, &m, sizeof(m)) ? -EFAULT : 0;

out_free:
	kvfree(w.states);
	return ret;
}
