/* SPDX-License-Identifier: MIT */
/*
 * MSI-X capability under the PV policy: ID / Next read-only, Message Control writes under
 * the interrupt-type rule (intr.c; a guest with allow_interrupt_control may change only
 * ENABLE and Function Mask), Table and PBA location registers read-only from the snapshot.
 */
#include <errno.h>

#include "pvdev_priv.h"

static int msix_ctrl_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	return pv_intr_ctrl_write(ctx, off, (uint16_t)val,
				  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL,
				  PCI_MSIX_FLAGS_ENABLE, PV_INTR_MSIX);
}

static const struct pv_field msix_fields[] = {
	{ 0, 2, pv_read_cached16, pv_write_drop, 0, 0, 0 },
	{ PCI_MSIX_FLAGS, 2, pv_read_hw16, msix_ctrl_write, 0, 0, 0 },
	{ PCI_MSIX_TABLE, 4, pv_read_cached32, pv_write_drop, 0, 0, 0 },
	{ PCI_MSIX_PBA, 4, pv_read_cached32, pv_write_drop, 0, 0, 0 },
};

int pv_cap_msix_init(struct pvpci_pvdev *d, unsigned pos)
{
	int rc = pv_add_fields(d, pos, msix_fields, PVPCI_ARRAY_SIZE(msix_fields), NULL);

	if (rc)
		return rc;
	pv_restore_add(d, pos + PCI_MSIX_FLAGS, 2, 2, 0);
	return 0;
}
