/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pci module's address syntaxes: plain SBDFs in both forms, printing,
 * wildcard patterns and matching, and pciback's hide list, each error checked for the
 * byte position and the words of its message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pvpci/pci.h"

static struct pvpci_sbdf mk(unsigned seg, unsigned bus, unsigned dev, unsigned fn)
{
	struct pvpci_sbdf a = { (uint16_t)seg, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn };
	return a;
}

/* Parses s as an SBDF expecting failure at pos with msg containing want. */
static void sbdf_fails(const char *s, size_t pos, const char *want)
{
	struct pvpci_parse_err err = { 0 };
	struct pvpci_sbdf a;

	assert_int_equal(pvpci_sbdf_parse(s, &a, &err), -EINVAL);
	assert_int_equal(err.pos, pos);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_sbdf_long_form(void **state)
{
	struct pvpci_parse_err err;
	struct pvpci_sbdf a;

	(void)state;
	assert_int_equal(pvpci_sbdf_parse("0001:0a:1f.7", &a, &err), 0);
	assert_true(pvpci_sbdf_eq(a, mk(1, 0x0a, 0x1f, 7)));
}

static void test_sbdf_short_form(void **state)
{
	struct pvpci_parse_err err;
	struct pvpci_sbdf a;

	(void)state;
	assert_int_equal(pvpci_sbdf_parse("03:00.1", &a, &err), 0);
	assert_true(pvpci_sbdf_eq(a, mk(0, 3, 0, 1)));
}

static void test_sbdf_uppercase_and_short_fields(void **state)
{
	struct pvpci_parse_err err;
	struct pvpci_sbdf a;

	(void)state;
	assert_int_equal(pvpci_sbdf_parse("ABCD:Ef:1.2", &a, &err), 0);
	assert_true(pvpci_sbdf_eq(a, mk(0xabcd, 0xef, 1, 2)));
	assert_int_equal(pvpci_sbdf_parse("0:0:0.0", &a, &err), 0);
	assert_true(pvpci_sbdf_eq(a, mk(0, 0, 0, 0)));
}

static void test_sbdf_str(void **state)
{
	char buf[PVPCI_SBDF_STRLEN];

	(void)state;
	assert_string_equal(pvpci_sbdf_str(mk(0, 3, 0x1f, 7), buf), "0000:03:1f.7");
	assert_string_equal(pvpci_sbdf_str(mk(0xffff, 0xff, 0, 0), buf), "ffff:ff:00.0");
}

static void test_sbdf_function_out_of_range(void **state)
{
	(void)state;
	sbdf_fails("00:03.9", 6, "function 9 out of range 0-7");
}

static void test_sbdf_device_out_of_range(void **state)
{
	(void)state;
	sbdf_fails("0000:00:20.0", 8, "device 20 out of range 0-1f");
}

static void test_sbdf_domain_then_dot(void **state)
{
	(void)state;
	/* The xcp-ng user error: a domain followed by "bus.dev.fn". */
	sbdf_fails("0000:82.0.0", 7, "expected ':' at 7, found '.'");
}

static void test_sbdf_trailing_garbage(void **state)
{
	(void)state;
	sbdf_fails("00:03.0x", 7, "expected end of address at 7");
}

static void test_sbdf_empty(void **state)
{
	(void)state;
	sbdf_fails("", 0, "expected hex digit at 0, found end of input");
}

static void test_sbdf_missing_function(void **state)
{
	(void)state;
	sbdf_fails("00:03", 5, "expected ':' or '.' at 5");
	sbdf_fails("0000:00:03", 10, "expected '.' at 10");
	sbdf_fails("00:03.", 6, "expected hex digit at 6");
}

static void test_sbdf_too_many_digits(void **state)
{
	(void)state;
	sbdf_fails("00000:00:00.0", 4, "expected ':' at 4, found '0'");
	sbdf_fails("00:000.0", 5, "expected ':' or '.' at 5, found '0'");
}

static void test_sbdf_rejects_wildcards(void **state)
{
	(void)state;
	sbdf_fails("00:*.0", 3, "expected hex digit at 3, found '*'");
	sbdf_fails("00:01.*", 6, "expected hex digit at 6, found '*'");
}

static void test_sbdf_nonprintable_named(void **state)
{
	(void)state;
	sbdf_fails("00:\x01", 3, "byte 0x01");
}

static void test_pattern_wildcard_function(void **state)
{
	struct pvpci_sbdf_pattern p;
	struct pvpci_parse_err err;

	(void)state;
	assert_int_equal(pvpci_pattern_parse("04:00.*", &p, &err), 0);
	assert_false(p.any_dev);
	assert_true(p.any_fn);
	assert_true(pvpci_pattern_match(&p, mk(0, 4, 0, 0)));
	assert_true(pvpci_pattern_match(&p, mk(0, 4, 0, 7)));
	assert_false(pvpci_pattern_match(&p, mk(0, 4, 1, 0)));
	assert_false(pvpci_pattern_match(&p, mk(1, 4, 0, 0)));
}

static void test_pattern_wildcard_slot_and_function(void **state)
{
	struct pvpci_sbdf_pattern p;
	struct pvpci_parse_err err;

	(void)state;
	assert_int_equal(pvpci_pattern_parse("0002:05:*.*", &p, &err), 0);
	assert_true(p.any_dev && p.any_fn);
	assert_true(pvpci_pattern_match(&p, mk(2, 5, 0x1f, 3)));
	assert_false(pvpci_pattern_match(&p, mk(2, 6, 0, 0)));
	assert_false(pvpci_pattern_match(&p, mk(0, 5, 0, 0)));
}

static void test_pattern_wildcard_slot_only(void **state)
{
	struct pvpci_sbdf_pattern p;
	struct pvpci_parse_err err;

	(void)state;
	assert_int_equal(pvpci_pattern_parse("05:*.1", &p, &err), 0);
	assert_true(p.any_dev);
	assert_false(p.any_fn);
	assert_true(pvpci_pattern_match(&p, mk(0, 5, 9, 1)));
	assert_false(pvpci_pattern_match(&p, mk(0, 5, 9, 2)));
}

static void test_pattern_exact(void **state)
{
	struct pvpci_sbdf_pattern p;
	struct pvpci_parse_err err;

	(void)state;
	assert_int_equal(pvpci_pattern_parse("0000:03:00.0", &p, &err), 0);
	assert_false(p.any_dev || p.any_fn);
	assert_true(pvpci_pattern_match(&p, mk(0, 3, 0, 0)));
	assert_false(pvpci_pattern_match(&p, mk(0, 3, 0, 1)));
}

static void test_pattern_errors(void **state)
{
	struct pvpci_sbdf_pattern p;
	struct pvpci_parse_err err = { 0 };

	(void)state;
	assert_int_equal(pvpci_pattern_parse("*:00.0", &p, &err), -EINVAL);
	assert_int_equal(err.pos, 0);
	assert_int_equal(pvpci_pattern_parse("0000:*:00.0", &p, &err), -EINVAL);
	assert_int_equal(err.pos, 5);
	assert_int_equal(pvpci_pattern_parse("00:00.**", &p, &err), -EINVAL);
	assert_int_equal(err.pos, 7);
	assert_non_null(strstr(err.msg, "expected end of address at 7"));
}

static void test_hide_list_two_entries(void **state)
{
	struct pvpci_sbdf_pattern p[4];
	struct pvpci_parse_err err;
	size_t n = 99;

	(void)state;
	assert_int_equal(pvpci_hide_list_parse("(0000:03:00.0)(04:00.*)", p, 4, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_true(pvpci_sbdf_eq(p[0].a, mk(0, 3, 0, 0)));
	assert_false(p[0].any_fn);
	assert_true(pvpci_sbdf_eq(p[1].a, mk(0, 4, 0, 0)));
	assert_true(p[1].any_fn);
}

static void test_hide_list_whitespace(void **state)
{
	struct pvpci_sbdf_pattern p[4];
	struct pvpci_parse_err err;
	size_t n = 0;

	(void)state;
	assert_int_equal(pvpci_hide_list_parse("  ( 0000:03:00.0 )\t\n(\t05:*.* )  ", p, 4, &n,
					       &err), 0);
	assert_int_equal(n, 2);
	assert_true(pvpci_pattern_match(&p[1], mk(0, 5, 0x11, 6)));
	assert_true(pvpci_pattern_match(&p[0], mk(0, 3, 0, 0)));
}

static void test_hide_list_empty(void **state)
{
	struct pvpci_sbdf_pattern p[1];
	struct pvpci_parse_err err;
	size_t n = 5;

	(void)state;
	assert_int_equal(pvpci_hide_list_parse("  ", p, 1, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void hide_fails(const char *s, int rc, size_t pos, const char *want)
{
	struct pvpci_sbdf_pattern p[2];
	struct pvpci_parse_err err = { 0 };
	size_t n = 9;

	assert_int_equal(pvpci_hide_list_parse(s, p, 2, &n, &err), rc);
	assert_int_equal(n, 0);
	assert_int_equal(err.pos, pos);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_hide_list_domain_then_dot(void **state)
{
	(void)state;
	hide_fails("(0000:82.0.0)", -EINVAL, 8, "expected ':' at 8, found '.'");
}

static void test_hide_list_missing_close(void **state)
{
	(void)state;
	hide_fails("(0000:03:00.0)(04:00.1", -EINVAL, 22, "expected ')' at 22, found end");
	hide_fails("(0000:03:00.0 x)", -EINVAL, 14, "expected ')' at 14, found 'x'");
}

static void test_hide_list_missing_open(void **state)
{
	(void)state;
	hide_fails("0000:03:00.0", -EINVAL, 0, "expected '(' at 0");
	hide_fails("(03:00.0),(04:00.0)", -EINVAL, 9, "expected '(' at 9, found ','");
}

static void test_hide_list_bad_function(void **state)
{
	(void)state;
	hide_fails("(03:00.0)( 04:00.8)", -EINVAL, 17, "function 8 out of range 0-7 at 17");
}

static void test_hide_list_too_many(void **state)
{
	(void)state;
	hide_fails("(1:0.0)(2:0.0)(3:0.0)", -E2BIG, 14, "more than 2 entries");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbdf_long_form),
		cmocka_unit_test(test_sbdf_short_form),
		cmocka_unit_test(test_sbdf_uppercase_and_short_fields),
		cmocka_unit_test(test_sbdf_str),
		cmocka_unit_test(test_sbdf_function_out_of_range),
		cmocka_unit_test(test_sbdf_device_out_of_range),
		cmocka_unit_test(test_sbdf_domain_then_dot),
		cmocka_unit_test(test_sbdf_trailing_garbage),
		cmocka_unit_test(test_sbdf_empty),
		cmocka_unit_test(test_sbdf_missing_function),
		cmocka_unit_test(test_sbdf_too_many_digits),
		cmocka_unit_test(test_sbdf_rejects_wildcards),
		cmocka_unit_test(test_sbdf_nonprintable_named),
		cmocka_unit_test(test_pattern_wildcard_function),
		cmocka_unit_test(test_pattern_wildcard_slot_and_function),
		cmocka_unit_test(test_pattern_wildcard_slot_only),
		cmocka_unit_test(test_pattern_exact),
		cmocka_unit_test(test_pattern_errors),
		cmocka_unit_test(test_hide_list_two_entries),
		cmocka_unit_test(test_hide_list_whitespace),
		cmocka_unit_test(test_hide_list_empty),
		cmocka_unit_test(test_hide_list_domain_then_dot),
		cmocka_unit_test(test_hide_list_missing_close),
		cmocka_unit_test(test_hide_list_missing_open),
		cmocka_unit_test(test_hide_list_bad_function),
		cmocka_unit_test(test_hide_list_too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
