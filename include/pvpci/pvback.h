/* SPDX-License-Identifier: MIT */
/*
 * pvpci pvback: the PV personality, Linux xen-pciback's semantics and better. Part one is
 * the config-space policy of one device (what a PV guest sees and what its writes do:
 * header fields, COMMAND mediation, BAR sizing, PM / VPD / MSI / MSI-X capabilities,
 * quirks, permissive, the interrupt-type rule). Part two (added with the PV protocol) is the
 * xenbus backend that serves guests over the shared page and event channel.
 */
#ifndef PVPCI_PVBACK_H
#define PVPCI_PVBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/source.h"

/* ================= Part one: the config-space policy of one device ================= */

struct pvpci_pvdev;

/* A quirk: a pass-through field at off (<= 0xfff), size 1/2/4; unlike Linux, only the
 * mask's bits become writable. */
struct pvpci_quirk {
	unsigned off;
	unsigned size;
	uint32_t mask;
};
/* "OFF:SIZE:MASK" (hex, 0x optional). */
int pvpci_quirk_parse(const char *s, struct pvpci_quirk *out, struct pvpci_parse_err *err)
	PVPCI_WUR;

struct pvpci_pv_opts {
	bool permissive;              /* gap writes reach the device (logged) */
	bool allow_interrupt_control; /* MSI / MSI-X enable and INTx disable writes allowed */
	const struct pvpci_quirk *quirks;
	size_t nquirks;
	const struct pvpci_log *log;  /* parent log context; may be NULL */
};

/* Current interrupt type, read from the device. */
enum pvpci_intr_mode {
	PVPCI_INTR_NONE = 0,
	PVPCI_INTR_INTX,
	PVPCI_INTR_MSI,
	PVPCI_INTR_MSIX,
};

/* Seize a device for a PV guest: build its virtual config space, save the pristine state,
 * leave it disabled. The pvdev does not own src (the caller closes it after destroy). */
int pvpci_pvdev_create(struct pvpci_source *src, const struct pvpci_pv_opts *opts,
		       struct pvpci_pvdev **out) PVPCI_WUR;
/* Release: reset, restore the pristine state, free. */
void pvpci_pvdev_destroy(struct pvpci_pvdev *d);

/* A guest's config access. Returns 0, or -EINVAL (bad size / alignment / offset out of the
 * config space: XEN_PCI_ERR_invalid_offset), -EACCES (access denied), -EIO (op failed).
 * A read that fails sets *val to 0 as pciback does. A write that the policy drops returns
 * 0 (the guest is not told) and counts in the device's dropped-write counter. */
int pvpci_pvdev_conf_read(struct pvpci_pvdev *d, int off, int size, uint32_t *val);
int pvpci_pvdev_conf_write(struct pvpci_pvdev *d, int off, int size, uint32_t val);

/* Per-guest knobs; cleared by detach. */
void pvpci_pvdev_set_permissive(struct pvpci_pvdev *d, bool on);
void pvpci_pvdev_set_allow_interrupt_control(struct pvpci_pvdev *d, bool on);
bool pvpci_pvdev_permissive(const struct pvpci_pvdev *d);
bool pvpci_pvdev_allow_interrupt_control(const struct pvpci_pvdev *d);

/* The device leaves its guest: disable MSI / MSI-X, reset, restore the pristine state,
 * clear the virtual state (BAR sizing, guest COMMAND copy), drop quirks, clear permissive
 * and allow_interrupt_control. The pvdev can then be given to another guest. */
int pvpci_pvdev_detach(struct pvpci_pvdev *d) PVPCI_WUR;

struct pvpci_source *pvpci_pvdev_source(const struct pvpci_pvdev *d);
enum pvpci_intr_mode pvpci_pvdev_intr_mode(struct pvpci_pvdev *d);
/* Writes the policy dropped since creation (or the last detach). */
uint64_t pvpci_pvdev_dropped_writes(const struct pvpci_pvdev *d);

/* Maps a negative errno from the calls above to the wire's XEN_PCI_ERR_* names used in
 * messages: "invalid offset", "access denied", "op failed", ... */
const char *pvpci_pv_errname(int neg_errno);

/* ================= Part two: the xenbus backend (PV protocol) ================= */

#endif
