/* SPDX-License-Identifier: MIT */
/*
 * vpci bars: the guest's BARs and the mapping they drive. Each BAR has a guest address
 * apart from the host one: a write merges into it and is then aligned down to the BAR's
 * size, so "write all-ones, read back" sizes it as on hardware, and the host BAR is never
 * written. A write to a BAR while it is mapped is ignored (as upstream). When memory
 * decoding goes on, each memory BAR's guest frames wholly inside it are collected in its
 * rangeset (a page it only partly covers is trapped by mmio.c, never mapped), minus
 * the pages of the MSI-X table and PBA, minus frames of the device's earlier BARs, minus
 * the enabled BARs of the domain's other devices, and mapped page by page to the host
 * frames at the same offset through the platform's map op; going off unmaps exactly what
 * was mapped. A failed map unmaps the device, leaves decoding off and crashes the guest.
 */
#include <errno.h>
#include <string.h>

#include "vpci_int.h"

/* Ranges per BAR rangeset: one BAR cut by at most 2 MSI-X holes and 7 BARs of each of 256
 * functions, so the bound is never reached by a valid configuration. */
#define BAR_FRAMES_LIMIT 2048

static bool is_mem(const struct vpci_bar *b)
{
	return b->type == PVPCI_BAR_MEM32 || b->type == PVPCI_BAR_MEM64_LO ||
	       b->type == PVPCI_BAR_ROM;
}

bool vpci_bar_frames(const struct vpci_bar *b, uint64_t *s, uint64_t *e)
{
	if (!is_mem(b) || !b->size)
		return false;
	*s = VPCI_PFN(b->guest_addr);
	*e = VPCI_PFN(b->guest_addr + (b->size - 1));
	return true;
}

bool vpci_bar_whole_frames(const struct vpci_bar *b, uint64_t *s, uint64_t *e)
{
	uint64_t first, end;

	if (!is_mem(b) || !b->size)
		return false;
	/* [first, end): the frames that begin and end inside [guest_addr, guest_addr+size) */
	first = VPCI_PFN(b->guest_addr) + (VPCI_PAGE_OFF(b->guest_addr) ? 1 : 0);
	end = VPCI_PFN(b->guest_addr + (b->size - 1));
	if (VPCI_PAGE_OFF(b->guest_addr + (b->size - 1)) == PVPCI_VPCI_PAGE_SIZE - 1)
		end++;
	if (first >= end)
		return false;
	*s = first;
	*e = end - 1;
	return true;
}

bool vpci_bar_trap_page(const struct vpci_bar *b, uint64_t gfn)
{
	uint64_t s, e;

	if (!b->mapped || !vpci_bar_frames(b, &s, &e) || gfn < s || gfn > e)
		return false;
	return !vpci_bar_whole_frames(b, &s, &e) || gfn < s || gfn > e;
}

/* ---- Guest register view ---- */

static int empty_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = 0;
	return 0;
}

static int mem_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct vpci_bar *b = data;
	uint32_t v = (uint32_t)b->guest_addr & PCI_BAR_MEM_MASK;

	if (b->type == PVPCI_BAR_MEM64_LO)
		v |= PCI_BAR_MEM_TYPE_64;
	if (b->prefetch)
		v |= PCI_BAR_MEM_PREFETCH;
	*val = v;
	return 0;
}

static bool move_refused(struct vpci_dev *dev, const struct vpci_bar *b)
{
	if (!b->mapped)
		return false;
	vpci_rl(dev, "BAR%u write ignored: mapped (memory decoding on)", b->idx);
	return true;
}

static int mem_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_bar *b = data;
	uint64_t ga;

	if (move_refused(ctx, b))
		return 0;
	ga = val & PCI_BAR_MEM_MASK;
	if (b->type == PVPCI_BAR_MEM64_LO)
		ga |= b->guest_addr & ~0xffffffffull;
	b->guest_addr = ga & ~(b->size - 1);
	return 0;
}

/* The upper half of a 64-bit BAR: data is the lower half's BAR. */
static int hi_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct vpci_bar *b = data;

	*val = (uint32_t)(b->guest_addr >> 32);
	return 0;
}

static int hi_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_bar *b = data;
	uint64_t ga;

	if (move_refused(ctx, b))
		return 0;
	ga = (b->guest_addr & 0xffffffffull) | (uint64_t)val << 32;
	b->guest_addr = ga & ~(b->size - 1);
	return 0;
}

static int io_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct vpci_bar *b = data;

	*val = ((uint32_t)b->guest_addr & PCI_BAR_IO_MASK) | PCI_BAR_SPACE_IO;
	return 0;
}

static int io_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_bar *b = data;

	b->guest_addr = (uint64_t)(val & PCI_BAR_IO_MASK) & ~(b->size - 1);
	return 0;
}

static int rom_read(void *ctx, unsigned off, uint32_t *val, void *data)
{
	const struct vpci_bar *b = data;

	*val = ((uint32_t)b->guest_addr & PCI_ROM_ADDR_MASK) | (b->rom_enabled ? 1 : 0);
	return 0;
}

static int rom_write(void *ctx, unsigned off, uint32_t val, void *data)
{
	struct vpci_dev *dev = ctx;
	struct vpci_bar *b = data;
	uint64_t ga = (uint64_t)(val & PCI_ROM_ADDR_MASK) & ~(b->size - 1);
	bool en = val & PCI_ROM_ENABLE;

	if (b->mapped && ga != b->guest_addr) {
		vpci_rl(dev, "ROM write ignored: mapped");
		return 0;
	}
	b->guest_addr = ga;
	b->rom_enabled = en;
	if (dev->bars_mapped && en != b->mapped && vpci_modify_bars(dev, en, true))
		vpci_rl(dev, "ROM %s refused", en ? "mapping" : "unmapping");
	return 0;
}

/* ---- Setup ---- */

static bool pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* The smallest size PCI allows for a BAR of this type (I/O 4 bytes, memory 16, ROM 2K). */
static uint64_t min_size(enum pvpci_bar_type t)
{
	return t == PVPCI_BAR_IO ? 4 : t == PVPCI_BAR_ROM ? 0x800 : 16;
}

/* Reads what the host knows of slot i into dev->bar[i], dropping what makes no sense. */
static void bar_load(struct vpci_dev *dev, unsigned i)
{
	struct vpci_bar *b = &dev->bar[i];
	struct pvpci_bar_info info;

	memset(b, 0, sizeof(*b));
	b->idx = i;
	pvpci_rangeset_init(&b->frames, BAR_FRAMES_LIMIT);
	if (pvpci_source_bar_info(dev->src, i, &info))
		return;
	if (info.type == PVPCI_BAR_EMPTY || !info.size)
		return;
	if (info.type != PVPCI_BAR_MEM64_HI && info.size < min_size(info.type)) {
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING,
			   "BAR%u: size 0x%llx below the minimum (0x%llx), shown empty", i,
			   (unsigned long long)info.size,
			   (unsigned long long)min_size(info.type));
		return;
	}
	if (!pow2(info.size) || (info.type == PVPCI_BAR_MEM32 && info.size > (1ull << 32)) ||
	    (info.type == PVPCI_BAR_IO && info.size > (1ull << 16)) ||
	    (i == PCI_ROM_SLOT) != (info.type == PVPCI_BAR_ROM) ||
	    (info.type == PVPCI_BAR_MEM64_LO && i + 1 >= dev->nbars) ||
	    (info.type == PVPCI_BAR_MEM64_HI &&
	     (i == 0 || dev->bar[i - 1].type != PVPCI_BAR_MEM64_LO))) {
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "BAR%u: bad type / size, shown empty", i);
		return;
	}
	b->type = info.type;
	b->prefetch = info.prefetchable;
	b->addr = info.addr;
	b->size = info.type == PVPCI_BAR_MEM64_HI ? 0 : info.size;
}

static int bar_handler(struct vpci_dev *dev, unsigned i)
{
	struct vpci_bar *b = &dev->bar[i];
	struct pvpci_reg_desc r = { .size = 4, .data = b };

	r.offset = i == PCI_ROM_SLOT ? ((dev->hdr_type & PCI_HEADER_TYPE_MASK) ?
					PCI_REG_ROM_BRIDGE : PCI_REG_ROM) : PCI_REG_BAR0 + 4 * i;
	switch (b->type) {
	case PVPCI_BAR_IO:
		r.read = io_read;
		r.write = io_write;
		break;
	case PVPCI_BAR_MEM32:
	case PVPCI_BAR_MEM64_LO:
		r.read = mem_read;
		r.write = mem_write;
		break;
	case PVPCI_BAR_MEM64_HI:
		r.read = hi_read;
		r.write = hi_write;
		r.data = &dev->bar[i - 1];
		break;
	case PVPCI_BAR_ROM:
		r.read = rom_read;
		r.write = rom_write;
		break;
	default:
		r.read = empty_read;
		break;
	}
	return pvpci_regs_add(dev->regs, &r);
}

int vpci_bars_init(struct vpci_dev *dev)
{
	unsigned i;
	int rc;

	for (i = 0; i < VPCI_NSLOTS; i++) {
		if (i >= dev->nbars && i != PCI_ROM_SLOT) {
			memset(&dev->bar[i], 0, sizeof(dev->bar[i]));
			dev->bar[i].idx = i;
			pvpci_rangeset_init(&dev->bar[i].frames, BAR_FRAMES_LIMIT);
			continue;
		}
		bar_load(dev, i);
	}
	for (i = 0; i < VPCI_NSLOTS; i++) {
		if (i >= dev->nbars && i != PCI_ROM_SLOT)
			continue;
		rc = bar_handler(dev, i);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- Mapping ---- */

/* The device's ROM enable bit follows the mapping (the address is left as the host set). */
static void rom_decode(struct vpci_dev *dev, bool on)
{
	unsigned off = (dev->hdr_type & PCI_HEADER_TYPE_MASK) ? PCI_REG_ROM_BRIDGE : PCI_REG_ROM;
	uint32_t v;

	if (pvpci_source_cfg_read(dev->src, off, 4, &v))
		return;
	if (!!(v & PCI_ROM_ENABLE) == on)
		return;
	v = on ? v | PCI_ROM_ENABLE : v & ~(uint32_t)PCI_ROM_ENABLE;
	if (pvpci_source_cfg_write(dev->src, off, 4, v))
		pvpci_logf(&dev->log, PVPCI_LOG_WARNING, "cannot set ROM decoding");
}

static int unmap_bar(struct vpci_dev *dev, struct vpci_bar *b)
{
	struct pvpci_vpci_domain *d = dev->dom;
	uint64_t gbase = VPCI_PFN(b->guest_addr), hbase = VPCI_PFN(b->addr);
	int rc = 0, r;

	for (size_t k = 0; k < b->frames.n; k++) {
		const struct pvpci_range *x = &b->frames.r[k];

		r = d->ops.unmap(d->opaque, x->s, hbase + (x->s - gbase), x->e - x->s + 1);
		if (r && !rc)
			rc = r;
	}
	if (rc)
		pvpci_logf(&dev->log, PVPCI_LOG_ERR, "BAR%u: unmap failed: %s", b->idx,
			   pvpci_errname(rc));
	pvpci_rangeset_clear(&b->frames);
	if (b->mapped && b->type == PVPCI_BAR_ROM)
		rom_decode(dev, false);
	b->mapped = false;
	return rc;
}

/* Maps the ranges of b; *done gets how many were mapped. */
static int map_bar(struct vpci_dev *dev, struct vpci_bar *b, size_t *done)
{
	struct pvpci_vpci_domain *d = dev->dom;
	uint64_t gbase = VPCI_PFN(b->guest_addr), hbase = VPCI_PFN(b->addr);
	int rc;

	for (*done = 0; *done < b->frames.n; (*done)++) {
		const struct pvpci_range *x = &b->frames.r[*done];

		rc = d->ops.map(d->opaque, x->s, hbase + (x->s - gbase), x->e - x->s + 1);
		if (rc)
			return rc;
	}
	return 0;
}

static bool in_windows(const struct pvpci_vpci_domain *d, uint64_t s, uint64_t e)
{
	if (!d->nwindows)
		return true;
	for (size_t i = 0; i < d->nwindows; i++)
		if (s >= d->windows[i].s && e <= d->windows[i].e)
			return true;
	return false;
}

/* Frames of b minus the holes and overlaps; `sel` marks this device's BARs being mapped. */
static int collect(struct vpci_dev *dev, unsigned i, const bool *sel)
{
	struct pvpci_vpci_domain *d = dev->dom;
	struct vpci_bar *b = &dev->bar[i];
	struct pvpci_range reg[2];
	uint64_t s, e;
	unsigned n, j, k;
	int rc;

	pvpci_rangeset_clear(&b->frames);
	/* Only frames wholly inside the BAR: a partial page (a BAR under a page) may hold
	 * another device's registers on the host; it is trapped instead (mmio.c). */
	if (!vpci_bar_whole_frames(b, &s, &e))
		return 0;
	rc = pvpci_rangeset_add(&b->frames, s, e);
	n = vpci_msix_regions(dev, i, reg);
	for (k = 0; k < n && !rc; k++)
		rc = pvpci_rangeset_remove(&b->frames, VPCI_PFN(b->guest_addr + reg[k].s),
					   VPCI_PFN(b->guest_addr + reg[k].e));
	for (j = 0; j < VPCI_NSLOTS && !rc; j++)
		if (j != i && ((sel[j] && j < i) || dev->bar[j].mapped) &&
		    vpci_bar_frames(&dev->bar[j], &s, &e))
			rc = pvpci_rangeset_remove(&b->frames, s, e);
	for (k = 0; k < 256 && !rc; k++) {
		struct vpci_dev *o = d->dev[k];

		if (!o || o == dev)
			continue;
		for (j = 0; j < VPCI_NSLOTS && !rc; j++)
			if (o->bar[j].mapped && vpci_bar_frames(&o->bar[j], &s, &e))
				rc = pvpci_rangeset_remove(&b->frames, s, e);
	}
	return rc;
}

/* Which BARs a mapping change concerns, and whether each can be mapped where it is. */
static int select_bars(struct vpci_dev *dev, bool on, bool rom_only, bool *sel)
{
	uint64_t s, e;

	for (unsigned i = 0; i < VPCI_NSLOTS; i++) {
		struct vpci_bar *b = &dev->bar[i];

		sel[i] = false;
		if (!vpci_bar_frames(b, &s, &e) || (rom_only && i != PCI_ROM_SLOT))
			continue;
		if (!on) {
			sel[i] = b->mapped;
			continue;
		}
		if (b->mapped || (b->type == PVPCI_BAR_ROM && !b->rom_enabled))
			continue;
		if (VPCI_PAGE_OFF(b->guest_addr) != VPCI_PAGE_OFF(b->addr)) {
			vpci_rl(dev, "BAR%u: guest 0x%llx and host 0x%llx differ in page offset",
				i, (unsigned long long)b->guest_addr, (unsigned long long)b->addr);
			return -EINVAL;
		}
		if (!in_windows(dev->dom, b->guest_addr, b->guest_addr + (b->size - 1))) {
			vpci_rl(dev, "BAR%u: guest 0x%llx outside the guest's windows", i,
				(unsigned long long)b->guest_addr);
			return -EINVAL;
		}
		sel[i] = true;
	}
	return 0;
}

/* A map failed: unmap everything of the device, decoding off, crash the guest. */
static int map_failed(struct vpci_dev *dev, struct vpci_bar *b, size_t done, int err)
{
	struct pvpci_vpci_domain *d = dev->dom;
	uint64_t gbase = VPCI_PFN(b->guest_addr), hbase = VPCI_PFN(b->addr);
	char why[96];

	for (size_t k = 0; k < done; k++) {
		const struct pvpci_range *x = &b->frames.r[k];

		if (d->ops.unmap(d->opaque, x->s, hbase + (x->s - gbase), x->e - x->s + 1))
			pvpci_logf(&dev->log, PVPCI_LOG_ERR, "BAR%u: rollback unmap failed",
				   b->idx);
	}
	pvpci_rangeset_clear(&b->frames);
	for (unsigned i = 0; i < VPCI_NSLOTS; i++)
		if (dev->bar[i].mapped)
			(void)unmap_bar(dev, &dev->bar[i]);
	dev->bars_mapped = false;
	snprintf(why, sizeof(why), "mapping BAR%u failed: %s", b->idx, pvpci_errname(err));
	vpci_crash(dev, why);
	return -EIO;
}

int vpci_modify_bars(struct vpci_dev *dev, bool on, bool rom_only)
{
	bool sel[VPCI_NSLOTS];
	size_t done;
	unsigned i;
	int rc;

	rc = select_bars(dev, on, rom_only, sel);
	if (rc)
		return rc;
	if (!on) {
		for (i = 0; i < VPCI_NSLOTS; i++)
			if (sel[i] && unmap_bar(dev, &dev->bar[i]) && !rc)
				rc = -EIO;
		if (!rom_only)
			dev->bars_mapped = false;
		if (rc)
			vpci_crash(dev, "unmapping a BAR failed");
		return rc;
	}
	for (i = 0; i < VPCI_NSLOTS; i++) {
		if (!sel[i])
			continue;
		rc = collect(dev, i, sel);
		if (rc)
			return map_failed(dev, &dev->bar[i], 0, rc);
		rc = map_bar(dev, &dev->bar[i], &done);
		if (rc)
			return map_failed(dev, &dev->bar[i], done, rc);
		dev->bar[i].mapped = true;
		if (i == PCI_ROM_SLOT)
			rom_decode(dev, true);
	}
	if (!rom_only)
		dev->bars_mapped = true;
	return 0;
}

void vpci_bars_fini(struct vpci_dev *dev)
{
	for (unsigned i = 0; i < VPCI_NSLOTS; i++) {
		if (dev->bar[i].mapped && unmap_bar(dev, &dev->bar[i]))
			pvpci_logf(&dev->log, PVPCI_LOG_ERR, "BAR%u left mapped", i);
		pvpci_rangeset_fini(&dev->bar[i].frames);
	}
	dev->bars_mapped = false;
}
