/* SPDX-License-Identifier: MIT */
/*
 * regs access: the guest read / write path. An access is checked (size 1, 2 or 4, aligned,
 * inside the config space), then served in one of four ways: exactly one register (one
 * handler call, the common case, kept short), wholly unhandled (one gap call), a part of
 * one register, or split in offset order over the whole registers it contains and the gaps
 * between them, each gap cut into the largest naturally aligned pieces. Reads hide RsvdP /
 * RsvdZ bits; writes merge with the register's current value as the RO / RW1C / RsvdP /
 * RsvdZ masks say. No allocation, no recursion, no list walk.
 */
#include <errno.h>
#include <string.h>

#include "regs_int.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define NOINLINE __attribute__((noinline))

/* size in {1, 2, 4}, off aligned to it, the access inside the config space: lim[] is
 * cfg_size - size + 1 for the valid sizes and 0 for the others. */
static inline bool access_ok(const struct pvpci_regs *r, unsigned off, unsigned size)
{
	return (size < 8) & (off < r->lim[size & 7]) & !(off & (size - 1));
}

/* True if no handler covers any byte of the aligned access (the index entries are read as
 * one word: 2, 4 or 8 bytes). */
static inline bool all_gap(const struct pvpci_regs *r, unsigned off, unsigned size)
{
	const uint16_t *p = r->idx + off;
	uint64_t q;
	uint32_t d;

	if (size == 4) {
		memcpy(&q, p, sizeof(q));
		return q == 0;
	}
	if (size == 2) {
		memcpy(&d, p, sizeof(d));
		return d == 0;
	}
	return *p == 0;
}

static inline const struct regs_slot *slot_at(const struct pvpci_regs *r, unsigned i)
{
	return &r->slots[i - 1];
}

/* Largest naturally aligned piece (4, 2 or 1 bytes) starting at pos and ending by end. */
static inline unsigned gap_piece(unsigned pos, unsigned end)
{
	if (!(pos & 3) && pos + 4 <= end)
		return 4;
	if (!(pos & 1) && pos + 2 <= end)
		return 2;
	return 1;
}

static inline int gap_read(const struct pvpci_regs *r, unsigned off, unsigned size,
			   uint32_t *val)
{
	int rc;

	rc = r->gap.read(r->ctx, off, size, val);
	*val &= regs_width_mask[size];
	return rc;
}

static inline int gap_write(const struct pvpci_regs *r, unsigned off, unsigned size,
			    uint32_t val)
{
	return r->gap.write(r->ctx, off, size, val & regs_width_mask[size]);
}

/* The register's value as a read shows it: RsvdP / RsvdZ bits 0. */
static inline int slot_read(const struct pvpci_regs *r, const struct regs_slot *s,
			    uint32_t *val)
{
	int rc;

	rc = s->read(r->ctx, s->offset, val, s->data);
	*val &= s->read_mask;
	return rc;
}

/* Write `size` bytes of val at `off`, all inside register s: the handler gets the whole
 * register, merged with its current value (raw, all-ones without a read callback) where
 * the write is narrow or masks preserve bits. RW1C bits of the current value are dropped
 * first, so the handler sees 1 only where the guest wrote 1. */
static NOINLINE int slot_write(const struct pvpci_regs *r, const struct regs_slot *s,
			       unsigned off, unsigned size, uint32_t val)
{
	unsigned sh = (off - s->offset) * 8;
	uint32_t data = (val & regs_width_mask[size]) << sh;
	uint32_t cur = ~0u, keep;
	int rc;

	if (s->write == regs_write_ignore)
		return 0;
	if (s->merge || size != s->size) {
		rc = s->read(r->ctx, s->offset, &cur, s->data);
		if (rc)
			return rc;
		cur &= ~s->rw1c_mask;
		keep = ~(regs_width_mask[size] << sh) | s->keep_mask;
		data = (cur & keep) | (data & ~keep);
	}
	return s->write(r->ctx, s->offset, data & s->write_mask, s->data);
}

/* A full-width write to a register with preserving masks: for full width, RO / RsvdP bits
 * come from the current value and RW1C bits (disjoint from them) from the guest. */
static NOINLINE int slot_write_full_merge(const struct pvpci_regs *r,
					  const struct regs_slot *s, uint32_t val)
{
	uint32_t cur = ~0u;
	int rc;

	rc = s->read(r->ctx, s->offset, &cur, s->data);
	if (rc)
		return rc;
	val = (cur & s->keep_mask) | (val & ~s->keep_mask);
	return s->write(r->ctx, s->offset, val & s->write_mask, s->data);
}

/* The access contains whole registers and gaps: serve them in offset order. */
static NOINLINE int read_split(const struct pvpci_regs *r, unsigned off, unsigned size,
			       uint32_t *val)
{
	unsigned pos = off, end = off + size, gend, n;
	uint32_t out = 0, v = ~0u;
	int rc;

	while (pos < end) {
		if (r->idx[pos]) {
			const struct regs_slot *s = slot_at(r, r->idx[pos]);

			rc = slot_read(r, s, &v);
			if (rc)
				return rc;
			out |= (v & regs_width_mask[s->size]) << ((pos - off) * 8);
			pos += s->size;
			continue;
		}
		for (gend = pos + 1; gend < end && !r->idx[gend]; gend++)
			;
		for (; pos < gend; pos += n) {
			n = gap_piece(pos, gend);
			rc = gap_read(r, pos, n, &v);
			if (rc)
				return rc;
			out |= v << ((pos - off) * 8);
		}
	}
	*val = out;
	return 0;
}

static NOINLINE int write_split(const struct pvpci_regs *r, unsigned off, unsigned size,
				uint32_t val)
{
	unsigned pos = off, end = off + size, gend, n;
	int rc;

	while (pos < end) {
		if (r->idx[pos]) {
			const struct regs_slot *s = slot_at(r, r->idx[pos]);

			rc = slot_write(r, s, pos, s->size, val >> ((pos - off) * 8));
			if (rc)
				return rc;
			pos += s->size;
			continue;
		}
		for (gend = pos + 1; gend < end && !r->idx[gend]; gend++)
			;
		for (; pos < gend; pos += n) {
			n = gap_piece(pos, gend);
			rc = gap_write(r, pos, n, val >> ((pos - off) * 8));
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Everything but the exact-register and whole-gap cases. */
static NOINLINE int read_other(const struct pvpci_regs *r, unsigned off, unsigned size,
			       uint32_t *val)
{
	const struct regs_slot *s;
	unsigned i = r->idx[off];
	int rc;

	if (i) {
		s = slot_at(r, i);
		if (off + size <= (unsigned)s->offset + s->size) { /* part of one register */
			rc = slot_read(r, s, val);
			*val = (*val >> ((off - s->offset) * 8)) & regs_width_mask[size];
			return rc;
		}
	} else if (all_gap(r, off, size)) {
		return gap_read(r, off, size, val);
	}
	return read_split(r, off, size, val);
}

int pvpci_regs_read(struct pvpci_regs *r, unsigned off, unsigned size, uint32_t *val)
{
	const struct regs_slot *s;
	unsigned i;
	int rc;

	if (unlikely(!access_ok(r, off, size))) {
		*val = ~0u;
		return -EINVAL;
	}
	i = r->idx[off];
	if (likely(i)) {
		s = slot_at(r, i);
		if (likely(s->key == REGS_KEY(off, size))) {
			rc = s->read(r->ctx, off, val, s->data);
			*val = rc ? ~0u : *val & s->read_mask;
			return rc;
		}
	} else if (likely(all_gap(r, off, size))) {
		rc = r->gap.read(r->ctx, off, size, val);
		*val = rc ? ~0u : *val & regs_width_mask[size];
		return rc;
	}
	rc = read_other(r, off, size, val);
	if (unlikely(rc))
		*val = ~0u;
	return rc;
}

int pvpci_regs_write(struct pvpci_regs *r, unsigned off, unsigned size, uint32_t val)
{
	const struct regs_slot *s;
	unsigned i;

	if (unlikely(!access_ok(r, off, size)))
		return -EINVAL;
	i = r->idx[off];
	if (likely(i)) {
		s = slot_at(r, i);
		if (likely(s->key == REGS_KEY(off, size))) {
			if (s->merge)
				return slot_write_full_merge(r, s, val);
			return s->write(r->ctx, off, val & s->write_mask, s->data);
		}
		if (off + size > (unsigned)s->offset + s->size)
			return write_split(r, off, size, val);
		return slot_write(r, s, off, size, val);
	}
	if (likely(all_gap(r, off, size)))
		return gap_write(r, off, size, val);
	return write_split(r, off, size, val);
}
