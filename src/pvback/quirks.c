/* SPDX-License-Identifier: MIT */
/*
 * Quirks: pass-through registers an administrator opens for one device (pciback's
 * "quirks" file). Reads go to the device; unlike pciback the mask is enforced: only the
 * mask's bits take the guest's value, the rest keep the device's, and the device write is
 * the narrowest aligned access covering the mask. Quirks are the device's until detach.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvdev_priv.h"

static int perr(struct pvpci_parse_err *err, size_t pos, const char *msg)
{
	if (err) {
		err->pos = pos;
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	}
	return -EINVAL;
}

/* Hex number (0x optional) at s[*i], up to the next ':' or the end. */
static int parse_hex(const char *s, size_t *i, uint64_t *out, struct pvpci_parse_err *err,
		     const char *what)
{
	size_t start = *i, digits = 0;
	uint64_t v = 0;
	char msg[64];

	if (s[*i] == '0' && (s[*i + 1] == 'x' || s[*i + 1] == 'X'))
		*i += 2;
	for (; s[*i] && s[*i] != ':'; (*i)++, digits++) {
		char c = s[*i];
		unsigned dv;

		if (c >= '0' && c <= '9')
			dv = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			dv = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			dv = (unsigned)(c - 'A' + 10);
		else
			return perr(err, *i, "expected a hex digit");
		if (v >> 32)
			return perr(err, start, "number too large");
		v = v * 16 + dv;
	}
	if (!digits) {
		snprintf(msg, sizeof(msg), "missing %s", what);
		return perr(err, start, msg);
	}
	*out = v;
	return 0;
}

int pvpci_quirk_parse(const char *s, struct pvpci_quirk *out, struct pvpci_parse_err *err)
{
	uint64_t off, size, mask;
	size_t i = 0;
	int rc;

	if (!s || !out)
		return perr(err, 0, "no quirk");
	rc = parse_hex(s, &i, &off, err, "offset");
	if (rc)
		return rc;
	if (s[i] != ':')
		return perr(err, i, "expected ':' after the offset");
	i++;
	rc = parse_hex(s, &i, &size, err, "size");
	if (rc)
		return rc;
	if (s[i] != ':')
		return perr(err, i, "expected ':' after the size");
	i++;
	rc = parse_hex(s, &i, &mask, err, "mask");
	if (rc)
		return rc;
	if (s[i])
		return perr(err, i, "trailing characters");
	if (off > 0xfff)
		return perr(err, 0, "offset beyond 0xfff");
	if (size != 1 && size != 2 && size != 4)
		return perr(err, 0, "size must be 1, 2 or 4");
	if (off % size)
		return perr(err, 0, "offset not aligned to the size");
	if (size < 4 && mask >> (8 * size))
		return perr(err, 0, "mask wider than the size");
	*out = (struct pvpci_quirk){ .off = (unsigned)off, .size = (unsigned)size,
				     .mask = (uint32_t)mask };
	return 0;
}

static int quirk_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct pvpci_quirk *q = data;

	return pv_hw_read(ctx, off, q->size, val);
}

/* Narrowest aligned access (1, 2 or 4 bytes) inside the quirk covering the mask. */
static void quirk_span(const struct pvpci_quirk *q, unsigned *first, unsigned *len)
{
	unsigned lo = 0, hi = 0;

	for (unsigned b = 0; b < q->size; b++) {
		if (!((q->mask >> (8 * b)) & 0xff))
			continue;
		if (!hi)
			lo = b;
		hi = b + 1;
	}
	if (hi - lo <= 1)
		*len = 1;
	else if (lo / 2 == (hi - 1) / 2)
		*len = 2;
	else
		*len = 4;
	*first = lo & ~(*len - 1);
}

static int quirk_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct pvpci_pvdev *d = ctx;
	const struct pvpci_quirk *q = data;
	unsigned first, len;
	uint32_t m, v, hw;
	int rc;

	if (!q->mask) {
		pv_drop(d, off, q->size, val, "quirk with an empty mask");
		return 0;
	}
	quirk_span(q, &first, &len);
	m = q->mask >> (8 * first);
	v = val >> (8 * first);
	if (len < 4) {
		m &= (1u << (8 * len)) - 1;
		v &= (1u << (8 * len)) - 1;
	}
	rc = pv_hw_read(d, off + first, len, &hw);
	if (rc)
		return rc;
	rc = pv_hw_write(d, off + first, len, (hw & ~m) | (v & m));
	return rc ? rc : pv_reconcile(d);
}

static void quirks_remove(struct pvpci_pvdev *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pvpci_regs_remove(d->regs, d->quirks[i].off, d->quirks[i].size))
			pvpci_logf(&d->log, PVPCI_LOG_ERR, "cannot remove quirk 0x%x",
				   d->quirks[i].off);
}

int pv_quirks_add(struct pvpci_pvdev *d, const struct pvpci_quirk *q, size_t n)
{
	pv_quirks_drop(d);
	if (!n)
		return 0;
	if (!q || n > PCIE_CFG_SIZE)
		return -EINVAL;
	d->quirks = calloc(n, sizeof(*q));
	if (!d->quirks)
		return -ENOMEM;
	memcpy(d->quirks, q, n * sizeof(*q));
	for (size_t i = 0; i < n; i++) {
		const struct pvpci_quirk *k = &d->quirks[i];
		struct pv_field f = { 0, (uint8_t)k->size, quirk_read, quirk_write, 0, 0, 0 };
		int rc = -EINVAL;

		if ((k->size == 1 || k->size == 2 || k->size == 4) && k->off % k->size == 0 &&
		    (k->size == 4 || !(k->mask >> (8 * k->size))))
			rc = pv_add_fields(d, k->off, &f, 1, (void *)k);
		if (rc) {
			pvpci_logf(&d->log, PVPCI_LOG_ERR, "quirk 0x%x:%u:0x%x: %s", k->off,
				   k->size, k->mask,
				   rc == -EEXIST ? "overlaps a register the policy handles"
						 : pvpci_errname(rc));
			quirks_remove(d, i);
			free(d->quirks);
			d->quirks = NULL;
			return rc;
		}
	}
	d->nquirks = n;
	return 0;
}

void pv_quirks_drop(struct pvpci_pvdev *d)
{
	quirks_remove(d, d->nquirks);
	free(d->quirks);
	d->quirks = NULL;
	d->nquirks = 0;
}
