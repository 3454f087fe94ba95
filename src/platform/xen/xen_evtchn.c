/* SPDX-License-Identifier: MIT */
/*
 * Grants and event channels on Xen: libxengntshr shares a page with a remote domain,
 * libxengnttab maps a page a remote domain granted; libxenevtchn gives the ports. The
 * evtchn device masks a port when it delivers it, so "late EOI" is natural: pending()
 * hands the port out once and leaves it masked; eoi() unmasks it (counting the spurious
 * ones). A port the caller masked explicitly keeps its event held until unmask.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>

#include "xen_priv.h"

/* ---- Grants ---- */
int xen_gnt_share(struct pvpci_xen *x, unsigned remote, bool ro, void **page, uint32_t *gref)
{
	struct xen_share *slot = NULL;
	uint32_t ref;
	void *p;

	if (!page || !gref || remote > PVPCI_DOMID_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < XEN_MAX_SHARED && !slot; i++)
		if (!x->shares[i].page)
			slot = &x->shares[i];
	if (!slot)
		return -ENOSPC;
	p = xengntshr_share_pages(x->xgs, remote, 1, &ref, !ro);
	if (!p)
		return errno ? -errno : -ENOSPC;
	memset(p, 0, PVPCI_PAGE_SIZE);
	slot->page = p;
	slot->gref = ref;
	*page = p;
	*gref = ref;
	return 0;
}

int xen_gnt_unshare(struct pvpci_xen *x, uint32_t gref)
{
	for (unsigned i = 0; i < XEN_MAX_SHARED; i++) {
		if (!x->shares[i].page || x->shares[i].gref != gref)
			continue;
		if (xengntshr_unshare(x->xgs, x->shares[i].page, 1) < 0)
			return errno ? -errno : -EBUSY;
		x->shares[i].page = NULL;
		return 0;
	}
	return -ENOENT;
}

int xen_gnt_map(struct pvpci_xen *x, unsigned domid, uint32_t gref, unsigned flags,
		void **addr)
{
	void *p;

	if (!addr || domid > PVPCI_DOMID_MAX || (flags & ~PVPCI_GNT_MAP_RO))
		return -EINVAL;
	p = xengnttab_map_grant_ref(x->xgt, domid, gref,
				    (flags & PVPCI_GNT_MAP_RO) ? PROT_READ
							       : PROT_READ | PROT_WRITE);
	if (!p)
		return errno ? -errno : -ENOENT;
	*addr = p;
	return 0;
}

int xen_gnt_unmap(struct pvpci_xen *x, void *addr)
{
	if (!addr)
		return -EINVAL;
	return xengnttab_unmap(x->xgt, addr, 1) < 0 ? -EINVAL : 0;
}

/* ---- Event channels ---- */
static bool port_ok(const struct pvpci_xen *x, unsigned port)
{
	return port > 0 && port < PVPCI_EVTCHN_MAX_PORTS &&
	       (x->port_state[port] & XEN_PORT_OWNED);
}

static int owned(struct pvpci_xen *x, int port)
{
	if (port < 0)
		return errno ? -errno : -EIO;
	if ((unsigned)port >= PVPCI_EVTCHN_MAX_PORTS) {
		xenevtchn_unbind(x->xce, (evtchn_port_t)port);
		return -ENOSPC;
	}
	x->port_state[port] = XEN_PORT_OWNED;
	return port;
}

int xen_evtchn_alloc_unbound(struct pvpci_xen *x, unsigned remote)
{
	if (remote > PVPCI_DOMID_MAX)
		return -EINVAL;
	return owned(x, xenevtchn_bind_unbound_port(x->xce, remote));
}

int xen_evtchn_bind_interdomain(struct pvpci_xen *x, unsigned remote, unsigned rport)
{
	if (remote > PVPCI_DOMID_MAX || rport == 0 || rport >= PVPCI_EVTCHN_MAX_PORTS)
		return -EINVAL;
	return owned(x, xenevtchn_bind_interdomain(x->xce, remote, rport));
}

int xen_evtchn_notify(struct pvpci_xen *x, unsigned port)
{
	if (!port_ok(x, port))
		return -EINVAL;
	if (xenevtchn_notify(x->xce, port) < 0)
		return -errno;
	x->stats.notify++;
	return 0;
}

int xen_evtchn_close(struct pvpci_xen *x, unsigned port)
{
	if (!port_ok(x, port))
		return -EINVAL;
	if (x->port_state[port] & XEN_PORT_READY)
		x->nready--;
	x->port_state[port] = 0;
	return xenevtchn_unbind(x->xce, port) < 0 ? -errno : 0;
}

int xen_evtchn_fd(const struct pvpci_xen *x)
{
	return xenevtchn_fd(x->xce);
}

/* One port from the device, or -EAGAIN. Events of masked ports are held (left masked in
 * the device) until unmask; events of ports not ours are counted as bogus and unmasked. */
static int take_ready(struct pvpci_xen *x)
{
	for (unsigned port = 1; port < PVPCI_EVTCHN_MAX_PORTS; port++) {
		if (!(x->port_state[port] & XEN_PORT_READY))
			continue;
		x->port_state[port] = (uint8_t)((x->port_state[port] & ~XEN_PORT_READY) |
						XEN_PORT_INSERVICE);
		x->nready--;
		x->stats.delivered++;
		return (int)port;
	}
	x->nready = 0;
	return -EAGAIN;
}

int xen_evtchn_pending(struct pvpci_xen *x)
{
	if (x->nready)
		return take_ready(x);
	for (unsigned budget = 0; budget < 64; budget++) {
		xenevtchn_port_or_error_t p = xenevtchn_pending(x->xce);

		if (p < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -EAGAIN : -errno;
		if (!port_ok(x, (unsigned)p)) {
			x->stats.bogus++;
			xenevtchn_unmask(x->xce, (evtchn_port_t)p);
			continue;
		}
		if (x->port_state[p] & XEN_PORT_MASKED) {
			x->port_state[p] |= XEN_PORT_HELD;
			continue;
		}
		x->port_state[p] |= XEN_PORT_INSERVICE;
		x->stats.delivered++;
		return (int)p;
	}
	return -EAGAIN;
}

int xen_evtchn_prepare_wait(struct pvpci_xen *x)
{
	if (x->nready)
		return -EBUSY;
	struct pollfd pfd = { .fd = xenevtchn_fd(x->xce), .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 ? -EBUSY : 0;
}

int xen_evtchn_wait(struct pvpci_xen *x, int timeout_ms)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(x->xce), .events = POLLIN };
	int port, n;

	for (;;) {
		port = xen_evtchn_pending(x);
		if (port != -EAGAIN)
			return port;
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		x->stats.wakeups++;
	}
}

int xen_evtchn_eoi(struct pvpci_xen *x, unsigned port, bool spurious)
{
	if (!port_ok(x, port))
		return -EINVAL;
	if (spurious)
		x->stats.eoi_spurious++;
	x->port_state[port] &= (uint8_t)~XEN_PORT_INSERVICE;
	if (x->port_state[port] & XEN_PORT_MASKED)
		return 0; /* stays masked until unmask */
	return xenevtchn_unmask(x->xce, port) < 0 ? -errno : 0;
}

int xen_evtchn_mask(struct pvpci_xen *x, unsigned port, bool mask)
{
	uint8_t *st;

	if (!port_ok(x, port))
		return -EINVAL;
	st = &x->port_state[port];
	if (mask) {
		*st |= XEN_PORT_MASKED;
		return 0;
	}
	*st &= (uint8_t)~XEN_PORT_MASKED;
	if (*st & XEN_PORT_HELD) {
		/* The held event was read from the device and the port is still masked
		 * there: pending() hands it out next, eoi() unmasks. */
		*st = (uint8_t)((*st & ~XEN_PORT_HELD) | XEN_PORT_READY);
		x->nready++;
		return 0;
	}
	if (*st & XEN_PORT_INSERVICE)
		return 0;
	return xenevtchn_unmask(x->xce, port) < 0 ? -errno : 0;
}

int xen_evtchn_status(struct pvpci_xen *x, unsigned domid, unsigned port,
		      struct pvpci_evtchn_status *st)
{
	xc_evtchn_status_t s;
	static const enum pvpci_evtchn_state map[] = {
		[EVTCHNSTAT_closed] = PVPCI_EVTCHN_CLOSED,
		[EVTCHNSTAT_unbound] = PVPCI_EVTCHN_UNBOUND,
		[EVTCHNSTAT_interdomain] = PVPCI_EVTCHN_INTERDOMAIN,
		[EVTCHNSTAT_pirq] = PVPCI_EVTCHN_PIRQ,
	};

	if (!st || port == 0 || port >= PVPCI_EVTCHN_MAX_PORTS ||
	    (domid > PVPCI_DOMID_MAX && domid != PVPCI_DOMID_SELF))
		return -EINVAL;
	if (!x->xc)
		return -EPERM;
	memset(&s, 0, sizeof(s));
	s.dom = (domid_t)domid;
	s.port = port;
	if (xc_evtchn_status(x->xc, &s) < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	if (s.status >= PVPCI_ARRAY_SIZE(map))
		return -EOPNOTSUPP; /* virq / ipi: not a state of this API */
	st->state = map[s.status];
	if (s.status == EVTCHNSTAT_unbound)
		st->remote_domid = s.u.unbound.dom;
	else if (s.status == EVTCHNSTAT_interdomain) {
		st->remote_domid = s.u.interdomain.dom;
		st->remote_port = s.u.interdomain.port;
	} else if (s.status == EVTCHNSTAT_pirq)
		st->pirq = s.u.pirq;
	return 0;
}

void xen_evtchn_stats(const struct pvpci_xen *x, struct pvpci_evtchn_stats *s)
{
	*s = x->stats;
}
