/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the local platform's vPCI transport: a process acting as vCPU 0 of
 * a domain that traps its config and MMIO accesses to the vPCI ioreq server. It shares
 * one page (Xen's shared_iopage: the vCPU's ioreq slot at its start) and one event
 * channel with the backend domain, publishes them in its frontend directory and waits for
 * the server to connect; each access is then one request: fill the slot, set READY
 * (release), notify, wait for IORESP_READY (acquire), take the data, set NONE. Closing
 * goes through Closing so the server unmaps before the page is freed, then back to
 * Initialising for the next session.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

#define GUEST_OP_TIMEOUT_MS 2000

struct pvpci_vpci_guest {
	struct pvpci_platform *plat;
	struct xs_handle *xs;
	unsigned domid, be_domid;
	char fe[VS_PATH_MAX];
	char be[VS_PATH_MAX];
	struct pvpci_log log;
	int timeout_ms;
	void *page;
	uint32_t gref;
	int port;
	bool connected, broken;
};

static volatile struct pvpci_ioreq *slot0(struct pvpci_vpci_guest *g)
{
	return (volatile struct pvpci_ioreq *)g->page;
}

/* Wait until the backend state is in want (bitmask of states) or the deadline; the state
 * is re-read on every store event and at least every 50 ms. Returns the state, or
 * -ETIMEDOUT (*last: the last state read). */
static int wait_be(struct pvpci_vpci_guest *g, unsigned want, uint64_t deadline, int *last)
{
	char path[VS_PATH_MAX + 16], token[48];
	int fd = xs_fileno(g->xs), rc;

	snprintf(path, sizeof(path), "%s/state", g->be);
	snprintf(token, sizeof(token), "vpci-guest-%p", (void *)g);
	if (!xs_watch(g->xs, path, token))
		return errno ? -errno : -EIO;
	for (;;) {
		uint64_t now = pvpci_now_ns();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char **ev;

		*last = vs_read_state(g->xs, XBT_NULL, path);
		if (*last >= 0 && (want & (1u << *last))) {
			rc = *last;
			break;
		}
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		uint64_t ms = (deadline - now) / 1000000u + 1;
		if (poll(&pfd, 1, ms > 50 ? 50 : (int)ms) > 0)
			while ((ev = xs_check_watch(g->xs)) != NULL)
				free(ev);
	}
	xs_unwatch(g->xs, path, token);
	return rc;
}

static int fe_write(struct pvpci_vpci_guest *g, xs_transaction_t t, const char *key,
		    const char *fmt, unsigned v)
{
	char path[VS_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", g->fe, key);
	return vs_write(g->xs, t, path, fmt, v);
}

/* ioreq-ref, event-channel and state 3 in one transaction. */
static int publish(struct pvpci_vpci_guest *g)
{
	for (int i = 0; i < VS_TX_RETRIES; i++) {
		xs_transaction_t t = xs_transaction_start(g->xs);
		int rc;

		if (t == XBT_NULL)
			return -EIO;
		rc = fe_write(g, t, "ioreq-ref", "%u", g->gref);
		if (!rc)
			rc = fe_write(g, t, "event-channel", "%u", (unsigned)g->port);
		if (!rc)
			rc = fe_write(g, t, "state", "%u", 3);
		if (rc) {
			xs_transaction_end(g->xs, t, true);
			return rc;
		}
		errno = 0;
		if (xs_transaction_end(g->xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -EIO;
	}
	return -EAGAIN;
}

static void unpublish(struct pvpci_vpci_guest *g)
{
	char path[VS_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/ioreq-ref", g->fe);
	(void)vs_rm(g->xs, XBT_NULL, path);
	snprintf(path, sizeof(path), "%s/event-channel", g->fe);
	(void)vs_rm(g->xs, XBT_NULL, path);
	(void)fe_write(g, XBT_NULL, "state", "%u", 1);
}

static void release(struct pvpci_vpci_guest *g)
{
	if (g->page && pvpci_gnt_unshare(g->plat, g->gref))
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "the ioreq page is still mapped by the "
			   "backend: left to the platform");
	g->page = NULL;
	if (g->port > 0)
		(void)pvpci_evtchn_close(g->plat, (unsigned)g->port);
	g->port = -1;
}

static int read_backend(struct pvpci_vpci_guest *g)
{
	char path[VS_PATH_MAX + 32];
	uint64_t be;
	int rc;

	snprintf(path, sizeof(path), "%s/backend-id", g->fe);
	rc = vs_read_uint(g->xs, XBT_NULL, path, PVPCI_DOMID_MAX, &be);
	if (rc)
		return rc == -ENOENT ? -ENOENT : -EINVAL;
	g->be_domid = (unsigned)be;
	snprintf(path, sizeof(path), "%s/backend", g->fe);
	rc = vs_read(g->xs, XBT_NULL, path, g->be, sizeof(g->be));
	return rc == -E2BIG ? -EINVAL : rc;
}

static int do_connect(struct pvpci_vpci_guest *g, uint64_t deadline)
{
	char path[VS_PATH_MAX + 16], why[VS_VAL_MAX] = "";
	int last = -1, rc;

	/* A previous session (or a dead process) may have left the frontend up. */
	unpublish(g);
	rc = wait_be(g, 1u << 2, deadline, &last);
	if (rc < 0) {
		pvpci_logf(&g->log, PVPCI_LOG_ERR, "the vPCI server did not answer (backend state "
			   "%d): is pvpci backend running?", last);
		return rc;
	}
	rc = pvpci_gnt_share(g->plat, g->be_domid, false, &g->page, &g->gref);
	if (!rc) {
		g->port = pvpci_evtchn_alloc_unbound(g->plat, g->be_domid);
		rc = g->port < 0 ? g->port : 0;
	}
	if (!rc) {
		slot0(g)->vp_eport = (uint32_t)g->port;
		rc = publish(g);
	}
	if (rc)
		return rc;
	rc = wait_be(g, 1u << 4 | 1u << 6, deadline, &last);
	if (rc == 6) {
		snprintf(path, sizeof(path), "%s/error", g->be);
		(void)vs_read(g->xs, XBT_NULL, path, why, sizeof(why));
		pvpci_logf(&g->log, PVPCI_LOG_ERR, "the vPCI server refused the connection: %s",
			   why[0] ? why : "no reason given");
		return -ECONNREFUSED;
	}
	if (rc < 0) {
		pvpci_logf(&g->log, PVPCI_LOG_ERR, "the vPCI server did not connect (backend "
			   "state %d)", last);
		return rc;
	}
	g->connected = true;
	return fe_write(g, XBT_NULL, "state", "%u", 4);
}

int pvpci_vpci_guest_connect(struct pvpci_platform *plat, int timeout_ms,
			     const struct pvpci_log *log, struct pvpci_vpci_guest **out)
{
	struct pvpci_vpci_guest *g;
	uint64_t deadline;
	int rc;

	*out = NULL;
	if (!plat || !pvpci_platform_xs(plat))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->plat = plat;
	g->xs = pvpci_platform_xs(plat);
	g->domid = pvpci_platform_domid(plat);
	g->port = -1;
	g->timeout_ms = GUEST_OP_TIMEOUT_MS;
	pvpci_log_init(&g->log, log, "d%u vpci-guest", g->domid);
	snprintf(g->fe, sizeof(g->fe), PVPCI_VPCI_FE_FMT, g->domid);
	deadline = pvpci_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 10000) * 1000000u;
	rc = read_backend(g);
	if (!rc)
		rc = do_connect(g, deadline);
	if (rc) {
		g->connected = false;
		release(g);
		if (rc != -ENOENT)
			unpublish(g);
		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void pvpci_vpci_guest_close(struct pvpci_vpci_guest *g)
{
	int last;

	if (!g)
		return;
	if (g->connected) {
		/* Closing: the server unmaps and unbinds, then the page can go. */
		(void)fe_write(g, XBT_NULL, "state", "%u", 5);
		(void)wait_be(g, ~(1u << 4), pvpci_now_ns() + (uint64_t)g->timeout_ms * 1000000u,
			      &last);
	}
	release(g);
	unpublish(g);
	free(g);
}

void pvpci_vpci_guest_set_timeout(struct pvpci_vpci_guest *g, int timeout_ms)
{
	g->timeout_ms = timeout_ms > 0 ? timeout_ms : GUEST_OP_TIMEOUT_MS;
}

volatile struct pvpci_ioreq *pvpci_vpci_guest_slot(struct pvpci_vpci_guest *g)
{
	return slot0(g);
}

int pvpci_vpci_guest_notify(struct pvpci_vpci_guest *g)
{
	return pvpci_evtchn_notify(g->plat, (unsigned)g->port);
}

unsigned pvpci_vpci_guest_backend(const struct pvpci_vpci_guest *g)
{
	return g->be_domid;
}

/* Wait for IORESP_READY: the event, or the state seen first. */
static int wait_resp(struct pvpci_vpci_guest *g)
{
	uint64_t deadline = pvpci_now_ns() + (uint64_t)g->timeout_ms * 1000000u;

	for (;;) {
		uint8_t f = __atomic_load_n(&slot0(g)->flags, __ATOMIC_ACQUIRE);
		uint64_t now = pvpci_now_ns();
		int port;

		if ((f & PVPCI_IOREQ_STATE_MASK) == PVPCI_IORESP_STATE_READY)
			return 0;
		if (now >= deadline)
			return -ETIMEDOUT;
		port = pvpci_evtchn_wait(g->plat, (int)((deadline - now) / 1000000u) + 1);
		if (port > 0)
			(void)pvpci_evtchn_eoi(g->plat, (unsigned)port, false);
		else if (port != -ETIMEDOUT)
			return port;
	}
}

int pvpci_vpci_guest_ioreq(struct pvpci_vpci_guest *g, unsigned type, bool read,
			   uint64_t addr, unsigned size, uint64_t *data)
{
	volatile struct pvpci_ioreq *r;
	int rc;

	if (!g->connected || g->broken)
		return -ENOTCONN;
	if ((size != 1 && size != 2 && size != 4 && size != 8) || type > 0xff || !data)
		return -EINVAL;
	r = slot0(g);
	r->addr = addr;
	r->data = read ? 0 : *data;
	r->count = 1;
	r->size = size;
	r->vp_eport = (uint32_t)g->port;
	r->type = (uint8_t)type;
	__atomic_store_n(&r->flags,
			 (uint8_t)((read ? PVPCI_IOREQ_DIR_READ : 0) | PVPCI_IOREQ_STATE_READY),
			 __ATOMIC_RELEASE);
	rc = pvpci_evtchn_notify(g->plat, (unsigned)g->port);
	if (!rc)
		rc = wait_resp(g);
	if (rc) {
		g->broken = true; /* the slot's state is unknown now */
		pvpci_logf(&g->log, PVPCI_LOG_ERR, "request %#" PRIx64 " got no answer: %s", addr,
			   pvpci_errname(rc));
		return rc;
	}
	if (read)
		*data = r->data;
	__atomic_store_n(&r->flags, (uint8_t)PVPCI_IOREQ_STATE_NONE, __ATOMIC_RELEASE);
	return 0;
}

static uint64_t cfg_addr(struct pvpci_sbdf a, unsigned reg)
{
	return (uint64_t)a.seg << 48 | (uint64_t)a.bus << 40 | (uint64_t)(a.dev & 0x1f) << 35 |
	       (uint64_t)(a.fn & 7) << 32 | reg;
}

int pvpci_vpci_guest_cfg_read(struct pvpci_vpci_guest *g, struct pvpci_sbdf a, unsigned reg,
			      unsigned size, uint32_t *val)
{
	uint64_t d = 0;
	int rc;

	if (size > 4)
		return -EINVAL;
	rc = pvpci_vpci_guest_ioreq(g, PVPCI_IOREQ_TYPE_PCI_CONFIG, true, cfg_addr(a, reg), size,
				    &d);
	*val = rc ? ~0u : (uint32_t)d;
	return rc;
}

int pvpci_vpci_guest_cfg_write(struct pvpci_vpci_guest *g, struct pvpci_sbdf a, unsigned reg,
			       unsigned size, uint32_t val)
{
	uint64_t d = val;

	if (size > 4)
		return -EINVAL;
	return pvpci_vpci_guest_ioreq(g, PVPCI_IOREQ_TYPE_PCI_CONFIG, false, cfg_addr(a, reg),
				      size, &d);
}
