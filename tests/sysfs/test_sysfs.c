/* SPDX-License-Identifier: MIT */
/*
 * Tests of the sysfs source against a fake sysfs tree built in a temporary directory
 * (config, resource, resourceN, driver link, enable, reset, reset_method): reads, the
 * cache of constant registers (no device access, and a later change of the file is not
 * seen there while other registers see it), BAR parsing (I/O, 32-bit, 64-bit above 4 GiB,
 * prefetchable, ROM), refusal of every write while a host driver owns the device and
 * acceptance when unbound or bound to a stub, enable and reset. The real-device tests are
 * in test_sysfs_real.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pvpci/source.h"

#define BDF "0000:00:03.0"

struct fx {
	char root[64];
	char dev[128];
	uint8_t cfg[PCIE_CFG_SIZE];
	unsigned cfg_len;
	struct pvpci_source *s;
	FILE *logf;
	struct pvpci_log log;
};

static void put(uint8_t *b, unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static void write_file(const struct fx *f, const char *leaf, const void *data, size_t len)
{
	char p[256];
	FILE *o;

	snprintf(p, sizeof(p), "%s/%s", f->dev, leaf);
	o = fopen(p, "w");
	assert_non_null(o);
	assert_int_equal(fwrite(data, 1, len, o), len);
	fclose(o);
}

static void write_text(const struct fx *f, const char *leaf, const char *text)
{
	write_file(f, leaf, text, strlen(text));
}

static void read_text(const struct fx *f, const char *leaf, char *buf, size_t len)
{
	char p[256];
	FILE *i;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", f->dev, leaf);
	i = fopen(p, "r");
	assert_non_null(i);
	n = fread(buf, 1, len - 1, i);
	buf[n] = '\0';
	fclose(i);
}

static void bind(const struct fx *f, const char *drv)
{
	char p[256], t[128];

	snprintf(p, sizeof(p), "%s/driver", f->dev);
	unlink(p);
	if (!drv)
		return;
	snprintf(t, sizeof(t), "../../../bus/pci/drivers/%s", drv);
	assert_int_equal(symlink(t, p), 0);
}

/* A virtio-like device: status has CAP_LIST; caps at 0x40 (MSI-X, next 0x50) and 0x50
 * (vendor, end); BAR0 I/O, BAR1 mem32, BAR2/3 mem64 prefetchable above 4 GiB, a ROM. */
static const char resource_text[] =
	"0x000000000000c000 0x000000000000c03f 0x0000000000040101\n"
	"0x00000000febd1000 0x00000000febd1fff 0x0000000000040200\n"
	"0x0000004000100000 0x000000400017ffff 0x000000000014220c\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x00000000feb80000 0x00000000febbffff 0x0000000000046200\n";

static void build_cfg(struct fx *f, unsigned len)
{
	memset(f->cfg, 0, sizeof(f->cfg));
	f->cfg_len = len;
	put(f->cfg, 0x00, 2, 0x1af4);
	put(f->cfg, 0x02, 2, 0x1041);
	put(f->cfg, 0x04, 2, 0x0007);
	put(f->cfg, 0x06, 2, 0x0010);
	put(f->cfg, 0x08, 4, 0x02000001);
	put(f->cfg, 0x0c, 4, 0x00000010); /* cache line 0x10, header type 0 */
	put(f->cfg, 0x2c, 2, 0x1af4);
	put(f->cfg, 0x2e, 2, 0x0001);
	put(f->cfg, 0x34, 1, 0x40);
	put(f->cfg, 0x3c, 2, 0x010b);
	put(f->cfg, 0x40, 4, 0x00025011); /* MSI-X, next 0x50, 3 vectors */
	put(f->cfg, 0x50, 4, 0x00100009); /* vendor cap, end */
	if (len == PCIE_CFG_SIZE)
		put(f->cfg, 0x100, 4, 0x00010001); /* AER v1, end */
}

static void build_tree(struct fx *f, unsigned cfg_len, const char *drv)
{
	strcpy(f->root, "/tmp/pvpci-sysfs-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dev, sizeof(f->dev), "%s/%s", f->root, BDF);
	assert_int_equal(mkdir(f->dev, 0755), 0);
	build_cfg(f, cfg_len);
	write_file(f, "config", f->cfg, cfg_len);
	write_text(f, "resource", resource_text);
	write_text(f, "enable", "0\n");
	write_text(f, "reset", "");
	write_text(f, "reset_method", "pm bus\n");
	write_text(f, "resource0", "\x11\x22\x33\x44\x55\x66\x77\x88");
	bind(f, drv);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *w)
{
	return remove(p);
}

static int setup_common(void **state, unsigned len, const char *drv, bool open_it)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->logf = tmpfile();
	f->log = (struct pvpci_log){ pvpci_log_to_file, f->logf, PVPCI_LOG_DEBUG, "" };
	build_tree(f, len, drv);
	if (open_it)
		assert_int_equal(pvpci_sysfs_open(BDF, f->root, &f->log, &f->s), 0);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_common(state, PCI_CFG_SIZE, NULL, true); }
static int setup_virtio(void **state) { return setup_common(state, PCI_CFG_SIZE, "virtio-pci", true); }
static int setup_pcie(void **state) { return setup_common(state, PCIE_CFG_SIZE, "pciback", true); }
static int setup_closed(void **state) { return setup_common(state, PCI_CFG_SIZE, NULL, false); }

static int teardown(void **state)
{
	struct fx *f = *state;

	pvpci_source_close(f->s);
	nftw(f->root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	fclose(f->logf);
	free(f);
	return 0;
}

static uint32_t rd(struct fx *f, unsigned off, unsigned size)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(pvpci_source_cfg_read(f->s, off, size, &v), 0);
	return v;
}

static bool log_has(struct fx *f, const char *needle)
{
	char buf[4096];
	size_t n;

	fflush(f->logf);
	rewind(f->logf);
	n = fread(buf, 1, sizeof(buf) - 1, f->logf);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* ---- Reads and the cache ---- */
static void test_open_reads_ids_and_size(void **state)
{
	struct fx *f = *state;

	assert_string_equal(pvpci_source_kind(f->s), "sysfs");
	assert_true(pvpci_source_is_sysfs(f->s));
	assert_string_equal(pvpci_source_name(f->s), BDF);
	assert_int_equal(pvpci_source_cfg_size(f->s), PCI_CFG_SIZE);
	assert_int_equal(rd(f, 0x00, 2), 0x1af4);
	assert_int_equal(rd(f, 0x02, 2), 0x1041);
	assert_int_equal(rd(f, 0x00, 4), 0x10411af4);
	assert_int_equal(rd(f, 0x04, 2), 0x0007);
}

static void test_constant_fields_cost_no_device_access(void **state)
{
	struct fx *f = *state;
	struct pvpci_sysfs_stats st;
	static const unsigned reads[][2] = {
		{ 0x00, 4 }, { 0x00, 2 }, { 0x02, 2 }, { 0x08, 4 }, { 0x0a, 2 }, { 0x0e, 1 },
		{ 0x2c, 4 }, { 0x34, 1 }, { 0x3d, 1 }, { 0x40, 2 }, { 0x41, 1 }, { 0x50, 2 },
	};

	pvpci_sysfs_get_stats(f->s, &st);
	uint64_t before = st.dev_reads;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(reads); i++)
		(void)rd(f, reads[i][0], reads[i][1]);
	pvpci_sysfs_get_stats(f->s, &st);
	assert_int_equal(st.dev_reads, before);
	assert_int_equal(st.cache_hits, PVPCI_ARRAY_SIZE(reads));
}

static void test_cached_fields_ignore_file_changes_others_see_them(void **state)
{
	struct fx *f = *state;
	struct pvpci_sysfs_stats st;

	put(f->cfg, 0x00, 2, 0x8086);
	put(f->cfg, 0x04, 2, 0x0406);
	write_file(f, "config", f->cfg, f->cfg_len);
	pvpci_sysfs_get_stats(f->s, &st);
	uint64_t before = st.dev_reads;
	assert_int_equal(rd(f, 0x00, 2), 0x1af4); /* cached at open */
	assert_int_equal(rd(f, 0x04, 2), 0x0406); /* COMMAND: from the device */
	pvpci_sysfs_get_stats(f->s, &st);
	assert_int_equal(st.dev_reads, before + 1);
}

static void test_access_spanning_uncached_bytes_reads_device(void **state)
{
	struct fx *f = *state;
	struct pvpci_sysfs_stats st;

	pvpci_sysfs_get_stats(f->s, &st);
	uint64_t before = st.dev_reads;
	assert_int_equal(rd(f, 0x0c, 4), 0x00000010); /* header type + cache line etc. */
	assert_int_equal(rd(f, 0x40, 4), 0x00025011); /* cap header + MSI-X control */
	assert_int_equal(rd(f, 0x3c, 1), 0x0b);       /* interrupt line can change */
	pvpci_sysfs_get_stats(f->s, &st);
	assert_int_equal(st.dev_reads, before + 3);
}

static void test_extended_cap_headers_cached(void **state)
{
	struct fx *f = *state;
	struct pvpci_sysfs_stats st;

	assert_int_equal(pvpci_source_cfg_size(f->s), PCIE_CFG_SIZE);
	pvpci_sysfs_get_stats(f->s, &st);
	uint64_t before = st.dev_reads;
	assert_int_equal(rd(f, 0x100, 4), 0x00010001);
	assert_int_equal(rd(f, 0x104, 4), 0);
	pvpci_sysfs_get_stats(f->s, &st);
	assert_int_equal(st.dev_reads, before + 1); /* only 0x104 */
}

/* ---- BARs ---- */
static void bar(struct fx *f, unsigned idx, struct pvpci_bar_info *b)
{
	assert_int_equal(pvpci_source_bar_info(f->s, idx, b), 0);
}

static void test_bar_io_and_mem32(void **state)
{
	struct fx *f = *state;
	struct pvpci_bar_info b;

	bar(f, 0, &b);
	assert_int_equal(b.type, PVPCI_BAR_IO);
	assert_int_equal(b.addr, 0xc000);
	assert_int_equal(b.size, 0x40);
	bar(f, 1, &b);
	assert_int_equal(b.type, PVPCI_BAR_MEM32);
	assert_false(b.prefetchable);
	assert_int_equal(b.addr, 0xfebd1000);
	assert_int_equal(b.size, 0x1000);
}

static void test_bar_mem64_above_4g_both_halves(void **state)
{
	struct fx *f = *state;
	struct pvpci_bar_info b;

	bar(f, 2, &b);
	assert_int_equal(b.type, PVPCI_BAR_MEM64_LO);
	assert_true(b.prefetchable);
	assert_true(b.addr == 0x4000100000ull);
	assert_int_equal(b.size, 0x80000);
	bar(f, 3, &b);
	assert_int_equal(b.type, PVPCI_BAR_MEM64_HI);
	assert_true(b.addr == 0x4000100000ull);
	assert_int_equal(b.size, 0x80000);
}

static void test_bar_empty_and_rom(void **state)
{
	struct fx *f = *state;
	struct pvpci_bar_info b;

	bar(f, 4, &b);
	assert_int_equal(b.type, PVPCI_BAR_EMPTY);
	assert_int_equal(b.size, 0);
	bar(f, PCI_ROM_SLOT, &b);
	assert_int_equal(b.type, PVPCI_BAR_ROM);
	assert_int_equal(b.addr, 0xfeb80000);
	assert_int_equal(b.size, 0x40000);
}

static void test_bar_io_read_through_resource_file(void **state)
{
	struct fx *f = *state;
	uint64_t v = 0;

	assert_int_equal(pvpci_source_bar_read(f->s, 0, 4, 2, &v), 0);
	assert_int_equal(v, 0x6655);
	assert_int_equal(pvpci_source_bar_read(f->s, 0, 0, 8, &v), -EINVAL);
}

static void test_garbage_resource_file_fails_open(void **state)
{
	struct fx *f = *state;

	write_text(f, "resource", "0x1000 nonsense\n");
	assert_int_equal(pvpci_sysfs_open(BDF, f->root, &f->log, &f->s), -EINVAL);
	assert_null(f->s);
	assert_true(log_has(f, "resource"));
}

/* ---- Ownership ---- */
static void test_write_refused_when_host_driver_owns(void **state)
{
	struct fx *f = *state;
	char msg[512], drv[64], now[16];
	uint8_t back[PCI_CFG_SIZE];

	assert_int_equal(pvpci_sysfs_driver(f->s, drv, sizeof(drv)), 0);
	assert_string_equal(drv, "virtio-pci");
	assert_int_equal(pvpci_source_cfg_write(f->s, 0x04, 2, 0x0000), -EBUSY);
	assert_int_equal(pvpci_source_enable(f->s, true), -EBUSY);
	assert_int_equal(pvpci_source_reset(f->s, PVPCI_RESET_FUNCTION), -EBUSY);
	read_text(f, "enable", now, sizeof(now));
	assert_string_equal(now, "0\n");
	read_text(f, "config", (char *)back, sizeof(back));
	assert_int_equal(back[4], 0x07); /* COMMAND untouched */
	assert_int_equal(pvpci_sysfs_writable(f->s, msg, sizeof(msg)), -EBUSY);
	assert_non_null(strstr(msg, "virtio-pci"));
	assert_non_null(strstr(msg, "echo " BDF " > /sys/bus/pci/devices/" BDF "/driver/unbind"));
	assert_non_null(strstr(msg, "driver_override"));
	assert_true(log_has(f, "virtio-pci"));
}

static void test_bar_access_refused_when_host_driver_owns(void **state)
{
	struct fx *f = *state;
	uint64_t v;

	assert_int_equal(pvpci_source_bar_read(f->s, 0, 0, 1, &v), -EBUSY);
	assert_int_equal(pvpci_source_bar_write(f->s, 0, 0, 1, 0), -EBUSY);
}

static void write_ok_with(struct fx *f, const char *drv)
{
	char got[PCI_CFG_SIZE];

	bind(f, drv);
	assert_int_equal(pvpci_sysfs_writable(f->s, NULL, 0), 0);
	assert_int_equal(pvpci_source_cfg_write(f->s, 0x3c, 1, 0x05), 0);
	read_text(f, "config", got, sizeof(got));
	assert_int_equal((uint8_t)got[0x3c], 0x05);
	assert_int_equal(pvpci_source_cfg_write(f->s, 0x3c, 1, 0x0b), 0);
}

static void test_write_allowed_unbound_and_stubs(void **state)
{
	struct fx *f = *state;

	write_ok_with(f, NULL);
	write_ok_with(f, "pciback");
	write_ok_with(f, "pci-stub");
	write_ok_with(f, "vfio-pci");
}

static void test_binding_rechecked_on_every_write(void **state)
{
	struct fx *f = *state;
	struct pvpci_sysfs_stats st;

	assert_int_equal(pvpci_source_cfg_write(f->s, 0x3c, 1, 0x05), 0);
	bind(f, "e1000e");
	assert_int_equal(pvpci_source_cfg_write(f->s, 0x3c, 1, 0x06), -EBUSY);
	pvpci_sysfs_get_stats(f->s, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.dev_writes, 1);
}

/* ---- enable, reset ---- */
static void test_enable_and_disable_write_the_attribute(void **state)
{
	struct fx *f = *state;
	char now[16];

	assert_int_equal(pvpci_source_enable(f->s, true), 0);
	read_text(f, "enable", now, sizeof(now));
	assert_string_equal(now, "1");
	assert_int_equal(pvpci_source_enable(f->s, false), 0);
	read_text(f, "enable", now, sizeof(now));
	assert_string_equal(now, "0");
}

static void test_reset_function_and_by_method(void **state)
{
	struct fx *f = *state;
	char now[32];

	assert_int_equal(pvpci_source_reset(f->s, PVPCI_RESET_FUNCTION), 0);
	read_text(f, "reset", now, sizeof(now));
	assert_string_equal(now, "1");
	write_text(f, "reset", "");
	assert_int_equal(pvpci_source_reset(f->s, PVPCI_RESET_FLR), -ENOTTY); /* "pm bus" */
	read_text(f, "reset", now, sizeof(now));
	assert_string_equal(now, "");
	assert_int_equal(pvpci_source_reset(f->s, PVPCI_RESET_PM), 0);
	read_text(f, "reset", now, sizeof(now));
	assert_string_equal(now, "1");
	read_text(f, "reset_method", now, sizeof(now));
	assert_string_equal(now, "pm bus"); /* restored */
}

static void test_no_reset_file_is_enotty(void **state)
{
	struct fx *f = *state;
	char p[256];

	snprintf(p, sizeof(p), "%s/reset", f->dev);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(pvpci_source_reset(f->s, PVPCI_RESET_FUNCTION), -ENOTTY);
}

/* ---- Opening ---- */
static void test_root_from_environment(void **state)
{
	struct fx *f = *state;

	assert_int_equal(setenv("PVPCI_SYSFS_ROOT", f->root, 1), 0);
	assert_string_equal(pvpci_sysfs_root(NULL), f->root);
	assert_int_equal(pvpci_sysfs_open("00:03.0", NULL, &f->log, &f->s), 0);
	assert_int_equal(rd(f, 0x02, 2), 0x1041);
	unsetenv("PVPCI_SYSFS_ROOT");
	assert_string_equal(pvpci_sysfs_root(NULL), "/sys/bus/pci/devices");
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct pvpci_source *s = (void *)1;

	assert_int_equal(pvpci_sysfs_open("00:04.0", f->root, &f->log, &s), -ENOENT);
	assert_null(s);
	assert_int_equal(pvpci_sysfs_open("not-a-bdf", f->root, &f->log, &s), -EINVAL);
	assert_int_equal(pvpci_sysfs_open(NULL, f->root, &f->log, &s), -EINVAL);
	write_file(f, "config", f->cfg, 64); /* what a non-root reader gets */
	assert_int_equal(pvpci_sysfs_open(BDF, f->root, &f->log, &s), -EIO);
	assert_true(log_has(f, "as root"));
}

static void test_not_sysfs_source_calls_refused(void **state)
{
	struct pvpci_sysfs_stats st;
	char buf[8];

	assert_false(pvpci_source_is_sysfs(NULL));
	assert_int_equal(pvpci_sysfs_driver(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pvpci_sysfs_writable(NULL, NULL, 0), -EINVAL);
	pvpci_sysfs_get_stats(NULL, &st);
	assert_int_equal(st.dev_reads, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_reads_ids_and_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constant_fields_cost_no_device_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_fields_ignore_file_changes_others_see_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_spanning_uncached_bytes_reads_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_cap_headers_cached, setup_pcie, teardown),
		cmocka_unit_test_setup_teardown(test_bar_io_and_mem32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_mem64_above_4g_both_halves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_empty_and_rom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_io_read_through_resource_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_resource_file_fails_open, setup_closed, teardown),
		cmocka_unit_test_setup_teardown(test_write_refused_when_host_driver_owns, setup_virtio, teardown),
		cmocka_unit_test_setup_teardown(test_bar_access_refused_when_host_driver_owns, setup_virtio, teardown),
		cmocka_unit_test_setup_teardown(test_write_allowed_unbound_and_stubs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding_rechecked_on_every_write, setup_pcie, teardown),
		cmocka_unit_test_setup_teardown(test_enable_and_disable_write_the_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_function_and_by_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_reset_file_is_enotty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_from_environment, setup_closed, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup_closed, teardown),
		cmocka_unit_test(test_not_sysfs_source_calls_refused),
	};

	return cmocka_run_group_tests_name("sysfs", tests, NULL, NULL);
}
