/* SPDX-License-Identifier: MIT */
/*
 * The local platform's vPCI in the CLI. `pvpci guest --vpci DOMID COMMAND`: a process
 * acting as vCPU 0 of guest DOMID, whose config accesses are trapped to the vPCI ioreq
 * server as Xen's ioreqs (src/vpci/guest.c): `lspci [-v] [-x|-xxx|-xxxx]` enumerates bus
 * 0 (32 slots x 8 functions; vendor all-ones = nothing there) and prints what a guest
 * kernel finds by itself (-v: BARs sized by writing all ones with decoding off, the
 * capability list, PIRQs the server bound for its MSI / MSI-X vectors), `read BDF OFF
 * SIZE`, `write BDF OFF SIZE VALUE` (config), `mr ADDR SIZE`, `mw ADDR SIZE VALUE` (guest
 * MMIO: ECAM window, MSI-X table / PBA pages, mapped BARs). Each command connects, runs
 * and closes (the devices keep their state between commands, as a guest's do between
 * two programs). Also the glue running the vPCI server inside `pvpci backend`.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "cli.h"
#include "cmds.h"
#include "ctl.h"
#include "lspci_fn.h"
#include "pvpci/platform.h"
#include "pvpci/vpci.h"
#include "vpci_local.h"

struct vg {
	const char *cmd;
	struct pvpci_platform *plat;
	struct pvpci_vpci_guest *g;
	FILE *out, *err;
};

/* ---- lspci ---- */

static const struct { uint16_t cls; const char *name; } class_names[] = {
	{ 0x0100, "SCSI storage controller" }, { 0x0101, "IDE interface" },
	{ 0x0106, "SATA controller" }, { 0x0107, "Serial Attached SCSI controller" },
	{ 0x0108, "Non-Volatile memory controller" }, { 0x0200, "Ethernet controller" },
	{ 0x0300, "VGA compatible controller" }, { 0x0302, "3D controller" },
	{ 0x0401, "Multimedia audio controller" }, { 0x0403, "Audio device" },
	{ 0x0600, "Host bridge" }, { 0x0604, "PCI bridge" },
	{ 0x00ff, "Unclassified device" }, { 0x01ff, "Mass storage controller" },
	{ 0x02ff, "Network controller" }, { 0x03ff, "Display controller" },
	{ 0x04ff, "Multimedia controller" }, { 0x05ff, "Memory controller" },
	{ 0x06ff, "Bridge" }, { 0x07ff, "Communication controller" },
	{ 0x08ff, "Generic system peripheral" }, { 0x0cff, "Serial bus controller" },
};

static const char *class_name(uint16_t cls)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(class_names); i++)
		if (class_names[i].cls == cls)
			return class_names[i].name;
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(class_names); i++)
		if (class_names[i].cls == ((cls & 0xff00) | 0xff))
			return class_names[i].name;
	return "Class";
}

struct rdc {
	struct vg *v;
	struct pvpci_sbdf a;
};

static int rd(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	struct rdc *c = opaque;

	return pvpci_vpci_guest_cfg_read(c->v->g, c->a, off, size, val);
}

static int wr(void *opaque, unsigned off, unsigned size, uint32_t val)
{
	struct rdc *c = opaque;
	int r = pvpci_vpci_guest_cfg_write(c->v->g, c->a, off, size, val);

	if (r)
		fprintf(c->v->err, "pvpci %s: write of %#x at %#x failed\n", c->v->cmd, val, off);
	return r;
}

/* What a vPCI guest sees: decoding off while BARs are sized, registers reading 0 sized
 * too, no INTx routing, MSI / MSI-X / Express capabilities named. */
#define VPCI_LSPCI_FLAGS (LSPCI_DECODE_OFF | LSPCI_SIZE_ZERO | LSPCI_INTX_UNROUTED)

/* The PIRQs the server published for this device: pirq/<dddd-bb-dd-f>-<kind>-<n>. */
static void print_pirqs(struct vg *v, struct pvpci_sbdf a)
{
	struct xs_handle *xs = pvpci_platform_xs(v->plat);
	char dir[160], prefix[32], path[224];
	unsigned n = 0;
	char **names;
	bool any = false;

	snprintf(dir, sizeof(dir), PVPCI_VPCI_BE_FMT "/pirq",
		 pvpci_vpci_guest_backend(v->g), pvpci_platform_domid(v->plat));
	snprintf(prefix, sizeof(prefix), "%04x-%02x-%02x-%x-", a.seg, a.bus, a.dev, a.fn);
	names = xs_directory(xs, XBT_NULL, dir, &n);
	for (unsigned i = 0; names && i < n; i++) {
		unsigned len = 0;
		char *val;

		if (strncmp(names[i], prefix, strlen(prefix)) || strlen(names[i]) > 40)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		val = xs_read(xs, XBT_NULL, path, &len);
		if (val && len < 12)
			fprintf(v->out, "%s %s -> pirq %.*s", any ? "," : "\tIRQ lines:",
				names[i] + strlen(prefix), (int)len, val);
		any = any || (val && len < 12);
		free(val);
	}
	free(names);
	if (any)
		fputc('\n', v->out);
}

/* One function: 1 printed, 0 nothing there. */
static int lspci_one(struct vg *v, struct pvpci_sbdf a, bool verbose, unsigned dump,
		     uint8_t *htype)
{
	struct rdc c = { v, a };
	struct lspci_fn f = { rd, wr, &c, v->out, VPCI_LSPCI_FLAGS };
	uint32_t id = 0, cls, ht;

	if (rd(&c, PCI_REG_VENDOR_ID, 4, &id) || (id & 0xffff) == 0xffff)
		return 0;
	if (rd(&c, PCI_REG_REVISION, 4, &cls))
		cls = 0;
	if (rd(&c, PCI_REG_HEADER_TYPE, 1, &ht))
		ht = 0;
	*htype = (uint8_t)ht;
	fprintf(v->out, "%02x:%02x.%x %s [%04x]: %04x:%04x", a.bus, a.dev, a.fn,
		class_name((uint16_t)(cls >> 16)), cls >> 16, id & 0xffff, id >> 16);
	if (cls & 0xff)
		fprintf(v->out, " (rev %02x)", cls & 0xff);
	fputc('\n', v->out);
	if (verbose) {
		lspci_fn_verbose(&f, *htype);
		print_pirqs(v, a);
	}
	if (dump)
		lspci_fn_dump(&f, dump);
	else if (verbose)
		fputc('\n', v->out);
	return 1;
}

static int do_lspci(struct vg *v, int argc, char **argv)
{
	bool verbose = false;
	unsigned dump = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-x") || !strcmp(argv[i], "-xxx") ||
			 !strcmp(argv[i], "-xxxx"))
			dump = argv[i][2] ? (argv[i][4] ? PCIE_CFG_SIZE : 256) : 64;
		else
			return PVPCI_EXIT_USAGE;
	}
	if (!v)
		return PVPCI_EXIT_OK;
	for (unsigned dev = 0; dev < PVPCI_VPCI_SLOTS; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			struct pvpci_sbdf a = { 0, 0, (uint8_t)dev, (uint8_t)fn };
			uint8_t ht = 0;

			/* function 0 absent or single-function: the rest of the slot is
			 * still probed (vPCI keeps physical function numbers) */
			(void)lspci_one(v, a, verbose, dump, &ht);
		}
	}
	return PVPCI_EXIT_OK;
}

/* ---- read / write / mr / mw ---- */

static int num_arg(struct vg *v, const char *what, const char *s, uint64_t max, uint64_t *out)
{
	if (pvpci_parse_u64(s, max, out) == 0)
		return 0;
	if (v)
		fprintf(v->err, "pvpci %s: bad %s '%s'\n", v->cmd, what, s);
	return -EINVAL;
}

static bool size_ok(uint64_t s, bool cfg)
{
	return s == 1 || s == 2 || s == 4 || (!cfg && s == 8);
}

static const char *req_err(int r)
{
	return r == -ETIMEDOUT ? "the vPCI server did not answer in time" : strerror(-r);
}

/* read BDF OFF SIZE | write BDF OFF SIZE VALUE */
static int do_cfg(struct vg *v, int argc, char **argv)
{
	bool write = argv[0][0] == 'w';
	struct pvpci_sbdf a;
	uint64_t off, size, val = 0;
	uint32_t got = 0;
	int r;

	if (argc != (write ? 5 : 4) || pvpci_sbdf_parse(argv[1], &a, NULL) ||
	    num_arg(NULL, "offset", argv[2], PCIE_CFG_SIZE - 1, &off) ||
	    num_arg(NULL, "size", argv[3], 4, &size) || !size_ok(size, true) ||
	    (write && num_arg(NULL, "value", argv[4], UINT32_MAX, &val)))
		return PVPCI_EXIT_USAGE;
	if (!v)
		return PVPCI_EXIT_OK;
	r = write ? pvpci_vpci_guest_cfg_write(v->g, a, (unsigned)off, (unsigned)size,
					       (uint32_t)val)
		  : pvpci_vpci_guest_cfg_read(v->g, a, (unsigned)off, (unsigned)size, &got);
	if (r) {
		fprintf(v->err, "pvpci %s: %s %s at %#x: %s\n", v->cmd, argv[0], argv[1],
			(unsigned)off, req_err(r));
		return PVPCI_EXIT_FAIL;
	}
	if (!write)
		fprintf(v->out, "0x%0*x\n", (int)size * 2, got);
	return PVPCI_EXIT_OK;
}

/* mr ADDR SIZE | mw ADDR SIZE VALUE */
static int do_mmio(struct vg *v, int argc, char **argv)
{
	bool write = argv[0][1] == 'w';
	uint64_t addr, size, val = 0;
	int r;

	if (argc != (write ? 4 : 3) || num_arg(NULL, "address", argv[1], UINT64_MAX, &addr) ||
	    num_arg(NULL, "size", argv[2], 8, &size) || !size_ok(size, false) ||
	    (addr & (size - 1)) || (write && num_arg(NULL, "value", argv[3], UINT64_MAX, &val)))
		return PVPCI_EXIT_USAGE;
	if (!v)
		return PVPCI_EXIT_OK;
	r = pvpci_vpci_guest_ioreq(v->g, PVPCI_IOREQ_TYPE_COPY, !write, addr, (unsigned)size,
				   &val);
	if (r) {
		fprintf(v->err, "pvpci %s: %s %#" PRIx64 ": %s\n", v->cmd, argv[0], addr,
			req_err(r));
		return PVPCI_EXIT_FAIL;
	}
	if (!write)
		fprintf(v->out, "0x%0*" PRIx64 "\n", (int)size * 2, val);
	return PVPCI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct vg *v, int argc, char **argv);
	const char *syntax; /* for a usage error */
} vcmds[] = {
	{ "lspci", do_lspci, "lspci [-v] [-x|-xxx|-xxxx]" },
	{ "read", do_cfg, "read BDF OFF SIZE (OFF <= 0xfff, SIZE 1, 2 or 4)" },
	{ "write", do_cfg, "write BDF OFF SIZE VALUE (OFF <= 0xfff, SIZE 1, 2 or 4)" },
	{ "mr", do_mmio, "mr ADDR SIZE (SIZE 1, 2, 4 or 8, ADDR a multiple of SIZE)" },
	{ "mw", do_mmio, "mw ADDR SIZE VALUE (SIZE 1, 2, 4 or 8, ADDR a multiple of SIZE)" },
};

int vguest_cmd(const char *cmd, const char *run_dir, int connect_timeout_ms,
	       int op_timeout_ms, int argc, char **argv)
{
	struct pvpci_platform_config cfg = { 0 };
	struct vg v = { .cmd = cmd, .out = stdout, .err = stderr };
	char dir[PATH_MAX];
	struct pvpci_log lg;
	unsigned domid;
	size_t i;
	int r;

	for (i = 0; argc >= 2 && i < PVPCI_ARRAY_SIZE(vcmds); i++)
		if (!strcmp(argv[1], vcmds[i].name))
			break;
	if (argc < 2)
		return cli_usage_error(cmd, "expected DOMID and a command");
	if (i == PVPCI_ARRAY_SIZE(vcmds))
		return cli_usage_error(cmd, "--vpci: unknown command '%s' (lspci, read, write, "
				       "mr, mw)", argv[1]);
	if (vcmds[i].fn(NULL, argc - 1, argv + 1) != PVPCI_EXIT_OK)
		return cli_usage_error(cmd, "--vpci: bad arguments; expected %s",
				       vcmds[i].syntax);
	if (ctl_run_dir(cmd, run_dir, dir, sizeof(dir)) < 0)
		return PVPCI_EXIT_USAGE;
	if (ctl_domid(cmd, dir, argv[0], &domid) < 0)
		return PVPCI_EXIT_FAIL;
	pvpci_log_init(&lg, NULL, NULL);
	lg.max_level = PVPCI_LOG_WARNING;
	cfg.run_dir = dir;
	cfg.domid = domid;
	cfg.log = &lg;
	r = pvpci_platform_open("local", &cfg, &v.plat);
	if (r) {
		fprintf(stderr, "pvpci %s: cannot join domain %u on %s: %s\n", cmd, domid, dir,
			r == -ENOENT ? "no such domain (or no pvpci host)" : strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	r = pvpci_vpci_guest_connect(v.plat, connect_timeout_ms, &lg, &v.g);
	if (r) {
		fprintf(stderr, "pvpci %s: domain %u: %s\n", cmd, domid,
			r == -ENOENT ? "no vPCI device (attach one with pvpci attach --vpci)"
			: r == -ETIMEDOUT ? "the vPCI server did not connect in time (is pvpci "
					    "backend running?)"
			: r == -ECONNREFUSED ? "the vPCI server refused the connection"
					     : strerror(-r));
		pvpci_platform_close(v.plat);
		return PVPCI_EXIT_FAIL;
	}
	pvpci_vpci_guest_set_timeout(v.g, op_timeout_ms);
	r = vcmds[i].fn(&v, argc - 1, argv + 1);
	fflush(stdout);
	pvpci_vpci_guest_close(v.g);
	pvpci_platform_close(v.plat);
	return r;
}

/* ---- The server inside pvpci backend ---- */

struct vserver {
	struct pvpci_platform *plat;
	struct pvpci_vpci_server *srv;
	struct pvpci_backend *be;
	vserver_lookup_fn lookup;
	void *opaque;
	struct pvpci_log lg;
};

/* The device leaves the PV backend's table while a vPCI guest holds it. */
static int vs_acquire(void *opaque, struct pvpci_sbdf host, struct pvpci_source **src,
		      char *why, size_t wlen)
{
	struct vserver *v = opaque;
	struct pvpci_source *s = v->lookup(v->opaque, host);
	int r;

	if (!s) {
		snprintf(why, wlen, "not among this backend's devices");
		return -ENODEV;
	}
	r = v->be ? pvpci_backend_remove_device(v->be, host) : 0;
	if (r) {
		snprintf(why, wlen, "%s", r == -EBUSY ? "a PV guest holds it" : strerror(-r));
		return r;
	}
	*src = s;
	return 0;
}

static void vs_release(void *opaque, struct pvpci_sbdf host, struct pvpci_source *src)
{
	struct vserver *v = opaque;
	char a[PVPCI_SBDF_STRLEN];
	int r = v->be ? pvpci_backend_add_device(v->be, src, NULL) : 0;

	if (r)
		pvpci_logf(&v->lg, PVPCI_LOG_ERR, "%s: cannot give it back to the PV backend: %s",
			   pvpci_sbdf_str(host, a), strerror(-r));
}

int vserver_open(const char *run_dir, const struct pvpci_log *lg, struct pvpci_backend *be,
		 vserver_lookup_fn lookup, void *opaque, struct vserver **out)
{
	struct vserver *v = calloc(1, sizeof(*v));
	struct pvpci_platform_config cfg = { .run_dir = run_dir, .log = lg };
	struct pvpci_vpci_server_opts o = {
		.acquire = vs_acquire, .release = vs_release, .log = lg,
	};
	int r;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->be = be;
	v->lookup = lookup;
	v->opaque = opaque;
	o.opaque = v;
	pvpci_log_init(&v->lg, lg, "vpci");
	r = pvpci_platform_open("local", &cfg, &v->plat);
	if (!r)
		r = pvpci_vpci_server_create(v->plat, &o, &v->srv);
	if (!r)
		r = pvpci_vpci_server_start(v->srv);
	if (r) {
		vserver_close(v);
		return r;
	}
	*out = v;
	return 0;
}

void vserver_close(struct vserver *v)
{
	if (!v)
		return;
	pvpci_vpci_server_destroy(v->srv);
	if (v->plat)
		pvpci_platform_close(v->plat);
	free(v);
}

int vserver_poll_prepare(struct vserver *v, struct pollfd *fds, int *timeout_ms)
{
	return pvpci_vpci_server_poll_prepare(v->srv, fds, VSERVER_NFDS, timeout_ms);
}

int vserver_process(struct vserver *v)
{
	return pvpci_vpci_server_process(v->srv);
}

bool vserver_ready(void *v)
{
	return pvpci_vpci_server_ready(((struct vserver *)v)->srv);
}

int vserver_raise_irq(struct vserver *v, struct pvpci_sbdf host, enum pvpci_irq_kind kind,
		      unsigned vector)
{
	return pvpci_vpci_server_raise_irq(v->srv, host, kind, vector);
}
