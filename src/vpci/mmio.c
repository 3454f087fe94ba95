/* SPDX-License-Identifier: MIT */
/*
 * vpci mmio: the guest-physical entry point. An access is, in this order, an ECAM access
 * (inside the domain's ECAM window), an access to the pages of an MSI-X table or PBA
 * (emulated by msix.c), an access to a mapped BAR frame, forwarded to the device at the
 * same BAR offset (what the p2m would give the guest on real hardware, and what lets a
 * guest process on the local platform reach its device), or an access to a page a BAR
 * only partly covers (never mapped: forwarded inside the BAR, all-ones / dropped on the
 * rest of the page). Anything else is -ENXIO for the caller to answer. The domain lock is taken for reading; which BARs are mapped can only
 * change under it taken for writing.
 */
#include <errno.h>

#include "vpci_int.h"

static uint64_t ones(unsigned len)
{
	return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

/* One access to BAR idx at off; the device takes naturally aligned accesses, so an
 * unaligned one is split into bytes. */
static int bar_access(struct pvpci_source *src, unsigned idx, uint64_t off, unsigned len,
		      uint64_t *val, bool write)
{
	uint64_t out = 0, b;
	int rc;

	if (!(off & (len - 1)))
		return write ? pvpci_source_bar_write(src, idx, off, len, *val) :
			       pvpci_source_bar_read(src, idx, off, len, val);
	for (unsigned k = 0; k < len; k++) {
		if (write)
			rc = pvpci_source_bar_write(src, idx, off + k, 1, (*val >> (8 * k)) & 0xff);
		else
			rc = pvpci_source_bar_read(src, idx, off + k, 1, &b);
		if (rc)
			return rc;
		if (!write)
			out |= (b & 0xff) << (8 * k);
	}
	if (!write)
		*val = out;
	return 0;
}

/* [gpa, gpa + len) lies inside the BAR's guest range (no wrap: len <= size checked
 * before size - len is formed). */
static bool in_bar(const struct vpci_bar *b, uint64_t gpa, unsigned len)
{
	uint64_t off;

	if (gpa < b->guest_addr)
		return false;
	off = gpa - b->guest_addr;
	return len <= b->size && off <= b->size - len;
}

/* An access inside BAR i of dev (in_bar checked): forwarded, ROM writes dropped. */
static void forward(struct vpci_dev *dev, unsigned i, uint64_t gpa, unsigned len,
		    uint64_t *val, bool write)
{
	const struct vpci_bar *b = &dev->bar[i];
	int rc;

	vpci_dev_lock(dev);
	if (write && b->type == PVPCI_BAR_ROM)
		rc = 0; /* read-only memory */
	else
		rc = bar_access(dev->src, i, gpa - b->guest_addr, len, val, write);
	vpci_dev_unlock(dev);
	if (rc && !write)
		*val = ones(len);
}

/* A mapped BAR frame: forward to the device. 1 if handled. */
static int direct(struct vpci_dev *dev, uint64_t gpa, unsigned len, uint64_t *val,
		  bool write)
{
	for (unsigned i = 0; i < VPCI_NSLOTS; i++) {
		const struct vpci_bar *b = &dev->bar[i];

		if (!b->mapped || !in_bar(b, gpa, len))
			continue;
		if (!pvpci_rangeset_contains(&b->frames, VPCI_PFN(gpa), VPCI_PFN(gpa + len - 1)))
			continue;
		forward(dev, i, gpa, len, val, write);
		return 1;
	}
	return 0;
}

/* The device (and *idx its BAR) whose BAR holds [gpa, gpa + len) on a page that BAR only
 * partly covers (trapped, never mapped); NULL if none. */
static struct vpci_dev *trap_target(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len,
				    unsigned *idx)
{
	for (unsigned k = 0; k < 256; k++) {
		struct vpci_dev *dev = d->dev[k];

		if (!dev || !(d->slots_used & (1u << (k >> 3))))
			continue;
		for (unsigned i = 0; i < VPCI_NSLOTS; i++) {
			const struct vpci_bar *b = &dev->bar[i];

			if (in_bar(b, gpa, len) && vpci_bar_trap_page(b, VPCI_PFN(gpa)) &&
			    vpci_bar_trap_page(b, VPCI_PFN(gpa + len - 1))) {
				*idx = i;
				return dev;
			}
		}
	}
	return NULL;
}

/* True if some mapped BAR of the domain only partly covers guest page gfn. */
static bool trap_page(struct pvpci_vpci_domain *d, uint64_t gfn)
{
	for (unsigned k = 0; k < 256; k++) {
		struct vpci_dev *dev = d->dev[k];

		if (!dev || !(d->slots_used & (1u << (k >> 3))))
			continue;
		for (unsigned i = 0; i < VPCI_NSLOTS; i++)
			if (vpci_bar_trap_page(&dev->bar[i], gfn))
				return true;
	}
	return false;
}

/* A page a BAR only partly covers (a BAR under a page): its host page may hold another
 * device's registers, so it is trapped, never mapped. Accesses inside a BAR there are
 * forwarded to its device; the rest of the page reads all-ones and drops writes (byte by
 * byte for an access only partly inside). 1 if handled. */
static int trapped(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len, uint64_t *val,
		   bool write)
{
	struct vpci_dev *dev;
	uint64_t out = 0, v;
	unsigned i;

	dev = trap_target(d, gpa, len, &i);
	if (dev) {
		forward(dev, i, gpa, len, val, write);
		return 1;
	}
	if (!trap_page(d, VPCI_PFN(gpa)) && !trap_page(d, VPCI_PFN(gpa + len - 1)))
		return 0;
	for (unsigned k = 0; k < len; k++) {
		v = write ? (*val >> (8 * k)) & 0xff : 0xff;
		dev = trap_target(d, gpa + k, 1, &i);
		if (dev)
			forward(dev, i, gpa + k, 1, &v, write);
		out |= (v & 0xff) << (8 * k);
	}
	if (!write)
		*val = out;
	return 1;
}

static int mmio(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len, uint64_t *val,
		bool write)
{
	int rc = -ENXIO;

	vpci_rdlock(d);
	for (unsigned pass = 0; pass < 2 && rc; pass++)
		for (unsigned s = 0; s < PVPCI_VPCI_SLOTS && rc; s++) {
			if (!(d->slots_used & (1u << s)))
				continue;
			for (unsigned fn = 0; fn < 8 && rc; fn++) {
				struct vpci_dev *dev = d->dev[PVPCI_DEVFN(s, fn)];

				if (!dev)
					continue;
				if (pass == 0 ? vpci_msix_mmio(dev, gpa, len, val, write) :
						direct(dev, gpa, len, val, write))
					rc = 0;
			}
		}
	if (rc && trapped(d, gpa, len, val, write))
		rc = 0;
	vpci_unlock(d);
	return rc;
}

static bool len_ok(uint64_t gpa, unsigned len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) && gpa <= UINT64_MAX - (len - 1);
}

int pvpci_vpci_mmio_read(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len,
			 uint64_t *val)
{
	*val = ones(len);
	if (!len_ok(gpa, len))
		return -EINVAL;
	if (gpa >= d->ecam_base && gpa - d->ecam_base < d->ecam_size)
		return pvpci_vpci_ecam_read(d, gpa - d->ecam_base, len, val);
	if (atomic_load_explicit(&d->crashed, memory_order_relaxed))
		return 0;
	return mmio(d, gpa, len, val, false);
}

int pvpci_vpci_mmio_write(struct pvpci_vpci_domain *d, uint64_t gpa, unsigned len,
			  uint64_t val)
{
	if (!len_ok(gpa, len))
		return -EINVAL;
	val &= ones(len);
	if (gpa >= d->ecam_base && gpa - d->ecam_base < d->ecam_size)
		return pvpci_vpci_ecam_write(d, gpa - d->ecam_base, len, val);
	if (atomic_load_explicit(&d->crashed, memory_order_relaxed))
		return 0;
	return mmio(d, gpa, len, &val, true);
}
