/* SPDX-License-Identifier: MIT */
/*
 * Seize and restore. Seizing leaves the device quiet for its guest: decoding off through
 * the host's path, bus mastering, MSI / MSI-X and PME_En off. Restoring writes back, from
 * the snapshot taken at creation, every register on the restore list that differs: power
 * state first, then the header and capability registers, enables (MSI / MSI-X control,
 * COMMAND) last.
 */
#include <errno.h>

#include "pvdev_priv.h"

int pv_seize(struct pvpci_pvdev *d)
{
	uint32_t cmd;
	int rc = pv_intr_disable_all(d);

	if (!rc)
		rc = pvpci_source_enable(d->src, false);
	if (!rc)
		rc = pv_hw_read(d, PCI_REG_COMMAND, 2, &cmd);
	if (!rc && (cmd & PCI_CMD_MASTER))
		rc = pv_hw_write(d, PCI_REG_COMMAND, 2, cmd & ~(uint32_t)PCI_CMD_MASTER);
	if (!rc)
		rc = pv_pm_seize(d);
	if (!rc)
		rc = pv_command_reset(d);
	if (rc)
		pvpci_logf(&d->log, PVPCI_LOG_ERR, "cannot quiesce the device: %s",
			   pvpci_errname(rc));
	return rc;
}

static int restore_one(struct pvpci_pvdev *d, const struct pv_restore *r)
{
	uint32_t keep = r->size == 4 ? ~r->skip_mask : ((1u << (8 * r->size)) - 1) & ~r->skip_mask;
	uint32_t want = pv_pristine(d, r->off, r->size) & keep;
	uint32_t hw;
	int rc = pv_hw_read(d, r->off, r->size, &hw);

	if (rc || (hw & keep) == want)
		return rc;
	return pv_hw_write(d, r->off, r->size, want);
}

int pv_restore_pristine(struct pvpci_pvdev *d)
{
	int first = 0;

	for (unsigned pass = 0; pass < 4; pass++) {
		for (unsigned i = 0; i < d->nrestore; i++) {
			int rc;

			if (d->restore[i].pass != pass)
				continue;
			rc = restore_one(d, &d->restore[i]);
			first = first ? first : rc;
		}
	}
	if (first)
		pvpci_logf(&d->log, PVPCI_LOG_WARNING, "restoring the saved state: %s",
			   pvpci_errname(first));
	return first;
}

/* After something that may have reset the device behind the policy's back (a D3hot -> D0
 * soft reset, a permissive or quirk pass-through write such as an Initiate FLR), put back
 * what the host owns: decoding as the enable path left it, bus mastering as the guest
 * asked, the BARs' host addresses, PME_En off. */
int pv_reconcile(struct pvpci_pvdev *d)
{
	uint32_t cmd, hw;
	int rc = pv_hw_read(d, PCI_REG_COMMAND, 2, &cmd);

	/* Enabling is idempotent (it adds the host's bits); disabling only when needed. */
	if (!rc && (d->enabled || (cmd & PCI_CMD_DECODE))) {
		rc = pvpci_source_enable(d->src, d->enabled);
		if (!rc)
			rc = pv_hw_read(d, PCI_REG_COMMAND, 2, &cmd);
	}
	if (!rc && ((cmd ^ d->guest_cmd) & PCI_CMD_MASTER))
		rc = pv_hw_write(d, PCI_REG_COMMAND, 2,
				 (cmd & ~(uint32_t)PCI_CMD_MASTER) | (d->guest_cmd & PCI_CMD_MASTER));
	for (unsigned i = 0; !rc && i < PV_NBARS; i++) {
		const struct pv_bar *b = &d->bars[i];

		if (b->type == PVPCI_BAR_EMPTY || !b->reg)
			continue;
		rc = pv_hw_read(d, b->reg, 4, &hw);
		if (!rc && hw != b->val)
			rc = pv_hw_write(d, b->reg, 4, b->val);
	}
	if (!rc)
		rc = pv_pm_seize(d);
	return rc;
}
