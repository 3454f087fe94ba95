/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture of the regs tests: an engine over a fake device whose gap ops read and
 * write a byte array, test handlers backed by a struct treg with injectable errors, and a
 * log string recording every handler and gap call ("hr@off", "hw@off=val", "gr@off/size",
 * "gw@off/size=val") in the order the engine made them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

static void logf_(struct fx *f, const char *fmt, ...) PVPCI_PRINTF(2, 3);
static void logf_(struct fx *f, const char *fmt, ...)
{
	size_t n = strlen(f->log);
	va_list ap;

	if (n + 2 >= sizeof(f->log))
		return;
	if (n)
		f->log[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(f->log + n, sizeof(f->log) - n, fmt, ap);
	va_end(ap);
}

int h_read(void *ctx, unsigned reg_off, uint32_t *val, void *data)
{
	struct treg *t = data;

	logf_(ctx, "hr@%x", reg_off);
	if (t->read_err)
		return t->read_err;
	*val = t->val;
	return 0;
}

int h_write(void *ctx, unsigned reg_off, uint32_t val, void *data)
{
	struct treg *t = data;

	logf_(ctx, "hw@%x=%x", reg_off, val);
	if (t->write_err)
		return t->write_err;
	t->val = val;
	return 0;
}

static int g_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
	struct fx *f = ctx;
	uint32_t v = 0;
	unsigned i;

	logf_(f, "gr@%x/%u", off, size);
	if (f->gap_read_err)
		return f->gap_read_err;
	for (i = 0; i < size; i++)
		v |= (uint32_t)f->hw[off + i] << (8 * i);
	*val = v;
	return 0;
}

static int g_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
	struct fx *f = ctx;
	unsigned i;

	logf_(f, "gw@%x/%u=%x", off, size, val);
	if (f->gap_write_err)
		return f->gap_write_err;
	for (i = 0; i < size; i++)
		f->hw[off + i] = (uint8_t)(val >> (8 * i));
	return 0;
}

const struct pvpci_regs_gap_ops gap_ops = { g_read, g_write };

struct fx *fx_new(unsigned cfg_size, const struct pvpci_regs_gap_ops *ops)
{
	struct fx *f = test_calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(pvpci_regs_create(cfg_size, ops, f, &f->r), 0);
	return f;
}

void fx_free(struct fx *f)
{
	pvpci_regs_destroy(f->r);
	test_free(f);
}

int fx_setup(void **state)
{
	*state = fx_new(256, &gap_ops);
	return 0;
}

int fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

int add_m(struct fx *f, unsigned off, unsigned size, struct treg *t, uint32_t ro,
		 uint32_t rw1c, uint32_t rsvdp, uint32_t rsvdz)
{
	struct pvpci_reg_desc d = {
		.offset = off, .size = size, .read = h_read, .write = h_write, .data = t,
		.ro_mask = ro, .rw1c_mask = rw1c, .rsvdp_mask = rsvdp, .rsvdz_mask = rsvdz,
	};
	return pvpci_regs_add(f->r, &d);
}

int add(struct fx *f, unsigned off, unsigned size, struct treg *t)
{
	return add_m(f, off, size, t, 0, 0, 0, 0);
}

uint32_t rd(struct fx *f, unsigned off, unsigned size)
{
	uint32_t v = 0;

	assert_int_equal(pvpci_regs_read(f->r, off, size, &v), 0);
	return v;
}

void wr(struct fx *f, unsigned off, unsigned size, uint32_t val)
{
	assert_int_equal(pvpci_regs_write(f->r, off, size, val), 0);
}
