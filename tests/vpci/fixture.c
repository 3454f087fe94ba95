/* SPDX-License-Identifier: MIT */
/*
 * Fixture of the vpci tests (see fixture.h): builds model text from bytes, brings a guest
 * domain up on the in-memory host, and wraps accesses with assertions so each test reads
 * as the behaviour it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

void fx_put(struct fx_dev *d, unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		d->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

void fx_bar_size(struct fx_dev *d, const char *line)
{
	size_t n = strlen(d->extra);

	snprintf(d->extra + n, sizeof(d->extra) - n, "# %s\n", line);
}

void fx_cap(struct fx_dev *d, unsigned pos, uint8_t id)
{
	d->cfg[pos] = id;
	d->cfg[pos + 1] = 0;
	if (d->last_cap)
		d->cfg[d->last_cap + 1] = (uint8_t)pos;
	else
		d->cfg[0x34] = (uint8_t)pos;
	d->cfg[0x06] |= 0x10;
	d->last_cap = pos;
}

void fx_syn(struct fx_dev *d, const char *addr)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->size = 4096;
	fx_put(d, 0x00, 4, 0x56781234);
	fx_put(d, 0x04, 2, 0x0547);
	fx_put(d, 0x06, 2, 0x2000);
	fx_put(d, 0x08, 4, 0x02000002);
	fx_put(d, 0x0c, 4, 0x00000010);
	fx_put(d, 0x10, 4, 0xfe000000);
	fx_put(d, 0x14, 4, 0x0000000c);
	fx_put(d, 0x18, 4, 0x00000040);
	fx_put(d, 0x1c, 4, 0x0000e001);
	fx_put(d, 0x20, 4, 0xfd001000);
	fx_put(d, 0x2c, 4, 0xef01abcd);
	fx_put(d, 0x30, 4, 0xfb000000);
	fx_put(d, 0x3c, 2, 0x010b);
	fx_cap(d, 0x40, 0x01); /* PM */
	fx_put(d, 0x42, 2, 0x0003);
	fx_cap(d, 0x50, 0x05); /* MSI: 64-bit, per-vector mask, 8 vectors */
	fx_put(d, 0x52, 2, 0x0186);
	fx_cap(d, 0x70, 0x11); /* MSI-X: 16 entries, table BAR0+0x2000, PBA BAR0+0x3000 */
	fx_put(d, 0x72, 2, 0x000f);
	fx_put(d, 0x74, 4, 0x00002000);
	fx_put(d, 0x78, 4, 0x00003000);
	fx_cap(d, 0xa0, 0x10); /* PCIe v2 endpoint */
	fx_put(d, 0xa2, 2, 0x0002);
	fx_put(d, 0x100, 4, 0x00010001); /* AER, end of the extended list */
	fx_bar_size(d, "bar0 4000");
	fx_bar_size(d, "bar1 100000");
	fx_bar_size(d, "bar3 20");
	fx_bar_size(d, "bar4 1000");
	fx_bar_size(d, "rom 10000");
}

static char *model_text(const struct fx_dev *d)
{
	size_t cap = 64 + strlen(d->extra) + (d->size / 16) * 56, n;
	char *t = malloc(cap);

	assert_non_null(t);
	n = (size_t)snprintf(t, cap, "%s Synthetic device\n%s", d->addr, d->extra);
	for (unsigned row = 0; row < d->size; row += 16) {
		n += (size_t)snprintf(t + n, cap - n, row < 0x100 ? "%02x:" : "%03x:", row);
		for (unsigned i = 0; i < 16; i++)
			n += (size_t)snprintf(t + n, cap - n, " %02x", d->cfg[row + i]);
		n += (size_t)snprintf(t + n, cap - n, "\n");
	}
	return t;
}

static void keep(struct fx *f, struct pvpci_source *s)
{
	assert_true(f->nsrc < FX_MAX_SRC);
	f->src[f->nsrc++] = s;
}

struct pvpci_source *fx_open(struct fx *f, const struct fx_dev *d)
{
	struct pvpci_parse_err err = { 0 };
	struct pvpci_source *s = NULL;
	char *t = model_text(d);
	int rc = pvpci_model_open_text(t, strlen(t), 0, &f->log, &s, &err);

	if (rc)
		fprintf(stderr, "model: %s\n", err.msg);
	free(t);
	assert_int_equal(rc, 0);
	keep(f, s);
	return s;
}

struct pvpci_source *fx_open_file(struct fx *f, const char *model, size_t index)
{
	struct pvpci_parse_err err = { 0 };
	struct pvpci_source *s = NULL;
	const char *dir = getenv("PVPCI_TEST_DATA");
	char path[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", model);
	rc = pvpci_model_open(path, index, &f->log, &s, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, err.msg);
	assert_int_equal(rc, 0);
	keep(f, s);
	return s;
}

static void sink(void *opaque, int level, const char *line)
{
	struct fx *f = opaque;
	size_t n = strlen(line);

	if (f->loglen + n + 2 < sizeof(f->logbuf)) {
		memcpy(f->logbuf + f->loglen, line, n);
		f->loglen += n;
		f->logbuf[f->loglen++] = '\n';
		f->logbuf[f->loglen] = 0;
	}
}

void fx_up_windows(struct fx *f, const struct pvpci_range *w, size_t n)
{
	fx_up_opts(f, w, n, false);
}

void fx_up_opts(struct fx *f, const struct pvpci_range *w, size_t n, bool single)
{
	struct pvpci_vpci_domain_opts o = { 0 };

	memset(f, 0, sizeof(*f));
	pvpci_log_init(&f->log, NULL, NULL);
	f->log.fn = sink;
	f->log.opaque = f;
	f->log.max_level = PVPCI_LOG_DEBUG;
	assert_int_equal(pvpci_vpci_host_create(100, &f->host), 0);
	o.domid = 1;
	o.ops = pvpci_vpci_host_ops();
	o.opaque = f->host;
	o.log = &f->log;
	o.windows = w;
	o.nwindows = n;
	o.single_thread = single;
	assert_int_equal(pvpci_vpci_domain_create(&o, &f->dom), 0);
}

void fx_up(struct fx *f)
{
	fx_up_windows(f, NULL, 0);
}

void fx_down(struct fx *f)
{
	pvpci_vpci_domain_destroy(f->dom);
	/* Everything the domain mapped is unmapped on the way out. */
	assert_int_equal(pvpci_vpci_host_maps(f->host, NULL, 0), 0);
	assert_int_equal(pvpci_vpci_host_bindings(f->host, NULL, 0), 0);
	pvpci_vpci_host_destroy(f->host);
	for (unsigned i = 0; i < f->nsrc; i++)
		pvpci_source_close(f->src[i]);
}

int fx_try_assign(struct fx *f, struct pvpci_source *src, int vslot, struct pvpci_sbdf *g)
{
	struct pvpci_vpci_assign_opts o = { .vslot = vslot, .expose_pcie = false };

	return pvpci_vpci_assign(f->dom, src, &o, g);
}

struct pvpci_sbdf fx_assign(struct fx *f, struct pvpci_source *src, int vslot)
{
	struct pvpci_sbdf g = { 0 };

	assert_int_equal(fx_try_assign(f, src, vslot, &g), 0);
	return g;
}

uint32_t gr(struct fx *f, struct pvpci_sbdf g, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	assert_int_equal(pvpci_vpci_cfg_read(f->dom, g, reg, size, &v), 0);
	return v;
}

void gw(struct fx *f, struct pvpci_sbdf g, unsigned reg, unsigned size, uint32_t v)
{
	assert_int_equal(pvpci_vpci_cfg_write(f->dom, g, reg, size, v), 0);
}

uint64_t mr(struct fx *f, uint64_t gpa, unsigned len)
{
	uint64_t v = 0;

	assert_int_equal(pvpci_vpci_mmio_read(f->dom, gpa, len, &v), 0);
	return v;
}

void mw(struct fx *f, uint64_t gpa, unsigned len, uint64_t v)
{
	assert_int_equal(pvpci_vpci_mmio_write(f->dom, gpa, len, v), 0);
}

uint32_t hr(struct pvpci_source *s, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	assert_int_equal(pvpci_source_cfg_read(s, reg, size, &v), 0);
	return v;
}

uint64_t hbar(struct pvpci_source *s, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(pvpci_source_bar_read(s, bar, off, size, &v), 0);
	return v;
}

const char *fx_maps(struct fx *f)
{
	static char buf[8192];
	FILE *m;
	long n;

	memset(buf, 0, sizeof(buf));
	m = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_non_null(m);
	pvpci_vpci_host_print_maps(f->host, m);
	n = ftell(m);
	fclose(m);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

size_t fx_nmaps(struct fx *f)
{
	return pvpci_vpci_host_maps(f->host, NULL, 0);
}

bool fx_logged(const struct fx *f, const char *s)
{
	return strstr(f->logbuf, s) != NULL;
}

struct pvpci_sbdf fx_sbdf(unsigned dev, unsigned fn)
{
	return (struct pvpci_sbdf){ 0, 0, (uint8_t)dev, (uint8_t)fn };
}
