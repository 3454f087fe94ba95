/* SPDX-License-Identifier: MIT */
/*
 * pvpci vpci: the guest vPCI personality, hypervisor-style trapped config access for
 * guests without a PV frontend. A domain object holds the devices assigned to one guest on
 * a virtual bus 0000:00 (32 slots, the functions of one physical slot kept together), each
 * with a guest view of its config space served by the register engine (identification
 * registers, a virtual COMMAND, guest BARs apart from the host's, MSI / MSI-X emulation,
 * every other register a gap: reads all-ones, writes dropped). Memory decoding drives a
 * mapping of the BARs' guest frames to host frames through the platform's ops; MSI and
 * MSI-X vectors are bound through the same ops. The core is platform-independent: an
 * in-memory host (mapping table, interrupt bindings, crash flag) is provided for tests,
 * the CLI and the local platform. Entry points: config access by guest SBDF, ECAM, MMIO of
 * trapped pages, and Xen's ioreq layout.
 */
#ifndef PVPCI_VPCI_H
#define PVPCI_VPCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/source.h"

#define PVPCI_VPCI_SLOTS 32
#define PVPCI_VPCI_PAGE_SHIFT 12
#define PVPCI_VPCI_PAGE_SIZE (1ull << PVPCI_VPCI_PAGE_SHIFT)
/* The guest ECAM window of Xen on Arm (GUEST_VPCI_ECAM_BASE / _SIZE): 256 buses. */
#define PVPCI_VPCI_ECAM_BASE 0x10000000ull
#define PVPCI_VPCI_ECAM_SIZE 0x10000000ull
/* Highest MSI-X table size a device can declare. */
#define PVPCI_VPCI_MSIX_MAX 2048

struct pvpci_vpci_domain;

/* ---- The platform side ---- */

/* One interrupt the guest programmed: MSI (index = first vector, nvec vectors with data
 * + i) or one MSI-X entry (index = entry). addr / data are the guest's values. */
struct pvpci_vpci_irq {
	struct pvpci_sbdf guest;  /* the device's guest address */
	struct pvpci_sbdf host;   /* its host address */
	enum pvpci_irq_kind kind; /* PVPCI_IRQ_MSI or PVPCI_IRQ_MSIX */
	unsigned index;
	unsigned nvec;            /* MSI: 1..32; MSI-X: 1 */
	uint64_t addr;
	uint32_t data;
};

/* What the host wants the device itself programmed with (the guest's message never
 * reaches the device). */
struct pvpci_vpci_irq_host {
	uint64_t addr;
	uint32_t data;
};

/* The calls the core makes into the platform. Every call is made with the domain's or the
 * device's lock held, so a platform must not call back into this domain from them.
 * map / unmap: guest frames [gfn, gfn + nr) <-> host frames [mfn, mfn + nr); 0 or a
 * negative errno (a failed map crashes the guest). irq_bind returns a handle >= 0 for the
 * first vector (handles of an MSI block are consecutive) and fills *host, or a negative
 * errno; irq_unbind releases nvec handles from the first; irq_mask follows the guest's
 * mask of one vector. irq_fire (optional) delivers a device interrupt bound to handle.
 * crash (optional) is told when the guest is crashed, with the reason. */
struct pvpci_vpci_ops {
	int (*map)(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr);
	int (*unmap)(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr);
	int (*irq_bind)(void *opaque, const struct pvpci_vpci_irq *irq,
			struct pvpci_vpci_irq_host *host);
	int (*irq_unbind)(void *opaque, int handle, unsigned nvec);
	int (*irq_mask)(void *opaque, int handle, bool masked);
	void (*irq_fire)(void *opaque, int handle);
	void (*crash)(void *opaque, const char *why);
};

/* ---- Domains ---- */

struct pvpci_vpci_domain_opts {
	unsigned domid;
	const struct pvpci_vpci_ops *ops; /* required: map, unmap, irq_bind/unbind/mask */
	void *opaque;                     /* passed to every op */
	const struct pvpci_log *log;      /* parent log context; may be NULL */
	uint64_t ecam_base;               /* ECAM window; 0 = PVPCI_VPCI_ECAM_BASE */
	uint64_t ecam_size;               /* 0 = PVPCI_VPCI_ECAM_SIZE; multiple of 1 MiB */
	/* Guest byte ranges (inclusive) where BARs may be mapped; none = anywhere. */
	const struct pvpci_range *windows;
	size_t nwindows;
	/* The caller promises that one thread makes every call on this domain (assign,
	 * deassign, accesses, destroy), e.g. a single-threaded ioreq server or the CLI: the
	 * domain and device locks are then not taken. Default false: any thread, any time. */
	bool single_thread;
};

int pvpci_vpci_domain_create(const struct pvpci_vpci_domain_opts *opts,
			     struct pvpci_vpci_domain **out) PVPCI_WUR;
/* Deassigns every device, then frees. */
void pvpci_vpci_domain_destroy(struct pvpci_vpci_domain *d);
unsigned pvpci_vpci_domid(const struct pvpci_vpci_domain *d);
/* True once a mapping failure crashed the guest: every access then reads all-ones and
 * every write is dropped. */
bool pvpci_vpci_crashed(const struct pvpci_vpci_domain *d);

/* ---- Assign / deassign ---- */

struct pvpci_vpci_assign_opts {
	int vslot;        /* guest slot 0..31, or -1 to pick one */
	bool expose_pcie; /* show the PCI Express capability, read-only */
};

/* Gives a device to the guest: reads its state from the source, installs the guest view,
 * leaves memory decoding off. The function keeps its physical function number; functions
 * of one physical slot share a guest slot. *guest (optional) gets the guest address.
 * -ENOSPC: 32 slots used; -EEXIST: that guest function is taken; -EBUSY: the asked slot
 * holds another physical slot; -EOPNOTSUPP: header type neither 0 nor 1. The domain does
 * not own src: deassign it before closing it. */
int pvpci_vpci_assign(struct pvpci_vpci_domain *d, struct pvpci_source *src,
		      const struct pvpci_vpci_assign_opts *opts, struct pvpci_sbdf *guest)
	PVPCI_WUR;
/* Takes a device away: unmaps its BARs, unbinds its vectors, disables MSI / MSI-X and
 * decoding on the device, removes the handlers. Safe against concurrent accesses. -ENODEV
 * if no device has that guest address. */
int pvpci_vpci_deassign(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest) PVPCI_WUR;
/* Resets the device through its source and rebuilds the guest view from the device (as
 * deassign + assign at the same guest address). Returns the reset's result (the view is
 * rebuilt even when the reset failed); if the view cannot be rebuilt, the device leaves
 * the guest and that error is returned. */
int pvpci_vpci_reset(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest,
		     enum pvpci_reset_kind kind) PVPCI_WUR;

/* Calls fn for each assigned device in guest address order; stops at a non-zero return. */
typedef int (*pvpci_vpci_dev_fn)(void *arg, struct pvpci_sbdf guest,
				 struct pvpci_source *src);
int pvpci_vpci_for_each_dev(struct pvpci_vpci_domain *d, pvpci_vpci_dev_fn fn, void *arg);

/* ---- Entry points (guest accesses) ---- */

/* Config access by guest SBDF: size 1, 2 or 4, aligned, reg + size <= 4096, else -EINVAL.
 * A failed read gives all-ones (~0). An address without a device reads all-ones of the
 * access's width and drops writes (returns 0). */
int pvpci_vpci_cfg_read(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest, unsigned reg,
			unsigned size, uint32_t *val);
int pvpci_vpci_cfg_write(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest, unsigned reg,
			 unsigned size, uint32_t val);

/* ECAM access: off is the offset inside the ECAM window (bus << 20 | dev << 15 | fn << 12
 * | reg); len 1, 2, 4 or 8 (split in two 4-byte accesses), aligned, inside the window. */
int pvpci_vpci_ecam_read(struct pvpci_vpci_domain *d, uint64_t off, unsigned len,
			 uint64_t *val);
int pvpci_vpci_ecam_write(struct pvpci_vpci_domain *d, uint64_t off, unsigned len,
			  uint64_t val);

/* MMIO access at guest physical address gpa, len 1, 2, 4 or 8: the ECAM window, the pages
 * of an MSI-X table or PBA (emulated), or a mapped BAR frame (forwarded to the device as
 * the p2m would). -ENXIO when nothing here claims the address (the caller answers). */
int pvpci_vpci_mmio_read(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len,
			 uint64_t *val);
int pvpci_vpci_mmio_write(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len,
			  uint64_t val);

/* ---- Xen's ioreq layout (public/hvm/ioreq.h), written here from its documented fields.
 * For PCI_CONFIG requests addr is SEGMENT[63:48] BUS[47:40] DEV[39:35] FN[34:32]
 * REG[31:0]. ---- */
#define PVPCI_IOREQ_READ 1
#define PVPCI_IOREQ_WRITE 0
#define PVPCI_IOREQ_STATE_NONE 0
#define PVPCI_IOREQ_STATE_READY 1
#define PVPCI_IOREQ_STATE_INPROCESS 2
#define PVPCI_IORESP_STATE_READY 3
#define PVPCI_IOREQ_TYPE_PIO 0
#define PVPCI_IOREQ_TYPE_COPY 1
#define PVPCI_IOREQ_TYPE_PCI_CONFIG 2
/* The flags byte: state in bits 0-3, data_is_ptr bit 4, dir bit 5, df bit 6. */
#define PVPCI_IOREQ_STATE_MASK 0x0f
#define PVPCI_IOREQ_DATA_IS_PTR 0x10
#define PVPCI_IOREQ_DIR_READ 0x20
#define PVPCI_IOREQ_DF 0x40

struct pvpci_ioreq {
	uint64_t addr;
	uint64_t data;
	uint32_t count;
	uint32_t size;
	uint32_t vp_eport;
	uint16_t pad0;
	uint8_t flags;
	uint8_t type;
};
_Static_assert(sizeof(struct pvpci_ioreq) == 32, "ioreq size");
_Static_assert(offsetof(struct pvpci_ioreq, data) == 8, "ioreq data");
_Static_assert(offsetof(struct pvpci_ioreq, count) == 16, "ioreq count");
_Static_assert(offsetof(struct pvpci_ioreq, size) == 20, "ioreq size field");
_Static_assert(offsetof(struct pvpci_ioreq, vp_eport) == 24, "ioreq vp_eport");
_Static_assert(offsetof(struct pvpci_ioreq, flags) == 30, "ioreq flags");
_Static_assert(offsetof(struct pvpci_ioreq, type) == 31, "ioreq type");

/* Serves one request in place (a slot of a shared page): copies it out once, checks it
 * (state READY, count 1, data not a pointer, size 1/2/4/8), dispatches PCI_CONFIG to the
 * config entry point and COPY to the MMIO one, then writes back data (reads: all-ones when
 * the access failed or nothing claims it) and sets the state to IORESP_READY. Returns the
 * dispatch result (0, or a negative errno also answered to the guest as all-ones / drop);
 * -EAGAIN if the slot was not READY (nothing written). */
int pvpci_vpci_ioreq_handle(struct pvpci_vpci_domain *d, volatile struct pvpci_ioreq *req);

/* ---- The in-memory host: a default implementation of the ops ---- */

/* Keeps the mapping table (what a hypervisor's p2m would hold), the interrupt bindings
 * (handles numbered like PIRQs from first_handle) and the crash flag. Thread-safe. */
struct pvpci_vpci_host;

int pvpci_vpci_host_create(int first_handle, struct pvpci_vpci_host **out) PVPCI_WUR;
void pvpci_vpci_host_destroy(struct pvpci_vpci_host *h);
/* The ops to give a domain, with the host as opaque. */
const struct pvpci_vpci_ops *pvpci_vpci_host_ops(void);

/* One mapping: nr frames from gfn to mfn. Contiguous mappings are merged. */
struct pvpci_vpci_map {
	uint64_t gfn, mfn, nr;
};
/* Copies up to max mappings in gfn order; returns how many there are in all. */
size_t pvpci_vpci_host_maps(struct pvpci_vpci_host *h, struct pvpci_vpci_map *out,
			    size_t max);
/* Prints the table, one "GFN-GFN -> MFN-MFN" line (inclusive, hex) per mapping. */
void pvpci_vpci_host_print_maps(struct pvpci_vpci_host *h, FILE *f);
/* Makes the map call after `after` more successful ones fail with err (0 disarms). */
void pvpci_vpci_host_fail_map(struct pvpci_vpci_host *h, unsigned after, int err);

/* One binding as the host keeps it. */
struct pvpci_vpci_binding {
	int handle;
	struct pvpci_vpci_irq irq; /* index is this vector's (first + i for MSI) */
	struct pvpci_vpci_irq_host host;
	bool masked;
	uint64_t fired;
};
/* Copies the binding of handle; -ENOENT if unbound. */
int pvpci_vpci_host_binding(struct pvpci_vpci_host *h, int handle,
			    struct pvpci_vpci_binding *out);
/* Copies up to max bindings in handle order; returns how many there are in all. */
size_t pvpci_vpci_host_bindings(struct pvpci_vpci_host *h, struct pvpci_vpci_binding *out,
				size_t max);
/* Prints one line per binding. */
void pvpci_vpci_host_print_bindings(struct pvpci_vpci_host *h, FILE *f);
/* The reason given to crash, or NULL if the guest was not crashed. */
const char *pvpci_vpci_host_crash_reason(struct pvpci_vpci_host *h);
/* Counters of calls made to the ops (tests and benchmarks). */
struct pvpci_vpci_host_stats {
	uint64_t maps, unmaps, binds, unbinds, masks, fires;
};
void pvpci_vpci_host_stats(struct pvpci_vpci_host *h, struct pvpci_vpci_host_stats *out);

/* ---- The local platform's ioreq transport (server.c, server_io.c, guest.c) ----
 * A guest process reaches vPCI the way an HVM / PVH vCPU reaches an ioreq server: a
 * shared page in Xen's `shared_iopage` layout (one struct pvpci_ioreq per vCPU; vCPU 0
 * only here) and an event channel. The guest fills the slot, sets STATE_IOREQ_READY
 * (release) and notifies; the server copies the slot once into private memory, sets
 * INPROCESS, serves the private copy (pvpci_vpci_ioreq_handle), writes data (reads) and
 * then IORESP_READY (release) and notifies; the guest reads data and sets STATE_NONE.
 *
 * Store nodes (docs/VPCI.md, "The local platform"), written by the toolstack
 * (pvpci_ts_vpci_*):
 *   /local/domain/<be>/backend/vpci/<domid>/0   (owner be, read domid)
 *       frontend, frontend-id, online, state, domain, num_devs,
 *       dev-N (host BDF), state-N, vslot-N (optional); the server adds vdev-N (guest
 *       address), error-N, and pirq/<dddd-bb-dd-f>-<msi|msix>-<index> = PIRQ
 *   /local/domain/<domid>/device/vpci/0         (owner domid, read be)
 *       backend, backend-id, state; the guest adds ioreq-ref, event-channel
 * state-N: 1 attach asked, 4 assigned (vdev-N), 5 detach asked, 6 released / refused
 * (error-N says why). The backend `state` follows xenbus: 1 written by the toolstack, 2
 * the server has the guest, 4 connected, 5 closing (toolstack teardown), 6 closed. */
#define PVPCI_VPCI_BE_FMT "/local/domain/%u/backend/vpci/%u/0"
#define PVPCI_VPCI_BE_ALL_FMT "/local/domain/%u/backend/vpci"
#define PVPCI_VPCI_FE_FMT "/local/domain/%u/device/vpci/0"
#define PVPCI_VPCI_DEV_REQUESTED 1
#define PVPCI_VPCI_DEV_ASSIGNED 4
#define PVPCI_VPCI_DEV_DETACHING 5
#define PVPCI_VPCI_DEV_RELEASED 6

/* The shared page: one request slot per vCPU, at the start of the page. */
#define PVPCI_IOREQ_MAX_VCPUS (4096 / sizeof(struct pvpci_ioreq))

/* Serves the slot of one vCPU through the ioreq state machine: copies it once (state read
 * with acquire), and only when it was STATE_IOREQ_READY sets STATE_IOREQ_INPROCESS, serves
 * the private copy with pvpci_vpci_ioreq_handle, writes data back (reads only: the slot is
 * never read again) and sets STATE_IORESP_READY with release ordering. Returns 1 when a
 * request was served (*seen and *rc, both optional, get the request as copied and its
 * result), 0 when the slot was not READY (nothing written). */
int pvpci_vpci_ioreq_serve(struct pvpci_vpci_domain *d, volatile struct pvpci_ioreq *slot,
			   struct pvpci_ioreq *seen, int *rc);

struct pvpci_platform; /* pvpci/platform.h */
struct pollfd;
struct pvpci_vpci_server;

/* Where the server gets the device behind a host address a guest was given (and gives it
 * back): the backend daemon takes it out of the PV backend's table, a test opens a model.
 * acquire: 0, or a negative errno with a one-line reason in why. */
struct pvpci_vpci_server_opts {
	int (*acquire)(void *opaque, struct pvpci_sbdf host, struct pvpci_source **src,
		       char *why, size_t wlen);
	void (*release)(void *opaque, struct pvpci_sbdf host, struct pvpci_source *src);
	void *opaque;
	bool expose_pcie;            /* show the PCIe capability (read-only) */
	/* poll_prepare spins this long on the connected guests' slots (no system call)
	 * before the caller sleeps, so back-to-back requests are served without wake-ups
	 * (a request seen first is served before its event, which then finds no work).
	 * 0 = never spin (the default: on a machine with few CPUs shared with the guests,
	 * spinning on both sides costs more than it saves; docs/VPCI.md has figures). */
	uint64_t spin_ns;
	const struct pvpci_log *log; /* parent log context; NULL = stderr */
};

/* A server acting as the platform handle's domain (the backend domain, normally 0). It
 * owns plat's store watch queue and event channel ports: give it a handle of its own.
 * Single-threaded: every call from one thread. */
int pvpci_vpci_server_create(struct pvpci_platform *plat,
			     const struct pvpci_vpci_server_opts *opts,
			     struct pvpci_vpci_server **out) PVPCI_WUR;
/* Disconnects every guest, deassigns and releases every device, frees. Store nodes are
 * left for a restarted server (state-N 4 entries are taken again). */
void pvpci_vpci_server_destroy(struct pvpci_vpci_server *s);
/* Watches the backend directory and picks up existing guests. */
int pvpci_vpci_server_start(struct pvpci_vpci_server *s) PVPCI_WUR;
#define PVPCI_VPCI_SERVER_NFDS 2
/* Before poll(): fills up to max pollfds and returns how many (may lower *timeout_ms). */
int pvpci_vpci_server_poll_prepare(struct pvpci_vpci_server *s, struct pollfd *fds,
				   size_t max, int *timeout_ms);
/* After poll(): serves store events and requests (bounded per call). 0, or a negative
 * errno for a failure of the platform itself (-ESHUTDOWN: the host went away). */
int pvpci_vpci_server_process(struct pvpci_vpci_server *s);
/* A connected guest's ioreq slot is READY (one shared-memory load per guest, no system
 * call): for a loop that spins on other work, e.g. pvpci_backend_set_spin_hook. */
bool pvpci_vpci_server_ready(struct pvpci_vpci_server *s);
/* prepare / poll / process until stop_fd (-1: none) is readable or an error. */
int pvpci_vpci_server_run(struct pvpci_vpci_server *s, int stop_fd);
/* Makes a held model device raise an interrupt (pvpci_model_raise): 1 delivered to the
 * guest's PIRQ, 0 masked / not bound, -ENOENT: no guest holds that device. */
int pvpci_vpci_server_raise_irq(struct pvpci_vpci_server *s, struct pvpci_sbdf host,
				enum pvpci_irq_kind kind, unsigned vector);
/* True if a guest of this server holds the device. */
bool pvpci_vpci_server_holds(struct pvpci_vpci_server *s, struct pvpci_sbdf host);

struct pvpci_vpci_server_guest {
	unsigned domid;
	bool connected;
	bool crashed;
	unsigned ndevs;      /* devices assigned */
	unsigned nirqs;      /* PIRQs bound */
	uint64_t requests;   /* requests served */
	uint64_t failed;     /* served with an error (answered all-ones / dropped) */
	uint64_t spurious;   /* events that found no READY request */
};
/* Fills up to max entries (domid order); *n = number of guests. */
int pvpci_vpci_server_guests(struct pvpci_vpci_server *s, struct pvpci_vpci_server_guest *out,
			     size_t max, size_t *n) PVPCI_WUR;

/* ---- The guest side: a process acting as a vCPU that traps to the server ---- */
struct pvpci_vpci_guest;
/* Connects domain plat's vPCI device (PVPCI_VPCI_FE_FMT): resets a previous session's
 * state, shares the ioreq page and an event channel with the backend, waits (bounded)
 * for the server to connect. plat is used for its store and one event channel; do not
 * use its other ports meanwhile. -ENOENT: no vPCI device attached; -ETIMEDOUT: no server
 * answered; -ECONNREFUSED: the server refused (its reason in the log). */
int pvpci_vpci_guest_connect(struct pvpci_platform *plat, int timeout_ms,
			     const struct pvpci_log *log, struct pvpci_vpci_guest **out)
	PVPCI_WUR;
/* Orderly close (the server unmaps, the frontend goes back to Initialising), then frees. */
void pvpci_vpci_guest_close(struct pvpci_vpci_guest *g);
/* One request: type PVPCI_IOREQ_TYPE_PCI_CONFIG or _COPY, size 1/2/4/8; waits for the
 * answer up to the op timeout (pvpci_vpci_guest_set_timeout; default 2000 ms). *data in
 * (writes) / out (reads). -ETIMEDOUT: no answer (the connection is then unusable:
 * -ENOTCONN after). */
int pvpci_vpci_guest_ioreq(struct pvpci_vpci_guest *g, unsigned type, bool read,
			   uint64_t addr, unsigned size, uint64_t *data) PVPCI_WUR;
void pvpci_vpci_guest_set_timeout(struct pvpci_vpci_guest *g, int timeout_ms);
/* Config access by guest address (PCI_CONFIG requests). */
int pvpci_vpci_guest_cfg_read(struct pvpci_vpci_guest *g, struct pvpci_sbdf a, unsigned reg,
			      unsigned size, uint32_t *val) PVPCI_WUR;
int pvpci_vpci_guest_cfg_write(struct pvpci_vpci_guest *g, struct pvpci_sbdf a, unsigned reg,
			       unsigned size, uint32_t val) PVPCI_WUR;
/* The raw slot (tests: a guest that misbehaves) and the port the server is notified on. */
volatile struct pvpci_ioreq *pvpci_vpci_guest_slot(struct pvpci_vpci_guest *g);
int pvpci_vpci_guest_notify(struct pvpci_vpci_guest *g);
/* The backend domain and the store path of the backend directory. */
unsigned pvpci_vpci_guest_backend(const struct pvpci_vpci_guest *g);

#endif
