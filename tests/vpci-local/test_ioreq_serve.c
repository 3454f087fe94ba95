/* SPDX-License-Identifier: MIT */
/*
 * The vPCI ioreq server's state machine against a hostile guest
 * (pvpci_vpci_ioreq_serve on a slot of a plain page, no platform): only READY slots are
 * served and nothing else is written; a served request goes INPROCESS while it is handled
 * and IORESP_READY after; bad state, bad size, data_is_ptr, count != 1, unknown types,
 * registers outside config space and MMIO outside what vPCI claims are answered all-ones
 * (reads) or dropped (writes) and never reach the device; read data is cut to the size;
 * a write never writes data back; the slot is read once (a guest rewriting it while the
 * request is handled changes nothing), also under a thread flipping its bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pvpci/vpci.h"

#define GSLOT 3 /* the device's guest slot: 00:03.0 */

struct fix {
	struct pvpci_log log;
	struct pvpci_source *src;
	struct pvpci_vpci_host *host;
	struct pvpci_vpci_domain *dom;
	struct pvpci_ioreq page[PVPCI_IOREQ_MAX_VCPUS];
	/* called from the map op, while a request is being handled */
	void (*in_map)(struct fix *f);
	uint8_t state_in_map;
	unsigned maps;
};
static struct fix F;

static int hook_map(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
	F.maps++;
	F.state_in_map = __atomic_load_n(&F.page[0].flags, __ATOMIC_ACQUIRE) &
			 PVPCI_IOREQ_STATE_MASK;
	if (F.in_map)
		F.in_map(&F);
	return pvpci_vpci_host_ops()->map(opaque, gfn, mfn, nr);
}

static struct pvpci_vpci_ops ops;

static int setup(void **state)
{
	struct pvpci_vpci_domain_opts o = { .domid = 7, .single_thread = true };
	struct pvpci_vpci_assign_opts ao = { .vslot = GSLOT };
	struct pvpci_parse_err perr = { 0 };
	char path[512];

	memset(&F, 0, sizeof(F));
	pvpci_log_init(&F.log, NULL, NULL);
	F.log.max_level = PVPCI_LOG_ERR;
	snprintf(path, sizeof(path), "%s/nic-msix.model", getenv("PVPCI_TEST_DATA"));
	assert_int_equal(pvpci_model_open(path, 0, &F.log, &F.src, &perr), 0);
	assert_int_equal(pvpci_vpci_host_create(16, &F.host), 0);
	ops = *pvpci_vpci_host_ops();
	ops.map = hook_map;
	o.ops = &ops;
	o.opaque = F.host;
	o.log = &F.log;
	assert_int_equal(pvpci_vpci_domain_create(&o, &F.dom), 0);
	assert_int_equal(pvpci_vpci_assign(F.dom, F.src, &ao, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	pvpci_vpci_domain_destroy(F.dom);
	pvpci_vpci_host_destroy(F.host);
	pvpci_source_close(F.src);
	return 0;
}

static uint64_t cfg_addr(unsigned dev, unsigned reg)
{
	return (uint64_t)dev << 35 | reg;
}

/* The guest side: fill slot 0 and set its state (flags as given). */
static void put(uint8_t type, uint64_t addr, uint32_t size, bool read, uint64_t data,
		uint32_t count, uint8_t extra_flags, uint8_t state)
{
	struct pvpci_ioreq *r = &F.page[0];

	r->addr = addr;
	r->data = data;
	r->count = count;
	r->size = size;
	r->vp_eport = 5;
	r->type = type;
	__atomic_store_n(&r->flags,
			 (uint8_t)((read ? PVPCI_IOREQ_DIR_READ : 0) | extra_flags | state),
			 __ATOMIC_RELEASE);
}

static int serve(int *rc)
{
	return pvpci_vpci_ioreq_serve(F.dom, F.page, NULL, rc);
}

static uint8_t state_of(void)
{
	return F.page[0].flags & PVPCI_IOREQ_STATE_MASK;
}

static uint32_t guest_cfg(unsigned reg, unsigned size)
{
	uint32_t v = 0;

	assert_int_equal(pvpci_vpci_cfg_read(F.dom, (struct pvpci_sbdf){ 0, 0, GSLOT, 0 }, reg,
					     size, &v), 0);
	return v;
}

static void test_only_ready_is_served(void **state)
{
	const uint8_t states[] = { PVPCI_IOREQ_STATE_NONE, PVPCI_IOREQ_STATE_INPROCESS,
				   PVPCI_IORESP_STATE_READY, 0x4, 0xf };

	for (size_t i = 0; i < sizeof(states); i++) {
		struct pvpci_ioreq before;

		put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 4, true, 0x1234, 1, 0,
		    states[i]);
		before = F.page[0];
		assert_int_equal(serve(NULL), 0);
		assert_memory_equal(&before, &F.page[0], sizeof(before));
	}
}

static void test_config_read_goes_inprocess_then_resp(void **state)
{
	int rc = -1;

	put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 4, true, 0, 1, 0,
	    PVPCI_IOREQ_STATE_READY);
	assert_int_equal(serve(&rc), 1);
	assert_int_equal(rc, 0);
	assert_int_equal(state_of(), PVPCI_IORESP_STATE_READY);
	assert_int_equal(F.page[0].data, 0x10fb8086);
	assert_true(F.page[0].flags & PVPCI_IOREQ_DIR_READ);

	/* a memory-decoding write maps the BARs: the map op sees the slot INPROCESS */
	put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, PCI_REG_COMMAND), 2, false,
	    PCI_CMD_MEMORY, 1, 0, PVPCI_IOREQ_STATE_READY);
	assert_int_equal(serve(&rc), 1);
	assert_int_equal(rc, 0);
	assert_true(F.maps > 0);
	assert_int_equal(F.state_in_map, PVPCI_IOREQ_STATE_INPROCESS);
	assert_int_equal(state_of(), PVPCI_IORESP_STATE_READY);
	assert_int_equal(guest_cfg(PCI_REG_COMMAND, 2) & PCI_CMD_MEMORY, PCI_CMD_MEMORY);
}

static void test_read_data_cut_to_size(void **state)
{
	put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 1), 1, true, ~0ull, 1, 0,
	    PVPCI_IOREQ_STATE_READY);
	assert_int_equal(serve(NULL), 1);
	assert_int_equal(F.page[0].data, 0x80); /* vendor 0x8086, high byte */
}

static void test_write_does_not_write_data_back(void **state)
{
	put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, PCI_REG_INTR_LINE), 1, false,
	    0xabcdef0123456789ull, 1, 0, PVPCI_IOREQ_STATE_READY);
	assert_int_equal(serve(NULL), 1);
	assert_int_equal(state_of(), PVPCI_IORESP_STATE_READY);
	assert_int_equal(F.page[0].data, 0xabcdef0123456789ull);
}

/* A bad read: served, answered all-ones of its size (8 bytes when the size is bad). */
static void bad_read(uint8_t type, uint64_t addr, uint32_t size, uint32_t count,
		     uint8_t extra, int want_rc, uint64_t want_data)
{
	int rc = 0;

	put(type, addr, size, true, 0x55, count, extra, PVPCI_IOREQ_STATE_READY);
	assert_int_equal(serve(&rc), 1);
	assert_int_equal(rc, want_rc);
	assert_int_equal(state_of(), PVPCI_IORESP_STATE_READY);
	assert_int_equal(F.page[0].data, want_data);
}

static void test_bad_size_reads_all_ones(void **state)
{
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 3, 1, 0, -EINVAL, ~0ull >> 40);
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 0, 1, 0, -EINVAL, 0);
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 16, 1, 0, -EINVAL, ~0ull);
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 0xffffffffu, 1, 0, -EINVAL,
		 ~0ull);
	/* 8-byte config accesses do not exist */
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 8, 1, 0, -EINVAL, ~0ull);
}

static void test_data_is_ptr_and_count_refused(void **state)
{
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 4, 1, PVPCI_IOREQ_DATA_IS_PTR,
		 -EOPNOTSUPP, 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 4, 0, 0, -EOPNOTSUPP,
		 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0), 4, 2, 0, -EOPNOTSUPP,
		 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_COPY, PVPCI_VPCI_ECAM_BASE, 4, 0xffffffffu, 0, -EOPNOTSUPP,
		 0xffffffffu);
	/* a rep write with a guest pointer never reaches the device */
	put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, PCI_REG_COMMAND), 2, false,
	    PCI_CMD_MEMORY, 4, PVPCI_IOREQ_DATA_IS_PTR, PVPCI_IOREQ_STATE_READY);
	assert_int_equal(serve(NULL), 1);
	assert_int_equal(guest_cfg(PCI_REG_COMMAND, 2) & PCI_CMD_MEMORY, 0);
	assert_int_equal(F.maps, 0);
}

static void test_unknown_type_refused(void **state)
{
	const uint8_t types[] = { PVPCI_IOREQ_TYPE_PIO, 3, 4, 8, 0xff };

	for (size_t i = 0; i < sizeof(types); i++)
		bad_read(types[i], cfg_addr(GSLOT, 0), 4, 1, 0, -EOPNOTSUPP, 0xffffffffu);
}

static void test_addresses_outside_refused(void **state)
{
	/* config register beyond 4 KiB (the upper half still names the device) */
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0x1000), 4, 1, 0, -EINVAL,
		 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, 0xfffffffcu), 4, 1, 0, -EINVAL,
		 0xffffffffu);
	/* a device address with nothing there: all-ones, served without error */
	bad_read(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT + 1, 0), 4, 1, 0, 0, 0xffffffffu);
	/* MMIO below, after and far from the ECAM window, and unaligned in it */
	bad_read(PVPCI_IOREQ_TYPE_COPY, PVPCI_VPCI_ECAM_BASE - 4, 4, 1, 0, -ENXIO, 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_COPY, PVPCI_VPCI_ECAM_BASE + PVPCI_VPCI_ECAM_SIZE, 4, 1, 0,
		 -ENXIO, 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_COPY, ~0ull - 3, 4, 1, 0, -ENXIO, 0xffffffffu);
	bad_read(PVPCI_IOREQ_TYPE_COPY, PVPCI_VPCI_ECAM_BASE + ((uint64_t)GSLOT << 15) + 1, 4,
		 1, 0, -EINVAL, 0xffffffffu);
	/* the same window, inside and aligned, works */
	bad_read(PVPCI_IOREQ_TYPE_COPY, PVPCI_VPCI_ECAM_BASE + ((uint64_t)GSLOT << 15), 4, 1, 0,
		 0, 0x10fb8086);
}

/* The guest rewrites the whole slot while its request is being handled: into a write of
 * COMMAND that would turn memory decoding off (0x7788 has MEMORY clear) if it were
 * served, through the ECAM window. */
static void rewrite_slot(struct fix *f)
{
	f->page[0].addr = PVPCI_VPCI_ECAM_BASE + ((uint64_t)GSLOT << 15) + PCI_REG_COMMAND;
	f->page[0].data = 0x1122334455667788ull;
	f->page[0].size = 2;
	f->page[0].count = 1;
	f->page[0].type = PVPCI_IOREQ_TYPE_COPY;
	__atomic_store_n(&f->page[0].flags, (uint8_t)PVPCI_IOREQ_STATE_READY, __ATOMIC_RELEASE);
}

static void test_slot_read_once(void **state)
{
	struct pvpci_ioreq seen;
	int rc = -1;

	F.in_map = rewrite_slot;
	put(PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(GSLOT, PCI_REG_COMMAND), 2, false,
	    PCI_CMD_MEMORY, 1, 0, PVPCI_IOREQ_STATE_READY);
	assert_int_equal(pvpci_vpci_ioreq_serve(F.dom, F.page, &seen, &rc), 1);
	F.in_map = NULL;
	assert_true(F.maps > 0);
	/* what was served is what was there when it was copied */
	assert_int_equal(rc, 0);
	assert_int_equal(seen.addr, cfg_addr(GSLOT, PCI_REG_COMMAND));
	assert_int_equal(seen.size, 2);
	assert_int_equal(seen.type, PVPCI_IOREQ_TYPE_PCI_CONFIG);
	assert_false(seen.flags & PVPCI_IOREQ_DIR_READ);
	/* the answer is the write's: no data written over the guest's new value */
	assert_int_equal(state_of(), PVPCI_IORESP_STATE_READY);
	assert_int_equal(F.page[0].data, 0x1122334455667788ull);
	/* the rewritten request is not served, now or later: decoding stays on */
	assert_int_equal(serve(NULL), 0);
	assert_int_equal(guest_cfg(PCI_REG_COMMAND, 2) & PCI_CMD_MEMORY, PCI_CMD_MEMORY);
}

struct flipper {
	volatile bool stop;
	unsigned seed;
};

static void *flip(void *arg)
{
	struct flipper *fl = arg;
	volatile uint8_t *b = (volatile uint8_t *)&F.page[0];

	while (!fl->stop) {
		unsigned r = rand_r(&fl->seed);

		__atomic_store_n(&b[r % sizeof(struct pvpci_ioreq)], (uint8_t)(r >> 8),
				 __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_slot_flipped_concurrently(void **state)
{
	struct flipper fl = { .seed = 12345 };
	pthread_t th;
	unsigned served = 0;

	assert_int_equal(pthread_create(&th, NULL, flip, &fl), 0);
	for (int i = 0; i < 20000; i++) {
		int rc = 1, n;

		put(i % 2 ? PVPCI_IOREQ_TYPE_COPY : PVPCI_IOREQ_TYPE_PCI_CONFIG,
		    i % 2 ? PVPCI_VPCI_ECAM_BASE + ((uint64_t)GSLOT << 15) : cfg_addr(GSLOT, 0),
		    4, true, 0, 1, 0, PVPCI_IOREQ_STATE_READY);
		n = serve(&rc);
		assert_true(n == 0 || n == 1);
		if (n == 1) {
			served++;
			assert_true(rc == 0 || rc == -EINVAL || rc == -EOPNOTSUPP ||
				    rc == -ENXIO);
		}
	}
	fl.stop = true;
	pthread_join(th, NULL);
	assert_true(served > 0);
	/* the device's view survived whatever was served */
	assert_int_equal(guest_cfg(0, 4), 0x10fb8086);
	assert_false(pvpci_vpci_crashed(F.dom));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_only_ready_is_served, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_read_goes_inprocess_then_resp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_data_cut_to_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_does_not_write_data_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_size_reads_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_is_ptr_and_count_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses_outside_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_flipped_concurrently, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
