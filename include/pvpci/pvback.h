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
#include "pvpci/pciif.h"
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
 * leave it disabled. The pvdev does not own src (the caller closes it after destroy).
 * A pvdev is not locked: its caller serialises the calls on one device. */
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

/* One backend object serves every guest that has backend nodes under
 * /local/domain/<self>/backend/pci/<domid>/0 (libxl's layout, protocol.md 2.1): it follows
 * the xenbus states of 2.3-2.6 (connect, hot-plug / unplug through Reconfiguring, disconnect),
 * exports the devices of its device table to their guests on a per-guest topology, maps
 * each guest's shared page, binds its event channel (late EOI) and answers the ops
 * (config access through the PV policy above, MSI / MSI-X / multi-MSI with PIRQs), delivers
 * device interrupts to the guest's PIRQs and runs the AER flow towards the frontend.
 * Single-threaded: every call on one backend comes from the same thread (its event loop).
 * The backend owns the platform handle's libxenstore watch queue (open another handle for
 * other watchers) and its event channel ports. */
struct pvpci_backend;
struct pvpci_platform;
struct pollfd;

enum pvpci_backend_mode {
	PVPCI_BACKEND_VPCI = 0,    /* virtual bus 0000:00, 32 slots (pciback's default) */
	PVPCI_BACKEND_PASSTHROUGH, /* the guest sees the host's addresses */
};
/* "vpci" / "passthrough" <-> mode; parse: -EINVAL for anything else. */
int pvpci_backend_mode_parse(const char *s, enum pvpci_backend_mode *out) PVPCI_WUR;
const char *pvpci_backend_mode_name(enum pvpci_backend_mode m);

/* What the backend does when AER recovery says the guest must go (no PV AER handler for
 * error_detected / resume, or the guest answered NONE / DISCONNECT). It always writes
 * aerState = "aerfail" in the guest's backend directory first (as pciback). */
enum pvpci_aer_kill {
	PVPCI_AER_KILL_DESTROY = 0, /* then destroy the domain through the platform */
	PVPCI_AER_KILL_MARK,        /* only mark it (aerState) and log */
};

struct pvpci_backend_opts {
	/* Default topology; a guest's backend directory may choose with a node
	 * "pvpci-mode" = "vpci" | "passthrough" (written by the toolstack). */
	enum pvpci_backend_mode mode;
	unsigned ops_per_turn;   /* ops served per guest per turn (0 = 8); fairness bound */
	unsigned aer_timeout_ms; /* wait for the frontend's AER answer (0 = 300 s) */
	enum pvpci_aer_kill aer_kill;
	/* Called (if set) when a guest is killed by the AER policy, before the platform
	 * destroy of PVPCI_AER_KILL_DESTROY; why is a short reason. */
	void (*on_kill)(void *opaque, unsigned domid, const char *why);
	/* Called (if set) when an AER recovery started by pvpci_backend_aer() ends:
	 * result is a PVPCI_AER_RESULT_* (RECOVERED on success, DISCONNECT if the guest
	 * was killed or recovery failed). */
	void (*on_aer_done)(void *opaque, struct pvpci_sbdf host, int result);
	void *opaque;
	/* Spin this long on the event channels and on the connected guests' active bits
	 * (no system call) before the loop sleeps, so back-to-back ops are answered
	 * without wake-ups; an op whose bit is seen first is served before its event
	 * arrives (the event then finds no work: counted spurious). 0 = default 20 us;
	 * PVPCI_BACKEND_NO_SPIN never spins. */
	uint64_t spin_ns;
	const struct pvpci_log *log; /* parent log context (NULL = stderr) */
};
#define PVPCI_BACKEND_NO_SPIN UINT64_MAX

/* A backend on plat (acting as the domain that serves: normally 0). Does not own plat.
 * Nothing is served until pvpci_backend_start. */
int pvpci_backend_create(struct pvpci_platform *plat, const struct pvpci_backend_opts *opts,
			 struct pvpci_backend **out) PVPCI_WUR;
/* Disconnects every guest (unbinds, unmaps), releases every device (pvpci_pvdev_detach,
 * PIRQs freed) and frees. Guests' xenstore nodes are left as they are (a restarted
 * backend picks them up). Sources are not closed (the caller owns them). */
void pvpci_backend_destroy(struct pvpci_backend *be);

/* The device table: seize src for PV guests (pvpci_pvdev_create with pv; pv may be
 * NULL; its quirks are copied). The device is known by its host address
 * (pvpci_source_sbdf). -EEXIST for an address already in the table. */
int pvpci_backend_add_device(struct pvpci_backend *be, struct pvpci_source *src,
			     const struct pvpci_pv_opts *pv) PVPCI_WUR;
/* Drop a device from the table: -EBUSY while a guest has it, -ENOENT if unknown. */
int pvpci_backend_remove_device(struct pvpci_backend *be, struct pvpci_sbdf host) PVPCI_WUR;

/* Watch the backend directory and serve: existing guests (a restarted backend finds its
 * devices from state-N / vdev-N and maps the pages and binds the channels again) and
 * every guest that appears later. */
int pvpci_backend_start(struct pvpci_backend *be) PVPCI_WUR;

/* ---- Event loop ---- */
#define PVPCI_BACKEND_NFDS 2
/* Before each poll(): fills up to max pollfds (PVPCI_BACKEND_NFDS suffice) and returns
 * how many; lowers *timeout_ms (-1 = none) to 0 when work is waiting and to the next AER
 * deadline. May spin for opts.spin_ns first. */
int pvpci_backend_poll_prepare(struct pvpci_backend *be, struct pollfd *fds, size_t max,
			       int *timeout_ms);
/* After poll() (whatever it returned): serve what is ready, bounded (each guest at most
 * ops_per_turn ops, round-robin; xenstore events in batches). Returns 0 or a negative
 * errno for a failure of the platform itself (-ESHUTDOWN: the host went away). */
int pvpci_backend_process(struct pvpci_backend *be);
/* prepare / poll / process until stop_fd is readable (-1 = never) or an error. */
int pvpci_backend_run(struct pvpci_backend *be, int stop_fd);
/* Other work to watch while poll_prepare spins (e.g. a vPCI server's ioreq slots in the
 * same loop): ready(opaque) true ends the spin with *timeout_ms 0. NULL removes it. */
void pvpci_backend_set_spin_hook(struct pvpci_backend *be, bool (*ready)(void *opaque),
				 void *opaque);

/* ---- Host-side events ---- */
/* Make a model device raise an interrupt (pvpci_model_raise): delivered to its guest's
 * PIRQ if the device's state allows it. 1 delivered, 0 masked / disabled / not bound,
 * negative errno (-ENOENT: unknown device, -EINVAL: not a model or bad vector). */
int pvpci_backend_raise_irq(struct pvpci_backend *be, struct pvpci_sbdf host,
			    enum pvpci_irq_kind kind, unsigned vector);
/* An uncorrectable error on a device: run the AER recovery of behaviour.md 3.8 with its
 * guest (detected -> mmio / slot reset -> resume), asynchronously; opts.on_aer_done
 * reports the end. channel: PVPCI_AER_CHANNEL_NORMAL (non-fatal) or _FROZEN (fatal).
 * -ENOENT: unknown device; -ENODEV: not given to a guest; -EBUSY: an AER flow is already
 * running for that guest. */
int pvpci_backend_aer(struct pvpci_backend *be, struct pvpci_sbdf host, int channel)
	PVPCI_WUR;
/* The same, entering the recovery at step cmd (XEN_PCI_OP_aer_detected, _mmio,
 * _slotreset or _resume) as a host AER core would that resumes a flow there (slotreset
 * resets the device first); the flow then goes on from the guest's answers.
 * pvpci_backend_aer() is this with XEN_PCI_OP_aer_detected. -EINVAL for another cmd. */
int pvpci_backend_aer_at(struct pvpci_backend *be, struct pvpci_sbdf host, int channel,
			 unsigned cmd) PVPCI_WUR;
/* pciback's irq_handler_state: toggle the shared-INTx handler of a device. */
int pvpci_backend_isr_toggle(struct pvpci_backend *be, struct pvpci_sbdf host) PVPCI_WUR;

/* ---- Introspection ---- */
struct pvpci_backend_guest_info {
	unsigned domid;
	int state;        /* the backend's xenbus state for this guest */
	int fe_state;     /* the frontend's, as last read */
	bool connected;   /* page mapped and channel bound */
	enum pvpci_backend_mode mode;
	unsigned ndevs;
	uint64_t ops;     /* ops answered */
	uint64_t op_errors; /* ops answered with err != 0 */
	uint64_t events;  /* event channel events */
	uint64_t spurious; /* events that found no work */
};
/* Fills up to max entries (domid order); *n = number of guests. */
int pvpci_backend_guests(struct pvpci_backend *be, struct pvpci_backend_guest_info *out,
			 size_t max, size_t *n) PVPCI_WUR;

struct pvpci_backend_dev_info {
	struct pvpci_sbdf host;
	bool assigned;
	unsigned domid;         /* when assigned */
	struct pvpci_sbdf virt; /* when assigned */
	enum pvpci_intr_mode intr;
	unsigned intx_pirq;     /* 0: none */
	unsigned msi_vectors;   /* PIRQs held for MSI / multi-MSI */
	unsigned msix_vectors;  /* PIRQs held for MSI-X */
	/* The shared-INTx handler (pciback's irq_handlers line BDF:on|off:ack|not ack:count). */
	bool isr_on;
	bool isr_ack;
	uint64_t isr_count;
	int aer_result;         /* last AER outcome (PVPCI_AER_RESULT_*), 0: none yet */
};
/* Fills up to max entries (table order); *n = number of devices in the table. */
int pvpci_backend_devices(struct pvpci_backend *be, struct pvpci_backend_dev_info *out,
			  size_t max, size_t *n) PVPCI_WUR;

#endif
