/* SPDX-License-Identifier: MIT */
/*
 * Watches through libxenstore: fire once on registration, on changes at and below the
 * path and not beside it, with the watched path when a parent is removed, relative paths
 * for relative watches, only for nodes the watcher may read, not after unwatch; the
 * special watches on INTRODUCE / RELEASE; a released domain loses its connections.
 * "Nothing fired" is checked by a marker change made afterwards: events to one connection
 * keep their order, so the marker must be the next event.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static void test_watch_fires_on_registration(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);

	assert_true(xs_watch(h, "/w", "tok"));
	fx_expect_event(h, "/w", "tok");
}

static void test_watch_fires_on_change_at_and_below(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *w = fx_open(*state, 0);

	assert_true(xs_watch(w, "/w", "t"));
	fx_expect_event(w, "/w", "t");
	assert_true(xs_write(h, XBT_NULL, "/w", "1", 1));
	fx_expect_event(w, "/w", "t");
	assert_true(xs_write(h, XBT_NULL, "/w/a/b", "1", 1));
	fx_expect_event(w, "/w/a/b", "t");
	assert_true(xs_rm(h, XBT_NULL, "/w/a"));
	fx_expect_event(w, "/w/a", "t");
}

static void test_watch_not_fired_beside_path(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *w = fx_open(*state, 0);

	assert_true(xs_watch(w, "/w", "t"));
	fx_expect_event(w, "/w", "t");
	assert_true(xs_write(h, XBT_NULL, "/wx", "1", 1));  /* a prefix, not a child */
	assert_true(xs_write(h, XBT_NULL, "/other", "1", 1));
	assert_true(xs_write(h, XBT_NULL, "/w/marker", "1", 1));
	fx_expect_event(w, "/w/marker", "t");
}

static void test_watch_removed_parent_fires_watch_path(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *w = fx_open(*state, 0);

	assert_true(xs_write(h, XBT_NULL, "/p/q/r", "1", 1));
	assert_true(xs_watch(w, "/p/q/r", "t"));
	fx_expect_event(w, "/p/q/r", "t");
	assert_true(xs_rm(h, XBT_NULL, "/p"));
	fx_expect_event(w, "/p/q/r", "t");
}

static void test_watch_relative_path_gives_relative_events(void **state)
{
	struct xs_handle *h0 = fx_open(*state, 0), *w = fx_open(*state, 1);

	assert_true(xs_watch(w, "device", "rel"));
	fx_expect_event(w, "device", "rel");
	assert_true(xs_write(h0, XBT_NULL, "/local/domain/1/device/pci/0/state", "1", 1));
	fx_expect_event(w, "device/pci/0/state", "rel");
}

static void test_watch_hides_unreadable_nodes(void **state)
{
	struct xs_handle *h2 = fx_open(*state, 2), *w = fx_open(*state, 1);

	assert_true(xs_watch(w, "/local/domain", "t"));
	fx_expect_event(w, "/local/domain", "t");
	assert_true(xs_write(h2, XBT_NULL, "/local/domain/2/private", "1", 1));
	assert_true(xs_write(fx_open(*state, 1), XBT_NULL, "/local/domain/1/marker", "1", 1));
	fx_expect_event(w, "/local/domain/1/marker", "t");
}

static void test_watch_permission_change_is_seen(void **state)
{
	struct xs_handle *h2 = fx_open(*state, 2), *w = fx_open(*state, 1);
	struct xs_permissions p[2] = { { 2, XS_PERM_NONE }, { 1, XS_PERM_READ } };

	assert_true(xs_write(h2, XBT_NULL, "/local/domain/2/pub", "1", 1));
	assert_true(xs_watch(w, "/local/domain/2", "t"));
	fx_expect_event(w, "/local/domain/2", "t");
	assert_true(xs_set_permissions(h2, XBT_NULL, "/local/domain/2/pub", p, 2));
	fx_expect_event(w, "/local/domain/2/pub", "t");
}

static void test_unwatch_stops_events(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *w = fx_open(*state, 0);

	assert_true(xs_watch(w, "/u", "a"));
	fx_expect_event(w, "/u", "a");
	assert_true(xs_watch(w, "/m", "b"));
	fx_expect_event(w, "/m", "b");
	assert_true(xs_unwatch(w, "/u", "a"));
	assert_true(xs_write(h, XBT_NULL, "/u/x", "1", 1));
	assert_true(xs_write(h, XBT_NULL, "/m", "1", 1));
	fx_expect_event(w, "/m", "b");
	errno = 0;
	assert_false(xs_unwatch(w, "/u", "a"));
	assert_int_equal(errno, ENOENT);
}

static void test_duplicate_watch_is_eexist(void **state)
{
	struct xs_handle *w = fx_open(*state, 0);

	assert_true(xs_watch(w, "/d", "t"));
	errno = 0;
	assert_false(xs_watch(w, "/d", "t"));
	assert_int_equal(errno, EEXIST);
}

static void test_special_watches_on_introduce_and_release(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *w = fx_open(*state, 0);

	assert_true(xs_watch(w, "@introduceDomain", "in"));
	fx_expect_event(w, "@introduceDomain", "in");
	assert_true(xs_watch(w, "@releaseDomain", "out"));
	fx_expect_event(w, "@releaseDomain", "out");
	assert_false(xs_is_domain_introduced(h, 9));
	assert_true(xs_introduce_domain(h, 9, 0, 0));
	fx_expect_event(w, "@introduceDomain", "in");
	assert_true(xs_is_domain_introduced(h, 9));
	assert_true(xs_release_domain(h, 9));
	fx_expect_event(w, "@releaseDomain", "out");
	assert_false(xs_is_domain_introduced(h, 9));
}

static void test_special_watch_needs_permission(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *g = fx_open(*state, 1);
	struct xs_permissions p[2] = { { 0, XS_PERM_NONE }, { 1, XS_PERM_READ } };

	assert_true(xs_watch(g, "@releaseDomain", "g"));
	fx_expect_event(g, "@releaseDomain", "g");
	assert_true(xs_release_domain(h, 3)); /* domain 1 may not hear of it */
	assert_true(xs_set_permissions(h, XBT_NULL, "@releaseDomain", p, 2));
	assert_true(xs_release_domain(h, 2));
	fx_expect_event(g, "@releaseDomain", "g"); /* the next event is domain 2's */
	assert_null(fx_event(g, 100));
}

static void test_release_drops_the_domains_connections(void **state)
{
	struct xs_handle *h = fx_open(*state, 0), *g = fx_open(*state, 3);

	assert_true(xs_write(g, XBT_NULL, "x", "1", 1));
	assert_true(xs_release_domain(h, 3));
	assert_null(xs_read(g, XBT_NULL, "x", &(unsigned){ 0 }));
	errno = 0;
	assert_false(xs_release_domain(h, 3));
	assert_int_equal(errno, ENOENT);
	/* Its nodes stay until the toolstack removes them. */
	{
		char *v = xs_read(h, XBT_NULL, "/local/domain/3/x", &(unsigned){ 0 });

		assert_non_null(v);
		free(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_watch_fires_on_registration),
		T(test_watch_fires_on_change_at_and_below),
		T(test_watch_not_fired_beside_path),
		T(test_watch_removed_parent_fires_watch_path),
		T(test_watch_relative_path_gives_relative_events),
		T(test_watch_hides_unreadable_nodes),
		T(test_watch_permission_change_is_seen),
		T(test_unwatch_stops_events),
		T(test_duplicate_watch_is_eexist),
		T(test_special_watches_on_introduce_and_release),
		T(test_special_watch_needs_permission),
		T(test_release_drops_the_domains_connections),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
