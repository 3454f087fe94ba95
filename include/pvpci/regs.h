/* SPDX-License-Identifier: MIT */
/*
 * pvpci regs: the register engine. A device's config space is described by handlers, each
 * a register of 1, 2 or 4 bytes at an aligned offset with read / write callbacks and
 * RO / RW1C / RsvdP / RsvdZ masks. The engine owns everything else: splitting an access of
 * any width over handlers and the gaps between them, read-modify-write for partial writes,
 * mask semantics, and the gap policy of the personality (PV: gaps read the source and gap
 * writes go to a callback that may deny them; guest vPCI: gaps read all-ones, writes are
 * dropped). Lookup is O(1): a per-byte index, not a list walk.
 */
#ifndef PVPCI_REGS_H
#define PVPCI_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "pvpci/base.h"

struct pvpci_regs;

/* A handler sees the whole register: reg_off is its offset, val / *val its full width.
 * Handlers return 0 or a negative errno (-EACCES: access denied, -EIO: failed). */
typedef int (*pvpci_reg_read_fn)(void *ctx, unsigned reg_off, uint32_t *val, void *data);
typedef int (*pvpci_reg_write_fn)(void *ctx, unsigned reg_off, uint32_t val, void *data);

struct pvpci_reg_desc {
	unsigned offset;
	unsigned size;         /* 1, 2 or 4; offset aligned to it */
	pvpci_reg_read_fn read;   /* NULL: reads all-ones */
	pvpci_reg_write_fn write; /* NULL: writes ignored */
	void *data;
	uint32_t ro_mask;      /* read normal; write ignored, value kept */
	uint32_t rw1c_mask;    /* read normal; writing 1 clears (handler gets 1 = clear) */
	uint32_t rsvdp_mask;   /* read 0; write ignored, current value kept */
	uint32_t rsvdz_mask;   /* read 0; written as 0 */
};

/* How the parts of an access that no handler covers are served. Each call has size 1, 2
 * or 4, aligned. NULL read: all-ones; NULL write: dropped. */
struct pvpci_regs_gap_ops {
	int (*read)(void *ctx, unsigned off, unsigned size, uint32_t *val);
	int (*write)(void *ctx, unsigned off, unsigned size, uint32_t val);
};

/* cfg_size is 256 or 4096; ctx is passed to handlers and gap ops. */
int pvpci_regs_create(unsigned cfg_size, const struct pvpci_regs_gap_ops *gap, void *ctx,
		      struct pvpci_regs **out) PVPCI_WUR;
void pvpci_regs_destroy(struct pvpci_regs *r);

/* Adds a handler. -EINVAL: bad size / alignment / offset, no callback, masks overlapping
 * each other or wider than the register; -EEXIST: overlaps an existing handler. */
int pvpci_regs_add(struct pvpci_regs *r, const struct pvpci_reg_desc *d) PVPCI_WUR;
/* Removes the handlers fully inside [start, start+size); -ERANGE if one straddles it
 * (nothing removed then). */
int pvpci_regs_remove(struct pvpci_regs *r, unsigned start, unsigned size) PVPCI_WUR;
/* Removes every handler. */
void pvpci_regs_clear(struct pvpci_regs *r);
/* True if a handler covers this byte. */
bool pvpci_regs_is_handled(const struct pvpci_regs *r, unsigned off);
unsigned pvpci_regs_count(const struct pvpci_regs *r);

/* A guest access: size 1, 2 or 4, off aligned to size, off + size <= cfg_size, else
 * -EINVAL without any handler or gap call. A handler or gap error fails the whole access
 * (a failed read gives *val = ~0 for the caller to use or discard). Writes are applied
 * handler by handler in offset order. */
int pvpci_regs_read(struct pvpci_regs *r, unsigned off, unsigned size, uint32_t *val);
int pvpci_regs_write(struct pvpci_regs *r, unsigned off, unsigned size, uint32_t val);

#endif
