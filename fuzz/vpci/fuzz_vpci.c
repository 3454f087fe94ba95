/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vpci: random guest accesses through the vpci personality. Each input assigns up to
 * three devices of the bundled models (tests/data, compiled in; PVPCI_TEST_DATA
 * overrides) to one guest and runs a sequence of ECAM reads and writes, MMIO reads and
 * writes (raw addresses, or offsets into a BAR at the guest address the guest gave it),
 * BAR placements, decoding toggles, device interrupts, resets and re-assignments. After
 * every step it checks:
 *   - no BAR register of any device was written (the ROM's enable bit aside);
 *   - every mapping maps host frames wholly inside one memory BAR or ROM of a device of
 *     this guest (never a page a BAR only partly covers), never a page of an MSI-X table
 *     or PBA;
 *   - the guest was never crashed (the in-memory host only refuses inconsistent maps);
 *   - I/O decoding is never on in a device, and no device's MSI-X entry holds anything
 *     but the host's message;
 * and after the domain is destroyed, that nothing is left mapped or bound.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/vpci.h"

#ifndef PVPCI_DATA_DIR
#define PVPCI_DATA_DIR "tests/data"
#endif

#define MAX_DEVS 64
#define MAX_ASSIGNED 3
#define MAX_MAPS 4096

/* A device of a model file, opened once and reset (or re-opened) between inputs. */
struct model_dev {
	char *text;
	size_t len;
	size_t index;
	struct pvpci_source *src;
};

static struct model_dev models[MAX_DEVS];
static size_t nmodels;

static void check(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_vpci: invariant broken: %s\n", what);
	abort();
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_model(const struct dirent *e)
{
	size_t l = strlen(e->d_name);

	return l > 6 && !strcmp(e->d_name + l - 6, ".model");
}

static void put(uint8_t *c, unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		c[off + i] = (uint8_t)(v >> (8 * i));
}

/* A device with BARs under a page at host page offsets other than 0: BAR0 2K at
 * 0xfe000800 holding an 8-entry MSI-X table (0x100) and PBA (0x400), BAR1 64 bytes at
 * 0xfe001040 and BAR2 16 bytes at 0xfe001080 on one host page, BAR3 4K, a 2K ROM. */
static void add_small_bar_model(void)
{
	static const char head[] = "07:00.0 Small BARs\n# bar0 800\n# bar1 40\n# bar2 10\n"
				   "# bar3 1000\n# rom 800\n";
	uint8_t c[256] = { 0 };
	size_t cap = sizeof(head) + 16 * 56, n;
	char *t = malloc(cap);

	check(t != NULL, "memory");
	put(c, 0x00, 4, 0x00011234);
	put(c, 0x06, 2, 0x0010);
	put(c, 0x08, 4, 0x02000001);
	put(c, 0x10, 4, 0xfe000800);
	put(c, 0x14, 4, 0xfe001040);
	put(c, 0x18, 4, 0xfe001080);
	put(c, 0x1c, 4, 0xfe002000);
	put(c, 0x30, 4, 0xfe003800);
	put(c, 0x34, 1, 0x40);
	put(c, 0x40, 4, 0x00070011);
	put(c, 0x44, 4, 0x00000100);
	put(c, 0x48, 4, 0x00000400);
	n = (size_t)snprintf(t, cap, "%s", head);
	for (unsigned row = 0; row < 256; row += 16) {
		n += (size_t)snprintf(t + n, cap - n, "%02x:", row);
		for (unsigned i = 0; i < 16; i++)
			n += (size_t)snprintf(t + n, cap - n, " %02x", c[row + i]);
		n += (size_t)snprintf(t + n, cap - n, "\n");
	}
	models[nmodels++] = (struct model_dev){ t, n, 0, NULL };
}

/* Every device of every model file, in file name order (inputs stay meaningful), then
 * the built-in small-BAR device. */
static void load_models(void)
{
	const char *dir = getenv("PVPCI_TEST_DATA");
	struct dirent **names;
	int nn = scandir(dir ? dir : PVPCI_DATA_DIR, &names, is_model, by_name);

	check(nn > 0, "model directory readable");
	for (int f = 0; f < nn; f++) {
		size_t len = 0, n = 0;
		struct pvpci_parse_err err;
		char path[1024];
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir ? dir : PVPCI_DATA_DIR, names[f]->d_name);
		free(names[f]);
		if (nmodels >= MAX_DEVS)
			continue;
		text = slurp(path, &len);
		if (!text || pvpci_model_count(path, &n, &err)) {
			free(text);
			continue;
		}
		for (size_t i = 0; i < n && nmodels < MAX_DEVS; i++)
			models[nmodels++] = (struct model_dev){ text, len, i, NULL };
	}
	free(names);
	if (nmodels < MAX_DEVS)
		add_small_bar_model();
	check(nmodels > 0, "some models");
}

/* What the harness knows of one assigned device. */
struct fdev {
	struct pvpci_source *src;
	struct pvpci_sbdf g;
	bool assigned;
	uint32_t bars[7];          /* BAR registers as the host set them */
	unsigned rom_reg;
	struct pvpci_bar_info info[7];
	unsigned msi_pos, msix_pos, msix_n, tbir, pbir;
	uint64_t toff, poff;
};

struct run {
	struct pvpci_vpci_host *host;
	struct pvpci_vpci_domain *dom;
	struct pvpci_log log;
	struct fdev dev[MAX_ASSIGNED];
	unsigned ndev;
};

static uint32_t cfg(struct pvpci_source *s, unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (pvpci_source_cfg_read(s, off, size, &v))
		v = ~0u;
	return v;
}

static void learn(struct fdev *d)
{
	uint32_t t, p;

	d->rom_reg = (cfg(d->src, 0x0e, 1) & 0x7f) == 1 ? 0x38 : 0x30;
	for (unsigned i = 0; i < 6; i++)
		d->bars[i] = cfg(d->src, 0x10 + 4 * i, 4);
	d->bars[6] = cfg(d->src, d->rom_reg, 4) & ~1u;
	for (unsigned i = 0; i < 7; i++)
		if (pvpci_source_bar_info(d->src, i, &d->info[i]))
			memset(&d->info[i], 0, sizeof(d->info[i]));
	d->msi_pos = d->msix_pos = 0;
	for (unsigned pos = cfg(d->src, 0x34, 1) & 0xfc, hops = 0;
	     pos >= 0x40 && pos < 0x100 && hops < 48; pos = cfg(d->src, pos + 1, 1) & 0xfc, hops++) {
		if (cfg(d->src, pos, 1) == 0x11 && !d->msix_pos)
			d->msix_pos = pos;
		if (cfg(d->src, pos, 1) == 0x05 && !d->msi_pos)
			d->msi_pos = pos;
	}
	if (!d->msix_pos)
		return;
	d->msix_n = (cfg(d->src, d->msix_pos + 2, 2) & 0x7ff) + 1;
	t = cfg(d->src, d->msix_pos + 4, 4);
	p = cfg(d->src, d->msix_pos + 8, 4);
	d->tbir = t & 7;
	d->toff = t & ~7u;
	d->pbir = p & 7;
	d->poff = p & ~7u;
}

/* True if host frame mfn lies on a page of a device's MSI-X table or PBA. */
static bool msix_page(const struct fdev *d, uint64_t mfn)
{
	const uint64_t tl = d->msix_n * 16ull, pl = (d->msix_n + 63) / 64 * 8ull;

	if (!d->msix_pos || d->tbir > 5 || d->pbir > 5)
		return false;
	if (mfn >= (d->info[d->tbir].addr + d->toff) >> 12 &&
	    mfn <= (d->info[d->tbir].addr + d->toff + tl - 1) >> 12)
		return true;
	return mfn >= (d->info[d->pbir].addr + d->poff) >> 12 &&
	       mfn <= (d->info[d->pbir].addr + d->poff + pl - 1) >> 12;
}

/* Every byte of the host frames [mfn, mfn + nr) lies inside BAR b (a frame only partly
 * inside may hold another device's registers). */
static bool whole_pages(const struct pvpci_bar_info *b, uint64_t mfn, uint64_t nr)
{
	uint64_t first = (b->addr >> 12) + ((b->addr & 0xfff) ? 1 : 0);
	uint64_t last = b->addr + (b->size - 1);
	uint64_t end = (last >> 12) + ((last & 0xfff) == 0xfff ? 1 : 0);

	return mfn >= first && mfn < end && nr <= end - mfn;
}

/* The host frames [mfn, mfn + nr) lie wholly inside one memory BAR or ROM of an assigned
 * device and none is an MSI-X page. */
static bool own_frames(const struct run *r, uint64_t mfn, uint64_t nr)
{
	for (unsigned k = 0; k < r->ndev; k++) {
		const struct fdev *d = &r->dev[k];

		if (!d->assigned)
			continue;
		for (unsigned i = 0; i < 7; i++) {
			const struct pvpci_bar_info *b = &d->info[i];

			if (b->type != PVPCI_BAR_MEM32 && b->type != PVPCI_BAR_MEM64_LO &&
			    b->type != PVPCI_BAR_ROM)
				continue;
			if (!b->size || !whole_pages(b, mfn, nr))
				continue;
			for (uint64_t f = mfn; f < mfn + nr; f++)
				if (msix_page(d, f))
					return false;
			return true;
		}
	}
	return false;
}

static void invariants(struct run *r)
{
	static struct pvpci_vpci_map maps[MAX_MAPS];
	size_t n = pvpci_vpci_host_maps(r->host, maps, MAX_MAPS);

	check(!pvpci_vpci_crashed(r->dom), "guest never crashed");
	check(n <= MAX_MAPS, "mapping table bounded");
	for (size_t i = 0; i < n; i++)
		check(own_frames(r, maps[i].mfn, maps[i].nr), "maps only the devices' BAR frames");
	for (unsigned k = 0; k < r->ndev; k++) {
		struct fdev *d = &r->dev[k];

		for (unsigned i = 0; i < 6; i++)
			check(cfg(d->src, 0x10 + 4 * i, 4) == d->bars[i], "BAR never written");
		check((cfg(d->src, d->rom_reg, 4) & ~1u) == d->bars[6], "ROM never moved");
		if (!d->assigned)
			continue;
		check(!(cfg(d->src, 0x04, 2) & 1), "I/O decoding never on");
		if (!d->msix_pos || d->tbir > 5)
			continue;
		for (unsigned e = 0; e < d->msix_n; e++) {
			uint64_t lo = 0, hi = 0;

			if (pvpci_source_bar_read(d->src, d->tbir, d->toff + 16ull * e, 4, &lo) ||
			    pvpci_source_bar_read(d->src, d->tbir, d->toff + 16ull * e + 4, 4, &hi))
				continue;
			check((lo == 0 || lo == 0xfee00000) && hi == 0,
			      "MSI-X entries hold only the host's message");
		}
	}
}

/* ---- Input decoding ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static const unsigned lens[4] = { 1, 2, 4, 8 };

/* The guest address of BAR i of device d, as the guest reads it back. */
static uint64_t guest_bar(struct run *r, struct fdev *d, unsigned i)
{
	uint32_t lo = 0, hi = 0;

	if (i == 6) {
		(void)pvpci_vpci_cfg_read(r->dom, d->g, d->rom_reg, 4, &lo);
		return lo & ~0x7ffu;
	}
	(void)pvpci_vpci_cfg_read(r->dom, d->g, 0x10 + 4 * i, 4, &lo);
	if ((lo & 7) == 4 && i < 5)
		(void)pvpci_vpci_cfg_read(r->dom, d->g, 0x14 + 4 * i, 4, &hi);
	return (lo & 1) ? 0 : ((uint64_t)hi << 32 | (lo & ~0xfu));
}

static void place_all(struct run *r, struct fdev *d)
{
	uint64_t base = 0x40000000ull * (uint64_t)(d - r->dev + 1);

	for (unsigned i = 0; i < 6; i++) {
		uint64_t a = base + i * 0x8000000ull;

		(void)pvpci_vpci_cfg_write(r->dom, d->g, 0x10 + 4 * i, 4, (uint32_t)a);
		if ((d->bars[i] & 7) == 4 && i < 5)
			(void)pvpci_vpci_cfg_write(r->dom, d->g, 0x14 + 4 * i++, 4,
						   (uint32_t)(a >> 32));
	}
	(void)pvpci_vpci_cfg_write(r->dom, d->g, d->rom_reg, 4, (uint32_t)(base + 0x30000000));
}

static void op_place(struct run *r, struct fdev *d, struct in *in)
{
	unsigned i = (unsigned)(take(in, 1) % 8);
	uint64_t a = 0x20000000ull + (take(in, 1) << 20) + (take(in, 1) & 0xf) * 0x1000;

	a += (take(in, 1) & 0x3f) * 0x40; /* page offsets of BARs under a page */

	if (i == 7) {
		place_all(r, d);
		return;
	}

	if (take(in, 1) & 1)
		a += 0x100000000ull;
	if (i == 6) {
		(void)pvpci_vpci_cfg_write(r->dom, d->g, d->rom_reg, 4, (uint32_t)a | 1);
		return;
	}
	(void)pvpci_vpci_cfg_write(r->dom, d->g, 0x10 + 4 * i, 4, (uint32_t)a);
	if (i < 5)
		(void)pvpci_vpci_cfg_write(r->dom, d->g, 0x14 + 4 * i, 4, (uint32_t)(a >> 32));
}

static void reassign(struct run *r, struct fdev *d)
{
	struct pvpci_vpci_assign_opts o = { .vslot = -1, .expose_pcie = true };

	if (d->assigned) {
		check(pvpci_vpci_deassign(r->dom, d->g) == 0, "deassign works");
		d->assigned = false;
	} else {
		d->assigned = pvpci_vpci_assign(r->dom, d->src, &o, &d->g) == 0;
	}
}

static int is_src(void *arg, struct pvpci_sbdf g, struct pvpci_source *src)
{
	return src == arg;
}

static void step(struct run *r, struct in *in)
{
	unsigned op = (unsigned)take(in, 1);
	struct fdev *d = &r->dev[take(in, 1) % r->ndev];
	uint64_t ecam = (uint64_t)PVPCI_DEVFN(d->g.dev, d->g.fn) << 12, v = 0, a;
	unsigned len;

	switch (op % 13) {
	case 0:
	case 1:
		len = lens[take(in, 1) & 3];
		a = ecam + (take(in, 2) & 0xfff);
		if (op & 1)
			(void)pvpci_vpci_ecam_write(r->dom, a, len, take(in, 8));
		else
			(void)pvpci_vpci_ecam_read(r->dom, a, len, &v);
		break;
	case 2:
	case 3:
		len = lens[take(in, 1) & 3];
		a = guest_bar(r, d, (unsigned)(take(in, 1) % 7)) + (take(in, 3) & 0xffffff);
		if (op & 1)
			(void)pvpci_vpci_mmio_write(r->dom, a, len, take(in, 8));
		else
			(void)pvpci_vpci_mmio_read(r->dom, a, len, &v);
		break;
	case 4:
		len = lens[take(in, 1) & 3];
		a = take(in, 8);
		(void)pvpci_vpci_mmio_write(r->dom, a, len, take(in, 8));
		break;
	case 5:
		op_place(r, d, in);
		break;
	case 6:
		(void)pvpci_vpci_cfg_write(r->dom, d->g, 0x04, 2, (uint32_t)take(in, 2));
		break;
	case 7:
		(void)pvpci_model_raise(d->src, (take(in, 1) & 1) ? PVPCI_IRQ_MSIX : PVPCI_IRQ_MSI,
					(unsigned)take(in, 1));
		break;
	case 8:
		if (d->assigned)
			(void)pvpci_vpci_reset(r->dom, d->g, PVPCI_RESET_FUNCTION);
		d->assigned = pvpci_vpci_for_each_dev(r->dom, is_src, d->src) == 1;
		break;
	case 9:
		reassign(r, d);
		break;
	case 10: /* MSI-X Message Control */
		(void)pvpci_vpci_cfg_write(r->dom, d->g, d->msix_pos + 2, 2, (uint32_t)take(in, 2));
		break;
	case 11: /* an MSI-X table entry (one past the end too), where the guest put it */
		len = (take(in, 1) & 1) ? 8 : 4;
		a = guest_bar(r, d, d->tbir % 7) + d->toff +
		    16 * (take(in, 1) % (d->msix_n + 1)) + (take(in, 1) & 3) * 4;
		(void)pvpci_vpci_mmio_write(r->dom, a, len, take(in, 8));
		break;
	default: /* the MSI capability */
		len = lens[take(in, 1) & 3];
		a = d->msi_pos + (take(in, 1) % 24);
		if (len < 8)
			(void)pvpci_vpci_cfg_write(r->dom, d->g, (unsigned)a & ~(len - 1u), len,
						   (uint32_t)take(in, 4));
		break;
	}
}

static void setup(struct run *r, struct in *in)
{
	struct pvpci_vpci_domain_opts o = { 0 };
	unsigned want = (unsigned)(take(in, 1) % MAX_ASSIGNED) + 1;

	memset(r, 0, sizeof(*r));
	pvpci_log_init(&r->log, NULL, NULL);
	r->log.max_level = PVPCI_LOG_ERR;
	check(pvpci_vpci_host_create(16, &r->host) == 0, "host");
	o.domid = 1;
	o.ops = pvpci_vpci_host_ops();
	o.opaque = r->host;
	o.log = &r->log;
	check(pvpci_vpci_domain_create(&o, &r->dom) == 0, "domain");
	for (unsigned k = 0; k < want; k++) {
		struct model_dev *m = &models[take(in, 1) % nmodels];
		struct fdev *d = &r->dev[r->ndev];
		struct pvpci_parse_err err;
		bool dup = false;

		if (!m->src && pvpci_model_open_text(m->text, m->len, m->index, NULL, &m->src,
						     &err))
			continue;
		for (unsigned j = 0; j < r->ndev; j++)
			dup |= r->dev[j].src == m->src;
		if (dup)
			continue;
		d->src = m->src;
		learn(d);
		r->ndev++;
		reassign(r, d);
	}
}

/* Back to power-on for the next input: a reset, or a fresh open when there is none. */
static void recycle(struct run *r)
{
	for (unsigned k = 0; k < r->ndev; k++)
		for (size_t i = 0; i < nmodels; i++) {
			if (models[i].src != r->dev[k].src)
				continue;
			if (pvpci_source_reset(models[i].src, PVPCI_RESET_FUNCTION)) {
				pvpci_source_close(models[i].src);
				models[i].src = NULL;
			}
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct run r;

	if (!nmodels)
		load_models();
	setup(&r, &in);
	for (unsigned steps = 0; r.ndev && in.n && steps < 256; steps++) {
		step(&r, &in);
		invariants(&r);
	}
	pvpci_vpci_domain_destroy(r.dom);
	check(pvpci_vpci_host_maps(r.host, NULL, 0) == 0, "nothing left mapped");
	check(pvpci_vpci_host_bindings(r.host, NULL, 0) == 0, "nothing left bound");
	pvpci_vpci_host_destroy(r.host);
	recycle(&r);
	return 0;
}
