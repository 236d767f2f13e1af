// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf device mappings: a buffer made reachable by one PCI function
 * through the DMA API, with the address that function must use.
 *
 * Ownership of the function.  A mapping needs a struct device whose DMA
 * nobody else manages and which cannot disappear unnoticed.  So the first
 * mapping for a function binds it to a stub PCI driver, "bigbuf", that
 * owns DMA but requests no regions and enables nothing: userspace keeps
 * driving the function through sysfs (config, resource files), and the
 * driver core now tells us, through ->remove(), before the function is
 * removed or unbound.  The stub matches no device by itself (empty id
 * table); it is bound the way vfio-pci is, through driver_override, which
 * is set for the bind only.  It stays bound until it is unbound through
 * sysfs or the module is unloaded, so that no other driver can take over a
 * function whose addresses a userspace driver may still have programmed.
 * Binding uses the function's default IOMMU domain (the driver core
 * refuses when VFIO or similar owns its group).
 *
 * Mappings belong to their buffer: they go when the buffer is released,
 * on BIGBUF_IOC_UNMAP, and in ->remove() of their function.
 *
 * Locking: bb_devmap_lock (a mutex: DMA unmapping and IOMMU page-table
 * walks may sleep) guards every buffer's devmaps list and nr_devmaps, the
 * list of bound functions, their mapping lists and counters.  Mapping runs under the
 * function's device_lock (which also serialises ->probe/->remove), and
 * takes bb_devmap_lock inside it; nothing takes device_lock while holding
 * bb_devmap_lock.  bb_stats.lock nests inside bb_devmap_lock.
 * Invariant: a mapping on a list belongs to a function that is bound to
 * the stub (->remove() empties the lists of its function under the lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "bigbuf_internal.h"

/* Device mappings one buffer may have. */
#define BB_MAX_DEVMAPS_PER_BUF	16

/* Stride of the IOMMU page-table check of a mapping (see bb_devmap_verify()). */
#define BB_VERIFY_STRIDE	SZ_2M

/* Largest scatterlist segment for a physically contiguous buffer. */
#define BB_SG_SEGMENT		(1UL << 30)

#define BB_MIN_MASK_BITS	12

/**
 * struct bb_pci - a PCI function bound to the stub driver (drvdata)
 * @node:      in bb_pci_list
 * @maps:      its mappings (bb_devmap.pci_node)
 * @pdev:      the function (no extra reference: valid while bound)
 * @orig_mask: DMA mask before binding, restored on unbind
 * @orig_max_seg: largest DMA segment before binding, restored on unbind
 * @orig_seg_boundary: DMA segment boundary before binding, restored on unbind
 * @nr_maps:   device mappings of this function
 * @bytes:     bytes of those
 */
struct bb_pci {
	struct list_head node;
	struct list_head maps;
	struct pci_dev *pdev;
	u64 orig_mask;
	unsigned int orig_max_seg;
	unsigned long orig_seg_boundary;
	unsigned int nr_maps;
	u64 bytes;
};

/**
 * struct bb_devmap - one buffer mapped for one PCI function
 * @buf_node: in buf->devmaps
 * @pci_node: in pci->maps
 * @buf:      the buffer (its release removes the mapping first)
 * @pci:      the bound function
 * @sgt:      the buffer's pages, DMA-mapped for the function
 * @dir:      DMA direction of the mapping
 * @mode:     BIGBUF_DMA_*
 * @dev_addr: device address of byte 0
 */
struct bb_devmap {
	struct list_head buf_node;
	struct list_head pci_node;
	struct bb_buffer *buf;
	struct bb_pci *pci;
	struct sg_table sgt;
	enum dma_data_direction dir;
	unsigned int mode;
	dma_addr_t dev_addr;
};

static DEFINE_MUTEX(bb_devmap_lock);
static LIST_HEAD(bb_pci_list);

/* Serialises binds, each of which sets and clears a driver_override. */
static DEFINE_MUTEX(bb_claim_lock);

static struct pci_driver bb_pci_driver;

static u64 bb_buffer_bytes(const struct bb_buffer *buf)
{
	return (u64)buf->nr_pages << PAGE_SHIFT;
}

static void bb_stats_devmap(long maps, s64 bytes)
{
	spin_lock(&bb_stats.lock);
	bb_stats.s.dev_maps += maps;
	bb_stats.s.dev_mapped_bytes += bytes;
	if (maps > 0)
		bb_stats.s.dev_maps_total += maps;
	spin_unlock(&bb_stats.lock);
}

/**
 * bb_devmap_check - validate the device part of a request
 * @d:     the PCI function as given
 * @mask:  dma_mask as given (0 or 2^n - 1)
 * @flags: BIGBUF_MAP_* as given
 *
 * Return: 0, -EINVAL or -EPERM.
 */
int bb_devmap_check(const struct bigbuf_pci_dev *d, u64 mask, u32 flags)
{
	if (d->pad || d->slot >= 32 || d->func >= 8) {
		pr_debug("map: bad PCI address %04x:%02x:%02x.%x\n",
			 d->domain, d->bus, d->slot, d->func);
		return -EINVAL;
	}
	if (flags & ~BIGBUF_MAP_FLAGS_VALID) {
		pr_debug("map: bad flags %#x\n", flags);
		return -EINVAL;
	}
	/* A mask is all ones below some bit: mask + 1 is a power of two. */
	if (mask && ((mask & (mask + 1)) ||
		     fls64(mask) < BB_MIN_MASK_BITS)) {
		pr_debug("map: bad DMA mask %#llx\n", mask);
		return -EINVAL;
	}
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	return 0;
}

/*
 * How the function's DMA addresses relate to physical ones, or -EBUSY if
 * its current domain is not the kernel's DMA API domain (owned by VFIO or
 * another user, or blocking).
 */
static int bb_dma_mode(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (!domain)
		return BIGBUF_DMA_DIRECT;
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return BIGBUF_DMA_IDENTITY;
	if (iommu_is_dma_domain(domain))
		return BIGBUF_DMA_TRANSLATED;
	return -EBUSY;
}

static int bb_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct bb_pci *pci;

	pci = kzalloc_obj(*pci, GFP_KERNEL);
	if (!pci)
		return -ENOMEM;
	INIT_LIST_HEAD(&pci->maps);
	pci->pdev = pdev;
	pci->orig_mask = dma_get_mask(&pdev->dev);
	pci->orig_max_seg = dma_get_max_seg_size(&pdev->dev);
	pci->orig_seg_boundary = dma_get_seg_boundary(&pdev->dev);
	/*
	 * PCI core defaults (64 KiB segments within 4 GiB windows) describe
	 * a scatter-gather engine; the device's engine here is its driver in
	 * userspace, which takes one range per buffer.  Without lifting them
	 * an IOMMU would split the buffer's IOVA range at 4 GiB boundaries
	 * and DMA-API debugging reports every segment as oversized.
	 */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	dma_set_seg_boundary(&pdev->dev, ULONG_MAX);
	pci_set_drvdata(pdev, pci);
	mutex_lock(&bb_devmap_lock);
	list_add_tail(&pci->node, &bb_pci_list);
	mutex_unlock(&bb_devmap_lock);
	pci_info(pdev, "bound to bigbuf for userspace DMA\n");
	return 0;
}

/* Called with bb_devmap_lock held; frees @map. */
static void bb_devmap_destroy(struct bb_devmap *map)
{
	struct device *dev = &map->pci->pdev->dev;
	u64 bytes = bb_buffer_bytes(map->buf);

	lockdep_assert_held(&bb_devmap_lock);
	dma_unmap_sgtable(dev, &map->sgt, map->dir, DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(&map->sgt);
	list_del(&map->buf_node);
	list_del(&map->pci_node);
	map->buf->nr_devmaps--;
	map->pci->nr_maps--;
	map->pci->bytes -= bytes;
	bb_stats_devmap(-1, -(s64)bytes);
	pci_dev_put(map->pci->pdev);
	kfree(map);
}

/*
 * The function goes (unbind through sysfs, removal, module unload): tear
 * down every mapping for it before its DMA setup does.
 */
static void bb_pci_remove(struct pci_dev *pdev)
{
	struct bb_pci *pci = pci_get_drvdata(pdev);
	struct bb_devmap *map, *next;
	unsigned int unmapped;

	mutex_lock(&bb_devmap_lock);
	unmapped = pci->nr_maps;
	list_for_each_entry_safe(map, next, &pci->maps, pci_node)
		bb_devmap_destroy(map);
	list_del(&pci->node);
	mutex_unlock(&bb_devmap_lock);
	if (unmapped)
		pci_info(pdev, "unbound from bigbuf, %u buffer mapping(s) torn down\n",
			 unmapped);
	dma_set_mask(&pdev->dev, pci->orig_mask);
	dma_set_max_seg_size(&pdev->dev, pci->orig_max_seg);
	dma_set_seg_boundary(&pdev->dev, pci->orig_seg_boundary);
	pci_set_drvdata(pdev, NULL);
	kfree(pci);
}

static const struct pci_device_id bb_pci_ids[] = {
	{ }	/* bound through driver_override only */
};

static struct pci_driver bb_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = bb_pci_ids,
	.probe = bb_pci_probe,
	.remove = bb_pci_remove,
};

#ifdef BB_HAVE_DEVICE_DRIVER_OVERRIDE
/* 1: the override names the stub, 0: there is none, -1: another driver. */
static int bb_override_state(struct pci_dev *pdev)
{
	int match = device_match_driver_override(&pdev->dev,
						 &bb_pci_driver.driver);

	return match < 0 ? 0 : match ? 1 : -1;
}

static int bb_set_override(struct pci_dev *pdev, const char *name)
{
	return device_set_driver_override(&pdev->dev, name);
}
#else
/* Called with the device lock held, which guards pdev->driver_override. */
static int bb_override_state(struct pci_dev *pdev)
{
	if (!pdev->driver_override)
		return 0;
	return strcmp(pdev->driver_override, bb_pci_driver.name) ? -1 : 1;
}

/* driver_set_override() takes the device lock itself. */
static int bb_set_override(struct pci_dev *pdev, const char *name)
{
	return driver_set_override(&pdev->dev, &pdev->driver_override, name,
				   strlen(name));
}
#endif

/*
 * Bind the stub to a function without a driver.  Returns 0 if it is bound
 * to the stub now, -EBUSY if another driver has it, its driver_override
 * names another driver or its IOMMU group is owned by someone else,
 * -ENODEV if it is going away, -ENOMEM if binding ran out of memory.
 */
static int bb_pci_claim(struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	int override, ret;

	ret = mutex_lock_interruptible(&bb_claim_lock);
	if (ret)
		return ret;
	device_lock(dev);
	override = bb_override_state(pdev);
	if (dev->driver == &bb_pci_driver.driver)
		ret = 0;
	else if (dev->driver || override < 0)
		ret = -EBUSY;
	else
		ret = 1;
	device_unlock(dev);
	if (ret <= 0)
		goto out_unlock;

	/* The override is only for this bind: later probes match as usual. */
	if (!override) {
		ret = bb_set_override(pdev, bb_pci_driver.name);
		if (ret)
			goto out_unlock;
	}
	ret = device_driver_attach(&bb_pci_driver.driver, dev);
	if (!override)
		bb_set_override(pdev, "");
	/*
	 * Out of memory stays ENOMEM so that the caller may try again later;
	 * any other probe failure means the function cannot be ours now.
	 */
	if (ret && ret != -EBUSY && ret != -ENODEV && ret != -ENOMEM) {
		pr_debug("map: %s: binding the stub driver failed (%d)\n",
			 pci_name(pdev), ret);
		ret = -EBUSY;
	}
out_unlock:
	mutex_unlock(&bb_claim_lock);
	return ret;
}

/*
 * Whether the function can use @mask at all (the platform may need more
 * bits than a small mask has without an IOMMU).  Called with its device
 * lock held; the mask is put back.
 */
static bool bb_mask_usable(struct device *dev, u64 mask)
{
	u64 saved = dma_get_mask(dev);
	bool usable = !dma_set_mask(dev, mask);

	dma_set_mask(dev, saved);
	return usable;
}

/**
 * bb_devmap_get_pci - look a PCI function up and bind the stub to it
 * @d:    the function (validated by bb_devmap_check())
 * @mask: the address limit that will be asked for (0: the function's own)
 * @mode: set to its BIGBUF_DMA_* mode
 *
 * Return: a referenced pci_dev (pci_dev_put() it) or an ERR_PTR: -ENODEV,
 * -EBUSY, -EOPNOTSUPP (DMA not cache-coherent), -EINVAL (the function
 * cannot use @mask), -EINTR.
 */
struct pci_dev *bb_devmap_get_pci(const struct bigbuf_pci_dev *d, u64 mask,
				  unsigned int *mode)
{
	struct pci_dev *pdev;
	int ret;

	pdev = pci_get_domain_bus_and_slot(d->domain, d->bus,
					   PCI_DEVFN(d->slot, d->func));
	if (!pdev) {
		pr_debug("map: no PCI function %04x:%02x:%02x.%x\n",
			 d->domain, d->bus, d->slot, d->func);
		return ERR_PTR(-ENODEV);
	}
	/*
	 * The pages are mapped cached into userspace and never synced:
	 * only a cache-coherent function sees what the CPU wrote.
	 */
	if (!dev_is_dma_coherent(&pdev->dev)) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	ret = bb_pci_claim(pdev);
	if (ret) {
		pr_debug("map: %s is not available (%d)\n", pci_name(pdev), ret);
		goto out_put;
	}
	device_lock(&pdev->dev);
	ret = pdev->dev.driver == &bb_pci_driver.driver ?
	      bb_dma_mode(&pdev->dev) : -EBUSY;
	if (ret >= 0 && mask && !bb_mask_usable(&pdev->dev, mask)) {
		pr_debug("map: %s cannot use DMA mask %#llx\n", pci_name(pdev),
			 mask);
		ret = -EINVAL;
	}
	device_unlock(&pdev->dev);
	if (ret < 0)
		goto out_put;
	*mode = ret;
	return pdev;

out_put:
	pci_dev_put(pdev);
	return ERR_PTR(ret);
}

/* The buffer's pages as a scatterlist, merged where they are adjacent. */
static int bb_devmap_sgt(struct bb_buffer *buf, struct sg_table *sgt)
{
	unsigned long done = 0, n, per_seg = BB_SG_SEGMENT >> PAGE_SHIFT;
	struct scatterlist *sg;
	int ret;

	if (buf->pages)
		return sg_alloc_table_from_pages_segment(sgt, buf->pages,
				buf->nr_pages, 0, bb_buffer_bytes(buf),
				BB_SG_SEGMENT, GFP_KERNEL);
	ret = sg_alloc_table(sgt, DIV_ROUND_UP(buf->nr_pages, per_seg),
			     GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sgtable_sg(sgt, sg, n) {
		unsigned long pages = min(per_seg, buf->nr_pages - done);

		sg_set_page(sg, pfn_to_page(buf->pfn + done),
			    pages << PAGE_SHIFT, 0);
		done += pages;
	}
	return 0;
}

/*
 * Whether the function reaches exactly the buffer's pages at one range
 * [dev_addr, dev_addr + size) at or below @mask: every DMA segment follows
 * the previous one, and the buffer's pages are where the addresses say.
 * Without an IOMMU every segment must have the bus address of its own
 * pages (a bounce buffer would have another); behind one the IOMMU's page
 * table must translate each segment's first and last page and every page
 * at a 2 MiB boundary of the IOVA range to the buffer's page.  The DMA
 * layer maps a segment as a whole (and bounces one as a whole), so that
 * covers how it can go wrong, at a fraction of a check of every page.
 */
static bool bb_devmap_verify(struct bb_devmap *map, struct device *dev,
			     u64 mask)
{
	struct iommu_domain *domain = NULL;
	struct scatterlist *sg;
	dma_addr_t next = map->dev_addr, at;
	phys_addr_t phys;
	unsigned int n;
	u64 off, last;

	for_each_sgtable_dma_sg(&map->sgt, sg, n) {
		if (sg_dma_address(sg) != next)
			return false;
		next += sg_dma_len(sg);
	}
	if (next - map->dev_addr != bb_buffer_bytes(map->buf) ||
	    next - 1 > mask)
		return false;
	if (map->mode == BIGBUF_DMA_TRANSLATED) {
		domain = iommu_get_domain_for_dev(dev);
		if (!domain)
			return false;
	} else if (map->sgt.nents != map->sgt.orig_nents) {
		return false;	/* direct mapping never merges segments */
	}

	at = map->dev_addr;
	for_each_sgtable_sg(&map->sgt, sg, n) {
		phys = sg_phys(sg);
		last = sg->length - PAGE_SIZE;
		if (!domain) {
			if (sg_dma_address(sg) != at ||
			    at != phys_to_dma(dev, phys) ||
			    at + last != phys_to_dma(dev, phys + last))
				return false;
		} else {
			for (off = 0; off < last;
			     off = ALIGN(at + off + 1, BB_VERIFY_STRIDE) - at)
				if (iommu_iova_to_phys(domain, at + off) !=
				    phys + off)
					return false;
			if (iommu_iova_to_phys(domain, at + last) != phys + last)
				return false;
		}
		at += sg->length;
		cond_resched();
	}
	return true;
}

/**
 * bb_devmap_add - map a buffer for a function bound by bb_devmap_get_pci()
 * @buf:      the buffer (the caller holds a reference)
 * @pdev:     the function
 * @mask:     its address limit, 0 for its current DMA mask
 * @flags:    BIGBUF_MAP_*
 * @mode:     set to BIGBUF_DMA_*
 * @dev_addr: set to the device address of byte 0
 *
 * Return: 0 or the errno documented for BIGBUF_IOC_MAP.
 */
int bb_devmap_add(struct bb_buffer *buf, struct pci_dev *pdev, u64 mask,
		  u32 flags, unsigned int *mode, u64 *dev_addr)
{
	struct device *dev = &pdev->dev;
	struct bb_devmap *map, *other;
	struct bb_pci *pci;
	u64 saved_mask;
	int ret;

	map = kzalloc_obj(*map, GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->buf = buf;
	map->dir = flags & BIGBUF_MAP_DEVICE_READ_ONLY ? DMA_TO_DEVICE :
							 DMA_BIDIRECTIONAL;
	device_lock(dev);
	/* Unbound since bb_devmap_get_pci(): ->remove() ran, start over. */
	if (dev->driver != &bb_pci_driver.driver) {
		ret = -EBUSY;
		goto out_unlock;
	}
	pci = pci_get_drvdata(pdev);
	map->pci = pci;
	ret = bb_dma_mode(dev);
	if (ret < 0)
		goto out_unlock;
	map->mode = ret;
	if (!mask)
		mask = dma_get_mask(dev);
	if (buf->kind == BIGBUF_KIND_DEV_CONTIG &&
	    map->mode != BIGBUF_DMA_TRANSLATED) {
		pr_debug("map: %s does not translate, buffer is scattered\n",
			 pci_name(pdev));
		ret = -EXDEV;
		goto out_unlock;
	}
	if (map->mode != BIGBUF_DMA_TRANSLATED &&
	    phys_to_dma(dev, PFN_PHYS(buf->pfn + buf->nr_pages) - 1) > mask) {
		pr_debug("map: buffer at %#llx is beyond %s's mask %#llx\n",
			 PFN_PHYS(buf->pfn), pci_name(pdev), mask);
		ret = -ERANGE;
		goto out_unlock;
	}

	mutex_lock(&bb_devmap_lock);
	ret = 0;
	list_for_each_entry(other, &buf->devmaps, buf_node)
		if (other->pci == pci)
			ret = -EEXIST;
	if (!ret && buf->nr_devmaps >= BB_MAX_DEVMAPS_PER_BUF)
		ret = -ENOSPC;
	mutex_unlock(&bb_devmap_lock);
	if (ret)
		goto out_unlock;
	/*
	 * No room below a mask smaller than the buffer.  Said here: the IOVA
	 * caches (iova_rcache_get()) do not check such a limit and can hand
	 * out a range beyond it.
	 */
	if (map->mode == BIGBUF_DMA_TRANSLATED &&
	    bb_buffer_bytes(buf) - 1 > mask) {
		pr_debug("map: %llu bytes do not fit below %s's mask %#llx\n",
			 bb_buffer_bytes(buf), pci_name(pdev), mask);
		ret = -ENOMEM;
		goto out_unlock;
	}

	ret = bb_devmap_sgt(buf, &map->sgt);
	if (ret)
		goto out_unlock;
	/* The mask decides where the IOVA goes; the stub owns the DMA setup. */
	saved_mask = dma_get_mask(dev);
	ret = dma_set_mask(dev, mask);
	if (ret) {
		pr_debug("map: %s cannot use DMA mask %#llx\n", pci_name(pdev),
			 mask);
		ret = -EINVAL;
		goto out_sgt;
	}
	ret = dma_map_sgtable(dev, &map->sgt, map->dir, DMA_ATTR_SKIP_CPU_SYNC);
	dma_set_mask(dev, saved_mask);
	if (ret) {
		pr_debug("map: dma_map_sgtable for %s failed (%d)\n",
			 pci_name(pdev), ret);
		ret = -ENOMEM;
		goto out_sgt;
	}
	map->dev_addr = sg_dma_address(map->sgt.sgl);
	if (!bb_devmap_verify(map, dev, mask)) {
		/* Bounced, split or beyond the mask: not usable as one range. */
		pr_debug("map: %s: mapping at %#llx is not the buffer itself\n",
			 pci_name(pdev), (u64)map->dev_addr);
		ret = -ERANGE;
		goto out_dma;
	}

	pci_dev_get(pdev);
	mutex_lock(&bb_devmap_lock);
	list_add_tail(&map->buf_node, &buf->devmaps);
	list_add_tail(&map->pci_node, &pci->maps);
	buf->nr_devmaps++;
	pci->nr_maps++;
	pci->bytes += bb_buffer_bytes(buf);
	bb_stats_devmap(1, bb_buffer_bytes(buf));
	mutex_unlock(&bb_devmap_lock);
	device_unlock(dev);
	*mode = map->mode;
	*dev_addr = map->dev_addr;
	return 0;

out_dma:
	dma_unmap_sgtable(dev, &map->sgt, map->dir, DMA_ATTR_SKIP_CPU_SYNC);
out_sgt:
	sg_free_table(&map->sgt);
out_unlock:
	device_unlock(dev);
	kfree(map);
	return ret;
}

/**
 * bb_devmap_del - BIGBUF_IOC_UNMAP: drop the buffer's mapping for a function
 * @buf: the buffer (the caller holds a reference)
 * @d:   the function (validated)
 *
 * Return: 0 or -ENOENT (no such mapping).
 */
int bb_devmap_del(struct bb_buffer *buf, const struct bigbuf_pci_dev *d)
{
	struct bb_devmap *map;
	struct pci_dev *pdev;
	int ret = -ENOENT;

	mutex_lock(&bb_devmap_lock);
	list_for_each_entry(map, &buf->devmaps, buf_node) {
		pdev = map->pci->pdev;
		if (pci_domain_nr(pdev->bus) == d->domain &&
		    pdev->bus->number == d->bus &&
		    pdev->devfn == PCI_DEVFN(d->slot, d->func)) {
			bb_devmap_destroy(map);
			ret = 0;
			break;
		}
	}
	mutex_unlock(&bb_devmap_lock);
	return ret;
}

/**
 * bb_devmap_release - the buffer is being released: unmap it everywhere
 * @buf: the buffer, no longer reachable
 */
void bb_devmap_release(struct bb_buffer *buf)
{
	struct bb_devmap *map, *next;

	/* Always locked: ->remove() may be tearing one down right now. */
	mutex_lock(&bb_devmap_lock);
	list_for_each_entry_safe(map, next, &buf->devmaps, buf_node)
		bb_devmap_destroy(map);
	mutex_unlock(&bb_devmap_lock);
}

/**
 * bb_devmap_count - device mappings of a buffer
 * @buf: the buffer
 */
unsigned int bb_devmap_count(struct bb_buffer *buf)
{
	unsigned int n;

	mutex_lock(&bb_devmap_lock);
	n = buf->nr_devmaps;
	mutex_unlock(&bb_devmap_lock);
	return n;
}

static const char *const bb_mode_names[] = {
	[BIGBUF_DMA_DIRECT] = "direct",
	[BIGBUF_DMA_IDENTITY] = "identity",
	[BIGBUF_DMA_TRANSLATED] = "translated",
};

/**
 * bb_devmap_show - the sysfs table of bound functions and their mappings
 * @page: sysfs buffer
 *
 * One line per function bound to the stub: "<pci name> <mode> <mappings>
 * <bytes>".
 */
ssize_t bb_devmap_show(char *page)
{
	struct bb_pci *pci;
	ssize_t len = 0;
	int mode;

	mutex_lock(&bb_devmap_lock);
	list_for_each_entry(pci, &bb_pci_list, node) {
		mode = bb_dma_mode(&pci->pdev->dev);
		len += sysfs_emit_at(page, len, "%s %s %u %llu\n",
				     pci_name(pci->pdev),
				     mode < 0 ? "busy" : bb_mode_names[mode],
				     pci->nr_maps, pci->bytes);
	}
	mutex_unlock(&bb_devmap_lock);
	return len;
}

int bb_devmap_init(void)
{
	return pci_register_driver(&bb_pci_driver);
}

void bb_devmap_exit(void)
{
	pci_unregister_driver(&bb_pci_driver);
}
