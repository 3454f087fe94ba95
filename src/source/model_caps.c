/* SPDX-License-Identifier: MIT */
/*
 * Capabilities of a model device, one setup function per capability in a table: each
 * marks its registers' writable and RW1C bits and registers the hooks that give them
 * behaviour. Power Management (D-states, soft reset on D3hot -> D0, PME bits), VPD
 * (address / flag handshake over a small image), MSI (enable, message count, per-vector
 * mask and pending bits), MSI-X (in model_bar.c: its table lives in a BAR), PCI Express
 * (Device Control with Initiate FLR, RW1C status bits, link and slot controls), Advanced
 * Features (FLR) and AER (RW1C status registers). Unknown capabilities stay read-only. A
 * broken chain (loop, pointer into the header) ends the walk; what was found is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_priv.h"

#define AER_UNCOR_BITS 0x07fff030u
#define AER_COR_BITS 0x0000f1c1u
#define EXP_TYPE_ENDPOINT 0x0
#define EXP_TYPE_LEG_END 0x1
#define EXP_TYPE_ROOT_PORT 0x4
#define EXP_TYPE_UPSTREAM 0x5
#define EXP_TYPE_DOWNSTREAM 0x6
#define EXP_TYPE_PCI_BRIDGE 0x7
#define EXP_TYPE_RC_END 0x9
#define EXP_TYPE_RC_EC 0xa
#define PM_PMC_D1 0x0200
#define PM_PMC_D2 0x0400
#define AF_CAP_FLR 0x02
#define AF_CTRL_FLR 0x01

static bool fits(const struct model *m, unsigned pos, unsigned len)
{
	return pos + len <= m->src.cfg_size;
}

/* ---- Power management ---- */
static void pm_written(struct model *m, const struct model_wctx *w)
{
	unsigned ctl = m->pm + PCI_PM_CTRL;
	unsigned pmc = model_get(m->cfg, m->pm + PCI_PM_PMC, 2);
	unsigned from, to;

	if (!model_wrote(w, ctl, NULL))
		return;
	from = model_old(m, w, ctl) & PCI_PM_CTRL_STATE_MASK;
	to = m->cfg[ctl] & PCI_PM_CTRL_STATE_MASK;
	if ((to == 1 && !(pmc & PM_PMC_D1)) || (to == 2 && !(pmc & PM_PMC_D2))) {
		/* unsupported state: the write is ignored */
		m->cfg[ctl] = (uint8_t)((m->cfg[ctl] & ~PCI_PM_CTRL_STATE_MASK) | from);
		return;
	}
	if (from != to)
		pvpci_logf(&m->src.log, PVPCI_LOG_DEBUG, "D%u -> D%u", from, to);
	if (from == 3 && to == 0 && !(m->cfg[ctl] & PCI_PM_CTRL_NO_SOFT_RESET))
		model_power_on(m);
}

static int pm_setup(struct model *m, unsigned pos)
{
	uint32_t pmc = model_get(m->init, pos + PCI_PM_PMC, 2);
	uint32_t rw = PCI_PM_CTRL_STATE_MASK, w1c = 0;

	if (!fits(m, pos, PCI_PM_SIZEOF))
		return 0;
	if (pmc & PCI_PM_PMC_PME_MASK) {
		rw |= PCI_PM_CTRL_PME_ENABLE;
		w1c |= PCI_PM_CTRL_PME_STATUS;
	}
	model_set_mask(m, pos + PCI_PM_CTRL, 2, rw, w1c);
	m->pm = pos;
	return model_add_hook(m, pos + PCI_PM_CTRL, 2, pm_written);
}

bool model_has_pm_reset(const struct model *m)
{
	return m->pm && !(m->init[m->pm + PCI_PM_CTRL] & PCI_PM_CTRL_NO_SOFT_RESET);
}

/* ---- VPD ---- */
static void vpd_written(struct model *m, const struct model_wctx *w)
{
	unsigned ar = m->vpd + PCI_VPD_ADDR, dr = m->vpd + PCI_VPD_DATA;
	uint32_t a = model_get(m->cfg, ar, 2);
	unsigned addr = a & PCI_VPD_ADDR_MASK;

	if (!model_wrote(w, ar + 1, NULL)) /* the request starts with the flag byte */
		return;
	if (!(a & PCI_VPD_ADDR_F)) { /* read request: fetch, then flag done */
		for (unsigned i = 0; i < 4; i++)
			m->cfg[dr + i] = addr + i < m->vpd_len ? m->vpd_img[addr + i] : 0;
		model_put(m->cfg, ar, 2, a | PCI_VPD_ADDR_F);
		return;
	}
	for (unsigned i = 0; i < 4; i++) { /* write request: store, then clear the flag */
		if (addr + i < m->vpd_len)
			m->vpd_img[addr + i] = m->cfg[dr + i];
	}
	if (addr + 4 > m->vpd_len)
		pvpci_logf_rl(&m->src.log, &m->rl, PVPCI_LOG_INFO,
			      "VPD write at 0x%x beyond the 0x%x-byte image dropped", addr,
			      m->vpd_len);
	model_put(m->cfg, ar, 2, a & ~(uint32_t)PCI_VPD_ADDR_F);
}

static int vpd_setup(struct model *m, unsigned pos)
{
	if (!fits(m, pos, 8))
		return 0;
	model_set_mask(m, pos + PCI_VPD_ADDR, 2, 0xffff, 0);
	model_set_mask(m, pos + PCI_VPD_DATA, 4, 0xffffffff, 0);
	m->vpd = pos;
	return model_add_hook(m, pos + PCI_VPD_ADDR, 2, vpd_written);
}

/* ---- MSI ---- */
struct msi_layout {
	bool is64, maskable;
	unsigned len, mask, pending, capable;
};

static struct msi_layout msi_layout(uint32_t flags)
{
	struct msi_layout l;

	l.is64 = flags & PCI_MSI_FLAGS_64BIT;
	l.maskable = flags & PCI_MSI_FLAGS_MASKBIT;
	l.mask = l.is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
	l.pending = l.is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32;
	l.len = l.maskable ? l.pending + 4 : (l.is64 ? 14 : 10);
	l.capable = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	if (l.capable > 32)
		l.capable = 32;
	return l;
}

/* Deliver pending vectors that are now enabled and unmasked. */
static void msi_flush(struct model *m)
{
	uint32_t flags = model_get(m->cfg, m->msi + PCI_MSI_FLAGS, 2);
	struct msi_layout l = msi_layout(flags);
	unsigned enabled = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
	uint32_t pend, mask;

	if (!l.maskable || !(flags & PCI_MSI_FLAGS_ENABLE))
		return;
	pend = model_get(m->cfg, m->msi + l.pending, 4);
	mask = model_get(m->cfg, m->msi + l.mask, 4);
	for (unsigned v = 0; v < enabled && v < 32; v++) {
		if (!(pend & (1u << v)) || (mask & (1u << v)))
			continue;
		pend &= ~(1u << v);
		model_put(m->cfg, m->msi + l.pending, 4, pend);
		pvpci_source_deliver_irq(&m->src, PVPCI_IRQ_MSI, v);
	}
}

static void msi_written(struct model *m, const struct model_wctx *w)
{
	unsigned fo = m->msi + PCI_MSI_FLAGS;
	uint32_t flags = model_get(m->cfg, fo, 2);
	unsigned qmask = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
	unsigned qsize = (flags & PCI_MSI_FLAGS_QSIZE) >> 4;

	if (qsize > qmask) /* more vectors than capable: the device grants what it has */
		model_put(m->cfg, fo, 2, (flags & ~(uint32_t)PCI_MSI_FLAGS_QSIZE) | (qmask << 4));
	msi_flush(m);
}

static int msi_setup(struct model *m, unsigned pos)
{
	struct msi_layout l = msi_layout(model_get(m->init, pos + PCI_MSI_FLAGS, 2));
	unsigned data = l.is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	int rc;

	if (!fits(m, pos, l.len))
		return 0;
	model_set_mask(m, pos + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE, 0);
	model_set_mask(m, pos + PCI_MSI_ADDR_LO, 4, 0xfffffffc, 0);
	if (l.is64)
		model_set_mask(m, pos + PCI_MSI_ADDR_HI, 4, 0xffffffff, 0);
	model_set_mask(m, pos + data, 2, 0xffff, 0);
	if (l.maskable)
		model_set_mask(m, pos + l.mask, 4,
			       l.capable == 32 ? 0xffffffffu : (1u << l.capable) - 1, 0);
	m->msi = pos;
	rc = model_add_hook(m, pos + PCI_MSI_FLAGS, 2, msi_written);
	if (rc == 0 && l.maskable)
		rc = model_add_hook(m, pos + l.mask, 4, msi_written);
	return rc;
}

int model_raise_msi(struct model *m, unsigned vector)
{
	uint32_t flags, mask, pend;
	struct msi_layout l;

	if (!m->msi)
		return -ENODEV;
	flags = model_get(m->cfg, m->msi + PCI_MSI_FLAGS, 2);
	l = msi_layout(flags);
	if (vector >= l.capable)
		return -EINVAL;
	if (!(flags & PCI_MSI_FLAGS_ENABLE))
		return 0;
	if (vector >= 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4))
		return 0; /* not granted by the multiple message enable field */
	if (l.maskable) {
		mask = model_get(m->cfg, m->msi + l.mask, 4);
		if (mask & (1u << vector)) {
			pend = model_get(m->cfg, m->msi + l.pending, 4) | (1u << vector);
			model_put(m->cfg, m->msi + l.pending, 4, pend);
			return 0;
		}
	}
	pvpci_source_deliver_irq(&m->src, PVPCI_IRQ_MSI, vector);
	return 1;
}

/* ---- PCI Express ---- */
static bool exp_is_endpoint(unsigned type)
{
	return type == EXP_TYPE_ENDPOINT || type == EXP_TYPE_LEG_END || type == EXP_TYPE_RC_END;
}

static bool exp_is_down_port(unsigned type)
{
	return type == EXP_TYPE_ROOT_PORT || type == EXP_TYPE_DOWNSTREAM;
}

bool model_has_flr(const struct model *m)
{
	if (m->exp && exp_is_endpoint(m->exp_type) &&
	    (model_get(m->init, m->exp + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR))
		return true;
	return m->af && (m->init[m->af + 3] & AF_CAP_FLR);
}

static void exp_devctl_written(struct model *m, const struct model_wctx *w)
{
	uint8_t raw;

	if (!model_wrote(w, m->exp + PCI_EXP_DEVCTL + 1, &raw) || !(raw & 0x80))
		return;
	if (!exp_is_endpoint(m->exp_type) ||
	    !(model_get(m->init, m->exp + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR))
		return;
	pvpci_logf(&m->src.log, PVPCI_LOG_DEBUG, "function level reset");
	model_power_on(m);
}

static void exp_port_masks(struct model *m, unsigned pos, unsigned ver, uint32_t flags)
{
	bool slot = flags & 0x0100;

	model_set_mask(m, pos + 0x10, 2, 0x0fd3, 0);      /* Link Control */
	model_set_mask(m, pos + 0x12, 2, 0, 0xc000);      /* Link Status: LBMS, LABS */
	if (slot && (ver >= 2 || fits(m, pos, 0x1c)) && m->exp_type != EXP_TYPE_UPSTREAM) {
		model_set_mask(m, pos + 0x18, 2, 0x1fff, 0);  /* Slot Control */
		model_set_mask(m, pos + 0x1a, 2, 0, 0x011f);  /* Slot Status */
	}
	if (m->exp_type == EXP_TYPE_ROOT_PORT && (ver >= 2 || fits(m, pos, 0x24))) {
		model_set_mask(m, pos + 0x1c, 2, 0x001f, 0);  /* Root Control */
		model_set_mask(m, pos + 0x20, 4, 0, 0x00010000); /* Root Status: PME */
	}
}

static int exp_setup(struct model *m, unsigned pos)
{
	uint32_t flags = model_get(m->init, pos + PCI_EXP_FLAGS, 2);
	unsigned ver = flags & 0xf, type = (flags & PCI_EXP_FLAGS_TYPE_MASK) >> 4;

	if (!fits(m, pos, ver >= 2 ? 0x3c : 0x14))
		return 0;
	m->exp = pos;
	m->exp_type = type;
	model_set_mask(m, pos + PCI_EXP_DEVCTL, 2,
		       type == EXP_TYPE_PCI_BRIDGE ? 0xffff : 0x7fff, 0);
	model_set_mask(m, pos + PCI_EXP_DEVSTA, 2, 0, PCI_EXP_DEVSTA_RW1C_MASK);
	if (exp_is_down_port(type))
		exp_port_masks(m, pos, ver, flags);
	else if (type != EXP_TYPE_RC_END && type != EXP_TYPE_RC_EC)
		model_set_mask(m, pos + 0x10, 2, 0x03c3, 0); /* Link Control: ASPM, clocks */
	if (ver >= 2) {
		model_set_mask(m, pos + 0x28, 2, 0x07ff, 0); /* Device Control 2 */
		if (type != EXP_TYPE_RC_END && type != EXP_TYPE_RC_EC)
			model_set_mask(m, pos + 0x30, 2, 0x1fff, 0); /* Link Control 2 */
	}
	return model_add_hook(m, pos + PCI_EXP_DEVCTL, 2, exp_devctl_written);
}

/* ---- Advanced Features (conventional PCI FLR) ---- */
static void af_written(struct model *m, const struct model_wctx *w)
{
	uint8_t raw;

	if (!model_wrote(w, m->af + 4, &raw) || !(raw & AF_CTRL_FLR))
		return;
	if (m->init[m->af + 3] & AF_CAP_FLR)
		model_power_on(m);
}

static int af_setup(struct model *m, unsigned pos)
{
	if (!fits(m, pos, 6))
		return 0;
	m->af = pos;
	return model_add_hook(m, pos + 4, 1, af_written);
}

/* ---- AER (extended) ---- */
static int aer_setup(struct model *m, unsigned pos)
{
	uint32_t capctl = model_get(m->init, pos + 0x18, 4);
	uint32_t rw = 0;

	if (!fits(m, pos, 0x2c))
		return 0;
	m->aer = pos;
	model_set_mask(m, pos + 0x04, 4, 0, AER_UNCOR_BITS); /* uncorrectable status */
	model_set_mask(m, pos + 0x08, 4, AER_UNCOR_BITS, 0); /* uncorrectable mask */
	model_set_mask(m, pos + 0x0c, 4, AER_UNCOR_BITS, 0); /* uncorrectable severity */
	model_set_mask(m, pos + 0x10, 4, 0, AER_COR_BITS);   /* correctable status */
	model_set_mask(m, pos + 0x14, 4, AER_COR_BITS, 0);   /* correctable mask */
	if (capctl & 0x20)
		rw |= 0x40;  /* ECRC generation enable */
	if (capctl & 0x80)
		rw |= 0x100; /* ECRC check enable */
	if (capctl & 0x200)
		rw |= 0x400; /* multiple header recording enable */
	model_set_mask(m, pos + 0x18, 4, rw, 0);
	if ((m->exp_type == EXP_TYPE_ROOT_PORT || m->exp_type == EXP_TYPE_RC_EC) &&
	    fits(m, pos, 0x38)) {
		model_set_mask(m, pos + 0x2c, 4, 0x7, 0);   /* root error command */
		model_set_mask(m, pos + 0x30, 4, 0, 0x7f);  /* root error status */
	}
	return 0;
}

/* ---- The table and the walk ---- */
struct cap_row {
	unsigned id;
	bool ext;
	int (*setup)(struct model *m, unsigned pos);
	size_t slot; /* offsetof the position field in struct model */
};

static const struct cap_row cap_table[] = {
	{ PCI_CAP_ID_PM, false, pm_setup, offsetof(struct model, pm) },
	{ PCI_CAP_ID_VPD, false, vpd_setup, offsetof(struct model, vpd) },
	{ PCI_CAP_ID_MSI, false, msi_setup, offsetof(struct model, msi) },
	{ PCI_CAP_ID_EXP, false, exp_setup, offsetof(struct model, exp) },
	{ PCI_CAP_ID_MSIX, false, NULL, offsetof(struct model, msix.pos) },
	{ PCI_CAP_ID_AF, false, af_setup, offsetof(struct model, af) },
	{ PCI_EXT_CAP_ID_ERR, true, aer_setup, offsetof(struct model, aer) },
};

struct walk_ctx {
	struct model *m;
	bool ext;
	int rc;
	struct pvpci_parse_err *err;
};

static int init_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	struct model *m = opaque;

	if (off >= m->src.cfg_size || size > m->src.cfg_size - off)
		return -EINVAL;
	*val = model_get(m->init, off, size);
	return 0;
}

static int visit(void *arg, unsigned pos, unsigned id)
{
	struct walk_ctx *c = arg;

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(cap_table); i++) {
		const struct cap_row *r = &cap_table[i];
		unsigned *slot = (unsigned *)((char *)c->m + r->slot);

		if (r->id != id || r->ext != c->ext || *slot)
			continue;
		if (r->setup)
			c->rc = r->setup(c->m, pos);
		else
			c->rc = model_msix_setup(c->m, pos, c->err);
		if (c->rc < 0 && !c->err->msg[0])
			snprintf(c->err->msg, sizeof(c->err->msg),
				 "%s: capability 0x%02x at 0x%x: %s", c->m->src.name, id, pos,
				 pvpci_errname(c->rc));
		return c->rc < 0 ? 1 : 0;
	}
	return 0;
}

static int walk(struct model *m, bool ext, struct pvpci_parse_err *err)
{
	struct walk_ctx c = { m, ext, 0, err };
	int rc = pvpci_cap_walk(init_read, m, m->src.cfg_size, ext, visit, &c);

	if (c.rc < 0)
		return c.rc;
	if (rc == -ELOOP)
		pvpci_logf(&m->src.log, PVPCI_LOG_INFO, "%s capability chain loops",
			   ext ? "extended" : "standard");
	return 0;
}

int model_caps_setup(struct model *m, const struct model_extra *x,
		     struct pvpci_parse_err *err)
{
	int rc = walk(m, false, err);

	if (rc == 0 && m->src.cfg_size == PCIE_CFG_SIZE)
		rc = walk(m, true, err);
	if (rc < 0)
		return rc;
	if (x->has_vpd && !m->vpd) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: '# vpd' line but the device has no VPD capability", m->src.name);
		return -EINVAL;
	}
	if (!m->vpd)
		return 0;
	m->vpd_len = x->has_vpd ? x->vpd_len : MODEL_VPD_DEFAULT;
	m->vpd_img = calloc(1, m->vpd_len ? m->vpd_len : 1);
	if (!m->vpd_img)
		return -ENOMEM;
	if (x->has_vpd)
		memcpy(m->vpd_img, x->vpd, x->vpd_len);
	return 0;
}
