/* SPDX-License-Identifier: MIT */
/*
 * PV policy tests, behaviour.md 3.6 and 3.10: quirks (parsed, mask enforced unlike
 * pciback, dropped on detach) and the device's life: seize quiets it, detach resets,
 * restores and clears every per-guest knob (permissive included, unlike pciback), destroy
 * gives the device back as it was found.
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

/* ---- 3.6: quirks ---- */

static void test_quirk_parse_accepts_hex_with_or_without_0x(void **state)
{
	struct pvpci_quirk q;
	struct pvpci_parse_err e;

	assert_int_equal(pvpci_quirk_parse("a8:2:e0", &q, &e), 0);
	assert_int_equal(q.off, 0xa8);
	assert_int_equal(q.size, 2);
	assert_int_equal(q.mask, 0xe0);
	assert_int_equal(pvpci_quirk_parse("0xFFC:0x4:0xffffffff", &q, &e), 0);
	assert_int_equal(q.off, 0xffc);
	assert_int_equal(q.mask, 0xffffffff);
}

static void test_quirk_parse_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"1000:4:0", "a9:2:1", "a8:3:1", "a8:1:100", "a8:2", "zz:1:1", "a8:2:e0:1",
		"", ":2:1", "a8::1", "a8:2:", "a8:2:1ffffffff",
	};
	struct pvpci_quirk q;
	struct pvpci_parse_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(pvpci_quirk_parse(bad[i], &q, &e), -EINVAL);
		assert_true(e.msg[0] != 0);
	}
	assert_int_equal(pvpci_quirk_parse("a8:2:e0x", &q, &e), -EINVAL);
	assert_int_equal(e.pos, 7);
}

/* Deliberate difference from pciback: only the mask's bits become writable; the rest of
 * the register (here Device Status, RW1C, and Initiate FLR) keeps the device's value. */
static void test_quirk_mask_enforced(void **state)
{
	struct pvpci_quirk q = { 0xa8, 4, 0x000000e0 };
	struct pvpci_pv_opts o = { .quirks = &q, .nquirks = 1 };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o); /* DevCtl 0x2810, DevSta 0x0009 */
	assert_int_equal(gr(&f, 0xa8, 4), 0x00092810);
	gw(&f, 0xa8, 4, 0xffffffff);
	assert_int_equal(hw(&f, 0xa8, 4), 0x000928f0);
	gw(&f, 0xa8, 4, 0x00000000);
	assert_int_equal(hw(&f, 0xa8, 4), 0x00092810);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 0);
	fx_close(&f);
}

static void test_quirk_reads_device(void **state)
{
	struct pvpci_quirk q = { 0x108, 4, 0xffffffff };
	struct pvpci_pv_opts o = { .quirks = &q, .nquirks = 1 };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	hwset(&f, 0x108, 4, 0x00100000);
	cnt_reset(&f);
	assert_int_equal(gr(&f, 0x108, 4), 0x00100000);
	assert_int_equal(cnt_reads(&f), 1);
	gw(&f, 0x108, 4, 0x00000010);
	assert_int_equal(hw(&f, 0x108, 4), 0x00000010);
	fx_close(&f);
}

static void test_quirk_over_handled_register_refused(void **state)
{
	struct pvpci_quirk q = { PCI_REG_COMMAND, 2, 0x0002 };
	struct pvpci_pv_opts o = { .quirks = &q, .nquirks = 1 };
	struct fx f;

	fx_open_source(&f, "nic-msix.model", 0);
	assert_int_equal(fx_seize(&f, &o), -EEXIST);
	assert_null(f.d);
	assert_true(logged(&f, "overlaps a register the policy handles"));
	/* The device was left as it was found. */
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2), 0x0006);
	fx_close(&f);
}

static void test_quirk_beyond_config_space_refused(void **state)
{
	struct pvpci_quirk q = { 0x100, 4, 1 };
	struct pvpci_pv_opts o = { .quirks = &q, .nquirks = 1 };
	struct fx f;

	fx_open_source(&f, "legacy-io.model", 0); /* 256 bytes */
	assert_int_equal(fx_seize(&f, &o), -EINVAL);
	fx_close(&f);
}

static void test_quirks_dropped_on_detach(void **state)
{
	struct pvpci_quirk q = { 0x108, 4, 0xffffffff };
	struct pvpci_pv_opts o = { .quirks = &q, .nquirks = 1 };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	assert_int_equal(pvpci_pvdev_detach(f.d), 0);
	gw(&f, 0x108, 4, 0x10);
	assert_int_equal(hw(&f, 0x108, 4), 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	fx_close(&f);
}

/* ---- 3.10: seize, detach, destroy ---- */

static void test_seize_quiesces_device(void **state)
{
	struct fx f;

	fx_open(&f, "msi-maskable.model", NULL); /* dump: I/O, memory, bus master on */
	assert_int_equal(f.initial[PCI_REG_COMMAND] & 7, 7);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & (PCI_CMD_DECODE | PCI_CMD_MASTER), 0);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2) & (PCI_CMD_DECODE | PCI_CMD_MASTER), 0);
	fx_close(&f);

	fx_open(&f, "virtio-net.model", NULL); /* MSI-X enabled in the dump */
	assert_int_equal(pvpci_pvdev_intr_mode(f.d), PVPCI_INTR_NONE);
	assert_int_equal(hw(&f, capof(&f, PCI_CAP_ID_MSIX) + 2, 2) & PCI_MSIX_FLAGS_ENABLE, 0);
	fx_close(&f);
}

/* Seizing reads the config space once and walks the capabilities in the snapshot. */
static void test_seize_reads_config_space_once(void **state)
{
	struct fx f;

	fx_open_source(&f, "legacy-io.model", 0);
	cnt_reset(&f);
	{
		struct pvpci_pv_opts o = { .log = &f.log };

		assert_int_equal(pvpci_pvdev_create(f.src, &o, &f.d), 0);
	}
	/* 64 dwords of snapshot, then quiescing reads COMMAND a few times. */
	assert_true(cnt_reads(&f) >= 64);
	assert_true(cnt_reads(&f) <= 64 + 6);
	fx_close(&f);
}

static void test_create_rejects_bad_arguments(void **state)
{
	struct pvpci_pvdev *d = (struct pvpci_pvdev *)1;

	assert_int_equal(pvpci_pvdev_create(NULL, NULL, &d), -EINVAL);
	assert_null(d);
	assert_int_equal(pvpci_pvdev_create(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(pvpci_pvdev_detach(NULL), -EINVAL);
	pvpci_pvdev_destroy(NULL);
}

/* A device without any reset: destroy must still put back what the guest changed. */
static void test_destroy_restores_pristine_state(void **state)
{
	struct pvpci_pv_opts o = { .allow_interrupt_control = true };
	struct fx f;
	uint8_t after[4096];

	fx_open_source(&f, "multifunc.model", 0); /* no FLR, PM with No_Soft_Reset */
	hwset(&f, 0x6c, 4, 0xfee01000);          /* host-owned MSI address / data */
	hwset(&f, 0x74, 2, 0x4021);
	hwset(&f, 0x6a, 2, 0x0081);              /* the host driver used MSI */
	assert_int_equal(pvpci_source_snapshot(f.src, f.initial, 4096), 0);
	assert_int_equal(fx_seize(&f, &o), 0);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	gw(&f, PCI_REG_CACHE_LINE, 1, 0x08);
	assert_int_equal(hw(&f, 0x6a, 2), 0x0080); /* seize turned MSI off */
	gw(&f, 0x64, 2, 3);                      /* D3hot */
	hwset(&f, 0x10, 4, 0);                   /* the device lost BAR0 */
	pvpci_pvdev_destroy(f.d);
	f.d = NULL;
	assert_int_equal(pvpci_source_snapshot(f.src, after, 4096), 0);
	assert_memory_equal(after, f.initial, 4096);
	fx_close(&f);
}

/* Detach: reset, restore, quiesce again, and forget the guest's knobs and quirks. */
static void test_detach_clears_guest_state(void **state)
{
	struct pvpci_quirk q = { 0x108, 4, 0xffffffff };
	struct pvpci_pv_opts o = { .permissive = true, .allow_interrupt_control = true,
				   .quirks = &q, .nquirks = 1 };
	struct fx f;

	fx_open(&f, "nic-msix.model", &o);
	gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_SERR);
	gw(&f, 0x10, 4, 0xffffffff);            /* sizing in progress */
	gw(&f, 0x72, 2, 0x803f);                /* MSI-X on */
	gw(&f, 0x40, 4, 0);                     /* dropped: counted */
	gw(&f, 0x10c, 4, 0x00400000);           /* permissive: AER severity */
	assert_int_equal(pvpci_pvdev_detach(f.d), 0);
	assert_false(pvpci_pvdev_permissive(f.d));
	assert_false(pvpci_pvdev_allow_interrupt_control(f.d));
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 0);
	assert_int_equal(gr(&f, 0x10, 4), 0x0040000c);
	assert_int_equal(gr(&f, PCI_REG_COMMAND, 2), 0);
	assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & (PCI_CMD_DECODE | PCI_CMD_MASTER), 0);
	assert_int_equal(hw(&f, 0x72, 2) & PCI_MSIX_FLAGS_ENABLE, 0);
	/* Reset (FLR) brought back what restore does not cover. */
	assert_int_equal(hw(&f, 0x10c, 4), f.initial[0x10c] | f.initial[0x10d] << 8 |
					      f.initial[0x10e] << 16 |
					      (uint32_t)f.initial[0x10f] << 24);
	/* The next guest starts from scratch: gap writes dropped, MSI-X control refused. */
	gw(&f, 0x10c, 4, 0);
	assert_int_equal(pvpci_pvdev_dropped_writes(f.d), 1);
	assert_int_equal(pvpci_pvdev_conf_write(f.d, 0x72, 2, 0x803f), -EIO);
	fx_close(&f);
}

/* A device can be detached and given to another guest any number of times. */
static void test_detach_then_reuse(void **state)
{
	struct fx f;

	fx_open(&f, "legacy-io.model", NULL);
	for (int i = 0; i < 3; i++) {
		gw(&f, PCI_REG_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MASTER);
		assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & 7, PCI_CMD_IO | PCI_CMD_MASTER);
		assert_int_equal(pvpci_pvdev_detach(f.d), 0);
		assert_int_equal(hw(&f, PCI_REG_COMMAND, 2) & 7, 0);
	}
	fx_close(&f);
}

static void test_error_names(void **state)
{
	assert_string_equal(pvpci_pv_errname(0), "success");
	assert_string_equal(pvpci_pv_errname(-EINVAL), "invalid offset");
	assert_string_equal(pvpci_pv_errname(-EACCES), "access denied");
	assert_string_equal(pvpci_pv_errname(-EIO), "op failed");
	assert_string_equal(pvpci_pv_errname(-ENODEV), "device not found");
	assert_string_equal(pvpci_pv_errname(-ENOSYS), "not implemented");
	assert_string_equal(pvpci_pv_errname(-12345), "op failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quirk_parse_accepts_hex_with_or_without_0x),
		cmocka_unit_test(test_quirk_parse_rejects_bad_input),
		cmocka_unit_test(test_quirk_mask_enforced),
		cmocka_unit_test(test_quirk_reads_device),
		cmocka_unit_test(test_quirk_over_handled_register_refused),
		cmocka_unit_test(test_quirk_beyond_config_space_refused),
		cmocka_unit_test(test_quirks_dropped_on_detach),
		cmocka_unit_test(test_seize_quiesces_device),
		cmocka_unit_test(test_seize_reads_config_space_once),
		cmocka_unit_test(test_create_rejects_bad_arguments),
		cmocka_unit_test(test_destroy_restores_pristine_state),
		cmocka_unit_test(test_detach_clears_guest_state),
		cmocka_unit_test(test_detach_then_reuse),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
