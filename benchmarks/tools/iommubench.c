// SPDX-License-Identifier: GPL-2.0
/*
 * iommubench - device mapping benchmarks of /dev/bigbuf (runs in a guest
 * with QEMU's edu device).
 *
 *   iommubench mapcost [options]  time of BIGBUF_IOC_MAP + BIGBUF_IOC_UNMAP
 *                                 of one buffer for a PCI function, next to
 *                                 bigbuf_dmaref.ko's dma_map_page_attrs() +
 *                                 dma_unmap_page_attrs() of the same pages
 *                                 for the same function, and the steps
 *                                 bigbuf adds, each timed on its own
 *   iommubench largest [options]  the largest buffer that one method gets
 *                                 on fragmented memory, by bisection:
 *                                 phys (BIGBUF_IOC_ALLOC, AUTO, then mapped
 *                                 for the function) or scatter (ALLOC_EXT
 *                                 with DEVICE | SCATTER)
 *
 * One CSV row per measurement.  Timings are measured, never judged: this
 * program has no thresholds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/bigbuf.h>
#include "benchutil.h"
#include "bigbuf_dmaref.h"
#include "meminfo.h"

#define PCI_DIR		"/sys/bus/pci/devices/"
/*
 * Device address limit of largest: 64 bits.  32 bits are not enough for the
 * I/O address space not to bound a buffer: below 4 GiB the IOMMU DMA layer
 * reserves the host bridge's memory windows, and in QEMU's q35 guests those
 * leave free only the guest's RAM size plus 256 MiB, in two ranges; an IOVA
 * range is aligned to its size rounded up to a power of two, so a 512 MiB
 * guest's device-contiguous buffers stopped at 256 MiB.
 */
#define DEV_MASK_DEFAULT	(~0ULL)

const char *bench_prog = "iommubench";

struct common_opts {
	const char *out;
	const char *kernel;
	const char *mem;
	const char *pci;
	const char *bigbuf_dev;
	const char *dmaref_dev;
	struct bigbuf_pci_dev dev;
};

static int parse_pci(const char *s, struct bigbuf_pci_dev *d)
{
	unsigned int dom, bus, slot, func;

	if (!s || sscanf(s, "%x:%x:%x.%x", &dom, &bus, &slot, &func) != 4 ||
	    bus > 255 || slot > 31 || func > 7)
		return -1;
	memset(d, 0, sizeof(*d));
	d->domain = dom;
	d->bus = bus;
	d->slot = slot;
	d->func = func;
	return 0;
}

/* The function's IOMMU group type ("DMA", "DMA-FQ", "identity"), or "none". */
static void iommu_type(const char *pci, char *out, size_t len)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(out, len, "none");
	snprintf(path, sizeof(path), PCI_DIR "%s/iommu_group/type", pci);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(out, len, "?");
		return;
	}
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
}

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "iommubench: %s: %s\n", path, strerror(errno));
	return fd;
}

static FILE *open_csv(const char *path, const char *header)
{
	struct stat st;
	bool new_file = stat(path, &st) || st.st_size == 0;
	FILE *f = fopen(path, "a");

	if (!f)
		die(path);
	if (new_file)
		fputs(header, f);
	return f;
}

/* Shared options; returns 1 if consumed (with its value), 0 if not ours. */
static int common_opt(struct common_opts *o, const char *a, const char *v)
{
	if (!strcmp(a, "--out"))
		o->out = v;
	else if (!strcmp(a, "--kernel"))
		o->kernel = v;
	else if (!strcmp(a, "--mem"))
		o->mem = v;
	else if (!strcmp(a, "--pci"))
		o->pci = v;
	else if (!strcmp(a, "--bigbuf"))
		o->bigbuf_dev = v;
	else if (!strcmp(a, "--dmaref"))
		o->dmaref_dev = v;
	else
		return 0;
	return 1;
}

static void common_defaults(struct common_opts *o)
{
	*o = (struct common_opts){
		.kernel = "?", .mem = "?", .bigbuf_dev = "/dev/bigbuf",
		.dmaref_dev = "/dev/bigbuf_dmaref",
	};
}

/* ---- mapcost ---------------------------------------------------------- */

static const char mapcost_header[] =
	"kernel,mem,mode,iommu,size_mib,rep,what,user_us,kernel_us,ok\n";

struct mapcost_ctx {
	const struct common_opts *o;
	FILE *csv;
	int bb, ref;
	uint64_t id;
	unsigned int size_mib;
	const char *mode;
	char iommu[32];
};

static const char *const mode_names[] = {
	[0] = "?",
	[BIGBUF_DMA_DIRECT] = "direct",
	[BIGBUF_DMA_IDENTITY] = "identity",
	[BIGBUF_DMA_TRANSLATED] = "translated",
};

static void mapcost_row(struct mapcost_ctx *x, int rep, const char *what,
			double user_us, double kernel_us, int ok)
{
	if (rep < 0)	/* warm-up */
		return;
	fprintf(x->csv, "%s,%s,%s,%s,%u,%d,%s,%.2f,%.2f,%d\n", x->o->kernel,
		x->o->mem, x->mode, x->iommu, x->size_mib, rep, what, user_us,
		kernel_us, ok);
}

static void bigbuf_map_once(struct mapcost_ctx *x, int rep)
{
	struct bigbuf_map m = { .id = x->id, .dev = x->o->dev };
	struct bigbuf_unmap u = { .id = x->id, .dev = x->o->dev };
	double t0, t1, t2;

	t0 = now_us();
	if (ioctl(x->bb, BIGBUF_IOC_MAP, &m)) {
		fprintf(stderr, "iommubench: repetition %d:\n", rep);
		die("BIGBUF_IOC_MAP");
	}
	t1 = now_us();
	if (ioctl(x->bb, BIGBUF_IOC_UNMAP, &u))
		die("BIGBUF_IOC_UNMAP");
	t2 = now_us();
	mapcost_row(x, rep, "bigbuf_map", t1 - t0, -1, 1);
	mapcost_row(x, rep, "bigbuf_unmap", t2 - t1, -1, 1);
}

static struct dmaref_op ref_op(struct mapcost_ctx *x, unsigned int op,
			       double *user_us)
{
	struct dmaref_op o = { .op = op };
	double t0 = now_us();

	if (ioctl(x->ref, DMAREF_IOC_OP, &o)) {
		fprintf(stderr, "iommubench: op %u:\n", op);
		die("DMAREF_IOC_OP");
	}
	*user_us = now_us() - t0;
	return o;
}

static void ref_once(struct mapcost_ctx *x, int rep)
{
	struct dmaref_op r;
	double us;

	r = ref_op(x, DMAREF_OP_MAP_PAGE, &us);
	mapcost_row(x, rep, "ref_map", us, r.kernel_ns / 1e3, 1);
	r = ref_op(x, DMAREF_OP_UNMAP_PAGE, &us);
	mapcost_row(x, rep, "ref_unmap", us, r.kernel_ns / 1e3, 1);
}

/* The steps bigbuf adds around the baseline, one at a time. */
static void steps_once(struct mapcost_ctx *x, int rep)
{
	struct dmaref_op r;
	double us;

	r = ref_op(x, DMAREF_OP_SG_BUILD, &us);
	mapcost_row(x, rep, "step_sg_build", us, r.kernel_ns / 1e3, 1);
	r = ref_op(x, DMAREF_OP_MASK, &us);
	mapcost_row(x, rep, "step_mask", us, r.kernel_ns / 1e3, 1);
	r = ref_op(x, DMAREF_OP_MAP_SG, &us);
	mapcost_row(x, rep, "step_map_sg", us, r.kernel_ns / 1e3, 1);
	r = ref_op(x, DMAREF_OP_VERIFY, &us);
	mapcost_row(x, rep, "step_verify", us, r.kernel_ns / 1e3, r.ok);
	if (!r.ok)
		fprintf(stderr, "iommubench: verification of the reference mapping failed\n");
	r = ref_op(x, DMAREF_OP_UNMAP_SG, &us);
	mapcost_row(x, rep, "step_unmap_sg", us, r.kernel_ns / 1e3, 1);
}

static void mapcost_usage(FILE *out)
{
	fprintf(out,
		"usage: iommubench mapcost --out CSV --pci DDDD:BB:SS.F [--size-mib N] [--reps N]\n"
		"                          [--pause-ms MS] [--only-bigbuf 1] [--kernel K] [--mem M]\n"
		"                          [--bigbuf DEV] [--dmaref DEV]\n"
		"Allocates one physically contiguous buffer (AUTO), then per repetition, in\n"
		"alternating order: BIGBUF_IOC_MAP + UNMAP for the function (mask 0: its\n"
		"current one), bigbuf_dmaref's dma_map_page_attrs + unmap of the same pages,\n"
		"and bigbuf's added steps one at a time (--only-bigbuf 1: MAP + UNMAP only),\n"
		"each repetition after MS idle. A tenth of the repetitions (at least 3) run\n"
		"first as a warm-up and are not written.\n");
}

static int mapcost(int argc, char **argv)
{
	struct common_opts o;
	struct mapcost_ctx x = { .o = &o, .size_mib = 64 };
	struct bigbuf_alloc a = { 0 };
	struct bigbuf_map m;
	struct bigbuf_free f = { 0 };
	struct dmaref_setup s = { .abi_version = DMAREF_ABI_VERSION };
	struct dmaref_op first;
	int reps = 100, warmup, i, pause_ms = 0, only_bigbuf = 0;
	struct timespec pause;
	double us;
	void *p;

	common_defaults(&o);
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			mapcost_usage(stdout);
			return 0;
		}
		if (!v)
			goto bad;
		if (common_opt(&o, arg, v))
			;
		else if (!strcmp(arg, "--size-mib"))
			x.size_mib = (unsigned int)strtoul(v, NULL, 10);
		else if (!strcmp(arg, "--reps"))
			reps = atoi(v);
		else if (!strcmp(arg, "--pause-ms"))
			pause_ms = atoi(v);
		else if (!strcmp(arg, "--only-bigbuf"))
			only_bigbuf = atoi(v);
		else
			goto bad;
		i++;
	}
	if (!o.out || parse_pci(o.pci, &o.dev) || !x.size_mib || reps < 1 ||
	    pause_ms < 0)
		goto bad;
	iommu_type(o.pci, x.iommu, sizeof(x.iommu));

	x.bb = open_dev(o.bigbuf_dev);
	x.ref = open_dev(o.dmaref_dev);
	if (x.bb < 0 || x.ref < 0)
		return 1;
	a.size = x.size_mib * MIB;
	if (ioctl(x.bb, BIGBUF_IOC_ALLOC, &a))
		die("BIGBUF_IOC_ALLOC");
	x.id = a.id;
	p = mmap(NULL, a.actual_size, PROT_READ | PROT_WRITE, MAP_SHARED, x.bb,
		 (off_t)a.mmap_offset);
	if (p == MAP_FAILED)
		die("mmap");
	/* The first mapping binds the stub driver: outside the measurement. */
	m = (struct bigbuf_map){ .id = x.id, .dev = o.dev };
	if (ioctl(x.bb, BIGBUF_IOC_MAP, &m))
		die("BIGBUF_IOC_MAP");
	x.mode = m.mode < 4 ? mode_names[m.mode] : "?";
	printf("mapcost: %s %s (iommu group %s), buffer %u MiB at phys %#llx -> device %#llx\n",
	       o.pci, x.mode, x.iommu, x.size_mib, (unsigned long long)a.phys_addr,
	       (unsigned long long)m.dev_addr);
	{
		struct bigbuf_unmap u = { .id = x.id, .dev = o.dev };

		if (ioctl(x.bb, BIGBUF_IOC_UNMAP, &u))
			die("BIGBUF_IOC_UNMAP");
	}
	s.addr = (uintptr_t)p;
	s.size = a.actual_size;
	s.domain = o.dev.domain;
	s.bus = o.dev.bus;
	s.slot = o.dev.slot;
	s.func = o.dev.func;
	if (ioctl(x.ref, DMAREF_IOC_SETUP, &s))
		die("DMAREF_IOC_SETUP");
	if (s.mode != m.mode || s.phys_addr != a.phys_addr) {
		fprintf(stderr, "iommubench: reference sees mode %u phys %#llx, bigbuf %u %#llx\n",
			s.mode, (unsigned long long)s.phys_addr, m.mode,
			(unsigned long long)a.phys_addr);
		return 1;
	}
	first = ref_op(&x, DMAREF_OP_MAP_PAGE, &us);
	printf("mapcost: reference: device %#llx, DMA mask %#llx\n",
	       (unsigned long long)first.dma_addr, (unsigned long long)s.dma_mask);
	ref_op(&x, DMAREF_OP_UNMAP_PAGE, &us);

	x.csv = open_csv(o.out, mapcost_header);
	warmup = reps / 10 > 3 ? reps / 10 : 3;
	pause.tv_sec = pause_ms / 1000;
	pause.tv_nsec = (pause_ms % 1000) * 1000000L;
	for (i = -warmup; i < reps; i++) {
		if (pause_ms)
			nanosleep(&pause, NULL);
		if (only_bigbuf) {
			bigbuf_map_once(&x, i);
			continue;
		}
		/* Alternate the order: drift and caches hit both alike. */
		if (i & 1) {
			ref_once(&x, i);
			bigbuf_map_once(&x, i);
		} else {
			bigbuf_map_once(&x, i);
			ref_once(&x, i);
		}
		steps_once(&x, i);
	}
	fclose(x.csv);
	if (ioctl(x.ref, DMAREF_IOC_RELEASE))
		die("DMAREF_IOC_RELEASE");
	close(x.ref);
	munmap(p, a.actual_size);
	f.id = x.id;
	if (ioctl(x.bb, BIGBUF_IOC_FREE, &f))
		die("BIGBUF_IOC_FREE");
	close(x.bb);
	printf("mapcost: %d repetitions written to %s\n", reps, o.out);
	return 0;
bad:
	mapcost_usage(stderr);
	return 2;
}

/* ---- largest ---------------------------------------------------------- */

static const char largest_header[] =
	"kernel,mem,method,phase,probe,size_mib,ok,err,alloc_us,map_us,free_us,"
	"got,kind,free_mib,maxorder_free_mib,oom_kill,pswpout,pgsteal,"
	"compact_stall,pgmigrate,frag_killed,frag_seed,lo_mib,hi_mib\n";

enum method { METHOD_PHYS, METHOD_SCATTER };

struct largest_opts {
	struct common_opts c;
	enum method method;
	const char *method_name;
	struct frag_cmd frag;
	uint64_t frag_seed;
	uint64_t dev_mask;
	unsigned int gran_mib;
	int repeat;
};

struct probe {
	bool ok;
	int err;
	double alloc_us, map_us, free_us;
	const char *got;
	unsigned int kind;
};

static const char *const strategy_names[] = {
	[BIGBUF_STRATEGY_AUTO] = "auto",
	[BIGBUF_STRATEGY_BUDDY] = "buddy",
	[BIGBUF_STRATEGY_CONTIG] = "contig",
	[BIGBUF_STRATEGY_GRAB] = "grab",
};

static const char *strategy_name(unsigned int s)
{
	return s < BIGBUF_STRATEGY_COUNT ? strategy_names[s] : "?";
}

static void bb_free(int fd, uint64_t id, struct probe *r)
{
	struct bigbuf_free f = { .id = id };
	double t0 = now_us();

	if (ioctl(fd, BIGBUF_IOC_FREE, &f))
		die("BIGBUF_IOC_FREE");
	r->free_us = now_us() - t0;
}

/* ALLOC (AUTO), then MAP for the function: a physically contiguous buffer. */
static void probe_phys(int fd, const struct bigbuf_pci_dev *dev, uint64_t mask,
		       uint64_t size, struct probe *r)
{
	struct bigbuf_alloc a = { .size = size };
	struct bigbuf_map m = { .dev = *dev, .dma_mask = mask };
	double t0 = now_us();

	r->ok = !ioctl(fd, BIGBUF_IOC_ALLOC, &a);
	r->alloc_us = now_us() - t0;
	r->err = r->ok ? 0 : errno;
	if (!r->ok)
		return;
	r->got = strategy_name(a.strategy);
	r->kind = BIGBUF_KIND_PHYS_CONTIG;
	m.id = a.id;
	t0 = now_us();
	if (ioctl(fd, BIGBUF_IOC_MAP, &m)) {
		r->ok = false;
		r->err = errno;
	}
	r->map_us = now_us() - t0;
	/* FREE of a mapped buffer drops its device mapping too. */
	bb_free(fd, a.id, r);
}

/* ALLOC_EXT with DEVICE | SCATTER: allocated and mapped in one call. */
static void probe_scatter(int fd, const struct bigbuf_pci_dev *dev,
			  uint64_t mask, uint64_t size, struct probe *r)
{
	struct bigbuf_alloc_ext a = {
		.size = size, .max_addr = mask, .node = BIGBUF_NODE_ANY,
		.flags = BIGBUF_STRATEGY_AUTO | BIGBUF_ALLOC_DEVICE |
			 BIGBUF_ALLOC_SCATTER,
		.dev = *dev,
	};
	double t0 = now_us();

	r->ok = !ioctl(fd, BIGBUF_IOC_ALLOC_EXT, &a);
	r->alloc_us = now_us() - t0;
	r->err = r->ok ? 0 : errno;
	r->map_us = -1;
	if (!r->ok)
		return;
	r->got = strategy_name(a.strategy);
	r->kind = a.kind;
	bb_free(fd, a.id, r);
}

struct largest_ctx {
	const struct largest_opts *o;
	FILE *csv;
	int fd;
	struct frag fr;
	bool dirty;
	int probe;
};

#define MAX_PROBES	256

/* What a probe found, for the second bisection. */
struct probe_seen {
	unsigned int size_mib;
	bool ok;		/* calls succeeded, nothing OOM-killed */
	bool swapped;		/* pages were swapped out during it */
};

/* One probe of @size_mib on fragmented memory. */
static int largest_probe(struct largest_ctx *x, const char *phase,
			 unsigned int size_mib, unsigned int lo, unsigned int hi,
			 struct probe_seen *seen)
{
	const struct largest_opts *o = x->o;
	struct probe r = { .got = "", .map_us = -1, .free_us = -1 };
	struct vm_counters c0, c1;
	struct buddy_summary b;
	int killed;

	/* Fresh fragmented memory unless the last probe left it as it was. */
	if (x->fr.pid < 0 || x->dirty) {
		if (x->fr.pid > 0)
			frag_stop(&x->fr);
		if (frag_start(&o->frag, o->frag_seed, &x->fr))
			return -1;
	}
	settle();
	if (buddy_read(&b))
		return -1;
	vm_read(&c0);
	if (o->method == METHOD_PHYS)
		probe_phys(x->fd, &o->c.dev, o->dev_mask, size_mib * MIB, &r);
	else
		probe_scatter(x->fd, &o->c.dev, o->dev_mask, size_mib * MIB, &r);
	settle();
	vm_read(&c1);
	x->dirty = r.ok || vm_changed(&c0, &c1);
	killed = frag_died(&x->fr);
	seen->size_mib = size_mib;
	seen->ok = r.ok && !killed && c1.oom_kill == c0.oom_kill;
	seen->swapped = c1.pswpout != c0.pswpout;

	fprintf(x->csv,
		"%s,%s,%s,%s,%d,%u,%d,%d,%.1f,%.1f,%.1f,%s,%u,%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%d,%" PRIu64 ",%u,%u\n",
		o->c.kernel, o->c.mem, o->method_name, phase, x->probe++, size_mib,
		seen->ok, r.err, r.alloc_us, r.map_us, r.free_us, r.got, r.kind,
		b.free_pages * 4096 / MIB, b.maxorder_free_pages * 4096 / MIB,
		c1.oom_kill - c0.oom_kill, c1.pswpout - c0.pswpout,
		c1.pgsteal - c0.pgsteal, c1.compact_stall - c0.compact_stall,
		c1.pgmigrate - c0.pgmigrate, killed, x->fr.seed, lo, hi);
	fflush(x->csv);
	printf("%-7s %-13s %5u MiB: %s %10.0f us (free %" PRIu64 " MiB, swap-outs %"
	       PRIu64 ", migrated %" PRIu64 ")%s\n", o->method_name, phase, size_mib,
	       seen->ok ? "ok  " : "FAIL", r.alloc_us, b.free_pages * 4096 / MIB,
	       c1.pswpout - c0.pswpout, c1.pgmigrate - c0.pgmigrate,
	       killed ? " (fragmenter OOM-killed)" : "");
	fflush(stdout);
	return 0;
}

/* A row that states a bisection's outcome: largest success @lo, failure @hi. */
static void largest_result(struct largest_ctx *x, const char *phase,
			   unsigned int lo, unsigned int hi)
{
	const struct largest_opts *o = x->o;

	fprintf(x->csv, "%s,%s,%s,%s,-1,%u,1,0,-1,-1,-1,,0,0,0,0,0,0,0,0,0,0,%u,%u\n",
		o->c.kernel, o->c.mem, o->method_name, phase, lo, lo, hi);
	fflush(x->csv);
	printf("%s: %s: largest %u MiB (%u MiB fails)\n", o->method_name, phase, lo, hi);
}

/*
 * Bisect (lo, hi) to the granularity: @noswap counts a probe that swapped
 * pages out as a failure.  Probes are appended to @seen.
 */
static int bisect(struct largest_ctx *x, const char *phase, bool noswap,
		  unsigned int *lo, unsigned int *hi, struct probe_seen *seen,
		  int *nr_seen)
{
	unsigned int gran = x->o->gran_mib, mid;
	struct probe_seen *p;

	while (*hi - *lo > gran && *nr_seen < MAX_PROBES) {
		mid = *lo + (*hi - *lo) / gran / 2 * gran;
		p = &seen[(*nr_seen)++];
		if (largest_probe(x, phase, mid, *lo, *hi, p))
			return -1;
		if (p->ok && !(noswap && p->swapped))
			*lo = mid;
		else
			*hi = mid;
	}
	return 0;
}

static int repeat_at(struct largest_ctx *x, const char *phase,
		     unsigned int lo, unsigned int hi)
{
	struct probe_seen p;
	int i;

	for (i = 0; lo && i < x->o->repeat; i++) {
		/* Each repeat on fresh fragmented memory. */
		x->dirty = true;
		if (largest_probe(x, phase, lo, lo, hi, &p))
			return -1;
	}
	return 0;
}

static void largest_usage(FILE *out)
{
	fprintf(out,
		"usage: iommubench largest --out CSV --pci DDDD:BB:SS.F --method phys|scatter\n"
		"                          --fragment PATH [--frag-seed N] [--frag-arg ARG]...\n"
		"                          [--gran-mib G] [--repeat N] [--dev-mask M] [--kernel K]\n"
		"                          [--mem M]\n"
		"Bisects, on memory fragmented afresh by PATH --seed N ARG... before every\n"
		"probe that changed it, for the largest size (multiple of G MiB, default 1)\n"
		"that the method gets: phys = BIGBUF_IOC_ALLOC (AUTO) then BIGBUF_IOC_MAP,\n"
		"scatter = BIGBUF_IOC_ALLOC_EXT (DEVICE | SCATTER); device mask M for both\n"
		"(default 64 bits: a 32-bit I/O address space can bound the buffer).\n"
		"A probe succeeds if the calls do and nothing was OOM-killed. If probes\n"
		"succeeded only by swapping pages out, a second bisection (bisect-noswap)\n"
		"finds the largest size without swap-out. Rows \"result\" and\n"
		"\"result-noswap\" state both. Then N more probes (default 3) at each largest\n"
		"size found, on freshly fragmented memory, for its time.\n");
}

static int largest(int argc, char **argv)
{
	struct largest_opts o = {
		.frag_seed = 1, .gran_mib = 1, .repeat = 3,
		.dev_mask = DEV_MASK_DEFAULT,
	};
	struct largest_ctx x = { .o = &o, .fr = { .pid = -1 } };
	static struct probe_seen seen[MAX_PROBES];
	unsigned int lo, hi, lo_ns, hi_ns;
	int i, nr_seen = 0;
	uint64_t total;

	common_defaults(&o.c);
	o.method_name = NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			largest_usage(stdout);
			return 0;
		}
		if (!v)
			goto bad;
		if (common_opt(&o.c, a, v))
			;
		else if (!strcmp(a, "--method"))
			o.method_name = v;
		else if (!strcmp(a, "--fragment"))
			o.frag.path = v;
		else if (!strcmp(a, "--frag-seed"))
			o.frag_seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--frag-arg") && o.frag.nr_args < MAX_FRAG_ARGS)
			o.frag.args[o.frag.nr_args++] = (char *)v;
		else if (!strcmp(a, "--gran-mib"))
			o.gran_mib = (unsigned int)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--repeat"))
			o.repeat = atoi(v);
		else if (!strcmp(a, "--dev-mask"))
			o.dev_mask = strtoull(v, NULL, 0);
		else
			goto bad;
		i++;
	}
	if (!o.method_name || !strcmp(o.method_name, "phys"))
		o.method = METHOD_PHYS;
	else if (!strcmp(o.method_name, "scatter"))
		o.method = METHOD_SCATTER;
	else
		goto bad;
	if (!o.c.out || !o.method_name || parse_pci(o.c.pci, &o.c.dev) ||
	    !o.frag.path || !o.gran_mib || o.repeat < 0)
		goto bad;

	x.fd = open_dev(o.c.bigbuf_dev);
	if (x.fd < 0)
		return 1;
	x.csv = open_csv(o.c.out, largest_header);
	/* lo: known to work (nothing), hi: known to fail (more than RAM). */
	total = meminfo_bytes("MemTotal:") / MIB;
	lo = 0;
	hi = (unsigned int)((total / o.gran_mib + 1) * o.gran_mib);
	if (bisect(&x, "bisect", false, &lo, &hi, seen, &nr_seen))
		return 1;
	largest_result(&x, "result", lo, hi);
	lo_ns = lo;
	hi_ns = hi;
	/*
	 * If probes succeeded only by swapping pages out, the largest size
	 * without swap-out too: bounded by what the probes so far showed.
	 */
	for (i = 0; i < nr_seen; i++)
		if (seen[i].ok && seen[i].swapped && seen[i].size_mib < hi_ns)
			hi_ns = seen[i].size_mib;
	if (hi_ns != hi) {
		lo_ns = 0;
		for (i = 0; i < nr_seen; i++)
			if (seen[i].ok && !seen[i].swapped &&
			    seen[i].size_mib < hi_ns && seen[i].size_mib > lo_ns)
				lo_ns = seen[i].size_mib;
		if (bisect(&x, "bisect-noswap", true, &lo_ns, &hi_ns, seen,
			   &nr_seen))
			return 1;
	}
	largest_result(&x, "result-noswap", lo_ns, hi_ns);
	if (repeat_at(&x, "repeat", lo, hi))
		return 1;
	if (lo_ns != lo && repeat_at(&x, "repeat-noswap", lo_ns, hi_ns))
		return 1;
	if (x.fr.pid > 0)
		frag_stop(&x.fr);
	fclose(x.csv);
	close(x.fd);
	return 0;
bad:
	largest_usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "mapcost"))
		return mapcost(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "largest"))
		return largest(argc - 2, argv + 2);
	fprintf(stderr, "usage: iommubench mapcost|largest [options] (--help)\n");
	return 2;
}
