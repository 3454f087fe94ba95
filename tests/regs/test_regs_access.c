/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/regs, the access path: gaps with and without gap ops (with the exact
 * gap calls made), accesses spanning registers and gaps, partial reads and writes, every
 * access size on 1-, 2- and 4-byte registers, and RO / RW1C / RsvdP / RsvdZ semantics.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

/* ---- gaps ---- */

static void test_gap_reads_all_ones_with_null_ops(void **state)
{
	struct fx *f = fx_new(256, NULL);
	struct treg t = { .val = 0x42 };

	(void)state;
	assert_int_equal(rd(f, 0x40, 1), 0xff);
	assert_int_equal(rd(f, 0x40, 2), 0xffff);
	assert_int_equal(rd(f, 0x40, 4), 0xffffffff);
	assert_int_equal(add(f, 0x41, 1, &t), 0);
	assert_int_equal(rd(f, 0x40, 4), 0xffff42ff);
	fx_free(f);
}

static void test_gap_writes_dropped_with_null_ops(void **state)
{
	static const struct pvpci_regs_gap_ops none = { NULL, NULL };
	struct fx *f = fx_new(256, &none);
	struct treg t = { 0 };

	(void)state;
	wr(f, 0x40, 4, 0x12345678);
	wr(f, 0x42, 2, 0x1234);
	assert_int_equal(add(f, 0x42, 1, &t), 0);
	wr(f, 0x40, 4, 0x11223344);
	assert_int_equal(t.val, 0x22);
	assert_string_equal(f->log, "hw@42=22");
	assert_int_equal(rd(f, 0x40, 4), 0xff22ffff);
	fx_free(f);
}

static void test_gap_read_goes_through_gap_ops(void **state)
{
	struct fx *f = *state;

	memcpy(f->hw + 0x40, "\x11\x22\x33\x44", 4);
	assert_int_equal(rd(f, 0x40, 4), 0x44332211);
	assert_int_equal(rd(f, 0x42, 2), 0x4433);
	assert_int_equal(rd(f, 0x41, 1), 0x22);
	assert_string_equal(f->log, "gr@40/4 gr@42/2 gr@41/1");
}

static void test_gap_write_goes_through_gap_ops(void **state)
{
	struct fx *f = *state;

	wr(f, 0x40, 4, 0x44332211);
	wr(f, 0x46, 2, 0xbbaa);
	wr(f, 0x47, 1, 0xcc);
	assert_memory_equal(f->hw + 0x40, "\x11\x22\x33\x44\x00\x00\xaa\xcc", 8);
	assert_string_equal(f->log, "gw@40/4=44332211 gw@46/2=bbaa gw@47/1=cc");
}

static void test_unhandled_dword_is_one_gap_call(void **state)
{
	struct fx *f = *state;
	struct treg a = { 0 }, b = { 0 };

	assert_int_equal(add(f, 0x3f, 1, &a), 0);
	assert_int_equal(add(f, 0x44, 4, &b), 0);
	rd(f, 0x40, 4);
	wr(f, 0x40, 4, 0);
	assert_string_equal(f->log, "gr@40/4 gw@40/4=0");
}

static void test_read_spanning_three_registers_and_a_gap_byte(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 0x11 }, b = { .val = 0x22 }, c = { .val = 0x33 };

	assert_int_equal(add(f, 0x4, 1, &a), 0);
	assert_int_equal(add(f, 0x5, 1, &b), 0);
	assert_int_equal(add(f, 0x6, 1, &c), 0);
	f->hw[0x7] = 0x44;
	assert_int_equal(rd(f, 0x4, 4), 0x44332211);
	assert_string_equal(f->log, "hr@4 hr@5 hr@6 gr@7/1");
	f->log[0] = 0;
	assert_int_equal(rd(f, 0x6, 2), 0x4433);
	assert_string_equal(f->log, "hr@6 gr@7/1");
}

static void test_read_spanning_two_word_registers(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 0x8086 }, b = { .val = 0x1234 };

	assert_int_equal(add(f, 0x0, 2, &a), 0);
	assert_int_equal(add(f, 0x2, 2, &b), 0);
	assert_int_equal(rd(f, 0x0, 4), 0x12348086);
	assert_string_equal(f->log, "hr@0 hr@2");
}

static void test_partial_reads_inside_a_register(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x11223344 };

	assert_int_equal(add(f, 0x10, 4, &t), 0);
	assert_int_equal(rd(f, 0x10, 1), 0x44);
	assert_int_equal(rd(f, 0x11, 1), 0x33);
	assert_int_equal(rd(f, 0x12, 1), 0x22);
	assert_int_equal(rd(f, 0x13, 1), 0x11);
	assert_int_equal(rd(f, 0x10, 2), 0x3344);
	assert_int_equal(rd(f, 0x12, 2), 0x1122);
	assert_string_equal(f->log, "hr@10 hr@10 hr@10 hr@10 hr@10 hr@10");
}

static void test_partial_write_merges_with_current_value(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x11223344 };

	assert_int_equal(add(f, 0x10, 4, &t), 0);
	wr(f, 0x11, 1, 0xaa);
	assert_int_equal(t.val, 0x1122aa44);
	wr(f, 0x12, 2, 0xbbcc);
	assert_int_equal(t.val, 0xbbccaa44);
	assert_string_equal(f->log, "hr@10 hw@10=1122aa44 hr@10 hw@10=bbccaa44");
}

static void test_handler_value_beyond_width_is_masked(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 0xffff1234 }, b = { .val = 0xabcd0056 };

	assert_int_equal(add(f, 0x20, 1, &a), 0);
	assert_int_equal(add(f, 0x21, 1, &b), 0);
	f->hw[0x22] = 0x01;
	f->hw[0x23] = 0x02;
	assert_int_equal(rd(f, 0x20, 1), 0x34);
	assert_int_equal(rd(f, 0x20, 4), 0x02015634);
}

/* Layouts filling the dword at 0x20 with registers of one size; value 0x44332211. */
static void layout(struct fx *f, unsigned rsize, struct treg *t)
{
	static const uint32_t v = 0x44332211;
	unsigned i;

	for (i = 0; i < 4 / rsize; i++) {
		t[i].val = (v >> (8 * rsize * i)) & (rsize == 4 ? ~0u : (1u << (8 * rsize)) - 1);
		assert_int_equal(add(f, 0x20 + rsize * i, rsize, &t[i]), 0);
	}
}

static void every_size_check(unsigned rsize)
{
	static const uint32_t v = 0x44332211;
	static const unsigned sizes[] = { 1, 2, 4 };
	unsigned si, off, size, i;
	uint32_t m, expect;

	for (si = 0; si < 3; si++) {
		size = sizes[si];
		m = size == 4 ? ~0u : (1u << (8 * size)) - 1;
		for (off = 0; off < 4; off += size) {
			struct fx *f = fx_new(256, &gap_ops);
			struct treg t[4] = { { 0 } };

			layout(f, rsize, t);
			assert_int_equal(rd(f, 0x20 + off, size), (v >> (8 * off)) & m);
			wr(f, 0x20 + off, size, 0xa5b6c7d8);
			expect = (v & ~(m << (8 * off))) | ((0xa5b6c7d8 & m) << (8 * off));
			assert_int_equal(rd(f, 0x20, 4), expect);
			for (i = 0; i < 4; i++)
				assert_int_equal(f->hw[0x20 + i], 0); /* no gap traffic */
			fx_free(f);
		}
	}
}

static void test_every_access_size_on_1_byte_registers(void **state)
{
	(void)state;
	every_size_check(1);
}

static void test_every_access_size_on_2_byte_registers(void **state)
{
	(void)state;
	every_size_check(2);
}

static void test_every_access_size_on_4_byte_registers(void **state)
{
	(void)state;
	every_size_check(4);
}

static void test_write_with_noncontiguous_gaps_makes_exact_calls(void **state)
{
	struct fx *f = *state;
	struct treg t[6] = { { 0 } };

	assert_int_equal(add(f, 0x31, 1, &t[0]), 0);
	assert_int_equal(add(f, 0x33, 1, &t[1]), 0);
	wr(f, 0x30, 4, 0xddccbbaa);
	assert_string_equal(f->log, "gw@30/1=aa hw@31=bb gw@32/1=cc hw@33=dd");
	f->log[0] = 0;
	assert_int_equal(add(f, 0x40, 1, &t[2]), 0); /* 3-byte gap at 0x41: 1 + 2 */
	wr(f, 0x40, 4, 0x44332211);
	assert_string_equal(f->log, "hw@40=11 gw@41/1=22 gw@42/2=4433");
	f->log[0] = 0;
	assert_int_equal(add(f, 0x4b, 1, &t[3]), 0); /* 3-byte gap at 0x48: 2 + 1 */
	wr(f, 0x48, 4, 0x44332211);
	assert_string_equal(f->log, "gw@48/2=2211 gw@4a/1=33 hw@4b=44");
	f->log[0] = 0;
	assert_int_equal(add(f, 0x59, 1, &t[4]), 0); /* gaps 0x58/1 and 0x5a/2 */
	wr(f, 0x58, 4, 0x44332211);
	assert_string_equal(f->log, "gw@58/1=11 hw@59=22 gw@5a/2=4433");
	f->log[0] = 0;
	assert_int_equal(add(f, 0x62, 2, &t[5]), 0);
	wr(f, 0x60, 4, 0x44332211);
	assert_string_equal(f->log, "gw@60/2=2211 hw@62=4433");
}

static void test_read_with_noncontiguous_gaps_makes_exact_calls(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 0xbb }, b = { .val = 0xdd };

	memcpy(f->hw + 0x30, "\xaa\x00\xcc\x00", 4);
	assert_int_equal(add(f, 0x31, 1, &a), 0);
	assert_int_equal(add(f, 0x33, 1, &b), 0);
	assert_int_equal(rd(f, 0x30, 4), 0xddccbbaa);
	assert_string_equal(f->log, "gr@30/1 hr@31 gr@32/1 hr@33");
}

/* ---- masks ---- */

static void test_ro_mask_keeps_current_bits(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x12345678 };

	assert_int_equal(add_m(f, 0x10, 4, &t, 0xff00ff00, 0, 0, 0), 0);
	assert_int_equal(rd(f, 0x10, 4), 0x12345678);
	wr(f, 0x10, 4, 0);
	assert_int_equal(t.val, 0x12005600);
	wr(f, 0x10, 4, 0xffffffff);
	assert_int_equal(t.val, 0x12ff56ff);
	wr(f, 0x11, 1, 0x00);  /* a byte that is all RO */
	assert_int_equal(t.val, 0x12ff56ff);
	wr(f, 0x10, 2, 0xaa00);
	assert_int_equal(t.val, 0x12ff5600);
}

static void test_rw1c_handler_gets_one_only_where_written(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x0000ff0f };

	assert_int_equal(add_m(f, 0x10, 4, &t, 0, 0x0000ff00, 0, 0), 0);
	assert_int_equal(rd(f, 0x10, 4), 0x0000ff0f);
	f->log[0] = 0;
	wr(f, 0x10, 4, 0);  /* writing 0 never asks for a clear */
	assert_string_equal(f->log, "hr@10 hw@10=0");
	t.val = 0x0000ff0f;
	f->log[0] = 0;
	wr(f, 0x10, 4, 0xffffffff);
	assert_string_equal(f->log, "hr@10 hw@10=ffffffff");
	t.val = 0x0000ff0f;
	f->log[0] = 0;
	wr(f, 0x10, 1, 0xff);  /* byte 0 only: set RW1C bits in byte 1 are not cleared */
	assert_string_equal(f->log, "hr@10 hw@10=ff");
	t.val = 0x0000ff0f;
	f->log[0] = 0;
	wr(f, 0x11, 1, 0x01);  /* clears bit 8 only, byte 0 kept */
	assert_string_equal(f->log, "hr@10 hw@10=10f");
}

static void test_rsvdp_reads_zero_and_keeps_current(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0xa5a5a5a5 };

	assert_int_equal(add_m(f, 0x10, 4, &t, 0, 0, 0xf0000000, 0), 0);
	assert_int_equal(rd(f, 0x10, 4), 0x05a5a5a5);
	assert_int_equal(rd(f, 0x13, 1), 0x05);
	wr(f, 0x10, 4, 0);
	assert_int_equal(t.val, 0xa0000000);
	wr(f, 0x10, 4, 0xffffffff);
	assert_int_equal(t.val, 0xafffffff);
	wr(f, 0x12, 2, 0x0000);
	assert_int_equal(t.val, 0xa000ffff);
}

static void test_rsvdz_reads_zero_and_writes_zero(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0xa5a5a5a5 };

	assert_int_equal(add_m(f, 0x10, 4, &t, 0, 0, 0, 0x0000000f), 0);
	assert_int_equal(rd(f, 0x10, 4), 0xa5a5a5a0);
	wr(f, 0x10, 4, 0xffffffff);
	assert_int_equal(t.val, 0xfffffff0);
	wr(f, 0x10, 4, 0);
	assert_int_equal(t.val, 0);
	/* Only RsvdZ: a full write needs no read of the current value. */
	assert_string_equal(f->log, "hr@10 hw@10=fffffff0 hw@10=0");
	t.val = 0xa5a5a5a5;
	wr(f, 0x11, 1, 0x77);
	assert_int_equal(t.val, 0xa5a577a0);
}

static void test_all_four_masks_on_a_32bit_register(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x12345678 };

	/* ro: byte 0, rw1c: byte 1, rsvdp: byte 2, rsvdz: byte 3 */
	assert_int_equal(add_m(f, 0x10, 4, &t, 0x000000ff, 0x0000ff00, 0x00ff0000,
			       0xff000000), 0);
	assert_int_equal(rd(f, 0x10, 4), 0x00005678);
	wr(f, 0x10, 4, 0xffffffff);
	assert_int_equal(t.val, 0x0034ff78);
	t.val = 0x12345678;
	wr(f, 0x10, 4, 0);
	assert_int_equal(t.val, 0x00340078);
	t.val = 0x12345678;
	wr(f, 0x12, 2, 0xffff);
	assert_int_equal(t.val, 0x00340078);
	t.val = 0x12345678;
	wr(f, 0x11, 1, 0x06);
	assert_int_equal(t.val, 0x00340678);
}

static void test_merge_without_read_callback_uses_all_ones(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0 };
	struct pvpci_reg_desc d = { .offset = 0x4, .size = 2, .write = h_write, .data = &t,
				    .ro_mask = 0x00f0, .rw1c_mask = 0x0f00 };

	assert_int_equal(pvpci_regs_add(f->r, &d), 0);
	wr(f, 0x4, 2, 0x0000);  /* RO bits from the all-ones current value, RW1C not set */
	assert_int_equal(t.val, 0x00f0);
	wr(f, 0x5, 1, 0x01);    /* narrow: the unwritten byte is all-ones but RW1C-free */
	assert_int_equal(t.val, 0x01ff);
}

static void test_masked_full_write_reads_current_first(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0xff };

	assert_int_equal(add_m(f, 0x4, 2, &t, 0x00f0, 0, 0, 0), 0);
	wr(f, 0x4, 2, 0x0000);
	assert_string_equal(f->log, "hr@4 hw@4=f0");
}

/* ---- randomized cross-check ---- */

/* A reference written bit by bit from the mask definitions: for each register bit, a
 * written bit becomes the guest's bit (normal, RW1C), the current bit (RO, RsvdP) or 0
 * (RsvdZ); an unwritten bit keeps the current bit except RW1C and RsvdZ (0). */
struct ref_reg {
	unsigned off, size;
	uint32_t cls[5]; /* normal, ro, rw1c, rsvdp, rsvdz */
	uint32_t val;
};

static uint32_t ref_merge(const struct ref_reg *g, uint32_t wbits, uint32_t data)
{
	uint32_t cur = g->val;

	return (wbits & (g->cls[0] | g->cls[2]) & data) | (wbits & (g->cls[1] | g->cls[3]) & cur) |
	       (~wbits & (g->cls[0] | g->cls[1] | g->cls[3]) & cur);
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void random_layout(struct fx *f, struct ref_reg *g, struct treg *t, unsigned *n,
			  uint64_t *seed)
{
	unsigned tries, k, b, c;

	for (tries = 0, *n = 0; tries < 200 && *n < 64; tries++) {
		struct ref_reg *x = &g[*n];

		memset(x, 0, sizeof(*x));
		x->size = 1u << (rnd(seed) % 3);
		x->off = (rnd(seed) % 64) & ~(x->size - 1);
		for (b = 0; b < 8 * x->size; b++) {
			c = rnd(seed) % 8;
			x->cls[c < 5 ? c : 0] |= 1u << b;
		}
		x->val = rnd(seed) & (x->size == 4 ? ~0u : (1u << (8 * x->size)) - 1);
		t[*n].val = x->val;
		k = add_m(f, x->off, x->size, &t[*n], x->cls[1], x->cls[2], x->cls[3], x->cls[4]);
		assert_true(k == 0 || k == (unsigned)-EEXIST);
		if (k == 0)
			(*n)++;
	}
}

static const struct ref_reg *ref_find(const struct ref_reg *g, unsigned n, unsigned byte)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (byte >= g[i].off && byte < g[i].off + g[i].size)
			return &g[i];
	return NULL;
}

static void random_access(struct fx *f, struct ref_reg *g, const struct treg *t, unsigned n,
			  uint8_t *ref_hw, uint64_t *seed)
{
	unsigned size = 1u << (rnd(seed) % 3), off = (rnd(seed) % 64) & ~(size - 1), b, i;
	uint32_t val = rnd(seed), expect = 0, wbits, data, v;
	const struct ref_reg *x;

	f->log[0] = 0;
	if (rnd(seed) & 1) {
		for (b = 0; b < size; b++) {
			x = ref_find(g, n, off + b);
			v = x ? (x->val & (x->cls[0] | x->cls[1] | x->cls[2])) >>
				(8 * (off + b - x->off)) : ref_hw[off + b];
			expect |= (v & 0xff) << (8 * b);
		}
		assert_int_equal(rd(f, off, size), expect);
		return;
	}
	wr(f, off, size, val);
	for (b = 0; b < size; b++)
		if (!ref_find(g, n, off + b))
			ref_hw[off + b] = (uint8_t)(val >> (8 * b));
	for (i = 0; i < n; i++) {
		if (g[i].off + g[i].size <= off || g[i].off >= off + size)
			continue;
		wbits = 0;
		for (b = 0; b < g[i].size; b++)
			if (g[i].off + b >= off && g[i].off + b < off + size)
				wbits |= 0xffu << (8 * b);
		data = g[i].off >= off ? val >> (8 * (g[i].off - off)) : val << (8 * (off - g[i].off));
		g[i].val = ref_merge(&g[i], wbits, data);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(t[i].val, g[i].val);
	assert_memory_equal(f->hw, ref_hw, 64);
}

static void test_random_accesses_match_reference_model(void **state)
{
	uint64_t seed = 0x5eed;
	unsigned layout_no, k, n;

	(void)state;
	for (layout_no = 0; layout_no < 50; layout_no++) {
		struct fx *f = fx_new(256, &gap_ops);
		struct ref_reg g[64];
		struct treg t[64];
		uint8_t ref_hw[64];

		memset(t, 0, sizeof(t));
		for (k = 0; k < 64; k++)
			f->hw[k] = ref_hw[k] = (uint8_t)rnd(&seed);
		random_layout(f, g, t, &n, &seed);
		assert_int_equal(pvpci_regs_count(f->r), n);
		for (k = 0; k < 2000; k++)
			random_access(f, g, t, n, ref_hw, &seed);
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gap_reads_all_ones_with_null_ops),
		cmocka_unit_test(test_gap_writes_dropped_with_null_ops),
		T(test_gap_read_goes_through_gap_ops),
		T(test_gap_write_goes_through_gap_ops),
		T(test_unhandled_dword_is_one_gap_call),
		T(test_read_spanning_three_registers_and_a_gap_byte),
		T(test_read_spanning_two_word_registers),
		T(test_partial_reads_inside_a_register),
		T(test_partial_write_merges_with_current_value),
		T(test_handler_value_beyond_width_is_masked),
		cmocka_unit_test(test_every_access_size_on_1_byte_registers),
		cmocka_unit_test(test_every_access_size_on_2_byte_registers),
		cmocka_unit_test(test_every_access_size_on_4_byte_registers),
		T(test_write_with_noncontiguous_gaps_makes_exact_calls),
		T(test_read_with_noncontiguous_gaps_makes_exact_calls),
		T(test_ro_mask_keeps_current_bits),
		T(test_rw1c_handler_gets_one_only_where_written),
		T(test_rsvdp_reads_zero_and_keeps_current),
		T(test_rsvdz_reads_zero_and_writes_zero),
		T(test_all_four_masks_on_a_32bit_register),
		T(test_merge_without_read_callback_uses_all_ones),
		cmocka_unit_test(test_random_accesses_match_reference_model),
		T(test_masked_full_write_reads_current_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
