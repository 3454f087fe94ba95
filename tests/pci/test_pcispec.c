/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of xl's PCI spec parser: the address forms, '@vslot', every option key with
 * each accepted value, the defaults when absent, and each error with its position.
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

static void spec_ok(const char *s, struct pvpci_pci_spec *sp)
{
	struct pvpci_parse_err err = { 0 };

	if (pvpci_pci_spec_parse(s, sp, &err))
		fail_msg("\"%s\" rejected: %s", s, err.msg);
}

static void spec_fails(const char *s, size_t pos, const char *want)
{
	struct pvpci_parse_err err = { 0 };
	struct pvpci_pci_spec sp;

	assert_int_equal(pvpci_pci_spec_parse(s, &sp, &err), -EINVAL);
	assert_int_equal(err.pos, pos);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_spec_bdf_alone_has_defaults(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("03:00.1", &sp);
	assert_int_equal(sp.addr.a.seg, 0);
	assert_int_equal(sp.addr.a.bus, 3);
	assert_int_equal(sp.addr.a.dev, 0);
	assert_int_equal(sp.addr.a.fn, 1);
	assert_false(sp.addr.any_fn);
	assert_int_equal(sp.vslot, -1);
	assert_int_equal(sp.permissive, -1);
	assert_int_equal(sp.msitranslate, -1);
	assert_int_equal(sp.power_mgmt, -1);
	assert_int_equal(sp.seize, -1);
	assert_int_equal(sp.rdm_policy, PVPCI_RDM_UNSET);
	assert_string_equal(sp.name, "");
}

static void test_spec_domain_form(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("0001:82:1f.7", &sp);
	assert_int_equal(sp.addr.a.seg, 1);
	assert_int_equal(sp.addr.a.bus, 0x82);
	assert_int_equal(sp.addr.a.dev, 0x1f);
	assert_int_equal(sp.addr.a.fn, 7);
}

static void test_spec_all_functions(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("0000:04:00.*", &sp);
	assert_true(sp.addr.any_fn);
	assert_false(sp.addr.any_dev);
}

static void test_spec_vslot_hex(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("03:00.0@1f", &sp);
	assert_int_equal(sp.vslot, 0x1f);
	spec_ok("03:00.0@a,permissive=1", &sp);
	assert_int_equal(sp.vslot, 0xa);
	assert_int_equal(sp.permissive, 1);
}

static void test_spec_flags_each_value(void **state)
{
	static const char *keys[] = { "permissive", "msitranslate", "power_mgmt", "seize" };
	struct pvpci_pci_spec sp;
	char s[64];

	(void)state;
	for (int v = 0; v <= 1; v++) {
		for (size_t k = 0; k < 4; k++) {
			int got[4];

			snprintf(s, sizeof(s), "03:00.0,%s=%d", keys[k], v);
			spec_ok(s, &sp);
			got[0] = sp.permissive;
			got[1] = sp.msitranslate;
			got[2] = sp.power_mgmt;
			got[3] = sp.seize;
			for (size_t j = 0; j < 4; j++)
				assert_int_equal(got[j], j == k ? v : -1);
		}
	}
}

static void test_spec_rdm_policy(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("03:00.0,rdm_policy=strict", &sp);
	assert_int_equal(sp.rdm_policy, PVPCI_RDM_STRICT);
	spec_ok("03:00.0,rdm_policy=relaxed", &sp);
	assert_int_equal(sp.rdm_policy, PVPCI_RDM_RELAXED);
}

static void test_spec_name(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("03:00.0,name=gpu 0 (main)", &sp);
	assert_string_equal(sp.name, "gpu 0 (main)");
}

static void test_spec_all_keys_together(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("0000:03:00.2@3,permissive=1,msitranslate=0,power_mgmt=1,seize=0,"
		"rdm_policy=relaxed,name=nic", &sp);
	assert_int_equal(sp.addr.a.fn, 2);
	assert_int_equal(sp.vslot, 3);
	assert_int_equal(sp.permissive, 1);
	assert_int_equal(sp.msitranslate, 0);
	assert_int_equal(sp.power_mgmt, 1);
	assert_int_equal(sp.seize, 0);
	assert_int_equal(sp.rdm_policy, PVPCI_RDM_RELAXED);
	assert_string_equal(sp.name, "nic");
}

static void test_spec_empty(void **state)
{
	(void)state;
	spec_fails("", 0, "empty PCI spec");
}

static void test_spec_bad_address(void **state)
{
	(void)state;
	spec_fails("0000:82.0.0", 7, "expected ':' at 7");
	spec_fails("03:*.0", 3, "expected hex digit at 3, found '*'");
	spec_fails("03:00.8", 6, "function 8 out of range 0-7");
}

static void test_spec_unknown_key(void **state)
{
	(void)state;
	spec_fails("03:00.0,permisive=1", 8, "unknown key 'permisive' at 8");
}

static void test_spec_bad_bool(void **state)
{
	(void)state;
	spec_fails("03:00.0,seize=2", 14, "expected 0 or 1 at 14");
	spec_fails("03:00.0,seize=", 14, "expected 0 or 1 at 14");
	spec_fails("03:00.0,seize=10", 14, "expected 0 or 1 at 14");
}

static void test_spec_bad_rdm_policy(void **state)
{
	(void)state;
	spec_fails("03:00.0,rdm_policy=loose", 19, "expected 'strict' or 'relaxed' at 19");
}

static void test_spec_duplicate_key(void **state)
{
	(void)state;
	spec_fails("03:00.0,seize=1,permissive=0,seize=0", 29, "duplicate key 'seize' at 29");
}

static void test_spec_vslot_out_of_range(void **state)
{
	(void)state;
	spec_fails("03:00.0@20", 8, "vslot 20 out of range 0-1f at 8");
	spec_fails("03:00.0@100", 8, "out of range");
	spec_fails("03:00.0@", 8, "expected a hex slot number after '@' at 8");
}

static void test_spec_missing_equals(void **state)
{
	(void)state;
	spec_fails("03:00.0,seize", 13, "expected '=' at 13");
}

static void test_spec_empty_key(void **state)
{
	(void)state;
	spec_fails("03:00.0,", 8, "expected a key at 8");
	spec_fails("03:00.0,,seize=1", 8, "expected a key at 8");
}

static void test_spec_garbage_after_address(void **state)
{
	(void)state;
	spec_fails("03:00.0 seize=1", 7, "expected ',' or end at 7, found ' '");
	spec_fails("03:00.0@3x", 9, "expected ',' or end at 9, found 'x'");
}

static void test_spec_name_rules(void **state)
{
	char s[128];

	(void)state;
	spec_fails("03:00.0,name=", 13, "expected a name at 13");
	spec_fails("03:00.0,name=a\tb", 14, "expected a printable character at 14");
	memset(s, 0, sizeof(s));
	strcpy(s, "03:00.0,name=");
	memset(s + 13, 'x', 64);
	spec_fails(s, 13 + 63, "name longer than 63 bytes");
	s[13 + 63] = 0; /* exactly 63 bytes is accepted */
	{
		struct pvpci_pci_spec sp;

		spec_ok(s, &sp);
		assert_int_equal(strlen(sp.name), 63);
	}
}

static void test_spec_name_stops_at_comma(void **state)
{
	struct pvpci_pci_spec sp;

	(void)state;
	spec_ok("03:00.0,name=a,seize=1", &sp);
	assert_string_equal(sp.name, "a");
	assert_int_equal(sp.seize, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_bdf_alone_has_defaults),
		cmocka_unit_test(test_spec_domain_form),
		cmocka_unit_test(test_spec_all_functions),
		cmocka_unit_test(test_spec_vslot_hex),
		cmocka_unit_test(test_spec_flags_each_value),
		cmocka_unit_test(test_spec_rdm_policy),
		cmocka_unit_test(test_spec_name),
		cmocka_unit_test(test_spec_all_keys_together),
		cmocka_unit_test(test_spec_empty),
		cmocka_unit_test(test_spec_bad_address),
		cmocka_unit_test(test_spec_unknown_key),
		cmocka_unit_test(test_spec_bad_bool),
		cmocka_unit_test(test_spec_bad_rdm_policy),
		cmocka_unit_test(test_spec_duplicate_key),
		cmocka_unit_test(test_spec_vslot_out_of_range),
		cmocka_unit_test(test_spec_missing_equals),
		cmocka_unit_test(test_spec_empty_key),
		cmocka_unit_test(test_spec_garbage_after_address),
		cmocka_unit_test(test_spec_name_rules),
		cmocka_unit_test(test_spec_name_stops_at_comma),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
