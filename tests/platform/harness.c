/* SPDX-License-Identifier: MIT */
/*
 * The local platform test harness (see harness.h): domain handles and the fixture of a
 * host with two guest domains.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct pvpci_platform *th_open(const struct tc_host *h, unsigned domid, bool store)
{
	return th_open_spin(h, domid, store, 0);
}

struct pvpci_platform *th_open_spin(const struct tc_host *h, unsigned domid, bool store,
				    uint64_t spin_ns)
{
	struct pvpci_platform_config cfg = { .run_dir = h->dir, .domid = domid,
					     .no_store = !store, .spin_ns = spin_ns };
	struct pvpci_platform *p = NULL;
	int r = pvpci_platform_open("local", &cfg, &p);

	if (r < 0)
		fprintf(stderr, "open d%u on %s: %s\n", domid, h->dir, strerror(-r));
	return p;
}

int th_fx_start(void **state, const struct pvpci_host_config *cfg, bool store,
		unsigned nguests)
{
	struct th_fx *f = calloc(1, sizeof(*f));

	if (!f || tc_host_start(&f->h, cfg) < 0)
		return -1;
	f->d0 = th_open(&f->h, 0, store);
	if (!f->d0 || pvpci_domain_create(f->d0, "g1", &f->g1) < 0 ||
	    (nguests > 1 && pvpci_domain_create(f->d0, "g2", &f->g2) < 0))
		return -1;
	*state = f;
	return 0;
}

int th_fx_teardown(void **state)
{
	struct th_fx *f = *state;
	int r;

	pvpci_platform_close(f->d0);
	r = tc_host_stop(&f->h);
	free(f);
	return r == 0 ? 0 : -1;
}
