/* SPDX-License-Identifier: MIT */
/*
 * Detach (xl pci-detach). A connected guest gets the hot-unplug handshake of
 * spec/protocol.md 2.5: wait for the backend Connected, one transaction writing
 * state-i=5 and backend state 7, wait for Connected again. Then (at once for a guest that
 * never connected) one transaction removes the entry and renumbers the ones after it down
 * by one, as libxl does. When the last function goes, the whole PCI device is torn down:
 * a connected guest is asked to close (backend online=0, state 5; the call waits for
 * Closed, bounded, and removes anyway after the timeout as libxl does), then the backend,
 * frontend and libxl directories are removed with their then-empty parents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_priv.h"

#define CLOSE_SKIP 1 /* close_body: the guest is not connected, no handshake */

struct detach_ctx {
	struct ts_paths p;
	struct pvpci_sbdf bdf;
	char what[PVPCI_SBDF_STRLEN];
	struct pvpci_ts_err *err;
	int be_state, fe_state;
	unsigned num; /* num_devs before the removal */
	bool hot;     /* the guest is connected: handshakes */
};

static void state_paths(const struct detach_ctx *c, char *be, char *fe, size_t len)
{
	snprintf(be, len, "%s/state", c->p.be);
	snprintf(fe, len, "%s/state", c->p.fe);
}

/* Read both states and num_devs, find the entry: its index, or a negative errno. */
static int locate(struct xs_handle *xs, xs_transaction_t t, struct detach_ctx *c)
{
	char bp[TS_PATH_MAX + 16], fp[TS_PATH_MAX + 16];
	int i;

	if (!ts_exists(xs, t, c->p.dom))
		return ts_fail(c->err, -ESRCH, "domain %u does not exist (no %s)", c->p.domid,
			       c->p.dom);
	if (!ts_exists(xs, t, c->p.be))
		return ts_fail(c->err, -ENOENT, "%s is not attached to domain %u (it has no PCI "
				"device)", c->what, c->p.domid);
	snprintf(bp, sizeof(bp), "%s/num_devs", c->p.be);
	if (ts_read_uint(xs, t, bp, PVPCI_TS_MAX_DEVS, &c->num))
		return ts_fail(c->err, -EINVAL, "domain %u: %s is not a device count", c->p.domid,
			       bp);
	state_paths(c, bp, fp, sizeof(bp));
	c->be_state = ts_read_state(xs, t, bp);
	c->fe_state = ts_read_state(xs, t, fp);
	i = ts_find_dev(xs, t, c->p.be, c->num, c->bdf);
	if (i < 0)
		return ts_fail(c->err, -ENOENT, "%s is not attached to domain %u", c->what,
			       c->p.domid);
	return i;
}

static bool detach_is_hot(const struct detach_ctx *c)
{
	if (c->be_state == TS_XB_CLOSING || c->be_state == TS_XB_CLOSED)
		return false;
	return ts_fe_connected(c->fe_state) || c->be_state == TS_XB_CONNECTED ||
	       c->be_state == TS_XB_RECONFIGURING || c->be_state == TS_XB_RECONFIGURED;
}

static int look_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct detach_ctx *c = arg;
	int i = locate(xs, t, c);

	if (i < 0)
		return i;
	c->hot = detach_is_hot(c);
	return 0;
}

/* Hot: state-i=5 and backend state 7, once the backend is Connected. */
static int request_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct detach_ctx *c = arg;
	char path[TS_PATH_MAX + 16];
	int i = locate(xs, t, c), rc;

	if (i < 0)
		return i;
	if (c->be_state != TS_XB_CONNECTED)
		return TS_NEED_WAIT;
	ts_key_path(path, sizeof(path), c->p.be, "state", (unsigned)i);
	if ((rc = ts_write(xs, t, path, "%d", TS_XB_CLOSING)))
		return rc;
	snprintf(path, sizeof(path), "%s/state", c->p.be);
	return ts_write(xs, t, path, "%d", TS_XB_RECONFIGURING);
}

/* Move every per-device node of entry from to entry to (to's are already gone). */
static int move_entry(struct xs_handle *xs, xs_transaction_t t, const char *dir,
		      unsigned from, unsigned to)
{
	char src[TS_PATH_MAX + 16], dst[TS_PATH_MAX + 16], val[TS_VAL_MAX];
	int rc;

	for (unsigned k = 0; k < ts_ndev_keys; k++) {
		ts_key_path(src, sizeof(src), dir, ts_dev_keys[k], from);
		ts_key_path(dst, sizeof(dst), dir, ts_dev_keys[k], to);
		rc = ts_read(xs, t, src, val, sizeof(val));
		if (rc == -ENOENT)
			continue;
		if (rc || (rc = ts_write(xs, t, dst, "%s", val)) || (rc = ts_rm(xs, t, src)))
			return rc;
	}
	return 0;
}

/* Delete entry i, renumber j > i down to j - 1, num_devs = num - 1. */
static int remove_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct detach_ctx *c = arg;
	char path[TS_PATH_MAX + 16];
	int i = locate(xs, t, c), rc;

	if (i < 0)
		return i;
	for (unsigned k = 0; k < ts_ndev_keys; k++) {
		ts_key_path(path, sizeof(path), c->p.be, ts_dev_keys[k], (unsigned)i);
		if ((rc = ts_rm(xs, t, path)))
			return rc;
	}
	for (unsigned j = (unsigned)i + 1; j < c->num; j++)
		if ((rc = move_entry(xs, t, c->p.be, j, j - 1)))
			return rc;
	snprintf(path, sizeof(path), "%s/num_devs", c->p.be);
	return ts_write(xs, t, path, "%u", c->num - 1);
}

/* Ask a connected guest's device to close (online=0, state=5). */
static int close_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct detach_ctx *c = arg;
	char bp[TS_PATH_MAX + 16], fp[TS_PATH_MAX + 16];
	int rc;

	state_paths(c, bp, fp, sizeof(bp));
	c->be_state = ts_read_state(xs, t, bp);
	c->fe_state = ts_read_state(xs, t, fp);
	if (c->be_state == TS_XB_CLOSED || c->be_state < 0 || !detach_is_hot(c))
		return CLOSE_SKIP; /* nothing to ask: remove at once */
	snprintf(bp, sizeof(bp), "%s/online", c->p.be);
	if ((rc = ts_write(xs, t, bp, "0")))
		return rc;
	snprintf(bp, sizeof(bp), "%s/state", c->p.be);
	return ts_write(xs, t, bp, "%d", TS_XB_CLOSING);
}

static int destroy_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	const struct ts_paths *p = &((struct detach_ctx *)arg)->p;
	const char *const gone[] = { p->fe, p->be, p->lx };
	const char *const emptied[] = { p->be_up, p->fe_up, p->lx_up, p->lx_up2 };
	int rc;

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(gone); i++)
		if ((rc = ts_rm(xs, t, gone[i])))
			return rc;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(emptied); i++)
		if ((rc = ts_rm_if_empty(xs, t, emptied[i])))
			return rc;
	return 0;
}

/* The last function went: close (connected guest, bounded) and remove everything. */
static int teardown(struct xs_handle *xs, struct detach_ctx *c, uint64_t deadline,
		    int timeout_ms)
{
	char bp[TS_PATH_MAX + 16], fp[TS_PATH_MAX + 16];
	int rc = ts_transact(xs, close_body, c);

	if (rc < 0)
		return ts_fail(c->err, rc, "domain %u: closing its PCI device: %s", c->p.domid,
			       pvpci_errname(rc));
	if (rc == 0) {
		state_paths(c, bp, fp, sizeof(bp));
		rc = ts_wait_state(xs, bp, TS_XB_CLOSED, deadline, &c->be_state);
		if (rc == -ETIMEDOUT)
			ts_fail(c->err, 0, "domain %u: the PCI backend did not close within %d ms "
				"(backend state %d %s); removed it anyway", c->p.domid, timeout_ms,
				c->be_state, pvpci_ts_state_name(c->be_state));
	}
	rc = ts_transact(xs, destroy_body, c);
	if (rc)
		return ts_fail(c->err, rc, "domain %u: removing its PCI device: %s", c->p.domid,
			       pvpci_errname(rc));
	return 0;
}

static int detach_wait(struct xs_handle *xs, struct detach_ctx *c, uint64_t deadline,
		       int timeout_ms, const char *doing)
{
	char bp[TS_PATH_MAX + 16], fp[TS_PATH_MAX + 16];
	int rc;

	state_paths(c, bp, fp, sizeof(bp));
	rc = ts_wait_state(xs, bp, TS_XB_CONNECTED, deadline, &c->be_state);
	c->fe_state = ts_read_state(xs, XBT_NULL, fp);
	if (rc == -ETIMEDOUT)
		return ts_fail(c->err, rc, "detaching %s from domain %u: the PCI backend was not "
				"Connected %s within %d ms (backend state %d %s, frontend state "
				"%d %s); is the backend running?", c->what, c->p.domid, doing,
				timeout_ms, c->be_state, pvpci_ts_state_name(c->be_state),
				c->fe_state, pvpci_ts_state_name(c->fe_state));
	if (rc)
		return ts_fail(c->err, rc, "detaching %s from domain %u: waiting for the backend: "
				"%s", c->what, c->p.domid, pvpci_errname(rc));
	return 0;
}

/* Hot: the Closing / Reconfiguring handshake for the entry. */
static int unplug(struct xs_handle *xs, struct detach_ctx *c, uint64_t deadline, int tmo)
{
	int rc;

	for (;;) {
		rc = ts_transact(xs, request_body, c);
		if (rc <= 0)
			break;
		if ((rc = detach_wait(xs, c, deadline, tmo, "before the unplug")))
			return rc;
		if (pvpci_now_ns() >= deadline)
			return ts_fail(c->err, -ETIMEDOUT, "detaching %s from domain %u: the PCI "
				       "backend kept changing state for %d ms", c->what,
				       c->p.domid, tmo);
	}
	if (rc)
		return rc;
	return detach_wait(xs, c, deadline, tmo, "after the unplug");
}

int pvpci_ts_detach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		    struct pvpci_sbdf bdf, int timeout_ms, struct pvpci_ts_err *err)
{
	struct detach_ctx c = { .bdf = bdf, .err = err };
	uint64_t deadline = ts_deadline(timeout_ms);
	int tmo = ts_timeout_ms(timeout_ms), rc;

	if (err)
		err->msg[0] = '\0';
	if (!xs)
		return ts_fail(err, -EINVAL, "no store handle given");
	ts_paths_init(&c.p, backend_domid, domid);
	pvpci_sbdf_str(bdf, c.what);
	rc = ts_transact(xs, look_body, &c);
	if (!rc && c.hot)
		rc = unplug(xs, &c, deadline, tmo);
	if (!rc)
		rc = ts_transact(xs, remove_body, &c);
	if (!rc && c.num == 1)
		return teardown(xs, &c, deadline, tmo);
	if (rc && err && !err->msg[0])
		ts_fail(err, rc, "detaching %s from domain %u: %s", c.what, domid,
			pvpci_errname(rc));
	return rc;
}
