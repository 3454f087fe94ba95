/* SPDX-License-Identifier: MIT */
/*
 * Fixture of the pvback tests: a bundled model device (tests/data, via PVPCI_TEST_DATA)
 * under the PV policy, with helpers for guest accesses, direct device accesses and the
 * device's access counters, and a log sink that keeps the lines the policy wrote.
 */
#ifndef PVPCI_TESTS_PVBACK_FIXTURE_H
#define PVPCI_TESTS_PVBACK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/pvback.h"
#include "pvpci/source.h"

struct fx {
	struct pvpci_source *src;
	struct pvpci_pvdev *d;
	struct pvpci_log log;
	char logbuf[8192];
	size_t loglen;
	unsigned loglines;
	uint8_t initial[4096]; /* the device before the policy seized it */
};

/* Opens tests/data/<model> (device index) and seizes it with opts (may be NULL). */
void fx_open_idx(struct fx *f, const char *model, size_t index,
		 const struct pvpci_pv_opts *opts);
void fx_open(struct fx *f, const char *model, const struct pvpci_pv_opts *opts);
/* Two steps: open the model (f->initial gets its config space), then seize it (returns
 * the policy's create result; counters reset). */
void fx_open_source(struct fx *f, const char *model, size_t index);
int fx_seize(struct fx *f, const struct pvpci_pv_opts *opts);
void fx_close(struct fx *f);

/* Guest accesses that must succeed. */
uint32_t gr(struct fx *f, int off, int size);
void gw(struct fx *f, int off, int size, uint32_t val);
/* The device itself (counted by the source too: take counts first). */
uint32_t hw(struct fx *f, unsigned off, unsigned size);
void hwset(struct fx *f, unsigned off, unsigned size, uint32_t val);
/* Resets, or returns, the device's access counters. */
void cnt_reset(struct fx *f);
uint64_t cnt_reads(struct fx *f);
uint64_t cnt_writes(struct fx *f);
/* Position of a standard capability in the device, or 0. */
unsigned capof(struct fx *f, unsigned id);
/* True if a kept log line contains s. */
bool logged(const struct fx *f, const char *s);
void log_clear(struct fx *f);
/* Full path of a bundled model (static buffer). */
const char *model_path(const char *model);

#endif
