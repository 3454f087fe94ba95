/* SPDX-License-Identifier: MIT */
/*
 * vpci MSI / MSI-X tests: the emulated control registers, enable binding vectors through
 * the platform with the host's message programmed on the device, guest masks followed by
 * the bindings and the device, re-binding on a changed message, disable unbinding, the
 * two never on together, the MSI-X table trap (entries start masked, access widths, the
 * index bounded by the real table size), PBA reads from the device, registers sharing the
 * trapped pages forwarded, and interrupts from the device reaching the right binding.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define TABLE 0x20002000ull
#define PBA 0x20003000ull

static struct fx F;
static struct pvpci_sbdf G;

static int up(void **state)
{
	struct fx_dev d;

	fx_up(&F);
	fx_syn(&d, "03:00.0");
	G = fx_assign(&F, fx_open(&F, &d), -1);
	return 0;
}

static int down(void **state)
{
	fx_down(&F);
	return 0;
}

static struct pvpci_vpci_binding binding(int handle)
{
	struct pvpci_vpci_binding b;

	assert_int_equal(pvpci_vpci_host_binding(F.host, handle, &b), 0);
	return b;
}

static size_t nbindings(void)
{
	return pvpci_vpci_host_bindings(F.host, NULL, 0);
}

static void msi_setup(unsigned qsize)
{
	gw(&F, G, 0x54, 4, 0xfee01000);
	gw(&F, G, 0x58, 4, 0);
	gw(&F, G, 0x5c, 2, 0x4040);
	gw(&F, G, 0x52, 2, (uint32_t)(qsize << 4 | 1));
}

/* BAR0 at 0x20000000 and memory decoding on: the table and PBA pages are trapped. */
static void msix_bar(void)
{
	gw(&F, G, 0x10, 4, 0x20000000);
	gw(&F, G, 0x04, 2, 0x0006);
}

static void entry(unsigned i, uint64_t addr, uint32_t data)
{
	mw(&F, TABLE + 16 * i, 8, addr);
	mw(&F, TABLE + 16 * i + 8, 4, data);
}

static void test_msi_control_register_view(void **state)
{
	assert_int_equal(gr(&F, G, 0x52, 2), 0x0186);
	gw(&F, G, 0x52, 2, 0x0070); /* 128 vectors asked: clamped to the 8 there are */
	assert_int_equal(gr(&F, G, 0x52, 2), 0x01b6);
	gw(&F, G, 0x52, 2, 0xfe00); /* RO and RsvdP bits do not move */
	assert_int_equal(gr(&F, G, 0x52, 2), 0x0186);
	assert_int_equal(hr(F.src[0], 0x52, 2) & 1, 0);
}

static void test_msi_enable_binds_and_programs_the_host_message(void **state)
{
	msi_setup(2);
	assert_int_equal(nbindings(), 4);
	for (int i = 0; i < 4; i++) {
		struct pvpci_vpci_binding b = binding(100 + i);

		assert_int_equal(b.irq.kind, PVPCI_IRQ_MSI);
		assert_int_equal(b.irq.index, i);
		assert_int_equal(b.irq.addr, 0xfee01000);
		assert_int_equal(b.irq.data, 0x4040 + i);
	}
	/* The device has the host's message, the guest reads its own. */
	assert_int_equal(hr(F.src[0], 0x54, 4), 0xfee00000);
	assert_int_equal(hr(F.src[0], 0x5c, 2), 100);
	assert_int_equal(hr(F.src[0], 0x52, 2) & 0x71, 0x21);
	assert_int_equal(gr(&F, G, 0x54, 4), 0xfee01000);
	assert_int_equal(gr(&F, G, 0x5c, 2), 0x4040);
	assert_int_equal(gr(&F, G, 0x5e, 2), 0);
	assert_int_equal(gr(&F, G, 0x52, 2), 0x01a7);
}

static void test_msi_mask_follows_the_guest(void **state)
{
	struct pvpci_vpci_binding b;

	msi_setup(2);
	gw(&F, G, 0x60, 4, 0x2);
	assert_true(binding(101).masked);
	assert_false(binding(100).masked);
	assert_int_equal(hr(F.src[0], 0x60, 4), 0x2);
	assert_int_equal(pvpci_model_raise(F.src[0], PVPCI_IRQ_MSI, 1), 0);
	assert_int_equal(gr(&F, G, 0x64, 4) & 0x2, 0x2); /* pending, read from the device */
	assert_int_equal(pvpci_model_raise(F.src[0], PVPCI_IRQ_MSI, 3), 1);
	b = binding(103);
	assert_int_equal(b.fired, 1);
	assert_int_equal(binding(101).fired, 0);
	gw(&F, G, 0x60, 4, 0xffffffff); /* bits above the 8 vectors are reserved */
	assert_int_equal(gr(&F, G, 0x60, 4), 0xff);
}

static void test_msi_message_change_rebinds(void **state)
{
	msi_setup(0);
	assert_int_equal(binding(100).irq.data, 0x4040);
	gw(&F, G, 0x5c, 2, 0x5051);
	assert_int_equal(nbindings(), 1);
	assert_int_equal(pvpci_vpci_host_binding(F.host, 100, &(struct pvpci_vpci_binding){ 0 }),
			 0);
	assert_int_equal(binding(100).irq.data, 0x5051);
	gw(&F, G, 0x58, 4, 0x1);
	assert_int_equal(binding(100).irq.addr, 0x1fee01000ull);
}

static void test_msi_disable_unbinds(void **state)
{
	msi_setup(3);
	assert_int_equal(nbindings(), 8);
	gw(&F, G, 0x52, 2, 0x0030);
	assert_int_equal(nbindings(), 0);
	assert_int_equal(hr(F.src[0], 0x52, 2) & 1, 0);
	assert_int_equal(gr(&F, G, 0x52, 2) & 1, 0);
}

static void test_msi_and_msix_are_never_on_together(void **state)
{
	msi_setup(0);
	gw(&F, G, 0x72, 2, 0x8000);
	assert_int_equal(gr(&F, G, 0x72, 2), 0x000f);
	assert_int_equal(hr(F.src[0], 0x72, 2) & 0x8000, 0);
	gw(&F, G, 0x52, 2, 0);
	gw(&F, G, 0x72, 2, 0x8000);
	assert_int_equal(gr(&F, G, 0x72, 2), 0x800f);
	msi_setup(0);
	assert_int_equal(gr(&F, G, 0x52, 2) & 1, 0);
	assert_int_equal(nbindings(), 0);
}

static void test_msix_control_register_view(void **state)
{
	assert_int_equal(gr(&F, G, 0x72, 2), 0x000f);
	assert_int_equal(gr(&F, G, 0x74, 4), 0x00002000);
	assert_int_equal(gr(&F, G, 0x78, 4), 0x00003000);
	gw(&F, G, 0x72, 2, 0xffff);
	assert_int_equal(gr(&F, G, 0x72, 2), 0xc00f);
	assert_int_equal(hr(F.src[0], 0x72, 2), 0xc00f);
	assert_int_equal(gr(&F, G, 0x04, 2) & 0x0400, 0x0400);
	gw(&F, G, 0x74, 4, 0x12345678); /* read-only */
	assert_int_equal(gr(&F, G, 0x74, 4), 0x00002000);
}

static void test_msix_entries_start_masked(void **state)
{
	msix_bar();
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(mr(&F, TABLE + 16 * i + 12, 4), 1);
		assert_int_equal(hbar(F.src[0], 0, 0x2000 + 16 * i + 12, 4), 1);
	}
}

static void test_msix_unmask_binds_the_updated_entry(void **state)
{
	msix_bar();
	entry(3, 0xfee02000, 0x4053);
	gw(&F, G, 0x72, 2, 0x8000);
	assert_int_equal(nbindings(), 0); /* still masked */
	mw(&F, TABLE + 16 * 3 + 12, 4, 0);
	assert_int_equal(nbindings(), 1);
	assert_int_equal(binding(100).irq.kind, PVPCI_IRQ_MSIX);
	assert_int_equal(binding(100).irq.index, 3);
	assert_int_equal(binding(100).irq.addr, 0xfee02000);
	assert_int_equal(binding(100).irq.data, 0x4053);
	/* The device's entry holds the host's message and is unmasked. */
	assert_int_equal(hbar(F.src[0], 0, 0x2030, 4), 0xfee00000);
	assert_int_equal(hbar(F.src[0], 0, 0x2038, 4), 100);
	assert_int_equal(hbar(F.src[0], 0, 0x203c, 4), 0);
	assert_int_equal(mr(&F, TABLE + 0x30, 8), 0xfee02000);
	assert_int_equal(pvpci_model_raise(F.src[0], PVPCI_IRQ_MSIX, 3), 1);
	assert_int_equal(binding(100).fired, 1);
}

static void test_msix_mask_and_rebind(void **state)
{
	msix_bar();
	gw(&F, G, 0x72, 2, 0x8000);
	entry(0, 0xfee02000, 0x41);
	mw(&F, TABLE + 12, 4, 0);
	assert_int_equal(binding(100).irq.data, 0x41);
	mw(&F, TABLE + 12, 4, 1);
	assert_true(binding(100).masked);
	assert_int_equal(hbar(F.src[0], 0, 0x200c, 4), 1);
	assert_int_equal(pvpci_model_raise(F.src[0], PVPCI_IRQ_MSIX, 0), 0);
	mw(&F, TABLE + 8, 4, 0x42);      /* new data while masked */
	assert_int_equal(binding(100).irq.data, 0x41);
	mw(&F, TABLE + 12, 4, 0);        /* unmask: re-bound with the new message */
	assert_int_equal(nbindings(), 1);
	assert_int_equal(binding(100).irq.data, 0x42);
	assert_false(binding(100).masked);
	/* The pending interrupt from while it was masked arrives at the new binding. */
	assert_int_equal(binding(100).fired, 1);
	mw(&F, TABLE + 12, 4, 1);        /* mask, unmask without a change: same binding */
	mw(&F, TABLE + 12, 4, 0);
	assert_int_equal(binding(100).irq.data, 0x42);
	assert_int_equal(pvpci_vpci_host_bindings(F.host, NULL, 0), 1);
}

static void test_msix_maskall_and_disable(void **state)
{
	msix_bar();
	entry(1, 0xfee02000, 0x51);
	entry(2, 0xfee02000, 0x52);
	mw(&F, TABLE + 16 + 12, 4, 0);
	mw(&F, TABLE + 32 + 12, 4, 0);
	gw(&F, G, 0x72, 2, 0xc000); /* enable with MASKALL: nothing bound yet */
	assert_int_equal(nbindings(), 0);
	gw(&F, G, 0x72, 2, 0x8000);
	assert_int_equal(nbindings(), 2);
	gw(&F, G, 0x72, 2, 0x0000);
	assert_int_equal(nbindings(), 0);
	assert_int_equal(hr(F.src[0], 0x72, 2) & 0xc000, 0);
	assert_int_equal(hbar(F.src[0], 0, 0x201c, 4), 1);
	gw(&F, G, 0x72, 2, 0x8000); /* enabled again: the unmasked entries bind again */
	assert_int_equal(nbindings(), 2);
}

static void test_msix_table_access_widths(void **state)
{
	uint64_t v;

	msix_bar();
	mw(&F, TABLE + 0x10, 8, 0x00000001fee03000ull);
	assert_int_equal(mr(&F, TABLE + 0x10, 4), 0xfee03000);
	assert_int_equal(mr(&F, TABLE + 0x14, 4), 0x1);
	mw(&F, TABLE + 0x18, 8, 0x0000000100000077ull); /* data 0x77, ctrl 1 */
	assert_int_equal(mr(&F, TABLE + 0x18, 8), 0x0000000100000077ull);
	/* Unaligned or narrow: reads all-ones, writes ignored. */
	assert_int_equal(mr(&F, TABLE + 0x12, 4), 0xffffffff);
	assert_int_equal(mr(&F, TABLE + 0x10, 2), 0xffff);
	assert_int_equal(mr(&F, TABLE + 0x10, 1), 0xff);
	assert_int_equal(mr(&F, TABLE + 0x14, 8), 0xffffffffffffffffull);
	mw(&F, TABLE + 0x10, 2, 0);
	mw(&F, TABLE + 0x11, 1, 0);
	assert_int_equal(mr(&F, TABLE + 0x10, 8), 0x00000001fee03000ull);
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, TABLE, 3, &v), -EINVAL);
}

static void test_msix_pba_reads_the_device_and_drops_writes(void **state)
{
	msix_bar();
	gw(&F, G, 0x72, 2, 0x8000);
	assert_int_equal(pvpci_model_raise(F.src[0], PVPCI_IRQ_MSIX, 5), 0); /* masked */
	assert_int_equal(mr(&F, PBA, 8), 0x20);
	assert_int_equal(mr(&F, PBA, 4), 0x20);
	mw(&F, PBA, 8, 0);
	assert_int_equal(mr(&F, PBA, 8), 0x20);
	assert_int_equal(mr(&F, PBA + 1, 1), 0xff);
}

static void test_msix_adjacent_registers_are_forwarded(void **state)
{
	msix_bar();
	/* Past the 16 entries on the table's page, and past the PBA on its page. */
	mw(&F, TABLE + 0x100, 4, 0xcafef00d);
	assert_int_equal(hbar(F.src[0], 0, 0x2100, 4), 0xcafef00d);
	assert_int_equal(mr(&F, TABLE + 0x100, 4), 0xcafef00d);
	mw(&F, PBA + 0x10, 2, 0xbeef);
	assert_int_equal(hbar(F.src[0], 0, 0x3010, 2), 0xbeef);
	mw(&F, TABLE + 0xffd, 2, 0x1234); /* unaligned: split into bytes */
	assert_int_equal(hbar(F.src[0], 0, 0x2ffd, 1), 0x34);
	assert_int_equal(hbar(F.src[0], 0, 0x2ffe, 1), 0x12);
	assert_int_equal(mr(&F, TABLE + 0xffd, 2), 0x1234);
}

static void test_msix_table_index_bounded_by_the_real_size(void **state)
{
	msix_bar();
	gw(&F, G, 0x72, 2, 0x8000);
	/* "Entry 16" is past the table: it is an adjacent register, never an entry. */
	mw(&F, TABLE + 16 * 16, 8, 0xfee04000);
	mw(&F, TABLE + 16 * 16 + 12, 4, 0);
	assert_int_equal(nbindings(), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(mr(&F, TABLE + 16 * i, 8), 0);
}

static void test_msix_pages_not_trapped_without_decoding(void **state)
{
	uint64_t v;

	gw(&F, G, 0x10, 4, 0x20000000);
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, TABLE, 4, &v), -ENXIO);
	assert_int_equal(pvpci_vpci_mmio_write(F.dom, TABLE + 12, 4, 0), -ENXIO);
}

static void test_msix_deassign_unbinds_everything(void **state)
{
	msix_bar();
	gw(&F, G, 0x72, 2, 0x8000);
	entry(0, 0xfee02000, 0x41);
	mw(&F, TABLE + 12, 4, 0);
	assert_int_equal(nbindings(), 1);
	assert_int_equal(pvpci_vpci_deassign(F.dom, G), 0);
	assert_int_equal(nbindings(), 0);
	assert_int_equal(hr(F.src[0], 0x72, 2) & 0xc000, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_msi_control_register_view, up, down),
		cmocka_unit_test_setup_teardown(test_msi_enable_binds_and_programs_the_host_message,
						up, down),
		cmocka_unit_test_setup_teardown(test_msi_mask_follows_the_guest, up, down),
		cmocka_unit_test_setup_teardown(test_msi_message_change_rebinds, up, down),
		cmocka_unit_test_setup_teardown(test_msi_disable_unbinds, up, down),
		cmocka_unit_test_setup_teardown(test_msi_and_msix_are_never_on_together, up, down),
		cmocka_unit_test_setup_teardown(test_msix_control_register_view, up, down),
		cmocka_unit_test_setup_teardown(test_msix_entries_start_masked, up, down),
		cmocka_unit_test_setup_teardown(test_msix_unmask_binds_the_updated_entry, up,
						down),
		cmocka_unit_test_setup_teardown(test_msix_mask_and_rebind, up, down),
		cmocka_unit_test_setup_teardown(test_msix_maskall_and_disable, up, down),
		cmocka_unit_test_setup_teardown(test_msix_table_access_widths, up, down),
		cmocka_unit_test_setup_teardown(test_msix_pba_reads_the_device_and_drops_writes,
						up, down),
		cmocka_unit_test_setup_teardown(test_msix_adjacent_registers_are_forwarded, up,
						down),
		cmocka_unit_test_setup_teardown(test_msix_table_index_bounded_by_the_real_size,
						up, down),
		cmocka_unit_test_setup_teardown(test_msix_pages_not_trapped_without_decoding, up,
						down),
		cmocka_unit_test_setup_teardown(test_msix_deassign_unbinds_everything, up, down),
	};

	return cmocka_run_group_tests_name("vpci-msi", tests, NULL, NULL);
}
