/* SPDX-License-Identifier: MIT */
/*
 * Attach (xl pci-attach). The spec is expanded into host functions (function `*` = every
 * function of the slot the host device list has, function 0 last), each checked free.
 * Then, in one transaction: no PCI device for the guest yet -> cold-plug (both
 * directories and libxl's, with their permissions and every node); a device whose guest
 * has not connected -> the entries are appended; a connected guest with the backend
 * Connected -> the entries plus backend state 7 (hot-plug), after which the call waits
 * for the backend to be Connected again. Any other state is waited out (bounded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_priv.h"

enum attach_how { ATT_COLD_CREATE, ATT_COLD_ADD, ATT_HOT };

struct newdev {
	struct pvpci_sbdf bdf;
	int vdevfn; /* -1 = no vdevfn-N */
};

struct attach_ctx {
	struct ts_paths p;
	const struct pvpci_pci_spec *spec;
	struct newdev devs[8];
	unsigned ndevs;
	char what[PVPCI_SBDF_STRLEN + 4]; /* the spec's address, for messages */
	char opts[128];
	struct pvpci_ts_err *err;
	enum attach_how how;
	int be_state, fe_state;
};

static const char *rdm_name(enum pvpci_rdm_policy r)
{
	return r == PVPCI_RDM_RELAXED ? "relaxed" : "strict";
}

static int flag(int v)
{
	return v > 0 ? 1 : 0;
}

static bool host_has(const struct pvpci_ts_host_dev *v, size_t n, struct pvpci_sbdf a)
{
	for (size_t i = 0; i < n; i++)
		if (pvpci_sbdf_eq(v[i].bdf, a))
			return true;
	return false;
}

static void add_dev(struct attach_ctx *c, struct pvpci_sbdf a, int vdevfn)
{
	/* libxl writes vdevfn-N only when it is not 0 */
	c->devs[c->ndevs].bdf = a;
	c->devs[c->ndevs].vdevfn = vdevfn > 0 ? vdevfn : -1;
	c->ndevs++;
}

/* The host functions the spec names. */
static int expand(struct xs_handle *xs, struct attach_ctx *c)
{
	const struct pvpci_sbdf_pattern *pat = &c->spec->addr;
	struct pvpci_ts_host_dev *host;
	int vs = c->spec->vslot;
	size_t nh;
	int rc = ts_host_read(xs, XBT_NULL, c->p.host, &host, &nh);

	if (rc && rc != -ENOENT)
		return ts_fail(c->err, rc, "reading the host device list %s: %s", c->p.host,
			       pvpci_errname(rc));
	if (!pat->any_fn) {
		if (rc == 0 && !host_has(host, nh, pat->a))
			rc = ts_fail(c->err, -ENODEV,
				     "%s is not assignable: not among the host's devices (%s)",
				     c->what, c->p.host);
		else {
			add_dev(c, pat->a, vs >= 0 ? vs << 3 : -1);
			rc = 0;
		}
		free(host);
		return rc;
	}
	if (rc == -ENOENT)
		return ts_fail(c->err, -ENODEV, "cannot expand %s: no host device list (%s)",
			       c->what, c->p.host);
	for (int fn = 7; fn >= 0; fn--) {
		struct pvpci_sbdf a = pat->a;

		a.fn = (uint8_t)fn;
		if (host_has(host, nh, a))
			add_dev(c, a, vs >= 0 ? (vs << 3) | fn : -1);
	}
	free(host);
	if (!c->ndevs)
		return ts_fail(c->err, -ENODEV, "no function of %s among the host's devices (%s)",
			       c->what, c->p.host);
	return 0;
}

static int write_entry(struct xs_handle *xs, xs_transaction_t t, struct attach_ctx *c,
		       unsigned idx, const struct newdev *d)
{
	char path[TS_PATH_MAX + 16], b[PVPCI_SBDF_STRLEN];
	const char *dir = c->p.be;
	int rc;

	pvpci_sbdf_str(d->bdf, b);
	ts_key_path(path, sizeof(path), dir, "key", idx);
	if ((rc = ts_write(xs, t, path, "%s", b)))
		return rc;
	ts_key_path(path, sizeof(path), dir, "dev", idx);
	if ((rc = ts_write(xs, t, path, "%s", b)))
		return rc;
	if (d->vdevfn >= 0) {
		ts_key_path(path, sizeof(path), dir, "vdevfn", idx);
		if ((rc = ts_write(xs, t, path, "%x", (unsigned)d->vdevfn)))
			return rc;
	}
	if (c->spec->name[0]) {
		ts_key_path(path, sizeof(path), dir, "name", idx);
		if ((rc = ts_write(xs, t, path, "%s", c->spec->name)))
			return rc;
	}
	ts_key_path(path, sizeof(path), dir, "opts", idx);
	if ((rc = ts_write(xs, t, path, "%s", c->opts)))
		return rc;
	ts_key_path(path, sizeof(path), dir, "state", idx);
	return ts_write(xs, t, path, "%d", TS_XB_INITIALISING);
}

/* Append the new entries after num existing ones; hot: also backend state 7. */
static int add_entries(struct xs_handle *xs, xs_transaction_t t, struct attach_ctx *c,
		       unsigned num, bool hot)
{
	char path[TS_PATH_MAX + 16];
	int rc;

	if (num + c->ndevs > PVPCI_TS_MAX_DEVS)
		return ts_fail(c->err, -ENOSPC, "domain %u: no room for %s (%u devices, at most %u)",
			       c->p.domid, c->what, num, PVPCI_TS_MAX_DEVS);
	for (unsigned k = 0; k < c->ndevs; k++)
		if ((rc = write_entry(xs, t, c, num + k, &c->devs[k])))
			return rc;
	snprintf(path, sizeof(path), "%s/num_devs", c->p.be);
	if ((rc = ts_write(xs, t, path, "%u", num + c->ndevs)))
		return rc;
	if (!hot)
		return 0;
	snprintf(path, sizeof(path), "%s/state", c->p.be);
	return ts_write(xs, t, path, "%d", TS_XB_RECONFIGURING);
}

/* Both directories and libxl's, as libxl's device creation writes them. */
static int cold_create(struct xs_handle *xs, xs_transaction_t t, struct attach_ctx *c,
		       const char *name)
{
	const struct ts_paths *p = &c->p;
	char path[TS_PATH_MAX + 16];
	int rc;

	if ((rc = ts_rm(xs, t, p->lx)))
		return rc;
	snprintf(path, sizeof(path), "%s/frontend", p->lx);
	if ((rc = ts_write(xs, t, path, "%s", p->fe)))
		return rc;
	snprintf(path, sizeof(path), "%s/backend", p->lx);
	if ((rc = ts_write(xs, t, path, "%s", p->be)))
		return rc;

	if ((rc = ts_rm(xs, t, p->fe)) || (rc = ts_mkdir_perms(xs, t, p->fe, p->domid, p->be_domid)))
		return rc;
	snprintf(path, sizeof(path), "%s/backend", p->fe);
	if ((rc = ts_write(xs, t, path, "%s", p->be)))
		return rc;
	snprintf(path, sizeof(path), "%s/backend-id", p->fe);
	if ((rc = ts_write(xs, t, path, "%u", p->be_domid)))
		return rc;
	snprintf(path, sizeof(path), "%s/state", p->fe);
	if ((rc = ts_write(xs, t, path, "%d", TS_XB_INITIALISING)))
		return rc;

	if ((rc = ts_rm(xs, t, p->be)) || (rc = ts_mkdir_perms(xs, t, p->be, p->be_domid, p->domid)))
		return rc;
	static const char *const keys[] = { "frontend", "frontend-id", "online", "state",
					    "domain" };
	char vals[PVPCI_ARRAY_SIZE(keys)][TS_VAL_MAX];
	snprintf(vals[0], sizeof(vals[0]), "%s", p->fe);
	snprintf(vals[1], sizeof(vals[1]), "%u", p->domid);
	snprintf(vals[2], sizeof(vals[2]), "1");
	snprintf(vals[3], sizeof(vals[3]), "%d", TS_XB_INITIALISING);
	snprintf(vals[4], sizeof(vals[4]), "%s", name);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(keys); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->be, keys[i]);
		if ((rc = ts_write(xs, t, path, "%s", vals[i])))
			return rc;
	}
	return add_entries(xs, t, c, 0, false);
}

static int check_free(struct xs_handle *xs, xs_transaction_t t, struct attach_ctx *c)
{
	char b[PVPCI_SBDF_STRLEN];

	for (unsigned k = 0; k < c->ndevs; k++) {
		int owner = ts_find_owner(xs, t, c->p.be_domid, c->devs[k].bdf);

		if (owner == -ENOENT)
			continue;
		if (owner < 0)
			return owner;
		pvpci_sbdf_str(c->devs[k].bdf, b);
		if ((unsigned)owner == c->p.domid)
			return ts_fail(c->err, -EBUSY, "%s is already attached to domain %u", b,
				       c->p.domid);
		return ts_fail(c->err, -EBUSY,
			       "%s is already attached to another guest (domain %d)", b, owner);
	}
	return 0;
}

static int attach_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct attach_ctx *c = arg;
	char path[TS_PATH_MAX + 16], name[TS_VAL_MAX];
	unsigned num = 0;
	int rc;

	if (!ts_exists(xs, t, c->p.dom))
		return ts_fail(c->err, -ESRCH, "domain %u does not exist (no %s)", c->p.domid,
			       c->p.dom);
	if ((rc = check_free(xs, t, c)))
		return rc;
	if (!ts_exists(xs, t, c->p.be)) {
		snprintf(path, sizeof(path), "%s/name", c->p.dom);
		if ((rc = ts_read(xs, t, path, name, sizeof(name))))
			return ts_fail(c->err, rc, "domain %u has no usable name (%s: %s)",
				       c->p.domid, path, pvpci_errname(rc));
		c->how = ATT_COLD_CREATE;
		return cold_create(xs, t, c, name);
	}
	snprintf(path, sizeof(path), "%s/state", c->p.be);
	c->be_state = ts_read_state(xs, t, path);
	snprintf(path, sizeof(path), "%s/state", c->p.fe);
	c->fe_state = ts_read_state(xs, t, path);
	snprintf(path, sizeof(path), "%s/num_devs", c->p.be);
	rc = ts_read_uint(xs, t, path, PVPCI_TS_MAX_DEVS, &num);
	if (rc && rc != -ENOENT)
		return ts_fail(c->err, -EINVAL, "domain %u: %s is not a device count", c->p.domid,
			       path);
	if (c->be_state == TS_XB_CLOSING || c->be_state == TS_XB_CLOSED)
		return ts_fail(c->err, -ESHUTDOWN, "domain %u: its PCI device is closing (backend "
				"state %d, %s)", c->p.domid, c->be_state,
				pvpci_ts_state_name(c->be_state));
	if (!ts_fe_connected(c->fe_state) && c->be_state >= TS_XB_INITIALISING &&
	    c->be_state <= TS_XB_INITIALISED) {
		c->how = ATT_COLD_ADD;
		return add_entries(xs, t, c, num, false);
	}
	if (c->be_state == TS_XB_CONNECTED) {
		c->how = ATT_HOT;
		return add_entries(xs, t, c, num, true);
	}
	return TS_NEED_WAIT;
}

static int wait_fail(struct attach_ctx *c, int rc, int timeout_ms, const char *doing)
{
	if (rc == -ETIMEDOUT)
		return ts_fail(c->err, rc, "%s %s, domain %u: the PCI backend was not Connected "
				"within %d ms (backend state %d %s, frontend state %d %s); is the "
				"backend running?", doing, c->what, c->p.domid, timeout_ms,
				c->be_state, pvpci_ts_state_name(c->be_state), c->fe_state,
				pvpci_ts_state_name(c->fe_state));
	if (rc == -ESHUTDOWN)
		return ts_fail(c->err, rc, "%s %s, domain %u: the PCI device is closing (backend "
				"state %d)", doing, c->what, c->p.domid, c->be_state);
	return ts_fail(c->err, rc, "%s %s, domain %u: waiting for the backend: %s", doing,
		       c->what, c->p.domid, pvpci_errname(rc));
}

/* Wait for backend Connected, recording both states for the messages. */
static int wait_connected(struct xs_handle *xs, struct attach_ctx *c, uint64_t deadline)
{
	char path[TS_PATH_MAX + 16];
	int rc;

	snprintf(path, sizeof(path), "%s/state", c->p.be);
	rc = ts_wait_state(xs, path, TS_XB_CONNECTED, deadline, &c->be_state);
	snprintf(path, sizeof(path), "%s/state", c->p.fe);
	c->fe_state = ts_read_state(xs, XBT_NULL, path);
	return rc;
}

static int attach_ctx_init(struct attach_ctx *c, unsigned be, unsigned domid,
			   const struct pvpci_pci_spec *spec, struct pvpci_ts_err *err)
{
	const struct pvpci_sbdf_pattern *pat = &spec->addr;

	memset(c, 0, sizeof(*c));
	ts_paths_init(&c->p, be, domid);
	c->spec = spec;
	c->err = err;
	if (pat->any_fn)
		snprintf(c->what, sizeof(c->what), "%04x:%02x:%02x.*", pat->a.seg, pat->a.bus,
			 pat->a.dev);
	else
		pvpci_sbdf_str(pat->a, c->what);
	snprintf(c->opts, sizeof(c->opts), "msitranslate=%d,power_mgmt=%d,permissive=%d,"
		 "rdm_policy=%s", flag(spec->msitranslate), flag(spec->power_mgmt),
		 flag(spec->permissive), rdm_name(spec->rdm_policy));
	if (pat->any_dev || pat->a.dev > 31 || pat->a.fn > 7 || spec->vslot > 31)
		return ts_fail(err, -EINVAL, "%s: a PCI spec names one slot", c->what);
	if (domid == be || domid > PVPCI_DOMID_MAX)
		return ts_fail(err, -EINVAL, "cannot attach %s to domain %u", c->what, domid);
	return 0;
}

int pvpci_ts_attach(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		    const struct pvpci_pci_spec *spec, int timeout_ms, struct pvpci_ts_err *err)
{
	struct attach_ctx c;
	uint64_t deadline = ts_deadline(timeout_ms);
	int rc;

	if (err)
		err->msg[0] = '\0';
	if (!xs || !spec)
		return ts_fail(err, -EINVAL, "no store handle or PCI spec given");
	if ((rc = attach_ctx_init(&c, backend_domid, domid, spec, err)) ||
	    (rc = expand(xs, &c)))
		return rc;
	for (;;) {
		rc = ts_transact(xs, attach_body, &c);
		if (rc < 0)
			break;
		if (rc == 0 && c.how != ATT_HOT)
			return 0;
		if (rc == 0) {
			rc = wait_connected(xs, &c, deadline);
			return rc ? wait_fail(&c, rc, ts_timeout_ms(timeout_ms), "hot-plug of") : 0;
		}
		rc = wait_connected(xs, &c, deadline);
		if (rc == -ENOENT && pvpci_now_ns() < deadline)
			continue; /* the device went away meanwhile: create it */
		if (!rc && pvpci_now_ns() >= deadline)
			rc = -ETIMEDOUT; /* the backend kept leaving Connected */
		if (rc)
			return wait_fail(&c, rc, ts_timeout_ms(timeout_ms), "attaching");
	}
	if (err && !err->msg[0])
		ts_fail(err, rc, "attaching %s to domain %u: %s", c.what, domid, pvpci_errname(rc));
	return rc;
}

int pvpci_ts_attach_str(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
			const char *spec, int timeout_ms, struct pvpci_ts_err *err)
{
	struct pvpci_pci_spec sp;
	struct pvpci_parse_err perr = { 0 };

	if (err)
		err->msg[0] = '\0';
	if (!spec)
		return ts_fail(err, -EINVAL, "no PCI spec given");
	if (pvpci_pci_spec_parse(spec, &sp, &perr))
		return ts_fail(err, -EINVAL, "bad PCI spec '%.80s': %s", spec, perr.msg);
	return pvpci_ts_attach(xs, backend_domid, domid, &sp, timeout_ms, err);
}
