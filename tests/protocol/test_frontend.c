/* SPDX-License-Identifier: MIT */
/*
 * The frontend library against the backend across processes: hot-plug and unplug events
 * (libxl's nodes written by the test, then by the toolstack module), MSI / MSI-X / multi-MSI
 * interrupts from model devices reaching the guest's PIRQ ports with masks honoured, the
 * AER flow through the guest's handler (recovery, fatal errors, the kill policy,
 * timeouts), an op that times out without its late answer being taken for the next op, and
 * the frontend's own states against a scripted backend (missed Connected, Reconfiguring /
 * Reconfigured, backend Closing).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <xenstore.h>

#include "harness.h"
#include "pvpci/pvfront.h"
#include "pvpci/toolstack.h"

#define NIC ph_bdf(3, 0, 0)
#define MF0 ph_bdf(1, 0, 0)
#define MF1 ph_bdf(1, 0, 1)
#define AHCI ph_bdf(2, 0, 0)
#define V0 ph_bdf(0, 0, 0)

static const struct ph_model models[] = {
	{ "nic-msix.model", 0 }, { "multifunc.model", 0 }, { "multifunc.model", 1 },
	{ "msi-maskable.model", 0 },
};

/* ---- The guest side: a child process with pipes to the test ---- */
struct guest {
	struct tc_host *h;
	unsigned domid;
	int cmd[2], rep[2];
	bool aer;          /* register an AER handler */
	int aer_answer;    /* what error_detected answers */
	int op_timeout_ms;
	int (*script)(struct guest *g, struct pvpci_pvfront *f);
	bool closed; /* the script closed the frontend itself */
	pid_t pid;
};

/* Child-side record of callbacks. */
static unsigned irq_count, irq_last, aer_seq, aer_n;
static int aer_answer;

static void on_irq(void *opaque, struct pvpci_sbdf dev, unsigned pirq)
{
	irq_count++;
	irq_last = pirq;
}

static void on_hotplug(void *opaque, enum pvpci_pvfront_event ev,
		       const struct pvpci_pvfront_dev *d)
{
	struct guest *g = opaque;
	uint32_t v = (uint32_t)ev << 24 | (d ? pvpci_sbdf_pack(d->addr) & 0xffffff : 0);

	TC_CHECK_EQ(tc_send(g->rep[1], v), 0);
}

static int on_aer(void *opaque, unsigned cmd, const struct pvpci_pvfront_dev *dev, int ch)
{
	aer_seq |= (cmd & 0xf) << (4 * aer_n++);
	if (cmd == XEN_PCI_OP_aer_detected)
		return aer_answer;
	return PVPCI_AER_RESULT_RECOVERED;
}

/* Run the event loop until a command comes (or timeout_ms): the command, or -1. */
static int next_cmd(struct guest *g, struct pvpci_pvfront *f, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 5) {
		struct pollfd pfd = { .fd = g->cmd[0], .events = POLLIN };
		uint32_t c;

		TC_CHECK(pvpci_pvfront_wait(f, 5) >= 0 || !pvpci_pvfront_connected(f));
		if (poll(&pfd, 1, 0) == 1)
			return tc_recv(g->cmd[0], &c, 10) == 0 ? (int)c : -1; /* EOF: the end */
	}
	return -1;
}

/* Wait (running the loop) until irq_count reaches n; false on timeout. */
static bool wait_irqs(struct pvpci_pvfront *f, unsigned n, int timeout_ms)
{
	for (int waited = 0; irq_count < n && waited < timeout_ms; waited += 5)
		(void)pvpci_pvfront_wait(f, 5);
	return irq_count >= n;
}

static int guest_main(void *arg)
{
	struct guest *g = arg;
	struct pvpci_platform *p = ph_open(g->h, g->domid);
	struct pvpci_pvfront_opts o = { .op_timeout_ms = g->op_timeout_ms, .hotplug = on_hotplug,
					.irq = on_irq, .opaque = g };
	struct pvpci_pvfront *f;
	int rc;

	close(g->cmd[1]);
	close(g->rep[0]);
	aer_answer = g->aer_answer;
	if (g->aer)
		o.aer = on_aer;
	TC_CHECK(p);
	TC_CHECK_EQ(pvpci_pvfront_connect(p, g->domid, &o, &f), 0);
	rc = g->script(g, f);
	if (!g->closed)
		pvpci_pvfront_close(f);
	pvpci_platform_close(p);
	exit(rc); /* leak-checked */
}

static void guest_start(struct guest *g, struct ph_env *e, unsigned domid,
			int (*script)(struct guest *, struct pvpci_pvfront *))
{
	g->h = &e->h;
	g->domid = domid;
	g->script = script;
	assert_int_equal(pipe(g->cmd), 0);
	assert_int_equal(pipe(g->rep), 0);
	g->pid = tc_spawn(guest_main, g);
	close(g->cmd[0]);
	close(g->rep[1]);
}

static int guest_end(struct guest *g)
{
	int rc;

	close(g->cmd[1]);
	rc = tc_join(g->pid, 20000);
	close(g->rep[0]);
	return rc;
}

static uint32_t rep(struct guest *g)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(tc_recv(g->rep[0], &v, PH_TIMEOUT_MS), 0);
	return v;
}

static void say(struct guest *g, uint32_t c)
{
	assert_int_equal(tc_send(g->cmd[1], c), 0);
}

#define EV(ev, bus, dev, fn) ((uint32_t)(ev) << 24 | (uint32_t)(bus) << 8 | PVPCI_DEVFN(dev, fn))

/* ---- Hot-plug ---- */

/* Loop until the test closes the command pipe. */
static int script_idle(struct guest *g, struct pvpci_pvfront *f)
{
	while (next_cmd(g, f, 20000) >= 0)
		;
	return 0;
}

static void hotplug_and_unplug_reach_the_guest(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { NIC };
	struct guest g = { 0 };
	unsigned domid;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(&g, e, domid, script_idle);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_hotplug(e->xs, domid, MF1), 1);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 1, 1));
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_wait_fe_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_unplug(e->xs, domid, 0), 0);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_REMOVED, 0, 0, 0));
	assert_int_equal(ph_wait_be_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_unplug_finish(e->xs, domid, 0), 0);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static void toolstack_attach_and_detach_with_renumbering(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_ts_entry *ent = NULL;
	struct pvpci_ts_err err;
	struct guest g = { 0 };
	unsigned domid;
	size_t n = 0;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(&g, e, domid, script_idle);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	/* one physical slot: both functions go to one virtual slot, functions kept */
	assert_int_equal(pvpci_ts_attach_str(e->xs, 0, domid, "01:00.1", PH_TIMEOUT_MS, &err), 0);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 1, 1));
	assert_int_equal(pvpci_ts_attach_str(e->xs, 0, domid, "01:00.0", PH_TIMEOUT_MS, &err), 0);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 1, 0));
	assert_int_equal(pvpci_ts_detach(e->xs, 0, domid, NIC, PH_TIMEOUT_MS, &err), 0);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_REMOVED, 0, 0, 0));
	assert_int_equal(pvpci_ts_list(e->xs, 0, domid, &ent, &n, &err), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ent[i].index, i);
		assert_true(ent[i].has_vdev);
		assert_int_equal(ent[i].vdev.dev, 1); /* renumbered, same virtual slot */
		assert_int_equal(ent[i].state, XenbusStateInitialised);
	}
	free(ent);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- Interrupts ---- */

static int script_msi(struct guest *g, struct pvpci_pvfront *f)
{
	uint16_t entries[2] = { 0, 5 };
	unsigned pirq = 0, pirqs[2];

	TC_CHECK_EQ(pvpci_pvfront_enable_msi(f, V0, &pirq), 0);
	TC_CHECK_EQ(tc_send(g->rep[1], pirq), 0);
	TC_CHECK(wait_irqs(f, 1, PH_TIMEOUT_MS));
	TC_CHECK_EQ(tc_send(g->rep[1], irq_last), 0);
	TC_CHECK_EQ(pvpci_pvfront_disable_msi(f, V0), 0);
	TC_CHECK_EQ(pvpci_pvfront_conf_write(f, V0, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY), 0);
	TC_CHECK_EQ(pvpci_pvfront_enable_msix(f, V0, entries, 2, pirqs), 0);
	TC_CHECK(pirqs[0] != pirqs[1]);
	TC_CHECK_EQ(tc_send(g->rep[1], pirqs[1]), 0);
	TC_CHECK(wait_irqs(f, 2, PH_TIMEOUT_MS));
	TC_CHECK_EQ(tc_send(g->rep[1], irq_last), 0);
	/* masked: the interrupt waits for the unmask */
	TC_CHECK_EQ(pvpci_pvfront_irq_mask(f, pirqs[0], true), 0);
	TC_CHECK_EQ(tc_send(g->rep[1], 1), 0);
	TC_CHECK_EQ(next_cmd(g, f, PH_TIMEOUT_MS), 1); /* raised */
	TC_CHECK(!wait_irqs(f, 3, 100));
	TC_CHECK_EQ(pvpci_pvfront_irq_mask(f, pirqs[0], false), 0);
	TC_CHECK(wait_irqs(f, 3, PH_TIMEOUT_MS));
	TC_CHECK_EQ(irq_last, pirqs[0]);
	TC_CHECK_EQ(pvpci_pvfront_disable_msix(f, V0), 0);
	return script_idle(g, f);
}

static void msi_and_msix_interrupts_reach_the_guest(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_backend_dev_info d;
	struct guest g = { 0 };
	uint32_t pirq, pirq5;
	unsigned domid;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(&g, e, domid, script_msi);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	pirq = rep(&g);
	assert_int_equal(ph_be_device(&e->be, NIC, &d), 0);
	assert_int_equal(d.intr, PVPCI_INTR_MSI);
	assert_int_equal(d.msi_vectors, 1);
	assert_int_equal(ph_be_raise(&e->be, NIC, PVPCI_IRQ_MSI, 0), 1);
	assert_int_equal(rep(&g), pirq);
	pirq5 = rep(&g);
	assert_int_equal(ph_be_device(&e->be, NIC, &d), 0);
	assert_int_equal(d.intr, PVPCI_INTR_MSIX);
	assert_int_equal(d.msix_vectors, 2);
	assert_int_equal(ph_be_raise(&e->be, NIC, PVPCI_IRQ_MSIX, 5), 1);
	assert_int_equal(rep(&g), pirq5);
	assert_int_equal(rep(&g), 1); /* masked entry 0's port */
	assert_int_equal(ph_be_raise(&e->be, NIC, PVPCI_IRQ_MSIX, 0), 1);
	say(&g, 1);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_be_device(&e->be, NIC, &d), 0);
	assert_int_equal(d.msix_vectors, 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static int script_multi_msi(struct guest *g, struct pvpci_pvfront *f)
{
	unsigned pirqs[16], hint = 0;

	TC_CHECK_EQ(pvpci_pvfront_enable_multi_msi(f, V0, 4, pirqs, &hint), 0);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < i; j++)
			TC_CHECK(pirqs[i] != pirqs[j]);
	TC_CHECK_EQ(tc_send(g->rep[1], pirqs[3]), 0);
	TC_CHECK(wait_irqs(f, 1, PH_TIMEOUT_MS));
	TC_CHECK_EQ(tc_send(g->rep[1], irq_last), 0);
	TC_CHECK_EQ(pvpci_pvfront_disable_msi(f, V0), 0);
	TC_CHECK_EQ(pvpci_pvfront_enable_multi_msi(f, V0, 3, pirqs, &hint), -EIO);
	TC_CHECK_EQ(hint, 2);
	TC_CHECK_EQ(pvpci_pvfront_enable_multi_msi(f, V0, 16, pirqs, &hint), -EIO);
	TC_CHECK_EQ(hint, 8);
	TC_CHECK_EQ(pvpci_pvfront_enable_multi_msi(f, V0, 8, pirqs, &hint), 0);
	TC_CHECK_EQ(pvpci_pvfront_enable_multi_msi(f, V0, 2, pirqs, &hint), -EIO); /* on */
	return script_idle(g, f);
}

static void multi_msi_gives_one_pirq_per_vector(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { AHCI };
	struct pvpci_backend_dev_info d;
	struct guest g = { 0 };
	unsigned domid;
	uint32_t pirq3;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(&g, e, domid, script_multi_msi);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	pirq3 = rep(&g);
	assert_int_equal(ph_be_device(&e->be, AHCI, &d), 0);
	assert_int_equal(d.msi_vectors, 4);
	assert_int_equal(ph_be_raise(&e->be, AHCI, PVPCI_IRQ_MSI, 3), 1);
	assert_int_equal(rep(&g), pirq3);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- AER ---- */

static int script_aer(struct guest *g, struct pvpci_pvfront *f)
{
	int c = next_cmd(g, f, 20000); /* the test says when the flow has ended */

	if (c >= 0)
		TC_CHECK_EQ(tc_send(g->rep[1], aer_seq), 0);
	return script_idle(g, f);
}

/* Run one AER flow with a guest; returns the sequence of commands the guest saw. */
static uint32_t aer_flow(struct ph_env *e, struct guest *g, int channel, int *result,
			 unsigned *kills)
{
	unsigned domid;
	struct pvpci_sbdf devs[] = { NIC };

	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(g, e, domid, script_aer);
	assert_int_equal(rep(g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	assert_int_equal(ph_be_aer(&e->be, NIC, channel), 0);
	*result = 0;
	for (int i = 0; i < 5000 && *result == 0; i++) {
		assert_int_equal(ph_be_aer_result(&e->be, result, kills), 0);
		tc_sleep_ms(2);
	}
	say(g, 1);
	return rep(g);
}

#define SEQ3(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 4 | (uint32_t)(c) << 8)

static void aer_recovery_goes_through_the_guest_handler(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct guest g = { .aer = true, .aer_answer = PVPCI_AER_RESULT_CAN_RECOVER };
	struct ph_env *e = ph_env_start(&cfg);
	unsigned kills;
	int result;

	assert_non_null(e);
	assert_int_equal(aer_flow(e, &g, PVPCI_AER_CHANNEL_NORMAL, &result, &kills),
			 SEQ3(XEN_PCI_OP_aer_detected, XEN_PCI_OP_aer_mmio, XEN_PCI_OP_aer_resume));
	assert_int_equal(result, PVPCI_AER_RESULT_RECOVERED);
	assert_int_equal(kills, 0);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static void aer_fatal_error_resets_before_slot_reset(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct guest g = { .aer = true, .aer_answer = PVPCI_AER_RESULT_CAN_RECOVER };
	struct ph_env *e = ph_env_start(&cfg);
	unsigned kills;
	int result;

	assert_non_null(e);
	assert_int_equal(aer_flow(e, &g, PVPCI_AER_CHANNEL_FROZEN, &result, &kills),
			 SEQ3(XEN_PCI_OP_aer_detected, XEN_PCI_OP_aer_slotreset,
			      XEN_PCI_OP_aer_resume));
	assert_int_equal(result, PVPCI_AER_RESULT_RECOVERED);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static void aer_guest_giving_up_is_killed(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, PVPCI_AER_KILL_MARK, 0 };
	struct guest g = { .aer = true, .aer_answer = PVPCI_AER_RESULT_DISCONNECT };
	struct ph_env *e = ph_env_start(&cfg);
	unsigned kills;
	int result;
	char v[32];

	assert_non_null(e);
	assert_int_equal(aer_flow(e, &g, PVPCI_AER_CHANNEL_NORMAL, &result, &kills),
			 XEN_PCI_OP_aer_detected);
	assert_int_equal(result, PVPCI_AER_RESULT_DISCONNECT);
	assert_int_equal(kills, 1);
	assert_int_equal(ph_be_node(e->xs, g.domid, "aerState", v, sizeof(v)), 0);
	assert_string_equal(v, "aerfail");
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

static void aer_without_handler_destroys_the_domain(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, PVPCI_AER_KILL_DESTROY, 0 };
	struct guest g = { .aer = false };
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_domain_info di[8];
	struct ph_env *e = ph_env_start(&cfg);
	unsigned kills = 0, domid;
	int result = 0;
	size_t n = 0;

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(&g, e, domid, script_idle);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	assert_int_equal(ph_be_aer(&e->be, NIC, PVPCI_AER_CHANNEL_NORMAL), 0);
	for (int i = 0; i < 5000 && result == 0; i++) {
		assert_int_equal(ph_be_aer_result(&e->be, &result, &kills), 0);
		tc_sleep_ms(2);
	}
	assert_int_equal(result, PVPCI_AER_RESULT_DISCONNECT);
	assert_int_equal(kills, 1);
	assert_int_equal(pvpci_domain_list(e->dom0, di, 8, &n), 0);
	for (size_t i = 0; i < n && i < 8; i++)
		assert_int_not_equal(di[i].domid, domid);
	kill(g.pid, SIGKILL); /* its domain is gone */
	(void)guest_end(&g);
	assert_int_equal(ph_env_stop(e), 0);
}

static void aer_unanswered_times_out_to_the_defaults(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 60, 0, 0 };
	struct pvpci_sbdf devs[] = { NIC };
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid, kills = 0;
	int result = 0;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	gp = ph_open(&e->h, domid);
	assert_non_null(gp);
	assert_int_equal(ph_rawfe_init(&r, gp, domid), 0);
	r.sh->flags = XEN_PCIB_AERHANDLER; /* claims a handler, never answers */
	assert_int_equal(ph_rawfe_connect(&r), 0);
	assert_int_equal(ph_be_aer(&e->be, NIC, PVPCI_AER_CHANNEL_NORMAL), 0);
	assert_int_equal(ph_be_aer(&e->be, NIC, PVPCI_AER_CHANNEL_NORMAL), -EBUSY);
	for (int i = 0; i < 5000 && result == 0; i++) {
		assert_int_equal(ph_be_aer_result(&e->be, &result, &kills), 0);
		tc_sleep_ms(2);
	}
	assert_int_equal(result, PVPCI_AER_RESULT_RECOVERED); /* CAN_RECOVER, RECOVERED... */
	assert_int_equal(kills, 0);
	assert_int_equal(r.sh->flags & XEN_PCIB_active, 0);      /* cleared by the backend */
	assert_int_equal(r.sh->aer_op.err, PVPCI_AER_RESULT_NONE); /* as pciback leaves it */
	assert_int_equal(r.sh->aer_op.cmd, XEN_PCI_OP_aer_resume);
	assert_int_equal(r.sh->aer_op.devfn, 0);
	pvpci_platform_close(gp);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- Timeouts ---- */

static int script_timeout(struct guest *g, struct pvpci_pvfront *f)
{
	uint32_t v = 0;

	TC_CHECK_EQ(next_cmd(g, f, PH_TIMEOUT_MS), 1); /* the backend is stopped */
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, V0, 0, 2, &v), -ETIMEDOUT);
	TC_CHECK_EQ(pvpci_pvfront_last_err(f), XEN_PCI_ERR_dev_not_found);
	TC_CHECK_EQ(tc_send(g->rep[1], 1), 0);
	TC_CHECK_EQ(next_cmd(g, f, PH_TIMEOUT_MS), 2); /* the backend runs again */
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, V0, PCI_REG_REVISION, 4, &v), 0);
	TC_CHECK_EQ(v, 0x02000001u); /* the class, not the late vendor answer */
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, V0, 0, 2, &v), 0);
	TC_CHECK_EQ(v, 0x8086);
	return script_idle(g, f);
}

static void op_timeout_late_answer_is_not_taken_for_the_next_op(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { NIC };
	struct guest g = { .op_timeout_ms = 150 };
	unsigned domid;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	guest_start(&g, e, domid, script_timeout);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	kill(e->be.pid, SIGSTOP);
	say(&g, 1);
	assert_int_equal(rep(&g), 1);
	kill(e->be.pid, SIGCONT);
	say(&g, 2);
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- Reconnections ---- */

/* Connect (the harness did), close, connect again on the same handle, read. */
static int script_reconnect(struct guest *g, struct pvpci_pvfront *f)
{
	struct pvpci_platform *p = ph_open(g->h, g->domid);
	struct pvpci_pvfront *f2;
	uint32_t v = 0;

	TC_CHECK(p);
	pvpci_pvfront_close(f);
	g->closed = true;
	TC_CHECK_EQ(pvpci_pvfront_connect(p, g->domid, NULL, &f2), 0);
	TC_CHECK_EQ(pvpci_pvfront_conf_read(f2, V0, 0, 2, &v), 0);
	TC_CHECK_EQ(v, 0x8086);
	pvpci_pvfront_close(f2);
	pvpci_platform_close(p);
	return 0;
}

/* The process goes without closing. */
static int script_vanish(struct guest *g, struct pvpci_pvfront *f)
{
	_exit(0);
}

static int script_read(struct guest *g, struct pvpci_pvfront *f)
{
	uint32_t v = 0;

	TC_CHECK_EQ(pvpci_pvfront_conf_read(f, V0, 0, 2, &v), 0);
	TC_CHECK_EQ(v, 0x8086);
	return 0;
}

static void frontend_reconnects_after_close_and_after_dying(void **state)
{
	struct ph_backend_cfg cfg = { models, 4, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { NIC };
	struct guest g1 = { 0 }, g2 = { 0 }, g3 = { 0 };
	unsigned domid;
	struct ph_env *e = ph_env_start(&cfg);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	/* connect, close and connect again (the backend stays, online = 1) */
	guest_start(&g1, e, domid, script_reconnect);
	assert_int_equal(rep(&g1), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	assert_int_equal(guest_end(&g1), 0);
	/* a guest that dies connected, then a new one in its place */
	guest_start(&g2, e, domid, script_vanish);
	assert_int_equal(rep(&g2), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	assert_int_equal(guest_end(&g2), 0);
	assert_int_equal(ph_be_state(e->xs, domid), XenbusStateConnected);
	guest_start(&g3, e, domid, script_read);
	assert_int_equal(rep(&g3), EV(PVPCI_PVFRONT_ADDED, 0, 0, 0));
	assert_int_equal(guest_end(&g3), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- The frontend's states against a scripted backend ---- */

static int script_states(struct guest *g, struct pvpci_pvfront *f)
{
	int own = 0;

	for (int i = 0; i < 4000 && own != XenbusStateClosed; i++) {
		(void)pvpci_pvfront_wait(f, 5);
		pvpci_pvfront_states(f, &own, NULL);
	}
	TC_CHECK_EQ(own, XenbusStateClosed);
	TC_CHECK(!pvpci_pvfront_connected(f));
	return 0;
}

static void be_write(struct ph_env *e, unsigned domid, const char *node, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "/local/domain/0/backend/pci/%u/0/%s", domid, node);
	assert_int_equal(ph_xs_write(e->xs, path, val), 0);
}

static void frontend_follows_a_scripted_backend(void **state)
{
	struct guest g = { 0 };
	unsigned domid;
	struct ph_env *e = ph_env_start(NULL);

	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", NULL, 0, NULL, &domid), 0);
	be_write(e, domid, "root_num", "0");
	guest_start(&g, e, domid, script_states);
	assert_int_equal(ph_wait_fe_state(e->xs, domid, XenbusStateInitialised, PH_TIMEOUT_MS), 0);
	be_write(e, domid, "state", "7"); /* a missed Connected: straight to Reconfiguring */
	assert_int_equal(ph_wait_fe_state(e->xs, domid, XenbusStateReconfiguring, PH_TIMEOUT_MS),
			 0);
	be_write(e, domid, "state", "8");
	assert_int_equal(ph_wait_fe_state(e->xs, domid, XenbusStateConnected, PH_TIMEOUT_MS), 0);
	be_write(e, domid, "state", "5");
	assert_int_equal(ph_wait_fe_state(e->xs, domid, XenbusStateClosed, PH_TIMEOUT_MS), 0);
	assert_int_equal(rep(&g), EV(PVPCI_PVFRONT_DISCONNECTED, 0, 0, 0));
	assert_int_equal(guest_end(&g), 0);
	assert_int_equal(ph_env_stop(e), 0);
}

/* ---- A connect that fails cleans up ---- */

struct failing {
	struct tc_host *h;
	unsigned domid;
	int want; /* the errno connect must fail with */
};

/* Child: the connect fails as wanted, and leaves state 1 and no nodes behind. */
static int failing_connect_main(void *arg)
{
	struct failing *c = arg;
	struct pvpci_platform *p = ph_open(c->h, c->domid);
	struct pvpci_pvfront_opts o = { .connect_timeout_ms = 400 };
	struct pvpci_pvfront *f = NULL;
	static const char *nodes[] = { "pci-op-ref", "event-channel", "magic" };
	char path[96], v[32];

	TC_CHECK(p);
	TC_CHECK_EQ(pvpci_pvfront_connect(p, c->domid, &o, &f), c->want);
	TC_CHECK(f == NULL);
	TC_CHECK_EQ(ph_fe_state(pvpci_platform_xs(p), c->domid), XenbusStateInitialising);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/device/pci/0/%s", c->domid,
			 nodes[i]);
		TC_CHECK_EQ(ph_xs_read(pvpci_platform_xs(p), path, v, sizeof(v)), -ENOENT);
	}
	pvpci_platform_close(p);
	exit(0); /* leak-checked */
}

/* The grant the frontend published while Initialised (read by the test). */
static uint32_t published_gref(struct ph_env *e, unsigned domid)
{
	char path[96], v[32];

	snprintf(path, sizeof(path), "/local/domain/%u/device/pci/0/pci-op-ref", domid);
	assert_int_equal(ph_xs_read(e->xs, path, v, sizeof(v)), 0);
	return (uint32_t)strtoul(v, NULL, 10);
}

static void failed_connect_leaves_initialising_and_no_nodes(void **state)
{
	static const int why[] = { -ETIMEDOUT, -ECONNREFUSED };

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(why); i++) {
		struct ph_env *e = ph_env_start(NULL);
		struct failing c = { 0 };
		uint32_t gref;
		void *page = NULL;
		pid_t pid;

		assert_non_null(e);
		assert_int_equal(ph_guest(e, "g1", NULL, 0, NULL, &c.domid), 0);
		be_write(e, c.domid, "root_num", "0");
		c.h = &e->h;
		c.want = why[i];
		pid = tc_spawn(failing_connect_main, &c);
		assert_int_equal(ph_wait_fe_state(e->xs, c.domid, XenbusStateInitialised,
						  PH_TIMEOUT_MS), 0);
		gref = published_gref(e, c.domid);
		if (why[i] == -ECONNREFUSED)
			be_write(e, c.domid, "state", "5"); /* the backend refuses */
		assert_int_equal(tc_join(pid, 20000), 0);
		/* the page is no longer granted */
		assert_int_not_equal(pvpci_gnt_map(e->dom0, c.domid, gref, 0, &page), 0);
		assert_int_equal(ph_env_stop(e), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(hotplug_and_unplug_reach_the_guest, ph_teardown),
		cmocka_unit_test_teardown(toolstack_attach_and_detach_with_renumbering,
					  ph_teardown),
		cmocka_unit_test_teardown(msi_and_msix_interrupts_reach_the_guest, ph_teardown),
		cmocka_unit_test_teardown(multi_msi_gives_one_pirq_per_vector, ph_teardown),
		cmocka_unit_test_teardown(aer_recovery_goes_through_the_guest_handler,
					  ph_teardown),
		cmocka_unit_test_teardown(aer_fatal_error_resets_before_slot_reset, ph_teardown),
		cmocka_unit_test_teardown(aer_guest_giving_up_is_killed, ph_teardown),
		cmocka_unit_test_teardown(aer_without_handler_destroys_the_domain, ph_teardown),
		cmocka_unit_test_teardown(aer_unanswered_times_out_to_the_defaults, ph_teardown),
		cmocka_unit_test_teardown(op_timeout_late_answer_is_not_taken_for_the_next_op,
					  ph_teardown),
		cmocka_unit_test_teardown(frontend_reconnects_after_close_and_after_dying,
					  ph_teardown),
		cmocka_unit_test_teardown(frontend_follows_a_scripted_backend, ph_teardown),
		cmocka_unit_test_teardown(failed_connect_leaves_initialising_and_no_nodes,
					  ph_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
