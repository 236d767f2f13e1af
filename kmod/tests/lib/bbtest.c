// SPDX-License-Identifier: GPL-2.0
/* Test runner and device helpers of the /dev/bigbuf test programs (bbtest.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bbtest.h"

#define PARAM_DIR	"/sys/module/bigbuf/parameters/"
#define PCI_DIR		"/sys/bus/pci/devices/"

const char *bbt_dev = "/dev/bigbuf";
long bbt_page;
struct bigbuf_info bbt_info;
bool bbt_verbose;

static atomic_int failures;		/* of the current test */
static _Atomic uint64_t counters[CNT_NR];
static const char *const counter_names[CNT_NR] = {
	[CNT_FUZZ_CALLS] = "fuzz_calls",
	[CNT_BAD_INPUTS] = "bad_inputs",
	[CNT_FAULTS] = "faults",
	[CNT_LOAD_OPS] = "load_ops",
};
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void bbt_count(enum bbt_counter c, uint64_t n)
{
	atomic_fetch_add(&counters[c], n);
}

static void vfail(const char *file, int line, const char *cond,
		  const char *fmt, va_list ap)
{
	atomic_fetch_add(&failures, 1);
	pthread_mutex_lock(&out_lock);
	fprintf(stdout, "    FAIL %s:%d: %s", file, line, cond);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

void bbt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, "", fmt, ap);
	va_end(ap);
}

void bbt_check_failed(const char *file, int line, const char *cond,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, cond, fmt, ap);
	va_end(ap);
}

void bbt_note(const char *fmt, ...)
{
	va_list ap;

	if (!bbt_verbose)
		return;
	pthread_mutex_lock(&out_lock);
	fputs("    ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

double bbt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int bbt_open(void)
{
	int fd = open(bbt_dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", bbt_dev, strerror(errno));
		exit(2);
	}
	return fd;
}

struct bigbuf_stats bbt_stats(void)
{
	struct bigbuf_stats s;
	int fd = bbt_open();

	if (ioctl(fd, BIGBUF_IOC_STATS, &s)) {
		perror("BIGBUF_IOC_STATS");
		exit(2);
	}
	close(fd);
	return s;
}

bool bbt_settle(uint64_t buffers, uint64_t bytes, const char *what)
{
	struct bigbuf_stats s;
	int ms;

	for (ms = 0; ms < SETTLE_MS; ms += 10) {
		s = bbt_stats();
		if (s.buffers == buffers && s.bytes_held == bytes)
			return true;
		usleep(10000);
	}
	bbt_fail(__FILE__, __LINE__,
		 "%s: module holds %llu buffers, %llu bytes; want %llu, %llu",
		 what, (unsigned long long)s.buffers,
		 (unsigned long long)s.bytes_held,
		 (unsigned long long)buffers, (unsigned long long)bytes);
	return false;
}

bool bbt_settle_empty(const char *what)
{
	return bbt_settle(0, 0, what);
}

int bbt_alloc(int fd, uint64_t size, uint64_t align, uint64_t max_addr,
	      uint32_t flags, struct bigbuf_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->size = size;
	a->align = align;
	a->max_addr = max_addr;
	a->flags = flags;
	return ioctl(fd, BIGBUF_IOC_ALLOC, a);
}

int bbt_alloc_ext(int fd, const struct bbt_pci *dev, uint64_t size,
		  uint64_t max_addr, uint32_t flags, struct bigbuf_alloc_ext *a)
{
	memset(a, 0, sizeof(*a));
	a->size = size;
	a->max_addr = max_addr;
	a->flags = flags;
	a->node = BIGBUF_NODE_ANY;
	if (dev) {
		a->flags |= BIGBUF_ALLOC_DEVICE;
		a->dev = dev->addr;
	}
	return ioctl(fd, BIGBUF_IOC_ALLOC_EXT, a);
}

int bbt_devmap(int fd, uint64_t id, const void *addr, const struct bbt_pci *dev,
	       uint64_t mask, uint32_t flags, struct bigbuf_map *m)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->addr = (uintptr_t)addr;
	m->dev = dev->addr;
	m->dma_mask = mask;
	m->flags = flags;
	return ioctl(fd, BIGBUF_IOC_MAP, m);
}

int bbt_devunmap(int fd, uint64_t id, const void *addr,
		 const struct bbt_pci *dev)
{
	struct bigbuf_unmap u = {
		.id = id, .addr = (uintptr_t)addr, .dev = dev->addr,
	};

	return ioctl(fd, BIGBUF_IOC_UNMAP, &u);
}

int bbt_free(int fd, uint64_t id)
{
	struct bigbuf_free f = { .id = id };

	return ioctl(fd, BIGBUF_IOC_FREE, &f);
}

int bbt_memmap(int fd, uint64_t start_pfn, uint8_t *states, uint32_t nr_blocks,
	       struct bigbuf_memmap *m)
{
	memset(m, 0, sizeof(*m));
	m->start_pfn = start_pfn;
	m->states = (uintptr_t)states;
	m->nr_blocks = nr_blocks;
	return ioctl(fd, BIGBUF_IOC_MEMMAP, m);
}

void *bbt_map(int fd, uint64_t offset, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)offset);

	return p == MAP_FAILED ? NULL : p;
}

bool bbt_is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len && ((uintptr_t)(c + i) & 7); i++)
		if (c[i])
			return false;
	for (; i + 8 <= len; i += 8)
		if (*(const uint64_t *)(c + i))
			return false;
	for (; i < len; i++)
		if (c[i])
			return false;
	return true;
}

void bbt_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p, s = seed | 1;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = bbt_rand(&s) | 1;	/* never a zero word */
}

int bbt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

long bbt_pci_attr(const char *name, const char *attr)
{
	char path[512], buf[64];

	snprintf(path, sizeof(path), PCI_DIR "%s/%s", name, attr);
	if (bbt_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

void bbt_pci_driver(const char *name, char *out, size_t len)
{
	char path[300], link[512];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DIR "%s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	out[0] = 0;
	if (n <= 0)
		return;
	link[n] = 0;
	snprintf(out, len, "%s", strrchr(link, '/') + 1);
}

int bbt_parse_pci(const char *s, struct bbt_pci *p)
{
	unsigned int dom, bus, slot, func;

	if (sscanf(s, "%x:%x:%x.%x", &dom, &bus, &slot, &func) != 4 ||
	    bus > 255 || slot > 31 || func > 7)
		return -1;
	memset(p, 0, sizeof(*p));
	p->addr.domain = dom;
	p->addr.bus = bus;
	p->addr.slot = slot;
	p->addr.func = func;
	snprintf(p->name, sizeof(p->name), "%04x:%02x:%02x.%x", dom, bus, slot,
		 func);
	return 0;
}

int bbt_find_pci(int vendor, int device, bool bound, struct bbt_pci *out)
{
	DIR *d = opendir(PCI_DIR);
	struct dirent *e;
	char drv[64];
	int ret = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (bound) {
			bbt_pci_driver(e->d_name, drv, sizeof(drv));
			if (!drv[0] || !strcmp(drv, "bigbuf"))
				continue;
		} else if (bbt_pci_attr(e->d_name, "vendor") != vendor ||
			   bbt_pci_attr(e->d_name, "device") != device) {
			continue;
		}
		if (!bbt_parse_pci(e->d_name, out)) {
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

int bbt_pci_dma_mode(const char *name)
{
	char path[512], type[64];

	snprintf(path, sizeof(path), PCI_DIR "%s/iommu_group/type", name);
	if (bbt_read_file(path, type, sizeof(type)))
		return BIGBUF_DMA_DIRECT;
	if (!strcmp(type, "identity"))
		return BIGBUF_DMA_IDENTITY;
	if (!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ"))
		return BIGBUF_DMA_TRANSLATED;
	return -1;
}

long bbt_param_get(const char *name)
{
	char path[256];
	long v;
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int bbt_param_write(const char *name, const char *value)
{
	char path[256];
	int fd, err;
	ssize_t n;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

int bbt_param_read(const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	return bbt_read_file(path, buf, len);
}

int bbt_param_set(const char *name, long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", value);
	return bbt_param_write(name, v);
}

static bool selected(const char *name, char **sel, int nsel)
{
	int i;

	if (!nsel)
		return true;
	for (i = 0; i < nsel; i++)
		if (!strcmp(sel[i], name))
			return true;
	return false;
}

int bbt_main(int argc, char **argv, const struct bbt_test *tests,
	     size_t nr_tests, int (*opt)(int argc, char **argv))
{
	return bbt_main_with(argc, argv, tests, nr_tests, opt, NULL);
}

int bbt_main_with(int argc, char **argv, const struct bbt_test *tests,
		  size_t nr_tests, int (*opt)(int argc, char **argv),
		  void (*setup)(void))
{
	int passed = 0, failed = 0, argi = 1, n, fd;
	char **names;
	int nnames = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bbt_page = sysconf(_SC_PAGESIZE);
	if (getenv("BIGBUF_DEV"))
		bbt_dev = getenv("BIGBUF_DEV");
	names = calloc(argc, sizeof(*names));
	if (!names)
		return 2;
	while (argi < argc) {
		if (!strcmp(argv[argi], "-v")) {
			bbt_verbose = true;
			argi++;
		} else if (!strcmp(argv[argi], "--dev") && argi + 1 < argc) {
			bbt_dev = argv[argi + 1];
			argi += 2;
		} else if (opt && (n = opt(argc - argi, argv + argi)) > 0) {
			argi += n;
		} else if (argv[argi][0] == '-') {
			fprintf(stderr, "%s: unknown option %s\n", argv[0],
				argv[argi]);
			return 2;
		} else {
			names[nnames++] = argv[argi++];
		}
	}
	fd = bbt_open();
	if (ioctl(fd, BIGBUF_IOC_INFO, &bbt_info)) {
		perror("BIGBUF_IOC_INFO");
		return 2;
	}
	close(fd);
	if (setup)
		setup();

	for (i = 0; i < nr_tests; i++) {
		struct bigbuf_stats before;
		double t;

		if (!selected(tests[i].name, names, nnames))
			continue;
		atomic_store(&failures, 0);
		before = bbt_stats();
		t = bbt_now();
		tests[i].fn();
		/* Every test returns what it took, whatever it did. */
		bbt_settle(before.buffers, before.bytes_held, tests[i].name);
		if (bbt_stats().dev_maps != before.dev_maps)
			bbt_fail(__FILE__, __LINE__,
				 "%s: module holds %llu device mappings, want %llu",
				 tests[i].name,
				 (unsigned long long)bbt_stats().dev_maps,
				 (unsigned long long)before.dev_maps);
		printf("%s %s (%.2f s)\n", failures ? "FAIL" : "ok  ",
		       tests[i].name, bbt_now() - t);
		if (failures)
			failed++;
		else
			passed++;
	}
	for (i = 0; i < CNT_NR; i++)
		if (counters[i])
			printf("COUNT %s %llu\n", counter_names[i],
			       (unsigned long long)counters[i]);
	printf("%d passed, %d failed\n", passed, failed);
	free(names);
	return failed ? 1 : 0;
}
