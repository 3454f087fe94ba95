/* SPDX-License-Identifier: MIT */
/*
 * vpci msix: the MSI-X capability for guests. The table size, BIR and offsets are read
 * once and validated (BIR < 6, the BAR is memory, table and PBA inside it; else MSI-X is
 * hidden). Message Control's ENABLE and MASKALL are virtual and mirrored on the device.
 * The pages of the table and the PBA are never mapped into the guest: its accesses there
 * come through the MMIO entry point. Table entries (aligned 4 / 8-byte accesses only,
 * index bounded by the real table size: XSA-164) are emulated and start masked; an entry
 * whose address or data changed is bound through the platform when it is unmasked, and the
 * device's own entry gets the host's message. PBA reads go to the device; other registers
 * that share those pages are forwarded to the device.
 */
#include <errno.h>
#include <stdlib.h>

#include "vpci_int.h"

#define MSIX_CTRL_RSVDP 0x3800u

static uint64_t table_len(const struct vpci_msix *m)
{
	return (uint64_t)m->nent * PCI_MSIX_ENTRY_SIZE;
}

static uint64_t pba_len(const struct vpci_msix *m)
{
	return ((m->nent + 63) / 64) * 8ull;
}

static bool mem_bar(const struct vpci_dev *dev, unsigned bir)
{
	return bir < PCI_NUM_BARS && (dev->bar[bir].type == PVPCI_BAR_MEM32 ||
				      dev->bar[bir].type == PVPCI_BAR_MEM64_LO);
}

void vpci_msix_probe(struct vpci_dev *dev, unsigned pos)
{
	struct vpci_msix *m = &dev->msix;
	uint32_t ctrl, t, p;

	if (pvpci_source_cfg_read(dev->src, pos + PCI_MSIX_FLAGS, 2, &ctrl) ||
	    pvpci_source_cfg_read(dev->src, pos + PCI_MSIX_TABLE, 4, &t) ||
	    pvpci_source_cfg_read(dev->src, pos + PCI_MSIX_PBA, 4, &p))
		return;
	m->pos = pos;
	m->nent = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	m->treg = t;
	m->preg = p;
	m->tbir = t & PCI_MSIX_BIR_MASK;
	m->toff = t & PCI_MSIX_OFFSET_MASK;
	m->pbir = p & PCI_MSIX_BIR_MASK;
	m->poff = p & PCI_MSIX_OFFSET_MASK;
}

static const char *invalid(const struct vpci_dev *dev)
{
	const struct vpci_msix *m = &dev->msix;

	if (!m->pos)
		return "unreadable";
	if (!mem_bar(dev, m->tbir))
		return "table BIR is not a memory BAR";
	if (!mem_bar(dev, m->pbir))
		return "PBA BIR is not a memory BAR";
	if (m->toff + table_len(m) > dev->bar[m->tbir].size)
		return "table outside its BAR";
	if (m->poff + pba_len(m) > dev->bar[m->pbir].size)
		return "PBA outside its BAR";
	return NULL;
}

unsigned vpci_msix_regions(const struct vpci_dev *dev, unsigned idx, struct pvpci_range *out)
{
	const struct vpci_msix *m = &dev->msix;
	uint64_t size = dev->bar[idx < VPCI_NSLOTS ? idx : 0].size, end;
	unsigned n = 0;

	if (!m->pos || !mem_bar(dev, idx))
		return 0;
	if (m->tbir == idx && m->toff < size) {
		end = m->toff + table_len(m) < size ? m->toff + table_len(m) : size;
		out[n++] = (struct pvpci_range){ m->toff, end - 1 };
	}
	if (m->pbir == idx && m->poff < size) {
		end = m->poff + pba_len(m) < size ? m->poff + pba_len(m) : size;
		out[n++] = (struct pvpci_range){ m->poff, end - 1 };
	}
	return n;
}

/* ---- The device's own table (host-owned) ---- */

static int phys_write(struct vpci_dev *dev, unsigned i, unsigned reg, uint32_t v)
{
	const struct vpci_msix *m = &dev->msix;

	return pvpci_source_bar_write(dev->src, m->tbir,
				      m->toff + (uint64_t)i * PCI_MSIX_ENTRY_SIZE + reg, 4, v);
}

static void phys_mask(struct vpci_dev *dev, unsigned i, bool masked)
{
	if (phys_write(dev, i, PCI_MSIX_ENTRY_CTRL, masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0))
		vpci_rl(dev, "MSI-X entry %u: cannot write the device's mask", i);
}

static int phys_ctrl(struct vpci_dev *dev)
{
	const struct vpci_msix *m = &dev->msix;
	uint32_t v = (m->enabled ? PCI_MSIX_FLAGS_ENABLE : 0) |
		     (m->maskall ? PCI_MSIX_FLAGS_MASKALL : 0);

	return pvpci_source_cfg_write(dev->src, m->pos + PCI_MSIX_FLAGS, 2, v);
}

static void entry_unbind(struct vpci_dev *dev, unsigned i)
{
	struct pvpci_vpci_domain *d = dev->dom;
	int h = atomic_exchange(&dev->msix.handle[i], -1);

	if (h < 0)
		return;
	phys_mask(dev, i, true);
	if (d->ops.irq_unbind(d->opaque, h, 1))
		vpci_rl(dev, "MSI-X entry %u: unbind failed", i);
}

/* Binds entry i with its current message and programs the device's entry. */
static int entry_update(struct vpci_dev *dev, unsigned i)
{
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_msix_entry *e = &dev->msix.ent[i];
	struct pvpci_vpci_irq irq = {
		.guest = dev->guest, .host = dev->host, .kind = PVPCI_IRQ_MSIX,
		.index = i, .nvec = 1, .addr = e->addr, .data = e->data,
	};
	struct pvpci_vpci_irq_host host = { 0, 0 };
	int h, rc;

	entry_unbind(dev, i);
	h = d->ops.irq_bind(d->opaque, &irq, &host);
	if (h < 0) {
		vpci_rl(dev, "MSI-X entry %u: bind failed: %s", i, pvpci_errname(h));
		return h;
	}
	rc = phys_write(dev, i, PCI_MSIX_ENTRY_ADDR_LO, (uint32_t)host.addr);
	if (!rc)
		rc = phys_write(dev, i, PCI_MSIX_ENTRY_ADDR_HI, (uint32_t)(host.addr >> 32));
	if (!rc)
		rc = phys_write(dev, i, PCI_MSIX_ENTRY_DATA, host.data);
	atomic_store(&dev->msix.handle[i], h);
	if (rc) {
		entry_unbind(dev, i);
		return rc;
	}
	e->updated = false;
	if (e->masked)
		(void)d->ops.irq_mask(d->opaque, h, true);
	phys_mask(dev, i, e->masked);
	return 0;
}

/* Binds every unmasked entry whose message changed (enable, or MASKALL cleared). */
static void entries_update(struct vpci_dev *dev)
{
	struct vpci_msix *m = &dev->msix;

	for (unsigned i = 0; i < m->nent; i++)
		if (!m->ent[i].masked &&
		    (m->ent[i].updated || atomic_load(&m->handle[i]) < 0))
			(void)entry_update(dev, i);
}

static void entries_unbind(struct vpci_dev *dev)
{
	struct vpci_msix *m = &dev->msix;

	for (unsigned i = 0; i < m->nent; i++) {
		entry_unbind(dev, i);
		m->ent[i].updated = true;
	}
}

/* ---- Config registers ---- */

static int ctrl_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;
	const struct vpci_msix *m = &dev->msix;

	*val = (m->nent - 1) | (m->maskall ? PCI_MSIX_FLAGS_MASKALL : 0) |
	       (m->enabled ? PCI_MSIX_FLAGS_ENABLE : 0);
	return 0;
}

static int ctrl_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	struct vpci_msix *m = &dev->msix;
	bool en = val & PCI_MSIX_FLAGS_ENABLE, was = m->enabled;
	int rc;

	if (en && !was && dev->msi.enabled) {
		vpci_rl(dev, "MSI-X enable refused: MSI is enabled");
		return 0;
	}
	m->enabled = en;
	m->maskall = val & PCI_MSIX_FLAGS_MASKALL;
	if (!en && was)
		entries_unbind(dev);
	rc = phys_ctrl(dev);
	if (rc)
		return rc;
	if (en && !was)
		rc = vpci_intx_disable(dev);
	if (en && !m->maskall)
		entries_update(dev);
	return rc;
}

static int cached_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = *(const uint32_t *)data;
	return 0;
}

int vpci_msix_init(struct vpci_dev *dev, unsigned pos)
{
	struct vpci_msix *m = &dev->msix;
	const struct pvpci_reg_desc r[] = {
		{ .offset = pos + PCI_MSIX_FLAGS, .size = 2, .read = ctrl_read,
		  .write = ctrl_write, .ro_mask = PCI_MSIX_FLAGS_QSIZE,
		  .rsvdp_mask = MSIX_CTRL_RSVDP },
		{ .offset = pos + PCI_MSIX_TABLE, .size = 4, .read = cached_read, .data = &m->treg },
		{ .offset = pos + PCI_MSIX_PBA, .size = 4, .read = cached_read, .data = &m->preg },
	};
	const char *why = invalid(dev);
	unsigned i;
	int rc = 0;

	if (why) {
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "MSI-X hidden: %s", why);
		return -ENODEV;
	}
	if (pos + 12 > PCI_CFG_SIZE)
		return -ERANGE;
	m->ent = calloc(m->nent, sizeof(*m->ent));
	m->handle = calloc(m->nent, sizeof(*m->handle));
	if (!m->ent || !m->handle) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < m->nent; i++) {
		m->ent[i].masked = true;
		m->ent[i].updated = true;
		atomic_init(&m->handle[i], -1);
	}
	for (i = 0; i < PVPCI_ARRAY_SIZE(r); i++) {
		rc = pvpci_regs_add(dev->regs, &r[i]);
		if (rc)
			break;
	}
	if (rc) {
		while (i-- > 0)
			if (pvpci_regs_remove(dev->regs, r[i].offset, r[i].size))
				pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "MSI-X cleanup failed");
		goto fail;
	}
	/* The device starts with MSI-X off and every entry of its own table masked. */
	rc = phys_ctrl(dev);
	for (i = 0; i < m->nent && !rc; i++)
		rc = phys_write(dev, i, PCI_MSIX_ENTRY_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	if (rc)
		goto fail;
	m->exposed = true;
	return 0;
fail:
	free(m->ent);
	free(m->handle);
	m->ent = NULL;
	m->handle = NULL;
	return rc;
}

void vpci_msix_fini(struct vpci_dev *dev)
{
	struct vpci_msix *m = &dev->msix;

	if (m->ent) {
		entries_unbind(dev);
		if (m->enabled || m->maskall) {
			m->enabled = m->maskall = false;
			if (phys_ctrl(dev))
				pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "cannot disable MSI-X");
		}
	}
	free(m->ent);
	free(m->handle);
	m->ent = NULL;
	m->handle = NULL;
	m->exposed = false;
	m->enabled = false;
}

void vpci_msix_irq(struct vpci_dev *dev, unsigned vector)
{
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_msix *m = &dev->msix;
	int h;

	if (!m->handle || vector >= m->nent || !d->ops.irq_fire)
		return;
	h = atomic_load(&m->handle[vector]);
	if (h >= 0)
		d->ops.irq_fire(d->opaque, h);
}

/* ---- Guest MMIO on the table and PBA pages ---- */

static uint64_t ones(unsigned len)
{
	return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

static uint64_t table_read(const struct vpci_msix_entry *e, unsigned reg, unsigned len)
{
	uint32_t ctrl = e->masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0;

	if (len == 8)
		return reg == 0 ? e->addr : (e->data | (uint64_t)ctrl << 32);
	switch (reg) {
	case PCI_MSIX_ENTRY_ADDR_LO: return (uint32_t)e->addr;
	case PCI_MSIX_ENTRY_ADDR_HI: return (uint32_t)(e->addr >> 32);
	case PCI_MSIX_ENTRY_DATA: return e->data;
	default: return ctrl;
	}
}

static void ctrl_store(struct vpci_dev *dev, unsigned i, uint32_t v)
{
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_msix *m = &dev->msix;
	struct vpci_msix_entry *e = &m->ent[i];
	bool masked = v & PCI_MSIX_ENTRY_CTRL_MASKBIT;
	bool unmask = e->masked && !masked;
	int h;

	e->masked = masked;
	if (unmask && m->enabled && !m->maskall &&
	    (e->updated || atomic_load(&m->handle[i]) < 0)) {
		(void)entry_update(dev, i);
		return;
	}
	h = atomic_load(&m->handle[i]);
	if (h < 0)
		return;
	(void)d->ops.irq_mask(d->opaque, h, masked);
	phys_mask(dev, i, masked);
}

static void table_write(struct vpci_dev *dev, unsigned i, unsigned reg, unsigned len,
			uint64_t v)
{
	struct vpci_msix_entry *e = &dev->msix.ent[i];

	if (len == 8 && reg == 0) {
		e->addr = v;
		e->updated = true;
		return;
	}
	if (len == 8) {
		e->data = (uint32_t)v;
		e->updated = true;
		ctrl_store(dev, i, (uint32_t)(v >> 32));
		return;
	}
	switch (reg) {
	case PCI_MSIX_ENTRY_ADDR_LO:
		e->addr = (e->addr & ~0xffffffffull) | (uint32_t)v;
		break;
	case PCI_MSIX_ENTRY_ADDR_HI:
		e->addr = (e->addr & 0xffffffffull) | (v << 32);
		break;
	case PCI_MSIX_ENTRY_DATA:
		e->data = (uint32_t)v;
		break;
	default:
		ctrl_store(dev, i, (uint32_t)v);
		return;
	}
	e->updated = true;
}

/* One access at BAR offset off of BAR bir that lies inside the table or the PBA. */
static void trapped(struct vpci_dev *dev, unsigned bir, uint64_t off, unsigned len,
		    uint64_t *val, bool write)
{
	struct vpci_msix *m = &dev->msix;
	bool in_table = bir == m->tbir && off >= m->toff && off - m->toff < table_len(m);
	uint64_t rel;
	unsigned i;

	if ((len != 4 && len != 8) || (off & (len - 1))) {
		vpci_rl(dev, "MSI-X %s access of %u bytes at 0x%llx ignored",
			in_table ? "table" : "PBA", len, (unsigned long long)off);
		return;
	}
	if (!in_table) {
		if (!write && pvpci_source_bar_read(dev->src, bir, off, len, val))
			*val = ones(len);
		return;
	}
	rel = off - m->toff;
	i = (unsigned)(rel / PCI_MSIX_ENTRY_SIZE);
	if (i >= m->nent) /* bounded by the real table size (XSA-164) */
		return;
	if (write)
		table_write(dev, i, (unsigned)(rel % PCI_MSIX_ENTRY_SIZE), len, *val);
	else
		*val = table_read(&m->ent[i], (unsigned)(rel % PCI_MSIX_ENTRY_SIZE), len);
}

static bool in_region(const struct vpci_dev *dev, unsigned bir, uint64_t off, uint64_t end)
{
	struct pvpci_range r[2];
	unsigned n = vpci_msix_regions(dev, bir, r);

	for (unsigned k = 0; k < n; k++)
		if (off <= r[k].e && end >= r[k].s)
			return true;
	return false;
}

/* The BAR offset of [gpa, gpa + len) if it lies inside BAR b, explicitly: a trapped page
 * may begin before a BAR that does not start on a page boundary, and an address there is
 * outside the BAR (never a wrapped offset). */
static bool bar_offset(const struct vpci_bar *b, uint64_t gpa, unsigned len, uint64_t *off)
{
	if (gpa < b->guest_addr)
		return false;
	*off = gpa - b->guest_addr;
	return len <= b->size && *off <= b->size - len;
}

/* A register that shares the pages: forwarded to the device, byte by byte if unaligned or
 * touching the table / PBA or the outside of the BAR (those bytes read all-ones, writes to
 * them are dropped). */
static void adjacent(struct vpci_dev *dev, unsigned bir, uint64_t gpa, unsigned len,
		     uint64_t *val, bool write)
{
	const struct vpci_bar *b = &dev->bar[bir];
	uint64_t off = 0, v, out = 0;
	int rc;

	if (bar_offset(b, gpa, len, &off) && !(off & (len - 1)) &&
	    !in_region(dev, bir, off, off + len - 1)) {
		if (write)
			rc = pvpci_source_bar_write(dev->src, bir, off, len, *val);
		else
			rc = pvpci_source_bar_read(dev->src, bir, off, len, val);
		if (rc && !write)
			*val = ones(len);
		return;
	}
	for (unsigned k = 0; k < len; k++) {
		uint64_t o;

		v = 0xff;
		if (bar_offset(b, gpa + k, 1, &o) && !in_region(dev, bir, o, o)) {
			if (write)
				rc = pvpci_source_bar_write(dev->src, bir, o, 1, (*val >> (8 * k)) & 0xff);
			else
				rc = pvpci_source_bar_read(dev->src, bir, o, 1, &v);
			if (rc)
				v = 0xff;
		}
		out |= (v & 0xff) << (8 * k);
	}
	if (!write)
		*val = out;
}

/* The BAR (tbir or pbir) whose trapped pages hold gpa, or -1. */
static int trap_bar(const struct vpci_dev *dev, uint64_t gpa)
{
	const struct vpci_msix *m = &dev->msix;
	unsigned birs[2] = { m->tbir, m->pbir };
	struct pvpci_range r[2];

	for (unsigned k = 0; k < 2; k++) {
		const struct vpci_bar *b;
		unsigned n;

		if (k == 1 && birs[1] == birs[0])
			break;
		if (!mem_bar(dev, birs[k]))
			continue;
		b = &dev->bar[birs[k]];
		if (!b->mapped)
			continue;
		n = vpci_msix_regions(dev, birs[k], r);
		for (unsigned j = 0; j < n; j++)
			if (VPCI_PFN(gpa) >= VPCI_PFN(b->guest_addr + r[j].s) &&
			    VPCI_PFN(gpa) <= VPCI_PFN(b->guest_addr + r[j].e))
				return (int)birs[k];
	}
	return -1;
}

int vpci_msix_mmio(struct vpci_dev *dev, uint64_t gpa, unsigned len, uint64_t *val,
		   bool write)
{
	struct vpci_msix *m = &dev->msix;
	uint64_t off = 0;
	bool inside;
	int bir;

	if (!m->pos)
		return 0;
	bir = trap_bar(dev, gpa);
	if (bir < 0)
		return 0;
	/* Outside the BAR (before its start on its first page, past its end): adjacent()
	 * answers those bytes all-ones and drops them. */
	inside = bar_offset(&dev->bar[bir], gpa, len, &off);
	vpci_dev_lock(dev);
	if (!m->exposed)
		; /* hidden MSI-X: its pages read all-ones and drop writes */
	else if (inside && in_region(dev, (unsigned)bir, off, off) &&
		 ((unsigned)bir == m->tbir || (unsigned)bir == m->pbir) &&
		 in_region(dev, (unsigned)bir, off + len - 1, off + len - 1))
		trapped(dev, (unsigned)bir, off, len, val, write);
	else
		adjacent(dev, (unsigned)bir, gpa, len, val, write);
	vpci_dev_unlock(dev);
	return 1;
}
