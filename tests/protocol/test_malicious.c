/* SPDX-License-Identifier: MIT */
/*
 * The malicious frontend suite: a raw frontend writes the shared page and its xenstore
 * nodes by hand and does what a hostile guest would (fields changed while the backend
 * works, out-of-range and misaligned accesses, unknown commands, nvec > 128, interrupt
 * modes mixed up, devices it was not given, event floods, dying mid-op, bad or missing
 * nodes). Each case checks the backend's exact answer, that a second guest is still
 * served, and (backend exit status under ASan) that nothing leaked.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define NIC ph_bdf(3, 0, 0)
#define AHCI ph_bdf(2, 0, 0)
#define MF0 ph_bdf(1, 0, 0)
#define V_NIC ph_bdf(0, 0, 0)
#define V_AHCI ph_bdf(0, 1, 0)

static const struct ph_model models[] = {
	{ "nic-msix.model", 0 }, { "msi-maskable.model", 0 }, { "multifunc.model", 0 },
};
static const struct ph_backend_cfg cfg = { models, 3, PVPCI_BACKEND_VPCI, 0, 0, 0 };

struct ctx {
	struct ph_env *e;
	unsigned evil_id, good_id;
	struct pvpci_platform *ep, *gp;
	struct ph_rawfe evil, good;
};

/* Two guests: "evil" with the NIC and the AHCI controller, "good" with MF0. connect:
 * whether evil connects (the node tests connect it by hand). */
static void setup(struct ctx *c, bool connect)
{
	struct pvpci_sbdf evil_devs[] = { NIC, AHCI }, good_devs[] = { MF0 };

	memset(c, 0, sizeof(*c));
	c->e = ph_env_start(&cfg);
	assert_non_null(c->e);
	assert_int_equal(ph_guest(c->e, "evil", evil_devs, 2, NULL, &c->evil_id), 0);
	assert_int_equal(ph_guest(c->e, "good", good_devs, 1, NULL, &c->good_id), 0);
	c->ep = ph_open(&c->e->h, c->evil_id);
	c->gp = ph_open(&c->e->h, c->good_id);
	assert_non_null(c->ep);
	assert_non_null(c->gp);
	assert_int_equal(ph_rawfe_init(&c->evil, c->ep, c->evil_id), 0);
	assert_int_equal(ph_rawfe_init(&c->good, c->gp, c->good_id), 0);
	assert_int_equal(ph_rawfe_connect(&c->good), 0);
	if (connect)
		assert_int_equal(ph_rawfe_connect(&c->evil), 0);
}

static void good_still_served(struct ctx *c)
{
	uint32_t v = 0;

	assert_int_equal(ph_raw_conf_read(&c->good, ph_bdf(0, 0, 0), 0, 4, &v), 0);
	assert_int_equal(v, 0x128b10de);
}

static void done(struct ctx *c)
{
	good_still_served(c);
	pvpci_platform_close(c->ep);
	pvpci_platform_close(c->gp);
	assert_int_equal(ph_env_stop(c->e), 0); /* no crash, no leak */
}

static struct xen_pci_op op_of(unsigned cmd, struct pvpci_sbdf d)
{
	return (struct xen_pci_op){ .cmd = cmd, .domain = d.seg, .bus = d.bus,
				    .devfn = PVPCI_DEVFN(d.dev, d.fn) };
}

/* Post an op and return its answer's err (the op keeps the answer). */
static int32_t post(struct ctx *c, struct xen_pci_op *op)
{
	assert_int_equal(ph_rawfe_op(&c->evil, op, PH_TIMEOUT_MS), 0);
	return op->err;
}

static int32_t simple(struct ctx *c, unsigned cmd, struct pvpci_sbdf d, uint32_t *value)
{
	struct xen_pci_op op = op_of(cmd, d);
	int32_t err = post(c, &op);

	if (value)
		*value = op.value;
	return err;
}

static void memory_on(struct ctx *c)
{
	assert_int_equal(ph_raw_conf_write(&c->evil, V_NIC, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY), 0);
}

static int32_t msix(struct ctx *c, uint32_t nvec)
{
	struct xen_pci_op op = op_of(XEN_PCI_OP_enable_msix, V_NIC);

	op.value = nvec;
	for (unsigned i = 0; i < SH_INFO_MAX_VEC; i++)
		op.msix_entries[i] = (struct xen_msix_entry){ 0x5a5a, (uint16_t)i };
	return post(c, &op);
}

static struct pvpci_backend_dev_info nic_info(struct ctx *c)
{
	struct pvpci_backend_dev_info d;

	assert_int_equal(ph_be_device(&c->e->be, NIC, &d), 0);
	return d;
}

/* ---- Double fetch ---- */

struct flipper {
	struct xen_pci_sharedinfo *sh;
	volatile bool stop;
	unsigned long flips; /* atomic */
};

static void *flip(void *arg)
{
	struct flipper *f = arg;
	static const uint32_t cmds[] = { 0, 4, 1, 2, 10, 3, 5 };
	static const uint32_t vals[] = { 1, 129, 0xffffffff, 64, 0, 4 };
	uint32_t x = 1;

	while (!f->stop) {
		x = x * 1103515245u + 12345u;
		__atomic_store_n(&f->sh->op.cmd, cmds[(x >> 8) % 7], __ATOMIC_RELAXED);
		__atomic_store_n(&f->sh->op.value, vals[(x >> 12) % 6], __ATOMIC_RELAXED);
		__atomic_store_n(&f->sh->op.info, vals[(x >> 16) % 6], __ATOMIC_RELAXED);
		__atomic_store_n(&f->sh->op.offset, (int32_t)((x >> 4) & 0x1fff) - 8, __ATOMIC_RELAXED);
		__atomic_store_n(&f->sh->op.size, (int32_t)((x >> 20) % 6), __ATOMIC_RELAXED);
		__atomic_store_n(&f->sh->op.devfn, (x >> 24) & 1 ? 0 : 8, __ATOMIC_RELAXED);
		__atomic_fetch_add(&f->flips, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void op_fields_changed_while_the_backend_works(void **state)
{
	struct ctx c;
	struct flipper f = { 0 };
	pthread_t t;
	struct pvpci_backend_dev_info d;

	setup(&c, true);
	memory_on(&c);
	f.sh = c.evil.sh;
	assert_int_equal(pthread_create(&t, NULL, flip, &f), 0);
	while (__atomic_load_n(&f.flips, __ATOMIC_RELAXED) < 1000) /* racing for real */
		tc_sleep_ms(1);
	for (int i = 0; i < 3000; i++) {
		__atomic_fetch_or(&c.evil.sh->flags, XEN_PCIF_active, __ATOMIC_SEQ_CST);
		(void)pvpci_evtchn_notify(c.ep, c.evil.port);
		for (int w = 0; w < 100000 &&
				(__atomic_load_n(&c.evil.sh->flags, __ATOMIC_ACQUIRE) & XEN_PCIF_active);
		     w++)
			;
	}
	f.stop = true;
	pthread_join(t, NULL);
	tc_sleep_ms(20);
	d = nic_info(&c);
	assert_true(d.msix_vectors <= SH_INFO_MAX_VEC);
	assert_true(d.msi_vectors <= 32);
	assert_true(f.flips > 0);
	done(&c);
}

/* ---- Only err, value and vectors are written ---- */

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void random_op(struct xen_pci_op *op, uint32_t *s)
{
	static const int32_t sizes[] = { 1, 2, 4, 3, 0, 8, -1 };

	memset(op, 0xa5, sizeof(*op));
	op->cmd = rnd(s) % 12;
	op->domain = rnd(s) % 8 ? 0 : rnd(s);
	op->bus = rnd(s) % 8 ? 0 : rnd(s) % 300;
	op->devfn = rnd(s) % 3 == 0 ? 8 : (rnd(s) % 4 ? 0 : rnd(s) % 300);
	op->offset = (int32_t)(rnd(s) % 4200) - 50;
	op->size = sizes[rnd(s) % 7];
	op->value = rnd(s) % 4 ? rnd(s) % 140 : rnd(s);
	op->info = rnd(s) % 40;
	if (op->cmd == XEN_PCI_OP_conf_write && op->offset >= 0x10 && op->offset < 0x40)
		op->offset = PCI_REG_COMMAND; /* keep BARs, keep the device reachable */
}

/* Compare the whole page with what was posted, allowing the answer's fields. */
static void check_page(const struct xen_pci_sharedinfo *before,
		       const struct xen_pci_sharedinfo *after)
{
	const uint8_t *b = (const uint8_t *)before, *a = (const uint8_t *)after;
	unsigned nvec = 0;

	if (after->op.err == 0 && before->op.cmd == XEN_PCI_OP_enable_msix)
		nvec = before->op.value;
	if (after->op.err == 0 && before->op.cmd == XEN_PCI_OP_enable_multi_msi)
		nvec = before->op.info;
	assert_true(nvec <= SH_INFO_MAX_VEC);
	for (size_t i = 0; i < PVPCI_PAGE_SIZE; i++) {
		size_t o = i - offsetof(struct xen_pci_sharedinfo, op);
		bool answer = i < sizeof(*before) && i >= 4 &&
			      (o - offsetof(struct xen_pci_op, err) < 4 ||
			       o - offsetof(struct xen_pci_op, value) < 4 ||
			       (o >= offsetof(struct xen_pci_op, msix_entries) &&
				(o - offsetof(struct xen_pci_op, msix_entries)) / 4 < nvec &&
				(o - offsetof(struct xen_pci_op, msix_entries)) % 4 < 2));

		if (!answer && a[i] != b[i]) {
			fprintf(stderr, "byte %zu changed (cmd %u): %02x -> %02x\n", i,
				before->op.cmd, b[i], a[i]);
			fail();
		}
	}
}

static void answer_touches_only_err_value_and_vectors(void **state)
{
	struct xen_pci_sharedinfo *before = malloc(PVPCI_PAGE_SIZE);
	uint8_t *page;
	uint32_t s = 12345;
	struct ctx c;

	setup(&c, true);
	page = (uint8_t *)c.evil.sh;
	assert_non_null(before);
	memset(page + sizeof(struct xen_pci_sharedinfo), 0x3c,
	       PVPCI_PAGE_SIZE - sizeof(struct xen_pci_sharedinfo));
	memset(&c.evil.sh->aer_op, 0x77, sizeof(c.evil.sh->aer_op));
	for (int i = 0; i < 600; i++) {
		struct xen_pci_op op;

		random_op(&op, &s);
		memcpy(&c.evil.sh->op, &op, sizeof(op));
		memcpy(before, page, PVPCI_PAGE_SIZE);
		assert_int_equal(ph_rawfe_op(&c.evil, &op, PH_TIMEOUT_MS), 0);
		assert_int_equal(c.evil.sh->flags, 0);
		check_page(before, c.evil.sh);
	}
	free(before);
	done(&c);
}

/* ---- Exact answers ---- */

static void offset_or_size_out_of_range_or_misaligned(void **state)
{
	static const struct { int32_t off, size; } bad[] = {
		{ 0, 3 }, { 0, 0 }, { 0, 8 }, { 0, -1 }, { -4, 4 }, { 4096, 1 }, { 4094, 4 },
		{ 2, 4 }, { 1, 2 }, { INT32_MAX, 1 }, { INT32_MIN, 4 }, { 256, 4 },
	};
	struct ctx c;
	uint32_t v;

	setup(&c, true);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(bad); i++) {
		/* msi-maskable has a 256-byte config space: 256 is out of it */
		struct pvpci_sbdf d = bad[i].off == 256 ? V_AHCI : V_NIC;

		assert_int_equal(ph_raw_conf_read(&c.evil, d, bad[i].off, bad[i].size, &v),
				 XEN_PCI_ERR_invalid_offset);
		assert_int_equal(v, 0);
		assert_int_equal(ph_raw_conf_write(&c.evil, d, bad[i].off, bad[i].size, ~0u),
				 XEN_PCI_ERR_invalid_offset);
	}
	assert_int_equal(ph_raw_conf_read(&c.evil, V_NIC, 0, 4, &v), 0);
	assert_int_equal(v, 0x10fb8086);
	done(&c);
}

static void unknown_commands_are_not_implemented(void **state)
{
	static const uint32_t cmds[] = { XEN_PCI_OP_aer_detected, XEN_PCI_OP_aer_resume,
					 XEN_PCI_OP_aer_mmio, XEN_PCI_OP_aer_slotreset, 11, 12,
					 0x80000000u, 0xffffffffu };
	struct ctx c;

	setup(&c, true);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(cmds); i++)
		assert_int_equal(simple(&c, cmds[i], V_NIC, NULL), XEN_PCI_ERR_not_implemented);
	done(&c);
}

static void msix_nvec_over_128_refused_before_anything(void **state)
{
	static const uint32_t nvec[] = { 129, 1000, 0x80000000u, 0xffffffffu };
	struct ctx c;

	setup(&c, true);
	memory_on(&c);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(nvec); i++) {
		assert_int_equal(msix(&c, nvec[i]), -EINVAL);
		assert_int_equal(c.evil.sh->op.value, nvec[i]);
		for (unsigned k = 0; k < SH_INFO_MAX_VEC; k++)
			assert_int_equal(c.evil.sh->op.msix_entries[k].vector, 0x5a5a);
		assert_int_equal(nic_info(&c).msix_vectors, 0);
		assert_int_equal(nic_info(&c).intr, PVPCI_INTR_INTX);
	}
	assert_int_equal(msix(&c, 65), -EINVAL); /* entry 64 is outside the 64-entry table */
	assert_int_equal(msix(&c, 64), 0);
	assert_int_equal(nic_info(&c).msix_vectors, 64);
	done(&c);
}

static void msix_nvec_over_128_on_a_2048_entry_table(void **state)
{
	char big[64];
	struct ph_model m[] = { { big, 0 }, { "multifunc.model", 0 } };
	struct ph_backend_cfg cfg2 = { m, 2, PVPCI_BACKEND_VPCI, 0, 0, 0 };
	struct pvpci_sbdf devs[] = { ph_bdf(6, 0, 0) };
	struct pvpci_backend_dev_info d;
	struct pvpci_platform *gp;
	struct ph_rawfe r;
	unsigned domid;
	struct ph_env *e;

	assert_int_equal(ph_big_msix_model(big, sizeof(big)), 0);
	e = ph_env_start(&cfg2);
	assert_non_null(e);
	assert_int_equal(ph_guest(e, "g1", devs, 1, NULL, &domid), 0);
	gp = ph_open(&e->h, domid);
	assert_non_null(gp);
	assert_int_equal(ph_rawfe_init(&r, gp, domid), 0);
	assert_int_equal(ph_rawfe_connect(&r), 0);
	assert_int_equal(ph_raw_conf_write(&r, V_NIC, PCI_REG_COMMAND, 2, PCI_CMD_MEMORY), 0);
	/* 128 distinct entries inside the table: only the count can refuse 129 */
	for (uint32_t nvec = 129; nvec <= 2048; nvec *= 2) {
		struct xen_pci_op op = op_of(XEN_PCI_OP_enable_msix, V_NIC);

		op.value = nvec;
		for (unsigned i = 0; i < SH_INFO_MAX_VEC; i++)
			op.msix_entries[i] = (struct xen_msix_entry){ 0xffff, (uint16_t)(i * 3) };
		assert_int_equal(ph_rawfe_op(&r, &op, PH_TIMEOUT_MS), 0);
		assert_int_equal(op.err, -EINVAL);
		assert_int_equal(ph_be_device(&e->be, ph_bdf(6, 0, 0), &d), 0);
		assert_int_equal(d.msix_vectors, 0);
	}
	{
		struct xen_pci_op op = op_of(XEN_PCI_OP_enable_msix, V_NIC);

		op.value = SH_INFO_MAX_VEC; /* the bound itself is fine */
		for (unsigned i = 0; i < SH_INFO_MAX_VEC; i++)
			op.msix_entries[i] = (struct xen_msix_entry){ 0xffff, (uint16_t)(2047 - i) };
		assert_int_equal(ph_rawfe_op(&r, &op, PH_TIMEOUT_MS), 0);
		assert_int_equal(op.err, 0);
		assert_int_equal(ph_be_device(&e->be, ph_bdf(6, 0, 0), &d), 0);
		assert_int_equal(d.msix_vectors, SH_INFO_MAX_VEC);
	}
	pvpci_platform_close(gp);
	unlink(big);
	assert_int_equal(ph_env_stop(e), 0);
}

static void msi_then_msix_refused(void **state)
{
	struct ctx c;
	uint32_t v;

	setup(&c, true);
	memory_on(&c);
	assert_int_equal(simple(&c, XEN_PCI_OP_enable_msi, V_NIC, &v), 0);
	assert_true(v > 0);
	assert_int_equal(msix(&c, 2), -ENXIO);
	assert_int_equal(nic_info(&c).intr, PVPCI_INTR_MSI);
	assert_int_equal(nic_info(&c).msix_vectors, 0);
	done(&c);
}

static void msix_then_msi_refused(void **state)
{
	struct ctx c;
	uint32_t v = 1;

	setup(&c, true);
	memory_on(&c);
	assert_int_equal(msix(&c, 2), 0);
	assert_int_equal(simple(&c, XEN_PCI_OP_enable_msi, V_NIC, &v), XEN_PCI_ERR_op_failed);
	assert_int_equal(v, 0);
	assert_int_equal(nic_info(&c).intr, PVPCI_INTR_MSIX);
	assert_int_equal(nic_info(&c).msi_vectors, 0);
	done(&c);
}

static void enable_twice_refused(void **state)
{
	struct ctx c;
	uint32_t v, first;

	setup(&c, true);
	memory_on(&c);
	assert_int_equal(simple(&c, XEN_PCI_OP_enable_msi, V_NIC, &first), 0);
	assert_int_equal(simple(&c, XEN_PCI_OP_enable_msi, V_NIC, &v), XEN_PCI_ERR_op_failed);
	assert_int_equal(v, 0);
	assert_int_equal(nic_info(&c).msi_vectors, 1);
	assert_int_equal(simple(&c, XEN_PCI_OP_disable_msi, V_NIC, NULL), 0);
	assert_int_equal(msix(&c, 4), 0);
	assert_int_equal(msix(&c, 4), -EALREADY);
	assert_int_equal(nic_info(&c).msix_vectors, 4);
	done(&c);
}

static void disable_without_enable_is_harmless(void **state)
{
	struct ctx c;
	uint32_t v = 0xdead;

	setup(&c, true);
	assert_int_equal(simple(&c, XEN_PCI_OP_disable_msi, V_NIC, &v), 0);
	assert_int_equal(v, nic_info(&c).intx_pirq); /* the legacy PIRQ */
	assert_true(v > 0);
	assert_int_equal(simple(&c, XEN_PCI_OP_disable_msix, V_NIC, &v), 0);
	assert_int_equal(v, nic_info(&c).intx_pirq);
	assert_int_equal(simple(&c, XEN_PCI_OP_disable_msi, V_AHCI, &v), 0);
	assert_int_equal(nic_info(&c).intr, PVPCI_INTR_INTX);
	done(&c);
}

static void msix_needs_memory_decoding(void **state)
{
	struct ctx c;

	setup(&c, true);
	assert_int_equal(msix(&c, 1), -ENXIO);
	memory_on(&c);
	assert_int_equal(msix(&c, 1), 0);
	done(&c);
}

static void devices_not_exported_are_not_found(void **state)
{
	static const struct { uint32_t seg, bus, devfn; } addr[] = {
		{ 0, 0, PVPCI_DEVFN(2, 0) }, { 0, 0, PVPCI_DEVFN(31, 7) }, { 0, 1, 0 }, { 1, 0, 0 },
		{ 0, 3, 0 } /* the NIC's host address */, { 0, 0, 256 }, { 0, 256, 0 },
		{ 0x10000, 0, 0 }, { 0xffffffffu, 0xffffffffu, 0xffffffffu },
	};
	struct ctx c;

	setup(&c, true);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(addr); i++) {
		struct xen_pci_op op = { .cmd = XEN_PCI_OP_conf_read, .domain = addr[i].seg,
					 .bus = addr[i].bus, .devfn = addr[i].devfn, .size = 4 };

		assert_int_equal(post(&c, &op), XEN_PCI_ERR_dev_not_found);
		op = (struct xen_pci_op){ .cmd = XEN_PCI_OP_enable_msi, .domain = addr[i].seg,
					  .bus = addr[i].bus, .devfn = addr[i].devfn };
		assert_int_equal(post(&c, &op), XEN_PCI_ERR_dev_not_found);
	}
	done(&c);
}

/* ---- Floods, deaths ---- */

struct flooder {
	struct ctx *c;
	volatile bool stop;
};

static void *flood(void *arg)
{
	struct flooder *f = arg;

	/* events with nothing to do, and ops posted again as soon as they are answered (the
	 * thread owns the evil handle meanwhile) */
	while (!f->stop) {
		for (int i = 0; i < 64; i++)
			(void)pvpci_evtchn_notify(f->c->ep, f->c->evil.port);
		__atomic_fetch_or(&f->c->evil.sh->flags, XEN_PCIF_active, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Ops the backend has served for the flooding guest so far. */
static uint64_t evil_ops(struct ctx *c, struct pvpci_backend_guest_info gi[2])
{
	int n = ph_be_guests(&c->e->be, gi, 2);

	for (int i = 0; i < n; i++)
		if (gi[i].domid == c->evil_id)
			return gi[i].ops;
	return 0;
}

static void event_flood_does_not_starve_other_guests(void **state)
{
	struct pvpci_backend_guest_info gi[2];
	struct flooder f;
	struct ctx c;
	pthread_t t;
	uint64_t start;

	setup(&c, true);
	c.evil.sh->op = op_of(XEN_PCI_OP_conf_read, V_NIC);
	c.evil.sh->op.size = 4;
	f = (struct flooder){ &c, false };
	assert_int_equal(pthread_create(&t, NULL, flood, &f), 0);
	/* the flood is on before the good guest starts (a loaded machine may not run the
	 * flooder thread for a while) */
	for (int i = 0; i < 5000 && evil_ops(&c, gi) == 0; i++)
		tc_sleep_ms(1);
	assert_true(evil_ops(&c, gi) > 0);
	start = pvpci_now_ns();
	for (int i = 0; i < 2000; i++)
		good_still_served(&c);
	f.stop = true;
	pthread_join(t, NULL);
	assert_true(pvpci_now_ns() - start < 10ull * 1000000000u);
	assert_int_equal(ph_be_guests(&c.e->be, gi, 2), 2);
	for (int i = 0; i < 2; i++)
		assert_true(gi[i].domid == c.evil_id ? gi[i].ops > 0 : gi[i].ops >= 2000);
	done(&c);
}

static int die_mid_op(void *arg)
{
	struct ctx *c = arg;
	struct pvpci_platform *p = ph_open(&c->e->h, c->evil_id);
	struct ph_rawfe r;

	TC_CHECK(p);
	TC_CHECK_EQ(ph_rawfe_init(&r, p, c->evil_id), 0);
	TC_CHECK_EQ(ph_rawfe_connect(&r), 0);
	r.sh->op = op_of(XEN_PCI_OP_enable_msi, V_NIC);
	for (int i = 0; i < 100; i++) {
		__atomic_fetch_or(&r.sh->flags, XEN_PCIF_active, __ATOMIC_SEQ_CST);
		(void)pvpci_evtchn_notify(p, r.port);
	}
	_exit(0); /* no close: the process just goes */
}

static void guest_that_dies_mid_op(void **state)
{
	struct ctx c;

	setup(&c, false);
	assert_int_equal(tc_join(tc_spawn(die_mid_op, &c), PH_TIMEOUT_MS), 0);
	good_still_served(&c);
	assert_int_equal(pvpci_domain_destroy(c.e->dom0, c.evil_id), 0);
	for (int i = 0; i < 5000 && nic_info(&c).assigned; i++)
		tc_sleep_ms(2);
	assert_false(nic_info(&c).assigned);
	assert_int_equal(nic_info(&c).msi_vectors, 0);
	done(&c);
}

/* ---- Bad or missing nodes ---- */

static void closes_with_error(struct ctx *c, const char *what)
{
	char path[128], v[256];

	assert_int_equal(ph_wait_be_state(c->e->xs, c->evil_id, XenbusStateClosing, PH_TIMEOUT_MS),
			 0);
	snprintf(path, sizeof(path), "/local/domain/0/error/backend/pci/%u/0/error", c->evil_id);
	assert_int_equal(ph_xs_read(c->e->xs, path, v, sizeof(v)), 0);
	if (!strstr(v, what)) {
		fprintf(stderr, "error node \"%s\" lacks \"%s\"\n", v, what);
		fail();
	}
}

/* The three nodes with one replaced (val NULL: left out), then Initialised. */
static void publish_with(struct ctx *c, const char *node, const char *val)
{
	char ref[16], port[16];
	const char *nodes[3] = { "pci-op-ref", "event-channel", "magic" };
	const char *vals[3] = { ref, port, XEN_PCI_MAGIC };

	snprintf(ref, sizeof(ref), "%u", c->evil.gref);
	snprintf(port, sizeof(port), "%u", c->evil.port);
	for (int i = 0; i < 3; i++) {
		const char *v = strcmp(nodes[i], node) == 0 ? val : vals[i];

		if (v)
			assert_int_equal(ph_rawfe_node(&c->evil, nodes[i], v), 0);
	}
	assert_int_equal(ph_rawfe_node(&c->evil, "state", "3"), 0);
}

static void magic_wrong_closes_and_a_fixed_frontend_connects(void **state)
{
	struct ctx c;
	uint32_t v = 0;

	setup(&c, false);
	assert_int_equal(ph_rawfe_node(&c.evil, "magic", "8"), 0);
	assert_int_equal(ph_rawfe_node(&c.evil, "pci-op-ref", "8"), 0);
	assert_int_equal(ph_rawfe_node(&c.evil, "event-channel", "1"), 0);
	assert_int_equal(ph_rawfe_node(&c.evil, "state", "3"), 0);
	closes_with_error(&c, "version mismatch");
	good_still_served(&c);
	/* the frontend starts over with good nodes */
	assert_int_equal(ph_rawfe_node(&c.evil, "state", "1"), 0);
	assert_int_equal(ph_wait_be_state(c.e->xs, c.evil_id, XenbusStateInitialised,
					  PH_TIMEOUT_MS), 0);
	assert_int_equal(ph_rawfe_connect(&c.evil), 0);
	assert_int_equal(ph_raw_conf_read(&c.evil, V_NIC, 0, 2, &v), 0);
	assert_int_equal(v, 0x8086);
	done(&c);
}

/* A guest cycling 1 / 3 with a bad magic: every cycle fails, the log stays bounded. */
static void failing_reconnects_do_not_flood_the_log(void **state)
{
	struct ctx c;
	unsigned before = 0, after = 0;

	setup(&c, false);
	assert_int_equal(ph_rawfe_node(&c.evil, "magic", "8"), 0);
	assert_int_equal(ph_rawfe_node(&c.evil, "pci-op-ref", "8"), 0);
	assert_int_equal(ph_rawfe_node(&c.evil, "event-channel", "1"), 0);
	assert_int_equal(ph_rawfe_node(&c.evil, "state", "3"), 0);
	closes_with_error(&c, "version mismatch");
	assert_int_equal(ph_be_log_lines(&c.e->be, &before), 0);
	for (int i = 0; i < 30; i++) {
		assert_int_equal(ph_rawfe_node(&c.evil, "state", "1"), 0);
		assert_int_equal(ph_wait_be_state(c.e->xs, c.evil_id, XenbusStateInitialised,
						  PH_TIMEOUT_MS), 0);
		assert_int_equal(ph_rawfe_node(&c.evil, "state", "3"), 0);
		assert_int_equal(ph_wait_be_state(c.e->xs, c.evil_id, XenbusStateClosing,
						  PH_TIMEOUT_MS), 0);
	}
	assert_int_equal(ph_be_log_lines(&c.e->be, &after), 0);
	if (after - before > 15) {
		fprintf(stderr, "%u lines for 30 failed connections\n", after - before);
		fail();
	}
	done(&c);
}

static void pci_op_ref_not_a_number(void **state)
{
	static const char *bad[] = { "abc", "12x", "-8", "99999999999", "0x10" };

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(bad); i++) {
		struct ctx c;

		setup(&c, false);
		publish_with(&c, "pci-op-ref", bad[i]);
		closes_with_error(&c, "reading configuration");
		done(&c);
	}
}

static void gref_not_granted(void **state)
{
	struct ctx c;

	setup(&c, false);
	publish_with(&c, "pci-op-ref", "4000");
	closes_with_error(&c, "mapping");
	done(&c);
}

static void event_channel_bad_or_not_offered(void **state)
{
	static const char *bad[] = { "0", "port", "4096", "77" };

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(bad); i++) {
		struct ctx c;

		setup(&c, false);
		publish_with(&c, "event-channel", bad[i]);
		closes_with_error(&c, i < 3 ? "reading configuration" : "binding event channel");
		done(&c);
	}
}

static void missing_or_huge_nodes(void **state)
{
	static const char *nodes[] = { "magic", "pci-op-ref", "event-channel" };
	char huge[2000];

	memset(huge, '7', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(nodes); i++) {
		struct ctx c;

		setup(&c, false);
		publish_with(&c, nodes[i], NULL);
		closes_with_error(&c, i ? "reading configuration" : "version mismatch");
		done(&c);
		setup(&c, false);
		publish_with(&c, nodes[i], huge);
		closes_with_error(&c, i ? "reading configuration" : "version mismatch");
		done(&c);
	}
}

static void frontend_state_garbage_is_ignored(void **state)
{
	static const char *bad[] = { "banana", "99", "", "-1", "4294967296" };
	struct ctx c;

	setup(&c, false);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(bad); i++)
		assert_int_equal(ph_rawfe_node(&c.evil, "state", bad[i]), 0);
	tc_sleep_ms(30);
	assert_int_equal(ph_be_state(c.e->xs, c.evil_id), XenbusStateInitialised);
	assert_true(nic_info(&c).assigned);
	assert_int_equal(ph_rawfe_connect(&c.evil), 0);
	done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(op_fields_changed_while_the_backend_works, ph_teardown),
		cmocka_unit_test_teardown(answer_touches_only_err_value_and_vectors, ph_teardown),
		cmocka_unit_test_teardown(offset_or_size_out_of_range_or_misaligned, ph_teardown),
		cmocka_unit_test_teardown(unknown_commands_are_not_implemented, ph_teardown),
		cmocka_unit_test_teardown(msix_nvec_over_128_refused_before_anything, ph_teardown),
		cmocka_unit_test_teardown(msix_nvec_over_128_on_a_2048_entry_table, ph_teardown),
		cmocka_unit_test_teardown(msi_then_msix_refused, ph_teardown),
		cmocka_unit_test_teardown(msix_then_msi_refused, ph_teardown),
		cmocka_unit_test_teardown(enable_twice_refused, ph_teardown),
		cmocka_unit_test_teardown(disable_without_enable_is_harmless, ph_teardown),
		cmocka_unit_test_teardown(msix_needs_memory_decoding, ph_teardown),
		cmocka_unit_test_teardown(devices_not_exported_are_not_found, ph_teardown),
		cmocka_unit_test_teardown(event_flood_does_not_starve_other_guests, ph_teardown),
		cmocka_unit_test_teardown(guest_that_dies_mid_op, ph_teardown),
		cmocka_unit_test_teardown(magic_wrong_closes_and_a_fixed_frontend_connects,
					  ph_teardown),
		cmocka_unit_test_teardown(failing_reconnects_do_not_flood_the_log, ph_teardown),
		cmocka_unit_test_teardown(pci_op_ref_not_a_number, ph_teardown),
		cmocka_unit_test_teardown(gref_not_granted, ph_teardown),
		cmocka_unit_test_teardown(event_channel_bad_or_not_offered, ph_teardown),
		cmocka_unit_test_teardown(missing_or_huge_nodes, ph_teardown),
		cmocka_unit_test_teardown(frontend_state_garbage_is_ignored, ph_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
