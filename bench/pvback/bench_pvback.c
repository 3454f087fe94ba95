/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the PV config-space policy over the model source.
 *  1. Device accesses per guest access for a guest's lspci -vvv-like sweep of each bundled
 *     model: every dword of the config space, the standard and extended capability walks,
 *     and Linux-style sizing of each BAR and the ROM (read, write all-ones, read, write
 *     back). Counted by the source's access counters.
 *  2. ns per guest access through the policy, by kind of field: fully virtual (Vendor ID,
 *     a BAR), mediated (COMMAND), a gap read, a BAR sizing write, a dropped gap write;
 *     baseline: the same dword read straight from the source. Medians of `runs` runs.
 * Usage: bench_pvback [runs [iters]] (default 11 runs of 2*10^6 accesses).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvpci/pci.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"

#include "bench.h"

#ifndef PVPCI_DATA_DIR
#define PVPCI_DATA_DIR "tests/data"
#endif

static struct pvpci_log quiet = { .max_level = 0 };

struct counts {
	uint64_t guest_r, guest_w;
};

static uint32_t g_read(struct pvpci_pvdev *d, struct counts *c, int off, int size)
{
	uint32_t v = 0;

	c->guest_r++;
	if (pvpci_pvdev_conf_read(d, off, size, &v))
		v = 0;
	return v;
}

static void g_write(struct pvpci_pvdev *d, struct counts *c, int off, int size, uint32_t v)
{
	c->guest_w++;
	(void)!pvpci_pvdev_conf_write(d, off, size, v);
}

/* The capability walks as a guest driver does them: byte / word reads of each header. */
static void sweep_caps(struct pvpci_pvdev *d, struct counts *c, unsigned cfg_size)
{
	unsigned pos, hops = 0;

	if (g_read(d, c, PCI_REG_STATUS, 2) & PCI_STATUS_CAP_LIST) {
		pos = g_read(d, c, PCI_REG_CAP_PTR, 1) & ~3u;
		while (pos >= 0x40 && pos < 0x100 && hops++ < PCI_CAP_WALK_MAX) {
			g_read(d, c, (int)pos, 1);          /* ID */
			g_read(d, c, (int)pos + 2, 2);      /* flags / version */
			pos = g_read(d, c, (int)pos + 1, 1) & ~3u;
		}
	}
	if (cfg_size < PCIE_CFG_SIZE)
		return;
	pos = PCI_EXT_CAP_START;
	hops = 0;
	while (pos && hops++ < PCI_CAP_WALK_MAX) {
		uint32_t h = g_read(d, c, (int)pos, 4);

		if (!h || h == ~0u)
			break;
		pos = PCI_EXT_CAP_NEXT(h);
		if (pos < PCI_EXT_CAP_START)
			break;
	}
}

/* Linux's BAR sizing: COMMAND read, then read / write ~0 / read / write back per BAR. */
static void sweep_bars(struct pvpci_pvdev *d, struct counts *c, bool bridge)
{
	unsigned nbars = bridge ? 2 : PCI_NUM_BARS;
	unsigned rom = bridge ? PCI_REG_ROM_BRIDGE : PCI_REG_ROM;

	g_read(d, c, PCI_REG_COMMAND, 2);
	for (unsigned i = 0; i <= nbars; i++) {
		int off = (int)(i < nbars ? PCI_REG_BAR0 + 4 * i : rom);
		uint32_t orig = g_read(d, c, off, 4);

		g_write(d, c, off, 4, i < nbars ? 0xffffffffu : PCI_ROM_ADDR_MASK);
		g_read(d, c, off, 4);
		g_write(d, c, off, 4, orig);
	}
}

static int sweep_model(const char *path, const char *name)
{
	struct pvpci_pv_opts o = { .log = &quiet };
	struct pvpci_parse_err perr;
	struct pvpci_source *src;
	struct pvpci_pvdev *d;
	struct pvpci_source_stats st, st_all;
	struct counts c = { 0 }, c_all;
	unsigned cfg;
	bool bridge;

	if (pvpci_model_open(path, 0, &quiet, &src, &perr))
		return -1;
	if (pvpci_pvdev_create(src, &o, &d)) {
		pvpci_source_close(src);
		return -1;
	}
	cfg = pvpci_source_cfg_size(src);
	bridge = (g_read(d, &c, PCI_REG_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK) == 1;
	c = (struct counts){ 0 };
	pvpci_source_stats_reset(src);
	for (unsigned off = 0; off < cfg; off += 4)
		g_read(d, &c, (int)off, 4);
	pvpci_source_stats(src, &st);
	c_all = c;
	sweep_caps(d, &c_all, cfg);
	sweep_bars(d, &c_all, bridge);
	pvpci_source_stats(src, &st_all);
	printf("%-18s %5u %6llu %6llu %5.2f | %5llu %4llu %6llu %4llu %5.2f\n", name, cfg,
	       (unsigned long long)c.guest_r, (unsigned long long)st.cfg_reads,
	       (double)st.cfg_reads / (double)c.guest_r,
	       (unsigned long long)c_all.guest_r, (unsigned long long)c_all.guest_w,
	       (unsigned long long)st_all.cfg_reads, (unsigned long long)st_all.cfg_writes,
	       (double)(st_all.cfg_reads + st_all.cfg_writes) /
		       (double)(c_all.guest_r + c_all.guest_w));
	pvpci_pvdev_destroy(d);
	pvpci_source_close(src);
	return 0;
}

static int is_model(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 6 && !strcmp(e->d_name + n - 6, ".model");
}

static void part_sweep(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, is_model, alphasort);

	printf("1. Device accesses per guest access, lspci -vvv-like sweep (model source)\n");
	printf("%-18s %5s %6s %6s %5s | %5s %4s %6s %4s %5s\n", "model", "cfg", "dw-rd",
	       "dev-rd", "ratio", "g-rd", "g-wr", "dev-rd", "d-wr", "ratio");
	for (int i = 0; i < n; i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (sweep_model(path, list[i]->d_name))
			printf("%-18s (not seized)\n", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	printf("(dw-rd: dword reads of the whole space; then the full sweep adds the\n"
	       " capability walks and BAR sizing: guest reads / writes vs device reads / writes)\n\n");
}

/* ---- 2. ns per access ---- */

enum kind { K_SRC, K_READ, K_WRITE };

struct workload {
	const char *name;
	enum kind kind;
	int off, size;
	uint32_t val;
};

static const struct workload workloads[] = {
	{ "source read, dword 0x08 (baseline)", K_SRC, 0x08, 4, 0 },
	{ "Vendor/Device dword (virtual)", K_READ, 0x00, 4, 0 },
	{ "BAR0 dword (virtual)", K_READ, 0x10, 4, 0 },
	{ "COMMAND word (mediated)", K_READ, 0x04, 2, 0 },
	{ "class dword 0x08 (gap)", K_READ, 0x08, 4, 0 },
	{ "COMMAND+Status dword (split)", K_READ, 0x04, 4, 0 },
	{ "BAR0 sizing write (virtual)", K_WRITE, 0x10, 4, 0xffffffff },
	{ "gap write 0x40 (dropped, logged)", K_WRITE, 0x40, 4, 0x1 },
};

static double run_once(struct pvpci_source *src, struct pvpci_pvdev *d,
		       const struct workload *w, unsigned iters)
{
	volatile uint32_t sink = 0;
	uint32_t v = 0;
	uint64_t t0 = pvpci_now_ns();

	for (unsigned i = 0; i < iters; i++) {
		switch (w->kind) {
		case K_SRC:
			(void)!pvpci_source_cfg_read(src, (unsigned)w->off, (unsigned)w->size, &v);
			break;
		case K_READ:
			(void)!pvpci_pvdev_conf_read(d, w->off, w->size, &v);
			break;
		case K_WRITE:
			(void)!pvpci_pvdev_conf_write(d, w->off, w->size, w->val);
			break;
		}
		sink += v;
	}
	(void)sink;
	return (double)(pvpci_now_ns() - t0) / iters;
}

static void part_ns(const char *dir, unsigned runs, unsigned iters)
{
	char path[1024];
	struct pvpci_pv_opts o = { .log = &quiet };
	struct pvpci_parse_err perr;
	struct pvpci_source *src;
	struct pvpci_pvdev *d;
	double *t = calloc(runs, sizeof(*t));

	snprintf(path, sizeof(path), "%s/nic-msix.model", dir);
	if (!t || pvpci_model_open(path, 0, &quiet, &src, &perr) ||
	    pvpci_pvdev_create(src, &o, &d)) {
		fprintf(stderr, "bench_pvback: cannot open %s\n", path);
		exit(1);
	}
	printf("2. ns per guest access through the PV policy (nic-msix.model; median of %u "
	       "runs x %u)\n", runs, iters);
	printf("%-38s %8s %8s %10s\n", "access", "ns", "min", "dev acc");
	for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++) {
		const struct workload *w = &workloads[k];
		struct pvpci_source_stats st;

		run_once(src, d, w, iters / 10); /* warm up */
		pvpci_source_stats_reset(src);
		run_once(src, d, w, 1000);
		pvpci_source_stats(src, &st);
		for (unsigned r = 0; r < runs; r++)
			t[r] = run_once(src, d, w, iters);
		qsort(t, runs, sizeof(*t), bench_cmp_double);
		printf("%-38s %8.1f %8.1f %10.2f\n", w->name, t[runs / 2], t[0],
		       (double)(st.cfg_reads + st.cfg_writes) / 1000.0);
	}
	printf("(dev acc: device config accesses per guest access)\n");
	pvpci_pvdev_destroy(d);
	pvpci_source_close(src);
	free(t);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("PVPCI_TEST_DATA");
	unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 11;
	unsigned iters = argc > 2 ? (unsigned)atoi(argv[2]) : 2000000;

	if (!runs || iters < 1000) {
		fprintf(stderr, "usage: bench_pvback [runs [iters >= 1000]]\n");
		return 2;
	}
	dir = dir ? dir : PVPCI_DATA_DIR;
	part_sweep(dir);
	part_ns(dir, runs, iters);
	return 0;
}
