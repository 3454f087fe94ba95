/* SPDX-License-Identifier: MIT */
/*
 * Fixture of the vpci tests: a guest domain on the in-memory host, model devices built
 * from bytes written here (a synthetic device with every BAR type, MSI, MSI-X and PCIe
 * capabilities) or from the bundled models of tests/data, and helpers for guest accesses,
 * direct device accesses, the mapping table and the log lines the module wrote.
 */
#ifndef PVPCI_TESTS_VPCI_FIXTURE_H
#define PVPCI_TESTS_VPCI_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/vpci.h"

#define FX_MAX_SRC 40

struct fx {
	struct pvpci_vpci_host *host;
	struct pvpci_vpci_domain *dom;
	struct pvpci_source *src[FX_MAX_SRC];
	unsigned nsrc;
	struct pvpci_log log;
	char logbuf[16384];
	size_t loglen;
};

/* A device being built: config bytes, its address and size lines. */
struct fx_dev {
	uint8_t cfg[4096];
	unsigned size;
	char addr[16];
	char extra[512];
	unsigned last_cap; /* position of the last capability linked, 0 if none */
};

/* The synthetic device "syn" at addr (e.g. "03:00.0"):
 *   vendor 0x1234, device 0x5678, rev 0x02, class 0x020000, subsystem 0xabcd:0xef01,
 *   INTx pin A, COMMAND 0x0547 (IO, MEMORY, MASTER, PARITY, SERR, INTX_DISABLE), Status
 *   with CAP_LIST and Received Master Abort;
 *   BAR0 MEM32 0xfe000000 16K (MSI-X table at 0x2000, PBA at 0x3000), BAR1/2 MEM64
 *   prefetchable 0x4000000000 1M, BAR3 I/O 0xe000 32 bytes, BAR4 MEM32 0xfd001000 4K,
 *   BAR5 empty, ROM 0xfb000000 64K;
 *   PM at 0x40, MSI at 0x50 (64-bit, maskable, 8 vectors), MSI-X at 0x70 (16 entries),
 *   PCIe v2 endpoint at 0xa0; 4096 bytes with AER at 0x100. */
void fx_syn(struct fx_dev *d, const char *addr);
/* Helpers to change a device being built. */
void fx_put(struct fx_dev *d, unsigned off, unsigned size, uint32_t v);
void fx_bar_size(struct fx_dev *d, const char *line); /* "bar0 4000" */
void fx_cap(struct fx_dev *d, unsigned pos, uint8_t id); /* links after the last one */
/* Opens a model device from d; returns the source (closed by fx_down). */
struct pvpci_source *fx_open(struct fx *f, const struct fx_dev *d);
/* Opens device `index` of tests/data/<model>. */
struct pvpci_source *fx_open_file(struct fx *f, const char *model, size_t index);

/* Host + domain 1 (windows may be NULL). */
void fx_up(struct fx *f);
void fx_up_windows(struct fx *f, const struct pvpci_range *w, size_t n);
/* Same, with the domain's single_thread option as given. */
void fx_up_opts(struct fx *f, const struct pvpci_range *w, size_t n, bool single);
void fx_down(struct fx *f);
/* Assigns src (vslot -1: any) and returns its guest address; must succeed. */
struct pvpci_sbdf fx_assign(struct fx *f, struct pvpci_source *src, int vslot);
int fx_try_assign(struct fx *f, struct pvpci_source *src, int vslot, struct pvpci_sbdf *g);

/* Guest config accesses that must succeed. */
uint32_t gr(struct fx *f, struct pvpci_sbdf g, unsigned reg, unsigned size);
void gw(struct fx *f, struct pvpci_sbdf g, unsigned reg, unsigned size, uint32_t v);
/* Guest MMIO that must be claimed. */
uint64_t mr(struct fx *f, uint64_t gpa, unsigned len);
void mw(struct fx *f, uint64_t gpa, unsigned len, uint64_t v);
/* The device itself. */
uint32_t hr(struct pvpci_source *s, unsigned reg, unsigned size);
uint64_t hbar(struct pvpci_source *s, unsigned bar, uint64_t off, unsigned size);

/* The mapping table as text ("gfn-gfn -> mfn-mfn" lines). */
const char *fx_maps(struct fx *f);
size_t fx_nmaps(struct fx *f);
bool fx_logged(const struct fx *f, const char *s);

struct pvpci_sbdf fx_sbdf(unsigned dev, unsigned fn);

#endif
