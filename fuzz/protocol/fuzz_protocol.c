/* SPDX-License-Identifier: MIT */
/*
 * fuzz_protocol: the backend's op dispatch fed a shared page built from the input, as a
 * hostile frontend would write it. Each input runs a fresh backend (on a platform of our
 * own: PIRQs counted, notifications dropped) serving one guest four model devices (NIC
 * with MSI / MSI-X, AHCI with 8-vector maskable MSI, a GPU function, and the NIC again with
 * a 2048-entry MSI-X table, where only the 128 bound stops a long enable) on the topology
 * the input picks. Ops come from the input; in "racing" inputs a second thread keeps
 * rewriting the op's fields (command, address, offset, size, value, info) with values from
 * the input while the backend works (the double fetch of XSA-155).
 *
 * Invariants after every op: the active bit is cleared and the other flag bits kept; the
 * AER area, the MSI-X entry indices and the rest of the page are untouched; without the
 * racer, every byte of the op other than err, value and vectors[i < nvec] is untouched,
 * nvec being the posted count of a successful MSI-X / multi-MSI enable (<= 128); every
 * device holds at most 128 MSI-X and 32 MSI vectors; the PIRQs the platform handed out
 * are exactly those the devices hold. After the backend is destroyed no PIRQ is left.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_priv.h"
#include "pvpci/platform.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"

#ifndef PVPCI_DATA_DIR
#define PVPCI_DATA_DIR "tests/data"
#endif

#define MAX_OPS 48
#define PIRQ_LIMIT 512

/* ---- A platform of our own ---- */
static int pirqs_out;
static char fake_xs_handle;

static struct xs_handle *fx_xs(struct pvpci_platform *p)
{
	return (struct xs_handle *)&fake_xs_handle; /* never used: no xenstore in this target */
}
static int fx_notify(struct pvpci_platform *p, unsigned port) { return 0; }
static int fx_pirq_alloc(struct pvpci_platform *p, unsigned domid)
{
	if (pirqs_out >= PIRQ_LIMIT)
		return -ENOSPC;
	return 16 + pirqs_out++;
}
static int fx_pirq_free(struct pvpci_platform *p, unsigned domid, unsigned pirq)
{
	pirqs_out--;
	return 0;
}
static int fx_pirq_fire(struct pvpci_platform *p, unsigned domid, unsigned pirq) { return 0; }

static const struct pvpci_platform_ops fake_ops = {
	.kind = "fuzz",
	.xs = fx_xs,
	.evtchn_notify = fx_notify,
	.pirq_alloc = fx_pirq_alloc,
	.pirq_free = fx_pirq_free,
	.pirq_fire = fx_pirq_fire,
};

/* ---- The racer ---- */
struct racer {
	struct xen_pci_sharedinfo *sh;
	const uint8_t *vals;
	size_t nvals;
	volatile int stop;
};

static uint32_t word_at(const struct racer *r, size_t i)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++)
		v |= (uint32_t)r->vals[(i + (size_t)k) % r->nvals] << (8 * k);
	return v;
}

/* Op words the racer rewrites, with the bits it keeps so that its values still name our
 * devices and commands now and then. */
static const struct {
	int word;
	uint32_t mask;
} raced[] = {
	{ 0, 0xf }, { 4, 0x1f }, { 5, 0x1fff }, { 6, 0x7 }, { 7, 0x1ff }, { 8, 0x3f },
	{ 3, 0x3 }, { 2, 0x1 },
};

static void *race(void *arg)
{
	struct racer *r = arg;
	uint32_t *op = (uint32_t *)&r->sh->op;

	for (size_t i = 0; !r->stop; i++) {
		size_t k = i % PVPCI_ARRAY_SIZE(raced);

		__atomic_store_n(&op[raced[k].word], word_at(r, i) & raced[k].mask,
				 __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ---- Setup ---- */
static const char *const model_files[] = { "nic-msix.model", "msi-maskable.model",
					   "multifunc.model" };

#define NDEV 4
static char *model_text[NDEV];
static size_t model_len[NDEV];
static struct pvpci_log quiet;

/* Replace from by to (same length) in model_text[3]; abort if absent. */
static void edit(const char *from, const char *to)
{
	char *at = memmem(model_text[3], model_len[3], from, strlen(from));

	if (!at || strlen(from) != strlen(to))
		abort();
	memcpy(at, to, strlen(to));
}

/* The NIC at 06:00.0 with a 2048-entry MSI-X table: BAR4 64K, PBA at 0x8000. */
static void big_table_variant(void)
{
	static const char bar[] = "# bar4 4000\n";
	char *at;
	size_t off;

	model_text[3] = malloc(model_len[0] + 1);
	if (!model_text[3])
		abort();
	memcpy(model_text[3], model_text[0], model_len[0]);
	model_len[3] = model_len[0];
	edit("03:00.0 Ethernet", "06:00.0 Ethernet");
	edit("70: 11 a0 3f 00 04 00 00 00 04 20", "70: 11 a0 ff 07 04 00 00 00 04 80");
	at = memmem(model_text[3], model_len[3], bar, strlen(bar));
	if (!at)
		abort();
	off = (size_t)(at - model_text[3]);
	memmove(at + 1, at, model_len[3] - off); /* "# bar4 4000" -> "# bar4 10000" */
	memcpy(at, "# bar4 10000\n", strlen(bar) + 1);
	model_len[3]++;
}

static void load_models(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	pvpci_log_init(&quiet, NULL, NULL);
	quiet.max_level = 0; /* the guest's misdeeds are expected */
	for (int i = 0; i < 3; i++) {
		const char *dir = getenv("PVPCI_TEST_DATA");
		char path[512];
		FILE *f;
		long n;

		snprintf(path, sizeof(path), "%s/%s", dir ? dir : PVPCI_DATA_DIR, model_files[i]);
		f = fopen(path, "r");
		if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
			abort();
		model_text[i] = malloc((size_t)n);
		if (!model_text[i] || fread(model_text[i], 1, (size_t)n, f) != (size_t)n)
			abort();
		model_len[i] = (size_t)n;
		fclose(f);
	}
	big_table_variant();
}

/* Fresh devices for every input, so that a crash reproduces from its input alone. */
static void open_models(struct pvpci_source **srcs)
{
	for (int i = 0; i < NDEV; i++) {
		struct pvpci_parse_err err;

		if (pvpci_model_open_text(model_text[i], model_len[i], 0, &quiet, &srcs[i], &err))
			abort();
	}
}

static void check_devices(struct pvpci_backend *be)
{
	int held = 0;

	for (struct pvb_hostdev *hd = be->devs; hd; hd = hd->next) {
		if (hd->irq.msix_n > SH_INFO_MAX_VEC || hd->irq.msi_n > PVB_MSI_MAX)
			abort();
		held += (hd->irq.intx_pirq != 0) + (int)hd->irq.msi_n + (int)hd->irq.msix_n;
	}
	if (held != pirqs_out)
		abort(); /* a PIRQ leaked or was freed twice */
}

/* ---- One op ---- */
struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint32_t take32(struct cursor *c)
{
	uint32_t v = 0;

	for (int k = 0; k < 4 && c->n; k++, c->p++, c->n--)
		v |= (uint32_t)*c->p << (8 * k);
	return v;
}

static void fill_op(struct xen_pci_op *op, struct cursor *c)
{
	uint8_t nent = c->n ? *c->p : 0;

	if (c->n) {
		c->p++;
		c->n--;
	}
	memset(op, 0, sizeof(*op));
	op->cmd = take32(c) % 16;
	op->domain = take32(c) % 2 ? 0 : 0x10000;
	op->bus = take32(c) & 0x1ff;
	op->devfn = take32(c) & 0x1ff;
	op->offset = (int32_t)take32(c);
	op->size = (int32_t)(take32(c) % 9) - 1;
	op->value = take32(c);
	op->info = take32(c);
	for (unsigned i = 0; i < nent % (SH_INFO_MAX_VEC + 1); i++)
		op->msix_entries[i] = (struct xen_msix_entry){ 0xffff, (uint16_t)(take32(c) & 0x7ff) };
	if (op->bus > 6)
		op->bus = 0;
	if (op->devfn > 0x18)
		op->devfn &= 0x1f;
}

static void check_exact(const struct xen_pci_op *posted, const struct xen_pci_op *after)
{
	unsigned nvec = 0;

	if (after->err == 0 && posted->cmd == XEN_PCI_OP_enable_msix)
		nvec = posted->value;
	if (after->err == 0 && posted->cmd == XEN_PCI_OP_enable_multi_msi)
		nvec = posted->info;
	if (nvec > SH_INFO_MAX_VEC)
		abort();
	if (after->cmd != posted->cmd || after->domain != posted->domain ||
	    after->bus != posted->bus || after->devfn != posted->devfn ||
	    after->offset != posted->offset || after->size != posted->size ||
	    after->info != posted->info)
		abort();
	for (unsigned i = nvec; i < SH_INFO_MAX_VEC; i++)
		if (after->msix_entries[i].vector != posted->msix_entries[i].vector)
			abort();
}

static void check_page(const uint8_t *page, const uint8_t *shadow, uint32_t flags_before)
{
	const struct xen_pci_sharedinfo *sh = (const void *)page;
	const struct xen_pci_sharedinfo *old = (const void *)shadow;
	size_t aer = offsetof(struct xen_pci_sharedinfo, aer_op);

	if (sh->flags != (flags_before & ~XEN_PCIF_active))
		abort();
	if (memcmp(page + aer, shadow + aer, PVPCI_PAGE_SIZE - aer))
		abort();
	for (unsigned i = 0; i < SH_INFO_MAX_VEC; i++)
		if (sh->op.msix_entries[i].entry != old->op.msix_entries[i].entry)
			abort();
}

static void run_ops(struct pvb_guest *g, uint8_t *page, uint8_t *shadow, struct cursor *c,
		    bool racing)
{
	struct xen_pci_sharedinfo *sh = (void *)page;

	for (int i = 0; i < MAX_OPS && c->n; i++) {
		struct xen_pci_op op;
		uint32_t flags = XEN_PCIF_active | (c->p[0] & 0x80 ? XEN_PCIB_AERHANDLER : 0);

		fill_op(&op, c);
		memcpy(&sh->op, &op, sizeof(op));
		sh->flags = flags;
		memcpy(shadow, page, PVPCI_PAGE_SIZE);
		if (pvb_ops_serve(g, 1) != 1)
			abort();
		if (!racing)
			check_exact(&op, &sh->op);
		check_page(page, shadow, flags);
		check_devices(g->be);
	}
}

static struct pvpci_backend *make_backend(struct pvpci_platform *p, bool passthrough,
					  struct pvpci_source **srcs, struct pvb_guest **g)
{
	struct pvpci_backend_opts o = { .mode = passthrough ? PVPCI_BACKEND_PASSTHROUGH :
							      PVPCI_BACKEND_VPCI,
					.log = &quiet };
	struct pvpci_backend *be;

	if (pvpci_backend_create(p, &o, &be))
		abort();
	for (int i = 0; i < NDEV; i++)
		if (pvpci_backend_add_device(be, srcs[i], NULL))
			abort();
	if (pvb_guest_new(be, 1, g))
		abort();
	for (struct pvb_hostdev *hd = be->devs; hd; hd = hd->next)
		if (pvb_guest_export(*g, hd, NULL))
			abort();
	return be;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	struct pvpci_source *srcs[NDEV];
	struct pvpci_platform *p;
	struct pvpci_backend *be;
	struct pvb_guest *g;
	uint8_t *page, *shadow;
	struct racer r = { 0 };
	pthread_t t;
	bool racing;

	if (size < 2)
		return 0;
	load_models();
	open_models(srcs);
	racing = data[0] & 2;
	if (pvpci_platform_open_ops(&fake_ops, NULL, &p))
		abort();
	be = make_backend(p, data[0] & 1, srcs, &g);
	page = aligned_alloc(PVPCI_PAGE_SIZE, PVPCI_PAGE_SIZE);
	shadow = malloc(PVPCI_PAGE_SIZE);
	if (!page || !shadow)
		abort();
	memset(page, 0xc3, PVPCI_PAGE_SIZE);
	g->sh = (struct xen_pci_sharedinfo *)page;
	c.p++;
	c.n--;
	if (racing) {
		r = (struct racer){ g->sh, data, size, 0 };
		if (pthread_create(&t, NULL, race, &r))
			abort();
	}
	run_ops(g, page, shadow, &c, racing);
	if (racing) {
		r.stop = 1;
		pthread_join(t, NULL);
	}
	g->sh = NULL;
	pvpci_backend_destroy(be);
	if (pirqs_out != 0)
		abort(); /* the backend freed every PIRQ */
	pvpci_platform_close(p);
	for (int i = 0; i < NDEV; i++)
		pvpci_source_close(srcs[i]);
	free(page);
	free(shadow);
	return 0;
}
