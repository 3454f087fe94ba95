/* SPDX-License-Identifier: MIT */
/*
 * Tests of the generic source layer (access validation, counters, names, snapshot, the
 * generic "enable device") and of the model's header behaviour: read-only registers,
 * RW1C Status, the Command mask, BAR sizing for every BAR type and the ROM, PM D-states
 * with soft reset, Initiate FLR and the reset kinds.
 */
#include <errno.h>

#include "test_util.h"

/* ---- Generic validation and counters ---- */
static void test_cfg_size_3_rejected_without_access(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	struct pvpci_source_stats st;
	uint32_t v;

	assert_int_equal(pvpci_source_cfg_read(s, 0, 3, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_write(s, 0x0c, 3, 0), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(s, 0, 0, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(s, 0, 8, &v), -EINVAL);
	pvpci_source_stats(s, &st);
	assert_int_equal(st.cfg_reads, 0);
	assert_int_equal(st.cfg_writes, 0);
	pvpci_source_close(s);
}

static void test_cfg_misaligned_rejected_without_access(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	struct pvpci_source_stats st;
	uint32_t v;

	assert_int_equal(pvpci_source_cfg_read(s, 1, 2, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(s, 2, 4, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_write(s, 0x0d, 2, 0), -EINVAL);
	pvpci_source_stats(s, &st);
	assert_int_equal(st.cfg_reads + st.cfg_writes, 0);
	pvpci_source_close(s);
}

static void test_cfg_out_of_range_rejected_without_access(void **state)
{
	struct pvpci_source *pcie = open_model("nic-msix.model", 0);
	struct pvpci_source *conv = open_model("legacy-io.model", 0);
	struct pvpci_source_stats st;
	uint32_t v;

	assert_int_equal(pvpci_source_cfg_read(conv, 0x100, 1, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(conv, 0xfc, 4, &v), 0);
	assert_int_equal(pvpci_source_cfg_write(conv, 0x100, 4, 0), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(pcie, 0x1000, 1, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(pcie, 0xfffffffc, 4, &v), -EINVAL);
	assert_int_equal(pvpci_source_cfg_read(pcie, 0xffc, 4, &v), 0);
	pvpci_source_stats(conv, &st);
	assert_int_equal(st.cfg_reads, 1);
	assert_int_equal(st.cfg_writes, 0);
	pvpci_source_stats(pcie, &st);
	assert_int_equal(st.cfg_reads, 1);
	pvpci_source_close(pcie);
	pvpci_source_close(conv);
}

static void test_counters_split_reads_and_writes(void **state)
{
	struct pvpci_source *s = open_model("legacy-io.model", 0);
	struct pvpci_source_stats st;

	rd(s, 0, 4);
	rd(s, 4, 2);
	rd(s, 0x3c, 1);
	wr(s, 0x0c, 1, 0x10);
	wr(s, 0x3c, 1, 0x05);
	pvpci_source_stats(s, &st);
	assert_int_equal(st.cfg_reads, 3);
	assert_int_equal(st.cfg_writes, 2);
	pvpci_source_stats_reset(s);
	pvpci_source_stats(s, &st);
	assert_int_equal(st.cfg_reads + st.cfg_writes, 0);
	pvpci_source_close(s);
}

static void test_names_and_sizes(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	struct pvpci_source *v = open_model("virtio-blk.model", 0);
	struct pvpci_sbdf a = pvpci_source_sbdf(s);

	assert_string_equal(pvpci_source_name(s), "0000:03:00.0");
	assert_string_equal(pvpci_source_kind(s), "model");
	assert_non_null(strstr(pvpci_source_title(s), "82599ES"));
	assert_int_equal(a.bus, 3);
	assert_int_equal(a.dev, 0);
	assert_int_equal(pvpci_source_cfg_size(s), PCIE_CFG_SIZE);
	assert_int_equal(pvpci_source_cfg_size(v), PCI_CFG_SIZE);
	assert_true(pvpci_source_is_model(s));
	assert_false(pvpci_source_is_model(NULL));
	assert_string_equal(pvpci_source_log(s)->prefix, "0000:03:00.0");
	pvpci_source_close(s);
	pvpci_source_close(v);
}

static void test_snapshot_reads_whole_space(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	struct pvpci_source_stats st;
	static uint8_t buf[PCIE_CFG_SIZE];

	assert_int_equal(pvpci_source_snapshot(s, buf, 256), -EINVAL);
	assert_int_equal(pvpci_source_snapshot(s, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 0x86);
	assert_int_equal(buf[1], 0x80);
	assert_int_equal(buf[0x100], 0x01); /* AER header */
	assert_int_equal(buf[0x144], rd(s, 0x144, 1));
	pvpci_source_stats(s, &st);
	assert_int_equal(st.cfg_reads, PCIE_CFG_SIZE / 4 + 1);
	pvpci_source_close(s);
}

static void test_enable_sets_decode_from_resources(void **state)
{
	struct pvpci_source *nic = open_model("nic-msix.model", 0);
	struct pvpci_source *leg = open_model("legacy-io.model", 0);
	struct pvpci_source *hb = open_model("host-bridge.model", 0);

	wr(nic, PCI_REG_COMMAND, 2, PCI_CMD_MASTER);
	assert_int_equal(pvpci_source_enable(nic, true), 0);
	assert_int_equal(rd(nic, PCI_REG_COMMAND, 2), PCI_CMD_MASTER | PCI_CMD_DECODE);
	assert_int_equal(pvpci_source_enable(nic, false), 0);
	assert_int_equal(rd(nic, PCI_REG_COMMAND, 2), PCI_CMD_MASTER);
	wr(leg, PCI_REG_COMMAND, 2, 0);
	assert_int_equal(pvpci_source_enable(leg, true), 0);
	assert_int_equal(rd(leg, PCI_REG_COMMAND, 2), PCI_CMD_IO);
	assert_int_equal(pvpci_source_enable(hb, true), 0);
	assert_int_equal(rd(hb, PCI_REG_COMMAND, 2) & PCI_CMD_DECODE, 0);
	pvpci_source_close(nic);
	pvpci_source_close(leg);
	pvpci_source_close(hb);
}

/* ---- Header registers ---- */
static void test_read_only_registers_ignore_writes(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	const unsigned offs[] = { 0x00, 0x08, 0x2c, 0x34, 0x3d >> 2 << 2 };
	uint32_t before[5];

	for (unsigned i = 0; i < 5; i++)
		before[i] = rd(s, offs[i], 4);
	for (unsigned i = 0; i < 5; i++)
		wr(s, offs[i], 4, 0x5a5a5a5a);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rd(s, offs[i], 4), before[i]);
	/* 0x3c: line is RW, pin / min_gnt / max_lat are RO */
	assert_int_equal(rd(s, 0x3c, 4), (before[4] & 0xffffff00) | 0x5a);
	wr(s, PCI_REG_HEADER_TYPE, 1, 0x81);
	assert_int_equal(rd(s, PCI_REG_HEADER_TYPE, 1), 0);
	pvpci_source_close(s);
}

static void test_status_error_bits_rw1c(void **state)
{
	struct pvpci_source *s = open_model("legacy-io.model", 0);

	assert_int_equal(rd(s, PCI_REG_STATUS, 2), 0x2200);
	wr(s, PCI_REG_STATUS, 2, 0);
	assert_int_equal(rd(s, PCI_REG_STATUS, 2), 0x2200);
	wr(s, PCI_REG_STATUS, 2, 0x1000); /* another error bit: nothing to clear */
	assert_int_equal(rd(s, PCI_REG_STATUS, 2), 0x2200);
	wr(s, PCI_REG_STATUS, 2, 0xffff); /* clears errors, DEVSEL stays */
	assert_int_equal(rd(s, PCI_REG_STATUS, 2), 0x0200);
	pvpci_source_close(s);
}

static void test_command_keeps_only_writable_bits(void **state)
{
	struct pvpci_source *nic = open_model("nic-msix.model", 0);
	struct pvpci_source *leg = open_model("legacy-io.model", 0);
	struct pvpci_source *vga = open_model("multifunc.model", 0);
	struct pvpci_source *hb = open_model("host-bridge.model", 0);

	wr(nic, PCI_REG_COMMAND, 2, 0xffff);
	assert_int_equal(rd(nic, PCI_REG_COMMAND, 2), 0x0547);
	wr(leg, PCI_REG_COMMAND, 2, 0xffff); /* conventional, no caps: no INTx Disable */
	assert_int_equal(rd(leg, PCI_REG_COMMAND, 2), 0x0155);
	wr(vga, PCI_REG_COMMAND, 2, 0xffff); /* a VGA device snoops the palette */
	assert_int_equal(rd(vga, PCI_REG_COMMAND, 2), 0x0567);
	wr(hb, PCI_REG_COMMAND, 2, 0xffff); /* no BARs: no decode bits */
	assert_int_equal(rd(hb, PCI_REG_COMMAND, 2), 0x0154);
	pvpci_source_close(nic);
	pvpci_source_close(leg);
	pvpci_source_close(vga);
	pvpci_source_close(hb);
}

static void test_cache_line_latency_and_irq_line_rw(void **state)
{
	struct pvpci_source *leg = open_model("legacy-io.model", 0);
	struct pvpci_source *nic = open_model("nic-msix.model", 0);

	wr(leg, PCI_REG_CACHE_LINE, 2, 0x2008);
	assert_int_equal(rd(leg, PCI_REG_CACHE_LINE, 2), 0x2008);
	wr(nic, PCI_REG_CACHE_LINE, 2, 0x2008); /* PCIe: latency timer hardwired */
	assert_int_equal(rd(nic, PCI_REG_CACHE_LINE, 2), 0x0008);
	wr(nic, PCI_REG_INTR_LINE, 1, 0x2a);
	assert_int_equal(rd(nic, PCI_REG_INTR_LINE, 1), 0x2a);
	pvpci_source_close(leg);
	pvpci_source_close(nic);
}

/* ---- BARs ---- */
static void test_bar_sizing_mem32(void **state)
{
	struct pvpci_source *s = open_model("msi-maskable.model", 0);
	unsigned r = PCI_REG_BAR0 + 5 * 4;

	wr(s, r, 4, 0xffffffff);
	assert_int_equal(rd(s, r, 4), 0xfffff800);
	wr(s, r, 4, 0xfe510000);
	assert_int_equal(rd(s, r, 4), 0xfe510000);
	pvpci_source_close(s);
}

static void test_bar_sizing_io(void **state)
{
	struct pvpci_source *s = open_model("legacy-io.model", 0);

	wr(s, PCI_REG_BAR0, 4, 0xffffffff);
	assert_int_equal(rd(s, PCI_REG_BAR0, 4), 0xffffffc1);
	wr(s, PCI_REG_BAR0, 4, 0xc000);
	assert_int_equal(rd(s, PCI_REG_BAR0, 4), 0xc001);
	pvpci_source_close(s);
}

static void test_bar_sizing_mem64_both_halves(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	struct pvpci_bar_info bi;

	wr(s, PCI_REG_BAR0, 4, 0xffffffff);
	wr(s, PCI_REG_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(rd(s, PCI_REG_BAR0, 4), 0xfff8000c);
	assert_int_equal(rd(s, PCI_REG_BAR0 + 4, 4), 0xffffffff);
	wr(s, PCI_REG_BAR0, 4, 0x00200000);
	wr(s, PCI_REG_BAR0 + 4, 4, 0x00000050);
	assert_int_equal(pvpci_source_bar_info(s, 0, &bi), 0);
	assert_int_equal(bi.type, PVPCI_BAR_MEM64_LO);
	assert_true(bi.prefetchable);
	assert_int_equal(bi.addr, 0x5000200000ull);
	assert_int_equal(bi.size, 0x80000);
	assert_int_equal(pvpci_source_bar_info(s, 1, &bi), 0);
	assert_int_equal(bi.type, PVPCI_BAR_MEM64_HI);
	assert_int_equal(bi.addr, 0x5000200000ull);
	assert_int_equal(bi.size, 0x80000);
	pvpci_source_close(s);
}

static void test_bar_sizing_rom_with_enable_bit(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	struct pvpci_bar_info bi;

	wr(s, PCI_REG_ROM, 4, 0xfffff800);
	assert_int_equal(rd(s, PCI_REG_ROM, 4), 0xfff80000);
	wr(s, PCI_REG_ROM, 4, 0xfb800001);
	assert_int_equal(rd(s, PCI_REG_ROM, 4), 0xfb800001);
	assert_int_equal(pvpci_source_bar_info(s, PCI_ROM_SLOT, &bi), 0);
	assert_int_equal(bi.type, PVPCI_BAR_ROM);
	assert_int_equal(bi.addr, 0xfb800000);
	assert_int_equal(bi.size, 0x80000);
	pvpci_source_close(s);
}

static void test_bar_address_write_keeps_type_bits(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);

	wr(s, PCI_REG_BAR0 + 8, 4, 0x1234); /* I/O, 32 bytes */
	assert_int_equal(rd(s, PCI_REG_BAR0 + 8, 4), 0x1221);
	wr(s, PCI_REG_BAR0 + 16, 4, 0xabcd0000); /* 64-bit prefetchable, 16K */
	assert_int_equal(rd(s, PCI_REG_BAR0 + 16, 4), 0xabcd000c);
	wr(s, PCI_REG_BAR0 + 16, 1, 0x00); /* byte write to the type byte */
	assert_int_equal(rd(s, PCI_REG_BAR0 + 16, 4), 0xabcd000c);
	pvpci_source_close(s);
}

static void test_bar_unimplemented_reads_zero(void **state)
{
	struct pvpci_source *s = open_model("legacy-io.model", 0);
	struct pvpci_bar_info bi;

	for (unsigned i = 1; i < PCI_NUM_BARS; i++) {
		wr(s, PCI_REG_BAR0 + 4 * i, 4, 0xffffffff);
		assert_int_equal(rd(s, PCI_REG_BAR0 + 4 * i, 4), 0);
		assert_int_equal(pvpci_source_bar_info(s, i, &bi), 0);
		assert_int_equal(bi.type, PVPCI_BAR_EMPTY);
		assert_int_equal(bi.size, 0);
	}
	wr(s, PCI_REG_ROM, 4, 0xffffffff);
	assert_int_equal(rd(s, PCI_REG_ROM, 4), 0);
	pvpci_source_close(s);
}

static void test_bar_info_reports_types(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	const enum pvpci_bar_type want[] = {
		PVPCI_BAR_MEM64_LO, PVPCI_BAR_MEM64_HI, PVPCI_BAR_IO,
		PVPCI_BAR_EMPTY, PVPCI_BAR_MEM64_LO, PVPCI_BAR_MEM64_HI, PVPCI_BAR_ROM,
	};
	struct pvpci_bar_info bi;

	for (unsigned i = 0; i <= PCI_ROM_SLOT; i++) {
		assert_int_equal(pvpci_source_bar_info(s, i, &bi), 0);
		assert_int_equal(bi.type, want[i]);
	}
	assert_int_equal(pvpci_source_bar_info(s, 2, &bi), 0);
	assert_int_equal(bi.addr, 0xe020);
	assert_int_equal(bi.size, 0x20);
	assert_false(bi.prefetchable);
	assert_int_equal(pvpci_source_bar_info(s, 4, &bi), 0);
	assert_int_equal(bi.addr, 0x4000480000ull);
	assert_int_equal(pvpci_source_bar_info(s, 7, &bi), -EINVAL);
	pvpci_source_close(s);
}

/* ---- Power management and resets ---- */
static void test_pm_dstate_rw_and_unsupported_ignored(void **state)
{
	struct pvpci_source *nic = open_model("nic-msix.model", 0);    /* D1-, D2- */
	struct pvpci_source *ahci = open_model("msi-maskable.model", 0); /* D1+, D2+ */
	unsigned pn = cap_pos(nic, false, PCI_CAP_ID_PM), pa = cap_pos(ahci, false, PCI_CAP_ID_PM);

	wr(nic, pn + PCI_PM_CTRL, 2, 1);
	assert_int_equal(rd(nic, pn + PCI_PM_CTRL, 2) & 3, 0);
	wr(nic, pn + PCI_PM_CTRL, 2, 3);
	assert_int_equal(rd(nic, pn + PCI_PM_CTRL, 2) & 3, 3);
	wr(ahci, pa + PCI_PM_CTRL, 2, 1);
	assert_int_equal(rd(ahci, pa + PCI_PM_CTRL, 2) & 3, 1);
	wr(ahci, pa + PCI_PM_CTRL, 2, 2);
	assert_int_equal(rd(ahci, pa + PCI_PM_CTRL, 2) & 3, 2);
	pvpci_source_close(nic);
	pvpci_source_close(ahci);
}

static void test_pm_d3hot_to_d0_soft_resets(void **state)
{
	struct pvpci_source *s = open_model("msi-maskable.model", 0); /* NoSoftRst- */
	unsigned pm = cap_pos(s, false, PCI_CAP_ID_PM);

	wr(s, PCI_REG_CACHE_LINE, 1, 0x20);
	wr(s, PCI_REG_BAR0 + 20, 4, 0xfe600000);
	wr(s, pm + PCI_PM_CTRL, 2, 3);
	assert_int_equal(rd(s, PCI_REG_CACHE_LINE, 1), 0x20); /* D3hot keeps state */
	wr(s, pm + PCI_PM_CTRL, 2, 0);
	assert_int_equal(rd(s, PCI_REG_CACHE_LINE, 1), 0x10);
	assert_int_equal(rd(s, PCI_REG_BAR0 + 20, 4), 0xfe510000);
	assert_int_equal(rd(s, pm + PCI_PM_CTRL, 2) & 3, 0);
	pvpci_source_close(s);
}

static void test_pm_no_soft_reset_keeps_state(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0); /* NoSoftRst+ */
	unsigned pm = cap_pos(s, false, PCI_CAP_ID_PM);

	wr(s, PCI_REG_CACHE_LINE, 1, 0x20);
	wr(s, pm + PCI_PM_CTRL, 2, 3);
	wr(s, pm + PCI_PM_CTRL, 2, 0);
	assert_int_equal(rd(s, PCI_REG_CACHE_LINE, 1), 0x20);
	assert_int_equal(rd(s, pm + PCI_PM_CTRL, 2), PCI_PM_CTRL_NO_SOFT_RESET);
	pvpci_source_close(s);
}

static void test_pm_pme_enable_rw_status_rw1c(void **state)
{
	static const char text[] =
		"0a:00.0 Test device\n"
		"00: 86 80 33 15 06 00 10 00 03 00 00 02 00 00 00 00\n"
		"10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
		"20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 01 00\n"
		"30: 00 00 00 00 40 00 00 00 00 00 00 00 0b 01 00 00\n"
		"40: 01 00 23 c8 00 80 00 00 00 00 00 00 00 00 00 00\n";
	struct pvpci_source *s = open_text(text);

	assert_int_equal(rd(s, 0x44, 2), PCI_PM_CTRL_PME_STATUS);
	wr(s, 0x44, 2, PCI_PM_CTRL_PME_ENABLE);
	assert_int_equal(rd(s, 0x44, 2), PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_PME_ENABLE);
	wr(s, 0x44, 2, PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_PME_ENABLE);
	assert_int_equal(rd(s, 0x44, 2), PCI_PM_CTRL_PME_ENABLE);
	wr(s, 0x44, 2, 0x7e00); /* data select / scale: read-only here */
	assert_int_equal(rd(s, 0x44, 2), 0);
	pvpci_source_close(s);
}

static void test_flr_restores_power_on_state(void **state)
{
	struct pvpci_source *s = open_model("nic-msix.model", 0);
	unsigned exp = cap_pos(s, false, PCI_CAP_ID_EXP);
	unsigned msix = cap_pos(s, false, PCI_CAP_ID_MSIX);
	uint32_t devctl = rd(s, exp + PCI_EXP_DEVCTL, 2);

	wr(s, PCI_REG_COMMAND, 2, 0x0407);
	wr(s, PCI_REG_BAR0, 4, 0x00100000);
	wr(s, msix + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	bar_wr(s, 4, PCI_MSIX_ENTRY_CTRL, 4, 0);
	bar_wr(s, 0, 0x100, 4, 0x12345678);
	wr(s, exp + PCI_EXP_DEVCTL, 2, devctl | PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(rd(s, PCI_REG_COMMAND, 2), 0x0006);
	assert_int_equal(rd(s, PCI_REG_BAR0, 4), 0x0040000c);
	assert_int_equal(rd(s, msix + PCI_MSIX_FLAGS, 2), 63);
	assert_int_equal(bar_rd(s, 4, PCI_MSIX_ENTRY_CTRL, 4), 1);
	assert_int_equal(bar_rd(s, 0, 0x100, 4), 0);
	assert_int_equal(rd(s, exp + PCI_EXP_DEVCTL, 2), devctl); /* FLR bit reads 0 */
	pvpci_source_close(s);
}

static void test_flr_bit_ignored_without_flr_capability(void **state)
{
	struct pvpci_source *s = open_model("msi-maskable.model", 0);
	unsigned exp = cap_pos(s, false, PCI_CAP_ID_EXP);

	wr(s, PCI_REG_CACHE_LINE, 1, 0x20);
	wr(s, exp + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(rd(s, PCI_REG_CACHE_LINE, 1), 0x20);
	assert_int_equal(rd(s, exp + PCI_EXP_DEVCTL, 2), 0);
	pvpci_source_close(s);
}

static void test_reset_kinds_follow_capabilities(void **state)
{
	struct pvpci_source *nic = open_model("nic-msix.model", 0);   /* FLR, NoSoftRst+ */
	struct pvpci_source *ahci = open_model("msi-maskable.model", 0); /* PM only */
	struct pvpci_source *leg = open_model("legacy-io.model", 0);  /* neither */

	wr(nic, PCI_REG_CACHE_LINE, 1, 0x20);
	assert_int_equal(pvpci_source_reset(nic, PVPCI_RESET_PM), -ENOTTY);
	assert_int_equal(rd(nic, PCI_REG_CACHE_LINE, 1), 0x20);
	assert_int_equal(pvpci_source_reset(nic, PVPCI_RESET_FLR), 0);
	assert_int_equal(rd(nic, PCI_REG_CACHE_LINE, 1), 0x10);
	wr(ahci, PCI_REG_CACHE_LINE, 1, 0x20);
	assert_int_equal(pvpci_source_reset(ahci, PVPCI_RESET_FLR), -ENOTTY);
	assert_int_equal(pvpci_source_reset(ahci, PVPCI_RESET_FUNCTION), 0);
	assert_int_equal(rd(ahci, PCI_REG_CACHE_LINE, 1), 0x10);
	assert_int_equal(pvpci_source_reset(leg, PVPCI_RESET_FUNCTION), -ENOTTY);
	assert_int_equal(pvpci_source_reset(leg, 7), -EINVAL);
	pvpci_source_close(nic);
	pvpci_source_close(ahci);
	pvpci_source_close(leg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_size_3_rejected_without_access),
		cmocka_unit_test(test_cfg_misaligned_rejected_without_access),
		cmocka_unit_test(test_cfg_out_of_range_rejected_without_access),
		cmocka_unit_test(test_counters_split_reads_and_writes),
		cmocka_unit_test(test_names_and_sizes),
		cmocka_unit_test(test_snapshot_reads_whole_space),
		cmocka_unit_test(test_enable_sets_decode_from_resources),
		cmocka_unit_test(test_read_only_registers_ignore_writes),
		cmocka_unit_test(test_status_error_bits_rw1c),
		cmocka_unit_test(test_command_keeps_only_writable_bits),
		cmocka_unit_test(test_cache_line_latency_and_irq_line_rw),
		cmocka_unit_test(test_bar_sizing_mem32),
		cmocka_unit_test(test_bar_sizing_io),
		cmocka_unit_test(test_bar_sizing_mem64_both_halves),
		cmocka_unit_test(test_bar_sizing_rom_with_enable_bit),
		cmocka_unit_test(test_bar_address_write_keeps_type_bits),
		cmocka_unit_test(test_bar_unimplemented_reads_zero),
		cmocka_unit_test(test_bar_info_reports_types),
		cmocka_unit_test(test_pm_dstate_rw_and_unsupported_ignored),
		cmocka_unit_test(test_pm_d3hot_to_d0_soft_resets),
		cmocka_unit_test(test_pm_no_soft_reset_keeps_state),
		cmocka_unit_test(test_pm_pme_enable_rw_status_rw1c),
		cmocka_unit_test(test_flr_restores_power_on_state),
		cmocka_unit_test(test_flr_bit_ignored_without_flr_capability),
		cmocka_unit_test(test_reset_kinds_follow_capabilities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
