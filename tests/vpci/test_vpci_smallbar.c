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
		cmocka_unit_test_setup_teardown(test_bars_below_the_pci_minimum_are_shown_empty,
						up, down_tree),
	};

	return cmocka_run_group_tests_name("vpci-smallbar", tests, NULL, NULL);
}
