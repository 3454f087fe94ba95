/* SPDX-License-Identifier: MIT */
/*
 * The capabilities the PV policy handles, one row each: the first instance of each id in
 * the standard list (walked over the snapshot, bounded, loops cut) gets its file's init.
 * A capability whose init fails is left to the gap policy (raw reads, writes only when
 * permissive) and logged; the device is still usable. Other capabilities, and the whole
 * extended space, are gaps too, as in pciback.
 */
#include <errno.h>

#include "pvdev_priv.h"

struct pv_cap_row {
	unsigned id;
	enum pv_cap slot;
	const char *name;
	int (*init)(struct pvpci_pvdev *d, unsigned pos);
};

static const struct pv_cap_row pv_cap_table[] = {
	{ PCI_CAP_ID_PM, PV_CAP_PM, "power management", pv_cap_pm_init },
	{ PCI_CAP_ID_VPD, PV_CAP_VPD, "VPD", pv_cap_vpd_init },
	{ PCI_CAP_ID_MSI, PV_CAP_MSI, "MSI", pv_cap_msi_init },
	{ PCI_CAP_ID_MSIX, PV_CAP_MSIX, "MSI-X", pv_cap_msix_init },
	{ PCI_CAP_ID_EXP, PV_CAP_EXP, "PCI Express", pv_cap_exp_init },
};

/* The walk reads the snapshot: seizing costs no device access beyond it. */
static int snap_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	const struct pvpci_pvdev *d = opaque;

	if (off + size > d->cfg_size)
		return -EINVAL;
	*val = pv_pristine(d, off, size);
	return 0;
}

struct cap_walk {
	struct pvpci_pvdev *d;
	unsigned seen; /* bit per pv_cap: only the first instance of an id counts */
};

static int cap_visit(void *arg, unsigned pos, unsigned id)
{
	struct cap_walk *w = arg;
	struct pvpci_pvdev *d = w->d;

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(pv_cap_table); i++) {
		const struct pv_cap_row *row = &pv_cap_table[i];
		int rc;

		if (row->id != id || (w->seen & (1u << row->slot)))
			continue;
		w->seen |= 1u << row->slot;
		d->cap_pos[row->slot] = pos;
		rc = row->init(d, pos);
		if (rc) {
			d->cap_pos[row->slot] = 0;
			pvpci_logf(&d->log, PVPCI_LOG_WARNING,
				   "%s capability at 0x%x not handled (%s): raw reads, "
				   "writes only when permissive", row->name, pos,
				   pvpci_errname(rc));
			return 0;
		}
	}
	return 0;
}

void pv_caps_init(struct pvpci_pvdev *d)
{
	struct cap_walk w = { .d = d, .seen = 0 };
	int rc = pvpci_cap_walk(snap_read, d, d->cfg_size, false, cap_visit, &w);

	if (rc < 0)
		pvpci_logf(&d->log, PVPCI_LOG_WARNING, "capability list: %s",
			   pvpci_errname(rc));
}
