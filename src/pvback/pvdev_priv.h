/* SPDX-License-Identifier: MIT */
/*
 * pvback's private header: the per-device state of the PV config-space policy and the
 * helpers its region files (header, BARs, one file per capability, quirks, restore) share.
 * A region describes its registers as a table of pv_field rows relative to its base; the
 * register engine does the splitting and masking, the rows' handlers apply the pciback
 * rules. The xenbus backend (part two of pvback.h) extends struct pvpci_pvdev below.
 */
#ifndef PVPCI_PVBACK_PVDEV_PRIV_H
#define PVPCI_PVBACK_PVDEV_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pvback.h"
#include "pvpci/regs.h"
#include "pvpci/source.h"

/* BAR slots: 0..5, then the ROM (PCI_ROM_SLOT). */
#define PV_NBARS (PCI_NUM_BARS + 1)

/* One BAR (or the ROM) as the guest sees it: always the host's address (pciback). */
struct pv_bar {
	unsigned slot;      /* 0..5 or PCI_ROM_SLOT */
	unsigned reg;       /* config offset of this dword */
	enum pvpci_bar_type type;
	uint32_t val;       /* host address | type bits, what reads return */
	uint32_t len_val;   /* what reads return after a sizing write */
	uint32_t size_mask; /* bits a write may leave 0 and still be a sizing write */
	bool sizing;        /* the guest's last write was a sizing write */
};

/* Capabilities the policy handles (first instance of each, as pciback). */
enum pv_cap {
	PV_CAP_PM = 0,
	PV_CAP_VPD,
	PV_CAP_MSI,
	PV_CAP_MSIX,
	PV_CAP_EXP, /* not mediated: only its control registers are restored on detach */
	PV_NCAPS,
};

/* A register to put back from the pristine snapshot on detach / destroy. Pass 0 runs
 * first (power state), pass 2 the MSI / MSI-X enables, pass 3 COMMAND. */
struct pv_restore {
	uint16_t off;
	uint8_t size;
	uint8_t pass;
	uint32_t skip_mask; /* bits never written back (RW1C status, FLR trigger) */
};
#define PV_MAX_RESTORE 48

struct pvpci_pvdev {
	struct pvpci_source *src;
	struct pvpci_regs *regs;
	struct pvpci_log log;
	unsigned cfg_size;
	uint8_t hdr_type; /* PCI_HEADER_TYPE_NORMAL or _BRIDGE */

	/* Per-guest knobs (cleared by detach). */
	bool permissive;
	bool allow_intr_ctrl;

	/* The device as seized: what restore puts back and what cached fields answer. */
	uint8_t *pristine;

	/* Virtual state. */
	uint16_t guest_cmd; /* the guest's last COMMAND value */
	bool enabled;       /* the host enable path turned decoding on */
	struct pv_bar bars[PV_NBARS];
	unsigned nbars;     /* BARs of this header type (6 or 2) */
	unsigned cap_pos[PV_NCAPS]; /* 0: absent or not handled */
	struct pv_restore restore[PV_MAX_RESTORE];
	unsigned nrestore;

	/* Quirks: a private copy, dropped on detach. */
	struct pvpci_quirk *quirks;
	size_t nquirks;

	/* Accounting of the access in progress and since creation / detach. */
	bool wr_dropped;
	uint64_t dropped;
	struct pvpci_ratelimit rl_ro;    /* "guest wrote read-only field" */
	struct pvpci_ratelimit rl_perm;  /* permissive pass-through writes */
	struct pvpci_ratelimit rl_intr;  /* refused interrupt-control writes */

	/* Part two (xenbus backend) adds its per-device fields below. */
};

/* ---- Register tables ---- */
/* One register of a region, offset relative to the region's base. */
struct pv_field {
	uint16_t off;
	uint8_t size;
	pvpci_reg_read_fn read;
	pvpci_reg_write_fn write;
	uint32_t ro_mask;
	uint32_t rw1c_mask;
	uint32_t rsvdp_mask;
};
/* Adds n rows at base with this handler data; all or nothing (-EEXIST, -EINVAL). */
int pv_add_fields(struct pvpci_pvdev *d, unsigned base, const struct pv_field *f, size_t n,
		  void *data) PVPCI_WUR;
/* Adds a register to the restore list (ignored beyond PV_MAX_RESTORE, logged). */
void pv_restore_add(struct pvpci_pvdev *d, unsigned off, unsigned size, unsigned pass,
		    uint32_t skip_mask);

/* ---- Generic handlers (ctx is the pvdev) ---- */
/* Hardware read of the register's width. */
int pv_read_hw8(void *ctx, unsigned off, uint32_t *val, void *data);
int pv_read_hw16(void *ctx, unsigned off, uint32_t *val, void *data);
int pv_read_hw32(void *ctx, unsigned off, uint32_t *val, void *data);
/* Answered from the pristine snapshot: registers that cannot change (0 device accesses). */
int pv_read_cached8(void *ctx, unsigned off, uint32_t *val, void *data);
int pv_read_cached16(void *ctx, unsigned off, uint32_t *val, void *data);
int pv_read_cached32(void *ctx, unsigned off, uint32_t *val, void *data);
/* Hardware write of the register's width (pass-through). */
int pv_write_hw8(void *ctx, unsigned off, uint32_t val, void *data);
/* Read-only field: the write is dropped, counted and logged (rate-limited). */
int pv_write_drop(void *ctx, unsigned off, uint32_t val, void *data);

/* ---- Device access helpers (log failures; return 0 or a negative errno) ---- */
int pv_hw_read(struct pvpci_pvdev *d, unsigned off, unsigned size, uint32_t *val) PVPCI_WUR;
int pv_hw_write(struct pvpci_pvdev *d, unsigned off, unsigned size, uint32_t val) PVPCI_WUR;
/* Little-endian value of size bytes of the pristine snapshot. */
uint32_t pv_pristine(const struct pvpci_pvdev *d, unsigned off, unsigned size);
/* Marks the access in progress as dropped (counted once per guest access) and logs. */
void pv_drop(struct pvpci_pvdev *d, unsigned off, unsigned size, uint32_t val,
	     const char *why);

/* ---- Regions ---- */
int pv_header_init(struct pvpci_pvdev *d) PVPCI_WUR;
/* Reads the device's COMMAND back into the virtual copy (seize, detach). */
int pv_command_reset(struct pvpci_pvdev *d) PVPCI_WUR;
int pv_bars_init(struct pvpci_pvdev *d) PVPCI_WUR;
void pv_bars_reset(struct pvpci_pvdev *d);
/* Walks the standard capability list of the snapshot and runs the table's inits. */
void pv_caps_init(struct pvpci_pvdev *d);
int pv_cap_pm_init(struct pvpci_pvdev *d, unsigned pos) PVPCI_WUR;
int pv_cap_vpd_init(struct pvpci_pvdev *d, unsigned pos) PVPCI_WUR;
int pv_cap_msi_init(struct pvpci_pvdev *d, unsigned pos) PVPCI_WUR;
int pv_cap_msix_init(struct pvpci_pvdev *d, unsigned pos) PVPCI_WUR;
int pv_cap_exp_init(struct pvpci_pvdev *d, unsigned pos) PVPCI_WUR;
/* PM: clear PME_En in the device (seize). */
int pv_pm_seize(struct pvpci_pvdev *d) PVPCI_WUR;
int pv_quirks_add(struct pvpci_pvdev *d, const struct pvpci_quirk *q, size_t n) PVPCI_WUR;
void pv_quirks_drop(struct pvpci_pvdev *d);

/* ---- Interrupts (intr.c) ---- */
/* Bit set of the interrupt types enabled in the device (pciback reads hardware). */
#define PV_INTR_INTX 1u
#define PV_INTR_MSI 2u
#define PV_INTR_MSIX 4u
int pv_intr_types(struct pvpci_pvdev *d, unsigned *types) PVPCI_WUR;
/* The MSI / MSI-X Message Control rule: allowed = the bits a guest with
 * allow_interrupt_control may change, enable = the enable bit, type = PV_INTR_MSI / _MSIX. */
int pv_intr_ctrl_write(struct pvpci_pvdev *d, unsigned off, uint16_t val, uint16_t allowed,
		       uint16_t enable, unsigned type) PVPCI_WUR;
/* Clears MSI / MSI-X enable in the device (detach). */
int pv_intr_disable_all(struct pvpci_pvdev *d) PVPCI_WUR;

/* ---- Seize / restore (restore.c) ---- */
/* Turn decoding, bus mastering, MSI / MSI-X and PME_En off. */
int pv_seize(struct pvpci_pvdev *d) PVPCI_WUR;
/* Write back every restore-list register that differs from the snapshot. */
int pv_restore_pristine(struct pvpci_pvdev *d) PVPCI_WUR;
/* Put back host-owned state after the device may have reset itself. */
int pv_reconcile(struct pvpci_pvdev *d) PVPCI_WUR;

#endif
