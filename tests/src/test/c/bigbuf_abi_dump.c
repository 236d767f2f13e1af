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
	FIELD(bigbuf_query, pad);
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
	FIELD(bigbuf_stats, reserved);

	IOCTL(BIGBUF_IOC_ALLOC);
	IOCTL(BIGBUF_IOC_FREE);
	IOCTL(BIGBUF_IOC_INFO);
	IOCTL(BIGBUF_IOC_STATS);
	IOCTL(BIGBUF_IOC_QUERY);

	CONST(BIGBUF_ABI_VERSION);
	CONST(BIGBUF_IOC_MAGIC);
	CONST(BIGBUF_MMAP_SHIFT);
	CONST(BIGBUF_STRATEGY_AUTO);
	CONST(BIGBUF_STRATEGY_BUDDY);
	CONST(BIGBUF_STRATEGY_CONTIG);
	CONST(BIGBUF_STRATEGY_GRAB);
	CONST(BIGBUF_STRATEGY_COUNT);

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
	return 0;
}
