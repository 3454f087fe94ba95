/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of src/base: rangeset add / remove / merge / split / limits, the rate
 * limiter's burst and suppression count, number parsing and log prefixes.
 */
#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "pvpci/base.h"

static int collect(void *arg, uint64_t s, uint64_t e)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 256 - n, "[%llx-%llx]", (unsigned long long)s, (unsigned long long)e);
	return 0;
}

static void dump(struct pvpci_rangeset *rs, char *buf)
{
	buf[0] = 0;
	assert_int_equal(pvpci_rangeset_for_each(rs, collect, buf), 0);
}

static void test_rangeset_add_merges_adjacent_and_overlapping(void **state)
{
	struct pvpci_rangeset rs;
	char buf[256];

	(void)state;
	pvpci_rangeset_init(&rs, 0);
	assert_int_equal(pvpci_rangeset_add(&rs, 10, 20), 0);
	assert_int_equal(pvpci_rangeset_add(&rs, 30, 40), 0);
	assert_int_equal(pvpci_rangeset_add(&rs, 21, 22), 0);
	dump(&rs, buf);
	assert_string_equal(buf, "[a-16][1e-28]");
	assert_int_equal(pvpci_rangeset_add(&rs, 5, 35), 0);
	dump(&rs, buf);
	assert_string_equal(buf, "[5-28]");
	assert_int_equal(pvpci_rangeset_add(&rs, 9, 8), -EINVAL);
	pvpci_rangeset_fini(&rs);
}

static void test_rangeset_remove_splits_and_trims(void **state)
{
	struct pvpci_rangeset rs;
	char buf[256];

	(void)state;
	pvpci_rangeset_init(&rs, 0);
	assert_int_equal(pvpci_rangeset_add(&rs, 0, 100), 0);
	assert_int_equal(pvpci_rangeset_remove(&rs, 10, 19), 0);
	dump(&rs, buf);
	assert_string_equal(buf, "[0-9][14-64]");
	assert_int_equal(pvpci_rangeset_remove(&rs, 0, 0), 0);
	assert_int_equal(pvpci_rangeset_remove(&rs, 90, 200), 0);
	dump(&rs, buf);
	assert_string_equal(buf, "[1-9][14-59]");
	assert_int_equal(pvpci_rangeset_remove(&rs, 0, UINT64_MAX), 0);
	assert_true(pvpci_rangeset_is_empty(&rs));
	pvpci_rangeset_fini(&rs);
}

static void test_rangeset_queries_at_the_edges(void **state)
{
	struct pvpci_rangeset rs;

	(void)state;
	pvpci_rangeset_init(&rs, 0);
	assert_int_equal(pvpci_rangeset_add(&rs, UINT64_MAX - 4, UINT64_MAX), 0);
	assert_true(pvpci_rangeset_contains(&rs, UINT64_MAX - 1, UINT64_MAX));
	assert_false(pvpci_rangeset_contains(&rs, UINT64_MAX - 5, UINT64_MAX));
	assert_true(pvpci_rangeset_overlaps(&rs, 0, UINT64_MAX - 4));
	assert_false(pvpci_rangeset_overlaps(&rs, 0, UINT64_MAX - 5));
	pvpci_rangeset_fini(&rs);
}

static void test_rangeset_limit_refuses_extra_ranges(void **state)
{
	struct pvpci_rangeset rs;

	(void)state;
	pvpci_rangeset_init(&rs, 2);
	assert_int_equal(pvpci_rangeset_add(&rs, 0, 1), 0);
	assert_int_equal(pvpci_rangeset_add(&rs, 5, 6), 0);
	assert_int_equal(pvpci_rangeset_add(&rs, 10, 11), -ENOSPC);
	assert_int_equal(pvpci_rangeset_add(&rs, 2, 4), 0); /* merges: no new range */
	assert_int_equal(pvpci_rangeset_remove(&rs, 0, 0), 0);
	pvpci_rangeset_fini(&rs);
}

static void test_ratelimit_counts_suppressed_events(void **state)
{
	struct pvpci_ratelimit rl = PVPCI_RATELIMIT_INIT(60000, 3);
	unsigned sup = 99;
	int passed = 0;

	(void)state;
	for (int i = 0; i < 10; i++)
		passed += pvpci_ratelimit(&rl, NULL);
	assert_int_equal(passed, 3);
	assert_int_equal(rl.suppressed, 7);
	rl.window_start -= rl.interval_ns; /* the window has passed */
	assert_true(pvpci_ratelimit(&rl, &sup));
	assert_int_equal(sup, 7);
}

static void test_parse_u64_hex_decimal_and_bounds(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(pvpci_parse_u64("0x1f", 255, &v), 0);
	assert_int_equal(v, 0x1f);
	assert_int_equal(pvpci_parse_u64("17", 255, &v), 0);
	assert_int_equal(v, 17);
	assert_int_equal(pvpci_parse_u64("256", 255, &v), -ERANGE);
	assert_int_equal(pvpci_parse_u64("-1", 255, &v), -EINVAL);
	assert_int_equal(pvpci_parse_u64("12x", 255, &v), -EINVAL);
	assert_int_equal(pvpci_parse_u64("", 255, &v), -EINVAL);
}

static char last_line[600];
static void capture(void *opaque, int level, const char *line)
{
	(void)opaque;
	(void)level;
	snprintf(last_line, sizeof(last_line), "%s", line);
}

static void test_log_prefix_names_the_object(void **state)
{
	struct pvpci_log root = { capture, NULL, PVPCI_LOG_INFO, "" };
	struct pvpci_log dev;

	(void)state;
	pvpci_log_init(&dev, &root, "d%d %s", 3, "0000:00:01.0");
	pvpci_logf(&dev, PVPCI_LOG_WARNING, "hello %d", 5);
	assert_string_equal(last_line, "d3 0000:00:01.0: hello 5");
	last_line[0] = 0;
	pvpci_logf(&dev, PVPCI_LOG_DEBUG, "dropped");
	assert_string_equal(last_line, "");
}

static int listen_unix(char *path, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(path, len, "/tmp/pvpci-test-accept-%d", (int)getpid());
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_accept_sheds_a_connection_when_out_of_fds(void **state)
{
	char path[64];
	int lfd = listen_unix(path, sizeof(path));
	int spare = -1, cfd, fd, filler[64], nfill = 0;
	struct rlimit old, low;

	(void)state;
	fd = pvpci_accept(lfd, &spare);
	assert_int_equal(fd, -EAGAIN); /* nothing pending; the spare is now open */
	assert_true(spare >= 0);
	cfd = connect_unix(path);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)cfd + 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nfill < 64 && (filler[nfill] = dup(lfd)) >= 0)
		nfill++;
	assert_true(nfill < 64); /* the table is full now */
	assert_int_equal(pvpci_accept(lfd, &spare), -EMFILE);
	/* shed: the listener is no longer readable (a poll loop does not spin) and the
	 * client sees its connection closed */
	assert_int_equal(poll(&(struct pollfd){ .fd = lfd, .events = POLLIN }, 1, 0), 0);
	{
		char c;

		assert_int_equal(read(cfd, &c, 1), 0);
	}
	assert_true(spare >= 0);
	for (int i = 0; i < nfill; i++)
		close(filler[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	close(spare);
	close(cfd);
	close(lfd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rangeset_add_merges_adjacent_and_overlapping),
		cmocka_unit_test(test_rangeset_remove_splits_and_trims),
		cmocka_unit_test(test_rangeset_queries_at_the_edges),
		cmocka_unit_test(test_rangeset_limit_refuses_extra_ranges),
		cmocka_unit_test(test_ratelimit_counts_suppressed_events),
		cmocka_unit_test(test_parse_u64_hex_decimal_and_bounds),
		cmocka_unit_test(test_log_prefix_names_the_object),
		cmocka_unit_test(test_accept_sheds_a_connection_when_out_of_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
