/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the register engine: ns per guest access through pvpci_regs_read / _write
 * on a type-0 header described by realistic handlers (vendor / device, command with RsvdP
 * and RO bits, status with RW1C / RO / RsvdZ, class, BARs with size masks, ROM, interrupt
 * line / pin) over a 256-byte device whose unhandled bytes are read by a gap op from a byte
 * array. Each workload runs `runs` times over `iters` accesses; the median is printed with
 * a baseline from the same run (a plain 4-byte load from an array at the same offsets).
 * Usage: bench_regs [runs [iters]] (default 21 runs of 10^7 accesses).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvpci/regs.h"

#include "bench.h"

struct dev {
	uint8_t cfg[256];
	uint32_t bar_mask[7]; /* BAR0-5, ROM: address bits that are writable */
	unsigned dropped;     /* gap writes denied */
};

static uint32_t ld(const struct dev *d, unsigned off, unsigned n)
{
	uint32_t v = 0;

	memcpy(&v, d->cfg + off, n); /* little-endian host */
	return v;
}

static void st(struct dev *d, unsigned off, unsigned n, uint32_t v)
{
	memcpy(d->cfg + off, &v, n);
}

static int rd8(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = ld(ctx, off, 1);
	return 0;
}

static int rd16(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = ld(ctx, off, 2);
	return 0;
}

static int rd32(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = ld(ctx, off, 4);
	return 0;
}

static int wr8(void *ctx, unsigned off, uint32_t val, void *data)
{
	st(ctx, off, 1, val);
	return 0;
}

static int wr_command(void *ctx, unsigned off, uint32_t val, void *data)
{
	st(ctx, off, 2, val & 0x0547);
	return 0;
}

static int wr_status(void *ctx, unsigned off, uint32_t val, void *data)
{
	st(ctx, off, 2, ld(ctx, off, 2) & ~(val & 0xf900));
	return 0;
}

static int wr_bar(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct dev *d = ctx;
	unsigned i = off == 0x30 ? 6 : (off - 0x10) / 4;
	uint32_t m = d->bar_mask[i];

	st(d, off, 4, (val & m) | (ld(d, off, 4) & ~m));
	return 0;
}

/* The source of unhandled bytes: a byte array (sizes are 1, 2 or 4). */
static int gap_rd(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
	*val = size == 4 ? ld(ctx, off, 4) : size == 2 ? ld(ctx, off, 2) : ld(ctx, off, 1);
	return 0;
}

static int gap_wr(void *ctx, unsigned off, unsigned size, uint32_t val)
{
	((struct dev *)ctx)->dropped++;
	return -EACCES;
}

static const struct pvpci_reg_desc header[] = {
	{ 0x00, 2, rd16, NULL, NULL, 0, 0, 0, 0 },               /* vendor */
	{ 0x02, 2, rd16, NULL, NULL, 0, 0, 0, 0 },               /* device */
	{ 0x04, 2, rd16, wr_command, NULL, 0x00a8, 0, 0xf800, 0 },
	{ 0x06, 2, rd16, wr_status, NULL, 0x06f9, 0xf900, 0, 0x0006 },
	{ 0x08, 4, rd32, NULL, NULL, 0, 0, 0, 0 },               /* revision, class */
	{ 0x0c, 1, rd8, wr8, NULL, 0, 0, 0, 0 },                 /* cache line */
	{ 0x0d, 1, rd8, wr8, NULL, 0, 0, 0, 0 },                 /* latency */
	{ 0x0e, 1, rd8, NULL, NULL, 0, 0, 0, 0 },                /* header type */
	{ 0x0f, 1, rd8, NULL, NULL, 0, 0, 0, 0 },                /* BIST */
	{ 0x10, 4, rd32, wr_bar, NULL, 0, 0, 0, 0 },
	{ 0x14, 4, rd32, wr_bar, NULL, 0, 0, 0, 0 },
	{ 0x18, 4, rd32, wr_bar, NULL, 0, 0, 0, 0 },
	{ 0x1c, 4, rd32, wr_bar, NULL, 0, 0, 0, 0 },
	{ 0x20, 4, rd32, wr_bar, NULL, 0, 0, 0, 0 },
	{ 0x24, 4, rd32, wr_bar, NULL, 0, 0, 0, 0 },
	{ 0x28, 4, rd32, NULL, NULL, 0, 0, 0, 0 },               /* CardBus CIS */
	{ 0x2c, 2, rd16, NULL, NULL, 0, 0, 0, 0 },               /* subsystem vendor */
	{ 0x2e, 2, rd16, NULL, NULL, 0, 0, 0, 0 },               /* subsystem */
	{ 0x30, 4, rd32, wr_bar, NULL, 0, 0, 0x000007fe, 0 },   /* ROM */
	{ 0x34, 1, rd8, NULL, NULL, 0, 0, 0, 0 },                /* capability pointer */
	{ 0x3c, 1, rd8, wr8, NULL, 0, 0, 0, 0 },                 /* interrupt line */
	{ 0x3d, 1, rd8, NULL, NULL, 0, 0, 0, 0 },                /* interrupt pin */
};

static void dev_init(struct dev *d)
{
	static const uint32_t masks[7] = {
		0xfffff000, 0xffffc000, 0xffffffff, 0xfffffff0, 0, 0, 0xffff8000,
	};
	unsigned i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < sizeof(d->cfg); i++)
		d->cfg[i] = (uint8_t)(i * 7 + 3);
	st(d, 0x00, 4, 0x10d38086);
	st(d, 0x04, 4, 0x00100406);
	st(d, 0x08, 4, 0x02000003);
	st(d, 0x10, 4, 0xfebf0000);
	st(d, 0x14, 4, 0x0000e001);
	st(d, 0x34, 1, 0xc8);
	memcpy(d->bar_mask, masks, sizeof(masks));
}

enum { W_BASE, W_READ, W_GAP, W_WRITE, W_READ2, W_WRITE2, W_N };

static const char *const wl_name[W_N] = {
	"baseline: 4-byte load from array",
	"handled dword read (BARs, class)",
	"unhandled dword read (gap op)",
	"masked write (command / status)",
	"dword read of 2 handlers (0x00)",
	"dword write of 2 masked handlers",
};

static const unsigned read_offs[8] = { 0x08, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30 };
static const unsigned gap_offs[8] = { 0x40, 0x44, 0x48, 0x4c, 0x50, 0x54, 0x58, 0x5c };
/* Alternating command (even k) and status (odd k, clearing the error bits) writes. */
static const uint32_t wr_vals[8] = {
	0x0006, 0xf900, 0x0007, 0x0100, 0x0406, 0xf900, 0x0002, 0x8000,
};

/* One loop per workload, so the timed loop holds nothing but the access. */
#define LOOP(body)                                              \
	do {                                                    \
		for (i = 0; i < iters; i++) {                   \
			unsigned k = i & 7; (void)k;           \
			body;                                   \
			sum += v;                               \
		}                                               \
	} while (0)

/* One timed run of a workload: ns per access; *err counts failed accesses. */
static double run(struct pvpci_regs *r, struct dev *d, int w, unsigned long iters,
		  uint64_t *sink, unsigned long *err)
{
	unsigned long i, e = 0;
	uint64_t sum = 0;
	uint32_t v = 0;
	double t0 = pvpci_now_ns();

	switch (w) {
	case W_BASE:
		LOOP(memcpy(&v, d->cfg + read_offs[k], 4); __asm__ volatile("" : "+r"(v)));
		break;
	case W_READ:
		LOOP(e += pvpci_regs_read(r, read_offs[k], 4, &v) != 0);
		break;
	case W_GAP:
		LOOP(e += pvpci_regs_read(r, gap_offs[k], 4, &v) != 0);
		break;
	case W_WRITE:
		LOOP(e += pvpci_regs_write(r, 0x04 + 2 * (k & 1), 2, wr_vals[k]) != 0);
		break;
	case W_READ2:
		LOOP(e += pvpci_regs_read(r, 0x00, 4, &v) != 0);
		break;
	case W_WRITE2:
		LOOP(e += pvpci_regs_write(r, 0x04, 4, 0xf9000006 | k) != 0);
		break;
	}
	t0 = pvpci_now_ns() - t0;
	*err += e;
	*sink += sum;
	return t0 / (double)iters;
}

static int setup(struct dev *d, struct pvpci_regs **r)
{
	static const struct pvpci_regs_gap_ops ops = { gap_rd, gap_wr };
	unsigned i;
	int rc;

	dev_init(d);
	rc = pvpci_regs_create(256, &ops, d, r);
	for (i = 0; !rc && i < sizeof(header) / sizeof(header[0]); i++)
		rc = pvpci_regs_add(*r, &header[i]);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned runs = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 21;
	unsigned long iters = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000000ul;
	static double t[W_N][101];
	unsigned long err = 0;
	struct pvpci_regs *r;
	uint64_t sink = 0;
	struct dev d;
	double base;
	unsigned i;
	int w, rc;

	if (runs < 1 || runs > 101 || iters < 8) {
		fprintf(stderr, "usage: bench_regs [runs (1-101) [iterations (>= 8)]]\n");
		return 2;
	}
	rc = setup(&d, &r);
	if (rc) {
		fprintf(stderr, "bench_regs: setup failed: %d\n", rc);
		return 1;
	}
	for (w = 0; w < W_N; w++) /* warm up */
		run(r, &d, w, iters / 10 + 8, &sink, &err);
	for (i = 0; i < runs; i++)
		for (w = 0; w < W_N; w++)
			t[w][i] = run(r, &d, w, iters, &sink, &err);
	if (err) {
		fprintf(stderr, "bench_regs: %lu accesses failed\n", err);
		pvpci_regs_destroy(r);
		return 1;
	}
	printf("regs engine: median of %u runs x %lu accesses (type-0 header, %u handlers), "
	       "cpu %d\n", runs, iters, pvpci_regs_count(r), sched_getcpu());
	printf("%-36s %10s %10s %10s\n", "workload", "median ns", "min ns", "x baseline");
	for (w = 0; w < W_N; w++)
		qsort(t[w], runs, sizeof(double), bench_cmp_double);
	base = t[W_BASE][runs / 2];
	for (w = 0; w < W_N; w++)
		printf("%-36s %10.2f %10.2f %10.1f\n", wl_name[w], t[w][runs / 2], t[w][0],
		       t[w][runs / 2] / base);
	printf("(checksum %llx)\n", (unsigned long long)sink);
	pvpci_regs_destroy(r);
	return 0;
}
