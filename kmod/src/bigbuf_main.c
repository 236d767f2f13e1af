// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf - large physically contiguous, zeroed buffers for device DMA.
 *
 * /dev/bigbuf hands out buffers through ioctls (see uapi/linux/bigbuf.h) and
 * maps them with mmap().  Lifetime and locking:
 *
 * - A buffer (struct bb_buffer) is immutable after creation except for its
 *   kref and its device mappings (bigbuf_devmap.c, under their own lock).
 *   It is freed, its device mappings torn down and its pages returned,
 *   when the last reference is dropped.
 * - Each open file (struct bb_file) owns its buffers in an xarray; the
 *   xarray holds one reference per buffer.  Lookups take a reference under
 *   the xarray lock, so FREE (xa_erase) racing with QUERY/mmap is safe and
 *   only one of two concurrent FREEs of an id can succeed.
 * - mmap() does not keep the device file alive: the VMA's file is replaced
 *   (vma_set_file()) by a small anonymous file that holds one buffer
 *   reference.  fork(), VMA splits and mremap() take file references, so
 *   the buffer lives exactly as long as any mapping of it, and closing the
 *   device fd frees every buffer that is not mapped.
 * - The anonymous file and the device file pin the module (fops->owner),
 *   so rmmod is refused while any fd or mapping exists.
 * - Statistics are under bb_stats.lock; GRAB allocations are serialised by
 *   a mutex in bigbuf_alloc.c.  No lock is held while allocating memory
 *   except that mutex.  The device mapping code nests bb_stats.lock inside
 *   its own mutex (see bigbuf_devmap.c); no other locks of this module nest.
 * - Every buffer is also on the contiguity map's list (bigbuf_memmap.c,
 *   under its mutex, taken alone) from creation to release, so that the
 *   map finds the buffers of all files, mapped ones and the preallocation.
 * - Every buffer but the preallocation is charged to the allocating task's
 *   user against RLIMIT_MEMLOCK (bigbuf_acct.c) before its pages are
 *   taken, and the charge is returned in the release, after the pages:
 *   the one place that runs once per buffer, whichever of FREE, close,
 *   munmap or exit dropped the last reference.  The accounting lock is a
 *   spinlock taken alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "bigbuf_internal.h"

/* Ids are limited so that id << BIGBUF_MMAP_SHIFT fits in a signed loff_t. */
#define BB_ID_BITS		(62 - BIGBUF_MMAP_SHIFT)
#define BB_ID_MAX		((1U << BB_ID_BITS) - 1)
#define BB_MMAP_PGSHIFT		(BIGBUF_MMAP_SHIFT - PAGE_SHIFT)

/* An IOMMU large page (x86: 2 MiB), in pages. */
#define BB_LARGE_IOMMU_PAGES	(SZ_2M >> PAGE_SHIFT)

/* Pages handed to vm_insert_pages() per call. */
#define BB_INSERT_BATCH		64

static char *bb_prealloc_param;
module_param_named(size, bb_prealloc_param, charp, 0444);
MODULE_PARM_DESC(size,
		 "preallocate a buffer of this size at load, e.g. size=64M (held until unload)");

struct bb_stats bb_stats = {
	.lock = __SPIN_LOCK_UNLOCKED(bb_stats.lock),
};

/*
 * Share of RAM that all buffers together may hold: RLIMIT_MEMLOCK does not
 * bind CAP_IPC_LOCK (root's services), and even they must not take the
 * host into OOM through bigbuf.  0, or 100 and above: no cap but RAM.
 */
static unsigned int bb_max_held_pct = 80;
module_param_named(max_held_pct, bb_max_held_pct, uint, 0644);
MODULE_PARM_DESC(max_held_pct,
		 "percent of RAM all buffers together may hold (default 80; 0 or >= 100: no cap)");

/*
 * Bytes of all buffers, and of those being created, under the cap
 * (guarded by bb_stats.lock): reserved before the pages are taken, so
 * that concurrent allocations cannot overshoot it together.
 */
static u64 bb_cap_reserved;

static int bb_cap_reserve(unsigned long nr_pages)
{
	unsigned int pct = READ_ONCE(bb_max_held_pct);
	u64 bytes = (u64)nr_pages << PAGE_SHIFT, cap = 0;
	int ret = 0;

	if (pct && pct < 100)
		cap = div_u64(((u64)totalram_pages() << PAGE_SHIFT) * pct, 100);
	spin_lock(&bb_stats.lock);
	if (cap && bb_cap_reserved + bytes > cap)
		ret = -ENOMEM;
	else
		bb_cap_reserved += bytes;
	spin_unlock(&bb_stats.lock);
	if (ret)
		pr_debug("alloc: %llu bytes would take all buffers over max_held_pct=%u of RAM\n",
			 bytes, pct);
	return ret;
}

static void bb_cap_return(unsigned long nr_pages)
{
	spin_lock(&bb_stats.lock);
	bb_cap_reserved -= (u64)nr_pages << PAGE_SHIFT;
	spin_unlock(&bb_stats.lock);
}

/**
 * struct bb_file - per open file state
 * @bufs: id -> buffer; its own lock protects lookups (see top of file)
 */
struct bb_file {
	struct xarray bufs;
};

static struct bb_buffer *bb_prealloc;

/* A failed ALLOC/ALLOC_EXT, whether or not it had taken memory already. */
static void bb_stats_failure(void)
{
	spin_lock(&bb_stats.lock);
	bb_stats.s.failures++;
	spin_unlock(&bb_stats.lock);
}

/*
 * An allocation handed out (its id published): counted once, and freed
 * once by its release.  A buffer that a failing call gives back was never
 * handed out and counts as that call's failure only.
 */
static void bb_stats_handed_out(struct bb_buffer *buf)
{
	spin_lock(&bb_stats.lock);
	bb_stats.s.allocations++;
	bb_stats.s.by_strategy[buf->strategy]++;
	spin_unlock(&bb_stats.lock);
}

static void bb_buffer_release(struct kref *ref)
{
	struct bb_buffer *buf = container_of(ref, struct bb_buffer, ref);

	/* A map taken from now on shows its pages as what they become. */
	bb_memmap_del(buf);
	/* No device may reach the pages once they are free. */
	bb_devmap_release(buf);
	if (buf->pages) {
		bb_free_scatter(buf->pages, buf->nr_pages);
		kvfree(buf->pages);
	} else {
		bb_free_range(buf->pfn, buf->nr_pages);
	}
	if (buf->user)
		bb_acct_uncharge(buf->user, buf->nr_pages);
	bb_cap_return(buf->nr_pages);
	spin_lock(&bb_stats.lock);
	if (buf->handed_out)
		bb_stats.s.frees++;
	bb_stats.s.buffers--;
	bb_stats.s.bytes_held -= (u64)buf->nr_pages << PAGE_SHIFT;
	spin_unlock(&bb_stats.lock);
	kfree(buf);
}

static void bb_buffer_put(struct bb_buffer *buf)
{
	kref_put(&buf->ref, bb_buffer_release);
}

/* The node all pages of a buffer lie on, or NUMA_NO_NODE. */
static int bb_buffer_nid(const struct bb_buffer *buf)
{
	int nid = page_to_nid(bb_buffer_page(buf, 0));
	unsigned long i;

	if (!buf->pages)	/* one range of one zone */
		return nid;
	for (i = 1; i < buf->nr_pages; i++)
		if (page_to_nid(buf->pages[i]) != nid)
			return NUMA_NO_NODE;
	return nid;
}

/*
 * A new buffer of one reference: physically contiguous, or (@scatter)
 * pages anywhere, for a device behind a translating IOMMU.  With @charge
 * it is charged to the calling task's user first: over its RLIMIT_MEMLOCK
 * the call fails with -EDQUOT before anything is taken; then it is reserved
 * under the module-wide cap (max_held_pct): -ENOMEM over it.
 */
static struct bb_buffer *bb_buffer_create(const struct bb_request *req,
					  bool scatter, bool charge)
{
	struct user_struct *user = NULL;
	struct bb_buffer *buf;
	unsigned long pfn;
	unsigned int strategy = req->strategy;
	int ret;

	if (charge) {
		user = bb_acct_charge(req->nr_pages);
		if (IS_ERR(user)) {
			ret = PTR_ERR(user);
			goto out;
		}
	}
	ret = bb_cap_reserve(req->nr_pages);
	if (ret)
		goto out_uncharge;
	buf = kzalloc_obj(*buf, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_cap;
	}
	if (scatter) {
		buf->pages = kvmalloc_array(req->nr_pages, sizeof(*buf->pages),
					    GFP_KERNEL);
		if (!buf->pages) {
			ret = -ENOMEM;
			goto out_free;
		}
		ret = bb_alloc_scatter(req, buf->pages);
		if (ret)
			goto out_pages;
		strategy = BIGBUF_STRATEGY_BUDDY;
		buf->kind = BIGBUF_KIND_DEV_CONTIG;
	} else {
		ret = bb_alloc_range(req, &pfn, &strategy);
		if (ret)
			goto out_free;
		buf->pfn = pfn;
		buf->kind = BIGBUF_KIND_PHYS_CONTIG;
	}
	kref_init(&buf->ref);
	INIT_LIST_HEAD(&buf->devmaps);
	buf->nr_pages = req->nr_pages;
	buf->strategy = strategy;
	buf->nid = bb_buffer_nid(buf);
	buf->user = user;
	bb_memmap_add(buf);
	spin_lock(&bb_stats.lock);
	bb_stats.s.buffers++;
	bb_stats.s.bytes_held += (u64)buf->nr_pages << PAGE_SHIFT;
	bb_stats.s.peak_bytes_held = max(bb_stats.s.peak_bytes_held,
					 bb_stats.s.bytes_held);
	spin_unlock(&bb_stats.lock);
	return buf;

out_pages:
	kvfree(buf->pages);
out_free:
	kfree(buf);
out_cap:
	bb_cap_return(req->nr_pages);
out_uncharge:
	if (user)
		bb_acct_uncharge(user, req->nr_pages);
out:
	return ERR_PTR(ret);
}

static const struct file_operations bb_map_fops;

static struct bb_buffer *bb_file_get(struct bb_file *bf, u64 id)
{
	struct bb_buffer *buf = NULL;

	if (!id || id > BB_ID_MAX)
		return NULL;
	xa_lock(&bf->bufs);
	buf = xa_load(&bf->bufs, id);
	if (buf)
		kref_get(&buf->ref);
	xa_unlock(&bf->bufs);
	return buf;
}

/*
 * Turn the common part of an ALLOC/ALLOC_EXT request into pages.  Bytes
 * that do not fit RAM are refused before any arithmetic on them, so
 * nothing below can overflow.  @max_addr 0 means no limit.
 */
static int bb_make_request(u64 size, u64 align, u64 max_addr,
			   unsigned int strategy, struct bb_request *req)
{
	u64 max_bytes = (u64)totalram_pages() << PAGE_SHIFT;

	if (strategy >= BIGBUF_STRATEGY_COUNT) {
		pr_debug("alloc: bad strategy %u\n", strategy);
		return -EINVAL;
	}
	if (!size) {
		pr_debug("alloc: size 0\n");
		return -EINVAL;
	}
	if (align && (!is_power_of_2(align) || align > BB_MAX_ALIGN)) {
		pr_debug("alloc: bad alignment %#llx\n", align);
		return -EINVAL;
	}
	if (strategy != BIGBUF_STRATEGY_AUTO &&
	    !(bb_strategies() & BIT(strategy))) {
		pr_debug("alloc: strategy %u not available\n", strategy);
		return -EOPNOTSUPP;
	}
	if (size > max_bytes) {
		pr_debug("alloc: size %llu exceeds RAM\n", size);
		return -ENOMEM;
	}

	req->nr_pages = DIV_ROUND_UP(size, PAGE_SIZE);
	req->align = max_t(u64, align >> PAGE_SHIFT, 1);
	req->strategy = strategy;
	req->nid = NUMA_NO_NODE;
	req->node_strict = false;
	/* Pages whose last byte is <= max_addr; written to avoid max_addr + 1. */
	if (!max_addr)
		req->limit_pfn = ULONG_MAX;
	else
		req->limit_pfn = (max_addr >> PAGE_SHIFT) +
			((max_addr & ~PAGE_MASK) == ~PAGE_MASK);
	if (req->limit_pfn < req->nr_pages) {
		pr_debug("alloc: %lu pages cannot fit below %#llx\n",
			 req->nr_pages, max_addr);
		return -ENOMEM;
	}
	return 0;
}

/* ALLOC's validation, also used for the preallocation at load. */
static int bb_make_alloc_request(const struct bigbuf_alloc *a,
				 struct bb_request *req)
{
	if (a->reserved[0] || a->reserved[1]) {
		pr_debug("alloc: reserved fields not zero\n");
		return -EINVAL;
	}
	if (a->flags & ~BIGBUF_ALLOC_FLAGS_VALID) {
		pr_debug("alloc: bad flags %#x\n", a->flags);
		return -EINVAL;
	}
	return bb_make_request(a->size, a->align, a->max_addr,
			       a->flags & BIGBUF_STRATEGY_MASK, req);
}

/*
 * Give a new buffer an id on the file, which then owns the reference; on
 * failure the buffer is dropped.  Either way the call's outcome is counted.
 */
static int bb_file_publish(struct bb_file *bf, struct bb_buffer *buf, u32 *id)
{
	int ret;

	/* Set first: once published, a FREE of a guessed id may release it. */
	buf->handed_out = true;
	ret = xa_alloc(&bf->bufs, id, buf, XA_LIMIT(1, BB_ID_MAX), GFP_KERNEL);
	if (ret) {
		buf->handed_out = false;
		bb_buffer_put(buf);
		bb_stats_failure();
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	bb_stats_handed_out(buf);
	return 0;
}

/* Nobody learnt the id: take the buffer back unless already freed. */
static void bb_file_unpublish(struct bb_file *bf, u32 id)
{
	struct bb_buffer *buf = xa_erase(&bf->bufs, id);

	if (buf)
		bb_buffer_put(buf);
}

static long bb_ioctl_alloc(struct bb_file *bf, void __user *argp)
{
	struct bigbuf_alloc a;
	struct bb_request req;
	struct bb_buffer *buf;
	u32 id;
	int ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	ret = bb_make_alloc_request(&a, &req);
	if (ret) {
		bb_stats_failure();
		return ret;
	}
	buf = bb_buffer_create(&req, false, true);
	if (IS_ERR(buf)) {
		/* Over the limit nothing changes, no counter either. */
		if (PTR_ERR(buf) != -EDQUOT)
			bb_stats_failure();
		return PTR_ERR(buf);
	}

	/* Fill in the answer before publishing: buf may be freed after. */
	a.strategy = buf->strategy;
	a.phys_addr = PFN_PHYS(buf->pfn);
	a.actual_size = (u64)buf->nr_pages << PAGE_SHIFT;
	ret = bb_file_publish(bf, buf, &id);
	if (ret)
		return ret;
	a.id = id;
	a.mmap_offset = (u64)id << BIGBUF_MMAP_SHIFT;
	if (copy_to_user(argp, &a, sizeof(a))) {
		bb_file_unpublish(bf, id);
		return -EFAULT;
	}
	return 0;
}

static bool bb_pci_dev_given(const struct bigbuf_pci_dev *d)
{
	return d->domain || d->bus || d->slot || d->func || d->pad;
}

/*
 * ALLOC_EXT's checks beyond ALLOC's, and the node: the given one, else the
 * device's, else any.
 */
static int bb_make_ext_request(const struct bigbuf_alloc_ext *a,
			       struct pci_dev *pdev, unsigned int mode,
			       struct bb_request *req)
{
	bool device = a->flags & BIGBUF_ALLOC_DEVICE;
	bool scatter = a->flags & BIGBUF_ALLOC_SCATTER;
	unsigned int strategy = a->flags & BIGBUF_STRATEGY_MASK;
	u64 limit = a->max_addr;
	int ret;

	/* Behind a translating IOMMU the limit is the device's, not RAM's. */
	if (device && mode == BIGBUF_DMA_TRANSLATED)
		limit = 0;
	else if (device && !limit)
		limit = dma_get_mask(&pdev->dev);
	ret = bb_make_request(a->size, a->align, limit, strategy, req);
	if (ret)
		return ret;
	if (scatter && strategy != BIGBUF_STRATEGY_AUTO &&
	    strategy != BIGBUF_STRATEGY_BUDDY) {
		pr_debug("alloc: scattered buffers come from the buddy allocator\n");
		return -EINVAL;
	}
	/*
	 * Behind a translating IOMMU the IOVA is what must be aligned; the
	 * pages of a buffer of 2 MiB or more get 2 MiB alignment so that the
	 * IOMMU can map them with large pages (the IOVA is aligned to the
	 * buffer's size rounded up to a power of two).
	 */
	if (device && mode == BIGBUF_DMA_TRANSLATED)
		req->align = req->nr_pages >= BB_LARGE_IOMMU_PAGES ?
			     BB_LARGE_IOMMU_PAGES : 1;
	if (a->node != BIGBUF_NODE_ANY) {
		if (a->node < 0 || a->node >= nr_node_ids ||
		    !node_online(a->node)) {
			pr_debug("alloc: node %d is not online\n", a->node);
			return -EINVAL;
		}
		req->nid = a->node;
	} else if (device) {
		req->nid = dev_to_node(&pdev->dev);
	}
	if (a->flags & BIGBUF_ALLOC_NODE_STRICT) {
		if (req->nid == NUMA_NO_NODE) {
			pr_debug("alloc: NODE_STRICT without a node\n");
			return -EINVAL;
		}
		req->node_strict = true;
	}
	return 0;
}

static long bb_ioctl_alloc_ext(struct bb_file *bf, void __user *argp)
{
	struct bigbuf_alloc_ext a;
	struct pci_dev *pdev = NULL;
	struct bb_request req;
	struct bb_buffer *buf;
	unsigned int mode = 0;
	u64 dev_addr = 0;
	bool device;
	u32 id;
	int ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	device = a.flags & BIGBUF_ALLOC_DEVICE;
	if (memchr_inv(a.reserved, 0, sizeof(a.reserved)) ||
	    a.flags & ~BIGBUF_ALLOC_EXT_FLAGS_VALID ||
	    (!device && (a.map_flags || bb_pci_dev_given(&a.dev) ||
			 a.flags & BIGBUF_ALLOC_SCATTER))) {
		pr_debug("alloc_ext: bad flags %#x or reserved fields\n",
			 a.flags);
		ret = -EINVAL;
		goto out_count;
	}
	if (device) {
		ret = bb_devmap_check(&a.dev, a.max_addr, a.map_flags);
		if (ret)
			goto out_count;
		pdev = bb_devmap_get_pci(&a.dev, a.max_addr, &mode);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto out_count;
		}
		if (a.flags & BIGBUF_ALLOC_SCATTER &&
		    mode != BIGBUF_DMA_TRANSLATED) {
			pr_debug("alloc_ext: %s does not translate its DMA\n",
				 pci_name(pdev));
			ret = -EXDEV;
			goto out_put;
		}
	}
	ret = bb_make_ext_request(&a, pdev, mode, &req);
	if (ret)
		goto out_put;
	buf = bb_buffer_create(&req, a.flags & BIGBUF_ALLOC_SCATTER, true);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		/* Over the limit nothing changes, no counter either. */
		if (ret == -EDQUOT)
			goto out_pci;
		goto out_put;
	}
	if (device) {
		ret = bb_devmap_add(buf, pdev, a.max_addr, a.map_flags, &mode,
				    &dev_addr);
		/*
		 * The alignment asked for is the device address's, and the DMA
		 * layer aligns an IOVA only to the buffer's size rounded up to
		 * a power of two.
		 */
		if (!ret && a.align > PAGE_SIZE && !IS_ALIGNED(dev_addr, a.align))
			ret = -ENOMEM;
		if (ret) {
			bb_buffer_put(buf);
			goto out_put;
		}
	}

	a.strategy = buf->strategy;
	a.kind = buf->kind;
	a.node = buf->nid;
	a.phys_addr = buf->pages ? 0 : PFN_PHYS(buf->pfn);
	a.actual_size = (u64)buf->nr_pages << PAGE_SHIFT;
	a.mode = mode;
	a.dev_addr = dev_addr;
	ret = bb_file_publish(bf, buf, &id);
	if (ret)
		goto out_pci;
	a.id = id;
	a.mmap_offset = (u64)id << BIGBUF_MMAP_SHIFT;
	if (copy_to_user(argp, &a, sizeof(a))) {
		bb_file_unpublish(bf, id);
		ret = -EFAULT;
	}
	goto out_pci;

out_put:
	if (!IS_ERR_OR_NULL(pdev))
		pci_dev_put(pdev);
out_count:
	bb_stats_failure();
	return ret;
out_pci:
	if (pdev)
		pci_dev_put(pdev);
	return ret;
}

/*
 * The buffer a MAP/UNMAP names: by id on this file, or (id 0) by an
 * address inside one of its mappings in the calling process.
 */
static struct bb_buffer *bb_lookup(struct bb_file *bf, u64 id, u64 addr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct bb_buffer *buf = NULL;

	if (id)
		return bb_file_get(bf, id);
	if (!mm || addr >= TASK_SIZE)
		return NULL;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file && vma->vm_file->f_op == &bb_map_fops) {
		buf = vma->vm_file->private_data;
		kref_get(&buf->ref);
	}
	mmap_read_unlock(mm);
	return buf;
}

static long bb_ioctl_map(struct bb_file *bf, void __user *argp)
{
	struct bigbuf_map m;
	struct bb_buffer *buf;
	struct pci_dev *pdev;
	unsigned int mode;
	u64 dev_addr;
	int ret;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.reserved[0] || m.reserved[1])
		return -EINVAL;
	ret = bb_devmap_check(&m.dev, m.dma_mask, m.flags);
	if (ret)
		return ret;
	buf = bb_lookup(bf, m.id, m.addr);
	if (!buf) {
		pr_debug("map: no buffer %llu / at %#llx\n", m.id, m.addr);
		return -ENOENT;
	}
	pdev = bb_devmap_get_pci(&m.dev, m.dma_mask, &mode);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto out_put;
	}
	ret = bb_devmap_add(buf, pdev, m.dma_mask, m.flags, &mode, &dev_addr);
	pci_dev_put(pdev);
	if (ret)
		goto out_put;
	m.mode = mode;
	m.dev_addr = dev_addr;
	if (copy_to_user(argp, &m, sizeof(m))) {
		/* The caller cannot know the address: do not leave it mapped. */
		bb_devmap_del(buf, &m.dev);
		ret = -EFAULT;
	}
out_put:
	bb_buffer_put(buf);
	return ret;
}

static long bb_ioctl_unmap(struct bb_file *bf, void __user *argp)
{
	struct bigbuf_unmap u;
	struct bb_buffer *buf;
	int ret;

	if (copy_from_user(&u, argp, sizeof(u)))
		return -EFAULT;
	if (u.reserved[0] || u.reserved[1])
		return -EINVAL;
	ret = bb_devmap_check(&u.dev, 0, 0);
	if (ret)
		return ret;
	buf = bb_lookup(bf, u.id, u.addr);
	if (!buf)
		return -ENOENT;
	ret = bb_devmap_del(buf, &u.dev);
	bb_buffer_put(buf);
	return ret;
}

static long bb_ioctl_free(struct bb_file *bf, void __user *argp)
{
	struct bigbuf_free f;
	struct bb_buffer *buf;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	if (f.reserved)
		return -EINVAL;
	if (!f.id || f.id > BB_ID_MAX)
		return -ENOENT;
	buf = xa_erase(&bf->bufs, f.id);
	if (!buf) {
		pr_debug("free: no buffer %llu\n", f.id);
		return -ENOENT;
	}
	bb_buffer_put(buf);
	return 0;
}

static long bb_ioctl_query(struct bb_file *bf, void __user *argp)
{
	struct bigbuf_query q;
	struct bb_buffer *buf;

	if (copy_from_user(&q, argp, sizeof(q)))
		return -EFAULT;
	if (q.kind || q.node || q.dev_maps || q.reserved)
		return -EINVAL;
	buf = bb_file_get(bf, q.id);
	if (!buf)
		return -ENOENT;
	q.phys_addr = buf->pages ? 0 : PFN_PHYS(buf->pfn);
	q.mmap_offset = q.id << BIGBUF_MMAP_SHIFT;
	q.size = (u64)buf->nr_pages << PAGE_SHIFT;
	q.strategy = buf->strategy;
	q.kind = buf->kind;
	q.node = buf->nid;
	q.dev_maps = bb_devmap_count(buf);
	bb_buffer_put(buf);
	return copy_to_user(argp, &q, sizeof(q)) ? -EFAULT : 0;
}

static long bb_ioctl_info(void __user *argp)
{
	struct bigbuf_info info = {
		.abi_version = BIGBUF_ABI_VERSION,
		.page_size = PAGE_SIZE,
		.max_order = BB_MAX_ORDER,
		.strategies = bb_strategies(),
		.max_align = BB_MAX_ALIGN,
		.features = BIGBUF_FEATURE_DEVICE_MAP | BIGBUF_FEATURE_NUMA |
			    BIGBUF_FEATURE_MEMMAP,
		.nr_nodes = nr_node_ids,
	};
	struct sysinfo si;

	si_meminfo(&si);
	info.total_ram = (u64)si.totalram * si.mem_unit;
	info.free_ram = (u64)si.freeram * si.mem_unit;
	info.max_alloc_size = (u64)totalram_pages() << PAGE_SHIFT;
	info.grab_cap_bytes = (u64)bb_grab_cap_pages() << PAGE_SHIFT;
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static void bb_stats_snapshot(struct bigbuf_stats *s)
{
	spin_lock(&bb_stats.lock);
	*s = bb_stats.s;
	spin_unlock(&bb_stats.lock);
}

static long bb_ioctl_stats(void __user *argp)
{
	struct bigbuf_stats s;

	bb_stats_snapshot(&s);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long bb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bb_file *bf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case BIGBUF_IOC_ALLOC:
		/*
		 * Allocating is writing: a file opened read-only may only look
		 * (INFO, STATS), whatever the node's mode grants, as write(2)
		 * on such a file fails with EBADF.
		 */
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return bb_ioctl_alloc(bf, argp);
	case BIGBUF_IOC_FREE:
		return bb_ioctl_free(bf, argp);
	case BIGBUF_IOC_QUERY:
		return bb_ioctl_query(bf, argp);
	case BIGBUF_IOC_ALLOC_EXT:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return bb_ioctl_alloc_ext(bf, argp);
	case BIGBUF_IOC_MAP:
		return bb_ioctl_map(bf, argp);
	case BIGBUF_IOC_UNMAP:
		return bb_ioctl_unmap(bf, argp);
	case BIGBUF_IOC_INFO:
		return bb_ioctl_info(argp);
	case BIGBUF_IOC_STATS:
		return bb_ioctl_stats(argp);
	case BIGBUF_IOC_MEMMAP:
		/* Only looks: allowed on a read-only file, CAP_SYS_ADMIN decides. */
		return bb_ioctl_memmap(argp);
	}
	return -ENOTTY;
}

static int bb_map_release(struct inode *inode, struct file *file)
{
	bb_buffer_put(file->private_data);
	return 0;
}

/* The file behind every mapping; holds one buffer reference. */
static const struct file_operations bb_map_fops = {
	.owner = THIS_MODULE,
	.release = bb_map_release,
};

static int bb_insert(struct vm_area_struct *vma, struct bb_buffer *buf,
		     unsigned long first, unsigned long nr_pages)
{
	struct page *pages[BB_INSERT_BATCH];
	unsigned long addr = vma->vm_start, done = 0, i, n, left;
	int ret;

	while (done < nr_pages) {
		n = min_t(unsigned long, nr_pages - done, BB_INSERT_BATCH);
		for (i = 0; i < n; i++)
			pages[i] = bb_buffer_page(buf, first + done + i);
		left = n;
		ret = vm_insert_pages(vma, addr, pages, &left);
		if (ret)
			return ret;
		if (WARN_ON_ONCE(left))
			return -EFAULT;
		addr += n << PAGE_SHIFT;
		done += n;
	}
	return 0;
}

/*
 * The pages are inserted at mmap time; this only runs if a PTE was zapped
 * since (MADV_DONTNEED and the like) and puts the same page back.  The VMA
 * cannot outlive its file, which holds the buffer reference.
 */
static vm_fault_t bb_vm_fault(struct vm_fault *vmf)
{
	struct bb_buffer *buf = vmf->vma->vm_private_data;
	unsigned long idx = vmf->pgoff & (BIT(BB_MMAP_PGSHIFT) - 1);

	if (idx >= buf->nr_pages)
		return VM_FAULT_SIGBUS;
	return vmf_insert_page(vmf->vma, vmf->address, bb_buffer_page(buf, idx));
}

static const struct vm_operations_struct bb_vm_ops = {
	.fault = bb_vm_fault,
};

/* vm_flags_set() appeared in 6.3; Kbuild detects it. */
#ifndef BB_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * Map (part of) a buffer.  The offset selects the buffer (id << shift) and
 * the first page within it; the whole mapping must lie inside the buffer.
 * Pages are inserted as normal pages (VM_MIXEDMAP, not VM_PFNMAP), so
 * /proc/pid/pagemap and get_user_pages() see them.
 */
static int bb_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct bb_file *bf = file->private_data;
	unsigned long first = vma->vm_pgoff & (BIT(BB_MMAP_PGSHIFT) - 1);
	unsigned long nr_pages = vma_pages(vma);
	struct bb_buffer *buf;
	struct file *mapfile;
	int ret;

	/*
	 * VM_MAYSHARE, not VM_SHARED: a MAP_SHARED mapping of a file opened
	 * read-only has only the former, and is a valid read-only view.
	 * Without VM_MAYWRITE it can never be made writable.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		pr_debug("mmap: only MAP_SHARED is supported\n");
		return -EINVAL;
	}
	buf = bb_file_get(bf, vma->vm_pgoff >> BB_MMAP_PGSHIFT);
	if (!buf) {
		pr_debug("mmap: no buffer at offset page %#lx\n", vma->vm_pgoff);
		return -ENOENT;
	}
	if (first >= buf->nr_pages || nr_pages > buf->nr_pages - first) {
		pr_debug("mmap: %lu pages at %lu outside buffer of %lu\n",
			 nr_pages, first, buf->nr_pages);
		ret = -EINVAL;
		goto out_put;
	}
	/* On success the mapping file owns our buffer reference. */
	mapfile = anon_inode_getfile("[bigbuf]", &bb_map_fops, buf, O_RDWR);
	if (IS_ERR(mapfile)) {
		ret = PTR_ERR(mapfile);
		goto out_put;
	}
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &bb_vm_ops;
	vma->vm_private_data = buf;
	ret = bb_insert(vma, buf, first, nr_pages);
	/* Even on error: the caller unmaps this VMA, dropping the file. */
	vma_set_file(vma, mapfile);
	fput(mapfile);
	return ret;

out_put:
	bb_buffer_put(buf);
	return ret;
}

static int bb_open(struct inode *inode, struct file *file)
{
	struct bb_file *bf = kzalloc_obj(*bf, GFP_KERNEL);

	if (!bf)
		return -ENOMEM;
	xa_init_flags(&bf->bufs, XA_FLAGS_ALLOC1);
	file->private_data = bf;
	return stream_open(inode, file);
}

static int bb_release(struct inode *inode, struct file *file)
{
	struct bb_file *bf = file->private_data;
	struct bb_buffer *buf;
	unsigned long id;

	/* Mapped buffers survive through their mapping files. */
	xa_for_each(&bf->bufs, id, buf) {
		xa_erase(&bf->bufs, id);
		bb_buffer_put(buf);
	}
	xa_destroy(&bf->bufs);
	kfree(bf);
	return 0;
}

static const struct file_operations bb_fops = {
	.owner = THIS_MODULE,
	.open = bb_open,
	.release = bb_release,
	.unlocked_ioctl = bb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = bb_mmap,
};

#define BB_STAT_ATTR(field)						\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *page)	\
{									\
	struct bigbuf_stats s;						\
									\
	bb_stats_snapshot(&s);						\
	return sysfs_emit(page, "%llu\n", s.field);			\
}									\
static DEVICE_ATTR_RO(field)

#define BB_STRATEGY_ATTR(name, idx)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *page)	\
{									\
	struct bigbuf_stats s;						\
									\
	bb_stats_snapshot(&s);						\
	return sysfs_emit(page, "%llu\n", s.by_strategy[idx]);		\
}									\
static DEVICE_ATTR_RO(name)

BB_STAT_ATTR(bytes_held);
BB_STAT_ATTR(buffers);
BB_STAT_ATTR(allocations);
BB_STAT_ATTR(failures);
BB_STAT_ATTR(frees);
BB_STAT_ATTR(pages_grabbed);
BB_STAT_ATTR(pages_returned);
BB_STAT_ATTR(peak_bytes_held);
BB_STRATEGY_ATTR(allocs_buddy, BIGBUF_STRATEGY_BUDDY);
BB_STRATEGY_ATTR(allocs_contig, BIGBUF_STRATEGY_CONTIG);
BB_STRATEGY_ATTR(allocs_grab, BIGBUF_STRATEGY_GRAB);
BB_STAT_ATTR(dev_maps);
BB_STAT_ATTR(dev_mapped_bytes);
BB_STAT_ATTR(dev_maps_total);

/* Of the CONTIG allocations, the ranges the kernel's own search found. */
static ssize_t contig_kernel_ranges_show(struct device *dev,
					 struct device_attribute *attr,
					 char *page)
{
	return sysfs_emit(page, "%lu\n", bb_contig_kernel_ranges());
}
static DEVICE_ATTR_RO(contig_kernel_ranges);

/*
 * Per user holding buffers: "<uid> <bytes>" lines.  Root only: who holds
 * how much is not for every user of the device.
 */
static ssize_t users_bytes_held_show(struct device *dev,
				     struct device_attribute *attr, char *page)
{
	return bb_acct_show(page);
}
static DEVICE_ATTR_ADMIN_RO(users_bytes_held);

/* Per PCI function: "<function> <mode> <mappings> <bytes>" lines. */
static ssize_t device_mappings_show(struct device *dev,
				    struct device_attribute *attr, char *page)
{
	return bb_devmap_show(page);
}
static DEVICE_ATTR_RO(device_mappings);

static struct attribute *bb_stats_attrs[] = {
	&dev_attr_bytes_held.attr,
	&dev_attr_buffers.attr,
	&dev_attr_allocations.attr,
	&dev_attr_failures.attr,
	&dev_attr_frees.attr,
	&dev_attr_pages_grabbed.attr,
	&dev_attr_pages_returned.attr,
	&dev_attr_peak_bytes_held.attr,
	&dev_attr_allocs_buddy.attr,
	&dev_attr_allocs_contig.attr,
	&dev_attr_allocs_grab.attr,
	&dev_attr_contig_kernel_ranges.attr,
	&dev_attr_dev_maps.attr,
	&dev_attr_dev_mapped_bytes.attr,
	&dev_attr_dev_maps_total.attr,
	&dev_attr_device_mappings.attr,
	&dev_attr_users_bytes_held.attr,
	NULL
};

static const struct attribute_group bb_stats_group = {
	.name = "stats",
	.attrs = bb_stats_attrs,
};

static ssize_t prealloc_phys_addr_show(struct device *dev,
				       struct device_attribute *attr,
				       char *page)
{
	return sysfs_emit(page, "%#llx\n",
			  bb_prealloc ? PFN_PHYS(bb_prealloc->pfn) : 0ULL);
}
/*
 * Root only: physical addresses are not for users who may not open the
 * device (the kernel hides PFNs in /proc/pid/pagemap from them too).
 */
static DEVICE_ATTR_ADMIN_RO(prealloc_phys_addr);

static ssize_t prealloc_size_show(struct device *dev,
				  struct device_attribute *attr, char *page)
{
	return sysfs_emit(page, "%llu\n", bb_prealloc ?
			  (u64)bb_prealloc->nr_pages << PAGE_SHIFT : 0ULL);
}
static DEVICE_ATTR_RO(prealloc_size);

static struct attribute *bb_dev_attrs[] = {
	&dev_attr_prealloc_phys_addr.attr,
	&dev_attr_prealloc_size.attr,
	NULL
};

static const struct attribute_group bb_dev_group = {
	.attrs = bb_dev_attrs,
};

static const struct attribute_group *bb_groups[] = {
	&bb_dev_group,
	&bb_stats_group,
	NULL
};

static struct miscdevice bb_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bigbuf",
	.fops = &bb_fops,
	.groups = bb_groups,
	.mode = 0600,
};

static int __init bb_prealloc_init(void)
{
	struct bigbuf_alloc a = { };
	struct bb_request req;
	struct bb_buffer *buf;
	char *end;
	int ret;

	if (!bb_prealloc_param || !*bb_prealloc_param)
		return 0;
	a.size = memparse(bb_prealloc_param, &end);
	if (*end && *end != '\n') {
		pr_err("size=%s: not a size\n", bb_prealloc_param);
		return -EINVAL;
	}
	ret = bb_make_alloc_request(&a, &req);
	if (ret)
		goto fail;
	/* Not charged: the module's own, taken at load by root. */
	buf = bb_buffer_create(&req, false, false);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		bb_stats_failure();
		goto fail;
	}
	buf->handed_out = true;
	bb_stats_handed_out(buf);
	bb_prealloc = buf;
	pr_info("preallocated %llu bytes at %#llx\n",
		(u64)buf->nr_pages << PAGE_SHIFT, PFN_PHYS(buf->pfn));
	return 0;

fail:
	pr_err("size=%s: preallocation failed (%d)\n", bb_prealloc_param, ret);
	return ret;
}

static int __init bb_init(void)
{
	int ret;

	ret = bb_prealloc_init();
	if (ret)
		return ret;
	ret = bb_devmap_init();
	if (ret)
		goto out_prealloc;
	ret = misc_register(&bb_misc);
	if (ret)
		goto out_devmap;
	return 0;

out_devmap:
	bb_devmap_exit();
out_prealloc:
	if (bb_prealloc)
		bb_buffer_put(bb_prealloc);
	return ret;
}

static void __exit bb_exit(void)
{
	misc_deregister(&bb_misc);
	bb_devmap_exit();
	if (bb_prealloc)
		bb_buffer_put(bb_prealloc);
}

module_init(bb_init);
module_exit(bb_exit);

MODULE_DESCRIPTION("Large physically contiguous buffers for device DMA");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
