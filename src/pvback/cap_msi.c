/* SPDX-License-Identifier: MIT */
/*
 * MSI capability under the PV policy: ID / Next read-only, Message Control writes under
 * the interrupt-type rule (intr.c; a guest with allow_interrupt_control may change only
 * ENABLE), and the message address / data / per-vector mask owned by the host: readable,
 * never writable by the guest, not even when permissive (pciback leaves them to its
 * permissive switch; XSA-128 / XSA-129).
 */
#include <errno.h>

#include "pvdev_priv.h"

static int msi_ctrl_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	return pv_intr_ctrl_write(ctx, off, (uint16_t)val, PCI_MSI_FLAGS_ENABLE,
				  PCI_MSI_FLAGS_ENABLE, PV_INTR_MSI);
}

#define HOST_OWNED(o) { (o), 4, pv_read_hw32, pv_write_drop, 0, 0, 0 }

int pv_cap_msi_init(struct pvpci_pvdev *d, unsigned pos)
{
	uint32_t flags = pv_pristine(d, pos + PCI_MSI_FLAGS, 2);
	bool is64 = flags & PCI_MSI_FLAGS_64BIT;
	unsigned data_off = is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	unsigned mask_off = is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
	struct pv_field f[8] = {
		{ 0, 2, pv_read_cached16, pv_write_drop, 0, 0, 0 },
		{ PCI_MSI_FLAGS, 2, pv_read_hw16, msi_ctrl_write, 0, 0, 0 },
		HOST_OWNED(PCI_MSI_ADDR_LO),
		HOST_OWNED(data_off), /* data and extended data */
	};
	size_t n = 4;
	int rc;

	if (is64)
		f[n++] = (struct pv_field)HOST_OWNED(PCI_MSI_ADDR_HI);
	if (flags & PCI_MSI_FLAGS_MASKBIT) {
		f[n++] = (struct pv_field)HOST_OWNED(mask_off);
		f[n++] = (struct pv_field)HOST_OWNED(mask_off + 4); /* pending */
	}
	rc = pv_add_fields(d, pos, f, n, NULL);
	if (rc)
		return rc;
	pv_restore_add(d, pos + PCI_MSI_ADDR_LO, 4, 1, 0);
	if (is64)
		pv_restore_add(d, pos + PCI_MSI_ADDR_HI, 4, 1, 0);
	pv_restore_add(d, pos + data_off, 2, 1, 0);
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		pv_restore_add(d, pos + mask_off, 4, 1, 0);
	pv_restore_add(d, pos + PCI_MSI_FLAGS, 2, 2, 0);
	return 0;
}
