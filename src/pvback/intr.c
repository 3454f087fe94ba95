/* SPDX-License-Identifier: MIT */
/*
 * The interrupt-type rule of the PV policy: a device uses one of INTx, MSI and MSI-X at a
 * time. The current type is read from the device (MSI / MSI-X enable bits, else INTx when
 * the device has a pin and INTx is not disabled). A guest write to MSI or MSI-X Message
 * Control reaches the device only when the device is permissive, or when
 * allow_interrupt_control is set and only the allowed bits change; enabling is refused
 * unless the current type is none, INTx or the same type (INTx may still be on while a
 * driver switches to MSI). Unlike pciback, the type check holds in permissive mode too.
 */
#include <errno.h>

#include "pvdev_priv.h"

static int ctrl_enabled(struct pvpci_pvdev *d, enum pv_cap cap, uint32_t bit, bool *on)
{
	uint32_t v;
	int rc;

	*on = false;
	if (!d->cap_pos[cap])
		return 0;
	rc = pv_hw_read(d, d->cap_pos[cap] + PCI_MSI_FLAGS, 2, &v);
	*on = !rc && (v & bit);
	return rc;
}

int pv_intr_types(struct pvpci_pvdev *d, unsigned *types)
{
	uint32_t cmd;
	bool on;
	int rc;

	*types = 0;
	rc = ctrl_enabled(d, PV_CAP_MSI, PCI_MSI_FLAGS_ENABLE, &on);
	if (rc)
		return rc;
	*types |= on ? PV_INTR_MSI : 0;
	rc = ctrl_enabled(d, PV_CAP_MSIX, PCI_MSIX_FLAGS_ENABLE, &on);
	if (rc)
		return rc;
	*types |= on ? PV_INTR_MSIX : 0;
	if (*types || !pv_pristine(d, PCI_REG_INTR_PIN, 1))
		return 0;
	rc = pv_hw_read(d, PCI_REG_COMMAND, 2, &cmd);
	if (!rc && !(cmd & PCI_CMD_INTX_DISABLE))
		*types = PV_INTR_INTX;
	return rc;
}

enum pvpci_intr_mode pvpci_pvdev_intr_mode(struct pvpci_pvdev *d)
{
	unsigned t;

	if (!d || pv_intr_types(d, &t))
		return PVPCI_INTR_NONE;
	if (t & PV_INTR_MSIX)
		return PVPCI_INTR_MSIX;
	if (t & PV_INTR_MSI)
		return PVPCI_INTR_MSI;
	return t & PV_INTR_INTX ? PVPCI_INTR_INTX : PVPCI_INTR_NONE;
}

static int refuse(struct pvpci_pvdev *d, unsigned off, uint16_t val, const char *why)
{
	pvpci_logf_rl(&d->log, &d->rl_intr, PVPCI_LOG_WARNING,
		      "guest interrupt control write 0x%x = 0x%04x refused: %s", off, val, why);
	return -EIO;
}

int pv_intr_ctrl_write(struct pvpci_pvdev *d, unsigned off, uint16_t val, uint16_t allowed,
		       uint16_t enable, unsigned type)
{
	uint32_t hw;
	unsigned types;
	int rc = pv_hw_read(d, off, 2, &hw);

	if (rc)
		return rc;
	if (val == hw)
		return 0;
	if (!d->permissive) {
		if (!d->allow_intr_ctrl)
			return refuse(d, off, val, "interrupt control not allowed");
		if ((val ^ hw) & ~(uint32_t)allowed)
			return refuse(d, off, val, "changes bits other than enable / mask");
	}
	if (val & enable) {
		rc = pv_intr_types(d, &types);
		if (rc)
			return rc;
		if (types != 0 && types != PV_INTR_INTX && types != type)
			return refuse(d, off, val, "another interrupt type is enabled");
	}
	return pv_hw_write(d, off, 2, val);
}

static int disable_one(struct pvpci_pvdev *d, enum pv_cap cap, uint32_t bit)
{
	unsigned off = d->cap_pos[cap] + PCI_MSI_FLAGS;
	uint32_t v;
	int rc;

	if (!d->cap_pos[cap])
		return 0;
	rc = pv_hw_read(d, off, 2, &v);
	if (rc || !(v & bit))
		return rc;
	return pv_hw_write(d, off, 2, v & ~bit);
}

int pv_intr_disable_all(struct pvpci_pvdev *d)
{
	int rc = disable_one(d, PV_CAP_MSI, PCI_MSI_FLAGS_ENABLE);
	int rc2 = disable_one(d, PV_CAP_MSIX, PCI_MSIX_FLAGS_ENABLE);

	return rc ? rc : rc2;
}
