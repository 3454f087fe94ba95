/* SPDX-License-Identifier: MIT */
/*
 * The lspci -v / -x style printer of one PCI function, shared by `pvpci guest` (config
 * ops over the PV frontend) and `pvpci guest --vpci` (config accesses trapped as vPCI
 * ioreqs). The printer sees the function only through a config read / write callback
 * pair; flags select what differs between the two views.
 */
#ifndef PVPCI_TOOL_LSPCI_FN_H
#define PVPCI_TOOL_LSPCI_FN_H

#include <stdint.h>
#include <stdio.h>

enum lspci_fn_flags {
	LSPCI_DECODE_OFF = 1u << 0,    /* decoding off while BARs are sized, then restored */
	LSPCI_SIZE_ZERO = 1u << 1,     /* BAR / ROM registers reading 0 are sized too */
	LSPCI_INTX_UNROUTED = 1u << 2, /* the pin is not routed: say so, no INTx line */
	LSPCI_CAP_NAMES = 1u << 3,     /* capability names from the tables, extended list
					* walked; else only MSI, MSI-X, Express (vN) named */
	LSPCI_EXT_IF_EXP = 1u << 4,    /* 4096 bytes only for a PCI Express function */
};

struct lspci_fn {
	int (*rd)(void *ctx, unsigned off, unsigned size, uint32_t *val);
	int (*wr)(void *ctx, unsigned off, unsigned size, uint32_t val);
	void *ctx;
	FILE *out;
	unsigned flags; /* enum lspci_fn_flags */
};

/* lspci -v rows under the function's line: Subsystem, Control, Interrupt, BARs, ROM,
 * capabilities. htype: the header type register. */
void lspci_fn_verbose(const struct lspci_fn *f, uint8_t htype);

/* lspci -x / -xxx / -xxxx rows (want 64, 256 or 4096 bytes) and the blank line after
 * them; a failed read prints as ff. */
void lspci_fn_dump(const struct lspci_fn *f, unsigned want);

#endif
