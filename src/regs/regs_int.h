/* SPDX-License-Identifier: MIT */
/*
 * regs private: the layout shared by the table code (regs_table.c: create, add, remove)
 * and the access code (regs_access.c: the hot read / write path). Handlers live in a slot
 * array; a per-byte index (one uint16_t per config byte, 0 = no handler, else slot + 1)
 * finds the handler of any byte in one load. Because registers are naturally aligned
 * powers of two, an aligned access either lies inside one register or contains whole
 * registers, which keeps the access path short.
 */
#ifndef PVPCI_REGS_INT_H
#define PVPCI_REGS_INT_H

#include <stdint.h>

#include "pvpci/regs.h"

/* Callbacks are never NULL here: a NULL read or write of a handler or of the gap ops is
 * replaced by one of the stubs below when it is installed, so the access path has no
 * NULL checks. */
struct regs_slot {
	pvpci_reg_read_fn read;
	void *data;
	pvpci_reg_write_fn write;
	uint32_t key;        /* offset | size << 16: the access that is exactly this register */
	uint32_t read_mask;  /* width & ~(rsvdp | rsvdz): what a read shows */
	uint32_t keep_mask;  /* ro | rsvdp: bits a write keeps from the current value */
	uint32_t rw1c_mask;
	uint32_t write_mask; /* width & ~rsvdz: bits a write may pass on */
	uint16_t offset;
	uint8_t size;       /* 0: free slot */
	uint8_t merge;      /* a full-width write must read first (ro | rw1c | rsvdp) */
};

struct pvpci_regs {
	struct regs_slot *slots;
	void *ctx;
	struct pvpci_regs_gap_ops gap;
	uint32_t lim[8];    /* by access size: off must be below it (0: invalid size) */
	unsigned cfg_size;
	unsigned count;     /* handlers in use */
	unsigned nslots;    /* slots ever used (free ones have size 0) */
	unsigned cap;       /* slots allocated */
	uint16_t idx[];     /* cfg_size entries */
};

#define REGS_KEY(off, size) ((uint32_t)(off) | (uint32_t)(size) << 16)

int regs_read_ones(void *ctx, unsigned reg_off, uint32_t *val, void *data);
int regs_write_ignore(void *ctx, unsigned reg_off, uint32_t val, void *data);
int regs_gap_read_ones(void *ctx, unsigned off, unsigned size, uint32_t *val);
int regs_gap_write_drop(void *ctx, unsigned off, unsigned size, uint32_t val);

/* Value mask of an n-byte quantity, n in 0..4. */
static const uint32_t regs_width_mask[5] = { 0, 0xff, 0xffff, 0xffffff, 0xffffffff };

#endif
