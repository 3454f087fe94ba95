/* SPDX-License-Identifier: MIT */
/*
 * Watches. A watch (path, token) fires once when registered and then on every change at
 * or below its path; removing a parent of the watched path fires it with the watched
 * path itself. Special watches ("@introduceDomain", "@releaseDomain") fire on those
 * events only. A watcher hears of a change only if its domain may read the node (before
 * or after a permission change), as in xenstored. Relative watches get relative event
 * paths. Events for connections go to their output queues; in-process watches (the host
 * daemon's) are queued and delivered from pvpci_store_process, so a callback may call
 * the store again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

#define LOCAL_EVENTS_MAX 4096u

struct local_event {
	struct local_event *next;
	struct watch *w;
	char *path;
	char *token;
};

int change_init(struct change *ch, const char *path, bool recurse,
		const struct pvpci_store_perm *p, unsigned np,
		const struct pvpci_store_perm *p2, unsigned np2)
{
	memset(ch, 0, sizeof(*ch));
	ch->recurse = recurse;
	ch->path = strdup(path);
	ch->perms = malloc((np ? np : 1) * sizeof(*p));
	if (p2)
		ch->perms2 = malloc((np2 ? np2 : 1) * sizeof(*p2));
	if (!ch->path || !ch->perms || (p2 && !ch->perms2)) {
		change_fini(ch);
		return -ENOMEM;
	}
	memcpy(ch->perms, p, np * sizeof(*p));
	ch->nperms = np;
	if (p2) {
		memcpy(ch->perms2, p2, np2 * sizeof(*p2));
		ch->nperms2 = np2;
	}
	return 0;
}

void change_fini(struct change *ch)
{
	free(ch->path);
	free(ch->perms);
	free(ch->perms2);
	memset(ch, 0, sizeof(*ch));
}

static void local_queue(struct pvpci_store *st, struct watch *w, const char *path)
{
	struct local_event *ev;
	uint64_t one = 1;

	if (st->nlev >= LOCAL_EVENTS_MAX) {
		GUEST_LOG(st, PVPCI_LOG_WARNING, "in-process watch queue full, event %s dropped",
			  path);
		return;
	}
	ev = calloc(1, sizeof(*ev));
	if (ev) {
		ev->path = strdup(path);
		ev->token = strdup(w->token);
	}
	if (!ev || !ev->path || !ev->token) {
		if (ev) {
			free(ev->path);
			free(ev->token);
		}
		free(ev);
		return;
	}
	ev->w = w;
	if (st->lev_tail)
		st->lev_tail->next = ev;
	else
		st->lev_head = ev;
	st->lev_tail = ev;
	if (st->nlev++ == 0 && write(st->evfd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow here; nothing else can fail. */
	}
}

void watch_deliver(struct pvpci_store *st, struct watch *w, const char *path)
{
	const char *ep = path;

	if (w->rel_len && strlen(path) > w->rel_len)
		ep = path + w->rel_len;
	st->stats.events++;
	if (w->conn)
		conn_queue_event(w->conn, ep, strlen(ep), w->token);
	else
		local_queue(st, w, ep);
}

static bool may_see(const struct watch *w, const struct change *ch)
{
	if (w->domid == 0)
		return true;
	if (perm_access(w->domid, false, ch->perms, ch->nperms) & ACC_READ)
		return true;
	return ch->perms2 && (perm_access(w->domid, false, ch->perms2, ch->nperms2) & ACC_READ);
}

void watch_fire(struct pvpci_store *st, const struct change *ch)
{
	for (struct watch *w = st->watches; w; w = w->next) {
		const char *ep;

		if (w->path[0] == '@')
			continue;
		if (path_is_child(ch->path, w->path))
			ep = ch->path;
		else if (ch->recurse && path_is_child(w->path, ch->path))
			ep = w->path;
		else
			continue;
		if (may_see(w, ch))
			watch_deliver(st, w, ep);
	}
}

void watch_fire_special(struct pvpci_store *st, const char *name)
{
	int idx = special_index(name);

	for (struct watch *w = st->watches; w; w = w->next) {
		if (strcmp(w->path, name))
			continue;
		if (w->domid != 0 &&
		    (idx < 0 || !(perm_access(w->domid, false, st->special_perms[idx],
					      st->nspecial[idx]) & ACC_READ)))
			continue;
		watch_deliver(st, w, name);
	}
}

static struct watch **watch_find(struct pvpci_store *st, const struct conn *conn,
				 const char *path, const char *token)
{
	struct watch **pp;

	for (pp = &st->watches; *pp; pp = &(*pp)->next)
		if ((*pp)->conn == conn && !strcmp((*pp)->path, path) &&
		    !strcmp((*pp)->token, token))
			return pp;
	return NULL;
}

int watch_add(struct op_ctx *c, const char *path, const char *token, bool relative,
	      pvpci_store_watch_fn fn, void *opaque, struct watch **out)
{
	struct pvpci_store *st = c->st;
	struct domain *dom;
	struct watch *w, **pp;

	if (watch_find(st, c->conn, path, token))
		return -EEXIST;
	dom = domain_get(st, c->domid, true);
	if (!dom)
		return -ENOMEM;
	if (!c->priv && dom->watches >= st->q.watches)
		return -E2BIG;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(token);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	w->conn = c->conn;
	w->domid = c->domid;
	w->fn = fn;
	w->opaque = opaque;
	if (relative) {
		const char *slash = strchr(path + strlen("/local/domain/"), '/');

		w->rel_len = slash ? (size_t)(slash - path) + 1 : 0;
	}
	for (pp = &st->watches; *pp; pp = &(*pp)->next)
		;
	*pp = w;
	dom->watches++;
	st->stats.watches++;
	*out = w;
	return 0;
}

static void local_purge(struct pvpci_store *st, const struct watch *w)
{
	struct local_event **pp = &st->lev_head, *ev;

	st->lev_tail = NULL;
	while ((ev = *pp)) {
		if (ev->w == w) {
			*pp = ev->next;
			free(ev->path);
			free(ev->token);
			free(ev);
			st->nlev--;
		} else {
			st->lev_tail = ev;
			pp = &ev->next;
		}
	}
}

static void watch_unlink(struct pvpci_store *st, struct watch **pp)
{
	struct watch *w = *pp;
	struct domain *dom = domain_get(st, w->domid, false);

	*pp = w->next;
	if (dom && dom->watches)
		dom->watches--;
	st->stats.watches--;
	if (!w->conn)
		local_purge(st, w);
	free(w->path);
	free(w->token);
	free(w);
}

int watch_del(struct op_ctx *c, const char *path, const char *token)
{
	struct watch **pp = watch_find(c->st, c->conn, path, token);

	if (!pp)
		return -ENOENT;
	watch_unlink(c->st, pp);
	return 0;
}

void watch_del_conn(struct pvpci_store *st, struct conn *conn)
{
	struct watch **pp = &st->watches;

	while (*pp) {
		if ((*pp)->conn == conn)
			watch_unlink(st, pp);
		else
			pp = &(*pp)->next;
	}
}

void watch_free_all(struct pvpci_store *st)
{
	while (st->watches)
		watch_unlink(st, &st->watches);
	while (st->lev_head) {
		struct local_event *ev = st->lev_head;

		st->lev_head = ev->next;
		free(ev->path);
		free(ev->token);
		free(ev);
	}
	st->lev_tail = NULL;
	st->nlev = 0;
}

int watch_run_local(struct pvpci_store *st)
{
	unsigned todo = st->nlev;
	uint64_t one = 1;
	int done = 0;

	while (todo-- && st->lev_head) {
		struct local_event *ev = st->lev_head;
		pvpci_store_watch_fn fn = ev->w->fn;
		void *opaque = ev->w->opaque;

		st->lev_head = ev->next;
		if (!st->lev_head)
			st->lev_tail = NULL;
		st->nlev--;
		if (fn)
			fn(opaque, ev->path, ev->token);
		free(ev->path);
		free(ev->token);
		free(ev);
		done++;
	}
	/* Events queued by the callbacks themselves wait for the next round. */
	if (st->nlev && write(st->evfd, &one, sizeof(one)) < 0) {
		/* cannot fail for an eventfd counter this small */
	}
	return done;
}
