/* SPDX-License-Identifier: MIT */
/*
 * Harness of the protocol tests: every party in a process of its own on the local
 * platform. A host daemon (fresh run directory), a backend process serving model devices
 * and answering control requests over a socketpair (raise an interrupt, start AER, read
 * its device / guest tables, AER outcomes, stop with a leak-checked exit), guest processes
 * (forked functions reporting through their exit status), a small toolstack writing
 * libxl's nodes (cold-plug, hot-plug, unplug with renumbering), a raw frontend that writes
 * the shared page and the nodes by hand (the malicious suite), and bounded waits.
 */
#ifndef PVPCI_TEST_PROTOCOL_HARNESS_H
#define PVPCI_TEST_PROTOCOL_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "proc.h"
#include "pvpci/pciif.h"
#include "pvpci/platform.h"
#include "pvpci/pvback.h"

#define PH_TIMEOUT_MS 5000

/* A handle as domid (with a store handle). */
struct pvpci_platform *ph_open(const struct tc_host *h, unsigned domid);

/* ---- Backend process ---- */
struct ph_model {
	const char *file; /* under $PVPCI_TEST_DATA, or an absolute path */
	unsigned index;
};
struct ph_backend_cfg {
	const struct ph_model *models;
	unsigned nmodels;
	enum pvpci_backend_mode mode;
	unsigned aer_timeout_ms;
	enum pvpci_aer_kill aer_kill;
	unsigned ops_per_turn;
};
struct ph_backend {
	pid_t pid;
	int ctl; /* our end of the control socketpair */
};
int ph_backend_start(const struct tc_host *h, const struct ph_backend_cfg *cfg,
		     struct ph_backend *b);
/* Stop it: destroy + exit() (leak-checked under ASan). Returns the exit status. */
int ph_backend_stop(struct ph_backend *b);

int ph_be_raise(struct ph_backend *b, struct pvpci_sbdf host, enum pvpci_irq_kind kind,
		unsigned vector);
int ph_be_aer(struct ph_backend *b, struct pvpci_sbdf host, int channel);
int ph_be_isr_toggle(struct ph_backend *b, struct pvpci_sbdf host);
/* Devices / guests tables (up to max). Returns the count or a negative errno. */
int ph_be_devices(struct ph_backend *b, struct pvpci_backend_dev_info *out, unsigned max);
int ph_be_guests(struct ph_backend *b, struct pvpci_backend_guest_info *out, unsigned max);
/* Last AER outcome reported by on_aer_done (0 if none) and the kills seen. */
int ph_be_aer_result(struct ph_backend *b, int *result, unsigned *kills);
/* Lines the backend has logged so far (warnings and worse; all with PH_VERBOSE). */
int ph_be_log_lines(struct ph_backend *b, unsigned *n);
/* The device info of host (0) or -ENOENT. */
int ph_be_device(struct ph_backend *b, struct pvpci_sbdf host,
		 struct pvpci_backend_dev_info *out);

/* ---- Toolstack (libxl's nodes, written with libxenstore) ---- */
struct xs_handle;
/* Cold-plug: both directories, num_devs and the per-device nodes, libxl's permissions.
 * mode may be NULL (no pvpci-mode node). */
int ph_coldplug(struct xs_handle *xs, unsigned domid, const struct pvpci_sbdf *devs,
		unsigned n, const char *mode);
/* Hot-plug: the next dev-N with state-N=1, num_devs+1 and backend state 7, one
 * transaction. Returns N or a negative errno. */
int ph_hotplug(struct xs_handle *xs, unsigned domid, struct pvpci_sbdf dev);
/* Unplug request: state-i=5 and backend state 7. */
int ph_unplug(struct xs_handle *xs, unsigned domid, unsigned i);
/* After the backend is back to 4: delete entry i and renumber j > i down. */
int ph_unplug_finish(struct xs_handle *xs, unsigned domid, unsigned i);
/* Whole teardown of the guest's PCI device nodes. */
int ph_remove_all(struct xs_handle *xs, unsigned domid);

int ph_xs_write(struct xs_handle *xs, const char *path, const char *val);
int ph_xs_rm(struct xs_handle *xs, const char *path);
/* Returns a static-lifetime-free copy in buf ("" and -ENOENT when absent). */
int ph_xs_read(struct xs_handle *xs, const char *path, char *buf, size_t cap);
/* Backend node of domid ("state", "vdev-0", ...). */
int ph_be_node(struct xs_handle *xs, unsigned domid, const char *node, char *buf, size_t cap);
/* Wait until the backend state of domid is want; returns 0 or -ETIMEDOUT (prints). */
int ph_wait_be_state(struct xs_handle *xs, unsigned domid, int want, int timeout_ms);
int ph_wait_fe_state(struct xs_handle *xs, unsigned domid, int want, int timeout_ms);
int ph_fe_state(struct xs_handle *xs, unsigned domid);
int ph_be_state(struct xs_handle *xs, unsigned domid);

/* ---- Raw frontend ---- */
struct ph_rawfe {
	struct pvpci_platform *p;
	struct xs_handle *xs;
	unsigned domid;
	struct xen_pci_sharedinfo *sh;
	uint32_t gref;
	unsigned port;
};
/* Grant a page, offer a channel (nodes not written). */
int ph_rawfe_init(struct ph_rawfe *r, struct pvpci_platform *p, unsigned domid);
/* Frontend node write ("magic", "state", ...). */
int ph_rawfe_node(struct ph_rawfe *r, const char *node, const char *val);
/* The three nodes with their honest values, then state 3. */
int ph_rawfe_publish(struct ph_rawfe *r);
/* Post op as it is (whole op), notify, wait until bit 0 clears (timeout: -ETIMEDOUT). */
int ph_rawfe_op(struct ph_rawfe *r, struct xen_pci_op *op, int timeout_ms);
/* Connect fully: publish, wait backend 4, state 4. */
int ph_rawfe_connect(struct ph_rawfe *r);

/* conf_read through a raw frontend: returns err, *val the value. */
int ph_raw_conf_read(struct ph_rawfe *r, struct pvpci_sbdf dev, int off, int size,
		     uint32_t *val);
int ph_raw_conf_write(struct ph_rawfe *r, struct pvpci_sbdf dev, int off, int size,
		      uint32_t val);

/* Write nic-msix with a 2048-entry MSI-X table at 06:00.0 into a temp file (path). */
int ph_big_msix_model(char *path, size_t cap);

/* Create a guest domain named name on h (from the parent's dom0 handle). */
int ph_domain(struct pvpci_platform *dom0, const char *name, unsigned *domid);

/* ---- One test's world: host, dom0 handle, backend ---- */
struct ph_env {
	struct tc_host h;
	struct pvpci_platform *dom0;
	struct xs_handle *xs;
	struct ph_backend be;
};
/* Host + dom0 handle + backend (cfg NULL: no backend); NULL on failure. One at a time. */
struct ph_env *ph_env_start(const struct ph_backend_cfg *cfg);
/* Stops everything; returns the backend's exit status (0: clean, no leak). */
int ph_env_stop(struct ph_env *e);
/* cmocka teardown: stops an environment a failed test left running. */
int ph_teardown(void **state);
/* A guest domain and its cold-plugged devices. */
int ph_guest(struct ph_env *e, const char *name, const struct pvpci_sbdf *devs, unsigned n,
	     const char *mode, unsigned *domid);

static inline struct pvpci_sbdf ph_bdf(unsigned bus, unsigned dev, unsigned fn)
{
	return (struct pvpci_sbdf){ 0, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn };
}

#endif
