/* SPDX-License-Identifier: MIT */
/*
 * BARs of a model device. Sizes come from the model's "# bar<N>" / "# rom" lines, types
 * from the dump; each BAR register gets a writable mask of its address bits above the
 * size, so a sizing write reads back the size mask with the type bits, and the upper half
 * of a 64-bit BAR is sized the same way. Behind the BARs is a sparse backing store (4 KiB
 * pages allocated on first write, bounded per device), the MSI-X table (entries start
 * masked) and the read-only PBA, and a ROM image with its 0x55aa signature.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_priv.h"

#define IO_BAR_MAX 256u
#define MEM32_BAR_MAX 0x80000000ull
#define ROM_MIN 0x800u
#define DEFAULT_MEM_SIZE 0x1000u
#define DEFAULT_IO_SIZE 0x20u
#define DEFAULT_ROM_SIZE 0x10000u

static unsigned bar_reg(const struct model *m, unsigned slot)
{
	if (slot == PCI_ROM_SLOT)
		return m->hdr_type == PCI_HEADER_TYPE_BRIDGE ? PCI_REG_ROM_BRIDGE : PCI_REG_ROM;
	return PCI_REG_BAR0 + 4 * slot;
}

static int bar_err(struct pvpci_parse_err *err, const struct model_extra *x, unsigned slot,
		   const char *name, const char *fmt, ...) PVPCI_PRINTF(5, 6);
static int bar_err(struct pvpci_parse_err *err, const struct model_extra *x, unsigned slot,
		   const char *name, const char *fmt, ...)
{
	char what[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (x->has_size[slot])
		err->pos = x->line_pos[slot];
	if (slot == PCI_ROM_SLOT)
		snprintf(err->msg, sizeof(err->msg), "%s: rom: %s", name, what);
	else
		snprintf(err->msg, sizeof(err->msg), "%s: bar%u: %s", name, slot, what);
	return -EINVAL;
}

/* Type of the BAR register at slot in the power-on bytes, and its address. */
static int bar_decode(struct model *m, unsigned slot, unsigned nbars, uint64_t *addr,
		      const struct model_extra *x, struct pvpci_parse_err *err)
{
	struct model_bar *b = &m->bar[slot];
	uint32_t lo = model_get(m->init, bar_reg(m, slot), 4);

	if (slot == PCI_ROM_SLOT) {
		b->type = PVPCI_BAR_ROM;
		*addr = lo & PCI_ROM_ADDR_MASK;
	} else if (lo & PCI_BAR_SPACE_IO) {
		b->type = PVPCI_BAR_IO;
		*addr = lo & PCI_BAR_IO_MASK;
	} else if ((lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64) {
		if (slot + 1 >= nbars)
			return bar_err(err, x, slot, m->src.name,
				       "64-bit BAR in the last slot");
		b->type = PVPCI_BAR_MEM64_LO;
		*addr = (lo & PCI_BAR_MEM_MASK) |
			((uint64_t)model_get(m->init, bar_reg(m, slot + 1), 4) << 32);
	} else if ((lo & PCI_BAR_MEM_TYPE_MASK) == 0x06) {
		return bar_err(err, x, slot, m->src.name,
			       "reserved memory type");
	} else {
		b->type = PVPCI_BAR_MEM32;
		*addr = lo & PCI_BAR_MEM_MASK;
	}
	b->prefetch = b->type != PVPCI_BAR_IO && b->type != PVPCI_BAR_ROM &&
		      (lo & PCI_BAR_MEM_PREFETCH);
	return 0;
}

static int bar_check_size(struct model *m, unsigned slot, uint64_t addr,
			  const struct model_extra *x, struct pvpci_parse_err *err)
{
	const struct model_bar *b = &m->bar[slot];
	uint64_t min = b->type == PVPCI_BAR_IO ? 4 : b->type == PVPCI_BAR_ROM ? ROM_MIN : 16;
	uint64_t max = b->type == PVPCI_BAR_IO ? IO_BAR_MAX :
		       b->type == PVPCI_BAR_MEM64_LO ? (1ull << 63) : MEM32_BAR_MAX;

	if (b->size < min || b->size > max)
		return bar_err(err, x, slot, m->src.name,
			       "size 0x%" PRIx64 " outside 0x%" PRIx64 "..0x%" PRIx64,
			       b->size, min, max);
	if (addr & (b->size - 1))
		return bar_err(err, x, slot, m->src.name,
			       "address 0x%" PRIx64 " not aligned to size 0x%" PRIx64, addr,
			       b->size);
	return 0;
}

/* Size from the model line, else inferred from the address, else unimplemented. */
static void bar_size(struct model *m, unsigned slot, uint64_t addr, const struct model_extra *x)
{
	struct model_bar *b = &m->bar[slot];
	uint64_t def = b->type == PVPCI_BAR_IO ? DEFAULT_IO_SIZE :
		       b->type == PVPCI_BAR_ROM ? DEFAULT_ROM_SIZE : DEFAULT_MEM_SIZE;

	if (x->has_size[slot]) {
		b->size = x->size[slot];
		return;
	}
	if (!addr) {
		b->size = 0;
		return;
	}
	b->size = addr & -addr; /* the largest size the address allows */
	if (b->size > def)
		b->size = def;
	pvpci_logf(&m->src.log, PVPCI_LOG_NOTICE,
		   "%s%u has no size line; assuming 0x%" PRIx64,
		   slot == PCI_ROM_SLOT ? "rom" : "bar", slot == PCI_ROM_SLOT ? 0 : slot, b->size);
}

static void bar_masks(struct model *m, unsigned slot)
{
	const struct model_bar *b = &m->bar[slot];
	uint64_t am = ~(b->size - 1);
	unsigned reg = bar_reg(m, slot);

	if (!b->size)
		return;
	switch (b->type) {
	case PVPCI_BAR_IO:
		model_set_mask(m, reg, 4, (uint32_t)am & PCI_BAR_IO_MASK, 0);
		break;
	case PVPCI_BAR_ROM:
		model_set_mask(m, reg, 4, ((uint32_t)am & PCI_ROM_ADDR_MASK) | PCI_ROM_ENABLE, 0);
		break;
	case PVPCI_BAR_MEM64_LO:
		model_set_mask(m, reg + 4, 4, (uint32_t)(am >> 32), 0);
		/* fall through */
	default:
		model_set_mask(m, reg, 4, (uint32_t)am & PCI_BAR_MEM_MASK, 0);
		break;
	}
}

static int one_bar(struct model *m, unsigned slot, unsigned nbars, const struct model_extra *x,
		   struct pvpci_parse_err *err)
{
	uint64_t addr = 0;
	int rc = bar_decode(m, slot, nbars, &addr, x, err);

	if (rc < 0)
		return rc;
	bar_size(m, slot, addr, x);
	if (m->bar[slot].size) {
		rc = bar_check_size(m, slot, addr, x, err);
		if (rc < 0)
			return rc;
	}
	bar_masks(m, slot);
	if (m->bar[slot].type == PVPCI_BAR_MEM64_LO) {
		if (x->has_size[slot + 1])
			return bar_err(err, x, slot + 1, m->src.name,
				       "upper half of the 64-bit bar%u", slot);
		m->bar[slot + 1] = m->bar[slot];
		m->bar[slot + 1].type = PVPCI_BAR_MEM64_HI;
	}
	return 0;
}

int model_bars_setup(struct model *m, const struct model_extra *x, struct pvpci_parse_err *err)
{
	unsigned nbars = m->hdr_type == PCI_HEADER_TYPE_BRIDGE ? 2 : PCI_NUM_BARS;
	int rc;

	for (unsigned i = nbars; i < PCI_NUM_BARS; i++)
		if (x->has_size[i])
			return bar_err(err, x, i, m->src.name,
				       "a bridge has bars 0 and 1 only");
	for (unsigned i = 0; i < nbars; i++) {
		rc = one_bar(m, i, nbars, x, err);
		if (rc < 0)
			return rc;
		if (m->bar[i].type == PVPCI_BAR_MEM64_LO)
			i++;
	}
	return one_bar(m, PCI_ROM_SLOT, nbars, x, err);
}

int model_bar_info(struct pvpci_source *s, unsigned idx, struct pvpci_bar_info *out)
{
	struct model *m = model_of(s);
	unsigned lo_slot = idx;
	const struct model_bar *b = &m->bar[idx];
	uint32_t lo;

	memset(out, 0, sizeof(*out));
	if (!b->size)
		return 0;
	if (b->type == PVPCI_BAR_MEM64_HI)
		lo_slot = idx - 1;
	lo = model_get(m->cfg, bar_reg(m, lo_slot), 4);
	out->type = b->type;
	out->prefetchable = b->prefetch;
	out->size = b->size;
	switch (b->type) {
	case PVPCI_BAR_IO:
		out->addr = lo & PCI_BAR_IO_MASK;
		break;
	case PVPCI_BAR_ROM:
		out->addr = lo & PCI_ROM_ADDR_MASK;
		break;
	case PVPCI_BAR_MEM64_LO:
	case PVPCI_BAR_MEM64_HI:
		out->addr = (lo & PCI_BAR_MEM_MASK) |
			    ((uint64_t)model_get(m->cfg, bar_reg(m, lo_slot + 1), 4) << 32);
		break;
	default:
		out->addr = lo & PCI_BAR_MEM_MASK;
		break;
	}
	return 0;
}

/* ---- MSI-X ---- */
static const uint8_t msix_entry_wmask[PCI_MSIX_ENTRY_SIZE] = {
	0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, PCI_MSIX_ENTRY_CTRL_MASKBIT, 0, 0, 0,
};

static void msix_flags_written(struct model *m, const struct model_wctx *w)
{
	model_msix_flush(m);
}

static int msix_check(struct model *m, unsigned bir, uint64_t off, uint64_t len,
		      const char *what, struct pvpci_parse_err *err)
{
	const struct model_bar *b = bir < PCI_NUM_BARS ? &m->bar[bir] : NULL;

	if (!b || !b->size || (b->type != PVPCI_BAR_MEM32 && b->type != PVPCI_BAR_MEM64_LO)) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: MSI-X %s in BIR %u, which is not a memory BAR", m->src.name, what,
			 bir);
		return -EINVAL;
	}
	if (off > b->size || len > b->size - off) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: MSI-X %s at 0x%" PRIx64 " (+0x%" PRIx64 ") outside bar%u of size 0x%"
			 PRIx64, m->src.name, what, off, len, bir, b->size);
		return -EINVAL;
	}
	return 0;
}

int model_msix_setup(struct model *m, unsigned pos, struct pvpci_parse_err *err)
{
	struct model_msix *x = &m->msix;
	uint32_t t = model_get(m->init, pos + PCI_MSIX_TABLE, 4);
	uint32_t p = model_get(m->init, pos + PCI_MSIX_PBA, 4);
	int rc;

	if (pos + 12 > m->src.cfg_size)
		return 0;
	x->nvec = (model_get(m->init, pos + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	x->tbir = t & PCI_MSIX_BIR_MASK;
	x->toff = t & PCI_MSIX_OFFSET_MASK;
	x->pbir = p & PCI_MSIX_BIR_MASK;
	x->poff = p & PCI_MSIX_OFFSET_MASK;
	x->pba_len = (x->nvec + 63) / 64 * 8;
	rc = msix_check(m, x->tbir, x->toff, (uint64_t)x->nvec * PCI_MSIX_ENTRY_SIZE, "table",
			err);
	if (rc == 0)
		rc = msix_check(m, x->pbir, x->poff, x->pba_len, "PBA", err);
	if (rc == 0 && x->tbir == x->pbir && x->poff < x->toff + x->nvec * 16ull &&
	    x->toff < x->poff + x->pba_len) {
		snprintf(err->msg, sizeof(err->msg), "%s: MSI-X table and PBA overlap",
			 m->src.name);
		rc = -EINVAL;
	}
	if (rc < 0)
		return rc;
	x->table = calloc(x->nvec, PCI_MSIX_ENTRY_SIZE);
	x->pba = calloc(1, x->pba_len);
	if (!x->table || !x->pba)
		return -ENOMEM;
	x->pos = pos;
	model_set_mask(m, pos + PCI_MSIX_FLAGS, 2,
		       PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
	return model_add_hook(m, pos + PCI_MSIX_FLAGS, 2, msix_flags_written);
}

void model_msix_reset(struct model *m)
{
	struct model_msix *x = &m->msix;

	if (!x->table)
		return;
	memset(x->table, 0, (size_t)x->nvec * PCI_MSIX_ENTRY_SIZE);
	for (unsigned v = 0; v < x->nvec; v++)
		x->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	memset(x->pba, 0, x->pba_len);
}

static bool msix_live(const struct model *m)
{
	uint32_t f = model_get(m->cfg, m->msix.pos + PCI_MSIX_FLAGS, 2);

	return (f & PCI_MSIX_FLAGS_ENABLE) && !(f & PCI_MSIX_FLAGS_MASKALL);
}

static bool msix_masked(const struct model *m, unsigned v)
{
	return m->msix.table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] &
	       PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

void model_msix_flush(struct model *m)
{
	struct model_msix *x = &m->msix;

	if (!x->pos || !msix_live(m))
		return;
	for (unsigned v = 0; v < x->nvec; v++) {
		if (!(x->pba[v / 8] & (1u << (v % 8))) || msix_masked(m, v))
			continue;
		x->pba[v / 8] &= (uint8_t)~(1u << (v % 8));
		pvpci_source_deliver_irq(&m->src, PVPCI_IRQ_MSIX, v);
	}
}

int model_raise_msix(struct model *m, unsigned vector)
{
	struct model_msix *x = &m->msix;
	uint32_t f;

	if (!x->pos)
		return -ENODEV;
	if (vector >= x->nvec)
		return -EINVAL;
	f = model_get(m->cfg, x->pos + PCI_MSIX_FLAGS, 2);
	if (!(f & PCI_MSIX_FLAGS_ENABLE))
		return 0;
	if ((f & PCI_MSIX_FLAGS_MASKALL) || msix_masked(m, vector)) {
		x->pba[vector / 8] |= (uint8_t)(1u << (vector % 8));
		return 0;
	}
	pvpci_source_deliver_irq(&m->src, PVPCI_IRQ_MSIX, vector);
	return 1;
}

/* ---- Backing store ---- */
void model_pages_free(struct model *m)
{
	for (size_t i = 0; i < m->npages; i++)
		free(m->pages[i].data);
	free(m->pages);
	m->pages = NULL;
	m->npages = 0;
}

static uint8_t *page_find(struct model *m, unsigned slot, uint64_t pageno, bool create)
{
	struct model_page *np;
	uint8_t *data;

	for (size_t i = 0; i < m->npages; i++)
		if (m->pages[i].slot == slot && m->pages[i].pageno == pageno)
			return m->pages[i].data;
	if (!create || m->npages >= MODEL_MAX_PAGES)
		return NULL;
	data = calloc(1, MODEL_PAGE_SIZE);
	np = realloc(m->pages, (m->npages + 1) * sizeof(*np));
	if (!data || !np) {
		free(data);
		if (np)
			m->pages = np;
		return NULL;
	}
	m->pages = np;
	m->pages[m->npages++] = (struct model_page){ slot, pageno, data };
	return data;
}

/* Where byte off of BAR slot lives: the MSI-X table, the PBA, the ROM image, or the
 * store. Returns a pointer to the byte (NULL: an unbacked byte reading 0) and the
 * writable mask of that byte. */
static uint8_t *bar_byte(struct model *m, unsigned slot, uint64_t off, bool create,
			 uint8_t *wmask, bool *table)
{
	struct model_msix *x = &m->msix;
	uint8_t *page;

	*table = false;
	*wmask = 0;
	if (x->pos && slot == x->tbir && off >= x->toff &&
	    off < x->toff + (uint64_t)x->nvec * PCI_MSIX_ENTRY_SIZE) {
		*table = true;
		*wmask = msix_entry_wmask[(off - x->toff) % PCI_MSIX_ENTRY_SIZE];
		return &x->table[off - x->toff];
	}
	if (x->pos && slot == x->pbir && off >= x->poff && off < x->poff + x->pba_len)
		return &x->pba[off - x->poff];
	if (slot == PCI_ROM_SLOT)
		return NULL;
	page = page_find(m, slot, off / MODEL_PAGE_SIZE, create);
	if (!page)
		return NULL;
	*wmask = 0xff;
	return &page[off % MODEL_PAGE_SIZE];
}

static uint8_t rom_byte(const struct model *m, uint64_t off)
{
	uint64_t units = m->bar[PCI_ROM_SLOT].size / 512;

	if (off == 0)
		return 0x55;
	if (off == 1)
		return 0xaa;
	if (off == 2)
		return units > 0xff ? 0xff : (uint8_t)units;
	return 0;
}

int model_bar_read(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
		   uint64_t *val)
{
	struct model *m = model_of(s);
	uint64_t v = 0;
	uint8_t wm, *p;
	bool table;

	for (unsigned i = 0; i < size; i++) {
		uint8_t b;

		if (idx == PCI_ROM_SLOT) {
			b = rom_byte(m, off + i);
		} else {
			p = bar_byte(m, idx, off + i, false, &wm, &table);
			b = p ? *p : 0;
		}
		v |= (uint64_t)b << (8 * i);
	}
	*val = v;
	return 0;
}

int model_bar_write(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
		    uint64_t val)
{
	struct model *m = model_of(s);
	bool table, any_table = false;
	uint8_t wm, *p;

	if (idx == PCI_ROM_SLOT)
		return -EPERM;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));

		p = bar_byte(m, idx, off + i, true, &wm, &table);
		if (!p) {
			if (m->npages < MODEL_MAX_PAGES)
				return -ENOMEM;
			pvpci_logf_rl(&s->log, &m->rl, PVPCI_LOG_WARNING,
				      "bar%u: backing store full, write at 0x%" PRIx64 " dropped",
				      idx, off + i);
			return -ENOSPC;
		}
		*p = (uint8_t)((*p & ~wm) | (b & wm));
		any_table |= table;
	}
	if (any_table)
		model_msix_flush(m);
	return 0;
}
