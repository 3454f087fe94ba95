/* SPDX-License-Identifier: MIT */
/*
 * Toolstack helpers: paths, bounded reads of store nodes into private buffers, writes,
 * removals, a bounded-retry transaction runner, waiting on a state node (a watch on the
 * node plus a deadline; the state is re-read on every wake-up and at least every 100 ms,
 * so a lost event costs latency, never correctness), and the searches for a BDF among a
 * guest's dev-N entries and among every guest served by a backend domain.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_priv.h"

const char *const ts_dev_keys[] = { "state", "key", "dev", "vdev", "opts", "vdevfn", "name" };
const unsigned ts_ndev_keys = PVPCI_ARRAY_SIZE(ts_dev_keys);

static const char *const state_names[] = {
	"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured",
};

const char *pvpci_ts_state_name(int state)
{
	if (state < 0 || (size_t)state >= PVPCI_ARRAY_SIZE(state_names))
		return "unknown";
	return state_names[state];
}

void ts_paths_init(struct ts_paths *p, unsigned be, unsigned domid)
{
	p->be_domid = be;
	p->domid = domid;
	snprintf(p->dom, sizeof(p->dom), "/local/domain/%u", domid);
	snprintf(p->be_all, sizeof(p->be_all), "/local/domain/%u/backend/pci", be);
	snprintf(p->be_up, sizeof(p->be_up), "/local/domain/%u/backend/pci/%u", be, domid);
	snprintf(p->be, sizeof(p->be), "/local/domain/%u/backend/pci/%u/0", be, domid);
	snprintf(p->fe_up, sizeof(p->fe_up), "/local/domain/%u/device/pci", domid);
	snprintf(p->fe, sizeof(p->fe), "/local/domain/%u/device/pci/0", domid);
	snprintf(p->lx_up2, sizeof(p->lx_up2), "/libxl/%u/device", domid);
	snprintf(p->lx_up, sizeof(p->lx_up), "/libxl/%u/device/pci", domid);
	snprintf(p->lx, sizeof(p->lx), "/libxl/%u/device/pci/0", domid);
	snprintf(p->host, sizeof(p->host), PVPCI_TS_HOST_DEVICES_FMT, be);
}

int ts_fail(struct pvpci_ts_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int xs_errno(void)
{
	return errno ? -errno : -EIO;
}

int ts_read(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf,
	    size_t len)
{
	int rc = pvpci_xs_read_t(xs, t, path, buf, len);

	return rc == -E2BIG ? -EFBIG : rc;
}

int ts_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *path, unsigned max,
		 unsigned *out)
{
	char buf[24];
	uint64_t v;
	int rc = ts_read(xs, t, path, buf, sizeof(buf));

	if (rc == -EFBIG)
		return -EINVAL;
	if (rc)
		return rc;
	if (pvpci_parse_u64(buf, max, &v))
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int ts_read_state(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	unsigned v;

	if (ts_read_uint(xs, t, path, TS_XB_RECONFIGURED, &v))
		return -1;
	return (int)v;
}

bool ts_exists(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	unsigned n = 0;
	char *v = xs_read(xs, t, path, &n);

	free(v);
	return v != NULL;
}

int ts_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *fmt,
	     ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pvpci_xs_vprintf_t(xs, t, path, fmt, ap);
	va_end(ap);
	return rc == -E2BIG ? -EOVERFLOW : rc;
}

int ts_rm(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	return pvpci_xs_rm_t(xs, t, path);
}

int ts_rm_if_empty(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	unsigned n = 0;
	char **names = xs_directory(xs, t, path, &n);

	if (!names)
		return errno == ENOENT ? 0 : xs_errno();
	free(names);
	return n ? 0 : ts_rm(xs, t, path);
}

int ts_mkdir_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
		   unsigned owner, unsigned reader)
{
	struct xs_permissions perms[2] = {
		{ .id = owner, .perms = XS_PERM_NONE },
		{ .id = reader, .perms = XS_PERM_READ },
	};

	errno = 0;
	if (!xs_mkdir(xs, t, path))
		return xs_errno();
	if (!xs_set_permissions(xs, t, path, perms, owner == reader ? 1 : 2))
		return xs_errno();
	return 0;
}

void ts_key_path(char *buf, size_t len, const char *dir, const char *key, unsigned n)
{
	snprintf(buf, len, "%s/%s-%u", dir, key, n);
}

int ts_transact(struct xs_handle *xs, ts_tx_body body, void *arg)
{
	for (unsigned i = 0; i < TS_TX_RETRIES; i++) {
		xs_transaction_t t = xs_transaction_start(xs);
		int rc;

		if (t == XBT_NULL)
			return xs_errno();
		rc = body(xs, t, arg);
		if (rc) {
			xs_transaction_end(xs, t, true);
			if (rc == -EAGAIN)
				continue;
			return rc;
		}
		errno = 0;
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return xs_errno();
	}
	return -EAGAIN;
}

uint64_t ts_deadline(int timeout_ms)
{
	return pvpci_now_ns() + (uint64_t)ts_timeout_ms(timeout_ms) * 1000000u;
}

int ts_timeout_ms(int timeout_ms)
{
	return timeout_ms > 0 ? timeout_ms : PVPCI_TS_TIMEOUT_MS;
}

/* Drop whatever watch events are queued on the handle (ours are only wake-ups). */
static void drain_events(struct xs_handle *xs)
{
	char **ev;

	while ((ev = xs_check_watch(xs)) != NULL)
		free(ev);
}

static int state_check(int st, int want)
{
	if (st == want)
		return 0;
	if (st < 0)
		return -ENOENT;
	if (want == TS_XB_CONNECTED && (st == TS_XB_CLOSING || st == TS_XB_CLOSED))
		return -ESHUTDOWN;
	return 1;
}

int ts_wait_state(struct xs_handle *xs, const char *path, int want, uint64_t deadline_ns,
		  int *last)
{
	char token[48];
	int fd, rc;

	snprintf(token, sizeof(token), "pvpci-ts-%p-%" PRIu64, (void *)&token, pvpci_now_ns());
	if (!xs_watch(xs, path, token))
		return xs_errno();
	fd = xs_fileno(xs);
	for (;;) {
		uint64_t now = pvpci_now_ns();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms;

		*last = ts_read_state(xs, XBT_NULL, path);
		rc = state_check(*last, want);
		if (rc <= 0)
			break;
		if (now >= deadline_ns) {
			rc = -ETIMEDOUT;
			break;
		}
		ms = (int)((deadline_ns - now + 999999u) / 1000000u);
		if (ms > 100 || fd < 0)
			ms = 100;
		if (fd >= 0 && poll(&pfd, 1, ms) > 0)
			drain_events(xs);
		else if (fd < 0)
			poll(NULL, 0, ms);
	}
	xs_unwatch(xs, path, token);
	if (fd >= 0)
		drain_events(xs);
	return rc;
}

bool ts_fe_connected(int st)
{
	return st == TS_XB_INITIALISED || st == TS_XB_CONNECTED ||
	       st == TS_XB_RECONFIGURING || st == TS_XB_RECONFIGURED;
}

int ts_find_dev(struct xs_handle *xs, xs_transaction_t t, const char *dir, unsigned num,
		struct pvpci_sbdf bdf)
{
	char path[TS_PATH_MAX], val[32];
	struct pvpci_sbdf a;

	for (unsigned j = 0; j < num; j++) {
		ts_key_path(path, sizeof(path), dir, "dev", j);
		if (ts_read(xs, t, path, val, sizeof(val)))
			continue;
		if (pvpci_sbdf_parse(val, &a, NULL) == 0 && pvpci_sbdf_eq(a, bdf))
			return (int)j;
	}
	return -ENOENT;
}

/* kind: "pci" (PV guests) or "vpci" (vPCI guests, src/toolstack/vpci.c). */
static int find_owner_in(struct xs_handle *xs, xs_transaction_t t, unsigned be,
			 const char *kind, struct pvpci_sbdf bdf)
{
	char all[TS_PATH_MAX], dir[TS_PATH_MAX + 16], path[TS_PATH_MAX + 32];
	unsigned n = 0, num;
	uint64_t d;
	char **names;
	int found = -ENOENT;

	snprintf(all, sizeof(all), "/local/domain/%u/backend/%s", be, kind);
	names = xs_directory(xs, t, all, &n);
	if (!names)
		return errno == ENOENT ? -ENOENT : xs_errno();
	for (unsigned i = 0; i < n && found < 0; i++) {
		if (pvpci_parse_u64(names[i], PVPCI_DOMID_MAX, &d))
			continue;
		snprintf(dir, sizeof(dir), "%s/%u/0", all, (unsigned)d);
		snprintf(path, sizeof(path), "%s/num_devs", dir);
		if (ts_read_uint(xs, t, path, PVPCI_TS_MAX_DEVS, &num))
			continue;
		if (ts_find_dev(xs, t, dir, num, bdf) >= 0)
			found = (int)d;
	}
	free(names);
	return found;
}

int ts_find_owner(struct xs_handle *xs, xs_transaction_t t, unsigned be,
		  struct pvpci_sbdf bdf)
{
	int rc = find_owner_in(xs, t, be, "pci", bdf);

	return rc == -ENOENT ? find_owner_in(xs, t, be, "vpci", bdf) : rc;
}
