/* SPDX-License-Identifier: MIT */
/*
 * Tests of the model's capabilities and interrupts: MSI (enable, message count, address,
 * data, per-vector mask, pending), MSI-X (flags, table and PBA through BAR accesses),
 * the BAR backing store and its access checks, VPD reads and writes, PCIe Device Status
 * and Link Control, AER RW1C, a type 1 bridge's windows, and pvpci_model_raise honouring
 * every enable and mask.
 */
#include <errno.h>

#include "test_util.h"

/* ---- MSI ---- */
static void test_msi_enable_and_message_count(void **state)
{
	struct pvpci_source *s = open_model("msi-maskable.model", 0);
	unsigned msi = cap_pos(s, false, PCI_CAP_ID_MSI);

	assert_int_equal(rd(s, msi + PCI_MSI_FLAGS, 2), 0x0186);
	wr(s, msi + PCI_MSI_FLAGS, 2, 0xffff);
	assert_int_equal(rd(s, msi + PCI_MSI_FLAGS, 2), 0x01b7); /* QSIZE capped at 8 */
	wr(s, msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | (2 << 4));
	assert_int_equal(rd(s, msi + PCI_MSI_FLAGS, 2), 0x01a7);
	wr(s, msi + PCI_MSI_FLAGS, 2, 0);
	assert_int_equal(rd(s, msi + PCI_MSI_FLAGS, 2), 0x0186);
	pvpci_source_close(s);
}

static void test_msi_address_data_mask_rw_pending_ro(void **state)
{
	struct pvpci_source *s = open_model("msi-maskable.model", 0);
	unsigned msi = cap_pos(s, false, PCI_CAP_ID_MSI);

	wr(s, msi + PCI_MSI_ADDR_LO, 4, 0xfee0100f);
	assert_int_equal(rd(s, msi + PCI_MSI_ADDR_LO, 4), 0xfee0100c);
	wr(s, msi + PCI_MSI_ADDR_HI, 4, 0x12345678);
	assert_int_equal(rd(s, msi + PCI_MSI_ADDR_HI, 4), 0x12345678);
	wr(s, msi + PCI_MSI_DATA_64, 4, 0xffff4041);
	assert_int_equal(rd(s, msi + PCI_MSI_DATA_64, 4), 0x4041);
	wr(s, msi + PCI_MSI_MASK_64, 4, 0xffffffff); /* 8 vectors capable */
	assert_int_equal(rd(s, msi + PCI_MSI_MASK_64, 4), 0xff);
	wr(s, msi + PCI_MSI_PENDING_64, 4, 0xffffffff);
	assert_int_equal(rd(s, msi + PCI_MSI_PENDING_64, 4), 0);
	pvpci_source_close(s);
}

static void test_msi_raise_honours_enable_count_and_mask(void **state)
{
	struct pvpci_source *s = open_model("msi-maskable.model", 0);
	unsigned msi = cap_pos(s, false, PCI_CAP_ID_MSI);
	struct irq_log log = { 0 };

	pvpci_source_set_irq_handler(s, irq_record, &log);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSI, 0), 0); /* disabled */
	wr(s, msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | (1 << 4)); /* 2 vectors */
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSI, 1), 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.kind[0], PVPCI_IRQ_MSI);
	assert_int_equal(log.vec[0], 1);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSI, 4), 0); /* not granted */
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSI, 8), -EINVAL);
	wr(s, msi + PCI_MSI_MASK_64, 4, 0x2);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSI, 1), 0);
	assert_int_equal(rd(s, msi + PCI_MSI_PENDING_64, 4), 0x2);
	assert_int_equal(log.n, 1);
	wr(s, msi + PCI_MSI_MASK_64, 4, 0); /* unmasking sends the pending message */
	assert_int_equal(log.n, 2);
	assert_int_equal(log.vec[1], 1);
	assert_int_equal(rd(s, msi + PCI_MSI_PENDING_64, 4), 0);
	pvpci_source_close(s);
}

/* ---- MSI-X ---- */
static void test_msix_flags_enable_and_mask_all_rw(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	unsigned p = cap_pos(s, false, PCI_CAP_ID_MSIX);

	wr(s, p + PCI_MSIX_FLAGS, 2, 0xffff);
	assert_int_equal(rd(s, p + PCI_MSIX_FLAGS, 2), 0xc03f);
	wr(s, p + PCI_MSIX_TABLE, 4, 0xffffffff);
	assert_int_equal(rd(s, p + PCI_MSIX_TABLE, 4), 4);
	assert_int_equal(rd(s, p + PCI_MSIX_PBA, 4), 0x2004);
	pvpci_source_close(s);
}

static void test_msix_table_entries_start_masked(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);

	for (unsigned v = 0; v < 64; v++) {
		assert_int_equal(bar_rd(s, 4, v * 16 + PCI_MSIX_ENTRY_CTRL, 4), 1);
		assert_int_equal(bar_rd(s, 4, v * 16, 8), 0);
	}
	pvpci_source_close(s);
}

static void test_msix_table_rw_through_bar(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	uint64_t e = 5 * PCI_MSIX_ENTRY_SIZE;

	bar_wr(s, 4, e + PCI_MSIX_ENTRY_ADDR_LO, 8, 0x00000001fee00003ull);
	assert_int_equal(bar_rd(s, 4, e + PCI_MSIX_ENTRY_ADDR_LO, 4), 0xfee00000);
	assert_int_equal(bar_rd(s, 4, e + PCI_MSIX_ENTRY_ADDR_HI, 4), 1);
	bar_wr(s, 4, e + PCI_MSIX_ENTRY_DATA, 4, 0x4055);
	assert_int_equal(bar_rd(s, 4, e + PCI_MSIX_ENTRY_DATA, 4), 0x4055);
	bar_wr(s, 4, e + PCI_MSIX_ENTRY_CTRL, 4, 0xfffffffe);
	assert_int_equal(bar_rd(s, 4, e + PCI_MSIX_ENTRY_CTRL, 4), 0);
	bar_wr(s, 4, e + PCI_MSIX_ENTRY_CTRL, 1, 0xff);
	assert_int_equal(bar_rd(s, 4, e + PCI_MSIX_ENTRY_CTRL, 4), 1);
	assert_int_equal(bar_rd(s, 4, e - PCI_MSIX_ENTRY_SIZE, 4), 0); /* entry 4 untouched */
	pvpci_source_close(s);
}

static void test_msix_pba_read_only(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);

	bar_wr(s, 4, 0x2000, 8, ~0ull);
	assert_int_equal(bar_rd(s, 4, 0x2000, 8), 0);
	pvpci_source_close(s);
}

static void test_msix_raise_honours_enable_mask_all_and_entry(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	unsigned p = cap_pos(s, false, PCI_CAP_ID_MSIX);
	struct irq_log log = { 0 };

	pvpci_source_set_irq_handler(s, irq_record, &log);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSIX, 3), 0); /* disabled */
	assert_int_equal(bar_rd(s, 4, 0x2000, 8), 0); /* no pending when disabled */
	wr(s, p + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSIX, 3), 0); /* entry masked */
	assert_int_equal(bar_rd(s, 4, 0x2000, 8), 1u << 3);
	bar_wr(s, 4, 3 * 16 + PCI_MSIX_ENTRY_CTRL, 4, 0); /* unmask: pending goes out */
	assert_int_equal(log.n, 1);
	assert_int_equal(log.kind[0], PVPCI_IRQ_MSIX);
	assert_int_equal(log.vec[0], 3);
	assert_int_equal(bar_rd(s, 4, 0x2000, 8), 0);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSIX, 3), 1);
	assert_int_equal(log.n, 2);
	wr(s, p + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSIX, 3), 0);
	assert_int_equal(bar_rd(s, 4, 0x2000, 8), 1u << 3);
	wr(s, p + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(log.n, 3);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_MSIX, 64), -EINVAL);
	pvpci_source_close(s);
}

/* ---- BAR store and access checks ---- */
static void test_bar_store_reads_back_writes(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);

	assert_int_equal(bar_rd(s, 0, 0x7fff8, 8), 0);
	bar_wr(s, 0, 0x7fff8, 8, 0x1122334455667788ull);
	assert_int_equal(bar_rd(s, 0, 0x7fff8, 8), 0x1122334455667788ull);
	assert_int_equal(bar_rd(s, 0, 0x7fffc, 2), 0x3344);
	bar_wr(s, 2, 0x1f, 1, 0xab); /* I/O BAR */
	assert_int_equal(bar_rd(s, 2, 0x1c, 4), 0xab000000);
	assert_int_equal(bar_rd(s, 4, 0x3ff8, 8), 0); /* other BAR untouched */
	pvpci_source_close(s);
}

static void test_bar_access_checks(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	uint64_t v;

	assert_int_equal(pvpci_source_bar_read(s, 0, 0, 3, &v), -EINVAL);
	assert_int_equal(pvpci_source_bar_read(s, 0, 2, 4, &v), -EINVAL);
	assert_int_equal(pvpci_source_bar_read(s, 0, 0x80000, 1, &v), -EINVAL);
	assert_int_equal(pvpci_source_bar_read(s, 2, 0x20, 4, &v), -EINVAL);
	assert_int_equal(pvpci_source_bar_read(s, 1, 0, 4, &v), -EINVAL); /* upper half */
	assert_int_equal(pvpci_source_bar_read(s, 3, 0, 4, &v), -EINVAL); /* empty */
	assert_int_equal(pvpci_source_bar_write(s, 0, UINT64_MAX - 3, 4, 0), -EINVAL);
	assert_int_equal(pvpci_source_bar_write(s, PCI_ROM_SLOT, 0, 4, 0), -EPERM);
	assert_int_equal(bar_rd(s, PCI_ROM_SLOT, 0, 4), 0x00ffaa55); /* 512K / 512 capped */
	pvpci_source_close(s);
}

/* ---- VPD ---- */
static void test_vpd_read_request_sets_flag_and_data(void **state)
{
	struct pvpci_source *s = open_model("vpd-storage.model", 0);
	unsigned p = cap_pos(s, false, PCI_CAP_ID_VPD);

	assert_int_not_equal(p, 0);
	wr(s, p + PCI_VPD_ADDR, 2, 0x0000);
	assert_int_equal(rd(s, p + PCI_VPD_ADDR, 2), PCI_VPD_ADDR_F);
	assert_int_equal(rd(s, p + PCI_VPD_DATA, 4), 0x53000e82); /* 82 0e 00 'S' */
	wr(s, p + PCI_VPD_ADDR, 2, 0x0004);
	assert_int_equal(rd(s, p + PCI_VPD_DATA, 4), 0x32395341); /* "AS92" */
	wr(s, p + PCI_VPD_ADDR, 2, 0x7ffc); /* beyond the image */
	assert_int_equal(rd(s, p + PCI_VPD_DATA, 4), 0);
	pvpci_source_close(s);
}

static void test_vpd_write_request_stores_and_clears_flag(void **state)
{
	struct pvpci_source *s = open_model("vpd-storage.model", 0);
	unsigned p = cap_pos(s, false, PCI_CAP_ID_VPD);

	wr(s, p + PCI_VPD_DATA, 4, 0xcafef00d);
	wr(s, p + PCI_VPD_ADDR, 2, PCI_VPD_ADDR_F | 0x10);
	assert_int_equal(rd(s, p + PCI_VPD_ADDR, 2), 0x10);
	wr(s, p + PCI_VPD_DATA, 4, 0);
	wr(s, p + PCI_VPD_ADDR, 2, 0x10);
	assert_int_equal(rd(s, p + PCI_VPD_ADDR, 2), PCI_VPD_ADDR_F | 0x10);
	assert_int_equal(rd(s, p + PCI_VPD_DATA, 4), 0xcafef00d);
	pvpci_source_close(s);
}

/* ---- PCI Express and AER ---- */
static void test_pcie_devctl_rw_devsta_rw1c(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	unsigned e = cap_pos(s, false, PCI_CAP_ID_EXP);

	wr(s, e + PCI_EXP_DEVCTL, 2, 0x201f);
	assert_int_equal(rd(s, e + PCI_EXP_DEVCTL, 2), 0x201f);
	assert_int_equal(rd(s, e + PCI_EXP_DEVSTA, 2), 0x0009);
	wr(s, e + PCI_EXP_DEVSTA, 2, 0x0001);
	assert_int_equal(rd(s, e + PCI_EXP_DEVSTA, 2), 0x0008);
	wr(s, e + PCI_EXP_DEVSTA, 2, 0xfff0); /* RO bits */
	assert_int_equal(rd(s, e + PCI_EXP_DEVSTA, 2), 0x0008);
	wr(s, e + PCI_EXP_DEVCAP, 4, 0);
	assert_int_equal(rd(s, e + PCI_EXP_DEVCAP, 4), 0x10008cc2);
	wr(s, e + 0x10, 2, 0xffff); /* Link Control of an endpoint */
	assert_int_equal(rd(s, e + 0x10, 2), 0x03c3);
	pvpci_source_close(s);
}

static void test_aer_status_rw1c_log_ro(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	unsigned a = cap_pos(s, true, PCI_EXT_CAP_ID_ERR);

	assert_int_equal(a, 0x100);
	assert_int_equal(rd(s, a + 4, 4), 0x00100000);
	wr(s, a + 4, 4, 0xffffffff);
	assert_int_equal(rd(s, a + 4, 4), 0);
	wr(s, a + 0x10, 4, 0x1);
	assert_int_equal(rd(s, a + 0x10, 4), 0x2000);
	wr(s, a + 0x10, 4, 0x2000);
	assert_int_equal(rd(s, a + 0x10, 4), 0);
	wr(s, a + 8, 4, 0xffffffff); /* uncorrectable mask: defined bits only */
	assert_int_equal(rd(s, a + 8, 4), 0x07fff030);
	wr(s, a + 0x1c, 4, 0xffffffff); /* header log */
	assert_int_equal(rd(s, a + 0x1c, 4), 0);
	wr(s, 0x144, 4, 0); /* serial number capability */
	assert_int_equal(rd(s, 0x144, 4), 0xfe123456);
	pvpci_source_close(s);
}

static void test_bridge_windows_rw_secondary_status_rw1c(void **state)
{
	struct pvpci_source *s = open_model("bridge.model", 0);
	struct pvpci_bar_info bi;

	wr(s, 0x18, 4, 0x00050400);
	assert_int_equal(rd(s, 0x18, 4), 0x00050400);
	wr(s, 0x1c, 2, 0xffff); /* I/O base / limit: type nibbles RO */
	assert_int_equal(rd(s, 0x1c, 2), 0xf1f1);
	assert_int_equal(rd(s, 0x1e, 2), 0x2000);
	wr(s, 0x1e, 2, 0x2000);
	assert_int_equal(rd(s, 0x1e, 2), 0);
	wr(s, 0x20, 4, 0xffffffff);
	assert_int_equal(rd(s, 0x20, 4), 0xfff0fff0);
	wr(s, 0x28, 4, 0x12);
	assert_int_equal(rd(s, 0x28, 4), 0x12);
	wr(s, PCI_REG_ROM_BRIDGE, 4, 0xffffffff);
	assert_int_equal(rd(s, PCI_REG_ROM_BRIDGE, 4), 0);
	assert_int_equal(pvpci_source_bar_info(s, 2, &bi), 0);
	assert_int_equal(bi.type, PVPCI_BAR_EMPTY);
	wr(s, PCI_REG_COMMAND, 2, 0xffff);
	assert_int_equal(rd(s, PCI_REG_COMMAND, 2), 0x0547);
	pvpci_source_close(s);
}

/* ---- INTx ---- */
static void test_intx_raise_honours_disable_and_msi(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	unsigned msi = cap_pos(s, false, PCI_CAP_ID_MSI);
	struct irq_log log = { 0 };

	pvpci_source_set_irq_handler(s, irq_record, &log);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_INTX, 0), 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.kind[0], PVPCI_IRQ_INTX);
	assert_true(rd(s, PCI_REG_STATUS, 2) & PCI_STATUS_INTERRUPT);
	wr(s, PCI_REG_COMMAND, 2, 0x0006 | PCI_CMD_INTX_DISABLE);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_INTX, 0), 0);
	wr(s, PCI_REG_COMMAND, 2, 0x0006);
	wr(s, msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	assert_int_equal(pvpci_model_raise(s, PVPCI_IRQ_INTX, 0), 0);
	assert_int_equal(log.n, 1);
	pvpci_source_close(s);
}

static void test_raise_without_the_interrupt_kind(void **state)
{
	struct pvpci_source *leg = open_model("legacy-io.model", 0);
	struct pvpci_source *vio = open_model("virtio-blk.model", 0);

	assert_int_equal(pvpci_model_raise(leg, PVPCI_IRQ_MSI, 0), -ENODEV);
	assert_int_equal(pvpci_model_raise(leg, PVPCI_IRQ_MSIX, 0), -ENODEV);
	assert_int_equal(pvpci_model_raise(leg, PVPCI_IRQ_INTX, 0), 1);
	assert_int_equal(pvpci_model_raise(vio, PVPCI_IRQ_INTX, 0), -ENODEV); /* no pin */
	assert_int_equal(pvpci_model_raise(NULL, PVPCI_IRQ_INTX, 0), -EINVAL);
	pvpci_source_close(leg);
	pvpci_source_close(vio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msi_enable_and_message_count),
		cmocka_unit_test(test_msi_address_data_mask_rw_pending_ro),
		cmocka_unit_test(test_msi_raise_honours_enable_count_and_mask),
		cmocka_unit_test(test_msix_flags_enable_and_mask_all_rw),
		cmocka_unit_test(test_msix_table_entries_start_masked),
		cmocka_unit_test(test_msix_table_rw_through_bar),
		cmocka_unit_test(test_msix_pba_read_only),
		cmocka_unit_test(test_msix_raise_honours_enable_mask_all_and_entry),
		cmocka_unit_test(test_bar_store_reads_back_writes),
		cmocka_unit_test(test_bar_access_checks),
		cmocka_unit_test(test_vpd_read_request_sets_flag_and_data),
		cmocka_unit_test(test_vpd_write_request_stores_and_clears_flag),
		cmocka_unit_test(test_pcie_devctl_rw_devsta_rw1c),
		cmocka_unit_test(test_aer_status_rw1c_log_ro),
		cmocka_unit_test(test_bridge_windows_rw_secondary_status_rw1c),
		cmocka_unit_test(test_intx_raise_honours_disable_and_msi),
		cmocka_unit_test(test_raise_without_the_interrupt_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
