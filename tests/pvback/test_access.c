/* SPDX-License-Identifier: MIT */
/*
 * PV policy tests, behaviour.md 3.1 to 3.3: the access checks (bounds included, unlike
 * pciback), the gap policy (reads from the device, writes only when permissive), the
 * type 0 / type 1 header fields, and COMMAND under the XSA-120 rule. Each test checks the
 * guest's value, the device's own state and the device access counters.
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

/* ---- 3.1: access checks and the gap policy ---- */

static void test_bad_size_is_invalid_offset(void **state)
{
	struct fx f;
	uint32_t v = 1;

	fx_open(&f, "nic-msix.model", NULL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0, 3, &v), -EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0, 8, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0, 0, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 4, 3, 0), -EINVAL);
	assert_int_equal(cnt_reads(&f) + cnt_writes(&f), 0);
	assert_string_equal(pvpci_pv_errname(-EINVAL), "invalid offset");
	fx_close(&f);
}

static void test_misaligned_is_invalid_offset(void **state)
{
	struct fx f;
	uint32_t v = 1;

	fx_open(&f, "nic-msix.model", NULL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 2, 4, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 1, 2, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 5, 2, 0xffff), -EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(cnt_reads(&f) + cnt_writes(&f), 0);
	fx_close(&f);
}

/* Deliberate difference from pciback: offsets are bounds-checked by the policy. */
static void test_offset_bounds_checked(void **state)
{
	struct fx f;
	uint32_t v = 1;

	fx_open(&f, "legacy-io.model", NULL); /* 256-byte config space */
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0x100, 4, &v), -EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, -4, 4, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0x7fffffff, 1, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x100, 1, 0), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0xff, 1, &v), 0);
	fx_close(&f);

	fx_open(&f, "nic-msix.model", NULL); /* 4096 bytes */
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0x1000, 4, &v), -EINVAL);
	assert_int_equal(pvpci_pvdev_conf_read(f.d, 0xffc, 4, &v), 0);
	fx_close(&f);
}

static void test_gap_read_goes_to_device(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	hwset(&f, PCI_REG_MIN_GNT, 1, 0); /* read-only in the device: stays */
	cnt_reset(&f);
	assert_int_equal(gr(&f, PCI_REG_STATUS, 2), 0x2200);
	assert_int_equal(cnt_reads(&f), 1);
	assert_int_equal(gr(&f, 0x08, 4), 0x04010000); /* revision + class */
	assert_int_equal(gr(&f, PCI_REG_SUBSYS_VENDOR, 4), 0x4c4c4942);
	assert_int_equal(gr(&f, PCI_REG_MIN_GNT, 1), 0x0c);
	assert_int_equal(cnt_reads(&f), 4);
	assert_int_equal(cnt_writes(&f), 0);
	fx_close(&f);
}

static void test_gap_write_dropped_unless_permissive(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	/* Status: Received Master Abort is RW1C in the device. */
	gw(&f, PCI_REG_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, PCI_REG_STATUS, 2), 0x2200);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	assert_true(logged(&f, "guest wrote read-only field 0x6"));
	fx_close(&f);
}

static void test_gap_write_reaches_device_when_permissive(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "legacy-io.model", &o);
	assert_true(pvpci_pvdev_permissive(f.d));
	gw(&f, PCI_REG_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(hw(&f, PCI_REG_STATUS, 2), 0x0200);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 0);
	assert_true(logged(&f, "permissive"));
	fx_close(&f);
}

static void test_permissive_toggled_per_device(void **state)
{
	struct fx a, b;

	fx_open(&a, "legacy-io.model", NULL);
	fx_open(&b, "legacy-io.model", NULL);
	pvpci_pvdev_set_permissive(a.d, true);
	gw(&a, PCI_REG_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	gw(&b, PCI_REG_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(hw(&a, PCI_REG_STATUS, 2), 0x0200);
	assert_int_equal(hw(&b, PCI_REG_STATUS, 2), 0x2200);
	pvpci_pvdev_set_permissive(a.d, false);
	assert_false(pvpci_pvdev_permissive(a.d));
	fx_close(&a);
	fx_close(&b);
}

/* A dword over COMMAND (handled) and Status (gap): each part by its own rule. */
static void test_write_split_over_handler_and_gap(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	gw(&f, PCI_REG_COMMAND, 4, (uint32_t)PCI_STATUS_REC_MASTER_ABORT << 16 | PCI_CMD_MASTER);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_MASTER, PCI_CMD_MASTER);
	assert_int_equal(hw(&f, PCI_REG_STATUS, 2), 0x2200);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	fx_close(&f);
}

static void test_dropped_writes_logged_rate_limited(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	log_clear(&f);
	for (int i = 0; i < 200; i++)
		gw(&f, 0x40, 4, (uint32_t)i);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 200);
	assert_true(f.loglines >= 1);
	assert_true(f.loglines <= 12);
	assert_int_equal(hw(&f, 0x40, 4), 0);
	fx_close(&f);
}

/* ---- 3.2: header fields ---- */

static void test_identity_fields_cost_no_device_access(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	assert_int_equal(gr(&f, PCI_REG_VENDOR_ID, 4), 0x10fb8086);
	assert_int_equal(gr(&f, PCI_REG_DEVICE_ID, 2), 0x10fb);
	assert_int_equal(gr(&f, PCI_REG_VENDOR_ID, 1), 0x86);
	assert_int_equal(gr(&f, PCI_REG_HEADER_TYPE, 1), 0x00);
	assert_int_equal(gr(&f, PCI_REG_INTR_PIN, 1), 0x01);
	assert_int_equal(gr(&f, PCI_REG_INTR_LINE, 2), 0x010b);
	assert_int_equal(cnt_reads(&f) + cnt_writes(&f), 0);
	fx_close(&f);
}

static void test_identity_fields_read_only_even_permissive(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	gw(&f, PCI_REG_VENDOR_ID, 4, 0x12345678);
	gw(&f, PCI_REG_HEADER_TYPE, 1, 0x81);
	gw(&f, PCI_REG_INTR_PIN, 1, 0x04);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(gr(&f, PCI_REG_VENDOR_ID, 4), 0x10fb8086);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 3);
	fx_close(&f);
}

/* Interrupt Line is virtual: the host's line, guest writes never reach the device. */
static void test_interrupt_line_virtual(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	gw(&f, PCI_REG_INTR_LINE, 1, 0x05);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, PCI_REG_INTR_LINE, 1), 0x0b);
	assert_int_equal(gr(&f, PCI_REG_INTR_LINE, 1), 0x0b);
	hwset(&f, PCI_REG_INTR_LINE, 1, 0x07); /* the device's own value does not matter */
	assert_int_equal(gr(&f, PCI_REG_INTR_LINE, 1), 0x0b);
	fx_close(&f);
}

static void test_cache_line_size_passes_through(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	gw(&f, PCI_REG_CACHE_LINE, 1, 0x20);
	assert_int_equal(hw(&f, PCI_REG_CACHE_LINE, 1), 0x20);
	assert_int_equal(gr(&f, PCI_REG_CACHE_LINE, 1), 0x20);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 0);
	fx_close(&f);
}

static void test_latency_timer_read_only(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL); /* conventional PCI: writable in the device */
	gw(&f, PCI_REG_LATENCY, 1, 0x80);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, PCI_REG_LATENCY, 1), 0x40);
	assert_int_equal(gr(&f, PCI_REG_LATENCY, 1), 0x40);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	fx_close(&f);
}

static void test_bist_only_start_reaches_device(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	gw(&f, PCI_REG_BIST, 1, 0x81); /* other bits changed: dropped */
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	gw(&f, PCI_REG_BIST, 1, PCI_BIST_START); /* exactly START */
	assert_int_equal(cnt_writes(&f), 1);
	gw(&f, PCI_REG_BIST, 1, 0x00); /* unchanged non-START bits */
	assert_int_equal(cnt_writes(&f), 2);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	fx_close(&f);
}

static void test_bridge_header_handled(void **state)
{
	struct fx f;

	fx_open(&f, "bridge.model", NULL);
	assert_int_equal(gr(&f, PCI_REG_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK, 1);
	/* Bus numbers: a gap in type 1 too, dropped without permissive. */
	gw(&f, 0x18, 4, 0x00050500);
	assert_int_equal(hw(&f, 0x18, 4), f.initial[0x18] | f.initial[0x19] << 8 |
					     f.initial[0x1a] << 16 |
					     (uint32_t)f.initial[0x1b] << 24);
	/* The bridge ROM register is at 0x38 and handled (sizing without a ROM: 0). */
	gw(&f, PCI_REG_ROM_BRIDGE, 4, 0xfffff800);
	assert_int_equal(gr(&f, PCI_REG_ROM_BRIDGE, 4), 0);
	fx_close(&f);
}

static void test_multifunction_header_accepted(void **state)
{
	struct fx f;

	fx_open_idx(&f, "multifunc.model", 1, NULL);
	assert_int_equal(gr(&f, PCI_REG_HEADER_TYPE, 1), 0x80);
	fx_close(&f);
}

/* ---- 3.3: COMMAND ---- */

/* Decode through the host's enable path: the host picks the bits from the resources. */
static void test_command_decode_through_enable_path(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL); /* memory and I/O BARs */
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, 0);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, PCI_CMD_DECODE);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_MEMORY);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_IO);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, PCI_CMD_DECODE);
	gw(&f, PCI_REG_COMMAND, 2, 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, 0);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), 0);
	fx_close(&f);
}

static void test_command_decode_only_host_bits(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL); /* I/O BAR only */
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, PCI_CMD_IO);
	fx_close(&f);
}

static void test_command_master_applied(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_MASTER, 0);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MASTER);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2), PCI_CMD_MASTER);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_MASTER);
	gw(&f, PCI_REG_COMMAND, 2, 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2), 0);
	fx_close(&f);
}

static void test_command_mwi_applied_when_implemented(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL); /* conventional PCI: MWI implemented */
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_INVALIDATE);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_INVALIDATE, PCI_CMD_INVALIDATE);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_INVALIDATE);
	gw(&f, PCI_REG_COMMAND, 2, 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_INVALIDATE, 0);
	fx_close(&f);
}

/* MWI the device does not implement is cleared from the guest's copy (pci_set_mwi fails). */
static void test_command_mwi_cleared_when_not_implemented(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL); /* PCIe: MWI hardwired 0 */
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_INVALIDATE | PCI_CMD_SERR);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2), 0);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_SERR);
	fx_close(&f);
}

/* XSA-120: SERR and PARITY stay virtual, even for a permissive guest. */
static void test_command_serr_parity_never_reach_device(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o); /* SERR and PARITY writable in the device */
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_SERR | PCI_CMD_PARITY);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & (PCI_CMD_SERR | PCI_CMD_PARITY), 0);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_SERR | PCI_CMD_PARITY);
	fx_close(&f);
}

/* Even permissive, decode bits are not the guest's: only the enable path sets them. */
static void test_command_permissive_decode_via_enable_path_only(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "legacy-io.model", &o);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_IO);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, PCI_CMD_IO);
	fx_close(&f);
}

static void test_command_intx_disable_needs_allow_interrupt_control(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_INTX_DISABLE);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_INTX_DISABLE, 0);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_INTX_DISABLE);
	pvpci_pvdev_set_allow_interrupt_control(f.d, true);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_INTX_DISABLE);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_INTX_DISABLE,
			 PCI_CMD_INTX_DISABLE);
	gw(&f, PCI_REG_COMMAND, 2, 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & PCI_CMD_INTX_DISABLE, 0);
	fx_close(&f);
}

/* Reads: whitelist bits from the device, everything else the guest's last value. */
static void test_command_read_merges_device_and_guest(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_SERR);
	hwset(&f, PCI_REG_COMMAND, 2, PCI_CMD_MASTER | PCI_CMD_PARITY); /* behind its back */
	cnt_reset(&f);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), PCI_CMD_MASTER | PCI_CMD_SERR);
	assert_int_equal(cnt_reads(&f), 1);
	fx_close(&f);
}

/* A byte write to COMMAND's high byte keeps the low byte as the guest sees it. */
static void test_command_partial_write_merges(void **state)
{
	struct pvpci_pv_opts o = { .allow_interrupt_control = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	gw(&f, PCI_REG_COMMAND + 1, 1, PCI_CMD_INTX_DISABLE >> 8);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2),
			 PCI_CMD_DECODE | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2),
			 PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_size_is_invalid_offset),
		cmocka_unit_test(test_misaligned_is_invalid_offset),
		cmocka_unit_test(test_offset_bounds_checked),
		cmocka_unit_test(test_gap_read_goes_to_device),
		cmocka_unit_test(test_gap_write_dropped_unless_permissive),
		cmocka_unit_test(test_gap_write_reaches_device_when_permissive),
		cmocka_unit_test(test_permissive_toggled_per_device),
		cmocka_unit_test(test_write_split_over_handler_and_gap),
		cmocka_unit_test(test_dropped_writes_logged_rate_limited),
		cmocka_unit_test(test_identity_fields_cost_no_device_access),
		cmocka_unit_test(test_identity_fields_read_only_even_permissive),
		cmocka_unit_test(test_interrupt_line_virtual),
		cmocka_unit_test(test_cache_line_size_passes_through),
		cmocka_unit_test(test_latency_timer_read_only),
		cmocka_unit_test(test_bist_only_start_reaches_device),
		cmocka_unit_test(test_bridge_header_handled),
		cmocka_unit_test(test_multifunction_header_accepted),
		cmocka_unit_test(test_command_decode_through_enable_path),
		cmocka_unit_test(test_command_decode_only_host_bits),
		cmocka_unit_test(test_command_master_applied),
		cmocka_unit_test(test_command_mwi_applied_when_implemented),
		cmocka_unit_test(test_command_mwi_cleared_when_not_implemented),
		cmocka_unit_test(test_command_serr_parity_never_reach_device),
		cmocka_unit_test(test_command_permissive_decode_via_enable_path_only),
		cmocka_unit_test(test_command_intx_disable_needs_allow_interrupt_control),
		cmocka_unit_test(test_command_read_merges_device_and_guest),
		cmocka_unit_test(test_command_partial_write_merges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
