/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/regs, the handler table: creation, validation of added handlers
 * (sizes, alignment, offset, callbacks, the six mask pairs, mask width, overlap), NULL
 * callbacks, removal and clearing, rejected accesses, error propagation and the end of a
 * 4096-byte config space.
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

/* ---- creation and validation ---- */

static void test_create_accepts_only_256_and_4096(void **state)
{
	static const unsigned bad[] = { 0, 1, 255, 257, 512, 4095, 4097, 8192 };
	struct pvpci_regs *r = (void *)1;
	unsigned i;

	(void)state;
	for (i = 0; i < PVPCI_ARRAY_SIZE(bad); i++) {
		assert_int_equal(pvpci_regs_create(bad[i], NULL, NULL, &r), -EINVAL);
		assert_null(r);
	}
	assert_int_equal(pvpci_regs_create(256, NULL, NULL, &r), 0);
	assert_int_equal(pvpci_regs_count(r), 0);
	pvpci_regs_destroy(r);
	assert_int_equal(pvpci_regs_create(4096, NULL, NULL, &r), 0);
	pvpci_regs_destroy(r);
	pvpci_regs_destroy(NULL);
}

static void test_add_and_read_registers_of_1_2_4_bytes(void **state)
{
	struct fx *f = *state;
	struct treg b = { .val = 0xab }, w = { .val = 0xbeef }, d = { .val = 0xdeadbeef };
	struct treg e = { .val = 0x5a };

	assert_int_equal(add(f, 0x3, 1, &b), 0);
	assert_int_equal(add(f, 0x6, 2, &w), 0);
	assert_int_equal(add(f, 0x10, 4, &d), 0);
	assert_int_equal(add(f, 0xff, 1, &e), 0);
	assert_int_equal(pvpci_regs_count(f->r), 4);
	assert_int_equal(rd(f, 0x3, 1), 0xab);
	assert_int_equal(rd(f, 0x6, 2), 0xbeef);
	assert_int_equal(rd(f, 0x10, 4), 0xdeadbeef);
	assert_int_equal(rd(f, 0xff, 1), 0x5a);
	assert_true(pvpci_regs_is_handled(f->r, 0x7));
	assert_true(pvpci_regs_is_handled(f->r, 0x13));
	assert_false(pvpci_regs_is_handled(f->r, 0x2));
	assert_false(pvpci_regs_is_handled(f->r, 0x14));
	assert_false(pvpci_regs_is_handled(f->r, 0x100));
	assert_string_equal(f->log, "hr@3 hr@6 hr@10 hr@ff");
}

static void test_write_registers_of_1_2_4_bytes(void **state)
{
	struct fx *f = *state;
	struct treg b = { 0 }, w = { 0 }, d = { 0 };

	assert_int_equal(add(f, 0x21, 1, &b), 0);
	assert_int_equal(add(f, 0x42, 2, &w), 0);
	assert_int_equal(add(f, 0x84, 4, &d), 0);
	wr(f, 0x21, 1, 0x12);
	wr(f, 0x42, 2, 0x3456);
	wr(f, 0x84, 4, 0x789abcde);
	assert_int_equal(b.val, 0x12);
	assert_int_equal(w.val, 0x3456);
	assert_int_equal(d.val, 0x789abcde);
	/* Full-width writes without masks do not read first. */
	assert_string_equal(f->log, "hw@21=12 hw@42=3456 hw@84=789abcde");
}

static void test_add_rejects_overlap_with_eexist(void **state)
{
	struct fx *f = *state;
	struct treg t = { 0 };

	assert_int_equal(add(f, 0x10, 4, &t), 0);
	assert_int_equal(add(f, 0x10, 4, &t), -EEXIST);
	assert_int_equal(add(f, 0x10, 2, &t), -EEXIST);
	assert_int_equal(add(f, 0x12, 2, &t), -EEXIST);
	assert_int_equal(add(f, 0x13, 1, &t), -EEXIST);
	assert_int_equal(add(f, 0x23, 1, &t), 0);
	assert_int_equal(add(f, 0x20, 4, &t), -EEXIST);
	assert_int_equal(add(f, 0x22, 2, &t), -EEXIST);
	assert_int_equal(pvpci_regs_count(f->r), 2);
	assert_false(pvpci_regs_is_handled(f->r, 0x20));
}

static void test_add_rejects_misaligned(void **state)
{
	struct fx *f = *state;
	struct treg t = { 0 };

	assert_int_equal(add(f, 0x1, 2, &t), -EINVAL);
	assert_int_equal(add(f, 0x2, 4, &t), -EINVAL);
	assert_int_equal(add(f, 0x1, 4, &t), -EINVAL);
	assert_int_equal(add(f, 0x3, 4, &t), -EINVAL);
	assert_int_equal(pvpci_regs_count(f->r), 0);
}

static void test_add_rejects_bad_size(void **state)
{
	struct fx *f = *state;
	struct treg t = { 0 };

	assert_int_equal(add(f, 0x0, 0, &t), -EINVAL);
	assert_int_equal(add(f, 0x0, 3, &t), -EINVAL);
	assert_int_equal(add(f, 0x0, 5, &t), -EINVAL);
	assert_int_equal(add(f, 0x0, 8, &t), -EINVAL);
	assert_int_equal(pvpci_regs_count(f->r), 0);
}

static void test_add_rejects_offset_beyond_cfg_size(void **state)
{
	struct fx *f = *state;
	struct treg t = { 0 };

	assert_int_equal(add(f, 0x100, 1, &t), -EINVAL);
	assert_int_equal(add(f, 0xffc, 4, &t), -EINVAL);
	assert_int_equal(add(f, UINT_MAX - 3, 4, &t), -EINVAL);
	assert_int_equal(add(f, 0xfc, 4, &t), 0);
}

static void test_add_rejects_no_callbacks(void **state)
{
	struct fx *f = *state;
	struct pvpci_reg_desc d = { .offset = 0x10, .size = 4 };

	assert_int_equal(pvpci_regs_add(f->r, &d), -EINVAL);
	assert_int_equal(pvpci_regs_count(f->r), 0);
}

static void test_add_rejects_each_overlapping_mask_pair(void **state)
{
	struct fx *f = *state;
	struct treg t = { 0 };

	assert_int_equal(add_m(f, 0x10, 4, &t, 0x1, 0x1, 0, 0), -EINVAL); /* ro & rw1c */
	assert_int_equal(add_m(f, 0x10, 4, &t, 0x2, 0, 0x2, 0), -EINVAL); /* ro & rsvdp */
	assert_int_equal(add_m(f, 0x10, 4, &t, 0x4, 0, 0, 0x4), -EINVAL); /* ro & rsvdz */
	assert_int_equal(add_m(f, 0x10, 4, &t, 0, 0x8, 0x8, 0), -EINVAL); /* rw1c & rsvdp */
	assert_int_equal(add_m(f, 0x10, 4, &t, 0, 0x10, 0, 0x10), -EINVAL); /* rw1c & rsvdz */
	assert_int_equal(add_m(f, 0x10, 4, &t, 0, 0, 0x20, 0x20), -EINVAL); /* rsvdp & rsvdz */
	assert_int_equal(pvpci_regs_count(f->r), 0);
	assert_int_equal(add_m(f, 0x10, 4, &t, 0x1, 0x2, 0x4, 0x8), 0);
}

static void test_add_rejects_mask_bits_beyond_size(void **state)
{
	struct fx *f = *state;
	struct treg t = { 0 };

	assert_int_equal(add_m(f, 0x10, 1, &t, 0x100, 0, 0, 0), -EINVAL);
	assert_int_equal(add_m(f, 0x10, 1, &t, 0, 0x100, 0, 0), -EINVAL);
	assert_int_equal(add_m(f, 0x10, 1, &t, 0, 0, 0x100, 0), -EINVAL);
	assert_int_equal(add_m(f, 0x10, 1, &t, 0, 0, 0, 0x80000000), -EINVAL);
	assert_int_equal(add_m(f, 0x10, 2, &t, 0x10000, 0, 0, 0), -EINVAL);
	assert_int_equal(add_m(f, 0x10, 2, &t, 0, 0, 0, 0xffff0000), -EINVAL);
	assert_int_equal(pvpci_regs_count(f->r), 0);
	assert_int_equal(add_m(f, 0x10, 2, &t, 0xff00, 0, 0, 0x00ff), 0);
	assert_int_equal(add_m(f, 0x14, 4, &t, 0xffffffff, 0, 0, 0), 0);
}

static void test_null_read_callback_reads_all_ones(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x1234 };
	struct pvpci_reg_desc d = { .offset = 0x8, .size = 2, .write = h_write, .data = &t };

	assert_int_equal(pvpci_regs_add(f->r, &d), 0);
	f->hw[0xa] = 0x11;
	f->hw[0xb] = 0x22;
	assert_int_equal(rd(f, 0x8, 2), 0xffff);
	assert_int_equal(rd(f, 0x8, 4), 0x2211ffff);
	assert_string_equal(f->log, "gr@a/2");
}

static void test_null_write_callback_ignores_writes(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x1234 };
	struct pvpci_reg_desc d = { .offset = 0x8, .size = 2, .read = h_read, .data = &t,
				    .ro_mask = 0xff };

	assert_int_equal(pvpci_regs_add(f->r, &d), 0);
	wr(f, 0x8, 2, 0xffff);
	wr(f, 0x9, 1, 0x00);
	assert_int_equal(t.val, 0x1234);
	assert_string_equal(f->log, "");
	wr(f, 0x8, 4, 0xaabbccdd); /* the gap half still goes through */
	assert_string_equal(f->log, "gw@a/2=aabb");
	assert_int_equal(t.val, 0x1234);
}

/* ---- removal ---- */

static void test_remove_registers_inside_range(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 1 }, b = { .val = 2 }, c = { .val = 3 };

	assert_int_equal(add(f, 0x10, 4, &a), 0);
	assert_int_equal(add(f, 0x14, 2, &b), 0);
	assert_int_equal(add(f, 0x18, 1, &c), 0);
	assert_int_equal(pvpci_regs_remove(f->r, 0x10, 6), 0);
	assert_int_equal(pvpci_regs_count(f->r), 1);
	assert_false(pvpci_regs_is_handled(f->r, 0x10));
	assert_false(pvpci_regs_is_handled(f->r, 0x15));
	assert_true(pvpci_regs_is_handled(f->r, 0x18));
	f->hw[0x10] = 0x77;
	assert_int_equal(rd(f, 0x10, 4), 0x77);
	assert_string_equal(f->log, "gr@10/4");
	assert_int_equal(pvpci_regs_remove(f->r, 0, 256), 0);
	assert_int_equal(pvpci_regs_count(f->r), 0);
}

static void test_remove_partial_overlap_fails_and_removes_nothing(void **state)
{
	struct fx *f = *state;
	struct treg a = { 0 }, b = { 0 };

	assert_int_equal(add(f, 0x10, 4, &a), 0);
	assert_int_equal(add(f, 0x14, 1, &b), 0);
	assert_int_equal(pvpci_regs_remove(f->r, 0x12, 4), -ERANGE);
	assert_int_equal(pvpci_regs_remove(f->r, 0x0c, 6), -ERANGE);
	assert_int_equal(pvpci_regs_remove(f->r, 0x11, 1), -ERANGE);
	assert_int_equal(pvpci_regs_count(f->r), 2);
	assert_true(pvpci_regs_is_handled(f->r, 0x10));
	assert_true(pvpci_regs_is_handled(f->r, 0x14));
	assert_int_equal(pvpci_regs_remove(f->r, 0x14, 2), 0);
	assert_int_equal(pvpci_regs_count(f->r), 1);
}

static void test_remove_then_add_again(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 0xaaaa }, b = { .val = 0xbbbb };

	assert_int_equal(add(f, 0x20, 2, &a), 0);
	assert_int_equal(pvpci_regs_remove(f->r, 0x20, 2), 0);
	assert_int_equal(add(f, 0x20, 2, &b), 0);
	assert_int_equal(rd(f, 0x20, 2), 0xbbbb);
	assert_int_equal(pvpci_regs_count(f->r), 1);
}

static void test_clear_removes_every_handler(void **state)
{
	struct fx *f = *state;
	struct treg t[64];
	unsigned i;

	for (i = 0; i < 64; i++) /* more than the first slot allocation */
		assert_int_equal(add(f, i * 4, 4, &t[i]), 0);
	assert_int_equal(pvpci_regs_count(f->r), 64);
	pvpci_regs_clear(f->r);
	assert_int_equal(pvpci_regs_count(f->r), 0);
	for (i = 0; i < 256; i++)
		assert_false(pvpci_regs_is_handled(f->r, i));
	assert_int_equal(add(f, 0x0, 4, &t[0]), 0);
}

/* ---- rejected accesses and errors ---- */

static void test_bad_accesses_rejected_without_calls(void **state)
{
	static const struct { unsigned off, size; } bad[] = {
		{ 0x0, 0 }, { 0x0, 3 }, { 0x0, 8 }, { 0x1, 2 }, { 0x2, 4 }, { 0x3, 4 },
		{ 0x100, 1 }, { 0xfe, 4 }, { 0xff, 2 }, { UINT_MAX, 1 }, { UINT_MAX - 3, 4 },
	};
	struct fx *f = *state;
	struct treg t = { 0 };
	unsigned i;
	uint32_t v;

	assert_int_equal(add(f, 0x0, 4, &t), 0);
	assert_int_equal(add(f, 0xfc, 4, &t), 0);
	for (i = 0; i < PVPCI_ARRAY_SIZE(bad); i++) {
		v = 0;
		assert_int_equal(pvpci_regs_read(f->r, bad[i].off, bad[i].size, &v), -EINVAL);
		assert_int_equal(v, 0xffffffff);
		assert_int_equal(pvpci_regs_write(f->r, bad[i].off, bad[i].size, 0), -EINVAL);
	}
	assert_string_equal(f->log, "");
}

static void test_handler_read_error_fails_the_access(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x12, .read_err = -EIO };
	uint32_t v = 0;

	assert_int_equal(add(f, 0x21, 1, &t), 0);
	assert_int_equal(pvpci_regs_read(f->r, 0x21, 1, &v), -EIO);
	assert_int_equal(v, 0xffffffff);
	v = 0;
	assert_int_equal(pvpci_regs_read(f->r, 0x20, 4, &v), -EIO);
	assert_int_equal(v, 0xffffffff);
	/* A narrow write must read first: the error fails it before any write call. */
	t.read_err = -EACCES;
	f->log[0] = 0;
	assert_int_equal(add(f, 0x24, 4, &t), 0);
	assert_int_equal(pvpci_regs_write(f->r, 0x24, 2, 0), -EACCES);
	assert_string_equal(f->log, "hr@24");
	/* So does a full-width write to a register with preserving masks. */
	f->log[0] = 0;
	assert_int_equal(add_m(f, 0x28, 4, &t, 0x1, 0, 0, 0), 0);
	assert_int_equal(pvpci_regs_write(f->r, 0x28, 4, 0), -EACCES);
	assert_string_equal(f->log, "hr@28");
}

static void test_handler_write_error_fails_the_access(void **state)
{
	struct fx *f = *state;
	struct treg t = { .write_err = -EACCES };

	assert_int_equal(add(f, 0x22, 2, &t), 0);
	assert_int_equal(pvpci_regs_write(f->r, 0x22, 2, 1), -EACCES);
	assert_int_equal(pvpci_regs_write(f->r, 0x20, 4, 1), -EACCES);
}

static void test_gap_error_fails_the_access(void **state)
{
	struct fx *f = *state;
	struct treg t = { .val = 0x12 };
	uint32_t v = 0;

	assert_int_equal(add(f, 0x20, 1, &t), 0);
	f->gap_read_err = -EIO;
	f->gap_write_err = -EPERM;
	assert_int_equal(pvpci_regs_read(f->r, 0x40, 4, &v), -EIO);
	assert_int_equal(v, 0xffffffff);
	v = 0;
	assert_int_equal(pvpci_regs_read(f->r, 0x20, 4, &v), -EIO);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pvpci_regs_write(f->r, 0x40, 2, 0), -EPERM);
	assert_int_equal(rd(f, 0x20, 1), 0x12);
	/* Parts are applied in offset order: the handler at 0x20 is written before the
	 * failing gap at 0x21. */
	assert_int_equal(pvpci_regs_write(f->r, 0x20, 4, 0), -EPERM);
	assert_int_equal(t.val, 0);
}

static void test_handled_read_makes_no_gap_call(void **state)
{
	struct fx *f = *state;
	struct treg a = { .val = 0x0107 }, b = { .val = 0x0010 };

	assert_int_equal(add(f, 0x4, 2, &a), 0);
	assert_int_equal(add(f, 0x6, 2, &b), 0);
	assert_int_equal(rd(f, 0x4, 4), 0x00100107);
	wr(f, 0x4, 4, 0x00000106);
	assert_string_equal(f->log, "hr@4 hr@6 hw@4=106 hw@6=0");
}

static void test_config_4096_accesses_near_the_end(void **state)
{
	struct fx *f = fx_new(4096, &gap_ops);
	struct treg t = { .val = 0xcafef00d };
	uint32_t v;

	(void)state;
	assert_int_equal(add(f, 0xffe, 4, &t), -EINVAL);
	assert_int_equal(add(f, 0xffc, 4, &t), 0);
	assert_int_equal(rd(f, 0xffc, 4), 0xcafef00d);
	assert_int_equal(rd(f, 0xffe, 2), 0xcafe);
	assert_int_equal(rd(f, 0xfff, 1), 0xca);
	wr(f, 0xfff, 1, 0x0b);
	assert_int_equal(t.val, 0x0bfef00d);
	f->hw[0xff8] = 0x5a;
	assert_int_equal(rd(f, 0xff8, 4), 0x5a);
	assert_int_equal(pvpci_regs_read(f->r, 0x1000, 1, &v), -EINVAL);
	assert_int_equal(pvpci_regs_read(f->r, 0xffe, 4, &v), -EINVAL);
	assert_int_equal(pvpci_regs_write(f->r, 0xffd, 2, 0), -EINVAL);
	assert_int_equal(pvpci_regs_remove(f->r, 0xff0, 0x100), 0);
	assert_int_equal(pvpci_regs_count(f->r), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_accepts_only_256_and_4096),
		T(test_add_and_read_registers_of_1_2_4_bytes),
		T(test_write_registers_of_1_2_4_bytes),
		T(test_add_rejects_overlap_with_eexist),
		T(test_add_rejects_misaligned),
		T(test_add_rejects_bad_size),
		T(test_add_rejects_offset_beyond_cfg_size),
		T(test_add_rejects_no_callbacks),
		T(test_add_rejects_each_overlapping_mask_pair),
		T(test_add_rejects_mask_bits_beyond_size),
		T(test_null_read_callback_reads_all_ones),
		T(test_null_write_callback_ignores_writes),
		T(test_remove_registers_inside_range),
		T(test_remove_partial_overlap_fails_and_removes_nothing),
		T(test_remove_then_add_again),
		T(test_clear_removes_every_handler),
		T(test_bad_accesses_rejected_without_calls),
		T(test_handler_read_error_fails_the_access),
		T(test_handler_write_error_fails_the_access),
		T(test_gap_error_fails_the_access),
		T(test_handled_read_makes_no_gap_call),
		cmocka_unit_test(test_config_4096_accesses_near_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
