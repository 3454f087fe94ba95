/* SPDX-License-Identifier: MIT */
/*
 * Config space of a model device. Every byte has a writable mask and an RW1C mask, built
 * from the header type (this file), the BARs (model_bar.c) and the capabilities found
 * (model_caps.c); everything else is read-only. A write merges the writable bits, clears
 * the RW1C bits written as 1, then runs the hooks of the registers it touched (D-state
 * changes, VPD requests, Initiate FLR, pending interrupts). Resets bring back the
 * power-on state: the bytes of the dump.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "source_priv.h"

void model_set_mask(struct model *m, unsigned off, unsigned size, uint32_t rw, uint32_t w1c)
{
	if (off >= PCIE_CFG_SIZE || size > PCIE_CFG_SIZE - off)
		return;
	model_put(m->wmask, off, size, rw);
	model_put(m->w1c, off, size, w1c & ~rw);
}

int model_add_hook(struct model *m, unsigned off, unsigned len, model_hook_fn fn)
{
	if (m->nhooks >= MODEL_MAX_HOOKS)
		return -ENOSPC;
	m->hooks[m->nhooks++] = (struct model_hook){ off, len, fn };
	return 0;
}

bool model_wrote(const struct model_wctx *w, unsigned off, uint8_t *raw)
{
	if (off < w->off || off >= w->off + w->size)
		return false;
	if (raw)
		*raw = w->raw[off - w->off];
	return true;
}

uint8_t model_old(const struct model *m, const struct model_wctx *w, unsigned off)
{
	if (model_wrote(w, off, NULL))
		return w->old[off - w->off];
	return m->cfg[off];
}

/* Command bits a device of this kind implements. */
static uint16_t command_mask(const struct model *m)
{
	uint16_t rw = PCI_CMD_MASTER | PCI_CMD_PARITY | PCI_CMD_SERR;
	bool caps = model_get(m->init, PCI_REG_STATUS, 2) & PCI_STATUS_CAP_LIST;

	if (m->hdr_type == PCI_HEADER_TYPE_BRIDGE)
		rw |= PCI_CMD_IO | PCI_CMD_MEMORY;
	for (unsigned i = 0; i < MODEL_NSLOTS; i++) {
		if (!m->bar[i].size)
			continue;
		rw |= m->bar[i].type == PVPCI_BAR_IO ? PCI_CMD_IO : PCI_CMD_MEMORY;
	}
	if (!m->exp)
		rw |= PCI_CMD_INVALIDATE;
	if (m->init[PCI_REG_CLASS_DEVICE + 1] == 0x03 && m->init[PCI_REG_CLASS_DEVICE] == 0x00)
		rw |= PCI_CMD_VGA_PALETTE;
	if (m->exp || caps)
		rw |= PCI_CMD_INTX_DISABLE;
	return rw;
}

/* Type 1 header registers beyond the common ones. */
static void bridge_masks(struct model *m)
{
	bool pcie = m->exp != 0;
	bool io32 = (m->init[0x1c] & 0x0f) == 0x01;
	bool pref64 = (m->init[0x24] & 0x0f) == 0x01;

	model_set_mask(m, 0x18, 2, 0xffff, 0); /* primary, secondary bus */
	model_set_mask(m, 0x1a, 1, 0xff, 0);   /* subordinate bus */
	model_set_mask(m, 0x1b, 1, pcie ? 0 : 0xff, 0);
	model_set_mask(m, 0x1c, 2, 0xf0f0, 0); /* I/O base / limit */
	model_set_mask(m, 0x1e, 2, 0, PCI_STATUS_RW1C_MASK);
	model_set_mask(m, 0x20, 4, 0xfff0fff0, 0);
	model_set_mask(m, 0x24, 4, 0xfff0fff0, 0);
	if (pref64) { /* prefetchable base / limit upper 32 bits */
		model_set_mask(m, 0x28, 4, 0xffffffff, 0);
		model_set_mask(m, 0x2c, 4, 0xffffffff, 0);
	}
	if (io32)
		model_set_mask(m, 0x30, 4, 0xffffffff, 0);
	if (pcie)
		model_set_mask(m, PCI_REG_BRIDGE_CONTROL, 2, 0x005f, 0);
	else
		model_set_mask(m, PCI_REG_BRIDGE_CONTROL, 2, 0x0bff, 0x0400);
}

static void header_masks(struct model *m)
{
	model_set_mask(m, PCI_REG_COMMAND, 2, command_mask(m), 0);
	model_set_mask(m, PCI_REG_STATUS, 2, 0, PCI_STATUS_RW1C_MASK);
	model_set_mask(m, PCI_REG_CACHE_LINE, 1, 0xff, 0);
	model_set_mask(m, PCI_REG_LATENCY, 1, m->exp ? 0 : 0xff, 0);
	model_set_mask(m, PCI_REG_INTR_LINE, 1, 0xff, 0);
	if (m->hdr_type == PCI_HEADER_TYPE_BRIDGE)
		bridge_masks(m);
}

int model_setup(struct model *m, const struct model_extra *x, struct pvpci_parse_err *err)
{
	int rc;

	m->hdr_type = m->init[PCI_REG_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
	if (m->hdr_type != PCI_HEADER_TYPE_NORMAL && m->hdr_type != PCI_HEADER_TYPE_BRIDGE) {
		snprintf(err->msg, sizeof(err->msg), "%s: header type %u is not supported",
			 m->src.name, m->hdr_type);
		return -EINVAL;
	}
	rc = model_bars_setup(m, x, err);
	if (rc < 0)
		return rc;
	rc = model_caps_setup(m, x, err);
	if (rc < 0)
		return rc;
	header_masks(m);
	model_power_on(m);
	return 0;
}

void model_power_on(struct model *m)
{
	memcpy(m->cfg, m->init, sizeof(m->cfg));
	model_msix_reset(m);
	model_pages_free(m);
}

int model_cfg_read(struct pvpci_source *s, unsigned off, unsigned size, uint32_t *val)
{
	struct model *m = model_of(s);

	*val = model_get(m->cfg, off, size);
	return 0;
}

int model_cfg_write(struct pvpci_source *s, unsigned off, unsigned size, uint32_t val)
{
	struct model *m = model_of(s);
	struct model_wctx w = { .off = off, .size = size };

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint8_t v = m->cfg[o];

		w.raw[i] = b;
		w.old[i] = v;
		v = (uint8_t)((v & ~m->wmask[o]) | (b & m->wmask[o]));
		v = (uint8_t)(v & ~(b & m->w1c[o]));
		m->cfg[o] = v;
	}
	for (unsigned i = 0; i < m->nhooks; i++) {
		const struct model_hook *h = &m->hooks[i];

		if (off < h->off + h->len && h->off < off + size)
			h->fn(m, &w);
	}
	return 0;
}

int model_reset(struct pvpci_source *s, enum pvpci_reset_kind kind)
{
	struct model *m = model_of(s);
	bool flr = model_has_flr(m), pm = model_has_pm_reset(m);

	if (kind == PVPCI_RESET_FLR && !flr)
		return -ENOTTY;
	if (kind == PVPCI_RESET_PM && !pm)
		return -ENOTTY;
	if (kind == PVPCI_RESET_FUNCTION && !flr && !pm)
		return -ENOTTY;
	pvpci_logf(&s->log, PVPCI_LOG_DEBUG, "reset (%s)",
		   kind == PVPCI_RESET_PM || (kind == PVPCI_RESET_FUNCTION && !flr) ? "PM" : "FLR");
	model_power_on(m);
	return 0;
}
