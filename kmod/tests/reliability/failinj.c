// SPDX-License-Identifier: GPL-2.0
/*
 * bb_failinj: every allocation path of bigbuf driven into failure by the
 * kernel's fault injection (failslab and fail_page_alloc in debugfs), on
 * a kernel built with CONFIG_FAULT_INJECTION (kmod/vm/debug-kernel).
 *
 * Scope: only this process (task-filter + /proc/self/make-it-fail, and
 * /proc/thread-self/fail-nth) and only allocations with bigbuf's module
 * text on their call stack (the stack trace filter's require-start/end);
 * ignore-gfp-wait and ignore-gfp-highmem off and min-order 0, so that the
 * module's GFP_KERNEL order-0 allocations count; failslab's cache filter
 * on the kmalloc caches and the few kernel caches the module's calls
 * allocate from (xarray nodes, files, dentries), never kmemleak's own.
 *
 * Per path (open, BUDDY, CONTIG, GRAB, AUTO, mmap, MAP with the stub
 * binding, ALLOC_EXT with a device, behind a translating IOMMU the
 * scattered ALLOC_EXT with its page array, and MEMMAP of all memory with
 * its states array):
 *   sweep     fail-nth = 1, 2, ...: the k-th allocation of the call
 *             fails, until the call makes fewer than k (every site once);
 *   random    probability 50 %, interval 1, a budget of times;
 *   interval  probability 100 %, every 3rd allocation, a budget of times.
 * Each injected failure must give the documented errno (or a success
 * the module recovered to, which is then checked like any other), leave
 * the module holding nothing (buffers, bytes, device mappings back where
 * they were; ALLOC counts one failure and no allocation), and a normal
 * call of the same kind must work right after.  At the end kmemleak must
 * list no object that it did not list before.
 *
 *   bb_failinj [-v] [--dev PATH] [--sites N] [--rounds N] [--pci ADDR] [TEST...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bbtest.h"

#define DEBUGFS		"/sys/kernel/debug"
#define KMEMLEAK	DEBUGFS "/kmemleak"
#define STUB_UNBIND	"/sys/bus/pci/drivers/bigbuf/unbind"
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_MASK	0x0fffffffULL	/* edu's 28 address lines */
#define KMSG_MARK_ON	"<4>bigbuf-failinj: injection on\n"
#define KMSG_MARK_OFF	"<4>bigbuf-failinj: injection off\n"
#define STACK_DEPTH	32		/* the filter's maximum */
#define TIMES_BUDGET	100000
#define KMEMLEAK_AGE_S	6		/* objects younger than 5 s are not reported */
#define MAX_LEAKS	4096

static const char *const attrs[] = { "failslab", "fail_page_alloc" };
/* Caches failslab may fail (cache-filter); globs under /sys/kernel/slab. */
static const char *const slab_globs[] = {
	"/sys/kernel/slab/kmalloc-*/failslab",
	"/sys/kernel/slab/kmalloc-rcl-*/failslab",
	"/sys/kernel/slab/kmalloc-cg-*/failslab",
	"/sys/kernel/slab/radix_tree_node/failslab",
	"/sys/kernel/slab/filp/failslab",
	"/sys/kernel/slab/dentry/failslab",
};

static unsigned int max_sites = 300;
static unsigned int rounds = 12;
static const char *pci_arg;
static struct bbt_pci edu;
static bool have_edu;
static int edu_mode;			/* BIGBUF_DMA_* */
static unsigned long mod_start, mod_end;
static int nth_fd = -1;
static struct bigbuf_stats base;

/* ---- debugfs and procfs ------------------------------------------------ */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static void set_attr(const char *attr, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_attr(const char *attr, const char *file, const char *fmt, ...)
{
	char path[256], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attr, file);
	if (write_str(path, val)) {
		fprintf(stderr, "bb_failinj: cannot write '%s' to %s: %s\n",
			val, path, strerror(errno));
		exit(2);
	}
}

static long get_attr(const char *attr, const char *file)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attr, file);
	if (bbt_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

static void kmsg(const char *line)
{
	write_str("/dev/kmsg", line);
}

/* [start, end) of bigbuf's module memory, from /proc/modules. */
static int module_range(void)
{
	FILE *f = fopen("/proc/modules", "re");
	char name[64], line[512];
	unsigned long size, addr;
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* bigbuf 45056 0 - Live 0xffffffffc0200000 */
		if (sscanf(line, "%63s %lu %*s %*s %*s %lx", name, &size, &addr) == 3 &&
		    !strcmp(name, "bigbuf") && addr) {
			mod_start = addr;
			mod_end = addr + size;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* All injection off; fail-nth cleared. */
static void disarm(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(attrs); i++)
		set_attr(attrs[i], "probability", "0");
	if (nth_fd >= 0)
		pwrite(nth_fd, "0", 1, 0);
}

/*
 * Marks the caches of slab_globs for failslab's cache filter; returns how
 * many took it (SLUB refuses merged caches: slub_debug keeps them apart).
 */
static unsigned int set_slab_filter(const char *val)
{
	unsigned int n = 0;
	glob_t g;
	size_t i, j;

	for (i = 0; i < ARRAY_LEN(slab_globs); i++) {
		if (glob(slab_globs[i], 0, NULL, &g))
			continue;
		for (j = 0; j < g.gl_pathc; j++)
			n += !write_str(g.gl_pathv[j], val);
		globfree(&g);
	}
	return n;
}

static void restore(void)
{
	size_t i;

	disarm();
	for (i = 0; i < ARRAY_LEN(attrs); i++) {
		set_attr(attrs[i], "task-filter", "N");
		set_attr(attrs[i], "times", "1");
		set_attr(attrs[i], "interval", "1");
		set_attr(attrs[i], "verbose", "2");
		set_attr(attrs[i], "require-start", "0");
		set_attr(attrs[i], "require-end", "%lu", (unsigned long)-1);
		set_attr(attrs[i], "stacktrace-depth", "%d", STACK_DEPTH);
	}
	set_attr("failslab", "ignore-gfp-wait", "Y");
	set_attr("failslab", "cache-filter", "N");
	set_attr("fail_page_alloc", "ignore-gfp-wait", "Y");
	set_attr("fail_page_alloc", "ignore-gfp-highmem", "Y");
	set_attr("fail_page_alloc", "min-order", "1");
	set_slab_filter("0");
	write_str("/proc/self/make-it-fail", "0");
	kmsg(KMSG_MARK_OFF);
}

static void on_signal(int sig)
{
	restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Everything but the trigger: the process (task-filter + make-it-fail),
 * the module's call stacks, the GFP filters off, messages without stack
 * dumps (verbose 1; warn_alloc still dumps one, see kmod/vm/boot).
 */
static void setup(void)
{
	unsigned int caches;
	char path[64];
	size_t i;

	if (access(DEBUGFS "/failslab/probability", W_OK) ||
	    access(DEBUGFS "/fail_page_alloc/probability", W_OK) ||
	    access(DEBUGFS "/fail_page_alloc/require-start", W_OK)) {
		fprintf(stderr, "bb_failinj: this kernel has no failslab/fail_page_alloc "
			"with the stack trace filter in debugfs (CONFIG_FAULT_INJECTION_DEBUG_FS, "
			"CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)\n");
		exit(2);
	}
	if (module_range()) {
		fprintf(stderr, "bb_failinj: bigbuf's address is not in /proc/modules\n");
		exit(2);
	}
	snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
	nth_fd = open(path, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		perror(path);
		exit(2);
	}
	atexit(restore);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGSEGV, on_signal);
	kmsg(KMSG_MARK_ON);
	for (i = 0; i < ARRAY_LEN(attrs); i++) {
		set_attr(attrs[i], "probability", "0");
		set_attr(attrs[i], "interval", "1");
		set_attr(attrs[i], "times", "-1");
		set_attr(attrs[i], "space", "0");
		set_attr(attrs[i], "verbose", "1");
		set_attr(attrs[i], "task-filter", "Y");
		set_attr(attrs[i], "stacktrace-depth", "%d", STACK_DEPTH);
		set_attr(attrs[i], "require-start", "%lu", mod_start);
		set_attr(attrs[i], "require-end", "%lu", mod_end);
		set_attr(attrs[i], "reject-start", "0");
		set_attr(attrs[i], "reject-end", "0");
	}
	set_attr("failslab", "ignore-gfp-wait", "N");
	set_attr("failslab", "cache-filter", "Y");
	caches = set_slab_filter("1");
	set_attr("fail_page_alloc", "ignore-gfp-wait", "N");
	set_attr("fail_page_alloc", "ignore-gfp-highmem", "N");
	set_attr("fail_page_alloc", "min-order", "0");
	if (write_str("/proc/self/make-it-fail", "1")) {
		perror("/proc/self/make-it-fail");
		exit(2);
	}

	if (pci_arg) {
		if (bbt_parse_pci(pci_arg, &edu)) {
			fprintf(stderr, "bb_failinj: bad PCI address %s\n", pci_arg);
			exit(2);
		}
		have_edu = true;
	} else {
		have_edu = !bbt_find_pci(EDU_VENDOR, EDU_DEVICE, false, &edu);
	}
	if (have_edu)
		edu_mode = bbt_pci_dma_mode(edu.name);
	printf("   module %#lx..%#lx; failslab on %u caches; edu %s (%s)\n",
	       mod_start, mod_end, caches,
	       have_edu ? edu.name : "absent",
	       !have_edu ? "device paths skipped" :
	       edu_mode == BIGBUF_DMA_TRANSLATED ? "translated" :
	       edu_mode == BIGBUF_DMA_IDENTITY ? "identity" : "direct");
	base = bbt_stats();
}

/* ---- the paths ---------------------------------------------------------- */

/*
 * A path: @prepare sets up what the call needs (not injected), @call is the
 * one system call under injection (0 or an errno), @undo gives back what a
 * successful call made, @cleanup what @prepare made.
 */
struct path {
	const char *name;
	int want;			/* errno of a failed allocation */
	bool alloc;			/* counts in STATS allocations/failures */
	void (*prepare)(void);
	int (*call)(void);
	void (*undo)(void);
	void (*cleanup)(void);
};

static int fd = -1;
static uint64_t id;
static void *map_addr;
static size_t map_len;
static struct bigbuf_alloc alloc_arg;
static struct bigbuf_alloc_ext ext_arg;

static void open_fd(void)
{
	fd = bbt_open();
}

static void close_fd(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

static void free_id(void)
{
	if (id && bbt_free(fd, id))
		bbt_fail(__FILE__, __LINE__, "FREE %llu: %s",
			 (unsigned long long)id, strerror(errno));
	id = 0;
}

/* The stub stays bound after a mapping; unbind it so the next MAP binds again. */
static void unbind_stub(void)
{
	char drv[64];

	if (!have_edu)
		return;
	bbt_pci_driver(edu.name, drv, sizeof(drv));
	if (!strcmp(drv, "bigbuf") && write_str(STUB_UNBIND, edu.name))
		bbt_fail(__FILE__, __LINE__, "unbind %s: %s", edu.name,
			 strerror(errno));
}

/* A successful allocation must be what it says: zeroed and mappable. */
static void check_buffer(uint64_t offset, uint64_t size)
{
	void *p = bbt_map(fd, offset, size);

	if (!p) {
		bbt_fail(__FILE__, __LINE__, "mmap of a %llu byte buffer: %s",
			 (unsigned long long)size, strerror(errno));
		return;
	}
	CHECK(bbt_is_zero(p, size), "buffer not zero");
	munmap(p, size);
}

/* open */
static int call_open(void)
{
	fd = open(bbt_dev, O_RDWR | O_CLOEXEC);
	return fd < 0 ? errno : 0;
}

/* ALLOC of one strategy */
static uint64_t alloc_size;
static uint32_t alloc_flags;

static int call_alloc(void)
{
	if (bbt_alloc(fd, alloc_size, 0, 0, alloc_flags, &alloc_arg))
		return errno;
	id = alloc_arg.id;
	return 0;
}

static void undo_alloc(void)
{
	CHECK(alloc_arg.actual_size == alloc_size);
	check_buffer(alloc_arg.mmap_offset, alloc_size);
	free_id();
}

#define ALLOC_PREP(fn, size, flags)		\
static void fn(void)				\
{						\
	open_fd();				\
	alloc_size = (size);			\
	alloc_flags = (flags);			\
}
ALLOC_PREP(prep_buddy, 1 * MiB, BIGBUF_STRATEGY_BUDDY)
ALLOC_PREP(prep_contig, 8 * MiB, BIGBUF_STRATEGY_CONTIG)
ALLOC_PREP(prep_grab, 8 * MiB, BIGBUF_STRATEGY_GRAB)
ALLOC_PREP(prep_auto, 8 * MiB, BIGBUF_STRATEGY_AUTO)

/* mmap of a buffer allocated beforehand */
static void prep_mmap(void)
{
	open_fd();
	map_len = 1 * MiB;
	if (bbt_alloc(fd, map_len, 0, 0, BIGBUF_STRATEGY_AUTO, &alloc_arg)) {
		bbt_fail(__FILE__, __LINE__, "ALLOC: %s", strerror(errno));
		return;
	}
	id = alloc_arg.id;
}

static int call_mmap(void)
{
	void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)alloc_arg.mmap_offset);

	if (p == MAP_FAILED)
		return errno;
	map_addr = p;
	return 0;
}

static void undo_mmap(void)
{
	CHECK(bbt_is_zero(map_addr, map_len), "mapping not zero");
	munmap(map_addr, map_len);
	map_addr = NULL;
}

static void cleanup_alloc(void)
{
	free_id();
	close_fd();
}

/* MAP of a buffer for edu, the stub bound in the same call */
static uint64_t dev_limit(void)
{
	return edu_mode == BIGBUF_DMA_TRANSLATED ? 0 : EDU_MASK;
}

static void prep_map(void)
{
	unbind_stub();
	open_fd();
	if (bbt_alloc(fd, 1 * MiB, 0, dev_limit(), BIGBUF_STRATEGY_AUTO,
		      &alloc_arg)) {
		bbt_fail(__FILE__, __LINE__, "ALLOC: %s", strerror(errno));
		return;
	}
	id = alloc_arg.id;
}

static struct bigbuf_map map_arg;

static int call_map(void)
{
	return bbt_devmap(fd, id, NULL, &edu, EDU_MASK, 0, &map_arg) ? errno : 0;
}

static void undo_map(void)
{
	CHECK(map_arg.mode == (uint32_t)edu_mode, "mode %u", map_arg.mode);
	CHECK(map_arg.dev_addr + MiB - 1 <= EDU_MASK);
	CHECK(bbt_stats().dev_maps == base.dev_maps + 1);
	if (bbt_devunmap(fd, id, NULL, &edu))
		bbt_fail(__FILE__, __LINE__, "UNMAP: %s", strerror(errno));
}

static void cleanup_map(void)
{
	cleanup_alloc();
	unbind_stub();
}

/* ALLOC_EXT with the device (stub bound, buffer allocated, mapped) */
static uint64_t ext_size;
static uint32_t ext_flags;

static void prep_ext(void)
{
	unbind_stub();
	open_fd();
	ext_size = 1 * MiB;
	ext_flags = BIGBUF_STRATEGY_AUTO;
}

static void prep_scatter(void)
{
	unbind_stub();
	open_fd();
	/* 16384 page pointers: the page array goes past kmalloc to vmalloc. */
	ext_size = 64 * MiB;
	ext_flags = BIGBUF_STRATEGY_AUTO | BIGBUF_ALLOC_SCATTER;
}

static int call_ext(void)
{
	if (bbt_alloc_ext(fd, &edu, ext_size, EDU_MASK, ext_flags, &ext_arg))
		return errno;
	id = ext_arg.id;
	return 0;
}

static void undo_ext(void)
{
	CHECK(ext_arg.actual_size == ext_size);
	CHECK(ext_arg.mode == (uint32_t)edu_mode, "mode %u", ext_arg.mode);
	CHECK(ext_arg.dev_addr + ext_size - 1 <= EDU_MASK);
	check_buffer(ext_arg.mmap_offset, ext_size);
	free_id();
}

/* MEMMAP of all memory (its states array is the call's allocation) */
static uint8_t *memmap_states;
static uint32_t memmap_nr;
static struct bigbuf_memmap memmap_arg;

static void prep_memmap(void)
{
	struct bigbuf_memmap m;
	uint64_t blocks;
	uint8_t probe;

	open_fd();
	memmap_nr = 0;
	if (bbt_memmap(fd, 0, &probe, 1, &m) || !m.block_pages) {
		bbt_fail(__FILE__, __LINE__, "MEMMAP: %s", strerror(errno));
		return;
	}
	blocks = (m.end_pfn + m.block_pages - 1) / m.block_pages;
	memmap_nr = blocks < BIGBUF_MEMMAP_MAX_BLOCKS ? blocks :
						       BIGBUF_MEMMAP_MAX_BLOCKS;
	memmap_states = malloc(memmap_nr);
	if (!memmap_states)
		exit(2);
}

static int call_memmap(void)
{
	return bbt_memmap(fd, 0, memmap_states, memmap_nr, &memmap_arg) ?
	       errno : 0;
}

static void undo_memmap(void)
{
	uint32_t i;

	CHECK(memmap_arg.nr_blocks == memmap_nr, "%u blocks, want %u",
	      memmap_arg.nr_blocks, memmap_nr);
	for (i = 0; i < memmap_arg.nr_blocks; i++)
		if (memmap_states[i] > BIGBUF_BLOCK_BUFFER) {
			bbt_fail(__FILE__, __LINE__, "block %u: state %u", i,
				 memmap_states[i]);
			break;
		}
}

static void cleanup_memmap(void)
{
	free(memmap_states);
	memmap_states = NULL;
	close_fd();
}

/* ---- the driver --------------------------------------------------------- */

static struct path *cur;
static unsigned long sites, injected, recovered, sweep_capped;

/* What the module must hold after a call and its undo/cleanup. */
static void check_clean(const char *what, struct bigbuf_stats *before, int rc)
{
	struct bigbuf_stats s;

	bbt_settle(base.buffers, base.bytes_held, what);
	s = bbt_stats();
	if (s.dev_maps != base.dev_maps || s.dev_mapped_bytes != base.dev_mapped_bytes)
		bbt_fail(__FILE__, __LINE__, "%s: %llu device mappings (%llu bytes) held, want %llu",
			 what, (unsigned long long)s.dev_maps,
			 (unsigned long long)s.dev_mapped_bytes,
			 (unsigned long long)base.dev_maps);
	if (!cur->alloc)
		return;
	/* The call itself (prepare and undo do their own, counted here too). */
	if (rc && (s.allocations != before->allocations ||
		   s.failures != before->failures + 1))
		bbt_fail(__FILE__, __LINE__,
			 "%s: failed call counted %llu allocations, %llu failures; want 0, 1",
			 what, (unsigned long long)(s.allocations - before->allocations),
			 (unsigned long long)(s.failures - before->failures));
	if (!rc && (s.allocations != before->allocations + 1 ||
		    s.failures != before->failures))
		bbt_fail(__FILE__, __LINE__,
			 "%s: successful call counted %llu allocations, %llu failures; want 1, 0",
			 what, (unsigned long long)(s.allocations - before->allocations),
			 (unsigned long long)(s.failures - before->failures));
}

/*
 * One round: prepare, arm (@arm), call, disarm, judge the outcome, undo,
 * cleanup.  Returns the call's result; *hit says whether the armed
 * injection fired (for fail-nth), as far as @arm's caller can tell.
 */
static int one_round(const char *what, void (*arm)(void), bool *nth_hit)
{
	struct bigbuf_stats before;
	char nth[16] = "";
	int rc;

	cur->prepare();
	before = bbt_stats();
	arm();
	rc = cur->call();
	if (nth_hit) {
		ssize_t n = pread(nth_fd, nth, sizeof(nth) - 1, 0);

		nth[n > 0 ? n : 0] = 0;
	}
	disarm();
	if (nth_hit)
		*nth_hit = atoi(nth) == 0;
	if (rc && rc != cur->want)
		bbt_fail(__FILE__, __LINE__, "%s: %s, want %s (documented for an allocation failure)",
			 what, strerror(rc), strerror(cur->want));
	if (!rc && cur->undo)
		cur->undo();
	if (cur->cleanup)
		cur->cleanup();
	check_clean(what, &before, rc);
	return rc;
}

static unsigned int nth_value;

static void arm_nth(void)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", nth_value);
	if (pwrite(nth_fd, v, strlen(v), 0) < 0) {
		perror("fail-nth");
		exit(2);
	}
}

static void arm_random(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(attrs); i++) {
		set_attr(attrs[i], "interval", "1");
		set_attr(attrs[i], "probability", "50");
	}
}

static void arm_interval(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(attrs); i++) {
		set_attr(attrs[i], "interval", "3");
		set_attr(attrs[i], "probability", "100");
	}
}

static void set_times(long t)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(attrs); i++)
		set_attr(attrs[i], "times", "%ld", t);
}

static long times_used(void)
{
	long used = 0;
	size_t i;

	for (i = 0; i < ARRAY_LEN(attrs); i++)
		used += TIMES_BUDGET - get_attr(attrs[i], "times");
	return used;
}

/* Without injection: the path works (the machine is healthy). */
static void arm_none(void)
{
}

static void run_path(struct path *p)
{
	unsigned long k, rnd, itv, fails = 0;
	char what[96];
	bool hit;
	unsigned int r;
	int rc;

	cur = p;
	sites = injected = recovered = sweep_capped = 0;

	/* Every allocation site of the call once, in order. */
	for (k = 1; k <= max_sites; k++) {
		snprintf(what, sizeof(what), "%s: allocation #%lu failed", p->name, k);
		nth_value = k;
		rc = one_round(what, arm_nth, &hit);
		if (!hit)
			break;
		sites++;
		if (rc)
			fails++;
		else
			recovered++;
	}
	if (k > max_sites)
		sweep_capped = 1;

	/* Random failures: probability 50 %, then every 3rd allocation. */
	set_times(TIMES_BUDGET);
	for (r = 0; r < rounds; r++) {
		snprintf(what, sizeof(what), "%s: random round %u", p->name, r);
		one_round(what, arm_random, NULL);
	}
	rnd = times_used();
	set_times(TIMES_BUDGET);
	for (r = 0; r < rounds; r++) {
		snprintf(what, sizeof(what), "%s: interval round %u", p->name, r);
		one_round(what, arm_interval, NULL);
	}
	itv = times_used();
	set_times(-1);

	/* And without injection it works: nothing is left broken. */
	snprintf(what, sizeof(what), "%s: without injection", p->name);
	if (one_round(what, arm_none, NULL))
		bbt_fail(__FILE__, __LINE__, "%s failed", what);

	printf("   %-10s sweep: %lu allocation sites failed one by one%s (%lu gave %s, "
	       "%lu recovered); random: %lu injected in %u calls; interval: %lu injected in %u calls\n",
	       p->name, sites, sweep_capped ? " (capped)" : "", fails,
	       strerrorname_np(p->want), recovered, rnd, rounds, itv, rounds);
	printf("INJECTED %s %lu\n", p->name, sites + rnd + itv);
	CHECK(sites > 0, "%s: no allocation was failed: the scope matches nothing", p->name);
	bbt_count(CNT_FAULTS, sites + rnd + itv);
}

static struct path paths[] = {
	{ "open", ENOMEM, false, NULL, call_open, NULL, close_fd },
	{ "buddy", ENOMEM, true, prep_buddy, call_alloc, undo_alloc, close_fd },
	{ "contig", ENOMEM, true, prep_contig, call_alloc, undo_alloc, close_fd },
	{ "grab", ENOMEM, true, prep_grab, call_alloc, undo_alloc, close_fd },
	{ "auto", ENOMEM, true, prep_auto, call_alloc, undo_alloc, close_fd },
	{ "mmap", ENOMEM, false, prep_mmap, call_mmap, undo_mmap, cleanup_alloc },
	{ "map", ENOMEM, false, prep_map, call_map, undo_map, cleanup_map },
	{ "alloc_ext", ENOMEM, true, prep_ext, call_ext, undo_ext, cleanup_map },
	{ "scatter", ENOMEM, true, prep_scatter, call_ext, undo_ext, cleanup_map },
	{ "memmap", ENOMEM, false, prep_memmap, call_memmap, undo_memmap,
	  cleanup_memmap },
};

static void nop(void)
{
}

static void run_named(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(paths); i++) {
		if (strcmp(paths[i].name, name))
			continue;
		if (!paths[i].prepare)
			paths[i].prepare = nop;
		run_path(&paths[i]);
		return;
	}
}

static bool need_edu(const char *name)
{
	if (have_edu)
		return true;
	printf("   %s: skipped, no edu device (boot --edu)\n", name);
	return false;
}

static void t_open(void) { run_named("open"); }
static void t_buddy(void) { run_named("buddy"); }
static void t_contig(void)
{
	if (!(bbt_info.strategies & (1U << BIGBUF_STRATEGY_CONTIG))) {
		bbt_fail(__FILE__, __LINE__, "CONTIG is not built in (CONFIG_CONTIG_ALLOC)");
		return;
	}
	run_named("contig");
}
static void t_grab(void) { run_named("grab"); }
static void t_auto(void) { run_named("auto"); }
static void t_mmap(void) { run_named("mmap"); }
static void t_memmap(void) { run_named("memmap"); }
static void t_map(void) { if (need_edu("map")) run_named("map"); }
static void t_alloc_ext(void) { if (need_edu("alloc_ext")) run_named("alloc_ext"); }
static void t_scatter(void)
{
	if (!need_edu("scatter"))
		return;
	if (edu_mode != BIGBUF_DMA_TRANSLATED) {
		printf("   scatter: skipped, edu is not behind a translating IOMMU (boot --iommu)\n");
		return;
	}
	run_named("scatter");
}

/* ---- kmemleak ------------------------------------------------------------ */

static unsigned long leaks_before[MAX_LEAKS];
static size_t nr_leaks_before;

/* Scan, then the addresses of the objects kmemleak reports; -1 without kmemleak. */
static long kmemleak_objects(unsigned long *out, size_t max, bool print)
{
	char line[512];
	size_t n = 0;
	FILE *f;

	if (write_str(KMEMLEAK, "scan"))
		return -1;
	f = fopen(KMEMLEAK, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a;

		if (sscanf(line, "unreferenced object 0x%lx", &a) == 1 && n < max)
			out[n++] = a;
		if (print)
			printf("   kmemleak: %s", line);
	}
	fclose(f);
	return n;
}

static void t_kmemleak(void)
{
	static unsigned long now[MAX_LEAKS];
	long n;
	size_t i, j, fresh = 0;

	sleep(KMEMLEAK_AGE_S);
	n = kmemleak_objects(now, MAX_LEAKS, false);
	if (n < 0) {
		printf("   kmemleak: not in this kernel\n");
		return;
	}
	for (i = 0; i < (size_t)n; i++) {
		for (j = 0; j < nr_leaks_before; j++)
			if (now[i] == leaks_before[j])
				break;
		if (j == nr_leaks_before)
			fresh++;
	}
	printf("   kmemleak: %ld objects reported, %zu before the paths ran\n", n,
	       nr_leaks_before);
	if (fresh) {
		kmemleak_objects(now, MAX_LEAKS, true);
		bbt_fail(__FILE__, __LINE__, "kmemleak: %zu objects leaked while injecting", fresh);
	}
}

static void setup_all(void)
{
	long n;

	setup();
	n = kmemleak_objects(leaks_before, MAX_LEAKS, false);
	nr_leaks_before = n > 0 ? n : 0;
}

static int opt(int argc, char **argv)
{
	if (!strcmp(argv[0], "--sites") && argc > 1) {
		max_sites = strtoul(argv[1], NULL, 0);
		return 2;
	}
	if (!strcmp(argv[0], "--rounds") && argc > 1) {
		rounds = strtoul(argv[1], NULL, 0);
		return 2;
	}
	if (!strcmp(argv[0], "--pci") && argc > 1) {
		pci_arg = argv[1];
		return 2;
	}
	return 0;
}

static const struct bbt_test tests[] = {
	{ "failinj_open", t_open },
	{ "failinj_buddy", t_buddy },
	{ "failinj_contig", t_contig },
	{ "failinj_grab", t_grab },
	{ "failinj_auto", t_auto },
	{ "failinj_mmap", t_mmap },
	{ "failinj_map", t_map },
	{ "failinj_alloc_ext", t_alloc_ext },
	{ "failinj_scatter", t_scatter },
	{ "failinj_memmap", t_memmap },
	{ "failinj_kmemleak", t_kmemleak },
};

int main(int argc, char **argv)
{
	return bbt_main_with(argc, argv, tests, ARRAY_LEN(tests), opt, setup_all);
}
