/* SPDX-License-Identifier: MIT */
/*
 * Private helpers of the pci module shared by its parsers: filling a parse error with a
 * position and a message, and scanning one PCI address (with optional '*' wildcards) from
 * a cursor inside a longer string, so the hide list and xl's PCI spec reuse one grammar.
 */
#ifndef PVPCI_PCI_PRIV_H
#define PVPCI_PCI_PRIV_H

#include "pvpci/pci.h"

/* Which wildcards an address may carry. */
enum { PCI_WILD_DEV = 1, PCI_WILD_FN = 2 };

/* Describes the byte at s[pos] for messages: "'x'", "end of input" or "byte 0x07". */
const char *pci_describe_char(const char *s, size_t pos, char buf[16]);
/* Scans "[dddd:]bb:dd.f" starting at s[*pos]; on success *pos is just past the address
 * and the caller checks what follows. */
int pci_scan_addr(const char *s, size_t *pos, unsigned wild, struct pvpci_sbdf_pattern *out,
		  struct pvpci_parse_err *err);

#endif
