/* SPDX-License-Identifier: MIT */
/*
 * vPCI assignments on the local platform (`pvpci attach / detach / list --vpci`): the
 * store nodes the vPCI ioreq server reads (include/pvpci/vpci.h, docs/VPCI.md). Attach
 * checks that every function is free (PV or vPCI, any guest of the backend domain) and,
 * in one transaction, creates the backend, frontend and libxl directories (first device)
 * or appends dev-N / state-N=1 / vslot-N entries; when a server is running it then waits
 * (bounded) for each entry to be taken (state-N 4) or refused (state-N 6: the entry is
 * rolled back and error-N reported). Detach asks the server to release an assigned device
 * (state-N 5, wait for 6; removed anyway after the timeout, with a warning), then removes
 * the entry and renumbers the ones after it; the last one takes the directories with it
 * (a connected guest is closed first: online=0, state 5, wait for 6).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/vpci.h"
#include "ts_priv.h"

static const char *const vkeys[] = { "state", "dev", "vdev", "vslot", "error" };

struct vpaths {
	unsigned be_domid, domid;
	char dom[TS_PATH_MAX], be[TS_PATH_MAX], be_up[TS_PATH_MAX], fe[TS_PATH_MAX],
		fe_up[TS_PATH_MAX], lx[TS_PATH_MAX], lx_up[TS_PATH_MAX], lx_up2[TS_PATH_MAX],
		host[TS_PATH_MAX];
};

static void vpaths_init(struct vpaths *p, unsigned be, unsigned domid)
{
	p->be_domid = be;
	p->domid = domid;
	snprintf(p->dom, sizeof(p->dom), "/local/domain/%u", domid);
	snprintf(p->be, sizeof(p->be), PVPCI_VPCI_BE_FMT, be, domid);
	snprintf(p->be_up, sizeof(p->be_up), PVPCI_VPCI_BE_ALL_FMT "/%u", be, domid);
	snprintf(p->fe, sizeof(p->fe), PVPCI_VPCI_FE_FMT, domid);
	snprintf(p->fe_up, sizeof(p->fe_up), "/local/domain/%u/device/vpci", domid);
	snprintf(p->lx, sizeof(p->lx), "/libxl/%u/device/vpci/0", domid);
	snprintf(p->lx_up, sizeof(p->lx_up), "/libxl/%u/device/vpci", domid);
	snprintf(p->lx_up2, sizeof(p->lx_up2), "/libxl/%u/device", domid);
	snprintf(p->host, sizeof(p->host), PVPCI_TS_HOST_DEVICES_FMT, be);
}

/* ---- Entries ---- */

/* The index of bdf among the entries, or -ENOENT; *num gets num_devs. */
static int find_entry(struct xs_handle *xs, xs_transaction_t t, const struct vpaths *p,
		      struct pvpci_sbdf bdf, unsigned *num)
{
	char path[TS_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/num_devs", p->be);
	if (ts_read_uint(xs, t, path, PVPCI_TS_MAX_DEVS, num))
		*num = 0;
	return ts_find_dev(xs, t, p->be, *num, bdf);
}

static int entry_state(struct xs_handle *xs, xs_transaction_t t, const struct vpaths *p,
		       unsigned i)
{
	char path[TS_PATH_MAX + 16];

	ts_key_path(path, sizeof(path), p->be, "state", i);
	return ts_read_state(xs, t, path);
}

struct rm_ctx {
	const struct vpaths *p;
	struct pvpci_sbdf bdf;
	unsigned left; /* entries after the removal */
};

/* Delete bdf's entry, move j > i down to j - 1, num_devs - 1. */
static int remove_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct rm_ctx *c = arg;
	char src[TS_PATH_MAX + 16], dst[TS_PATH_MAX + 16], val[TS_VAL_MAX];
	unsigned num;
	int i = find_entry(xs, t, c->p, c->bdf, &num), rc;

	if (i < 0)
		return i;
	for (unsigned k = 0; k < PVPCI_ARRAY_SIZE(vkeys); k++) {
		ts_key_path(src, sizeof(src), c->p->be, vkeys[k], (unsigned)i);
		if ((rc = ts_rm(xs, t, src)))
			return rc;
	}
	for (unsigned j = (unsigned)i + 1; j < num; j++)
		for (unsigned k = 0; k < PVPCI_ARRAY_SIZE(vkeys); k++) {
			ts_key_path(src, sizeof(src), c->p->be, vkeys[k], j);
			ts_key_path(dst, sizeof(dst), c->p->be, vkeys[k], j - 1);
			rc = ts_read(xs, t, src, val, sizeof(val));
			if (rc == -ENOENT)
				continue;
			if (rc || (rc = ts_write(xs, t, dst, "%s", val)) ||
			    (rc = ts_rm(xs, t, src)))
				return rc;
		}
	snprintf(src, sizeof(src), "%s/num_devs", c->p->be);
	c->left = num - 1;
	return ts_write(xs, t, src, "%u", num - 1);
}

/* Wait until bdf's entry leaves state from (or goes away): its state, -ENOENT, or
 * -ETIMEDOUT. The entry is looked up again each time (others may renumber). */
static int wait_entry(struct xs_handle *xs, const struct vpaths *p, struct pvpci_sbdf bdf,
		      int from, uint64_t deadline)
{
	char token[48];
	int fd = xs_fileno(xs), st = -ETIMEDOUT;

	snprintf(token, sizeof(token), "pvpci-ts-vpci-%p", (void *)&token);
	if (!xs_watch(xs, p->be, token))
		return errno ? -errno : -EIO;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = pvpci_now_ns();
		unsigned num;
		int i = find_entry(xs, XBT_NULL, p, bdf, &num);
		char **ev;

		if (i < 0) {
			st = i;
			break;
		}
		st = entry_state(xs, XBT_NULL, p, (unsigned)i);
		if (st != from)
			break;
		if (now >= deadline) {
			st = -ETIMEDOUT;
			break;
		}
		uint64_t ms = (deadline - now) / 1000000u + 1;
		if (poll(&pfd, 1, ms > 50 ? 50 : (int)ms) > 0)
			while ((ev = xs_check_watch(xs)) != NULL)
				free(ev);
	}
	xs_unwatch(xs, p->be, token);
	return st;
}

/* ---- Attach ---- */

struct vattach {
	struct vpaths p;
	struct pvpci_sbdf devs[8];
	unsigned ndevs;
	int vslot;
	char what[PVPCI_SBDF_STRLEN + 4];
	struct pvpci_ts_err *err;
};

static bool host_has(const struct pvpci_ts_host_dev *v, size_t n, struct pvpci_sbdf a)
{
	for (size_t i = 0; i < n; i++)
		if (pvpci_sbdf_eq(v[i].bdf, a))
			return true;
	return false;
}

/* The functions the spec names (function `*`: every one the host list has). */
static int vexpand(struct xs_handle *xs, struct vattach *c, const struct pvpci_sbdf_pattern *pat)
{
	struct pvpci_ts_host_dev *host = NULL;
	size_t nh = 0;
	int rc = ts_host_read(xs, XBT_NULL, c->p.host, &host, &nh);

	if (rc && rc != -ENOENT)
		return ts_fail(c->err, rc, "reading the host device list %s: %s", c->p.host,
			       pvpci_errname(rc));
	if (!pat->any_fn) {
		if (rc == 0 && !host_has(host, nh, pat->a))
			rc = ts_fail(c->err, -ENODEV, "%s is not assignable: not among the host's "
				     "devices (%s)", c->what, c->p.host);
		else {
			c->devs[c->ndevs++] = pat->a;
			rc = 0;
		}
		free(host);
		return rc;
	}
	for (int fn = 0; rc == 0 && fn < 8; fn++) {
		struct pvpci_sbdf a = pat->a;

		a.fn = (uint8_t)fn;
		if (host_has(host, nh, a))
			c->devs[c->ndevs++] = a;
	}
	free(host);
	if (!c->ndevs)
		return ts_fail(c->err, -ENODEV, "no function of %s among the host's devices (%s)",
			       c->what, c->p.host);
	return 0;
}

static int cold_create(struct xs_handle *xs, xs_transaction_t t, const struct vpaths *p)
{
	char path[TS_PATH_MAX + 16], name[TS_VAL_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/name", p->dom);
	if ((rc = ts_read(xs, t, path, name, sizeof(name))))
		return rc;
	if ((rc = ts_rm(xs, t, p->lx)) || (rc = ts_rm(xs, t, p->fe)) ||
	    (rc = ts_mkdir_perms(xs, t, p->fe, p->domid, p->be_domid)) ||
	    (rc = ts_mkdir_perms(xs, t, p->be, p->be_domid, p->domid)))
		return rc;
	const char *const nodes[][2] = {
		{ p->lx, "frontend" }, { p->lx, "backend" },
		{ p->fe, "backend" }, { p->fe, "backend-id" }, { p->fe, "state" },
		{ p->be, "frontend" }, { p->be, "frontend-id" }, { p->be, "online" },
		{ p->be, "state" }, { p->be, "domain" },
	};
	char ids[2][16];
	snprintf(ids[0], sizeof(ids[0]), "%u", p->be_domid);
	snprintf(ids[1], sizeof(ids[1]), "%u", p->domid);
	const char *const vals[] = { p->fe, p->be, p->be, ids[0], "1", p->fe, ids[1], "1", "1",
				     name };
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(vals); i++) {
		snprintf(path, sizeof(path), "%s/%s", nodes[i][0], nodes[i][1]);
		if ((rc = ts_write(xs, t, path, "%s", vals[i])))
			return rc;
	}
	return 0;
}

static int vattach_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct vattach *c = arg;
	char path[TS_PATH_MAX + 16], b[PVPCI_SBDF_STRLEN];
	unsigned num = 0;
	int rc, st;

	if (!ts_exists(xs, t, c->p.dom))
		return ts_fail(c->err, -ESRCH, "domain %u does not exist (no %s)", c->p.domid,
			       c->p.dom);
	for (unsigned k = 0; k < c->ndevs; k++) {
		int owner = ts_find_owner(xs, t, c->p.be_domid, c->devs[k]);

		if (owner == -ENOENT)
			continue;
		if (owner < 0)
			return owner;
		return ts_fail(c->err, -EBUSY, "%s is already attached to %s (domain %d)",
			       pvpci_sbdf_str(c->devs[k], b),
			       (unsigned)owner == c->p.domid ? "this guest" : "another guest", owner);
	}
	if (!ts_exists(xs, t, c->p.be)) {
		if ((rc = cold_create(xs, t, &c->p)))
			return ts_fail(c->err, rc, "domain %u: cannot create its vPCI device: %s",
				       c->p.domid, pvpci_errname(rc));
	} else {
		snprintf(path, sizeof(path), "%s/state", c->p.be);
		st = ts_read_state(xs, t, path);
		if (st == TS_XB_CLOSING)
			return ts_fail(c->err, -ESHUTDOWN, "domain %u: its vPCI device is closing",
				       c->p.domid);
		snprintf(path, sizeof(path), "%s/num_devs", c->p.be);
		if (ts_read_uint(xs, t, path, PVPCI_TS_MAX_DEVS, &num))
			return ts_fail(c->err, -EINVAL, "domain %u: %s is not a device count",
				       c->p.domid, path);
	}
	if (num + c->ndevs > PVPCI_TS_MAX_DEVS)
		return ts_fail(c->err, -ENOSPC, "domain %u: no room for %s", c->p.domid, c->what);
	for (unsigned k = 0; k < c->ndevs; k++) {
		ts_key_path(path, sizeof(path), c->p.be, "dev", num + k);
		if ((rc = ts_write(xs, t, path, "%s", pvpci_sbdf_str(c->devs[k], b))))
			return rc;
		ts_key_path(path, sizeof(path), c->p.be, "vslot", num + k);
		if (c->vslot >= 0 && (rc = ts_write(xs, t, path, "%d", c->vslot)))
			return rc;
		ts_key_path(path, sizeof(path), c->p.be, "state", num + k);
		if ((rc = ts_write(xs, t, path, "%d", PVPCI_VPCI_DEV_REQUESTED)))
			return rc;
	}
	snprintf(path, sizeof(path), "%s/num_devs", c->p.be);
	return ts_write(xs, t, path, "%u", num + c->ndevs);
}

/* A running server takes each new entry: wait; a refusal rolls the entry back. */
static int vattach_wait(struct xs_handle *xs, struct vattach *c, uint64_t deadline)
{
	char path[TS_PATH_MAX + 16], why[TS_VAL_MAX] = "", b[PVPCI_SBDF_STRLEN];
	int be;

	snprintf(path, sizeof(path), "%s/state", c->p.be);
	be = ts_read_state(xs, XBT_NULL, path);
	if (be == TS_XB_INITIALISING && !ts_exists(xs, XBT_NULL, c->p.host))
		return 0; /* no server runs yet: it takes the entries when it starts */
	for (unsigned k = 0; k < c->ndevs; k++) {
		int st = wait_entry(xs, &c->p, c->devs[k], PVPCI_VPCI_DEV_REQUESTED, deadline);
		struct rm_ctx rm = { &c->p, c->devs[k], 0 };
		unsigned num;
		int i;

		pvpci_sbdf_str(c->devs[k], b);
		if (st == -ETIMEDOUT)
			return ts_fail(c->err, 0, "%s: the vPCI server has not taken it yet (is "
				       "pvpci backend running?)", b);
		if (st != PVPCI_VPCI_DEV_RELEASED)
			continue;
		i = find_entry(xs, XBT_NULL, &c->p, c->devs[k], &num);
		if (i >= 0) {
			ts_key_path(path, sizeof(path), c->p.be, "error", (unsigned)i);
			(void)ts_read(xs, XBT_NULL, path, why, sizeof(why));
		}
		(void)ts_transact(xs, remove_body, &rm);
		return ts_fail(c->err, -EBUSY, "%s: the vPCI server refused it for domain %u: %s",
			       b, c->p.domid, why[0] ? why : "no reason given");
	}
	return 0;
}

int pvpci_ts_vpci_attach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
			 const struct pvpci_pci_spec *spec, int timeout_ms,
			 struct pvpci_ts_err *err)
{
	struct vattach c = { .err = err };
	const struct pvpci_sbdf_pattern *pat;
	int rc;

	if (err)
		err->msg[0] = '\0';
	if (!xs || !spec)
		return ts_fail(err, -EINVAL, "no store handle or PCI spec given");
	pat = &spec->addr;
	vpaths_init(&c.p, backend_domid, domid);
	c.vslot = spec->vslot;
	if (pat->any_fn)
		snprintf(c.what, sizeof(c.what), "%04x:%02x:%02x.*", pat->a.seg, pat->a.bus,
			 pat->a.dev);
	else
		pvpci_sbdf_str(pat->a, c.what);
	if (pat->any_dev || pat->a.dev > 31 || pat->a.fn > 7 || spec->vslot > 31)
		return ts_fail(err, -EINVAL, "%s: a PCI spec names one slot", c.what);
	if (domid == backend_domid || domid > PVPCI_DOMID_MAX)
		return ts_fail(err, -EINVAL, "cannot attach %s to domain %u", c.what, domid);
	if ((rc = vexpand(xs, &c, pat)))
		return rc;
	rc = ts_transact(xs, vattach_body, &c);
	if (rc) {
		if (err && !err->msg[0])
			ts_fail(err, rc, "attaching %s to domain %u: %s", c.what, domid,
				pvpci_errname(rc));
		return rc;
	}
	return vattach_wait(xs, &c, ts_deadline(timeout_ms));
}

/* ---- Detach ---- */

static int last_teardown(struct xs_handle *xs, const struct vpaths *p, uint64_t deadline,
			 struct pvpci_ts_err *err)
{
	char path[TS_PATH_MAX + 16];
	int st, rc = 0;

	snprintf(path, sizeof(path), "%s/state", p->be);
	if (ts_read_state(xs, XBT_NULL, path) == TS_XB_CONNECTED) {
		char on[TS_PATH_MAX + 16];

		snprintf(on, sizeof(on), "%s/online", p->be);
		if (!ts_write(xs, XBT_NULL, on, "0") &&
		    !ts_write(xs, XBT_NULL, path, "%d", TS_XB_CLOSING) &&
		    ts_wait_state(xs, path, TS_XB_CLOSED, deadline, &st) == -ETIMEDOUT)
			ts_fail(err, 0, "domain %u: the vPCI server did not close within the "
				"timeout (backend state %d); removed it anyway", p->domid, st);
	}
	const char *const gone[] = { p->be, p->fe, p->lx };
	const char *const parents[] = { p->be_up, p->fe_up, p->lx_up, p->lx_up2 };
	for (size_t i = 0; !rc && i < PVPCI_ARRAY_SIZE(gone); i++)
		rc = ts_rm(xs, XBT_NULL, gone[i]);
	for (size_t i = 0; !rc && i < PVPCI_ARRAY_SIZE(parents); i++)
		rc = ts_rm_if_empty(xs, XBT_NULL, parents[i]);
	return rc;
}

int pvpci_ts_vpci_detach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
			 struct pvpci_sbdf bdf, int timeout_ms, struct pvpci_ts_err *err)
{
	uint64_t deadline = ts_deadline(timeout_ms);
	struct vpaths p;
	struct rm_ctx rm = { &p, bdf, 0 };
	char b[PVPCI_SBDF_STRLEN], path[TS_PATH_MAX + 16];
	unsigned num;
	int i, st, rc;

	if (err)
		err->msg[0] = '\0';
	if (!xs)
		return ts_fail(err, -EINVAL, "no store handle given");
	vpaths_init(&p, backend_domid, domid);
	pvpci_sbdf_str(bdf, b);
	i = find_entry(xs, XBT_NULL, &p, bdf, &num);
	if (i < 0)
		return ts_fail(err, -ENOENT, "%s is not attached to domain %u through vPCI", b,
			       domid);
	if (entry_state(xs, XBT_NULL, &p, (unsigned)i) == PVPCI_VPCI_DEV_ASSIGNED) {
		ts_key_path(path, sizeof(path), p.be, "state", (unsigned)i);
		if ((rc = ts_write(xs, XBT_NULL, path, "%d", PVPCI_VPCI_DEV_DETACHING)))
			return ts_fail(err, rc, "%s, domain %u: %s", b, domid, pvpci_errname(rc));
		st = wait_entry(xs, &p, bdf, PVPCI_VPCI_DEV_DETACHING, deadline);
		if (st == -ETIMEDOUT)
			ts_fail(err, 0, "%s, domain %u: the vPCI server did not release it within "
				"%d ms; removed anyway", b, domid, ts_timeout_ms(timeout_ms));
	}
	rc = ts_transact(xs, remove_body, &rm);
	if (rc)
		return ts_fail(err, rc, "%s, domain %u: cannot remove the entry: %s", b, domid,
			       pvpci_errname(rc));
	if (rm.left == 0 && (rc = last_teardown(xs, &p, deadline, err)))
		return ts_fail(err, rc, "domain %u: cannot remove its vPCI device: %s", domid,
			       pvpci_errname(rc));
	return 0;
}

/* ---- List ---- */

int pvpci_ts_vpci_list(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		       struct pvpci_ts_vpci_entry **out, size_t *n, struct pvpci_ts_err *err)
{
	char path[TS_PATH_MAX + 16], val[TS_VAL_MAX];
	struct pvpci_ts_vpci_entry *v;
	struct vpaths p;
	unsigned num = 0;
	size_t k = 0;

	if (err)
		err->msg[0] = '\0';
	if (!xs || !out || !n)
		return ts_fail(err, -EINVAL, "no store handle or output given");
	*out = NULL;
	*n = 0;
	vpaths_init(&p, backend_domid, domid);
	if (!ts_exists(xs, XBT_NULL, p.dom))
		return ts_fail(err, -ESRCH, "domain %u does not exist", domid);
	snprintf(path, sizeof(path), "%s/num_devs", p.be);
	if (ts_read_uint(xs, XBT_NULL, path, PVPCI_TS_MAX_DEVS, &num) || !num)
		return 0;
	v = calloc(num, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned i = 0; i < num; i++) {
		struct pvpci_ts_vpci_entry *e = &v[k];
		unsigned vs;

		ts_key_path(path, sizeof(path), p.be, "dev", i);
		if (ts_read(xs, XBT_NULL, path, val, sizeof(val)) ||
		    pvpci_sbdf_parse(val, &e->bdf, NULL))
			continue;
		e->index = i;
		e->state = entry_state(xs, XBT_NULL, &p, i);
		ts_key_path(path, sizeof(path), p.be, "vdev", i);
		e->has_vdev = !ts_read(xs, XBT_NULL, path, val, sizeof(val)) &&
			      !pvpci_sbdf_parse(val, &e->vdev, NULL);
		ts_key_path(path, sizeof(path), p.be, "vslot", i);
		e->vslot = ts_read_uint(xs, XBT_NULL, path, 31, &vs) ? -1 : (int)vs;
		ts_key_path(path, sizeof(path), p.be, "error", i);
		if (ts_read(xs, XBT_NULL, path, e->error, sizeof(e->error)))
			e->error[0] = '\0';
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}
