/* SPDX-License-Identifier: MIT */
/*
 * vpci concurrency test, built with ThreadSanitizer: worker threads hammer two devices of
 * one guest with config reads and writes through ECAM (COMMAND toggling decoding, BAR
 * sizing and moves, MSI enable / disable), MSI-X table and mapped-frame MMIO, and device
 * listing, while another thread deassigns and re-assigns one device and resets the other
 * over and over. TSan fails the run on any data race; the test then checks that nothing
 * is left mapped or bound once the domain is gone.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#define WORKERS 3
#define ROUNDS 300

struct shared {
	struct pvpci_vpci_domain *dom;
	struct pvpci_source *src[2];
	atomic_bool stop;
	atomic_ulong accesses;
};

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int count(void *arg, struct pvpci_sbdf g, struct pvpci_source *src)
{
	(*(unsigned *)arg)++;
	return 0;
}

static void one_access(struct shared *sh, uint64_t r)
{
	uint64_t dev = (r >> 8) & 1, base = dev << 15, v;
	unsigned n = 0;

	switch (r % 10) {
	case 0: (void)pvpci_vpci_ecam_read(sh->dom, base + ((r >> 16) & 0x7c), 4, &v); break;
	case 1: (void)pvpci_vpci_ecam_write(sh->dom, base + 4, 2, (r >> 20) & 1 ? 6 : 4); break;
	case 2: (void)pvpci_vpci_ecam_write(sh->dom, base + 0x10, 4,
					    (r >> 20) & 1 ? 0x20000000 + (dev << 24) : ~0u);
		break;
	case 3: (void)pvpci_vpci_ecam_write(sh->dom, base + 0x52, 2, (r >> 20) & 1); break;
	case 4: (void)pvpci_vpci_ecam_write(sh->dom, base + 0x72, 2, (r >> 20) & 1 ? 0x8000 : 0);
		break;
	case 5: (void)pvpci_vpci_mmio_write(sh->dom, 0x20002000 + (dev << 24) + ((r >> 12) & 0xf8),
					    4, r >> 32);
		break;
	case 6: (void)pvpci_vpci_mmio_read(sh->dom, 0x20002000 + (dev << 24) + ((r >> 12) & 0xf8),
					   8, &v);
		break;
	case 7: (void)pvpci_vpci_mmio_read(sh->dom, 0x20000000 + (dev << 24) + ((r >> 12) & 0xff8),
					   8, &v);
		break;
	case 8: (void)pvpci_vpci_for_each_dev(sh->dom, count, &n); break;
	default: (void)pvpci_vpci_ecam_read(sh->dom, base + ((r >> 16) & 0xfff), 1, &v); break;
	}
	atomic_fetch_add(&sh->accesses, 1);
}

static void *worker(void *arg)
{
	struct shared *sh = arg;
	uint64_t s = (uint64_t)(uintptr_t)&s | 1;

	while (!atomic_load(&sh->stop))
		one_access(sh, next(&s));
	return NULL;
}

static void test_deassign_and_reset_under_concurrent_access(void **state)
{
	struct pvpci_vpci_domain_opts o = { 0 };
	struct pvpci_vpci_assign_opts ao = { .vslot = 0 };
	struct shared sh = { 0 };
	pthread_t th[WORKERS];
	struct fx f;
	struct fx_dev d;
	struct pvpci_sbdf g0 = fx_sbdf(0, 0), g1 = fx_sbdf(1, 0);

	memset(&f, 0, sizeof(f));
	pvpci_log_init(&f.log, NULL, NULL);
	f.log.max_level = PVPCI_LOG_ERR;
	assert_int_equal(pvpci_vpci_host_create(1, &f.host), 0);
	o.domid = 7;
	o.ops = pvpci_vpci_host_ops();
	o.opaque = f.host;
	o.log = &f.log;
	assert_int_equal(pvpci_vpci_domain_create(&o, &sh.dom), 0);
	fx_syn(&d, "03:00.0");
	sh.src[0] = fx_open(&f, &d);
	fx_syn(&d, "04:00.0");
	sh.src[1] = fx_open(&f, &d);
	assert_int_equal(pvpci_vpci_assign(sh.dom, sh.src[0], &ao, NULL), 0);
	ao.vslot = 1;
	assert_int_equal(pvpci_vpci_assign(sh.dom, sh.src[1], &ao, NULL), 0);

	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, &sh), 0);
	for (int r = 0; r < ROUNDS; r++) {
		ao.vslot = 0;
		assert_int_equal(pvpci_vpci_deassign(sh.dom, g0), 0);
		assert_int_equal(pvpci_vpci_assign(sh.dom, sh.src[0], &ao, NULL), 0);
		assert_int_equal(pvpci_vpci_reset(sh.dom, g1, PVPCI_RESET_FUNCTION) == -ENODEV,
				 false);
		usleep(300); /* let the workers run between changes */
	}
	atomic_store(&sh.stop, true);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	print_message("%lu guest accesses during %d deassign / assign / reset rounds\n",
		      atomic_load(&sh.accesses), ROUNDS);
	assert_true(atomic_load(&sh.accesses) > 1000);
	assert_false(pvpci_vpci_crashed(sh.dom));
	pvpci_vpci_domain_destroy(sh.dom);
	assert_int_equal(pvpci_vpci_host_maps(f.host, NULL, 0), 0);
	assert_int_equal(pvpci_vpci_host_bindings(f.host, NULL, 0), 0);
	pvpci_vpci_host_destroy(f.host);
	for (unsigned i = 0; i < f.nsrc; i++)
		pvpci_source_close(f.src[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deassign_and_reset_under_concurrent_access),
	};

	return cmocka_run_group_tests_name("vpci-tsan", tests, NULL, NULL);
}
