/* SPDX-License-Identifier: MIT */
/*
 * vpci access: the config and ECAM entry points. An access is checked, the guest address
 * becomes an index into the domain's device table (bus 0, segment 0; anything else has no
 * device: reads all-ones, writes dropped), and the device's register engine serves it.
 * Reads and writes that cannot change mappings take the domain lock for reading; COMMAND,
 * BAR and ROM writes take it for writing, because mapping looks at the other devices'
 * BARs; then the device's mutex. A single-thread domain takes no lock. An ECAM access of
 * 8 bytes is two 4-byte accesses.
 */
#include <errno.h>

#include "vpci_int.h"

#define NO_DEV 256u /* an index with no device behind it */

static const uint32_t width_ones[5] = { 0, 0xff, 0xffff, 0, 0xffffffffu };

static inline bool cfg_ok(unsigned reg, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && !(reg & (size - 1)) &&
	       reg < PCIE_CFG_SIZE;
}

static inline unsigned devfn_of(struct pvpci_sbdf g)
{
	if (g.seg || g.bus || g.dev >= PVPCI_VPCI_SLOTS || g.fn > 7)
		return NO_DEV;
	return PVPCI_DEVFN(g.dev, g.fn);
}

/* devfn is at most NO_DEV, whose entries are always NULL. */
static inline struct vpci_dev *dev_at(const struct pvpci_vpci_domain *d, unsigned devfn)
{
	return d->dev[devfn];
}

/* Everything but the single-thread fast path: checks, all-ones for addresses without a
 * device, and the locks of a shared domain. A failed read gives all-ones. */
static __attribute__((noinline)) int cfg_read_slow(struct pvpci_vpci_domain *d,
						   unsigned devfn, unsigned reg,
						   unsigned size, uint32_t *val)
{
	struct vpci_dev *dev;
	int rc = 0;

	if (!cfg_ok(reg, size)) {
		*val = ~0u;
		return -EINVAL;
	}
	*val = width_ones[size];
	if (atomic_load_explicit(&d->crashed, memory_order_relaxed))
		return 0;
	if (d->single) {
		dev = dev_at(d, devfn);
		return dev ? pvpci_regs_read(dev->regs, reg, size, val) : 0;
	}
	pthread_rwlock_rdlock(&d->lock);
	dev = dev_at(d, devfn);
	if (dev) {
		pthread_mutex_lock(&dev->lock);
		rc = pvpci_regs_read(dev->regs, reg, size, val);
		pthread_mutex_unlock(&dev->lock);
	}
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

/* Inlined into each entry point. The hot path of a single-thread domain is one load of the
 * device's register engine and the engine's own call (which checks the access). */
#define HOT static inline __attribute__((always_inline))

HOT int cfg_read_at(struct pvpci_vpci_domain *d, unsigned devfn, unsigned reg, unsigned size,
		    uint32_t *val)
{
	if (d->single) {
		struct pvpci_regs *r = d->regs[devfn];

		if (__builtin_expect(r && !atomic_load_explicit(&d->crashed,
								memory_order_relaxed), 1))
			return pvpci_regs_read(r, reg, size, val);
	}
	return cfg_read_slow(d, devfn, reg, size, val);
}

static inline bool overlaps(unsigned s, unsigned e, unsigned rs, unsigned re)
{
	return s < re && rs < e;
}

/* Writes that may change mappings: COMMAND, the BARs, the ROM of either header type. */
static inline bool write_maps(unsigned reg, unsigned size)
{
	unsigned e = reg + size;

	return overlaps(reg, e, PCI_REG_COMMAND, PCI_REG_COMMAND + 2) ||
	       overlaps(reg, e, PCI_REG_BAR0, PCI_REG_CARDBUS_CIS) ||
	       overlaps(reg, e, PCI_REG_ROM, PCI_REG_ROM + 4) ||
	       overlaps(reg, e, PCI_REG_ROM_BRIDGE, PCI_REG_ROM_BRIDGE + 4);
}

static __attribute__((noinline)) int cfg_write_slow(struct pvpci_vpci_domain *d,
						    unsigned devfn, unsigned reg,
						    unsigned size, uint32_t val)
{
	struct vpci_dev *dev;
	int rc = 0;

	if (!cfg_ok(reg, size))
		return -EINVAL;
	if (atomic_load_explicit(&d->crashed, memory_order_relaxed))
		return 0;
	if (d->single) {
		dev = dev_at(d, devfn);
		return dev ? pvpci_regs_write(dev->regs, reg, size, val) : 0;
	}
	if (write_maps(reg, size))
		pthread_rwlock_wrlock(&d->lock);
	else
		pthread_rwlock_rdlock(&d->lock);
	dev = dev_at(d, devfn);
	if (dev) {
		pthread_mutex_lock(&dev->lock);
		rc = pvpci_regs_write(dev->regs, reg, size, val);
		pthread_mutex_unlock(&dev->lock);
	}
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

HOT int cfg_write_at(struct pvpci_vpci_domain *d, unsigned devfn, unsigned reg, unsigned size,
		     uint32_t val)
{
	if (d->single) {
		struct pvpci_regs *r = d->regs[devfn];

		if (__builtin_expect(r && !atomic_load_explicit(&d->crashed,
								memory_order_relaxed), 1))
			return pvpci_regs_write(r, reg, size, val);
	}
	return cfg_write_slow(d, devfn, reg, size, val);
}

int pvpci_vpci_cfg_read(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest, unsigned reg,
			unsigned size, uint32_t *val)
{
	return cfg_read_at(d, devfn_of(guest), reg, size, val);
}

int pvpci_vpci_cfg_write(struct pvpci_vpci_domain *d, struct pvpci_sbdf guest, unsigned reg,
			 unsigned size, uint32_t val)
{
	return cfg_write_at(d, devfn_of(guest), reg, size, val);
}

/* ---- ECAM ---- */

/* off = bus << 20 | devfn << 12 | reg: the device index (bus 0 only) and the register. */
static inline int ecam_decode(const struct pvpci_vpci_domain *d, uint64_t off, unsigned len,
			      unsigned *devfn, unsigned *reg)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) || (off & (len - 1)) ||
	    off >= d->ecam_size)
		return -EINVAL;
	*reg = (unsigned)(off & 0xfff);
	if (*reg + len > PCIE_CFG_SIZE)
		return -EINVAL;
	*devfn = (off >> 20) ? NO_DEV : (unsigned)(off >> 12) & 0xff;
	return 0;
}

int pvpci_vpci_ecam_read(struct pvpci_vpci_domain *d, uint64_t off, unsigned len,
			 uint64_t *val)
{
	unsigned devfn, reg;
	uint32_t lo, hi;
	int rc;

	*val = ~0ull;
	rc = ecam_decode(d, off, len, &devfn, &reg);
	if (rc)
		return rc;
	if (len < 8) {
		rc = cfg_read_at(d, devfn, reg, len, &lo);
		*val = lo;
		return rc;
	}
	rc = cfg_read_at(d, devfn, reg, 4, &lo);
	if (!rc)
		rc = cfg_read_at(d, devfn, reg + 4, 4, &hi);
	if (rc)
		return rc;
	*val = (uint64_t)hi << 32 | lo;
	return 0;
}

int pvpci_vpci_ecam_write(struct pvpci_vpci_domain *d, uint64_t off, unsigned len,
			  uint64_t val)
{
	unsigned devfn, reg;
	int rc;

	rc = ecam_decode(d, off, len, &devfn, &reg);
	if (rc)
		return rc;
	if (len < 8)
		return cfg_write_at(d, devfn, reg, len, (uint32_t)val);
	rc = cfg_write_at(d, devfn, reg, 4, (uint32_t)val);
	if (!rc)
		rc = cfg_write_at(d, devfn, reg + 4, 4, (uint32_t)(val >> 32));
	return rc;
}
