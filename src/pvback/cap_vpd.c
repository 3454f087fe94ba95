/* SPDX-License-Identifier: MIT */
/*
 * Vital Product Data capability under the PV policy: the guest may start VPD reads (an
 * address write with the F flag clear) and read the data register; an address write with
 * F set (a VPD write request) is refused with "access denied"; data writes are dropped.
 */
#include <errno.h>

#include "pvdev_priv.h"

static int vpd_addr_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct pvpci_pvdev *d = ctx;

	if (val & PCI_VPD_ADDR_F) {
		pvpci_logf_rl(&d->log, &d->rl_intr, PVPCI_LOG_WARNING,
			      "guest VPD write request at 0x%x: access denied",
			      val & PCI_VPD_ADDR_MASK);
		return -EACCES;
	}
	return pv_hw_write(d, off, 2, val);
}

static const struct pv_field vpd_fields[] = {
	{ 0, 2, pv_read_cached16, pv_write_drop, 0, 0, 0 },
	{ PCI_VPD_ADDR, 2, pv_read_hw16, vpd_addr_write, 0, 0, 0 },
	{ PCI_VPD_DATA, 4, pv_read_hw32, pv_write_drop, 0, 0, 0 },
};

int pv_cap_vpd_init(struct pvpci_pvdev *d, unsigned pos)
{
	return pv_add_fields(d, pos, vpd_fields, PVPCI_ARRAY_SIZE(vpd_fields), NULL);
}
