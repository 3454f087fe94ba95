/* SPDX-License-Identifier: MIT */
/*
 * Fixture of the pvback tests (see fixture.h): opens bundled models, seizes them under the
 * PV policy, and wraps guest and device accesses in cmocka assertions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

const char *model_path(const char *model)
{
	static char path[1024];
	const char *dir = getenv("PVPCI_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", model);
	return path;
}

static void keep_line(void *opaque, int level, const char *line)
{
	struct fx *f = opaque;
	size_t n = strlen(line);

	f->loglines++;
	if (f->loglen + n + 2 >= sizeof(f->logbuf))
		return;
	memcpy(f->logbuf + f->loglen, line, n);
	f->loglen += n;
	f->logbuf[f->loglen++] = '\n';
	f->logbuf[f->loglen] = 0;
}

void fx_open_source(struct fx *f, const char *model, size_t index)
{
	struct pvpci_parse_err perr = { 0 };

	memset(f, 0, sizeof(*f));
	pvpci_log_init(&f->log, NULL, "test");
	f->log.fn = keep_line;
	f->log.opaque = f;
	f->log.max_level = PVPCI_LOG_DEBUG;
	if (pvpci_model_open(model_path(model), index, &f->log, &f->src, &perr)) {
		fprintf(stderr, "%s: %s\n", model_path(model), perr.msg);
		fail();
	}
	assert_int_equal(pvpci_source_snapshot(f->src, f->initial, pvpci_source_cfg_size(f->src)),
			 0);
}

int fx_seize(struct fx *f, const struct pvpci_pv_opts *opts)
{
	struct pvpci_pv_opts o = opts ? *opts : (struct pvpci_pv_opts){ 0 };
	int rc;

	o.log = &f->log;
	rc = pvpci_pvdev_create(f->src, &o, &f->d);
	cnt_reset(f);
	return rc;
}

void fx_open_idx(struct fx *f, const char *model, size_t index,
		 const struct pvpci_pv_opts *opts)
{
	struct pvpci_pv_opts o = opts ? *opts : (struct pvpci_pv_opts){ 0 };

	fx_open_source(f, model, index);
	o.log = &f->log;
	assert_int_equal(pvpci_pvdev_create(f->src, &o, &f->d), 0);
	assert_non_null(f->d);
	cnt_reset(f);
}

void fx_open(struct fx *f, const char *model, const struct pvpci_pv_opts *opts)
{
	fx_open_idx(f, model, 0, opts);
}

void fx_close(struct fx *f)
{
	pvpci_pvdev_destroy(f->d);
	f->d = NULL;
	pvpci_source_close(f->src);
	f->src = NULL;
}

uint32_t gr(struct fx *f, int off, int size)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(pvpci_pvdev_conf_read(f->d, off, size, &v), 0);
	return v;
}

void gw(struct fx *f, int off, int size, uint32_t val)
{
	assert_int_equal(pvpci_pvdev_conf_write(f->d, off, size, val), 0);
}

uint32_t hw(struct fx *f, unsigned off, unsigned size)
{
	uint32_t v = 0;

	assert_int_equal(pvpci_source_cfg_read(f->src, off, size, &v), 0);
	return v;
}

void hwset(struct fx *f, unsigned off, unsigned size, uint32_t val)
{
	assert_int_equal(pvpci_source_cfg_write(f->src, off, size, val), 0);
}

void cnt_reset(struct fx *f)
{
	pvpci_source_stats_reset(f->src);
}

uint64_t cnt_reads(struct fx *f)
{
	struct pvpci_source_stats st;

	pvpci_source_stats(f->src, &st);
	return st.cfg_reads;
}

uint64_t cnt_writes(struct fx *f)
{
	struct pvpci_source_stats st;

	pvpci_source_stats(f->src, &st);
	return st.cfg_writes;
}

static int initial_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	const struct fx *f = opaque;

	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint32_t)f->initial[off + i] << (8 * i);
	return 0;
}

unsigned capof(struct fx *f, unsigned id)
{
	return pvpci_cap_find(initial_read, f, pvpci_source_cfg_size(f->src), false, id);
}

bool logged(const struct fx *f, const char *s)
{
	return strstr(f->logbuf, s) != NULL;
}

void log_clear(struct fx *f)
{
	f->loglen = 0;
	f->logbuf[0] = 0;
	f->loglines = 0;
}
