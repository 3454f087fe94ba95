/* SPDX-License-Identifier: MIT */
/*
 * Transactions and quotas through libxenstore. Transactions: changes are private until
 * commit, commit publishes them and fires their watches, a conflicting change by someone
 * else (to a node the transaction read or wrote) makes commit fail with EAGAIN, unrelated
 * changes do not, abort discards. Quotas: a guest gets ENOSPC / E2BIG past its node,
 * value size, watch, transaction and connection limits, while domain 0 and other guests
 * keep working.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static char *rd(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned len;

	return xs_read(h, t, path, &len);
}

static void assert_read(struct xs_handle *h, xs_transaction_t t, const char *path,
			const char *want)
{
	char *v = rd(h, t, path);

	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void assert_absent(struct xs_handle *h, const char *path)
{
	errno = 0;
	assert_null(rd(h, XBT_NULL, path));
	assert_int_equal(errno, ENOENT);
}

static void test_tx_changes_private_until_commit(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *o = fx_open(*state, 0);
	xs_transaction_t t = xs_transaction_start(h);

	assert_int_not_equal(t, XBT_NULL);
	assert_true(xs_write(h, t, "/tx/a", "1", 1));
	assert_true(xs_mkdir(h, t, "/tx/b"));
	assert_read(h, t, "/tx/a", "1");
	assert_absent(o, "/tx/a");
	assert_true(xs_transaction_end(h, t, false));
	assert_read(o, XBT_NULL, "/tx/a", "1");
	assert_read(o, XBT_NULL, "/tx/b", "");
}

static void test_tx_commit_fires_watches(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *w = fx_open(*state, 0);
	xs_transaction_t t;

	assert_true(xs_watch(w, "/tw", "t"));
	fx_expect_event(w, "/tw", "t");
	t = xs_transaction_start(h);
	assert_true(xs_write(h, t, "/tw/x", "1", 1));
	assert_null(fx_event(w, 100)); /* not before the commit */
	assert_true(xs_transaction_end(h, t, false));
	fx_expect_event(w, "/tw/x", "t");
}

static void test_tx_conflict_is_eagain(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *o = fx_open(*state, 0);
	xs_transaction_t t;

	assert_true(xs_write(h, XBT_NULL, "/c/x", "0", 1));
	t = xs_transaction_start(h);
	assert_read(h, t, "/c/x", "0");
	assert_true(xs_write(h, t, "/c/y", "from-tx", 7));
	assert_true(xs_write(o, XBT_NULL, "/c/x", "1", 1));
	errno = 0;
	assert_false(xs_transaction_end(h, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_absent(o, "/c/y");
	assert_read(o, XBT_NULL, "/c/x", "1");
}

static void test_tx_conflict_on_node_written_by_both(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *o = fx_open(*state, 0);
	xs_transaction_t t = xs_transaction_start(h);

	assert_true(xs_write(h, t, "/both", "tx", 2));
	assert_true(xs_write(o, XBT_NULL, "/both", "other", 5));
	errno = 0;
	assert_false(xs_transaction_end(h, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_read(o, XBT_NULL, "/both", "other");
}

static void test_tx_unrelated_change_commits(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *o = fx_open(*state, 0);
	xs_transaction_t t;

	assert_true(xs_mkdir(h, XBT_NULL, "/u1"));
	assert_true(xs_mkdir(h, XBT_NULL, "/u2"));
	t = xs_transaction_start(h);
	assert_true(xs_write(h, t, "/u1/x", "tx", 2));
	assert_true(xs_write(o, XBT_NULL, "/u2/y", "other", 5));
	assert_true(xs_transaction_end(h, t, false));
	assert_read(o, XBT_NULL, "/u1/x", "tx");
}

static void test_tx_abort_discards(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);
	xs_transaction_t t;

	assert_true(xs_write(h, XBT_NULL, "/ab/keep", "1", 1));
	t = xs_transaction_start(h);
	assert_true(xs_write(h, t, "/ab/new", "1", 1));
	assert_true(xs_rm(h, t, "/ab/keep"));
	assert_true(xs_transaction_end(h, t, true));
	assert_absent(h, "/ab/new");
	assert_read(h, XBT_NULL, "/ab/keep", "1");
	errno = 0;
	assert_false(xs_transaction_end(h, t, false)); /* the id is gone */
	assert_int_equal(errno, ENOENT);
}

static void test_tx_rm_then_recreate(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);
	xs_transaction_t t;
	unsigned n;
	char **d;

	assert_true(xs_write(h, XBT_NULL, "/rr/a/b", "1", 1));
	t = xs_transaction_start(h);
	assert_true(xs_rm(h, t, "/rr/a"));
	errno = 0;
	assert_null(rd(h, t, "/rr/a/b"));
	assert_int_equal(errno, ENOENT);
	assert_true(xs_write(h, t, "/rr/a/c", "2", 1));
	assert_true(xs_transaction_end(h, t, false));
	assert_absent(h, "/rr/a/b");
	assert_read(h, XBT_NULL, "/rr/a/c", "2");
	d = xs_directory(h, XBT_NULL, "/rr/a", &n);
	assert_non_null(d);
	assert_int_equal(n, 1);
	assert_string_equal(d[0], "c");
	free(d);
}

static void test_guest_tx_respects_permissions(void **state)
{
	struct xs_handle *g = fx_open(*state, 1);
	xs_transaction_t t = xs_transaction_start(g);

	assert_int_not_equal(t, XBT_NULL);
	errno = 0;
	assert_false(xs_write(g, t, "/local/domain/2/x", "1", 1));
	assert_int_equal(errno, EACCES);
	assert_true(xs_write(g, t, "mine", "1", 1));
	assert_true(xs_transaction_end(g, t, false));
	assert_read(fx_open(*state, 0), XBT_NULL, "/local/domain/1/mine", "1");
}

static void test_quota_nodes(void **state)
{
	struct xs_handle *g = fx_open(*state, 1), *h = fx_open(*state, 0);
	char path[32];
	int made = 0;

	for (int i = 0; i < FX_QUOTA_NODES + 5; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		if (!xs_write(g, XBT_NULL, path, "x", 1)) {
			assert_int_equal(errno, ENOSPC);
			break;
		}
		made++;
	}
	assert_int_equal(made, FX_QUOTA_NODES - 1); /* its home node counts too */
	assert_true(xs_write(h, XBT_NULL, "/host/still/works", "1", 1));
	assert_true(xs_write(fx_open(*state, 2), XBT_NULL, "other-guest", "1", 1));
	assert_true(xs_rm(g, XBT_NULL, "n0"));
	assert_true(xs_write(g, XBT_NULL, "again", "x", 1));
}

static void test_quota_nodes_in_transaction(void **state)
{
	struct xs_handle *g = fx_open(*state, 1);
	xs_transaction_t t = xs_transaction_start(g);
	char path[32];
	int made = 0;

	for (int i = 0; i < FX_QUOTA_NODES + 5; i++) {
		snprintf(path, sizeof(path), "t%d", i);
		if (!xs_write(g, t, path, "x", 1)) {
			assert_int_equal(errno, ENOSPC);
			break;
		}
		made++;
	}
	assert_int_equal(made, FX_QUOTA_NODES - 1);
	assert_true(xs_transaction_end(g, t, false));
}

static void test_quota_value_size(void **state)
{
	struct xs_handle *g = fx_open(*state, 1), *h = fx_open(*state, 0);
	char big[FX_QUOTA_VALUE + 1];

	memset(big, 'v', sizeof(big));
	assert_true(xs_write(g, XBT_NULL, "v", big, FX_QUOTA_VALUE));
	errno = 0;
	assert_false(xs_write(g, XBT_NULL, "v", big, FX_QUOTA_VALUE + 1));
	assert_int_equal(errno, ENOSPC);
	assert_true(xs_write(h, XBT_NULL, "/local/domain/1/v", big, sizeof(big)));
}

static void test_quota_watches(void **state)
{
	struct xs_handle *g = fx_open(*state, 1), *g2 = fx_open(*state, 1);
	char path[32];

	for (int i = 0; i < FX_QUOTA_WATCHES; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		assert_true(xs_watch(i % 2 ? g : g2, path, "t"));
	}
	errno = 0;
	assert_false(xs_watch(g, "one-too-many", "t")); /* counted per domain */
	assert_int_equal(errno, E2BIG);
	assert_true(xs_watch(fx_open(*state, 0), "/host", "t"));
}

static void test_quota_transactions(void **state)
{
	struct xs_handle *g = fx_open(*state, 1);
	xs_transaction_t t[FX_QUOTA_TX];

	for (int i = 0; i < FX_QUOTA_TX; i++) {
		t[i] = xs_transaction_start(g);
		assert_int_not_equal(t[i], XBT_NULL);
	}
	errno = 0;
	assert_int_equal(xs_transaction_start(g), XBT_NULL);
	assert_int_equal(errno, ENOSPC);
	assert_true(xs_transaction_end(g, t[0], true));
	t[0] = xs_transaction_start(g);
	assert_int_not_equal(t[0], XBT_NULL);
}

static void test_quota_connections(void **state)
{
	struct xs_handle *g[FX_QUOTA_CONNS + 1];

	for (int i = 0; i <= FX_QUOTA_CONNS; i++)
		g[i] = fx_open(*state, 2);
	for (int i = 0; i < FX_QUOTA_CONNS; i++)
		assert_true(xs_write(g[i], XBT_NULL, "c", "1", 1));
	/* The kernel accepted the extra connect; the store closed it. */
	assert_false(xs_write(g[FX_QUOTA_CONNS], XBT_NULL, "c", "1", 1));
	assert_true(xs_write(fx_open(*state, 0), XBT_NULL, "/host", "1", 1));
}

static void test_quota_permission_entries(void **state)
{
	struct xs_handle *g = fx_open(*state, 1);
	struct xs_permissions p[7] = { { 1, XS_PERM_NONE } };

	for (int i = 1; i < 7; i++)
		p[i] = (struct xs_permissions){ 10 + i, XS_PERM_READ };
	assert_true(xs_write(g, XBT_NULL, "p", "1", 1));
	assert_true(xs_set_permissions(g, XBT_NULL, "p", p, 5));
	errno = 0;
	assert_false(xs_set_permissions(g, XBT_NULL, "p", p, 6));
	assert_int_equal(errno, ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_tx_changes_private_until_commit),
		T(test_tx_commit_fires_watches),
		T(test_tx_conflict_is_eagain),
		T(test_tx_conflict_on_node_written_by_both),
		T(test_tx_unrelated_change_commits),
		T(test_tx_abort_discards),
		T(test_tx_rm_then_recreate),
		T(test_guest_tx_respects_permissions),
		T(test_quota_nodes),
		T(test_quota_nodes_in_transaction),
		T(test_quota_value_size),
		T(test_quota_watches),
		T(test_quota_transactions),
		T(test_quota_connections),
		T(test_quota_permission_entries),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
