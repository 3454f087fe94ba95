/* SPDX-License-Identifier: MIT */
/*
 * PCI Express capability: not mediated (as in pciback: raw reads, writes only when
 * permissive), but its control registers are part of the state put back on detach, since
 * a permissive guest may have changed them.
 */
#include <errno.h>

#include "pvdev_priv.h"

#define EXP_LNKCTL 0x10
#define EXP_LNKCTL_RETRAIN 0x0020
#define EXP_DEVCTL2 0x28
#define EXP_LNKCTL2 0x30
#define EXP_V2_SIZEOF 0x3c

int pv_cap_exp_init(struct pvpci_pvdev *d, unsigned pos)
{
	uint32_t flags = pv_pristine(d, pos + PCI_EXP_FLAGS, 2);

	if (pos + EXP_LNKCTL + 2 > d->cfg_size)
		return -EINVAL;
	pv_restore_add(d, pos + PCI_EXP_DEVCTL, 2, 1, PCI_EXP_DEVCTL_BCR_FLR);
	pv_restore_add(d, pos + EXP_LNKCTL, 2, 1, EXP_LNKCTL_RETRAIN);
	if ((flags & 0xf) >= 2 && pos + EXP_V2_SIZEOF <= d->cfg_size) {
		pv_restore_add(d, pos + EXP_DEVCTL2, 2, 1, 0);
		pv_restore_add(d, pos + EXP_LNKCTL2, 2, 1, 0);
	}
	return 0;
}
