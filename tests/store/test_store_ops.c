/* SPDX-License-Identifier: MIT */
/*
 * The store through libxenstore (the real client) and, for malformed input only, a raw
 * socket: reads, writes, directories (also past one message, through DIRECTORY_PART),
 * rm, domain paths, the permission model (a guest cannot read or write another domain's
 * nodes, absent foreign nodes answer EACCES, new nodes inherit their parent's permissions
 * and are owned by their creator, only the owner changes permissions and never the
 * owner), and the protocol's error answers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "xs_proto.h"

/* The store's own copy of the protocol numbers is Xen's ABI (io/xs_wire.h, included by
 * xenstore.h). */
#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a)
SAME(XSP_CONTROL, XS_CONTROL);
SAME(XSP_DIRECTORY, XS_DIRECTORY);
SAME(XSP_READ, XS_READ);
SAME(XSP_GET_PERMS, XS_GET_PERMS);
SAME(XSP_WATCH, XS_WATCH);
SAME(XSP_UNWATCH, XS_UNWATCH);
SAME(XSP_TRANSACTION_START, XS_TRANSACTION_START);
SAME(XSP_TRANSACTION_END, XS_TRANSACTION_END);
SAME(XSP_INTRODUCE, XS_INTRODUCE);
SAME(XSP_RELEASE, XS_RELEASE);
SAME(XSP_GET_DOMAIN_PATH, XS_GET_DOMAIN_PATH);
SAME(XSP_WRITE, XS_WRITE);
SAME(XSP_MKDIR, XS_MKDIR);
SAME(XSP_RM, XS_RM);
SAME(XSP_SET_PERMS, XS_SET_PERMS);
SAME(XSP_WATCH_EVENT, XS_WATCH_EVENT);
SAME(XSP_ERROR, XS_ERROR);
SAME(XSP_IS_DOMAIN_INTRODUCED, XS_IS_DOMAIN_INTRODUCED);
SAME(XSP_RESUME, XS_RESUME);
SAME(XSP_SET_TARGET, XS_SET_TARGET);
SAME(XSP_RESET_WATCHES, XS_RESET_WATCHES);
SAME(XSP_DIRECTORY_PART, XS_DIRECTORY_PART);
SAME(XSP_TYPE_COUNT, XS_TYPE_COUNT);
SAME(XSP_PAYLOAD_MAX, XENSTORE_PAYLOAD_MAX);
SAME(XSP_ABS_PATH_MAX, XENSTORE_ABS_PATH_MAX);
SAME(XSP_REL_PATH_MAX, XENSTORE_REL_PATH_MAX);
SAME(sizeof(struct xsp_hdr), sizeof(struct xsd_sockmsg));

static char *rd(struct xs_handle *h, const char *path)
{
	unsigned len;

	return xs_read(h, XBT_NULL, path, &len);
}

static void assert_read(struct xs_handle *h, const char *path, const char *want)
{
	char *v = rd(h, path);

	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void assert_read_fails(struct xs_handle *h, const char *path, int err)
{
	errno = 0;
	assert_null(rd(h, path));
	assert_int_equal(errno, err);
}

static void test_write_then_read(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);

	assert_true(xs_write(h, XBT_NULL, "/a/b", "hello", 5));
	assert_read(h, "/a/b", "hello");
	assert_read(h, "/a", ""); /* missing parents are created empty */
}

static void test_binary_value_kept(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);
	const char val[4] = { 'x', 0, 'y', 0 };
	unsigned len;
	char *v;

	assert_true(xs_write(h, XBT_NULL, "/bin", val, sizeof(val)));
	v = xs_read(h, XBT_NULL, "/bin", &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof(val));
	assert_memory_equal(v, val, sizeof(val));
	free(v);
}

static void test_read_missing_is_enoent(void **state)
{
	assert_read_fails(fx_open(*state, 0), "/nope", ENOENT);
}

static void test_invalid_paths_are_einval(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);

	errno = 0;
	assert_false(xs_write(h, XBT_NULL, "/a//b", "x", 1));
	assert_int_equal(errno, EINVAL);
	assert_false(xs_write(h, XBT_NULL, "/a/b/", "x", 1));
	assert_int_equal(errno, EINVAL);
	assert_false(xs_write(h, XBT_NULL, "/a/b c", "x", 1));
	assert_int_equal(errno, EINVAL);
}

static void test_directory_lists_children_in_order(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);
	unsigned n;
	char **d;

	assert_true(xs_write(h, XBT_NULL, "/d/z", "1", 1));
	assert_true(xs_write(h, XBT_NULL, "/d/a", "2", 1));
	assert_true(xs_mkdir(h, XBT_NULL, "/d/m"));
	d = xs_directory(h, XBT_NULL, "/d", &n);
	assert_non_null(d);
	assert_int_equal(n, 3);
	assert_string_equal(d[0], "z");
	assert_string_equal(d[1], "a");
	assert_string_equal(d[2], "m");
	free(d);
}

static void test_directory_larger_than_a_message(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);
	char path[64], **d;
	unsigned n;

	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof(path), "/big/child-number-%05d", i);
		assert_true(xs_mkdir(h, XBT_NULL, path));
	}
	/* DIRECTORY answers E2BIG; libxenstore then pages with DIRECTORY_PART. */
	d = xs_directory(h, XBT_NULL, "/big", &n);
	assert_non_null(d);
	assert_int_equal(n, 400);
	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof(path), "child-number-%05d", i);
		assert_string_equal(d[i], path);
	}
	free(d);
}

static void test_rm_removes_subtree(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);

	assert_true(xs_write(h, XBT_NULL, "/r/a/b/c", "v", 1));
	assert_true(xs_rm(h, XBT_NULL, "/r/a"));
	assert_read_fails(h, "/r/a/b/c", ENOENT);
	assert_read_fails(h, "/r/a", ENOENT);
	assert_read(h, "/r", "");
}

static void test_rm_absent_needs_parent(void **state)
{
	struct xs_handle *h = fx_open(*state, 0);

	assert_true(xs_mkdir(h, XBT_NULL, "/p"));
	assert_true(xs_rm(h, XBT_NULL, "/p/absent"));
	errno = 0;
	assert_false(xs_rm(h, XBT_NULL, "/nothere/absent"));
	assert_int_equal(errno, ENOENT);
	assert_false(xs_rm(h, XBT_NULL, "/"));
	assert_int_equal(errno, EINVAL);
}

static void test_get_domain_path(void **state)
{
	char *p = xs_get_domain_path(fx_open(*state, 1), 7);

	assert_non_null(p);
	assert_string_equal(p, "/local/domain/7");
	free(p);
}

static void test_guest_cannot_read_other_domain(void **state)
{
	struct xs_handle *h0 = fx_open(*state, 0), *h1 = fx_open(*state, 1);

	assert_true(xs_write(h0, XBT_NULL, "/local/domain/2/secret", "s", 1));
	assert_read_fails(h1, "/local/domain/2/secret", EACCES);
	errno = 0;
	assert_null(xs_directory(h1, XBT_NULL, "/local/domain/2", &(unsigned){ 0 }));
	assert_int_equal(errno, EACCES);
}

static void test_guest_cannot_write_other_domain(void **state)
{
	struct xs_handle *h1 = fx_open(*state, 1), *h2 = fx_open(*state, 2);

	assert_true(xs_write(h2, XBT_NULL, "/local/domain/2/x", "mine", 4));
	errno = 0;
	assert_false(xs_write(h1, XBT_NULL, "/local/domain/2/x", "evil", 4));
	assert_int_equal(errno, EACCES);
	assert_false(xs_write(h1, XBT_NULL, "/local/domain/2/new", "evil", 4));
	assert_int_equal(errno, EACCES);
	assert_false(xs_rm(h1, XBT_NULL, "/local/domain/2/x"));
	assert_int_equal(errno, EACCES);
	assert_false(xs_write(h1, XBT_NULL, "/toplevel", "evil", 4));
	assert_int_equal(errno, EACCES);
	assert_read(h2, "/local/domain/2/x", "mine");
}

static void test_guest_absent_foreign_node_is_eacces(void **state)
{
	/* ENOENT would tell domain 1 what exists in domain 2's directory. */
	assert_read_fails(fx_open(*state, 1), "/local/domain/2/absent", EACCES);
	assert_read_fails(fx_open(*state, 1), "/local/domain/1/absent", ENOENT);
}

static void test_guest_relative_path_is_under_home(void **state)
{
	struct xs_handle *h0 = fx_open(*state, 0), *h1 = fx_open(*state, 1);

	assert_true(xs_write(h1, XBT_NULL, "device/x", "1", 1));
	assert_read(h0, "/local/domain/1/device/x", "1");
	assert_read(h1, "device/x", "1");
}

static void assert_perms(struct xs_handle *h, const char *path, const char *want)
{
	struct xs_permissions *p;
	char got[256] = "", one[32];
	unsigned n;

	p = xs_get_permissions(h, XBT_NULL, path, &n);
	assert_non_null(p);
	for (unsigned i = 0; i < n; i++) {
		snprintf(one, sizeof(one), "%c%u", "nrwb"[p[i].perms & 3], p[i].id);
		strcat(got, i ? " " : "");
		strcat(got, one);
	}
	free(p);
	assert_string_equal(got, want);
}

static void test_new_node_inherits_perms_owned_by_creator(void **state)
{
	struct xs_handle *h0 = fx_open(*state, 0), *h1 = fx_open(*state, 1);
	struct xs_permissions p[2] = { { 1, XS_PERM_NONE }, { 2, XS_PERM_READ } };

	assert_true(xs_mkdir(h1, XBT_NULL, "/local/domain/1/dir"));
	assert_true(xs_set_permissions(h1, XBT_NULL, "/local/domain/1/dir", p, 2));
	assert_true(xs_write(h1, XBT_NULL, "/local/domain/1/dir/a/b", "v", 1));
	assert_perms(h0, "/local/domain/1/dir/a/b", "n1 r2");
	/* Domain 0 creating a node keeps the parent's owner. */
	assert_true(xs_write(h0, XBT_NULL, "/local/domain/1/dir/c", "v", 1));
	assert_perms(h0, "/local/domain/1/dir/c", "n1 r2");
	/* A guest creating under a node another domain owns becomes the owner. */
	assert_true(xs_mkdir(h0, XBT_NULL, "/shared"));
	p[0].id = 0;
	p[0].perms = XS_PERM_READ | XS_PERM_WRITE;
	assert_true(xs_set_permissions(h0, XBT_NULL, "/shared", p, 1));
	assert_true(xs_write(h1, XBT_NULL, "/shared/x", "v", 1));
	assert_perms(h0, "/shared/x", "b1");
}

static void test_set_perms_grants_read_only(void **state)
{
	struct xs_handle *h1 = fx_open(*state, 1), *h2 = fx_open(*state, 2);
	struct xs_permissions p[2] = { { 1, XS_PERM_NONE }, { 2, XS_PERM_READ } };

	assert_true(xs_write(h1, XBT_NULL, "/local/domain/1/pub", "hi", 2));
	assert_true(xs_set_permissions(h1, XBT_NULL, "/local/domain/1/pub", p, 2));
	assert_read(h2, "/local/domain/1/pub", "hi");
	errno = 0;
	assert_false(xs_write(h2, XBT_NULL, "/local/domain/1/pub", "no", 2));
	assert_int_equal(errno, EACCES);
	assert_read_fails(fx_open(*state, 3), "/local/domain/1/pub", EACCES);
}

static void test_guest_cannot_change_owner(void **state)
{
	struct xs_handle *h1 = fx_open(*state, 1);
	struct xs_permissions p = { 2, XS_PERM_NONE };

	assert_true(xs_write(h1, XBT_NULL, "/local/domain/1/o", "v", 1));
	errno = 0;
	assert_false(xs_set_permissions(h1, XBT_NULL, "/local/domain/1/o", &p, 1));
	assert_int_equal(errno, EPERM);
}

static void test_only_owner_sets_perms(void **state)
{
	struct xs_handle *h1 = fx_open(*state, 1), *h2 = fx_open(*state, 2);
	struct xs_permissions p[2] = { { 1, XS_PERM_NONE }, { 2, XS_PERM_READ | XS_PERM_WRITE } };

	assert_true(xs_write(h1, XBT_NULL, "/local/domain/1/w", "v", 1));
	assert_true(xs_set_permissions(h1, XBT_NULL, "/local/domain/1/w", p, 2));
	assert_true(xs_write(h2, XBT_NULL, "/local/domain/1/w", "ok", 2)); /* w granted */
	p[1].perms = XS_PERM_READ | XS_PERM_WRITE;
	errno = 0;
	assert_false(xs_set_permissions(h2, XBT_NULL, "/local/domain/1/w", p, 2));
	assert_int_equal(errno, EACCES);
}

static int raw_error(struct fx *f, unsigned domid, uint32_t type, uint32_t tx, const char *p,
		     uint32_t len, char *err)
{
	uint32_t rtype, rlen;
	int fd = fx_raw_connect(f, domid);

	assert_int_equal(fx_raw_send(fd, type, 42, tx, p, len), 0);
	assert_int_equal(fx_raw_recv(fd, &rtype, err, 64, &rlen, 2000), 0);
	close(fd);
	return (int)rtype;
}

static void test_unknown_type_is_enosys(void **state)
{
	char err[64];

	assert_int_equal(raw_error(*state, 0, 99, 0, "x", 2, err), XSP_ERROR);
	assert_string_equal(err, "ENOSYS");
	assert_int_equal(raw_error(*state, 1, XSP_WATCH_EVENT, 0, "x", 2, err), XSP_ERROR);
	assert_string_equal(err, "ENOSYS");
}

static void test_privileged_type_from_guest_is_eacces(void **state)
{
	char err[64];

	assert_int_equal(raw_error(*state, 1, XSP_INTRODUCE, 0, "5\0" "0\0" "0", 6, err),
			 XSP_ERROR);
	assert_string_equal(err, "EACCES");
}

static void test_missing_nul_is_einval(void **state)
{
	char err[64];

	assert_int_equal(raw_error(*state, 0, XSP_READ, 0, "/a", 2, err), XSP_ERROR);
	assert_string_equal(err, "EINVAL");
	assert_int_equal(raw_error(*state, 0, XSP_WATCH, 0, "/a\0tok", 6, err), XSP_ERROR);
	assert_string_equal(err, "EINVAL");
}

static void test_unknown_transaction_is_enoent(void **state)
{
	char err[64];

	assert_int_equal(raw_error(*state, 1, XSP_READ, 1234, "x", 2, err), XSP_ERROR);
	assert_string_equal(err, "ENOENT");
}

static void test_oversized_message_drops_only_that_connection(void **state)
{
	struct fx *f = *state;
	struct xs_handle *h = fx_open(f, 0);
	uint32_t type, len;
	char buf[64];
	int fd = fx_raw_connect(f, 1);

	assert_int_equal(fx_raw_send(fd, XSP_READ, 1, 0, NULL, XSP_PAYLOAD_MAX + 1), 0);
	assert_int_equal(fx_raw_recv(fd, &type, buf, sizeof(buf), &len, 2000), -1);
	close(fd);
	assert_true(xs_write(h, XBT_NULL, "/still", "up", 2));
	assert_read(h, "/still", "up");
}

/* DIRECTORY_PART of a node without children: its generation, then the empty name that
 * ends the list (a raw request: libxenstore pages only after E2BIG). */
static void test_directory_part_of_leaf(void **state)
{
	struct fx *f = *state;
	struct xs_handle *h = fx_open(f, 0);
	uint32_t type, len;
	char buf[64];
	int fd;

	assert_true(xs_write(h, XBT_NULL, "/leaf", "v", 1));
	fd = fx_raw_connect(f, 0);
	assert_int_equal(fx_raw_send(fd, XSP_DIRECTORY_PART, 7, 0, "/leaf\0" "0", 8), 0);
	assert_int_equal(fx_raw_recv(fd, &type, buf, sizeof(buf), &len, 2000), 0);
	close(fd);
	assert_int_equal(type, XSP_DIRECTORY_PART);
	assert_true(len >= 3);
	assert_int_equal(strspn(buf, "0123456789"), strlen(buf));
	assert_int_equal(len, strlen(buf) + 2);
	assert_int_equal(buf[len - 1], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_write_then_read),
		T(test_binary_value_kept),
		T(test_read_missing_is_enoent),
		T(test_invalid_paths_are_einval),
		T(test_directory_lists_children_in_order),
		T(test_directory_larger_than_a_message),
		T(test_directory_part_of_leaf),
		T(test_rm_removes_subtree),
		T(test_rm_absent_needs_parent),
		T(test_get_domain_path),
		T(test_guest_cannot_read_other_domain),
		T(test_guest_cannot_write_other_domain),
		T(test_guest_absent_foreign_node_is_eacces),
		T(test_guest_relative_path_is_under_home),
		T(test_new_node_inherits_perms_owned_by_creator),
		T(test_set_perms_grants_read_only),
		T(test_guest_cannot_change_owner),
		T(test_only_owner_sets_perms),
		T(test_unknown_type_is_enosys),
		T(test_privileged_type_from_guest_is_eacces),
		T(test_missing_nul_is_einval),
		T(test_unknown_transaction_is_enoent),
		T(test_oversized_message_drops_only_that_connection),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
