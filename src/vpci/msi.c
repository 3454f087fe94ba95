/* SPDX-License-Identifier: MIT */
/*
 * vpci msi: the MSI capability for guests. Message Control, address, data and the
 * per-vector mask are virtual. Enabling binds the enabled vectors through the platform
 * (irq_bind with the guest's address and data) and programs the device with the host's
 * message, never the guest's; changing address or data while enabled re-binds; mask
 * changes go to irq_mask and are mirrored on the device (the host owns the mask bits, so a
 * masked vector leaves its pending bit set). Pending bits are read from the device. MSI
 * and MSI-X are never on together; enabling either forces INTX_DISABLE.
 */
#include <errno.h>

#include "vpci_int.h"

#define MSI_CTRL_RO (PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT)
#define MSI_CTRL_RSVDP 0xfe00u

static unsigned reg_data(const struct vpci_msi *m)
{
	return m->pos + (m->is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
}

static unsigned reg_mask(const struct vpci_msi *m)
{
	return m->pos + (m->is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
}

static uint32_t vec_bits(unsigned nvec)
{
	return nvec >= 32 ? ~0u : (1u << nvec) - 1;
}

static int dev_write(struct vpci_dev *dev, unsigned off, unsigned size, uint32_t v)
{
	return pvpci_source_cfg_write(dev->src, off, size, v);
}

/* Program the device with the host's message and enable it for nvec vectors. */
static int msi_program(struct vpci_dev *dev, const struct pvpci_vpci_irq_host *h,
		       unsigned log2n)
{
	struct vpci_msi *m = &dev->msi;
	int rc;

	rc = dev_write(dev, m->pos + PCI_MSI_ADDR_LO, 4, (uint32_t)h->addr);
	if (!rc && m->is64)
		rc = dev_write(dev, m->pos + PCI_MSI_ADDR_HI, 4, (uint32_t)(h->addr >> 32));
	if (!rc)
		rc = dev_write(dev, reg_data(m), 2, h->data & 0xffff);
	if (!rc && m->maskbit)
		rc = dev_write(dev, reg_mask(m), 4, m->mask);
	if (!rc)
		rc = dev_write(dev, m->pos + PCI_MSI_FLAGS, 2,
			       PCI_MSI_FLAGS_ENABLE | (log2n << 4));
	return rc;
}

static void msi_unbind(struct vpci_dev *dev)
{
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_msi *m = &dev->msi;
	int base = atomic_load(&m->base);

	if (base < 0)
		return;
	atomic_store(&m->bound, 0u);
	atomic_store(&m->base, -1);
	if (dev_write(dev, m->pos + PCI_MSI_FLAGS, 2, 0))
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "cannot disable MSI on the device");
	if (d->ops.irq_unbind(d->opaque, base, m->nvec))
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "MSI unbind failed");
	m->nvec = 0;
}

static int msi_bind(struct vpci_dev *dev)
{
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_msi *m = &dev->msi;
	unsigned log2n = m->qsize < m->mmc ? m->qsize : m->mmc;
	struct pvpci_vpci_irq irq = {
		.guest = dev->guest, .host = dev->host, .kind = PVPCI_IRQ_MSI,
		.index = 0, .nvec = 1u << log2n, .addr = m->addr, .data = m->data,
	};
	struct pvpci_vpci_irq_host host = { 0, 0 };
	int h, rc;

	h = d->ops.irq_bind(d->opaque, &irq, &host);
	if (h < 0) {
		vpci_rl(dev, "MSI bind of %u vectors failed: %s", irq.nvec, pvpci_errname(h));
		return h;
	}
	m->nvec = irq.nvec;
	for (unsigned i = 0; i < irq.nvec; i++)
		if ((m->mask >> i) & 1)
			(void)d->ops.irq_mask(d->opaque, h + (int)i, true);
	rc = msi_program(dev, &host, log2n);
	atomic_store(&m->base, h);
	atomic_store(&m->bound, irq.nvec);
	if (rc) {
		msi_unbind(dev);
		return rc;
	}
	return 0;
}

static int ctrl_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;
	const struct vpci_msi *m = &dev->msi;

	*val = (m->enabled ? PCI_MSI_FLAGS_ENABLE : 0) | m->mmc << 1 | m->qsize << 4 |
	       (m->is64 ? PCI_MSI_FLAGS_64BIT : 0) | (m->maskbit ? PCI_MSI_FLAGS_MASKBIT : 0);
	return 0;
}

static int ctrl_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	struct vpci_msi *m = &dev->msi;
	bool en = val & PCI_MSI_FLAGS_ENABLE;
	unsigned q = (val & PCI_MSI_FLAGS_QSIZE) >> 4;

	if (!m->enabled)
		m->qsize = q > m->mmc ? m->mmc : q;
	if (en == m->enabled)
		return 0;
	if (!en) {
		msi_unbind(dev);
		m->enabled = false;
		return 0;
	}
	if (dev->msix.enabled) {
		vpci_rl(dev, "MSI enable refused: MSI-X is enabled");
		return 0;
	}
	if (msi_bind(dev))
		return 0; /* the guest reads the enable bit back as 0 */
	m->enabled = true;
	return vpci_intx_disable(dev);
}

/* Address or data changed while enabled: bind again with the new message. */
static void msi_rebind(struct vpci_dev *dev)
{
	if (!dev->msi.enabled)
		return;
	msi_unbind(dev);
	if (msi_bind(dev))
		vpci_rl(dev, "MSI re-bind failed: vectors left unbound");
}

static int addr_lo_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	*val = (uint32_t)dev->msi.addr;
	return 0;
}

static int addr_lo_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	struct vpci_msi *m = &dev->msi;

	m->addr = (m->addr & ~0xffffffffull) | (val & ~3u);
	msi_rebind(dev);
	return 0;
}

static int addr_hi_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	*val = (uint32_t)(dev->msi.addr >> 32);
	return 0;
}

static int addr_hi_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	struct vpci_msi *m = &dev->msi;

	m->addr = (m->addr & 0xffffffffull) | (uint64_t)val << 32;
	msi_rebind(dev);
	return 0;
}

static int data_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	*val = dev->msi.data;
	return 0;
}

static int data_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;

	dev->msi.data = (uint16_t)val;
	msi_rebind(dev);
	return 0;
}

static int zero_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = 0;
	return 0;
}

static int mask_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	*val = dev->msi.mask;
	return 0;
}

static int mask_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_msi *m = &dev->msi;
	uint32_t changed = (m->mask ^ val) & vec_bits(1u << m->mmc);
	int base = atomic_load(&m->base);

	m->mask = val & vec_bits(1u << m->mmc);
	if (!m->enabled || base < 0 || !changed)
		return 0;
	for (unsigned i = 0; i < m->nvec; i++)
		if ((changed >> i) & 1)
			(void)d->ops.irq_mask(d->opaque, base + (int)i, (m->mask >> i) & 1);
	return dev_write(dev, reg_mask(m), 4, m->mask);
}

static int pending_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	return pvpci_source_cfg_read(dev->src, off, 4, val);
}

int vpci_msi_init(struct vpci_dev *dev, unsigned pos)
{
	struct vpci_msi *m = &dev->msi;
	struct pvpci_reg_desc r[8];
	uint32_t ctrl;
	unsigned n = 0, i;
	int rc;

	rc = pvpci_source_cfg_read(dev->src, pos + PCI_MSI_FLAGS, 2, &ctrl);
	if (rc)
		return rc;
	m->pos = pos;
	m->is64 = ctrl & PCI_MSI_FLAGS_64BIT;
	m->maskbit = ctrl & PCI_MSI_FLAGS_MASKBIT;
	m->mmc = (ctrl & PCI_MSI_FLAGS_QMASK) >> 1;
	if (m->mmc > 5)
		m->mmc = 5;
	r[n++] = (struct pvpci_reg_desc){ .offset = pos + PCI_MSI_FLAGS, .size = 2,
		.read = ctrl_read, .write = ctrl_write, .ro_mask = MSI_CTRL_RO,
		.rsvdp_mask = MSI_CTRL_RSVDP };
	r[n++] = (struct pvpci_reg_desc){ .offset = pos + PCI_MSI_ADDR_LO, .size = 4,
		.read = addr_lo_read, .write = addr_lo_write, .rsvdp_mask = 3 };
	if (m->is64)
		r[n++] = (struct pvpci_reg_desc){ .offset = pos + PCI_MSI_ADDR_HI, .size = 4,
			.read = addr_hi_read, .write = addr_hi_write };
	r[n++] = (struct pvpci_reg_desc){ .offset = reg_data(m), .size = 2,
		.read = data_read, .write = data_write };
	r[n++] = (struct pvpci_reg_desc){ .offset = reg_data(m) + 2, .size = 2,
		.read = zero_read };
	if (m->maskbit) {
		r[n++] = (struct pvpci_reg_desc){ .offset = reg_mask(m), .size = 4,
			.read = mask_read, .write = mask_write,
			.rsvdp_mask = ~vec_bits(1u << m->mmc) };
		r[n++] = (struct pvpci_reg_desc){ .offset = reg_mask(m) + 4, .size = 4,
			.read = pending_read };
	}
	for (i = 0; i < n; i++) {
		rc = r[i].offset + r[i].size > PCI_CFG_SIZE ? -ERANGE :
		     pvpci_regs_add(dev->regs, &r[i]);
		if (rc)
			break;
	}
	if (rc) {
		while (i-- > 0) /* only the ones added */
			if (pvpci_regs_remove(dev->regs, r[i].offset, r[i].size))
				pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "MSI cleanup failed");
		m->pos = 0;
		return rc;
	}
	/* The device starts with MSI off, whatever the host left. */
	if (ctrl & PCI_MSI_FLAGS_ENABLE)
		rc = dev_write(dev, pos + PCI_MSI_FLAGS, 2, ctrl & ~PCI_MSI_FLAGS_ENABLE);
	return rc;
}

void vpci_msi_fini(struct vpci_dev *dev)
{
	if (!dev->msi.pos)
		return;
	msi_unbind(dev);
	dev->msi.enabled = false;
}

void vpci_msi_irq(struct vpci_dev *dev, unsigned vector)
{
	struct pvpci_vpci_domain *d = dev->dom;
	unsigned bound = atomic_load(&dev->msi.bound);
	int base = atomic_load(&dev->msi.base);

	if (base >= 0 && vector < bound && d->ops.irq_fire)
		d->ops.irq_fire(d->opaque, base + (int)vector);
}
