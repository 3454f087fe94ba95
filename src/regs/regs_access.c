/* SPDX-License-Identifier: MIT */
/*
 * regs access: the guest read / write path. An access is checked (size 1, 2 or 4, aligned,
 * inside the config space), then served in one of three ways: wholly inside one register
 * (one handler call, the common case), wholly unhandled (one gap call), or split in offset
 * order over the whole registers it contains and the gaps between them, each gap cut into
 * the largest naturally aligned pieces. Reads hide RsvdP / RsvdZ bits; writes merge with
 * the register's current value as the RO / RW1C / RsvdP / RsvdZ masks say. No allocation,
 * no recursion, no list walk.
 */
#include <errno.h>
#include <string.h>

#include "regs_int.h"

static inline bool access_ok(const struct pvpci_regs *r, unsigned off, unsigned size)
{
	if (size != 4 && size != 2 && size != 1)
		return false;
	return !(off & (size - 1)) && off < r->cfg_size && size <= r->cfg_size - off;
}

/* True if no handler covers any byte of the aligned access (the index entries are read as
 * one word: 2, 4 or 8 bytes, aligned because off is aligned to size). */
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
	uint32_t v = ~0u;
	int rc;

	if (r->gap.read) {
		rc = r->gap.read(r->ctx, off, size, &v);
		if (rc)
			return rc;
	}
	*val = v & regs_width_mask[size];
	return 0;
}

static inline int gap_write(const struct pvpci_regs *r, unsigned off, unsigned size,
			    uint32_t val)
{
	if (!r->gap.write)
		return 0;
	return r->gap.write(r->ctx, off, size, val & regs_width_mask[size]);
}

/* The register's raw value (before the read masks); all-ones without a read callback. */
static inline int slot_raw(const struct pvpci_regs *r, const struct regs_slot *s,
			   uint32_t *val)
{
	*val = ~0u;
	if (!s->read)
		return 0;
	return s->read(r->ctx, s->offset, val, s->data);
}

/* Read `size` bytes at `off`, all inside register s. */
static inline int slot_read(const struct pvpci_regs *r, const struct regs_slot *s,
			    unsigned off, unsigned size, uint32_t *val)
{
	uint32_t v;
	int rc;

	rc = slot_raw(r, s, &v);
	if (rc)
		return rc;
	*val = ((v & s->read_mask) >> ((off - s->offset) * 8)) & regs_width_mask[size];
	return 0;
}

/* Write `size` bytes of val at `off`, all inside register s: the handler gets the whole
 * register, merged with its current value where the write is narrow or masks preserve. */
static inline int slot_write(const struct pvpci_regs *r, const struct regs_slot *s,
			     unsigned off, unsigned size, uint32_t val)
{
	unsigned sh = (off - s->offset) * 8;
	uint32_t wmask = regs_width_mask[size] << sh;
	uint32_t data = (val & regs_width_mask[size]) << sh;
	uint32_t cur, keep;
	int rc;

	if (!s->write)
		return 0;
	if (s->merge || size != s->size) {
		rc = slot_raw(r, s, &cur);
		if (rc)
			return rc;
		cur &= ~s->rw1c_mask;
		keep = ~wmask | s->keep_mask;
		data = (cur & keep) | (data & ~keep);
	}
	data &= regs_width_mask[s->size] & ~s->rsvdz_mask;
	return s->write(r->ctx, s->offset, data, s->data);
}

/* The access contains whole registers and gaps: serve them in offset order. */
static int read_split(const struct pvpci_regs *r, unsigned off, unsigned size, uint32_t *val)
{
	unsigned pos = off, end = off + size, gend, n;
	uint32_t out = 0, v;
	int rc;

	while (pos < end) {
		if (r->idx[pos]) {
			const struct regs_slot *s = &r->slots[r->idx[pos] - 1];

			rc = slot_read(r, s, pos, s->size, &v);
			if (rc)
				return rc;
			out |= v << ((pos - off) * 8);
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

static int write_split(const struct pvpci_regs *r, unsigned off, unsigned size, uint32_t val)
{
	unsigned pos = off, end = off + size, gend, n;
	int rc;

	while (pos < end) {
		if (r->idx[pos]) {
			const struct regs_slot *s = &r->slots[r->idx[pos] - 1];

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

int pvpci_regs_read(struct pvpci_regs *r, unsigned off, unsigned size, uint32_t *val)
{
	unsigned i;
	int rc;

	*val = ~0u;
	if (__builtin_expect(!access_ok(r, off, size), 0))
		return -EINVAL;
	i = r->idx[off];
	if (i) {
		const struct regs_slot *s = &r->slots[i - 1];

		if (off + size <= (unsigned)s->offset + s->size)
			rc = slot_read(r, s, off, size, val);
		else
			rc = read_split(r, off, size, val);
	} else if (all_gap(r, off, size)) {
		rc = gap_read(r, off, size, val);
	} else {
		rc = read_split(r, off, size, val);
	}
	if (__builtin_expect(rc != 0, 0))
		*val = ~0u;
	return rc;
}

int pvpci_regs_write(struct pvpci_regs *r, unsigned off, unsigned size, uint32_t val)
{
	unsigned i;

	if (__builtin_expect(!access_ok(r, off, size), 0))
		return -EINVAL;
	i = r->idx[off];
	if (i) {
		const struct regs_slot *s = &r->slots[i - 1];

		if (off + size <= (unsigned)s->offset + s->size)
			return slot_write(r, s, off, size, val);
		return write_split(r, off, size, val);
	}
	if (all_gap(r, off, size))
		return gap_write(r, off, size, val);
	return write_split(r, off, size, val);
}
