/* SPDX-License-Identifier: MIT */
/*
 * Domains of the local platform: create / list / lookup / destroy and their rules, the
 * store nodes a new domain gets (as libxl makes them), a guest confined to its own
 * nodes, destroy releasing everything the domain held (handles, ports, grant mappings,
 * PIRQs, nodes, permissions; @releaseDomain fired; the guest process sees its domain
 * gone), the privileged calls (control domain only, recorded exactly), the handle limit
 * and a second host refused on one run directory.
 */
#include <errno.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <xenstore.h>
#include <cmocka.h>

#include "harness.h"

static int fx_start(void **state, unsigned max_handles)
{
	struct pvpci_host_config cfg = { .max_handles = max_handles };

	return th_fx_start(state, &cfg, true, 2);
}

static int setup(void **state) { return fx_start(state, 0); }
static int setup_small(void **state) { return fx_start(state, 3); }

static char *xs_get(struct pvpci_platform *p, const char *fmt, unsigned id)
{
	char path[128];
	unsigned len;

	snprintf(path, sizeof(path), fmt, id);
	return xs_read(pvpci_platform_xs(p), XBT_NULL, path, &len);
}

static void test_create_list_lookup_destroy(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_domain_info list[8];
	size_t n;
	unsigned id;

	assert_int_equal(f->g1, 1);
	assert_int_equal(f->g2, 2);
	assert_int_equal(pvpci_domain_list(f->d0, list, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].domid, 0);
	assert_string_equal(list[0].name, "Domain-0");
	assert_string_equal(list[1].name, "g1");
	assert_string_equal(list[2].name, "g2");
	assert_int_equal(pvpci_domain_lookup(f->d0, "g2", &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(pvpci_domain_lookup(f->d0, "nope", &id), -ENOENT);
	assert_int_equal(pvpci_domain_create(f->d0, "g1", &id), -EEXIST);
	assert_int_equal(pvpci_domain_create(f->d0, "12", &id), -EINVAL);
	assert_int_equal(pvpci_domain_create(f->d0, "a/b", &id), -EINVAL);
	assert_int_equal(pvpci_domain_create(f->d0, "", &id), -EINVAL);
	assert_int_equal(pvpci_domain_destroy(f->d0, 0), -EPERM);
	assert_int_equal(pvpci_domain_destroy(f->d0, 99), -ENOENT);
	assert_int_equal(pvpci_domain_destroy(f->d0, f->g1), 0);
	assert_int_equal(pvpci_domain_destroy(f->d0, f->g1), -ENOENT);
	assert_int_equal(pvpci_domain_list(f->d0, list, 1, &n), 0);
	assert_int_equal(n, 2); /* the count, though only one entry fits */
	assert_int_equal(list[0].domid, 0);
	/* ids are not reused at once */
	assert_int_equal(pvpci_domain_create(f->d0, "g1", &id), 0);
	assert_int_equal(id, 3);
}

static void test_create_writes_nodes_as_xl(void **state)
{
	struct th_fx *f = *state;
	struct xs_handle *xs = pvpci_platform_xs(f->d0);
	unsigned n;
	char *v;

	assert_non_null(xs);
	v = xs_get(f->d0, "/local/domain/%u/name", f->g1);
	assert_string_equal(v, "g1");
	free(v);
	v = xs_get(f->d0, "/local/domain/%u/domid", f->g1);
	assert_string_equal(v, "1");
	free(v);
	char *vm = xs_get(f->d0, "/local/domain/%u/vm", f->g1);
	assert_non_null(vm);
	assert_memory_equal(vm, "/vm/", 4);
	char path[128];
	snprintf(path, sizeof(path), "%s/name", vm);
	v = xs_read(xs, XBT_NULL, path, &n);
	assert_string_equal(v, "g1");
	free(v);
	free(vm);
	struct xs_permissions *perms = xs_get_permissions(xs, XBT_NULL, "/local/domain/1", &n);
	assert_non_null(perms);
	assert_int_equal(n, 2);
	assert_int_equal(perms[0].id, 0);
	assert_int_equal(perms[0].perms, XS_PERM_NONE);
	assert_int_equal(perms[1].id, 1);
	assert_int_equal(perms[1].perms, XS_PERM_READ);
	free(perms);
	perms = xs_get_permissions(xs, XBT_NULL, "/local/domain/1/data", &n);
	assert_non_null(perms);
	assert_int_equal(perms[0].id, 1); /* owned by the domain */
	free(perms);
	perms = xs_get_permissions(xs, XBT_NULL, "/local/domain/1/device", &n);
	assert_non_null(perms);
	assert_int_equal(perms[0].id, 0);
	free(perms);
}

struct guest_args {
	const struct tc_host *h;
	unsigned domid, other;
	int in, out;
};

/* Guest process: its own nodes only. */
static int guest_store(void *arg)
{
	struct guest_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, a->domid, true);
	char path[128];
	unsigned len;

	TC_CHECK(p);
	struct xs_handle *xs = pvpci_platform_xs(p);
	TC_CHECK(xs);
	snprintf(path, sizeof(path), "/local/domain/%u/name", a->domid);
	char *v = xs_read(xs, XBT_NULL, path, &len);
	TC_CHECK(v && !strcmp(v, "g1"));
	free(v);
	TC_CHECK(!xs_write(xs, XBT_NULL, path, "evil", 4)); /* dom0's node, read-only */
	TC_CHECK_EQ(errno, EACCES);
	snprintf(path, sizeof(path), "/local/domain/%u/data/x", a->domid);
	TC_CHECK(xs_write(xs, XBT_NULL, path, "mine", 4));
	snprintf(path, sizeof(path), "/local/domain/%u/name", a->other);
	TC_CHECK(!xs_read(xs, XBT_NULL, path, &len));
	TC_CHECK_EQ(errno, EACCES);
	snprintf(path, sizeof(path), "/local/domain/%u/data/x", a->other);
	TC_CHECK(!xs_write(xs, XBT_NULL, path, "evil", 4));
	TC_CHECK_EQ(errno, EACCES);
	pvpci_platform_close(p);
	return 0;
}

static void test_guest_reaches_only_its_nodes(void **state)
{
	struct th_fx *f = *state;
	struct guest_args g = { &f->h, f->g1, f->g2, -1, -1 };

	assert_int_equal(tc_join(tc_spawn(guest_store, &g), 10000), 0);
	char *v = xs_get(f->d0, "/local/domain/%u/data/x", f->g1);
	assert_string_equal(v, "mine");
	free(v);
	v = xs_get(f->d0, "/local/domain/%u/data/x", f->g2);
	assert_null(v);
}

/* Guest process: hold a mapping, a bound port, a PIRQ port and a watch; say ready;
 * then wait for events: the destroy must end the wait with -ESHUTDOWN. */
static int guest_holder(void *arg)
{
	struct guest_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, a->domid, true);
	uint32_t gref, port, pirq;
	void *addr;

	TC_CHECK(p);
	TC_CHECK(tc_recv(a->in, &gref, 5000) == 0);
	TC_CHECK(tc_recv(a->in, &port, 5000) == 0);
	TC_CHECK(tc_recv(a->in, &pirq, 5000) == 0);
	TC_CHECK_EQ(pvpci_gnt_map(p, 0, gref, 0, &addr), 0);
	TC_CHECK(pvpci_evtchn_bind_interdomain(p, 0, port) > 0);
	TC_CHECK(pvpci_pirq_bind(p, pirq) > 0);
	TC_CHECK(xs_watch(pvpci_platform_xs(p), "/local/domain/1", "tok"));
	TC_CHECK(tc_send(a->out, 1) == 0);
	int r = pvpci_evtchn_wait(p, 8000);
	TC_CHECK_EQ(r, -ESHUTDOWN);
	TC_CHECK_EQ(pvpci_evtchn_alloc_unbound(p, 0), -ESHUTDOWN);
	pvpci_platform_close(p);
	return 0;
}

/* Read watch events until one for path arrives or timeout_ms passes. */
static bool watch_fired(struct xs_handle *xs, const char *path, int timeout_ms)
{
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };

	while (poll(&pfd, 1, timeout_ms) == 1) {
		unsigned n;
		char **ev = xs_read_watch(xs, &n);
		bool hit = ev && !strcmp(ev[XS_WATCH_PATH], path) &&
			   !strcmp(ev[XS_WATCH_TOKEN], "rel");
		free(ev);
		if (hit)
			return true;
	}
	return false;
}

static void test_destroy_releases_everything(void **state)
{
	struct th_fx *f = *state;
	struct xs_handle *xs = pvpci_platform_xs(f->d0);
	struct pvpci_evtchn_status st;
	int to[2], from[2];
	void *page;
	uint32_t gref, ready;
	char sock[128];
	struct stat sb;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	assert_true(xs_watch(xs, "@releaseDomain", "rel"));
	assert_true(watch_fired(xs, "@releaseDomain", 2000)); /* fires on registration */
	assert_int_equal(pvpci_gnt_share(f->d0, f->g1, false, &page, &gref), 0);
	int port = pvpci_evtchn_alloc_unbound(f->d0, f->g1);
	int pirq = pvpci_pirq_alloc(f->d0, f->g1);
	assert_true(port > 0 && pirq > 0);
	assert_int_equal(pvpci_priv_iomem_permission(f->d0, f->g1, 0xfe000, 4, true), 0);
	assert_int_equal(pvpci_priv_assign_device(f->d0, f->g1, 0x0300), 0);
	struct guest_args g = { &f->h, f->g1, 0, to[0], from[1] };
	pid_t pid = tc_spawn(guest_holder, &g);
	tc_send(to[1], gref);
	tc_send(to[1], (uint32_t)port);
	tc_send(to[1], (uint32_t)pirq);
	assert_int_equal(tc_recv(from[0], &ready, 5000), 0);
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref), -EBUSY);
	assert_int_equal(pvpci_evtchn_status(f->d0, PVPCI_DOMID_SELF, (unsigned)port, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_INTERDOMAIN);

	assert_int_equal(pvpci_domain_destroy(f->d0, f->g1), 0);

	assert_int_equal(tc_join(pid, 10000), 0); /* the guest saw its domain go */
	assert_true(watch_fired(xs, "@releaseDomain", 2000));
	assert_int_equal(pvpci_gnt_unshare(f->d0, gref), 0); /* its mapping is gone */
	assert_int_equal(pvpci_evtchn_status(f->d0, PVPCI_DOMID_SELF, (unsigned)port, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_UNBOUND);
	assert_null(xs_get(f->d0, "/local/domain/%u", f->g1));
	assert_null(xs_get(f->d0, "/libxl/%u", f->g1));
	assert_int_equal(pvpci_pirq_fire(f->d0, f->g1, (unsigned)pirq), -ESRCH);
	bool granted;
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IOMEM, 0xfe000, 0xfe003,
					  &granted, NULL), -ESRCH);
	/* the device is free for another domain */
	assert_int_equal(pvpci_priv_assign_device(f->d0, f->g2, 0x0300), 0);
	snprintf(sock, sizeof(sock), "%s/domains/%u/platform.sock", f->h.dir, f->g1);
	assert_int_not_equal(stat(sock, &sb), 0);
	snprintf(sock, sizeof(sock), "%s/domains/%u/xenstored.sock", f->h.dir, f->g1);
	assert_int_not_equal(stat(sock, &sb), 0);
	assert_null(th_open(&f->h, f->g1, false));
	for (int i = 0; i < 2; i++) {
		close(to[i]);
		close(from[i]);
	}
}

static void test_guest_gets_no_privileged_call(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	struct pvpci_domain_info list[4];
	size_t n;
	unsigned id;
	bool b;

	assert_non_null(g);
	assert_int_equal(pvpci_domain_create(g, "evil", &id), -EPERM);
	assert_int_equal(pvpci_domain_destroy(g, f->g2), -EPERM);
	assert_int_equal(pvpci_domain_list(g, list, 4, &n), -EPERM);
	assert_int_equal(pvpci_priv_iomem_permission(g, f->g1, 0, 1, true), -EPERM);
	assert_int_equal(pvpci_priv_ioport_permission(g, f->g1, 0xcf8, 8, true), -EPERM);
	assert_int_equal(pvpci_priv_irq_permission(g, f->g1, 20, true), -EPERM);
	assert_int_equal(pvpci_priv_assign_device(g, f->g1, 0x100), -EPERM);
	assert_int_equal(pvpci_priv_query(g, f->g1, PVPCI_PRIV_IOMEM, 0, 0, &b, NULL), -EPERM);
	assert_int_equal(pvpci_pirq_alloc(g, f->g1), -EPERM);
	pvpci_platform_close(g);
}

static void test_privileged_calls_recorded_exactly(void **state)
{
	struct th_fx *f = *state;
	const uint64_t hi = 0xfffffff00000ull; /* a frame above 4 GiB * 4 KiB: 64-bit */
	bool all, any;

	assert_int_equal(pvpci_priv_iomem_permission(f->d0, f->g1, hi, 16, true), 0);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IOMEM, hi, hi + 15, &all,
					  &any), 0);
	assert_true(all && any);
	assert_int_equal(pvpci_priv_iomem_permission(f->d0, f->g1, hi + 4, 4, false), 0);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IOMEM, hi, hi + 15, &all,
					  &any), 0);
	assert_true(!all && any);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IOMEM, hi + 4, hi + 7, &all,
					  &any), 0);
	assert_true(!all && !any);
	assert_int_equal(pvpci_priv_query(f->d0, f->g2, PVPCI_PRIV_IOMEM, hi, hi, &all, &any), 0);
	assert_false(any);
	assert_int_equal(pvpci_priv_iomem_permission(f->d0, f->g1, 1, 0, true), -EINVAL);
	assert_int_equal(pvpci_priv_iomem_permission(f->d0, f->g1, UINT64_MAX, 2, true),
			 -EINVAL);
	assert_int_equal(pvpci_priv_ioport_permission(f->d0, f->g1, 0xfff0, 0x20, true),
			 -EINVAL);
	assert_int_equal(pvpci_priv_ioport_permission(f->d0, f->g1, 0xc000, 0x100, true), 0);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IOPORT, 0xc000, 0xc0ff,
					  &all, NULL), 0);
	assert_true(all);
	assert_int_equal(pvpci_priv_irq_permission(f->d0, f->g1, 40, true), 0);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IRQ, 40, 40, &all, NULL), 0);
	assert_true(all);
	assert_int_equal(pvpci_priv_irq_permission(f->d0, f->g1, 40, false), 0);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_IRQ, 40, 40, &all, NULL), 0);
	assert_false(all);
	assert_int_equal(pvpci_priv_assign_device(f->d0, f->g1, 0x0300), 0);
	assert_int_equal(pvpci_priv_assign_device(f->d0, f->g2, 0x0300), -EBUSY);
	assert_int_equal(pvpci_priv_deassign_device(f->d0, f->g2, 0x0300), -EINVAL);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_DEVICE, 0x0300, 0x0300,
					  &all, NULL), 0);
	assert_true(all);
	assert_int_equal(pvpci_priv_deassign_device(f->d0, f->g1, 0x0300), 0);
	assert_int_equal(pvpci_priv_query(f->d0, f->g1, PVPCI_PRIV_DEVICE, 0x0300, 0x0300,
					  &all, NULL), 0);
	assert_false(all);
	assert_int_equal(pvpci_priv_iomem_permission(f->d0, 77, 0, 1, true), -ESRCH);
}

static void test_handle_limit_per_domain(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *a = th_open(&f->h, f->g1, false);
	struct pvpci_platform *b = th_open(&f->h, f->g1, false);
	struct pvpci_platform *c = th_open(&f->h, f->g1, false);
	struct pvpci_platform_config cfg = { .run_dir = f->h.dir, .domid = f->g1,
					     .no_store = true };
	struct pvpci_platform *d;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal(pvpci_platform_open("local", &cfg, &d), -EUSERS);
	pvpci_platform_close(c);
	/* the slot comes back once the daemon saw the close */
	int r = -EUSERS;
	for (int i = 0; i < 2500 && r == -EUSERS; i++) {
		r = pvpci_platform_open("local", &cfg, &d);
		if (r == -EUSERS)
			usleep(2000);
	}
	assert_int_equal(r, 0);
	pvpci_platform_close(d);
	pvpci_platform_close(a);
	pvpci_platform_close(b);
}

static void test_open_errors(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform_config cfg = { .run_dir = f->h.dir, .domid = 42, .no_store = true };
	struct pvpci_platform *p;

	assert_int_equal(pvpci_platform_open("local", &cfg, &p), -ENOENT);
#ifdef PVPCI_HAVE_XEN
	/* built with Xen's libraries: off Xen it fails cleanly for want of /dev/xen */
	if (access("/dev/xen/privcmd", F_OK) != 0)
		assert_int_equal(pvpci_platform_open("xen", &cfg, &p), -ENODEV);
#else
	assert_int_equal(pvpci_platform_open("xen", &cfg, &p), -EOPNOTSUPP);
#endif
	assert_int_equal(pvpci_platform_open("bogus", &cfg, &p), -EINVAL);
	cfg.run_dir = "/nonexistent/pvpci";
	cfg.domid = 0;
	assert_int_equal(pvpci_platform_open("local", &cfg, &p), -ENOENT);
}

static void test_second_host_refused(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_host_config cfg = { .run_dir = f->h.dir };
	struct pvpci_host *h2;

	assert_int_equal(pvpci_host_create(&cfg, &h2), -EBUSY);
	assert_null(h2);
	/* the running host is untouched */
	struct pvpci_domain_info list[4];
	size_t n;
	assert_int_equal(pvpci_domain_list(f->d0, list, 4, &n), 0);
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_list_lookup_destroy, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_writes_nodes_as_xl, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_guest_reaches_only_its_nodes, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_releases_everything, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_guest_gets_no_privileged_call, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_privileged_calls_recorded_exactly, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_handle_limit_per_domain, setup_small,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_second_host_refused, setup, th_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
