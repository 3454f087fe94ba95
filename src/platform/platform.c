/* SPDX-License-Identifier: MIT */
/*
 * The platform handle and its dispatch: pvpci_platform_open picks an ops table by kind
 * ("local", later "xen"), and every public call forwards to the table's op (a missing op
 * answers -EOPNOTSUPP). Also the default run directory of the local platform and the
 * name lookup built on domain_list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform_priv.h"

#ifdef PVPCI_HAVE_XEN
extern const struct pvpci_platform_ops pvpci_xen_platform_ops; /* xen/xen_ops.c */
#endif

struct pvpci_platform {
	const struct pvpci_platform_ops *ops;
	void *priv;
	unsigned domid;
	struct pvpci_log log;
};

static const struct {
	const char *kind;
	const struct pvpci_platform_ops *ops;
} kinds[] = {
	{ "local", &pvpci_local_platform_ops },
#ifdef PVPCI_HAVE_XEN
	{ "xen", &pvpci_xen_platform_ops },
#else
	{ "xen", NULL }, /* built only where Xen's libraries are installed */
#endif
};

int pvpci_run_dir_default(char *buf, size_t len)
{
	const char *env = getenv("PVPCI_RUN_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/pvpci");
	else {
		const char *x = getenv("XDG_RUNTIME_DIR");
		if (!x || !*x)
			return -ENOENT;
		n = snprintf(buf, len, "%s/pvpci", x);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pvpci_platform_open_ops(const struct pvpci_platform_ops *ops,
			    const struct pvpci_platform_config *cfg,
			    struct pvpci_platform **out)
{
	static const struct pvpci_platform_config defaults;
	struct pvpci_platform *p;
	int r;

	*out = NULL;
	if (!ops)
		return -EINVAL;
	if (!cfg)
		cfg = &defaults;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	p->domid = cfg->domid;
	pvpci_log_init(&p->log, cfg->log, "platform %s d%u", ops->kind ? ops->kind : "?",
		       cfg->domid);
	r = ops->open ? ops->open(p, cfg) : 0;
	if (r < 0) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

int pvpci_platform_open(const char *kind, const struct pvpci_platform_config *cfg,
			struct pvpci_platform **out)
{
	*out = NULL;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(kinds); i++) {
		if (!kind || strcmp(kind, kinds[i].kind))
			continue;
		if (!kinds[i].ops)
			return -EOPNOTSUPP;
		return pvpci_platform_open_ops(kinds[i].ops, cfg, out);
	}
	return -EINVAL;
}

void pvpci_platform_close(struct pvpci_platform *p)
{
	if (!p)
		return;
	if (p->ops->close)
		p->ops->close(p);
	free(p);
}

unsigned pvpci_platform_domid(const struct pvpci_platform *p) { return p->domid; }
const char *pvpci_platform_kind(const struct pvpci_platform *p) { return p->ops->kind; }
void *pvpci_platform_priv(const struct pvpci_platform *p) { return p->priv; }
void pvpci_platform_set_priv(struct pvpci_platform *p, void *priv) { p->priv = priv; }
void pvpci_platform_set_domid(struct pvpci_platform *p, unsigned domid) { p->domid = domid; }
const struct pvpci_log *pvpci_platform_log(const struct pvpci_platform *p) { return &p->log; }

struct xs_handle *pvpci_platform_xs(struct pvpci_platform *p)
{
	return p->ops->xs ? p->ops->xs(p) : NULL;
}

const char *pvpci_platform_store_path(const struct pvpci_platform *p)
{
	return p->ops->store_path ? p->ops->store_path(p) : NULL;
}

/* Forward to an op, or -EOPNOTSUPP when the table has none. */
#define CALL(op, ...) (p->ops->op ? p->ops->op(p, __VA_ARGS__) : -EOPNOTSUPP)
#define CALL0(op) (p->ops->op ? p->ops->op(p) : -EOPNOTSUPP)

int pvpci_gnt_share(struct pvpci_platform *p, unsigned remote_domid, bool readonly,
		    void **page, uint32_t *gref)
{
	return CALL(gnt_share, remote_domid, readonly, page, gref);
}
int pvpci_gnt_unshare(struct pvpci_platform *p, uint32_t gref)
{
	return CALL(gnt_unshare, gref);
}
int pvpci_gnt_map(struct pvpci_platform *p, unsigned domid, uint32_t gref, unsigned flags,
		  void **addr)
{
	return CALL(gnt_map, domid, gref, flags, addr);
}
int pvpci_gnt_unmap(struct pvpci_platform *p, void *addr)
{
	return CALL(gnt_unmap, addr);
}

int pvpci_evtchn_alloc_unbound(struct pvpci_platform *p, unsigned remote_domid)
{
	return CALL(evtchn_alloc_unbound, remote_domid);
}
int pvpci_evtchn_bind_interdomain(struct pvpci_platform *p, unsigned remote_domid,
				  unsigned remote_port)
{
	return CALL(evtchn_bind_interdomain, remote_domid, remote_port);
}
int pvpci_evtchn_notify(struct pvpci_platform *p, unsigned port)
{
	return CALL(evtchn_notify, port);
}
int pvpci_evtchn_close(struct pvpci_platform *p, unsigned port)
{
	return CALL(evtchn_close, port);
}
int pvpci_evtchn_fd(const struct pvpci_platform *p)
{
	return CALL0(evtchn_fd);
}
int pvpci_evtchn_pending(struct pvpci_platform *p)
{
	return CALL0(evtchn_pending);
}
int pvpci_evtchn_prepare_wait(struct pvpci_platform *p)
{
	return CALL0(evtchn_prepare_wait);
}
int pvpci_evtchn_spin(struct pvpci_platform *p, uint64_t spin_ns)
{
	return CALL(evtchn_spin, spin_ns);
}
int pvpci_evtchn_wait(struct pvpci_platform *p, int timeout_ms)
{
	return CALL(evtchn_wait, timeout_ms);
}
int pvpci_evtchn_eoi(struct pvpci_platform *p, unsigned port, bool spurious)
{
	return CALL(evtchn_eoi, port, spurious);
}
int pvpci_evtchn_unmask(struct pvpci_platform *p, unsigned port)
{
	return CALL(evtchn_mask, port, false);
}
int pvpci_evtchn_mask(struct pvpci_platform *p, unsigned port)
{
	return CALL(evtchn_mask, port, true);
}
int pvpci_evtchn_status(struct pvpci_platform *p, unsigned domid, unsigned port,
			struct pvpci_evtchn_status *st)
{
	return CALL(evtchn_status, domid, port, st);
}
void pvpci_evtchn_get_stats(const struct pvpci_platform *p, struct pvpci_evtchn_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (p->ops->evtchn_stats)
		p->ops->evtchn_stats(p, s);
}

int pvpci_pirq_alloc(struct pvpci_platform *p, unsigned guest_domid)
{
	return CALL(pirq_alloc, guest_domid);
}
int pvpci_pirq_free(struct pvpci_platform *p, unsigned guest_domid, unsigned pirq)
{
	return CALL(pirq_free, guest_domid, pirq);
}
int pvpci_pirq_map_msi(struct pvpci_platform *p, unsigned guest_domid, uint32_t sbdf,
		       unsigned entry, uint64_t table_base)
{
	return CALL(pirq_map_msi, guest_domid, sbdf, entry, table_base);
}
int pvpci_pirq_bind(struct pvpci_platform *p, unsigned pirq)
{
	return CALL(pirq_bind, pirq);
}
int pvpci_pirq_fire(struct pvpci_platform *p, unsigned guest_domid, unsigned pirq)
{
	return CALL(pirq_fire, guest_domid, pirq);
}

int pvpci_priv_iomem_permission(struct pvpci_platform *p, unsigned domid,
				uint64_t first_frame, uint64_t nr_frames, bool allow)
{
	return CALL(priv_permission, domid, PVPCI_PRIV_IOMEM, first_frame, nr_frames, allow);
}
int pvpci_priv_ioport_permission(struct pvpci_platform *p, unsigned domid,
				 uint32_t first_port, uint32_t nr_ports, bool allow)
{
	return CALL(priv_permission, domid, PVPCI_PRIV_IOPORT, first_port, nr_ports, allow);
}
int pvpci_priv_irq_permission(struct pvpci_platform *p, unsigned domid, uint32_t pirq,
			      bool allow)
{
	return CALL(priv_permission, domid, PVPCI_PRIV_IRQ, pirq, 1, allow);
}
int pvpci_priv_assign_device(struct pvpci_platform *p, unsigned domid, uint32_t sbdf)
{
	return CALL(priv_permission, domid, PVPCI_PRIV_DEVICE, sbdf, 1, true);
}
int pvpci_priv_deassign_device(struct pvpci_platform *p, unsigned domid, uint32_t sbdf)
{
	return CALL(priv_permission, domid, PVPCI_PRIV_DEVICE, sbdf, 1, false);
}
int pvpci_priv_query(struct pvpci_platform *p, unsigned domid, enum pvpci_priv_kind kind,
		     uint64_t first, uint64_t last, bool *granted, bool *any)
{
	bool g = false, a = false;
	int r = CALL(priv_query, domid, kind, first, last, &g, &a);

	if (granted)
		*granted = g;
	if (any)
		*any = a;
	return r;
}

int pvpci_domain_create(struct pvpci_platform *p, const char *name, unsigned *domid)
{
	return CALL(domain_create, name, domid);
}
int pvpci_domain_destroy(struct pvpci_platform *p, unsigned domid)
{
	return CALL(domain_destroy, domid);
}
int pvpci_domain_list(struct pvpci_platform *p, struct pvpci_domain_info *out, size_t max,
		      size_t *n)
{
	return CALL(domain_list, out, max, n);
}

int pvpci_domain_lookup(struct pvpci_platform *p, const char *name, unsigned *domid)
{
	struct pvpci_domain_info *list = NULL;
	size_t n = 0, cap = 64;
	int r;

	for (;;) {
		struct pvpci_domain_info *nl = realloc(list, cap * sizeof(*list));
		if (!nl) {
			free(list);
			return -ENOMEM;
		}
		list = nl;
		r = pvpci_domain_list(p, list, cap, &n);
		if (r < 0 || n <= cap)
			break;
		cap = n;
	}
	if (r >= 0) {
		r = -ENOENT;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(list[i].name, name)) {
				*domid = list[i].domid;
				r = 0;
				break;
			}
	}
	free(list);
	return r;
}
