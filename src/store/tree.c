/* SPDX-License-Identifier: MIT */
/*
 * The node tree and the operations on it. Nodes live in a hash table keyed by absolute
 * path; each holds its value, its permission list and its children's names (NUL
 * separated, in creation order, as DIRECTORY answers them). Every operation goes through
 * a "view": straight on the tree, or, inside a transaction, on the transaction's private
 * copies (recording what was accessed, for the conflict check at commit). Permission
 * rules are xenstored's: reading needs r, changing needs w, creating needs w on the
 * nearest existing ancestor, a new node inherits its parent's permissions and is owned by
 * its creator when that is not domain 0, and an absent node reads as ENOENT only to a
 * domain that could have seen it (else EACCES).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

struct node *node_new(const char *path, size_t plen)
{
	struct node *n = calloc(1, sizeof(*n) + plen + 1);

	if (!n)
		return NULL;
	n->h.key = (char *)(n + 1);
	memcpy(n->h.key, path, plen);
	return n;
}

void node_free(struct node *n)
{
	if (!n)
		return;
	free(n->value);
	free(n->children);
	free(n->perms);
	free(n);
}

static void *memdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q && len)
		memcpy(q, p, len);
	return q;
}

struct node *node_dup(const struct node *n)
{
	struct node *d = node_new(n->h.key, strlen(n->h.key));

	if (!d)
		return NULL;
	d->gen = n->gen;
	d->vlen = n->vlen;
	d->chlen = n->chlen;
	d->nperms = n->nperms;
	d->value = n->value ? memdup(n->value, n->vlen) : NULL;
	d->children = n->children ? memdup(n->children, n->chlen) : NULL;
	d->perms = memdup(n->perms, n->nperms * sizeof(*n->perms));
	if ((n->value && !d->value) || (n->children && !d->children) || !d->perms) {
		node_free(d);
		return NULL;
	}
	return d;
}

struct node *tree_lookup(const struct pvpci_store *st, const char *path)
{
	return (struct node *)htab_find(&st->nodes, path);
}

static int tree_insert(struct pvpci_store *st, struct node *n)
{
	int rc = htab_insert(&st->nodes, &n->h);

	if (rc)
		return rc;
	domain_node_acct(st, n->perms[0].domid, 1);
	st->stats.nodes++;
	return 0;
}

void tree_del(struct pvpci_store *st, const char *path)
{
	struct node *n = tree_lookup(st, path);

	if (!n)
		return;
	htab_remove(&st->nodes, &n->h);
	domain_node_acct(st, n->perms[0].domid, -1);
	st->stats.nodes--;
	node_free(n);
}

void tree_put(struct pvpci_store *st, struct node *n)
{
	tree_del(st, n->h.key);
	n->gen = ++st->gen;
	/* The table always has buckets here (the root is in it), so this cannot fail. */
	(void)tree_insert(st, n);
}

int tree_init(struct pvpci_store *st)
{
	struct node *root = node_new("/", 1);

	if (!root)
		return -ENOMEM;
	root->perms = calloc(1, sizeof(*root->perms));
	if (!root->perms) {
		node_free(root);
		return -ENOMEM;
	}
	root->nperms = 1;
	root->perms[0].domid = 0;
	root->perms[0].access = PVPCI_STORE_NONE;
	root->gen = ++st->gen;
	if (tree_insert(st, root)) {
		node_free(root);
		return -ENOMEM;
	}
	return 0;
}

void tree_free_all(struct pvpci_store *st)
{
	struct hentry *e, *tmp;
	size_t i;

	HTAB_FOR_EACH(&st->nodes, e, tmp, i)
		node_free((struct node *)e);
	htab_fini(&st->nodes);
}

/* ---- views: the tree, or a transaction's copy of it ---- */

/* The node at path as c sees it (NULL = absent); in a transaction, records the access. */
static int view_get(struct op_ctx *c, const char *path, struct node **out)
{
	struct node *m = tree_lookup(c->st, path);
	struct txent *e;
	int rc;

	*out = NULL;
	if (!c->tx) {
		*out = m;
		return 0;
	}
	e = tx_find(c->tx, path);
	if (!e) {
		rc = tx_access(c, path, m, &e);
		if (rc)
			return rc;
	}
	if (!e->deleted)
		*out = e->local ? e->local : m;
	return 0;
}

/* A changeable version of node n (in a transaction, its private copy). */
static int view_modify(struct op_ctx *c, struct node *n, struct node **out)
{
	struct txent *e;

	*out = n;
	if (c->tx) {
		e = tx_find(c->tx, n->h.key);
		if (!e)
			return -EIO; /* view_get always records it first */
		if (!e->local) {
			e->local = node_dup(n);
			if (!e->local)
				return -ENOMEM;
		}
		*out = e->local;
	}
	(*out)->gen = ++c->st->gen;
	return 0;
}

static int view_insert(struct op_ctx *c, struct node *n)
{
	struct txent *e;

	n->gen = ++c->st->gen;
	if (!c->tx)
		return tree_insert(c->st, n);
	e = tx_find(c->tx, n->h.key);
	if (!e)
		return -EIO;
	e->local = n;
	e->deleted = false;
	if (n->perms[0].domid == c->domid)
		c->tx->node_delta++;
	return 0;
}

static void view_remove(struct op_ctx *c, struct node *n)
{
	struct txent *e;

	if (!c->tx) {
		tree_del(c->st, n->h.key);
		return;
	}
	e = tx_find(c->tx, n->h.key);
	if (!e)
		return;
	if (n->perms[0].domid == c->domid)
		c->tx->node_delta--;
	node_free(e->local);
	e->local = NULL;
	e->deleted = true;
}

static unsigned access_of(const struct op_ctx *c, const struct node *n)
{
	return perm_access(c->domid, c->priv, n->perms, n->nperms);
}

/* The error for an absent node: ENOENT if the nearest existing ancestor grants `need`,
 * else EACCES (an unauthorised domain must not learn what exists). */
static int absent_err(struct op_ctx *c, const char *path, unsigned need)
{
	char *buf = strdup(path);
	struct node *a = NULL;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (!a && !rc && strcmp(buf, "/")) {
		buf[path_parent_len(buf)] = '\0';
		rc = view_get(c, buf, &a);
	}
	free(buf);
	if (rc)
		return rc;
	if (!a)
		return -EIO; /* the root always exists */
	return (access_of(c, a) & need) ? -ENOENT : -EACCES;
}

static int record_change(struct op_ctx *c, struct change *ch)
{
	int rc = 0;

	if (c->tx) {
		rc = tx_add_change(c->tx, ch);
		if (!rc)
			return 0;
		if (!c->tx->failed)
			c->tx->failed = rc; /* a change watchers would never hear of */
	} else {
		watch_fire(c->st, ch);
	}
	change_fini(ch);
	return rc;
}

static int note_change(struct op_ctx *c, const char *path, bool recurse,
		       const struct node *n, const struct pvpci_store_perm *old, unsigned nold)
{
	struct change ch;
	int rc = change_init(&ch, path, recurse, n->perms, n->nperms, old, nold);

	return rc ? rc : record_change(c, &ch);
}

/* ---- children lists ---- */

static int child_add(struct node *p, const char *name, size_t nlen)
{
	char *ch = realloc(p->children, p->chlen + nlen + 1);

	if (!ch)
		return -ENOMEM;
	memcpy(ch + p->chlen, name, nlen);
	ch[p->chlen + nlen] = '\0';
	p->children = ch;
	p->chlen += (uint32_t)nlen + 1;
	return 0;
}

static void child_del(struct node *p, const char *name)
{
	size_t off = 0, l;

	while (off < p->chlen) {
		l = strlen(p->children + off) + 1;
		if (!strcmp(p->children + off, name)) {
			memmove(p->children + off, p->children + off + l, p->chlen - off - l);
			p->chlen -= (uint32_t)l;
			return;
		}
		off += l;
	}
}

/* ---- creation ---- */

static struct node *node_child_of(struct op_ctx *c, const struct node *parent,
				  const char *path, size_t plen)
{
	struct node *n = node_new(path, plen);

	if (!n)
		return NULL;
	n->perms = memdup(parent->perms, parent->nperms * sizeof(*parent->perms));
	if (!n->perms) {
		node_free(n);
		return NULL;
	}
	n->nperms = parent->nperms;
	if (!c->priv)
		n->perms[0].domid = c->domid;
	return n;
}

/* Create path and its missing ancestors below the nearest existing one `anc` (found at
 * prefix length `pos`). */
static int create_below(struct op_ctx *c, const char *path, struct node *parent,
			size_t pos, struct node **out)
{
	size_t len = strlen(path);
	char *buf = malloc(len + 1);
	struct node *n, *w, *dummy;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (!rc && pos < len) {
		size_t start = pos == 1 ? 1 : pos + 1, end = start;

		while (end < len && path[end] != '/')
			end++;
		memcpy(buf, path, end);
		buf[end] = '\0';
		rc = view_get(c, buf, &dummy); /* records the absent node in a transaction */
		if (rc)
			break;
		n = node_child_of(c, parent, buf, end);
		if (!n) {
			rc = -ENOMEM;
			break;
		}
		rc = view_modify(c, parent, &w);
		if (!rc)
			rc = child_add(w, path + start, end - start);
		if (!rc)
			rc = view_insert(c, n);
		if (rc) {
			node_free(n);
			break;
		}
		parent = n;
		pos = end;
	}
	free(buf);
	*out = parent;
	return rc;
}

static int create_path(struct op_ctx *c, const char *path, struct node **out)
{
	char *buf = strdup(path);
	struct node *anc = NULL;
	unsigned missing = 0;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (!anc && !rc) {
		buf[path_parent_len(buf)] = '\0';
		missing++;
		rc = view_get(c, buf, &anc);
		if (!anc && !strcmp(buf, "/"))
			rc = -EIO;
	}
	if (!rc && !(access_of(c, anc) & ACC_WRITE))
		rc = -EACCES;
	if (!rc && !c->priv) {
		long have = (long)domain_nodes(c->st, c->domid) + (c->tx ? c->tx->node_delta : 0);

		if (have + (long)missing > (long)c->st->q.nodes)
			rc = -ENOSPC;
	}
	if (!rc) {
		rc = create_below(c, path, anc, strlen(buf), out);
		if (rc && c->tx && !c->tx->failed)
			c->tx->failed = rc; /* half-made copy: the commit must not happen */
	}
	free(buf);
	return rc;
}

/* ---- operations ---- */

int op_read(struct op_ctx *c, const char *path, const struct node **out)
{
	struct node *n;
	int rc = view_get(c, path, &n);

	if (rc)
		return rc;
	if (!n)
		return absent_err(c, path, ACC_READ);
	if (!(access_of(c, n) & ACC_READ))
		return -EACCES;
	*out = n;
	return 0;
}

int op_get_perms(struct op_ctx *c, const char *path, const struct node **out)
{
	return op_read(c, path, out);
}

static int set_value(struct node *w, const void *val, size_t len)
{
	char *v = memdup(val, len);

	if (!v)
		return -ENOMEM;
	free(w->value);
	w->value = v;
	w->vlen = (uint32_t)len;
	return 0;
}

int op_write(struct op_ctx *c, const char *path, const void *val, size_t len)
{
	struct node *n, *w;
	int rc;

	if (len > XSP_PAYLOAD_MAX)
		return -E2BIG;
	if (!c->priv && len > c->st->q.value_size)
		return -ENOSPC;
	rc = view_get(c, path, &n);
	if (rc)
		return rc;
	if (n) {
		if (!(access_of(c, n) & ACC_WRITE))
			return -EACCES;
		rc = view_modify(c, n, &w);
	} else {
		rc = absent_err(c, path, ACC_WRITE);
		if (rc == -ENOENT)
			rc = create_path(c, path, &w);
	}
	if (!rc)
		rc = set_value(w, val, len);
	if (rc)
		return rc;
	return note_change(c, path, false, w, NULL, 0);
}

int op_mkdir(struct op_ctx *c, const char *path)
{
	struct node *n, *w;
	int rc = view_get(c, path, &n);

	if (rc)
		return rc;
	if (n)
		return (access_of(c, n) & ACC_WRITE) ? 0 : -EACCES;
	rc = absent_err(c, path, ACC_WRITE);
	if (rc == -ENOENT)
		rc = create_path(c, path, &w);
	if (rc)
		return rc;
	return note_change(c, path, false, w, NULL, 0);
}

/* Remove n and everything below it (children first). */
static int remove_subtree(struct op_ctx *c, struct node *n)
{
	size_t plen = strlen(n->h.key), off = 0;
	int rc = 0;

	while (!rc && off < n->chlen) {
		const char *name = n->children + off;
		size_t nl = strlen(name);
		char *cp = malloc(plen + nl + 2);
		struct node *cn = NULL;

		if (!cp)
			return -ENOMEM;
		memcpy(cp, n->h.key, plen);
		cp[plen == 1 ? 0 : plen] = '/';
		memcpy(cp + (plen == 1 ? 1 : plen + 1), name, nl + 1);
		rc = view_get(c, cp, &cn);
		free(cp);
		if (!rc && cn)
			rc = remove_subtree(c, cn);
		off += nl + 1;
	}
	if (!rc)
		view_remove(c, n);
	return rc;
}

int op_rm(struct op_ctx *c, const char *path)
{
	struct node *n, *p, *w;
	struct change ch;
	char *ppath;
	int rc;

	if (!strcmp(path, "/"))
		return -EINVAL;
	rc = view_get(c, path, &n);
	if (rc)
		return rc;
	ppath = strndup(path, path_parent_len(path));
	if (!ppath)
		return -ENOMEM;
	if (!n) {
		rc = absent_err(c, path, ACC_WRITE);
		if (rc == -ENOENT && !view_get(c, ppath, &p) && p)
			rc = 0; /* already gone: fine, since its parent exists */
		free(ppath);
		return rc;
	}
	if (!(access_of(c, n) & ACC_WRITE)) {
		free(ppath);
		return -EACCES;
	}
	rc = change_init(&ch, path, true, n->perms, n->nperms, NULL, 0);
	if (!rc)
		rc = view_get(c, ppath, &p);
	if (!rc && !p)
		rc = -EIO;
	if (!rc)
		rc = view_modify(c, p, &w);
	if (!rc) {
		child_del(w, path + strlen(ppath) + (strlen(ppath) == 1 ? 0 : 1));
		rc = remove_subtree(c, n);
	}
	free(ppath);
	if (rc) {
		if (c->tx && !c->tx->failed)
			c->tx->failed = rc;
		change_fini(&ch);
		return rc;
	}
	return record_change(c, &ch);
}

int op_set_perms(struct op_ctx *c, const char *path, const struct pvpci_store_perm *p,
		 unsigned np)
{
	struct pvpci_store_perm *copy, *old;
	struct node *n, *w;
	unsigned nold;
	int rc;

	if (np == 0)
		return -EINVAL;
	if ((!c->priv && np > c->st->q.perms) || np > PERMS_MAX_ENTRIES)
		return -ENOSPC;
	rc = view_get(c, path, &n);
	if (rc)
		return rc;
	if (!n)
		return absent_err(c, path, ACC_WRITE);
	if ((access_of(c, n) & (ACC_WRITE | ACC_OWNER)) != (ACC_WRITE | ACC_OWNER))
		return -EACCES;
	if (!c->priv && p[0].domid != n->perms[0].domid)
		return -EPERM;
	copy = memdup(p, np * sizeof(*p));
	if (!copy)
		return -ENOMEM;
	rc = view_modify(c, n, &w);
	if (rc) {
		free(copy);
		return rc;
	}
	if (!c->tx) {
		domain_node_acct(c->st, w->perms[0].domid, -1);
		domain_node_acct(c->st, copy[0].domid, 1);
	} else {
		c->tx->node_delta += (copy[0].domid == c->domid) - (w->perms[0].domid == c->domid);
	}
	old = w->perms;
	nold = w->nperms;
	w->perms = copy;
	w->nperms = np;
	rc = note_change(c, path, false, w, old, nold);
	free(old);
	return rc;
}
