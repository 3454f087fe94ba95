/* SPDX-License-Identifier: MIT */
/*
 * Transactions. A transaction remembers the store generation at its start and, for
 * every node it touches, the generation it saw (or that it was absent) plus its private
 * version of the node (or that it removed it). Commit succeeds only if every node touched
 * is still as seen and none had changed after the start; otherwise it fails with EAGAIN
 * and the client retries. A successful commit moves the private versions into the tree
 * and then reports the transaction's changes to watchers, so others never see a
 * transaction half done. Entries per unprivileged transaction are bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

struct txent *tx_find(const struct tx *tx, const char *path)
{
	return (struct txent *)htab_find(&tx->ents, path);
}

int tx_access(struct op_ctx *c, const char *path, const struct node *n, struct txent **out)
{
	struct tx *tx = c->tx;
	size_t len = strlen(path);
	struct txent *e;

	if (!c->priv && tx->nents >= TX_MAX_ENTRIES)
		return -ENOSPC;
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	e->h.key = (char *)(e + 1);
	memcpy(e->h.key, path, len + 1);
	e->seen_gen = n ? n->gen : 0;
	if (n && n->gen > tx->start_gen)
		tx->conflict = true;
	if (htab_insert(&tx->ents, &e->h)) {
		free(e);
		return -ENOMEM;
	}
	tx->nents++;
	*out = e;
	return 0;
}

int tx_add_change(struct tx *tx, const struct change *ch)
{
	if (tx->nchanges == tx->capchanges) {
		unsigned cap = tx->capchanges ? tx->capchanges * 2 : 8;
		struct change *nc;

		if (cap > 4 * TX_MAX_ENTRIES)
			return -ENOSPC;
		nc = realloc(tx->changes, cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		tx->changes = nc;
		tx->capchanges = cap;
	}
	tx->changes[tx->nchanges++] = *ch;
	return 0;
}

struct tx *tx_lookup(struct conn *conn, uint32_t id)
{
	for (struct tx *t = conn->txs; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static bool txid_in_use(struct conn *conn, uint32_t id)
{
	return id == 0 || tx_lookup(conn, id) != NULL;
}

int tx_start(struct op_ctx *c, uint32_t *id)
{
	struct conn *conn = c->conn;
	struct tx *tx;

	if (!conn)
		return -EINVAL;
	if (!c->priv && conn->ntx >= c->st->q.transactions)
		return -ENOSPC;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	do
		tx->id = ++c->st->next_txid;
	while (txid_in_use(conn, tx->id));
	tx->conn = conn;
	tx->start_gen = c->st->gen;
	tx->next = conn->txs;
	conn->txs = tx;
	conn->ntx++;
	c->st->stats.transactions++;
	*id = tx->id;
	return 0;
}

void tx_free(struct pvpci_store *st, struct tx *tx)
{
	struct hentry *e, *tmp;
	struct tx **pp;
	size_t i;

	for (pp = &tx->conn->txs; *pp; pp = &(*pp)->next) {
		if (*pp == tx) {
			*pp = tx->next;
			tx->conn->ntx--;
			st->stats.transactions--;
			break;
		}
	}
	HTAB_FOR_EACH(&tx->ents, e, tmp, i) {
		node_free(((struct txent *)e)->local);
		free(e);
	}
	htab_fini(&tx->ents);
	for (unsigned k = 0; k < tx->nchanges; k++)
		change_fini(&tx->changes[k]);
	free(tx->changes);
	free(tx);
}

/* Every node touched is still as the transaction saw it. */
static bool tx_still_valid(const struct pvpci_store *st, const struct tx *tx)
{
	const struct hentry *h, *tmp;
	size_t i;

	HTAB_FOR_EACH(&tx->ents, h, tmp, i) {
		const struct txent *e = (const struct txent *)h;
		const struct node *m = tree_lookup(st, e->h.key);

		if (m ? m->gen != e->seen_gen : e->seen_gen != 0)
			return false;
	}
	return true;
}

/* Node count change of `domid` if the transaction were applied. */
static long tx_owned_delta(const struct pvpci_store *st, const struct tx *tx, unsigned domid)
{
	const struct hentry *h, *tmp;
	long delta = 0;
	size_t i;

	HTAB_FOR_EACH(&tx->ents, h, tmp, i) {
		const struct txent *e = (const struct txent *)h;
		const struct node *m;

		if (!e->local && !e->deleted)
			continue;
		m = tree_lookup(st, e->h.key);
		delta -= m && m->perms[0].domid == domid;
		delta += e->local && e->local->perms[0].domid == domid;
	}
	return delta;
}

static void tx_apply(struct pvpci_store *st, struct tx *tx)
{
	struct hentry *h, *tmp;
	size_t i;

	HTAB_FOR_EACH(&tx->ents, h, tmp, i) {
		struct txent *e = (struct txent *)h;

		if (e->deleted) {
			tree_del(st, e->h.key);
		} else if (e->local) {
			tree_put(st, e->local);
			e->local = NULL;
		}
	}
	for (unsigned k = 0; k < tx->nchanges; k++)
		watch_fire(st, &tx->changes[k]);
}

static int tx_commit(struct op_ctx *c, struct tx *tx)
{
	long delta;

	if (tx->failed)
		return tx->failed;
	if (tx->conflict || !tx_still_valid(c->st, tx))
		return -EAGAIN;
	if (!c->priv) {
		delta = tx_owned_delta(c->st, tx, c->domid);
		if (delta > 0 && (long)domain_nodes(c->st, c->domid) + delta > (long)c->st->q.nodes)
			return -ENOSPC;
	}
	tx_apply(c->st, tx);
	return 0;
}

int tx_end(struct op_ctx *c, bool commit)
{
	struct tx *tx = c->tx;
	int rc = 0;

	if (!tx)
		return -ENOENT;
	if (commit)
		rc = tx_commit(c, tx);
	c->tx = NULL;
	tx_free(c->st, tx);
	return rc;
}
