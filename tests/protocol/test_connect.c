/* SPDX-License-Identifier: MIT */
/*
 * Both sides against each other across real processes: cold-plug connect of pvfront to
 * the backend with the virtual bus and with host addresses, libxl's node formats,
 * bridges, config access through the PV policy, and many guests at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "pvpci/pvfront.h"

static const struct ph_model models_std[] = {
	{ "multifunc.model", 0 }, { "multifunc.model", 1 }, { "nic-msix.model", 0 },
};
static const struct ph_backend_cfg cfg_std = { models_std, 3, PVPCI_BACKEND_VPCI, 0, 0, 0 };

struct gargs {
	struct tc_host *h;
	unsigned domid;
	unsigned want_n;
	struct pvpci_sbdf want[4];
	uint16_t want_vendor[4];
	int ops; /* conf_reads to do in a loop */
};

static int guest_list(void *arg)
{
	struct gargs *a = arg;
	struct pvpci_platform *p = ph_open(a->h, a->domid);
	struct pvpci_pvfront_opts o = { .op_timeout_ms = 2000 };
	struct pvpci_pvfront_dev d[8];
	struct pvpci_pvfront *f;
	size_t n = 0;

	TC_CHECK(p);
	TC_CHECK_EQ(pvpci_pvfront_connect(p, a->domid, &o, &f), 0);
	TC_CHECK_EQ(pvpci_pvfront_devices(f, d, 8, &n), 0);
	TC_CHECK_EQ(n, a->want_n);
	for (unsigned i = 0; i < a->want_n; i++) {
		uint32_t v = 0;

		TC_CHECK(pvpci_sbdf_eq(d[i].addr, a->want[i]));
		TC_CHECK_EQ(d[i].vendor, a->want_vendor[i]);
		TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d[i].addr, 0, 2, &v), 0);
		TC_CHECK_EQ(v, a->want_vendor[i]);
	}
	for (int i = 0; i < a->ops; i++) {
		uint32_t v = 0;

		TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d[0].addr, 0, 2, &v), 0);
		TC_CHECK_EQ(v, a->want_vendor[0]);
	}
	pvpci_pvfront_close(f);
	pvpci_platform_close(p);
	exit(0); /* leak-checked */
}

static void run_guest(struct gargs *a, int expect)
{
	pid_t pid = tc_spawn(guest_list, a);

	assert_int_equal(tc_join(pid, 20000), expect);
}

static void vpci_coldplug_lists_devices_on_virtual_bus(void **state)
{
	struct pvpci_sbdf devs[] = { ph_bdf(3, 0, 0), ph_bdf(1, 0, 1), ph_bdf(1, 0, 0) };
	struct ph_env *e;
	struct gargs a = { .want_n = 3,
			   .want = { ph_bdf(0, 0, 0), ph_bdf(0, 1, 0), ph_bdf(0, 1, 1) },
			   .want_vendor = { 0x8086, 0x10de, 0x10de } };

	e = ph_env_start(&cfg_std);
	assert_non_null(e);
	a.h = &e->h;
	assert_int_equal(ph_guest(e, "g1", devs, 3, NULL, &a.domid), 0);
	run_guest(&a, 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static void vpci_nodes_use_libxl_formats(void **state)
{
	struct pvpci_sbdf devs[] = { ph_bdf(1, 0, 0), ph_bdf(1, 0, 1) };
	struct ph_env *e;
	unsigned domid;
	char v[64];

	e = ph_env_start(&cfg_std);
	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 2, NULL, &domid), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateInitialised, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_be_node(e->xs, domid, "vdev-0", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:00:00.00"); /* the function printed with %02x */
	assert_int_equal(ph_be_node(e->xs, domid, "vdev-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:00:00.01");
	assert_int_equal(ph_be_node(e->xs, domid, "state-0", v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assert_int_equal(ph_be_node(e->xs, domid, "state-1", v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assert_int_equal(ph_be_node(e->xs, domid, "root_num", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(ph_be_node(e->xs, domid, "root-0", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:00");
	/* the backend waits in Initialised while the frontend has not come */
	tc_sleep_ms(50);
	assert_int_equal(ph_be_state(e->xs, domid), XenbusStateInitialised);
	assert_int_equal(ph_env_stop(e), 0);
}

static void passthrough_mode_keeps_host_addresses(void **state)
{
	struct pvpci_sbdf devs[] = { ph_bdf(1, 0, 0), ph_bdf(3, 0, 0), ph_bdf(1, 0, 1) };
	struct ph_env *e;
	struct gargs a = { .want_n = 3,
			   .want = { ph_bdf(1, 0, 0), ph_bdf(1, 0, 1), ph_bdf(3, 0, 0) },
			   .want_vendor = { 0x10de, 0x10de, 0x8086 } };
	char v[64];

	e = ph_env_start(&cfg_std);
	assert_non_null(e);
	a.h = &e->h;
	assert_int_equal(ph_guest(e, "g1", devs, 3, "passthrough", &a.domid), 0);
	run_guest(&a, 0);
	assert_int_equal(ph_be_node(e->xs, a.domid, "vdev-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:03:00.00");
	assert_int_equal(ph_be_node(e->xs, a.domid, "root_num", v, sizeof(v)), 0);
	assert_string_equal(v, "2"); /* 0000:01 once for both functions, 0000:03 */
	assert_int_equal(ph_be_node(e->xs, a.domid, "root-0", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:01");
	assert_int_equal(ph_be_node(e->xs, a.domid, "root-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:03");
	assert_int_equal(ph_env_stop(e), 0);
}

static const struct ph_model models_bridge[] = {
	{ "bridge.model", 0 }, { "multifunc.model", 0 }, { "nic-msix.model", 0 },
};

static void bridge_refused_on_virtual_bus(void **state)
{
	struct ph_backend_cfg cfg = { models_bridge, 3, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { ph_bdf(3, 0, 0), ph_bdf(0, 0x1c, 0) };
	struct ph_env *e;
	unsigned domid;
	char v[128], path[128];

	e = ph_env_start(&cfg);
	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 2, NULL, &domid), 0);
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateClosing, PH_TIMEOUT_MS), 0);
	snprintf(path, sizeof(path), "/local/domain/0/error/backend/pci/%u/0/error", domid);
	assert_int_equal(ph_xs_read(e->xs, path, v, sizeof(v)), 0);
	assert_non_null(strstr(v, "dev-1"));
	assert_int_equal(ph_env_stop(e), 0);
}

static void passthrough_bridge_covers_devices_behind_it(void **state)
{
	struct ph_backend_cfg cfg = { models_bridge, 3, PVPCI_BACKEND_PASSTHROUGH, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { ph_bdf(1, 0, 0), ph_bdf(0, 0x1c, 0), ph_bdf(3, 0, 0) };
	struct ph_env *e;
	struct gargs a = { .want_n = 2,
			   .want = { ph_bdf(0, 0x1c, 0), ph_bdf(3, 0, 0) },
			   .want_vendor = { 0x8086, 0x8086 } };
	char v[64];

	e = ph_env_start(&cfg);
	assert_non_null(e);
	a.h = &e->h;
	assert_int_equal(ph_guest(e, "g1", devs, 3, NULL, &a.domid), 0);
	/* roots: 0000:01 is behind the exported bridge 00:1c.0 (secondary bus 1) */
	run_guest(&a, 0);
	assert_int_equal(ph_be_node(e->xs, a.domid, "root_num", v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	assert_int_equal(ph_be_node(e->xs, a.domid, "root-0", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:00");
	assert_int_equal(ph_be_node(e->xs, a.domid, "root-1", v, sizeof(v)), 0);
	assert_string_equal(v, "0000:03");
	assert_int_equal(ph_env_stop(e), 0);
}

static int guest_policy(void *arg)
{
	struct gargs *a = arg;
	struct pvpci_platform *p = ph_open(a->h, a->domid);
	struct pvpci_pvfront *f;
	struct pvpci_sbdf d = ph_bdf(0, 0, 0);
	uint32_t v = 0;

	TC_CHECK(p);
	TC_CHECK_EQ(pvpci_pvfront_connect(p, a->domid, NULL, &f), 0);
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d, 0, 4, &v), 0);
	TC_CHECK_EQ(v, 0x10fb8086u);
	/* bus master follows the guest */
	TC_CHECK_EQ(pvpci_pvfront_conf_write(f, d, PCI_REG_COMMAND, 2, PCI_CMD_MASTER), 0);
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d, PCI_REG_COMMAND, 2, &v), 0);
	TC_CHECK(v & PCI_CMD_MASTER);
	/* the vendor id is read-only: the write is dropped silently */
	TC_CHECK_EQ(pvpci_pvfront_conf_write(f, d, 0, 2, 0x1234), 0);
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d, 0, 2, &v), 0);
	TC_CHECK_EQ(v, 0x8086);
	/* out of the config space and misaligned: invalid offset */
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d, 4096, 4, &v), -EINVAL);
	TC_CHECK_EQ(pvpci_pvfront_last_err(f), XEN_PCI_ERR_invalid_offset);
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, d, 2, 4, &v), -EINVAL);
	/* a device the guest does not have */
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, ph_bdf(0, 5, 0), 0, 4, &v), -ENODEV);
	TC_CHECK_EQ(pvpci_pvfront_last_err(f), XEN_PCI_ERR_dev_not_found);
	pvpci_pvfront_close(f);
	pvpci_platform_close(p);
	exit(0);
}

static void config_access_goes_through_the_policy(void **state)
{
	struct pvpci_sbdf devs[] = { ph_bdf(3, 0, 0) };
	struct ph_env *e;
	struct gargs a = { 0 };

	e = ph_env_start(&cfg_std);
	assert_non_null(e);
	a.h = &e->h;
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &a.domid), 0);
	assert_int_equal(tc_join(tc_spawn(guest_policy, &a), 20000), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static const struct ph_model models_many[] = {
	{ "multifunc.model", 0 },  { "multifunc.model", 1 },    { "nic-msix.model", 0 },
	{ "msi-maskable.model", 0 }, { "legacy-io.model", 0 }, { "virtio-blk.model", 0 },
	{ "virtio-net.model", 0 }, { "vpd-storage.model", 0 },
};

static void many_guests_at_once(void **state)
{
	struct ph_backend_cfg cfg = { models_many, 8, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[8] = { ph_bdf(1, 0, 0), ph_bdf(1, 0, 1), ph_bdf(3, 0, 0),
				      ph_bdf(2, 0, 0), ph_bdf(5, 1, 0), ph_bdf(0, 2, 0),
				      ph_bdf(0, 3, 0), ph_bdf(4, 0, 0) };
	uint16_t vendor[8] = { 0x10de, 0x10de, 0x8086, 0x1b4b, 0x1274, 0x1af4, 0x1af4, 0x1000 };
	struct gargs a[8];
	pid_t pid[8];
	struct ph_env *e;
	struct pvpci_backend_guest_info gi[8];

	e = ph_env_start(&cfg);
	assert_non_null(e);
	for (int i = 0; i < 8; i++) {
		char name[16];

		snprintf(name, sizeof(name), "g%d", i);
		a[i] = (struct gargs){ .h = &e->h, .want_n = 1, .want = { ph_bdf(0, 0, devs[i].fn) },
				       .want_vendor = { vendor[i] }, .ops = 300 };
		assert_int_equal(ph_guest(e, name, &devs[i], 1, NULL, &a[i].domid), 0);
	}
	for (int i = 0; i < 8; i++)
		pid[i] = tc_spawn(guest_list, &a[i]);
	for (int i = 0; i < 8; i++)
		assert_int_equal(tc_join(pid[i], 30000), 0);
	assert_int_equal(ph_be_guests(&e->be, gi, 8), 8);
	for (int i = 0; i < 8; i++)
		assert_true(gi[i].ops >= 300);
	assert_int_equal(ph_env_stop(e), 0);
}

static const struct ph_model models_intx[] = {
	{ "legacy-io.model", 0 }, { "nic-msix.model", 0 }, { "multifunc.model", 0 },
};

static struct pvpci_backend_dev_info dev_info(struct ph_env *e, struct pvpci_sbdf host)
{
	struct pvpci_backend_dev_info d;

	assert_int_equal(ph_be_device(&e->be, host, &d), 0);
	return d;
}

/* The legacy PIRQ (answered by disable_msi), bound to a port of the guest. */
static unsigned bind_intx(struct ph_rawfe *r, struct pvpci_sbdf v)
{
	struct xen_pci_op op = { .cmd = XEN_PCI_OP_disable_msi, .devfn = PVPCI_DEVFN(v.dev, v.fn) };
	int port;

	assert_int_equal(ph_rawfe_op(r, &op, PH_TIMEOUT_MS), 0);
	assert_int_equal(op.err, 0);
	assert_true(op.value > 0);
	port = pvpci_pirq_bind(r->p, op.value);
	assert_true(port > 0);
	return (unsigned)port;
}

/* Wait for an event on port, skipping (and EOI'ing) the op channel's late events. */
static bool port_fires(struct pvpci_platform *gp, unsigned port)
{
	for (int i = 0; i < 100; i++) {
		int p = pvpci_evtchn_wait(gp, 2000);

		if (p <= 0)
			return false;
		(void)pvpci_evtchn_eoi(gp, (unsigned)p, false);
		if ((unsigned)p == port)
			return true;
	}
	return false;
}

static void intx_and_the_shared_line_handler(void **state)
{
	struct ph_backend_cfg cfg = { models_intx, 3, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf audio = ph_bdf(5, 1, 0), sas = ph_bdf(1, 0, 0); /* lines 0x0b, 0x10 */
	struct pvpci_sbdf devs[] = { audio, sas };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid, p_audio, p_sas;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 2, NULL, &domid), 0);
	gp = ph_open(&e->h, domid);
	assert_non_null(gp);
	assert_int_equal(ph_rawfe_init(&r, gp, domid), 0);
	assert_int_equal(ph_rawfe_connect(&r), 0);
	p_audio = bind_intx(&r, ph_bdf(0, 0, 0));
	p_sas = bind_intx(&r, ph_bdf(0, 1, 0));
	assert_false(dev_info(e, audio).isr_on); /* not enabled by the guest yet */
	assert_int_equal(ph_raw_conf_write(&r, ph_bdf(0, 0, 0), PCI_REG_COMMAND, 2, PCI_CMD_IO), 0);
	assert_int_equal(ph_raw_conf_write(&r, ph_bdf(0, 1, 0), PCI_REG_COMMAND, 2,
					   PCI_CMD_IO | PCI_CMD_MEMORY), 0);
	assert_true(dev_info(e, audio).isr_on);
	assert_int_equal(ph_be_raise(&e->be, audio, PVPCI_IRQ_INTX, 0), 1);
	assert_true(port_fires(gp, p_audio));
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(ph_be_raise(&e->be, audio, PVPCI_IRQ_INTX, 0), 1);
		assert_int_equal(ph_be_raise(&e->be, sas, PVPCI_IRQ_INTX, 0), 1);
	}
	assert_true(port_fires(gp, p_sas));
	/* line 0x0b is shared with the NIC: still acking; 0x10 is not: stops acking */
	assert_int_equal(dev_info(e, audio).isr_count, 1001);
	assert_true(dev_info(e, audio).isr_ack);
	assert_int_equal(dev_info(e, sas).isr_count, 1000);
	assert_false(dev_info(e, sas).isr_ack);
	/* MSI takes the device off INTx, and the administrator can toggle the handler */
	{
		struct xen_pci_op op = { .cmd = XEN_PCI_OP_enable_msi, .devfn = PVPCI_DEVFN(1, 0) };

		assert_int_equal(ph_rawfe_op(&r, &op, PH_TIMEOUT_MS), 0);
		assert_int_equal(op.err, 0);
	}
	assert_false(dev_info(e, sas).isr_on);
	assert_int_equal(ph_be_raise(&e->be, sas, PVPCI_IRQ_INTX, 0), 0); /* MSI: no INTx */
	assert_int_equal(ph_be_isr_toggle(&e->be, audio), 0);
	assert_false(dev_info(e, audio).isr_on);
	assert_int_equal(ph_be_isr_toggle(&e->be, audio), 0);
	assert_true(dev_info(e, audio).isr_on);
	pvpci_platform_close(gp);
	assert_int_equal(ph_env_stop(e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(vpci_coldplug_lists_devices_on_virtual_bus, ph_teardown),
		cmocka_unit_test_teardown(vpci_nodes_use_libxl_formats, ph_teardown),
		cmocka_unit_test_teardown(passthrough_mode_keeps_host_addresses, ph_teardown),
		cmocka_unit_test_teardown(bridge_refused_on_virtual_bus, ph_teardown),
		cmocka_unit_test_teardown(passthrough_bridge_covers_devices_behind_it, ph_teardown),
		cmocka_unit_test_teardown(config_access_goes_through_the_policy, ph_teardown),
		cmocka_unit_test_teardown(many_guests_at_once, ph_teardown),
		cmocka_unit_test_teardown(intx_and_the_shared_line_handler, ph_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
