// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random fuzzer of /dev/bigbuf: ioctl (valid and random command
 * numbers, valid and broken argument structs and pointers), mmap (offsets
 * and lengths inside, at and past the edge of buffers, unknown ids),
 * munmap (whole and partial), mremap (grow, shrink, move), madvise
 * (MADV_DONTNEED, the pages must fault back in unchanged) and close, from
 * several threads at once.  Device mappings: ALLOC_EXT (nodes, a device,
 * scattered buffers), MAP and UNMAP by id and by address, for QEMU's edu
 * device when the guest has one, for a function another driver owns
 * (EBUSY) and for functions in a PCI domain that does not exist (ENODEV);
 * no call ever names another real PCI function.
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
 * id succeeds once and then fails with ENOENT; a device mapping has the
 * device's mode, lies below the mask and (without a translating IOMMU) is
 * the buffer's bus address, and goes with its buffer.  Now and then every
 * thread stops for a census: the module must hold exactly the buffers,
 * bytes and device mappings that the fuzzer believes alive.  At the end
 * the module's counters must match what the fuzzer saw and return to zero
 * buffers and device mappings.
 *
 * Each thread has its own generator (seed + thread index), so a failing
 * seed replays the same sequence of calls per thread; with --threads 1
 * the whole run is reproducible up to ENOMEM outcomes.
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#define FUZZ_MEMMAP_BLOCKS	1024	/* room per MEMMAP call */
#define TAG_MAGIC		0xb16b0f0000000000ULL
#define MAX_NODES		4096	/* node ids tracked as online */
#define MAX_DOMAINS		64	/* PCI domains present */
/* QEMU's edu device and its DMA engine's reach. */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_MASK		((1ULL << 28) - 1)
/* The DMA mask of a PCI function nobody set one for (dma_mask 0). */
#define PCI_DEFAULT_MASK	((1ULL << 32) - 1)
/*
 * Without a translating IOMMU the kernel's direct DMA layer refuses a DMA
 * mask that does not cover ZONE_DMA (16 MiB on x86): MAP gives EINVAL.
 */
#define DIRECT_MIN_MASK		((1ULL << 24) - 1)
#define MIN_MASK_BITS		12

static uint64_t opt_seed;
static bool opt_seed_set;
static uint64_t opt_calls = DEFAULT_CALLS;
static unsigned int opt_threads = DEFAULT_THREADS;

/* Page frames [start, start + n). */
struct frun {
	uint64_t start, n;
};

/* A buffer as the fuzzer knows it; freed when the last reference goes. */
struct fbuf {
	uint64_t uid;		/* unique in this run, for page tags */
	uint64_t id, phys, size, mmap_offset;
	unsigned int refs;	/* table entry + mappings (one thread only) */
	bool registered;	/* in the global page frame registry */
	bool dying;		/* a call that may release it is under way */
	uint32_t kind;		/* BIGBUF_KIND_* */
	int node;		/* as QUERY must answer; NODE_UNKNOWN until seen */
	uint64_t *pfns;		/* every page's frame (BIGBUF_KIND_DEV_CONTIG) */
	struct frun *runs;	/* its frames, sorted runs (run0 if contiguous) */
	unsigned int nr_runs;
	struct frun run0;
	bool edu_mapped;	/* has a device mapping for edu */
};
#define NODE_UNKNOWN		INT32_MIN

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
	/*
	 * ALLOC_EXT with a device that failed with ENOMEM, before allocating
	 * or after it (no room for the device mapping): a failure either way.
	 * Behind a translating IOMMU, one that asked for an alignment may
	 * have been mapped before its IOVA turned out not aligned enough.
	 */
	uint64_t allocs_enomem_dev, allocs_enomem_aligned;
	uint64_t allocs_ext_ok, allocs_scattered;
	/* Device mappings made (module's dev_maps_total) and what ended them. */
	uint64_t maps_ok, maps_by_ext, maps_efault_out, unmaps_ok, maps_gone;
	uint64_t maps_high;	/* of buffers whose pages lie beyond the mask */
	uint64_t censuses;
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

/*
 * The PCI functions the device-mapping calls may name, found in sysfs at
 * start: edu (valid mappings), one bound to another kernel driver (EBUSY),
 * and the PCI domains that exist (a function in any other one cannot
 * exist: ENODEV).
 */
static struct bbt_pci edu, busy;
static bool have_edu, have_busy;
static int edu_mode;			/* BIGBUF_DMA_* */
static int edu_node = -1;		/* its NUMA node, as dev_to_node() */
static char busy_driver[64];
static uint32_t pci_domains[MAX_DOMAINS];
static unsigned int nr_pci_domains;
static unsigned char node_online[MAX_NODES / 8];
static unsigned int nr_online_nodes;

/*
 * Census: calls run under the read side; a census takes the write side,
 * so no call is under way while it compares the module's counters with
 * what the fuzzer believes alive (buffers in the registry, device
 * mappings below).
 */
static pthread_rwlock_t census_lock;
static struct bigbuf_stats census_base;
static atomic_int_fast64_t edu_maps_alive, edu_bytes_alive;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The buffer's frames as sorted runs: one for a physically contiguous
 * buffer, from the frames seen through pagemap for a scattered one.  False
 * if a scattered buffer holds a frame twice.
 */
static bool set_runs(struct fbuf *b)
{
	uint64_t n = b->size / bbt_page, *sorted, i;
	struct frun *r;

	if (!b->pfns) {
		b->run0 = (struct frun){ b->phys / bbt_page, n };
		b->runs = &b->run0;
		b->nr_runs = 1;
		return true;
	}
	sorted = malloc(n * sizeof(*sorted));
	r = malloc(n * sizeof(*r));
	if (!sorted || !r) {
		free(sorted);
		free(r);
		return false;
	}
	memcpy(sorted, b->pfns, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	b->runs = r;
	b->nr_runs = 0;
	for (i = 0; i < n; i++) {
		if (i && sorted[i] == sorted[i - 1]) {
			free(sorted);
			return false;
		}
		if (b->nr_runs && r[b->nr_runs - 1].start + r[b->nr_runs - 1].n == sorted[i])
			r[b->nr_runs - 1].n++;
		else
			r[b->nr_runs++] = (struct frun){ sorted[i], 1 };
	}
	free(sorted);
	return true;
}

static bool runs_overlap(const struct fbuf *a, const struct fbuf *b)
{
	unsigned int i = 0, j = 0;

	while (i < a->nr_runs && j < b->nr_runs) {
		const struct frun *x = &a->runs[i], *y = &b->runs[j];

		if (x->start < y->start + y->n && y->start < x->start + x->n)
			return true;
		if (x->start + x->n <= y->start + y->n)
			i++;
		else
			j++;
	}
	return false;
}

static void reg_add(struct fbuf *b)
{
	unsigned int i;

	pthread_mutex_lock(&reg.lock);
	for (i = 0; i < reg.nr; i++) {
		const struct fbuf *o = reg.bufs[i];

		if (!o->dying && runs_overlap(b, o))
			bbt_fail(__FILE__, __LINE__,
				 "buffer %s %#" PRIx64 "+%#" PRIx64 " shares page frames with live buffer %s %#" PRIx64 "+%#" PRIx64,
				 b->pfns ? "scattered, first frame" : "phys",
				 b->pfns ? b->pfns[0] * bbt_page : b->phys,
				 b->size, o->pfns ? "scattered, first frame" : "phys",
				 o->pfns ? o->pfns[0] * bbt_page : o->phys, o->size);
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

static void buf_put(struct fthread *t, struct fbuf *b)
{
	if (--b->refs)
		return;
	/* Released: its device mapping went with it. */
	if (b->edu_mapped) {
		atomic_fetch_sub(&edu_maps_alive, 1);
		atomic_fetch_sub(&edu_bytes_alive, b->size);
		t->maps_gone++;
	}
	reg_del(b);
	if (b->runs != &b->run0)
		free(b->runs);
	free(b->pfns);
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
/* Size, alignment, strategy and limit, as ALLOC and ALLOC_EXT check them. */
static int predict_request(uint64_t size, uint64_t align, uint64_t max_addr,
			   unsigned int s)
{
	uint64_t pages, limit_pages;

	if (s >= BIGBUF_STRATEGY_COUNT)
		return EINVAL;
	if (!size)
		return EINVAL;
	if (align && ((align & (align - 1)) || align > bbt_info.max_align))
		return EINVAL;
	if (s != BIGBUF_STRATEGY_AUTO && !(bbt_info.strategies & (1U << s)))
		return EOPNOTSUPP;
	if (size > bbt_info.max_alloc_size)
		return ENOMEM;
	pages = (size + bbt_page - 1) / bbt_page;
	if (max_addr) {
		limit_pages = (max_addr + 1) / bbt_page;
		if (max_addr == UINT64_MAX)
			limit_pages = UINT64_MAX / bbt_page + 1;
		if (limit_pages < pages)
			return ENOMEM;
	}
	return 0;
}

static int predict_alloc(const struct bigbuf_alloc *a)
{
	if (a->reserved[0] || a->reserved[1])
		return EINVAL;
	if (a->flags & ~BIGBUF_ALLOC_FLAGS_VALID)
		return EINVAL;
	return predict_request(a->size, a->align, a->max_addr,
			       a->flags & BIGBUF_STRATEGY_MASK);
}

static bool is_online(int64_t node)
{
	return node >= 0 && node < bbt_info.nr_nodes && node < MAX_NODES &&
	       (node_online[node / 8] & (1U << (node % 8)));
}

static bool same_pci(const struct bigbuf_pci_dev *a,
		     const struct bigbuf_pci_dev *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->slot == b->slot && a->func == b->func && a->pad == b->pad;
}

static bool pci_domain_exists(uint32_t domain)
{
	unsigned int i;

	for (i = 0; i < nr_pci_domains; i++)
		if (pci_domains[i] == domain)
			return true;
	return false;
}

/* A function in a PCI domain that does not exist. */
static struct bigbuf_pci_dev absent_pci(struct fthread *t)
{
	struct bigbuf_pci_dev d = {
		.bus = bbt_below(&t->rng, 256),
		.slot = bbt_below(&t->rng, 32),
		.func = bbt_below(&t->rng, 8),
	};

	do
		d.domain = bbt_rand(&t->rng) >> bbt_below(&t->rng, 32);
	while (pci_domain_exists(d.domain));
	return d;
}

/*
 * A request's function is edu, the busy one, or lies in a domain that
 * does not exist: a random or corrupted one that could name a real
 * function (the module would bind its stub driver to it) is moved out.
 */
static void never_real(struct fthread *t, struct bigbuf_pci_dev *d)
{
	if ((have_edu && same_pci(d, &edu.addr)) ||
	    (have_busy && same_pci(d, &busy.addr)) ||
	    !pci_domain_exists(d->domain))
		return;
	do
		d->domain = bbt_rand(&t->rng) >> bbt_below(&t->rng, 32);
	while (pci_domain_exists(d->domain));
}

/* Mostly edu, sometimes the busy or an absent function. */
static struct bigbuf_pci_dev pick_pci(struct fthread *t)
{
	unsigned int r = bbt_below(&t->rng, 10);

	if (have_edu && r < 7)
		return edu.addr;
	if (have_busy && (have_edu ? r < 8 : r < 5))
		return busy.addr;
	return absent_pci(t);
}

/* One bad field of a PCI function address. */
static void corrupt_pci(struct fthread *t, struct bigbuf_pci_dev *d)
{
	switch (bbt_below(&t->rng, 3)) {
	case 0:
		d->slot = 32 + bbt_below(&t->rng, 256 - 32);
		break;
	case 1:
		d->func = 8 + bbt_below(&t->rng, 256 - 8);
		break;
	default:
		d->pad = 1 + bbt_below(&t->rng, 255);
	}
}

static bool mask_valid(uint64_t m)
{
	return !m || (!(m & (m + 1)) && 64 - __builtin_clzll(m) >= MIN_MASK_BITS);
}

/* A valid DMA mask: mostly edu's, sometimes 0, 32 bits or 2^n - 1. */
static uint64_t pick_mask(struct fthread *t)
{
	unsigned int n;

	switch (bbt_below(&t->rng, 8)) {
	case 0:
		return 0;
	case 1:
		return PCI_DEFAULT_MASK;
	case 2:
		n = MIN_MASK_BITS + bbt_below(&t->rng, 64 - MIN_MASK_BITS + 1);
		return n == 64 ? UINT64_MAX : (1ULL << n) - 1;
	}
	return EDU_MASK;
}

/* A mask the ABI rejects: too few bits, a hole, a single bit. */
static uint64_t bad_mask(struct fthread *t)
{
	unsigned int n;

	switch (bbt_below(&t->rng, 3)) {
	case 0:
		return (1ULL << (1 + bbt_below(&t->rng, MIN_MASK_BITS - 1))) - 1;
	case 1:
		n = MIN_MASK_BITS + bbt_below(&t->rng, 64 - MIN_MASK_BITS + 1);
		return (n == 64 ? UINT64_MAX : (1ULL << n) - 1) &
		       ~(1ULL << bbt_below(&t->rng, n - 1));
	}
	return 1ULL << bbt_below(&t->rng, 64);
}

/* bb_devmap_check(): the PCI address fields, map flags, mask. */
static int predict_pci_check(const struct bigbuf_pci_dev *d, uint64_t mask,
			     uint32_t flags)
{
	if (d->pad || d->slot >= 32 || d->func >= 8)
		return EINVAL;
	if (flags & ~BIGBUF_MAP_FLAGS_VALID)
		return EINVAL;
	if (!mask_valid(mask))
		return EINVAL;
	return 0;
}

/* Looking the function up (after never_real()): 0 and edu's mode, or the errno. */
static int predict_pci_lookup(const struct bigbuf_pci_dev *d, int *mode)
{
	if (have_edu && same_pci(d, &edu.addr)) {
		*mode = edu_mode;
		return 0;
	}
	if (have_busy && same_pci(d, &busy.addr))
		return EBUSY;
	return ENODEV;
}

/* The limit a device mapping with dma_mask @mask must lie below. */
static uint64_t mask_limit(uint64_t mask)
{
	return mask ? mask : PCI_DEFAULT_MASK;
}

/* Mapping live buffer @b for edu with @mask: 0 or the errno, in bb_devmap_add()'s order. */
static int predict_edu_map(const struct fbuf *b, uint64_t mask)
{
	bool translated = edu_mode == BIGBUF_DMA_TRANSLATED;
	uint64_t limit = mask_limit(mask);

	/* Checked when the function is looked up, before the buffer. */
	if (mask && !translated && limit < DIRECT_MIN_MASK)
		return EINVAL;
	if (!translated && b->kind == BIGBUF_KIND_DEV_CONTIG)
		return EXDEV;
	if (!translated && b->phys + b->size - 1 > limit)
		return ERANGE;
	if (b->edu_mapped)
		return EEXIST;
	/* No I/O address space below the mask holds the buffer. */
	if (translated && b->size - 1 > limit)
		return ENOMEM;
	return 0;
}

/* What the ABI promises for an ALLOC_EXT argument. */
struct ext_pred {
	int err;		/* the errno; 0: valid */
	bool device;		/* valid, and mapped for edu on success */
	int nid;		/* the node asked for, -1 none */
	int mode;		/* edu's, with device */
	uint64_t limit;		/* with device: dev_addr's */
};

static bool pci_given(const struct bigbuf_pci_dev *d)
{
	return d->domain || d->bus || d->slot || d->func || d->pad;
}

/* In the order of bb_ioctl_alloc_ext() and bb_make_ext_request(). */
static struct ext_pred predict_alloc_ext(const struct bigbuf_alloc_ext *a)
{
	struct ext_pred p = { .nid = -1 };
	bool device = a->flags & BIGBUF_ALLOC_DEVICE;
	bool scatter = a->flags & BIGBUF_ALLOC_SCATTER;
	unsigned int s = a->flags & BIGBUF_STRATEGY_MASK, i;
	uint64_t limit = a->max_addr;

	for (i = 0; i < ARRAY_LEN(a->reserved); i++)
		if (a->reserved[i])
			p.err = EINVAL;
	if (p.err || a->flags & ~BIGBUF_ALLOC_EXT_FLAGS_VALID ||
	    (!device && (a->map_flags || pci_given(&a->dev) || scatter))) {
		p.err = EINVAL;
		return p;
	}
	if (device) {
		p.err = predict_pci_check(&a->dev, a->max_addr, a->map_flags);
		if (!p.err)
			p.err = predict_pci_lookup(&a->dev, &p.mode);
		/* Without an IOMMU the platform refuses masks this small. */
		if (!p.err && a->max_addr && p.mode != BIGBUF_DMA_TRANSLATED &&
		    a->max_addr < DIRECT_MIN_MASK)
			p.err = EINVAL;
		if (!p.err && scatter && p.mode != BIGBUF_DMA_TRANSLATED)
			p.err = EXDEV;
		if (p.err)
			return p;
		/* Behind a translating IOMMU the pages may lie anywhere. */
		if (p.mode == BIGBUF_DMA_TRANSLATED)
			limit = 0;
		else
			limit = mask_limit(a->max_addr);
	}
	p.err = predict_request(a->size, a->align, limit, s);
	if (p.err)
		return p;
	if (scatter && s != BIGBUF_STRATEGY_AUTO && s != BIGBUF_STRATEGY_BUDDY) {
		p.err = EINVAL;
		return p;
	}
	if (a->node != BIGBUF_NODE_ANY) {
		if (!is_online(a->node)) {
			p.err = EINVAL;
			return p;
		}
		p.nid = a->node;
	} else if (device) {
		p.nid = edu_node;
	}
	if (a->flags & BIGBUF_ALLOC_NODE_STRICT && p.nid < 0) {
		p.err = EINVAL;
		return p;
	}
	p.device = device;
	p.limit = mask_limit(a->max_addr);
	return p;
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

static int pick_online_node(struct fthread *t)
{
	unsigned int skip = bbt_below(&t->rng, nr_online_nodes), n;

	for (n = 0; n < MAX_NODES; n++)
		if (is_online(n) && !skip--)
			return n;
	return BIGBUF_NODE_ANY;
}

/* A node ALLOC_EXT must refuse: negative but not -1, too large, offline. */
static int bad_node(struct fthread *t)
{
	unsigned int n, start;

	switch (bbt_below(&t->rng, 3)) {
	case 0:
		return -2 - (int)bbt_below(&t->rng, INT32_MAX - 1);
	case 1:
		return bbt_info.nr_nodes +
		       bbt_below(&t->rng, INT32_MAX - bbt_info.nr_nodes);
	}
	start = bbt_below(&t->rng, bbt_info.nr_nodes);
	for (n = 0; n < bbt_info.nr_nodes; n++)
		if (!is_online((start + n) % bbt_info.nr_nodes))
			return (start + n) % bbt_info.nr_nodes;
	return bbt_info.nr_nodes;	/* all possible nodes are online */
}

/*
 * Break one thing about a valid ALLOC_EXT request (ALLOC's ways and the
 * flags, node and device fields), or everything.
 */
static void corrupt_alloc_ext(struct fthread *t, struct bigbuf_alloc_ext *a)
{
	switch (bbt_below(&t->rng, 16)) {
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
		a->reserved[bbt_below(&t->rng, 4)] = bbt_rand(&t->rng) | 1;
		break;
	case 4:	/* a flag bit no ALLOC_EXT knows */
		a->flags |= 1U << (11 + bbt_below(&t->rng, 21));
		break;
	case 5:
		a->flags = (a->flags & ~BIGBUF_STRATEGY_MASK) |
			   (BIGBUF_STRATEGY_COUNT +
			    bbt_below(&t->rng, 256 - BIGBUF_STRATEGY_COUNT));
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
	case 9:	/* scattered needs a device */
		a->flags = (a->flags & ~BIGBUF_ALLOC_DEVICE) |
			   BIGBUF_ALLOC_SCATTER;
		a->dev = (struct bigbuf_pci_dev){ 0 };
		a->map_flags = 0;
		break;
	case 10: /* strict without a node: valid only for a device with one */
		a->flags |= BIGBUF_ALLOC_NODE_STRICT;
		a->node = BIGBUF_NODE_ANY;
		break;
	case 11:
		a->node = bad_node(t);
		break;
	case 12: /* a function, but no BIGBUF_ALLOC_DEVICE */
		a->flags &= ~(BIGBUF_ALLOC_DEVICE | BIGBUF_ALLOC_SCATTER);
		a->map_flags = 0;
		a->dev = (struct bigbuf_pci_dev){ 0 };
		if (bbt_below(&t->rng, 4) == 0)
			a->dev.pad = 1 + bbt_below(&t->rng, 255);
		else
			a->dev = pick_pci(t);
		break;
	case 13: /* map flags, but no BIGBUF_ALLOC_DEVICE */
		a->flags &= ~(BIGBUF_ALLOC_DEVICE | BIGBUF_ALLOC_SCATTER);
		a->dev = (struct bigbuf_pci_dev){ 0 };
		a->map_flags = 1 + bbt_below(&t->rng, UINT32_MAX);
		break;
	case 14: /* the device part */
		if (!(a->flags & BIGBUF_ALLOC_DEVICE)) {
			a->flags |= BIGBUF_ALLOC_DEVICE;
			a->dev = pick_pci(t);
			a->max_addr = pick_mask(t);
		}
		switch (bbt_below(&t->rng, 3)) {
		case 0:
			corrupt_pci(t, &a->dev);
			break;
		case 1:
			a->max_addr = bad_mask(t);
			break;
		default:
			a->map_flags |= 1U << (1 + bbt_below(&t->rng, 31));
		}
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
			want = m->buf->pfns ? m->buf->pfns[m->first + i + k] :
			       m->buf->phys / bbt_page + m->first + i + k;
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
	buf_put(t, b);
}

static void drop_live(struct fthread *t, unsigned int i)
{
	struct fbuf *b = t->live[i].buf;

	t->live[i] = t->live[--t->nr_live];
	buf_put(t, b);
}

static int any_fd_slot(struct fthread *t)
{
	unsigned int s = bbt_below(&t->rng, MAX_FDS);

	if (t->fds[s] < 0)
		t->fds[s] = bbt_open();
	return s;
}

/* Page frames of @pages pages mapped at @addr; false if one is not present. */
static bool read_pfns(struct fthread *t, const void *addr, uint64_t pages,
		      uint64_t *out)
{
	off_t base = (uintptr_t)addr / bbt_page * 8;
	uint64_t i, n;
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (pm < 0)
		return false;
	for (i = 0; i < pages; i += n) {
		n = pages - i < PAGEMAP_BATCH ? pages - i : PAGEMAP_BATCH;
		if (pread(pm, out + i, n * 8, base + i * 8) != (ssize_t)(n * 8))
			break;
	}
	close(pm);
	for (i = 0; i < pages; i++) {
		if (!(out[i] & PM_PRESENT)) {
			bbt_fail(__FILE__, __LINE__,
				 "thread %u: page %" PRIu64 " of a new scattered buffer not present",
				 t->index, i);
			return false;
		}
		out[i] &= PM_PFN_MASK;
	}
	return true;
}

/* A successful ALLOC or ALLOC_EXT: its answer and what the buffer is. */
struct newbuf {
	uint64_t id, phys, actual_size, mmap_offset, size;
	uint32_t strategy, kind;
	int node;		/* NODE_UNKNOWN: ALLOC does not say */
	bool edu_mapped;
};

/*
 * Checks common to both allocation calls, then the buffer joins the live
 * ones: registered, mapped whole to see it zeroed and to tag its pages.
 */
static void track_new(struct fthread *t, int slot, const struct newbuf *nb)
{
	uint64_t rounded = (nb->size + bbt_page - 1) / bbt_page * bbt_page;
	int fd = t->fds[slot];
	struct fbuf *b;
	unsigned char *p;
	long ret;

	CHECK(nb->id != 0 && nb->actual_size == rounded &&
	      nb->mmap_offset == nb->id << BIGBUF_MMAP_SHIFT,
	      "id %" PRIu64 " actual %" PRIu64 " for %" PRIu64, nb->id,
	      nb->actual_size, nb->size);
	for (unsigned int i = 0; i < t->nr_live; i++)
		CHECK(t->live[i].fd_slot != slot || t->live[i].buf->id != nb->id,
		      "id %" PRIu64 " handed out twice on one file", nb->id);
	if (t->nr_live == MAX_LIVE) {
		/*
		 * A "corrupted" request can still be valid (e.g. alignment 4),
		 * so the table may be full here: give the buffer back rather
		 * than write past live[].  Its device mapping goes with it.
		 */
		struct bigbuf_free f = { .id = nb->id };

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
			    .id = nb->id, .phys = nb->phys,
			    .size = nb->actual_size,
			    .mmap_offset = nb->mmap_offset, .refs = 1,
			    .kind = nb->kind, .node = nb->node,
			    .edu_mapped = nb->edu_mapped };
	t->live[t->nr_live++] = (struct flive){ .buf = b, .fd_slot = slot };
	if (b->edu_mapped) {
		atomic_fetch_add(&edu_maps_alive, 1);
		atomic_fetch_add(&edu_bytes_alive, b->size);
	}

	/* Zero on hand-out, seen through a fresh mapping of the whole. */
	if (b->kind == BIGBUF_KIND_PHYS_CONTIG && set_runs(b))
		reg_add(b);
	p = bbt_map(fd, nb->mmap_offset, nb->actual_size);
	outcome(t, p ? 0 : -1, errno);
	if (!p) {
		bbt_fail(__FILE__, __LINE__, "mmap of new buffer: %s",
			 strerror(errno));
		return;
	}
	if (b->kind == BIGBUF_KIND_DEV_CONTIG) {
		/* Its frames are known only through the mapping. */
		b->pfns = malloc(b->size / bbt_page * sizeof(*b->pfns));
		if (!b->pfns || !read_pfns(t, p, b->size / bbt_page, b->pfns)) {
			free(b->pfns);
			b->pfns = NULL;
			bbt_fail(__FILE__, __LINE__, "pagemap of a scattered buffer");
		} else if (!set_runs(b)) {
			bbt_fail(__FILE__, __LINE__,
				 "scattered buffer %" PRIu64 " holds a page frame twice",
				 b->id);
		} else {
			reg_add(b);
		}
	}
	CHECK(zero_checked(p, nb->actual_size, &t->rng),
	      "new buffer phys %#" PRIx64 " size %" PRIu64 " not zero",
	      nb->phys, nb->actual_size);
	if (add_map(t, b, p, nb->actual_size, 0) == 0 && bbt_below(&t->rng, 2)) {
		outcome(t, munmap(p, nb->actual_size), errno);
		drop_map(t, t->nr_maps - 1);
	}
}

/* ALLOC: valid, broken, or with a faulting argument pointer. */
static void alloc_plain(struct fthread *t, int slot, enum argp_kind k,
			bool bad)
{
	struct bigbuf_alloc a = { 0 }, in;
	int fd = t->fds[slot], want, err;
	double t0;
	long ret;

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
	track_new(t, slot, &(struct newbuf){
		.id = a.id, .phys = a.phys_addr, .actual_size = a.actual_size,
		.mmap_offset = a.mmap_offset, .size = in.size,
		.strategy = a.strategy, .kind = BIGBUF_KIND_PHYS_CONTIG,
		.node = NODE_UNKNOWN });
}

/*
 * ALLOC_EXT: ALLOC's sizes, alignments, limits and strategies, with a
 * node (strict or not), a device (edu with a mask, the busy or an absent
 * function) and scattered pages; broken as ALLOC is and in its own ways.
 */
static void alloc_ext(struct fthread *t, int slot, enum argp_kind k, bool bad)
{
	struct bigbuf_alloc_ext a = { 0 }, in;
	int fd = t->fds[slot], err;
	unsigned int s;
	struct ext_pred p;
	bool scatter;
	double t0;
	long ret;

	a.size = pick_size(t);
	a.align = pick_align(t);
	a.max_addr = pick_limit(t);
	a.flags = bbt_below(&t->rng, BIGBUF_STRATEGY_COUNT);
	a.node = BIGBUF_NODE_ANY;
	if (bbt_below(&t->rng, 4) == 0) {
		a.node = pick_online_node(t);
		if (bbt_below(&t->rng, 2))
			a.flags |= BIGBUF_ALLOC_NODE_STRICT;
	}
	if (bbt_below(&t->rng, 2)) {
		a.flags |= BIGBUF_ALLOC_DEVICE;
		a.dev = pick_pci(t);
		a.max_addr = pick_mask(t);
		if (bbt_below(&t->rng, 4) == 0)
			a.map_flags = BIGBUF_MAP_DEVICE_READ_ONLY;
		if (bbt_below(&t->rng, 4) == 0) {
			a.flags |= BIGBUF_ALLOC_SCATTER;
			if (bbt_below(&t->rng, 4))	/* mostly the valid ones */
				a.flags = (a.flags & ~BIGBUF_STRATEGY_MASK) |
					  (bbt_below(&t->rng, 2) ?
					   BIGBUF_STRATEGY_BUDDY :
					   BIGBUF_STRATEGY_AUTO);
		}
	}
	if (bad)
		corrupt_alloc_ext(t, &a);
	if (a.flags & BIGBUF_ALLOC_DEVICE)
		never_real(t, &a.dev);
	in = a;
	p = predict_alloc_ext(&a);
	t0 = bbt_now();
	errno = 0;
	ret = ioctl(fd, BIGBUF_IOC_ALLOC_EXT, argp_of(t, k, &a, &in, sizeof(in)));
	err = errno;
	if (ret)
		t->alloc_failed_seconds += bbt_now() - t0;
	else
		t->alloc_ok_seconds += bbt_now() - t0;
	if (k == ARG_NULL || k == ARG_NONE) {
		expect(t, "alloc_ext(unreadable arg)", ret, err, EFAULT);
		return;
	}
	if (p.err) {
		char what[256];

		snprintf(what, sizeof(what),
			 "alloc_ext(bad input: size %#" PRIx64 " align %#" PRIx64 " max %#" PRIx64 " flags %#x node %d map_flags %#x dev %x:%x:%x.%x pad %u)",
			 (uint64_t)in.size, (uint64_t)in.align,
			 (uint64_t)in.max_addr, in.flags, in.node, in.map_flags,
			 in.dev.domain, in.dev.bus, in.dev.slot, in.dev.func,
			 in.dev.pad);
		expect(t, what, ret, err, p.err);
		if (ret == -1 && err == p.err)
			t->allocs_failed++;
		return;
	}
	outcome(t, ret, err);
	if (k == ARG_RO)
		bbt_count(CNT_BAD_INPUTS, 1);
	if (ret == -1 && err == EFAULT && k == ARG_RO) {
		/* Allocated (and mapped), the answer not writable: taken back. */
		t->allocs_efault_out++;
		if (p.device)
			t->maps_efault_out++;
		return;
	}
	if (ret == -1 && err == ENOMEM && p.device) {
		t->allocs_enomem_dev++;
		if (p.mode == BIGBUF_DMA_TRANSLATED && in.align > (uint64_t)bbt_page)
			t->allocs_enomem_aligned++;
		return;
	}
	if (ret == -1 && (err == ENOMEM || err == EINTR)) {
		t->allocs_failed++;
		return;
	}
	if (ret || k == ARG_RO) {
		bbt_fail(__FILE__, __LINE__,
			 "alloc_ext%s size %#" PRIx64 " align %#" PRIx64 " max %#" PRIx64 " flags %#x node %d map_flags %#x dev %x:%x:%x.%x: got %ld/%s",
			 k == ARG_RO ? "(read-only arg, want EFAULT)" : "",
			 (uint64_t)in.size, (uint64_t)in.align,
			 (uint64_t)in.max_addr, in.flags, in.node, in.map_flags,
			 in.dev.domain, in.dev.bus, in.dev.slot, in.dev.func,
			 ret, strerror(err));
		return;
	}
	t->allocs_ok++;
	t->allocs_ext_ok++;
	scatter = in.flags & BIGBUF_ALLOC_SCATTER;
	t->allocs_scattered += scatter;
	s = in.flags & BIGBUF_STRATEGY_MASK;
	CHECK(a.kind == (scatter ? BIGBUF_KIND_DEV_CONTIG : BIGBUF_KIND_PHYS_CONTIG),
	      "kind %u, flags %#x", a.kind, in.flags);
	CHECK(a.strategy >= BIGBUF_STRATEGY_BUDDY &&
	      a.strategy < BIGBUF_STRATEGY_COUNT &&
	      (scatter ? a.strategy == BIGBUF_STRATEGY_BUDDY :
		     !s || a.strategy == s), "strategy %u, flags %#x",
	      a.strategy, in.flags);
	CHECK(a.node == BIGBUF_NODE_ANY || is_online(a.node), "node %d", a.node);
	if (in.flags & BIGBUF_ALLOC_NODE_STRICT)
		CHECK(a.node == p.nid, "node %d, strictly asked for %d", a.node,
		      p.nid);
	if (scatter)
		CHECK(a.phys_addr == 0, "scattered buffer at phys %#" PRIx64,
		      (uint64_t)a.phys_addr);
	else
		CHECK(a.phys_addr % bbt_page == 0, "phys %#" PRIx64,
		      (uint64_t)a.phys_addr);
	if (!p.device) {
		CHECK(a.mode == 0 && a.dev_addr == 0,
		      "no device, but mode %u dev_addr %#" PRIx64, a.mode,
		      (uint64_t)a.dev_addr);
		CHECK(!in.align || a.phys_addr % in.align == 0,
		      "phys %#" PRIx64 " align %#" PRIx64,
		      (uint64_t)a.phys_addr, (uint64_t)in.align);
		CHECK(!in.max_addr ||
		      a.phys_addr + a.actual_size - 1 <= in.max_addr,
		      "phys %#" PRIx64 "+%#" PRIx64 " above %#" PRIx64,
		      (uint64_t)a.phys_addr, (uint64_t)a.actual_size,
		      (uint64_t)in.max_addr);
	} else {
		t->maps_ok++;
		t->maps_by_ext++;
		CHECK(a.mode == (uint32_t)p.mode, "mode %u, edu's is %d",
		      a.mode, p.mode);
		CHECK(a.dev_addr % bbt_page == 0 && a.actual_size - 1 <= p.limit &&
		      a.dev_addr <= p.limit - (a.actual_size - 1),
		      "dev_addr %#" PRIx64 "+%#" PRIx64 " beyond mask %#" PRIx64,
		      (uint64_t)a.dev_addr, (uint64_t)a.actual_size, p.limit);
		/*
		 * The alignment is the device address's: without a translating
		 * IOMMU that is the physical one.
		 */
		CHECK(!in.align || a.dev_addr % in.align == 0,
		      "dev_addr %#" PRIx64 " align %#" PRIx64 " (%s)",
		      (uint64_t)a.dev_addr, (uint64_t)in.align,
		      p.mode == BIGBUF_DMA_TRANSLATED ? "translated" : "direct");
		if (p.mode != BIGBUF_DMA_TRANSLATED)
			CHECK(a.dev_addr == a.phys_addr,
			      "dev_addr %#" PRIx64 " of phys %#" PRIx64,
			      (uint64_t)a.dev_addr, (uint64_t)a.phys_addr);
		else if (!scatter && a.phys_addr + a.actual_size - 1 > p.limit)
			t->maps_high++;
	}
	track_new(t, slot, &(struct newbuf){
		.id = a.id, .phys = a.phys_addr, .actual_size = a.actual_size,
		.mmap_offset = a.mmap_offset, .size = in.size,
		.strategy = a.strategy, .kind = a.kind, .node = a.node,
		.edu_mapped = p.device });
}

static void op_alloc(struct fthread *t)
{
	enum argp_kind k = pick_argp(t);
	int slot = any_fd_slot(t);
	bool bad = bbt_below(&t->rng, 3) == 0;

	if (t->nr_live == MAX_LIVE && !bad && k == ARG_OK)
		bad = true;	/* keep memory bounded */
	if (bbt_below(&t->rng, 3) == 0)
		alloc_ext(t, slot, k, bad);
	else
		alloc_plain(t, slot, k, bad);
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
	if (ret || k != ARG_OK || !b)
		return;
	CHECK(q.phys_addr == b->phys && q.size == b->size &&
	      q.mmap_offset == b->mmap_offset && q.kind == b->kind,
	      "query of %" PRIu64 " answered phys %#" PRIx64 " size %" PRIu64 " kind %u",
	      b->id, (uint64_t)q.phys_addr, (uint64_t)q.size, q.kind);
	/* The node is fixed at creation; ALLOC does not tell it. */
	if (b->node == NODE_UNKNOWN) {
		CHECK(q.node == BIGBUF_NODE_ANY || is_online(q.node),
		      "query of %" PRIu64 ": node %d", b->id, q.node);
		b->node = q.node;
	}
	CHECK(q.node == b->node, "query of %" PRIu64 ": node %d, was %d",
	      b->id, q.node, b->node);
	CHECK(q.dev_maps == (b->edu_mapped ? 1U : 0U),
	      "query of %" PRIu64 ": %u device mappings, want %u", b->id,
	      q.dev_maps, b->edu_mapped ? 1U : 0U);
}

/* A live buffer (by id) or one of this thread's mappings (by address). */
struct target {
	struct fbuf *buf;	/* NULL: none, the call must fail with ENOENT */
	int slot;
	uint64_t id, addr;
};

/* An address that lies in no mapping of /dev/bigbuf, in any thread. */
static uint64_t foreign_addr(struct fthread *t)
{
	static const uint64_t high[] = {
		0xffffffff81000000ULL,	/* kernel text */
		0xffff888000000000ULL,	/* direct map */
		0x8000000000000000ULL,	/* not canonical */
		0x00007ffffffff000ULL,	/* last user page */
	};

	switch (bbt_below(&t->rng, 6)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)none_page + bbt_below(&t->rng, bbt_page);
	case 2:
		return (uintptr_t)t->ro_page + bbt_below(&t->rng, bbt_page);
	case 3:
		return (uintptr_t)t;	/* static data */
	case 4:
		return (uintptr_t)&t->rng & ~7ULL;
	}
	return high[bbt_below(&t->rng, ARRAY_LEN(high))];
}

/*
 * What a MAP/UNMAP names: mostly a live buffer by id or a mapping by an
 * address inside it, else an unknown id, another file's id or an address
 * outside every bigbuf mapping.  False if nothing fits (skip the call).
 */
static bool pick_target(struct fthread *t, struct target *g)
{
	unsigned int r = bbt_below(&t->rng, 12), i, other;
	const struct fmap *m;

	*g = (struct target){ .slot = any_fd_slot(t) };
	if (r < 6 && t->nr_live) {
		i = bbt_below(&t->rng, t->nr_live);
		g->buf = t->live[i].buf;
		g->slot = t->live[i].fd_slot;
		g->id = g->buf->id;
		/* With an id the address is ignored. */
		if (bbt_below(&t->rng, 4) == 0)
			g->addr = bbt_rand(&t->rng);
		return true;
	}
	if (r < 9 && t->nr_maps) {
		m = &t->maps[bbt_below(&t->rng, t->nr_maps)];
		g->buf = m->buf;
		g->addr = (uintptr_t)m->addr + bbt_below(&t->rng, m->len);
		return true;
	}
	if (r == 9 && t->nr_live) {
		/* Ids are per file: a live id on another file of ours. */
		i = bbt_below(&t->rng, t->nr_live);
		other = (t->live[i].fd_slot + 1 + bbt_below(&t->rng, MAX_FDS - 1)) %
			MAX_FDS;
		if (t->fds[other] < 0)
			t->fds[other] = bbt_open();
		g->slot = other;
		g->id = t->live[i].buf->id;
	} else if (r == 10) {
		g->addr = foreign_addr(t);
	} else {
		g->id = bbt_rand(&t->rng) >> bbt_below(&t->rng, 64);
		if (!g->id)
			g->addr = foreign_addr(t);
	}
	for (i = 0; i < t->nr_live; i++)
		if (g->id && t->live[i].fd_slot == g->slot &&
		    t->live[i].buf->id == g->id)
			return false;	/* a live id after all */
	return true;
}

/*
 * MAP: live buffers for edu by id and by address, with edu's and other
 * masks; and every way to get it wrong (fields, flags, mask, reserved,
 * names of buffers and functions, argument pointers).
 */
static void op_devmap(struct fthread *t)
{
	struct bigbuf_map m = { 0 }, in;
	enum argp_kind k = pick_argp(t);
	struct target g;
	int want = 0, mode = 0, err;
	uint64_t limit;
	char what[160];
	long ret;

	if (!pick_target(t, &g))
		return;
	m.id = g.id;
	m.addr = g.addr;
	m.dev = pick_pci(t);
	m.dma_mask = pick_mask(t);
	if (bbt_below(&t->rng, 4) == 0)
		m.flags = BIGBUF_MAP_DEVICE_READ_ONLY;
	if (bbt_below(&t->rng, 4) == 0) {
		switch (bbt_below(&t->rng, 4)) {
		case 0:
			m.reserved[bbt_below(&t->rng, 2)] = bbt_rand(&t->rng) | 1;
			break;
		case 1:
			corrupt_pci(t, &m.dev);
			break;
		case 2:
			m.flags |= 1U << (1 + bbt_below(&t->rng, 31));
			break;
		default:
			m.dma_mask = bad_mask(t);
		}
	}
	never_real(t, &m.dev);
	in = m;
	limit = mask_limit(m.dma_mask);
	/* In bb_ioctl_map()'s order. */
	if (m.reserved[0] || m.reserved[1])
		want = EINVAL;
	if (!want)
		want = predict_pci_check(&m.dev, m.dma_mask, m.flags);
	if (!want && !g.buf)
		want = ENOENT;
	if (!want)
		want = predict_pci_lookup(&m.dev, &mode);
	if (!want)
		want = predict_edu_map(g.buf, m.dma_mask);
	errno = 0;
	ret = ioctl(t->fds[g.slot], BIGBUF_IOC_MAP,
		    argp_of(t, k, &m, &in, sizeof(in)));
	err = errno;
	snprintf(what, sizeof(what),
		 "map(id %" PRIu64 " addr %#" PRIx64 " dev %x:%x:%x.%x mask %#" PRIx64 " flags %#x)",
		 (uint64_t)in.id, (uint64_t)in.addr, in.dev.domain, in.dev.bus,
		 in.dev.slot, in.dev.func, (uint64_t)in.dma_mask, in.flags);
	if (k == ARG_NULL || k == ARG_NONE)
		want = EFAULT;
	if (want) {
		expect(t, what, ret, err, want);
		return;
	}
	outcome(t, ret, err);
	if (k == ARG_RO) {
		/* Mapped, the answer not writable: the mapping is taken back. */
		bbt_count(CNT_BAD_INPUTS, 1);
		if (ret == -1 && err == EFAULT)
			t->maps_efault_out++;
		else if (ret != -1 || err != ENOMEM)
			bbt_fail(__FILE__, __LINE__, "thread %u: %s, read-only arg: got %ld/%s, want EFAULT",
				 t->index, what, ret, strerror(err));
		return;
	}
	if (ret) {
		/* No room below the mask in the device's address space. */
		if (err != ENOMEM)
			bbt_fail(__FILE__, __LINE__, "thread %u: %s: got %ld/%s, want success",
				 t->index, what, ret, strerror(err));
		return;
	}
	t->maps_ok++;
	CHECK(m.mode == (uint32_t)mode, "%s: mode %u, edu's is %d", what,
	      m.mode, mode);
	CHECK(m.dev_addr % bbt_page == 0 && g.buf->size - 1 <= limit &&
	      m.dev_addr <= limit - (g.buf->size - 1),
	      "%s: dev_addr %#" PRIx64 "+%#" PRIx64 " beyond the mask", what,
	      (uint64_t)m.dev_addr, g.buf->size);
	if (mode != BIGBUF_DMA_TRANSLATED)
		CHECK(m.dev_addr == g.buf->phys,
		      "%s: dev_addr %#" PRIx64 " of phys %#" PRIx64, what,
		      (uint64_t)m.dev_addr, g.buf->phys);
	else if (g.buf->kind == BIGBUF_KIND_PHYS_CONTIG &&
		 g.buf->phys + g.buf->size - 1 > limit)
		t->maps_high++;
	g.buf->edu_mapped = true;
	atomic_fetch_add(&edu_maps_alive, 1);
	atomic_fetch_add(&edu_bytes_alive, g.buf->size);
}

/* UNMAP: of mapped and unmapped buffers, by id and address, and broken. */
static void op_devunmap(struct fthread *t)
{
	struct bigbuf_unmap u = { 0 }, in;
	enum argp_kind k = pick_argp(t);
	struct target g;
	int want = 0, err;
	char what[128];
	long ret;

	if (!pick_target(t, &g))
		return;
	u.id = g.id;
	u.addr = g.addr;
	u.dev = pick_pci(t);
	if (bbt_below(&t->rng, 5) == 0) {
		if (bbt_below(&t->rng, 2))
			u.reserved[bbt_below(&t->rng, 2)] = bbt_rand(&t->rng) | 1;
		else
			corrupt_pci(t, &u.dev);
	}
	in = u;
	/* In bb_ioctl_unmap()'s order; UNMAP looks no PCI function up. */
	if (u.reserved[0] || u.reserved[1])
		want = EINVAL;
	if (!want)
		want = predict_pci_check(&u.dev, 0, 0);
	if (!want && !(g.buf && g.buf->edu_mapped && have_edu &&
		       same_pci(&u.dev, &edu.addr)))
		want = ENOENT;
	errno = 0;
	ret = ioctl(t->fds[g.slot], BIGBUF_IOC_UNMAP,
		    argp_of(t, k, &u, &in, sizeof(in)));
	err = errno;
	snprintf(what, sizeof(what),
		 "unmap(id %" PRIu64 " addr %#" PRIx64 " dev %x:%x:%x.%x)",
		 (uint64_t)in.id, (uint64_t)in.addr, in.dev.domain, in.dev.bus,
		 in.dev.slot, in.dev.func);
	/* UNMAP only reads its argument: a read-only one is fine. */
	if (k == ARG_NULL || k == ARG_NONE)
		want = EFAULT;
	expect(t, what, ret, err, want);
	if (ret || want)
		return;
	t->unmaps_ok++;
	g.buf->edu_mapped = false;
	atomic_fetch_sub(&edu_maps_alive, 1);
	atomic_fetch_sub(&edu_bytes_alive, g.buf->size);
}

/*
 * Every other thread is between two calls: the module holds exactly the
 * buffers this process has alive (the registry) and the device mappings
 * the fuzzer made and did not see go.
 */
static void op_census(struct fthread *t)
{
	struct bigbuf_stats s;
	uint64_t bufs, bytes = 0;
	unsigned int i;
	long ret;

	errno = 0;
	ret = ioctl(t->fds[any_fd_slot(t)], BIGBUF_IOC_STATS, &s);
	expect(t, "stats (census)", ret, errno, 0);
	if (ret)
		return;
	t->censuses++;
	pthread_mutex_lock(&reg.lock);
	bufs = reg.nr;
	for (i = 0; i < reg.nr; i++)
		bytes += reg.bufs[i]->size;
	pthread_mutex_unlock(&reg.lock);
	CHECK(s.buffers - census_base.buffers == bufs &&
	      s.bytes_held - census_base.bytes_held == bytes,
	      "census: module holds %llu buffers, %llu bytes more than at start; fuzzer has %" PRIu64 ", %" PRIu64,
	      (unsigned long long)(s.buffers - census_base.buffers),
	      (unsigned long long)(s.bytes_held - census_base.bytes_held),
	      bufs, bytes);
	CHECK(s.dev_maps - census_base.dev_maps ==
	      (uint64_t)atomic_load(&edu_maps_alive) &&
	      s.dev_mapped_bytes - census_base.dev_mapped_bytes ==
	      (uint64_t)atomic_load(&edu_bytes_alive),
	      "census: module holds %llu device mappings (%llu bytes) more than at start; fuzzer made %lld (%lld bytes)",
	      (unsigned long long)(s.dev_maps - census_base.dev_maps),
	      (unsigned long long)(s.dev_mapped_bytes - census_base.dev_mapped_bytes),
	      (long long)atomic_load(&edu_maps_alive),
	      (long long)atomic_load(&edu_bytes_alive));
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

/* Blocks of run [start, start + n) must read BUFFER in the map @m. */
static void check_run_in_map(struct fthread *t, const struct bigbuf_memmap *m,
			     const uint8_t *states, const struct fbuf *b,
			     const struct frun *r)
{
	uint64_t bp = m->block_pages, end = m->start_pfn + m->nr_blocks * bp;
	uint64_t pfn = r->start > m->start_pfn ? r->start : m->start_pfn;

	for (; pfn < r->start + r->n && pfn < end; pfn = (pfn / bp + 1) * bp)
		if (states[(pfn - m->start_pfn) / bp] != BIGBUF_BLOCK_BUFFER) {
			bbt_fail(__FILE__, __LINE__,
				 "thread %u: memmap: block of pfn %#" PRIx64 " of live buffer %" PRIu64 " reads %u",
				 t->index, pfn, b->id,
				 states[(pfn - m->start_pfn) / bp]);
			return;
		}
}

/*
 * MEMMAP of a random window (often around one of this thread's buffers)
 * with now and then a bad field or pointer; on success every block of
 * this thread's live buffers, mapped ones included, reads BUFFER.
 */
static void op_memmap(struct fthread *t)
{
	uint8_t states[FUZZ_MEMMAP_BLOCKS];
	struct bigbuf_memmap m = { 0 }, in;
	enum argp_kind k = pick_argp(t);
	unsigned int i, j;
	struct fbuf *b;
	int want = 0, err;
	long ret;

	m.nr_blocks = 1 + bbt_below(&t->rng, FUZZ_MEMMAP_BLOCKS);
	m.states = (uintptr_t)states;
	if (t->nr_live && bbt_below(&t->rng, 2)) {
		b = t->live[bbt_below(&t->rng, t->nr_live)].buf;
		m.start_pfn = b->nr_runs ? b->runs[0].start : 0;
		/* Mostly a window that holds the buffer's start. */
		m.start_pfn -= bbt_below(&t->rng, m.start_pfn + 1) %
			       ((uint64_t)FUZZ_MEMMAP_BLOCKS * 512);
	} else {
		m.start_pfn = bbt_rand(&t->rng) >> bbt_below(&t->rng, 64);
	}
	switch (bbt_below(&t->rng, 16)) {
	case 0:
		m.flags = 1U << bbt_below(&t->rng, 32);
		want = EINVAL;
		break;
	case 1:
		m.pad = 1 + bbt_below(&t->rng, UINT32_MAX);
		want = EINVAL;
		break;
	case 2:
		m.reserved[bbt_below(&t->rng, 2)] = bbt_rand(&t->rng) | 1;
		want = EINVAL;
		break;
	case 3:
		m.nr_blocks = bbt_below(&t->rng, 2) ? 0 :
			BIGBUF_MEMMAP_MAX_BLOCKS + 1 +
			bbt_below(&t->rng, UINT32_MAX - BIGBUF_MEMMAP_MAX_BLOCKS);
		want = EINVAL;
		break;
	case 4:
		/* Some block is always written from pfn 0. */
		m.start_pfn = 0;
		m.states = bbt_below(&t->rng, 2) ? (uintptr_t)none_page :
						   (uintptr_t)t->ro_page;
		want = EFAULT;
		break;
	}
	in = m;
	errno = 0;
	ret = ioctl(t->fds[any_fd_slot(t)], BIGBUF_IOC_MEMMAP,
		    argp_of(t, k, &m, &in, sizeof(in)));
	err = errno;
	/* Unreadable: nothing checked; read-only: only the answer fails. */
	if (k == ARG_NULL || k == ARG_NONE || (k == ARG_RO && want == 0))
		want = EFAULT;
	expect(t, "memmap", ret, err, want);
	if (ret || k != ARG_OK)
		return;
	CHECK(m.block_pages && !(m.block_pages & (m.block_pages - 1)) &&
	      m.start_pfn == in.start_pfn / m.block_pages * m.block_pages &&
	      m.nr_blocks <= in.nr_blocks &&
	      (m.nr_blocks || in.start_pfn >= m.end_pfn),
	      "memmap from %#" PRIx64 ": %u blocks of %u from %#" PRIx64 ", end %#" PRIx64,
	      (uint64_t)in.start_pfn, m.nr_blocks, m.block_pages,
	      (uint64_t)m.start_pfn, (uint64_t)m.end_pfn);
	for (i = 0; i < m.nr_blocks; i++)
		if (states[i] > BIGBUF_BLOCK_BUFFER) {
			bbt_fail(__FILE__, __LINE__, "thread %u: memmap: state %u",
				 t->index, states[i]);
			return;
		}
	for (i = 0; i < t->nr_live + t->nr_maps; i++) {
		b = i < t->nr_live ? t->live[i].buf : t->maps[i - t->nr_live].buf;
		for (j = 0; j < b->nr_runs; j++)
			check_run_in_map(t, &m, states, b, &b->runs[j]);
	}
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
		BIGBUF_IOC_STATS, BIGBUF_IOC_QUERY, BIGBUF_IOC_MAP,
		BIGBUF_IOC_UNMAP, BIGBUF_IOC_ALLOC_EXT, BIGBUF_IOC_MEMMAP,
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
	{ "map", op_devmap, 10 },
	{ "unmap", op_devunmap, 6 },
	{ "memmap", op_memmap, 3 },
	{ "census", op_census, 1 },	/* must stay last (CENSUS_OP) */
};
#define CENSUS_OP	(ARRAY_LEN(ops) - 1)
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
		if (i == CENSUS_OP)
			pthread_rwlock_wrlock(&census_lock);
		else
			pthread_rwlock_rdlock(&census_lock);
		ops[i].fn(t);
		pthread_rwlock_unlock(&census_lock);
		t->op_seconds[i] += bbt_now() - t0;
	}
	current_op = "cleanup";
	pthread_rwlock_rdlock(&census_lock);
	while (t->nr_maps) {
		check_and_tag(t, &t->maps[0]);
		reg_dying(t->maps[0].buf);
		outcome(t, munmap(t->maps[0].addr, t->maps[0].len), errno);
		drop_map(t, 0);
	}
	for (i = 0; i < MAX_FDS; i++)
		close_slot(t, i);
	pthread_rwlock_unlock(&census_lock);
	munmap(t->ro_page, bbt_page);
	return NULL;
}

static void t_fuzz(void)
{
	static struct fthread th[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct bigbuf_stats s0, s1;
	uint64_t ok = 0, efault_out = 0, failed = 0, errs[160] = { 0 };
	uint64_t enomem_dev = 0, ext_ok = 0, maps = 0, by_ext = 0;
	uint64_t maps_efault = 0, unmaps = 0, gone = 0, d_alloc, d_fail;
	uint64_t censuses = 0, enomem_aligned = 0, high = 0, d_total, scattered = 0;
	struct sigaction crash = { .sa_sigaction = on_crash,
				   .sa_flags = SA_SIGINFO };
	pthread_rwlockattr_t rwa;
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
	/* Writers first: a census must not wait for ever behind the calls. */
	pthread_rwlockattr_init(&rwa);
	pthread_rwlockattr_setkind_np(&rwa,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&census_lock, &rwa);
	pthread_rwlockattr_destroy(&rwa);
	atomic_store(&edu_maps_alive, 0);
	atomic_store(&edu_bytes_alive, 0);
	s0 = bbt_stats();
	census_base = s0;
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
		enomem_dev += th[i].allocs_enomem_dev;
		ext_ok += th[i].allocs_ext_ok;
		maps += th[i].maps_ok;
		by_ext += th[i].maps_by_ext;
		maps_efault += th[i].maps_efault_out;
		unmaps += th[i].unmaps_ok;
		gone += th[i].maps_gone;
		censuses += th[i].censuses;
		enomem_aligned += th[i].allocs_enomem_aligned;
		scattered += th[i].allocs_scattered;
		high += th[i].maps_high;
		for (e = 0; e < 160; e++)
			errs[e] += th[i].errnos[e];
	}
	pthread_rwlock_destroy(&census_lock);
	bbt_settle_empty("fuzz");
	s1 = bbt_stats();
	/*
	 * The module counted exactly what the fuzzer saw.  Every ALLOC or
	 * ALLOC_EXT that read its argument is one allocation (its buffer was
	 * handed out, also when the answer could not be written) or one
	 * failure, also when it had taken memory before it failed.
	 */
	d_alloc = s1.allocations - s0.allocations;
	d_fail = s1.failures - s0.failures;
	CHECK(d_alloc == ok + efault_out,
	      "module counted %llu allocations, fuzzer saw %" PRIu64 " ok + %" PRIu64 " taken back",
	      (unsigned long long)d_alloc, ok, efault_out);
	CHECK(d_fail == failed + enomem_dev,
	      "module counted %llu failures, fuzzer saw %" PRIu64 " + %" PRIu64 " ENOMEM with a device",
	      (unsigned long long)d_fail, failed, enomem_dev);
	CHECK(s1.frees - s0.frees == d_alloc,
	      "%llu frees for %llu allocations",
	      (unsigned long long)(s1.frees - s0.frees),
	      (unsigned long long)d_alloc);
	CHECK(s1.pages_grabbed - s0.pages_grabbed >=
	      s1.pages_returned - s0.pages_returned);
	/*
	 * Every device mapping made is counted once and went with its buffer
	 * (those of ALLOC_EXT calls that failed on the IOVA's alignment too).
	 */
	d_total = s1.dev_maps_total - s0.dev_maps_total;
	CHECK(d_total >= maps + maps_efault &&
	      d_total <= maps + maps_efault + enomem_aligned,
	      "module made %llu device mappings, fuzzer saw %" PRIu64 " + %" PRIu64 " taken back (+ up to %" PRIu64 " refused for their alignment)",
	      (unsigned long long)d_total, maps, maps_efault, enomem_aligned);
	CHECK(s1.dev_maps == s0.dev_maps &&
	      s1.dev_mapped_bytes == s0.dev_mapped_bytes,
	      "module holds %llu device mappings of %llu bytes, had %llu of %llu",
	      (unsigned long long)s1.dev_maps,
	      (unsigned long long)s1.dev_mapped_bytes,
	      (unsigned long long)s0.dev_maps,
	      (unsigned long long)s0.dev_mapped_bytes);
	CHECK(maps == unmaps + gone && atomic_load(&edu_maps_alive) == 0,
	      "%" PRIu64 " device mappings made, %" PRIu64 " unmapped, %" PRIu64 " gone with their buffer",
	      maps, unmaps, gone);
	printf("    fuzz: %.1f s; allocations %" PRIu64 " ok (%" PRIu64 " ALLOC_EXT, %" PRIu64 " scattered), %" PRIu64 " taken back (EFAULT), %" PRIu64 " failed, %" PRIu64 " ENOMEM with a device\n",
	       bbt_now() - t0, ok, ext_ok, scattered, efault_out, failed,
	       enomem_dev);
	printf("    fuzz: device mappings %" PRIu64 " made (%" PRIu64 " by ALLOC_EXT, %" PRIu64 " of pages beyond the mask), %" PRIu64 " taken back (EFAULT), %" PRIu64 " unmapped, %" PRIu64 " gone with their buffer; %" PRIu64 " censuses\n",
	       maps, by_ext, high, maps_efault, unmaps, gone, censuses);
	printf("    fuzz: outcomes:");
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

/* "0-3,5" into node_online. */
static void read_online_nodes(void)
{
	char buf[512], *p, *end;
	long a, b;

	memset(node_online, 0, sizeof(node_online));
	nr_online_nodes = 0;
	if (bbt_read_file("/sys/devices/system/node/online", buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "0");
	for (p = buf; *p; p = *end ? end + 1 : end) {
		a = b = strtol(p, &end, 10);
		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b && a < MAX_NODES; a++)
			if (!(node_online[a / 8] & (1U << (a % 8)))) {
				node_online[a / 8] |= 1U << (a % 8);
				nr_online_nodes++;
			}
	}
}

/* The PCI domains that exist, from the sysfs names of their functions. */
static void read_pci_domains(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct bbt_pci p;
	struct dirent *e;

	nr_pci_domains = 0;
	while (d && (e = readdir(d)))
		if (!bbt_parse_pci(e->d_name, &p) &&
		    !pci_domain_exists(p.addr.domain) &&
		    nr_pci_domains < MAX_DOMAINS)
			pci_domains[nr_pci_domains++] = p.addr.domain;
	if (d)
		closedir(d);
	/* Without sysfs, assume the usual one domain. */
	if (!nr_pci_domains)
		pci_domains[nr_pci_domains++] = 0;
}

static void fuzz_setup(void)
{
	read_online_nodes();
	read_pci_domains();
	have_edu = !bbt_find_pci(EDU_VENDOR, EDU_DEVICE, false, &edu);
	if (have_edu) {
		edu_mode = bbt_pci_dma_mode(edu.name);
		edu_node = bbt_pci_attr(edu.name, "numa_node");
		if (edu_mode < 0) {
			fprintf(stderr, "%s: unexpected IOMMU group type\n",
				edu.name);
			exit(2);
		}
	}
	have_busy = !bbt_find_pci(0, 0, true, &busy);
	if (have_busy)
		bbt_pci_driver(busy.name, busy_driver, sizeof(busy_driver));
	if (have_edu)
		printf("    fuzz: edu %s, DMA %s, node %d\n", edu.name,
		       edu_mode == BIGBUF_DMA_TRANSLATED ? "translated" :
		       edu_mode == BIGBUF_DMA_IDENTITY ? "identity" : "direct",
		       edu_node);
	else
		printf("    fuzz: no edu device: no valid device mappings\n");
	printf("    fuzz: busy function %s (%s), %u PCI domain(s), %u of %u node(s) online\n",
	       have_busy ? busy.name : "none", have_busy ? busy_driver : "-",
	       nr_pci_domains, nr_online_nodes, bbt_info.nr_nodes);
}

int main(int argc, char **argv)
{
	static const struct bbt_test tests[] = {
		{ "fuzz", t_fuzz },
		{ "free_race", t_free_race },
	};

	return bbt_main_with(argc, argv, tests, ARRAY_LEN(tests), fuzz_opt,
			     fuzz_setup);
}
