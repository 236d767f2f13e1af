// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf_dmaref - benchmark baseline: mapping a buffer for a PCI function
 * with nothing around the DMA API call.
 *
 * BIGBUF_IOC_MAP maps a physically contiguous buffer for a function with
 * dma_map_sgtable() and then checks the result page by page.  This module
 * does the minimum a driver needs for the same pages and the same
 * function: one dma_map_page_attrs() of the whole range, and its
 * dma_unmap_page_attrs().  It takes the pages from a user mapping of the
 * buffer (pin_user_pages_fast(): bigbuf inserts them as normal pages) and
 * uses the function's struct device as it is, whichever driver it is bound
 * to, without changing its DMA mask.  Besides that baseline it times, one
 * at a time and on the same pages, the steps bigbuf adds, so that the
 * difference can be attributed (see bigbuf_dmaref.h).
 *
 * This module exists only to measure bigbuf against; it is not shipped.
 * It trusts its (root) caller: the function must not be driven by anyone
 * else while it is set up.
 */

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "bigbuf_dmaref.h"

/* Pages between cond_resched() calls while verifying, as in bigbuf. */
#define DMAREF_VERIFY_RESCHED	1024

#define DMAREF_DIR	DMA_BIDIRECTIONAL
#define DMAREF_ATTRS	DMA_ATTR_SKIP_CPU_SYNC

struct dmaref_file {
	struct mutex lock;	/* serialises ioctls on this file */
	struct pci_dev *pdev;	/* NULL: not set up */
	struct page **pages;
	unsigned long nr_pages;
	unsigned int mode;
	dma_addr_t page_addr;	/* MAP_PAGE mapping, if page_mapped */
	bool page_mapped;
	struct sg_table sgt;	/* MAP_SG mapping, if sg_mapped */
	bool sg_mapped;
};

static size_t dmaref_bytes(const struct dmaref_file *f)
{
	return (size_t)f->nr_pages << PAGE_SHIFT;
}

static int dmaref_mode(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (!domain)
		return DMAREF_MODE_DIRECT;
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return DMAREF_MODE_IDENTITY;
	if (iommu_is_dma_domain(domain))
		return DMAREF_MODE_TRANSLATED;
	return -EBUSY;
}

static void dmaref_unmap_all(struct dmaref_file *f)
{
	struct device *dev = &f->pdev->dev;

	if (f->page_mapped)
		dma_unmap_page_attrs(dev, f->page_addr, dmaref_bytes(f),
				     DMAREF_DIR, DMAREF_ATTRS);
	f->page_mapped = false;
	if (f->sg_mapped) {
		dma_unmap_sgtable(dev, &f->sgt, DMAREF_DIR, DMAREF_ATTRS);
		sg_free_table(&f->sgt);
	}
	f->sg_mapped = false;
}

static void dmaref_release_setup(struct dmaref_file *f)
{
	if (!f->pdev)
		return;
	dmaref_unmap_all(f);
	unpin_user_pages(f->pages, f->nr_pages);
	kvfree(f->pages);
	f->pages = NULL;
	f->nr_pages = 0;
	pci_dev_put(f->pdev);
	f->pdev = NULL;
}

static int dmaref_pin(struct dmaref_file *f, unsigned long addr)
{
	unsigned long done = 0, pfn;
	int n;

	while (done < f->nr_pages) {
		n = pin_user_pages_fast(addr + (done << PAGE_SHIFT),
					min_t(unsigned long, f->nr_pages - done,
					      INT_MAX),
					FOLL_WRITE, f->pages + done);
		if (n <= 0) {
			unpin_user_pages(f->pages, done);
			return n ? n : -EFAULT;
		}
		done += n;
	}
	pfn = page_to_pfn(f->pages[0]);
	for (done = 1; done < f->nr_pages; done++)
		if (page_to_pfn(f->pages[done]) != pfn + done) {
			unpin_user_pages(f->pages, f->nr_pages);
			return -EINVAL;
		}
	return 0;
}

static long dmaref_ioctl_setup(struct dmaref_file *f,
			       struct dmaref_setup __user *uarg)
{
	struct dmaref_setup s;
	struct pci_dev *pdev;
	int ret;

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	if (s.abi_version != DMAREF_ABI_VERSION || s.pad || !s.size ||
	    !PAGE_ALIGNED(s.size) || !PAGE_ALIGNED(s.addr) ||
	    s.slot >= 32 || s.func >= 8 ||
	    s.size > ((u64)totalram_pages() << PAGE_SHIFT))
		return -EINVAL;
	if (f->pdev)
		return -EBUSY;
	pdev = pci_get_domain_bus_and_slot(s.domain, s.bus,
					   PCI_DEVFN(s.slot, s.func));
	if (!pdev)
		return -ENODEV;
	ret = dmaref_mode(&pdev->dev);
	if (ret < 0)
		goto out_put;
	f->mode = ret;
	f->nr_pages = s.size >> PAGE_SHIFT;
	f->pages = kvmalloc_array(f->nr_pages, sizeof(*f->pages), GFP_KERNEL);
	if (!f->pages) {
		ret = -ENOMEM;
		goto out_put;
	}
	ret = dmaref_pin(f, s.addr);
	if (ret)
		goto out_free;
	f->pdev = pdev;
	s.mode = f->mode;
	s.phys_addr = page_to_phys(f->pages[0]);
	s.dma_mask = dma_get_mask(&pdev->dev);
	if (copy_to_user(uarg, &s, sizeof(s))) {
		dmaref_release_setup(f);
		return -EFAULT;
	}
	return 0;

out_free:
	kvfree(f->pages);
	f->pages = NULL;
	f->nr_pages = 0;
out_put:
	pci_dev_put(pdev);
	return ret;
}

/* bigbuf's bb_devmap_verify() loop, for the mapping at @addr. */
static bool dmaref_verify(struct dmaref_file *f, dma_addr_t addr)
{
	struct device *dev = &f->pdev->dev;
	struct iommu_domain *domain = NULL;
	unsigned long i;

	if (f->mode == DMAREF_MODE_TRANSLATED) {
		domain = iommu_get_domain_for_dev(dev);
		if (!domain)
			return false;
	}
	for (i = 0; i < f->nr_pages; i++) {
		dma_addr_t a = addr + ((dma_addr_t)i << PAGE_SHIFT);
		phys_addr_t phys = page_to_phys(f->pages[i]);

		if (domain ? iommu_iova_to_phys(domain, a) != phys :
			     a != phys_to_dma(dev, phys))
			return false;
		if (!((i + 1) % DMAREF_VERIFY_RESCHED))
			cond_resched();
	}
	return true;
}

static int dmaref_step(struct dmaref_file *f, struct dmaref_op *o)
{
	struct device *dev = &f->pdev->dev;
	size_t size = dmaref_bytes(f);
	struct sg_table sgt;
	u64 t0, mask;
	int ret = 0;

	o->ok = 1;
	switch (o->op) {
	case DMAREF_OP_MAP_PAGE:
		if (f->page_mapped || f->sg_mapped)
			return -EINVAL;
		t0 = ktime_get_ns();
		f->page_addr = dma_map_page_attrs(dev, f->pages[0], 0, size,
						  DMAREF_DIR, DMAREF_ATTRS);
		o->kernel_ns = ktime_get_ns() - t0;
		if (dma_mapping_error(dev, f->page_addr))
			return -ENOMEM;
		f->page_mapped = true;
		o->dma_addr = f->page_addr;
		break;
	case DMAREF_OP_UNMAP_PAGE:
		if (!f->page_mapped)
			return -EINVAL;
		t0 = ktime_get_ns();
		dma_unmap_page_attrs(dev, f->page_addr, size, DMAREF_DIR,
				     DMAREF_ATTRS);
		o->kernel_ns = ktime_get_ns() - t0;
		f->page_mapped = false;
		break;
	case DMAREF_OP_MAP_SG:
		if (f->page_mapped || f->sg_mapped)
			return -EINVAL;
		ret = sg_alloc_table(&f->sgt, 1, GFP_KERNEL);
		if (ret)
			return ret;
		sg_set_page(f->sgt.sgl, f->pages[0], size, 0);
		t0 = ktime_get_ns();
		ret = dma_map_sgtable(dev, &f->sgt, DMAREF_DIR, DMAREF_ATTRS);
		o->kernel_ns = ktime_get_ns() - t0;
		if (ret) {
			sg_free_table(&f->sgt);
			return -ENOMEM;
		}
		f->sg_mapped = true;
		o->dma_addr = sg_dma_address(f->sgt.sgl);
		break;
	case DMAREF_OP_UNMAP_SG:
		if (!f->sg_mapped)
			return -EINVAL;
		t0 = ktime_get_ns();
		dma_unmap_sgtable(dev, &f->sgt, DMAREF_DIR, DMAREF_ATTRS);
		o->kernel_ns = ktime_get_ns() - t0;
		sg_free_table(&f->sgt);
		f->sg_mapped = false;
		break;
	case DMAREF_OP_SG_BUILD:
		t0 = ktime_get_ns();
		ret = sg_alloc_table(&sgt, 1, GFP_KERNEL);
		if (!ret) {
			sg_set_page(sgt.sgl, f->pages[0], size, 0);
			sg_free_table(&sgt);
		}
		o->kernel_ns = ktime_get_ns() - t0;
		break;
	case DMAREF_OP_VERIFY:
		if (!f->page_mapped && !f->sg_mapped)
			return -EINVAL;
		t0 = ktime_get_ns();
		o->ok = dmaref_verify(f, f->page_mapped ? f->page_addr :
				      sg_dma_address(f->sgt.sgl));
		o->kernel_ns = ktime_get_ns() - t0;
		break;
	case DMAREF_OP_MASK:
		t0 = ktime_get_ns();
		mask = dma_get_mask(dev);
		ret = dma_set_mask(dev, mask);
		if (!ret)
			ret = dma_set_mask(dev, mask);
		o->kernel_ns = ktime_get_ns() - t0;
		break;
	default:
		return -EINVAL;
	}
	return ret;
}

static long dmaref_ioctl_op(struct dmaref_file *f, struct dmaref_op __user *uarg)
{
	struct dmaref_op o;
	int ret;

	if (copy_from_user(&o, uarg, sizeof(o)))
		return -EFAULT;
	if (!f->pdev)
		return -ENOENT;
	o.dma_addr = 0;
	o.kernel_ns = 0;
	ret = dmaref_step(f, &o);
	if (ret)
		return ret;
	return copy_to_user(uarg, &o, sizeof(o)) ? -EFAULT : 0;
}

static long dmaref_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct dmaref_file *f = file->private_data;
	long ret;

	mutex_lock(&f->lock);
	switch (cmd) {
	case DMAREF_IOC_SETUP:
		ret = dmaref_ioctl_setup(f, (void __user *)arg);
		break;
	case DMAREF_IOC_OP:
		ret = dmaref_ioctl_op(f, (void __user *)arg);
		break;
	case DMAREF_IOC_RELEASE:
		ret = f->pdev ? 0 : -ENOENT;
		dmaref_release_setup(f);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int dmaref_open(struct inode *inode, struct file *file)
{
	struct dmaref_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int dmaref_release(struct inode *inode, struct file *file)
{
	struct dmaref_file *f = file->private_data;

	dmaref_release_setup(f);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations dmaref_fops = {
	.owner = THIS_MODULE,
	.open = dmaref_open,
	.release = dmaref_release,
	.unlocked_ioctl = dmaref_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dmaref_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bigbuf_dmaref",
	.fops = &dmaref_fops,
	.mode = 0600,
};

module_misc_device(dmaref_misc);

MODULE_DESCRIPTION("bigbuf benchmark baseline: DMA API mapping of a buffer for a PCI function");
MODULE_AUTHOR("bigbuf developers");
MODULE_LICENSE("GPL");
