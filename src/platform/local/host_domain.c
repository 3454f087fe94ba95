/* SPDX-License-Identifier: MIT */
/*
 * The host daemon's domains: create (a domid, a directory of sockets under the run dir,
 * a store socket, and the store nodes libxl writes for a new domain: /local/domain/<id>
 * owned by dom0 and readable by the domain with name, domid, vm and the domain-writable
 * directories, /vm/<uuid>, /libxl/<id>; then @introduceDomain), destroy (every handle,
 * port, PIRQ, grant, mapping, permission, node and store connection of the domain is
 * released, others' mappings of its grants are orphaned, then @releaseDomain) and list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

/* The nodes of a new domain below /local/domain/<id>, as libxl makes them: RO = owned by
 * dom0, readable by the domain; RW = owned by the domain; VAL = a value (inherits). */
enum node_kind { NODE_RO, NODE_RW, NODE_VAL };
static const struct {
	const char *rel;
	enum node_kind kind;
	const char *val;
} dom_nodes[] = {
	{ "cpu", NODE_RO, NULL },
	{ "memory", NODE_RO, NULL },
	{ "device", NODE_RO, NULL },
	{ "device/suspend/event-channel", NODE_RW, NULL },
	{ "control", NODE_RO, NULL },
	{ "control/shutdown", NODE_RW, NULL },
	{ "control/feature-poweroff", NODE_RW, NULL },
	{ "control/feature-reboot", NODE_RW, NULL },
	{ "control/feature-suspend", NODE_RW, NULL },
	{ "control/sysrq", NODE_RW, NULL },
	{ "data", NODE_RW, NULL },
	{ "drivers", NODE_RW, NULL },
	{ "feature", NODE_RW, NULL },
	{ "attr", NODE_RW, NULL },
	{ "error", NODE_RW, NULL },
	{ "control/platform-feature-multiprocessor-suspend", NODE_VAL, "1" },
	{ "control/platform-feature-xs_reset_watches", NODE_VAL, "1" },
};

int host_dom_new(struct pvpci_host *h, unsigned domid, const char *name, struct hdom **out)
{
	struct hdom *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->domid = domid;
	d->gen = ++h->next_gen;
	d->listen_fd = -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ports = calloc(h->max_ports, sizeof(*d->ports));
	d->grants = calloc(h->max_grants, sizeof(*d->grants));
	d->pirqs = calloc(h->max_pirqs, sizeof(*d->pirqs));
	for (unsigned k = 0; k < 3; k++)
		pvpci_rangeset_init(&d->perm[k], 4096);
	if (!d->ports || !d->grants || !d->pirqs) {
		host_dom_free(h, d);
		return -ENOMEM;
	}
	struct hdom **pp = &h->doms;
	while (*pp && (*pp)->domid < domid)
		pp = &(*pp)->next;
	d->next = *pp;
	*pp = d;
	if (domid)
		h->ndoms++;
	*out = d;
	return 0;
}

void host_dom_free(struct pvpci_host *h, struct hdom *d)
{
	if (d->listen_fd >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
		close(d->listen_fd);
	}
	if (d->sock_path[0])
		unlink(d->sock_path);
	for (unsigned i = 0; d->grants && i < h->max_grants; i++)
		if (d->grants[i].used)
			host_gnt_free(h, &d->grants[i]);
	if (d->domid) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/domains/%u", h->run_dir, d->domid);
		rmdir(path);
	}
	for (unsigned k = 0; k < 3; k++)
		pvpci_rangeset_fini(&d->perm[k]);
	free(d->ports);
	free(d->grants);
	free(d->pirqs);
	free(d);
}

static void unlink_dom(struct pvpci_host *h, struct hdom *d)
{
	for (struct hdom **pp = &h->doms; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	if (d->domid)
		h->ndoms--;
	d->next = h->dom_grave;
	h->dom_grave = d;
}

static int mknode(struct pvpci_host *h, const char *path, const char *perms)
{
	int r = pvpci_store_write(h->store, path, "", 0);

	return r < 0 ? r : pvpci_store_set_perms_str(h->store, path, perms, 0);
}

static int write_nodes(struct pvpci_host *h, const struct hdom *d)
{
	char dom[64], vm[64], path[160], ro[32], rw[16];
	int r;

	snprintf(dom, sizeof(dom), "/local/domain/%u", d->domid);
	snprintf(vm, sizeof(vm), "/vm/%s", d->uuid);
	snprintf(ro, sizeof(ro), "n0 r%u", d->domid);
	snprintf(rw, sizeof(rw), "n%u", d->domid);
	pvpci_store_rm(h->store, dom);
	if ((r = mknode(h, dom, ro)) < 0 || (r = mknode(h, vm, ro)) < 0)
		return r;
	snprintf(path, sizeof(path), "/libxl/%u", d->domid);
	if ((r = mknode(h, path, "n0")) < 0)
		return r;
	snprintf(path, sizeof(path), "/libxl/%u/type", d->domid);
	if ((r = pvpci_store_printf(h->store, path, "pv")) < 0)
		return r;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(dom_nodes); i++) {
		snprintf(path, sizeof(path), "%s/%s", dom, dom_nodes[i].rel);
		if (dom_nodes[i].kind == NODE_VAL)
			r = pvpci_store_printf(h->store, path, "%s", dom_nodes[i].val);
		else
			r = mknode(h, path, dom_nodes[i].kind == NODE_RO ? ro : rw);
		if (r < 0)
			return r;
	}
	snprintf(path, sizeof(path), "%s/uuid", vm);
	if ((r = pvpci_store_printf(h->store, path, "%s", d->uuid)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/name", vm);
	if ((r = pvpci_store_printf(h->store, path, "%s", d->name)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/vm", dom);
	if ((r = pvpci_store_printf(h->store, path, "%s", vm)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/name", dom);
	if ((r = pvpci_store_printf(h->store, path, "%s", d->name)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/domid", dom);
	return pvpci_store_printf(h->store, path, "%u", d->domid);
}

static void remove_nodes(struct pvpci_host *h, const struct hdom *d)
{
	char path[64];

	snprintf(path, sizeof(path), "/local/domain/%u", d->domid);
	pvpci_store_rm(h->store, path);
	snprintf(path, sizeof(path), "/vm/%s", d->uuid);
	pvpci_store_rm(h->store, path);
	snprintf(path, sizeof(path), "/libxl/%u", d->domid);
	pvpci_store_rm(h->store, path);
}

int host_dom0_nodes(struct pvpci_host *h)
{
	int r = pvpci_store_printf(h->store, "/local/domain/0/name", "Domain-0");

	if (r == 0)
		r = pvpci_store_printf(h->store, "/local/domain/0/domid", "0");
	return r;
}

static int name_check(struct pvpci_host *h, const char *name)
{
	size_t n = strlen(name);
	bool digits = true;

	if (n == 0 || n > PVPCI_DOMAIN_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '/')
			return -EINVAL;
		digits &= ch >= '0' && ch <= '9';
	}
	if (digits)
		return -EINVAL; /* a number would read as a domid */
	for (struct hdom *d = h->doms; d; d = d->next)
		if (!d->dying && !strcmp(d->name, name))
			return -EEXIST;
	return 0;
}

static void make_uuid(char *out)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		uint64_t t = pvpci_now_ns();
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(t >> (i % 8 * 8)) ^ (uint8_t)(i * 37);
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

/* The next free domid after the last one handed out, wrapping past max_domid to 1;
 * -ENOSPC if every id is taken (or destroyed during this loop pass). */
static int pick_domid(struct pvpci_host *h, unsigned *out)
{
	for (unsigned n = 0; n < h->max_domid; n++) {
		unsigned id = h->next_domid++;
		if (h->next_domid > h->max_domid)
			h->next_domid = 1;
		bool used = false;
		for (struct hdom *d = h->doms; d; d = d->next)
			used |= d->domid == id;
		for (struct hdom *d = h->dom_grave; d; d = d->next)
			used |= d->domid == id;
		if (!used) {
			*out = id;
			return 0;
		}
	}
	return -ENOSPC;
}

static int dom_setup(struct pvpci_host *h, struct hdom *d)
{
	char path[PATH_MAX + 32];
	int r;

	snprintf(path, sizeof(path), "%s/domains/%u", h->run_dir, d->domid);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((r = host_listen(h, d)) < 0)
		return r;
	if ((r = lp_sock_path(path, sizeof(path), h->run_dir, d->domid, true)) < 0)
		return r;
	if ((r = pvpci_store_listen(h->store, d->domid, path)) < 0)
		return r;
	if ((r = write_nodes(h, d)) < 0)
		return r;
	return pvpci_store_introduce_domain(h->store, d->domid);
}

int host_dom_create(struct pvpci_host *h, struct hconn *c, const char *name, unsigned *domid)
{
	struct hdom *d;
	unsigned id;
	int r = name_check(h, name);

	if (r < 0)
		return r;
	if (h->ndoms >= h->max_domains || pick_domid(h, &id) < 0)
		return -ENOSPC;
	r = host_dom_new(h, id, name, &d);
	if (r < 0)
		return r;
	make_uuid(d->uuid);
	r = dom_setup(h, d);
	if (r < 0) {
		pvpci_logf(&h->log, PVPCI_LOG_ERR, "d%u (%s): create failed: %s", d->domid,
			   name, strerror(-r));
		remove_nodes(h, d);
		pvpci_store_release_domain(h->store, d->domid);
		d->dying = true;
		unlink_dom(h, d);
		return r;
	}
	pvpci_logf(&h->log, PVPCI_LOG_INFO, "d%u (%s): created", d->domid, name);
	*domid = d->domid;
	return 0;
}

int host_dom_destroy(struct pvpci_host *h, struct hconn *c, unsigned domid)
{
	if (domid == 0)
		return -EPERM;
	struct hdom *d = host_dom(h, domid);
	if (!d)
		return -ENOENT;
	d->dying = true; /* no new handles, no new bindings to it */
	for (struct hconn *k = h->conns, *n; k; k = n) {
		n = k->next;
		if (k->dom == d)
			host_conn_close(h, k);
	}
	host_gnt_dom_gone(h, d);
	host_pirq_dom_gone(h, d);
	host_priv_dom_gone(h, d);
	if (d->listen_fd >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
		close(d->listen_fd);
		d->listen_fd = -1;
	}
	remove_nodes(h, d);
	int r = pvpci_store_release_domain(h->store, domid);
	if (r < 0)
		pvpci_logf(&h->log, PVPCI_LOG_WARNING, "d%u: store release: %s", domid,
			   strerror(-r));
	pvpci_logf(&h->log, PVPCI_LOG_INFO, "d%u (%s): destroyed", domid, d->name);
	unlink_dom(h, d);
	return 0;
}

int host_dom_list(struct pvpci_host *h, unsigned start, struct lp_rsp *rsp,
		  struct lp_dom_entry *e)
{
	unsigned i = 0, n = 0;

	for (struct hdom *d = h->doms; d; d = d->next) {
		if (d->dying)
			continue;
		if (i++ < start || n == LP_DOMLIST_MAX)
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].domid = d->domid;
		snprintf(e[n].name, sizeof(e[n].name), "%s", d->name);
		n++;
	}
	rsp->u[0] = i;
	rsp->u[1] = n;
	return 0;
}
