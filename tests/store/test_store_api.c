/* SPDX-License-Identifier: MIT */
/*
 * The store's in-process API (what the host daemon uses), single-threaded: values,
 * directories, permissions in struct and text form, in-process watches delivered from
 * pvpci_store_process (callbacks may call the store), special events, listening sockets,
 * adopted connections, stats and argument checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pvpci/store.h"

struct seen {
	struct pvpci_store *st;
	unsigned n;
	char path[8][128];
	char token[8][32];
	bool write_back;
};

static void on_watch(void *opaque, const char *path, const char *token)
{
	struct seen *s = opaque;

	if (s->n < 8) {
		snprintf(s->path[s->n], sizeof(s->path[0]), "%s", path);
		snprintf(s->token[s->n], sizeof(s->token[0]), "%s", token);
	}
	s->n++;
	if (s->write_back)
		assert_int_equal(pvpci_store_write(s->st, "/echo", "1", 1), 0);
}

static int setup(void **state)
{
	struct pvpci_store *st;

	if (pvpci_store_create(NULL, NULL, &st))
		return -1;
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	pvpci_store_destroy(*state);
	return 0;
}

static void drain(struct pvpci_store *st)
{
	while (pvpci_store_process(st, 0) > 0)
		;
}

static void test_write_read(void **state)
{
	char *v;
	size_t len;

	assert_int_equal(pvpci_store_write(*state, "/a/b", "xyz", 3), 0);
	assert_int_equal(pvpci_store_read(*state, "/a/b", &v, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(v, "xyz");
	free(v);
	assert_int_equal(pvpci_store_read(*state, "/a/none", &v, &len), -ENOENT);
}

static void test_printf(void **state)
{
	char *v;

	assert_int_equal(pvpci_store_printf(*state, "/n", "%d-%s", 7, "x"), 0);
	assert_int_equal(pvpci_store_read(*state, "/n", &v, NULL), 0);
	assert_string_equal(v, "7-x");
	free(v);
}

static void test_relative_or_bad_path_rejected(void **state)
{
	assert_int_equal(pvpci_store_write(*state, "rel", "x", 1), -EINVAL);
	assert_int_equal(pvpci_store_write(*state, "/a//b", "x", 1), -EINVAL);
	assert_int_equal(pvpci_store_mkdir(*state, "@introduceDomain"), -EINVAL);
}

static void test_directory(void **state)
{
	char **names;
	unsigned n;

	assert_int_equal(pvpci_store_mkdir(*state, "/d/one"), 0);
	assert_int_equal(pvpci_store_mkdir(*state, "/d/two"), 0);
	assert_int_equal(pvpci_store_directory(*state, "/d", &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "one");
	assert_string_equal(names[1], "two");
	free(names);
	assert_int_equal(pvpci_store_directory(*state, "/d/one", &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);
}

static void test_rm_absent_is_ok(void **state)
{
	assert_int_equal(pvpci_store_rm(*state, "/not/there"), 0);
	assert_int_equal(pvpci_store_rm(*state, "/"), -EINVAL);
}

static void test_perms_text_form(void **state)
{
	struct pvpci_store_perm p[4];
	unsigned n;

	assert_int_equal(pvpci_store_mkdir(*state, "/p"), 0);
	assert_int_equal(pvpci_store_set_perms_str(*state, "/p", "n5 r1,b2", 0), 0);
	assert_int_equal(pvpci_store_get_perms(*state, "/p", p, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].domid, 5);
	assert_int_equal(p[0].access, PVPCI_STORE_NONE);
	assert_int_equal(p[1].domid, 1);
	assert_int_equal(p[1].access, PVPCI_STORE_READ);
	assert_int_equal(p[2].domid, 2);
	assert_int_equal(p[2].access, PVPCI_STORE_BOTH);
	assert_int_equal(pvpci_store_set_perms_str(*state, "/p", "x1", 0), -EINVAL);
	assert_int_equal(pvpci_store_set_perms_str(*state, "/p", "r70000", 0), -EINVAL);
	assert_int_equal(pvpci_store_set_perms_str(*state, "/p", "", 0), -EINVAL);
	assert_int_equal(pvpci_store_set_perms_str(*state, "/none", "n0", 0), -ENOENT);
}

static void test_special_perms(void **state)
{
	struct pvpci_store_perm p[2];
	unsigned n;

	assert_int_equal(pvpci_store_get_perms(*state, "@releaseDomain", p, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].access, PVPCI_STORE_NONE);
	assert_int_equal(pvpci_store_set_perms_str(*state, "@releaseDomain", "n0 r4", 0), 0);
	assert_int_equal(pvpci_store_get_perms(*state, "@releaseDomain", p, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[1].domid, 4);
	assert_int_equal(pvpci_store_set_perms_str(*state, "@other", "n0", 0), -ENOENT);
}

static void test_watch_callback_from_process(void **state)
{
	struct seen s = { .st = *state };

	assert_int_equal(pvpci_store_watch(*state, "/w", "tok", on_watch, &s), 0);
	assert_int_equal(s.n, 0); /* never from the registering call */
	drain(*state);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.path[0], "/w");
	assert_string_equal(s.token[0], "tok");
	assert_int_equal(pvpci_store_write(*state, "/w/x", "1", 1), 0);
	assert_int_equal(pvpci_store_write(*state, "/other", "1", 1), 0);
	drain(*state);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.path[1], "/w/x");
	assert_int_equal(pvpci_store_watch(*state, "/w", "tok", on_watch, &s), -EEXIST);
}

static void test_watch_callback_may_write(void **state)
{
	struct seen s = { .st = *state, .write_back = true };
	struct seen e = { .st = *state };
	char *v;

	assert_int_equal(pvpci_store_watch(*state, "/trigger", "t", on_watch, &s), 0);
	assert_int_equal(pvpci_store_watch(*state, "/echo", "e", on_watch, &e), 0);
	drain(*state);
	assert_int_equal(pvpci_store_read(*state, "/echo", &v, NULL), 0);
	free(v);
	assert_int_equal(s.n, 1);
	assert_true(e.n >= 2); /* registration + the callback's write */
}

static void test_unwatch_drops_pending_events(void **state)
{
	struct seen s = { .st = *state };

	assert_int_equal(pvpci_store_watch(*state, "/u", "t", on_watch, &s), 0);
	assert_int_equal(pvpci_store_write(*state, "/u", "1", 1), 0);
	assert_int_equal(pvpci_store_unwatch(*state, "/u", "t"), 0);
	drain(*state);
	assert_int_equal(s.n, 0);
	assert_int_equal(pvpci_store_unwatch(*state, "/u", "t"), -ENOENT);
}

static void test_special_events(void **state)
{
	struct seen in = { .st = *state }, out = { .st = *state };

	assert_int_equal(pvpci_store_watch(*state, "@introduceDomain", "i", on_watch, &in), 0);
	assert_int_equal(pvpci_store_watch(*state, "@releaseDomain", "r", on_watch, &out), 0);
	drain(*state);
	assert_int_equal(pvpci_store_introduce_domain(*state, 4), 0);
	assert_int_equal(pvpci_store_introduce_domain(*state, 4), 0); /* no second event */
	drain(*state);
	assert_int_equal(in.n, 2);
	assert_string_equal(in.path[1], "@introduceDomain");
	assert_int_equal(pvpci_store_release_domain(*state, 4), 0);
	assert_int_equal(pvpci_store_release_domain(*state, 4), -ENOENT);
	assert_int_equal(pvpci_store_release_domain(*state, 0), -EINVAL);
	drain(*state);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.path[1], "@releaseDomain");
}

static void test_listen_and_unlisten(void **state)
{
	char dir[] = "/tmp/pvpci-store-api-XXXXXX", path[64], file[64];
	struct stat sb;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	assert_int_equal(pvpci_store_listen(*state, 1, path), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(pvpci_store_listen(*state, 1, path), -EEXIST);
	assert_int_equal(pvpci_store_unlisten(*state, 1), 0);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(pvpci_store_unlisten(*state, 1), -ENOENT);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(pvpci_store_listen(*state, 2, file), -EEXIST); /* not a socket */
	unlink(file);
	rmdir(dir);
}

static void test_adopted_connection_is_served(void **state)
{
	uint32_t req[4] = { 2 /* READ */, 77, 0, 4 }, rep[4];
	char buf[64];
	int sv[2];

	assert_int_equal(pvpci_store_write(*state, "/ad", "val", 3), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pvpci_store_add_connection(*state, 0, sv[1]), 0);
	assert_int_equal(write(sv[0], req, sizeof(req)), sizeof(req));
	assert_int_equal(write(sv[0], "/ad", 4), 4);
	drain(*state);
	assert_int_equal(read(sv[0], rep, sizeof(rep)), sizeof(rep));
	assert_int_equal(rep[0], 2);
	assert_int_equal(rep[1], 77);
	assert_int_equal(rep[3], 3);
	assert_int_equal(read(sv[0], buf, 3), 3);
	assert_memory_equal(buf, "val", 3);
	close(sv[0]);
}

static void test_stats_count_nodes(void **state)
{
	struct pvpci_store_stats s;

	pvpci_store_get_stats(*state, &s);
	assert_int_equal(s.nodes, 1);
	assert_int_equal(pvpci_store_write(*state, "/x/y/z", "", 0), 0);
	pvpci_store_get_stats(*state, &s);
	assert_int_equal(s.nodes, 4);
	assert_int_equal(pvpci_store_rm(*state, "/x"), 0);
	pvpci_store_get_stats(*state, &s);
	assert_int_equal(s.nodes, 1);
}

static void test_create_rejects_bad_quota(void **state)
{
	struct pvpci_store_quota q;
	struct pvpci_store *st;

	pvpci_store_quota_defaults(&q);
	q.path_len = 5000;
	assert_int_equal(pvpci_store_create(&q, NULL, &st), -EINVAL);
	pvpci_store_quota_defaults(&q);
	q.value_size = 5000;
	assert_int_equal(pvpci_store_create(&q, NULL, &st), -EINVAL);
}

static void count_line(void *opaque, int level, const char *line)
{
	(*(unsigned *)opaque)++;
}

static void on_watch_count(void *opaque, const char *path, const char *token)
{
	(*(unsigned *)opaque)++;
}

/* In-process events beyond the queue's bound (4096) are dropped, and the warning about
 * it is rate-limited: changes a guest makes faster than the callbacks run cannot flood
 * the log. */
static void test_local_queue_overflow_log_rate_limited(void **state)
{
	unsigned lines = 0, events = 0;
	struct pvpci_log lg = { .fn = count_line, .opaque = &lines, .max_level = 7 };
	struct pvpci_store *st;
	char path[32];

	assert_int_equal(pvpci_store_create(NULL, &lg, &st), 0);
	assert_int_equal(pvpci_store_watch(st, "/f", "t", on_watch_count, &events), 0);
	for (int i = 0; i < 4096 + 500; i++) {
		snprintf(path, sizeof(path), "/f/n%d", i % 64);
		assert_int_equal(pvpci_store_write(st, path, "1", 1), 0);
	}
	assert_true(lines > 0);
	assert_true(lines <= 20);
	drain(st);
	assert_int_equal(events, 4096);
	pvpci_store_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_write_read),
		T(test_printf),
		T(test_relative_or_bad_path_rejected),
		T(test_directory),
		T(test_rm_absent_is_ok),
		T(test_perms_text_form),
		T(test_special_perms),
		T(test_watch_callback_from_process),
		T(test_watch_callback_may_write),
		cmocka_unit_test(test_local_queue_overflow_log_rate_limited),
		T(test_unwatch_drops_pending_events),
		T(test_special_events),
		T(test_listen_and_unlisten),
		T(test_adopted_connection_is_served),
		T(test_stats_count_nodes),
		T(test_create_rejects_bad_quota),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
