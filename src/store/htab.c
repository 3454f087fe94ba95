/* SPDX-License-Identifier: MIT */
/*
 * A small intrusive hash table of NUL-terminated string keys (FNV-1a, chained buckets,
 * power-of-two sizes, doubling at load 1). Used for the node tree (path -> node) and for
 * each transaction's entries. Entries are owned by the caller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

uint32_t htab_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

struct hentry *htab_find(const struct htab *h, const char *key)
{
	uint32_t hv;

	if (!h->nb)
		return NULL;
	hv = htab_hash(key);
	for (struct hentry *e = h->b[hv & (h->nb - 1)]; e; e = e->next)
		if (e->hash == hv && !strcmp(e->key, key))
			return e;
	return NULL;
}

static int htab_grow(struct htab *h)
{
	size_t nb = h->nb ? h->nb * 2 : 64;
	struct hentry **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < h->nb; i++) {
		struct hentry *e = h->b[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
	return 0;
}

int htab_insert(struct htab *h, struct hentry *e)
{
	struct hentry **slot;

	if (h->n >= h->nb) {
		int rc = htab_grow(h);

		/* A full table still works (longer chains); only an empty one cannot. */
		if (rc && !h->nb)
			return rc;
	}
	e->hash = htab_hash(e->key);
	slot = &h->b[e->hash & (h->nb - 1)];
	e->next = *slot;
	*slot = e;
	h->n++;
	return 0;
}

void htab_remove(struct htab *h, struct hentry *e)
{
	struct hentry **pp;

	if (!h->nb)
		return;
	for (pp = &h->b[e->hash & (h->nb - 1)]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			h->n--;
			return;
		}
	}
}

void htab_fini(struct htab *h)
{
	free(h->b);
	h->b = NULL;
	h->nb = h->n = 0;
}
