/* SPDX-License-Identifier: MIT */
/*
 * The host daemon's grant tables and privileged calls. A grant is a sealed one-page
 * memfd a connection handed over, with the one domain allowed to map it and whether
 * read-only; a mapping hands the grantee a dup of the fd, or for read-only grants a
 * read-only reopen of it, so the page cannot be mapped writable. Unsharing is refused
 * while mapped (Xen's end_foreign_access); a granter that goes away leaves its mapped
 * grants ended until unmapped. A destroyed domain's grants are freed at once: the
 * mapping records others hold of them are orphaned (they still count against the
 * mapper's max_maps until it unmaps, but never against a grant again), and every record
 * carries the granter's generation, so a later domain reusing the domid is never touched
 * by a stale unmap. Each grant holds a memfd in the daemon: a domain has at most
 * max_grants of them and the host at most max_grant_fds (-ENOSPC). Privileged calls are recorded per domain in 64-bit
 * rangesets (iomem frames, I/O ports, PIRQs) and a device assignment table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

static unsigned resolve(const struct hconn *c, unsigned domid)
{
	return domid == PVPCI_DOMID_SELF ? c->dom->domid : domid;
}

static struct hgrant *grant_get(struct pvpci_host *h, struct hdom *d, uint32_t gref)
{
	uint32_t idx = gref - LP_GREF_FIRST;

	if (gref < LP_GREF_FIRST || idx >= h->max_grants || !d->grants[idx].used)
		return NULL;
	return &d->grants[idx];
}

void host_gnt_free(struct pvpci_host *h, struct hgrant *g)
{
	close(g->memfd);
	h->grant_fds--;
	memset(g, 0, sizeof(*g));
}

int host_gnt_share(struct pvpci_host *h, struct hconn *c, unsigned rdom, bool ro, int memfd)
{
	rdom = resolve(c, rdom);
	if (lp_check_page_memfd(memfd) < 0)
		return -EINVAL;
	if (!host_dom(h, rdom))
		return -ESRCH;
	if (h->grant_fds >= h->max_grant_fds) {
		pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_WARNING,
			      "d%u: share refused: the host holds %u grants (its fd budget)",
			      c->dom->domid, h->grant_fds);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < h->max_grants; i++) {
		struct hgrant *g = &c->dom->grants[i];
		if (g->used)
			continue;
		*g = (struct hgrant){ .used = true, .ro = ro, .memfd = memfd, .grantee = rdom,
				      .owner = c };
		h->grant_fds++;
		return (int)(LP_GREF_FIRST + i);
	}
	pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_NOTICE,
		      "d%u: share refused: the domain holds %u grants (its limit)",
		      c->dom->domid, h->max_grants);
	return -ENOSPC;
}

int host_gnt_unshare(struct pvpci_host *h, struct hconn *c, uint32_t gref)
{
	struct hgrant *g = grant_get(h, c->dom, gref);

	if (!g || g->ended || g->owner != c)
		return -ENOENT;
	if (g->maps)
		return -EBUSY;
	host_gnt_free(h, g);
	return 0;
}

/* An fd the grantee may map: read-only grants get a read-only open of the memfd. */
static int grant_fd(const struct hgrant *g)
{
	char path[64];

	int fd;

	if (!g->ro) {
		fd = fcntl(g->memfd, F_DUPFD_CLOEXEC, 0);
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", g->memfd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int host_gnt_map(struct pvpci_host *h, struct hconn *c, unsigned domid, uint32_t gref,
		 unsigned flags, uint32_t *id, int *fd)
{
	struct hdom *gd = host_dom(h, resolve(c, domid));

	if (!gd)
		return -ESRCH;
	struct hgrant *g = grant_get(h, gd, gref);
	if (!g || g->ended)
		return -ENOENT;
	if (g->grantee != c->dom->domid) {
		pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_NOTICE,
			      "d%u: map of d%u gref %u refused: granted to d%u", c->dom->domid,
			      gd->domid, gref, g->grantee);
		return -EACCES;
	}
	if (g->ro && !(flags & PVPCI_GNT_MAP_RO))
		return -EACCES;
	if (c->nmaps >= h->max_maps)
		return -ENOSPC;
	if (c->nmaps == c->cap_maps) {
		unsigned cap = c->cap_maps ? c->cap_maps * 2 : 8;
		struct hmap *m = realloc(c->maps, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		c->maps = m;
		c->cap_maps = cap;
	}
	int f = grant_fd(g);
	if (f < 0)
		return f;
	*id = ++c->next_map_id;
	c->maps[c->nmaps++] = (struct hmap){ .id = *id, .granter = gd->domid, .gref = gref,
					     .gen = gd->gen };
	g->maps++;
	*fd = f;
	return 0;
}

static void map_release(struct pvpci_host *h, const struct hmap *m)
{
	struct hdom *gd = m->gen ? host_dom(h, m->granter) : NULL;
	struct hgrant *g = gd && gd->gen == m->gen ? grant_get(h, gd, m->gref) : NULL;

	if (!g || !g->maps)
		return; /* the granter was destroyed: nothing left to count */
	g->maps--;
	if (g->ended && !g->maps)
		host_gnt_free(h, g);
}

int host_gnt_unmap(struct pvpci_host *h, struct hconn *c, uint32_t id)
{
	for (unsigned i = 0; i < c->nmaps; i++) {
		if (c->maps[i].id != id)
			continue;
		map_release(h, &c->maps[i]);
		c->maps[i] = c->maps[--c->nmaps];
		return 0;
	}
	return -EINVAL;
}

void host_gnt_conn_gone(struct pvpci_host *h, struct hconn *c)
{
	for (unsigned i = 0; i < c->nmaps; i++)
		map_release(h, &c->maps[i]);
	c->nmaps = 0;
	for (unsigned i = 0; i < h->max_grants; i++) {
		struct hgrant *g = &c->dom->grants[i];
		if (!g->used || g->owner != c)
			continue;
		g->owner = NULL;
		if (g->maps)
			g->ended = true;
		else
			host_gnt_free(h, g);
	}
}

void host_gnt_dom_gone(struct pvpci_host *h, struct hdom *d)
{
	for (struct hconn *k = h->conns; k; k = k->next)
		for (unsigned i = 0; i < k->nmaps; i++) {
			struct hmap *m = &k->maps[i];
			if (m->granter == d->domid && m->gen == d->gen)
				m->gen = 0; /* orphaned: its unmap releases nothing */
		}
	for (unsigned i = 0; i < h->max_grants; i++)
		if (d->grants[i].used)
			host_gnt_free(h, &d->grants[i]);
}

/* ---- privileged calls ------------------------------------------------------------- */

static struct hassign *assigned(struct pvpci_host *h, uint32_t sbdf)
{
	for (unsigned i = 0; i < h->nassign; i++)
		if (h->assign[i].sbdf == sbdf)
			return &h->assign[i];
	return NULL;
}

static int device_perm(struct pvpci_host *h, unsigned domid, uint64_t sbdf, bool allow)
{
	if (sbdf > UINT32_MAX)
		return -EINVAL;
	struct hassign *a = assigned(h, (uint32_t)sbdf);
	if (!allow) {
		if (!a || a->domid != domid)
			return -EINVAL;
		*a = h->assign[--h->nassign];
		return 0;
	}
	if (a)
		return a->domid == domid ? 0 : -EBUSY;
	struct hassign *n = realloc(h->assign, (h->nassign + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	h->assign = n;
	h->assign[h->nassign++] = (struct hassign){ .sbdf = (uint32_t)sbdf, .domid = domid };
	return 0;
}

/* [first, last] of a request, checked against the kind's range. */
static int perm_range(enum pvpci_priv_kind kind, uint64_t first, uint64_t count,
		      uint64_t *last)
{
	static const uint64_t max[] = { UINT64_MAX, 0xffff, UINT32_MAX };

	if (count == 0 || first > max[kind] || count - 1 > max[kind] - first)
		return -EINVAL;
	*last = first + count - 1;
	return 0;
}

int host_priv_perm(struct pvpci_host *h, struct hconn *c, const struct lp_req *req)
{
	unsigned domid = resolve(c, req->u[0]);
	enum pvpci_priv_kind kind = req->u[1];
	bool allow = req->u[2] != 0;
	uint64_t last;
	struct hdom *d = host_dom(h, domid);

	if (!d)
		return -ESRCH;
	if (kind == PVPCI_PRIV_DEVICE)
		return device_perm(h, domid, req->x[0], allow);
	if (kind > PVPCI_PRIV_IRQ || perm_range(kind, req->x[0], req->x[1], &last) < 0)
		return -EINVAL;
	int r = allow ? pvpci_rangeset_add(&d->perm[kind], req->x[0], last)
		      : pvpci_rangeset_remove(&d->perm[kind], req->x[0], last);
	pvpci_logf(&h->log, PVPCI_LOG_INFO, "d%u: %s %s [%#llx, %#llx]%s", domid,
		   allow ? "grant" : "revoke",
		   (const char *[]){ "iomem", "ioport", "irq" }[kind],
		   (unsigned long long)req->x[0], (unsigned long long)last,
		   r < 0 ? " failed" : "");
	return r;
}

int host_priv_query(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		    struct lp_rsp *rsp)
{
	unsigned domid = resolve(c, req->u[0]);
	enum pvpci_priv_kind kind = req->u[1];
	uint64_t first = req->x[0], last = req->x[1];
	struct hdom *d = host_dom(h, domid);

	if (!d)
		return -ESRCH;
	if (kind > PVPCI_PRIV_DEVICE || first > last)
		return -EINVAL;
	if (kind == PVPCI_PRIV_DEVICE) {
		struct hassign *a = first <= UINT32_MAX ? assigned(h, (uint32_t)first) : NULL;
		rsp->u[0] = rsp->u[1] = a && a->domid == domid;
		return 0;
	}
	rsp->u[0] = pvpci_rangeset_contains(&d->perm[kind], first, last);
	rsp->u[1] = pvpci_rangeset_overlaps(&d->perm[kind], first, last);
	return 0;
}

void host_priv_dom_gone(struct pvpci_host *h, struct hdom *d)
{
	for (unsigned i = 0; i < h->nassign;) {
		if (h->assign[i].domid == d->domid)
			h->assign[i] = h->assign[--h->nassign];
		else
			i++;
	}
}
