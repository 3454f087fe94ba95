/* SPDX-License-Identifier: MIT */
/*
 * Toolstack attach tests against a real local-platform host: the exact nodes, values and
 * permissions of a cold-plug, appending before the guest connects, `*` expansion (function
 * 0 last), the hot-plug handshake with a simulated backend, and every refusal (bad spec
 * with its position, unknown domain, not assignable, duplicates on the same or another
 * guest, a backend that never connects, a closing device). Also list and the host list.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static const char *const host3[] = { "0000:03:00.0", "0000:04:00.0", "0000:05:00.0" };

static int attach(struct tfx *f, unsigned domid, const char *spec, int ms)
{
	return pvpci_ts_attach_str(f->xs, TFX_BE, domid, spec, ms, &f->err);
}

static void test_cold_plug_writes_libxl_nodes(void **state)
{
	struct tfx *f = *state;
	char be[128], fe[128], lx[128], perms[32];
	unsigned d = f->guest;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, d, "0000:03:00.0@3,permissive=1,name=nic0", 1000), 0);
	assert_string_equal(f->err.msg, "");
	tfx_be(f, d, be, sizeof(be));
	tfx_fe(f, d, fe, sizeof(fe));
	snprintf(lx, sizeof(lx), "/libxl/%u/device/pci/0", d);

	assert_string_equal(tfx_children(f, be), "dev-0,domain,frontend,frontend-id,key-0,"
				"name-0,num_devs,online,opts-0,state,state-0,vdevfn-0");
	assert_string_equal(tfx_read(f, "%s/frontend", be), fe);
	char id[16];
	snprintf(id, sizeof(id), "%u", d);
	assert_string_equal(tfx_read(f, "%s/frontend-id", be), id);
	assert_string_equal(tfx_read(f, "%s/online", be), "1");
	assert_string_equal(tfx_read(f, "%s/state", be), "1");
	assert_string_equal(tfx_read(f, "%s/domain", be), "guest1");
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "1");
	assert_string_equal(tfx_read(f, "%s/dev-0", be), "0000:03:00.0");
	assert_string_equal(tfx_read(f, "%s/key-0", be), "0000:03:00.0");
	assert_string_equal(tfx_read(f, "%s/opts-0", be),
			    "msitranslate=0,power_mgmt=0,permissive=1,rdm_policy=strict");
	assert_string_equal(tfx_read(f, "%s/state-0", be), "1");
	assert_string_equal(tfx_read(f, "%s/vdevfn-0", be), "18");
	assert_string_equal(tfx_read(f, "%s/name-0", be), "nic0");

	assert_string_equal(tfx_children(f, fe), "backend,backend-id,state");
	assert_string_equal(tfx_read(f, "%s/backend", fe), be);
	assert_string_equal(tfx_read(f, "%s/backend-id", fe), "0");
	assert_string_equal(tfx_read(f, "%s/state", fe), "1");

	assert_string_equal(tfx_children(f, lx), "backend,frontend");
	assert_string_equal(tfx_read(f, "%s/frontend", lx), fe);
	assert_string_equal(tfx_read(f, "%s/backend", lx), be);

	/* backend dir owned by the backend domain, readable by the guest; frontend dir
	 * owned by the guest, readable by the backend domain; children inherit */
	snprintf(perms, sizeof(perms), "n0,r%u", d);
	assert_string_equal(tfx_perms(f, be), perms);
	char p2[160];
	snprintf(p2, sizeof(p2), "%s/dev-0", be);
	assert_string_equal(tfx_perms(f, p2), perms);
	snprintf(perms, sizeof(perms), "n%u,r0", d);
	assert_string_equal(tfx_perms(f, fe), perms);
	snprintf(p2, sizeof(p2), "%s/state", fe);
	assert_string_equal(tfx_perms(f, p2), perms);
}

static void test_cold_plug_defaults_and_no_vdevfn(void **state)
{
	struct tfx *f = *state;
	char be[128];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "03:00.0,msitranslate=1,power_mgmt=1,"
					     "rdm_policy=relaxed", 1000), 0);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/opts-0", be),
			    "msitranslate=1,power_mgmt=1,permissive=0,rdm_policy=relaxed");
	assert_false(tfx_exists(f, "%s/vdevfn-0", be));
	assert_false(tfx_exists(f, "%s/name-0", be));
}

static void test_cold_attach_appends_without_state_change(void **state)
{
	struct tfx *f = *state;
	char be[128];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 1000), 0);
	assert_int_equal(attach(f, f->guest, "0000:05:00.0", 1000), 0);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "2");
	assert_string_equal(tfx_read(f, "%s/dev-1", be), "0000:05:00.0");
	assert_string_equal(tfx_read(f, "%s/key-1", be), "0000:05:00.0");
	assert_string_equal(tfx_read(f, "%s/state-1", be), "1");
	assert_string_equal(tfx_read(f, "%s/state", be), "1");
	assert_string_equal(tfx_read(f, "%s/dev-0", be), "0000:03:00.0");
}

static void test_wildcard_expands_host_functions_fn0_last(void **state)
{
	static const char *const host[] = { "0000:04:00.0", "0000:04:00.1", "0000:04:00.3",
					     "0000:04:01.2" };
	struct tfx *f = *state;
	char be[128];

	tfx_host(f, host, 4);
	assert_int_equal(attach(f, f->guest, "04:00.*@2", 1000), 0);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "3");
	assert_string_equal(tfx_read(f, "%s/dev-0", be), "0000:04:00.3");
	assert_string_equal(tfx_read(f, "%s/dev-1", be), "0000:04:00.1");
	assert_string_equal(tfx_read(f, "%s/dev-2", be), "0000:04:00.0");
	assert_string_equal(tfx_read(f, "%s/vdevfn-0", be), "13");
	assert_string_equal(tfx_read(f, "%s/vdevfn-1", be), "11");
	assert_string_equal(tfx_read(f, "%s/vdevfn-2", be), "10");
}

static void test_wildcard_without_host_functions_fails(void **state)
{
	struct tfx *f = *state;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:07:00.*", 1000), -ENODEV);
	assert_non_null(strstr(f->err.msg, "no function of 0000:07:00.*"));
}

static void test_hot_plug_handshake(void **state)
{
	struct tfx *f = *state;
	char be[128];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 1000), 0);
	tfx_connect(f, f->guest);
	besim_start(f, f->guest, true, false);
	assert_int_equal(attach(f, f->guest, "0000:04:00.0,permissive=1", 3000), 0);
	besim_stop(f);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_int_equal(atomic_load(&f->sim.reconfs), 1);
	assert_int_equal(atomic_load(&f->sim.exported), 1);
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "2");
	assert_string_equal(tfx_read(f, "%s/dev-1", be), "0000:04:00.0");
	assert_string_equal(tfx_read(f, "%s/opts-1", be),
			    "msitranslate=0,power_mgmt=0,permissive=1,rdm_policy=strict");
	assert_string_equal(tfx_read(f, "%s/state-1", be), "3");
	assert_string_equal(tfx_read(f, "%s/vdev-1", be), "0000:00:02.00");
	assert_string_equal(tfx_read(f, "%s/state", be), "4");
}

static void test_hot_plug_times_out_with_clear_error(void **state)
{
	struct tfx *f = *state;
	char be[128], path[160];
	uint64_t t0;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 1000), 0);
	/* the guest connected, the backend is stuck in InitWait */
	tfx_fe(f, f->guest, path, sizeof(path));
	strcat(path, "/state");
	tfx_write(f, path, "3");
	tfx_be(f, f->guest, be, sizeof(be));
	snprintf(path, sizeof(path), "%s/state", be);
	tfx_write(f, path, "2");
	t0 = pvpci_now_ns();
	assert_int_equal(attach(f, f->guest, "0000:04:00.0", 300), -ETIMEDOUT);
	assert_true(pvpci_now_ns() - t0 >= 290000000ull);
	assert_true(pvpci_now_ns() - t0 < 3000000000ull);
	assert_non_null(strstr(f->err.msg, "not Connected within 300 ms"));
	assert_non_null(strstr(f->err.msg, "backend state 2 InitWait"));
	assert_non_null(strstr(f->err.msg, "frontend state 3 Initialised"));
	assert_non_null(strstr(f->err.msg, "0000:04:00.0"));
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "1");
}

static void test_hot_plug_reconfigure_times_out(void **state)
{
	struct tfx *f = *state;
	char be[128];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 1000), 0);
	tfx_connect(f, f->guest);
	/* nobody answers Reconfiguring */
	assert_int_equal(attach(f, f->guest, "0000:04:00.0", 200), -ETIMEDOUT);
	assert_non_null(strstr(f->err.msg, "hot-plug of 0000:04:00.0"));
	assert_non_null(strstr(f->err.msg, "backend state 7 Reconfiguring"));
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/state", be), "7");
	assert_string_equal(tfx_read(f, "%s/state-1", be), "1");
}

static void test_bad_spec_reports_position(void **state)
{
	struct tfx *f = *state;

	assert_int_equal(attach(f, f->guest, "0000:03:00.0,permissive=2", 100), -EINVAL);
	assert_non_null(strstr(f->err.msg, "bad PCI spec '0000:03:00.0,permissive=2'"));
	assert_non_null(strstr(f->err.msg, "at 24"));
	assert_int_equal(attach(f, f->guest, "0000:03:0g.0", 100), -EINVAL);
	assert_non_null(strstr(f->err.msg, "at 9"));
	assert_false(tfx_exists(f, "/local/domain/0/backend/pci/%u", f->guest));
}

static void test_unknown_domain_refused(void **state)
{
	struct tfx *f = *state;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, 77, "0000:03:00.0", 100), -ESRCH);
	assert_string_equal(f->err.msg, "domain 77 does not exist (no /local/domain/77)");
	assert_false(tfx_exists(f, "/local/domain/0/backend/pci/77"));
	assert_int_equal(attach(f, 0, "0000:03:00.0", 100), -EINVAL);
}

static void test_not_assignable_refused(void **state)
{
	struct tfx *f = *state;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:09:00.0", 100), -ENODEV);
	assert_non_null(strstr(f->err.msg, "0000:09:00.0 is not assignable"));
	assert_false(tfx_exists(f, "/local/domain/0/backend/pci/%u", f->guest));
}

static void test_duplicate_same_guest_refused(void **state)
{
	struct tfx *f = *state;
	char be[128];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 100), 0);
	assert_int_equal(attach(f, f->guest, "03:00.0,permissive=1", 100), -EBUSY);
	char want[96];
	snprintf(want, sizeof(want), "0000:03:00.0 is already attached to domain %u", f->guest);
	assert_string_equal(f->err.msg, want);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "1");
}

static void test_duplicate_other_guest_refused(void **state)
{
	struct tfx *f = *state;
	char want[128];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 100), 0);
	assert_int_equal(attach(f, f->guest2, "0000:03:00.0", 100), -EBUSY);
	snprintf(want, sizeof(want), "0000:03:00.0 is already attached to another guest "
		 "(domain %u)", f->guest);
	assert_string_equal(f->err.msg, want);
	assert_false(tfx_exists(f, "/local/domain/0/backend/pci/%u", f->guest2));
}

static void test_closing_device_refused(void **state)
{
	struct tfx *f = *state;
	char be[128], path[160];

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0", 100), 0);
	tfx_be(f, f->guest, be, sizeof(be));
	snprintf(path, sizeof(path), "%s/state", be);
	tfx_write(f, path, "5");
	assert_int_equal(attach(f, f->guest, "0000:04:00.0", 100), -ESHUTDOWN);
	assert_non_null(strstr(f->err.msg, "closing"));
}

static void test_list_cold_and_published(void **state)
{
	struct tfx *f = *state;
	struct pvpci_ts_entry *e;
	size_t n;

	tfx_host(f, host3, 3);
	assert_int_equal(pvpci_ts_list(f->xs, TFX_BE, f->guest, &e, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_null(e);
	assert_int_equal(attach(f, f->guest, "0000:03:00.0,name=a", 100), 0);
	assert_int_equal(pvpci_ts_list(f->xs, TFX_BE, f->guest, &e, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_false(e[0].has_vdev); /* not published before the backend exports it */
	assert_int_equal(e[0].state, 1);
	free(e);
	tfx_connect(f, f->guest);
	besim_start(f, f->guest, true, false);
	assert_int_equal(attach(f, f->guest, "0000:05:00.0@7", 3000), 0);
	besim_stop(f);
	assert_int_equal(pvpci_ts_list(f->xs, TFX_BE, f->guest, &e, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].index, 0);
	assert_int_equal(pvpci_sbdf_pack(e[0].bdf), 0x0300);
	assert_true(e[0].has_vdev);
	assert_int_equal(pvpci_sbdf_pack(e[0].vdev), PVPCI_DEVFN(1, 0));
	assert_string_equal(e[0].name, "a");
	assert_int_equal(e[0].vdevfn, -1);
	assert_int_equal(e[1].index, 1);
	assert_int_equal(pvpci_sbdf_pack(e[1].bdf), 0x0500);
	assert_true(e[1].has_vdev);
	assert_int_equal(pvpci_sbdf_pack(e[1].vdev), PVPCI_DEVFN(2, 0));
	assert_int_equal(e[1].state, 3);
	assert_int_equal(e[1].vdevfn, 7 << 3);
	assert_string_equal(e[1].opts, "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict");
	free(e);
	assert_int_equal(pvpci_ts_list(f->xs, TFX_BE, 99, &e, &n, &f->err), -ESRCH);
}

static void test_host_devices_show_owner(void **state)
{
	struct tfx *f = *state;
	struct pvpci_ts_host_dev *h;
	size_t n;

	assert_int_equal(pvpci_ts_host_devices(f->xs, TFX_BE, &h, &n, &f->err), -ENOENT);
	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, f->guest2, "0000:04:00.0", 100), 0);
	assert_int_equal(pvpci_ts_host_devices(f->xs, TFX_BE, &h, &n, &f->err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pvpci_sbdf_pack(h[0].bdf), 0x0300);
	assert_int_equal(h[0].domid, -1);
	assert_string_equal(h[0].model, "/models/dev0.model");
	assert_int_equal(pvpci_sbdf_pack(h[1].bdf), 0x0400);
	assert_int_equal(h[1].domid, (int)f->guest2);
	free(h);
	assert_string_equal(tfx_perms(f, "/local/domain/0/pvpci/devices"), "n0");
	struct pvpci_sbdf a = { 0, 3, 0, 0 };
	assert_int_equal(pvpci_ts_host_unpublish(f->xs, TFX_BE, a), 0);
	assert_false(tfx_exists(f, "/local/domain/0/pvpci/devices/0000-03-00-0"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tfx_setup, tfx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cold_plug_writes_libxl_nodes),
		T(test_cold_plug_defaults_and_no_vdevfn),
		T(test_cold_attach_appends_without_state_change),
		T(test_wildcard_expands_host_functions_fn0_last),
		T(test_wildcard_without_host_functions_fails),
		T(test_hot_plug_handshake),
		T(test_hot_plug_times_out_with_clear_error),
		T(test_hot_plug_reconfigure_times_out),
		T(test_bad_spec_reports_position),
		T(test_unknown_domain_refused),
		T(test_not_assignable_refused),
		T(test_duplicate_same_guest_refused),
		T(test_duplicate_other_guest_refused),
		T(test_closing_device_refused),
		T(test_list_cold_and_published),
		T(test_host_devices_show_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
