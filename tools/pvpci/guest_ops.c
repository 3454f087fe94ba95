/* SPDX-License-Identifier: MIT */
/*
 * The commands a guest runs over its PV connection: `lspci [-v] [-x|-xxx|-xxxx]` (the
 * devices on the guest's root buses: address, class, vendor:device; -v adds what a guest
 * kernel would find by itself through config ops: BARs sized by writing all ones, the
 * capability chains, the interrupt pin and the PIRQs this process holds; -x dumps config
 * space through the protocol in lspci's own format, which `lspci -F` reads), `read` /
 * `write` of one register, MSI / multi-MSI / MSI-X enable and disable with the PIRQs
 * they return, and `intx` (the legacy PIRQ). Every access is a protocol op answered by
 * the backend's PV policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "guest.h"
#include "lspci_fn.h"
#include "pvpci/platform.h"

struct class_name {
	uint16_t cls; /* base << 8 | sub; sub 0xff = any */
	const char *name;
};

static const struct class_name class_names[] = {
	{ 0x0100, "SCSI storage controller" }, { 0x0101, "IDE interface" },
	{ 0x0104, "RAID bus controller" }, { 0x0106, "SATA controller" },
	{ 0x0107, "Serial Attached SCSI controller" },
	{ 0x0108, "Non-Volatile memory controller" }, { 0x01ff, "Mass storage controller" },
	{ 0x0200, "Ethernet controller" }, { 0x0280, "Network controller" },
	{ 0x02ff, "Network controller" }, { 0x0300, "VGA compatible controller" },
	{ 0x0302, "3D controller" }, { 0x03ff, "Display controller" },
	{ 0x0401, "Multimedia audio controller" }, { 0x0403, "Audio device" },
	{ 0x04ff, "Multimedia controller" }, { 0x05ff, "Memory controller" },
	{ 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" }, { 0x0604, "PCI bridge" },
	{ 0x06ff, "Bridge" }, { 0x07ff, "Communication controller" },
	{ 0x08ff, "System peripheral" }, { 0x0cff, "Serial bus controller" },
	{ 0xffff, "Unassigned class" },
};

static const char *class_name(uint32_t class_code)
{
	uint16_t c = (uint16_t)(class_code >> 8);

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(class_names); i++)
		if (class_names[i].cls == c)
			return class_names[i].name;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(class_names); i++)
		if (class_names[i].cls == ((c & 0xff00) | 0xff))
			return class_names[i].name;
	return "Class";
}

static char *short_addr(struct pvpci_sbdf a, char buf[PVPCI_SBDF_STRLEN])
{
	if (a.seg)
		return pvpci_sbdf_str(a, buf);
	snprintf(buf, PVPCI_SBDF_STRLEN, "%02x:%02x.%x", a.bus, a.dev, a.fn);
	return buf;
}

void guest_dev_line(struct guest *g, FILE *out, const struct pvpci_pvfront_dev *d, bool rev)
{
	char a[PVPCI_SBDF_STRLEN];
	uint32_t r = 0;

	fprintf(out, "%s %s [%04x]: %04x:%04x", short_addr(d->addr, a),
		class_name(d->class_code), d->class_code >> 8, d->vendor, d->device);
	if (rev && pvpci_pvfront_conf_read(g->f, d->addr, PCI_REG_REVISION, 1, &r) == 0 && r)
		fprintf(out, " (rev %02x)", r);
}

const struct guest_irq *guest_irq_find(const struct guest *g, unsigned pirq)
{
	for (size_t i = 0; i < g->nirqs; i++)
		if (g->irqs[i].pirq == pirq)
			return &g->irqs[i];
	return NULL;
}

/* ---- lspci -v ---- */

struct rd_ctx {
	struct guest *g;
	struct pvpci_sbdf a;
};

static int rd(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	struct rd_ctx *c = opaque;

	return pvpci_pvfront_conf_read(c->g->f, c->a, off, size, val);
}

static uint32_t rd0(struct rd_ctx *c, unsigned off, unsigned size)
{
	uint32_t v = 0;

	return rd(c, off, size, &v) ? 0 : v;
}

static int wr(void *opaque, unsigned off, unsigned size, uint32_t val)
{
	struct rd_ctx *c = opaque;

	return pvpci_pvfront_conf_write(c->g->f, c->a, off, size, val);
}

/* The PV view: ROM / BARs reading 0 left alone, the pin's routed line, named (and
 * extended) capabilities; 4096 bytes for PCI Express functions whose 0x100 reads. */
#define PV_LSPCI_FLAGS (LSPCI_CAP_NAMES | LSPCI_EXT_IF_EXP)

static void print_pirqs(FILE *out, struct guest *g, struct pvpci_sbdf a)
{
	bool any = false;

	for (size_t i = 0; i < g->nirqs; i++) {
		const struct guest_irq *q = &g->irqs[i];

		if (!pvpci_sbdf_eq(q->dev, a))
			continue;
		if (q->kind == GIRQ_INTX)
			fprintf(out, "%s intx -> pirq %u", any ? "," : "\tIRQ lines:", q->pirq);
		else
			fprintf(out, "%s %s %u -> pirq %u", any ? "," : "\tIRQ lines:",
				q->kind == GIRQ_MSIX ? "msix entry" : "msi vector", q->entry,
				q->pirq);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

static void print_verbose(struct guest *g, FILE *out, const struct pvpci_pvfront_dev *d)
{
	struct rd_ctx c = { g, d->addr };
	struct lspci_fn f = { rd, wr, &c, out, PV_LSPCI_FLAGS };

	lspci_fn_verbose(&f, d->header_type);
	print_pirqs(out, g, d->addr);
}

static void print_dump(struct guest *g, FILE *out, const struct pvpci_pvfront_dev *d,
		       unsigned want)
{
	struct rd_ctx c = { g, d->addr };
	struct lspci_fn f = { rd, wr, &c, out, PV_LSPCI_FLAGS };

	lspci_fn_dump(&f, want);
}

static int cmd_lspci(struct guest *g, FILE *out, FILE *err, int argc, char **argv)
{
	struct pvpci_pvfront_dev devs[256];
	unsigned dump = 0;
	bool verbose = false;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-x"))
			dump = 64;
		else if (!strcmp(argv[i], "-xxx"))
			dump = 256;
		else if (!strcmp(argv[i], "-xxxx"))
			dump = 4096;
		else
			return fprintf(err, "pvpci guest lspci: unknown option '%s' (-v, -x, -xxx, "
					    "-xxxx)\n", argv[i]), PVPCI_EXIT_USAGE;
	}
	if (!g)
		return PVPCI_EXIT_OK; /* syntax check only */
	if (pvpci_pvfront_devices(g->f, devs, PVPCI_ARRAY_SIZE(devs), &n))
		return PVPCI_EXIT_FAIL;
	for (size_t i = 0; i < n && i < PVPCI_ARRAY_SIZE(devs); i++) {
		guest_dev_line(g, out, &devs[i], true);
		fputc('\n', out);
		if (verbose)
			print_verbose(g, out, &devs[i]);
		if (dump)
			print_dump(g, out, &devs[i], dump);
		else if (verbose)
			fputc('\n', out);
	}
	return PVPCI_EXIT_OK;
}

/* ---- read / write ---- */

static int parse_addr(FILE *err, const char *cmd, const char *s, struct pvpci_sbdf *a)
{
	struct pvpci_parse_err perr = { 0 };

	if (pvpci_sbdf_parse(s, a, &perr) == 0)
		return 0;
	fprintf(err, "pvpci guest %s: bad address '%s': %s\n", cmd, s, perr.msg);
	return -EINVAL;
}

static const char *op_err(int r)
{
	switch (r) {
	case -ENODEV: return "no such device (dev_not_found)";
	case -EINVAL: return "invalid offset";
	case -EACCES: return "access denied";
	case -EOPNOTSUPP: return "not implemented";
	case -EIO: return "op failed";
	case -ETIMEDOUT: return "the backend did not answer in time";
	case -ENOTCONN: return "not connected";
	default: return strerror(-r);
	}
}

static int cmd_rw(struct guest *g, FILE *out, FILE *err, int argc, char **argv)
{
	bool wr = argv[0][0] == 'w';
	struct pvpci_sbdf a;
	uint64_t off, size, val = 0;
	uint32_t v = 0;
	int r;

	if (argc != (wr ? 5 : 4) || parse_addr(err, argv[0], argv[1], &a) ||
	    pvpci_parse_u64(argv[2], 0xfff, &off) || pvpci_parse_u64(argv[3], 4, &size) ||
	    (size != 1 && size != 2 && size != 4) ||
	    (wr && pvpci_parse_u64(argv[4], size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1,
				   &val))) {
		fprintf(err, "usage: pvpci guest DOMID %s BDF OFF SIZE%s (OFF <= 0xfff, SIZE 1, 2 "
			     "or 4)\n", argv[0], wr ? " VALUE" : "");
		return PVPCI_EXIT_USAGE;
	}
	if (!g)
		return PVPCI_EXIT_OK;
	r = wr ? pvpci_pvfront_conf_write(g->f, a, (unsigned)off, (unsigned)size, (uint32_t)val)
	       : pvpci_pvfront_conf_read(g->f, a, (unsigned)off, (unsigned)size, &v);
	if (r) {
		char s[PVPCI_SBDF_STRLEN];

		fprintf(err, "pvpci guest %s: %s at %#x size %u: %s\n", argv[0],
			pvpci_sbdf_str(a, s), (unsigned)off, (unsigned)size, op_err(r));
		return PVPCI_EXIT_FAIL;
	}
	if (!wr)
		fprintf(out, "0x%0*x\n", (int)size * 2, v);
	return PVPCI_EXIT_OK;
}

/* ---- msi / msix ---- */

void guest_irqs_drop(struct guest *g, struct pvpci_sbdf a, enum guest_irq_kind kind)
{
	size_t j = 0;

	for (size_t i = 0; i < g->nirqs; i++) {
		struct guest_irq *q = &g->irqs[i];

		if (!pvpci_sbdf_eq(q->dev, a) || (kind && q->kind != kind)) {
			g->irqs[j++] = *q;
			continue;
		}
		if (q->kind == GIRQ_INTX && g->intx_plat) /* may be closed already */
			(void)pvpci_evtchn_close(g->intx_plat, q->port);
	}
	g->nirqs = j;
}

static void irqs_add(struct guest *g, struct pvpci_sbdf a, enum guest_irq_kind kind,
		     const unsigned *pirqs, const uint16_t *entries, unsigned n)
{
	guest_irqs_drop(g, a, kind);
	for (unsigned i = 0; i < n && g->nirqs < GUEST_MAX_IRQS; i++)
		g->irqs[g->nirqs++] = (struct guest_irq){ a, pirqs[i], entries ? entries[i] : i,
							  kind, 0 };
}

static void print_vectors(FILE *out, const char *what, struct pvpci_sbdf a,
			  const unsigned *pirqs, const uint16_t *entries, unsigned n)
{
	char s[PVPCI_SBDF_STRLEN];

	fprintf(out, "%s: %s enabled, %u vector%s:", short_addr(a, s), what, n, n == 1 ? "" : "s");
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "%s %s %u -> pirq %u", i ? "," : "",
			entries ? "entry" : "vector", entries ? entries[i] : i, pirqs[i]);
	fputc('\n', out);
}

static int msi_enable(struct guest *g, FILE *out, struct pvpci_sbdf a, bool msix, unsigned n,
		      unsigned *hint)
{
	unsigned pirqs[SH_INFO_MAX_VEC] = { 0 };
	uint16_t entries[SH_INFO_MAX_VEC] = { 0 };
	int r;

	for (unsigned i = 0; i < n; i++)
		entries[i] = (uint16_t)i;
	if (msix)
		r = pvpci_pvfront_enable_msix(g->f, a, entries, n, pirqs);
	else if (n == 1)
		r = pvpci_pvfront_enable_msi(g->f, a, &pirqs[0]);
	else
		r = pvpci_pvfront_enable_multi_msi(g->f, a, n, pirqs, hint);
	if (r)
		return r;
	irqs_add(g, a, msix ? GIRQ_MSIX : GIRQ_MSI, pirqs, msix ? entries : NULL, n);
	print_vectors(out, msix ? "MSI-X" : n > 1 ? "multi-MSI" : "MSI", a, pirqs,
		      msix ? entries : NULL, n);
	return 0;
}

static int cmd_msi(struct guest *g, FILE *out, FILE *err, int argc, char **argv)
{
	bool msix = !strcmp(argv[0], "msix"), en = argc >= 3 && !strcmp(argv[2], "enable");
	unsigned max = msix ? SH_INFO_MAX_VEC : 32, hint = 0;
	struct pvpci_sbdf a;
	uint64_t n = 1;
	int r;

	if (argc < 3 || argc > 4 || parse_addr(err, argv[0], argv[1], &a) ||
	    (!en && (strcmp(argv[2], "disable") || argc != 3)) ||
	    (argc == 4 && (pvpci_parse_u64(argv[3], max, &n) || n == 0 ||
			   (!msix && (n & (n - 1)))))) {
		fprintf(err, "usage: pvpci guest DOMID %s BDF enable [NVEC] | disable (NVEC 1..%u%s)\n",
			argv[0], max, msix ? "" : ", a power of two");
		return PVPCI_EXIT_USAGE;
	}
	if (!g)
		return PVPCI_EXIT_OK;
	if (en) {
		r = msi_enable(g, out, a, msix, (unsigned)n, &hint);
	} else {
		r = msix ? pvpci_pvfront_disable_msix(g->f, a) : pvpci_pvfront_disable_msi(g->f, a);
		if (!r) {
			guest_irqs_drop(g, a, msix ? GIRQ_MSIX : GIRQ_MSI);
			fprintf(out, "%s: %s disabled\n", argv[1], msix ? "MSI-X" : "MSI");
		}
	}
	if (r) {
		fprintf(err, "pvpci guest %s %s %s: %s%s\n", argv[0], argv[1], argv[2], op_err(r),
			r == -ENXIO ? " (MSI on, or memory decoding off: set COMMAND bit 1 first)"
			: r == -EALREADY ? " (already enabled)" : "");
		if (hint)
			fprintf(err, "  the backend suggests %u vector(s)\n", hint);
		return PVPCI_EXIT_FAIL;
	}
	return PVPCI_EXIT_OK;
}

/* ---- intx ---- */

/* MSI or MSI-X enabled, as the guest reads it. */
static bool msi_on(struct rd_ctx *c)
{
	unsigned msi = pvpci_cap_find(rd, c, 256, false, PCI_CAP_ID_MSI);
	unsigned msix = pvpci_cap_find(rd, c, 256, false, PCI_CAP_ID_MSIX);

	return (msi && (rd0(c, msi + 2, 2) & 1)) || (msix && (rd0(c, msix + 2, 2) & 0x8000));
}

/* The legacy PIRQ: what pciback answers to disable_msi (a no-op with MSI off), which is
 * how Linux's pcifront learns dev->irq. */
static int cmd_intx(struct guest *g, FILE *out, FILE *err, int argc, char **argv)
{
	struct pvpci_sbdf a;
	struct xen_pci_op op;
	struct rd_ctx c;
	int r;

	if (argc != 2 || parse_addr(err, argv[0], argv[1], &a)) {
		fprintf(err, "usage: pvpci guest DOMID intx BDF\n");
		return PVPCI_EXIT_USAGE;
	}
	if (!g)
		return PVPCI_EXIT_OK;
	c = (struct rd_ctx){ g, a };
	if (msi_on(&c)) {
		fprintf(err, "pvpci guest intx %s: MSI or MSI-X is on: disable it first\n", argv[1]);
		return PVPCI_EXIT_FAIL;
	}
	op = (struct xen_pci_op){ .cmd = XEN_PCI_OP_disable_msi, .domain = a.seg, .bus = a.bus,
				  .devfn = PVPCI_DEVFN(a.dev, a.fn) };
	r = pvpci_pvfront_op(g->f, &op);
	r = r ? r : pvpci_pvfront_errno(op.err);
	if (!r && !op.value)
		r = -ENODEV;
	if (!r && g->agent)
		r = guest_bind_intx(g, a, op.value);
	if (r) {
		fprintf(err, "pvpci guest intx %s: %s\n", argv[1],
			r == -ENODEV && !op.err ? "no INTx (no interrupt pin)" : op_err(r));
		return PVPCI_EXIT_FAIL;
	}
	fprintf(out, "%s: INTx on pirq %u%s\n", argv[1], op.value,
		g->agent ? "" : " (its interrupts are received while a pvpci guest watch runs)");
	return PVPCI_EXIT_OK;
}

/* ---- Dispatch ---- */

struct guest_cmd {
	const char *name;
	int (*fn)(struct guest *g, FILE *out, FILE *err, int argc, char **argv);
};

static const struct guest_cmd guest_cmds[] = {
	{ "lspci", cmd_lspci }, { "read", cmd_rw }, { "write", cmd_rw },
	{ "msi", cmd_msi }, { "msix", cmd_msi }, { "intx", cmd_intx },
};

bool guest_known(const char *name)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(guest_cmds); i++)
		if (!strcmp(guest_cmds[i].name, name))
			return true;
	return false;
}

int guest_run(struct guest *g, FILE *out, FILE *err, int argc, char **argv)
{
	for (size_t i = 0; argc > 0 && i < PVPCI_ARRAY_SIZE(guest_cmds); i++)
		if (!strcmp(guest_cmds[i].name, argv[0]))
			return guest_cmds[i].fn(g, out, err, argc, argv);
	fprintf(err, "pvpci guest: unknown command '%s'\n", argc > 0 ? argv[0] : "");
	return PVPCI_EXIT_USAGE;
}
