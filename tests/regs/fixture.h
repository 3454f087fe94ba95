/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture of the regs tests (see fixture.c): the fake device, the logging test
 * handlers and short helpers to add registers and make accesses that must succeed.
 */
#ifndef PVPCI_TEST_REGS_FIXTURE_H
#define PVPCI_TEST_REGS_FIXTURE_H

#include <stdint.h>

#include "pvpci/regs.h"

/* A register's backing value and injected errors. */
struct treg {
	uint32_t val;
	int read_err;
	int write_err;
};

struct fx {
	struct pvpci_regs *r;
	uint8_t hw[4096];     /* what gap ops read and write */
	char log[1024];
	int gap_read_err;
	int gap_write_err;
};

extern const struct pvpci_regs_gap_ops gap_ops;

int h_read(void *ctx, unsigned reg_off, uint32_t *val, void *data);
int h_write(void *ctx, unsigned reg_off, uint32_t val, void *data);
struct fx *fx_new(unsigned cfg_size, const struct pvpci_regs_gap_ops *ops);
void fx_free(struct fx *f);
/* cmocka setup / teardown: a 256-byte engine with gap_ops in *state. */
int fx_setup(void **state);
int fx_teardown(void **state);
int add_m(struct fx *f, unsigned off, unsigned size, struct treg *t, uint32_t ro,
	  uint32_t rw1c, uint32_t rsvdp, uint32_t rsvdz);
int add(struct fx *f, unsigned off, unsigned size, struct treg *t);
/* An access that must succeed. */
uint32_t rd(struct fx *f, unsigned off, unsigned size);
void wr(struct fx *f, unsigned off, unsigned size, uint32_t val);

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

#endif
