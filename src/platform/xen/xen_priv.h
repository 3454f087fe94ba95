/* SPDX-License-Identifier: MIT */
/*
 * Private parts of the xen platform: one handle on Xen's libraries (xenstore, gnttab /
 * gntshr, evtchn, xenctrl) and the calls the ops table (xen_ops.c) and the module's tests
 * use. The pure helpers (argument checks, 64-bit frame arithmetic for BARs) need no
 * hypervisor; everything else answers -ENODEV cleanly, naming what is missing, when the
 * /dev/xen devices are absent.
 */
#ifndef PVPCI_PLATFORM_XEN_PRIV_H
#define PVPCI_PLATFORM_XEN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/platform.h"

#define XEN_PAGE_SHIFT 12u
#define XEN_MAX_PADDR_BITS 52u /* x86-64 physical address width */
#define XEN_MAX_FRAME ((1ull << (XEN_MAX_PADDR_BITS - XEN_PAGE_SHIFT)) - 1)
#define XEN_IOPORT_END 0x10000u
#define XEN_MAX_SHARED 256u /* pages one handle may share at a time */

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

/* One shared page: its grant reference and where it is mapped here. */
struct xen_share {
	uint32_t gref;
	void *page;
};

struct pvpci_xen {
	const struct pvpci_log *log;
	unsigned domid;
	struct xs_handle *xs;
	xc_interface *xc;         /* NULL when not the control domain's business */
	xenevtchn_handle *xce;
	xengnttab_handle *xgt;
	xengntshr_handle *xgs;
	struct xen_share shares[XEN_MAX_SHARED];
	uint8_t port_state[PVPCI_EVTCHN_MAX_PORTS]; /* XEN_PORT_* bits */
	unsigned nready;          /* ports with XEN_PORT_READY */
	struct pvpci_evtchn_stats stats;
};
#define XEN_PORT_OWNED 0x1     /* bound through this handle */
#define XEN_PORT_INSERVICE 0x2 /* returned by pending(), masked until eoi */
#define XEN_PORT_MASKED 0x4    /* mask() asked: hold events until unmask */
#define XEN_PORT_HELD 0x8      /* an event arrived while masked */
#define XEN_PORT_READY 0x10    /* a held event, unmasked: pending() returns it next */

/* The device files a handle needs. dev_dir: NULL = "/dev/xen". Returns 0, or -ENODEV with
 * msg (len bytes) naming the first missing file and what to do about it. */
int xen_check_devices(const char *dev_dir, bool need_ctrl, char *msg, size_t len);

/* Open / close the libraries. no_store: skip xs_open. */
int xen_open(const struct pvpci_log *log, bool no_store, struct pvpci_xen **out) PVPCI_WUR;
void xen_close(struct pvpci_xen *x);
unsigned xen_domid(const struct pvpci_xen *x);
struct xs_handle *xen_xs(struct pvpci_xen *x);

/* ---- 64-bit frame arithmetic (XSA-476: never truncate a BAR address) ---- */
/* The frames a BAR [addr, addr + size) covers: *first and *nr (partial pages count).
 * -EINVAL for size 0, -EOVERFLOW when addr + size wraps, -ERANGE beyond 2^52. */
int xen_bar_frames(uint64_t addr, uint64_t size, uint64_t *first, uint64_t *nr) PVPCI_WUR;
/* Checks a permission request before it reaches Xen: count != 0, no wrap, inside the
 * kind's space (frames < 2^40, ports < 0x10000, one irq / device). */
int xen_priv_check(enum pvpci_priv_kind kind, uint64_t first, uint64_t count) PVPCI_WUR;

/* ---- Grants ---- */
int xen_gnt_share(struct pvpci_xen *x, unsigned remote, bool ro, void **page, uint32_t *gref);
int xen_gnt_unshare(struct pvpci_xen *x, uint32_t gref);
int xen_gnt_map(struct pvpci_xen *x, unsigned domid, uint32_t gref, unsigned flags,
		void **addr);
int xen_gnt_unmap(struct pvpci_xen *x, void *addr);

/* ---- Event channels (late EOI: a delivered port stays masked until eoi) ---- */
int xen_evtchn_alloc_unbound(struct pvpci_xen *x, unsigned remote);
int xen_evtchn_bind_interdomain(struct pvpci_xen *x, unsigned remote, unsigned rport);
int xen_evtchn_notify(struct pvpci_xen *x, unsigned port);
int xen_evtchn_close(struct pvpci_xen *x, unsigned port);
int xen_evtchn_fd(const struct pvpci_xen *x);
int xen_evtchn_pending(struct pvpci_xen *x);
int xen_evtchn_prepare_wait(struct pvpci_xen *x);
int xen_evtchn_wait(struct pvpci_xen *x, int timeout_ms);
int xen_evtchn_eoi(struct pvpci_xen *x, unsigned port, bool spurious);
int xen_evtchn_mask(struct pvpci_xen *x, unsigned port, bool mask);
int xen_evtchn_status(struct pvpci_xen *x, unsigned domid, unsigned port,
		      struct pvpci_evtchn_status *st);
void xen_evtchn_stats(const struct pvpci_xen *x, struct pvpci_evtchn_stats *s);

/* ---- Privileged calls (libxenctrl) ---- */
int xen_priv_permission(struct pvpci_xen *x, unsigned domid, enum pvpci_priv_kind kind,
			uint64_t first, uint64_t count, bool allow);
/* Map an MSI (entry_nr -1... as Xen: 0 for MSI, the table index for MSI-X with
 * table_base the host address of the MSI-X table) of device sbdf as a PIRQ of domid.
 * Returns the PIRQ. Segment must be 0 (the libxenctrl call has none). */
int xen_pirq_map_msi(struct pvpci_xen *x, unsigned domid, uint32_t sbdf, int entry_nr,
		     uint64_t table_base) PVPCI_WUR;
/* Map a GSI (INTx) as a PIRQ of domid; returns the PIRQ. */
int xen_pirq_map_gsi(struct pvpci_xen *x, unsigned domid, int gsi) PVPCI_WUR;
int xen_pirq_unmap(struct pvpci_xen *x, unsigned domid, int pirq);
int xen_domain_list(struct pvpci_xen *x, struct pvpci_domain_info *out, size_t max,
		    size_t *n);

/* The ops table for pvpci_platform_open("xen") (xen_ops.c); the platform layer refers to
 * it when built with PVPCI_HAVE_XEN. */
extern const struct pvpci_platform_ops pvpci_xen_platform_ops;

#endif
