/* SPDX-License-Identifier: MIT */
/*
 * vpci domain: a guest's vPCI state. Lifecycle (create / destroy), assign / deassign /
 * reset of devices on the virtual bus 0000:00 (32 slots; the functions of one physical
 * slot share a guest slot and keep their function number). Locking: the domain's read /
 * write lock protects which devices exist; each device's mutex protects its state.
 * Assign, deassign and reset take the domain lock for writing, so no access (access.c,
 * mmio.c) can be inside a device while it goes away.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vpci_int.h"

void vpci_rl(struct vpci_dev *dev, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pvpci_logf_rl(&dev->log, &dev->rl, PVPCI_LOG_WARNING, "%s", msg);
}

void vpci_crash(struct vpci_dev *dev, const char *why)
{
	struct pvpci_vpci_domain *d = dev->dom;

	pvpci_logf(&dev->log, PVPCI_LOG_ERR, "crashing the guest: %s", why);
	if (!atomic_exchange(&d->crashed, true) && d->ops.crash)
		d->ops.crash(d->opaque, why);
}

int pvpci_vpci_domain_create(const struct pvpci_vpci_domain_opts *o,
			     struct pvpci_vpci_domain **out)
{
	struct pvpci_vpci_domain *d;
	const struct pvpci_vpci_ops *ops;

	*out = NULL;
	if (!o || !o->ops)
		return -EINVAL;
	ops = o->ops;
	if (!ops->map || !ops->unmap || !ops->irq_bind || !ops->irq_unbind || !ops->irq_mask)
		return -EINVAL;
	if ((o->ecam_size & 0xfffff) || o->ecam_size > PVPCI_VPCI_ECAM_SIZE ||
	    (o->ecam_base & 0xfffff) || (o->nwindows && !o->windows))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (o->nwindows) {
		d->windows = calloc(o->nwindows, sizeof(*d->windows));
		if (!d->windows) {
			free(d);
			return -ENOMEM;
		}
		memcpy(d->windows, o->windows, o->nwindows * sizeof(*d->windows));
		d->nwindows = o->nwindows;
	}
	if (pthread_rwlock_init(&d->lock, NULL)) {
		free(d->windows);
		free(d);
		return -ENOMEM;
	}
	d->domid = o->domid;
	d->single = o->single_thread;
	d->ops = *ops;
	d->opaque = o->opaque;
	d->ecam_base = o->ecam_base ? o->ecam_base : PVPCI_VPCI_ECAM_BASE;
	d->ecam_size = o->ecam_size ? o->ecam_size : PVPCI_VPCI_ECAM_SIZE;
	atomic_init(&d->crashed, false);
	pvpci_log_init(&d->log, o->log, "d%u vpci", o->domid);
	*out = d;
	return 0;
}

unsigned pvpci_vpci_domid(const struct pvpci_vpci_domain *d)
{
	return d->domid;
}

bool pvpci_vpci_crashed(const struct pvpci_vpci_domain *d)
{
	return atomic_load(&((struct pvpci_vpci_domain *)d)->crashed);
}

static void dev_irq(void *opaque, enum pvpci_irq_kind kind, unsigned vector)
{
	struct vpci_dev *dev = opaque;

	if (kind == PVPCI_IRQ_MSI)
		vpci_msi_irq(dev, vector);
	else if (kind == PVPCI_IRQ_MSIX)
		vpci_msix_irq(dev, vector);
	/* INTx is not routed to vPCI guests (see docs/VPCI.md). */
}

/* Tears the guest view down and leaves the device quiet: vectors unbound, MSI / MSI-X
 * off, BARs unmapped, decoding off. The device must be unreachable (domain lock held for
 * writing). */
static void dev_teardown(struct vpci_dev *dev)
{
	vpci_msi_fini(dev);
	vpci_msix_fini(dev);
	vpci_bars_fini(dev);
	if (dev->regs) {
		uint32_t cmd;

		/* Leave decoding and bus mastering off, as the device was given. */
		if (!pvpci_source_cfg_read(dev->src, PCI_REG_COMMAND, 2, &cmd) &&
		    (cmd & (PCI_CMD_DECODE | PCI_CMD_MASTER)) &&
		    pvpci_source_cfg_write(dev->src, PCI_REG_COMMAND, 2,
					   cmd & ~(PCI_CMD_DECODE | PCI_CMD_MASTER)))
			pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "cannot turn decoding off");
	}
	pvpci_regs_destroy(dev->regs);
	dev->regs = NULL;
}

/* Builds the guest view from the device's current state. */
static int dev_setup(struct vpci_dev *dev)
{
	int rc;

	rc = pvpci_regs_create(PCIE_CFG_SIZE, NULL, dev, &dev->regs);
	if (rc)
		return rc;
	dev->ncaps = 0;
	memset(&dev->msi, 0, sizeof(dev->msi));
	atomic_init(&dev->msi.base, -1);
	atomic_init(&dev->msi.bound, 0u);
	memset(&dev->msix, 0, sizeof(dev->msix));
	memset(dev->bar, 0, sizeof(dev->bar));
	dev->bars_mapped = false;
	rc = vpci_header_init(dev);
	if (rc)
		dev_teardown(dev);
	return rc;
}

static void dev_free(struct vpci_dev *dev)
{
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* Guest slot for a function of physical slot (seg, bus, dev): its siblings' slot, the
 * asked one, or the first free one. */
static int pick_slot(struct pvpci_vpci_domain *d, struct pvpci_sbdf host, int vslot)
{
	struct pvpci_sbdf phys = host;
	unsigned s;

	phys.fn = 0;
	for (s = 0; s < PVPCI_VPCI_SLOTS; s++)
		if ((d->slots_used & (1u << s)) && pvpci_sbdf_eq(d->slot_owner[s], phys)) {
			if (vslot >= 0 && (unsigned)vslot != s)
				return -EBUSY;
			return (int)s;
		}
	if (vslot >= PVPCI_VPCI_SLOTS)
		return -EINVAL;
	if (vslot >= 0)
		return (d->slots_used & (1u << vslot)) ? -EBUSY : vslot;
	for (s = 0; s < PVPCI_VPCI_SLOTS; s++)
		if (!(d->slots_used & (1u << s)))
			return (int)s;
	return -ENOSPC;
}

static bool src_assigned(const struct pvpci_vpci_domain *d, const struct pvpci_source *src)
{
	for (unsigned i = 0; i < 256; i++)
		if (d->dev[i] && d->dev[i]->src == src)
			return true;
	return false;
}

static int assign_locked(struct pvpci_vpci_domain *d, struct pvpci_source *src,
			 const struct pvpci_vpci_assign_opts *o, struct pvpci_sbdf *guest)
{
	struct pvpci_sbdf host = pvpci_source_sbdf(src);
	char gs[PVPCI_SBDF_STRLEN], hs[PVPCI_SBDF_STRLEN];
	struct vpci_dev *dev;
	int slot, rc;

	if (atomic_load(&d->crashed))
		return -EIO;
	if (src_assigned(d, src))
		return -EBUSY;
	slot = pick_slot(d, host, o ? o->vslot : -1);
	if (slot < 0)
		return slot;
	if (d->dev[PVPCI_DEVFN(slot, host.fn)])
		return -EEXIST;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	if (pthread_mutex_init(&dev->lock, NULL)) {
		free(dev);
		return -ENOMEM;
	}
	dev->dom = d;
	dev->src = src;
	dev->host = host;
	dev->guest = (struct pvpci_sbdf){ 0, 0, (uint8_t)slot, host.fn };
	dev->devfn = PVPCI_DEVFN(slot, host.fn);
	dev->expose_pcie = o && o->expose_pcie;
	dev->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_log_init(&dev->log, &d->log, "d%u %s (%s)", d->domid,
		       pvpci_sbdf_str(dev->guest, gs), pvpci_sbdf_str(host, hs));
	rc = dev_setup(dev);
	if (rc) {
		pvpci_logf(&dev->log, PVPCI_LOG_ERR, "assign failed: %s", pvpci_errname(rc));
		dev_free(dev);
		return rc;
	}
	d->dev[dev->devfn] = dev;
	d->regs[dev->devfn] = dev->regs;
	host.fn = 0;
	d->slot_owner[slot] = host;
	d->slots_used |= 1u << slot;
	pvpci_source_set_irq_handler(src, dev_irq, dev);
	pvpci_logf(&dev->log, PVPCI_LOG_INFO, "assigned");
	if (guest)
		*guest = dev->guest;
	return 0;
}

int pvpci_vpci_assign(struct pvpci_vpci_domain *d, struct pvpci_source *src,
		      const struct pvpci_vpci_assign_opts *o, struct pvpci_sbdf *guest)
{
	int rc;

	if (!d || !src)
		return -EINVAL;
	vpci_wrlock(d);
	rc = assign_locked(d, src, o, guest);
	vpci_unlock(d);
	return rc;
}

static struct vpci_dev *lookup(const struct pvpci_vpci_domain *d, struct pvpci_sbdf g)
{
	if (g.seg || g.bus || g.dev >= PVPCI_VPCI_SLOTS || g.fn > 7)
		return NULL;
	return d->dev[PVPCI_DEVFN(g.dev, g.fn)];
}

static void unpublish(struct pvpci_vpci_domain *d, struct vpci_dev *dev)
{
	unsigned slot = dev->guest.dev, fn;

	d->dev[dev->devfn] = NULL;
	d->regs[dev->devfn] = NULL;
	for (fn = 0; fn < 8; fn++)
		if (d->dev[PVPCI_DEVFN(slot, fn)])
			return;
	d->slots_used &= ~(1u << slot);
}

int pvpci_vpci_deassign(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest)
{
	struct vpci_dev *dev;

	vpci_wrlock(d);
	dev = lookup(d, guest);
	if (!dev) {
		vpci_unlock(d);
		return -ENODEV;
	}
	unpublish(d, dev);
	pvpci_source_set_irq_handler(dev->src, NULL, NULL);
	dev_teardown(dev);
	pvpci_logf(&dev->log, PVPCI_LOG_INFO, "deassigned");
	vpci_unlock(d);
	dev_free(dev);
	return 0;
}

int pvpci_vpci_reset(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest,
		     enum pvpci_reset_kind kind)
{
	struct vpci_dev *dev;
	int rc, rrc;

	vpci_wrlock(d);
	dev = lookup(d, guest);
	if (!dev) {
		vpci_unlock(d);
		return -ENODEV;
	}
	pvpci_source_set_irq_handler(dev->src, NULL, NULL);
	dev_teardown(dev);
	rrc = pvpci_source_reset(dev->src, kind);
	if (rrc)
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "reset: %s", pvpci_errname(rrc));
	/* Whether or not the reset worked, the view is rebuilt from what the device holds. */
	rc = dev_setup(dev);
	if (rc) {
		/* The view cannot be rebuilt: the device leaves the guest. */
		unpublish(d, dev);
		vpci_unlock(d);
		dev_free(dev);
		return rc;
	}
	d->regs[dev->devfn] = dev->regs;
	pvpci_source_set_irq_handler(dev->src, dev_irq, dev);
	vpci_unlock(d);
	return rrc;
}

void pvpci_vpci_domain_destroy(struct pvpci_vpci_domain *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < 256; i++) {
		struct vpci_dev *dev = d->dev[i];

		if (!dev)
			continue;
		if (pvpci_vpci_deassign(d, dev->guest))
			pvpci_logf(&d->log, PVPCI_LOG_WARNING, "deassign failed");
	}
	pthread_rwlock_destroy(&d->lock);
	free(d->windows);
	free(d);
}

int pvpci_vpci_for_each_dev(struct pvpci_vpci_domain *d, pvpci_vpci_dev_fn fn, void *arg)
{
	int rc = 0;

	vpci_rdlock(d);
	for (unsigned i = 0; i < 256 && !rc; i++)
		if (d->dev[i])
			rc = fn(arg, d->dev[i]->guest, d->dev[i]->src);
	vpci_unlock(d);
	return rc;
}
