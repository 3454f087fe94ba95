/* SPDX-License-Identifier: MIT */
/*
 * Type 0 and type 1 header fields of the PV policy (pciback's header table): identity
 * registers answered from the snapshot, COMMAND mediated by the XSA-120 rule (decode via
 * the host enable path, only the guest whitelist reaches the device even when permissive),
 * BIST start-only writes, a virtual Interrupt Line. Registers not listed here are gaps:
 * raw device reads, writes only when permissive. BARs and the ROM live in bars.c.
 */
#include <errno.h>

#include "pvdev_priv.h"

/* ---- COMMAND ---- */

/* Guest view: the device's bits in the whitelist, the guest's last value for the rest. */
static int cmd_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct pvpci_pvdev *d = ctx;
	uint32_t hw;
	int rc = pv_hw_read(d, off, 2, &hw);

	if (rc)
		return rc;
	*val = (hw & PCI_CMD_GUEST) | (d->guest_cmd & ~PCI_CMD_GUEST & 0xffffu);
	return 0;
}

/* Decoding goes through the host's enable path: the host picks the bits, never the guest. */
static int cmd_decode(struct pvpci_pvdev *d, uint32_t val)
{
	bool want = (val & PCI_CMD_DECODE) != 0;
	int rc;

	if (want == d->enabled)
		return 0;
	rc = pvpci_source_enable(d->src, want);
	if (rc) {
		pvpci_logf_rl(&d->log, &d->rl_intr, PVPCI_LOG_WARNING, "%s the device failed: %s",
			      want ? "enabling" : "disabling", pvpci_errname(rc));
		return rc;
	}
	d->enabled = want;
	return 0;
}

/* The device's new COMMAND: bus master and MWI follow the guest, INTx disable only with
 * allow_interrupt_control; permissive adds the rest of the whitelist. Decode, SERR and
 * PARITY always keep the device's value. */
static uint32_t cmd_device_value(const struct pvpci_pvdev *d, uint32_t hw, uint32_t val)
{
	uint32_t follow = PCI_CMD_MASTER | PCI_CMD_INVALIDATE;

	if (d->allow_intr_ctrl)
		follow |= PCI_CMD_INTX_DISABLE;
	if (d->permissive)
		follow |= PCI_CMD_GUEST;
	return (hw & ~follow) | (val & follow);
}

static int cmd_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct pvpci_pvdev *d = ctx;
	uint32_t hw, want;
	int rc = cmd_decode(d, val);

	if (rc)
		return rc;
	rc = pv_hw_read(d, off, 2, &hw);
	if (rc)
		return rc;
	want = cmd_device_value(d, hw, val);
	if (want != hw) {
		rc = pv_hw_write(d, off, 2, want);
		if (rc)
			return rc;
	}
	if ((want & PCI_CMD_INVALIDATE) && !(hw & PCI_CMD_INVALIDATE)) {
		/* MWI the device does not implement stays off in the guest's copy too. */
		rc = pv_hw_read(d, off, 2, &hw);
		if (rc)
			return rc;
		if (!(hw & PCI_CMD_INVALIDATE))
			val &= ~(uint32_t)PCI_CMD_INVALIDATE;
	}
	d->guest_cmd = (uint16_t)val;
	return 0;
}

int pv_command_reset(struct pvpci_pvdev *d)
{
	uint32_t hw;
	int rc = pv_hw_read(d, PCI_REG_COMMAND, 2, &hw);

	if (rc)
		return rc;
	d->guest_cmd = (uint16_t)hw;
	d->enabled = (hw & PCI_CMD_DECODE) != 0;
	return 0;
}

/* ---- BIST: only starting the self-test, nothing else changes ---- */

static int bist_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct pvpci_pvdev *d = ctx;
	uint32_t hw;
	int rc = pv_hw_read(d, off, 1, &hw);

	if (rc)
		return rc;
	if (((val ^ hw) & ~(uint32_t)PCI_BIST_START & 0xffu) == 0 || val == PCI_BIST_START)
		return pv_hw_write(d, off, 1, val);
	pv_drop(d, off, 1, val, "BIST: only START may be written");
	return 0;
}

/* ---- The tables (offsets from 0) ---- */

/* Registers that are read-only and virtual side by side share one row (Vendor + Device,
 * Interrupt Line + Pin), so that a dword read of them is a single handler call. Interrupt
 * Line answers the host's line from the snapshot (pciback: the host's IRQ). */
static const struct pv_field header_fields[] = {
	{ PCI_REG_VENDOR_ID, 4, pv_read_cached32, pv_write_drop, 0, 0, 0 }, /* + Device ID */
	{ PCI_REG_COMMAND, 2, cmd_read, cmd_write, 0, 0, 0 },
	{ PCI_REG_CACHE_LINE, 1, pv_read_hw8, pv_write_hw8, 0, 0, 0 },
	{ PCI_REG_LATENCY, 1, pv_read_hw8, pv_write_drop, 0, 0, 0 },
	{ PCI_REG_HEADER_TYPE, 1, pv_read_cached8, pv_write_drop, 0, 0, 0 },
	{ PCI_REG_BIST, 1, pv_read_hw8, bist_write, 0, 0, 0 },
	{ PCI_REG_INTR_LINE, 2, pv_read_cached16, pv_write_drop, 0, 0, 0 }, /* + Pin */
};

/* Registers restored from the snapshot on detach, per header type (COMMAND last). */
static const struct pv_restore restore_type0[] = {
	{ PCI_REG_CACHE_LINE, 1, 1, 0 },
	{ PCI_REG_LATENCY, 1, 1, 0 },
	{ PCI_REG_INTR_LINE, 1, 1, 0 },
};
static const struct pv_restore restore_type1[] = {
	{ PCI_REG_CACHE_LINE, 1, 1, 0 },
	{ PCI_REG_LATENCY, 1, 1, 0 },
	{ 0x18, 4, 1, 0 },    /* bus numbers, secondary latency */
	{ 0x1c, 2, 1, 0 },    /* I/O base / limit (not the secondary status) */
	{ 0x20, 4, 1, 0 },    /* memory base / limit */
	{ 0x24, 4, 1, 0 },    /* prefetchable base / limit */
	{ 0x28, 4, 1, 0 },    /* prefetchable base upper */
	{ 0x2c, 4, 1, 0 },    /* prefetchable limit upper */
	{ 0x30, 4, 1, 0 },    /* I/O base / limit upper */
	{ PCI_REG_INTR_LINE, 1, 1, 0 },
	{ PCI_REG_BRIDGE_CONTROL, 2, 1, 0 },
};

int pv_header_init(struct pvpci_pvdev *d)
{
	bool bridge = d->hdr_type == PCI_HEADER_TYPE_BRIDGE;
	const struct pv_restore *r = bridge ? restore_type1 : restore_type0;
	size_t nr = bridge ? PVPCI_ARRAY_SIZE(restore_type1) : PVPCI_ARRAY_SIZE(restore_type0);
	int rc = pv_add_fields(d, 0, header_fields, PVPCI_ARRAY_SIZE(header_fields), NULL);

	if (rc) {
		pvpci_logf(&d->log, PVPCI_LOG_ERR, "header fields: %s", pvpci_errname(rc));
		return rc;
	}
	for (size_t i = 0; i < nr; i++)
		pv_restore_add(d, r[i].off, r[i].size, r[i].pass, r[i].skip_mask);
	rc = pv_bars_init(d);
	if (rc)
		return rc;
	pv_restore_add(d, PCI_REG_COMMAND, 2, 3, 0);
	return 0;
}
