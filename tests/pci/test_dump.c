/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the lspci dump format: single and multi-device dumps, both title forms,
 * -x / -xxx / -xxxx sizes, zero-fill of missing rows, comments and their device index,
 * skipped detail lines, malformed rows and titles with their line and byte position, and
 * write -> parse round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvpci/pci.h"

#define ROW(o) o ": 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"
#define TITLE_LEN 10 /* "00:01.0 a\n" */
#define ROW_LEN 52  /* a two-digit row with its newline */

static int parse(const char *text, struct pvpci_dump *d, size_t max, size_t *n,
		 struct pvpci_parse_err *err)
{
	return pvpci_dump_parse(text, strlen(text), d, max, n, NULL, NULL, err);
}

static void parse_fails(const char *text, int rc, size_t pos, const char *want)
{
	struct pvpci_dump *d = calloc(2, sizeof(*d));
	struct pvpci_parse_err err = { 0 };
	size_t n;

	assert_non_null(d);
	assert_int_equal(parse(text, d, 2, &n, &err), rc);
	assert_int_equal(err.pos, pos);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	free(d);
}

static void test_dump_single_x(void **state)
{
	static const char text[] =
		"00:03.0 Ethernet controller: Red Hat, Inc. Virtio 1.0 network device\n"
		"00: f4 1a 41 10 06 04 10 00 01 00 00 02 00 00 00 00\n"
		ROW("10") ROW("20") ROW("30");
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(text, d, 1, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d->sbdf.seg, 0);
	assert_int_equal(d->sbdf.bus, 0);
	assert_int_equal(d->sbdf.dev, 3);
	assert_int_equal(d->sbdf.fn, 0);
	assert_string_equal(d->title,
			    "Ethernet controller: Red Hat, Inc. Virtio 1.0 network device");
	assert_int_equal(d->size, 64);
	assert_int_equal(d->cfg[0], 0xf4);
	assert_int_equal(d->cfg[3], 0x10);
	assert_int_equal(d->cfg[0x1f], 0x0f);
	assert_int_equal(d->cfg[0x3a], 0x0a);
	free(d);
}

static void test_dump_sizes_round_up(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	assert_int_equal(parse("00:01.0 x\n" ROW("00") ROW("40"), d, 1, &n, &err), 0);
	assert_int_equal(d->size, 256);
	assert_int_equal(parse("00:01.0 x\n" ROW("f0"), d, 1, &n, &err), 0);
	assert_int_equal(d->size, 256);
	assert_int_equal(parse("00:01.0 x\n" ROW("00") ROW("100"), d, 1, &n, &err), 0);
	assert_int_equal(d->size, 4096);
	assert_int_equal(d->cfg[0x10f], 0x0f);
	assert_int_equal(parse("00:01.0 x\n" ROW("ff0"), d, 1, &n, &err), 0);
	assert_int_equal(d->size, 4096);
	assert_int_equal(d->cfg[0xffe], 0x0e);
	free(d);
}

static void test_dump_missing_rows_are_zero(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	memset(d, 0xaa, sizeof(*d));
	assert_int_equal(parse("00:01.0 x\n" ROW("00") ROW("30"), d, 1, &n, &err), 0);
	assert_int_equal(d->size, 64);
	for (unsigned i = 0x10; i < 0x30; i++)
		assert_int_equal(d->cfg[i], 0);
	for (unsigned i = 0x40; i < PCIE_CFG_SIZE; i++)
		assert_int_equal(d->cfg[i], 0);
	free(d);
}

static void test_dump_domain_title(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	assert_int_equal(parse("0002:81:1f.7 Some device\r\n" ROW("00"), d, 1, &n, &err), 0);
	assert_int_equal(d->sbdf.seg, 2);
	assert_int_equal(d->sbdf.bus, 0x81);
	assert_int_equal(d->sbdf.dev, 0x1f);
	assert_int_equal(d->sbdf.fn, 7);
	assert_string_equal(d->title, "Some device");
	free(d);
}

static void test_dump_title_without_text(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	assert_int_equal(parse("00:02.0\n" ROW("00"), d, 1, &n, &err), 0);
	assert_string_equal(d->title, "");
	assert_int_equal(d->sbdf.dev, 2);
	free(d);
}

static void test_dump_long_title_truncated(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	char text[512];
	size_t n;

	(void)state;
	memset(text, 0, sizeof(text));
	strcpy(text, "00:02.0 ");
	memset(text + 8, 'T', 300);
	strcat(text, "\n" ROW("00"));
	assert_int_equal(parse(text, d, 1, &n, &err), 0);
	assert_int_equal(strlen(d->title), sizeof(d->title) - 1);
	free(d);
}

static void test_dump_multi_device(void **state)
{
	static const char text[] =
		"00:00.0 Host bridge\n" ROW("00") ROW("10") ROW("20") ROW("30") "\n"
		"00:01.0 Balloon\n" ROW("00") "\n\n"
		"0000:00:02.0 Block\n" ROW("00") ROW("f0")
		"00:03.0 Net (no blank line before)\n" ROW("00");
	struct pvpci_dump *d = calloc(4, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(text, d, 4, &n, &err), 0);
	assert_int_equal(n, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(d[i].sbdf.dev, i);
	assert_int_equal(d[0].size, 64);
	assert_int_equal(d[1].size, 64);
	assert_int_equal(d[2].size, 256);
	assert_int_equal(d[3].size, 64);
	assert_string_equal(d[1].title, "Balloon");
	assert_string_equal(d[3].title, "Net (no blank line before)");
	free(d);
}

static void test_dump_too_many_devices(void **state)
{
	(void)state;
	parse_fails("00:00.0 a\n" ROW("00") "\n00:01.0 b\n" ROW("00") "\n00:02.0 c\n" ROW("00"),
		    -E2BIG, 2 * (TITLE_LEN + ROW_LEN + 1), "line 7: more than 2 devices");
}

struct comments {
	unsigned n;
	size_t dev[8];
	char line[8][64];
	int fail_on; /* 1-based comment number to reject, 0 = none */
};

static int on_comment(void *arg, size_t dev_index, const char *line,
		      struct pvpci_parse_err *err)
{
	struct comments *c = arg;

	if (c->n < 8) {
		c->dev[c->n] = dev_index;
		snprintf(c->line[c->n], sizeof(c->line[c->n]), "%s", line);
	}
	c->n++;
	if (c->fail_on && (int)c->n == c->fail_on) {
		snprintf(err->msg, sizeof(err->msg), "bad bar line");
		return -EINVAL;
	}
	return 0;
}

static void test_dump_comments_belong_to_current_device(void **state)
{
	static const char text[] =
		"# top of file\n"
		"00:00.0 a\n" ROW("00") "# bar0 1000\n\n"
		"00:01.0 b\n# rom 800\n" ROW("00") "\n# after b\n";
	struct pvpci_dump *d = calloc(2, sizeof(*d));
	struct comments c = { 0 };
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	assert_int_equal(pvpci_dump_parse(text, strlen(text), d, 2, &n, on_comment, &c, &err),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.dev[0], 0);
	assert_string_equal(c.line[0], "# top of file");
	assert_int_equal(c.dev[1], 0);
	assert_string_equal(c.line[1], "# bar0 1000");
	assert_int_equal(c.dev[2], 1);
	assert_string_equal(c.line[2], "# rom 800");
	assert_int_equal(c.dev[3], 1);
	free(d);
}

static void test_dump_comments_ignored_without_callback(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	assert_int_equal(parse("# x\n00:01.0 a\n# y\n" ROW("00"), d, 1, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d->size, 64);
	free(d);
}

static void test_dump_comment_callback_error_stops(void **state)
{
	static const char text[] = "00:00.0 a\n" ROW("00") "# ok\n# bad\n" ROW("10");
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct comments c = { .fail_on = 2 };
	struct pvpci_parse_err err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(pvpci_dump_parse(text, strlen(text), d, 1, &n, on_comment, &c, &err),
			 -EINVAL);
	assert_int_equal(c.n, 2);
	assert_int_equal(err.pos, strstr(text, "# bad") - text);
	assert_string_equal(err.msg, "bad bar line");
	free(d);
}

static int reject_silently(void *arg, size_t dev_index, const char *line,
			   struct pvpci_parse_err *err)
{
	return strcmp(line, "# no") ? 0 : -ENOTSUP;
}

static void test_dump_comment_error_without_message(void **state)
{
	static const char text[] = "00:00.0 a\n" ROW("00") "# no\n";
	struct pvpci_dump d;
	struct pvpci_parse_err err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(pvpci_dump_parse(text, strlen(text), &d, 1, &n, reject_silently, NULL,
					  &err), -ENOTSUP);
	assert_int_equal(err.pos, TITLE_LEN + ROW_LEN);
	assert_non_null(strstr(err.msg, "line 3: comment rejected"));
	/* Without an error record the callback still gets one to fill. */
	assert_int_equal(pvpci_dump_parse(text, strlen(text), &d, 1, &n, on_comment,
					  &(struct comments){ .fail_on = 1 }, NULL), -EINVAL);
}

static void test_dump_skips_indented_detail_lines(void **state)
{
	struct pvpci_dump *d = calloc(1, sizeof(*d));
	struct pvpci_parse_err err;
	size_t n;

	(void)state;
	assert_int_equal(parse("00:01.0 a\n\tControl: I/O+ Mem+\n  Status: Cap+\n" ROW("00"),
			       d, 1, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d->cfg[5], 5);
	free(d);
}

static void test_dump_row_short(void **state)
{
	(void)state;
	/* Line 2 starts at byte 10; the row ends after 15 bytes at column 3 + 15 * 3. */
	parse_fails("00:01.0 a\n00: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e\n", -EINVAL,
		    10 + 48, "line 2: expected 16 bytes in the row, found 15");
}

static void test_dump_row_long(void **state)
{
	(void)state;
	parse_fails("00:01.0 a\n00: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10\n",
		    -EINVAL, 10 + 52, "line 2: expected end of row");
}

static void test_dump_row_bad_hex(void **state)
{
	(void)state;
	parse_fails("00:01.0 a\n00: 00 01 0g 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n",
		    -EINVAL, 10 + 10, "line 2: expected a byte as 2 hex digits");
	parse_fails("00:01.0 a\n00: 00 01 123 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n",
		    -EINVAL, 10 + 10, "line 2: expected a byte as 2 hex digits");
}

static void test_dump_row_misaligned_offset(void **state)
{
	(void)state;
	parse_fails("00:01.0 a\n" ROW("08"), -EINVAL, 10, "line 2: row offset 8");
}

static void test_dump_row_given_twice(void **state)
{
	(void)state;
	parse_fails("00:01.0 a\n" ROW("00") ROW("10") ROW("00"), -EINVAL,
		    TITLE_LEN + 2 * ROW_LEN, "line 4: row 00 given twice");
}

static void test_dump_row_before_title(void **state)
{
	(void)state;
	parse_fails(ROW("00"), -EINVAL, 0, "line 1: row outside a device");
	parse_fails("00:01.0 a\n" ROW("00") "\n" ROW("10"), -EINVAL,
		    TITLE_LEN + ROW_LEN + 1,
		    "line 4: row outside a device");
}

static void test_dump_bad_title(void **state)
{
	(void)state;
	parse_fails("00:01.0 a\n" ROW("00") "\n0000:82.0.0 x\n" ROW("00"), -EINVAL,
		    TITLE_LEN + ROW_LEN + 1 + 7,
		    "line 4: bad device address: expected ':' at 7");
	parse_fails("hello world\n", -EINVAL, 0, "line 1: bad device address");
}

static void test_dump_title_without_rows(void **state)
{
	(void)state;
	parse_fails("00:01.0 a\n" ROW("00") "\n00:02.0 b\n\n", -EINVAL,
		    TITLE_LEN + ROW_LEN + 1,
		    "line 4: device has no rows");
	parse_fails("00:02.0 b\n", -EINVAL, 0, "line 1: device has no rows");
}

static void test_dump_nul_byte(void **state)
{
	static const char text[] = "00:01.0 a\0b\n";
	struct pvpci_dump d;
	struct pvpci_parse_err err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(pvpci_dump_parse(text, sizeof(text) - 1, &d, 1, &n, NULL, NULL, &err),
			 -EINVAL);
	assert_int_equal(err.pos, 9);
	assert_non_null(strstr(err.msg, "line 1: NUL byte"));
}

static void test_dump_empty_text(void **state)
{
	struct pvpci_parse_err err;
	size_t n = 3;

	(void)state;
	assert_int_equal(pvpci_dump_parse("", 0, NULL, 0, &n, NULL, NULL, &err), 0);
	assert_int_equal(n, 0);
}

static char *write_to_string(struct pvpci_sbdf a, const char *title, const uint8_t *cfg,
			     unsigned size, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = pvpci_dump_write(f, a, title, cfg, size);
	fclose(f);
	return buf;
}

static void test_dump_write_format(void **state)
{
	struct pvpci_sbdf a = { 0, 0x81, 2, 3 };
	uint8_t cfg[64];
	char *out;
	int rc;

	(void)state;
	for (unsigned i = 0; i < sizeof(cfg); i++)
		cfg[i] = (uint8_t)(i * 7);
	out = write_to_string(a, "Dev", cfg, 64, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"0000:81:02.3 Dev\n"
		"00: 00 07 0e 15 1c 23 2a 31 38 3f 46 4d 54 5b 62 69\n"
		"10: 70 77 7e 85 8c 93 9a a1 a8 af b6 bd c4 cb d2 d9\n"
		"20: e0 e7 ee f5 fc 03 0a 11 18 1f 26 2d 34 3b 42 49\n"
		"30: 50 57 5e 65 6c 73 7a 81 88 8f 96 9d a4 ab b2 b9\n"
		"\n");
	free(out);
}

static void test_dump_write_rejects_bad_args(void **state)
{
	struct pvpci_sbdf a = { 0 };
	uint8_t cfg[256] = { 0 };
	char *out;
	int rc;

	(void)state;
	out = write_to_string(a, "x", cfg, 128, &rc);
	assert_int_equal(rc, -EINVAL);
	free(out);
	out = write_to_string(a, "two\nlines", cfg, 256, &rc);
	assert_int_equal(rc, -EINVAL);
	free(out);
}

static void test_dump_round_trip_4096(void **state)
{
	struct pvpci_dump *d = calloc(2, sizeof(*d));
	struct pvpci_sbdf a = { 0x12, 0x34, 0x1e, 5 };
	struct pvpci_parse_err err;
	char *out;
	size_t n;
	int rc;

	(void)state;
	srand(42);
	for (unsigned i = 0; i < PCIE_CFG_SIZE; i++)
		d[1].cfg[i] = (uint8_t)rand();
	out = write_to_string(a, "PCIe thing [0108]", d[1].cfg, PCIE_CFG_SIZE, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(parse(out, d, 1, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(pvpci_sbdf_eq(d[0].sbdf, a));
	assert_string_equal(d[0].title, "PCIe thing [0108]");
	assert_int_equal(d[0].size, PCIE_CFG_SIZE);
	assert_memory_equal(d[0].cfg, d[1].cfg, PCIE_CFG_SIZE);
	free(out);
	free(d);
}

static void test_dump_round_trip_multi(void **state)
{
	static const unsigned sizes[3] = { 64, 256, 4096 };
	struct pvpci_dump *d = calloc(3, sizeof(*d));
	uint8_t *cfg = calloc(3, PCIE_CFG_SIZE);
	struct pvpci_parse_err err;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	for (unsigned k = 0; k < 3; k++) {
		struct pvpci_sbdf a = { 0, 1, (uint8_t)k, 0 };

		for (unsigned i = 0; i < sizes[k]; i++)
			cfg[k * PCIE_CFG_SIZE + i] = (uint8_t)(i ^ (k * 0x55));
		assert_int_equal(pvpci_dump_write(f, a, "dev", cfg + k * PCIE_CFG_SIZE,
						  sizes[k]), 0);
	}
	fclose(f);
	assert_int_equal(pvpci_dump_parse(buf, len, d, 3, &n, NULL, NULL, &err), 0);
	assert_int_equal(n, 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(d[k].sbdf.dev, k);
		assert_int_equal(d[k].size, sizes[k]);
		assert_memory_equal(d[k].cfg, cfg + k * PCIE_CFG_SIZE, PCIE_CFG_SIZE);
	}
	free(buf);
	free(cfg);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_single_x),
		cmocka_unit_test(test_dump_sizes_round_up),
		cmocka_unit_test(test_dump_missing_rows_are_zero),
		cmocka_unit_test(test_dump_domain_title),
		cmocka_unit_test(test_dump_title_without_text),
		cmocka_unit_test(test_dump_long_title_truncated),
		cmocka_unit_test(test_dump_multi_device),
		cmocka_unit_test(test_dump_too_many_devices),
		cmocka_unit_test(test_dump_comments_belong_to_current_device),
		cmocka_unit_test(test_dump_comments_ignored_without_callback),
		cmocka_unit_test(test_dump_comment_callback_error_stops),
		cmocka_unit_test(test_dump_comment_error_without_message),
		cmocka_unit_test(test_dump_skips_indented_detail_lines),
		cmocka_unit_test(test_dump_row_short),
		cmocka_unit_test(test_dump_row_long),
		cmocka_unit_test(test_dump_row_bad_hex),
		cmocka_unit_test(test_dump_row_misaligned_offset),
		cmocka_unit_test(test_dump_row_given_twice),
		cmocka_unit_test(test_dump_row_before_title),
		cmocka_unit_test(test_dump_bad_title),
		cmocka_unit_test(test_dump_title_without_rows),
		cmocka_unit_test(test_dump_nul_byte),
		cmocka_unit_test(test_dump_empty_text),
		cmocka_unit_test(test_dump_write_format),
		cmocka_unit_test(test_dump_write_rejects_bad_args),
		cmocka_unit_test(test_dump_round_trip_4096),
		cmocka_unit_test(test_dump_round_trip_multi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
