/* SPDX-License-Identifier: MIT */
/*
 * List (xl pci-list): a guest's PCI functions as the store has them, read in one
 * transaction so a concurrent attach or detach is seen whole or not at all. The backend's
 * vdev-N ("%04x:%02x:%02x.%02x") gives the address the guest sees once it is published.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_priv.h"

struct list_ctx {
	struct ts_paths p;
	struct pvpci_ts_entry *v;
	size_t n;
	struct pvpci_ts_err *err;
};

/* vdev-N: "%04x:%02x:%02x.%02x" (the function printed with two digits). */
static bool parse_vdev(const char *s, struct pvpci_sbdf *a)
{
	unsigned seg, bus, dev, fn;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%2x%c", &seg, &bus, &dev, &fn, &tail) != 4)
		return false;
	if (dev > 31 || fn > 7)
		return false;
	a->seg = (uint16_t)seg;
	a->bus = (uint8_t)bus;
	a->dev = (uint8_t)dev;
	a->fn = (uint8_t)fn;
	return true;
}

static int read_entry(struct xs_handle *xs, xs_transaction_t t, const char *dir, unsigned i,
		      struct pvpci_ts_entry *e)
{
	char path[TS_PATH_MAX + 16], val[TS_VAL_MAX];
	unsigned v;

	memset(e, 0, sizeof(*e));
	e->index = i;
	ts_key_path(path, sizeof(path), dir, "dev", i);
	if (ts_read(xs, t, path, val, sizeof(val)) || pvpci_sbdf_parse(val, &e->bdf, NULL))
		return -EINVAL;
	ts_key_path(path, sizeof(path), dir, "vdev", i);
	if (ts_read(xs, t, path, val, sizeof(val)) == 0)
		e->has_vdev = parse_vdev(val, &e->vdev);
	ts_key_path(path, sizeof(path), dir, "state", i);
	e->state = ts_read_state(xs, t, path);
	ts_key_path(path, sizeof(path), dir, "vdevfn", i);
	e->vdevfn = -1;
	if (ts_read(xs, t, path, val, sizeof(val)) == 0 && sscanf(val, "%x", &v) == 1 &&
	    v <= 0xff)
		e->vdevfn = (int)v;
	ts_key_path(path, sizeof(path), dir, "opts", i);
	if (ts_read(xs, t, path, e->opts, sizeof(e->opts)))
		e->opts[0] = '\0';
	ts_key_path(path, sizeof(path), dir, "name", i);
	if (ts_read(xs, t, path, e->name, sizeof(e->name)))
		e->name[0] = '\0';
	return 0;
}

static int list_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct list_ctx *c = arg;
	char path[TS_PATH_MAX + 16];
	unsigned num;
	int rc;

	free(c->v);
	c->v = NULL;
	c->n = 0;
	if (!ts_exists(xs, t, c->p.dom))
		return ts_fail(c->err, -ESRCH, "domain %u does not exist (no %s)", c->p.domid,
			       c->p.dom);
	if (!ts_exists(xs, t, c->p.be))
		return 0;
	snprintf(path, sizeof(path), "%s/num_devs", c->p.be);
	if (ts_read_uint(xs, t, path, PVPCI_TS_MAX_DEVS, &num))
		return ts_fail(c->err, -EINVAL, "domain %u: %s is not a device count", c->p.domid,
			       path);
	if (!num)
		return 0;
	c->v = calloc(num, sizeof(*c->v));
	if (!c->v)
		return -ENOMEM;
	for (unsigned i = 0; i < num; i++) {
		rc = read_entry(xs, t, c->p.be, i, &c->v[i]);
		if (rc)
			return ts_fail(c->err, rc, "domain %u: entry %u (dev-%u) is not a device",
				       c->p.domid, i, i);
	}
	c->n = num;
	return 0;
}

int pvpci_ts_list(struct xs_handle *xs, unsigned backend_domid, unsigned domid,
		  struct pvpci_ts_entry **out, size_t *n, struct pvpci_ts_err *err)
{
	struct list_ctx c = { .err = err };
	int rc;

	if (err)
		err->msg[0] = '\0';
	if (!xs || !out || !n)
		return ts_fail(err, -EINVAL, "no store handle or output given");
	*out = NULL;
	*n = 0;
	ts_paths_init(&c.p, backend_domid, domid);
	rc = ts_transact(xs, list_body, &c);
	if (rc) {
		free(c.v);
		if (err && !err->msg[0])
			ts_fail(err, rc, "listing the PCI devices of domain %u: %s", domid,
				pvpci_errname(rc));
		return rc;
	}
	if (!c.n) {
		free(c.v);
		c.v = NULL;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
