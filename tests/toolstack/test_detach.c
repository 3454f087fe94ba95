/* SPDX-License-Identifier: MIT */
/*
 * Toolstack detach tests against a real local-platform host: libxl's renumbering (three
 * devices, the middle one removed: the exact nodes after), the hot-unplug handshake with
 * a simulated backend, the teardown of the whole device when the last function goes
 * (cold: at once; connected: online=0 / Closing / Closed; a backend that does not close:
 * removed anyway with a warning), and the refusals (not attached, unknown domain, a
 * backend that never answers).
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

static int attach(struct tfx *f, const char *spec)
{
	return pvpci_ts_attach_str(f->xs, TFX_BE, f->guest, spec, 3000, &f->err);
}

static int detach(struct tfx *f, unsigned domid, const char *bdf, int ms)
{
	struct pvpci_sbdf a;

	assert_int_equal(pvpci_sbdf_parse(bdf, &a, NULL), 0);
	return pvpci_ts_detach(f->xs, TFX_BE, domid, a, ms, &f->err);
}

/* Three cold-plugged devices with distinct options. */
static void three(struct tfx *f)
{
	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, "0000:03:00.0"), 0);
	assert_int_equal(attach(f, "0000:04:00.0@4,permissive=1,name=mid"), 0);
	assert_int_equal(attach(f, "0000:05:00.0@5,power_mgmt=1,name=last"), 0);
}

static void test_cold_detach_renumbers_exactly(void **state)
{
	struct tfx *f = *state;
	char be[128];

	three(f);
	assert_int_equal(detach(f, f->guest, "0000:04:00.0", 1000), 0);
	assert_string_equal(f->err.msg, "");
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_children(f, be), "dev-0,dev-1,domain,frontend,frontend-id,"
				"key-0,key-1,name-1,num_devs,online,opts-0,opts-1,state,state-0,"
				"state-1,vdevfn-1");
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "2");
	assert_string_equal(tfx_read(f, "%s/dev-0", be), "0000:03:00.0");
	assert_string_equal(tfx_read(f, "%s/key-0", be), "0000:03:00.0");
	assert_string_equal(tfx_read(f, "%s/opts-0", be),
			    "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict");
	assert_string_equal(tfx_read(f, "%s/dev-1", be), "0000:05:00.0");
	assert_string_equal(tfx_read(f, "%s/key-1", be), "0000:05:00.0");
	assert_string_equal(tfx_read(f, "%s/opts-1", be),
			    "msitranslate=0,power_mgmt=1,permissive=0,rdm_policy=strict");
	assert_string_equal(tfx_read(f, "%s/vdevfn-1", be), "28");
	assert_string_equal(tfx_read(f, "%s/name-1", be), "last");
	assert_string_equal(tfx_read(f, "%s/state-1", be), "1");
	assert_string_equal(tfx_read(f, "%s/state", be), "1"); /* no handshake: cold */
}

static void test_detach_first_renumbers_all(void **state)
{
	struct tfx *f = *state;
	char be[128];

	three(f);
	assert_int_equal(detach(f, f->guest, "0000:03:00.0", 1000), 0);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "2");
	assert_string_equal(tfx_read(f, "%s/dev-0", be), "0000:04:00.0");
	assert_string_equal(tfx_read(f, "%s/name-0", be), "mid");
	assert_string_equal(tfx_read(f, "%s/vdevfn-0", be), "20");
	assert_string_equal(tfx_read(f, "%s/dev-1", be), "0000:05:00.0");
	assert_string_equal(tfx_read(f, "%s/name-1", be), "last");
	assert_false(tfx_exists(f, "%s/dev-2", be));
	assert_false(tfx_exists(f, "%s/name-2", be));
}

static void test_hot_detach_handshake_and_renumber(void **state)
{
	struct tfx *f = *state;
	char be[128];

	three(f);
	tfx_connect(f, f->guest);
	besim_start(f, f->guest, true, false);
	assert_int_equal(detach(f, f->guest, "0000:04:00.0", 3000), 0);
	besim_stop(f);
	assert_int_equal(atomic_load(&f->sim.reconfs), 1);
	assert_int_equal(atomic_load(&f->sim.removed), 1); /* saw state-1 = 5 */
	assert_int_equal(atomic_load(&f->sim.exported), 0);
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/state", be), "4");
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "2");
	/* vdev-N moves with its entry */
	assert_string_equal(tfx_read(f, "%s/dev-1", be), "0000:05:00.0");
	assert_string_equal(tfx_read(f, "%s/vdev-1", be), "0000:00:03.00");
	assert_string_equal(tfx_read(f, "%s/state-1", be), "3");
	assert_string_equal(tfx_read(f, "%s/vdev-0", be), "0000:00:01.00");
	assert_false(tfx_exists(f, "%s/vdev-2", be));
	assert_false(tfx_exists(f, "%s/state-2", be));
}

static void test_hot_detach_times_out_with_clear_error(void **state)
{
	struct tfx *f = *state;
	char be[128];

	three(f);
	tfx_connect(f, f->guest);
	/* nobody answers: state-1=5 and Reconfiguring stay, the entry stays */
	assert_int_equal(detach(f, f->guest, "0000:04:00.0", 200), -ETIMEDOUT);
	assert_non_null(strstr(f->err.msg, "detaching 0000:04:00.0 from domain"));
	assert_non_null(strstr(f->err.msg, "within 200 ms"));
	assert_non_null(strstr(f->err.msg, "backend state 7 Reconfiguring"));
	tfx_be(f, f->guest, be, sizeof(be));
	assert_string_equal(tfx_read(f, "%s/state-1", be), "5");
	assert_string_equal(tfx_read(f, "%s/num_devs", be), "3");
}

static void assert_all_gone(struct tfx *f)
{
	assert_false(tfx_exists(f, "/local/domain/0/backend/pci/%u", f->guest));
	assert_false(tfx_exists(f, "/local/domain/%u/device/pci", f->guest));
	assert_false(tfx_exists(f, "/libxl/%u/device", f->guest));
	/* what the domain had before stays */
	assert_true(tfx_exists(f, "/local/domain/%u/device", f->guest));
	assert_true(tfx_exists(f, "/libxl/%u/type", f->guest));
}

static void test_cold_detach_last_tears_down(void **state)
{
	struct tfx *f = *state;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, "0000:03:00.0"), 0);
	assert_int_equal(detach(f, f->guest, "0000:03:00.0", 1000), 0);
	assert_string_equal(f->err.msg, "");
	assert_all_gone(f);
	/* and a new attach cold-plugs again */
	assert_int_equal(attach(f, "0000:04:00.0"), 0);
	assert_string_equal(tfx_read(f, "/local/domain/0/backend/pci/%u/0/dev-0", f->guest),
			    "0000:04:00.0");
}

static void test_hot_detach_last_closes_then_tears_down(void **state)
{
	struct tfx *f = *state;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, "0000:03:00.0"), 0);
	tfx_connect(f, f->guest);
	besim_start(f, f->guest, true, true);
	assert_int_equal(detach(f, f->guest, "0000:03:00.0", 3000), 0);
	besim_stop(f);
	assert_string_equal(f->err.msg, "");
	assert_int_equal(atomic_load(&f->sim.reconfs), 1);
	assert_int_equal(atomic_load(&f->sim.removed), 1);
	assert_int_equal(atomic_load(&f->sim.closes), 1);
	assert_string_equal(f->sim.seen_online, "0");
	assert_all_gone(f);
}

static void test_hot_detach_last_forced_after_close_timeout(void **state)
{
	struct tfx *f = *state;

	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, "0000:03:00.0"), 0);
	tfx_connect(f, f->guest);
	besim_start(f, f->guest, true, false); /* never answers Closing */
	assert_int_equal(detach(f, f->guest, "0000:03:00.0", 400), 0);
	besim_stop(f);
	assert_int_equal(atomic_load(&f->sim.closes), 0);
	assert_non_null(strstr(f->err.msg, "did not close within 400 ms"));
	assert_non_null(strstr(f->err.msg, "backend state 5 Closing"));
	assert_all_gone(f);
}

static void test_detach_not_attached_refused(void **state)
{
	struct tfx *f = *state;
	char want[96];

	assert_int_equal(detach(f, f->guest, "0000:03:00.0", 100), -ENOENT);
	snprintf(want, sizeof(want), "0000:03:00.0 is not attached to domain %u (it has no PCI "
		 "device)", f->guest);
	assert_string_equal(f->err.msg, want);
	tfx_host(f, host3, 3);
	assert_int_equal(attach(f, "0000:03:00.0"), 0);
	assert_int_equal(detach(f, f->guest, "0000:04:00.0", 100), -ENOENT);
	snprintf(want, sizeof(want), "0000:04:00.0 is not attached to domain %u", f->guest);
	assert_string_equal(f->err.msg, want);
	/* attached to guest1, not guest2 */
	assert_int_equal(detach(f, f->guest2, "0000:03:00.0", 100), -ENOENT);
}

static void test_detach_unknown_domain_refused(void **state)
{
	struct tfx *f = *state;

	assert_int_equal(detach(f, 55, "0000:03:00.0", 100), -ESRCH);
	assert_string_equal(f->err.msg, "domain 55 does not exist (no /local/domain/55)");
}

static void test_attach_detach_cycle_keeps_indices_dense(void **state)
{
	struct tfx *f = *state;
	struct pvpci_ts_entry *e;
	size_t n;

	three(f);
	tfx_connect(f, f->guest);
	besim_start(f, f->guest, true, true);
	assert_int_equal(detach(f, f->guest, "0000:05:00.0", 3000), 0);
	assert_int_equal(detach(f, f->guest, "0000:03:00.0", 3000), 0);
	assert_int_equal(attach(f, "0000:03:00.0"), 0);
	besim_stop(f);
	assert_int_equal(pvpci_ts_list(f->xs, TFX_BE, f->guest, &e, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pvpci_sbdf_pack(e[0].bdf), 0x0400);
	assert_int_equal(pvpci_sbdf_pack(e[1].bdf), 0x0300);
	assert_int_equal(e[1].state, 3);
	assert_int_equal(atomic_load(&f->sim.reconfs), 3);
	free(e);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tfx_setup, tfx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cold_detach_renumbers_exactly),
		T(test_detach_first_renumbers_all),
		T(test_hot_detach_handshake_and_renumber),
		T(test_hot_detach_times_out_with_clear_error),
		T(test_cold_detach_last_tears_down),
		T(test_hot_detach_last_closes_then_tears_down),
		T(test_hot_detach_last_forced_after_close_timeout),
		T(test_detach_not_attached_refused),
		T(test_detach_unknown_domain_refused),
		T(test_attach_detach_cycle_keeps_indices_dense),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
