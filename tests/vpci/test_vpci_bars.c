/* SPDX-License-Identifier: MIT */
/*
 * vpci BAR tests: sizing and relocation of each BAR type like hardware with the host BAR
 * never written, and the mapping table that memory decoding produces: exact ranges,
 * MSI-X table and PBA holes, BAR moves, page offsets, ROM enable, overlaps between two
 * devices of one guest, guest windows, a failed map crashing the guest, MMIO forwarded
 * through mapped frames.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

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

static struct pvpci_sbdf syn_at(const char *addr)
{
	struct fx_dev d;

	fx_syn(&d, addr);
	return fx_assign(&F, fx_open(&F, &d), -1);
}

/* The host's BAR registers are what they were. */
static void host_bars_unchanged(struct pvpci_source *s)
{
	assert_int_equal(hr(s, 0x10, 4), 0xfe000000);
	assert_int_equal(hr(s, 0x14, 4), 0x0000000c);
	assert_int_equal(hr(s, 0x18, 4), 0x00000040);
	assert_int_equal(hr(s, 0x1c, 4), 0x0000e001);
	assert_int_equal(hr(s, 0x20, 4), 0xfd001000);
	assert_int_equal(hr(s, 0x24, 4), 0);
	assert_int_equal(hr(s, 0x30, 4) & ~1u, 0xfb000000);
}

/* Puts BAR0 at 0x20000000, BAR1 at 4G, BAR4 at 0x20010000. */
static void place(struct pvpci_sbdf g)
{
	gw(&F, g, 0x10, 4, 0x20000000);
	gw(&F, g, 0x14, 4, 0x00000000);
	gw(&F, g, 0x18, 4, 0x00000001);
	gw(&F, g, 0x20, 4, 0x20010000);
}

static void decode(struct pvpci_sbdf g, bool on)
{
	gw(&F, g, 0x04, 2, on ? 0x0006 : 0x0004);
}

static void test_mem32_bar_sizing_and_relocation(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	gw(&F, g, 0x10, 4, 0xffffffff);
	assert_int_equal(gr(&F, g, 0x10, 4), 0xffffc000);
	gw(&F, g, 0x10, 4, 0x12345678);
	assert_int_equal(gr(&F, g, 0x10, 4), 0x12344000);
	gw(&F, g, 0x12, 2, 0xabcd); /* a partial write merges */
	assert_int_equal(gr(&F, g, 0x10, 4), 0xabcd4000);
	host_bars_unchanged(F.src[0]);
}

static void test_mem64_bar_sizing_and_relocation(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	gw(&F, g, 0x14, 4, 0xffffffff);
	gw(&F, g, 0x18, 4, 0xffffffff);
	assert_int_equal(gr(&F, g, 0x14, 4), 0xfff0000c);
	assert_int_equal(gr(&F, g, 0x18, 4), 0xffffffff);
	gw(&F, g, 0x14, 4, 0x80000000);
	gw(&F, g, 0x18, 4, 0x00000001);
	assert_int_equal(gr(&F, g, 0x14, 4), 0x8000000c);
	assert_int_equal(gr(&F, g, 0x18, 4), 0x00000001);
	host_bars_unchanged(F.src[0]);
}

static void test_io_bar_sizing_and_relocation(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	gw(&F, g, 0x1c, 4, 0xffffffff);
	assert_int_equal(gr(&F, g, 0x1c, 4), 0xffffffe1);
	gw(&F, g, 0x1c, 4, 0xc010);
	assert_int_equal(gr(&F, g, 0x1c, 4), 0x0000c001);
	host_bars_unchanged(F.src[0]);
}

static void test_rom_bar_sizing_and_relocation(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	gw(&F, g, 0x30, 4, 0xfffff800);
	assert_int_equal(gr(&F, g, 0x30, 4), 0xffff0000);
	gw(&F, g, 0x30, 4, 0x30000001);
	assert_int_equal(gr(&F, g, 0x30, 4), 0x30000001);
	host_bars_unchanged(F.src[0]);
	assert_int_equal(hr(F.src[0], 0x30, 4), 0xfb000000); /* decoding off: not enabled */
}

static void test_empty_bar_reads_zero(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	gw(&F, g, 0x24, 4, 0xffffffff);
	assert_int_equal(gr(&F, g, 0x24, 4), 0);
}

static const char *const placed_maps =
	"0x20000-0x20001 -> 0xfe000-0xfe001\n"
	"0x20010-0x20010 -> 0xfd001-0xfd001\n"
	"0x100000-0x1000ff -> 0x4000000-0x40000ff\n";

static void test_decoding_on_maps_exactly_the_bars(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	place(g);
	assert_string_equal(fx_maps(&F), "");
	decode(g, true);
	/* BAR0 without its MSI-X table (0x2000) and PBA (0x3000) pages; BAR1 whole; BAR4. */
	assert_string_equal(fx_maps(&F), placed_maps);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	assert_int_equal(hr(F.src[0], 0x04, 2) & 2, 2);
	decode(g, false);
	assert_string_equal(fx_maps(&F), "");
	assert_int_equal(hr(F.src[0], 0x04, 2) & 2, 0);
	host_bars_unchanged(F.src[0]);
}

static void test_bar_write_while_mapped_is_ignored(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	place(g);
	decode(g, true);
	gw(&F, g, 0x10, 4, 0x50000000);
	gw(&F, g, 0x18, 4, 0x00000002);
	assert_int_equal(gr(&F, g, 0x10, 4), 0x20000000);
	assert_int_equal(gr(&F, g, 0x18, 4), 0x00000001);
	assert_string_equal(fx_maps(&F), placed_maps);
	assert_true(fx_logged(&F, "BAR0 write ignored"));
}

static void test_bar_move_with_decoding_off_then_on_remaps(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	place(g);
	decode(g, true);
	decode(g, false);
	gw(&F, g, 0x10, 4, 0x50004000);
	gw(&F, g, 0x20, 4, 0xffffffff); /* sizing BAR4, then back */
	assert_int_equal(gr(&F, g, 0x20, 4), 0xfffff000);
	gw(&F, g, 0x20, 4, 0x20010000);
	decode(g, true);
	assert_string_equal(fx_maps(&F),
			    "0x20010-0x20010 -> 0xfd001-0xfd001\n"
			    "0x50004-0x50005 -> 0xfe000-0xfe001\n"
			    "0x100000-0x1000ff -> 0x4000000-0x40000ff\n");
}

static void test_page_offset_mismatch_is_refused(void **state)
{
	struct fx_dev d;
	struct pvpci_sbdf g;

	fx_syn(&d, "03:00.0");
	fx_put(&d, 0x20, 4, 0xfd001100); /* BAR4: 256 bytes at page offset 0x100 */
	strcpy(d.extra, "");
	fx_bar_size(&d, "bar0 4000");
	fx_bar_size(&d, "bar1 100000");
	fx_bar_size(&d, "bar3 20");
	fx_bar_size(&d, "bar4 100");
	fx_bar_size(&d, "rom 10000");
	g = fx_assign(&F, fx_open(&F, &d), -1);
	place(g);
	gw(&F, g, 0x20, 4, 0x20010000);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 0);
	assert_int_equal(hr(F.src[0], 0x04, 2) & 2, 0);
	assert_string_equal(fx_maps(&F), "");
	assert_true(fx_logged(&F, "differ in page offset"));
	gw(&F, g, 0x20, 4, 0x20010100);
	decode(g, true);
	assert_int_equal(gr(&F, g, 0x04, 2) & 2, 2);
	/* BAR4 is under a page: its page is trapped, never mapped (test_vpci_smallbar.c). */
	assert_string_equal(fx_maps(&F), "0x20000-0x20001 -> 0xfe000-0xfe001\n"
					 "0x100000-0x1000ff -> 0x4000000-0x40000ff\n");
}

static void test_msix_table_and_pba_sharing_a_page_leave_one_hole(void **state)
{
	struct fx_dev d;
	struct pvpci_sbdf g;

	fx_syn(&d, "03:00.0");
	fx_put(&d, 0x78, 4, 0x00002800); /* PBA right after the table, same page */
	g = fx_assign(&F, fx_open(&F, &d), -1);
	place(g);
	decode(g, true);
	assert_string_equal(fx_maps(&F),
			    "0x20000-0x20001 -> 0xfe000-0xfe001\n"
			    "0x20003-0x20003 -> 0xfe003-0xfe003\n"
			    "0x20010-0x20010 -> 0xfd001-0xfd001\n"
			    "0x100000-0x1000ff -> 0x4000000-0x40000ff\n");
}

static void test_overlap_with_another_device_is_left_out(void **state)
{
	struct pvpci_sbdf a = syn_at("03:00.0"), b = syn_at("04:00.0");

	place(a);
	decode(a, true);
	/* b's BAR0 (16K) over a's BAR4 page; b's BAR1 over a's BAR1 (left out whole). */
	gw(&F, b, 0x10, 4, 0x20010000);
	gw(&F, b, 0x14, 4, 0x00000000);
	gw(&F, b, 0x18, 4, 0x00000001);
	gw(&F, b, 0x20, 4, 0x30000000);
	decode(b, true);
	assert_string_equal(fx_maps(&F),
			    "0x20000-0x20001 -> 0xfe000-0xfe001\n"
			    "0x20010-0x20010 -> 0xfd001-0xfd001\n"
			    "0x20011-0x20011 -> 0xfe001-0xfe001\n"
			    "0x30000-0x30000 -> 0xfd001-0xfd001\n"
			    "0x100000-0x1000ff -> 0x4000000-0x40000ff\n");
	decode(a, false);
	assert_string_equal(fx_maps(&F),
			    "0x20011-0x20011 -> 0xfe001-0xfe001\n"
			    "0x30000-0x30000 -> 0xfd001-0xfd001\n");
	decode(b, false);
	assert_string_equal(fx_maps(&F), "");
}

static void test_overlap_between_bars_of_one_device_maps_once(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	place(g);
	gw(&F, g, 0x20, 4, 0x20000000); /* BAR4 on BAR0's first page: BAR0 wins */
	decode(g, true);
	assert_string_equal(fx_maps(&F),
			    "0x20000-0x20001 -> 0xfe000-0xfe001\n"
			    "0x100000-0x1000ff -> 0x4000000-0x40000ff\n");
}

static void test_rom_is_mapped_only_while_enabled(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	place(g);
	gw(&F, g, 0x30, 4, 0x30000000);
	decode(g, true);
	assert_string_equal(fx_maps(&F), placed_maps);
	gw(&F, g, 0x30, 4, 0x30000001); /* ROM enable with decoding on: ROM alone mapped */
	assert_string_equal(fx_maps(&F),
			    "0x20000-0x20001 -> 0xfe000-0xfe001\n"
			    "0x20010-0x20010 -> 0xfd001-0xfd001\n"
			    "0x30000-0x3000f -> 0xfb000-0xfb00f\n"
			    "0x100000-0x1000ff -> 0x4000000-0x40000ff\n");
	assert_int_equal(hr(F.src[0], 0x30, 4), 0xfb000001);
	assert_int_equal(mr(&F, 0x30000000, 2), 0xaa55);
	gw(&F, g, 0x30, 4, 0x40000001); /* moving a mapped ROM: ignored */
	assert_int_equal(gr(&F, g, 0x30, 4), 0x30000001);
	gw(&F, g, 0x30, 4, 0x30000000);
	assert_string_equal(fx_maps(&F), placed_maps);
	assert_int_equal(hr(F.src[0], 0x30, 4), 0xfb000000);
}

static void test_failed_map_crashes_the_guest_and_leaves_decoding_off(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");
	uint32_t v;

	place(g);
	pvpci_vpci_host_fail_map(F.host, 1, -ENOMEM);
	decode(g, true);
	assert_string_equal(fx_maps(&F), "");
	assert_true(pvpci_vpci_crashed(F.dom));
	assert_non_null(pvpci_vpci_host_crash_reason(F.host));
	assert_non_null(strstr(pvpci_vpci_host_crash_reason(F.host), "mapping BAR"));
	assert_int_equal(hr(F.src[0], 0x04, 2) & 2, 0);
	assert_int_equal(pvpci_vpci_cfg_read(F.dom, g, 0, 4, &v), 0);
	assert_int_equal(v, 0xffffffff);
}

static void test_bars_outside_the_guest_windows_are_refused(void **state)
{
	static const struct pvpci_range win[] = { { 0x20000000, 0x2fffffff } };
	struct pvpci_sbdf g;

	fx_down(&F);
	fx_up_windows(&F, win, 1);
	g = syn_at("03:00.0");
	place(g); /* BAR1 at 4G: outside */
	decode(g, true);
	assert_string_equal(fx_maps(&F), "");
	assert_true(fx_logged(&F, "outside the guest's windows"));
	gw(&F, g, 0x14, 4, 0x20100000);
	gw(&F, g, 0x18, 4, 0);
	decode(g, true);
	assert_string_equal(fx_maps(&F),
			    "0x20000-0x20001 -> 0xfe000-0xfe001\n"
			    "0x20010-0x20010 -> 0xfd001-0xfd001\n"
			    "0x20100-0x201ff -> 0x4000000-0x40000ff\n");
}

static void test_deassign_unmaps_everything(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");

	place(g);
	decode(g, true);
	assert_int_equal(fx_nmaps(&F), 3);
	assert_int_equal(pvpci_vpci_deassign(F.dom, g), 0);
	assert_int_equal(fx_nmaps(&F), 0);
	assert_int_equal(hr(F.src[0], 0x04, 2) & 7, 0);
}

static void test_mmio_through_mapped_frames_reaches_the_device(void **state)
{
	struct pvpci_sbdf g = syn_at("03:00.0");
	uint64_t v;

	place(g);
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, 0x20010010, 4, &v), -ENXIO);
	decode(g, true);
	mw(&F, 0x20010010, 4, 0xdeadbeef);
	assert_int_equal(hbar(F.src[0], 4, 0x10, 4), 0xdeadbeef);
	assert_int_equal(mr(&F, 0x20010010, 4), 0xdeadbeef);
	mw(&F, 0x100000008ull, 8, 0x0123456789abcdefull);
	assert_int_equal(hbar(F.src[0], 1, 8, 8), 0x0123456789abcdefull);
	assert_int_equal(pvpci_vpci_mmio_read(F.dom, 0x20020000, 4, &v), -ENXIO);
	assert_int_equal(v, 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mem32_bar_sizing_and_relocation, up, down),
		cmocka_unit_test_setup_teardown(test_mem64_bar_sizing_and_relocation, up, down),
		cmocka_unit_test_setup_teardown(test_io_bar_sizing_and_relocation, up, down),
		cmocka_unit_test_setup_teardown(test_rom_bar_sizing_and_relocation, up, down),
		cmocka_unit_test_setup_teardown(test_empty_bar_reads_zero, up, down),
		cmocka_unit_test_setup_teardown(test_decoding_on_maps_exactly_the_bars, up, down),
		cmocka_unit_test_setup_teardown(test_bar_write_while_mapped_is_ignored, up, down),
		cmocka_unit_test_setup_teardown(test_bar_move_with_decoding_off_then_on_remaps,
						up, down),
		cmocka_unit_test_setup_teardown(test_page_offset_mismatch_is_refused, up, down),
		cmocka_unit_test_setup_teardown(
			test_msix_table_and_pba_sharing_a_page_leave_one_hole, up, down),
		cmocka_unit_test_setup_teardown(test_overlap_with_another_device_is_left_out, up,
						down),
		cmocka_unit_test_setup_teardown(test_overlap_between_bars_of_one_device_maps_once,
						up, down),
		cmocka_unit_test_setup_teardown(test_rom_is_mapped_only_while_enabled, up, down),
		cmocka_unit_test_setup_teardown(
			test_failed_map_crashes_the_guest_and_leaves_decoding_off, up, down),
		cmocka_unit_test_setup_teardown(test_bars_outside_the_guest_windows_are_refused,
						up, down),
		cmocka_unit_test_setup_teardown(test_deassign_unmaps_everything, up, down),
		cmocka_unit_test_setup_teardown(test_mmio_through_mapped_frames_reaches_the_device,
						up, down),
	};

	return cmocka_run_group_tests_name("vpci-bars", tests, NULL, NULL);
}
