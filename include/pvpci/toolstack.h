/* SPDX-License-Identifier: MIT */
/*
 * pvpci toolstack: attach, detach and list a guest's PCI devices in the manner of `xl
 * pci-attach / pci-detach / pci-list`, by writing the xenstore nodes libxl writes
 * (spec/protocol.md 2.1, 2.2): cold-plug (both directories created before the guest
 * connects), hot-plug and hot-unplug (the Reconfiguring handshake of 2.4 / 2.5, with
 * libxl's renumbering of the per-device nodes), and the teardown of the whole PCI device
 * when its last function goes. Also the local platform's list of the host's devices (what
 * the backend serves), which `pvpci assignable-list` prints and `*` functions expand to.
 * docs/TOOLSTACK.md has the node-by-node description.
 *
 * Every call takes a libxenstore handle with the control domain's rights (local:
 * pvpci_platform_xs() of a domain-0 platform handle). Calls that wait for the backend
 * register a watch on that handle and consume its watch events while they wait: use a
 * handle that carries no watches of its own (the platform's handle is fine when nothing
 * else watches on it). Every wait is bounded by timeout_ms.
 *
 * Errors are negative errnos; when err is given, err->msg says what went wrong in one
 * line naming the device and the domain. A call that succeeds may leave a warning in
 * err->msg (e.g. the backend did not close within the timeout and the device was removed
 * anyway, as libxl does); err->msg is "" otherwise.
 */
#ifndef PVPCI_TOOLSTACK_H
#define PVPCI_TOOLSTACK_H

#include <stdbool.h>
#include <stddef.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"

struct xs_handle; /* libxenstore's */

/* How long a call waits for the backend when timeout_ms <= 0 (libxl waits 10 s). */
#define PVPCI_TS_TIMEOUT_MS 10000
/* Most dev-N entries of one guest (a virtual bus holds 32 slots of 8 functions). */
#define PVPCI_TS_MAX_DEVS 256

/* The host's devices on the local platform: one node per device the backend serves,
 *     /local/domain/<backend-domid>/pvpci/devices/<dddd-bb-dd-f> = <model path>
 * The node name is the BDF in libxl's xenstore spelling PVPCI_TS_BDF_XSPATH ("%04x-%02x-
 * %02x-%x", e.g. 0000-03-00-0: xenstore names cannot hold ':' or '.'). The directory is
 * owned by the backend domain and readable by nobody else. `pvpci backend --device
 * BDF=MODEL` writes it at start (with pvpci_ts_host_publish) and removes its nodes when it
 * stops (pvpci_ts_host_unpublish). */
#define PVPCI_TS_HOST_DEVICES_FMT "/local/domain/%u/pvpci/devices"
#define PVPCI_TS_BDF_XSPATH "%04x-%02x-%02x-%x"

struct pvpci_ts_err {
	char msg[256];
};

/* ------------------------------------------------------------------------------------
 * Attach. spec: xl's PCI spec (pvpci_pci_spec_parse). Function `*` = every function of
 * that slot the host has (the list above; none: -ENODEV), added in one go, function 0
 * last as libxl does. A single function must be among the host's devices when the
 * backend has published its list (-ENODEV "not assignable"); with no list published
 * (no backend started yet) it is accepted unchecked.
 *
 * - No PCI device for the guest yet: cold-plug, one transaction creating
 *   /local/domain/<be>/backend/pci/<domid>/0 (frontend, frontend-id, online=1, state=1,
 *   domain, num_devs and the per-device nodes), /local/domain/<domid>/device/pci/0
 *   (backend, backend-id, state=1) and libxl's /libxl/<domid>/device/pci/0 (frontend,
 *   backend), with libxl's permissions. No wait.
 * - A device exists and the guest has not connected (frontend state 1 or 2, backend
 *   1..3): the new entries are appended (num_devs grows), no state change, no wait.
 * - The guest is connected: wait for backend state 4 (Connected), then in one
 *   transaction the new dev-N, key-N, opts-N, state-N=1 (vdevfn-N, name-N), num_devs and
 *   backend state=7 (Reconfiguring); then wait for backend state 4 again.
 * opts-N is "msitranslate=%d,power_mgmt=%d,permissive=%d,rdm_policy=%s" (defaults 0, 0,
 * 0, strict as libxl); vdevfn-N ("%x") = vslot << 3 (| function for `*`) when @vslot was
 * given and the result is not 0 (libxl writes it only when non-zero); name-N = name=.
 * seize= is accepted and ignored (the local backend's devices are always assignable).
 *
 * Errors: -EINVAL bad arguments (domid = backend domid, spec NULL); -ESRCH no
 * /local/domain/<domid>; -ENODEV not among the host's devices; -EBUSY a function is
 * already attached to this or another guest (message names the guest); -ENOSPC more
 * than PVPCI_TS_MAX_DEVS; -ESHUTDOWN the PCI device is closing (state 5 / 6);
 * -ETIMEDOUT the backend did not reach Connected in time (message gives both states);
 * -EAGAIN the store stayed too busy for a transaction to commit; others from the store.
 */
int pvpci_ts_attach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		    const struct pvpci_pci_spec *spec, int timeout_ms,
		    struct pvpci_ts_err *err) PVPCI_WUR;
/* The same from the spec's text: a bad spec is -EINVAL with "bad PCI spec 'S': <what> at
 * N" in err->msg (N = byte offset). */
int pvpci_ts_attach_str(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
			const char *spec, int timeout_ms, struct pvpci_ts_err *err) PVPCI_WUR;

/* ------------------------------------------------------------------------------------
 * Detach one function (dev-i == bdf).
 * - The guest is connected: wait for backend 4; one transaction writing state-i=5 and
 *   backend state=7; wait for backend 4.
 * - Then (or at once if the guest never connected) one transaction deleting state-i,
 *   key-i, dev-i, vdev-i, opts-i, vdevfn-i, name-i, renumbering every entry j > i down to
 *   j-1 and writing num_devs = num-1.
 * - If it was the last one, the whole PCI device is torn down: a connected guest gets
 *   backend online=0, state=5 (Closing) and the call waits for backend state 6 (Closed);
 *   then both directories and libxl's are removed (and the then-empty
 *   backend/pci/<domid> and device/pci parents). A backend that does not close within the
 *   timeout does not stop the removal (a warning in err->msg, return 0), as libxl forces
 *   the removal after its timeout.
 * Errors: -ESRCH no such domain; -ENOENT bdf not attached to it; -ETIMEDOUT, -EAGAIN,
 * -ESHUTDOWN as attach.
 */
int pvpci_ts_detach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		    struct pvpci_sbdf bdf, int timeout_ms, struct pvpci_ts_err *err) PVPCI_WUR;

/* ------------------------------------------------------------------------------------
 * List a guest's devices as the store has them (read in one transaction).
 */
struct pvpci_ts_entry {
	unsigned index;           /* N of dev-N */
	struct pvpci_sbdf bdf;    /* dev-N: the host device */
	bool has_vdev;            /* vdev-N published by the backend */
	struct pvpci_sbdf vdev;   /* the address the guest sees */
	int state;                /* state-N (XenbusState), -1 if absent or not a number */
	int vdevfn;               /* vdevfn-N, -1 if absent */
	char opts[128];           /* opts-N ("" if absent) */
	char name[64];            /* name-N ("" if absent) */
};
/* *out is malloc'd (free() it; NULL when *n is 0). No PCI device for the guest: 0
 * entries. -ESRCH no such domain; -EINVAL num_devs or a dev-N is not what the toolstack
 * writes. */
int pvpci_ts_list(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		  struct pvpci_ts_entry **out, size_t *n, struct pvpci_ts_err *err) PVPCI_WUR;

/* ------------------------------------------------------------------------------------
 * The host's devices (local platform: the list under PVPCI_TS_HOST_DEVICES_FMT).
 */
struct pvpci_ts_host_dev {
	struct pvpci_sbdf bdf;
	char model[256];  /* the node's value */
	int domid;        /* the guest it is attached to, -1 if none */
};
/* Sorted by BDF; *out malloc'd (free() it). -ENOENT when no list is published. Entries
 * whose name is not a BDF are skipped. */
int pvpci_ts_host_devices(struct xs_handle *xs, unsigned backend_domid,
			  struct pvpci_ts_host_dev **out, size_t *n, struct pvpci_ts_err *err)
	PVPCI_WUR;
/* For the backend: publish one device (model: the value, at most 255 bytes), creating the
 * list directory (permissions "n<backend_domid>") if needed. */
int pvpci_ts_host_publish(struct xs_handle *xs, unsigned backend_domid, struct pvpci_sbdf bdf,
			  const char *model) PVPCI_WUR;
/* Remove one device's node (0 if absent). */
int pvpci_ts_host_unpublish(struct xs_handle *xs, unsigned backend_domid,
			    struct pvpci_sbdf bdf);

/* A node name in PVPCI_TS_BDF_XSPATH spelling -> BDF (hex, the whole string): 0 or
 * -EINVAL. */
int pvpci_ts_bdf_from_xs(const char *name, struct pvpci_sbdf *out) PVPCI_WUR;

/* Name of a XenbusState ("Connected"), "unknown" outside 0..8. */
const char *pvpci_ts_state_name(int state);

/* ------------------------------------------------------------------------------------
 * vPCI assignments (local platform): the devices the vPCI ioreq server gives a guest
 * without a PV frontend (docs/VPCI.md, "The local platform"; node layout in pvpci/vpci.h).
 * attach: spec as above (function `*`, @vslot kept as vslot-N; the other options are
 * ignored); each function must be free for every guest of the backend domain, PV or vPCI
 * (-EBUSY). The first device creates /local/domain/<be>/backend/vpci/<domid>/0 (n<be>,
 * r<domid>), /local/domain/<domid>/device/vpci/0 (n<domid>, r<be>) and
 * /libxl/<domid>/device/vpci/0; later ones are appended. When a server runs (the host
 * device list is published, or it has picked the guest up), the call waits for each entry
 * to be taken: refused -> the entry is removed and -EBUSY names the server's reason; not
 * taken in time -> 0 with a warning. detach: an assigned device is released by the server
 * first (bounded; removed anyway after the timeout, with a warning); the entries after it
 * are renumbered; the last one removes the directories (a connected guest is closed
 * first). -ENOENT: not attached through vPCI. */
struct pvpci_ts_vpci_entry {
	unsigned index;          /* N of dev-N */
	struct pvpci_sbdf bdf;   /* the host device */
	bool has_vdev;
	struct pvpci_sbdf vdev;  /* the guest address the server gave it */
	int state;               /* state-N: 1 asked, 4 assigned, 5 detaching, 6 refused */
	int vslot;               /* -1: any */
	char error[128];         /* error-N ("" if none) */
};
int pvpci_ts_vpci_attach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
			 const struct pvpci_pci_spec *spec, int timeout_ms,
			 struct pvpci_ts_err *err) PVPCI_WUR;
int pvpci_ts_vpci_detach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
			 struct pvpci_sbdf bdf, int timeout_ms, struct pvpci_ts_err *err)
	PVPCI_WUR;
/* *out malloc'd (free() it). No vPCI device: 0 entries. -ESRCH: no such domain. */
int pvpci_ts_vpci_list(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		       struct pvpci_ts_vpci_entry **out, size_t *n, struct pvpci_ts_err *err)
	PVPCI_WUR;

#endif
