/* SPDX-License-Identifier: MIT */
/*
 * Private helpers of the toolstack module: the paths of a guest's PCI device, bounded
 * reads of store nodes (values are copied into fixed buffers and checked), a transaction
 * runner that retries on EAGAIN a bounded number of times, waits on a state node with a
 * watch and a deadline, and the per-device node names libxl renumbers.
 */
#ifndef PVPCI_TS_PRIV_H
#define PVPCI_TS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

#include "pvpci/platform.h"
#include "pvpci/toolstack.h"

#define TS_PATH_MAX 192
#define TS_VAL_MAX 256
#define TS_TX_RETRIES 64

/* XenbusState values (spec/protocol.md 1.6). */
enum {
	TS_XB_UNKNOWN = 0,
	TS_XB_INITIALISING = 1,
	TS_XB_INITWAIT = 2,
	TS_XB_INITIALISED = 3,
	TS_XB_CONNECTED = 4,
	TS_XB_CLOSING = 5,
	TS_XB_CLOSED = 6,
	TS_XB_RECONFIGURING = 7,
	TS_XB_RECONFIGURED = 8,
};

/* A positive answer of a transaction body: abort it, wait for the backend, try again. */
#define TS_NEED_WAIT 1

struct ts_paths {
	unsigned be_domid, domid;
	char dom[TS_PATH_MAX];   /* /local/domain/<domid> */
	char be[TS_PATH_MAX];    /* /local/domain/<be>/backend/pci/<domid>/0 */
	char be_up[TS_PATH_MAX]; /* /local/domain/<be>/backend/pci/<domid> */
	char be_all[TS_PATH_MAX]; /* /local/domain/<be>/backend/pci */
	char fe[TS_PATH_MAX];    /* /local/domain/<domid>/device/pci/0 */
	char fe_up[TS_PATH_MAX]; /* /local/domain/<domid>/device/pci */
	char lx[TS_PATH_MAX];    /* /libxl/<domid>/device/pci/0 */
	char lx_up[TS_PATH_MAX]; /* /libxl/<domid>/device/pci */
	char lx_up2[TS_PATH_MAX]; /* /libxl/<domid>/device */
	char host[TS_PATH_MAX];  /* PVPCI_TS_HOST_DEVICES_FMT */
};
void ts_paths_init(struct ts_paths *p, unsigned be_domid, unsigned domid);

/* The per-device node names, in the order libxl handles them. */
extern const char *const ts_dev_keys[];
extern const unsigned ts_ndev_keys;

/* Fill err->msg (when err) and return rc. */
int ts_fail(struct pvpci_ts_err *err, int rc, const char *fmt, ...) PVPCI_PRINTF(3, 4);

/* Read a node into buf (NUL-terminated): 0, -ENOENT when absent, -EFBIG when longer than
 * len - 1 or holding a NUL byte, other negative errnos from the store. */
int ts_read(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf,
	    size_t len);
/* A decimal (or 0x hex) number at most max: -EINVAL otherwise. */
int ts_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *path, unsigned max,
		 unsigned *out);
/* A XenbusState node: 0..8, or -1 when absent or not a state. */
int ts_read_state(struct xs_handle *xs, xs_transaction_t t, const char *path);
bool ts_exists(struct xs_handle *xs, xs_transaction_t t, const char *path);
/* Write a printf-formatted value: 0 or a negative errno. */
int ts_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *fmt,
	     ...) PVPCI_PRINTF(4, 5);
/* Remove a node and everything below it; 0 when absent. */
int ts_rm(struct xs_handle *xs, xs_transaction_t t, const char *path);
/* Remove path when it has no children; 0 when absent or not empty. */
int ts_rm_if_empty(struct xs_handle *xs, xs_transaction_t t, const char *path);
int ts_mkdir_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
		   unsigned owner, unsigned reader);
/* "<dir>/<key>-<n>" into buf. */
void ts_key_path(char *buf, size_t len, const char *dir, const char *key, unsigned n);

/* Run body(xs, t, arg) in a transaction, retrying when the commit (or a read) says
 * EAGAIN, at most TS_TX_RETRIES times (-EAGAIN then). A negative or positive result of
 * the body aborts the transaction and is returned; 0 commits. */
typedef int (*ts_tx_body)(struct xs_handle *xs, xs_transaction_t t, void *arg);
int ts_transact(struct xs_handle *xs, ts_tx_body body, void *arg);

/* Wait until the state node at path holds want, until deadline_ns (pvpci_now_ns clock).
 * Returns 0, -ETIMEDOUT, -ENOENT if the node disappeared (or was never there), or
 * -ESHUTDOWN when it reads 5 or 6 and want is 4 (nothing will bring it back). *last gets
 * the last state read (-1 absent). */
int ts_wait_state(struct xs_handle *xs, const char *path, int want, uint64_t deadline_ns,
		  int *last);
uint64_t ts_deadline(int timeout_ms);
int ts_timeout_ms(int timeout_ms);

/* The index of bdf among dev-0 .. dev-(num-1) of dir, or -ENOENT. Entries that are not a
 * BDF are skipped. */
int ts_find_dev(struct xs_handle *xs, xs_transaction_t t, const char *dir, unsigned num,
		struct pvpci_sbdf bdf);
/* The guest whose PCI or vPCI device under backend domain be holds bdf: its
 * domid, or -ENOENT. */
int ts_find_owner(struct xs_handle *xs, xs_transaction_t t, unsigned be,
		  struct pvpci_sbdf bdf);
/* The host device list under dir (sorted, domid -1): -ENOENT when dir is absent. */
int ts_host_read(struct xs_handle *xs, xs_transaction_t t, const char *dir,
		 struct pvpci_ts_host_dev **out, size_t *n);
/* Whether the frontend has connected: its state is Initialised, Connected or
 * Reconfiguring / Reconfigured (the guest then answers the handshakes). */
bool ts_fe_connected(int fe_state);

#endif
