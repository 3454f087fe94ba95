/* SPDX-License-Identifier: MIT */
/*
 * PV policy tests, behaviour.md 3.4: BAR and ROM sizing emulation. The guest sees the
 * host's addresses (no device access), a sizing write answers the size mask until the next
 * write, other values are ignored, and only the host address itself is ever written to
 * the device (to put a lost BAR back).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "pvpci/pci.h"

/* nic-msix: BAR0/1 64-bit prefetchable 512K at 0x4000400000, BAR2 32-byte I/O at 0xe020,
 * BAR3 empty, BAR4/5 64-bit prefetchable 16K at 0x4000480000, ROM 512K at 0xfb800000. */
#define NIC_BAR0 0x0040000cu
#define NIC_BAR1 0x00000040u
#define NIC_BAR2 0x0000e021u
#define NIC_BAR4 0x0048000cu
#define NIC_ROM 0xfb800000u

static void test_bars_show_host_addresses_without_device_access(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	assert_int_equal(gr(&f, 0x10, 4), NIC_BAR0);
	assert_int_equal(gr(&f, 0x14, 4), NIC_BAR1);
	assert_int_equal(gr(&f, 0x18, 4), NIC_BAR2);
	assert_int_equal(gr(&f, 0x1c, 4), 0);
	assert_int_equal(gr(&f, 0x20, 4), NIC_BAR4);
	assert_int_equal(gr(&f, 0x24, 4), NIC_BAR1);
	assert_int_equal(gr(&f, PCI_REG_ROM, 4), NIC_ROM);
	assert_int_equal(gr(&f, 0x12, 2), 0x0040);
	assert_int_equal(cnt_reads(&f) + cnt_writes(&f), 0);
	fx_close(&f);
}

static void test_bar_sizing_answers_size_mask(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	for (int off = 0x10; off <= 0x24; off += 4)
		gw(&f, off, 4, 0xffffffff);
	gw(&f, PCI_REG_ROM, 4, PCI_ROM_ADDR_MASK);
	assert_int_equal(gr(&f, 0x10, 4), 0xfff8000c);  /* 512K, 64-bit prefetchable */
	assert_int_equal(gr(&f, 0x14, 4), 0xffffffff);  /* upper half */
	assert_int_equal(gr(&f, 0x18, 4), 0xffffffe1);  /* 32 bytes of I/O */
	assert_int_equal(gr(&f, 0x1c, 4), 0);           /* not implemented */
	assert_int_equal(gr(&f, 0x20, 4), 0xffffc00c);  /* 16K */
	assert_int_equal(gr(&f, PCI_REG_ROM, 4), 0xfff80000);
	assert_int_equal(cnt_writes(&f), 0);
	for (int off = 0x10; off <= 0x24; off += 4)
		assert_int_equal(hw(&f, (unsigned)off, 4),
				 f.initial[off] | f.initial[off + 1] << 8 |
				 f.initial[off + 2] << 16 | (uint32_t)f.initial[off + 3] << 24);
	assert_int_equal(hw(&f, PCI_REG_ROM, 4), NIC_ROM);
	fx_close(&f);
}

/* The type bits may be written as 0 in a sizing write. */
static void test_bar_sizing_ignores_type_bits(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	gw(&f, 0x10, 4, 0xfffffff0);
	assert_int_equal(gr(&f, 0x10, 4), 0xfff8000c);
	gw(&f, 0x18, 4, 0xfffffffc);
	assert_int_equal(gr(&f, 0x18, 4), 0xffffffe1);
	gw(&f, 0x14, 4, 0xfffffff0); /* upper half: all 32 bits are address */
	assert_int_equal(gr(&f, 0x14, 4), NIC_BAR1);
	fx_close(&f);
}

static void test_bar_sizing_ends_on_next_write(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	gw(&f, 0x10, 4, 0xffffffff);
	gw(&f, 0x10, 4, NIC_BAR0);
	assert_int_equal(gr(&f, 0x10, 4), NIC_BAR0);
	gw(&f, 0x10, 4, 0xffffffff);
	gw(&f, 0x10, 4, 0x12345000);
	assert_int_equal(gr(&f, 0x10, 4), NIC_BAR0);
	fx_close(&f);
}

/* A guest-chosen address never reaches the device. */
static void test_bar_other_address_ignored(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	gw(&f, 0x10, 4, 0x80000000);
	gw(&f, 0x14, 4, 0);
	gw(&f, 0x18, 4, 0x1001);
	gw(&f, PCI_REG_ROM, 4, NIC_ROM | PCI_ROM_ENABLE); /* enabling the ROM: unsupported */
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 4);
	assert_int_equal(hw(&f, 0x10, 4), NIC_BAR0);
	assert_int_equal(hw(&f, 0x14, 4), NIC_BAR1);
	assert_int_equal(hw(&f, 0x18, 4), NIC_BAR2);
	assert_int_equal(hw(&f, PCI_REG_ROM, 4), NIC_ROM);
	assert_int_equal(gr(&f, 0x10, 4), NIC_BAR0);
	assert_int_equal(gr(&f, PCI_REG_ROM, 4), NIC_ROM);
	fx_close(&f);
}

/* Writing exactly the host address puts a lost device BAR back. */
static void test_bar_host_address_restores_device(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	hwset(&f, 0x10, 4, 0); /* the device lost its BAR */
	cnt_reset(&f);
	gw(&f, 0x10, 4, NIC_BAR0);
	assert_int_equal(cnt_writes(&f), 1);
	assert_int_equal(hw(&f, 0x10, 4), NIC_BAR0);
	cnt_reset(&f);
	gw(&f, 0x10, 4, NIC_BAR0); /* already right: read, no write */
	assert_int_equal(cnt_reads(&f), 1);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 0);
	fx_close(&f);
}

/* pciback: only 32-bit BAR writes are meaningful; narrower ones merge and are ignored. */
static void test_bar_narrow_writes_never_reach_device(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	for (int i = 0; i < 4; i++)
		gw(&f, 0x10 + i, 1, 0xff);
	gw(&f, 0x20, 2, 0xffff);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, 0x10, 4), NIC_BAR0);
	fx_close(&f);
}

static void test_io_bars_sizing(void **state)
{
	static const uint32_t sizes[6] = { 8, 4, 8, 4, 0x20, 0x800 };
	struct fx f;

	fx_open(&f, "msi-maskable.model", NULL);
	for (int i = 0; i < 6; i++) {
		uint32_t val = gr(&f, 0x10 + 4 * i, 4);
		uint32_t type = val & (i < 5 ? 0x3u : 0xfu);

		gw(&f, 0x10 + 4 * i, 4, 0xffffffff);
		assert_int_equal(gr(&f, 0x10 + 4 * i, 4), (0u - sizes[i]) | type);
		gw(&f, 0x10 + 4 * i, 4, val);
	}
	assert_int_equal(cnt_writes(&f), 0);
	fx_close(&f);
}

static void test_bridge_without_bars_sizes_zero(void **state)
{
	struct fx f;

	fx_open(&f, "bridge.model", NULL);
	gw(&f, 0x10, 4, 0xffffffff);
	gw(&f, 0x14, 4, 0xffffffff);
	assert_int_equal(gr(&f, 0x10, 4), 0);
	assert_int_equal(gr(&f, 0x14, 4), 0);
	assert_int_equal(cnt_writes(&f), 0);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bars_show_host_addresses_without_device_access),
		cmocka_unit_test(test_bar_sizing_answers_size_mask),
		cmocka_unit_test(test_bar_sizing_ignores_type_bits),
		cmocka_unit_test(test_bar_sizing_ends_on_next_write),
		cmocka_unit_test(test_bar_other_address_ignored),
		cmocka_unit_test(test_bar_host_address_restores_device),
		cmocka_unit_test(test_bar_narrow_writes_never_reach_device),
		cmocka_unit_test(test_io_bars_sizing),
		cmocka_unit_test(test_bridge_without_bars_sizes_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
