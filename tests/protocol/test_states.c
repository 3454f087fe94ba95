/* SPDX-License-Identifier: MIT */
/*
 * Every xenbus state transition of protocol.md 2.3-2.6 on the backend's side, driven step
 * by step by a raw frontend (the test writes the frontend's nodes and states itself) and
 * libxl's nodes: cold-plug connect, hot-plug (Reconfiguring / Reconfigured with state-N),
 * unplug with libxl's renumbering, frontend Closing / Closed with online 1 and 0,
 * reconnection, frontend gone, and the toolstack removing the backend directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <xenstore.h>

#include "harness.h"

static const struct ph_model models[] = {
	{ "nic-msix.model", 0 }, { "multifunc.model", 0 }, { "multifunc.model", 1 },
};
static const struct ph_backend_cfg cfg = { models, 3, PVPCI_BACKEND_VPCI, 0, 0, 0 };

#define NIC ph_bdf(3, 0, 0)
#define MF0 ph_bdf(1, 0, 0)
#define MF1 ph_bdf(1, 0, 1)

/* Environment + one guest with devs cold-plugged + a raw frontend on it (not published). */
static struct ph_env *setup(const struct pvpci_sbdf *devs, unsigned n, unsigned *domid,
			    struct pvpci_platform **gp, struct ph_rawfe *r)
{
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, n, NULL, domid), 0);
	*gp = ph_open(&e->h, *domid);
	assert_non_null(*gp);
	assert_int_equal(ph_rawfe_init(r, *gp, *domid), 0);
	return e;
}

static void assigned(struct ph_env *e, struct pvpci_sbdf host, bool want)
{
	struct pvpci_backend_dev_info d;

	assert_int_equal(ph_be_device(&e->be, host, &d), 0);
	assert_int_equal(d.assigned, want);
}

static void vendor_is(struct ph_rawfe *r, struct pvpci_sbdf v, uint32_t vendor)
{
	uint32_t val = 0;

	assert_int_equal(ph_raw_conf_read(r, v, 0, 2, &val), XEN_PCI_ERR_success);
	assert_int_equal(val, vendor);
}

static void not_found(struct ph_rawfe *r, struct pvpci_sbdf v)
{
	uint32_t val;

	assert_int_equal(ph_raw_conf_read(r, v, 0, 2, &val), XEN_PCI_ERR_dev_not_found);
}

static void finish(struct ph_env *e, struct pvpci_platform *gp)
{
	pvpci_platform_close(gp);
	assert_int_equal(ph_env_stop(e), 0);
}

static void coldplug_initialising_initwait_initialised_connected(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	char v[32];

	/* 1 -> 2 -> 3 with the frontend still Initialising: devices published, no attach */
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateInitialised, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_be_node(e->xs, domid, "state-0", v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assigned(e, NIC, true);
	/* the three nodes alone do not attach: the frontend must say Initialised */
	assert_int_equal(ph_rawfe_node(&r, "pci-op-ref", "8"), 0);
	tc_sleep_ms(50);
	assert_int_equal(ph_be_state(e->xs, domid), XenbusStateInitialised);
	assert_int_equal(ph_rawfe_publish(&r), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	vendor_is(&r, ph_bdf(0, 0, 0), 0x8086);
	finish(e, gp);
}

static void hotplug_reconfiguring_reconfigured_connected(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	char v[32];

	assert_int_equal(ph_rawfe_connect(&r), 0);
	assert_int_equal(ph_hotplug(e->xs, domid, MF0), 1);
	/* the backend waits for the frontend to follow into Reconfiguring */
	tc_sleep_ms(50);
	assert_int_equal(ph_be_state(e->xs, domid), XenbusStateReconfiguring);
	assert_int_equal(ph_be_node(e->xs, domid, "state-1", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(ph_rawfe_node(&r, "state", "7"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateReconfigured, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_be_node(e->xs, domid, "state-1", v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assert_int_equal(ph_be_node(e->xs, domid, "vdev-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:00:01.00");
	vendor_is(&r, ph_bdf(0, 1, 0), 0x10de);
	/* Reconfigured until the frontend is Connected again */
	tc_sleep_ms(30);
	assert_int_equal(ph_be_state(e->xs, domid), XenbusStateReconfigured);
	assert_int_equal(ph_rawfe_node(&r, "state", "4"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	finish(e, gp);
}

/* Unplug index i through the whole dance, then libxl's renumbering. */
static void unplug(struct ph_env *e, struct ph_rawfe *r, unsigned domid, unsigned i)
{
	assert_int_equal(ph_unplug(e->xs, domid, i), 0);
	assert_int_equal(ph_rawfe_node(r, "state", "7"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateReconfigured, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_rawfe_node(r, "state", "4"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_unplug_finish(e->xs, domid, i), 0);
}

static void unplug_with_renumbering(void **state)
{
	struct pvpci_sbdf devs[] = { NIC, MF0, MF1 };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 3, &domid, &gp, &r);
	char v[32];

	assert_int_equal(ph_rawfe_connect(&r), 0);
	unplug(e, &r, domid, 0);
	not_found(&r, ph_bdf(0, 0, 0));
	assigned(e, NIC, false);
	vendor_is(&r, ph_bdf(0, 1, 1), 0x10de);
	/* renumbered: MF0 is dev-0, MF1 dev-1 */
	assert_int_equal(ph_be_node(e->xs, domid, "dev-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:01:00.1");
	assert_int_equal(ph_be_node(e->xs, domid, "vdev-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:00:01.01");
	unplug(e, &r, domid, 1); /* MF1 under its new index */
	not_found(&r, ph_bdf(0, 1, 1));
	assigned(e, MF1, false);
	vendor_is(&r, ph_bdf(0, 1, 0), 0x10de);
	/* the freed slot 0 is reused by the next device */
	assert_int_equal(ph_hotplug(e->xs, domid, NIC), 1);
	assert_int_equal(ph_rawfe_node(&r, "state", "7"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateReconfigured, PH_TIMEOUT_MS), 0);
	vendor_is(&r, ph_bdf(0, 0, 0), 0x8086);
	finish(e, gp);
}

static void frontend_closing_closed_and_reconnect(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_backend_guest_info gi;
	struct pvpci_platform *gp;
	struct ph_rawfe r, r2;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);

	assert_int_equal(ph_rawfe_connect(&r), 0);
	assert_int_equal(ph_rawfe_node(&r, "state", "5"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateClosing, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_be_guests(&e->be, &gi, 1), 1);
	assert_false(gi.connected); /* unbound and unmapped */
	assert_int_equal(ph_rawfe_node(&r, "state", "6"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateClosed, PH_TIMEOUT_MS), 0);
	assigned(e, NIC, true); /* online = 1: the device stays */
	/* the frontend starts over with a new page and channel */
	assert_int_equal(ph_rawfe_node(&r, "state", "1"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateInitialised, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_rawfe_init(&r2, gp, domid), 0);
	assert_int_equal(ph_rawfe_connect(&r2), 0);
	vendor_is(&r2, ph_bdf(0, 0, 0), 0x8086);
	finish(e, gp);
}

static void closed_offline_releases_devices(void **state)
{
	struct pvpci_sbdf devs[] = { NIC, MF0 };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 2, &domid, &gp, &r);
	char path[128];

	assert_int_equal(ph_rawfe_connect(&r), 0);
	snprintf(path, sizeof(path), "/local/domain/0/backend/pci/%u/0/online", domid);
	assert_int_equal(ph_xs_write(e->xs, path, "0"), 0);
	assert_int_equal(ph_rawfe_node(&r, "state", "6"), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateClosed, PH_TIMEOUT_MS), 0);
	tc_sleep_ms(20);
	assigned(e, NIC, false);
	assigned(e, MF0, false);
	finish(e, gp);
}

static void frontend_gone_releases_devices(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	char path[128];

	assert_int_equal(ph_rawfe_connect(&r), 0);
	snprintf(path, sizeof(path), "/local/domain/%u/device/pci/0", domid);
	assert_true(xs_rm(e->xs, XBT_NULL, path));
	for (int i = 0; i < 500; i++) {
		struct pvpci_backend_dev_info d;

		assert_int_equal(ph_be_device(&e->be, NIC, &d), 0);
		if (!d.assigned)
			break;
		tc_sleep_ms(2);
	}
	assigned(e, NIC, false);
	finish(e, gp);
}

static void backend_directory_removed_frees_the_guest(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_backend_guest_info gi;
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	int n = 1;

	assert_int_equal(ph_rawfe_connect(&r), 0);
	assert_int_equal(ph_remove_all(e->xs, domid), 0);
	for (int i = 0; i < 5000 && n > 0; i++) {
		n = ph_be_guests(&e->be, &gi, 1);
		tc_sleep_ms(2);
	}
	assert_int_equal(n, 0);
	assigned(e, NIC, false);
	finish(e, gp);
}

static void device_not_seized_or_in_use_is_fatal(void **state)
{
	struct pvpci_sbdf devs[] = { NIC, ph_bdf(9, 0, 0) }, other[] = { NIC };
	struct ph_env *e = ph_env_start(&cfg);
	unsigned d1, d2;
	char path[128], v[128];

	assert_non_null(e);
	/* 09:00.0 is not among the backend's devices */
	assert_int_equal(ph_guest(e, "g1", devs, 2, NULL, &d1), 0);
	assert_int_equal(ph_wait_be_state(e->xs, d1, XenbusStateClosing, PH_TIMEOUT_MS), 0);
	snprintf(path, sizeof(path), "/local/domain/0/error/backend/pci/%u/0/error", d1);
	assert_int_equal(ph_xs_read(e->xs, path, v, sizeof(v)), 0);
	assert_non_null(strstr(v, "dev-1"));
	/* the NIC stays with the first guest: a second one cannot have it */
	assert_int_equal(ph_guest(e, "g2", other, 1, NULL, &d2), 0);
	assert_int_equal(ph_wait_be_state(e->xs, d2, XenbusStateClosing, PH_TIMEOUT_MS), 0);
	assigned(e, NIC, true);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- Edges the backend may not see: the frontend's nodes rewritten in one transaction
 * (node, value pairs, NULL-terminated), so that no evaluation falls in between ---- */

static void fe_txn(struct ph_rawfe *r, ...)
{
	xs_transaction_t t = xs_transaction_start(r->xs);
	va_list ap;
	const char *node;

	assert_true(t != XBT_NULL);
	va_start(ap, r);
	while ((node = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);
		char path[128];

		snprintf(path, sizeof(path), "/local/domain/%u/device/pci/0/%s", r->domid, node);
		assert_true(xs_write(r->xs, t, path, val, (unsigned)strlen(val)));
	}
	va_end(ap);
	assert_true(xs_transaction_end(r->xs, t, false));
}

static void wait_closing(struct ph_env *e, unsigned domid)
{
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateClosing, PH_TIMEOUT_MS), 0);
}

/* A failed connection, then 1 -> 3 (magic fixed) unseen: the backend tries again. */
static void failure_then_unseen_1_3_with_new_config_connects(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	char v[16];

	assert_int_equal(ph_rawfe_node(&r, "magic", "8"), 0);
	snprintf(v, sizeof(v), "%u", r.gref);
	assert_int_equal(ph_rawfe_node(&r, "pci-op-ref", v), 0);
	snprintf(v, sizeof(v), "%u", r.port);
	assert_int_equal(ph_rawfe_node(&r, "event-channel", v), 0);
	assert_int_equal(ph_rawfe_node(&r, "state", "3"), 0);
	wait_closing(e, domid);
	fe_txn(&r, "state", "1", "magic", XEN_PCI_MAGIC, "state", "3", NULL);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	vendor_is(&r, ph_bdf(0, 0, 0), 0x8086);
	finish(e, gp);
}

/* A failed connection, then 1 -> 3 unseen with the same node values (the port it named
 * was not offered then, and is now): the backend tries again. */
static void failure_then_unseen_1_3_with_same_config_connects(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	int q = pvpci_evtchn_alloc_unbound(gp, 0);
	char v[16];

	assert_true(q > 0);
	assert_int_equal(pvpci_evtchn_close(gp, (unsigned)q), 0); /* named, but not offered */
	snprintf(v, sizeof(v), "%u", r.gref);
	assert_int_equal(ph_rawfe_node(&r, "pci-op-ref", v), 0);
	snprintf(v, sizeof(v), "%d", q);
	assert_int_equal(ph_rawfe_node(&r, "event-channel", v), 0);
	assert_int_equal(ph_rawfe_node(&r, "magic", XEN_PCI_MAGIC), 0);
	assert_int_equal(ph_rawfe_node(&r, "state", "3"), 0);
	wait_closing(e, domid);
	assert_int_equal(pvpci_evtchn_alloc_unbound(gp, 0), q); /* offered now */
	r.port = (unsigned)q;
	fe_txn(&r, "state", "1", "state", "3", NULL);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	vendor_is(&r, ph_bdf(0, 0, 0), 0x8086);
	finish(e, gp);
}

/* Connected, then the frontend starts over with a new page and port, its Initialising
 * unseen: the backend follows the nodes to the new page. */
static void connected_then_unseen_restart_reattaches(void **state)
{
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r, r2;
	unsigned domid;
	struct ph_env *e = setup(devs, 1, &domid, &gp, &r);
	char ref[16], evt[16];

	assert_int_equal(ph_rawfe_connect(&r), 0);
	vendor_is(&r, ph_bdf(0, 0, 0), 0x8086);
	assert_int_equal(ph_rawfe_init(&r2, gp, domid), 0);
	snprintf(ref, sizeof(ref), "%u", r2.gref);
	snprintf(evt, sizeof(evt), "%u", r2.port);
	fe_txn(&r2, "state", "1", "pci-op-ref", ref, "event-channel", evt, "state", "3", NULL);
	vendor_is(&r2, ph_bdf(0, 0, 0), 0x8086);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	finish(e, gp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(coldplug_initialising_initwait_initialised_connected,
					  ph_teardown),
		cmocka_unit_test_teardown(hotplug_reconfiguring_reconfigured_connected, ph_teardown),
		cmocka_unit_test_teardown(unplug_with_renumbering, ph_teardown),
		cmocka_unit_test_teardown(frontend_closing_closed_and_reconnect, ph_teardown),
		cmocka_unit_test_teardown(closed_offline_releases_devices, ph_teardown),
		cmocka_unit_test_teardown(frontend_gone_releases_devices, ph_teardown),
		cmocka_unit_test_teardown(backend_directory_removed_frees_the_guest, ph_teardown),
		cmocka_unit_test_teardown(device_not_seized_or_in_use_is_fatal, ph_teardown),
		cmocka_unit_test_teardown(failure_then_unseen_1_3_with_new_config_connects,
					  ph_teardown),
		cmocka_unit_test_teardown(failure_then_unseen_1_3_with_same_config_connects,
					  ph_teardown),
		cmocka_unit_test_teardown(connected_then_unseen_restart_reattaches, ph_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
