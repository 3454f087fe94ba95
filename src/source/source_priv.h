/* SPDX-License-Identifier: MIT */
/*
 * Private parts of the source module: the generic source object every kind embeds (ops,
 * address, log context, counters, interrupt handler), and the model device (config bytes
 * with per-byte writable / RW1C masks, BARs, capability state, a sparse BAR backing store)
 * shared between model.c (parse and open), model_cfg.c (config space behaviour),
 * model_caps.c (capabilities) and model_bar.c (BARs, MSI-X table and PBA).
 */
#ifndef PVPCI_SOURCE_PRIV_H
#define PVPCI_SOURCE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/source.h"

struct pvpci_source {
	const struct pvpci_source_ops *ops;
	struct pvpci_sbdf sbdf;
	char name[PVPCI_SBDF_STRLEN];
	char title[160];
	unsigned cfg_size;
	struct pvpci_log log;
	struct pvpci_source_stats stats;
	pvpci_irq_fn irq_fn;
	void *irq_opaque;
};

/* Fills the generic part; log (may be NULL) is the parent context. */
void pvpci_source_init(struct pvpci_source *s, const struct pvpci_source_ops *ops,
		       struct pvpci_sbdf sbdf, const char *title, unsigned cfg_size,
		       const struct pvpci_log *log);
/* Calls the owner's interrupt handler, if any. */
void pvpci_source_deliver_irq(struct pvpci_source *s, enum pvpci_irq_kind kind,
			      unsigned vector);

/* ---- The model device ---- */
#define MODEL_NSLOTS (PCI_NUM_BARS + 1) /* six BARs and the ROM */
#define MODEL_PAGE_SIZE 4096u
#define MODEL_MAX_PAGES 1024u /* backing store limit per device: 4 MiB */
#define MODEL_VPD_MAX 32768u  /* VPD address space (15 bits) */
#define MODEL_VPD_DEFAULT 256u
#define MODEL_MAX_HOOKS 16

struct model_bar {
	enum pvpci_bar_type type;
	bool prefetch;
	uint64_t size; /* 0: not implemented */
};

/* Extra lines of a model file for one device. */
struct model_extra {
	uint64_t size[MODEL_NSLOTS];
	bool has_size[MODEL_NSLOTS];
	size_t line_pos[MODEL_NSLOTS]; /* byte offset of the size line in the text */
	uint8_t *vpd;
	unsigned vpd_len;
	bool has_vpd;
};

struct model;

/* One write as it reached the device: raw bytes written and the bytes before. */
struct model_wctx {
	unsigned off, size;
	uint8_t raw[4];
	uint8_t old[4];
};

/* Called after a config write that overlaps [off, off + len). */
typedef void (*model_hook_fn)(struct model *m, const struct model_wctx *w);
struct model_hook {
	unsigned off, len;
	model_hook_fn fn;
};

struct model_page {
	unsigned slot;
	uint64_t pageno;
	uint8_t *data;
};

struct model_msix {
	unsigned pos;   /* 0: none */
	unsigned nvec;
	unsigned tbir, pbir;
	uint64_t toff, poff;
	uint8_t *table; /* nvec * 16 bytes */
	uint8_t *pba;   /* pba_len bytes */
	unsigned pba_len;
};

struct model {
	struct pvpci_source src;
	uint8_t cfg[PCIE_CFG_SIZE];
	uint8_t init[PCIE_CFG_SIZE]; /* power-on state */
	uint8_t wmask[PCIE_CFG_SIZE];
	uint8_t w1c[PCIE_CFG_SIZE];
	unsigned hdr_type;
	struct model_bar bar[MODEL_NSLOTS];
	unsigned pm, msi, vpd, exp, af, aer; /* capability positions, 0 = absent */
	unsigned exp_type;
	struct model_msix msix;
	uint8_t *vpd_img;
	unsigned vpd_len;
	struct model_hook hooks[MODEL_MAX_HOOKS];
	unsigned nhooks;
	struct model_page *pages;
	size_t npages;
	struct pvpci_ratelimit rl;
};

static inline struct model *model_of(struct pvpci_source *s)
{
	return (struct model *)s; /* src is the first member */
}

static inline uint32_t model_get(const uint8_t *b, unsigned off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)b[off + i] << (8 * i);
	return v;
}

static inline void model_put(uint8_t *b, unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* model_cfg.c */
int model_setup(struct model *m, const struct model_extra *x, struct pvpci_parse_err *err);
void model_power_on(struct model *m);
int model_cfg_read(struct pvpci_source *s, unsigned off, unsigned size, uint32_t *val);
int model_cfg_write(struct pvpci_source *s, unsigned off, unsigned size, uint32_t val);
int model_reset(struct pvpci_source *s, enum pvpci_reset_kind kind);
int model_add_hook(struct model *m, unsigned off, unsigned len, model_hook_fn fn);
void model_set_mask(struct model *m, unsigned off, unsigned size, uint32_t rw, uint32_t w1c);
bool model_wrote(const struct model_wctx *w, unsigned off, uint8_t *raw);
uint8_t model_old(const struct model *m, const struct model_wctx *w, unsigned off);

/* model_caps.c */
int model_caps_setup(struct model *m, const struct model_extra *x,
		     struct pvpci_parse_err *err);
bool model_has_flr(const struct model *m);
bool model_has_pm_reset(const struct model *m);
int model_raise_msi(struct model *m, unsigned vector);

/* model_bar.c */
int model_bars_setup(struct model *m, const struct model_extra *x,
		     struct pvpci_parse_err *err);
int model_msix_setup(struct model *m, unsigned pos, struct pvpci_parse_err *err);
void model_msix_reset(struct model *m);
void model_msix_flush(struct model *m);
int model_raise_msix(struct model *m, unsigned vector);
void model_pages_free(struct model *m);
int model_bar_info(struct pvpci_source *s, unsigned idx, struct pvpci_bar_info *out);
int model_bar_read(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
		   uint64_t *val);
int model_bar_write(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
		    uint64_t val);

#endif
