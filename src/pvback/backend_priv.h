/* SPDX-License-Identifier: MIT */
/*
 * Private header of pvback part two, the xenbus backend: the backend object, its device
 * table (host devices with their PV policy and interrupt state), the per-guest state
 * (xenbus state, topology, shared page, event channel, run-queue links, AER flow) and the
 * calls the backend's files share: topology.c (virtual bus / real BDFs), xenbus.c (the
 * state machine of protocol.md 2.3-2.6), ops.c (op dispatch on a private copy), msi.c
 * (MSI / MSI-X / multi-MSI and PIRQs), intx.c (shared-line handler), aer.c (AER flow).
 */
#ifndef PVPCI_PVBACK_BACKEND_PRIV_H
#define PVPCI_PVBACK_BACKEND_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pciif.h"
#include "pvpci/platform.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"

#define PVB_MAX_DEVS 256   /* num_devs bound, devices per guest */
#define PVB_PATH_MAX 128
#define PVB_MSI_MAX 32     /* vectors of one MSI capability */
#define PVB_VPCI_SLOTS 32
#define PVB_ISR_CHECK 1000 /* INTx: re-check sharing every this many interrupts */
#define PVB_HOT_GUESTS 8   /* guests whose active bits the spin polls directly */

struct pvb_guest;
struct pvpci_backend;

/* ---- Topology (topology.c) ---- */
struct pvb_topo_ent {
	struct pvpci_sbdf host;
	struct pvpci_sbdf virt;
	bool bridge;
	uint8_t sec_bus, sub_bus; /* bridges: the bus range behind them */
	void *owner;
};
struct pvb_topo {
	enum pvpci_backend_mode mode;
	struct pvb_topo_ent ent[PVB_MAX_DEVS];
	size_t n;
	/* vpci: physical (seg, bus, slot) of the first device placed in each virtual slot */
	bool slot_used[PVB_VPCI_SLOTS];
	struct pvpci_sbdf slot_first[PVB_VPCI_SLOTS];
};
void pvb_topo_init(struct pvb_topo *t, enum pvpci_backend_mode mode);
/* Place a device: want (may be NULL) asks for a given virtual address (a restarted
 * backend). -EINVAL: bridge on the virtual bus; -ENOSPC: no room; -EEXIST: address
 * taken or host device already there. */
int pvb_topo_add(struct pvb_topo *t, struct pvpci_sbdf host, bool bridge, uint8_t sec,
		 uint8_t sub, void *owner, const struct pvpci_sbdf *want,
		 struct pvpci_sbdf *virt) PVPCI_WUR;
/* Remove by owner; 0 or -ENOENT. */
int pvb_topo_remove(struct pvb_topo *t, const void *owner);
/* Owner of a virtual address, NULL if none (any 32-bit values accepted). */
void *pvb_topo_find(const struct pvb_topo *t, uint32_t seg, uint32_t bus, uint32_t devfn);
/* Root buses to publish (seg << 8 | bus), de-duplicated, in placement order. */
size_t pvb_topo_roots(const struct pvb_topo *t, uint32_t *roots, size_t max);

/* ---- Interrupt state of one device (msi.c, intx.c) ---- */
struct pvb_irqs {
	unsigned intx_pirq;            /* 0: none */
	bool msi_on;
	unsigned msi_n;                /* vectors enabled (1 for plain MSI) */
	unsigned msi_pirq[PVB_MSI_MAX];
	bool msix_on;
	unsigned msix_n;
	uint16_t msix_entry[SH_INFO_MAX_VEC];
	unsigned msix_pirq[SH_INFO_MAX_VEC];
	/* The platform mapped the vectors and programmed the messages (xen): the backend
	 * only sets the enable bits and never writes the message or the MSI-X table. */
	bool msi_hv, msix_hv;
};
struct pvb_isr {
	bool on;        /* installed (the guest enabled the device, INTx in use) */
	bool ack;       /* claiming the line (stops when found not shared) */
	bool disabled;  /* toggled off by the administrator */
	uint64_t count;
};

/* A device of the backend's table. */
struct pvb_hostdev {
	struct pvpci_backend *be;
	struct pvpci_source *src;
	struct pvpci_pvdev *pv;
	struct pvpci_sbdf host;
	char name[PVPCI_SBDF_STRLEN];
	bool permissive, allow_intr_ctrl;
	struct pvpci_quirk *quirks;
	size_t nquirks;
	bool bridge;
	uint8_t sec_bus, sub_bus;
	uint8_t intx_pin, intx_line;
	/* assignment */
	struct pvb_guest *owner;
	struct pvpci_sbdf virt;
	struct pvb_irqs irq;
	struct pvb_isr isr;
	int aer_result;
	struct pvpci_ratelimit rl;
	struct pvb_hostdev *next;
};

/* ---- AER flow of one guest (aer.c) ---- */
enum pvb_aer_step { PVB_AER_IDLE = 0, PVB_AER_DETECTED, PVB_AER_MMIO, PVB_AER_SLOTRESET,
		    PVB_AER_RESUME };
struct pvb_aer {
	enum pvb_aer_step step;
	bool waiting;        /* bit 2 set, waiting for the frontend */
	struct pvb_hostdev *dev;
	int channel;
	uint64_t deadline;   /* pvpci_now_ns() */
};

struct pvb_guest_stats {
	uint64_t ops, op_errors, events, spurious;
};

struct pvb_guest {
	struct pvpci_backend *be;
	unsigned domid;
	char be_path[PVB_PATH_MAX];
	char fe_path[PVB_PATH_MAX];
	char fe_token[32];
	bool fe_watched;
	enum pvpci_backend_mode mode;
	bool setup_done;     /* devices of the first setup exported */
	struct pvb_topo topo;
	int state;           /* own xenbus state as last read or written */
	int fe_state;
	bool seen_fe;        /* frontend state seen other than Unknown */
	bool dead;           /* unregistered: ignored until its directory goes */
	bool dirty;          /* re-evaluate the state machine */
	bool failed;         /* a fatal error: stay Closing until the frontend moves */
	/* What the failure saw, re-checked on every evaluation (level, not edge): the
	 * frontend's state and config nodes, and its state writes (watch events) so far. */
	char failed_cfg[64];
	uint64_t failed_gen;
	uint64_t fe_events;  /* watch events on the frontend's state node */
	/* connection */
	uint32_t att_gref, att_rport; /* the frontend config the page / port came from */
	struct xen_pci_sharedinfo *sh;
	unsigned port;       /* local port, 0 = none */
	/* run queue */
	bool in_service;     /* port returned by pending(), not yet EOI'd */
	bool queued;
	bool worked;         /* found work during this service */
	struct pvb_guest *rq_next;
	struct pvb_aer aer;
	struct pvb_guest_stats st;
	struct pvpci_log log;
	struct pvpci_ratelimit rl;
	struct pvb_guest *next;
};

struct pvpci_backend {
	struct pvpci_platform *plat;
	struct xs_handle *xs;
	unsigned self;
	char root[PVB_PATH_MAX];      /* /local/domain/<self>/backend/pci */
	struct pvpci_backend_opts opts;
	struct pvpci_log log;
	struct pvpci_ratelimit rl;
	struct pvb_hostdev *devs;
	struct pvb_guest *guests;
	struct pvb_guest **by_port;   /* PVPCI_EVTCHN_MAX_PORTS entries */
	struct pvb_guest *rq_head, *rq_tail;
	bool started;
	bool any_dirty;
	bool in_process;
	unsigned aer_flows;           /* guests with an AER flow running (aer.c) */
	/* the spin polls the active bits of the guests served lately (their ports: by_port
	 * says whose they are now), the others are found through their events */
	unsigned hot_port[PVB_HOT_GUESTS];
	unsigned hot_next;
	bool (*spin_hook)(void *opaque); /* other work to watch while spinning */
	void *spin_hook_opaque;
};

/* ---- backend.c ---- */
struct pvb_hostdev *pvb_dev_by_host(struct pvpci_backend *be, struct pvpci_sbdf host);
/* Queue a guest for service (its port is in service until the work is done). */
void pvb_rq_add(struct pvpci_backend *be, struct pvb_guest *g);
void pvb_rq_del(struct pvpci_backend *be, struct pvb_guest *g);

/* ---- xenbus.c ---- */
/* A watch event on path with token. */
void pvb_xs_event(struct pvpci_backend *be, const char *path, const char *token);
/* Run the state machine of every dirty guest. */
void pvb_xs_settle(struct pvpci_backend *be);
void pvb_guest_free(struct pvb_guest *g);
/* Export / release one device to / from a guest (also used by the fuzz target). */
int pvb_guest_export(struct pvb_guest *g, struct pvb_hostdev *hd,
		     const struct pvpci_sbdf *want) PVPCI_WUR;
void pvb_guest_release(struct pvb_guest *g, struct pvb_hostdev *hd);
/* A guest object with no xenstore presence (fuzzing, tests). */
int pvb_guest_new(struct pvpci_backend *be, unsigned domid, struct pvb_guest **out) PVPCI_WUR;
/* Write aerState and apply the kill policy. */
void pvb_guest_kill(struct pvb_guest *g, const char *why);

/* ---- ops.c ---- */
/* Serve up to max ops of a connected guest. Returns the number served (>= 0). */
unsigned pvb_ops_serve(struct pvb_guest *g, unsigned max);
/* Dispatch one op held in private memory: fills op->err, op->value and, for vectors,
 * op->msix_entries[i].vector for i < *nvec_out. */
void pvb_op_dispatch(struct pvb_guest *g, struct xen_pci_op *op, unsigned *nvec_out);
/* XEN_PCI_ERR_* for a negative errno of the policy. */
int pvb_wire_err(int neg_errno);

/* ---- msi.c ---- */
int pvb_msi_enable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op);
int pvb_msi_disable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op);
int pvb_msix_enable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
		    unsigned *nvec_out);
int pvb_msix_disable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op);
int pvb_multi_msi_enable(struct pvb_guest *g, struct pvb_hostdev *hd,
			 struct xen_pci_op *op, unsigned *nvec_out);
/* Device leaves the guest: MSI / MSI-X off, PIRQs freed. */
void pvb_irqs_release(struct pvb_hostdev *hd);
/* After a device reset: program MSI / MSI-X again as the guest had them. */
int pvb_irqs_restore(struct pvb_hostdev *hd) PVPCI_WUR;
/* The source's interrupt callback (opaque = hostdev). */
void pvb_irq_from_device(void *opaque, enum pvpci_irq_kind kind, unsigned vector);

/* ---- intx.c ---- */
/* Allocate the INTx PIRQ when the device joins a guest (0 if it has no pin). */
int pvb_intx_attach(struct pvb_hostdev *hd) PVPCI_WUR;
void pvb_intx_detach(struct pvb_hostdev *hd);
/* Re-evaluate whether the shared-line handler is installed (after config writes and
 * interrupt-mode changes). */
void pvb_intx_update(struct pvb_hostdev *hd);
/* An INTx from the device: count / ack, deliver to the guest. 1 delivered, else 0. */
int pvb_intx_fire(struct pvb_hostdev *hd);

/* ---- aer.c ---- */
/* Start the flow at the step of cmd (XEN_PCI_OP_aer_*). */
int pvb_aer_start(struct pvb_guest *g, struct pvb_hostdev *hd, int channel, unsigned cmd)
	PVPCI_WUR;
/* The guest's channel fired: check whether the frontend answered. */
void pvb_aer_event(struct pvb_guest *g);
/* Deadlines: handle expiry; returns ms to the next deadline or -1. */
int pvb_aer_timeouts(struct pvpci_backend *be);
/* The guest disconnects or goes: abandon the flow (reported as DISCONNECT). */
void pvb_aer_cancel(struct pvb_guest *g);

/* ---- Shared page access (guest memory: every access a single load / store) ---- */
static inline uint32_t pvb_flags(const struct xen_pci_sharedinfo *sh)
{
	return __atomic_load_n(&sh->flags, __ATOMIC_ACQUIRE);
}
static inline void pvb_flags_clear(struct xen_pci_sharedinfo *sh, uint32_t bits)
{
	__atomic_fetch_and(&sh->flags, ~bits, __ATOMIC_SEQ_CST);
}
static inline void pvb_flags_set(struct xen_pci_sharedinfo *sh, uint32_t bits)
{
	__atomic_fetch_or(&sh->flags, bits, __ATOMIC_SEQ_CST);
}
/* Copy n bytes (a multiple of 4, both 4-aligned) out of / into shared memory with
 * single-copy 32-bit accesses. */
void pvb_shared_copy_in(void *dst, const void *shared, size_t n);
void pvb_shared_store32(void *shared, uint32_t v);

#endif
