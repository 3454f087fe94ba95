/* SPDX-License-Identifier: MIT */
/*
 * PV policy tests, behaviour.md 3.5: capabilities. ID / Next read-only; PM (PME support
 * hidden, PME_En off and locked, D-states through the host, soft reset reconciled); VPD
 * (read requests only); MSI / MSI-X Message Control under the interrupt-type rule and
 * allow_interrupt_control; host-owned MSI registers; everything else a gap.
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

static const struct pvpci_pv_opts allow = { .allow_interrupt_control = true };

static void test_cap_id_next_read_only_without_device_access(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;
	unsigned pm, msi, msix;

	fx_open(&f, "nic-msix.model", &o);
	pm = capof(&f, PCI_CAP_ID_PM);
	msi = capof(&f, PCI_CAP_ID_MSI);
	msix = capof(&f, PCI_CAP_ID_MSIX);
	assert_int_equal(pm, 0x40);
	assert_int_equal(gr(&f, (int)pm, 2), 0x5001);
	assert_int_equal(gr(&f, (int)msi, 2), 0x7005);
	assert_int_equal(gr(&f, (int)msix, 2), 0xa011);
	gw(&f, (int)pm + 1, 1, 0xe0);  /* the Next pointer */
	gw(&f, (int)msi, 1, 0x11);
	gw(&f, (int)msix, 2, 0);
	assert_int_equal(cnt_reads(&f) + cnt_writes(&f), 0);
	assert_int_equal(gr(&f, (int)pm, 2), 0x5001);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 3);
	fx_close(&f);
}

/* ---- Power management ---- */

static void test_pm_pmc_hides_pme_support(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL); /* PMC 0xc823: PME from D0, D3hot, D3cold */
	assert_int_equal(gr(&f, 0x42, 2), 0x0023);
	assert_int_equal(cnt_reads(&f), 0);
	assert_int_equal(hw(&f, 0x42, 2), 0xc823);
	fx_close(&f);
}

static void test_pm_pme_enable_cleared_at_seize(void **state)
{
	struct fx f;

	fx_open_source(&f, "nic-msix.model", 0);
	hwset(&f, 0x44, 2, 0x0008 | PCI_PM_CTRL_PME_ENABLE);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_PME_ENABLE, PCI_PM_CTRL_PME_ENABLE);
	assert_int_equal(fx_seize(&f, NULL), 0);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_PME_ENABLE, 0);
	fx_close(&f);
}

static void test_pm_pme_enable_never_writable(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	gw(&f, 0x44, 2, 0x0008 | PCI_PM_CTRL_PME_ENABLE);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_PME_ENABLE, 0);
	gw(&f, 0x45, 1, PCI_PM_CTRL_PME_ENABLE >> 8);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_PME_ENABLE, 0);
	fx_close(&f);
}

/* Only PME_Status (write 1 to clear) and Data_Select reach the device. */
static void test_pm_pmcsr_passes_pme_status_and_data_select(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	gw(&f, 0x44, 2, 0x0008); /* same state, PME_Status 0: nothing to do */
	assert_int_equal(cnt_writes(&f), 0);
	cnt_reset(&f);
	gw(&f, 0x44, 2, PCI_PM_CTRL_PME_STATUS);
	assert_int_equal(cnt_writes(&f), 1);
	cnt_reset(&f);
	gw(&f, 0x44, 2, 0x0200); /* Data_Select = 1 */
	assert_int_equal(cnt_writes(&f), 1);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	fx_close(&f);
}

static void test_pm_dstate_applied_by_host(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	gw(&f, 0x44, 2, 3);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 3);
	assert_int_equal(gr(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 3);
	gw(&f, 0x44, 2, 0);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	fx_close(&f);
}

static void test_pm_unsupported_dstate_refused(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL); /* no D1 / D2 */
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x44, 2, 1), -EIO);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	fx_close(&f);

	fx_open(&f, "msi-maskable.model", NULL); /* D1 and D2 supported */
	gw(&f, 0x44, 2, 1);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 1);
	fx_close(&f);
}

/* Out of D3hot only back to D0, never to a lighter low-power state. */
static void test_pm_d3hot_to_d1_refused(void **state)
{
	struct fx f;

	fx_open(&f, "msi-maskable.model", NULL);
	gw(&f, 0x44, 2, 3);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x44, 2, 1), -EIO);
	assert_int_equal(hw(&f, 0x44, 2) & PCI_PM_CTRL_STATE_MASK, 3);
	fx_close(&f);
}

/* D3hot -> D0 without No_Soft_Reset resets the device; the host puts its state back. */
static void test_pm_soft_reset_host_state_reconciled(void **state)
{
	struct fx f;

	fx_open(&f, "msi-maskable.model", NULL); /* dump: decode and bus master on */
	gw(&f, 0x44, 2, 3);
	gw(&f, 0x44, 2, 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & (PCI_CMD_DECODE | PCI_CMD_MASTER), 0);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MASTER);
	gw(&f, 0x44, 2, 3);
	gw(&f, 0x44, 2, 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & (PCI_CMD_DECODE | PCI_CMD_MASTER),
			 PCI_CMD_DECODE | PCI_CMD_MASTER);
	assert_int_equal(hw(&f, 0x10, 4), gr(&f, 0x10, 4));
	fx_close(&f);
}

/* ---- VPD ---- */

static void test_vpd_read_request_passes(void **state)
{
	struct fx f;
	unsigned vpd;

	fx_open(&f, "vpd-storage.model", NULL);
	vpd = capof(&f, PCI_CAP_ID_VPD);
	assert_true(vpd != 0);
	gw(&f, (int)vpd + PCI_VPD_ADDR, 2, 0x0000);
	assert_int_equal(gr(&f, (int)vpd + PCI_VPD_ADDR, 2) & PCI_VPD_ADDR_F, PCI_VPD_ADDR_F);
	assert_int_equal(gr(&f, (int)vpd + PCI_VPD_DATA, 4), 0x53000e82);
	fx_close(&f);
}

static void test_vpd_write_request_access_denied(void **state)
{
	struct fx f;
	unsigned vpd;
	uint32_t before;

	fx_open(&f, "vpd-storage.model", NULL);
	vpd = capof(&f, PCI_CAP_ID_VPD);
	before = hw(&f, vpd + PCI_VPD_ADDR, 2);
	cnt_reset(&f);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, (int)vpd + PCI_VPD_ADDR, 2, 0x8004),
			 -EACCES);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, vpd + PCI_VPD_ADDR, 2), before);
	assert_string_equal(pvpci_pv_errname(-EACCES), "access denied");
	fx_close(&f);
}

static void test_vpd_data_write_dropped(void **state)
{
	struct fx f;
	unsigned vpd;

	fx_open(&f, "vpd-storage.model", NULL);
	vpd = capof(&f, PCI_CAP_ID_VPD);
	gw(&f, (int)vpd + PCI_VPD_DATA, 4, 0x11223344);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, vpd + PCI_VPD_DATA, 4) == 0x11223344, 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	fx_close(&f);
}

/* ---- MSI / MSI-X ---- */

static void test_msi_control_refused_without_allow_interrupt_control(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", NULL);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x52, 2, 0x0181), -EIO);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x72, 2, 0x803f), -EIO);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, 0x52, 2) & PCI_MSI_FLAGS_ENABLE, 0);
	assert_int_equal(hw(&f, 0x72, 2) & PCI_MSIX_FLAGS_ENABLE, 0);
	assert_true(logged(&f, "interrupt control not allowed"));
	fx_close(&f);
}

static void test_msi_enable_with_allow_interrupt_control(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", &allow);
	assert_int_equal(pvpci_pvdev_intr_mode(f.d), PVPCI_INTR_INTX);
	gw(&f, 0x52, 2, 0x0181);
	assert_int_equal(hw(&f, 0x52, 2), 0x0181);
	assert_int_equal(pvpci_pvdev_intr_mode(f.d), PVPCI_INTR_MSI);
	gw(&f, 0x52, 2, 0x0180);
	assert_int_equal(hw(&f, 0x52, 2), 0x0180);
	fx_close(&f);
}

/* With allow_interrupt_control only ENABLE may change in MSI control. */
static void test_msi_control_other_bits_refused(void **state)
{
	struct fx f;

	fx_open(&f, "msi-maskable.model", &allow);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x52, 2, 0x01a6), -EIO); /* QSIZE */
	assert_int_equal(hw(&f, 0x52, 2), 0x0186);
	cnt_reset(&f);
	gw(&f, 0x52, 2, 0x0186); /* unchanged value: accepted, nothing written */
	assert_int_equal(cnt_writes(&f), 0);
	fx_close(&f);
}

static void test_msix_enable_and_mask_all_allowed(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", &allow);
	gw(&f, 0x72, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 0x3f);
	assert_int_equal(hw(&f, 0x72, 2), 0xc03f);
	assert_int_equal(pvpci_pvdev_intr_mode(f.d), PVPCI_INTR_MSIX);
	gw(&f, 0x72, 2, PCI_MSIX_FLAGS_ENABLE | 0x3f);
	assert_int_equal(hw(&f, 0x72, 2), 0x803f);
	fx_close(&f);
}

static void test_msix_enable_refused_while_msi_enabled(void **state)
{
	struct fx f;

	fx_open(&f, "nic-msix.model", &allow);
	gw(&f, 0x52, 2, 0x0181);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x72, 2, 0x803f), -EIO);
	assert_int_equal(hw(&f, 0x72, 2) & PCI_MSIX_FLAGS_ENABLE, 0);
	assert_true(logged(&f, "another interrupt type is enabled"));
	fx_close(&f);
}

static void test_msi_enable_refused_while_msix_enabled(void **state)
{
	struct fx f;

	fx_open(&f, "vpd-storage.model", &allow);
	gw(&f, 0xc2, 2, 0x800e);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0xaa, 2, 0x0081), -EIO);
	assert_int_equal(hw(&f, 0xaa, 2) & PCI_MSI_FLAGS_ENABLE, 0);
	assert_int_equal(pvpci_pvdev_intr_mode(f.d), PVPCI_INTR_MSIX);
	fx_close(&f);
}

/* INTx may still be on while MSI is being enabled. */
static void test_msi_enable_allowed_while_intx_enabled(void **state)
{
	struct fx f;

	fx_open(&f, "msi-maskable.model", &allow);
	gw(&f, PCI_REG_COMMAND, 2, 0); /* INTx Disable clear */
	assert_int_equal(pvpci_pvdev_intr_mode(f.d), PVPCI_INTR_INTX);
	gw(&f, 0x52, 2, 0x0187);
	assert_int_equal(hw(&f, 0x52, 2), 0x0187);
	fx_close(&f);
}

/* Deliberate difference from pciback: the type rule holds for permissive devices too. */
static void test_interrupt_type_rule_holds_when_permissive(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	gw(&f, 0x72, 2, 0x803f);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x52, 2, 0x0181), -EIO);
	assert_int_equal(hw(&f, 0x52, 2) & PCI_MSI_FLAGS_ENABLE, 0);
	fx_close(&f);
}

static void test_permissive_msi_control_other_bits_pass(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "msi-maskable.model", &o);
	gw(&f, 0x52, 2, 0x01a6); /* QSIZE = 2 */
	assert_int_equal(hw(&f, 0x52, 2), 0x01a6);
	fx_close(&f);
}

/* Address, data and mask are the host's (XSA-128 / XSA-129), even when permissive. */
static void test_msi_host_owned_registers_read_only(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true, .allow_interrupt_control = true };
	struct fx f;

	fx_open(&f, "msi-maskable.model", &o); /* 64-bit maskable: addr 54/58, data 5c, mask 60 */
	hwset(&f, 0x54, 4, 0xfee00000);
	cnt_reset(&f);
	gw(&f, 0x54, 4, 0x12345678);
	gw(&f, 0x58, 4, 0x1);
	gw(&f, 0x5c, 2, 0x4141);
	gw(&f, 0x60, 4, 0xff);
	assert_int_equal(cnt_writes(&f), 0);
	assert_int_equal(hw(&f, 0x54, 4), 0xfee00000);
	assert_int_equal(gr(&f, 0x54, 4), 0xfee00000);
	assert_int_equal(hw(&f, 0x60, 4), 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 4);
	fx_close(&f);
}

static void test_msix_table_pba_read_only(void **state)
{
	struct pvpci_pv_opts o = { .permissive = true };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	assert_int_equal(gr(&f, 0x74, 4), 0x00000004);
	assert_int_equal(gr(&f, 0x78, 4), 0x00002004);
	gw(&f, 0x74, 4, 0x1000);
	assert_int_equal(cnt_reads(&f) + cnt_writes(&f), 0);
	assert_int_equal(gr(&f, 0x74, 4), 0x00000004);
	fx_close(&f);
}

/* Other capabilities and the extended space: raw reads, writes only when permissive. */
static void test_unhandled_capability_is_gap(void **state)
{
	struct fx f;
	uint32_t devctl;

	fx_open(&f, "nic-msix.model", NULL);
	devctl = hw(&f, 0xa8, 2);
	cnt_reset(&f);
	assert_int_equal(gr(&f, 0xa8, 2), devctl);
	assert_int_equal(cnt_reads(&f), 1);
	gw(&f, 0xa8, 2, devctl ^ 0x0010); /* Relaxed Ordering */
	assert_int_equal(hw(&f, 0xa8, 2), devctl);
	assert_int_equal(gr(&f, 0x100, 4), hw(&f, 0x100, 4));
	gw(&f, 0x108, 4, 0xffffffff); /* AER uncorrectable mask */
	assert_int_equal(hw(&f, 0x108, 4), 0);
	pvpci_pvdev_set_permissive(f.d, true);
	gw(&f, 0xa8, 2, devctl ^ 0x0010);
	assert_int_equal(hw(&f, 0xa8, 2), devctl ^ 0x0010);
	fx_close(&f);
}

/* A looping or broken chain is walked once, bounded; the device is still seized. */
static void test_broken_capability_chains(void **state)
{
	struct fx f;

	fx_open_idx(&f, "broken-caps.model", 0, &allow); /* PM -> MSI -> PCIe -> PM loop */
	assert_true(logged(&f, "loop"));
	assert_int_equal(gr(&f, 0x42, 2) & PCI_PM_PMC_PME_MASK, 0);
	fx_close(&f);

	fx_open_idx(&f, "broken-caps.model", 1, &allow); /* PM next points into the header */
	assert_int_equal(gr(&f, 0x42, 2) & PCI_PM_PMC_PME_MASK, 0);
	/* The unreachable MSI is not handled: its control is a gap, so dropped. */
	gw(&f, 0x52, 2, hw(&f, 0x52, 2) | PCI_MSI_FLAGS_ENABLE);
	assert_int_equal(hw(&f, 0x52, 2) & PCI_MSI_FLAGS_ENABLE, 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_id_next_read_only_without_device_access),
		cmocka_unit_test(test_pm_pmc_hides_pme_support),
		cmocka_unit_test(test_pm_pme_enable_cleared_at_seize),
		cmocka_unit_test(test_pm_pme_enable_never_writable),
		cmocka_unit_test(test_pm_pmcsr_passes_pme_status_and_data_select),
		cmocka_unit_test(test_pm_dstate_applied_by_host),
		cmocka_unit_test(test_pm_unsupported_dstate_refused),
		cmocka_unit_test(test_pm_d3hot_to_d1_refused),
		cmocka_unit_test(test_pm_soft_reset_host_state_reconciled),
		cmocka_unit_test(test_vpd_read_request_passes),
		cmocka_unit_test(test_vpd_write_request_access_denied),
		cmocka_unit_test(test_vpd_data_write_dropped),
		cmocka_unit_test(test_msi_control_refused_without_allow_interrupt_control),
		cmocka_unit_test(test_msi_enable_with_allow_interrupt_control),
		cmocka_unit_test(test_msi_control_other_bits_refused),
		cmocka_unit_test(test_msix_enable_and_mask_all_allowed),
		cmocka_unit_test(test_msix_enable_refused_while_msi_enabled),
		cmocka_unit_test(test_msi_enable_refused_while_msix_enabled),
		cmocka_unit_test(test_msi_enable_allowed_while_intx_enabled),
		cmocka_unit_test(test_interrupt_type_rule_holds_when_permissive),
		cmocka_unit_test(test_permissive_msi_control_other_bits_pass),
		cmocka_unit_test(test_msi_host_owned_registers_read_only),
		cmocka_unit_test(test_msix_table_pba_read_only),
		cmocka_unit_test(test_unhandled_capability_is_gap),
		cmocka_unit_test(test_broken_capability_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
