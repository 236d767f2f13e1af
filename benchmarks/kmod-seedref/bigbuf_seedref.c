// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf_seedref - benchmark baseline: the 2009 seed algorithm, faithfully.
 *
 * The seed driver found a physically contiguous buffer like this:
 *
 *   loop:
 *     grab one block of the largest buddy order (no cap on how many);
 *     insert it into a linked list of "clusters" of physically adjacent
 *     blocks: scan the list for a cluster it extends, else append a new
 *     cluster; a grown cluster is merged with a neighbour it now touches
 *     (a linear scan per block, so O(n^2) over the search);
 *     stop when one cluster is big enough;
 *   keep that cluster (trimmed to the request), free every other block.
 *
 * Deviations, all kinder to the machine than the original, documented in
 * benchmarks/README.md: __GFP_NOWARN (no allocation-failure splat per
 * block), __GFP_NORETRY unless SEEDREF_F_ORIGINAL_GFP is given, a
 * cond_resched() per block and bail-out on a fatal signal.
 * SEEDREF_F_ZERO zeroes the kept buffer like bigbuf does, so that the
 * times compare like with like.
 *
 * This module exists only to measure bigbuf against; it is not shipped.
 */

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "bigbuf_seedref.h"

/*
 * Largest buddy order. MAX_ORDER was exclusive before 6.4 (commit
 * 23baf831a32c, "mm, treewide: redefine MAX_ORDER sanely"), inclusive from
 * 6.4 and is called MAX_PAGE_ORDER since 6.8; MAX_ORDER_NR_PAGES has meant
 * "pages in the largest block" throughout, so derive the order from it.
 */
#define SEEDREF_ORDER		ilog2(MAX_ORDER_NR_PAGES)
#define SEEDREF_BLOCK_PAGES	(1UL << SEEDREF_ORDER)

/* Pages zeroed between cond_resched() calls. */
#define SEEDREF_RESCHED_PAGES	512

struct seedref_cluster {
	struct list_head node;
	unsigned long start_pfn;
	unsigned long nr_pages;
};

struct seedref_file {
	struct mutex lock;	/* serialises ioctls on this file */
	unsigned long start_pfn;
	unsigned long nr_pages;	/* 0: no buffer held */
};

struct seedref_search {
	struct list_head clusters;
	unsigned int nr_clusters;
	unsigned int max_clusters;
	unsigned int blocks;
	unsigned long held_pages;
	unsigned long peak_pages;
};

static void seedref_free_range(unsigned long pfn, unsigned long nr_pages)
{
	unsigned long end = pfn + nr_pages;

	for (; pfn < end; pfn += SEEDREF_BLOCK_PAGES)
		__free_pages(pfn_to_page(pfn), SEEDREF_ORDER);
}

static void seedref_zero_range(unsigned long pfn, unsigned long nr_pages)
{
	unsigned long i;

	for (i = 0; i < nr_pages; i++) {
		clear_highpage(pfn_to_page(pfn + i));
		if (!((i + 1) % SEEDREF_RESCHED_PAGES))
			cond_resched();
	}
}

/* The second half of an insertion: @c grew, it may now touch a neighbour. */
static void seedref_merge(struct seedref_search *s, struct seedref_cluster *c)
{
	struct seedref_cluster *other;

	list_for_each_entry(other, &s->clusters, node) {
		if (other == c)
			continue;
		if (c->start_pfn + c->nr_pages == other->start_pfn) {
			c->nr_pages += other->nr_pages;
		} else if (other->start_pfn + other->nr_pages == c->start_pfn) {
			c->start_pfn = other->start_pfn;
			c->nr_pages += other->nr_pages;
		} else {
			continue;
		}
		/* c grew at one end only, so there is at most one neighbour. */
		list_del(&other->node);
		kfree(other);
		s->nr_clusters--;
		return;
	}
}

/* Insert one block; returns the cluster now holding it, NULL if out of memory. */
static struct seedref_cluster *seedref_insert(struct seedref_search *s,
					      unsigned long pfn)
{
	struct seedref_cluster *c;

	list_for_each_entry(c, &s->clusters, node) {
		if (c->start_pfn + c->nr_pages == pfn) {
			c->nr_pages += SEEDREF_BLOCK_PAGES;
			seedref_merge(s, c);
			return c;
		}
		if (pfn + SEEDREF_BLOCK_PAGES == c->start_pfn) {
			c->start_pfn = pfn;
			c->nr_pages += SEEDREF_BLOCK_PAGES;
			seedref_merge(s, c);
			return c;
		}
	}

	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->start_pfn = pfn;
	c->nr_pages = SEEDREF_BLOCK_PAGES;
	list_add_tail(&c->node, &s->clusters);
	s->nr_clusters++;
	if (s->nr_clusters > s->max_clusters)
		s->max_clusters = s->nr_clusters;
	return c;
}

/*
 * Run the seed algorithm for @want_pages (a multiple of the block size).
 * On success the kept range is in @f and 0 is returned; else -ENOMEM or
 * -EINTR, with everything freed.
 */
static int seedref_run(struct seedref_file *f, struct seedref_search *s,
		       unsigned long want_pages, gfp_t gfp)
{
	struct seedref_cluster *c, *tmp;
	struct page *page;
	int ret;

	for (;;) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto free_all;
		}
		page = alloc_pages(gfp, SEEDREF_ORDER);
		if (!page) {
			ret = -ENOMEM;
			goto free_all;
		}
		s->blocks++;
		s->held_pages += SEEDREF_BLOCK_PAGES;
		if (s->held_pages > s->peak_pages)
			s->peak_pages = s->held_pages;

		c = seedref_insert(s, page_to_pfn(page));
		if (!c) {
			__free_pages(page, SEEDREF_ORDER);
			ret = -ENOMEM;
			goto free_all;
		}
		if (c->nr_pages >= want_pages)
			break;
		cond_resched();
	}

	/* Keep the head of the winning cluster, free its tail and the rest. */
	list_del(&c->node);
	seedref_free_range(c->start_pfn + want_pages, c->nr_pages - want_pages);
	f->start_pfn = c->start_pfn;
	f->nr_pages = want_pages;
	kfree(c);
	ret = 0;

free_all:
	list_for_each_entry_safe(c, tmp, &s->clusters, node) {
		list_del(&c->node);
		seedref_free_range(c->start_pfn, c->nr_pages);
		kfree(c);
	}
	return ret;
}

static long seedref_ioctl_alloc(struct seedref_file *f,
				struct seedref_alloc __user *uarg)
{
	struct seedref_search s = {
		.clusters = LIST_HEAD_INIT(s.clusters),
	};
	struct seedref_alloc arg;
	unsigned long want_pages;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	ktime_t start;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.abi_version != SEEDREF_ABI_VERSION ||
	    (arg.flags & ~SEEDREF_F_ALL) || !arg.size)
		return -EINVAL;
	if (arg.size > ((u64)totalram_pages() << PAGE_SHIFT))
		return -E2BIG;
	if (f->nr_pages)
		return -EBUSY;
	if (!(arg.flags & SEEDREF_F_ORIGINAL_GFP))
		gfp |= __GFP_NORETRY;

	want_pages = round_up(DIV_ROUND_UP_ULL(arg.size, PAGE_SIZE),
			      SEEDREF_BLOCK_PAGES);
	start = ktime_get();
	arg.status = seedref_run(f, &s, want_pages, gfp);
	if (!arg.status && (arg.flags & SEEDREF_F_ZERO))
		seedref_zero_range(f->start_pfn, f->nr_pages);
	arg.elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));

	arg.block_order = SEEDREF_ORDER;
	arg.phys_addr = arg.status ? 0 : PFN_PHYS(f->start_pfn);
	arg.kept_bytes = arg.status ? 0 : (u64)f->nr_pages << PAGE_SHIFT;
	arg.peak_bytes = (u64)s.peak_pages << PAGE_SHIFT;
	arg.blocks_grabbed = s.blocks;
	arg.max_clusters = s.max_clusters;

	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		if (f->nr_pages) {
			seedref_free_range(f->start_pfn, f->nr_pages);
			f->nr_pages = 0;
		}
		return -EFAULT;
	}
	return 0;
}

static long seedref_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct seedref_file *f = file->private_data;
	long ret;

	mutex_lock(&f->lock);
	switch (cmd) {
	case SEEDREF_IOC_ALLOC:
		ret = seedref_ioctl_alloc(f, (void __user *)arg);
		break;
	case SEEDREF_IOC_FREE:
		ret = f->nr_pages ? 0 : -ENOENT;
		if (f->nr_pages) {
			seedref_free_range(f->start_pfn, f->nr_pages);
			f->nr_pages = 0;
		}
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int seedref_open(struct inode *inode, struct file *file)
{
	struct seedref_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int seedref_release(struct inode *inode, struct file *file)
{
	struct seedref_file *f = file->private_data;

	if (f->nr_pages)
		seedref_free_range(f->start_pfn, f->nr_pages);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations seedref_fops = {
	.owner = THIS_MODULE,
	.open = seedref_open,
	.release = seedref_release,
	.unlocked_ioctl = seedref_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice seedref_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bigbuf_seedref",
	.fops = &seedref_fops,
	.mode = 0600,
};

module_misc_device(seedref_misc);

MODULE_DESCRIPTION("bigbuf benchmark baseline: the 2009 seed contiguous allocator");
MODULE_AUTHOR("bigbuf developers");
MODULE_LICENSE("GPL");
