/* SPDX-License-Identifier: MIT */
/*
 * Private parts of the vpci module: the domain (devices by guest devfn, slot ownership,
 * the read / write lock that protects which devices exist), the device (its mutex, its
 * register engine instance, cached identification registers, guest COMMAND, guest BARs
 * with their rangesets, capability list, MSI and MSI-X state) and the calls between the
 * files: domain.c (lifecycle, topology, entry points), header.c (header registers,
 * capability list), bars.c (guest BARs, mapping), msi.c, msix.c (control and table trap).
 */
#ifndef PVPCI_VPCI_INT_H
#define PVPCI_VPCI_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "pvpci/regs.h"
#include "pvpci/vpci.h"

#define VPCI_NSLOTS (PCI_NUM_BARS + 1) /* six BARs and the ROM */
#define VPCI_MAX_CAPS PCI_CAP_WALK_MAX
#define VPCI_PFN(a) ((a) >> PVPCI_VPCI_PAGE_SHIFT)
#define VPCI_PAGE_OFF(a) ((a) & (PVPCI_VPCI_PAGE_SIZE - 1))

struct vpci_dev;

struct vpci_bar {
	enum pvpci_bar_type type;
	bool prefetch;
	unsigned idx;        /* 0..5, PCI_ROM_SLOT for the ROM */
	uint64_t addr;       /* host address */
	uint64_t size;       /* 0: nothing to decode */
	uint64_t guest_addr; /* what the guest programmed (sized like hardware) */
	bool rom_enabled;    /* ROM: the guest's enable bit */
	bool mapped;         /* its frames are in the mapping table */
	/* The guest frames of this BAR that are mapped (or about to be). */
	struct pvpci_rangeset frames;
};

/* An exposed capability: its id and the Next value the guest sees. */
struct vpci_cap {
	unsigned pos;
	uint8_t id;
	uint8_t next;
};

struct vpci_msi {
	unsigned pos;          /* 0: not exposed */
	bool is64, maskbit;
	unsigned mmc;          /* log2 of the vectors the device supports */
	unsigned qsize;        /* log2 of the vectors the guest enabled */
	bool enabled;
	uint64_t addr;
	uint16_t data;
	uint32_t mask;
	unsigned nvec;         /* vectors bound while enabled */
	atomic_int base;       /* first handle, -1 when unbound (read by the irq path) */
	atomic_uint bound;     /* vectors bound (read by the irq path) */
};

struct vpci_msix_entry {
	uint64_t addr;
	uint32_t data;
	bool masked;
	bool updated;
};

struct vpci_msix {
	unsigned pos;          /* capability position, 0: device has none */
	bool exposed;          /* validated and shown to the guest */
	unsigned nent;         /* table size read once from the device */
	unsigned tbir, pbir;
	uint64_t toff, poff;
	uint32_t treg, preg;   /* the Table / PBA registers as read once */
	bool enabled, maskall;
	struct vpci_msix_entry *ent;
	atomic_int *handle;    /* per entry, -1 when unbound (read by the irq path) */
};

struct vpci_dev {
	struct pvpci_vpci_domain *dom;
	struct pvpci_source *src;
	struct pvpci_sbdf host, guest;
	uint8_t devfn;         /* guest devfn on bus 0 */
	struct pvpci_log log;
	struct pvpci_ratelimit rl;
	pthread_mutex_t lock;
	struct pvpci_regs *regs;
	bool expose_pcie;

	/* Cached identification registers (read-only on the device). */
	uint32_t id;           /* vendor | device << 16 */
	uint32_t class_rev;    /* revision | class << 8 */
	uint32_t subsys;       /* type 0: subsystem vendor | id << 16 */
	uint32_t hdr_type;     /* header type byte (with the multi-function bit) */
	uint32_t intr_pin;

	uint16_t host_cmd;     /* the device's COMMAND as found, decode bits cleared */
	uint16_t dev_cmd;      /* the value last written to the device */
	uint16_t guest_cmd;
	bool bars_mapped;      /* memory decoding on in the guest's view */

	unsigned nbars;        /* 6 or 2 */
	struct vpci_bar bar[VPCI_NSLOTS];

	struct vpci_cap caps[VPCI_MAX_CAPS];
	unsigned ncaps;
	struct vpci_msi msi;
	struct vpci_msix msix;
};

struct pvpci_vpci_domain {
	unsigned domid;
	struct pvpci_vpci_ops ops;
	void *opaque;
	struct pvpci_log log;
	uint64_t ecam_base, ecam_size;
	struct pvpci_range *windows;
	size_t nwindows;
	pthread_rwlock_t lock;
	/* By guest devfn on bus 0; entry 256 stays NULL (addresses with no device). */
	struct vpci_dev *dev[257];
	struct pvpci_regs *regs[257]; /* dev[i]->regs, one load less on the access path */
	struct pvpci_sbdf slot_owner[PVPCI_VPCI_SLOTS]; /* physical slot (fn 0) per slot */
	uint32_t slots_used;
	atomic_bool crashed;
	bool single;                 /* one thread makes every call: no locking */
};

/* The domain's read / write lock and a device's mutex, elided for a single-thread domain. */
static inline void vpci_rdlock(struct pvpci_vpci_domain *d)
{
	if (!d->single)
		pthread_rwlock_rdlock(&d->lock);
}

static inline void vpci_wrlock(struct pvpci_vpci_domain *d)
{
	if (!d->single)
		pthread_rwlock_wrlock(&d->lock);
}

static inline void vpci_unlock(struct pvpci_vpci_domain *d)
{
	if (!d->single)
		pthread_rwlock_unlock(&d->lock);
}

static inline void vpci_dev_lock(struct vpci_dev *dev)
{
	if (!dev->dom->single)
		pthread_mutex_lock(&dev->lock);
}

static inline void vpci_dev_unlock(struct vpci_dev *dev)
{
	if (!dev->dom->single)
		pthread_mutex_unlock(&dev->lock);
}

/* domain.c */
void vpci_crash(struct vpci_dev *dev, const char *why);
void vpci_rl(struct vpci_dev *dev, const char *fmt, ...) PVPCI_PRINTF(2, 3);

/* header.c */
int vpci_header_init(struct vpci_dev *dev) PVPCI_WUR;
/* Writes the device's COMMAND from the guest view (decode from the mapping state). */
int vpci_cmd_sync(struct vpci_dev *dev);
/* Forces INTX_DISABLE in the guest view and on the device (MSI / MSI-X enabled). */
int vpci_intx_disable(struct vpci_dev *dev);
int vpci_caps_init(struct vpci_dev *dev) PVPCI_WUR;

/* bars.c */
int vpci_bars_init(struct vpci_dev *dev) PVPCI_WUR;
void vpci_bars_fini(struct vpci_dev *dev);
/* Maps (on) or unmaps (off) the memory BARs, or only the ROM. On a mapping failure the
 * device's decoding is turned off, the guest crashed and -EIO returned; -EINVAL when a BAR
 * cannot be mapped at its guest address (nothing mapped). Domain lock held for writing. */
int vpci_modify_bars(struct vpci_dev *dev, bool on, bool rom_only);
/* The guest frame range of a BAR (every frame it touches), false if it has none. */
bool vpci_bar_frames(const struct vpci_bar *b, uint64_t *s, uint64_t *e);
/* The guest frames wholly inside a memory BAR (the only ones ever mapped), false if none
 * (a BAR under a page). */
bool vpci_bar_whole_frames(const struct vpci_bar *b, uint64_t *s, uint64_t *e);
/* True if gfn is a page the mapped BAR b only partly covers (trapped, never mapped). */
bool vpci_bar_trap_page(const struct vpci_bar *b, uint64_t gfn);

/* msi.c */
int vpci_msi_init(struct vpci_dev *dev, unsigned pos) PVPCI_WUR;
void vpci_msi_fini(struct vpci_dev *dev);
void vpci_msi_irq(struct vpci_dev *dev, unsigned vector);

/* msix.c */
/* Reads and validates the capability (also when it ends up hidden, for the holes). */
void vpci_msix_probe(struct vpci_dev *dev, unsigned pos);
int vpci_msix_init(struct vpci_dev *dev, unsigned pos) PVPCI_WUR;
void vpci_msix_fini(struct vpci_dev *dev);
void vpci_msix_irq(struct vpci_dev *dev, unsigned vector);
/* The byte ranges (BAR offsets, inclusive) of the table and PBA inside BAR idx; returns
 * how many (0..2) were written. */
unsigned vpci_msix_regions(const struct vpci_dev *dev, unsigned idx, struct pvpci_range *out);
/* MMIO on a page of a table or PBA: 1 if it handled the access, 0 if gpa is not on one.
 * Domain lock held (read); takes the device's mutex. */
int vpci_msix_mmio(struct vpci_dev *dev, uint64_t gpa, unsigned len, uint64_t *val,
		   bool write);

#endif
