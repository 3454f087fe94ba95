/* SPDX-License-Identifier: MIT */
/*
 * The host daemon's event channels and PIRQs: per-domain port tables (port 0 never
 * used), unbound ports offered to one domain, interdomain binding (which gives the two
 * connections an event region of their own, created on first use), closing (the peer's
 * port falls back to unbound, offered to the closer, as in Xen), PIRQs allocated by the
 * control domain for a guest, bound by the guest and fired by their owner (the daemon
 * raises the guest's port in its home region). Connections learn state changes made by
 * others through the dirty bits the sync request reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

static void mark_dirty(struct hconn *c, unsigned port)
{
	c->dirty[port / 64] |= 1ull << (port % 64);
	if (c->home)
		evr_kick(&c->home->side[0], c->home_tx);
}

static unsigned resolve(const struct hconn *c, unsigned domid)
{
	return domid == PVPCI_DOMID_SELF ? c->dom->domid : domid;
}

static int port_alloc(struct pvpci_host *h, struct hdom *d)
{
	for (unsigned p = 1; p < h->max_ports; p++)
		if (d->ports[p].state == PVPCI_EVTCHN_CLOSED)
			return (int)p;
	return -ENOSPC;
}

/* Close port of d. notify_owner: the owner did not ask (daemon-initiated), tell it. */
static void port_close(struct pvpci_host *h, struct hdom *d, unsigned port, bool notify_owner)
{
	struct hport *pt = &d->ports[port];

	if (pt->state == PVPCI_EVTCHN_INTERDOMAIN) {
		struct hdom *rd = host_dom(h, pt->rdom);
		struct hport *rp = rd ? &rd->ports[pt->rport] : NULL;
		if (rp && rp->state == PVPCI_EVTCHN_INTERDOMAIN && rp->rdom == d->domid &&
		    rp->rport == port) {
			rp->state = PVPCI_EVTCHN_UNBOUND;
			rp->rport = 0;
			rp->reg = NULL;
			mark_dirty(rp->owner, pt->rport);
		}
	} else if (pt->state == PVPCI_EVTCHN_PIRQ) {
		unsigned idx = pt->pirq - LP_PIRQ_FIRST;
		if (idx < h->max_pirqs && d->pirqs[idx].port == port)
			d->pirqs[idx].port = 0;
	}
	if (notify_owner && pt->owner && !pt->owner->dead)
		mark_dirty(pt->owner, port);
	memset(pt, 0, sizeof(*pt));
}

int host_evt_alloc(struct pvpci_host *h, struct hconn *c, unsigned rdom)
{
	rdom = resolve(c, rdom);
	if (!host_dom(h, rdom))
		return -ESRCH;
	int port = port_alloc(h, c->dom);
	if (port < 0)
		return port;
	struct hport *pt = &c->dom->ports[port];
	pt->state = PVPCI_EVTCHN_UNBOUND;
	pt->owner = c;
	pt->rdom = rdom;
	return port;
}

/* Count a region in (delta 1) or out of (-1) the budgets of the guests it joins: each
 * region holds a memfd and two pipes in the daemon, so a guest binding ports between
 * many pairs of its handles could otherwise run the daemon out of file descriptors. */
static int region_acct(struct pvpci_host *h, struct hconn *a, struct hconn *b, int delta)
{
	struct hdom *d[2] = { a->dom, b->dom == a->dom ? NULL : b->dom };

	for (int i = 0; i < 2 && delta > 0; i++)
		if (d[i] && d[i]->domid && d[i]->nregions >= h->max_regions) {
			pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_WARNING,
				      "d%u: event region limit (%u) reached", d[i]->domid,
				      h->max_regions);
			return -ENOSPC;
		}
	for (int i = 0; i < 2; i++)
		if (d[i] && d[i]->domid)
			d[i]->nregions += (unsigned)delta;
	return 0;
}

/* A free doorbell slot of c (lowest first, so a receiver's doorbell stays dense). */
static int slot_alloc(struct hconn *c)
{
	for (unsigned w = 0; w < EVR_WORDS; w++)
		if (~c->bell_used[w]) {
			unsigned b = (unsigned)__builtin_ctzll(~c->bell_used[w]);
			c->bell_used[w] |= 1ull << b;
			return (int)(w * 64 + b);
		}
	return -ENOSPC;
}

static void slot_free(struct hconn *c, unsigned slot)
{
	c->bell_used[slot / 64] &= ~(1ull << (slot % 64));
}

static int region_get(struct pvpci_host *h, struct hconn *a, struct hconn *b,
		      struct hregion **out)
{
	struct hregion *g;
	int sp[2][2] = { { -1, -1 }, { -1, -1 } };

	for (g = h->regions; g; g = g->next)
		if ((g->c[0] == a && g->c[1] == b) || (g->c[0] == b && g->c[1] == a)) {
			*out = g;
			return 0;
		}
	if (region_acct(h, a, b, 1) < 0)
		return -ENOSPC;
	g = calloc(1, sizeof(*g));
	int fd = lp_new_page_memfd("pvpci-evtchn");
	bool ok = g && fd >= 0;
	for (int s = 0; s < 2 && ok; s++)
		ok = pipe2(sp[s], O_NONBLOCK | O_CLOEXEC) == 0;
	int sa = ok ? slot_alloc(a) : -1, sb = sa >= 0 ? slot_alloc(b) : -1;
	if (!ok || sb < 0) {
		if (sa >= 0)
			slot_free(a, (unsigned)sa);
		free(g);
		if (fd >= 0)
			close(fd);
		for (int s = 0; s < 2; s++)
			lp_close_fds(sp[s], 2);
		region_acct(h, a, b, -1);
		return -ENOMEM;
	}
	g->id = h->next_region_id++;
	if (h->next_region_id == 0)
		h->next_region_id = 1;
	g->c[0] = a;
	g->c[1] = b;
	g->slot[0] = (unsigned)sa;
	g->slot[1] = (unsigned)sb;
	g->memfd = fd;
	memcpy(g->pipe, sp, sizeof(sp));
	g->next = h->regions;
	h->regions = g;
	*out = g;
	return 0;
}

int host_evt_bind(struct pvpci_host *h, struct hconn *c, unsigned rdom, unsigned rport)
{
	struct hdom *rd = host_dom(h, resolve(c, rdom));

	if (!rd)
		return -ESRCH;
	if (rport == 0 || rport >= h->max_ports)
		return -EINVAL;
	struct hport *rp = &rd->ports[rport];
	if (rp->state != PVPCI_EVTCHN_UNBOUND)
		return -EINVAL;
	if (rp->rdom != c->dom->domid)
		return -EACCES;
	struct hregion *g = NULL;
	if (rp->owner != c) {
		int r = region_get(h, c, rp->owner, &g);
		if (r < 0)
			return r;
	}
	int port = port_alloc(h, c->dom);
	if (port < 0)
		return port;
	struct hport *pt = &c->dom->ports[port];
	*pt = (struct hport){ .state = PVPCI_EVTCHN_INTERDOMAIN, .owner = c, .rdom = rd->domid,
			      .rport = rport, .reg = g };
	rp->state = PVPCI_EVTCHN_INTERDOMAIN;
	rp->rport = (unsigned)port;
	rp->reg = g;
	mark_dirty(c, (unsigned)port);
	mark_dirty(rp->owner, rport);
	return port;
}

int host_evt_close(struct pvpci_host *h, struct hconn *c, unsigned port)
{
	if (port == 0 || port >= h->max_ports || c->dom->ports[port].owner != c ||
	    c->dom->ports[port].state == PVPCI_EVTCHN_CLOSED)
		return -EINVAL;
	port_close(h, c->dom, port, false);
	return 0;
}

int host_evt_status(struct pvpci_host *h, struct hconn *c, unsigned domid, unsigned port,
		    struct lp_rsp *rsp)
{
	domid = resolve(c, domid);
	if (domid != c->dom->domid && c->dom->domid != 0)
		return -EPERM;
	struct hdom *d = host_dom(h, domid);
	if (!d)
		return -ESRCH;
	if (port == 0 || port >= h->max_ports)
		return -EINVAL;
	const struct hport *pt = &d->ports[port];
	rsp->u[0] = pt->state;
	rsp->u[1] = pt->rdom;
	rsp->u[2] = pt->rport;
	rsp->u[3] = pt->pirq;
	return 0;
}

/* One sync entry for port; adds LP_SYNC_FDS fds when it goes through a region. */
static int sync_entry(struct hconn *c, unsigned port, struct lp_sync_port *e, int *fds,
		      unsigned *nfds)
{
	const struct hport *pt = &c->dom->ports[port];

	memset(e, 0, sizeof(*e));
	e->port = port;
	if (pt->owner != c)
		return 0; /* not ours (any more): closed */
	e->state = pt->state;
	e->rdom = pt->rdom;
	e->rport = pt->rport;
	e->pirq = pt->pirq;
	if (pt->state != PVPCI_EVTCHN_INTERDOMAIN || !pt->reg)
		return 0;
	const struct hregion *g = pt->reg;
	unsigned s = g->c[0] == c ? 0 : 1;
	int f[LP_SYNC_FDS] = { dup(g->memfd), dup(g->pipe[s][0]), dup(g->pipe[s ^ 1][1]),
			       dup(g->pipe[s ^ 1][0]), dup(g->c[s ^ 1]->bell_fd) };
	for (unsigned i = 0; i < LP_SYNC_FDS; i++)
		if (f[i] < 0) {
			int e2 = errno;
			lp_close_fds(f, LP_SYNC_FDS);
			return -e2;
		}
	e->region = g->id;
	e->side = s;
	e->slot = g->slot[s];
	e->peer_slot = g->slot[s ^ 1];
	e->has_fds = 1;
	memcpy(fds + *nfds, f, sizeof(f));
	*nfds += LP_SYNC_FDS;
	return 0;
}

int host_evt_sync(struct pvpci_host *h, struct hconn *c, struct lp_rsp *rsp,
		  struct lp_sync_port *e, int *fds, unsigned *nfds)
{
	unsigned n = 0;
	bool more = false;

	*nfds = 0;
	for (unsigned w = 0; w < EVR_WORDS && !more; w++) {
		while (c->dirty[w]) {
			if (n == LP_SYNC_MAX) {
				more = true;
				break;
			}
			unsigned port = w * 64 + (unsigned)__builtin_ctzll(c->dirty[w]);
			if (port < h->max_ports) {
				int r = sync_entry(c, port, &e[n], fds, nfds);
				if (r < 0) {
					lp_close_fds(fds, *nfds);
					*nfds = 0;
					return r;
				}
				n++;
			}
			c->dirty[w] &= c->dirty[w] - 1;
		}
	}
	rsp->u[0] = n;
	rsp->u[1] = more;
	return 0;
}

void host_evt_conn_gone(struct pvpci_host *h, struct hconn *c)
{
	struct hdom *d = c->dom;

	for (unsigned p = 1; p < h->max_ports; p++)
		if (d->ports[p].owner == c)
			port_close(h, d, p, false);
	for (struct hregion **pp = &h->regions; *pp;) {
		struct hregion *g = *pp;
		if (g->c[0] != c && g->c[1] != c) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		region_acct(h, g->c[0], g->c[1], -1);
		slot_free(g->c[0], g->slot[0]);
		slot_free(g->c[1], g->slot[1]);
		close(g->memfd);
		lp_close_fds(g->pipe[0], 2);
		lp_close_fds(g->pipe[1], 2);
		free(g);
	}
}

/* ---- PIRQs ----------------------------------------------------------------------- */

static struct hpirq *pirq_get(struct pvpci_host *h, struct hdom *d, unsigned pirq)
{
	unsigned idx = pirq - LP_PIRQ_FIRST;

	if (pirq < LP_PIRQ_FIRST || idx >= h->max_pirqs || !d->pirqs[idx].allocated)
		return NULL;
	return &d->pirqs[idx];
}

int host_pirq_alloc(struct pvpci_host *h, struct hconn *c, unsigned guest)
{
	struct hdom *gd = host_dom(h, resolve(c, guest));

	if (!gd)
		return -ESRCH;
	for (unsigned i = 0; i < h->max_pirqs; i++) {
		if (gd->pirqs[i].allocated)
			continue;
		gd->pirqs[i] = (struct hpirq){ .allocated = true, .owner_dom = c->dom->domid };
		return (int)(LP_PIRQ_FIRST + i);
	}
	return -ENOSPC;
}

static void pirq_release(struct pvpci_host *h, struct hdom *gd, struct hpirq *q)
{
	if (q->port)
		port_close(h, gd, q->port, true);
	memset(q, 0, sizeof(*q));
}

/* The guest's domain and its allocated PIRQ pirq. */
static int guest_pirq(struct pvpci_host *h, struct hconn *c, unsigned guest, unsigned pirq,
		      struct hdom **gd, struct hpirq **q)
{
	*gd = host_dom(h, resolve(c, guest));
	if (!*gd)
		return -ESRCH;
	*q = pirq_get(h, *gd, pirq);
	return *q ? 0 : -ENOENT;
}

int host_pirq_free(struct pvpci_host *h, struct hconn *c, unsigned guest, unsigned pirq)
{
	struct hdom *gd;
	struct hpirq *q;
	int r = guest_pirq(h, c, guest, pirq, &gd, &q);

	if (r < 0)
		return r;
	pirq_release(h, gd, q);
	return 0;
}

int host_pirq_bind(struct pvpci_host *h, struct hconn *c, unsigned pirq)
{
	struct hpirq *q = pirq_get(h, c->dom, pirq);

	if (!q)
		return -ENOENT;
	if (q->port)
		return -EBUSY;
	int port = port_alloc(h, c->dom);
	if (port < 0)
		return port;
	c->dom->ports[port] = (struct hport){ .state = PVPCI_EVTCHN_PIRQ, .owner = c,
					      .pirq = pirq };
	q->port = (unsigned)port;
	return port;
}

int host_pirq_fire(struct pvpci_host *h, struct hconn *c, unsigned guest, unsigned pirq)
{
	struct hdom *gd;
	struct hpirq *q;
	int r = guest_pirq(h, c, guest, pirq, &gd, &q);

	if (r < 0)
		return r;
	if (q->owner_dom != c->dom->domid)
		return -EPERM;
	if (!q->port)
		return 0; /* nobody listens: dropped */
	struct hconn *oc = gd->ports[q->port].owner;
	if (oc && oc->home)
		evr_raise(&oc->home->side[0], q->port, NULL, 0, oc->home_tx);
	return 0;
}

void host_pirq_dom_gone(struct pvpci_host *h, struct hdom *d)
{
	for (struct hdom *o = h->doms; o; o = o->next)
		for (unsigned i = 0; i < h->max_pirqs; i++) {
			struct hpirq *q = &o->pirqs[i];
			if (q->allocated && (o == d || q->owner_dom == d->domid))
				pirq_release(h, o, q);
		}
}
