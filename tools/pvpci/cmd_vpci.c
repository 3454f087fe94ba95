/* SPDX-License-Identifier: MIT */
/*
 * The vpci personality of `pvpci view` and `pvpci replay` (--policy vpci), called by
 * cmd_device.c. The model device is assigned to guest domain 1 on the in-memory host, in
 * guest slot 0 (00:00.f, its physical function kept). view prints the guest's config
 * space in lspci -xxxx format under the guest address. replay runs the trace language of
 * the PV policy (r / w are config accesses of that device, hr / dump / hdump) plus
 * `maps` (the mapping table, one "gfn-range -> mfn-range" per line), `irqs` (the
 * interrupt bindings), `mr ADDR SIZE` / `mw ADDR SIZE VALUE` (guest MMIO: the MSI-X
 * table and PBA pages, mapped BAR frames, the ECAM window) and `raise msi|msix VECTOR`
 * (the device raises an interrupt).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "trace.h"
#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/source.h"
#include "pvpci/vpci.h"


struct vsession {
	struct pvpci_log log;
	struct pvpci_source *src;
	struct pvpci_vpci_host *host;
	struct pvpci_vpci_domain *dom;
	struct pvpci_sbdf g;
	bool crash_told;
};

static const char *verr(int err)
{
	switch (err) {
	case -EINVAL: return "invalid access";
	case -ENXIO: return "not trapped";
	case -ENODEV: return "no such vector";
	default: return pvpci_errname(err);
	}
}

static int vopen(const char *cmd, const char *model, struct vsession *s)
{
	struct pvpci_vpci_assign_opts ao = { .vslot = 0, .expose_pcie = false };
	struct pvpci_vpci_domain_opts o = { 0 };
	struct pvpci_parse_err perr = { 0 };
	int rc;

	memset(s, 0, sizeof(*s));
	pvpci_log_init(&s->log, NULL, NULL);
	s->log.max_level = PVPCI_LOG_WARNING;
	rc = pvpci_model_open(model, 0, &s->log, &s->src, &perr);
	if (rc) {
		fprintf(stderr, "pvpci %s: %s: %s\n", cmd, model,
			perr.msg[0] ? perr.msg : pvpci_errname(rc));
		return PVPCI_EXIT_FAIL;
	}
	rc = pvpci_vpci_host_create(16, &s->host);
	if (!rc) {
		o.domid = 1;
		o.ops = pvpci_vpci_host_ops();
		o.opaque = s->host;
		o.log = &s->log;
		o.single_thread = true; /* the CLI makes every call from its one thread */
		rc = pvpci_vpci_domain_create(&o, &s->dom);
	}
	if (!rc)
		rc = pvpci_vpci_assign(s->dom, s->src, &ao, &s->g);
	if (rc) {
		fprintf(stderr, "pvpci %s: %s: the vpci policy refuses the device: %s\n", cmd,
			model, pvpci_errname(rc));
		pvpci_vpci_domain_destroy(s->dom);
		pvpci_vpci_host_destroy(s->host);
		pvpci_source_close(s->src);
		return PVPCI_EXIT_FAIL;
	}
	return 0;
}

static void vclose(struct vsession *s)
{
	pvpci_vpci_domain_destroy(s->dom);
	pvpci_vpci_host_destroy(s->host);
	pvpci_source_close(s->src);
}

static int guest_dump(struct vsession *s, FILE *f)
{
	unsigned size = pvpci_source_cfg_size(s->src);
	uint8_t buf[PCIE_CFG_SIZE];

	for (unsigned off = 0; off < size; off += 4) {
		uint32_t v;

		if (pvpci_vpci_cfg_read(s->dom, s->g, off, 4, &v))
			v = ~0u;
		for (unsigned i = 0; i < 4; i++)
			buf[off + i] = (uint8_t)(v >> (8 * i));
	}
	return pvpci_dump_write(f, s->g, pvpci_source_title(s->src), buf, size);
}

static int host_dump(struct vsession *s, FILE *f)
{
	unsigned size = pvpci_source_cfg_size(s->src);
	uint8_t buf[PCIE_CFG_SIZE];
	int rc = pvpci_source_snapshot(s->src, buf, size);

	return rc ? rc : pvpci_dump_write(f, pvpci_source_sbdf(s->src),
					  pvpci_source_title(s->src), buf, size);
}

static bool pv_only(const char *cmd, int pv_opts)
{
	if (pv_opts)
		fprintf(stderr, "pvpci %s: --permissive, --allow-interrupt-control and --quirk "
			"are options of the pv policy\n", cmd);
	return pv_opts;
}

int vpci_view(const char *cmd, const char *model, int pv_opts)
{
	struct vsession s;
	int rc;

	if (pv_only(cmd, pv_opts))
		return pvpci_cmd_usage(cmd);
	rc = vopen(cmd, model, &s);
	if (rc)
		return rc;
	rc = guest_dump(&s, stdout);
	vclose(&s);
	if (rc || fflush(stdout)) {
		fprintf(stderr, "pvpci %s: cannot write the dump\n", cmd);
		return PVPCI_EXIT_FAIL;
	}
	return PVPCI_EXIT_OK;
}

/* ---- replay ---- */

static int hexw(uint64_t size)
{
	return size >= 1 && size <= 8 ? (int)size * 2 : 16;
}

static void t_read(struct vsession *s, char **t, const uint64_t *a)
{
	uint32_t v;
	int rc = pvpci_vpci_cfg_read(s->dom, s->g, (unsigned)a[0], (unsigned)a[1], &v);

	printf("r 0x%" PRIx64 " %" PRIu64 " = ", a[0], a[1]);
	if (rc)
		printf("error: %s\n", verr(rc));
	else
		printf("0x%0*x\n", hexw(a[1]), v);
}

static void t_write(struct vsession *s, char **t, const uint64_t *a)
{
	int rc = pvpci_vpci_cfg_write(s->dom, s->g, (unsigned)a[0], (unsigned)a[1],
				      (uint32_t)a[2]);

	printf("w 0x%" PRIx64 " %" PRIu64 " 0x%0*" PRIx64 " = %s%s\n", a[0], a[1], hexw(a[1]),
	       a[2], rc ? "error: " : "ok", rc ? verr(rc) : "");
}

static void t_host_read(struct vsession *s, char **t, const uint64_t *a)
{
	uint32_t v;
	int rc = pvpci_source_cfg_read(s->src, (unsigned)a[0], (unsigned)a[1], &v);

	printf("hr 0x%" PRIx64 " %" PRIu64 " = ", a[0], a[1]);
	if (rc)
		printf("error: %s\n", pvpci_errname(rc));
	else
		printf("0x%0*x\n", hexw(a[1]), v);
}

static void t_mmio_read(struct vsession *s, char **t, const uint64_t *a)
{
	uint64_t v;
	int rc = pvpci_vpci_mmio_read(s->dom, a[0], (unsigned)a[1], &v);

	printf("mr 0x%" PRIx64 " %" PRIu64 " = ", a[0], a[1]);
	if (rc)
		printf("error: %s\n", verr(rc));
	else
		printf("0x%0*" PRIx64 "\n", hexw(a[1]), v);
}

static void t_mmio_write(struct vsession *s, char **t, const uint64_t *a)
{
	int rc = pvpci_vpci_mmio_write(s->dom, a[0], (unsigned)a[1], a[2]);

	printf("mw 0x%" PRIx64 " %" PRIu64 " 0x%0*" PRIx64 " = %s%s\n", a[0], a[1], hexw(a[1]),
	       a[2], rc ? "error: " : "ok", rc ? verr(rc) : "");
}

static void t_dump(struct vsession *s, char **t, const uint64_t *a)
{
	if (guest_dump(s, stdout))
		printf("dump = error\n");
}

static void t_host_dump(struct vsession *s, char **t, const uint64_t *a)
{
	if (host_dump(s, stdout))
		printf("hdump = error\n");
}

static void t_maps(struct vsession *s, char **t, const uint64_t *a)
{
	if (!pvpci_vpci_host_maps(s->host, NULL, 0))
		printf("(no mappings)\n");
	pvpci_vpci_host_print_maps(s->host, stdout);
}

static void t_irqs(struct vsession *s, char **t, const uint64_t *a)
{
	if (!pvpci_vpci_host_bindings(s->host, NULL, 0))
		printf("(no interrupts bound)\n");
	pvpci_vpci_host_print_bindings(s->host, stdout);
}

static void t_raise(struct vsession *s, char **t, const uint64_t *a)
{
	enum pvpci_irq_kind k = strcmp(t[1], "msi") ? PVPCI_IRQ_MSIX : PVPCI_IRQ_MSI;
	int rc = pvpci_model_raise(s->src, k, (unsigned)a[0]);

	printf("raise %s %" PRIu64 " = %s\n", t[1], a[0],
	       rc < 0 ? verr(rc) : rc ? "delivered" : "masked or disabled");
}

/* A trace command: its word, the number of numeric arguments after `skip` words, their
 * maxima, and what it does. */
struct vcmd {
	const char *name;
	unsigned skip, nargs;
	uint64_t max[3];
	void (*run)(struct vsession *s, char **t, const uint64_t *a);
};

static const struct vcmd vcmds[] = {
	{ "r", 0, 2, { 0xffffffff, 8, 0 }, t_read },
	{ "w", 0, 3, { 0xffffffff, 8, 0xffffffff }, t_write },
	{ "hr", 0, 2, { 0xffffffff, 8, 0 }, t_host_read },
	{ "mr", 0, 2, { UINT64_MAX, 8, 0 }, t_mmio_read },
	{ "mw", 0, 3, { UINT64_MAX, 8, UINT64_MAX }, t_mmio_write },
	{ "dump", 0, 0, { 0 }, t_dump },
	{ "hdump", 0, 0, { 0 }, t_host_dump },
	{ "maps", 0, 0, { 0 }, t_maps },
	{ "irqs", 0, 0, { 0 }, t_irqs },
	{ "raise", 1, 1, { PVPCI_VPCI_MSIX_MAX }, t_raise },
};

static int vline(void *ctx, char **tok, int n, char *why, size_t whylen)
{
	struct vsession *s = ctx;
	uint64_t a[3] = { 0 };

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(vcmds); i++) {
		const struct vcmd *c = &vcmds[i];

		if (strcmp(c->name, tok[0]))
			continue;
		if (n - 1 != (int)(c->skip + c->nargs)) {
			snprintf(why, whylen, "wrong number of arguments for '%s'", c->name);
			return -EINVAL;
		}
		if (c->skip && strcmp(tok[1], "msi") && strcmp(tok[1], "msix")) {
			snprintf(why, whylen, "expected msi or msix, not '%.20s'", tok[1]);
			return -EINVAL;
		}
		for (unsigned k = 0; k < c->nargs; k++)
			if (pvpci_parse_u64(tok[1 + c->skip + k], c->max[k], &a[k])) {
				snprintf(why, whylen, "bad number '%.20s'", tok[1 + c->skip + k]);
				return -EINVAL;
			}
		c->run(s, tok, a);
		return 0;
	}
	snprintf(why, whylen, "unknown command '%.20s' (r, w, hr, mr, mw, dump, hdump, maps, "
		 "irqs, raise)", tok[0]);
	return -EINVAL;
}

/* After each line: say once that the guest was crashed. */
static void vafter(void *ctx)
{
	struct vsession *s = ctx;
	const char *crash = pvpci_vpci_host_crash_reason(s->host);

	if (crash && !s->crash_told) {
		printf("# guest crashed: %s\n", crash);
		s->crash_told = true;
	}
}

int vpci_replay(const char *cmd, const char *model, const char *trace, int pv_opts)
{
	struct vsession s;
	FILE *in;
	int rc;

	if (pv_only(cmd, pv_opts))
		return pvpci_cmd_usage(cmd);
	in = trace_open(cmd, trace);
	if (!in)
		return PVPCI_EXIT_FAIL;
	rc = vopen(cmd, model, &s);
	if (!rc) {
		rc = trace_run(cmd, in, trace, vline, vafter, &s);
		vclose(&s);
	}
	return trace_close(in, rc);
}
