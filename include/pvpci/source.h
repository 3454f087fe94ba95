/* SPDX-License-Identifier: MIT */
/*
 * pvpci source: where a device's config space and BARs come from, behind one ops table.
 * Every other module touches hardware only through a pvpci_source. Sources: `model` (a
 * device built from an lspci dump plus size lines, behaving like hardware), later `sysfs`
 * (a real device) and `vfio`. A source counts its config accesses so that tests and
 * benchmarks can see what a guest access costs in device accesses.
 */
#ifndef PVPCI_SOURCE_H
#define PVPCI_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"

struct pvpci_source;

enum pvpci_bar_type {
	PVPCI_BAR_EMPTY = 0,
	PVPCI_BAR_IO,
	PVPCI_BAR_MEM32,
	PVPCI_BAR_MEM64_LO,
	PVPCI_BAR_MEM64_HI,
	PVPCI_BAR_ROM,
};

/* What the host knows of one BAR (index 0..5) or the ROM (index PCI_ROM_SLOT): the host
 * address it was given and its size. The upper half of a 64-bit BAR reports MEM64_HI with
 * the same addr and size as its lower half. */
struct pvpci_bar_info {
	enum pvpci_bar_type type;
	bool prefetchable;
	uint64_t addr;
	uint64_t size;
};

enum pvpci_reset_kind {
	PVPCI_RESET_FUNCTION = 0, /* whatever function-level reset the device has (FLR, PM) */
	PVPCI_RESET_FLR,
	PVPCI_RESET_PM,
};

/* Interrupts a device raises towards whoever owns it (INTx, or an MSI / MSI-X vector). */
enum pvpci_irq_kind { PVPCI_IRQ_INTX = 0, PVPCI_IRQ_MSI, PVPCI_IRQ_MSIX };
typedef void (*pvpci_irq_fn)(void *opaque, enum pvpci_irq_kind kind, unsigned vector);

struct pvpci_source_ops {
	const char *name;
	int (*cfg_read)(struct pvpci_source *s, unsigned off, unsigned size, uint32_t *val);
	int (*cfg_write)(struct pvpci_source *s, unsigned off, unsigned size, uint32_t val);
	int (*bar_info)(struct pvpci_source *s, unsigned idx, struct pvpci_bar_info *out);
	/* MMIO / port access inside a BAR (offset from the BAR start); optional. */
	int (*bar_read)(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			uint64_t *val);
	int (*bar_write)(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			 uint64_t val);
	int (*reset)(struct pvpci_source *s, enum pvpci_reset_kind kind);
	/* Enable / disable the device the host's way (decode bits from the resources);
	 * optional: the generic path writes COMMAND. */
	int (*enable)(struct pvpci_source *s, bool on);
	void (*close)(struct pvpci_source *s);
};

/* ---- Generic calls (any source) ---- */
/* Config access: size 1, 2 or 4, naturally aligned, inside the config size. Out-of-range
 * or misaligned accesses return -EINVAL without touching the device. */
int pvpci_source_cfg_read(struct pvpci_source *s, unsigned off, unsigned size,
			  uint32_t *val) PVPCI_WUR;
int pvpci_source_cfg_write(struct pvpci_source *s, unsigned off, unsigned size,
			   uint32_t val) PVPCI_WUR;
int pvpci_source_bar_info(struct pvpci_source *s, unsigned idx, struct pvpci_bar_info *out)
	PVPCI_WUR;
/* BAR access: size 1, 2, 4 or 8, naturally aligned, inside the BAR (idx of a BAR's lower
 * half, or PCI_ROM_SLOT); -EINVAL otherwise (empty BAR, upper half of a 64-bit BAR),
 * -EOPNOTSUPP if the source has no BAR access. The model's ROM is read-only (-EPERM). */
int pvpci_source_bar_read(struct pvpci_source *s, unsigned idx, uint64_t off,
			  unsigned size, uint64_t *val) PVPCI_WUR;
int pvpci_source_bar_write(struct pvpci_source *s, unsigned idx, uint64_t off,
			   unsigned size, uint64_t val) PVPCI_WUR;
int pvpci_source_reset(struct pvpci_source *s, enum pvpci_reset_kind kind) PVPCI_WUR;
/* Host "enable device": on sets MEMORY / IO for the resources the device has (never
 * guest-chosen bits); off clears both decode bits. */
int pvpci_source_enable(struct pvpci_source *s, bool on) PVPCI_WUR;
void pvpci_source_close(struct pvpci_source *s);

unsigned pvpci_source_cfg_size(const struct pvpci_source *s); /* 256 or 4096 */
struct pvpci_sbdf pvpci_source_sbdf(const struct pvpci_source *s);
const char *pvpci_source_name(const struct pvpci_source *s); /* "0000:03:00.0" */
const char *pvpci_source_kind(const struct pvpci_source *s); /* ops->name */
const char *pvpci_source_title(const struct pvpci_source *s); /* dump title or "" */
const struct pvpci_log *pvpci_source_log(const struct pvpci_source *s);

/* Config-access counters (accesses that reached the device through the generic calls). */
struct pvpci_source_stats {
	uint64_t cfg_reads;
	uint64_t cfg_writes;
};
void pvpci_source_stats(const struct pvpci_source *s, struct pvpci_source_stats *out);
void pvpci_source_stats_reset(struct pvpci_source *s);

/* Interrupt delivery: the owner registers a callback; sources call it when the device
 * raises an interrupt. */
void pvpci_source_set_irq_handler(struct pvpci_source *s, pvpci_irq_fn fn, void *opaque);

/* Read the device's whole config space (cfg_size bytes) into buf through cfg_read. */
int pvpci_source_snapshot(struct pvpci_source *s, uint8_t *buf, unsigned len) PVPCI_WUR;

/* ---- The model source ---- */
/* A device from a model file: one device of an `lspci -xxx` or `-xxxx` dump plus
 * optional lines "# bar<N> <size>" and "# rom <size>" (hex, a power of two) and
 * "# vpd <hex bytes>", placed after the device's title line (tests/data/README.md). A
 * BAR with no size line is unimplemented if its address is 0, else sized from the
 * address alignment (at most 4K). path may hold several devices; index picks one
 * (0 = first; -ENOENT past the end). log may be NULL. Errors fill err->msg, with
 * "line N: " when a line is at fault. */
int pvpci_model_open(const char *path, size_t index, const struct pvpci_log *log,
		     struct pvpci_source **out, struct pvpci_parse_err *err) PVPCI_WUR;
int pvpci_model_open_text(const char *text, size_t len, size_t index,
			  const struct pvpci_log *log, struct pvpci_source **out,
			  struct pvpci_parse_err *err) PVPCI_WUR;
/* Number of devices in a model file (for multi-function models). */
int pvpci_model_count(const char *path, size_t *n, struct pvpci_parse_err *err) PVPCI_WUR;
/* Make a model device raise an interrupt (INTx: vector ignored). Honours the device's own
 * enables and masks (INTx disable, MSI enable / per-vector mask, MSI-X enable / mask-all /
 * entry mask; a masked MSI / MSI-X vector sets its pending bit instead; INTx is not
 * signalled while MSI or MSI-X is enabled but still sets Status.INTERRUPT; an MSI vector
 * beyond the granted message count is not sent). Returns 1 if delivered, 0 if masked or
 * disabled, -EINVAL on a vector beyond what the device has, -ENODEV if the device lacks
 * that kind (no interrupt pin, no MSI / MSI-X capability). Unmasking a vector whose
 * pending bit is set delivers it then. */
int pvpci_model_raise(struct pvpci_source *s, enum pvpci_irq_kind kind, unsigned vector);
/* True if s is a model source. */
bool pvpci_source_is_model(const struct pvpci_source *s);

/* ---- The sysfs source ---- */
/* A real device through ROOT/BDF/{config,resource,resourceN,enable,reset}. root NULL or
 * "": $PVPCI_SYSFS_ROOT if set, else /sys/bus/pci/devices. bdf: "dddd:bb:dd.f" or
 * "bb:dd.f". Reading config space needs root (256 bytes at least). Constant registers
 * (ids, class, header type, subsystem ids, capability pointer, interrupt pin, capability
 * headers) and the BARs (from `resource`) are read once at open. Every write, BAR access,
 * enable and reset is refused with -EBUSY (and a rate-limited log line naming the driver
 * and how to unbind) while a host driver other than a stub (pciback, pci-stub, vfio-pci)
 * owns the device. */
int pvpci_sysfs_open(const char *bdf, const char *root, const struct pvpci_log *log,
		     struct pvpci_source **out) PVPCI_WUR;
/* The sysfs directory used for root (see above). */
const char *pvpci_sysfs_root(const char *root);
bool pvpci_source_is_sysfs(const struct pvpci_source *s);
/* Name of the driver bound now ("" when unbound). */
int pvpci_sysfs_driver(const struct pvpci_source *s, char *buf, size_t len) PVPCI_WUR;
/* 0 if pvpci may write to the device now, -EBUSY if a host driver owns it; msg (may be
 * NULL) gets a line naming the driver and how to unbind it. */
int pvpci_sysfs_writable(const struct pvpci_source *s, char *msg, size_t len);
/* What reached the device file (config preads / pwrites) and what the cache answered. */
struct pvpci_sysfs_stats {
	uint64_t dev_reads;
	uint64_t dev_writes;
	uint64_t cache_hits;
	uint64_t refused;
};
void pvpci_sysfs_get_stats(const struct pvpci_source *s, struct pvpci_sysfs_stats *out);

#endif
