/* SPDX-License-Identifier: MIT */
/*
 * The xen platform's row for the platform layer: pvpci_xen_platform_ops maps each op of
 * pvpci/platform.h onto the handle in xen_priv.h. What Xen does elsewhere answers
 * -EOPNOTSUPP: domains are created and destroyed by xl / libxl; a PIRQ is made from a
 * device's interrupt (pirq_map_msi: xen_pirq_map_msi; freed by unmapping), bound by the
 * guest's kernel and fired by the hardware; permissions are not queryable from dom0.
 */
#include <errno.h>

#include "xen_priv.h"

static struct pvpci_xen *X(const struct pvpci_platform *p)
{
	return pvpci_platform_priv(p);
}

static int xo_open(struct pvpci_platform *p, const struct pvpci_platform_config *cfg)
{
	struct pvpci_xen *x;
	int rc = xen_open(pvpci_platform_log(p), cfg && cfg->no_store, &x);

	if (rc < 0)
		return rc;
	pvpci_platform_set_priv(p, x);
	pvpci_platform_set_domid(p, xen_domid(x));
	return 0;
}

static void xo_close(struct pvpci_platform *p) { xen_close(X(p)); }
static struct xs_handle *xo_xs(struct pvpci_platform *p) { return xen_xs(X(p)); }
static const char *xo_store_path(const struct pvpci_platform *p) { return NULL; }

static int xo_gnt_share(struct pvpci_platform *p, unsigned remote, bool ro, void **page,
			uint32_t *gref)
{
	return xen_gnt_share(X(p), remote, ro, page, gref);
}

static int xo_gnt_unshare(struct pvpci_platform *p, uint32_t gref)
{
	return xen_gnt_unshare(X(p), gref);
}

static int xo_gnt_map(struct pvpci_platform *p, unsigned domid, uint32_t gref, unsigned flags,
		      void **addr)
{
	return xen_gnt_map(X(p), domid, gref, flags, addr);
}

static int xo_gnt_unmap(struct pvpci_platform *p, void *addr)
{
	return xen_gnt_unmap(X(p), addr);
}

static int xo_alloc_unbound(struct pvpci_platform *p, unsigned remote)
{
	return xen_evtchn_alloc_unbound(X(p), remote);
}

static int xo_bind_interdomain(struct pvpci_platform *p, unsigned remote, unsigned rport)
{
	return xen_evtchn_bind_interdomain(X(p), remote, rport);
}

static int xo_notify(struct pvpci_platform *p, unsigned port)
{
	return xen_evtchn_notify(X(p), port);
}

static int xo_evtchn_close(struct pvpci_platform *p, unsigned port)
{
	return xen_evtchn_close(X(p), port);
}

static int xo_fd(const struct pvpci_platform *p) { return xen_evtchn_fd(X(p)); }
static int xo_pending(struct pvpci_platform *p) { return xen_evtchn_pending(X(p)); }
static int xo_prepare_wait(struct pvpci_platform *p) { return xen_evtchn_prepare_wait(X(p)); }

static int xo_spin(struct pvpci_platform *p, uint64_t spin_ns)
{
	return xen_evtchn_pending(X(p)); /* no shared words to watch: one look */
}

static int xo_wait(struct pvpci_platform *p, int timeout_ms)
{
	return xen_evtchn_wait(X(p), timeout_ms);
}

static int xo_eoi(struct pvpci_platform *p, unsigned port, bool spurious)
{
	return xen_evtchn_eoi(X(p), port, spurious);
}

static int xo_mask(struct pvpci_platform *p, unsigned port, bool mask)
{
	return xen_evtchn_mask(X(p), port, mask);
}

static int xo_status(struct pvpci_platform *p, unsigned domid, unsigned port,
		     struct pvpci_evtchn_status *st)
{
	return xen_evtchn_status(X(p), domid, port, st);
}

static void xo_stats(const struct pvpci_platform *p, struct pvpci_evtchn_stats *s)
{
	xen_evtchn_stats(X(p), s);
}

static int xo_permission(struct pvpci_platform *p, unsigned domid, enum pvpci_priv_kind kind,
			 uint64_t first, uint64_t count, bool allow)
{
	return xen_priv_permission(X(p), domid, kind, first, count, allow);
}

static int xo_pirq_map_msi(struct pvpci_platform *p, unsigned domid, uint32_t sbdf,
			   unsigned entry, uint64_t table_base)
{
	if (entry >= 2048)
		return -EINVAL;
	return xen_pirq_map_msi(X(p), domid, sbdf, (int)entry, table_base);
}

static int xo_pirq_free(struct pvpci_platform *p, unsigned domid, unsigned pirq)
{
	if (pirq > INT32_MAX)
		return -EINVAL;
	return xen_pirq_unmap(X(p), domid, (int)pirq);
}

static int xo_domain_list(struct pvpci_platform *p, struct pvpci_domain_info *out, size_t max,
			  size_t *n)
{
	return xen_domain_list(X(p), out, max, n);
}

const struct pvpci_platform_ops pvpci_xen_platform_ops = {
	.kind = "xen",
	.open = xo_open,
	.close = xo_close,
	.xs = xo_xs,
	.store_path = xo_store_path,
	.gnt_share = xo_gnt_share,
	.gnt_unshare = xo_gnt_unshare,
	.gnt_map = xo_gnt_map,
	.gnt_unmap = xo_gnt_unmap,
	.evtchn_alloc_unbound = xo_alloc_unbound,
	.evtchn_bind_interdomain = xo_bind_interdomain,
	.evtchn_notify = xo_notify,
	.evtchn_close = xo_evtchn_close,
	.evtchn_fd = xo_fd,
	.evtchn_pending = xo_pending,
	.evtchn_prepare_wait = xo_prepare_wait,
	.evtchn_spin = xo_spin,
	.evtchn_wait = xo_wait,
	.evtchn_eoi = xo_eoi,
	.evtchn_mask = xo_mask,
	.evtchn_status = xo_status,
	.evtchn_stats = xo_stats,
	/* pirq_alloc / bind / fire: NULL (-EOPNOTSUPP), see above; free unmaps */
	.pirq_free = xo_pirq_free,
	.pirq_map_msi = xo_pirq_map_msi,
	.priv_permission = xo_permission,
	.priv_query = NULL,
	.domain_create = NULL,
	.domain_destroy = NULL,
	.domain_list = xo_domain_list,
};
