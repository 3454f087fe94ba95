/* SPDX-License-Identifier: MIT */
/*
 * Tests of model files: every bundled model opens and its config space is the dump's
 * bytes, multi-device files count and index, broken capability chains still give a
 * working device, and malformed models fail with a message naming the line.
 */
#include <dirent.h>
#include <errno.h>

#include "test_util.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

/* Opens device idx of a model and compares its config space with the dump's bytes. */
static void check_model(const char *dir, const char *name, size_t idx,
			const struct pvpci_dump *d)
{
	static uint8_t snap[PCIE_CFG_SIZE];
	struct pvpci_source *s = NULL;
	struct pvpci_parse_err err = { 0 };
	char path[1024];
	struct pvpci_bar_info bi;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		fail_msg("path too long");
	if (pvpci_model_open(path, idx, &quiet_log, &s, &err) != 0)
		fail_msg("%s[%zu]: %s", name, idx, err.msg);
	assert_true(pvpci_sbdf_eq(pvpci_source_sbdf(s), d->sbdf));
	assert_int_equal(pvpci_source_snapshot(s, snap, sizeof(snap)), 0);
	assert_memory_equal(snap, d->cfg, d->size);
	for (unsigned i = 0; i <= PCI_ROM_SLOT; i++)
		assert_int_equal(pvpci_source_bar_info(s, i, &bi), 0);
	pvpci_source_close(s);
}

static void test_every_bundled_model_opens_with_its_bytes(void **state)
{
	char dirbuf[512];
	const char *dir = data_path("", dirbuf, sizeof(dirbuf));
	static struct pvpci_dump dumps[8];
	struct pvpci_parse_err err;
	struct dirent *e;
	unsigned models = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = 0, count = 0, len, nl = strlen(e->d_name);
		char path[1024], *text;

		if (nl < 7 || strcmp(e->d_name + nl - 6, ".model") != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			fail_msg("path too long");
		text = slurp(path, &len);
		assert_int_equal(pvpci_dump_parse(text, len, dumps, 8, &n, NULL, NULL, &err), 0);
		assert_int_equal(pvpci_model_count(path, &count, &err), 0);
		assert_int_equal(count, n);
		for (size_t i = 0; i < n; i++)
			check_model(dir, e->d_name, i, &dumps[i]);
		free(text);
		models++;
	}
	closedir(d);
	assert_true(models >= 8);
}

static void test_multifunction_model_counts_and_indexes(void **state)
{
	char path[512];
	size_t n = 0;
	struct pvpci_source *f0 = open_model("multifunc.model", 0);
	struct pvpci_source *f1 = open_model("multifunc.model", 1);
	struct pvpci_source *s = NULL;
	struct pvpci_parse_err err = { 0 };

	assert_int_equal(pvpci_model_count(data_path("multifunc.model", path, sizeof(path)), &n,
					   &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pvpci_source_sbdf(f0).fn, 0);
	assert_int_equal(pvpci_source_sbdf(f1).fn, 1);
	assert_int_equal(rd(f0, PCI_REG_HEADER_TYPE, 1), 0x80);
	assert_int_equal(pvpci_source_cfg_size(f1), PCI_CFG_SIZE);
	assert_int_equal(pvpci_model_open(path, 2, &quiet_log, &s, &err), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(err.msg, "2"));
	pvpci_source_close(f0);
	pvpci_source_close(f1);
}

static void test_broken_chain_loop_keeps_found_caps(void **state)
{
	struct pvpci_source *s = open_model("broken-caps.model", 0);

	wr(s, 0x52, 2, PCI_MSI_FLAGS_ENABLE); /* MSI before the loop works */
	assert_int_equal(rd(s, 0x52, 2), 0x0181);
	wr(s, 0xa8, 2, 0x0010); /* PCIe Device Control */
	assert_int_equal(rd(s, 0xa8, 2), 0x0010);
	assert_int_equal(pvpci_source_reset(s, PVPCI_RESET_FLR), 0);
	assert_int_equal(rd(s, 0x52, 2), 0x0180);
	pvpci_source_close(s);
}

static void test_broken_chain_into_header_hides_the_rest(void **state)
{
	struct pvpci_source *s = open_model("broken-caps.model", 1);

	wr(s, 0x44, 2, 3); /* PM, reached */
	assert_int_equal(rd(s, 0x44, 2) & 3, 3);
	wr(s, 0x52, 2, PCI_MSI_FLAGS_ENABLE); /* MSI, unreachable: read-only */
	assert_int_equal(rd(s, 0x52, 2), 0x0180);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSI, 0), -ENODEV);
	wr(s, 0x108, 4, 0xffffffff); /* AER is found: the ext walk starts at 0x100 */
	assert_int_equal(rd(s, 0x108, 4), 0x07fff030);
	pvpci_source_close(s);
}

/* ---- Parse errors ---- */
#define HDR "0a:00.0 Test device\n"
#define ROWS                                                        \
	"00: 86 80 33 15 06 00 00 00 03 00 00 02 00 00 00 00\n" \
	"10: 00 00 51 fe 00 00 00 00 00 00 00 00 00 00 00 00\n" \
	"20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 01 00\n" \
	"30: 00 00 00 00 00 00 00 00 00 00 00 00 0b 01 00 00\n"

static void expect_error(const char *text, int want, const char *line, const char *what)
{
	struct pvpci_source *s = NULL;
	struct pvpci_parse_err err = { 0 };
	int rc = pvpci_model_open_text(text, strlen(text), 0, &quiet_log, &s, &err);

	assert_int_equal(rc, want);
	assert_null(s);
	if (line && strstr(err.msg, line) != err.msg)
		fail_msg("'%s' does not start with '%s'", err.msg, line);
	if (!strstr(err.msg, what))
		fail_msg("'%s' does not say '%s'", err.msg, what);
}

static void test_parse_error_bar6(void **state)
{
	expect_error(HDR "# bar6 1000\n" ROWS, -EINVAL, "line 2:", "bar6");
}

static void test_parse_error_size_not_power_of_two(void **state)
{
	expect_error("# a comment\n" HDR ROWS "# bar0 3000\n", -EINVAL, "line 7:",
		     "not a power of two");
}

static void test_parse_error_bad_size_lines(void **state)
{
	expect_error(HDR "# bar0\n" ROWS, -EINVAL, "line 2:", "missing size");
	expect_error(HDR "# bar0 12g4\n" ROWS, -EINVAL, "line 2:", "hex expected");
	expect_error(HDR "# rom 10000 extra\n" ROWS, -EINVAL, "line 2:", "trailing");
	expect_error(HDR "# bar0 1000\n# bar0 2000\n" ROWS, -EINVAL, "line 3:", "twice");
	expect_error(HDR "# vpd 8\n" ROWS, -EINVAL, "line 2:", "odd number");
}

static void test_parse_error_bar_not_aligned_to_size(void **state)
{
	expect_error(HDR "# bar0 20000\n" ROWS, -EINVAL, "line 2:", "not aligned");
}

static void test_parse_error_size_on_upper_half(void **state)
{
	static const char text[] = HDR "# bar1 1000\n"
		"00: 86 80 33 15 06 00 00 00 03 00 00 02 00 00 00 00\n"
		"10: 04 00 51 fe 00 00 00 00 00 00 00 00 00 00 00 00\n";

	expect_error(text, -EINVAL, "line 2:", "upper half");
}

static void test_parse_error_from_dump_parser_has_line(void **state)
{
	expect_error(HDR "00: 86 80 zz\n", -EINVAL, "line 2:", "");
	expect_error("", -ENOENT, NULL, "has 0");
}

static void test_parse_error_msix_table_outside_bar(void **state)
{
	static const char text[] = HDR "# bar0 1000\n"
		"00: 86 80 33 15 06 00 10 00 03 00 00 02 00 00 00 00\n"
		"10: 00 00 51 fe 00 00 00 00 00 00 00 00 00 00 00 00\n"
		"20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 01 00\n"
		"30: 00 00 00 00 40 00 00 00 00 00 00 00 0b 01 00 00\n"
		"40: 11 00 03 00 00 10 00 00 00 08 00 00 00 00 00 00\n";

	expect_error(text, -EINVAL, NULL, "MSI-X table");
}

static void test_parse_error_vpd_line_without_vpd_cap(void **state)
{
	expect_error(HDR "# vpd 82 00 00\n" ROWS, -EINVAL, NULL, "no VPD capability");
}

static void test_free_comments_accepted(void **state)
{
	struct pvpci_source *s = open_text("# bars are fun\n" HDR "# romantic note\n"
					   "# bar0 1000\n" ROWS);
	struct pvpci_bar_info bi;

	assert_int_equal(pvpci_source_bar_info(s, 0, &bi), 0);
	assert_int_equal(bi.size, 0x1000);
	pvpci_source_close(s);
}

static void test_missing_size_line_inferred_from_address(void **state)
{
	struct pvpci_source *s = open_text(HDR ROWS);
	struct pvpci_bar_info bi;

	assert_int_equal(pvpci_source_bar_info(s, 0, &bi), 0);
	assert_int_equal(bi.type, PVPCI_BAR_MEM32);
	assert_int_equal(bi.addr, 0xfe510000);
	assert_int_equal(bi.size, 0x1000);
	assert_int_equal(pvpci_source_cfg_size(s), PCI_CFG_SIZE); /* a 64-byte -x dump */
	assert_int_equal(rd(s, 0xfc, 4), 0);
	pvpci_source_close(s);
}

static void test_open_missing_file(void **state)
{
	struct pvpci_source *s = NULL;
	struct pvpci_parse_err err = { 0 };
	size_t n;

	assert_int_equal(pvpci_model_open("/nonexistent/x.model", 0, NULL, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.model"));
	assert_int_equal(pvpci_model_count("/nonexistent/x.model", &n, &err), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_bundled_model_opens_with_its_bytes),
		cmocka_unit_test(test_multifunction_model_counts_and_indexes),
		cmocka_unit_test(test_broken_chain_loop_keeps_found_caps),
		cmocka_unit_test(test_broken_chain_into_header_hides_the_rest),
		cmocka_unit_test(test_parse_error_bar6),
		cmocka_unit_test(test_parse_error_size_not_power_of_two),
		cmocka_unit_test(test_parse_error_bad_size_lines),
		cmocka_unit_test(test_parse_error_bar_not_aligned_to_size),
		cmocka_unit_test(test_parse_error_size_on_upper_half),
		cmocka_unit_test(test_parse_error_from_dump_parser_has_line),
		cmocka_unit_test(test_parse_error_msix_table_outside_bar),
		cmocka_unit_test(test_parse_error_vpd_line_without_vpd_cap),
		cmocka_unit_test(test_free_comments_accepted),
		cmocka_unit_test(test_missing_size_line_inferred_from_address),
		cmocka_unit_test(test_open_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
