/* SPDX-License-Identifier: MIT */
/*
 * vpci small-BAR tests: a memory BAR smaller than a page is never mapped (its host page
 * may hold another device's registers); its guest page is trapped and guest accesses
 * inside the BAR reach the device while the rest of the page reads all-ones and drops
 * writes, also when the page is shared by small BARs of two devices and when the BAR does
 * not start on a page boundary (accesses before its start are outside it, on plain and on
 * MSI-X pages). BARs below the PCI minimum (memory 16 bytes, I/O 4) are shown empty; they
 * come from a fake sysfs tree since the model source refuses them.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static struct fx F;

static int up(void **state)
{
	fx_up(&F);
	return 0;
}

static int down(void **state)
{
	fx_down(&F);
	return 0;
}

/* The synthetic device with BAR4 of `size` bytes at host address host4 (the other BARs
 * as fx_syn has them). */
static struct pvpci_source *syn_small(const char *addr, uint32_t host4, const char *size)
{
	struct fx_dev d;
	char line[32];

	fx_syn(&d, addr);
	d.extra[0] = 0;
	fx_bar_size(&d, "bar0 4000");
	fx_bar_size(&d, "bar1 100000");
	fx_bar_size(&d, "bar3 20");
	snprintf(line, sizeof(line), "bar4 %s", size);
	fx_bar_size(&d, line);
	fx_bar_size(&d, "rom 10000");
	fx_put(&d, 0x20, 4, host4);
	return fx_open(&F, &d);
}

static void decode(struct pvpci_sbdf g, bool on)
{
	gw(&F, g, 0x04, 2, on ? 0x0006 : 0x0004);
}

/* Every mapping of the table maps whole host pages of one BAR of the given sources. */
static void maps_are_whole_bar_pages(struct pvpci_source **src, unsigned n)
{
	struct pvpci_vpci_map m[64];
	size_t nm = pvpci_vpci_host_maps(F.host, m, 64);

	assert_true(nm <= 64);
	for (size_t i = 0; i < nm; i++) {
		bool inside = false;

		for (unsigned k = 0; k < n && !inside; k++)
			for (unsigned b = 0; b < 7 && !inside; b++) {
				struct pvpci_bar_info bi;

				if (pvpci_source_bar_info(src[k], b, &bi) || !bi.size ||
				    (bi.type != PVPCI_BAR_MEM32 && bi.type != PVPCI_BAR_MEM64_LO &&
				     bi.type != PVPCI_BAR_ROM))
					continue;
				inside = m[i].mfn << 12 >= bi.addr &&
					 (m[i].mfn + m[i].nr) << 12 <= bi.addr + bi.size;
			}
		assert_true(inside);
	}
}

/* ---- 1. BARs smaller than a page are trapped, not mapped ---- */

static void test_small_bar_page_is_trapped_not_mapped(void **state)
{
	struct pvpci_source *s = syn_small("03:00.0", 0xfd001000, "100");
	struct pvpci_sbdf g = fx_assign(&F, s, -1);
	uint64_t v;

	gw(&F, g, 0x20, 4, 0x20010000);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	/* Nothing maps guest frame 0x20010 (the host page 0xfd001 is not all BAR4's). */
	assert_null(strstr(fx_maps(&F), "20010-"));
	assert_null(strstr(fx_maps(&F), "fd001"));
	maps_are_whole_bar_pages(&s, 1);
	/* Inside the BAR: the device. */
	mw(&F, 0x20010010, 4, 0xdeadbeef);
	assert_int_equal(hbar(s, 4, 0x10, 4), 0xdeadbeef);
	assert_int_equal(mr(&F, 0x20010010, 4), 0xdeadbeef);
	mw(&F, 0x200100f8, 8, 0x1122334455667788ull);
	assert_int_equal(hbar(s, 4, 0xf8, 8), 0x1122334455667788ull);
	/* The rest of the page: all-ones, writes dropped, claimed (not -ENXIO). */
	assert_int_equal(mr(&F, 0x20010100, 4), 0xffffffff);
	assert_int_equal(mr(&F, 0x20010ff8, 8), ~0ull);
	mw(&F, 0x20010200, 4, 0);
	/* Straddling the end: the bytes inside from the device, the others all-ones. */
	assert_int_equal(mr(&F, 0x200100fc, 8), 0xffffffff11223344ull);
	mw(&F, 0x200100fc, 8, 0xaabbccdd55667788ull);
	assert_int_equal(hbar(s, 4, 0xfc, 4), 0x55667788);
	decode(g, false);
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, 0x20010100, 4, &v), -ENXIO);
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, 0x20010010, 4, &v), -ENXIO);
}

static void test_small_bars_of_two_devices_share_a_guest_page(void **state)
{
	struct pvpci_source *s[2] = { syn_small("03:00.0", 0xfd001000, "100"),
				      syn_small("04:00.0", 0xfd002100, "100") };
	struct pvpci_sbdf a = fx_assign(&F, s[0], -1), b = fx_assign(&F, s[1], -1);

	gw(&F, a, 0x20, 4, 0x20010000);
	gw(&F, b, 0x20, 4, 0x20010100);
	decode(a, true);
	decode(b, true);
	assert_int_equal(gr(&F, b, 0x04, 2) & 2, 2);
	maps_are_whole_bar_pages(s, 2);
	assert_null(strstr(fx_maps(&F), "20010-"));
	mw(&F, 0x20010004, 4, 0x0a0a0a0a);
	mw(&F, 0x20010104, 4, 0x0b0b0b0b);
	assert_int_equal(hbar(s[0], 4, 4, 4), 0x0a0a0a0a);
	assert_int_equal(hbar(s[1], 4, 4, 4), 0x0b0b0b0b);
	assert_int_equal(mr(&F, 0x20010004, 4), 0x0a0a0a0a);
	assert_int_equal(mr(&F, 0x20010104, 4), 0x0b0b0b0b);
	/* Straddling the two BARs: each half from its device. */
	mw(&F, 0x200100f8, 4, 0x11111111);
	mw(&F, 0x20010100, 4, 0x22222222);
	assert_int_equal(mr(&F, 0x200100fc, 8) >> 32, 0x22222222);
	assert_int_equal(mr(&F, 0x20010200, 4), 0xffffffff);
	/* One device off: its BAR reads all-ones while the page stays trapped for the other. */
	decode(a, false);
	assert_int_equal(mr(&F, 0x20010004, 4), 0xffffffff);
	assert_int_equal(mr(&F, 0x20010104, 4), 0x0b0b0b0b);
}

static void test_small_bar_keeps_the_host_page_offset(void **state)
{
	struct pvpci_source *s = syn_small("03:00.0", 0xfd001100, "100");
	struct pvpci_sbdf g = fx_assign(&F, s, -1);

	gw(&F, g, 0x20, 4, 0x20010000);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 0); /* page offsets differ: refused */
	gw(&F, g, 0x20, 4, 0x20010100);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	maps_are_whole_bar_pages(&s, 1);
	mw(&F, 0x20010120, 4, 0x5a5a5a5a);
	assert_int_equal(hbar(s, 4, 0x20, 4), 0x5a5a5a5a);
	assert_int_equal(mr(&F, 0x20010000, 4), 0xffffffff);
}

/* A small BAR on a page another device maps whole: the mapping wins (as the p2m would). */
static void test_small_bar_on_a_page_mapped_by_another_device(void **state)
{
	struct pvpci_source *s[2] = { syn_small("03:00.0", 0xfd001000, "1000"),
				      syn_small("04:00.0", 0xfd002100, "100") };
	struct pvpci_sbdf a = fx_assign(&F, s[0], -1), b = fx_assign(&F, s[1], -1);

	gw(&F, a, 0x20, 4, 0x20010000);
	gw(&F, b, 0x20, 4, 0x20010100);
	decode(a, true);
	decode(b, true);
	maps_are_whole_bar_pages(s, 2);
	mw(&F, 0x20010104, 4, 0x0c0c0c0c);
	assert_int_equal(hbar(s[0], 4, 0x104, 4), 0x0c0c0c0c);
	assert_int_equal(hbar(s[1], 4, 4, 4), 0);
}

/* ---- 3. A BAR not starting on a page boundary ---- */

static void test_access_before_a_small_bar_on_its_page_is_outside(void **state)
{
	struct pvpci_source *s = syn_small("03:00.0", 0xfd001800, "800");
	struct pvpci_sbdf g = fx_assign(&F, s, -1);

	gw(&F, g, 0x20, 4, 0x20010800);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	maps_are_whole_bar_pages(&s, 1);
	mw(&F, 0x20010800, 4, 0x01020304);
	assert_int_equal(mr(&F, 0x20010000, 4), 0xffffffff);
	assert_int_equal(mr(&F, 0x200107fc, 4), 0xffffffff);
	mw(&F, 0x200107fc, 4, 0);
	mw(&F, 0x20010000, 8, 0);
	assert_int_equal(hbar(s, 4, 0, 4), 0x01020304);
	assert_int_equal(hbar(s, 4, 0x7fc, 4), 0);
	/* Straddling the start: the upper half is the BAR's first bytes. */
	assert_int_equal(mr(&F, 0x200107fc, 8), 0x01020304ffffffffull);
	mw(&F, 0x200107fc, 8, 0xa1a2a3a4b1b2b3b4ull);
	assert_int_equal(hbar(s, 4, 0, 4), 0xa1a2a3a4);
}

/* MSI-X in a 2K BAR0 at page offset 0x800: table at 0x100, PBA at 0x400. */
static void test_access_before_a_bar_on_its_msix_page_is_outside(void **state)
{
	struct fx_dev d;
	struct pvpci_source *s;
	struct pvpci_sbdf g;

	fx_syn(&d, "03:00.0");
	d.extra[0] = 0;
	fx_bar_size(&d, "bar0 800");
	fx_bar_size(&d, "bar1 100000");
	fx_bar_size(&d, "bar3 20");
	fx_bar_size(&d, "bar4 1000");
	fx_put(&d, 0x10, 4, 0xfe000800);
	fx_put(&d, 0x74, 4, 0x00000100);
	fx_put(&d, 0x78, 4, 0x00000400);
	s = fx_open(&F, &d);
	g = fx_assign(&F, s, -1);
	gw(&F, g, 0x10, 4, 0x20000800);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	maps_are_whole_bar_pages(&s, 1);
	assert_null(strstr(fx_maps(&F), "20000-"));
	mw(&F, 0x20000800, 4, 0x01020304);
	assert_int_equal(hbar(s, 0, 0, 4), 0x01020304);
	assert_int_equal(mr(&F, 0x20000000, 4), 0xffffffff);
	assert_int_equal(mr(&F, 0x200007fc, 4), 0xffffffff);
	mw(&F, 0x200007fc, 4, 0);
	assert_int_equal(mr(&F, 0x200007fc, 8), 0x01020304ffffffffull);
	mw(&F, 0x200007fc, 8, 0xa1a2a3a4b1b2b3b4ull);
	assert_int_equal(hbar(s, 0, 0, 4), 0xa1a2a3a4);
	assert_int_equal(hbar(s, 0, 0x7fc, 4), 0);
	/* The table itself still works through the trap. */
	mw(&F, 0x20000908, 4, 0x4321);
	assert_int_equal(mr(&F, 0x20000908, 4), 0x4321);
}

/* ---- 2. BARs below the PCI minimum (a fake sysfs device) ---- */

struct tree {
	char root[64];
	char dev[128];
};

static void put_file(const struct tree *t, const char *leaf, const void *data, size_t len)
{
	char p[256];
	FILE *o;

	snprintf(p, sizeof(p), "%s/%s", t->dev, leaf);
	o = fopen(p, "w");
	assert_non_null(o);
	assert_int_equal(fwrite(data, 1, len, o), len);
	fclose(o);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *w)
{
	return remove(p);
}

/* An unbound device 0000:00:05.0 with no capabilities and the given resource lines. */
static struct pvpci_source *sysfs_dev(struct tree *t, const char *resource)
{
	uint8_t cfg[256] = { 0 };
	struct pvpci_source *s = NULL;

	strcpy(t->root, "/tmp/pvpci-vbar-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->dev, sizeof(t->dev), "%s/0000:00:05.0", t->root);
	assert_int_equal(mkdir(t->dev, 0755), 0);
	cfg[0] = 0x34; cfg[1] = 0x12; cfg[2] = 0x78; cfg[3] = 0x56;
	cfg[0x0b] = 0x02;
	put_file(t, "config", cfg, sizeof(cfg));
	put_file(t, "resource", resource, strlen(resource));
	put_file(t, "enable", "0\n", 2);
	assert_int_equal(pvpci_sysfs_open("0000:00:05.0", t->root, &F.log, &s), 0);
	return s;
}

static void tree_down(struct tree *t, struct pvpci_source *s)
{
	pvpci_source_close(s);
	nftw(t->root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

#define RES_NONE "0x0 0x0 0x0\n"

static void test_bars_below_the_pci_minimum_are_shown_empty(void **state)
{
	struct tree t;
	/* BAR0 mem32 8 bytes, BAR1 mem32 16 bytes, BAR2 I/O 2 bytes, BAR3 I/O 4 bytes. */
	struct pvpci_source *s = sysfs_dev(&t,
		"0xfd001000 0xfd001007 0x40200\n"
		"0xfd001010 0xfd00101f 0x40200\n"
		"0xe000 0xe001 0x40101\n"
		"0xe004 0xe007 0x40101\n"
		RES_NONE RES_NONE RES_NONE);
	struct pvpci_sbdf g = fx_assign(&F, s, -1);
	uint64_t v;

	for (unsigned i = 0; i < 4; i++)
		gw(&F, g, 0x10 + 4 * i, 4, 0xffffffff);
	assert_int_equal(gr(&F, g, 0x10, 4), 0);          /* 8 bytes: empty */
	assert_int_equal(gr(&F, g, 0x14, 4), 0xfffffff0); /* 16 bytes: a BAR */
	assert_int_equal(gr(&F, g, 0x18, 4), 0);          /* I/O 2 bytes: empty */
	assert_int_equal(gr(&F, g, 0x1c, 4), 0xfffffffd); /* I/O 4 bytes (bits 15:2) */
	assert_true(fx_logged(&F, "BAR0: size 0x8 below the minimum"));
	assert_true(fx_logged(&F, "BAR2: size 0x2 below the minimum"));
	/* Decoding on maps nothing of the 8-byte BAR and nothing claims its page. */
	gw(&F, g, 0x10, 4, 0x20010000);
	gw(&F, g, 0x14, 4, 0x20020010);
	gw(&F, g, 0x04, 2, 0x0002);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	assert_null(strstr(fx_maps(&F), "20010-"));
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, 0x20010000, 4, &v), -ENXIO);
	assert_int_equal(v, 0xffffffff);
	pvpci_vpci_domain_destroy(F.dom);
	F.dom = NULL;
	tree_down(&t, s);
}

static int down_tree(void **state)
{
	if (F.dom)
		fx_down(&F);
	else {
		assert_int_equal(pvpci_vpci_host_maps(F.host, NULL, 0), 0);
		pvpci_vpci_host_destroy(F.host);
		for (unsigned i = 0; i < F.nsrc; i++)
			pvpci_source_close(F.src[i]);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_bar_page_is_trapped_not_mapped, up,
						down),
		cmocka_unit_test_setup_teardown(test_small_bars_of_two_devices_share_a_guest_page,
						up, down),
		cmocka_unit_test_setup_teardown(test_small_bar_keeps_the_host_page_offset, up,
						down),
		cmocka_unit_test_setup_teardown(test_small_bar_on_a_page_mapped_by_another_device,
						up, down),
		cmocka_unit_test_setup_teardown(test_access_before_a_small_bar_on_its_page_is_outside,
						up, down),
		cmocka_unit_test_setup_teardown(test_access_before_a_bar_on_its_msix_page_is_outside,
						up, down),
		cmocka_unit_test_setup_teardown(test_bars_below_the_pci_minimum_are_shown_empty,
						up, down_tree),
	};

	return cmocka_run_group_tests_name("vpci-smallbar", tests, NULL, NULL);
}
