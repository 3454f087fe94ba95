/* SPDX-License-Identifier: MIT */
/*
 * The local platform's vPCI ioreq server: the store side. It watches the backend
 * directory (PVPCI_VPCI_BE_ALL_FMT) and each guest's frontend directory, and on every
 * event re-reads that guest (level-triggered, idempotent): the dev-N entries decide which
 * devices the guest holds (acquired from the provider and assigned into the guest's vpci
 * domain, state-N 4 and vdev-N written back in a transaction that re-checks dev-N, since
 * the toolstack renumbers entries; refused ones get state-N 6 and error-N; entries in
 * state 5 or gone are deassigned and released), then the frontend and backend states
 * decide the connection (docs/VPCI.md, "The local platform"). Requests arriving on the
 * guests' event channels are served by server_io.c. Single-threaded.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

#define TOKEN_BE "vpci-be"
#define TOKEN_REL "vpci-rel"
#define TOKEN_FE "vpci-fe-" /* + domid */

/* ---- Guests ---- */

static int dom_create(struct vs_guest *g)
{
	struct pvpci_vpci_domain_opts o = {
		.domid = g->domid, .ops = &vs_ops, .opaque = g, .log = &g->s->log,
		.single_thread = true,
	};
	int rc = pvpci_vpci_host_create(0, &g->table);

	if (!rc)
		rc = pvpci_vpci_domain_create(&o, &g->dom);
	return rc;
}

static void dom_destroy(struct vs_guest *g)
{
	pvpci_vpci_domain_destroy(g->dom);
	g->dom = NULL;
	vs_irqs_clear(g);
	pvpci_vpci_host_destroy(g->table);
	g->table = NULL;
}

static struct vs_guest *guest_find(struct pvpci_vpci_server *s, unsigned domid)
{
	for (struct vs_guest *g = s->guests; g; g = g->next)
		if (g->domid == domid)
			return g;
	return NULL;
}

static struct vs_guest *guest_new(struct pvpci_vpci_server *s, unsigned domid)
{
	struct vs_guest *g = calloc(1, sizeof(*g)), **pp;

	if (!g)
		return NULL;
	g->irqs = calloc(VS_MAX_IRQS, sizeof(*g->irqs));
	g->s = s;
	g->domid = domid;
	g->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_log_init(&g->log, &s->log, "d%u vpci-server", domid);
	snprintf(g->be, sizeof(g->be), PVPCI_VPCI_BE_FMT, s->domid, domid);
	snprintf(g->fe, sizeof(g->fe), PVPCI_VPCI_FE_FMT, domid);
	snprintf(g->token, sizeof(g->token), TOKEN_FE "%u", domid);
	if (!g->irqs || dom_create(g)) {
		dom_destroy(g);
		free(g->irqs);
		free(g);
		return NULL;
	}
	g->fe_watched = xs_watch(s->xs, g->fe, g->token);
	for (pp = &s->guests; *pp && (*pp)->domid < domid; pp = &(*pp)->next)
		;
	g->next = *pp;
	*pp = g;
	return g;
}

static void dev_release(struct vs_guest *g, size_t i)
{
	struct vs_dev *d = &g->devs[i];
	char a[PVPCI_SBDF_STRLEN];

	if (pvpci_vpci_deassign(g->dom, d->guest))
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "%s: deassign failed",
			   pvpci_sbdf_str(d->host, a));
	if (g->s->o.release)
		g->s->o.release(g->s->o.opaque, d->host, d->src);
	pvpci_logf(&g->log, PVPCI_LOG_INFO, "%s released", pvpci_sbdf_str(d->host, a));
	g->devs[i] = g->devs[--g->ndevs];
	/* A crashed guest gets a fresh domain once it holds nothing. */
	if (!g->ndevs && pvpci_vpci_crashed(g->dom)) {
		dom_destroy(g);
		if (dom_create(g))
			pvpci_logf(&g->log, PVPCI_LOG_ERR, "cannot recreate the vpci domain");
	}
}

static void guest_free(struct vs_guest *g)
{
	struct pvpci_vpci_server *s = g->s;

	vs_disconnect(g);
	while (g->ndevs)
		dev_release(g, g->ndevs - 1);
	if (g->fe_watched)
		xs_unwatch(s->xs, g->fe, g->token);
	dom_destroy(g);
	for (struct vs_guest **pp = &s->guests; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g->irqs);
	free(g);
}

/* ---- Devices: the dev-N entries ---- */

struct entry_upd {
	struct vs_guest *g;
	unsigned idx;
	struct pvpci_sbdf host;
	int state;
	const struct pvpci_sbdf *vdev; /* state 4 */
	const char *err;               /* state 6 */
};

/* One try: dev-N must still name the device (the toolstack renumbers). */
static int entry_tx(struct xs_handle *xs, xs_transaction_t t, const struct entry_upd *u)
{
	char path[VS_PATH_MAX + 32], val[32], a[PVPCI_SBDF_STRLEN];
	struct pvpci_sbdf cur;
	int rc;

	vs_key(path, sizeof(path), u->g->be, "dev", u->idx);
	if (vs_read(xs, t, path, val, sizeof(val)) || pvpci_sbdf_parse(val, &cur, NULL) ||
	    !pvpci_sbdf_eq(cur, u->host))
		return -ESTALE;
	vs_key(path, sizeof(path), u->g->be, "state", u->idx);
	if (vs_read_state(xs, t, path) == u->state)
		return 1; /* already written: nothing to do (no watch loop) */
	if ((rc = vs_write(xs, t, path, "%d", u->state)))
		return rc;
	vs_key(path, sizeof(path), u->g->be, "vdev", u->idx);
	if (u->vdev && (rc = vs_write(xs, t, path, "%s", pvpci_sbdf_str(*u->vdev, a))))
		return rc;
	vs_key(path, sizeof(path), u->g->be, "error", u->idx);
	if (u->err)
		return vs_write(xs, t, path, "%s", u->err);
	return vs_rm(xs, t, path);
}

static int entry_update(const struct entry_upd *u)
{
	struct xs_handle *xs = u->g->s->xs;

	for (int i = 0; i < VS_TX_RETRIES; i++) {
		xs_transaction_t t = xs_transaction_start(xs);
		int rc;

		if (t == XBT_NULL)
			return -EIO;
		rc = entry_tx(xs, t, u);
		if (rc) {
			xs_transaction_end(xs, t, true);
			return rc > 0 ? 0 : rc;
		}
		errno = 0;
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -EIO;
	}
	return -EAGAIN;
}

static const char *assign_err(int rc)
{
	switch (rc) {
	case -ENOSPC: return "no free guest slot (32 in use)";
	case -EEXIST: return "that guest function is taken";
	case -EBUSY: return "the asked slot holds another device";
	case -EOPNOTSUPP: return "header type not supported";
	case -EIO: return "the guest has crashed";
	default: return pvpci_errname(rc);
	}
}

/* Acquire the device and give it to the guest: 0 or a negative errno (why filled). */
static int dev_take(struct vs_guest *g, struct pvpci_sbdf host, int vslot, char *why,
		    size_t wlen)
{
	struct pvpci_vpci_assign_opts ao = { .vslot = vslot, .expose_pcie = g->s->o.expose_pcie };
	struct vs_dev *d = &g->devs[g->ndevs];
	char a[PVPCI_SBDF_STRLEN];
	int rc;

	if (g->ndevs == VS_MAX_DEVS) {
		snprintf(why, wlen, "too many devices");
		return -ENOSPC;
	}
	why[0] = '\0';
	*d = (struct vs_dev){ .host = host, .seen = true };
	rc = g->s->o.acquire ? g->s->o.acquire(g->s->o.opaque, host, &d->src, why, wlen)
			     : -EOPNOTSUPP;
	if (rc) {
		if (!why[0])
			snprintf(why, wlen, "cannot take the device: %s", pvpci_errname(rc));
		return rc;
	}
	rc = pvpci_vpci_assign(g->dom, d->src, &ao, &d->guest);
	if (rc) {
		snprintf(why, wlen, "the vpci policy refuses it: %s", assign_err(rc));
		if (g->s->o.release)
			g->s->o.release(g->s->o.opaque, host, d->src);
		return rc;
	}
	g->ndevs++;
	pvpci_logf(&g->log, PVPCI_LOG_INFO, "%s assigned at guest %s", pvpci_sbdf_str(host, a),
		   pvpci_sbdf_str(d->guest, (char[PVPCI_SBDF_STRLEN]){ 0 }));
	return 0;
}

static struct vs_dev *dev_find(struct vs_guest *g, struct pvpci_sbdf host, size_t *idx)
{
	for (size_t i = 0; i < g->ndevs; i++)
		if (pvpci_sbdf_eq(g->devs[i].host, host)) {
			*idx = i;
			return &g->devs[i];
		}
	return NULL;
}

/* One dev-N entry as read. */
struct entry {
	struct pvpci_sbdf host;
	int state;
	int vslot; /* -1: any */
	bool valid;
};

/* Every entry from one transaction: the toolstack renumbers entries in its own
 * transactions, so reads outside one could see a device twice or miss one. */
static int entries_tx(struct xs_handle *xs, xs_transaction_t t, const char *be,
		      struct entry *e, unsigned *num)
{
	char path[VS_PATH_MAX + 32], val[32];
	uint64_t v;

	snprintf(path, sizeof(path), "%s/num_devs", be);
	if (vs_read_uint(xs, t, path, VS_MAX_DEVS, &v))
		v = 0;
	*num = (unsigned)v;
	for (unsigned i = 0; i < *num; i++) {
		vs_key(path, sizeof(path), be, "dev", i);
		e[i].valid = !vs_read(xs, t, path, val, sizeof(val)) &&
			     !pvpci_sbdf_parse(val, &e[i].host, NULL);
		vs_key(path, sizeof(path), be, "state", i);
		e[i].state = vs_read_state(xs, t, path);
		vs_key(path, sizeof(path), be, "vslot", i);
		e[i].vslot = vs_read_uint(xs, t, path, PVPCI_VPCI_SLOTS - 1, &v) ? -1 : (int)v;
	}
	return 0;
}

static int read_entries(struct vs_guest *g, struct entry *e, unsigned *num)
{
	struct xs_handle *xs = g->s->xs;

	for (int i = 0; i < VS_TX_RETRIES; i++) {
		xs_transaction_t t = xs_transaction_start(xs);

		if (t == XBT_NULL)
			return -EIO;
		(void)entries_tx(xs, t, g->be, e, num);
		errno = 0;
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -EIO;
	}
	return -EAGAIN;
}

/* Entry idx: what the toolstack asks for it. */
static void sync_entry(struct vs_guest *g, unsigned idx, const struct entry *e, bool allowed)
{
	struct entry_upd u = { .g = g, .idx = idx, .host = e->host };
	char why[200], a[PVPCI_SBDF_STRLEN];
	struct vs_dev *d = dev_find(g, e->host, &(size_t){ 0 });
	size_t di = d ? (size_t)(d - g->devs) : 0;

	if (allowed && (e->state == PVPCI_VPCI_DEV_REQUESTED ||
			e->state == PVPCI_VPCI_DEV_ASSIGNED)) {
		int rc = d ? 0 : dev_take(g, e->host, e->vslot, why, sizeof(why));

		if (!d && !rc)
			d = &g->devs[g->ndevs - 1];
		if (d)
			d->seen = true;
		u.state = rc ? PVPCI_VPCI_DEV_RELEASED : PVPCI_VPCI_DEV_ASSIGNED;
		u.vdev = rc ? NULL : &d->guest;
		u.err = rc ? why : NULL;
		if (rc)
			pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING, "%s refused: %s",
				      pvpci_sbdf_str(e->host, a), why);
		(void)entry_update(&u);
	} else if (e->state == PVPCI_VPCI_DEV_DETACHING) {
		if (d)
			dev_release(g, di);
		u.state = PVPCI_VPCI_DEV_RELEASED;
		(void)entry_update(&u);
	}
}

static void sync_devices(struct vs_guest *g, bool allowed)
{
	struct entry *e = calloc(VS_MAX_DEVS, sizeof(*e));
	unsigned num = 0;

	if (!e || read_entries(g, e, &num)) {
		/* keep what the guest holds; the next event tries again */
		pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING, "cannot read the entries");
		free(e);
		return;
	}
	g->devs_synced = true;
	for (size_t i = 0; i < g->ndevs; i++)
		g->devs[i].seen = false;
	for (unsigned i = 0; i < num; i++)
		if (e[i].valid)
			sync_entry(g, i, &e[i], allowed);
	for (size_t i = g->ndevs; i-- > 0;)
		if (!g->devs[i].seen)
			dev_release(g, i);
	free(e);
}

/* ---- Connection states ---- */

static bool fe_up(int st)
{
	return st == 3 || st == 4; /* Initialised, Connected */
}

static void sync_state(struct vs_guest *g, bool alive)
{
	struct xs_handle *xs = g->s->xs;
	char path[VS_PATH_MAX + 16], why[200];
	uint64_t online = 1;
	int be, fe, target;

	snprintf(path, sizeof(path), "%s/state", g->be);
	be = vs_read_state(xs, XBT_NULL, path);
	snprintf(path, sizeof(path), "%s/online", g->be);
	if (vs_read_uint(xs, XBT_NULL, path, 1, &online))
		online = 1;
	snprintf(path, sizeof(path), "%s/state", g->fe);
	fe = vs_read_state(xs, XBT_NULL, path);
	target = be;
	if (be == 5 || !online || !alive) {
		vs_disconnect(g);
		target = be == 5 || !online ? 6 : be;
	} else {
		if (g->connected && !fe_up(fe)) {
			vs_disconnect(g);
			target = 6;
		}
		if (!g->connected && fe_up(fe) && (be == 1 || be == 2 || be == 4)) {
			int rc = vs_connect(g, why, sizeof(why));

			snprintf(path, sizeof(path), "%s/error", g->be);
			if (rc) {
				pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING, "refused: %s", why);
				(void)vs_write(xs, XBT_NULL, path, "%s", why);
			} else {
				(void)vs_rm(xs, XBT_NULL, path);
			}
			target = rc ? 6 : 4;
		} else if (!g->connected && (fe == 1 || fe == 2) && be != 2) {
			target = 2;
		} else if (!g->connected && be == 4) {
			target = 6;
		}
	}
	snprintf(path, sizeof(path), "%s/state", g->be);
	if (target != be && target >= 0)
		(void)vs_write(xs, XBT_NULL, path, "%d", target);
}

static bool node_exists(struct xs_handle *xs, const char *path)
{
	char v[8];
	int rc = vs_read(xs, XBT_NULL, path, v, sizeof(v));

	return rc == 0 || rc == -E2BIG;
}

/* Re-read one guest: its devices (devices: false for an event of its frontend directory,
 * which only the guest writes: it cannot make the server walk the entries), then its
 * connection. */
static void guest_scan(struct pvpci_vpci_server *s, unsigned domid, bool devices)
{
	struct vs_guest *g = guest_find(s, domid);
	char path[VS_PATH_MAX + 16];
	uint64_t online = 1;
	bool alive;
	int be;

	snprintf(path, sizeof(path), PVPCI_VPCI_BE_FMT, s->domid, domid);
	if (!node_exists(s->xs, path)) {
		if (g)
			guest_free(g);
		return;
	}
	if (!g && !(g = guest_new(s, domid))) {
		pvpci_logf(&s->log, PVPCI_LOG_ERR, "d%u: out of memory", domid);
		return;
	}
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	alive = node_exists(s->xs, path);
	snprintf(path, sizeof(path), "%s/state", g->be);
	be = vs_read_state(s->xs, XBT_NULL, path);
	snprintf(path, sizeof(path), "%s/online", g->be);
	if (vs_read_uint(s->xs, XBT_NULL, path, 1, &online))
		online = 1;
	if (devices || !g->devs_synced)
		sync_devices(g, alive && online && be != 5);
	sync_state(g, alive);
}

static void scan_all(struct pvpci_vpci_server *s)
{
	unsigned n = 0, nold = 0, old[VS_MAX_DEVS];
	char **names = xs_directory(s->xs, XBT_NULL, s->root, &n);

	for (struct vs_guest *g = s->guests; g && nold < VS_MAX_DEVS; g = g->next)
		old[nold++] = g->domid;
	for (unsigned i = 0; names && i < n; i++) {
		char *end;
		unsigned long v = strtoul(names[i], &end, 10);

		if (*end || end == names[i] || names[i][0] < '0' || names[i][0] > '9' ||
		    v > PVPCI_DOMID_MAX)
			continue;
		guest_scan(s, (unsigned)v, true);
	}
	free(names);
	for (unsigned i = 0; i < nold; i++)
		guest_scan(s, old[i], true);
}

/* The guest a watch event is about (-1: all of them); *fe: only its frontend. */
static long event_domid(struct pvpci_vpci_server *s, const char *path, const char *token,
			bool *fe)
{
	size_t rl = strlen(s->root);
	const char *p;
	char *end;
	unsigned long v;

	*fe = !strncmp(token, TOKEN_FE, strlen(TOKEN_FE));
	if (*fe)
		p = token + strlen(TOKEN_FE);
	else if (!strcmp(token, TOKEN_BE) && !strncmp(path, s->root, rl) && path[rl] == '/')
		p = path + rl + 1;
	else
		return -1;
	v = strtoul(p, &end, 10);
	if (end == p || (*end && *end != '/') || v > PVPCI_DOMID_MAX)
		return -1;
	return (long)v;
}

/* ---- The server ---- */

int pvpci_vpci_server_create(struct pvpci_platform *plat,
			     const struct pvpci_vpci_server_opts *opts,
			     struct pvpci_vpci_server **out)
{
	struct pvpci_vpci_server *s;

	*out = NULL;
	if (!plat || !opts || !opts->acquire || !pvpci_platform_xs(plat))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->plat = plat;
	s->xs = pvpci_platform_xs(plat);
	s->domid = pvpci_platform_domid(plat);
	s->o = *opts;
	pvpci_log_init(&s->log, opts->log, "vpci-server");
	snprintf(s->root, sizeof(s->root), PVPCI_VPCI_BE_ALL_FMT, s->domid);
	*out = s;
	return 0;
}

void pvpci_vpci_server_destroy(struct pvpci_vpci_server *s)
{
	if (!s)
		return;
	while (s->guests)
		guest_free(s->guests);
	if (s->started) {
		xs_unwatch(s->xs, s->root, TOKEN_BE);
		xs_unwatch(s->xs, "@releaseDomain", TOKEN_REL);
	}
	free(s);
}

int pvpci_vpci_server_start(struct pvpci_vpci_server *s)
{
	if (s->started)
		return 0;
	errno = 0;
	if (!xs_watch(s->xs, s->root, TOKEN_BE) ||
	    !xs_watch(s->xs, "@releaseDomain", TOKEN_REL))
		return errno ? -errno : -EIO;
	s->started = true;
	scan_all(s);
	return 0;
}

/* A connected guest's slot is READY (one shared-memory load each). */
static bool any_ready(struct pvpci_vpci_server *s)
{
	for (struct vs_guest *g = s->guests; g; g = g->next)
		if (g->connected &&
		    (__atomic_load_n(&((volatile struct pvpci_ioreq *)g->page)->flags,
				     __ATOMIC_ACQUIRE) & PVPCI_IOREQ_STATE_MASK) ==
			    PVPCI_IOREQ_STATE_READY)
			return true;
	return false;
}

bool pvpci_vpci_server_ready(struct pvpci_vpci_server *s)
{
	return s && any_ready(s);
}

static bool spin(struct pvpci_vpci_server *s)
{
	uint64_t start = pvpci_now_ns();

	if (!s->o.spin_ns || !s->guests)
		return false;
	for (unsigned i = 0;; i++) {
		if (any_ready(s))
			return true;
		if ((i & 15) == 15 && pvpci_now_ns() - start >= s->o.spin_ns)
			return false;
	}
}

int pvpci_vpci_server_poll_prepare(struct pvpci_vpci_server *s, struct pollfd *fds,
				   size_t max, int *timeout_ms)
{
	int n = 0;

	if (max >= 1)
		fds[n++] = (struct pollfd){ .fd = xs_fileno(s->xs), .events = POLLIN };
	if (max >= 2) {
		fds[n++] = (struct pollfd){ .fd = pvpci_evtchn_fd(s->plat), .events = POLLIN };
		if (*timeout_ms != 0 && spin(s))
			*timeout_ms = 0;
		else if (pvpci_evtchn_prepare_wait(s->plat) == -EBUSY)
			*timeout_ms = 0;
	}
	return n;
}

static struct vs_guest *guest_by_port(struct pvpci_vpci_server *s, unsigned port)
{
	for (struct vs_guest *g = s->guests; g; g = g->next)
		if (g->connected && g->port == port)
			return g;
	return NULL;
}

/* A batch of store events, each guest scanned once after it (the scans are
 * level-triggered, so a burst of events costs one scan). */
static void store_events(struct pvpci_vpci_server *s)
{
	struct { unsigned domid; bool devices; } todo[VS_EVENTS_PER_TURN];
	size_t n = 0, k;
	bool all = false;

	for (int i = 0; i < VS_EVENTS_PER_TURN; i++) {
		char **ev = xs_check_watch(s->xs);
		bool fe;
		long d;

		if (!ev)
			break;
		d = event_domid(s, ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN], &fe);
		free(ev);
		if (d < 0) {
			all = true;
			continue;
		}
		for (k = 0; k < n && todo[k].domid != (unsigned)d; k++)
			;
		if (k == n) {
			todo[n].domid = (unsigned)d;
			todo[n++].devices = false;
		}
		todo[k].devices |= !fe;
	}
	if (all) {
		scan_all(s);
		return;
	}
	for (k = 0; k < n; k++)
		guest_scan(s, todo[k].domid, todo[k].devices);
}

int pvpci_vpci_server_process(struct pvpci_vpci_server *s)
{
	store_events(s);
	for (int i = 0; i < VS_EVENTS_PER_TURN; i++) {
		int port = pvpci_evtchn_pending(s->plat);
		struct vs_guest *g;
		uint64_t before;

		if (port == -EAGAIN)
			break;
		if (port < 0)
			return port;
		g = guest_by_port(s, (unsigned)port);
		before = g ? g->spurious : 0;
		if (g)
			vs_serve(g);
		(void)pvpci_evtchn_eoi(s->plat, (unsigned)port, !g || g->spurious != before);
	}
	/* requests seen before their event (spin): served now, their events find no work */
	for (struct vs_guest *g = s->guests; g; g = g->next) {
		uint64_t sp = g->spurious;

		if (g->connected) {
			vs_serve(g);
			g->spurious = sp; /* an empty look is not the guest's doing */
		}
	}
	return 0;
}

int pvpci_vpci_server_run(struct pvpci_vpci_server *s, int stop_fd)
{
	for (;;) {
		struct pollfd fds[PVPCI_VPCI_SERVER_NFDS + 1];
		int timeout = -1, n, rc;

		n = pvpci_vpci_server_poll_prepare(s, fds, PVPCI_VPCI_SERVER_NFDS, &timeout);
		fds[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return -errno;
		if (stop_fd >= 0 && fds[n - 1].revents)
			return 0;
		rc = pvpci_vpci_server_process(s);
		if (rc)
			return rc;
	}
}

static struct vs_dev *held(struct pvpci_vpci_server *s, struct pvpci_sbdf host)
{
	size_t i;

	for (struct vs_guest *g = s->guests; g; g = g->next) {
		struct vs_dev *d = dev_find(g, host, &i);

		if (d)
			return d;
	}
	return NULL;
}

bool pvpci_vpci_server_holds(struct pvpci_vpci_server *s, struct pvpci_sbdf host)
{
	return held(s, host) != NULL;
}

int pvpci_vpci_server_raise_irq(struct pvpci_vpci_server *s, struct pvpci_sbdf host,
				enum pvpci_irq_kind kind, unsigned vector)
{
	struct vs_dev *d = held(s, host);

	return d ? pvpci_model_raise(d->src, kind, vector) : -ENOENT;
}

int pvpci_vpci_server_guests(struct pvpci_vpci_server *s, struct pvpci_vpci_server_guest *out,
			     size_t max, size_t *n)
{
	size_t k = 0;

	for (struct vs_guest *g = s->guests; g; g = g->next, k++) {
		if (k >= max)
			continue;
		out[k] = (struct pvpci_vpci_server_guest){
			.domid = g->domid, .connected = g->connected,
			.crashed = pvpci_vpci_crashed(g->dom), .ndevs = (unsigned)g->ndevs,
			.nirqs = g->nirqs, .requests = g->requests, .failed = g->failed,
			.spurious = g->spurious,
		};
	}
	*n = k;
	return 0;
}
