/* SPDX-License-Identifier: MIT */
/*
 * The privileged half of `pvpci attach / detach --platform xen`: what libxl does for a PV
 * guest's PCI device besides the xenstore nodes (xen_grant.c).
 */
#ifndef PVPCI_TOOL_XEN_GRANT_H
#define PVPCI_TOOL_XEN_GRANT_H

#include <stdbool.h>
#include <stdio.h>

#include "pvpci/pci.h"
#include "pvpci/platform.h"

/* allow: assign bdf to domid's IOMMU context, then grant I/O memory (64-bit frame
 * numbers) and I/O ports for every BAR and the ROM, and the device's IRQ (best effort:
 * a line dom0 never mapped is skipped with a warning); on a failure, what was granted is
 * revoked again. !allow: revoke the same ranges (recomputed from the same BARs), then
 * deassign (Xen parks the device in quarantine). Messages go to err. 0 or a negative
 * errno. */
int xen_grant_device(struct pvpci_platform *p, unsigned domid, struct pvpci_sbdf bdf,
		     bool allow, FILE *err);

#endif
