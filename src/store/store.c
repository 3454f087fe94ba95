/* SPDX-License-Identifier: MIT */
/*
 * The store object: quotas, creation and destruction, domains (per-domain accounting of
 * nodes, watches and connections, the listening socket, the introduced flag and the
 * @introduceDomain / @releaseDomain events), the special nodes' permissions and the
 * event loop entry points (one epoll fd; pvpci_store_process serves one round).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "store_int.h"

static const char *const special_names[2] = { "@introduceDomain", "@releaseDomain" };

void pvpci_store_quota_defaults(struct pvpci_store_quota *q)
{
	q->nodes = 1000;
	q->value_size = 2048;
	q->watches = 128;
	q->transactions = 10;
	q->path_len = XSP_ABS_PATH_MAX;
	q->conn_per_domain = 8;
	q->outstanding = 256;
	q->perms = 5;
}

int special_index(const char *name)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(name, special_names[i]))
			return i;
	return -1;
}

int store_set_special_perms(struct pvpci_store *st, const char *name,
			    const struct pvpci_store_perm *p, unsigned n)
{
	int idx = special_index(name);
	struct pvpci_store_perm *copy;

	if (idx < 0)
		return -ENOENT;
	if (n == 0 || n > PERMS_MAX_ENTRIES)
		return -EINVAL;
	copy = malloc(n * sizeof(*p));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, n * sizeof(*p));
	free(st->special_perms[idx]);
	st->special_perms[idx] = copy;
	st->nspecial[idx] = n;
	return 0;
}

struct domain *domain_get(struct pvpci_store *st, unsigned domid, bool create)
{
	struct domain *d;

	for (d = st->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	if (!create)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->next = st->domains;
	st->domains = d;
	return d;
}

void domain_node_acct(struct pvpci_store *st, unsigned owner, int delta)
{
	struct domain *d = domain_get(st, owner, delta > 0);

	/* Without memory for the record the count is lost: quotas then err on the lenient
	 * side for that owner, which only domain 0 can cause (it sets foreign owners). */
	if (!d)
		return;
	if (delta < 0 && d->nodes < (unsigned)-delta)
		d->nodes = 0;
	else
		d->nodes += (unsigned)delta;
}

unsigned domain_nodes(struct pvpci_store *st, unsigned domid)
{
	struct domain *d = domain_get(st, domid, false);

	return d ? d->nodes : 0;
}

bool store_domain_introduced(struct pvpci_store *st, unsigned domid)
{
	struct domain *d = domain_get(st, domid, false);

	return d && d->introduced;
}

static int store_setup(struct pvpci_store *st)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &st->local_ep };
	struct pvpci_store_perm none = { 0, PVPCI_STORE_NONE };
	int rc;

	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	st->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (st->epfd < 0 || st->evfd < 0)
		return -errno;
	st->local_ep.kind = EP_LOCAL;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->evfd, &ev) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		rc = store_set_special_perms(st, special_names[i], &none, 1);
		if (rc)
			return rc;
	}
	return tree_init(st);
}

int pvpci_store_create(const struct pvpci_store_quota *q, const struct pvpci_log *log,
		       struct pvpci_store **out)
{
	struct pvpci_ratelimit rl = PVPCI_RATELIMIT_INIT(5000, 10);
	struct pvpci_store *st;
	int rc;

	if (q && (q->path_len > XSP_ABS_PATH_MAX || q->path_len < 16 ||
		  q->value_size > XSP_PAYLOAD_MAX))
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->epfd = st->evfd = st->spare_fd = -1;
	if (q)
		st->q = *q;
	else
		pvpci_store_quota_defaults(&st->q);
	pvpci_log_init(&st->log, log, "store");
	st->rl = rl;
	rc = store_setup(st);
	if (rc) {
		pvpci_store_destroy(st);
		return rc;
	}
	*out = st;
	return 0;
}

void pvpci_store_destroy(struct pvpci_store *st)
{
	if (!st)
		return;
	while (st->conns)
		conn_kill(st->conns, "store destroyed");
	while (st->domains) {
		struct domain *d = st->domains;

		st->domains = d->next;
		if (d->lis)
			listener_kill(st, d->lis);
		free(d);
	}
	conn_reap(st);
	watch_free_all(st);
	tree_free_all(st);
	for (int i = 0; i < 2; i++)
		free(st->special_perms[i]);
	if (st->evfd >= 0)
		close(st->evfd);
	if (st->epfd >= 0)
		close(st->epfd);
	if (st->spare_fd >= 0)
		close(st->spare_fd);
	free(st);
}

/* After a call from outside the event loop: send what it queued, free what it killed. */
void store_api_done(struct pvpci_store *st)
{
	if (st->in_process)
		return;
	conn_flush_all(st);
	conn_reap(st);
}

int pvpci_store_listen(struct pvpci_store *st, unsigned domid, const char *socket_path)
{
	struct domain *d;
	int rc;

	if (domid > XSP_DOMID_MAX || !socket_path)
		return -EINVAL;
	d = domain_get(st, domid, true);
	if (!d)
		return -ENOMEM;
	if (d->lis)
		return -EEXIST;
	rc = listener_new(st, domid, socket_path, &d->lis);
	if (rc)
		pvpci_logf(&st->log, PVPCI_LOG_ERR, "d%u: cannot listen on %s: %s", domid,
			   socket_path, pvpci_errname(rc));
	return rc;
}

int pvpci_store_unlisten(struct pvpci_store *st, unsigned domid)
{
	struct domain *d = domain_get(st, domid, false);

	if (!d || !d->lis)
		return -ENOENT;
	listener_kill(st, d->lis);
	d->lis = NULL;
	store_api_done(st);
	return 0;
}

int pvpci_store_add_connection(struct pvpci_store *st, unsigned domid, int fd)
{
	if (domid > XSP_DOMID_MAX || fd < 0)
		return -EINVAL;
	return conn_new(st, domid, fd);
}

int pvpci_store_introduce_domain(struct pvpci_store *st, unsigned domid)
{
	struct domain *d;

	if (domid > XSP_DOMID_MAX)
		return -EINVAL;
	d = domain_get(st, domid, true);
	if (!d)
		return -ENOMEM;
	if (!d->introduced) {
		d->introduced = true;
		watch_fire_special(st, "@introduceDomain");
		store_api_done(st);
	}
	return 0;
}

int pvpci_store_release_domain(struct pvpci_store *st, unsigned domid)
{
	struct domain *d = domain_get(st, domid, false);
	struct conn *c, *next;

	if (domid == 0)
		return -EINVAL;
	if (!d || (!d->introduced && !d->lis && !d->conns))
		return -ENOENT;
	for (c = st->conns; c; c = next) {
		next = c->next;
		if (c->domid == domid)
			conn_kill(c, "domain released");
	}
	if (d->lis) {
		listener_kill(st, d->lis);
		d->lis = NULL;
	}
	d->introduced = false;
	pvpci_logf(&st->log, PVPCI_LOG_INFO, "d%u: released", domid);
	watch_fire_special(st, "@releaseDomain");
	store_api_done(st);
	return 0;
}

int pvpci_store_fd(const struct pvpci_store *st)
{
	return st->epfd;
}

int pvpci_store_process(struct pvpci_store *st, int timeout_ms)
{
	struct epoll_event evs[64];
	int n, handled = 0;

	if (st->in_process)
		return -EBUSY;
	if (st->nlev)
		timeout_ms = 0;
	n = epoll_wait(st->epfd, evs, (int)PVPCI_ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return -errno;
	st->in_process = true;
	for (int i = 0; i < n; i++) {
		struct ep_item *it = evs[i].data.ptr;

		if (it->dead)
			continue;
		conn_handle_event(st, it, evs[i].events);
		handled++;
	}
	handled += watch_run_local(st);
	conn_flush_all(st);
	conn_reap(st);
	st->in_process = false;
	return handled;
}

void pvpci_store_get_stats(const struct pvpci_store *st, struct pvpci_store_stats *s)
{
	*s = st->stats;
}
