/* SPDX-License-Identifier: MIT */
/*
 * pvpci platform: what a split driver needs from a hypervisor, behind one ops table.
 * A handle acts as one domain and gives: a libxenstore handle on that domain's store,
 * shared pages (grants), event channels (with a pollable fd, late EOI and coalescing),
 * PIRQs (interrupts of a passed-through device delivered to a guest's event channel),
 * the privileged calls of a toolstack (iomem / ioport / irq permission, device
 * assignment) and domains (create / destroy / list, control domain only).
 *
 * Two kinds: "local" (implemented: a host daemon, `pvpci host`, serves a run directory;
 * processes join a domain through that domain's sockets; notifications go through shared
 * memory and eventfds directly between processes) and "xen" (Xen's own libraries:
 * libxenstore, libxengnttab / libxengntshr, libxenevtchn, libxenctrl; not built yet:
 * pvpci_platform_open("xen") answers -EOPNOTSUPP).
 *
 * Conventions: calls return 0 (or a non-negative result: a port, a grant reference, a
 * PIRQ) or a negative errno. A handle is NOT thread-safe: use it from one thread at a
 * time (open one handle per thread if needed; the libxenstore handle it gives is
 * thread-safe on its own). Domain ids are unsigned, 0 = the control domain.
 */
#ifndef PVPCI_PLATFORM_H
#define PVPCI_PLATFORM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"

struct pvpci_platform; /* opaque */
struct xs_handle;      /* libxenstore's */
struct pvpci_store_quota; /* pvpci/store.h */

#define PVPCI_PAGE_SIZE 4096u
#define PVPCI_DOMID_SELF 0x7ff0u  /* "this domain" where a domid is expected (DOMID_SELF) */
#define PVPCI_DOMID_MAX 0x7fefu   /* highest ordinary domain id (Xen's DOMID_FIRST_RESERVED-1) */
#define PVPCI_EVTCHN_MAX_PORTS 4096u /* hard upper bound on ports per domain (2-level ABI) */
#define PVPCI_DOMAIN_NAME_MAX 63u /* bytes in a domain name, NUL excluded */

/* --------------------------------------------------------------------------------------
 * Opening a platform
 */
struct pvpci_platform_config {
	/* local: the host daemon's run directory; NULL = pvpci_run_dir_default(). */
	const char *run_dir;
	/* The domain this process acts as. local: which domain's sockets it joins (the
	 * domain must exist: -ENOENT otherwise); xen: ignored (the domain the process runs
	 * in). Default 0. */
	unsigned domid;
	/* Log context for the handle's lines (NULL = stderr). */
	const struct pvpci_log *log;
	/* How long pvpci_evtchn_wait() spins on the shared words before it arms the fd and
	 * sleeps. 0 = default (20 us); UINT64_MAX = never sleep (benchmarks only). */
	uint64_t spin_ns;
	/* Do not open the store handle (pvpci_platform_xs() then returns NULL). */
	bool no_store;
};

/* The run directory the local platform uses when none is given: $PVPCI_RUN_DIR if set,
 * /run/pvpci as root, $XDG_RUNTIME_DIR/pvpci otherwise (-ENOENT if unset). */
int pvpci_run_dir_default(char *buf, size_t len) PVPCI_WUR;

/* kind: "local" or "xen". -EOPNOTSUPP for a kind not built, -EINVAL for an unknown one.
 * local errors: -ECONNREFUSED / -ENOENT when no host daemon serves run_dir or the domain
 * does not exist; -EUSERS when the domain has too many handles open. */
int pvpci_platform_open(const char *kind, const struct pvpci_platform_config *cfg,
			struct pvpci_platform **out) PVPCI_WUR;
/* Closes every port of the handle (peers see them unbound), unmaps its mappings, ends
 * its grants (even mapped ones: the page stays valid for the mapper) and frees it. */
void pvpci_platform_close(struct pvpci_platform *p);
unsigned pvpci_platform_domid(const struct pvpci_platform *p);
const char *pvpci_platform_kind(const struct pvpci_platform *p);
/* A libxenstore handle on this domain's store (local: xs_open on the domain's store
 * socket; xen: xs_open), owned by the platform handle: do not xs_close it. NULL when
 * opened with no_store. On local, a domain's connection may read and write only what
 * the store's permissions allow (its own /local/domain/<id> subtree). libxenstore takes
 * the socket path from the environment only, so pvpci_platform_open("local") sets
 * XENSTORED_PATH around its xs_open and restores it: do not open local handles while
 * another thread reads or changes the environment. */
struct xs_handle *pvpci_platform_xs(struct pvpci_platform *p);
/* Path of this domain's store socket (local; NULL on xen): give it to other clients as
 * XENSTORED_PATH. */
const char *pvpci_platform_store_path(const struct pvpci_platform *p);

/* --------------------------------------------------------------------------------------
 * Xenstore helpers for split drivers (xs_util.c), on any libxenstore handle. All return 0
 * or a negative errno: -ENOENT no such node, -E2BIG value too long (or holding a NUL),
 * -EINVAL / -ERANGE not a number in range, -ENAMETOOLONG path too long.
 */
/* snprintf into buf, refusing to truncate. */
int pvpci_xs_path(char *buf, size_t cap, const char *fmt, ...) PVPCI_PRINTF(3, 4) PVPCI_WUR;
/* The value into buf (NUL-terminated), read once, never truncated. */
int pvpci_xs_read(struct xs_handle *xs, const char *path, char *buf, size_t cap) PVPCI_WUR;
/* Decimal digits only (no sign, space or prefix), at most max. */
int pvpci_xs_parse_dec(const char *s, uint64_t max, uint64_t *out) PVPCI_WUR;
int pvpci_xs_read_uint(struct xs_handle *xs, const char *path, uint64_t max, uint64_t *out)
	PVPCI_WUR;
int pvpci_xs_write(struct xs_handle *xs, const char *path, const char *val);
/* Writes only when the node is absent or holds something else (a driver watching its
 * own directory is not woken by a rewrite). */
int pvpci_xs_write_changed(struct xs_handle *xs, const char *path, const char *val);
/* Formatted (at most 255 characters, else -E2BIG), through pvpci_xs_write_changed. */
int pvpci_xs_printf(struct xs_handle *xs, const char *path, const char *fmt, ...)
	PVPCI_PRINTF(3, 4);
/* 0 if removed or absent. */
int pvpci_xs_rm(struct xs_handle *xs, const char *path);
/* Inside a transaction t (an xs_transaction_t; 0 = XBT_NULL, none): the read and the
 * removal as above; a formatted write (at most 255 characters, else -E2BIG) written even
 * when unchanged. */
int pvpci_xs_read_t(struct xs_handle *xs, uint32_t t, const char *path, char *buf,
		    size_t cap) PVPCI_WUR;
int pvpci_xs_vprintf_t(struct xs_handle *xs, uint32_t t, const char *path, const char *fmt,
		       va_list ap) PVPCI_PRINTF(4, 0);
int pvpci_xs_rm_t(struct xs_handle *xs, uint32_t t, const char *path);

/* --------------------------------------------------------------------------------------
 * Shared pages (grants). A domain shares a 4 KiB page with one remote domain and gets a
 * grant reference; the remote domain, and only it, maps the page by (granting domid,
 * gref). Grant references count from 8 (0-7 are reserved, as in Xen) per granting domain.
 */
/* Allocate a zeroed page, share it with remote_domid and give its address (mapped
 * read-write here) and its grant reference. readonly: the grantee may map it read-only
 * only. -ENOSPC when the domain's grant table is full; -ESRCH if remote_domid does not
 * exist. */
int pvpci_gnt_share(struct pvpci_platform *p, unsigned remote_domid, bool readonly,
		    void **page, uint32_t *gref) PVPCI_WUR;
/* End the grant and free the page. -EBUSY while the grantee has it mapped (as Xen's
 * end_foreign_access: retry after the grantee unmaps); -ENOENT for a gref this handle did
 * not share. */
int pvpci_gnt_unshare(struct pvpci_platform *p, uint32_t gref);

#define PVPCI_GNT_MAP_RO 0x1u /* map read-only (PROT_READ) */
/* Map the page domid granted as gref. Only the grantee may: -EACCES if the grant names
 * another domain, -ENOENT if there is no such grant (or it ended), -EACCES for a
 * read-write map of a read-only grant (ask with PVPCI_GNT_MAP_RO). */
int pvpci_gnt_map(struct pvpci_platform *p, unsigned domid, uint32_t gref, unsigned flags,
		  void **addr) PVPCI_WUR;
/* Unmap an address pvpci_gnt_map returned. -EINVAL if it is not one. */
int pvpci_gnt_unmap(struct pvpci_platform *p, void *addr);

/* --------------------------------------------------------------------------------------
 * Event channels. Ports are per domain, 1 .. limit-1 (port 0 is never valid), and
 * belong to the handle that allocated or bound them. A notification sets the peer's
 * port pending; notifications on a pending port coalesce into one event.
 *
 * Delivery is "late EOI": pvpci_evtchn_pending() returns a port once, then the port is
 * in service and is not returned again (new notifications stay pending) until the
 * handler calls pvpci_evtchn_eoi(). A handler that found nothing to do says so with
 * spurious = true; those are counted (stats), so a flooding peer costs bounded work.
 *
 * Waiting: pvpci_evtchn_wait() does it all (spin briefly, then sleep on the fd). An
 * event loop of its own does:
 *     for (;;) {
 *         while ((port = pvpci_evtchn_pending(p)) > 0) { handle(port); eoi(port); }
 *         if (pvpci_evtchn_prepare_wait(p) == 0)
 *             poll(pvpci_evtchn_fd(p) and its other fds);
 *     }
 * The fd is readable only after prepare_wait() returned 0 and something arrived
 * (local: a notify does not make a system call unless the receiver armed the fd).
 */
/* A new port in state "unbound", offered to remote_domid (which may be this domain).
 * -ENOSPC at the domain's port limit, -ESRCH if remote_domid does not exist. */
int pvpci_evtchn_alloc_unbound(struct pvpci_platform *p, unsigned remote_domid) PVPCI_WUR;
/* Bind a new local port to remote_port of remote_domid, which must be unbound and
 * offered to this domain. Returns the local port. -ESRCH: no such domain; -EINVAL: no
 * such port or it is not unbound; -EACCES: it was offered to another domain; -ENOSPC:
 * port limit. */
int pvpci_evtchn_bind_interdomain(struct pvpci_platform *p, unsigned remote_domid,
				  unsigned remote_port) PVPCI_WUR;
/* Notify the port's peer. No system call when the peer is not sleeping. Notifying an
 * unbound port is silently dropped (0), as in Xen; -EINVAL for a port this handle does
 * not hold. */
int pvpci_evtchn_notify(struct pvpci_platform *p, unsigned port);
/* Close a port (an interdomain peer's port becomes unbound, offered to this domain; a
 * PIRQ is unbound). -EINVAL if this handle does not hold it. */
int pvpci_evtchn_close(struct pvpci_platform *p, unsigned port);
/* The pollable fd (readable when events or control changes arrived after
 * prepare_wait()). Owned by the handle. */
int pvpci_evtchn_fd(const struct pvpci_platform *p);
/* Next port with an event, not in service and not masked (> 0), or -EAGAIN. Never
 * blocks (local: may make one request to the host daemon when ports changed state). */
int pvpci_evtchn_pending(struct pvpci_platform *p);
/* Arm the fd before sleeping on it: 0 = armed, the fd will become readable on the next
 * event; -EBUSY = events are already pending (call pending() instead of sleeping). */
int pvpci_evtchn_prepare_wait(struct pvpci_platform *p);
/* Spin for up to spin_ns watching for an event without any system call: a port (> 0) or
 * -EAGAIN. */
int pvpci_evtchn_spin(struct pvpci_platform *p, uint64_t spin_ns);
/* Spin (config spin_ns), then arm and sleep: the next port (> 0), -ETIMEDOUT after
 * timeout_ms (-1 = no timeout), or another negative errno (-ESHUTDOWN: the domain was
 * destroyed / the host daemon went away). */
int pvpci_evtchn_wait(struct pvpci_platform *p, int timeout_ms);
/* End service of a port pending() returned: it may be returned again (at once if it was
 * notified meanwhile). spurious: the handler found no work (counted). -EINVAL if the
 * handle does not hold the port. */
int pvpci_evtchn_eoi(struct pvpci_platform *p, unsigned port, bool spurious);
/* xenevtchn's names: unmask = eoi(port, false); mask keeps the port's events pending
 * without returning them until unmask. */
int pvpci_evtchn_unmask(struct pvpci_platform *p, unsigned port);
int pvpci_evtchn_mask(struct pvpci_platform *p, unsigned port);

enum pvpci_evtchn_state {
	PVPCI_EVTCHN_CLOSED = 0,      /* free (or never allocated) */
	PVPCI_EVTCHN_UNBOUND = 1,     /* offered to remote_domid */
	PVPCI_EVTCHN_INTERDOMAIN = 2, /* connected to (remote_domid, remote_port) */
	PVPCI_EVTCHN_PIRQ = 3,        /* bound to pirq */
};
struct pvpci_evtchn_status {
	enum pvpci_evtchn_state state;
	unsigned remote_domid;
	unsigned remote_port;
	unsigned pirq;
};
/* The state of port of domain domid (PVPCI_DOMID_SELF = this one; another domain's ports
 * only for the control domain: -EPERM otherwise). Asks the platform (authoritative). */
int pvpci_evtchn_status(struct pvpci_platform *p, unsigned domid, unsigned port,
			struct pvpci_evtchn_status *st) PVPCI_WUR;

struct pvpci_evtchn_stats {
	uint64_t notify;            /* pvpci_evtchn_notify calls that set a port pending */
	uint64_t notify_coalesced;  /* notifies on a port already pending */
	uint64_t notify_wakeups;    /* notifies that woke a sleeping peer (system call) */
	uint64_t delivered;         /* ports returned by pending() */
	uint64_t eoi_spurious;      /* eoi(port, true) */
	uint64_t wakeups;           /* times the armed fd woke this handle */
	uint64_t wakeups_spurious;  /* wake-ups that found no event */
	uint64_t bogus;             /* pending bits a peer set on a port not bound to it */
};
void pvpci_evtchn_get_stats(const struct pvpci_platform *p, struct pvpci_evtchn_stats *s);

/* --------------------------------------------------------------------------------------
 * PIRQs: physical interrupts of a passed-through device, delivered to a guest's event
 * channel (MSI / MSI-X / INTx in the PV protocol). The control domain allocates a PIRQ
 * number for a guest; the guest binds it to a port of its own; the device's owner (the
 * domain that allocated it) fires it and the guest's port gets an event.
 */
/* Allocate a PIRQ for guest_domid (control domain only: -EPERM). Returns the PIRQ
 * (>= 16). -ENOSPC when the guest's PIRQs run out; -ESRCH: no such domain. */
int pvpci_pirq_alloc(struct pvpci_platform *p, unsigned guest_domid) PVPCI_WUR;
/* Free it (its port, if bound, becomes closed for the guest's handle). -ENOENT if not
 * allocated for that guest. */
int pvpci_pirq_free(struct pvpci_platform *p, unsigned guest_domid, unsigned pirq);
/* Guest side: bind a PIRQ allocated for this domain to a new port (returned). -ENOENT:
 * not allocated for this domain; -EBUSY: already bound; -ENOSPC: port limit. Unbind
 * with pvpci_evtchn_close(). */
int pvpci_pirq_bind(struct pvpci_platform *p, unsigned pirq) PVPCI_WUR;
/* Raise the PIRQ (only the domain that allocated it: -EPERM). Dropped (0) while the
 * guest has not bound it, like an interrupt nobody listens to; coalesces. local: one
 * request to the host daemon. */
int pvpci_pirq_fire(struct pvpci_platform *p, unsigned guest_domid, unsigned pirq);
/* A PIRQ of guest_domid for one interrupt of host device sbdf, the hypervisor programming
 * the device's message itself (xen: PHYSDEVOP_map_pirq as QEMU's passthrough does; the
 * device must be assigned to the guest): MSI with entry 0 and table_base 0, MSI-X with the
 * table entry and the host address of the BAR holding the table. The caller then sets
 * the capability's enable bit; the guest's bind unmasks the vector. Free it with
 * pvpci_pirq_free. -EOPNOTSUPP where the caller allocates with pvpci_pirq_alloc and
 * writes the message itself (local). */
int pvpci_pirq_map_msi(struct pvpci_platform *p, unsigned guest_domid, uint32_t sbdf,
		       unsigned entry, uint64_t table_base) PVPCI_WUR;

/* --------------------------------------------------------------------------------------
 * Privileged calls (control domain only: -EPERM otherwise). xen: libxenctrl's
 * xc_domain_iomem_permission / ioport_permission / irq_permission, xc_assign_device /
 * xc_deassign_device. local: recorded per domain (64-bit ranges end to end) so tests can
 * check what was granted and revoked with pvpci_priv_query.
 */
int pvpci_priv_iomem_permission(struct pvpci_platform *p, unsigned domid,
				uint64_t first_frame, uint64_t nr_frames, bool allow) PVPCI_WUR;
int pvpci_priv_ioport_permission(struct pvpci_platform *p, unsigned domid,
				 uint32_t first_port, uint32_t nr_ports, bool allow) PVPCI_WUR;
int pvpci_priv_irq_permission(struct pvpci_platform *p, unsigned domid, uint32_t pirq,
			      bool allow) PVPCI_WUR;
/* sbdf: segment << 16 | bus << 8 | devfn. -EBUSY if assigned to another domain. */
int pvpci_priv_assign_device(struct pvpci_platform *p, unsigned domid, uint32_t sbdf)
	PVPCI_WUR;
/* -EINVAL if the device is not assigned to domid. */
int pvpci_priv_deassign_device(struct pvpci_platform *p, unsigned domid, uint32_t sbdf)
	PVPCI_WUR;

enum pvpci_priv_kind {
	PVPCI_PRIV_IOMEM = 0,  /* frames [first, last] */
	PVPCI_PRIV_IOPORT = 1, /* ports [first, last] */
	PVPCI_PRIV_IRQ = 2,    /* pirqs [first, last] */
	PVPCI_PRIV_DEVICE = 3, /* sbdf first (last ignored): assigned to domid? */
};
/* local only (xen: -EOPNOTSUPP): *granted = whether domid holds ALL of [first, last];
 * *any = whether it holds any of it (either may be NULL). */
int pvpci_priv_query(struct pvpci_platform *p, unsigned domid, enum pvpci_priv_kind kind,
		     uint64_t first, uint64_t last, bool *granted, bool *any) PVPCI_WUR;

/* --------------------------------------------------------------------------------------
 * Domains (control domain only: -EPERM otherwise).
 */
struct pvpci_domain_info {
	unsigned domid;
	char name[PVPCI_DOMAIN_NAME_MAX + 1];
};
/* Create a domain named name (1-63 printable bytes, no '/', unique: -EEXIST). Writes its
 * store nodes as xl does: /local/domain/<id> (owned by dom0, readable by the domain)
 * with name, domid, vm, and the domain-writable directories; /vm/<uuid>; fires
 * @introduceDomain. local: the domain's sockets appear under the run directory. */
int pvpci_domain_create(struct pvpci_platform *p, const char *name, unsigned *domid)
	PVPCI_WUR;
/* Destroy it: closes its handles, ports (peers' ports become unbound) and PIRQs, drops
 * its grant mappings, ends its grants (pages others still map stay valid until they
 * unmap), its store connections, watches and nodes, its permissions and assignments,
 * then fires @releaseDomain. -ENOENT: no such domain; -EPERM for domain 0. */
int pvpci_domain_destroy(struct pvpci_platform *p, unsigned domid);
/* Fills up to max entries in domid order; *n = the number of domains (may exceed max).
 * Domain 0 is included. */
int pvpci_domain_list(struct pvpci_platform *p, struct pvpci_domain_info *out, size_t max,
		      size_t *n) PVPCI_WUR;
/* The domid of a domain named name: -ENOENT if none. */
int pvpci_domain_lookup(struct pvpci_platform *p, const char *name, unsigned *domid)
	PVPCI_WUR;

/* --------------------------------------------------------------------------------------
 * The ops table behind the calls above; one per kind. Each op gets the handle; an
 * implementation keeps its state behind pvpci_platform_priv(). Exposed so tests of the
 * layers above can plug in a platform of their own with pvpci_platform_open_ops().
 */
struct pvpci_platform_ops {
	const char *kind;
	int (*open)(struct pvpci_platform *p, const struct pvpci_platform_config *cfg);
	void (*close)(struct pvpci_platform *p);
	struct xs_handle *(*xs)(struct pvpci_platform *p);
	const char *(*store_path)(const struct pvpci_platform *p);

	int (*gnt_share)(struct pvpci_platform *p, unsigned remote_domid, bool readonly,
			 void **page, uint32_t *gref);
	int (*gnt_unshare)(struct pvpci_platform *p, uint32_t gref);
	int (*gnt_map)(struct pvpci_platform *p, unsigned domid, uint32_t gref, unsigned flags,
		       void **addr);
	int (*gnt_unmap)(struct pvpci_platform *p, void *addr);

	int (*evtchn_alloc_unbound)(struct pvpci_platform *p, unsigned remote_domid);
	int (*evtchn_bind_interdomain)(struct pvpci_platform *p, unsigned remote_domid,
				       unsigned remote_port);
	int (*evtchn_notify)(struct pvpci_platform *p, unsigned port);
	int (*evtchn_close)(struct pvpci_platform *p, unsigned port);
	int (*evtchn_fd)(const struct pvpci_platform *p);
	int (*evtchn_pending)(struct pvpci_platform *p);
	int (*evtchn_prepare_wait)(struct pvpci_platform *p);
	int (*evtchn_spin)(struct pvpci_platform *p, uint64_t spin_ns);
	int (*evtchn_wait)(struct pvpci_platform *p, int timeout_ms);
	int (*evtchn_eoi)(struct pvpci_platform *p, unsigned port, bool spurious);
	int (*evtchn_mask)(struct pvpci_platform *p, unsigned port, bool mask);
	int (*evtchn_status)(struct pvpci_platform *p, unsigned domid, unsigned port,
			     struct pvpci_evtchn_status *st);
	void (*evtchn_stats)(const struct pvpci_platform *p, struct pvpci_evtchn_stats *s);

	int (*pirq_alloc)(struct pvpci_platform *p, unsigned guest_domid);
	int (*pirq_free)(struct pvpci_platform *p, unsigned guest_domid, unsigned pirq);
	int (*pirq_bind)(struct pvpci_platform *p, unsigned pirq);
	int (*pirq_fire)(struct pvpci_platform *p, unsigned guest_domid, unsigned pirq);

	/* kind: enum pvpci_priv_kind; first / count as the public calls (count frames,
	 * ports; 1 for an irq or a device). */
	int (*priv_permission)(struct pvpci_platform *p, unsigned domid,
			       enum pvpci_priv_kind kind, uint64_t first, uint64_t count,
			       bool allow);
	int (*priv_query)(struct pvpci_platform *p, unsigned domid, enum pvpci_priv_kind kind,
			  uint64_t first, uint64_t last, bool *granted, bool *any);

	int (*domain_create)(struct pvpci_platform *p, const char *name, unsigned *domid);
	int (*domain_destroy)(struct pvpci_platform *p, unsigned domid);
	int (*domain_list)(struct pvpci_platform *p, struct pvpci_domain_info *out,
			   size_t max, size_t *n);
	int (*pirq_map_msi)(struct pvpci_platform *p, unsigned guest_domid, uint32_t sbdf,
			    unsigned entry, uint64_t table_base);
};

/* Open a handle on a caller-provided ops table (open is called with cfg). A NULL op
 * answers -EOPNOTSUPP. */
int pvpci_platform_open_ops(const struct pvpci_platform_ops *ops,
			    const struct pvpci_platform_config *cfg,
			    struct pvpci_platform **out) PVPCI_WUR;
/* The implementation's private pointer and the handle's domid / log, for ops tables. */
void *pvpci_platform_priv(const struct pvpci_platform *p);
void pvpci_platform_set_priv(struct pvpci_platform *p, void *priv);
void pvpci_platform_set_domid(struct pvpci_platform *p, unsigned domid);
const struct pvpci_log *pvpci_platform_log(const struct pvpci_platform *p);

/* --------------------------------------------------------------------------------------
 * The local platform's host daemon (what `pvpci host` runs; tests run it in a process
 * or a thread of their own). It owns a run directory:
 *     DIR/lock                      flock'd while a host serves DIR
 *     DIR/xenstored/socket          the control domain's store socket
 *     DIR/platform.sock             the control domain's platform socket
 *     DIR/domains/<id>/xenstored.sock, DIR/domains/<id>/platform.sock   a guest's
 * A process joins a domain by connecting to that domain's sockets (pvpci_platform_open).
 */
struct pvpci_host; /* opaque */

struct pvpci_host_config {
	const char *run_dir;        /* NULL = pvpci_run_dir_default() */
	const struct pvpci_log *log;
	unsigned max_ports;         /* event channel ports per domain (0 = 1024; <= 4096) */
	unsigned max_grants;        /* grants per domain (0 = 256) */
	unsigned max_maps;          /* grant mappings per handle (0 = 1024) */
	unsigned max_pirqs;         /* PIRQs per guest (0 = 256) */
	unsigned max_domains;       /* guest domains (0 = 256) */
	unsigned max_handles;       /* platform handles per domain (0 = 64) */
	unsigned max_regions;       /* event regions a guest's handles share (0 = 64) */
	const struct pvpci_store_quota *store_quota; /* for guests; NULL = defaults */
	unsigned max_grant_fds;     /* grants (each a memfd in the daemon) of all domains
				     * together (0 = half of RLIMIT_NOFILE's soft limit) */
	unsigned max_domid;         /* highest domid handed out before wrapping to 1
				     * (0 = PVPCI_DOMID_MAX; tests make ids wrap quickly) */
};

/* Take DIR/lock (-EBUSY: another host serves DIR), create the directory, the store and
 * the control domain's sockets, and write /local/domain/0 (name "Domain-0", domid 0). */
int pvpci_host_create(const struct pvpci_host_config *cfg, struct pvpci_host **out)
	PVPCI_WUR;
/* Unlink every socket, close every connection, release the lock and free everything. */
void pvpci_host_destroy(struct pvpci_host *h);
const char *pvpci_host_run_dir(const struct pvpci_host *h);
/* One pollable fd for the caller's loop: readable when pvpci_host_process has work. */
int pvpci_host_fd(const struct pvpci_host *h);
/* Wait up to timeout_ms (0 = no wait, -1 = forever) and serve what is ready (store and
 * platform). Returns >= 0, or a negative errno (-EINTR passed up). */
int pvpci_host_process(struct pvpci_host *h, int timeout_ms);
/* Serve until stop_fd (e.g. a signalfd or an eventfd; -1 = none) becomes readable. */
int pvpci_host_run(struct pvpci_host *h, int stop_fd);

#endif
