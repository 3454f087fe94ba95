/* SPDX-License-Identifier: MIT */
/*
 * BARs and the expansion ROM under the PV policy (pciback's sizing emulation). The guest
 * sees the host's addresses, taken from the source's BAR information when the device is
 * seized; a sizing write (all ones but the type bits) makes reads answer the size mask
 * until the next write; any other value is ignored, except the host address itself, which
 * puts the device's BAR back if it was lost. A guest-chosen address never reaches the
 * device. Reads cost no device access.
 */
#include <errno.h>

#include "pvdev_priv.h"

static int bar_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct pv_bar *b = data;

	*val = b->sizing ? b->len_val : b->val;
	return 0;
}

static int bar_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct pvpci_pvdev *d = ctx;
	struct pv_bar *b = data;
	uint32_t hw;
	int rc;

	if ((val | b->size_mask) == 0xffffffffu) {
		b->sizing = true;
		return 0;
	}
	b->sizing = false;
	if (val != b->val || b->type == PVPCI_BAR_EMPTY) {
		pv_drop(d, off, 4, val, "BAR: only the host address may be written");
		return 0;
	}
	rc = pv_hw_read(d, off, 4, &hw);
	if (rc || hw == b->val)
		return rc;
	return pv_hw_write(d, off, 4, b->val);
}

/* Fills one slot from the host's view of the resource and the snapshot's type bits. */
static void bar_setup(struct pvpci_pvdev *d, struct pv_bar *b, const struct pvpci_bar_info *bi)
{
	uint32_t raw = pv_pristine(d, b->reg, 4);
	uint64_t neg = bi->size ? (uint64_t)0 - bi->size : 0;
	uint32_t low;

	b->type = bi->size && bi->addr ? bi->type : PVPCI_BAR_EMPTY;
	switch (b->type) {
	case PVPCI_BAR_IO:
		low = raw & ~PCI_BAR_IO_MASK;
		b->size_mask = ~PCI_BAR_IO_MASK;
		b->val = ((uint32_t)bi->addr & PCI_BAR_IO_MASK) | low;
		b->len_val = ((uint32_t)neg & PCI_BAR_IO_MASK) | low;
		break;
	case PVPCI_BAR_MEM32:
	case PVPCI_BAR_MEM64_LO:
		low = raw & ~PCI_BAR_MEM_MASK;
		b->size_mask = ~PCI_BAR_MEM_MASK;
		b->val = ((uint32_t)bi->addr & PCI_BAR_MEM_MASK) | low;
		b->len_val = ((uint32_t)neg & PCI_BAR_MEM_MASK) | low;
		break;
	case PVPCI_BAR_MEM64_HI:
		b->size_mask = 0;
		b->val = (uint32_t)(bi->addr >> 32);
		b->len_val = (uint32_t)(neg >> 32);
		break;
	case PVPCI_BAR_ROM:
		low = raw & PCI_ROM_ENABLE;
		b->size_mask = ~PCI_ROM_ADDR_MASK;
		b->val = ((uint32_t)bi->addr & PCI_ROM_ADDR_MASK) | low;
		b->len_val = ((uint32_t)neg & PCI_ROM_ADDR_MASK) | low;
		break;
	default:
		b->type = PVPCI_BAR_EMPTY;
		b->size_mask = ~PCI_BAR_MEM_MASK;
		b->val = 0;
		b->len_val = 0;
		break;
	}
	b->sizing = false;
}

static const struct pv_field bar_field = { 0, 4, bar_read, bar_write, 0, 0, 0 };

static int bar_add(struct pvpci_pvdev *d, unsigned slot, unsigned reg)
{
	struct pv_bar *b = &d->bars[slot];
	struct pvpci_bar_info bi = { .type = PVPCI_BAR_EMPTY };
	int rc = pvpci_source_bar_info(d->src, slot, &bi);

	if (rc && rc != -ENOENT && rc != -ENODEV)
		pvpci_logf(&d->log, PVPCI_LOG_WARNING, "BAR %u: no host information (%s); "
			   "shown as empty", slot, pvpci_errname(rc));
	if (rc)
		bi = (struct pvpci_bar_info){ .type = PVPCI_BAR_EMPTY };
	b->slot = slot;
	b->reg = reg;
	bar_setup(d, b, &bi);
	pv_restore_add(d, reg, 4, 1, 0);
	return pv_add_fields(d, reg, &bar_field, 1, b);
}

int pv_bars_init(struct pvpci_pvdev *d)
{
	bool bridge = d->hdr_type == PCI_HEADER_TYPE_BRIDGE;
	int rc;

	d->nbars = bridge ? 2 : PCI_NUM_BARS;
	for (unsigned i = 0; i < d->nbars; i++) {
		rc = bar_add(d, i, PCI_REG_BAR0 + 4 * i);
		if (rc)
			return rc;
	}
	return bar_add(d, PCI_ROM_SLOT, bridge ? PCI_REG_ROM_BRIDGE : PCI_REG_ROM);
}

void pv_bars_reset(struct pvpci_pvdev *d)
{
	for (unsigned i = 0; i < PV_NBARS; i++)
		d->bars[i].sizing = false;
}
