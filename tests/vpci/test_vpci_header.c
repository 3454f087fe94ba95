/* SPDX-License-Identifier: MIT */
/*
 * vpci header tests: the guest's view of the config header, one test per behaviour:
 * identification registers from the cache, every width over registers and gaps, gap
 * writes dropped, COMMAND (RsvdP bits, reset on assign, what reaches the device,
 * INTX_DISABLE forced with MSI), Status (RO / RW1C / RsvdZ, CAP_LIST hidden), the rebuilt
 * capability list, the empty extended list, unknown addresses, bad accesses, bridges.
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

static struct pvpci_sbdf syn(void)
{
	struct fx_dev d;

	fx_syn(&d, "03:00.0");
	return fx_assign(&F, fx_open(&F, &d), -1);
}

static void test_ids_come_from_the_cache(void **state)
{
	struct pvpci_sbdf g = syn();
	struct pvpci_source_stats st;

	pvpci_source_stats_reset(F.src[0]);
	assert_int_equal(gr(&F, g, 0x00, 2), 0x1234);
	assert_int_equal(gr(&F, g, 0x02, 2), 0x5678);
	assert_int_equal(gr(&F, g, 0x08, 1), 0x02);
	assert_int_equal(gr(&F, g, 0x09, 1), 0x00);
	assert_int_equal(gr(&F, g, 0x0a, 2), 0x0200);
	assert_int_equal(gr(&F, g, 0x0e, 1), 0x00);
	assert_int_equal(gr(&F, g, 0x2c, 4), 0xef01abcd);
	assert_int_equal(gr(&F, g, 0x3d, 1), 0x01);
	pvpci_source_stats(F.src[0], &st);
	assert_int_equal(st.cfg_reads, 0);
	assert_int_equal(st.cfg_writes, 0);
}

/* The guest view of bytes 0x00-0x3f of the synthetic device, built by hand. */
static void expected_header(uint8_t *e)
{
	memset(e, 0xff, 64); /* gaps */
	struct { unsigned off, size; uint32_t v; } regs[] = {
		{ 0x00, 4, 0x56781234 }, { 0x04, 2, 0x0400 }, { 0x06, 2, 0x2010 },
		{ 0x08, 4, 0x02000002 }, { 0x0e, 1, 0x00 }, { 0x0f, 1, 0x00 },
		{ 0x10, 4, 0 }, { 0x14, 4, 0x0c }, { 0x18, 4, 0 }, { 0x1c, 4, 0x01 },
		{ 0x20, 4, 0 }, { 0x24, 4, 0 }, { 0x2c, 4, 0xef01abcd }, { 0x30, 4, 0 },
		{ 0x34, 1, 0x50 }, { 0x3d, 1, 0x01 },
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (unsigned b = 0; b < regs[i].size; b++)
			e[regs[i].off + b] = (uint8_t)(regs[i].v >> (8 * b));
}

static void test_every_width_over_header_registers_and_gaps(void **state)
{
	struct pvpci_sbdf g = syn();
	uint8_t e[64];

	expected_header(e);
	for (unsigned size = 1; size <= 4; size *= 2)
		for (unsigned off = 0; off < 64; off += size) {
			uint32_t want = 0;

			for (unsigned b = 0; b < size; b++)
				want |= (uint32_t)e[off + b] << (8 * b);
			if (gr(&F, g, off, size) != want)
				fail_msg("read 0x%x/%u: got 0x%x, want 0x%x", off, size,
					 gr(&F, g, off, size), want);
		}
}

static void test_gap_writes_are_dropped(void **state)
{
	struct pvpci_sbdf g = syn();
	static const unsigned gaps[] = { 0x0c, 0x0d, 0x28, 0x35, 0x3c, 0x3e, 0x40,
					 0x44, 0xc0, 0x104, 0x800, 0xffc };
	struct pvpci_source_stats st;

	pvpci_source_stats_reset(F.src[0]);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(gaps); i++) {
		gw(&F, g, gaps[i], 1, 0x5a);
		assert_int_equal(gr(&F, g, gaps[i], 1), 0xff);
	}
	gw(&F, g, 0x3c, 4, 0x12345678); /* line (gap), pin (read-only), gnt / lat (gaps) */
	assert_int_equal(gr(&F, g, 0x3c, 4), 0xffff01ff);
	pvpci_source_stats(F.src[0], &st);
	assert_int_equal(st.cfg_writes, 0);
	assert_int_equal(hr(F.src[0], 0x0c, 1), 0x10);
	assert_int_equal(hr(F.src[0], 0x3c, 1), 0x0b);
}

static void test_command_starts_with_decoding_off(void **state)
{
	struct pvpci_sbdf g = syn();

	/* The host left IO / MEMORY / MASTER on: the guest sees them off, so does the
	 * device; PARITY / SERR stay as the host set them but read 0 (RsvdP). */
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0400);
	assert_int_equal(hr(F.src[0], 0x04, 2), 0x0540);
}

static void test_command_rsvdp_bits_read_zero_and_keep_the_host_value(void **state)
{
	struct pvpci_sbdf g = syn();

	gw(&F, g, 0x04, 2, 0xfffd); /* everything but MEMORY */
	assert_int_equal(gr(&F, g, 0x04, 2), 0x043c);
	/* MASTER and INTX_DISABLE reach the device (the model, a PCIe function, hardwires
	 * SPECIAL / INVALIDATE / VGA_PALETTE to 0); IO and MEMORY do not; PARITY / SERR keep
	 * the host's value. */
	assert_int_equal(hr(F.src[0], 0x04, 2), 0x0544);
	gw(&F, g, 0x04, 2, 0x0000);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0000);
	assert_int_equal(hr(F.src[0], 0x04, 2), 0x0140);
	gw(&F, g, 0x05, 1, 0x04); /* a byte write to the upper half */
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0400);
}

static void test_command_intx_disable_forced_while_msi_on(void **state)
{
	struct pvpci_sbdf g = syn();

	gw(&F, g, 0x04, 2, 0x0000);
	assert_int_equal(gr(&F, g, 0x04, 2) & 0x0400, 0);
	gw(&F, g, 0x54, 4, 0xfee00000);
	gw(&F, g, 0x52, 2, 0x0001); /* MSI enable */
	assert_int_equal(gr(&F, g, 0x52, 2) & 1, 1);
	assert_int_equal(gr(&F, g, 0x04, 2) & 0x0400, 0x0400);
	assert_int_equal(hr(F.src[0], 0x04, 2) & 0x0400, 0x0400);
	gw(&F, g, 0x04, 2, 0x0004);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0404);
	gw(&F, g, 0x52, 2, 0x0000); /* MSI off: INTx may be enabled again */
	gw(&F, g, 0x04, 2, 0x0004);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0004);
	assert_int_equal(hr(F.src[0], 0x04, 2) & 0x0400, 0);
}

static void test_status_masks(void **state)
{
	struct pvpci_sbdf g = syn();

	assert_int_equal(gr(&F, g, 0x06, 2), 0x2010);
	gw(&F, g, 0x06, 2, 0x0000); /* writing 0 clears nothing */
	assert_int_equal(hr(F.src[0], 0x06, 2), 0x2010);
	gw(&F, g, 0x06, 2, 0xffff); /* RW1C bits clear, RO bits stay, RsvdZ reads 0 */
	assert_int_equal(hr(F.src[0], 0x06, 2), 0x0010);
	assert_int_equal(gr(&F, g, 0x06, 2), 0x0010);
	gw(&F, g, 0x04, 4, 0xffff0000); /* a dword write over COMMAND and Status */
	assert_int_equal(gr(&F, g, 0x06, 2), 0x0010);
}

static void test_status_cap_list_hidden_without_shown_caps(void **state)
{
	struct fx_dev d;
	struct pvpci_sbdf g;

	fx_syn(&d, "04:00.0");
	d.cfg[0x41] = 0; /* PM only: nothing a guest may see */
	d.last_cap = 0x40;
	g = fx_assign(&F, fx_open(&F, &d), -1);
	assert_int_equal(hr(F.src[0], 0x06, 2) & 0x10, 0x10);
	assert_int_equal(gr(&F, g, 0x06, 2), 0x2000);
	assert_int_equal(gr(&F, g, 0x34, 1), 0x00);
	assert_int_equal(gr(&F, g, 0x40, 4), 0xffffffff);
}

static void test_capability_list_rebuilt_without_hidden_caps(void **state)
{
	struct pvpci_sbdf g = syn();

	assert_int_equal(gr(&F, g, 0x34, 1), 0x50);
	assert_int_equal(gr(&F, g, 0x50, 2), 0x7005); /* MSI, next MSI-X */
	assert_int_equal(gr(&F, g, 0x70, 2), 0x0011); /* MSI-X, last (PCIe hidden) */
	assert_int_equal(gr(&F, g, 0xa0, 4), 0xffffffff);
	gw(&F, g, 0x51, 1, 0x40); /* Next bytes are read-only */
	assert_int_equal(gr(&F, g, 0x51, 1), 0x70);
}

static void test_pcie_capability_shown_read_only_as_an_option(void **state)
{
	struct pvpci_vpci_assign_opts o = { .vslot = -1, .expose_pcie = true };
	struct pvpci_sbdf g;
	struct fx_dev d;

	fx_syn(&d, "03:00.0");
	fx_put(&d, 0xa4, 4, 0x10008fc0); /* DevCap */
	fx_put(&d, 0xa8, 2, 0x2810);     /* DevCtl */
	assert_int_equal(pvpci_vpci_assign(F.dom, fx_open(&F, &d), &o, &g), 0);
	assert_int_equal(gr(&F, g, 0x70, 2), 0xa011);
	assert_int_equal(gr(&F, g, 0xa0, 4), 0x00020010);
	assert_int_equal(gr(&F, g, 0xa4, 4), 0x10008fc0);
	gw(&F, g, 0xa8, 2, 0x0000);
	assert_int_equal(gr(&F, g, 0xa8, 2), 0x2810);
	assert_int_equal(hr(F.src[0], 0xa8, 2), 0x2810);
}

static void test_extended_space_shows_an_empty_list(void **state)
{
	struct pvpci_sbdf g = syn();
	struct fx_dev d;
	struct pvpci_sbdf g2;

	assert_int_equal(hr(F.src[0], 0x100, 4), 0x00010001);
	assert_int_equal(gr(&F, g, 0x100, 4), 0);
	assert_int_equal(gr(&F, g, 0x102, 2), 0);
	assert_int_equal(gr(&F, g, 0x104, 4), 0xffffffff);
	assert_int_equal(gr(&F, g, 0xffc, 4), 0xffffffff);
	/* A conventional (256-byte) device: nothing there at all. */
	fx_syn(&d, "05:00.0");
	d.size = 256;
	g2 = fx_assign(&F, fx_open(&F, &d), -1);
	assert_int_equal(gr(&F, g2, 0x100, 4), 0xffffffff);
}

static void test_unknown_guest_address_reads_all_ones(void **state)
{
	struct pvpci_sbdf g = syn(), none = fx_sbdf(7, 0), fn1 = g, bus1 = g;

	fn1.fn = 1;
	bus1.bus = 1;
	assert_int_equal(gr(&F, none, 0x00, 4), 0xffffffff);
	assert_int_equal(gr(&F, none, 0x00, 2), 0xffff);
	assert_int_equal(gr(&F, none, 0x0e, 1), 0xff);
	assert_int_equal(gr(&F, fn1, 0x00, 4), 0xffffffff);
	assert_int_equal(gr(&F, bus1, 0x00, 4), 0xffffffff);
	gw(&F, none, 0x04, 2, 0x0006); /* dropped */
	gw(&F, bus1, 0x04, 2, 0x0006);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0400);
}

static void test_bad_accesses_are_refused(void **state)
{
	struct pvpci_sbdf g = syn();
	uint32_t v = 0;

	assert_int_equal(pvpci_vpci_cfg_read(F.dom, g, 0x01, 2, &v), -EINVAL);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pvpci_vpci_cfg_read(F.dom, g, 0x00, 3, &v), -EINVAL);
	assert_int_equal(pvpci_vpci_cfg_read(F.dom, g, 0x1000, 1, &v), -EINVAL);
	assert_int_equal(pvpci_vpci_cfg_write(F.dom, g, 0x06, 4, 0), -EINVAL);
	assert_int_equal(pvpci_vpci_cfg_write(F.dom, g, 0xffe, 4, 0), -EINVAL);
}

static void test_bridge_header(void **state)
{
	struct pvpci_source *s = fx_open_file(&F, "bridge.model", 0);
	struct pvpci_sbdf g = fx_assign(&F, s, -1);

	assert_int_equal(gr(&F, g, 0x0e, 1), hr(s, 0x0e, 1));
	assert_int_equal(gr(&F, g, 0x0e, 1) & 0x7f, 1);
	assert_int_equal(gr(&F, g, 0x00, 4), hr(s, 0x00, 4));
	assert_int_equal(gr(&F, g, 0x18, 4), 0xffffffff); /* bus numbers: a gap */
	assert_int_equal(gr(&F, g, 0x2c, 4), 0xffffffff); /* no subsystem ids here */
	assert_int_equal(gr(&F, g, 0x38, 4), 0);          /* empty ROM */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_come_from_the_cache, up, down),
		cmocka_unit_test_setup_teardown(test_every_width_over_header_registers_and_gaps,
						up, down),
		cmocka_unit_test_setup_teardown(test_gap_writes_are_dropped, up, down),
		cmocka_unit_test_setup_teardown(test_command_starts_with_decoding_off, up, down),
		cmocka_unit_test_setup_teardown(
			test_command_rsvdp_bits_read_zero_and_keep_the_host_value, up, down),
		cmocka_unit_test_setup_teardown(test_command_intx_disable_forced_while_msi_on,
						up, down),
		cmocka_unit_test_setup_teardown(test_status_masks, up, down),
		cmocka_unit_test_setup_teardown(test_status_cap_list_hidden_without_shown_caps,
						up, down),
		cmocka_unit_test_setup_teardown(test_capability_list_rebuilt_without_hidden_caps,
						up, down),
		cmocka_unit_test_setup_teardown(test_pcie_capability_shown_read_only_as_an_option,
						up, down),
		cmocka_unit_test_setup_teardown(test_extended_space_shows_an_empty_list, up, down),
		cmocka_unit_test_setup_teardown(test_unknown_guest_address_reads_all_ones, up,
						down),
		cmocka_unit_test_setup_teardown(test_bad_accesses_are_refused, up, down),
		cmocka_unit_test_setup_teardown(test_bridge_header, up, down),
	};

	return cmocka_run_group_tests_name("vpci-header", tests, NULL, NULL);
}
