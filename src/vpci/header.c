/* SPDX-License-Identifier: MIT */
/*
 * vpci header: the guest's view of the config header and of the capability list. The
 * identification registers are read once from the device and answered from the cache;
 * COMMAND is a virtual copy whose decode bit drives the mapping and whose MASTER / SPECIAL /
 * INVALIDATE / VGA_PALETTE / INTX_DISABLE bits reach the device; Status is read from the
 * device with RO / RW1C / RsvdZ masks (CAP_LIST hidden when no capability is shown); the
 * capability pointer and each shown capability's Next byte are rebuilt to skip hidden
 * capabilities; the extended list is empty; BIST reads 0 (as a gap it would read "self-test
 * running"). Everything else is a gap.
 */
#include <errno.h>
#include <string.h>

#include "vpci_int.h"

/* COMMAND bits a guest cannot change: they read 0 and keep the device's value. */
#define CMD_RSVDP (PCI_CMD_RSVDP_MASK | PCI_CMD_IO | PCI_CMD_PARITY | PCI_CMD_WAIT | \
		   PCI_CMD_SERR | PCI_CMD_FAST_BACK)
/* COMMAND bits the guest drives on the device (decoding follows the mapping). */
#define CMD_TO_DEVICE (PCI_CMD_MASTER | PCI_CMD_SPECIAL | PCI_CMD_INVALIDATE | \
		       PCI_CMD_VGA_PALETTE | PCI_CMD_INTX_DISABLE)
/* Cleared in the guest's first view. */
#define CMD_GUEST_RESET (PCI_CMD_VGA_PALETTE | PCI_CMD_INVALIDATE | PCI_CMD_SPECIAL | \
			 PCI_CMD_MASTER | PCI_CMD_MEMORY | PCI_CMD_IO)

static int cached_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = *(const uint32_t *)data;
	return 0;
}

static int zero_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = 0;
	return 0;
}

int vpci_cmd_sync(struct vpci_dev *dev)
{
	uint16_t v = (uint16_t)((dev->host_cmd & ~(CMD_TO_DEVICE | PCI_CMD_DECODE)) |
				(dev->guest_cmd & CMD_TO_DEVICE) |
				(dev->bars_mapped ? PCI_CMD_MEMORY : 0));
	int rc;

	if (v == dev->dev_cmd)
		return 0;
	rc = pvpci_source_cfg_write(dev->src, PCI_REG_COMMAND, 2, v);
	if (rc)
		return rc;
	dev->dev_cmd = v;
	return 0;
}

int vpci_intx_disable(struct vpci_dev *dev)
{
	dev->guest_cmd |= PCI_CMD_INTX_DISABLE;
	return vpci_cmd_sync(dev);
}

static int cmd_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	*val = dev->guest_cmd;
	return 0;
}

static int cmd_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	uint16_t cmd = (uint16_t)val;
	bool mem = cmd & PCI_CMD_MEMORY;

	if (dev->msi.enabled || dev->msix.enabled)
		cmd |= PCI_CMD_INTX_DISABLE;
	if (mem != dev->bars_mapped && vpci_modify_bars(dev, mem, false))
		vpci_rl(dev, "memory decoding %s refused", mem ? "on" : "off");
	cmd = (uint16_t)((cmd & ~PCI_CMD_MEMORY) | (dev->bars_mapped ? PCI_CMD_MEMORY : 0));
	dev->guest_cmd = cmd;
	return vpci_cmd_sync(dev);
}

static int status_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	return pvpci_source_cfg_read(dev->src, PCI_REG_STATUS, 2, val);
}

static int status_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	uint32_t clear = val & PCI_STATUS_RW1C_MASK;

	if (!clear)
		return 0;
	return pvpci_source_cfg_write(dev->src, PCI_REG_STATUS, 2, clear);
}

static int cap_ptr_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	*val = dev->ncaps ? dev->caps[0].pos : 0;
	return 0;
}

static int cap_hdr_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct vpci_cap *c = data;

	*val = c->id | (uint32_t)c->next << 8;
	return 0;
}

/* Reads the registers that cannot change into the cache. */
static int read_ids(struct vpci_dev *dev)
{
	struct pvpci_source *s = dev->src;
	int rc;

	rc = pvpci_source_cfg_read(s, PCI_REG_VENDOR_ID, 4, &dev->id);
	if (!rc)
		rc = pvpci_source_cfg_read(s, PCI_REG_REVISION, 4, &dev->class_rev);
	if (!rc)
		rc = pvpci_source_cfg_read(s, PCI_REG_HEADER_TYPE, 1, &dev->hdr_type);
	if (!rc)
		rc = pvpci_source_cfg_read(s, PCI_REG_INTR_PIN, 1, &dev->intr_pin);
	if (!rc && (dev->hdr_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_NORMAL)
		rc = pvpci_source_cfg_read(s, PCI_REG_SUBSYS_VENDOR, 4, &dev->subsys);
	return rc;
}

/* COMMAND: the guest starts with decoding and mastering off; so does the device. */
static int cmd_init(struct vpci_dev *dev)
{
	uint32_t cmd;
	int rc;

	rc = pvpci_source_cfg_read(dev->src, PCI_REG_COMMAND, 2, &cmd);
	if (rc)
		return rc;
	dev->dev_cmd = (uint16_t)cmd;
	dev->host_cmd = (uint16_t)(cmd & ~PCI_CMD_DECODE);
	dev->guest_cmd = (uint16_t)(cmd & ~CMD_GUEST_RESET);
	return vpci_cmd_sync(dev);
}

static int add(struct vpci_dev *dev, const struct pvpci_reg_desc *r)
{
	return pvpci_regs_add(dev->regs, r);
}

static int add_ids(struct vpci_dev *dev, bool type0)
{
	const struct pvpci_reg_desc regs[] = {
		{ .offset = PCI_REG_VENDOR_ID, .size = 4, .read = cached_read, .data = &dev->id },
		{ .offset = PCI_REG_REVISION, .size = 4, .read = cached_read,
		  .data = &dev->class_rev },
		{ .offset = PCI_REG_HEADER_TYPE, .size = 1, .read = cached_read,
		  .data = &dev->hdr_type },
		/* BIST reads 0 (not capable): all-ones would say a self-test is running. */
		{ .offset = PCI_REG_BIST, .size = 1, .read = zero_read },
		{ .offset = PCI_REG_INTR_PIN, .size = 1, .read = cached_read,
		  .data = &dev->intr_pin },
		{ .offset = PCI_REG_SUBSYS_VENDOR, .size = 4, .read = cached_read,
		  .data = &dev->subsys },
	};
	size_t n = type0 ? PVPCI_ARRAY_SIZE(regs) : PVPCI_ARRAY_SIZE(regs) - 1;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = add(dev, &regs[i]);
	return rc;
}

static int add_cmd_status(struct vpci_dev *dev)
{
	uint32_t rsvdp = dev->ncaps ? 0 : PCI_STATUS_CAP_LIST;
	const struct pvpci_reg_desc cmd = {
		.offset = PCI_REG_COMMAND, .size = 2, .read = cmd_read, .write = cmd_write,
		.rsvdp_mask = CMD_RSVDP,
	};
	const struct pvpci_reg_desc status = {
		.offset = PCI_REG_STATUS, .size = 2, .read = status_read, .write = status_write,
		.rw1c_mask = PCI_STATUS_RW1C_MASK, .rsvdz_mask = PCI_STATUS_RSVDZ_MASK,
		.rsvdp_mask = rsvdp,
		.ro_mask = 0xffffu & ~(PCI_STATUS_RW1C_MASK | PCI_STATUS_RSVDZ_MASK | rsvdp),
	};
	int rc;

	rc = add(dev, &cmd);
	return rc ? rc : add(dev, &status);
}

int vpci_header_init(struct vpci_dev *dev)
{
	const struct pvpci_reg_desc cap_ptr = {
		.offset = PCI_REG_CAP_PTR, .size = 1, .read = cap_ptr_read,
	};
	const struct pvpci_reg_desc ext = {
		.offset = PCI_EXT_CAP_START, .size = 4, .read = zero_read,
	};
	unsigned type;
	int rc;

	rc = read_ids(dev);
	if (rc)
		return rc;
	type = dev->hdr_type & PCI_HEADER_TYPE_MASK;
	if (type != PCI_HEADER_TYPE_NORMAL && type != PCI_HEADER_TYPE_BRIDGE) {
		pvpci_logf(&dev->log, PVPCI_LOG_ERR, "header type %u not supported", type);
		return -EOPNOTSUPP;
	}
	dev->nbars = type == PCI_HEADER_TYPE_NORMAL ? PCI_NUM_BARS : 2;
	rc = cmd_init(dev);
	if (!rc)
		rc = add_ids(dev, type == PCI_HEADER_TYPE_NORMAL);
	if (!rc)
		rc = vpci_bars_init(dev);
	if (!rc)
		rc = vpci_caps_init(dev);
	if (!rc)
		rc = add_cmd_status(dev);
	if (!rc)
		rc = add(dev, &cap_ptr);
	if (!rc && pvpci_source_cfg_size(dev->src) == PCIE_CFG_SIZE)
		rc = add(dev, &ext);
	return rc;
}

/* ---- Capabilities ---- */

static int dev_read16(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	return pvpci_source_cfg_read(dev->src, off, 2, val);
}

static int dev_read32(void *ctx, unsigned off, uint32_t *val, void *data)
{
	struct vpci_dev *dev = ctx;

	return pvpci_source_cfg_read(dev->src, off, 4, val);
}

/* The PCI Express capability, read-only: every register reads the device. */
static int pcie_init(struct vpci_dev *dev, unsigned pos)
{
	struct pvpci_reg_desc r = { .offset = pos + 2, .size = 2, .read = dev_read16 };
	uint32_t flags;
	unsigned len, o;
	int rc;

	if (!dev->expose_pcie)
		return -ENODEV;
	rc = pvpci_source_cfg_read(dev->src, pos + PCI_EXP_FLAGS, 2, &flags);
	if (rc)
		return rc;
	len = (flags & 0xf) >= 2 ? 0x3c : 0x24;
	if (pos + len > PCI_CFG_SIZE)
		len = (PCI_CFG_SIZE - pos) & ~3u;
	rc = add(dev, &r);
	if (rc)
		return rc;
	r.size = 4;
	r.read = dev_read32;
	for (o = pos + 4; o < pos + len; o += 4) {
		r.offset = o;
		rc = add(dev, &r);
		if (rc)
			break;
	}
	/* Remove only what was added here: [pos + 2, o). */
	if (rc && pvpci_regs_remove(dev->regs, pos + 2, o - (pos + 2)))
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "PCIe capability cleanup failed");
	return rc;
}

static int msix_init_cap(struct vpci_dev *dev, unsigned pos)
{
	vpci_msix_probe(dev, pos);
	return vpci_msix_init(dev, pos);
}

/* One row per capability a guest may see; an init that fails hides it. */
static const struct {
	uint8_t id;
	const char *name;
	int (*init)(struct vpci_dev *dev, unsigned pos);
} cap_table[] = {
	{ PCI_CAP_ID_MSI, "MSI", vpci_msi_init },
	{ PCI_CAP_ID_MSIX, "MSI-X", msix_init_cap },
	{ PCI_CAP_ID_EXP, "PCI Express", pcie_init },
};

struct walk {
	struct vpci_cap found[VPCI_MAX_CAPS];
	unsigned n;
};

static int src_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	return pvpci_source_cfg_read(opaque, off, size, val);
}

static int visit(void *arg, unsigned pos, unsigned id)
{
	struct walk *w = arg;

	if (w->n == VPCI_MAX_CAPS)
		return 1;
	w->found[w->n].pos = pos;
	w->found[w->n].id = (uint8_t)id;
	w->n++;
	return 0;
}

static bool seen(const struct vpci_dev *dev, uint8_t id)
{
	for (unsigned i = 0; i < dev->ncaps; i++)
		if (dev->caps[i].id == id)
			return true;
	return false;
}

int vpci_caps_init(struct vpci_dev *dev)
{
	struct pvpci_reg_desc hdr = { .size = 2, .read = cap_hdr_read };
	struct walk w = { .n = 0 };
	unsigned i, t;
	int rc;

	if (pvpci_cap_walk(src_read, dev->src, PCI_CFG_SIZE, false, visit, &w) == -ELOOP)
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "capability list loops");
	for (i = 0; i < w.n; i++) {
		for (t = 0; t < PVPCI_ARRAY_SIZE(cap_table); t++)
			if (cap_table[t].id == w.found[i].id)
				break;
		/* Hidden: unknown, or a second capability of a kind already shown. */
		if (t == PVPCI_ARRAY_SIZE(cap_table) || seen(dev, w.found[i].id))
			continue;
		rc = cap_table[t].init(dev, w.found[i].pos);
		if (rc) {
			if (rc != -ENODEV || w.found[i].id != PCI_CAP_ID_EXP)
				pvpci_logf(&dev->log, PVPCI_LOG_INFO, "%s capability hidden: %s",
					   cap_table[t].name, pvpci_errname(rc));
			continue;
		}
		dev->caps[dev->ncaps++] = w.found[i];
	}
	for (i = 0; i < dev->ncaps; i++) {
		dev->caps[i].next = i + 1 < dev->ncaps ? (uint8_t)dev->caps[i + 1].pos : 0;
		hdr.offset = dev->caps[i].pos;
		hdr.data = &dev->caps[i];
		rc = add(dev, &hdr);
		if (rc)
			return rc;
	}
	return 0;
}
