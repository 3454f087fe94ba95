/* SPDX-License-Identifier: MIT */
/*
 * regs table: creating and destroying a register engine, and adding / removing handlers.
 * Validation follows the vPCI register model: size 1, 2 or 4, offset aligned and inside the
 * config space, at least one callback, the four masks pairwise disjoint and within the
 * register width, no overlap with an existing handler. Every change keeps the per-byte
 * index exact, so the access path never walks a list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regs_int.h"

int regs_read_ones(void *ctx, unsigned reg_off, uint32_t *val, void *data)
{
	*val = ~0u;
	return 0;
}

int regs_write_ignore(void *ctx, unsigned reg_off, uint32_t val, void *data)
{
	return 0;
}

int regs_gap_read_ones(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
	*val = ~0u;
	return 0;
}

int regs_gap_write_drop(void *ctx, unsigned off, unsigned size, uint32_t val)
{
	return 0;
}

int pvpci_regs_create(unsigned cfg_size, const struct pvpci_regs_gap_ops *gap, void *ctx,
		      struct pvpci_regs **out)
{
	struct pvpci_regs *r;

	*out = NULL;
	if (cfg_size != 256 && cfg_size != 4096)
		return -EINVAL;
	r = calloc(1, sizeof(*r) + cfg_size * sizeof(r->idx[0]));
	if (!r)
		return -ENOMEM;
	r->cfg_size = cfg_size;
	r->ctx = ctx;
	r->lim[1] = cfg_size;
	r->lim[2] = cfg_size - 1;
	r->lim[4] = cfg_size - 3;
	r->gap.read = gap && gap->read ? gap->read : regs_gap_read_ones;
	r->gap.write = gap && gap->write ? gap->write : regs_gap_write_drop;
	*out = r;
	return 0;
}

void pvpci_regs_destroy(struct pvpci_regs *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

static int desc_check(const struct pvpci_regs *r, const struct pvpci_reg_desc *d)
{
	uint32_t outside;

	if (d->size != 1 && d->size != 2 && d->size != 4)
		return -EINVAL;
	if (d->offset >= r->cfg_size || (d->offset & (d->size - 1)))
		return -EINVAL;
	if (!d->read && !d->write)
		return -EINVAL;
	if ((d->ro_mask & d->rw1c_mask) || (d->ro_mask & d->rsvdp_mask) ||
	    (d->ro_mask & d->rsvdz_mask) || (d->rw1c_mask & d->rsvdp_mask) ||
	    (d->rw1c_mask & d->rsvdz_mask) || (d->rsvdp_mask & d->rsvdz_mask))
		return -EINVAL;
	outside = ~regs_width_mask[d->size];
	if ((d->ro_mask | d->rw1c_mask | d->rsvdp_mask | d->rsvdz_mask) & outside)
		return -EINVAL;
	return 0;
}

/* A free slot index, growing the array when every slot is in use. */
static int slot_get(struct pvpci_regs *r, unsigned *slot)
{
	struct regs_slot *n;
	unsigned i, cap;

	if (r->count < r->nslots) {
		for (i = 0; i < r->nslots; i++)
			if (!r->slots[i].size) {
				*slot = i;
				return 0;
			}
	}
	if (r->nslots == r->cap) {
		cap = r->cap ? r->cap * 2 : 32;
		if (cap > r->cfg_size)
			cap = r->cfg_size;
		n = realloc(r->slots, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->slots = n;
		r->cap = cap;
	}
	*slot = r->nslots++;
	return 0;
}

int pvpci_regs_add(struct pvpci_regs *r, const struct pvpci_reg_desc *d)
{
	struct regs_slot *s;
	unsigned i, slot;
	int rc;

	rc = desc_check(r, d);
	if (rc)
		return rc;
	for (i = 0; i < d->size; i++)
		if (r->idx[d->offset + i])
			return -EEXIST;
	rc = slot_get(r, &slot);
	if (rc)
		return rc;
	s = &r->slots[slot];
	s->read = d->read ? d->read : regs_read_ones;
	s->write = d->write ? d->write : regs_write_ignore;
	s->data = d->data;
	s->key = REGS_KEY(d->offset, d->size);
	s->read_mask = regs_width_mask[d->size] & ~(d->rsvdp_mask | d->rsvdz_mask);
	s->keep_mask = d->ro_mask | d->rsvdp_mask;
	s->rw1c_mask = d->rw1c_mask;
	s->write_mask = regs_width_mask[d->size] & ~d->rsvdz_mask;
	s->offset = (uint16_t)d->offset;
	s->size = (uint8_t)d->size;
	/* Without a write callback nothing is merged (nor read): the write is ignored. */
	s->merge = d->write && (d->ro_mask | d->rw1c_mask | d->rsvdp_mask) != 0;
	for (i = 0; i < d->size; i++)
		r->idx[d->offset + i] = (uint16_t)(slot + 1);
	r->count++;
	return 0;
}

static void slot_drop(struct pvpci_regs *r, unsigned slot)
{
	struct regs_slot *s = &r->slots[slot];
	unsigned i;

	for (i = 0; i < s->size; i++)
		r->idx[s->offset + i] = 0;
	memset(s, 0, sizeof(*s));
	r->count--;
}

int pvpci_regs_remove(struct pvpci_regs *r, unsigned start, unsigned size)
{
	const struct regs_slot *s;
	unsigned end, off;

	if (start >= r->cfg_size || !size)
		return 0;
	end = size > r->cfg_size - start ? r->cfg_size : start + size;
	/* Registers are contiguous byte runs: only the first and last byte can straddle. */
	if (r->idx[start]) {
		s = &r->slots[r->idx[start] - 1];
		if (s->offset < start)
			return -ERANGE;
	}
	if (r->idx[end - 1]) {
		s = &r->slots[r->idx[end - 1] - 1];
		if (s->offset + s->size > end)
			return -ERANGE;
	}
	for (off = start; off < end; off++)
		if (r->idx[off])
			slot_drop(r, r->idx[off] - 1u);
	return 0;
}

void pvpci_regs_clear(struct pvpci_regs *r)
{
	memset(r->idx, 0, r->cfg_size * sizeof(*r->idx));
	r->count = 0;
	r->nslots = 0;
}

bool pvpci_regs_is_handled(const struct pvpci_regs *r, unsigned off)
{
	return off < r->cfg_size && r->idx[off] != 0;
}

unsigned pvpci_regs_count(const struct pvpci_regs *r)
{
	return r->count;
}
