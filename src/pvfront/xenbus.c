/* SPDX-License-Identifier: MIT */
/*
 * The frontend's xenbus side (protocol.md 2.2-2.6): connect (grant the page, set
 * _XEN_PCIB_AERHANDLER only with an AER callback, offer the channel, write pci-op-ref /
 * event-channel / magic in one transaction retried on EAGAIN, Initialised, wait for the
 * backend's Connected, scan, Connected), the backend's Reconfiguring (remove the state-N=5
 * devices named by vdev-N, then Reconfiguring; a missed Connected is completed first),
 * Reconfigured (rescan, Connected), Closing / Closed / gone (drop every device, Closed),
 * and an orderly close with bounded waits.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "pvfront_priv.h"

#define DEFAULT_OP_TIMEOUT_MS 2000
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_SPIN_NS 50000u
#define TXN_RETRIES 64

/* Wait for a backend state in mask (bit per state) until the deadline. */
static int wait_backend(struct pvpci_pvfront *f, unsigned mask, int timeout_ms)
{
	uint64_t deadline = pvpci_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		struct pollfd pfd = { .fd = xs_fileno(f->xs), .events = POLLIN };
		uint64_t now;

		f->be_state = pvf_backend_state(f);
		if (mask & (1u << f->be_state))
			return f->be_state;
		now = pvpci_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000)) < 0 &&
		    errno != EINTR)
			return -errno;
		pvf_watch_drain(f);
	}
}

static int write_config(struct pvpci_pvfront *f)
{
	char p[3][PVF_PATH_MAX], v[2][16];
	const char *nodes[3] = { "pci-op-ref", "event-channel", "magic" };
	int rc = 0;

	snprintf(v[0], sizeof(v[0]), "%u", f->gref);
	snprintf(v[1], sizeof(v[1]), "%u", f->port);
	for (int i = 0; i < 3 && !rc; i++)
		rc = pvpci_xs_path(p[i], sizeof(p[i]), "%s/%s", f->fe_path, nodes[i]);
	for (int tries = 0; !rc && tries < TXN_RETRIES; tries++) {
		xs_transaction_t t = xs_transaction_start(f->xs);
		bool ok;

		if (t == XBT_NULL)
			return errno ? -errno : -EIO;
		ok = xs_write(f->xs, t, p[0], v[0], (unsigned)strlen(v[0])) &&
		     xs_write(f->xs, t, p[1], v[1], (unsigned)strlen(v[1])) &&
		     xs_write(f->xs, t, p[2], XEN_PCI_MAGIC, (unsigned)strlen(XEN_PCI_MAGIC));
		if (!ok) {
			rc = errno ? -errno : -EIO;
			(void)xs_transaction_end(f->xs, t, true);
			return rc;
		}
		if (xs_transaction_end(f->xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return errno ? -errno : -EIO;
	}
	return rc ? rc : -EAGAIN;
}

static int read_paths(struct pvpci_pvfront *f)
{
	char p[PVF_PATH_MAX];
	uint64_t id;
	int rc = pvpci_xs_path(f->fe_path, sizeof(f->fe_path), "/local/domain/%u/device/pci/0",
			  f->domid);

	if (!rc)
		rc = pvpci_xs_path(p, sizeof(p), "%s/backend", f->fe_path);
	if (!rc)
		rc = pvpci_xs_read(f->xs, p, f->be_path, sizeof(f->be_path));
	if (!rc)
		rc = pvpci_xs_path(p, sizeof(p), "%s/backend-id", f->fe_path);
	if (!rc)
		rc = pvpci_xs_read_uint(f->xs, p, PVPCI_DOMID_MAX, &id);
	if (!rc)
		f->be_domid = (unsigned)id;
	return rc;
}

/* Grant, channel, nodes, Initialised. */
static int offer(struct pvpci_pvfront *f)
{
	void *page;
	int rc = pvpci_gnt_share(f->plat, f->be_domid, false, &page, &f->gref);

	if (rc)
		return rc;
	f->sh = page;
	if (f->opts.aer)
		__atomic_fetch_or(&f->sh->flags, XEN_PCIB_AERHANDLER, __ATOMIC_SEQ_CST);
	rc = pvpci_evtchn_alloc_unbound(f->plat, f->be_domid);
	if (rc < 0)
		return rc;
	f->port = (unsigned)rc;
	rc = write_config(f);
	return rc ? rc : pvf_set_state(f, XenbusStateInitialised);
}

/* Watch the backend's state (the watch fires once at once). */
static int watch_backend(struct pvpci_pvfront *f)
{
	char p[PVF_PATH_MAX];
	int rc = pvpci_xs_path(p, sizeof(p), "%s/state", f->be_path);

	if (!rc && !xs_watch(f->xs, p, PVF_BE_TOKEN))
		rc = errno ? -errno : -EIO;
	f->watching = rc == 0;
	return rc;
}

static void release(struct pvpci_pvfront *f)
{
	char p[PVF_PATH_MAX];

	if (f->watching && !pvpci_xs_path(p, sizeof(p), "%s/state", f->be_path))
		(void)xs_unwatch(f->xs, p, PVF_BE_TOKEN);
	f->watching = false;
	for (size_t i = 0; i < f->nirqs; i++)
		(void)pvpci_evtchn_close(f->plat, f->irqs[i].port);
	f->nirqs = 0;
	if (f->port)
		(void)pvpci_evtchn_close(f->plat, f->port);
	f->port = 0;
	if (f->sh) {
		for (int i = 0; i < 50 && pvpci_gnt_unshare(f->plat, f->gref) == -EBUSY; i++)
			poll(NULL, 0, 2); /* the backend unmaps after it saw us closing */
		f->sh = NULL;
	}
	free(f->devs);
	f->devs = NULL;
	f->ndevs = 0;
}

/* A connect that failed after the offer: back to Initialising and the three nodes gone
 * in one transaction (the backend never reads a config whose page is no longer granted,
 * and a backend that had attached lets the page go), before release() ends the grant. */
static void withdraw(struct pvpci_pvfront *f)
{
	const char *nodes[] = { "pci-op-ref", "event-channel", "magic" };
	char p[PVF_PATH_MAX], v[8];

	if (f->state < XenbusStateInitialised)
		return;
	snprintf(v, sizeof(v), "%d", XenbusStateInitialising);
	for (int tries = 0; tries < TXN_RETRIES; tries++) {
		xs_transaction_t t = xs_transaction_start(f->xs);
		bool ok;

		if (t == XBT_NULL)
			break;
		ok = !pvpci_xs_path(p, sizeof(p), "%s/state", f->fe_path) &&
		     xs_write(f->xs, t, p, v, (unsigned)strlen(v));
		for (size_t i = 0; ok && i < PVPCI_ARRAY_SIZE(nodes); i++)
			ok = !pvpci_xs_path(p, sizeof(p), "%s/%s", f->fe_path, nodes[i]) &&
			     (xs_rm(f->xs, t, p) || errno == ENOENT);
		if (!ok) {
			(void)xs_transaction_end(f->xs, t, true);
			break;
		}
		if (xs_transaction_end(f->xs, t, false)) {
			f->state = XenbusStateInitialising;
			return;
		}
		if (errno != EAGAIN)
			break;
	}
	/* no transaction: the state at least */
	(void)pvf_set_state(f, XenbusStateInitialising);
}

/* Backend Connected (or already reconfiguring): scan and go Connected. */
static int complete_connect(struct pvpci_pvfront *f)
{
	int rc;

	f->connected = true;
	rc = pvf_rescan(f);
	if (rc)
		pvpci_logf(&f->log, PVPCI_LOG_WARNING, "scan failed: %s", pvpci_errname(rc));
	return pvf_set_state(f, XenbusStateConnected);
}

/* Initialising; a backend still in a previous session's state (Connected, Closed, ...)
 * must notice before we offer, or its old state would be taken for an answer. */
static int start_over(struct pvpci_pvfront *f)
{
	unsigned fresh = 1u << XenbusStateInitialising | 1u << XenbusStateInitWait |
			 1u << XenbusStateInitialised;
	int rc, b0 = pvf_backend_state(f);

	rc = pvf_set_state(f, XenbusStateInitialising);
	if (rc || (fresh & (1u << b0)))
		return rc;
	rc = wait_backend(f, fresh, f->opts.connect_timeout_ms);
	return rc < 0 ? rc : 0;
}

static int init(struct pvpci_pvfront *f, struct pvpci_platform *p, unsigned domid,
		const struct pvpci_pvfront_opts *opts)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&f->lock, &a);
	pthread_mutexattr_destroy(&a);
	f->plat = p;
	f->xs = pvpci_platform_xs(p);
	f->domid = domid;
	if (opts)
		f->opts = *opts;
	if (f->opts.op_timeout_ms <= 0)
		f->opts.op_timeout_ms = DEFAULT_OP_TIMEOUT_MS;
	if (f->opts.connect_timeout_ms <= 0)
		f->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (!f->opts.spin_ns)
		f->opts.spin_ns = DEFAULT_SPIN_NS;
	f->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_log_init(&f->log, f->opts.log, "d%u pcifront", domid);
	return f->xs ? 0 : -EINVAL;
}

int pvpci_pvfront_connect(struct pvpci_platform *p, unsigned domid,
			  const struct pvpci_pvfront_opts *opts, struct pvpci_pvfront **out)
{
	struct pvpci_pvfront *f = calloc(1, sizeof(*f));
	unsigned ok = 1u << XenbusStateConnected | 1u << XenbusStateReconfiguring |
		      1u << XenbusStateReconfigured;
	unsigned bad = 1u << XenbusStateClosing | 1u << XenbusStateClosed;
	int rc;

	if (!f)
		return -ENOMEM;
	rc = init(f, p, domid, opts);
	if (!rc)
		rc = read_paths(f);
	if (!rc)
		rc = watch_backend(f);
	if (!rc)
		rc = start_over(f);
	if (!rc)
		rc = offer(f);
	if (!rc)
		rc = wait_backend(f, ok | bad, f->opts.connect_timeout_ms);
	if (rc >= 0 && (bad & (1u << rc)))
		rc = -ECONNREFUSED;
	if (rc >= 0)
		rc = complete_connect(f);
	if (rc < 0) {
		pvpci_logf(&f->log, PVPCI_LOG_ERR, "connect failed: %s", pvpci_errname(rc));
		withdraw(f);
		release(f);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return rc;
	}
	f->be_dirty = true; /* a Reconfiguring seen while connecting is handled next */
	pvpci_logf(&f->log, PVPCI_LOG_INFO, "connected, %zu device(s)", f->ndevs);
	*out = f;
	return 0;
}

/* Backend Reconfiguring: remove the devices it is taking away. */
static void detach_closing(struct pvpci_pvfront *f)
{
	uint64_t num = 0, sub;

	if (pvf_be_uint(f, "num_devs", 256, &num))
		return;
	for (unsigned i = 0; i < num; i++) {
		char node[24], v[32];
		unsigned seg, bus, dev, fn;
		int end = 0;

		snprintf(node, sizeof(node), "state-%u", i);
		if (pvf_be_uint(f, node, XenbusStateReconfigured, &sub) ||
		    sub != XenbusStateClosing)
			continue;
		snprintf(node, sizeof(node), "vdev-%u", i);
		if (pvf_be_read(f, node, v, sizeof(v)) ||
		    sscanf(v, "%4x:%2x:%2x.%2x%n", &seg, &bus, &dev, &fn, &end) != 4 || v[end] ||
		    dev > 31 || fn > 7)
			continue;
		pvf_dev_remove(f, (struct pvpci_sbdf){ (uint16_t)seg, (uint8_t)bus, (uint8_t)dev,
						       (uint8_t)fn });
	}
}

static void backend_gone(struct pvpci_pvfront *f)
{
	if (f->state == XenbusStateClosed)
		return;
	pvf_dev_remove_all(f);
	f->connected = false;
	if (f->opts.hotplug)
		f->opts.hotplug(f->opts.opaque, PVPCI_PVFRONT_DISCONNECTED, NULL);
	(void)pvf_set_state(f, XenbusStateClosed);
}

void pvf_backend_changed(struct pvpci_pvfront *f)
{
	int bs = pvf_backend_state(f);

	f->be_state = bs;
	switch (bs) {
	case XenbusStateReconfiguring:
		if (f->state == XenbusStateInitialised)
			(void)complete_connect(f); /* missed Connected */
		if (f->state == XenbusStateConnected) {
			detach_closing(f);
			(void)pvf_set_state(f, XenbusStateReconfiguring);
		}
		break;
	case XenbusStateReconfigured:
		if (f->state == XenbusStateReconfiguring) {
			int rc = pvf_rescan(f);

			if (rc)
				pvpci_logf(&f->log, PVPCI_LOG_WARNING, "rescan failed: %s",
					   pvpci_errname(rc));
			(void)pvf_set_state(f, XenbusStateConnected);
		}
		break;
	case XenbusStateConnected:
		if (f->state == XenbusStateInitialised)
			(void)complete_connect(f);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
	case XenbusStateUnknown:
		backend_gone(f);
		break;
	default:
		break;
	}
}

void pvpci_pvfront_close(struct pvpci_pvfront *f)
{
	int t;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	t = f->opts.connect_timeout_ms;
	if (f->state != XenbusStateClosed) {
		(void)pvf_set_state(f, XenbusStateClosing);
		(void)wait_backend(f, 1u << XenbusStateClosing | 1u << XenbusStateClosed |
					      1u << XenbusStateUnknown, t);
		(void)pvf_set_state(f, XenbusStateClosed);
		(void)wait_backend(f, 1u << XenbusStateClosed | 1u << XenbusStateUnknown, t);
	}
	release(f);
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

bool pvpci_pvfront_connected(struct pvpci_pvfront *f)
{
	bool c;

	pthread_mutex_lock(&f->lock);
	c = f->connected;
	pthread_mutex_unlock(&f->lock);
	return c;
}

void pvpci_pvfront_states(struct pvpci_pvfront *f, int *own, int *backend)
{
	pthread_mutex_lock(&f->lock);
	if (own)
		*own = f->state;
	if (backend)
		*backend = f->be_state;
	pthread_mutex_unlock(&f->lock);
}
