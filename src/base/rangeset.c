/* SPDX-License-Identifier: MIT */
/*
 * Rangeset: a sorted array of disjoint inclusive ranges of 64-bit numbers, merged when
 * they touch. Used for guest frame ranges of BARs (vPCI) and for the resource permissions a
 * toolstack grants and must later revoke exactly (64-bit end to end: XSA-476).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/base.h"

void pvpci_rangeset_init(struct pvpci_rangeset *rs, size_t limit)
{
	memset(rs, 0, sizeof(*rs));
	rs->limit = limit;
}

void pvpci_rangeset_fini(struct pvpci_rangeset *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

void pvpci_rangeset_clear(struct pvpci_rangeset *rs)
{
	rs->n = 0;
}

bool pvpci_rangeset_is_empty(const struct pvpci_rangeset *rs)
{
	return rs->n == 0;
}

/* First index whose range ends at or after x. */
static size_t lower(const struct pvpci_rangeset *rs, uint64_t x)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].e < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct pvpci_rangeset *rs, size_t n)
{
	struct pvpci_range *nr;
	size_t cap;

	if (rs->limit && n > rs->limit)
		return -ENOSPC;
	if (n <= rs->cap)
		return 0;
	cap = rs->cap ? rs->cap * 2 : 4;
	while (cap < n)
		cap *= 2;
	nr = realloc(rs->r, cap * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	rs->r = nr;
	rs->cap = cap;
	return 0;
}

int pvpci_rangeset_add(struct pvpci_rangeset *rs, uint64_t s, uint64_t e)
{
	size_t i, j;
	int rc;

	if (s > e)
		return -EINVAL;
	/* ranges that overlap or touch [s, e] are i .. j-1 */
	i = lower(rs, s == 0 ? 0 : s - 1);
	j = i;
	while (j < rs->n && (e == UINT64_MAX || rs->r[j].s <= e + 1))
		j++;
	if (i == j) {
		rc = reserve(rs, rs->n + 1);
		if (rc)
			return rc;
		memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
		rs->r[i].s = s;
		rs->r[i].e = e;
		rs->n++;
		return 0;
	}
	if (rs->r[i].s < s)
		s = rs->r[i].s;
	if (rs->r[j - 1].e > e)
		e = rs->r[j - 1].e;
	rs->r[i].s = s;
	rs->r[i].e = e;
	memmove(&rs->r[i + 1], &rs->r[j], (rs->n - j) * sizeof(rs->r[0]));
	rs->n -= j - i - 1;
	return 0;
}

int pvpci_rangeset_remove(struct pvpci_rangeset *rs, uint64_t s, uint64_t e)
{
	size_t i;
	int rc;

	if (s > e)
		return -EINVAL;
	i = lower(rs, s);
	while (i < rs->n && rs->r[i].s <= e) {
		struct pvpci_range *r = &rs->r[i];

		if (r->s < s && r->e > e) { /* split in two */
			rc = reserve(rs, rs->n + 1);
			if (rc)
				return rc;
			r = &rs->r[i];
			memmove(&rs->r[i + 1], r, (rs->n - i) * sizeof(*r));
			rs->n++;
			rs->r[i].e = s - 1;
			rs->r[i + 1].s = e + 1;
			return 0;
		}
		if (r->s < s) {
			r->e = s - 1;
			i++;
		} else if (r->e > e) {
			r->s = e + 1;
			return 0;
		} else {
			memmove(r, r + 1, (rs->n - i - 1) * sizeof(*r));
			rs->n--;
		}
	}
	return 0;
}

bool pvpci_rangeset_contains(const struct pvpci_rangeset *rs, uint64_t s, uint64_t e)
{
	size_t i = lower(rs, s);

	return i < rs->n && rs->r[i].s <= s && rs->r[i].e >= e;
}

bool pvpci_rangeset_overlaps(const struct pvpci_rangeset *rs, uint64_t s, uint64_t e)
{
	size_t i = lower(rs, s);

	return i < rs->n && rs->r[i].s <= e;
}

int pvpci_rangeset_for_each(const struct pvpci_rangeset *rs,
			    int (*fn)(void *arg, uint64_t s, uint64_t e), void *arg)
{
	for (size_t i = 0; i < rs->n; i++) {
		int rc = fn(arg, rs->r[i].s, rs->r[i].e);

		if (rc)
			return rc;
	}
	return 0;
}
