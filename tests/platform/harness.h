/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the local platform: a host daemon in a forked process on a temporary
 * run directory (stopped by closing a pipe, so it also stops if the test dies), domain
 * processes forked with a function to run (they report through their exit status: a
 * failed CHECK prints the line and exits 1), pipes with timeouts to pass numbers
 * between them, and waits that never hang (a child past its deadline is killed); the
 * processes and pipes come from tests/common (proc.h).
 */
#ifndef PVPCI_TEST_PLATFORM_HARNESS_H
#define PVPCI_TEST_PLATFORM_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "proc.h"
#include "pvpci/platform.h"

/* Open a handle as domid on h (no_store unless store is true). */
struct pvpci_platform *th_open(const struct tc_host *h, unsigned domid, bool store);
/* The same with a spin time for pvpci_evtchn_wait (0 = default). */
struct pvpci_platform *th_open_spin(const struct tc_host *h, unsigned domid, bool store,
				    uint64_t spin_ns);

/* The platform tests' cmocka fixture: a host, a dom0 handle (with a store handle if
 * store) and guest domains g1 (and g2 with nguests 2). */
struct th_fx {
	struct tc_host h;
	struct pvpci_platform *d0;
	unsigned g1, g2;
};
/* Setup: *state = a new fixture on a host with cfg (NULL: defaults). */
int th_fx_start(void **state, const struct pvpci_host_config *cfg, bool store,
		unsigned nguests);
/* Teardown: -1 unless the host stopped cleanly. */
int th_fx_teardown(void **state);

#endif
