// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random fuzzer of /dev/bigbuf: ioctl (valid and random command
 * numbers, valid and broken argument structs and pointers), mmap (offsets
 * and lengths inside, at and past the edge of buffers, unknown ids),
 * munmap (whole and partial), mremap (grow, shrink, move), madvise
 * (MADV_DONTNEED, the pages must fault back in unchanged) and close, from
 * several threads at once.
 *
 *   bb_fuzz [-v] [--seed S] [--calls N] [--threads T] [test...]
 *
 * Every call's outcome is predicted from the ABI (uapi/linux/bigbuf.h): input
 * the ABI rejects must fail with exactly the documented errno, valid
 * input must succeed or fail only with a resource errno.  After every
 * successful call the invariants are checked: an ALLOC'd buffer has the
 * requested size, alignment and limit, a fresh id, never shares a page
 * frame with any other live buffer, and reads as zero when first mapped;
 * a mapping has the right length and is backed exactly by the buffer's
 * page frames (/proc/self/pagemap); the first word of each page carries a
 * tag of its buffer that must survive until the last unmap; FREE of a live
 * id succeeds once and then fails with ENOENT.  At the end the module's
 * counters must match what the fuzzer saw and return to zero buffers.
 *
 * Each thread has its own generator (seed + thread index), so a failing
 * seed replays the same sequence of calls per thread; with --threads 1
 * the whole run is reproducible up to ENOMEM outcomes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bbtest.h"

#define MAX_FDS			3	/* per thread */
#define MAX_LIVE		6	/* buffers per thread */
#define MAX_MAPS		8	/* mappings per thread */
#define MAX_THREADS		64
#define FULL_ZERO_CHECK		(1 * MiB)	/* larger: sampled */
#define ZERO_EDGE		64		/* bytes at both ends of a page */
#define DEFAULT_CALLS		10000
#define DEFAULT_THREADS		4
#define FREE_RACE_ROUNDS	20
#define FREE_RACE_BUFS		16
#define FREE_RACE_THREADS	4
#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)
#define PAGEMAP_BATCH		512	/* entries per read */
#define TAG_MAGIC		0xb16b0f0000000000ULL

static uint64_t opt_seed;
static bool opt_seed_set;
static uint64_t opt_calls = DEFAULT_CALLS;
static unsigned int opt_threads = DEFAULT_THREADS;

/* A buffer as the fuzzer knows it; freed when the last reference goes. */
struct fbuf {
	uint64_t uid;		/* unique in this run, for page tags */
	uint64_t id, phys, size, mmap_offset;
	unsigned int refs;	/* table entry + mappings (one thread only) */
	bool registered;	/* in the global page frame registry */
	bool dying;		/* a call that may release it is under way */
};

struct fmap {
	struct fbuf *buf;
	unsigned char *addr;
	size_t len;
	uint64_t first;		/* page of the buffer at addr */
};

struct flive {
	struct fbuf *buf;
	int fd_slot;
};

struct fthread {
	unsigned int index;
	uint64_t rng;
	unsigned char *ro_page;	/* argument that is readable, not writable */
	int fds[MAX_FDS];
	struct flive live[MAX_LIVE];
	unsigned int nr_live;
	struct fmap maps[MAX_MAPS];
	unsigned int nr_maps;
	/* Outcomes that the module's counters must reflect. */
	uint64_t allocs_ok, allocs_efault_out, allocs_failed;
	uint64_t calls;		/* syscalls made */
	double op_seconds[16];	/* time spent per entry of ops[] */
	double alloc_ok_seconds, alloc_failed_seconds;	/* in ALLOC ioctls */
	uint64_t errnos[160];
};

/*
 * Global registry of the page frames of every buffer still alive in this
 * process: a new buffer overlapping one of them means two owners share
 * memory.  A buffer is marked dying before the call that may release it
 * (its pages may be handed out again before that call returns).
 */
static struct {
	pthread_mutex_t lock;
	struct fbuf *bufs[MAX_THREADS * (MAX_LIVE + MAX_MAPS)];
	unsigned int nr;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

static atomic_uint_fast64_t next_uid = 1;
static unsigned char *none_page;	/* argument that is not readable */

static void reg_add(struct fbuf *b)
{
	unsigned int i;

	pthread_mutex_lock(&reg.lock);
	for (i = 0; i < reg.nr; i++) {
		const struct fbuf *o = reg.bufs[i];

		if (!o->dying && b->phys < o->phys + o->size && o->phys < b->phys + b->size)
			bbt_fail(__FILE__, __LINE__,
				 "buffer phys %#" PRIx64 "+%#" PRIx64 " overlaps live buffer %#" PRIx64 "+%#" PRIx64,
				 b->phys, b->size, o->phys, o->size);
	}
	if (reg.nr < ARRAY_LEN(reg.bufs)) {
		reg.bufs[reg.nr++] = b;
		b->registered = true;
	}
	pthread_mutex_unlock(&reg.lock);
}

static void reg_del(struct fbuf *b)
{
	unsigned int i;

	if (!b->registered)
		return;
	pthread_mutex_lock(&reg.lock);
	for (i = 0; i < reg.nr; i++) {
		if (reg.bufs[i] == b) {
			reg.bufs[i] = reg.bufs[--reg.nr];
			break;
		}
	}
	pthread_mutex_unlock(&reg.lock);
}

/* Before a call that releases the buffer if it is our last reference. */
static void reg_dying(struct fbuf *b)
{
	if (b->refs != 1)
		return;
	pthread_mutex_lock(&reg.lock);
	b->dying = true;
	pthread_mutex_unlock(&reg.lock);
}

static void buf_put(struct fbuf *b)
{
	if (--b->refs)
		return;
	reg_del(b);
	free(b);
}

static uint64_t page_tag(const struct fbuf *b, uint64_t page)
{
	return TAG_MAGIC ^ (b->uid << 24) ^ page;
}

/* Count a call and its errno (0 = success). */
static void outcome(struct fthread *t, long ret, int err)
{
	bbt_count(CNT_FUZZ_CALLS, 1);
	t->calls++;
	t->errnos[ret == -1 && err > 0 && err < 160 ? err : 0]++;
}

static void expect(struct fthread *t, const char *what, long ret, int err,
		   int want)
{
	outcome(t, ret, err);
	if (want) {
		bbt_count(CNT_BAD_INPUTS, 1);
		if (ret != -1 || err != want)
			bbt_fail(__FILE__, __LINE__, "thread %u: %s: got %ld/%s, want %s",
				 t->index, what, ret, strerror(err),
				 strerror(want));
	} else if (ret != 0) {
		bbt_fail(__FILE__, __LINE__, "thread %u: %s: got %ld/%s, want success",
			 t->index, what, ret, strerror(err));
	}
}

/* Argument pointer: mostly valid, sometimes NULL, unmapped or read-only. */
enum argp_kind { ARG_OK, ARG_NULL, ARG_NONE, ARG_RO };

static enum argp_kind pick_argp(struct fthread *t)
{
	switch (bbt_below(&t->rng, 40)) {
	case 0:
		return ARG_NULL;
	case 1:
		return ARG_NONE;
	case 2:
		return ARG_RO;
	}
	return ARG_OK;
}

static void *argp_of(struct fthread *t, enum argp_kind k, void *ok,
		     const void *content, size_t len)
{
	switch (k) {
	case ARG_NULL:
		return NULL;
	case ARG_NONE:
		return none_page;
	case ARG_RO:
		/* Readable (valid content) but not writable. */
		if (mprotect(t->ro_page, bbt_page, PROT_READ | PROT_WRITE) == 0) {
			memcpy(t->ro_page, content, len);
			mprotect(t->ro_page, bbt_page, PROT_READ);
		}
		return t->ro_page;
	case ARG_OK:
		break;
	}
	return ok;
}

static uint64_t pick_size(struct fthread *t)
{
	uint64_t r = bbt_below(&t->rng, 100);

	if (r < 65)
		return 1 + bbt_below(&t->rng, 64 * KiB);
	if (r < 95)
		return 1 + bbt_below(&t->rng, MiB);
	return 1 + bbt_below(&t->rng, 8 * MiB);
}

static uint64_t pick_align(struct fthread *t)
{
	uint64_t r = bbt_below(&t->rng, 100);

	if (r < 50)
		return 0;
	if (r < 90)
		return 1ULL << bbt_below(&t->rng, 23);	/* up to 4 MiB */
	return 1ULL << bbt_below(&t->rng, 31);		/* up to 1 GiB */
}

static uint64_t pick_limit(struct fthread *t)
{
	switch (bbt_below(&t->rng, 8)) {
	case 0:
		return (1ULL << 32) - 1;
	case 1:
		return (1ULL << 28) - 1;
	case 2:
		return (1ULL << 24) - 1;
	case 3:
		return bbt_page + bbt_below(&t->rng, bbt_info.total_ram);
	}
	return 0;
}

/*
 * The errno the ABI promises for this ALLOC argument (checks in the order
 * the header lists them), or 0 if the request is valid and may succeed or
 * fail with a resource error only.
 */
static int predict_alloc(const struct bigbuf_alloc *a)
{
	unsigned int s = a->flags & BIGBUF_STRATEGY_MASK;
	uint64_t pages, limit_pages;

	if (a->reserved[0] || a->reserved[1])
		return EINVAL;
	if (a->flags & ~BIGBUF_ALLOC_FLAGS_VALID || s >= BIGBUF_STRATEGY_COUNT)
		return EINVAL;
	if (!a->size)
		return EINVAL;
	if (a->align && ((a->align & (a->align - 1)) ||
			 a->align > bbt_info.max_align))
		return EINVAL;
	if (s != BIGBUF_STRATEGY_AUTO && !(bbt_info.strategies & (1U << s)))
		return EOPNOTSUPP;
	if (a->size > bbt_info.max_alloc_size)
		return ENOMEM;
	pages = (a->size + bbt_page - 1) / bbt_page;
	if (a->max_addr) {
		limit_pages = (a->max_addr + 1) / bbt_page;
		if (a->max_addr == UINT64_MAX)
			limit_pages = UINT64_MAX / bbt_page + 1;
		if (limit_pages < pages)
			return ENOMEM;
	}
	return 0;
}

/* Break exactly one thing about a valid request, or everything. */
static void corrupt_alloc(struct fthread *t, struct bigbuf_alloc *a)
{
	switch (bbt_below(&t->rng, 10)) {
	case 0:
		a->size = 0;
		break;
	case 1:
		a->align = (1ULL << (1 + bbt_below(&t->rng, 40))) + 1 +
			   bbt_below(&t->rng, 3);
		break;
	case 2:
		a->align = bbt_info.max_align << (1 + bbt_below(&t->rng, 30));
		break;
	case 3:
		a->reserved[bbt_below(&t->rng, 2)] = bbt_rand(&t->rng) | 1;
		break;
	case 4:
		a->flags |= 1U << (8 + bbt_below(&t->rng, 24));
		break;
	case 5:
		a->flags = BIGBUF_STRATEGY_COUNT +
			   bbt_below(&t->rng, 256 - BIGBUF_STRATEGY_COUNT);
		break;
	case 6:
		a->size = bbt_info.max_alloc_size + 1 +
			  bbt_below(&t->rng, UINT64_MAX - bbt_info.max_alloc_size);
		break;
	case 7:
		a->size = UINT64_MAX - bbt_below(&t->rng, 2 * bbt_page);
		break;
	case 8:
		a->max_addr = bbt_below(&t->rng, a->size > 1 ? a->size - 1 : 1);
		if (!a->max_addr)
			a->max_addr = 1;
		break;
	default: {
		uint64_t *w = (uint64_t *)a;
		size_t i;

		for (i = 0; i < sizeof(*a) / 8; i++)
			w[i] = bbt_rand(&t->rng);
	}
	}
}

static void check_pagemap(struct fthread *t, const struct fmap *m)
{
	size_t pages = m->len / bbt_page, i, n, k;
	uint64_t e[PAGEMAP_BATCH], want;
	off_t base = (uintptr_t)m->addr / bbt_page * 8;
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (pm < 0) {
		bbt_fail(__FILE__, __LINE__, "pagemap: %s", strerror(errno));
		return;
	}
	for (i = 0; i < pages; i += n) {
		n = pages - i < PAGEMAP_BATCH ? pages - i : PAGEMAP_BATCH;
		if (pread(pm, e, n * 8, base + i * 8) != (ssize_t)(n * 8)) {
			bbt_fail(__FILE__, __LINE__, "pagemap read: %s",
				 strerror(errno));
			break;
		}
		for (k = 0; k < n; k++) {
			want = m->buf->phys / bbt_page + m->first + i + k;
			if ((e[k] & PM_PRESENT) && (e[k] & PM_PFN_MASK) == want)
				continue;
			bbt_fail(__FILE__, __LINE__,
				 "thread %u: map of buffer %" PRIu64 " page %zu: pagemap %#" PRIx64 ", want pfn %#" PRIx64,
				 t->index, m->buf->id, i + k, e[k], want);
			close(pm);
			return;
		}
	}
	close(pm);
}

/* Each page starts with 0 (untouched) or its buffer's tag; then tag it. */
static void check_and_tag(struct fthread *t, const struct fmap *m)
{
	size_t i;

	for (i = 0; i < m->len; i += bbt_page) {
		volatile uint64_t *w = (volatile uint64_t *)(m->addr + i);
		uint64_t want = page_tag(m->buf, m->first + i / bbt_page);

		if (*w != 0 && *w != want) {
			bbt_fail(__FILE__, __LINE__,
				 "thread %u: buffer %" PRIu64 " page %" PRIu64 " holds %#" PRIx64 ", want 0 or %#" PRIx64,
				 t->index, m->buf->id,
				 m->first + i / bbt_page, *w, want);
			return;
		}
		*w = want;
	}
}

static bool zero_checked(const unsigned char *p, size_t len, uint64_t *rng)
{
	size_t i, pick;

	if (len <= FULL_ZERO_CHECK)
		return bbt_is_zero(p, len);
	for (i = 0; i < len; i += bbt_page)
		if (!bbt_is_zero(p + i, ZERO_EDGE) ||
		    !bbt_is_zero(p + i + bbt_page - ZERO_EDGE, ZERO_EDGE))
			return false;
	pick = bbt_below(rng, len / bbt_page) * bbt_page;
	return bbt_is_zero(p + pick, bbt_page);
}

static int add_map(struct fthread *t, struct fbuf *b, void *addr, size_t len,
		   uint64_t first)
{
	struct fmap *m;

	if (t->nr_maps == MAX_MAPS) {
		munmap(addr, len);
		return -1;
	}
	m = &t->maps[t->nr_maps++];
	*m = (struct fmap){ .buf = b, .addr = addr, .len = len, .first = first };
	b->refs++;
	check_pagemap(t, m);
	check_and_tag(t, m);
	return 0;
}

static void drop_map(struct fthread *t, unsigned int i)
{
	struct fbuf *b = t->maps[i].buf;

	t->maps[i] = t->maps[--t->nr_maps];
	buf_put(b);
}

static void drop_live(struct fthread *t, unsigned int i)
{
	struct fbuf *b = t->live[i].buf;

	t->live[i] = t->live[--t->nr_live];
	buf_put(b);
}

static int any_fd_slot(struct fthread *t)
{
	unsigned int s = bbt_below(&t->rng, MAX_FDS);

	if (t->fds[s] < 0)
		t->fds[s] = bbt_open();
	return s;
}

/* ALLOC: valid, broken, or with a faulting argument pointer. */
static void op_alloc(struct fthread *t)
{
	struct bigbuf_alloc a = { 0 }, in;
	enum argp_kind k = pick_argp(t);
	int slot = any_fd_slot(t), fd = t->fds[slot], want, err;
	bool bad = bbt_below(&t->rng, 3) == 0;
	struct fbuf *b;
	unsigned char *p;
	uint64_t rounded;
	double t0;
	long ret;

	if (t->nr_live == MAX_LIVE && !bad && k == ARG_OK)
		bad = true;	/* keep memory bounded */
	a.size = pick_size(t);
	a.align = pick_align(t);
	a.max_addr = pick_limit(t);
	a.flags = bbt_below(&t->rng, BIGBUF_STRATEGY_COUNT);
	if (bad)
		corrupt_alloc(t, &a);
	in = a;
	want = predict_alloc(&a);
	t0 = bbt_now();
	errno = 0;
	ret = ioctl(fd, BIGBUF_IOC_ALLOC, argp_of(t, k, &a, &in, sizeof(in)));
	err = errno;
	if (ret)
		t->alloc_failed_seconds += bbt_now() - t0;
	else
		t->alloc_ok_seconds += bbt_now() - t0;
	if (k == ARG_NULL || k == ARG_NONE) {
		expect(t, "alloc(unreadable arg)", ret, err, EFAULT);
		return;
	}
	if (want) {
		expect(t, "alloc(bad input)", ret, err, want);
		if (ret == -1 && err == want)
			t->allocs_failed++;
		return;
	}
	if (k == ARG_RO) {
		/* Allocated, then the answer cannot be written: taken back. */
		outcome(t, ret, err);
		bbt_count(CNT_BAD_INPUTS, 1);
		if (ret == -1 && err == EFAULT)
			t->allocs_efault_out++;
		else if (ret == -1 && (err == ENOMEM || err == EINTR))
			t->allocs_failed++;
		else
			bbt_fail(__FILE__, __LINE__, "alloc(read-only arg): got %ld/%s, want EFAULT",
				 ret, strerror(err));
		return;
	}
	outcome(t, ret, err);
	if (ret) {
		if (err != ENOMEM && err != EINTR)
			bbt_fail(__FILE__, __LINE__,
				 "alloc size %" PRIu64 " align %#" PRIx64 " max %#" PRIx64 " flags %u: %s",
				 (uint64_t)in.size, (uint64_t)in.align,
				 (uint64_t)in.max_addr, in.flags,
				 strerror(err));
		t->allocs_failed++;
		return;
	}
	t->allocs_ok++;
	rounded = (in.size + bbt_page - 1) / bbt_page * bbt_page;
	CHECK(a.id != 0 && a.actual_size == rounded &&
	      a.mmap_offset == a.id << BIGBUF_MMAP_SHIFT,
	      "id %" PRIu64 " actual %" PRIu64 " for %" PRIu64,
	      (uint64_t)a.id, (uint64_t)a.actual_size, (uint64_t)in.size);
	CHECK(a.phys_addr % bbt_page == 0 &&
	      (!in.align || a.phys_addr % in.align == 0),
	      "phys %#" PRIx64 " align %#" PRIx64, (uint64_t)a.phys_addr,
	      (uint64_t)in.align);
	CHECK(!in.max_addr || a.phys_addr + a.actual_size - 1 <= in.max_addr,
	      "phys %#" PRIx64 "+%#" PRIx64 " above %#" PRIx64,
	      (uint64_t)a.phys_addr, (uint64_t)a.actual_size,
	      (uint64_t)in.max_addr);
	CHECK(a.strategy >= BIGBUF_STRATEGY_BUDDY &&
	      a.strategy < BIGBUF_STRATEGY_COUNT &&
	      (!in.flags || a.strategy == in.flags), "strategy %u", a.strategy);
	for (unsigned int i = 0; i < t->nr_live; i++)
		CHECK(t->live[i].fd_slot != slot || t->live[i].buf->id != a.id,
		      "id %" PRIu64 " handed out twice on one file",
		      (uint64_t)a.id);
	if (t->nr_live == MAX_LIVE) {
		/*
		 * A "corrupted" request can still be valid (e.g. alignment 4),
		 * so the table may be full here: give the buffer back rather
		 * than write past live[].
		 */
		struct bigbuf_free f = { .id = a.id };

		errno = 0;
		ret = ioctl(fd, BIGBUF_IOC_FREE, &f);
		expect(t, "free(untracked new buffer)", ret, errno, 0);
		return;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		bbt_fail(__FILE__, __LINE__, "out of memory");
		return;
	}
	*b = (struct fbuf){ .uid = atomic_fetch_add(&next_uid, 1),
			    .id = a.id, .phys = a.phys_addr,
			    .size = a.actual_size, .mmap_offset = a.mmap_offset,
			    .refs = 1 };
	reg_add(b);
	t->live[t->nr_live++] = (struct flive){ .buf = b, .fd_slot = slot };

	/* Zero on hand-out, seen through a fresh mapping of the whole. */
	p = bbt_map(fd, a.mmap_offset, a.actual_size);
	outcome(t, p ? 0 : -1, errno);
	if (!p) {
		bbt_fail(__FILE__, __LINE__, "mmap of new buffer: %s",
			 strerror(errno));
		return;
	}
	CHECK(zero_checked(p, a.actual_size, &t->rng),
	      "new buffer phys %#" PRIx64 " size %" PRIu64 " not zero",
	      (uint64_t)a.phys_addr, (uint64_t)a.actual_size);
	if (add_map(t, b, p, a.actual_size, 0) == 0 && bbt_below(&t->rng, 2)) {
		outcome(t, munmap(p, a.actual_size), errno);
		drop_map(t, t->nr_maps - 1);
	}
}

static void op_free(struct fthread *t)
{
	struct bigbuf_free f = { 0 }, in;
	enum argp_kind k = pick_argp(t);
	unsigned int r = bbt_below(&t->rng, 10), i, picked = 0;
	int slot = any_fd_slot(t);
	long ret;
	int err, want = ENOENT;

	if (r < 6 && t->nr_live) {
		i = picked = bbt_below(&t->rng, t->nr_live);
		slot = t->live[i].fd_slot;
		f.id = t->live[i].buf->id;
		want = 0;
		if (k == ARG_OK) {
			reg_dying(t->live[i].buf);
			errno = 0;
			ret = ioctl(t->fds[slot], BIGBUF_IOC_FREE, &f);
			expect(t, "free(live id)", ret, errno, 0);
			drop_live(t, i);
			/* The id is gone: a second FREE must not find it. */
			ret = ioctl(t->fds[slot], BIGBUF_IOC_FREE, &f);
			expect(t, "free(just freed id)", ret, errno, ENOENT);
			return;
		}
	} else if (r < 8) {
		f.id = bbt_rand(&t->rng) >> bbt_below(&t->rng, 64);
	} else {
		f.id = bbt_below(&t->rng, 64);
	}
	/* An id this thread does not hold on that file must be unknown. */
	for (i = 0; i < t->nr_live && want; i++)
		if (t->live[i].fd_slot == slot && t->live[i].buf->id == f.id)
			return;	/* a live id picked at random: skip */
	if (bbt_below(&t->rng, 8) == 0) {
		f.reserved = bbt_rand(&t->rng) | 1;
		want = EINVAL;
	}
	in = f;
	if (want == 0 && k == ARG_RO)
		reg_dying(t->live[picked].buf);
	errno = 0;
	ret = ioctl(t->fds[slot], BIGBUF_IOC_FREE,
		    argp_of(t, k, &f, &in, sizeof(in)));
	err = errno;
	if (k == ARG_NULL || k == ARG_NONE)
		want = EFAULT;
	if (want == 0) {
		/* Live id through a read-only pointer: FREE only reads. */
		expect(t, "free(live id, read-only arg)", ret, err, 0);
		for (i = 0; i < t->nr_live; i++)
			if (t->live[i].fd_slot == slot &&
			    t->live[i].buf->id == f.id) {
				drop_live(t, i);
				break;
			}
		return;
	}
	expect(t, "free(bad)", ret, err, want);
}

static void op_query(struct fthread *t)
{
	struct bigbuf_query q = { 0 }, in;
	enum argp_kind k = pick_argp(t);
	int slot = any_fd_slot(t), want = ENOENT, err;
	struct fbuf *b = NULL;
	unsigned int i;
	long ret;

	if (t->nr_live && bbt_below(&t->rng, 2)) {
		i = bbt_below(&t->rng, t->nr_live);
		b = t->live[i].buf;
		slot = t->live[i].fd_slot;
		q.id = b->id;
		want = 0;
	} else {
		q.id = bbt_rand(&t->rng) >> bbt_below(&t->rng, 64);
		for (i = 0; i < t->nr_live; i++)
			if (t->live[i].fd_slot == slot &&
			    t->live[i].buf->id == q.id)
				return;
	}
	if (bbt_below(&t->rng, 6) == 0) {
		/* Output-only fields must be zero on input. */
		switch (bbt_below(&t->rng, 4)) {
		case 0:
			q.kind = 1 + bbt_below(&t->rng, UINT32_MAX);
			break;
		case 1:
			q.node = 1 + bbt_below(&t->rng, INT32_MAX);
			break;
		case 2:
			q.dev_maps = 1 + bbt_below(&t->rng, UINT32_MAX);
			break;
		default:
			q.reserved = bbt_rand(&t->rng) | 1;
		}
		want = EINVAL;
	}
	in = q;
	errno = 0;
	ret = ioctl(t->fds[slot], BIGBUF_IOC_QUERY,
		    argp_of(t, k, &q, &in, sizeof(in)));
	err = errno;
	/* Unreadable: nothing checked; read-only: only the answer fails. */
	if (k == ARG_NULL || k == ARG_NONE || (k == ARG_RO && want == 0))
		want = EFAULT;
	expect(t, "query", ret, err, want);
	if (!ret && k == ARG_OK && b)
		CHECK(q.phys_addr == b->phys && q.size == b->size &&
		      q.mmap_offset == b->mmap_offset,
		      "query of %" PRIu64 " answered phys %#" PRIx64 " size %" PRIu64,
		      b->id, (uint64_t)q.phys_addr, (uint64_t)q.size);
}

static void op_info_stats(struct fthread *t)
{
	union {
		struct bigbuf_info i;
		struct bigbuf_stats s;
	} u;
	enum argp_kind k = pick_argp(t);
	unsigned long cmd = bbt_below(&t->rng, 2) ? BIGBUF_IOC_INFO :
						    BIGBUF_IOC_STATS;
	long ret;

	memset(&u, 0, sizeof(u));
	errno = 0;
	ret = ioctl(t->fds[any_fd_slot(t)], cmd, argp_of(t, k, &u, &u, sizeof(u)));
	expect(t, cmd == BIGBUF_IOC_INFO ? "info" : "stats", ret, errno,
	       k == ARG_OK ? 0 : EFAULT);
	if (!ret && cmd == BIGBUF_IOC_INFO)
		CHECK(u.i.abi_version == BIGBUF_ABI_VERSION &&
		      u.i.page_size == (uint32_t)bbt_page);
}

/* ioctl type bytes that the VFS answers before any driver sees them. */
static bool vfs_ioctl_type(unsigned int type)
{
	return type == 'T' || type == 'X' || type == 'f' || type == 0x94 ||
	       type == 0x15;
}

static void op_random_cmd(struct fthread *t)
{
	static const unsigned long valid[] = {
		BIGBUF_IOC_ALLOC, BIGBUF_IOC_FREE, BIGBUF_IOC_INFO,
		BIGBUF_IOC_STATS, BIGBUF_IOC_QUERY,
	};
	unsigned char arg[256];
	unsigned int cmd, i;
	long ret;

	do {
		if (bbt_below(&t->rng, 2))
			cmd = (uint32_t)bbt_rand(&t->rng);
		else	/* our magic, random number/direction/size */
			cmd = _IOC(bbt_below(&t->rng, 4), BIGBUF_IOC_MAGIC,
				   bbt_below(&t->rng, 256),
				   bbt_below(&t->rng, 1U << _IOC_SIZEBITS));
		for (i = 0; i < ARRAY_LEN(valid); i++)
			if (cmd == valid[i])
				cmd = 0;
	} while (!cmd || vfs_ioctl_type(_IOC_TYPE(cmd)));
	bbt_fill(arg, sizeof(arg), bbt_rand(&t->rng));
	errno = 0;
	ret = ioctl(t->fds[any_fd_slot(t)], cmd,
		    bbt_below(&t->rng, 2) ? (void *)arg :
		    (void *)(uintptr_t)bbt_rand(&t->rng));
	expect(t, "unknown ioctl", ret, errno, ENOTTY);
}

static void op_mmap(struct fthread *t)
{
	unsigned int r = bbt_below(&t->rng, 12), i;
	uint64_t nr, first, len_pages, offset;
	int slot, flags = MAP_SHARED, want = 0, err;
	struct fbuf *b;
	void *p;

	if (!t->nr_live || r >= 10) {
		/* No buffer behind the offset: unknown id. */
		slot = any_fd_slot(t);
		offset = (bbt_below(&t->rng, 1ULL << (62 - BIGBUF_MMAP_SHIFT))
			  << BIGBUF_MMAP_SHIFT) +
			 bbt_below(&t->rng, 16) * bbt_page;
		for (i = 0; i < t->nr_live; i++)
			if (t->live[i].fd_slot == slot &&
			    t->live[i].buf->id == offset >> BIGBUF_MMAP_SHIFT)
				return;
		len_pages = 1 + bbt_below(&t->rng, 4);
		p = mmap(NULL, len_pages * bbt_page, PROT_READ | PROT_WRITE,
			 flags, t->fds[slot], (off_t)offset);
		err = errno;
		expect(t, "mmap(unknown id)", p == MAP_FAILED ? -1 : 0, err,
		       ENOENT);
		if (p != MAP_FAILED)
			munmap(p, len_pages * bbt_page);
		return;
	}
	i = bbt_below(&t->rng, t->nr_live);
	b = t->live[i].buf;
	slot = t->live[i].fd_slot;
	nr = b->size / bbt_page;
	first = bbt_below(&t->rng, nr);
	len_pages = 1 + bbt_below(&t->rng, nr - first);
	offset = b->mmap_offset;
	switch (r) {
	case 0:	/* start past the end */
		first = nr + bbt_below(&t->rng, 4);
		len_pages = 1 + bbt_below(&t->rng, 4);
		want = EINVAL;
		break;
	case 1:	/* run over the end by some pages */
		len_pages = nr - first + 1 + bbt_below(&t->rng, 4);
		want = EINVAL;
		break;
	case 2:	/* private mapping */
		flags = MAP_PRIVATE;
		want = EINVAL;
		break;
	case 3:	/* offset not page aligned */
		offset += 1 + bbt_below(&t->rng, bbt_page - 1);
		want = EINVAL;
		break;
	case 4:	/* exactly the last page */
		first = nr - 1;
		len_pages = 1;
		break;
	}
	offset += first * bbt_page;
	p = mmap(NULL, len_pages * bbt_page, PROT_READ | PROT_WRITE, flags,
		 t->fds[slot], (off_t)offset);
	err = errno;
	expect(t, "mmap(live buffer)", p == MAP_FAILED ? -1 : 0, err, want);
	if (p == MAP_FAILED)
		return;
	if (want) {
		munmap(p, len_pages * bbt_page);
		return;
	}
	add_map(t, b, p, len_pages * bbt_page, first);
}

static void op_unmap(struct fthread *t)
{
	struct fmap *m;
	unsigned int i;
	long ret;

	if (!t->nr_maps)
		return;
	i = bbt_below(&t->rng, t->nr_maps);
	m = &t->maps[i];
	check_and_tag(t, m);
	if (m->len > (size_t)bbt_page && bbt_below(&t->rng, 3) == 0) {
		/* Unmap one page at either end: the VMA is split. */
		if (bbt_below(&t->rng, 2)) {
			ret = munmap(m->addr, bbt_page);
			m->addr += bbt_page;
			m->first++;
		} else {
			ret = munmap(m->addr + m->len - bbt_page, bbt_page);
		}
		m->len -= bbt_page;
		expect(t, "munmap(one page)", ret, errno, 0);
		return;
	}
	reg_dying(m->buf);
	ret = munmap(m->addr, m->len);
	expect(t, "munmap", ret, errno, 0);
	drop_map(t, i);
}

static void op_mremap(struct fthread *t)
{
	struct fmap *m;
	size_t grow;
	void *p;

	if (!t->nr_maps)
		return;
	m = &t->maps[bbt_below(&t->rng, t->nr_maps)];
	switch (bbt_below(&t->rng, 3)) {
	case 0:	/* grow, in place or moving: never beyond the buffer */
		grow = (1 + bbt_below(&t->rng, 4)) * bbt_page;
		p = mremap(m->addr, m->len, m->len + grow,
			   bbt_below(&t->rng, 2) ? MREMAP_MAYMOVE : 0);
		expect(t, "mremap(grow)", p == MAP_FAILED ? -1 : 0, errno,
		       EFAULT);
		if (p != MAP_FAILED) {
			m->addr = p;
			m->len += grow;
		}
		break;
	case 1:	/* shrink */
		if (m->len <= (size_t)bbt_page)
			return;
		p = mremap(m->addr, m->len, m->len - bbt_page, 0);
		expect(t, "mremap(shrink)", p == MAP_FAILED ? -1 : 0, errno, 0);
		if (p != MAP_FAILED)
			m->len -= bbt_page;
		break;
	default: /* move elsewhere, same size: the pages go along */
		p = mremap(m->addr, m->len, m->len, MREMAP_MAYMOVE);
		expect(t, "mremap(same size)", p == MAP_FAILED ? -1 : 0, errno,
		       0);
		if (p != MAP_FAILED)
			m->addr = p;
		break;
	}
	check_pagemap(t, m);
	check_and_tag(t, m);
}

/*
 * Drop the page table entries of part of a mapping: touching the pages
 * again must bring back the same buffer pages with their contents.
 */
static void op_madvise(struct fthread *t)
{
	struct fmap *m;
	size_t pages, first, n;

	if (!t->nr_maps)
		return;
	m = &t->maps[bbt_below(&t->rng, t->nr_maps)];
	pages = m->len / bbt_page;
	first = bbt_below(&t->rng, pages);
	n = 1 + bbt_below(&t->rng, pages - first);
	expect(t, "madvise(DONTNEED)",
	       madvise(m->addr + first * bbt_page, n * bbt_page, MADV_DONTNEED),
	       errno, 0);
	check_and_tag(t, m);
	check_pagemap(t, m);
}

/* Close a file: its unmapped buffers go, mappings stay valid. */
static void close_slot(struct fthread *t, unsigned int s)
{
	unsigned int i;

	if (t->fds[s] < 0)
		return;
	for (i = 0; i < t->nr_live; i++)
		if (t->live[i].fd_slot == (int)s)
			reg_dying(t->live[i].buf);
	expect(t, "close", close(t->fds[s]), errno, 0);
	t->fds[s] = -1;
	for (i = 0; i < t->nr_live;) {
		if (t->live[i].fd_slot == (int)s)
			drop_live(t, i);
		else
			i++;
	}
	for (i = 0; i < t->nr_maps; i++)
		check_and_tag(t, &t->maps[i]);
}

static void op_close(struct fthread *t)
{
	close_slot(t, bbt_below(&t->rng, MAX_FDS));
}

static const struct {
	const char *name;
	void (*fn)(struct fthread *t);
	unsigned int weight;
} ops[] = {
	{ "alloc", op_alloc, 26 },
	{ "free", op_free, 16 },
	{ "query", op_query, 10 },
	{ "info/stats", op_info_stats, 4 },
	{ "random cmd", op_random_cmd, 10 },
	{ "mmap", op_mmap, 16 },
	{ "munmap", op_unmap, 10 },
	{ "mremap", op_mremap, 5 },
	{ "madvise", op_madvise, 3 },
	{ "close", op_close, 3 },
};
_Static_assert(ARRAY_LEN(ops) <= ARRAY_LEN(((struct fthread *)0)->op_seconds),
	       "op_seconds too small");

/* What each thread is doing, for the report of a crash of the fuzzer. */
static __thread const char *current_op;

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char msg[200];
	int n;

	(void)uc;
	n = snprintf(msg, sizeof(msg),
		     "FAIL fuzz: signal %d (code %d, address %p) in a fuzz thread during %s (seed %llu)\n",
		     sig, si->si_code, si->si_addr,
		     current_op ? current_op : "setup",
		     (unsigned long long)opt_seed);
	if (n > 0 && write(STDOUT_FILENO, msg, n) < 0)
		_exit(4);
	_exit(3);
}

static void *fuzz_thread(void *arg)
{
	struct fthread *t = arg;
	unsigned int total = 0, i;
	uint64_t calls = (opt_calls + opt_threads - 1) / opt_threads, r;
	double t0;

	for (i = 0; i < ARRAY_LEN(ops); i++)
		total += ops[i].weight;
	for (i = 0; i < MAX_FDS; i++)
		t->fds[i] = -1;
	t->ro_page = mmap(NULL, bbt_page, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ro_page == MAP_FAILED) {
		bbt_fail(__FILE__, __LINE__, "mmap: %s", strerror(errno));
		return NULL;
	}
	while (t->calls < calls) {
		r = bbt_below(&t->rng, total);
		for (i = 0; r >= ops[i].weight; i++)
			r -= ops[i].weight;
		t0 = bbt_now();
		current_op = ops[i].name;
		ops[i].fn(t);
		t->op_seconds[i] += bbt_now() - t0;
	}
	while (t->nr_maps) {
		check_and_tag(t, &t->maps[0]);
		reg_dying(t->maps[0].buf);
		outcome(t, munmap(t->maps[0].addr, t->maps[0].len), errno);
		drop_map(t, 0);
	}
	for (i = 0; i < MAX_FDS; i++)
		close_slot(t, i);
	munmap(t->ro_page, bbt_page);
	return NULL;
}

static void t_fuzz(void)
{
	static struct fthread th[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct bigbuf_stats s0, s1;
	uint64_t ok = 0, efault_out = 0, failed = 0, errs[160] = { 0 };
	struct sigaction crash = { .sa_sigaction = on_crash,
				   .sa_flags = SA_SIGINFO };
	unsigned int i, e;
	double t0 = bbt_now(), secs_ok, secs_failed;

	if (!opt_seed_set)
		opt_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	printf("    fuzz: seed %" PRIu64 " (replay: --seed %" PRIu64 "), %" PRIu64 " calls, %u threads\n",
	       opt_seed, opt_seed, opt_calls, opt_threads);
	sigaction(SIGSEGV, &crash, NULL);
	sigaction(SIGBUS, &crash, NULL);
	none_page = mmap(NULL, bbt_page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	CHECK(none_page != MAP_FAILED);
	s0 = bbt_stats();
	for (i = 0; i < opt_threads; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].index = i;
		th[i].rng = (opt_seed + 1) * 0x9E3779B97F4A7C15ULL + i;
		CHECK(pthread_create(&tid[i], NULL, fuzz_thread, &th[i]) == 0);
	}
	for (i = 0; i < opt_threads; i++) {
		pthread_join(tid[i], NULL);
		ok += th[i].allocs_ok;
		efault_out += th[i].allocs_efault_out;
		failed += th[i].allocs_failed;
		for (e = 0; e < 160; e++)
			errs[e] += th[i].errnos[e];
	}
	bbt_settle_empty("fuzz");
	s1 = bbt_stats();
	/* The module counted exactly what the fuzzer saw. */
	CHECK(s1.allocations - s0.allocations == ok + efault_out,
	      "module counted %llu allocations, fuzzer saw %" PRIu64 " + %" PRIu64 " taken back",
	      (unsigned long long)(s1.allocations - s0.allocations), ok,
	      efault_out);
	CHECK(s1.frees - s0.frees == s1.allocations - s0.allocations,
	      "%llu frees for %llu allocations",
	      (unsigned long long)(s1.frees - s0.frees),
	      (unsigned long long)(s1.allocations - s0.allocations));
	CHECK(s1.failures - s0.failures == failed,
	      "module counted %llu failures, fuzzer saw %" PRIu64,
	      (unsigned long long)(s1.failures - s0.failures), failed);
	CHECK(s1.pages_grabbed - s0.pages_grabbed >=
	      s1.pages_returned - s0.pages_returned);
	printf("    fuzz: %.1f s; allocations %" PRIu64 " ok, %" PRIu64 " taken back (EFAULT), %" PRIu64 " failed; outcomes:",
	       bbt_now() - t0, ok, efault_out, failed);
	for (e = 0; e < 160; e++)
		if (errs[e])
			printf(" %s %" PRIu64, e ? strerrorname_np(e) : "ok",
			       errs[e]);
	printf("\n");
	for (e = 0; e < ARRAY_LEN(ops); e++) {
		double secs = 0;

		for (i = 0; i < opt_threads; i++)
			secs += th[i].op_seconds[e];
		bbt_note("%-10s %7.2f thread-seconds\n", ops[e].name, secs);
	}
	for (i = 0, secs_ok = secs_failed = 0; i < opt_threads; i++) {
		secs_ok += th[i].alloc_ok_seconds;
		secs_failed += th[i].alloc_failed_seconds;
	}
	bbt_note("ALLOC ioctls: %.2f thread-seconds in successful, %.2f in failed ones\n",
		 secs_ok, secs_failed);
	munmap(none_page, bbt_page);
}

struct race_arg {
	int fd;
	uint64_t *ids;
	atomic_uint *wins;
	uint64_t rng;
	pthread_barrier_t *start;
};

static void *race_thread(void *arg)
{
	struct race_arg *r = arg;
	unsigned int i, n;
	struct bigbuf_query q;
	void *p;

	pthread_barrier_wait(r->start);
	for (n = 0; n < FREE_RACE_BUFS; n++) {
		i = bbt_below(&r->rng, FREE_RACE_BUFS);
		switch (bbt_below(&r->rng, 3)) {
		case 0:
			memset(&q, 0, sizeof(q));
			q.id = r->ids[i];
			ioctl(r->fd, BIGBUF_IOC_QUERY, &q);
			break;
		case 1:
			p = bbt_map(r->fd, r->ids[i] << BIGBUF_MMAP_SHIFT,
				    bbt_page);
			if (p)
				munmap(p, bbt_page);
			break;
		}
		if (bbt_free(r->fd, r->ids[i]) == 0)
			atomic_fetch_add(&r->wins[i], 1);
		else if (errno != ENOENT)
			bbt_fail(__FILE__, __LINE__, "racing free: %s",
				 strerror(errno));
	}
	/* Then every id once more, so that all are gone. */
	for (i = 0; i < FREE_RACE_BUFS; i++) {
		if (bbt_free(r->fd, r->ids[i]) == 0)
			atomic_fetch_add(&r->wins[i], 1);
		else if (errno != ENOENT)
			bbt_fail(__FILE__, __LINE__, "racing free: %s",
				 strerror(errno));
	}
	return NULL;
}

/* Threads FREE (and QUERY, mmap) the same ids at once: one FREE wins. */
static void t_free_race(void)
{
	uint64_t ids[FREE_RACE_BUFS], seed = opt_seed ^ 0xfeed;
	atomic_uint wins[FREE_RACE_BUFS];
	struct race_arg args[FREE_RACE_THREADS];
	pthread_t tid[FREE_RACE_THREADS];
	pthread_barrier_t start;
	struct bigbuf_alloc a;
	unsigned int round, i;
	int fd = bbt_open();

	for (round = 0; round < FREE_RACE_ROUNDS; round++) {
		for (i = 0; i < FREE_RACE_BUFS; i++) {
			ids[i] = 0;
			atomic_init(&wins[i], 0);
			if (bbt_alloc(fd, bbt_page * (1 + i % 4), 0, 0, 0, &a))
				bbt_fail(__FILE__, __LINE__, "alloc: %s",
					 strerror(errno));
			else
				ids[i] = a.id;
		}
		pthread_barrier_init(&start, NULL, FREE_RACE_THREADS);
		for (i = 0; i < FREE_RACE_THREADS; i++) {
			args[i] = (struct race_arg){ .fd = fd, .ids = ids,
						     .wins = wins,
						     .rng = seed + round * 131 + i + 1,
						     .start = &start };
			pthread_create(&tid[i], NULL, race_thread, &args[i]);
		}
		for (i = 0; i < FREE_RACE_THREADS; i++)
			pthread_join(tid[i], NULL);
		pthread_barrier_destroy(&start);
		for (i = 0; i < FREE_RACE_BUFS; i++)
			CHECK(!ids[i] || atomic_load(&wins[i]) == 1,
			      "id %" PRIu64 " freed %u times", ids[i],
			      atomic_load(&wins[i]));
		bbt_count(CNT_FUZZ_CALLS, FREE_RACE_THREADS * 2 * FREE_RACE_BUFS);
	}
	close(fd);
}

static int fuzz_opt(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	if (!strcmp(argv[0], "--seed")) {
		opt_seed = strtoull(argv[1], NULL, 0);
		opt_seed_set = true;
	} else if (!strcmp(argv[0], "--calls")) {
		opt_calls = strtoull(argv[1], NULL, 0);
	} else if (!strcmp(argv[0], "--threads")) {
		opt_threads = strtoul(argv[1], NULL, 0);
		if (!opt_threads || opt_threads > MAX_THREADS) {
			fprintf(stderr, "--threads: 1..%d\n", MAX_THREADS);
			exit(2);
		}
	} else {
		return 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	static const struct bbt_test tests[] = {
		{ "fuzz", t_fuzz },
		{ "free_race", t_free_race },
	};

	return bbt_main(argc, argv, tests, ARRAY_LEN(tests), fuzz_opt);
}
