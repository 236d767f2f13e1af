// SPDX-License-Identifier: GPL-2.0
/*
 * Functional tests of /dev/bigbuf, run as root in a guest with the module
 * loaded and no other user.  Usage: bigbuf_test [-v] [--dev PATH | PATH]
 * [test...] (or bigbuf_test [PATH] --hold-mapping, see hold_mapping());
 * device also from $BIGBUF_DEV, default /dev/bigbuf.  The runner is the
 * test library's (lib/bbtest.h): one line per test, "N passed, N failed";
 * exits 1 if any test failed or left the module holding more than before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bbtest.h"

#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)
#define FULL_CHECK_LIMIT	(1 * MiB)	/* zero-check every byte below */
#define NR_THREADS		8
#define THREAD_ITERS		25
#define SYSFS_STATS		"/sys/class/misc/bigbuf/stats/"
#define MAP_SENTINEL		0xa5	/* no BIGBUF_BLOCK_* value */
#define NOBODY_UID		65534

_Static_assert(sizeof(struct bigbuf_alloc) == 80, "bigbuf_alloc layout");
_Static_assert(sizeof(struct bigbuf_free) == 16, "bigbuf_free layout");
_Static_assert(sizeof(struct bigbuf_query) == 56, "bigbuf_query layout");
_Static_assert(sizeof(struct bigbuf_info) == 80, "bigbuf_info layout");
_Static_assert(sizeof(struct bigbuf_stats) == 128, "bigbuf_stats layout");
_Static_assert(sizeof(struct bigbuf_memmap) == 56, "bigbuf_memmap layout");

static void *map(int fd, const struct bigbuf_alloc *a)
{
	void *p = mmap(NULL, a->actual_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, a->mmap_offset);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Check with /proc/self/pagemap that [p, p + len) is backed by consecutive
 * page frames starting at phys.  Returns the number of bad pages.
 */
static size_t check_pagemap(const void *p, size_t len, uint64_t phys)
{
	size_t pages = len / bbt_page, i, bad = 0, n;
	uint64_t buf[512];
	int pm = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (uintptr_t)p / bbt_page * sizeof(uint64_t);

	if (pm < 0) {
		perror("pagemap");
		return pages;
	}
	for (i = 0; i < pages; i += n) {
		size_t k;

		n = pages - i < 512 ? pages - i : 512;
		if (pread(pm, buf, n * 8, off + i * 8) != (ssize_t)(n * 8)) {
			bad += pages - i;
			break;
		}
		for (k = 0; k < n; k++) {
			uint64_t want = phys / bbt_page + i + k;

			if (!(buf[k] & PM_PRESENT) ||
			    (buf[k] & PM_PFN_MASK) != want) {
				if (!bad)
					fprintf(stderr,
						"    page %zu: pagemap %#" PRIx64 ", want pfn %#" PRIx64 "\n",
						i + k, buf[k], want);
				bad++;
			}
		}
	}
	close(pm);
	return bad;
}

/* Zero check: every byte of small buffers, both ends of each page else. */
static bool is_zero(const unsigned char *p, size_t len)
{
	size_t i, j, edge = 64;

	if (len <= FULL_CHECK_LIMIT) {
		for (i = 0; i < len; i++)
			if (p[i])
				return false;
		return true;
	}
	for (i = 0; i < len; i += bbt_page)
		for (j = 0; j < edge; j++)
			if (p[i + j] || p[i + bbt_page - 1 - j])
				return false;
	return true;
}

/* Touch every page once: tag it, then verify all tags. */
static bool tag_pages(unsigned char *p, size_t len, uint64_t tag)
{
	size_t i;

	for (i = 0; i < len; i += bbt_page)
		*(volatile uint64_t *)(p + i) = tag ^ i;
	for (i = 0; i < len; i += bbt_page)
		if (*(volatile uint64_t *)(p + i) != (tag ^ i))
			return false;
	return true;
}

static const char *strategy_name(uint32_t s)
{
	static const char *const names[] = { "auto", "buddy", "contig", "grab" };

	return s < BIGBUF_STRATEGY_COUNT ? names[s] : "?";
}

/* Allocate, check everything observable about the buffer, free it. */
static void check_buffer(int fd, uint64_t size, uint64_t align,
			 uint64_t max_addr, uint32_t flags, bool may_enomem)
{
	struct bigbuf_alloc a;
	struct bigbuf_query q = { 0 };
	uint64_t want = (size + bbt_page - 1) / bbt_page * bbt_page;
	double t = bbt_now();
	unsigned char *p;

	if (bbt_alloc(fd, size, align, max_addr, flags, &a)) {
		if (may_enomem && errno == ENOMEM) {
			bbt_note("size %llu align %llu max %#llx %s: ENOMEM (allowed)\n",
			     (unsigned long long)size, (unsigned long long)align,
			     (unsigned long long)max_addr,
			     strategy_name(flags & BIGBUF_STRATEGY_MASK));
			return;
		}
		bbt_fail(__FILE__, __LINE__, "alloc size %llu align %llu max %#llx flags %#x: %s",
		     (unsigned long long)size, (unsigned long long)align,
		     (unsigned long long)max_addr, flags, strerror(errno));
		return;
	}
	bbt_note("size %llu align %llu max %#llx: %s phys %#llx in %.3f s\n",
	     (unsigned long long)size, (unsigned long long)align,
	     (unsigned long long)max_addr, strategy_name(a.strategy),
	     (unsigned long long)a.phys_addr, bbt_now() - t);
	CHECK(a.id != 0);
	CHECK(a.actual_size == want, "%llu", (unsigned long long)a.actual_size);
	CHECK(a.phys_addr % bbt_page == 0);
	CHECK(!align || a.phys_addr % align == 0, "phys %#llx align %#llx",
	      (unsigned long long)a.phys_addr, (unsigned long long)align);
	CHECK(!max_addr || a.phys_addr + a.actual_size - 1 <= max_addr,
	      "phys %#llx", (unsigned long long)a.phys_addr);
	CHECK(a.strategy >= BIGBUF_STRATEGY_BUDDY &&
	      a.strategy < BIGBUF_STRATEGY_COUNT);
	if (flags & BIGBUF_STRATEGY_MASK)
		CHECK(a.strategy == (flags & BIGBUF_STRATEGY_MASK),
		      "got %u", a.strategy);
	CHECK(a.mmap_offset == a.id << BIGBUF_MMAP_SHIFT);

	q.id = a.id;
	CHECK(ioctl(fd, BIGBUF_IOC_QUERY, &q) == 0);
	CHECK(q.phys_addr == a.phys_addr && q.size == a.actual_size &&
	      q.mmap_offset == a.mmap_offset && q.strategy == a.strategy);

	p = map(fd, &a);
	CHECK(p != NULL, "mmap: %s", strerror(errno));
	if (p) {
		CHECK(check_pagemap(p, a.actual_size, a.phys_addr) == 0,
		      "size %llu not contiguous at phys", (unsigned long long)size);
		CHECK(is_zero(p, a.actual_size), "not zeroed");
		CHECK(tag_pages(p, a.actual_size, a.phys_addr));
		CHECK(munmap(p, a.actual_size) == 0);
	}
	CHECK(bbt_free(fd, a.id) == 0, "%s", strerror(errno));
}

/* The file most tests allocate on, open for the whole run. */
static int g_fd = -1;

static void open_global_fd(void)
{
	g_fd = bbt_open();
}

static void t_info(void)
{
	struct bigbuf_info i;

	CHECK(ioctl(g_fd, BIGBUF_IOC_INFO, &i) == 0);
	CHECK(i.abi_version == BIGBUF_ABI_VERSION);
	CHECK(i.page_size == (uint32_t)bbt_page);
	CHECK(i.max_order >= 9 && i.max_order < 20, "%u", i.max_order);
	CHECK(i.strategies & (1U << BIGBUF_STRATEGY_BUDDY));
	CHECK(i.strategies & (1U << BIGBUF_STRATEGY_GRAB));
	CHECK(!(i.strategies & 1U << BIGBUF_STRATEGY_AUTO));
	CHECK(i.total_ram > 0 && i.free_ram <= i.total_ram);
	CHECK(i.max_alloc_size > 0 && i.max_alloc_size <= i.total_ram);
	CHECK(i.grab_cap_bytes > 0 && i.grab_cap_bytes <= i.total_ram);
	CHECK(i.max_align >= MiB && !(i.max_align & (i.max_align - 1)));
	CHECK(!i.reserved && !i.pad);
	CHECK(!(i.features & ~(BIGBUF_FEATURE_DEVICE_MAP | BIGBUF_FEATURE_NUMA |
			       BIGBUF_FEATURE_MEMMAP)),
	      "unknown feature bits %#llx", (unsigned long long)i.features);
	CHECK(i.features & BIGBUF_FEATURE_MEMMAP);
	CHECK(i.nr_nodes >= 1);
	bbt_note("max_order %u strategies %#x total %llu MiB free %llu MiB cap %llu MiB\n",
	     i.max_order, i.strategies, (unsigned long long)(i.total_ram / MiB),
	     (unsigned long long)(i.free_ram / MiB),
	     (unsigned long long)(i.grab_cap_bytes / MiB));
}

static void t_sizes(void)
{
	static const uint64_t sizes[] = {
		1, 4 * KiB, 8 * KiB, 12 * KiB, 64 * KiB, MiB + 4 * KiB,
		4 * MiB, 8 * MiB, 16 * MiB + 4 * KiB, 64 * MiB,
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(sizes); i++)
		check_buffer(g_fd, sizes[i], 0, 0, BIGBUF_STRATEGY_AUTO, false);
}

static void t_strategies(void)
{
	struct bigbuf_alloc a;
	uint64_t max_buddy = (uint64_t)bbt_page << bbt_info.max_order;

	check_buffer(g_fd, 12 * KiB, 0, 0, BIGBUF_STRATEGY_BUDDY, false);
	check_buffer(g_fd, max_buddy, 0, 0, BIGBUF_STRATEGY_BUDDY, false);
	/* AUTO picks the buddy allocator for what fits one block. */
	CHECK(bbt_alloc(g_fd, 64 * KiB, 0, 0, 0, &a) == 0);
	CHECK(a.strategy == BIGBUF_STRATEGY_BUDDY);
	CHECK(bbt_free(g_fd, a.id) == 0);
	CHECK_ERR(bbt_alloc(g_fd, max_buddy + bbt_page, 0, 0,
			   BIGBUF_STRATEGY_BUDDY, &a), ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 2 * max_buddy, 0,
			   BIGBUF_STRATEGY_BUDDY, &a), ENOMEM);
	if (bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG)) {
		check_buffer(g_fd, 16 * MiB, 0, 0, BIGBUF_STRATEGY_CONTIG, false);
		check_buffer(g_fd, 12 * KiB, 0, 0, BIGBUF_STRATEGY_CONTIG, false);
		/* AUTO prefers migration over grabbing for large buffers. */
		CHECK(bbt_alloc(g_fd, 8 * MiB, 0, 0, 0, &a) == 0);
		CHECK(a.strategy == BIGBUF_STRATEGY_CONTIG, "got %u", a.strategy);
		CHECK(bbt_free(g_fd, a.id) == 0);
	} else {
		CHECK_ERR(bbt_alloc(g_fd, MiB, 0, 0, BIGBUF_STRATEGY_CONTIG, &a),
			  EOPNOTSUPP);
	}
	check_buffer(g_fd, 16 * MiB, 0, 0, BIGBUF_STRATEGY_GRAB, false);
	check_buffer(g_fd, 12 * KiB, 0, 0, BIGBUF_STRATEGY_GRAB, false);
}

/* GRAB returns every page it took except the buffer's, exactly. */
static void t_grab_accounting(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1, s2;
	struct bigbuf_alloc a;

	if (bbt_alloc(g_fd, 12 * MiB + 4 * KiB, 0, 0, BIGBUF_STRATEGY_GRAB, &a)) {
		bbt_fail(__FILE__, __LINE__, "grab: %s", strerror(errno));
		return;
	}
	s1 = bbt_stats();
	CHECK(s1.pages_grabbed > s0.pages_grabbed);
	CHECK((s1.pages_grabbed - s0.pages_grabbed) -
	      (s1.pages_returned - s0.pages_returned) ==
	      a.actual_size / bbt_page,
	      "grabbed %llu returned %llu",
	      (unsigned long long)(s1.pages_grabbed - s0.pages_grabbed),
	      (unsigned long long)(s1.pages_returned - s0.pages_returned));
	CHECK(s1.by_strategy[BIGBUF_STRATEGY_GRAB] ==
	      s0.by_strategy[BIGBUF_STRATEGY_GRAB] + 1);
	CHECK(bbt_free(g_fd, a.id) == 0);
	s2 = bbt_stats();
	CHECK(s2.frees == s1.frees + 1);
	CHECK(s2.pages_grabbed == s1.pages_grabbed);
	bbt_note("grabbed %llu pages for %llu\n",
	     (unsigned long long)(s1.pages_grabbed - s0.pages_grabbed),
	     (unsigned long long)(a.actual_size / bbt_page));
}

static void t_alignment(void)
{
	struct bigbuf_alloc a;

	check_buffer(g_fd, 12 * KiB, MiB, 0, 0, false);
	check_buffer(g_fd, 4 * KiB, 512, 0, 0, false);	/* < page: trivially */
	check_buffer(g_fd, 4 * MiB, 16 * MiB, 0, 0, false);
	check_buffer(g_fd, 4 * MiB, 8 * MiB, 0, BIGBUF_STRATEGY_GRAB, false);
	if (bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG))
		check_buffer(g_fd, 1 * MiB, 32 * MiB, 0,
			     BIGBUF_STRATEGY_CONTIG, false);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 3, 0, 0, &a), EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 3 * bbt_page, 0, 0, &a), EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, bbt_info.max_align * 2, 0, 0, &a),
		  EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 1ULL << 63, 0, 0, &a), EINVAL);
}

/*
 * A quarter of the guest below the edu device's 28-bit limit.  It runs
 * first: whether 64 contiguous MiB exist below 256 MiB depends on where
 * the kernel has put unmovable pages (slab, page tables) by then, and the
 * earlier tests' memory pressure scatters them into that window, so later
 * it may be physically impossible.  Right after boot it is not.
 */
static void t_dma_limit_large(void)
{
	check_buffer(g_fd, 64 * MiB, 0, (1ULL << 28) - 1, 0, false);
}

static void t_dma_limit(void)
{
	const uint64_t lim28 = (1ULL << 28) - 1, lim32 = (1ULL << 32) - 1;
	struct bigbuf_alloc a;

	/* The QEMU edu device can only address 28 bits. */
	check_buffer(g_fd, 16 * MiB, 0, lim28, 0, false);
	check_buffer(g_fd, 64 * KiB, 0, lim28, 0, false);
	check_buffer(g_fd, 16 * MiB, MiB, lim32, 0, false);
	if (bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG))
		check_buffer(g_fd, 16 * MiB, 0, lim28, BIGBUF_STRATEGY_CONTIG,
			     false);
	/* Placement by the buddy allocator is not ours to choose. */
	check_buffer(g_fd, 64 * KiB, 0, lim28, BIGBUF_STRATEGY_BUDDY, true);
	check_buffer(g_fd, 8 * MiB, 0, lim28, BIGBUF_STRATEGY_GRAB, true);
	/* Unsatisfiable limits. */
	CHECK_ERR(bbt_alloc(g_fd, 4 * MiB, 0, MiB - 1, 0, &a), ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, 2 * bbt_page, 0, bbt_page - 1, 0, &a),
		  ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 0, 1, 0, &a), ENOMEM);
	/* max_addr = 2^64 - 1 means no limit too and must not overflow. */
	check_buffer(g_fd, 64 * KiB, 0, UINT64_MAX, 0, false);
}

static void t_zeroing(void)
{
	struct bigbuf_alloc a;
	unsigned char *p;
	int round;

	/* Dirty buffers, free them, the next ones must still be zero. */
	for (round = 0; round < 3; round++) {
		CHECK(bbt_alloc(g_fd, MiB, 0, 0, 0, &a) == 0);
		p = map(g_fd, &a);
		CHECK(p != NULL);
		if (!p)
			return;
		CHECK(is_zero(p, a.actual_size), "round %d", round);
		memset(p, 0xa5, a.actual_size);
		munmap(p, a.actual_size);
		CHECK(bbt_free(g_fd, a.id) == 0);
	}
	for (round = 0; round < 2; round++)
		check_buffer(g_fd, 8 * MiB, 0, 0, round ? BIGBUF_STRATEGY_GRAB : 0,
			     false);
}

static void t_mmap_bounds(void)
{
	struct bigbuf_alloc a, b;
	size_t len = 16 * bbt_page;
	unsigned char *p, *q;
	int fd2;

	CHECK(bbt_alloc(g_fd, len, 0, 0, 0, &a) == 0);
	CHECK(bbt_alloc(g_fd, len, 0, 0, 0, &b) == 0);
	/* Too long, past the end, beyond the id window, private. */
	CHECK(mmap(NULL, len + bbt_page, PROT_READ, MAP_SHARED, g_fd,
		   a.mmap_offset) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, g_fd,
		   a.mmap_offset + len) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, 2 * bbt_page, PROT_READ, MAP_SHARED, g_fd,
		   a.mmap_offset + len - bbt_page) == MAP_FAILED &&
	      errno == EINVAL);
	CHECK(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, g_fd,
		   a.mmap_offset + (1ULL << (BIGBUF_MMAP_SHIFT - 1))) ==
	      MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, bbt_page, PROT_READ | PROT_WRITE, MAP_PRIVATE, g_fd,
		   a.mmap_offset) == MAP_FAILED && errno == EINVAL);
	/* No buffer there: offset 0 (id 0), unused id, other file's id. */
	CHECK(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, g_fd, 0) ==
	      MAP_FAILED && errno == ENOENT);
	CHECK(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, g_fd,
		   (b.id + 100) << BIGBUF_MMAP_SHIFT) == MAP_FAILED &&
	      errno == ENOENT);
	fd2 = bbt_open();
	CHECK(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd2,
		   a.mmap_offset) == MAP_FAILED && errno == ENOENT);
	close(fd2);

	/* A sub-range maps the right pages. */
	p = mmap(NULL, len - 2 * bbt_page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 g_fd, a.mmap_offset + bbt_page);
	CHECK(p != MAP_FAILED, "%s", strerror(errno));
	if (p != MAP_FAILED) {
		CHECK(check_pagemap(p, len - 2 * bbt_page,
				    a.phys_addr + bbt_page) == 0);
		/* Growing is refused (VM_DONTEXPAND), in place or moving. */
		q = mremap(p, len - 2 * bbt_page, len, 0);
		CHECK(q == MAP_FAILED, "grew in place");
		q = mremap(p, len - 2 * bbt_page, 4 * len, MREMAP_MAYMOVE);
		CHECK(q == MAP_FAILED, "grew by moving");
		/* Splitting by a partial munmap keeps the rest intact. */
		CHECK(munmap(p + 4 * bbt_page, bbt_page) == 0);
		CHECK(check_pagemap(p, 4 * bbt_page,
				    a.phys_addr + bbt_page) == 0);
		CHECK(check_pagemap(p + 5 * bbt_page, bbt_page,
				    a.phys_addr + 6 * bbt_page) == 0);
		p[0] = 1;
		p[5 * bbt_page] = 2;
		/* Zapped PTEs come back with the same pages and data. */
		CHECK(madvise(p, 4 * bbt_page, MADV_DONTNEED) == 0);
		CHECK(p[0] == 1, "data lost after MADV_DONTNEED");
		for (q = p; q < p + 4 * bbt_page; q += bbt_page)
			(void)*(volatile unsigned char *)q;	/* fault in */
		CHECK(check_pagemap(p, 4 * bbt_page,
				    a.phys_addr + bbt_page) == 0);
		/* Moving keeps the pages. */
		q = mremap(p, 4 * bbt_page, 4 * bbt_page, MREMAP_MAYMOVE |
			   MREMAP_FIXED, p + len * 4);
		CHECK(q == p + len * 4, "%s", strerror(errno));
		if (q != MAP_FAILED) {
			CHECK(q[0] == 1);
			CHECK(check_pagemap(q, 4 * bbt_page,
					    a.phys_addr + bbt_page) == 0);
			CHECK(munmap(q, 4 * bbt_page) == 0);
		}
		CHECK(munmap(p, len - 2 * bbt_page) == 0);
	}
	/* Buffers are distinct and disjoint. */
	CHECK(a.phys_addr + len <= b.phys_addr || b.phys_addr + len <= a.phys_addr);
	CHECK(bbt_free(g_fd, a.id) == 0);
	CHECK(bbt_free(g_fd, b.id) == 0);
	CHECK(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, g_fd,
		   a.mmap_offset) == MAP_FAILED && errno == ENOENT);
}

static void t_bad_inputs(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct bigbuf_alloc a;
	struct bigbuf_free f = { 0 };
	struct bigbuf_query q = { 0 };
	int fd2;

	CHECK_ERR(bbt_alloc(g_fd, 0, 0, 0, 0, &a), EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, UINT64_MAX, 0, 0, 0, &a), ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, UINT64_MAX - bbt_page + 2, 0, 0, 0, &a),
		  ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, 1ULL << 62, 0, 0, 0, &a), ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, bbt_info.max_alloc_size + 1, 0, 0, 0, &a), ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 0, 0, 0x100, &a), EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 0, 0, 1U << 31, &a), EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 0, 0, BIGBUF_STRATEGY_COUNT, &a),
		  EINVAL);
	CHECK_ERR(bbt_alloc(g_fd, bbt_page, 0, 0, BIGBUF_STRATEGY_MASK, &a),
		  EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = bbt_page;
	a.reserved[1] = 1;
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_ALLOC, &a), EINVAL);
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_ALLOC, NULL), EFAULT);
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_STATS, (void *)1), EFAULT);

	CHECK_ERR(bbt_free(g_fd, 0), ENOENT);
	CHECK_ERR(bbt_free(g_fd, 12345), ENOENT);
	CHECK_ERR(bbt_free(g_fd, UINT64_MAX), ENOENT);
	CHECK(bbt_alloc(g_fd, bbt_page, 0, 0, 0, &a) == 0);
	f.id = a.id;
	f.reserved = 1;
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_FREE, &f), EINVAL);
	q.id = a.id;
	q.kind = 1;	/* output fields must be zero on input */
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_QUERY, &q), EINVAL);
	q.kind = 0;
	q.dev_maps = 1;
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_QUERY, &q), EINVAL);
	/* Ids are per open file. */
	fd2 = bbt_open();
	CHECK_ERR(bbt_free(fd2, a.id), ENOENT);
	q.dev_maps = 0;
	CHECK_ERR(ioctl(fd2, BIGBUF_IOC_QUERY, &q), ENOENT);
	close(fd2);
	CHECK(bbt_free(g_fd, a.id) == 0);
	CHECK_ERR(bbt_free(g_fd, a.id), ENOENT);	/* double free */
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_QUERY, &q), ENOENT);
	CHECK_ERR(ioctl(g_fd, _IO(BIGBUF_IOC_MAGIC, 0x7f)), ENOTTY);
	CHECK_ERR(ioctl(g_fd, _IOR('T', 0x01, int), &fd2), ENOTTY);
	CHECK_ERR((int)lseek(g_fd, 0, SEEK_SET), ESPIPE);

	s1 = bbt_stats();
	CHECK(s1.bytes_held == s0.bytes_held && s1.buffers == s0.buffers);
	CHECK(s1.allocations == s0.allocations + 1);
	CHECK(s1.failures >= s0.failures + 10, "%llu",
	      (unsigned long long)(s1.failures - s0.failures));
}

static void t_close_frees(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct bigbuf_alloc a;
	int fd2 = bbt_open();

	CHECK(bbt_alloc(fd2, MiB, 0, 0, 0, &a) == 0);
	CHECK(bbt_alloc(fd2, 4 * MiB, 0, 0, 0, &a) == 0);
	CHECK(bbt_alloc(fd2, 16 * MiB, 0, 0, 0, &a) == 0);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers + 3);
	CHECK(s1.bytes_held == s0.bytes_held + 21 * MiB);
	close(fd2);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers && s1.bytes_held == s0.bytes_held);
	CHECK(s1.frees == s0.frees + 3);
}

static void t_mapped_outlives_close(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct bigbuf_alloc a, b;
	unsigned char *p;
	int fd2 = bbt_open();

	CHECK(bbt_alloc(fd2, 4 * MiB, 0, 0, 0, &a) == 0);
	CHECK(bbt_alloc(fd2, MiB, 0, 0, 0, &b) == 0);
	p = map(fd2, &a);
	CHECK(p != NULL);
	if (!p) {
		close(fd2);
		return;
	}
	CHECK(tag_pages(p, a.actual_size, 0x5eed));
	close(fd2);
	/* The unmapped buffer is gone, the mapped one still works. */
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers + 1, "%llu",
	      (unsigned long long)(s1.buffers - s0.buffers));
	CHECK(s1.bytes_held == s0.bytes_held + a.actual_size);
	CHECK(check_pagemap(p, a.actual_size, a.phys_addr) == 0);
	CHECK(tag_pages(p, a.actual_size, 0xbeef));
	CHECK(munmap(p, a.actual_size) == 0);
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void t_fork_kill9(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	int pfd[2], status;
	pid_t pid;
	char c;

	CHECK(pipe(pfd) == 0);
	pid = fork();
	if (!pid) {
		struct bigbuf_alloc a, b;
		int fd = bbt_open();

		if (bbt_alloc(fd, 16 * MiB, 0, 0, 0, &a) ||
		    bbt_alloc(fd, MiB, 0, 0, 0, &b) || !map(fd, &a))
			_exit(1);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	CHECK(read(pfd[0], &c, 1) == 1, "child failed to allocate");
	close(pfd[0]);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers + 2);
	CHECK(s1.bytes_held == s0.bytes_held + 17 * MiB);
	kill(pid, SIGKILL);
	status = wait_child(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
}

/* A forked child shares the mapping and keeps the buffer alive. */
static void t_fork_mapping(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct bigbuf_alloc a;
	int go[2], status;
	volatile uint64_t *p;
	pid_t pid;
	char c;

	CHECK(bbt_alloc(g_fd, 2 * MiB, 0, 0, 0, &a) == 0);
	p = map(g_fd, &a);
	CHECK(p != NULL);
	if (!p)
		return;
	p[0] = 0x1234;
	CHECK(pipe(go) == 0);
	pid = fork();
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		/* Parent freed and unmapped it; our mapping is still live. */
		if (p[0] != 0x1234 ||
		    check_pagemap((void *)p, a.actual_size, a.phys_addr))
			_exit(4);
		p[1] = 0x5678;
		_exit(0);
	}
	close(go[0]);
	CHECK(bbt_free(g_fd, a.id) == 0);
	CHECK(munmap((void *)p, a.actual_size) == 0);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers + 1, "child mapping must hold it");
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	status = wait_child(pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %#x",
	      status);
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
}

struct thread_arg {
	int fd;
	unsigned int seed;
	int index;
};

static void *thread_fn(void *p)
{
	static const uint64_t sizes[] = {
		4 * KiB, 12 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB,
	};
	struct thread_arg *t = p;
	int fd = t->fd >= 0 ? t->fd : bbt_open();
	struct bigbuf_alloc a;
	uint64_t *m;
	int i;

	for (i = 0; i < THREAD_ITERS; i++) {
		uint64_t size = sizes[rand_r(&t->seed) % 6];
		uint32_t flags = 0;

		/* A few large ones through the slow strategies. */
		if (i == THREAD_ITERS / 2) {
			size = 8 * MiB;
			flags = t->index % 2 ? BIGBUF_STRATEGY_GRAB : 0;
		}
		if (bbt_alloc(fd, size, 0, 0, flags, &a)) {
			bbt_fail(__FILE__, __LINE__, "thread %d alloc %llu: %s",
			     t->index, (unsigned long long)size,
			     strerror(errno));
			continue;
		}
		m = map(fd, &a);
		if (!m) {
			bbt_fail(__FILE__, __LINE__, "mmap: %s", strerror(errno));
		} else {
			size_t n = a.actual_size / sizeof(*m), k;

			if (m[0] || m[n - 1])
				bbt_fail(__FILE__, __LINE__, "not zero");
			/* Another owner of these pages would clobber the tags. */
			for (k = 0; k < n; k += bbt_page / sizeof(*m))
				m[k] = a.phys_addr + k;
			sched_yield();
			for (k = 0; k < n; k += bbt_page / sizeof(*m))
				if (m[k] != a.phys_addr + k) {
					bbt_fail(__FILE__, __LINE__,
					     "buffer shared with someone");
					break;
				}
			munmap(m, a.actual_size);
		}
		if (bbt_free(fd, a.id))
			bbt_fail(__FILE__, __LINE__, "free: %s", strerror(errno));
	}
	if (t->fd < 0)
		close(fd);
	return NULL;
}

static void t_threads(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct thread_arg args[NR_THREADS];
	pthread_t th[NR_THREADS];
	int i;

	for (i = 0; i < NR_THREADS; i++) {
		/* Half share one file, half have their own. */
		args[i] = (struct thread_arg){ .fd = i % 2 ? g_fd : -1,
					       .seed = 1000 + i, .index = i };
		CHECK(pthread_create(&th[i], NULL, thread_fn, &args[i]) == 0);
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers && s1.bytes_held == s0.bytes_held);
	CHECK(s1.allocations - s0.allocations == NR_THREADS * THREAD_ITERS,
	      "%llu", (unsigned long long)(s1.allocations - s0.allocations));
}

static uint64_t sysfs_stat(const char *name)
{
	char path[256];
	unsigned long long v = UINT64_MAX;
	FILE *f;

	snprintf(path, sizeof(path), SYSFS_STATS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return UINT64_MAX;
	if (fscanf(f, "%llu", &v) != 1)
		v = UINT64_MAX;
	fclose(f);
	return v;
}

static void t_sysfs(void)
{
	struct bigbuf_alloc a;
	struct bigbuf_stats s;

	CHECK(bbt_alloc(g_fd, 3 * bbt_page, 0, 0, 0, &a) == 0);
	s = bbt_stats();
	CHECK(sysfs_stat("bytes_held") == s.bytes_held);
	CHECK(sysfs_stat("buffers") == s.buffers);
	CHECK(sysfs_stat("allocations") == s.allocations);
	CHECK(sysfs_stat("failures") == s.failures);
	CHECK(sysfs_stat("frees") == s.frees);
	CHECK(sysfs_stat("pages_grabbed") == s.pages_grabbed);
	CHECK(sysfs_stat("pages_returned") == s.pages_returned);
	CHECK(sysfs_stat("peak_bytes_held") == s.peak_bytes_held);
	CHECK(sysfs_stat("allocs_buddy") == s.by_strategy[BIGBUF_STRATEGY_BUDDY]);
	CHECK(sysfs_stat("allocs_contig") == s.by_strategy[BIGBUF_STRATEGY_CONTIG]);
	CHECK(sysfs_stat("allocs_grab") == s.by_strategy[BIGBUF_STRATEGY_GRAB]);
	CHECK(s.peak_bytes_held >= s.bytes_held && s.peak_bytes_held >= 64 * MiB);
	CHECK(bbt_free(g_fd, a.id) == 0);
}

/* Sets the contig_search parameter; -1 with errno as the kernel set it. */
static int contig_search_set(const char *mode)
{
	return bbt_param_write("contig_search", mode);
}

/* One past the highest physical address of any zone (BIGBUF_IOC_MEMMAP). */
static uint64_t end_of_memory(void)
{
	uint8_t state;
	struct bigbuf_memmap m = {
		.states = (uintptr_t)&state, .nr_blocks = 1,
	};

	CHECK(ioctl(g_fd, BIGBUF_IOC_MEMMAP, &m) == 0, "%s", strerror(errno));
	return m.end_pfn * bbt_page;
}

/* A forced CONTIG allocation: whether the kernel's own search found it. */
static bool contig_by_kernel(uint64_t size, uint64_t align, uint64_t max_addr)
{
	uint64_t k0 = sysfs_stat("contig_kernel_ranges"), k1;
	struct bigbuf_alloc a;
	void *p;

	if (bbt_alloc(g_fd, size, align, max_addr, BIGBUF_STRATEGY_CONTIG,
		      &a)) {
		char mode[32] = "?";

		bbt_param_read("contig_search", mode, sizeof(mode));
		bbt_fail(__FILE__, __LINE__,
			 "contig %llu MiB, align %#llx, max_addr %#llx, contig_search %s: %s",
			 (unsigned long long)(size / MiB),
			 (unsigned long long)align,
			 (unsigned long long)max_addr, mode, strerror(errno));
		return false;
	}
	k1 = sysfs_stat("contig_kernel_ranges");
	CHECK(a.strategy == BIGBUF_STRATEGY_CONTIG);
	CHECK(!align || a.phys_addr % align == 0);
	CHECK(!max_addr || a.phys_addr + a.actual_size - 1 <= max_addr);
	p = map(g_fd, &a);
	CHECK(p && check_pagemap(p, a.actual_size, a.phys_addr) == 0);
	if (p)
		munmap(p, a.actual_size);
	CHECK(bbt_free(g_fd, a.id) == 0);
	CHECK(k1 - k0 <= 1, "%llu ranges", (unsigned long long)(k1 - k0));
	return k1 == k0 + 1;
}

/* A forced CONTIG request that must fail with ENOMEM and change nothing. */
static void contig_refused(uint64_t size, uint64_t align, uint64_t max_addr,
			   const char *what)
{
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct bigbuf_alloc a;

	CHECK_ERR(bbt_alloc(g_fd, size, align, max_addr,
			    BIGBUF_STRATEGY_CONTIG, &a), ENOMEM);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers && s1.bytes_held == s0.bytes_held,
	      "%s", what);
}

/*
 * contig_search: where the kernel exports its own search, "auto" asks it
 * when the module's scan found nothing (here: has no attempt left), for
 * what it can express: a power-of-two size of at least a pageblock, no
 * alignment above it, no limit inside a zone; "kernel" refuses the rest,
 * "module" never asks it; a bad or unavailable mode is EINVAL and changes
 * nothing.
 */
static void t_contig_search(void)
{
	long tries = bbt_param_get("contig_tries");
	char was[32], now[32];
	uint64_t limit;

	if (!(bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG))) {
		bbt_note("no CONTIG strategy\n");
		return;
	}
	if (bbt_param_read("contig_search", was, sizeof(was)) || tries < 0) {
		bbt_fail(__FILE__, __LINE__, "contig_search/contig_tries: %s",
			 strerror(errno));
		return;
	}
	CHECK_ERR(contig_search_set("sideways"), EINVAL);
	CHECK(!bbt_param_read("contig_search", now, sizeof(now)) &&
	      !strcmp(now, was), "%s -> %s", was, now);
	if (!strcmp(was, "module")) {
		/* Without the kernel's export the module's scan is all. */
		CHECK_ERR(contig_search_set("kernel"), EINVAL);
		CHECK_ERR(contig_search_set("auto"), EINVAL);
		CHECK(!contig_by_kernel(16 * MiB, 0, 0));
		CHECK(sysfs_stat("contig_kernel_ranges") == 0);
		bbt_note("kernel's search not exported: module scan only\n");
		return;
	}
	CHECK(!strcmp(was, "auto"), "contig_search is '%s'", was);
	/* 32 MiB below the end of memory: inside the highest zone. */
	limit = end_of_memory() - 32 * MiB - 1;

	/* auto, the module's scan without attempts: the kernel's search. */
	CHECK(bbt_param_set("contig_tries", 0) == 0);
	CHECK(contig_by_kernel(16 * MiB, 0, 0), "16 MiB, no limit");
	CHECK(contig_by_kernel(8 * MiB, 8 * MiB, 0), "8 MiB, aligned to it");
	contig_refused(12 * MiB, 0, 0, "12 MiB: not a power of two");
	contig_refused(64 * KiB, 0, 0, "64 KiB: below a pageblock");
	contig_refused(8 * MiB, 32 * MiB, 0, "aligned above its size");
	contig_refused(16 * MiB, 0, limit, "a limit inside a zone");
	CHECK(bbt_param_set("contig_tries", tries) == 0);

	CHECK(contig_search_set("kernel") == 0);
	contig_refused(16 * MiB, 0, limit, "kernel only, a limit");
	contig_refused(12 * MiB, 0, 0, "kernel only, 12 MiB");
	CHECK(contig_by_kernel(16 * MiB, 0, 0), "kernel only");

	CHECK(contig_search_set("module") == 0);
	CHECK(!contig_by_kernel(16 * MiB, 0, 0), "module only");
	CHECK(!contig_by_kernel(12 * MiB, 0, limit), "module only, a limit");
	CHECK(contig_search_set(was) == 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A signal stops a GRAB allocation with EINTR and nothing held.  A timer
 * fires every millisecond; a 64 MiB grab takes far longer under emulation
 * or not, but a few rounds are allowed in case one completes anyway.
 */
static void t_grab_interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	struct bigbuf_stats s0 = bbt_stats(), s1;
	struct bigbuf_alloc a;
	int round, eintr = 0, ok = 0;

	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	for (round = 0; round < 5 && !eintr; round++) {
		setitimer(ITIMER_REAL, &it, NULL);
		if (bbt_alloc(g_fd, 64 * MiB, 0, 0, BIGBUF_STRATEGY_GRAB, &a) == 0) {
			ok++;
			setitimer(ITIMER_REAL, &off, NULL);
			CHECK(bbt_free(g_fd, a.id) == 0);
			continue;
		}
		CHECK(errno == EINTR, "%s", strerror(errno));
		eintr += errno == EINTR;
		setitimer(ITIMER_REAL, &off, NULL);
	}
	signal(SIGALRM, SIG_DFL);
	CHECK(eintr == 1, "%d successes before", ok);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers && s1.bytes_held == s0.bytes_held);
	/* Grabbed pages not used by the successes all went back. */
	CHECK(s1.pages_grabbed - s0.pages_grabbed ==
	      s1.pages_returned - s0.pages_returned +
	      ok * (64 * MiB / bbt_page));
	bbt_note("EINTR after %d completed rounds\n", ok);
}

/* ---- BIGBUF_IOC_MEMMAP ------------------------------------------------- */

/* The whole map, paged by the largest calls; NULL (and a failure) on error. */
struct memmap {
	uint8_t *states;
	uint64_t nr;		/* blocks */
	uint64_t end_pfn;
	uint32_t block_pages;
	uint64_t count[BIGBUF_BLOCK_BUFFER + 1];
};

static bool memmap_all(int fd, struct memmap *mm)
{
	struct bigbuf_memmap m;
	uint8_t probe;
	uint64_t done = 0, i;

	memset(mm, 0, sizeof(*mm));
	if (bbt_memmap(fd, 0, &probe, 1, &m)) {
		bbt_fail(__FILE__, __LINE__, "MEMMAP: %s", strerror(errno));
		return false;
	}
	mm->end_pfn = m.end_pfn;
	mm->block_pages = m.block_pages;
	if (!m.block_pages) {
		bbt_fail(__FILE__, __LINE__, "block_pages 0");
		return false;
	}
	mm->nr = (m.end_pfn + m.block_pages - 1) / m.block_pages;
	/* One byte more: nothing may be written past the blocks. */
	mm->states = malloc(mm->nr + 1);
	if (!mm->states)
		return false;
	memset(mm->states, MAP_SENTINEL, mm->nr + 1);
	while (done < mm->nr) {
		uint64_t want = mm->nr - done;

		if (want > BIGBUF_MEMMAP_MAX_BLOCKS)
			want = BIGBUF_MEMMAP_MAX_BLOCKS;
		if (bbt_memmap(fd, done * mm->block_pages, mm->states + done,
			       want, &m) || !m.nr_blocks) {
			bbt_fail(__FILE__, __LINE__, "MEMMAP at block %llu: %s",
				 (unsigned long long)done, strerror(errno));
			free(mm->states);
			mm->states = NULL;
			return false;
		}
		CHECK(m.end_pfn == mm->end_pfn, "end_pfn moved");
		CHECK(m.nr_blocks == want, "%u blocks, want %llu", m.nr_blocks,
		      (unsigned long long)want);
		done += m.nr_blocks;
	}
	CHECK(mm->states[mm->nr] == MAP_SENTINEL, "written past the last block");
	for (i = 0; i < mm->nr; i++) {
		if (mm->states[i] > BIGBUF_BLOCK_BUFFER) {
			bbt_fail(__FILE__, __LINE__, "block %llu: state %u",
				 (unsigned long long)i, mm->states[i]);
			break;
		}
		mm->count[mm->states[i]]++;
	}
	return true;
}

/* Blocks of [phys, phys + size). */
static void phys_blocks(const struct memmap *mm, uint64_t phys, uint64_t size,
			uint64_t *first, uint64_t *last)
{
	uint64_t block = (uint64_t)mm->block_pages * bbt_page;

	*first = phys / block;
	*last = (phys + size - 1) / block;
}

/* Highest start_pfn + spanned of a populated zone in /proc/zoneinfo. */
static uint64_t zoneinfo_end_pfn(void)
{
	unsigned long long spanned = 0, start, end = 0;
	FILE *f = fopen("/proc/zoneinfo", "re");
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5))
			spanned = 0;
		else if (sscanf(line, " spanned %llu", &spanned) == 1)
			continue;
		/* Only populated zones print their start. */
		else if (sscanf(line, " start_pfn: %llu", &start) == 1 &&
			 spanned && start + spanned > end)
			end = start + spanned;
	}
	fclose(f);
	return end;
}

/* A /proc/meminfo field in bytes, 0 if absent. */
static uint64_t meminfo(const char *name)
{
	unsigned long long kb = 0;
	size_t len = strlen(name);
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			sscanf(line + len + 1, "%llu", &kb);
	fclose(f);
	return kb * KiB;
}

/* Every documented EINVAL and EFAULT, with nothing written. */
static void t_memmap_inputs(void)
{
	struct bigbuf_memmap m;
	uint8_t states[8];
	uint8_t *ro, *big;
	size_t i;

	memset(states, MAP_SENTINEL, sizeof(states));
	CHECK_ERR(bbt_memmap(g_fd, 0, states, 0, &m), EINVAL);
	CHECK_ERR(bbt_memmap(g_fd, 0, states, BIGBUF_MEMMAP_MAX_BLOCKS + 1, &m),
		  EINVAL);
	CHECK_ERR(bbt_memmap(g_fd, 0, states, UINT32_MAX, &m), EINVAL);
#define MEMMAP_BAD_FIELD(field, value)					\
	do {								\
		memset(&m, 0, sizeof(m));				\
		m.states = (uintptr_t)states;				\
		m.nr_blocks = 1;					\
		m.field = (value);					\
		CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_MEMMAP, &m), EINVAL);	\
	} while (0)
	MEMMAP_BAD_FIELD(flags, 1);
	MEMMAP_BAD_FIELD(flags, 0x80000000U);
	MEMMAP_BAD_FIELD(pad, 1);
	MEMMAP_BAD_FIELD(reserved[0], 1);
	MEMMAP_BAD_FIELD(reserved[1], 1ULL << 63);
#undef MEMMAP_BAD_FIELD
	for (i = 0; i < sizeof(states); i++)
		CHECK(states[i] == MAP_SENTINEL, "byte %zu written", i);

	/* Bad pointers: the argument, and states unmapped or read-only. */
	CHECK_ERR(ioctl(g_fd, BIGBUF_IOC_MEMMAP, (void *)8), EFAULT);
	CHECK_ERR(bbt_memmap(g_fd, 0, (uint8_t *)8, 1, &m), EFAULT);
	ro = mmap(NULL, bbt_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	if (ro != MAP_FAILED) {
		CHECK_ERR(bbt_memmap(g_fd, 0, ro, 1, &m), EFAULT);
		munmap(ro, bbt_page);
	}
	/* States that start writable and end in a read-only page. */
	big = mmap(NULL, 2 * bbt_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(big != MAP_FAILED);
	if (big != MAP_FAILED) {
		CHECK(bbt_memmap(g_fd, 0, big, 1, &m) == 0);
		CHECK(mprotect(big + bbt_page, bbt_page, PROT_READ) == 0);
		/* Two blocks: the first byte writable, the second not. */
		CHECK_ERR(bbt_memmap(g_fd, 0, big + bbt_page - 1, 2, &m), EFAULT);
		munmap(big, 2 * bbt_page);
	}

	/* The largest room is accepted; fewer blocks are written. */
	big = malloc(BIGBUF_MEMMAP_MAX_BLOCKS);
	CHECK(big != NULL);
	if (big) {
		CHECK(bbt_memmap(g_fd, 0, big, BIGBUF_MEMMAP_MAX_BLOCKS, &m) == 0,
		      "%s", strerror(errno));
		CHECK(m.nr_blocks > 0 && m.nr_blocks <= BIGBUF_MEMMAP_MAX_BLOCKS);
		free(big);
	}
}

/*
 * Needs CAP_SYS_ADMIN, not uid 0 nor a writable file: a child without the
 * capability (uid 0 kept, or another uid) gets EPERM on the inherited fd,
 * root on a read-only file gets the map.
 */
static int memmap_child_errno(int fd)
{
	struct bigbuf_memmap m;
	uint8_t state;

	if (!bbt_memmap(fd, 0, &state, 1, &m))
		return 0;
	return errno;
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &h, d);
}

static void t_memmap_perm(void)
{
	int status, fd, how;
	pid_t pid;

	for (how = 0; how < 2; how++) {
		pid = fork();
		if (!pid) {
			if (how ? setuid(NOBODY_UID) : drop_cap(CAP_SYS_ADMIN))
				_exit(100);
			_exit(memmap_child_errno(g_fd));
		}
		status = wait_child(pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == EPERM,
		      "%s: exit %#x (EPERM is %d, 0 means it worked)",
		      how ? "uid nobody" : "uid 0 without CAP_SYS_ADMIN",
		      status, EPERM);
	}
	fd = open(bbt_dev, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "%s", strerror(errno));
	if (fd >= 0) {
		CHECK(memmap_child_errno(fd) == 0, "read-only file: %s",
		      strerror(memmap_child_errno(fd)));
		close(fd);
	}
}

/* All of memory: its end, its length and plausible contents. */
static void t_memmap_all(void)
{
	uint64_t zend = zoneinfo_end_pfn(), block, online, mem_free, mem_total;
	struct bigbuf_stats s = bbt_stats();
	struct memmap mm;

	if (!memmap_all(g_fd, &mm))
		return;
	block = (uint64_t)mm.block_pages * bbt_page;
	CHECK(mm.end_pfn == zend, "end_pfn %#llx, zoneinfo says %#llx",
	      (unsigned long long)mm.end_pfn, (unsigned long long)zend);
	CHECK(!(mm.block_pages & (mm.block_pages - 1)), "%u", mm.block_pages);
	CHECK(mm.block_pages <= 1U << bbt_info.max_order, "%u", mm.block_pages);
#if defined(__x86_64__)
	/*
	 * 2 MiB (a huge page) on kernels with hugetlbfs, else the largest
	 * buddy block (the debug kernel: 4 MiB).
	 */
	if (bbt_page == 4096)
		CHECK(block == 2 * MiB || mm.block_pages == 1U << bbt_info.max_order,
		      "block of %llu bytes", (unsigned long long)block);
#endif
	CHECK(mm.nr == (mm.end_pfn + mm.block_pages - 1) / mm.block_pages);
	bbt_note("end_pfn %#llx, %llu blocks of %llu KiB: hole %llu free %llu movable %llu unmovable %llu buffer %llu\n",
		 (unsigned long long)mm.end_pfn, (unsigned long long)mm.nr,
		 (unsigned long long)(block / KiB),
		 (unsigned long long)mm.count[BIGBUF_BLOCK_HOLE],
		 (unsigned long long)mm.count[BIGBUF_BLOCK_FREE],
		 (unsigned long long)mm.count[BIGBUF_BLOCK_MOVABLE],
		 (unsigned long long)mm.count[BIGBUF_BLOCK_UNMOVABLE],
		 (unsigned long long)mm.count[BIGBUF_BLOCK_BUFFER]);
	/* An idle guest has free blocks, and the kernel's own are unmovable. */
	CHECK(mm.count[BIGBUF_BLOCK_FREE] > 0);
	CHECK(mm.count[BIGBUF_BLOCK_UNMOVABLE] > 0);
	CHECK(s.buffers || !mm.count[BIGBUF_BLOCK_BUFFER],
	      "%llu buffer blocks, no buffer held",
	      (unsigned long long)mm.count[BIGBUF_BLOCK_BUFFER]);
	/* Managed pages lie in blocks with online memory. */
	mem_total = meminfo("MemTotal");
	online = (mm.nr - mm.count[BIGBUF_BLOCK_HOLE]) * block;
	CHECK(mem_total && online >= mem_total, "online blocks %llu MiB, MemTotal %llu MiB",
	      (unsigned long long)(online / MiB),
	      (unsigned long long)(mem_total / MiB));
	/* Wholly free blocks are free memory (some slack: a snapshot). */
	mem_free = meminfo("MemFree");
	CHECK(mm.count[BIGBUF_BLOCK_FREE] * block <= mem_free + 32 * MiB,
	      "free blocks %llu MiB, MemFree %llu MiB",
	      (unsigned long long)(mm.count[BIGBUF_BLOCK_FREE] * block / MiB),
	      (unsigned long long)(mem_free / MiB));
	free(mm.states);
}

/* Rounding, the end, and paging through the map. */
static void t_memmap_window(void)
{
	struct bigbuf_memmap m, m2;
	uint64_t half, k, i, end;
	struct memmap mm;
	uint8_t *part, probe[4];
	uint32_t bp;

	if (!memmap_all(g_fd, &mm))
		return;
	bp = mm.block_pages;
	end = mm.end_pfn;

	/* An unaligned start is rounded down to its block. */
	k = mm.nr / 2;
	CHECK(bbt_memmap(g_fd, k * bp + 7, probe, 1, &m) == 0);
	CHECK(m.start_pfn == k * bp, "start %#llx, want %#llx",
	      (unsigned long long)m.start_pfn, (unsigned long long)(k * bp));
	CHECK(m.nr_blocks == 1 && m.block_pages == bp && m.end_pfn == end);
	CHECK(bbt_memmap(g_fd, bp - 1, probe, 2, &m) == 0);
	CHECK(m.start_pfn == 0 && m.nr_blocks == 2);

	/* The last pfn is in the last block; from end_pfn on nothing. */
	memset(probe, MAP_SENTINEL, sizeof(probe));
	CHECK(bbt_memmap(g_fd, end - 1, probe, 4, &m) == 0);
	CHECK(m.nr_blocks == 1 && m.start_pfn == (mm.nr - 1) * bp,
	      "%u blocks from %#llx", m.nr_blocks,
	      (unsigned long long)m.start_pfn);
	CHECK(probe[0] <= BIGBUF_BLOCK_BUFFER && probe[1] == MAP_SENTINEL);
	memset(probe, MAP_SENTINEL, sizeof(probe));
	for (i = 0; i < 4; i++) {
		static const uint64_t past[] = { 0, 1, 1ULL << 40, UINT64_MAX };
		uint64_t start = end + past[i];

		if (start < end)	/* UINT64_MAX wraps */
			start = UINT64_MAX;
		CHECK(bbt_memmap(g_fd, start, probe, 4, &m) == 0, "%s",
		      strerror(errno));
		CHECK(m.nr_blocks == 0 && m.end_pfn == end,
		      "from %#llx: %u blocks", (unsigned long long)start,
		      m.nr_blocks);
		CHECK(m.start_pfn == start / bp * bp);
	}
	CHECK(probe[0] == MAP_SENTINEL, "written from end_pfn on");

	/*
	 * Paging: two halves give as many blocks as one call, ending at
	 * end_pfn; holes do not move (no hotplug in the guest).
	 */
	part = malloc(mm.nr + 1);
	CHECK(part != NULL);
	if (part && mm.nr <= BIGBUF_MEMMAP_MAX_BLOCKS && mm.nr >= 2) {
		half = mm.nr / 2;
		memset(part, MAP_SENTINEL, mm.nr + 1);
		CHECK(bbt_memmap(g_fd, 0, part, half, &m) == 0);
		CHECK(m.nr_blocks == half);
		CHECK(bbt_memmap(g_fd, m.start_pfn + (uint64_t)m.nr_blocks * bp,
				 part + half, mm.nr, &m2) == 0);
		CHECK(m2.start_pfn == half * bp);
		CHECK(m.nr_blocks + m2.nr_blocks == mm.nr, "%u + %u blocks, one call %llu",
		      m.nr_blocks, m2.nr_blocks, (unsigned long long)mm.nr);
		CHECK(m2.start_pfn + (uint64_t)m2.nr_blocks * bp >= end &&
		      m2.start_pfn + (uint64_t)(m2.nr_blocks - 1) * bp < end);
		CHECK(part[mm.nr] == MAP_SENTINEL);
		for (i = 0; i < mm.nr; i++)
			if ((part[i] == BIGBUF_BLOCK_HOLE) !=
			    (mm.states[i] == BIGBUF_BLOCK_HOLE)) {
				bbt_fail(__FILE__, __LINE__,
					 "block %llu: hole in one map only",
					 (unsigned long long)i);
				break;
			}
	}
	free(part);
	free(mm.states);
}

/* How many blocks of [first, last] the map shows as BUFFER. */
static uint64_t buffer_blocks(const struct memmap *mm, uint64_t first,
			      uint64_t last)
{
	uint64_t i, n = 0;

	for (i = first; i <= last && i < mm->nr; i++)
		n += mm->states[i] == BIGBUF_BLOCK_BUFFER;
	return n;
}

/*
 * A buffer's blocks are BUFFER, on any file, while it lives (also when
 * only a mapping keeps it), and not after.
 */
static void t_memmap_buffers(void)
{
	uint32_t strategy = bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG) ?
			    BIGBUF_STRATEGY_CONTIG : BIGBUF_STRATEGY_AUTO;
	struct bigbuf_stats s0 = bbt_stats();
	uint64_t first, last, sfirst, slast;
	struct bigbuf_alloc a, small;
	struct memmap mm;
	int fd2 = bbt_open();
	void *p;

	if (bbt_alloc(g_fd, 16 * MiB, 0, 0, strategy, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc 16 MiB: %s", strerror(errno));
		close(fd2);
		return;
	}
	CHECK(bbt_alloc(fd2, 12 * KiB, 0, 0, BIGBUF_STRATEGY_BUDDY, &small) == 0);
	if (!memmap_all(g_fd, &mm))
		goto out;
	phys_blocks(&mm, a.phys_addr, a.actual_size, &first, &last);
	phys_blocks(&mm, small.phys_addr, small.actual_size, &sfirst, &slast);
	CHECK(buffer_blocks(&mm, first, last) == last - first + 1,
	      "%llu of the %llu blocks of [%#llx, +16 MiB) are BUFFER",
	      (unsigned long long)buffer_blocks(&mm, first, last),
	      (unsigned long long)(last - first + 1),
	      (unsigned long long)a.phys_addr);
	CHECK(buffer_blocks(&mm, sfirst, slast) == slast - sfirst + 1,
	      "the 12 KiB buffer's block is not BUFFER");
	/* Nothing else is ours (the two may share a block). */
	CHECK(mm.count[BIGBUF_BLOCK_BUFFER] <= last - first + 1 + slast - sfirst + 1 &&
	      mm.count[BIGBUF_BLOCK_BUFFER] >= last - first + 1,
	      "%llu BUFFER blocks", (unsigned long long)mm.count[BIGBUF_BLOCK_BUFFER]);
	free(mm.states);

	/* FREE of the small one, and the big one only mapped. */
	CHECK(bbt_free(fd2, small.id) == 0);
	p = map(g_fd, &a);
	CHECK(p != NULL);
	CHECK(bbt_free(g_fd, a.id) == 0);
	if (memmap_all(g_fd, &mm)) {
		CHECK(buffer_blocks(&mm, first, last) == last - first + 1,
		      "mapped after FREE: %llu of %llu blocks BUFFER",
		      (unsigned long long)buffer_blocks(&mm, first, last),
		      (unsigned long long)(last - first + 1));
		if (sfirst < first || sfirst > last)
			CHECK(!buffer_blocks(&mm, sfirst, slast),
			      "freed 12 KiB buffer still BUFFER");
		free(mm.states);
	}
	if (p)
		CHECK(munmap(p, a.actual_size) == 0);
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
	if (memmap_all(g_fd, &mm)) {
		CHECK(!buffer_blocks(&mm, first, last),
		      "%llu blocks still BUFFER after the last unmap",
		      (unsigned long long)buffer_blocks(&mm, first, last));
		CHECK(s0.buffers || !mm.count[BIGBUF_BLOCK_BUFFER],
		      "%llu BUFFER blocks",
		      (unsigned long long)mm.count[BIGBUF_BLOCK_BUFFER]);
		free(mm.states);
	}
	close(fd2);
	return;
out:
	bbt_free(g_fd, a.id);
	bbt_free(fd2, small.id);
	close(fd2);
}

/*
 * The size= preallocation has no file; its blocks read BUFFER too.
 * run-in-guest runs this with the module loaded with size=; without a
 * preallocation there is nothing to check.
 */
static void t_memmap_prealloc(void)
{
	char buf[64];
	uint64_t phys, size, first, last;
	struct memmap mm;

	if (bbt_read_file("/sys/class/misc/bigbuf/prealloc_size", buf, sizeof(buf)))
		return;
	size = strtoull(buf, NULL, 0);
	if (!size) {
		bbt_note("no preallocation (load with size=)\n");
		return;
	}
	CHECK(!bbt_read_file("/sys/class/misc/bigbuf/prealloc_phys_addr", buf,
			     sizeof(buf)));
	phys = strtoull(buf, NULL, 0);
	if (!memmap_all(g_fd, &mm))
		return;
	phys_blocks(&mm, phys, size, &first, &last);
	CHECK(buffer_blocks(&mm, first, last) == last - first + 1,
	      "%llu of the %llu blocks of the preallocation at %#llx are BUFFER",
	      (unsigned long long)buffer_blocks(&mm, first, last),
	      (unsigned long long)(last - first + 1), (unsigned long long)phys);
	CHECK(mm.count[BIGBUF_BLOCK_BUFFER] == last - first + 1, "%llu BUFFER blocks",
	      (unsigned long long)mm.count[BIGBUF_BLOCK_BUFFER]);
	free(mm.states);
}

/*
 * Per-user accounting against RLIMIT_MEMLOCK.  The children become
 * unprivileged users (ACCT_UID1, ACCT_UID2: no capabilities, no groups)
 * with a chosen RLIMIT_MEMLOCK; for them to open the device, each test
 * makes the node world-accessible (0666) while it runs and puts its mode
 * back after.  Only root reads stats/users_bytes_held, the parent here.
 */
#define ACCT_UID1	60001
#define ACCT_UID2	60002
#define USERS_FILE	SYSFS_STATS "users_bytes_held"
#define ACCT_TIMEOUT_MS	30000	/* a child that takes longer is stuck */

/* Bytes uid @uid holds through bigbuf (its users_bytes_held line), 0 if none. */
static uint64_t user_bytes(unsigned int uid)
{
	unsigned long long bytes, found = 0;
	unsigned int u;
	FILE *f = fopen(USERS_FILE, "r");

	if (!f) {
		bbt_fail(__FILE__, __LINE__, "%s: %s", USERS_FILE,
			 strerror(errno));
		return UINT64_MAX;
	}
	while (fscanf(f, "%u %llu", &u, &bytes) == 2)
		if (u == uid)
			found = bytes;
	fclose(f);
	return found;
}

/* Wait (like bbt_settle) until @uid holds @bytes; false and a failure if not. */
static bool user_settle(unsigned int uid, uint64_t bytes, const char *what)
{
	uint64_t b = 0;
	int ms;

	for (ms = 0; ms < SETTLE_MS; ms += 10) {
		b = user_bytes(uid);
		if (b == bytes)
			return true;
		usleep(10000);
	}
	bbt_fail(__FILE__, __LINE__, "%s: uid %u holds %llu bytes, want %llu",
		 what, uid, (unsigned long long)b, (unsigned long long)bytes);
	return false;
}

static mode_t acct_dev_mode = 0600;

/* Open the node to every user for the test; acct_dev_close() undoes it. */
static void acct_dev_open(void)
{
	struct stat st;

	if (stat(bbt_dev, &st) == 0)
		acct_dev_mode = st.st_mode & 07777;
	CHECK(chmod(bbt_dev, 0666) == 0, "chmod %s: %s", bbt_dev,
	      strerror(errno));
}

static void acct_dev_close(void)
{
	CHECK(chmod(bbt_dev, acct_dev_mode) == 0, "chmod %s: %s", bbt_dev,
	      strerror(errno));
}

/* In a child: report the failed condition and exit 1. */
#define CCHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  child uid %u, line %d: %s (%s)\n", \
				(unsigned int)getuid(), __LINE__, #cond, \
				strerror(errno));			\
			_exit(1);					\
		}							\
	} while (0)

/*
 * A child of the accounting tests and its two pipes: it reports each step
 * done with one byte (acct_step()) and waits for the parent's go (one
 * byte, or EOF) before the next.
 */
struct acct_child {
	pid_t pid;
	int up;		/* child -> parent */
	int down;	/* parent -> child */
};

/* As the child: this step is done; return once the parent says go. */
static void acct_step(struct acct_child *c)
{
	char b = 'r';

	CCHECK(write(c->up, &b, 1) == 1);
	if (read(c->down, &b, 1) < 0)
		_exit(1);
}

/*
 * Fork a child that becomes @uid with RLIMIT_MEMLOCK @limit (or, with
 * @uid 0, stays root with it) and runs @fn, then exits 0.
 */
static bool acct_spawn(struct acct_child *c, unsigned int uid, uint64_t limit,
		       void (*fn)(struct acct_child *c, void *arg), void *arg)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };
	int up[2], down[2];

	if (pipe(up))
		return false;
	if (pipe(down)) {
		close(up[0]);
		close(up[1]);
		return false;
	}
	fflush(NULL);
	c->pid = fork();
	if (!c->pid) {
		close(up[0]);
		close(down[1]);
		c->up = up[1];
		c->down = down[0];
		CCHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
		if (uid) {
			CCHECK(setgroups(0, NULL) == 0);
			CCHECK(setgid(uid) == 0);
			CCHECK(setuid(uid) == 0);
		}
		fn(c, arg);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	c->up = up[0];
	c->down = down[1];
	if (c->pid < 0) {
		close(c->up);
		close(c->down);
		return false;
	}
	return true;
}

/* As the parent: wait for the child's next step; false if it ended. */
static bool acct_wait(struct acct_child *c)
{
	struct pollfd p = { .fd = c->up, .events = POLLIN };
	char b;

	if (poll(&p, 1, ACCT_TIMEOUT_MS) != 1) {
		bbt_note("child %d: no answer in %d ms", (int)c->pid,
			 ACCT_TIMEOUT_MS);
		return false;
	}
	return read(c->up, &b, 1) == 1;
}

static void acct_go(struct acct_child *c)
{
	char b = 'g';

	CHECK(write(c->down, &b, 1) == 1);
}

/*
 * Let the child run to its end (or @sig it); its wait status.  The go is
 * a byte, not only EOF: children forked later hold the pipe open too.  A
 * child that does not end in time is killed.
 */
static int acct_end(struct acct_child *c, int sig)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int status, ms;

	if (sig) {
		kill(c->pid, sig);
	} else {
		/* The child may be gone already: EPIPE, not SIGPIPE. */
		sigaction(SIGPIPE, &ign, &old);
		(void)!write(c->down, "e", 1);
		sigaction(SIGPIPE, &old, NULL);
	}
	close(c->down);
	close(c->up);
	for (ms = 0; ms < ACCT_TIMEOUT_MS; ms += 10) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			return status;
		usleep(10000);
	}
	bbt_note("child %d: not ended in %d ms, killing it", (int)c->pid,
		 ACCT_TIMEOUT_MS);
	kill(c->pid, SIGKILL);
	return wait_child(c->pid);
}

static bool exited_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int acct_dev(void)
{
	int fd = open(bbt_dev, O_RDWR | O_CLOEXEC);

	CCHECK(fd >= 0);
	return fd;
}

static bool same_stats(const struct bigbuf_stats *a,
		       const struct bigbuf_stats *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Limit 4 MiB: 3 MiB fit, 2 more do not (nothing changes), 1 more does. */
static void acct_limit_child(struct acct_child *c, void *arg)
{
	struct bigbuf_stats s0, s1;
	struct bigbuf_alloc_ext e;
	struct bigbuf_alloc a, b;
	int fd = acct_dev();

	(void)arg;
	CCHECK(bbt_alloc(fd, 2 * MiB, 0, 0, 0, &a) == 0);
	CCHECK(bbt_alloc(fd, MiB, 0, 0, 0, &b) == 0);
	acct_step(c);				/* parent: 3 MiB */
	CCHECK(ioctl(fd, BIGBUF_IOC_STATS, &s0) == 0);
	errno = 0;
	CCHECK(bbt_alloc(fd, 2 * MiB, 0, 0, 0, &a) == -1 && errno == EDQUOT);
	errno = 0;
	CCHECK(bbt_alloc_ext(fd, NULL, 2 * MiB, 0, 0, &e) == -1 &&
	       errno == EDQUOT);
	/* Any strategy: the charge comes before the pages. */
	errno = 0;
	CCHECK(bbt_alloc(fd, 2 * MiB, 0, 0, BIGBUF_STRATEGY_GRAB, &a) == -1 &&
	       errno == EDQUOT);
	CCHECK(ioctl(fd, BIGBUF_IOC_STATS, &s1) == 0);
	CCHECK(same_stats(&s0, &s1));
	acct_step(c);				/* parent: still 3 MiB */
	/* Exactly up to the limit. */
	CCHECK(bbt_alloc(fd, MiB, 0, 0, 0, &a) == 0);
	errno = 0;
	CCHECK(bbt_alloc(fd, bbt_page, 0, 0, 0, &a) == -1 && errno == EDQUOT);
	acct_step(c);				/* parent: 4 MiB */
	/* FREE gives the charge back at once. */
	CCHECK(bbt_free(fd, b.id) == 0);
	CCHECK(bbt_alloc(fd, MiB, 0, 0, 0, &b) == 0);
	close(fd);
}

static void t_acct_limit(void)
{
	struct bigbuf_stats s0 = bbt_stats(), s1, s2;
	struct acct_child c;

	acct_dev_open();
	CHECK(user_bytes(ACCT_UID1) == 0);
	if (!acct_spawn(&c, ACCT_UID1, 4 * MiB, acct_limit_child, NULL)) {
		CHECK(!"fork");
		goto out;
	}
	CHECK(acct_wait(&c), "child failed to allocate within its limit");
	CHECK(user_bytes(ACCT_UID1) == 3 * MiB);
	s1 = bbt_stats();
	acct_go(&c);
	CHECK(acct_wait(&c), "child: over the limit did not fail with EDQUOT or changed the stats");
	CHECK(user_bytes(ACCT_UID1) == 3 * MiB);
	s2 = bbt_stats();
	CHECK(same_stats(&s1, &s2));
	acct_go(&c);
	CHECK(acct_wait(&c), "child: allocation up to the limit");
	CHECK(user_bytes(ACCT_UID1) == 4 * MiB);
	CHECK(bbt_stats().buffers == s0.buffers + 3);
	acct_go(&c);
	CHECK(exited_ok(acct_end(&c, 0)), "child: allocation after FREE");
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
	user_settle(ACCT_UID1, 0, __func__);
out:
	acct_dev_close();
}

/* Allocate *arg bytes, hold them until told, then try 2 MiB more. */
static void acct_hold_child(struct acct_child *c, void *arg)
{
	struct bigbuf_alloc a;
	int fd = acct_dev();

	CCHECK(bbt_alloc(fd, *(uint64_t *)arg, 0, 0, 0, &a) == 0);
	acct_step(c);
	errno = 0;
	CCHECK(bbt_alloc(fd, 2 * MiB, 0, 0, 0, &a) == -1 && errno == EDQUOT);
	acct_step(c);
}

/* Two users with a 4 MiB limit each: 3 MiB each fit, their own limit bites. */
static void t_acct_two_users(void)
{
	struct bigbuf_stats s0 = bbt_stats();
	uint64_t size = 3 * MiB;
	struct acct_child c1, c2;

	acct_dev_open();
	if (!acct_spawn(&c1, ACCT_UID1, 4 * MiB, acct_hold_child, &size)) {
		CHECK(!"fork");
		goto out;
	}
	CHECK(acct_wait(&c1), "uid %d: 3 MiB", ACCT_UID1);
	if (!acct_spawn(&c2, ACCT_UID2, 4 * MiB, acct_hold_child, &size)) {
		CHECK(!"fork");
		acct_end(&c1, SIGKILL);
		goto out;
	}
	CHECK(acct_wait(&c2), "uid %d: 3 MiB next to uid %d's 3 MiB",
	      ACCT_UID2, ACCT_UID1);
	CHECK(user_bytes(ACCT_UID1) == 3 * MiB);
	CHECK(user_bytes(ACCT_UID2) == 3 * MiB);
	acct_go(&c1);
	acct_go(&c2);
	CHECK(acct_wait(&c1) && acct_wait(&c2), "over each one's own limit");
	CHECK(user_bytes(ACCT_UID1) == 3 * MiB);
	CHECK(user_bytes(ACCT_UID2) == 3 * MiB);
	CHECK(exited_ok(acct_end(&c1, 0)));
	user_settle(ACCT_UID1, 0, __func__);
	CHECK(user_bytes(ACCT_UID2) == 3 * MiB);
	CHECK(exited_ok(acct_end(&c2, 0)));
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
	user_settle(ACCT_UID2, 0, __func__);
out:
	acct_dev_close();
}

/* Allocate 4 MiB, map 1 MiB of it, send the fd over socket *arg, exit. */
static void acct_sender_child(struct acct_child *c, void *arg)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct bigbuf_alloc a;
	int fd = acct_dev();

	CCHECK(bbt_alloc(fd, 4 * MiB, 0, 0, 0, &a) == 0);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	CCHECK(sendmsg(*(int *)arg, &msg, 0) == 1);
	close(fd);
	(void)c;
}

/* Receive the fd, allocate 1 MiB on it itself, hold both until killed. */
static void acct_receiver_child(struct acct_child *c, void *arg)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	struct bigbuf_alloc a;
	int fd;

	CCHECK(recvmsg(*(int *)arg, &msg, 0) == 1);
	cm = CMSG_FIRSTHDR(&msg);
	CCHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	/* Its limit is 2 MiB: the sender's 4 MiB are not its own. */
	CCHECK(bbt_alloc(fd, MiB, 0, 0, 0, &a) == 0);
	acct_step(c);
	for (;;)
		pause();
}

/*
 * A file passed (SCM_RIGHTS) to another user's process: its buffers stay
 * charged to the user who allocated them, also after the sender is gone;
 * what the receiver allocates on it is the receiver's.  kill -9 of the
 * receiver gives both charges back.
 */
static void t_acct_fd_passing(void)
{
	struct bigbuf_stats s0 = bbt_stats();
	struct acct_child tx, rx;
	int sv[2], status;

	acct_dev_open();
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	if (!acct_spawn(&rx, ACCT_UID2, 2 * MiB, acct_receiver_child, &sv[1])) {
		CHECK(!"fork");
		goto out;
	}
	if (!acct_spawn(&tx, ACCT_UID1, 4 * MiB, acct_sender_child, &sv[0])) {
		CHECK(!"fork");
		acct_end(&rx, SIGKILL);
		goto out;
	}
	CHECK(exited_ok(acct_end(&tx, 0)), "sender");
	CHECK(acct_wait(&rx), "receiver");
	CHECK(user_bytes(ACCT_UID1) == 4 * MiB, "%llu",
	      (unsigned long long)user_bytes(ACCT_UID1));
	CHECK(user_bytes(ACCT_UID2) == MiB, "%llu",
	      (unsigned long long)user_bytes(ACCT_UID2));
	CHECK(bbt_stats().buffers == s0.buffers + 2);
	status = acct_end(&rx, SIGKILL);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
	user_settle(ACCT_UID1, 0, __func__);
	user_settle(ACCT_UID2, 0, __func__);
out:
	close(sv[0]);
	close(sv[1]);
	acct_dev_close();
}

/* 2 MiB mapped (fd closed) and 1 MiB unmapped in a second fd, until killed. */
static void acct_kill_child(struct acct_child *c, void *arg)
{
	struct bigbuf_alloc a, b;
	int fd = acct_dev(), fd2 = acct_dev();

	(void)arg;
	CCHECK(bbt_alloc(fd, 2 * MiB, 0, 0, 0, &a) == 0);
	CCHECK(map(fd, &a) != NULL);
	close(fd);
	CCHECK(bbt_alloc(fd2, MiB, 0, 0, 0, &b) == 0);
	acct_step(c);
	for (;;)
		pause();
}

static void t_acct_kill9(void)
{
	struct bigbuf_stats s0 = bbt_stats();
	struct acct_child c;
	int status;

	acct_dev_open();
	if (!acct_spawn(&c, ACCT_UID1, 8 * MiB, acct_kill_child, NULL)) {
		CHECK(!"fork");
		goto out;
	}
	CHECK(acct_wait(&c), "child failed to allocate");
	CHECK(user_bytes(ACCT_UID1) == 3 * MiB);
	status = acct_end(&c, SIGKILL);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
	user_settle(ACCT_UID1, 0, __func__);
out:
	acct_dev_close();
}

/*
 * Root with a RLIMIT_MEMLOCK of one page: CAP_IPC_LOCK lifts the limit,
 * the bytes are counted all the same; without the capability root is
 * limited like anyone.
 */
static void acct_root_child(struct acct_child *c, void *arg)
{
	struct bigbuf_alloc a;
	int fd = acct_dev();

	(void)arg;
	CCHECK(bbt_alloc(fd, 4 * MiB, 0, 0, 0, &a) == 0);
	acct_step(c);
	CCHECK(drop_cap(CAP_IPC_LOCK) == 0);
	errno = 0;
	CCHECK(bbt_alloc(fd, MiB, 0, 0, 0, &a) == -1 && errno == EDQUOT);
	close(fd);
}

static void t_acct_root(void)
{
	struct bigbuf_stats s0 = bbt_stats();
	uint64_t before = user_bytes(0);
	struct acct_child c;

	if (!acct_spawn(&c, 0, bbt_page, acct_root_child, NULL)) {
		CHECK(!"fork");
		return;
	}
	CHECK(acct_wait(&c), "root with CAP_IPC_LOCK limited");
	CHECK(user_bytes(0) == before + 4 * MiB, "%llu",
	      (unsigned long long)user_bytes(0));
	acct_go(&c);
	CHECK(exited_ok(acct_end(&c, 0)),
	      "root without CAP_IPC_LOCK not limited");
	bbt_settle(s0.buffers, s0.bytes_held, __func__);
	user_settle(0, before, __func__);
}

/*
 * max_held_pct caps what all buffers together hold, whoever allocates
 * (root here): over it ALLOC fails with ENOMEM and changes nothing but the
 * failures counter; freeing makes room again; 0 lifts the cap.  The cap is
 * set just above what is held now, so other buffers do not matter.
 */
static void t_max_held(void)
{
	long was = bbt_param_get("max_held_pct");
	struct bigbuf_stats s0, s1;
	struct bigbuf_alloc a, b;
	uint64_t cap;
	long pct;

	if (was < 0) {
		bbt_fail(__FILE__, __LINE__, "max_held_pct: %s", strerror(errno));
		return;
	}
	CHECK(was == 80, "default max_held_pct is %ld", was);
	s0 = bbt_stats();
	/* The smallest cap with room for 4 MiB more. */
	pct = (long)((s0.bytes_held + 4 * MiB) * 100 / bbt_info.total_ram) + 1;
	cap = bbt_info.total_ram * pct / 100;
	if (pct >= 100 || cap >= s0.bytes_held + 8 * MiB) {
		bbt_note("max_held: no 4 MiB step on this RAM (cap %llu MiB)\n",
			 (unsigned long long)(cap / MiB));
		return;
	}
	CHECK(bbt_param_set("max_held_pct", pct) == 0);
	CHECK(bbt_alloc(g_fd, 4 * MiB, 0, 0, 0, &a) == 0);
	s0 = bbt_stats();
	CHECK_ERR(bbt_alloc(g_fd, 4 * MiB, 0, 0, 0, &b), ENOMEM);
	CHECK_ERR(bbt_alloc(g_fd, 4 * MiB, 0, 0, BIGBUF_STRATEGY_GRAB, &b),
		  ENOMEM);
	s1 = bbt_stats();
	CHECK(s1.buffers == s0.buffers && s1.bytes_held == s0.bytes_held &&
	      s1.allocations == s0.allocations &&
	      s1.failures == s0.failures + 2, "stats: %llu -> %llu bytes",
	      (unsigned long long)s0.bytes_held,
	      (unsigned long long)s1.bytes_held);
	CHECK(bbt_free(g_fd, a.id) == 0);
	CHECK(bbt_alloc(g_fd, 4 * MiB, 0, 0, 0, &b) == 0, "room after FREE");
	CHECK(bbt_param_set("max_held_pct", 0) == 0);
	CHECK(bbt_alloc(g_fd, 8 * MiB, 0, 0, 0, &a) == 0, "no cap at 0");
	CHECK(bbt_free(g_fd, a.id) == 0 && bbt_free(g_fd, b.id) == 0);
	CHECK(bbt_param_set("max_held_pct", was) == 0);
}

static const struct bbt_test tests[] = {
	{ "info", t_info },
	{ "dma_limit_large", t_dma_limit_large },
	{ "sizes", t_sizes },
	{ "strategies", t_strategies },
	{ "grab_accounting", t_grab_accounting },
	{ "alignment", t_alignment },
	{ "dma_limit", t_dma_limit },
	{ "zeroing", t_zeroing },
	{ "mmap_bounds", t_mmap_bounds },
	{ "bad_inputs", t_bad_inputs },
	{ "close_frees", t_close_frees },
	{ "mapped_outlives_close", t_mapped_outlives_close },
	{ "fork_kill9", t_fork_kill9 },
	{ "fork_mapping", t_fork_mapping },
	{ "grab_interrupted", t_grab_interrupted },
	{ "threads", t_threads },
	{ "sysfs", t_sysfs },
	{ "contig_search", t_contig_search },
	{ "memmap_inputs", t_memmap_inputs },
	{ "memmap_perm", t_memmap_perm },
	{ "memmap_all", t_memmap_all },
	{ "memmap_window", t_memmap_window },
	{ "memmap_buffers", t_memmap_buffers },
	{ "memmap_prealloc", t_memmap_prealloc },
	{ "acct_limit", t_acct_limit },
	{ "acct_two_users", t_acct_two_users },
	{ "acct_fd_passing", t_acct_fd_passing },
	{ "acct_kill9", t_acct_kill9 },
	{ "acct_root", t_acct_root },
	{ "max_held", t_max_held },
};

/*
 * Helper for run-in-guest: map a buffer, close the device, report
 * "holding", wait for EOF on stdin, check the data, unmap.  Proves that a
 * mapping alone keeps the buffer and pins the module.
 */
static int hold_mapping(void)
{
	struct bigbuf_alloc a;
	unsigned char *p;
	int fd = bbt_open();
	char c;

	if (bbt_alloc(fd, MiB, 0, 0, 0, &a) || !(p = map(fd, &a))) {
		perror("hold-mapping");
		return 1;
	}
	close(fd);
	if (!tag_pages(p, a.actual_size, 0x401d))
		return 1;
	printf("holding\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	if (!tag_pages(p, a.actual_size, 0x401e))
		return 1;
	return munmap(p, a.actual_size) ? 1 : 0;
}

/* A leading device path (the older command line) is taken as --dev. */
static int device_arg(int argc, char **argv)
{
	if (argc > 0 && argv[0][0] == '/') {
		bbt_dev = argv[0];
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold-mapping")) {
			if (getenv("BIGBUF_DEV"))
				bbt_dev = getenv("BIGBUF_DEV");
			if (i > 1 && argv[i - 1][0] == '/')
				bbt_dev = argv[i - 1];
			bbt_page = sysconf(_SC_PAGESIZE);
			return hold_mapping();
		}
	}
	/* The device is known only once the options are parsed. */
	ret = bbt_main_with(argc, argv, tests, ARRAY_LEN(tests), device_arg,
			    open_global_fd);
	if (g_fd >= 0)
		close(g_fd);
	return ret;
}
