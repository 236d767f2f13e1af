// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation tests of /dev/bigbuf, run as root in the guest:
 *
 *   bb_isolation [-v] [test...]
 *
 * - a mapping never reaches beyond its buffer: every offset/length pair
 *   at and past the edge, unaligned offsets, unknown ids, MAP_PRIVATE,
 *   writable mappings of a read-only file, mremap growth;
 * - a process that does not hold the file cannot reach its buffers: not
 *   by id (ids are per open file), not by reopening /proc/PID/fd/N;
 * - buffers read as zero when handed out, also when the pages were just
 *   filled by a previous owner (run with page poisoning and
 *   init_on_alloc=0 so that only the module's own zeroing counts);
 * - pages of a freed but still mapped buffer are never handed out again;
 * - an unprivileged user cannot open the device at all (default 0600),
 *   while a file a privileged process passes on works (the fd is the
 *   capability).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bbtest.h"

#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)
#define EDGE_PAGES		5
#define EDGE_BUFFERS		64
#define NOBODY			65534
#define REUSE_ROUNDS		12
#define REUSE_BUFS		8
#define PINNED_PAGES		256	/* 1 MiB with 4 KiB pages */
#define PINNED_PRESSURE		96	/* allocations made while pinned */

static int failed_checks_in_child;

/* First pfn behind each page of [p, p + len), or a failure. */
static bool backed_by(const void *p, size_t len, uint64_t phys)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t i;
	uint64_t e;
	bool ok = pm >= 0;

	for (i = 0; ok && i < len / bbt_page; i++) {
		off_t off = ((uintptr_t)p / bbt_page + i) * 8;

		ok = pread(pm, &e, 8, off) == 8 && (e & PM_PRESENT) &&
		     (e & PM_PFN_MASK) == phys / bbt_page + i;
	}
	if (pm >= 0)
		close(pm);
	return ok;
}

/* Every (first page, length) pair around a small buffer's edge. */
static void t_mmap_edges(void)
{
	struct bigbuf_alloc a;
	unsigned int first, len;
	int fd = bbt_open();
	void *p;

	if (bbt_alloc(fd, EDGE_PAGES * bbt_page, 0, 0, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		return;
	}
	for (first = 0; first <= EDGE_PAGES + 1; first++) {
		for (len = 1; len <= EDGE_PAGES + 2; len++) {
			bool inside = first + len <= EDGE_PAGES;

			errno = 0;
			p = mmap(NULL, len * bbt_page, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd,
				 a.mmap_offset + first * bbt_page);
			if (!inside) {
				bbt_count(CNT_BAD_INPUTS, 1);
				CHECK(p == MAP_FAILED && errno == EINVAL,
				      "first %u len %u of %u pages: %s", first,
				      len, EDGE_PAGES,
				      p == MAP_FAILED ? strerror(errno) : "mapped");
			} else {
				CHECK(p != MAP_FAILED, "first %u len %u: %s",
				      first, len, strerror(errno));
				if (p != MAP_FAILED)
					CHECK(backed_by(p, len * bbt_page,
							a.phys_addr + first * bbt_page),
					      "first %u len %u: wrong pages",
					      first, len);
			}
			if (p != MAP_FAILED)
				munmap(p, len * bbt_page);
		}
	}
	/* Offsets that name no buffer or are not page aligned. */
	CHECK_ERR(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd,
		       a.mmap_offset + (1ULL << BIGBUF_MMAP_SHIFT)) == MAP_FAILED ? -1 : 0,
		  ENOENT);
	CHECK_ERR(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd,
		       (1ULL << BIGBUF_MMAP_SHIFT) - bbt_page) == MAP_FAILED ? -1 : 0,
		  ENOENT);
	CHECK_ERR(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd,
		       (1ULL << 62) - bbt_page) == MAP_FAILED ? -1 : 0,
		  ENOENT);
	CHECK_ERR(mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd,
		       a.mmap_offset + 1) == MAP_FAILED ? -1 : 0, EINVAL);
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_SHARED, fd,
		       a.mmap_offset) == MAP_FAILED ? -1 : 0, EINVAL);
	CHECK_ERR(mmap(NULL, bbt_page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		       a.mmap_offset) == MAP_FAILED ? -1 : 0, EINVAL);
	bbt_count(CNT_BAD_INPUTS, 6);
	CHECK(bbt_free(fd, a.id) == 0);
	close(fd);
}

/*
 * One page past the end of many small buffers.  The page after a buffer
 * is often another buffer's (the buddy allocator hands out neighbours):
 * a missing bounds check would map it, where the kernel's own checks of
 * vm_insert_pages() only stop pages that are free.
 */
static void t_mmap_past_neighbours(void)
{
	struct bigbuf_alloc a[EDGE_BUFFERS];
	unsigned int i, n = 0;
	int fd = bbt_open();
	void *p;

	for (i = 0; i < EDGE_BUFFERS; i++) {
		if (bbt_alloc(fd, bbt_page, 0, 0, BIGBUF_STRATEGY_BUDDY, &a[n]) == 0)
			n++;
	}
	CHECK(n == EDGE_BUFFERS, "only %u buffers", n);
	for (i = 0; i < n; i++) {
		p = mmap(NULL, 2 * bbt_page, PROT_READ, MAP_SHARED, fd,
			 a[i].mmap_offset);
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "2 pages of a 1-page buffer at %#llx: %s",
		      (unsigned long long)a[i].phys_addr,
		      p == MAP_FAILED ? strerror(errno) : "mapped");
		if (p != MAP_FAILED)
			munmap(p, 2 * bbt_page);
		bbt_count(CNT_BAD_INPUTS, 1);
	}
	close(fd);
}

/* mremap may shrink or move a mapping, never make it larger. */
static void t_mremap(void)
{
	struct bigbuf_alloc a;
	size_t len = 4 * bbt_page;
	int fd = bbt_open();
	unsigned char *p, *q;

	if (bbt_alloc(fd, len, 0, 0, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		return;
	}
	/* A mapping of half the buffer: growing stays inside, still refused. */
	p = bbt_map(fd, a.mmap_offset, len / 2);
	CHECK(p != NULL);
	if (!p)
		goto out;
	CHECK_ERR(mremap(p, len / 2, len, 0) == MAP_FAILED ? -1 : 0, EFAULT);
	CHECK_ERR(mremap(p, len / 2, len, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0,
		  EFAULT);
	munmap(p, len / 2);
	p = bbt_map(fd, a.mmap_offset, len);
	CHECK(p != NULL);
	if (!p)
		goto out;
	CHECK_ERR(mremap(p, len, 64 * len, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0,
		  EFAULT);
	bbt_count(CNT_BAD_INPUTS, 3);
	q = mremap(p, len, len - bbt_page, 0);
	CHECK(q == p, "shrink: %s", strerror(errno));
	q = mremap(p, len - bbt_page, len - bbt_page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED);
	if (q != MAP_FAILED) {
		CHECK(backed_by(q, len - bbt_page, a.phys_addr));
		munmap(q, len - bbt_page);
	}
out:
	CHECK(bbt_free(fd, a.id) == 0);
	close(fd);
}

/* A read-only file gives no writable mapping. */
/*
 * A file opened read-only can look (INFO, STATS) but not allocate: EBADF, as
 * for write(2), whatever the node's mode grants; nothing is counted or held.
 */
static void t_readonly_file(void)
{
	struct bigbuf_stats before, after;
	struct bigbuf_info info;
	struct bigbuf_alloc a;
	int fd = open(bbt_dev, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "%s", strerror(errno));
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	CHECK(ioctl(fd, BIGBUF_IOC_INFO, &info) == 0, "INFO: %s", strerror(errno));
	CHECK(info.abi_version == BIGBUF_ABI_VERSION);
	memset(&before, 0, sizeof(before));
	CHECK(ioctl(fd, BIGBUF_IOC_STATS, &before) == 0, "STATS: %s", strerror(errno));
	CHECK_ERR(bbt_alloc(fd, bbt_page, 0, 0, 0, &a), EBADF);
	bbt_count(CNT_BAD_INPUTS, 1);
	memset(&after, 0, sizeof(after));
	CHECK(ioctl(fd, BIGBUF_IOC_STATS, &after) == 0, "STATS: %s", strerror(errno));
	CHECK(after.allocations == before.allocations && after.failures == before.failures &&
	      after.buffers == before.buffers,
	      "refused ALLOC changed the counters (allocations %llu -> %llu, failures %llu -> %llu)",
	      (unsigned long long)before.allocations, (unsigned long long)after.allocations,
	      (unsigned long long)before.failures, (unsigned long long)after.failures);
	close(fd);
}

/* Run @fn in a child process; true if it exited 0. */
static bool in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	if (!pid) {
		failed_checks_in_child = 0;
		fn(arg);
		_exit(failed_checks_in_child ? 1 : 0);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

#define CHILD_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			failed_checks_in_child++;			\
			bbt_check_failed(__FILE__, __LINE__, #cond,	\
					 " (child) " __VA_ARGS__);	\
		}							\
	} while (0)

struct owner {
	pid_t pid;
	int fd;
	struct bigbuf_alloc a;
	uint64_t pattern;
};

/* A process with its own file sees none of the owner's buffers. */
static void stranger(void *arg)
{
	const struct owner *o = arg;
	struct bigbuf_query q = { .id = o->a.id };
	struct bigbuf_alloc mine;
	char path[64];
	void *p;
	int fd, fd2;

	close(o->fd);	/* inherited by fork(): a stranger does not have it */
	fd = bbt_open();
	p = mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd, o->a.mmap_offset);
	CHILD_CHECK(p == MAP_FAILED && errno == ENOENT, "mmap of another file's buffer: %s",
		    p == MAP_FAILED ? strerror(errno) : "mapped");
	CHILD_CHECK(ioctl(fd, BIGBUF_IOC_QUERY, &q) == -1 && errno == ENOENT);
	CHILD_CHECK(bbt_free(fd, o->a.id) == -1 && errno == ENOENT);
	/* Same id on our own file: our own, zeroed buffer. */
	CHILD_CHECK(bbt_alloc(fd, o->a.actual_size, 0, 0, 0, &mine) == 0);
	CHILD_CHECK(mine.id == o->a.id && mine.phys_addr != o->a.phys_addr,
		    "id %llu phys %#llx", (unsigned long long)mine.id,
		    (unsigned long long)mine.phys_addr);
	p = bbt_map(fd, mine.mmap_offset, mine.actual_size);
	CHILD_CHECK(p && bbt_is_zero(p, mine.actual_size));
	/* Opening the owner's fd through /proc opens a new, empty file. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)o->pid, o->fd);
	fd2 = open(path, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd2 >= 0, "%s: %s", path, strerror(errno));
	if (fd2 >= 0) {
		p = mmap(NULL, bbt_page, PROT_READ, MAP_SHARED, fd2,
			 o->a.mmap_offset + bbt_page);
		CHILD_CHECK(p == MAP_FAILED && errno == ENOENT,
			    "mmap through %s: %s", path,
			    p == MAP_FAILED ? strerror(errno) : "mapped");
		close(fd2);
	}
	close(fd);
}

static void t_other_process(void)
{
	struct owner o = { .pid = getpid(), .pattern = 0x5eed };
	unsigned char *p;

	o.fd = bbt_open();
	if (bbt_alloc(o.fd, 2 * bbt_page, 0, 0, 0, &o.a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		return;
	}
	p = bbt_map(o.fd, o.a.mmap_offset, o.a.actual_size);
	CHECK(p != NULL);
	if (p)
		bbt_fill(p, o.a.actual_size, o.pattern);
	CHECK(in_child(stranger, &o), "a stranger reached the buffer");
	bbt_count(CNT_BAD_INPUTS, 5);
	if (p)
		munmap(p, o.a.actual_size);
	close(o.fd);
}

/*
 * A previous owner fills its buffers and frees them (or dies); buffers
 * handed out next, often on the same pages, must read as zero.
 */
static void t_zero_after_owner(void)
{
	static const uint32_t strategies[] = {
		BIGBUF_STRATEGY_BUDDY, BIGBUF_STRATEGY_CONTIG,
		BIGBUF_STRATEGY_GRAB,
	};
	struct bigbuf_alloc a[REUSE_BUFS], b;
	uint64_t reused = 0, checked = 0;
	unsigned int round, i, j;
	unsigned char *p;
	int fd = bbt_open();

	for (round = 0; round < REUSE_ROUNDS; round++) {
		uint32_t s = strategies[round % ARRAY_LEN(strategies)];
		uint64_t size = (round % 4 + 1) * 16 * KiB;

		if (!(bbt_info.strategies & (1U << s)))
			continue;
		if (s == BIGBUF_STRATEGY_GRAB)
			size = 4 * MiB + (round % 3) * MiB;
		for (i = 0; i < REUSE_BUFS; i++) {
			a[i].id = 0;
			if (bbt_alloc(fd, size, 0, 0, s, &a[i]))
				continue;
			p = bbt_map(fd, a[i].mmap_offset, a[i].actual_size);
			if (p) {
				bbt_fill(p, a[i].actual_size, round * 100 + i);
				munmap(p, a[i].actual_size);
			}
			CHECK(bbt_free(fd, a[i].id) == 0);
		}
		for (i = 0; i < REUSE_BUFS; i++) {
			if (bbt_alloc(fd, size, 0, 0, s, &b))
				continue;
			for (j = 0; j < REUSE_BUFS; j++)
				if (a[j].id && b.phys_addr < a[j].phys_addr + a[j].actual_size &&
				    a[j].phys_addr < b.phys_addr + b.actual_size)
					reused++;
			p = bbt_map(fd, b.mmap_offset, b.actual_size);
			CHECK(p && bbt_is_zero(p, b.actual_size),
			      "strategy %u size %llu phys %#llx not zero", s,
			      (unsigned long long)b.actual_size,
			      (unsigned long long)b.phys_addr);
			checked++;
			if (p)
				munmap(p, b.actual_size);
			CHECK(bbt_free(fd, b.id) == 0);
		}
	}
	close(fd);
	printf("    %llu buffers checked, %llu overlapped a previous owner's dirty pages\n",
	       (unsigned long long)checked, (unsigned long long)reused);
	/* Without any reuse the test proves nothing. */
	CHECK(reused > 0);
}

/* While a freed buffer is still mapped, its pages belong to nobody else. */
static void t_freed_mapped_not_reused(void)
{
	struct bigbuf_alloc a, b;
	uint64_t *p, i;
	int fd = bbt_open();
	unsigned int n;

	if (bbt_alloc(fd, PINNED_PAGES * bbt_page, 0, 0, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		return;
	}
	p = bbt_map(fd, a.mmap_offset, a.actual_size);
	CHECK(p != NULL);
	CHECK(bbt_free(fd, a.id) == 0);
	if (!p) {
		close(fd);
		return;
	}
	for (i = 0; i < PINNED_PAGES; i++)
		p[i * bbt_page / 8] = ~i;
	for (n = 0; n < PINNED_PRESSURE; n++) {
		if (bbt_alloc(fd, (n % 8 + 1) * 32 * KiB, 0, 0, 0, &b))
			continue;
		CHECK(b.phys_addr >= a.phys_addr + a.actual_size ||
		      a.phys_addr >= b.phys_addr + b.actual_size,
		      "new buffer %#llx inside freed, mapped %#llx",
		      (unsigned long long)b.phys_addr,
		      (unsigned long long)a.phys_addr);
		CHECK(bbt_free(fd, b.id) == 0);
	}
	for (i = 0; i < PINNED_PAGES; i++)
		CHECK(p[i * bbt_page / 8] == ~i, "page %llu overwritten",
		      (unsigned long long)i);
	CHECK(backed_by(p, a.actual_size, a.phys_addr));
	CHECK(bbt_stats().buffers == 1, "the mapping keeps it alive");
	munmap(p, a.actual_size);
	close(fd);
}

static void drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		perror("dropping privileges");
		_exit(3);
	}
}

static void unprivileged(void *arg)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	int inherited = *(int *)arg;
	struct bigbuf_alloc a;
	unsigned int i;
	char path[64];
	int fd;

	drop_privileges();
	CHILD_CHECK(geteuid() == NOBODY);
	for (i = 0; i < ARRAY_LEN(modes); i++) {
		fd = open(bbt_dev, modes[i] | O_CLOEXEC);
		CHILD_CHECK(fd == -1 && errno == EACCES, "open mode %d as uid %d: %s",
			    modes[i], NOBODY, fd == -1 ? strerror(errno) : "opened");
		if (fd >= 0)
			close(fd);
	}
	/* Reopening the handed-over file by path checks the device again. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", inherited);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd == -1 && errno == EACCES, "reopen %s: %s", path,
		    fd == -1 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
	/* The file a privileged process handed over is the capability. */
	CHILD_CHECK(bbt_alloc(inherited, bbt_page, 0, 0, 0, &a) == 0,
		    "inherited file: %s", strerror(errno));
	CHILD_CHECK(bbt_free(inherited, a.id) == 0);
}

static void t_unprivileged_user(void)
{
	struct stat st;
	int fd;

	CHECK(stat(bbt_dev, &st) == 0 && S_ISCHR(st.st_mode));
	CHECK((st.st_mode & 07777) == 0600 && st.st_uid == 0 && st.st_gid == 0,
	      "mode %o owner %d:%d", st.st_mode & 07777, (int)st.st_uid,
	      (int)st.st_gid);
	fd = bbt_open();
	fcntl(fd, F_SETFD, 0);	/* inherited by the child */
	CHECK(in_child(unprivileged, &fd), "unprivileged user got in");
	bbt_count(CNT_BAD_INPUTS, 4);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct bbt_test tests[] = {
		{ "mmap_edges", t_mmap_edges },
		{ "mmap_past_neighbours", t_mmap_past_neighbours },
		{ "mremap", t_mremap },
		{ "readonly_file", t_readonly_file },
		{ "other_process", t_other_process },
		{ "zero_after_owner", t_zero_after_owner },
		{ "freed_mapped_not_reused", t_freed_mapped_not_reused },
		{ "unprivileged_user", t_unprivileged_user },
	};

	return bbt_main(argc, argv, tests, ARRAY_LEN(tests), NULL);
}
