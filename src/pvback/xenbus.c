/* SPDX-License-Identifier: MIT */
/*
 * The xenbus side of the backend (protocol.md 2.1-2.6): guests are found under
 * /local/domain/<self>/backend/pci/<domid>/0; each one follows the states. Initialising ->
 * InitWait -> export every dev-N (vdev-N, state-N=3, root-N / root_num) -> Initialised;
 * attach when the frontend is Initialised (pci-op-ref, event-channel, magic "7" read once,
 * bounded and checked; page mapped; channel bound) -> Connected. Hot-plug / unplug: the
 * toolstack writes Reconfiguring, the frontend follows, the backend exports state-N=1 and
 * removes state-N=5 devices (named by vdev-N) -> Reconfigured -> Connected when the
 * frontend is. Frontend Closing / Closed: unbind, unmap, follow; Closed with online=0 or
 * Unknown: release the devices. A restarted backend adopts state-N=3 devices at their
 * published vdev-N and attaches again. Errors follow xenbus_dev_fatal: an error node and
 * Closing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

#define MAX_EVAL_ROUNDS 8

static struct xs_handle *XS(const struct pvb_guest *g)
{
	return g->be->xs;
}

/* be_path/<fmt> */
static int gpath(const struct pvb_guest *g, char *buf, const char *node)
{
	return pvpci_xs_path(buf, PVB_PATH_MAX, "%s/%s", g->be_path, node);
}

static int read_be_uint(struct pvb_guest *g, const char *node, uint64_t max, uint64_t *v)
{
	char p[PVB_PATH_MAX];
	int rc = gpath(g, p, node);

	return rc ? rc : pvpci_xs_read_uint(XS(g), p, max, v);
}

static int write_be(struct pvb_guest *g, const char *node, const char *fmt, unsigned v)
{
	char p[PVB_PATH_MAX];
	int rc = gpath(g, p, node);

	return rc ? rc : pvpci_xs_printf(XS(g), p, fmt, v);
}

/* Writes the backend state only while the backend directory is there (its `state`
 * node): written after the toolstack removed the directory, it would create the node
 * again and keep the removed guest alive. One transaction, retried on conflict;
 * -ENOENT when the directory is gone (the event of its removal frees the guest). */
static int write_state_if_present(struct pvb_guest *g, unsigned s)
{
	char p[PVB_PATH_MAX], v[16];
	int rc = gpath(g, p, "state");

	for (int i = 0; rc == 0 && i < 8; i++) {
		xs_transaction_t t = xs_transaction_start(XS(g));

		if (t == XBT_NULL)
			return -EIO;
		rc = pvpci_xs_read_t(XS(g), t, p, v, sizeof(v));
		snprintf(v, sizeof(v), "%u", s);
		if (rc == 0 && !xs_write(XS(g), t, p, v, strlen(v)))
			rc = -EIO;
		if (!xs_transaction_end(XS(g), t, rc != 0) && rc == 0) {
			if (errno != EAGAIN)
				return -EIO;
			continue; /* conflict: read again */
		}
		return rc;
	}
	return rc ? rc : -EAGAIN;
}

static void switch_state(struct pvb_guest *g, int s)
{
	int rc;

	if (g->state == s)
		return;
	pvpci_logf(&g->log, PVPCI_LOG_DEBUG, "backend state %d -> %d", g->state, s);
	rc = write_state_if_present(g, (unsigned)s);
	if (rc && rc != -ENOENT)
		pvpci_logf(&g->log, PVPCI_LOG_ERR, "cannot write backend state %d", s);
	g->state = s;
}

/* Read one frontend node (the guest's: bounded, parsed strictly). */
static int read_fe(struct pvb_guest *g, const char *node, char *buf, size_t cap)
{
	char p[PVB_PATH_MAX];
	int rc = pvpci_xs_path(p, sizeof(p), "%s/%s", g->fe_path, node);

	return rc ? rc : pvpci_xs_read(XS(g), p, buf, cap);
}

/* The frontend's state f and its config nodes as they are now ("-" when unreadable). */
static void fe_snapshot(struct pvb_guest *g, int f, char *buf, size_t cap)
{
	static const char *const nodes[] = { "pci-op-ref", "event-channel", "magic" };
	size_t n = (size_t)snprintf(buf, cap, "%d", f);

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(nodes) && n < cap; i++) {
		char v[16];

		if (read_fe(g, nodes[i], v, sizeof(v)))
			snprintf(v, sizeof(v), "-");
		n += (size_t)snprintf(buf + n, cap - n, "/%s", v);
	}
}

/* After a failure: has the frontend done anything since? Judged from the nodes as they
 * are now (state or config different) and from its state writes, so that a quick
 * 3 -> 1 -> 3 between two evaluations is not missed. */
static bool fe_moved_on(struct pvb_guest *g, int f)
{
	char now[sizeof(g->failed_cfg)];

	if (g->fe_events != g->failed_gen)
		return true;
	fe_snapshot(g, f, now, sizeof(now));
	return strcmp(now, g->failed_cfg) != 0;
}

/* xenbus_dev_fatal: the error node, then Closing. */
static void fatal(struct pvb_guest *g, int err, const char *msg)
{
	char p[PVB_PATH_MAX];

	/* a guest cycling its state can fail its connection at will: rate-limited */
	pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_ERR, "%s (%s)", msg, pvpci_errname(err));
	if (!pvpci_xs_path(p, sizeof(p), "/local/domain/%u/error/backend/pci/%u/0/error",
		      g->be->self, g->domid))
		(void)pvpci_xs_printf(XS(g), p, "%d %s", err < 0 ? -err : err, msg);
	g->failed = true;
	g->failed_gen = g->fe_events;
	fe_snapshot(g, g->fe_state, g->failed_cfg, sizeof(g->failed_cfg));
	switch_state(g, XenbusStateClosing);
}

/* ---- Devices ---- */

int pvb_guest_export(struct pvb_guest *g, struct pvb_hostdev *hd, const struct pvpci_sbdf *want)
{
	struct pvpci_sbdf virt;
	int rc;

	if (hd->owner)
		return hd->owner == g ? 0 : -EBUSY;
	rc = pvb_topo_add(&g->topo, hd->host, hd->bridge, hd->sec_bus, hd->sub_bus, hd, want,
			  &virt);
	if (rc)
		return rc;
	hd->owner = g;
	hd->virt = virt;
	pvpci_pvdev_set_permissive(hd->pv, hd->permissive);
	pvpci_pvdev_set_allow_interrupt_control(hd->pv, hd->allow_intr_ctrl);
	rc = hd->nquirks ? pv_quirks_add(hd->pv, hd->quirks, hd->nquirks) : 0;
	if (!rc)
		rc = pvb_intx_attach(hd);
	if (rc) {
		(void)pvb_topo_remove(&g->topo, hd);
		if (pvpci_pvdev_detach(hd->pv))
			pvpci_logf(&g->log, PVPCI_LOG_WARNING, "%s: reset failed", hd->name);
		hd->owner = NULL;
		return rc;
	}
	pvpci_logf(&g->log, PVPCI_LOG_INFO, "%s exported as %04x:%02x:%02x.%x", hd->name,
		   virt.seg, virt.bus, virt.dev, virt.fn);
	return 0;
}

void pvb_guest_release(struct pvb_guest *g, struct pvb_hostdev *hd)
{
	if (hd->owner != g)
		return;
	if (g->aer.dev == hd)
		pvb_aer_cancel(g);
	pvb_irqs_release(hd);
	pvb_intx_detach(hd);
	if (pvpci_pvdev_detach(hd->pv))
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "%s: reset on release failed", hd->name);
	(void)pvb_topo_remove(&g->topo, hd);
	hd->owner = NULL;
	hd->isr.on = false;
	pvpci_logf(&g->log, PVPCI_LOG_INFO, "%s released", hd->name);
}

static void release_all(struct pvb_guest *g)
{
	for (struct pvb_hostdev *hd = g->be->devs; hd; hd = hd->next)
		pvb_guest_release(g, hd);
}

/* "%x:%x:%x.%x" with range checks (dev-N written by libxl with %04x:%02x:%02x.%01x,
 * vdev-N by us with %04x:%02x:%02x.%02x). */
static int parse_bdf(const char *s, struct pvpci_sbdf *a)
{
	unsigned seg, bus, dev, fn;
	int end = 0;

	if (sscanf(s, "%4x:%2x:%2x.%2x%n", &seg, &bus, &dev, &fn, &end) != 4 || s[end] ||
	    dev > 31 || fn > 7)
		return -EINVAL;
	*a = (struct pvpci_sbdf){ (uint16_t)seg, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn };
	return 0;
}

static int read_bdf(struct pvb_guest *g, const char *fmt, unsigned i, struct pvpci_sbdf *a)
{
	char node[24], p[PVB_PATH_MAX], v[32];
	int rc;

	snprintf(node, sizeof(node), fmt, i);
	rc = gpath(g, p, node);
	if (!rc)
		rc = pvpci_xs_read(XS(g), p, v, sizeof(v));
	return rc ? rc : parse_bdf(v, a);
}

static int publish_vdev(struct pvb_guest *g, unsigned i, const struct pvb_hostdev *hd)
{
	char node[24], p[PVB_PATH_MAX];
	int rc;

	snprintf(node, sizeof(node), "vdev-%u", i);
	rc = gpath(g, p, node);
	if (!rc) /* the PV protocol prints the function with %02x */
		rc = pvpci_xs_printf(XS(g), p, "%04x:%02x:%02x.%02x", hd->virt.seg, hd->virt.bus,
				   hd->virt.dev, hd->virt.fn);
	snprintf(node, sizeof(node), "state-%u", i);
	if (!rc)
		rc = write_be(g, node, "%u", XenbusStateInitialised);
	return rc;
}

static int publish_roots(struct pvb_guest *g)
{
	uint32_t roots[PVB_MAX_DEVS];
	size_t n = pvb_topo_roots(&g->topo, roots, PVB_MAX_DEVS);
	uint64_t old = 0;
	char node[24], p[PVB_PATH_MAX];
	int rc = 0;

	(void)read_be_uint(g, "root_num", PVB_MAX_DEVS, &old);
	for (size_t i = 0; i < n && !rc; i++) {
		snprintf(node, sizeof(node), "root-%u", (unsigned)i);
		rc = gpath(g, p, node);
		if (!rc)
			rc = pvpci_xs_printf(XS(g), p, "%04x:%02x", roots[i] >> 8, roots[i] & 0xff);
	}
	for (uint64_t i = n; i < old && !rc; i++) {
		snprintf(node, sizeof(node), "root-%u", (unsigned)i);
		rc = gpath(g, p, node);
		if (!rc)
			rc = pvpci_xs_rm(XS(g), p);
	}
	return rc ? rc : write_be(g, "root_num", "%u", (unsigned)n);
}

enum apply_phase { APPLY_ADOPT = 0, APPLY_EXPORT, APPLY_RECONFIGURE };

static int export_index(struct pvb_guest *g, unsigned i, bool adopt)
{
	struct pvpci_sbdf host, want;
	struct pvb_hostdev *hd;
	int rc = read_bdf(g, "dev-%u", i, &host);

	if (rc)
		return rc;
	hd = pvb_dev_by_host(g->be, host);
	if (!hd)
		return -ENODEV; /* couldn't locate PCI device: not seized or already in use */
	if (adopt) {
		if (hd->owner == g)
			return 0;
		rc = read_bdf(g, "vdev-%u", i, &want);
		return rc ? rc : pvb_guest_export(g, hd, &want);
	}
	rc = pvb_guest_export(g, hd, NULL);
	return rc ? rc : publish_vdev(g, i, hd);
}

static void remove_index(struct pvb_guest *g, unsigned i)
{
	struct pvpci_sbdf v;
	struct pvb_hostdev *hd = NULL;

	if (read_bdf(g, "vdev-%u", i, &v) == 0)
		hd = pvb_topo_find(&g->topo, v.seg, v.bus, PVPCI_DEVFN(v.dev, v.fn));
	if (!hd) {
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "device %u to remove not found", i);
		return;
	}
	pvb_guest_release(g, hd);
}

/* Walk dev-N / state-N: export 1s, adopt 3s we do not hold, remove 5s (reconfigure). */
static int apply_devices(struct pvb_guest *g, enum apply_phase phase)
{
	uint64_t num = 0, sub;
	char node[24];
	int rc = read_be_uint(g, "num_devs", PVB_MAX_DEVS, &num);

	if (rc == -ENOENT) {
		num = 0;
	} else if (rc) {
		fatal(g, rc, "bad num_devs");
		return rc;
	}
	for (unsigned i = 0; i < num; i++) {
		snprintf(node, sizeof(node), "state-%u", i);
		rc = read_be_uint(g, node, XenbusStateReconfigured, &sub);
		if (rc == -ENOENT && phase == APPLY_EXPORT)
			sub = XenbusStateInitialising;
		else if (rc)
			continue;
		rc = 0;
		if (sub == XenbusStateInitialising && phase != APPLY_ADOPT)
			rc = export_index(g, i, false);
		else if (sub == XenbusStateInitialised)
			rc = export_index(g, i, true);
		else if (sub == XenbusStateClosing && phase == APPLY_RECONFIGURE)
			remove_index(g, i);
		if (rc) {
			char msg[80];

			snprintf(msg, sizeof(msg), "cannot export device %u (dev-%u)", i, i);
			fatal(g, rc, msg);
			return rc;
		}
	}
	return publish_roots(g);
}

/* ---- Connection ---- */

static void disconnect(struct pvb_guest *g)
{
	struct pvpci_backend *be = g->be;

	pvb_aer_cancel(g);
	if (g->port) {
		be->by_port[g->port] = NULL;
		(void)pvpci_evtchn_close(be->plat, g->port);
		g->port = 0;
	}
	pvb_rq_del(be, g);
	g->in_service = false;
	if (g->sh) {
		(void)pvpci_gnt_unmap(be->plat, g->sh);
		g->sh = NULL;
	}
}

static int read_fe_config(struct pvb_guest *g, uint32_t *gref, uint32_t *port)
{
	char ref[16], evt[16], magic[16];
	uint64_t v;
	int rc = read_fe(g, "pci-op-ref", ref, sizeof(ref));

	if (!rc)
		rc = read_fe(g, "event-channel", evt, sizeof(evt));
	if (rc || (rc = pvpci_xs_parse_dec(ref, UINT32_MAX, &v)) != 0) {
		fatal(g, rc, "error reading configuration from frontend");
		return rc;
	}
	*gref = (uint32_t)v;
	rc = pvpci_xs_parse_dec(evt, PVPCI_EVTCHN_MAX_PORTS - 1, &v);
	if (rc || v == 0) {
		fatal(g, rc ? rc : -EINVAL, "error reading configuration from frontend");
		return rc ? rc : -EINVAL;
	}
	*port = (uint32_t)v;
	rc = read_fe(g, "magic", magic, sizeof(magic));
	if (rc || strcmp(magic, XEN_PCI_MAGIC) != 0) {
		fatal(g, -EFAULT, "version mismatch with pcifront (magic)");
		return -EFAULT;
	}
	return 0;
}

static int attach(struct pvb_guest *g)
{
	struct pvpci_backend *be = g->be;
	uint32_t gref, rport;
	void *page;
	int rc = read_fe_config(g, &gref, &rport);

	if (rc)
		return rc;
	rc = pvpci_gnt_map(be->plat, g->domid, gref, 0, &page);
	if (rc) {
		fatal(g, rc, "error mapping other domain page in ours");
		return rc;
	}
	rc = pvpci_evtchn_bind_interdomain(be->plat, g->domid, rport);
	if (rc <= 0 || (unsigned)rc >= PVPCI_EVTCHN_MAX_PORTS) {
		if (rc > 0)
			(void)pvpci_evtchn_close(be->plat, (unsigned)rc);
		(void)pvpci_gnt_unmap(be->plat, page);
		fatal(g, rc < 0 ? rc : -ERANGE, "error binding event channel to frontend");
		return rc < 0 ? rc : -ERANGE;
	}
	g->sh = page;
	g->port = (unsigned)rc;
	g->att_gref = gref;
	g->att_rport = rport;
	be->by_port[g->port] = g;
	pvpci_logf(&g->log, PVPCI_LOG_INFO, "connected (gref %u, port %u -> %u)", gref, rport,
		   g->port);
	/* an op posted before we bound the channel: serve it now */
	g->worked = false;
	pvb_rq_add(be, g);
	return 0;
}

/* ---- Guest objects ---- */

int pvb_guest_new(struct pvpci_backend *be, unsigned domid, struct pvb_guest **out)
{
	struct pvb_guest *g = calloc(1, sizeof(*g)), **pp;

	if (!g)
		return -ENOMEM;
	g->be = be;
	g->domid = domid;
	g->mode = be->opts.mode;
	pvb_topo_init(&g->topo, g->mode);
	g->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_log_init(&g->log, &be->log, "d%u", domid);
	if (pvpci_xs_path(g->be_path, sizeof(g->be_path), "%s/%u/0", be->root, domid) ||
	    pvpci_xs_path(g->fe_path, sizeof(g->fe_path), "/local/domain/%u/device/pci/0", domid)) {
		free(g);
		return -ENAMETOOLONG;
	}
	snprintf(g->fe_token, sizeof(g->fe_token), "f%u", domid);
	for (pp = &be->guests; *pp && (*pp)->domid < domid; pp = &(*pp)->next)
		;
	g->next = *pp;
	*pp = g;
	*out = g;
	return 0;
}

static void unwatch_fe(struct pvb_guest *g)
{
	char p[PVB_PATH_MAX];

	if (g->fe_watched && !pvpci_xs_path(p, sizeof(p), "%s/state", g->fe_path))
		(void)xs_unwatch(XS(g), p, g->fe_token);
	g->fe_watched = false;
}

/* The xenbus device goes away: disconnect, release the devices; keep the object (dead)
 * so that the directory does not bring it back until the toolstack starts it again. */
static void unregister(struct pvb_guest *g)
{
	disconnect(g);
	release_all(g);
	unwatch_fe(g);
	g->dead = true;
	g->setup_done = false;
	g->seen_fe = false;
	pvpci_logf(&g->log, PVPCI_LOG_INFO, "unregistered");
}

void pvb_guest_free(struct pvb_guest *g)
{
	struct pvpci_backend *be = g->be;

	disconnect(g);
	release_all(g);
	unwatch_fe(g);
	for (struct pvb_guest **pp = &be->guests; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g);
}

void pvb_guest_kill(struct pvb_guest *g, const char *why)
{
	struct pvpci_backend *be = g->be;
	char p[PVB_PATH_MAX];

	pvpci_logf(&g->log, PVPCI_LOG_ERR, "killing the guest: %s", why);
	if (g->be_path[0] && !gpath(g, p, "aerState"))
		(void)pvpci_xs_write(XS(g), p, "aerfail");
	if (be->opts.on_kill)
		be->opts.on_kill(be->opts.opaque, g->domid, why);
	if (be->opts.aer_kill == PVPCI_AER_KILL_DESTROY) {
		int rc = pvpci_domain_destroy(be->plat, g->domid);

		if (rc)
			pvpci_logf(&g->log, PVPCI_LOG_WARNING, "cannot destroy the domain: %s",
				   pvpci_errname(rc));
	}
}

static struct pvb_guest *guest_find(struct pvpci_backend *be, unsigned domid)
{
	for (struct pvb_guest *g = be->guests; g; g = g->next)
		if (g->domid == domid)
			return g;
	return NULL;
}

static void mark(struct pvb_guest *g)
{
	g->dirty = true;
	g->be->any_dirty = true;
}

/* ---- The state machine ---- */

/* First sight: the frontend path must be the one libxl writes; watch its state. */
static int guest_probe(struct pvb_guest *g)
{
	char want[PVB_PATH_MAX], fe[PVB_PATH_MAX], p[PVB_PATH_MAX], mode[16];
	uint64_t id;
	int rc;

	rc = gpath(g, p, "frontend");
	if (!rc)
		rc = pvpci_xs_read(XS(g), p, fe, sizeof(fe));
	if (!rc)
		rc = read_be_uint(g, "frontend-id", PVPCI_DOMID_MAX, &id);
	if (rc == -ENOENT)
		return rc; /* being removed: the next event frees the guest */
	if (rc || pvpci_xs_path(want, sizeof(want), "/local/domain/%u/device/pci/0", g->domid) ||
	    strcmp(fe, want) != 0 || id != g->domid) {
		pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_ERR, "bad frontend / frontend-id nodes");
		return -EINVAL;
	}
	if (!g->setup_done && gpath(g, p, "pvpci-mode") == 0 &&
	    pvpci_xs_read(XS(g), p, mode, sizeof(mode)) == 0 &&
	    pvpci_backend_mode_parse(mode, &g->mode) != 0)
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "unknown pvpci-mode \"%s\"", mode);
	if (!g->setup_done && g->topo.n == 0)
		pvb_topo_init(&g->topo, g->mode);
	if (g->fe_watched)
		return 0;
	rc = pvpci_xs_path(p, sizeof(p), "%s/state", g->fe_path);
	if (!rc && !xs_watch(XS(g), p, g->fe_token))
		rc = errno ? -errno : -EIO;
	g->fe_watched = rc == 0;
	return rc;
}

/* The frontend's state: Unknown when the node is gone; -1 (ignored) when it is not a
 * state (the guest's garbage does not unregister its devices). */
static int read_fe_state(struct pvb_guest *g)
{
	char v[16];
	uint64_t s = 0;
	int rc = read_fe(g, "state", v, sizeof(v));

	if (rc == -ENOENT)
		return XenbusStateUnknown;
	if (rc || pvpci_xs_parse_dec(v, XenbusStateReconfigured, &s)) {
		pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING, "frontend state ignored: %s",
			      rc ? pvpci_errname(rc) : "not a state");
		return -1;
	}
	return (int)s;
}

static bool online(struct pvb_guest *g)
{
	uint64_t v = 0;

	return read_be_uint(g, "online", 1, &v) == 0 && v == 1;
}

/* Frontend-driven teardown (2.6); true when handled. */
static bool fe_closing(struct pvb_guest *g, int f)
{
	if (f == XenbusStateClosing) {
		disconnect(g);
		switch_state(g, XenbusStateClosing);
		return true;
	}
	if (f == XenbusStateClosed) {
		disconnect(g);
		switch_state(g, XenbusStateClosed);
		if (!online(g))
			unregister(g);
		return true;
	}
	if (f == XenbusStateUnknown && g->seen_fe) {
		unregister(g);
		return true;
	}
	return false;
}

/* Connected, frontend Initialised: do its nodes still name the page and port we use? */
static bool fe_config_changed(struct pvb_guest *g)
{
	char ref[16], evt[16];
	uint64_t r, e;

	if (read_fe(g, "pci-op-ref", ref, sizeof(ref)) ||
	    read_fe(g, "event-channel", evt, sizeof(evt)) || pvpci_xs_parse_dec(ref, UINT32_MAX, &r) ||
	    pvpci_xs_parse_dec(evt, UINT32_MAX, &e))
		return true;
	return !g->sh || r != g->att_gref || e != g->att_rport;
}

/* One step of the backend's own states; returns true if the state changed. */
static bool step(struct pvb_guest *g, int f)
{
	int s = g->state;

	switch (s) {
	case XenbusStateInitialising:
		switch_state(g, XenbusStateInitWait);
		break;
	case XenbusStateInitWait:
		if (apply_devices(g, APPLY_EXPORT) == 0) {
			g->setup_done = true;
			switch_state(g, XenbusStateInitialised);
		}
		break;
	case XenbusStateInitialised:
		if (apply_devices(g, APPLY_EXPORT) == 0 && f == XenbusStateInitialised &&
		    attach(g) == 0)
			switch_state(g, XenbusStateConnected);
		break;
	case XenbusStateConnected:
		/* the frontend starts over (also when its Initialising was missed) */
		if (f == XenbusStateInitialising ||
		    (f == XenbusStateInitialised && fe_config_changed(g))) {
			disconnect(g);
			switch_state(g, XenbusStateInitialised);
		}
		break;
	case XenbusStateReconfiguring:
		if (f == XenbusStateReconfiguring && apply_devices(g, APPLY_RECONFIGURE) == 0)
			switch_state(g, XenbusStateReconfigured);
		break;
	case XenbusStateReconfigured:
		if (f == XenbusStateConnected)
			switch_state(g, XenbusStateConnected);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		if ((f == XenbusStateInitialising || f == XenbusStateInitialised) && online(g) &&
		    g->setup_done && !g->failed) /* the frontend connects again */
			switch_state(g, XenbusStateInitialised);
		break;
	}
	return g->state != s;
}

/* A restarted backend: take back the devices and the connection it had. */
static void recover(struct pvb_guest *g, int f)
{
	int s = g->state;

	if (s < XenbusStateInitialised || s > XenbusStateReconfigured)
		return;
	if (apply_devices(g, APPLY_ADOPT) != 0)
		return;
	g->setup_done = true;
	if ((s == XenbusStateConnected || s == XenbusStateReconfiguring ||
	     s == XenbusStateReconfigured) && !g->sh &&
	    (f == XenbusStateInitialised || f == XenbusStateConnected ||
	     f == XenbusStateReconfiguring))
		(void)attach(g);
}

static void guest_eval(struct pvb_guest *g)
{
	uint64_t s;
	int f, rc = read_be_uint(g, "state", XenbusStateReconfigured, &s);

	if (rc == -ENOENT) { /* the toolstack removed the device */
		pvb_guest_free(g);
		return;
	}
	if (rc)
		return;
	g->state = (int)s;
	if (g->dead && s != XenbusStateInitialising)
		return;
	if (g->dead)
		g->dead = false;
	if (guest_probe(g))
		return;
	f = read_fe_state(g);
	if (f < 0)
		return;
	if (g->failed && fe_moved_on(g, f))
		g->failed = false; /* the frontend moved on: try again when asked */
	g->fe_state = f;
	if (f != XenbusStateUnknown)
		g->seen_fe = true;
	if (fe_closing(g, f))
		return;
	if (!g->setup_done)
		recover(g, f);
	for (int i = 0; i < MAX_EVAL_ROUNDS && !g->dead; i++)
		if (!step(g, f))
			break;
}

/* ---- Watch events ---- */

static void scan_root(struct pvpci_backend *be)
{
	unsigned n = 0;
	char **names = xs_directory(be->xs, XBT_NULL, be->root, &n);

	for (struct pvb_guest *g = be->guests; g; g = g->next)
		mark(g);
	for (unsigned i = 0; names && i < n; i++) {
		uint64_t id;
		struct pvb_guest *g;

		if (pvpci_xs_parse_dec(names[i], PVPCI_DOMID_MAX, &id))
			continue;
		g = guest_find(be, (unsigned)id);
		if (!g && pvb_guest_new(be, (unsigned)id, &g))
			continue;
		mark(g);
	}
	free(names);
}

void pvb_xs_event(struct pvpci_backend *be, const char *path, const char *token)
{
	size_t rl = strlen(be->root);
	struct pvb_guest *g;
	uint64_t id;
	char num[16];
	size_t len;

	if (token[0] == 'f') {
		if (pvpci_xs_parse_dec(token + 1, PVPCI_DOMID_MAX, &id) == 0 &&
		    (g = guest_find(be, (unsigned)id)) != NULL) {
			g->fe_events++;
			mark(g);
		}
		return;
	}
	if (strncmp(path, be->root, rl) != 0 || (path[rl] != '/' && path[rl] != 0))
		return;
	if (path[rl] == 0) {
		scan_root(be);
		return;
	}
	path += rl + 1;
	len = strcspn(path, "/");
	if (len == 0 || len >= sizeof(num))
		return;
	memcpy(num, path, len);
	num[len] = 0;
	if (pvpci_xs_parse_dec(num, PVPCI_DOMID_MAX, &id))
		return;
	g = guest_find(be, (unsigned)id);
	if (!g && pvb_guest_new(be, (unsigned)id, &g))
		return;
	mark(g);
}

void pvb_xs_settle(struct pvpci_backend *be)
{
	while (be->any_dirty) {
		struct pvb_guest *g;

		be->any_dirty = false;
		for (g = be->guests; g; g = g->next) {
			if (!g->dirty)
				continue;
			g->dirty = false;
			guest_eval(g); /* may free g: restart the walk */
			be->any_dirty = true;
			break;
		}
	}
}
