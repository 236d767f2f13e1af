// SPDX-License-Identifier: GPL-2.0
/*
 * allocbench - contiguous allocation benchmark client (runs in the guest).
 *
 *   allocbench sweep [options]      success, time and peak memory grabbed per
 *                                   strategy x size x try, one CSV row each
 *   allocbench roundtrip [options]  what the Java kmod backend's allocate + close
 *                                   does, in C: open, ALLOC, mmap, FREE, close, munmap
 *
 * Strategies: the bigbuf module's (auto, buddy, contig, grab; forced with
 * the strategy byte of bigbuf_alloc.flags) and the 2009 seed algorithm of
 * bigbuf_seedref.ko (seed: with __GFP_NORETRY, seed-orig: plain GFP_KERNEL).
 * Timings are measured, never judged: this program has no thresholds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/bigbuf.h>
#include "benchutil.h"
#include "bigbuf_seedref.h"
#include "meminfo.h"

#define MAX_SIZES	32
#define MAX_STRATS	8

enum backend { BACKEND_BIGBUF, BACKEND_SEED };

struct strategy {
	const char *name;
	enum backend backend;
	unsigned int flags;	/* bigbuf strategy byte or SEEDREF_F_* */
	const char *search;	/* bigbuf contig_search for it, NULL: default */
};

static const struct strategy strategies[] = {
	{ "auto", BACKEND_BIGBUF, BIGBUF_STRATEGY_AUTO, NULL },
	{ "buddy", BACKEND_BIGBUF, BIGBUF_STRATEGY_BUDDY, NULL },
	{ "contig", BACKEND_BIGBUF, BIGBUF_STRATEGY_CONTIG, NULL },
	/* CONTIG's two searches alone (only where the kernel's is exported). */
	{ "contig-kernel", BACKEND_BIGBUF, BIGBUF_STRATEGY_CONTIG, "kernel" },
	{ "contig-module", BACKEND_BIGBUF, BIGBUF_STRATEGY_CONTIG, "module" },
	{ "grab", BACKEND_BIGBUF, BIGBUF_STRATEGY_GRAB, NULL },
	{ "seed", BACKEND_SEED, SEEDREF_F_ZERO, NULL },
	{ "seed-orig", BACKEND_SEED, SEEDREF_F_ZERO | SEEDREF_F_ORIGINAL_GFP, NULL },
};

static const char *const strategy_names[] = {
	[BIGBUF_STRATEGY_AUTO] = "auto",
	[BIGBUF_STRATEGY_BUDDY] = "buddy",
	[BIGBUF_STRATEGY_CONTIG] = "contig",
	[BIGBUF_STRATEGY_GRAB] = "grab",
};

struct sweep_opts {
	const char *out;
	const char *kernel;
	const char *mem;
	const char *state;		/* "clean" or "fragmented" */
	const char *bigbuf_dev;
	const char *seed_dev;
	struct frag_cmd frag;		/* fragmenter, fragmented state only */
	uint64_t frag_seed;
	unsigned int sizes_mib[MAX_SIZES];
	int nr_sizes;
	const struct strategy *strats[MAX_STRATS];
	int nr_strats;
	int tries;
};

/* Outcome of one try. */
struct result {
	bool ok;
	int err;
	double alloc_us;
	double free_us;
	double kernel_us;	/* in-kernel time when the backend reports it, else -1 */
	uint64_t peak_bytes;	/* most memory held at once for this request */
	uint64_t kept_bytes;
	const char *got;	/* strategy that produced the buffer */
	uint64_t phys;
};

const char *bench_prog = "allocbench";

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "allocbench: %s: %s\n", path, strerror(errno));
	return fd;
}

static int bigbuf_stats(int fd, struct bigbuf_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, BIGBUF_IOC_STATS, st);
}

static void try_bigbuf(int fd, unsigned int strategy, uint64_t size,
		       struct result *r)
{
	struct bigbuf_alloc a = { .size = size, .flags = strategy };
	struct bigbuf_stats s0, s1;
	struct bigbuf_free f = { 0 };
	uint64_t grabbed;
	double t0;
	int ret;

	if (bigbuf_stats(fd, &s0))
		die("BIGBUF_IOC_STATS");
	t0 = now_us();
	ret = ioctl(fd, BIGBUF_IOC_ALLOC, &a);
	r->alloc_us = now_us() - t0;
	r->err = ret ? errno : 0;
	r->ok = !ret;
	if (bigbuf_stats(fd, &s1))
		die("BIGBUF_IOC_STATS");
	/* GRAB holds every block it took until it is done: grabbed == peak. */
	grabbed = (s1.pages_grabbed - s0.pages_grabbed) * (uint64_t)getpagesize();
	r->kernel_us = -1;
	r->peak_bytes = grabbed;
	if (!r->ok)
		return;
	r->kept_bytes = a.actual_size;
	r->peak_bytes = grabbed > a.actual_size ? grabbed : a.actual_size;
	r->phys = a.phys_addr;
	r->got = a.strategy < BIGBUF_STRATEGY_COUNT ? strategy_names[a.strategy] : "?";
	f.id = a.id;
	t0 = now_us();
	if (ioctl(fd, BIGBUF_IOC_FREE, &f))
		die("BIGBUF_IOC_FREE");
	r->free_us = now_us() - t0;
}

static void try_seed(int fd, unsigned int flags, uint64_t size,
		     struct result *r)
{
	struct seedref_alloc a = {
		.size = size, .flags = flags, .abi_version = SEEDREF_ABI_VERSION,
	};
	double t0;

	t0 = now_us();
	if (ioctl(fd, SEEDREF_IOC_ALLOC, &a))
		die("SEEDREF_IOC_ALLOC");
	r->alloc_us = now_us() - t0;
	r->ok = a.status == 0;
	r->err = -a.status;
	r->kernel_us = a.elapsed_ns / 1e3;
	r->peak_bytes = a.peak_bytes;
	r->kept_bytes = a.kept_bytes;
	r->phys = a.phys_addr;
	r->got = "seed";
	if (!r->ok)
		return;
	t0 = now_us();
	if (ioctl(fd, SEEDREF_IOC_FREE))
		die("SEEDREF_IOC_FREE");
	r->free_us = now_us() - t0;
}

static int parse_list(const char *s, unsigned int *out, int max)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(copy, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		out[n++] = (unsigned int)strtoul(tok, NULL, 10);
	free(copy);
	return n;
}

static int parse_strategies(const char *s, struct sweep_opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	size_t i;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
			if (!strcmp(tok, strategies[i].name))
				break;
		if (i == sizeof(strategies) / sizeof(strategies[0]) ||
		    o->nr_strats == MAX_STRATS) {
			fprintf(stderr, "allocbench: unknown strategy '%s'\n", tok);
			free(copy);
			return -1;
		}
		o->strats[o->nr_strats++] = &strategies[i];
	}
	free(copy);
	return 0;
}

static void sweep_usage(FILE *out)
{
	fprintf(out,
		"usage: allocbench sweep --out CSV --kernel K --mem M --state clean|fragmented\n"
		"                        --sizes MIB,... --strategies S,... --tries N\n"
		"                        [--fragment PATH [--frag-seed N] [--frag-arg ARG]...]\n"
		"                        [--bigbuf DEV] [--seedref DEV]\n"
		"strategies: auto buddy contig grab contig-kernel contig-module (bigbuf),\n"
		"            seed seed-orig (bigbuf_seedref)\n"
		"fragmented: before every try, PATH --seed (frag-seed + try) ARG... is started\n"
		"and held while the allocation runs.\n");
}

static int sweep_parse(int argc, char **argv, struct sweep_opts *o)
{
	int i;

	*o = (struct sweep_opts){
		.bigbuf_dev = "/dev/bigbuf", .seed_dev = "/dev/bigbuf_seedref",
		.tries = 3, .frag_seed = 1, .kernel = "?", .mem = "?",
		.state = "clean",
	};
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			sweep_usage(stdout);
			exit(0);
		}
		if (!v)
			goto bad;
		if (!strcmp(a, "--out"))
			o->out = v;
		else if (!strcmp(a, "--kernel"))
			o->kernel = v;
		else if (!strcmp(a, "--mem"))
			o->mem = v;
		else if (!strcmp(a, "--state"))
			o->state = v;
		else if (!strcmp(a, "--sizes"))
			o->nr_sizes = parse_list(v, o->sizes_mib, MAX_SIZES);
		else if (!strcmp(a, "--strategies")) {
			if (parse_strategies(v, o))
				return -1;
		} else if (!strcmp(a, "--tries"))
			o->tries = atoi(v);
		else if (!strcmp(a, "--fragment"))
			o->frag.path = v;
		else if (!strcmp(a, "--frag-seed"))
			o->frag_seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--frag-arg") && o->frag.nr_args < MAX_FRAG_ARGS)
			o->frag.args[o->frag.nr_args++] = (char *)v;
		else if (!strcmp(a, "--bigbuf"))
			o->bigbuf_dev = v;
		else if (!strcmp(a, "--seedref"))
			o->seed_dev = v;
		else
			goto bad;
		i++;
	}
	if (!o->out || !o->nr_sizes || !o->nr_strats || o->tries < 1)
		goto bad;
	if (strcmp(o->state, "clean") && strcmp(o->state, "fragmented"))
		goto bad;
	if (!strcmp(o->state, "fragmented") && !o->frag.path)
		goto bad;
	return 0;
bad:
	sweep_usage(stderr);
	return -1;
}

static const char csv_header[] =
	"kernel,mem,state,strategy,size_mib,try,ok,err,alloc_us,free_us,kernel_us,"
	"peak_mib,kept_mib,got,free_mib,maxorder_free_mib,oom_kill,pswpout,"
	"pgsteal,compact_stall,pgmigrate,frag_killed,frag_seed,phys\n";

/* State carried from one try to the next. */
struct sweep_ctx {
	FILE *csv;
	int bigbuf_fd, seed_fd;
	struct frag fr;		/* running fragmenter, pid -1 if none */
	bool dirty;		/* the last try changed the memory layout */
	char search[16];	/* the module's contig_search as loaded */
	bool kernel_search;	/* it can be switched (the kernel exports its search) */
};

#define CONTIG_SEARCH	"/sys/module/bigbuf/parameters/contig_search"

static int write_search(const char *mode)
{
	FILE *f = fopen(CONTIG_SEARCH, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(mode, f) < 0;
	ret |= fclose(f) != 0;
	return ret ? -1 : 0;
}

/*
 * The module's contig_search as loaded, and whether it can be switched: a
 * kernel without the export offers only "module" and refuses the others.
 */
static void probe_search(struct sweep_ctx *x)
{
	FILE *f = fopen(CONTIG_SEARCH, "r");

	x->kernel_search = false;
	if (!f || !fgets(x->search, sizeof(x->search), f)) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	x->search[strcspn(x->search, "\n")] = 0;
	x->kernel_search = !write_search("kernel") && !write_search(x->search);
}

static int sweep_try(const struct sweep_opts *o, struct sweep_ctx *x,
		     const struct strategy *s, unsigned int size_mib, int t)
{
	struct result r = { .kernel_us = -1, .got = "" };
	struct vm_counters c0, c1;
	struct buddy_summary b;
	int killed;

	/*
	 * A fresh fragmented state for every try, unless the previous try
	 * left the memory as it found it: it failed and neither migrated,
	 * reclaimed nor swapped (it only took free max-order blocks and gave
	 * them back). Fragmenting is the slow part under TCG.
	 */
	if (!strcmp(o->state, "fragmented") && (x->fr.pid < 0 || x->dirty)) {
		if (x->fr.pid > 0)
			frag_stop(&x->fr);
		if (frag_start(&o->frag, o->frag_seed + t, &x->fr))
			return -1;
	}
	settle();
	if (buddy_read(&b))
		return -1;
	vm_read(&c0);
	if (s->backend == BACKEND_BIGBUF && x->kernel_search &&
	    write_search(s->search ? s->search : x->search))
		die(CONTIG_SEARCH);
	if (s->backend == BACKEND_BIGBUF)
		try_bigbuf(x->bigbuf_fd, s->flags, size_mib * MIB, &r);
	else
		try_seed(x->seed_fd, s->flags, size_mib * MIB, &r);
	/* Reclaim the try set off in kswapd belongs to the try. */
	settle();
	vm_read(&c1);
	x->dirty = r.ok || vm_changed(&c0, &c1);
	/* A fragmenter that ended on its own was OOM-killed. */
	killed = frag_died(&x->fr);

	fprintf(x->csv,
		"%s,%s,%s,%s,%u,%d,%d,%d,%.1f,%.1f,%.1f,%.2f,%.2f,%s,"
		"%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%"
		PRIu64 ",%" PRIu64 ",%d,%" PRIu64 ",0x%" PRIx64 "\n",
		o->kernel, o->mem, o->state, s->name, size_mib, t, r.ok, r.err,
		r.alloc_us, r.free_us, r.kernel_us,
		(double)r.peak_bytes / MIB, (double)r.kept_bytes / MIB, r.got,
		b.free_pages * 4096 / MIB, b.maxorder_free_pages * 4096 / MIB,
		c1.oom_kill - c0.oom_kill, c1.pswpout - c0.pswpout,
		c1.pgsteal - c0.pgsteal, c1.compact_stall - c0.compact_stall,
		c1.pgmigrate - c0.pgmigrate, killed,
		x->fr.pid > 0 || killed ? x->fr.seed : 0, r.phys);
	fflush(x->csv);
	printf("%-10s %-9s %4u MiB try %d: %s %10.0f us, peak %6.1f MiB%s\n",
	       o->state, s->name, size_mib, t, r.ok ? "ok  " : "FAIL",
	       r.alloc_us, (double)r.peak_bytes / MIB,
	       killed ? " (fragmenter OOM-killed)" : "");
	fflush(stdout);
	return 0;
}

static int sweep(int argc, char **argv)
{
	struct sweep_ctx ctx = {
		.bigbuf_fd = -1, .seed_fd = -1, .fr = { .pid = -1 },
	};
	struct sweep_opts o;
	uint64_t max_block = 0;
	int t, si, k;
	bool new_file;
	struct stat st;

	if (sweep_parse(argc, argv, &o))
		return 2;
	for (k = 0; k < o.nr_strats; k++) {
		if (o.strats[k]->backend == BACKEND_BIGBUF && ctx.bigbuf_fd < 0) {
			struct bigbuf_info info = { 0 };

			ctx.bigbuf_fd = open_dev(o.bigbuf_dev);
			if (ctx.bigbuf_fd < 0)
				return 1;
			if (ioctl(ctx.bigbuf_fd, BIGBUF_IOC_INFO, &info))
				die("BIGBUF_IOC_INFO");
			if (info.abi_version != BIGBUF_ABI_VERSION) {
				fprintf(stderr, "allocbench: bigbuf ABI %u, built for %u\n",
					info.abi_version, BIGBUF_ABI_VERSION);
				return 1;
			}
			max_block = (uint64_t)info.page_size << info.max_order;
		}
		if (o.strats[k]->backend == BACKEND_SEED && ctx.seed_fd < 0) {
			ctx.seed_fd = open_dev(o.seed_dev);
			if (ctx.seed_fd < 0)
				return 1;
		}
	}

	probe_search(&ctx);
	if (!ctx.kernel_search)
		printf("contig_search cannot be switched: contig-kernel and contig-module skipped\n");

	new_file = stat(o.out, &st) || st.st_size == 0;
	ctx.csv = fopen(o.out, "a");
	if (!ctx.csv)
		die(o.out);
	if (new_file)
		fputs(csv_header, ctx.csv);

	for (si = 0; si < o.nr_sizes; si++) {
		/* Interleave strategies within a try: drift hits all alike. */
		for (t = 0; t < o.tries; t++) {
			for (k = 0; k < o.nr_strats; k++) {
				/* One buddy block is all BUDDY can ever give. */
				if (o.strats[k]->backend == BACKEND_BIGBUF &&
				    o.strats[k]->flags == BIGBUF_STRATEGY_BUDDY &&
				    o.sizes_mib[si] * MIB > max_block)
					continue;
				if (o.strats[k]->search && !ctx.kernel_search)
					continue;
				if (sweep_try(&o, &ctx, o.strats[k],
					      o.sizes_mib[si], t))
					return 1;
			}
		}
	}
	if (ctx.fr.pid > 0)
		frag_stop(&ctx.fr);
	if (ctx.kernel_search && write_search(ctx.search))
		die(CONTIG_SEARCH);
	fclose(ctx.csv);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The system calls of io.bigbuf.kmod's allocate() + close(), in its order:
 * open, BIGBUF_IOC_ALLOC, mmap (shared, read-write), BIGBUF_IOC_FREE (the
 * mapping keeps the pages), close; on close of the buffer, munmap.
 */
static int roundtrip_once(const char *dev, uint64_t size)
{
	struct bigbuf_alloc a = { .size = size };
	struct bigbuf_free f = { 0 };
	void *p;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, BIGBUF_IOC_ALLOC, &a))
		goto fail_close;
	p = mmap(NULL, a.actual_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)a.mmap_offset);
	if (p == MAP_FAILED)
		goto fail_free;
	f.id = a.id;
	if (ioctl(fd, BIGBUF_IOC_FREE, &f))
		goto fail_unmap;
	close(fd);
	return munmap(p, a.actual_size);

fail_unmap:
	munmap(p, a.actual_size);
fail_free:
	f.id = a.id;
	ioctl(fd, BIGBUF_IOC_FREE, &f);
fail_close:
	close(fd);
	return -1;
}

static int roundtrip(int argc, char **argv)
{
	const char *dev = "/dev/bigbuf";
	uint64_t size = 65536;
	int iters = 1000, warmup, i;
	double *t, sum = 0, t0;

	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--bigbuf"))
			dev = argv[i + 1];
		else if (!strcmp(argv[i], "--size"))
			size = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--iters"))
			iters = atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc || iters < 1 || !size) {
		fprintf(stderr, "usage: allocbench roundtrip [--bigbuf DEV] [--size BYTES] [--iters N]\n");
		return 2;
	}
	warmup = iters / 10;
	t = calloc((size_t)iters, sizeof(*t));
	if (!t)
		die("calloc");
	for (i = -warmup; i < iters; i++) {
		t0 = now_us();
		if (roundtrip_once(dev, size))
			die("round trip");
		if (i >= 0)
			t[i] = now_us() - t0;
	}
	for (i = 0; i < iters; i++)
		sum += t[i];
	qsort(t, (size_t)iters, sizeof(*t), cmp_double);
	printf("roundtrip size=%" PRIu64 " iters=%d mean_us=%.2f median_us=%.2f min_us=%.2f\n",
	       size, iters, sum / iters, t[iters / 2], t[0]);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "sweep"))
		return sweep(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "roundtrip"))
		return roundtrip(argc - 2, argv + 2);
	fprintf(stderr, "usage: allocbench sweep|roundtrip [options] (--help)\n");
	return 2;
}
