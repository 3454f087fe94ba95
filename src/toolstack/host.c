/* SPDX-License-Identifier: MIT */
/*
 * The local platform's list of the host's devices: one node per device the backend
 * serves, /local/domain/<be>/pvpci/devices/<dddd-bb-dd-f> = model path
 * (PVPCI_TS_HOST_DEVICES_FMT, names in libxl's PVPCI_TS_BDF_XSPATH spelling).
 * The backend publishes it; the toolstack reads it to check that a function is assignable,
 * to expand function `*`, and for `pvpci assignable-list` (with the guest each device is
 * attached to, found in the backend's per-guest directories).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/platform.h"
#include "ts_priv.h"

#define HOST_MAX_DEVS 4096u

int pvpci_ts_bdf_from_xs(const char *name, struct pvpci_sbdf *out)
{
	char canon[PVPCI_SBDF_STRLEN];
	unsigned seg, bus, dev, fn;
	int end = 0;

	if (!name || strlen(name) != 12 ||
	    sscanf(name, "%4x-%2x-%2x-%1x%n", &seg, &bus, &dev, &fn, &end) != 4 || end != 12 ||
	    dev > 31 || fn > 7)
		return -EINVAL;
	snprintf(canon, sizeof(canon), PVPCI_TS_BDF_XSPATH, seg, bus, dev, fn);
	if (strcmp(canon, name)) /* only the canonical spelling (no signs, spaces, case) */
		return -EINVAL;
	out->seg = (uint16_t)seg;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
}

static int cmp_host(const void *a, const void *b)
{
	uint32_t x = pvpci_sbdf_pack(((const struct pvpci_ts_host_dev *)a)->bdf);
	uint32_t y = pvpci_sbdf_pack(((const struct pvpci_ts_host_dev *)b)->bdf);

	return x < y ? -1 : x > y;
}

int ts_host_read(struct xs_handle *xs, xs_transaction_t t, const char *dir,
		 struct pvpci_ts_host_dev **out, size_t *n)
{
	char path[TS_PATH_MAX + 32];
	struct pvpci_ts_host_dev *v;
	unsigned nn = 0;
	size_t k = 0;
	char **names;

	*out = NULL;
	*n = 0;
	errno = 0;
	names = xs_directory(xs, t, dir, &nn);
	if (!names)
		return errno ? -errno : -EIO;
	if (nn > HOST_MAX_DEVS)
		nn = HOST_MAX_DEVS;
	v = calloc(nn ? nn : 1, sizeof(*v));
	if (!v) {
		free(names);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nn; i++) {
		struct pvpci_ts_host_dev *d = &v[k];

		if (pvpci_ts_bdf_from_xs(names[i], &d->bdf))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ts_read(xs, t, path, d->model, sizeof(d->model)))
			d->model[0] = '\0';
		d->domid = -1;
		k++;
	}
	free(names);
	qsort(v, k, sizeof(*v), cmp_host);
	*out = v;
	*n = k;
	return 0;
}

struct host_ctx {
	unsigned be;
	struct pvpci_ts_host_dev *v;
	size_t n;
};

static int host_body(struct xs_handle *xs, xs_transaction_t t, void *arg)
{
	struct host_ctx *c = arg;
	char dir[TS_PATH_MAX];
	int rc;

	free(c->v);
	c->v = NULL;
	snprintf(dir, sizeof(dir), PVPCI_TS_HOST_DEVICES_FMT, c->be);
	rc = ts_host_read(xs, t, dir, &c->v, &c->n);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->n; i++) {
		rc = ts_find_owner(xs, t, c->be, c->v[i].bdf);
		if (rc >= 0)
			c->v[i].domid = rc;
		else if (rc != -ENOENT)
			return rc;
	}
	return 0;
}

int pvpci_ts_host_devices(struct xs_handle *xs, unsigned backend_domid,
			  struct pvpci_ts_host_dev **out, size_t *n, struct pvpci_ts_err *err)
{
	struct host_ctx c = { .be = backend_domid };
	int rc;

	if (err)
		err->msg[0] = '\0';
	if (!xs || !out || !n)
		return ts_fail(err, -EINVAL, "no store handle or output given");
	*out = NULL;
	*n = 0;
	rc = ts_transact(xs, host_body, &c);
	if (rc) {
		free(c.v);
		if (rc == -ENOENT)
			return ts_fail(err, rc, "no host device list published under "
					       PVPCI_TS_HOST_DEVICES_FMT " (is the backend running?)",
				       backend_domid);
		return ts_fail(err, rc, "reading the host device list of domain %u: %s",
			       backend_domid, pvpci_errname(rc));
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

int pvpci_ts_host_publish(struct xs_handle *xs, unsigned backend_domid, struct pvpci_sbdf bdf,
			  const char *model)
{
	char dir[TS_PATH_MAX], path[TS_PATH_MAX + PVPCI_SBDF_STRLEN];
	struct xs_permissions perm = { .id = backend_domid, .perms = XS_PERM_NONE };

	if (!xs || !model || strlen(model) >= sizeof(((struct pvpci_ts_host_dev *)0)->model))
		return -EINVAL;
	snprintf(dir, sizeof(dir), PVPCI_TS_HOST_DEVICES_FMT, backend_domid);
	if (!ts_exists(xs, XBT_NULL, dir)) {
		errno = 0;
		if (!xs_mkdir(xs, XBT_NULL, dir) ||
		    !xs_set_permissions(xs, XBT_NULL, dir, &perm, 1))
			return errno ? -errno : -EIO;
	}
	snprintf(path, sizeof(path), "%s/" PVPCI_TS_BDF_XSPATH, dir, bdf.seg, bdf.bus, bdf.dev,
		 bdf.fn);
	return ts_write(xs, XBT_NULL, path, "%s", model);
}

int pvpci_ts_host_unpublish(struct xs_handle *xs, unsigned backend_domid,
			    struct pvpci_sbdf bdf)
{
	char path[TS_PATH_MAX + PVPCI_SBDF_STRLEN];

	if (!xs)
		return -EINVAL;
	snprintf(path, sizeof(path), PVPCI_TS_HOST_DEVICES_FMT "/" PVPCI_TS_BDF_XSPATH,
		 backend_domid, bdf.seg, bdf.bus, bdf.dev, bdf.fn);
	return ts_rm(xs, XBT_NULL, path);
}
