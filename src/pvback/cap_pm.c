/* SPDX-License-Identifier: MIT */
/*
 * Power management capability under the PV policy. PMC is read with the PME support bits
 * masked (PMEs are the host's); in PMCSR only PME_Status (write 1 to clear) and
 * Data_Select reach the device, and a D-state change is applied by the host after checking
 * it (supported state, no D3hot -> D1 shortcuts); PME_En is cleared at seize and never
 * writable. The bridge-extension and Data bytes are read-only.
 */
#include <errno.h>

#include "pvdev_priv.h"

#define PM_PMC_D1 0x0200
#define PM_PMC_D2 0x0400
/* PMCSR bits a guest write may carry to the device besides the D-state. */
#define PM_CTRL_GUEST (PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_DATA_SEL_MASK)

static int pmc_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = pv_pristine(ctx, off, 2) & ~(uint32_t)PCI_PM_PMC_PME_MASK;
	return 0;
}

/* Whether the device may go from state cur to state want (0..3 = D0..D3hot). */
static bool pm_state_ok(const struct pvpci_pvdev *d, uint32_t cur, uint32_t want)
{
	uint32_t pmc = pv_pristine(d, d->cap_pos[PV_CAP_PM] + PCI_PM_PMC, 2);

	if (want == 1 && !(pmc & PM_PMC_D1))
		return false;
	if (want == 2 && !(pmc & PM_PMC_D2))
		return false;
	/* Out of a low-power state only deeper, or back to D0. */
	return want == 0 || want >= cur;
}

/* val carries the guest's D-state and Data_Select, and PME_Status = 1 to clear it (the
 * engine applies the RW1C and read-only masks before calling). */
static int pmcsr_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct pvpci_pvdev *d = ctx;
	uint32_t hw, cur, want = val & PCI_PM_CTRL_STATE_MASK, base, out;
	int rc = pv_hw_read(d, off, 2, &hw);

	if (rc)
		return rc;
	cur = hw & PCI_PM_CTRL_STATE_MASK;
	base = (hw & ~(uint32_t)(PM_CTRL_GUEST | PCI_PM_CTRL_PME_ENABLE |
				 PCI_PM_CTRL_STATE_MASK)) | (val & PM_CTRL_GUEST);
	out = base | want;
	if (want != cur && !pm_state_ok(d, cur, want)) {
		pvpci_logf_rl(&d->log, &d->rl_intr, PVPCI_LOG_WARNING,
			      "guest asked for D%u from D%u: refused", want, cur);
		out = base | cur;
		rc = -EIO;
	}
	if (out != (hw & ~(uint32_t)PCI_PM_CTRL_PME_STATUS)) {
		int wrc = pv_hw_write(d, off, 2, out);

		rc = rc ? rc : wrc;
	}
	/* Leaving D3hot may have reset the device: the host puts its state back. */
	if (!rc && cur == 3 && (out & PCI_PM_CTRL_STATE_MASK) == 0)
		rc = pv_reconcile(d);
	return rc;
}

static const struct pv_field pm_fields[] = {
	{ 0, 2, pv_read_cached16, pv_write_drop, 0, 0, 0 },
	{ PCI_PM_PMC, 2, pmc_read, pv_write_drop, 0, 0, 0 },
	{ PCI_PM_CTRL, 2, pv_read_hw16, pmcsr_write,
	  0xffffu & ~(uint32_t)(PM_CTRL_GUEST | PCI_PM_CTRL_STATE_MASK),
	  PCI_PM_CTRL_PME_STATUS, 0 },
	{ PCI_PM_PPB_EXT, 2, pv_read_hw16, pv_write_drop, 0, 0, 0 }, /* PPB ext + Data */
};

int pv_cap_pm_init(struct pvpci_pvdev *d, unsigned pos)
{
	int rc = pv_add_fields(d, pos, pm_fields, PVPCI_ARRAY_SIZE(pm_fields), NULL);

	if (rc)
		return rc;
	pv_restore_add(d, pos + PCI_PM_CTRL, 2, 0, PCI_PM_CTRL_PME_STATUS);
	return 0;
}

int pv_pm_seize(struct pvpci_pvdev *d)
{
	unsigned off = d->cap_pos[PV_CAP_PM] + PCI_PM_CTRL;
	uint32_t hw;
	int rc;

	if (!d->cap_pos[PV_CAP_PM])
		return 0;
	rc = pv_hw_read(d, off, 2, &hw);
	if (rc || !(hw & PCI_PM_CTRL_PME_ENABLE))
		return rc;
	return pv_hw_write(d, off, 2,
			   hw & ~(uint32_t)(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS));
}
