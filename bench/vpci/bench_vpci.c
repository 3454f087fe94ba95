/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the vpci personality: ns per trapped guest config access through the
 * public entry point (pvpci_vpci_cfg_read / _write: domain read / write lock, device
 * mutex, register engine, handler) for a handled dword read (cached identification
 * registers and guest BARs), an unhandled dword read (a gap: all-ones), a guest BAR write
 * (a sizing write, which takes the domain lock for writing), and the same handled read
 * through the ECAM entry point; then the time to map and to unmap a 16 MiB BAR (a COMMAND
 * write turning memory decoding on / off, through the in-memory host). Baselines from the
 * same run: a plain 4-byte load, the bare lock round trip the entry point makes
 * (rwlock read + mutex), and a COMMAND write that changes no mapping. The accesses are
 * measured twice: on a normal (locked) domain and on a single-thread domain, where the
 * caller promises one thread and the locks are not taken.
 * Usage: bench_vpci [runs [iters]] (default 21 runs of 10^6 accesses, 2001 map cycles).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvpci/vpci.h"

#include "bench.h"

/* A PCIe NIC-like function: BAR0 16 MiB (MEM32), BAR2/3 64-bit 16K with the MSI-X table
 * (8 entries) and PBA, MSI at 0x50 and MSI-X at 0x70, 256 bytes. */
static const char model_text[] =
	"05:00.0 Ethernet controller: bench device\n"
	"# bar0 1000000\n"
	"# bar2 4000\n"
	"00: 86 80 fb 10 00 00 10 00 01 00 00 02 10 00 00 00\n"
	"10: 00 00 00 f0 00 00 00 00 0c 00 00 fe 00 00 00 00\n"
	"20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 0c 00\n"
	"30: 00 00 00 00 50 00 00 00 00 00 00 00 0b 01 00 00\n"
	"40: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"50: 05 70 80 01 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"60: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"70: 11 00 07 00 02 00 00 00 02 20 00 00 00 00 00 00\n"
	"80: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"90: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"a0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"b0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"c0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"d0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"e0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";

enum { W_BASE, W_LOCKS, W_READ, W_GAP, W_BARW, W_ECAM, W_READ1, W_GAP1, W_BARW1, W_ECAM1,
       W_N };

static const char *const wl_name[W_N] = {
	"baseline: 4-byte load from array",
	"baseline: rwlock read + mutex round trip",
	"locked: handled dword read (ids, BARs)",
	"locked: unhandled dword read (gap)",
	"locked: BAR write (sizing)",
	"locked: handled dword read via ECAM",
	"single-thread: handled dword read",
	"single-thread: unhandled dword read",
	"single-thread: BAR write (sizing)",
	"single-thread: handled read via ECAM",
};

static const unsigned read_offs[8] = { 0x00, 0x08, 0x10, 0x18, 0x1c, 0x2c, 0x08, 0x10 };
static const unsigned gap_offs[8] = { 0x40, 0x44, 0x48, 0x4c, 0x80, 0x84, 0x88, 0x8c };

struct ctx {
	struct pvpci_vpci_domain *dom, *dom1; /* locked, single-thread */
	struct pvpci_vpci_host *host1;
	struct pvpci_sbdf g;
	uint8_t cfg[256];
	pthread_rwlock_t rw;
	pthread_mutex_t mx;
};

#define LOOP(body)                                              \
	do {                                                    \
		for (i = 0; i < iters; i++) {                   \
			unsigned k = i & 7; (void)k;           \
			body;                                   \
			sum += v;                               \
		}                                               \
	} while (0)

static double run(struct ctx *c, int w, unsigned long iters, uint64_t *sink,
		  unsigned long *err)
{
	unsigned long i, e = 0;
	uint64_t sum = 0, v64 = 0;
	uint32_t v = 0;
	double t0 = pvpci_now_ns();

	switch (w) {
	case W_BASE:
		LOOP(memcpy(&v, c->cfg + read_offs[k], 4); __asm__ volatile("" : "+r"(v)));
		break;
	case W_LOCKS:
		LOOP(pthread_rwlock_rdlock(&c->rw); pthread_mutex_lock(&c->mx);
		     v = c->cfg[k]; pthread_mutex_unlock(&c->mx);
		     pthread_rwlock_unlock(&c->rw));
		break;
	case W_READ:
		LOOP(e += pvpci_vpci_cfg_read(c->dom, c->g, read_offs[k], 4, &v) != 0);
		break;
	case W_GAP:
		LOOP(e += pvpci_vpci_cfg_read(c->dom, c->g, gap_offs[k], 4, &v) != 0);
		break;
	case W_BARW:
		LOOP(e += pvpci_vpci_cfg_write(c->dom, c->g, 0x10, 4, (k & 1) ? ~0u : 0x20000000u)
			  != 0);
		break;
	case W_ECAM:
		LOOP(e += pvpci_vpci_ecam_read(c->dom, read_offs[k], 4, &v64) != 0; v = (uint32_t)v64);
		break;
	case W_READ1:
		LOOP(e += pvpci_vpci_cfg_read(c->dom1, c->g, read_offs[k], 4, &v) != 0);
		break;
	case W_GAP1:
		LOOP(e += pvpci_vpci_cfg_read(c->dom1, c->g, gap_offs[k], 4, &v) != 0);
		break;
	case W_BARW1:
		LOOP(e += pvpci_vpci_cfg_write(c->dom1, c->g, 0x10, 4,
					       (k & 1) ? ~0u : 0x20000000u) != 0);
		break;
	case W_ECAM1:
		LOOP(e += pvpci_vpci_ecam_read(c->dom1, read_offs[k], 4, &v64) != 0;
		     v = (uint32_t)v64);
		break;
	}
	t0 = pvpci_now_ns() - t0;
	*err += e;
	*sink += sum;
	return t0 / (double)iters;
}

/* Median ns of one COMMAND write: mapping on, mapping off, and a write changing nothing
 * mapped (MASTER toggled with decoding off). */
static int map_cycles(struct ctx *c, struct pvpci_vpci_host *h, unsigned n, double *on,
		      double *off, double *plain)
{
	double *t[3] = { on, off, plain };
	struct pvpci_vpci_map m[4];

	if (pvpci_vpci_cfg_write(c->dom, c->g, 0x10, 4, 0x40000000) ||
	    pvpci_vpci_cfg_write(c->dom, c->g, 0x18, 4, 0x80000000))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		double t0 = pvpci_now_ns();

		if (pvpci_vpci_cfg_write(c->dom, c->g, 0x04, 2, 0x0002))
			return -1;
		on[i] = pvpci_now_ns() - t0;
		if (i == 0 && (pvpci_vpci_host_maps(h, m, 4) < 1 || m[0].nr != 4096)) {
			fprintf(stderr, "bench_vpci: the 16 MiB BAR is not mapped whole\n");
			return -1;
		}
		t0 = pvpci_now_ns();
		if (pvpci_vpci_cfg_write(c->dom, c->g, 0x04, 2, 0x0000))
			return -1;
		off[i] = pvpci_now_ns() - t0;
		if (pvpci_vpci_host_maps(h, NULL, 0))
			return -1;
		t0 = pvpci_now_ns();
		if (pvpci_vpci_cfg_write(c->dom, c->g, 0x04, 2, (i & 1) ? 0x0004 : 0x0000))
			return -1;
		plain[i] = pvpci_now_ns() - t0;
	}
	for (unsigned k = 0; k < 3; k++)
		qsort(t[k], n, sizeof(double), bench_cmp_double);
	return 0;
}

static int setup(struct ctx *c, struct pvpci_vpci_host **h, struct pvpci_source **src,
		 struct pvpci_source **src1)
{
	struct pvpci_vpci_assign_opts ao = { .vslot = 0, .expose_pcie = false };
	struct pvpci_vpci_domain_opts o = { 0 };
	struct pvpci_parse_err err;
	struct pvpci_log log;
	int rc;

	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < sizeof(c->cfg); i++)
		c->cfg[i] = (uint8_t)(i * 7 + 3);
	pthread_rwlock_init(&c->rw, NULL);
	pthread_mutex_init(&c->mx, NULL);
	pvpci_log_init(&log, NULL, NULL);
	log.max_level = PVPCI_LOG_ERR;
	rc = pvpci_model_open_text(model_text, sizeof(model_text) - 1, 0, &log, src, &err);
	if (rc) {
		fprintf(stderr, "bench_vpci: model: %s\n", err.msg);
		return rc;
	}
	rc = pvpci_vpci_host_create(16, h);
	if (rc)
		return rc;
	o.domid = 1;
	o.ops = pvpci_vpci_host_ops();
	o.opaque = *h;
	o.log = &log;
	rc = pvpci_vpci_domain_create(&o, &c->dom);
	if (!rc)
		rc = pvpci_vpci_assign(c->dom, *src, &ao, &c->g);
	if (rc)
		return rc;
	/* The same device in a single-thread domain (its own model, its own host). */
	rc = pvpci_model_open_text(model_text, sizeof(model_text) - 1, 0, &log, src1, &err);
	if (!rc)
		rc = pvpci_vpci_host_create(16, &c->host1);
	o.opaque = c->host1;
	o.domid = 2;
	o.single_thread = true;
	if (!rc)
		rc = pvpci_vpci_domain_create(&o, &c->dom1);
	return rc ? rc : pvpci_vpci_assign(c->dom1, *src1, &ao, NULL);
}

int main(int argc, char **argv)
{
	unsigned runs = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 21;
	unsigned long iters = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000ul;
	static double t[W_N][101], on[2001], off[2001], plain[2001];
	const unsigned ncycles = 2001;
	struct pvpci_vpci_host *h = NULL;
	struct pvpci_source *src = NULL, *src1 = NULL;
	unsigned long err = 0;
	uint64_t sink = 0;
	struct ctx c;
	double base;
	int w;

	if (runs < 1 || runs > 101 || iters < 8) {
		fprintf(stderr, "usage: bench_vpci [runs (1-101) [iterations (>= 8)]]\n");
		return 2;
	}
	if (setup(&c, &h, &src, &src1)) {
		fprintf(stderr, "bench_vpci: setup failed\n");
		return 1;
	}
	for (w = 0; w < W_N; w++) /* warm up */
		run(&c, w, iters / 10 + 8, &sink, &err);
	for (unsigned i = 0; i < runs; i++)
		for (w = 0; w < W_N; w++)
			t[w][i] = run(&c, w, iters, &sink, &err);
	if (err || map_cycles(&c, h, ncycles, on, off, plain)) {
		fprintf(stderr, "bench_vpci: %lu accesses failed\n", err);
		return 1;
	}
	printf("vpci: median of %u runs x %lu accesses (one device at 00:00.0), cpu %d\n", runs,
	       iters, sched_getcpu());
	printf("%-42s %10s %10s %10s\n", "workload", "median ns", "min ns", "x baseline");
	for (w = 0; w < W_N; w++)
		qsort(t[w], runs, sizeof(double), bench_cmp_double);
	base = t[W_BASE][runs / 2];
	for (w = 0; w < W_N; w++)
		printf("%-42s %10.2f %10.2f %10.1f\n", wl_name[w], t[w][runs / 2], t[w][0],
		       t[w][runs / 2] / base);
	printf("16 MiB BAR, median of %u COMMAND writes:\n", ncycles);
	printf("%-42s %10.0f %10.0f\n", "baseline: COMMAND write, no mapping change",
	       plain[ncycles / 2], plain[0]);
	printf("%-42s %10.0f %10.0f\n", "memory decoding on (map 4096 frames)", on[ncycles / 2],
	       on[0]);
	printf("%-42s %10.0f %10.0f\n", "memory decoding off (unmap)", off[ncycles / 2], off[0]);
	printf("(checksum %llx)\n", (unsigned long long)sink);
	pvpci_vpci_domain_destroy(c.dom);
	pvpci_vpci_domain_destroy(c.dom1);
	pvpci_vpci_host_destroy(h);
	pvpci_vpci_host_destroy(c.host1);
	pvpci_source_close(src);
	pvpci_source_close(src1);
	return 0;
}
