// SPDX-License-Identifier: GPL-2.0
/*
 * Device mapping tests of /dev/bigbuf (BIGBUF_IOC_MAP, UNMAP, ALLOC_EXT),
 * run as root in a guest with QEMU's edu PCI device and the module loaded.
 *
 *   bigbuf_devmap_test [-v] [--pci 0000:00:04.0] [test...]
 *
 * The edu device (first one found unless --pci) is driven from here: its
 * DMA engine copies between RAM, addressed by the device addresses the
 * module returns, and its internal buffer.  Data that makes the round trip
 * intact proves the address; DMA to an address not mapped for the device
 * must leave memory untouched and be reported by the IOMMU.  Which tests
 * run depends on how the guest translates the device's DMA (sysfs
 * iommu_group/type) and on its NUMA nodes; each is listed with its result.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "bbtest.h"

#define PCI_DIR			"/sys/bus/pci/devices/"
#define PCI_DRIVERS		"/sys/bus/pci/drivers/"
#define DEVMAPS_FILE		"/sys/class/misc/bigbuf/stats/device_mappings"

/* edu (QEMU hw/misc/edu.c): BAR0 registers and its DMA engine. */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR_SIZE		(1 << 20)
#define EDU_ID			0x00
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_START		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_BUF_ADDR		0x40000
/* QEMU <= 7.2 aborts on a transfer touching the buffer's last byte. */
#define EDU_CHUNK		4095
#define EDU_MASK		((1ULL << 28) - 1)
#define EDU_TIMEOUT_S		20

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4

#define TARGET_FILL		0xa5

static struct bbt_pci edu;
static int expected_mode;	/* BIGBUF_DMA_* from sysfs */
static int edu_node = -1;
static int nr_online_nodes = 1;
static const char *pci_arg;

static const char *const mode_names[] = {
	[BIGBUF_DMA_DIRECT] = "direct",
	[BIGBUF_DMA_IDENTITY] = "identity",
	[BIGBUF_DMA_TRANSLATED] = "translated",
};

/* ---- sysfs ------------------------------------------------------------ */

static int write_file(const char *path, const char *text)
{
	ssize_t n, len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	close(fd);
	return n == len ? 0 : -1;
}

/* The device_mappings line of @name, NULL-terminated into @line. */
static bool devmaps_line(const char *name, char *line, size_t len)
{
	char all[4096], *l, *save;

	if (bbt_read_file(DEVMAPS_FILE, all, sizeof(all)))
		return false;
	for (l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, name, strlen(name))) {
			snprintf(line, len, "%s", l);
			return true;
		}
	return false;
}

/* ---- edu -------------------------------------------------------------- */

struct edu_regs {
	volatile uint8_t *bar;
	int config;
	uint16_t command;
};

static uint64_t edu_rd64(struct edu_regs *e, unsigned int off)
{
	return *(volatile uint64_t *)(e->bar + off);
}

static void edu_wr64(struct edu_regs *e, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + off) = v;
}

/* Map BAR0, enable memory decoding and bus mastering. */
static bool edu_open(struct edu_regs *e)
{
	char path[256];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), PCI_DIR "%s/config", edu.name);
	e->config = open(path, O_RDWR | O_CLOEXEC);
	if (e->config < 0 || pread(e->config, &e->command, 2, PCI_COMMAND) != 2)
		return false;
	cmd = e->command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(e->config, &cmd, 2, PCI_COMMAND) != 2)
		return false;
	snprintf(path, sizeof(path), PCI_DIR "%s/resource0", edu.name);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return false;
	e->bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	close(fd);
	if (e->bar == MAP_FAILED)
		return false;
	return (*(volatile uint32_t *)(e->bar + EDU_ID) & 0xff) == 0xed;
}

static void edu_close(struct edu_regs *e)
{
	if (e->bar && e->bar != MAP_FAILED)
		munmap((void *)e->bar, EDU_BAR_SIZE);
	if (e->config >= 0) {
		pwrite(e->config, &e->command, 2, PCI_COMMAND);
		close(e->config);
	}
}

/* One DMA command; false on timeout. */
static bool edu_dma(struct edu_regs *e, uint64_t src, uint64_t dst,
		    uint64_t cnt, uint64_t dir)
{
	double deadline = bbt_now() + EDU_TIMEOUT_S;

	edu_wr64(e, EDU_DMA_SRC, src);
	edu_wr64(e, EDU_DMA_DST, dst);
	edu_wr64(e, EDU_DMA_CNT, cnt);
	edu_wr64(e, EDU_DMA_CMD, EDU_CMD_START | dir);
	while (edu_rd64(e, EDU_DMA_CMD) & EDU_CMD_START) {
		if (bbt_now() > deadline)
			return false;
		usleep(200);
	}
	return true;
}

/*
 * Copy [off, off + len) of the buffer at device address @src to the same
 * offsets at @dst through the device, in chunks its buffer holds.
 */
static bool edu_copy(struct edu_regs *e, uint64_t src, uint64_t dst,
		     uint64_t off, uint64_t len)
{
	uint64_t done, n;

	for (done = 0; done < len; done += n) {
		n = len - done < EDU_CHUNK ? len - done : EDU_CHUNK;
		if (!edu_dma(e, src + off + done, EDU_BUF_ADDR, n, 0) ||
		    !edu_dma(e, EDU_BUF_ADDR, dst + off + done, n,
			     EDU_CMD_TO_RAM))
			return false;
	}
	return true;
}

/* ---- kernel log: IOMMU fault reports ---------------------------------- */

static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a record since kmsg_open_at_end() reports a DMA fault. */
static bool kmsg_dma_fault(int fd)
{
	static const char *const marks[] = {
		"DMAR: [DMA", "IO_PAGE_FAULT", "AMD-Vi: Event logged",
		"DMAR: DRHD: handling fault",
	};
	char rec[2048];
	double deadline = bbt_now() + 2;
	ssize_t n;
	size_t i;

	while (bbt_now() < deadline) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EAGAIN) {
				usleep(20000);
				continue;
			}
			if (errno == EPIPE)
				continue;
			return false;
		}
		rec[n] = 0;
		for (i = 0; i < ARRAY_LEN(marks); i++)
			if (strstr(rec, marks[i])) {
				bbt_note("kernel: %.*s\n", (int)strcspn(rec, "\n"),
					 strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				return true;
			}
	}
	return false;
}

/*
 * Whether the IOMMU reports DMA faults to the kernel.  QEMU 7.2's AMD-Vi
 * model blocks the access but logs no event (its page walk returns early
 * on an empty page table entry), so the guest never hears of it; real
 * AMD-Vi and every VT-d report them.
 */
static bool iommu_reports_faults(void)
{
	char vendor[64];
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *e;
	bool amd = false;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "ivhd", 4))
			amd = true;
	if (d)
		closedir(d);
	if (!amd || bbt_read_file("/sys/class/dmi/id/sys_vendor", vendor,
			      sizeof(vendor)))
		return true;
	return strcmp(vendor, "QEMU") != 0;
}

/* ---- helpers ---------------------------------------------------------- */

static void *map_ext(int fd, const struct bigbuf_alloc_ext *a)
{
	void *p = mmap(NULL, a->actual_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, a->mmap_offset);

	return p == MAP_FAILED ? NULL : p;
}

static struct bbt_pci pci_at(uint32_t dom, int bus, int slot, int func)
{
	struct bbt_pci p = { .addr = { .domain = dom, .bus = bus,
				       .slot = slot, .func = func } };

	snprintf(p.name, sizeof(p.name), "%04x:%02x:%02x.%x", dom, bus, slot,
		 func);
	return p;
}

/* Module holds exactly @maps device mappings now, @what says when. */
static void check_dev_maps(uint64_t maps, const char *what)
{
	struct bigbuf_stats s = bbt_stats();

	CHECK(s.dev_maps == maps, "%s: %llu device mappings, want %llu", what,
	      (unsigned long long)s.dev_maps, (unsigned long long)maps);
}

/* ---- tests ------------------------------------------------------------ */

static void t_features(void)
{
	char drv[64];

	CHECK(bbt_info.features & BIGBUF_FEATURE_DEVICE_MAP);
	CHECK(bbt_info.features & BIGBUF_FEATURE_NUMA);
	CHECK(bbt_info.nr_nodes >= 1 &&
	      bbt_info.nr_nodes >= (uint32_t)nr_online_nodes,
	      "nr_nodes %u", bbt_info.nr_nodes);
	bbt_pci_driver(edu.name, drv, sizeof(drv));
	bbt_note("%s: iommu %s, node %d, driver '%s'\n", edu.name,
		 mode_names[expected_mode], edu_node, drv);
	CHECK(!drv[0] || !strcmp(drv, "bigbuf"), "edu bound to %s", drv);
}

/* MAP by id: mode, address, counters, sysfs, QUERY, driver binding. */
static void t_map_modes(void)
{
	int fd = bbt_open();
	struct bigbuf_alloc a;
	struct bigbuf_query q = { 0 };
	struct bigbuf_map m;
	char line[128], drv[64], want[128];

	if (bbt_alloc(fd, MiB, 0, EDU_MASK, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		goto out;
	}
	CHECK(!bbt_devmap(fd, a.id, NULL, &edu, EDU_MASK, 0, &m),
	      "map: %s", strerror(errno));
	CHECK(m.mode == (uint32_t)expected_mode, "mode %u, sysfs says %s",
	      m.mode, mode_names[expected_mode]);
	CHECK(m.dev_addr + MiB - 1 <= EDU_MASK, "dev_addr %#llx",
	      (unsigned long long)m.dev_addr);
	if (expected_mode != BIGBUF_DMA_TRANSLATED)
		CHECK(m.dev_addr == a.phys_addr, "dev_addr %#llx phys %#llx",
		      (unsigned long long)m.dev_addr,
		      (unsigned long long)a.phys_addr);
	bbt_note("%s: phys %#llx -> device %#llx\n", mode_names[m.mode],
		 (unsigned long long)a.phys_addr,
		 (unsigned long long)m.dev_addr);
	check_dev_maps(1, "after map");
	CHECK(bbt_stats().dev_mapped_bytes == MiB);
	bbt_pci_driver(edu.name, drv, sizeof(drv));
	CHECK(!strcmp(drv, "bigbuf"), "driver after map: '%s'", drv);
	snprintf(want, sizeof(want), "%s %s 1 %llu", edu.name,
		 mode_names[expected_mode], (unsigned long long)MiB);
	CHECK(devmaps_line(edu.name, line, sizeof(line)) && !strcmp(line, want),
	      "device_mappings '%s', want '%s'", line, want);
	q.id = a.id;
	CHECK(!ioctl(fd, BIGBUF_IOC_QUERY, &q));
	CHECK(q.dev_maps == 1 && q.kind == BIGBUF_KIND_PHYS_CONTIG,
	      "query: %u maps, kind %u", q.dev_maps, q.kind);

	CHECK(!bbt_devunmap(fd, a.id, NULL, &edu), "unmap: %s",
	      strerror(errno));
	check_dev_maps(0, "after unmap");
	CHECK(devmaps_line(edu.name, line, sizeof(line)));
	snprintf(want, sizeof(want), "%s %s 0 0", edu.name,
		 mode_names[expected_mode]);
	CHECK(!strcmp(line, want), "device_mappings '%s'", line);
	/* The stub stays bound: no other driver may take the function. */
	bbt_pci_driver(edu.name, drv, sizeof(drv));
	CHECK(!strcmp(drv, "bigbuf"), "driver after unmap: '%s'", drv);
out:
	close(fd);
}

/* The device copies a random pattern between two buffers by address. */
static void t_dma_roundtrip(void)
{
	const uint64_t size = 256 * KiB;
	struct bigbuf_alloc_ext src, dst;
	struct edu_regs e = { .config = -1 };
	int fd = bbt_open();
	uint8_t *ps = NULL, *pd = NULL;

	if (bbt_alloc_ext(fd, &edu, size, EDU_MASK, 0, &src) ||
	    bbt_alloc_ext(fd, &edu, size, EDU_MASK, 0, &dst)) {
		bbt_fail(__FILE__, __LINE__, "alloc_ext: %s", strerror(errno));
		goto out;
	}
	CHECK(src.mode == (uint32_t)expected_mode && src.kind ==
	      BIGBUF_KIND_PHYS_CONTIG, "mode %u kind %u", src.mode, src.kind);
	check_dev_maps(2, "two buffers allocated and mapped in one call");
	ps = map_ext(fd, &src);
	pd = map_ext(fd, &dst);
	if (!ps || !pd || !edu_open(&e)) {
		bbt_fail(__FILE__, __LINE__, "mmap/edu: %s", strerror(errno));
		goto out;
	}
	bbt_fill(ps, size, 0xb16b0f);
	memset(pd, TARGET_FILL, size);
	CHECK(edu_copy(&e, src.dev_addr, dst.dev_addr, 0, size),
	      "edu DMA timed out");
	CHECK(!memcmp(ps, pd, size), "data differs after the round trip");
	bbt_note("%llu KiB through edu: %#llx -> %#llx (%s)\n",
		 (unsigned long long)(size / KiB),
		 (unsigned long long)src.dev_addr,
		 (unsigned long long)dst.dev_addr, mode_names[src.mode]);
out:
	edu_close(&e);
	if (ps)
		munmap(ps, size);
	if (pd)
		munmap(pd, size);
	close(fd);
	check_dev_maps(0, "after close");
}

/*
 * A buffer above the device's reach: refused without a translating IOMMU
 * (it would need bounce buffering), mapped below the mask with one.
 */
static void t_beyond_mask(void)
{
	struct bigbuf_alloc held[128], *high = NULL;
	struct bigbuf_map m;
	int fd = bbt_open(), n = 0, i;

	/* Take memory until a buffer lies above 256 MiB. */
	while (n < (int)ARRAY_LEN(held) &&
	       !bbt_alloc(fd, 4 * MiB, 0, 0, BIGBUF_STRATEGY_BUDDY, &held[n])) {
		if (held[n].phys_addr > EDU_MASK) {
			high = &held[n++];
			break;
		}
		n++;
	}
	if (!high) {
		bbt_fail(__FILE__, __LINE__, "no buffer above 256 MiB in %d tries",
			 n);
		goto out;
	}
	if (expected_mode == BIGBUF_DMA_TRANSLATED) {
		CHECK(!bbt_devmap(fd, high->id, NULL, &edu, EDU_MASK, 0, &m),
		      "map: %s", strerror(errno));
		CHECK(m.dev_addr + 4 * MiB - 1 <= EDU_MASK, "iova %#llx",
		      (unsigned long long)m.dev_addr);
		bbt_note("phys %#llx reachable at iova %#llx\n",
			 (unsigned long long)high->phys_addr,
			 (unsigned long long)m.dev_addr);
	} else {
		CHECK_ERR(bbt_devmap(fd, high->id, NULL, &edu, EDU_MASK, 0, &m),
			  ERANGE);
		check_dev_maps(0, "refused map");
	}
out:
	for (i = 0; i < n; i++)
		bbt_free(fd, held[i].id);
	close(fd);
}

/* Every documented errno of MAP/UNMAP/ALLOC_EXT; none changes anything. */
static void t_errors(void)
{
	struct bbt_pci none = pci_at(0xfff0, 0, 0, 0), bad = edu, busy;
	struct bigbuf_stats before, after;
	struct bigbuf_alloc_ext ext;
	struct bigbuf_alloc a;
	struct bigbuf_map m;
	int fd = bbt_open(), other = bbt_open(), ro;
	void *p = NULL;

	if (bbt_alloc(fd, MiB, 0, EDU_MASK, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		goto out;
	}
	before = bbt_stats();
	/* Bad masks: not 2^n - 1, too small. */
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &edu, EDU_MASK - 1, 0, &m), EINVAL);
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &edu, 0x7ff, 0, &m), EINVAL);
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &edu, 1ULL << 40, 0, &m), EINVAL);
	/* Bad PCI addresses and fields. */
	bad.addr.slot = 32;
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &bad, EDU_MASK, 0, &m), EINVAL);
	bad = edu;
	bad.addr.func = 8;
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &bad, EDU_MASK, 0, &m), EINVAL);
	bad = edu;
	bad.addr.pad = 1;
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &bad, EDU_MASK, 0, &m), EINVAL);
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &edu, EDU_MASK, 0x80, &m), EINVAL);
	memset(&m, 0, sizeof(m));
	m.id = a.id;
	m.dev = edu.addr;
	m.reserved[1] = 1;
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_MAP, &m), EINVAL);
	/* No such function, no such buffer. */
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &none, EDU_MASK, 0, &m), ENODEV);
	CHECK_ERR(bbt_devmap(fd, a.id + 1000, NULL, &edu, EDU_MASK, 0, &m),
		  ENOENT);
	CHECK_ERR(bbt_devmap(other, a.id, NULL, &edu, EDU_MASK, 0, &m), ENOENT);
	CHECK_ERR(bbt_devmap(fd, 0, &before, &edu, EDU_MASK, 0, &m), ENOENT);
	CHECK_ERR(bbt_devmap(fd, 0, NULL, &edu, EDU_MASK, 0, &m), ENOENT);
	/* A function some kernel driver owns. */
	if (!bbt_find_pci(0, 0, true, &busy)) {
		bbt_note("busy function: %s\n", busy.name);
		CHECK_ERR(bbt_devmap(fd, a.id, NULL, &busy, 0, 0, &m), EBUSY);
	} else {
		bbt_fail(__FILE__, __LINE__, "no PCI function with a driver");
	}
	/* Unmap of what is not mapped. */
	CHECK_ERR(bbt_devunmap(fd, a.id, NULL, &edu), ENOENT);
	CHECK_ERR(bbt_devunmap(fd, a.id, NULL, &none), ENOENT);
	CHECK_ERR(bbt_devunmap(other, a.id, NULL, &edu), ENOENT);
	after = bbt_stats();
	CHECK(after.dev_maps == before.dev_maps &&
	      after.dev_maps_total == before.dev_maps_total &&
	      after.buffers == before.buffers, "failed calls changed the counters");

	/* Double map, double unmap. */
	CHECK(!bbt_devmap(fd, a.id, NULL, &edu, EDU_MASK, 0, &m));
	CHECK_ERR(bbt_devmap(fd, a.id, NULL, &edu, EDU_MASK, 0, &m), EEXIST);
	check_dev_maps(1, "double map");
	CHECK(!bbt_devunmap(fd, a.id, NULL, &edu));
	CHECK_ERR(bbt_devunmap(fd, a.id, NULL, &edu), ENOENT);
	check_dev_maps(0, "double unmap");

	/* ALLOC_EXT: inconsistent flags, nodes, read-only files. */
	before = bbt_stats();
	CHECK_ERR(bbt_alloc_ext(fd, NULL, MiB, 0, BIGBUF_ALLOC_SCATTER, &ext),
		  EINVAL);
	CHECK_ERR(bbt_alloc_ext(fd, &edu, MiB, 0, BIGBUF_ALLOC_SCATTER |
				BIGBUF_STRATEGY_CONTIG, &ext),
		  expected_mode == BIGBUF_DMA_TRANSLATED ? EINVAL : EXDEV);
	CHECK_ERR(bbt_alloc_ext(fd, NULL, MiB, 0, 1U << 20, &ext), EINVAL);
	CHECK_ERR(bbt_alloc_ext(fd, NULL, MiB, 0, BIGBUF_ALLOC_NODE_STRICT,
				&ext), EINVAL);
	memset(&ext, 0, sizeof(ext));
	ext.size = MiB;
	ext.node = 4000;
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_ALLOC_EXT, &ext), EINVAL);
	memset(&ext, 0, sizeof(ext));
	ext.size = MiB;
	ext.node = BIGBUF_NODE_ANY;
	ext.dev = edu.addr;	/* a device without BIGBUF_ALLOC_DEVICE */
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_ALLOC_EXT, &ext), EINVAL);
	ext.dev = (struct bigbuf_pci_dev){ 0 };
	ext.reserved[3] = 1;
	CHECK_ERR(ioctl(fd, BIGBUF_IOC_ALLOC_EXT, &ext), EINVAL);
	CHECK_ERR(bbt_alloc_ext(fd, &none, MiB, EDU_MASK, 0, &ext), ENODEV);
	CHECK_ERR(bbt_alloc_ext(fd, &edu, MiB, EDU_MASK - 1, 0, &ext), EINVAL);
	ro = open(bbt_dev, O_RDONLY | O_CLOEXEC);
	CHECK_ERR(bbt_alloc_ext(ro, &edu, MiB, EDU_MASK, 0, &ext), EBADF);
	close(ro);
	/* No IOVA space / no physical memory below a 16 MiB mask for 32 MiB. */
	CHECK_ERR(bbt_alloc_ext(fd, &edu, 32 * MiB, 16 * MiB - 1, 0, &ext),
		  ENOMEM);
	/*
	 * Masks below the DMA zone (24 bits on x86): the platform refuses
	 * them without an IOMMU, before anything is allocated; behind one,
	 * the buffer cannot fit below them.
	 */
	CHECK_ERR(bbt_alloc_ext(fd, &edu, 4 * MiB, MiB - 1, 0, &ext),
		  expected_mode == BIGBUF_DMA_TRANSLATED ? ENOMEM : EINVAL);
	CHECK_ERR(bbt_alloc_ext(fd, &edu, 128 * KiB, 0xffff, 0, &ext),
		  expected_mode == BIGBUF_DMA_TRANSLATED ? ENOMEM : EINVAL);
	after = bbt_stats();
	CHECK(after.buffers == before.buffers &&
	      after.dev_maps == before.dev_maps,
	      "failed ALLOC_EXT left %llu buffers, %llu mappings",
	      (unsigned long long)after.buffers,
	      (unsigned long long)after.dev_maps);
	/* Failures only, also for those that had taken memory already. */
	CHECK(after.allocations == before.allocations &&
	      after.frees == before.frees,
	      "failed ALLOC_EXT counted %llu allocations, %llu frees",
	      (unsigned long long)(after.allocations - before.allocations),
	      (unsigned long long)(after.frees - before.frees));
	/* Every one above but EBADF, which the file's mode decides first. */
	CHECK(after.failures - before.failures == 12,
	      "%llu failures counted for 12 failed ALLOC_EXT",
	      (unsigned long long)(after.failures - before.failures));
	p = bbt_map(fd, a.mmap_offset, MiB);
	CHECK(p != NULL);
out:
	if (p)
		munmap(p, MiB);
	close(other);
	close(fd);
}

/* Without CAP_SYS_RAWIO a process may not map for devices. */
static void t_eperm(void)
{
	struct bigbuf_alloc a;
	int fd = bbt_open(), status = -1;
	pid_t pid;

	if (bbt_alloc(fd, MiB, 0, EDU_MASK, 0, &a)) {
		bbt_fail(__FILE__, __LINE__, "alloc: %s", strerror(errno));
		close(fd);
		return;
	}
	pid = fork();
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2];
		struct bigbuf_alloc_ext ext;
		struct bigbuf_map m;

		if (syscall(SYS_capget, &h, d))
			_exit(3);
		d[CAP_SYS_RAWIO / 32].effective &= ~(1U << (CAP_SYS_RAWIO % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(3);
		if (bbt_devmap(fd, a.id, NULL, &edu, EDU_MASK, 0, &m) != -1 ||
		    errno != EPERM)
			_exit(4);
		if (bbt_alloc_ext(fd, &edu, MiB, EDU_MASK, 0, &ext) != -1 ||
		    errno != EPERM)
			_exit(5);
		/* Plain allocation needs no capability. */
		_exit(bbt_alloc_ext(fd, NULL, MiB, 0, 0, &ext) ? 6 : 0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d",
	      status);
	check_dev_maps(0, "after EPERM");
	close(fd);
}

/*
 * A device mapping lasts as long as its buffer: FREE of an unmapped
 * buffer, fd close, last munmap, kill -9 all tear it down; MAP and UNMAP
 * by address work after the id is gone.
 */
static void t_lifetimes(void)
{
	struct bigbuf_alloc_ext ext;
	struct bigbuf_map m;
	int fd = bbt_open(), pipefd[2], status;
	char ready;
	pid_t pid;
	void *p;

	/* FREE of a buffer nobody maps. */
	CHECK(!bbt_alloc_ext(fd, &edu, MiB, EDU_MASK, 0, &ext));
	check_dev_maps(1, "allocated and mapped");
	CHECK(!bbt_free(fd, ext.id));
	check_dev_maps(0, "after FREE");

	/* Mapped buffer: FREE keeps it (and its device mapping). */
	CHECK(!bbt_alloc_ext(fd, &edu, MiB, EDU_MASK, 0, &ext));
	p = map_ext(fd, &ext);
	CHECK(p != NULL);
	CHECK(!bbt_free(fd, ext.id));
	check_dev_maps(1, "mapped buffer after FREE");
	/* By address: the id is gone, the mapping names the buffer. */
	CHECK_ERR(bbt_devmap(fd, 0, p, &edu, EDU_MASK, 0, &m), EEXIST);
	CHECK(!bbt_devunmap(fd, 0, (char *)p + 4096, &edu), "unmap by addr: %s",
	      strerror(errno));
	check_dev_maps(0, "unmapped by address");
	CHECK(!bbt_devmap(fd, 0, (char *)p + MiB - 1, &edu, EDU_MASK, 0, &m),
	      "map by addr: %s", strerror(errno));
	check_dev_maps(1, "mapped by address");
	if (p)
		munmap(p, MiB);
	bbt_settle(0, 0, "last munmap");
	check_dev_maps(0, "after the last munmap");

	/* fd close. */
	CHECK(!bbt_alloc_ext(fd, &edu, MiB, EDU_MASK, 0, &ext));
	close(fd);
	bbt_settle(0, 0, "fd close");
	check_dev_maps(0, "after close");

	/* kill -9 of a process holding a mapped, device-mapped buffer. */
	if (pipe(pipefd))
		return;
	pid = fork();
	if (!pid) {
		int cfd = bbt_open();

		close(pipefd[0]);
		if (bbt_alloc_ext(cfd, &edu, MiB, EDU_MASK, 0, &ext) ||
		    !map_ext(cfd, &ext))
			_exit(3);
		write(pipefd[1], "r", 1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	CHECK(read(pipefd[0], &ready, 1) == 1, "child not ready");
	close(pipefd[0]);
	check_dev_maps(1, "held by the child");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	bbt_settle(0, 0, "kill -9");
	check_dev_maps(0, "after kill -9");
}

/* Unbinding the stub (sysfs) and removing the function tear mappings down. */
static void t_unbind_remove(void)
{
	char path[256], drv[64];
	struct bigbuf_alloc_ext ext;
	struct bigbuf_map m;
	int fd = bbt_open(), i;
	uint8_t *p;

	CHECK(!bbt_alloc_ext(fd, &edu, MiB, EDU_MASK, 0, &ext));
	p = map_ext(fd, &ext);
	CHECK(p != NULL);
	check_dev_maps(1, "before unbind");
	CHECK(!write_file(PCI_DRIVERS "bigbuf/unbind", edu.name),
	      "unbind: %s", strerror(errno));
	check_dev_maps(0, "after unbind");
	bbt_pci_driver(edu.name, drv, sizeof(drv));
	CHECK(!drv[0], "driver after unbind: '%s'", drv);
	/* A stub that was unbound does not come back by itself. */
	write_file("/sys/bus/pci/drivers_probe", edu.name);
	bbt_pci_driver(edu.name, drv, sizeof(drv));
	CHECK(!drv[0], "driver after drivers_probe: '%s'", drv);

	/* Map again (binds again), then remove the function. */
	CHECK(!bbt_devmap(fd, ext.id, NULL, &edu, EDU_MASK, 0, &m), "map: %s",
	      strerror(errno));
	check_dev_maps(1, "mapped again");
	snprintf(path, sizeof(path), PCI_DIR "%s/remove", edu.name);
	CHECK(!write_file(path, "1"), "remove: %s", strerror(errno));
	check_dev_maps(0, "after remove");
	CHECK_ERR(bbt_devmap(fd, ext.id, NULL, &edu, EDU_MASK, 0, &m), ENODEV);
	/* The buffer itself lives on, intact. */
	if (p) {
		memset(p, 0x5a, MiB);
		CHECK(p[MiB - 1] == 0x5a);
	}
	CHECK(!write_file("/sys/bus/pci/rescan", "1"), "rescan: %s",
	      strerror(errno));
	for (i = 0; i < 50 && bbt_pci_attr(edu.name, "vendor") != EDU_VENDOR; i++)
		usleep(100000);
	CHECK(bbt_pci_attr(edu.name, "vendor") == EDU_VENDOR, "edu back");
	CHECK(!bbt_devmap(fd, ext.id, NULL, &edu, EDU_MASK, 0, &m),
	      "map after rescan: %s", strerror(errno));
	if (p)
		munmap(p, MiB);
	close(fd);
	bbt_settle(0, 0, "close");
	check_dev_maps(0, "after close");
}

/* A device-contiguous buffer: scattered pages, one range for the device. */
static void t_scatter(void)
{
	const uint64_t size = 32 * MiB;
	struct bigbuf_alloc_ext src, dst;
	struct edu_regs e = { .config = -1 };
	struct bigbuf_query q = { 0 };
	int fd = bbt_open();
	uint8_t *ps = NULL, *pd = NULL;
	uint64_t off;

	if (bbt_alloc_ext(fd, &edu, size, EDU_MASK, BIGBUF_ALLOC_SCATTER, &src) ||
	    bbt_alloc_ext(fd, &edu, size, EDU_MASK, BIGBUF_ALLOC_SCATTER, &dst)) {
		bbt_fail(__FILE__, __LINE__, "alloc_ext scatter: %s",
			 strerror(errno));
		goto out;
	}
	CHECK(src.kind == BIGBUF_KIND_DEV_CONTIG && src.phys_addr == 0 &&
	      src.mode == BIGBUF_DMA_TRANSLATED && src.strategy ==
	      BIGBUF_STRATEGY_BUDDY, "kind %u phys %#llx mode %u",
	      src.kind, (unsigned long long)src.phys_addr, src.mode);
	CHECK(src.dev_addr + size - 1 <= EDU_MASK);
	q.id = src.id;
	CHECK(!ioctl(fd, BIGBUF_IOC_QUERY, &q) && q.kind ==
	      BIGBUF_KIND_DEV_CONTIG && q.phys_addr == 0 && q.dev_maps == 1);
	ps = map_ext(fd, &src);
	pd = map_ext(fd, &dst);
	if (!ps || !pd || !edu_open(&e)) {
		bbt_fail(__FILE__, __LINE__, "mmap/edu: %s", strerror(errno));
		goto out;
	}
	CHECK(bbt_is_zero(ps, size), "scattered buffer not zeroed");
	bbt_fill(ps, size, 0x5ca77e2);
	memset(pd, TARGET_FILL, size);
	/* Across every 4 MiB block boundary and the ends. */
	for (off = 0; off < size; off += 4 * MiB) {
		uint64_t at = off ? off - 8 * KiB : 0;

		CHECK(edu_copy(&e, src.dev_addr, dst.dev_addr, at, 16 * KiB));
		CHECK(!memcmp(ps + at, pd + at, 16 * KiB), "differs at %#llx",
		      (unsigned long long)at);
	}
	CHECK(edu_copy(&e, src.dev_addr, dst.dev_addr, size - 16 * KiB,
		       16 * KiB));
	CHECK(!memcmp(ps + size - 16 * KiB, pd + size - 16 * KiB, 16 * KiB));
out:
	edu_close(&e);
	if (ps)
		munmap(ps, size);
	if (pd)
		munmap(pd, size);
	close(fd);
	check_dev_maps(0, "after close");
}

/* Scattered buffers need a translating IOMMU. */
static void t_scatter_refused(void)
{
	struct bigbuf_alloc_ext ext;
	int fd = bbt_open();

	CHECK_ERR(bbt_alloc_ext(fd, &edu, MiB, EDU_MASK, BIGBUF_ALLOC_SCATTER,
				&ext), EXDEV);
	close(fd);
}

/*
 * Proof that the IOMMU translates: DMA to an IOVA that is no longer
 * mapped, and device writes into a read-only mapping, fault and leave the
 * memory untouched.
 */
static void t_iommu_fault(void)
{
	const uint64_t size = 64 * KiB;
	struct bigbuf_alloc_ext src, dst;
	struct edu_regs e = { .config = -1 };
	struct bigbuf_map m;
	int fd = bbt_open(), kmsg = -1;
	uint8_t *ps = NULL, *pd = NULL, *copy = NULL;
	bool reported = iommu_reports_faults();

	if (bbt_alloc_ext(fd, &edu, size, EDU_MASK, 0, &src) ||
	    bbt_alloc_ext(fd, &edu, size, EDU_MASK, 0, &dst)) {
		bbt_fail(__FILE__, __LINE__, "alloc_ext: %s", strerror(errno));
		goto out;
	}
	ps = map_ext(fd, &src);
	pd = map_ext(fd, &dst);
	copy = malloc(size);
	if (!ps || !pd || !copy || !edu_open(&e)) {
		bbt_fail(__FILE__, __LINE__, "mmap/edu: %s", strerror(errno));
		goto out;
	}
	bbt_fill(ps, size, 0xfa017);
	memset(pd, TARGET_FILL, size);
	memcpy(copy, pd, size);

	/* Unmapped: the old IOVA reaches nothing. */
	CHECK(!bbt_devunmap(fd, dst.id, NULL, &edu));
	kmsg = kmsg_open_at_end();
	CHECK(edu_copy(&e, src.dev_addr, dst.dev_addr, 0, 8 * KiB));
	CHECK(!memcmp(pd, copy, size), "DMA reached an unmapped buffer");
	if (reported)
		CHECK(kmsg_dma_fault(kmsg), "no IOMMU fault in the kernel log");
	else
		bbt_note("QEMU's AMD-Vi model logs no fault events; memory checked only\n");
	close(kmsg);

	/* Read-only for the device: it may read, not write. */
	CHECK(!bbt_devmap(fd, dst.id, NULL, &edu, EDU_MASK,
			  BIGBUF_MAP_DEVICE_READ_ONLY, &m), "map ro: %s",
	      strerror(errno));
	kmsg = kmsg_open_at_end();
	CHECK(edu_copy(&e, src.dev_addr, m.dev_addr, 0, 8 * KiB));
	CHECK(!memcmp(pd, copy, size), "device wrote a read-only mapping");
	if (reported)
		CHECK(kmsg_dma_fault(kmsg), "no IOMMU fault for the write");
	/* ... and reading it works: copy it back into the source. */
	CHECK(edu_copy(&e, m.dev_addr, src.dev_addr, 0, 8 * KiB));
	CHECK(!memcmp(ps, copy, 8 * KiB), "device could not read it");
out:
	if (kmsg >= 0)
		close(kmsg);
	edu_close(&e);
	free(copy);
	if (ps)
		munmap(ps, size);
	if (pd)
		munmap(pd, size);
	close(fd);
}

/*
 * Buffers land on the device's node unless told otherwise. A 64-bit mask here:
 * with two nodes the device's node may lie wholly above edu's 28-bit limit,
 * and a buffer must then come from where the device can reach (see below).
 */
static void t_numa(void)
{
	struct bigbuf_alloc_ext ext;
	int fd = bbt_open(), other = edu_node == 0 ? 1 : 0;

	CHECK(!bbt_alloc_ext(fd, &edu, 4 * MiB, ~0ULL, 0, &ext),
	      "alloc: %s", strerror(errno));
	CHECK(ext.node == edu_node, "node %d, device on %d", ext.node, edu_node);
	bbt_free(fd, ext.id);

	/* The device's limit wins over its node: never a buffer it cannot reach. */
	CHECK(!bbt_alloc_ext(fd, &edu, 4 * MiB, EDU_MASK, 0, &ext),
	      "alloc below the mask: %s", strerror(errno));
	CHECK(ext.phys_addr + ext.size - 1 <= EDU_MASK || expected_mode ==
	      BIGBUF_DMA_TRANSLATED, "phys %#llx beyond the mask",
	      (unsigned long long)ext.phys_addr);
	bbt_free(fd, ext.id);

	memset(&ext, 0, sizeof(ext));
	ext.size = 4 * MiB;
	ext.node = other;
	ext.flags = BIGBUF_ALLOC_NODE_STRICT;
	CHECK(!ioctl(fd, BIGBUF_IOC_ALLOC_EXT, &ext), "alloc node %d: %s",
	      other, strerror(errno));
	CHECK(ext.node == other, "node %d, want %d", ext.node, other);
	bbt_free(fd, ext.id);

	/* An explicit node wins over the device's (64-bit device here). */
	memset(&ext, 0, sizeof(ext));
	ext.size = 4 * MiB;
	ext.max_addr = ~0ULL;
	ext.node = other;
	ext.flags = BIGBUF_ALLOC_DEVICE;
	ext.dev = edu.addr;
	CHECK(!ioctl(fd, BIGBUF_IOC_ALLOC_EXT, &ext), "alloc: %s",
	      strerror(errno));
	CHECK(ext.node == other, "node %d, want %d", ext.node, other);
	bbt_free(fd, ext.id);
	close(fd);
}

static int opt(int argc, char **argv)
{
	if (!strcmp(argv[0], "--pci") && argc > 1) {
		pci_arg = argv[1];
		return 2;
	}
	return 0;
}

static int count_online_nodes(void)
{
	char buf[64];
	int a, b, n = 0;
	char *s;

	if (bbt_read_file("/sys/devices/system/node/online", buf, sizeof(buf)))
		return 1;
	for (s = strtok(buf, ","); s; s = strtok(NULL, ","))
		n += sscanf(s, "%d-%d", &a, &b) == 2 ? b - a + 1 : 1;
	return n;
}

int main(int argc, char **argv)
{
	struct bbt_test tests[16];
	size_t n = 0;
	int i;

	for (i = 1; i < argc - 1; i++)
		if (!strcmp(argv[i], "--pci"))
			pci_arg = argv[i + 1];
	if (pci_arg ? bbt_parse_pci(pci_arg, &edu) :
		      bbt_find_pci(EDU_VENDOR, EDU_DEVICE, false, &edu)) {
		fprintf(stderr, "%s: no edu PCI function (start QEMU with -device edu)\n",
			argv[0]);
		return 2;
	}
	expected_mode = bbt_pci_dma_mode(edu.name);
	if (expected_mode < 0) {
		fprintf(stderr, "%s: %s: unexpected IOMMU group type\n", argv[0],
			edu.name);
		return 2;
	}
	edu_node = bbt_pci_attr(edu.name, "numa_node");
	nr_online_nodes = count_online_nodes();
	printf("== %s: DMA %s, node %d, %d online node(s)\n", edu.name,
	       mode_names[expected_mode], edu_node, nr_online_nodes);

	tests[n++] = (struct bbt_test){ "features", t_features };
	tests[n++] = (struct bbt_test){ "map_modes", t_map_modes };
	tests[n++] = (struct bbt_test){ "dma_roundtrip", t_dma_roundtrip };
	tests[n++] = (struct bbt_test){ "beyond_mask", t_beyond_mask };
	tests[n++] = (struct bbt_test){ "errors", t_errors };
	tests[n++] = (struct bbt_test){ "eperm", t_eperm };
	tests[n++] = (struct bbt_test){ "lifetimes", t_lifetimes };
	if (expected_mode == BIGBUF_DMA_TRANSLATED) {
		tests[n++] = (struct bbt_test){ "scatter", t_scatter };
		tests[n++] = (struct bbt_test){ "iommu_fault", t_iommu_fault };
	} else {
		tests[n++] = (struct bbt_test){ "scatter_refused",
						t_scatter_refused };
	}
	if (nr_online_nodes > 1 && edu_node >= 0)
		tests[n++] = (struct bbt_test){ "numa", t_numa };
	/* Last: it removes and rescans the function. */
	tests[n++] = (struct bbt_test){ "unbind_remove", t_unbind_remove };
	return bbt_main(argc, argv, tests, n, opt);
}
