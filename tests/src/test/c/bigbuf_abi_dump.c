// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the userspace ABI of /dev/bigbuf as the C compiler sees it in
 * kmod/include/uapi/linux/bigbuf.h: every struct's size, every member's offset
 * and size, every ioctl number and constant, and the errno values the Java
 * backend names.  io.bigbuf.kmod.abi.AbiLayoutTest compiles this file with gcc,
 * runs it and compares each line with the Java mirror (BigbufAbi, Errno),
 * so the two cannot drift apart.
 *
 * Output lines, one fact each:
 *   struct <name> <sizeof>
 *   field <struct>.<member> <offsetof> <sizeof>
 *   ioctl <NAME> 0x<number>
 *   const <NAME> <value>
 *   errno <NAME> <value>
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include <linux/bigbuf.h>

#define STRUCT(s) printf("struct %s %zu\n", #s, sizeof(struct s))
#define FIELD(s, m) printf("field %s.%s %zu %zu\n", #s, #m, \
			   offsetof(struct s, m), sizeof(((struct s *)0)->m))
#define IOCTL(n) printf("ioctl %s 0x%lx\n", #n, (unsigned long)(n))
#define CONST(n) printf("const %s %llu\n", #n, (unsigned long long)(n))
#define ERRNO(n) printf("errno %s %d\n", #n, n)

int main(void)
{
	STRUCT(bigbuf_alloc);
	FIELD(bigbuf_alloc, size);
	FIELD(bigbuf_alloc, align);
	FIELD(bigbuf_alloc, max_addr);
	FIELD(bigbuf_alloc, flags);
	FIELD(bigbuf_alloc, strategy);
	FIELD(bigbuf_alloc, id);
	FIELD(bigbuf_alloc, phys_addr);
	FIELD(bigbuf_alloc, mmap_offset);
	FIELD(bigbuf_alloc, actual_size);
	FIELD(bigbuf_alloc, reserved);

	STRUCT(bigbuf_free);
	FIELD(bigbuf_free, id);
	FIELD(bigbuf_free, reserved);

	STRUCT(bigbuf_query);
	FIELD(bigbuf_query, id);
	FIELD(bigbuf_query, phys_addr);
	FIELD(bigbuf_query, mmap_offset);
	FIELD(bigbuf_query, size);
	FIELD(bigbuf_query, strategy);
	FIELD(bigbuf_query, kind);
	FIELD(bigbuf_query, node);
	FIELD(bigbuf_query, dev_maps);
	FIELD(bigbuf_query, reserved);

	STRUCT(bigbuf_info);
	FIELD(bigbuf_info, abi_version);
	FIELD(bigbuf_info, page_size);
	FIELD(bigbuf_info, max_order);
	FIELD(bigbuf_info, strategies);
	FIELD(bigbuf_info, max_alloc_size);
	FIELD(bigbuf_info, grab_cap_bytes);
	FIELD(bigbuf_info, total_ram);
	FIELD(bigbuf_info, free_ram);
	FIELD(bigbuf_info, max_align);
	FIELD(bigbuf_info, features);
	FIELD(bigbuf_info, nr_nodes);
	FIELD(bigbuf_info, pad);
	FIELD(bigbuf_info, reserved);

	STRUCT(bigbuf_stats);
	FIELD(bigbuf_stats, bytes_held);
	FIELD(bigbuf_stats, buffers);
	FIELD(bigbuf_stats, allocations);
	FIELD(bigbuf_stats, failures);
	FIELD(bigbuf_stats, frees);
	FIELD(bigbuf_stats, pages_grabbed);
	FIELD(bigbuf_stats, pages_returned);
	FIELD(bigbuf_stats, peak_bytes_held);
	FIELD(bigbuf_stats, by_strategy);
	FIELD(bigbuf_stats, dev_maps);
	FIELD(bigbuf_stats, dev_mapped_bytes);
	FIELD(bigbuf_stats, dev_maps_total);
	FIELD(bigbuf_stats, reserved);

	STRUCT(bigbuf_pci_dev);
	FIELD(bigbuf_pci_dev, domain);
	FIELD(bigbuf_pci_dev, bus);
	FIELD(bigbuf_pci_dev, slot);
	FIELD(bigbuf_pci_dev, func);
	FIELD(bigbuf_pci_dev, pad);

	STRUCT(bigbuf_map);
	FIELD(bigbuf_map, id);
	FIELD(bigbuf_map, addr);
	FIELD(bigbuf_map, dev);
	FIELD(bigbuf_map, dma_mask);
	FIELD(bigbuf_map, flags);
	FIELD(bigbuf_map, mode);
	FIELD(bigbuf_map, dev_addr);
	FIELD(bigbuf_map, reserved);

	STRUCT(bigbuf_unmap);
	FIELD(bigbuf_unmap, id);
	FIELD(bigbuf_unmap, addr);
	FIELD(bigbuf_unmap, dev);
	FIELD(bigbuf_unmap, reserved);

	STRUCT(bigbuf_alloc_ext);
	FIELD(bigbuf_alloc_ext, size);
	FIELD(bigbuf_alloc_ext, align);
	FIELD(bigbuf_alloc_ext, max_addr);
	FIELD(bigbuf_alloc_ext, flags);
	FIELD(bigbuf_alloc_ext, strategy);
	FIELD(bigbuf_alloc_ext, id);
	FIELD(bigbuf_alloc_ext, phys_addr);
	FIELD(bigbuf_alloc_ext, mmap_offset);
	FIELD(bigbuf_alloc_ext, actual_size);
	FIELD(bigbuf_alloc_ext, node);
	FIELD(bigbuf_alloc_ext, map_flags);
	FIELD(bigbuf_alloc_ext, dev);
	FIELD(bigbuf_alloc_ext, kind);
	FIELD(bigbuf_alloc_ext, mode);
	FIELD(bigbuf_alloc_ext, dev_addr);
	FIELD(bigbuf_alloc_ext, reserved);

	STRUCT(bigbuf_memmap);
	FIELD(bigbuf_memmap, start_pfn);
	FIELD(bigbuf_memmap, end_pfn);
	FIELD(bigbuf_memmap, states);
	FIELD(bigbuf_memmap, nr_blocks);
	FIELD(bigbuf_memmap, block_pages);
	FIELD(bigbuf_memmap, flags);
	FIELD(bigbuf_memmap, pad);
	FIELD(bigbuf_memmap, reserved);

	IOCTL(BIGBUF_IOC_ALLOC);
	IOCTL(BIGBUF_IOC_FREE);
	IOCTL(BIGBUF_IOC_INFO);
	IOCTL(BIGBUF_IOC_STATS);
	IOCTL(BIGBUF_IOC_QUERY);
	IOCTL(BIGBUF_IOC_MAP);
	IOCTL(BIGBUF_IOC_UNMAP);
	IOCTL(BIGBUF_IOC_ALLOC_EXT);
	IOCTL(BIGBUF_IOC_MEMMAP);

	CONST(BIGBUF_ABI_VERSION);
	CONST(BIGBUF_IOC_MAGIC);
	CONST(BIGBUF_MMAP_SHIFT);
	CONST(BIGBUF_STRATEGY_AUTO);
	CONST(BIGBUF_STRATEGY_BUDDY);
	CONST(BIGBUF_STRATEGY_CONTIG);
	CONST(BIGBUF_STRATEGY_GRAB);
	CONST(BIGBUF_STRATEGY_COUNT);
	CONST(BIGBUF_ALLOC_DEVICE);
	CONST(BIGBUF_ALLOC_SCATTER);
	CONST(BIGBUF_ALLOC_NODE_STRICT);
	CONST(BIGBUF_NODE_ANY);
	CONST(BIGBUF_KIND_PHYS_CONTIG);
	CONST(BIGBUF_KIND_DEV_CONTIG);
	CONST(BIGBUF_DMA_DIRECT);
	CONST(BIGBUF_DMA_IDENTITY);
	CONST(BIGBUF_DMA_TRANSLATED);
	CONST(BIGBUF_MAP_DEVICE_READ_ONLY);
	CONST(BIGBUF_FEATURE_DEVICE_MAP);
	CONST(BIGBUF_FEATURE_NUMA);
	CONST(BIGBUF_FEATURE_MEMMAP);
	CONST(BIGBUF_BLOCK_HOLE);
	CONST(BIGBUF_BLOCK_FREE);
	CONST(BIGBUF_BLOCK_MOVABLE);
	CONST(BIGBUF_BLOCK_UNMOVABLE);
	CONST(BIGBUF_BLOCK_BUFFER);
	CONST(BIGBUF_MEMMAP_MAX_BLOCKS);

	ERRNO(EPERM);
	ERRNO(ENOENT);
	ERRNO(EINTR);
	ERRNO(EIO);
	ERRNO(ENXIO);
	ERRNO(EBADF);
	ERRNO(EAGAIN);
	ERRNO(ENOMEM);
	ERRNO(EACCES);
	ERRNO(EFAULT);
	ERRNO(EBUSY);
	ERRNO(EEXIST);
	ERRNO(EXDEV);
	ERRNO(ENODEV);
	ERRNO(EINVAL);
	ERRNO(ENFILE);
	ERRNO(EMFILE);
	ERRNO(ENOTTY);
	ERRNO(ENOSPC);
	ERRNO(EROFS);
	ERRNO(ERANGE);
	ERRNO(ENOSYS);
	ERRNO(EOVERFLOW);
	ERRNO(EOPNOTSUPP);
	ERRNO(EDQUOT);
	return 0;
}
