/* SPDX-License-Identifier: MIT */
/*
 * PCI toolstack commands, in the manner of xl's pci-attach / pci-detach / pci-list /
 * pci-assignable-list: `pvpci attach DOMID PCI_SPEC`, `pvpci detach DOMID BDF`, `pvpci
 * list DOMID`, `pvpci assignable-list`. A thin shell over the toolstack library
 * (pvpci/toolstack.h): it joins the local platform's host as the control domain (run
 * directory from --run-dir, $PVPCI_RUN_DIR, /run/pvpci as root, $XDG_RUNTIME_DIR/pvpci)
 * and uses that handle's store connection. DOMID is a domain id or a domain name.
 * --vpci: attach / detach / list the guest's vPCI devices (served by the vPCI ioreq
 * server, no PV frontend) instead. --platform xen: in dom0 of a real Xen (Xen's xenstored),
 * attach / detach also make the privileged calls libxl makes (xen_grant.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "ctl.h"
#include "xen_grant.h"
#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/platform.h"
#include "pvpci/toolstack.h"

struct pci_opts {
	char run_dir[PATH_MAX];
	unsigned backend;
	int timeout_ms;
	int first_arg;
	bool vpci; /* --vpci: a vPCI assignment (src/toolstack/vpci.c) */
	bool xen;  /* --platform xen */
};

/* One option; 0, or an exit code (reported). */
static int opt_one(const char *cmd, int c, struct pci_opts *o, const char **dir)
{
	bool changes = !strcmp(cmd, "attach") || !strcmp(cmd, "detach");
	uint64_t v;

	switch (c) {
	case 'd':
		*dir = optarg;
		return 0;
	case 'b':
		if (cli_num(cmd, "--backend", optarg, 0, PVPCI_DOMID_MAX, &v))
			return PVPCI_EXIT_USAGE;
		o->backend = (unsigned)v;
		return 0;
	case 't':
		if (!changes)
			return cli_usage_error(cmd, "--timeout applies to attach and detach only");
		if (cli_num(cmd, "--timeout", optarg, 1, 3600000, &v))
			return PVPCI_EXIT_USAGE;
		o->timeout_ms = (int)v;
		return 0;
	case 'V':
		if (!strcmp(cmd, "assignable-list"))
			return cli_usage_error(cmd, "--vpci does not apply to assignable-list");
		o->vpci = true;
		return 0;
	case 'P':
		return cli_platform(cmd, optarg, &o->xen) ? PVPCI_EXIT_USAGE : 0;
	default:
		return PVPCI_EXIT_USAGE; /* reported by cli_getopt */
	}
}

static int parse_opts(int argc, char **argv, struct pci_opts *o)
{
	static const struct option lo[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "vpci", no_argument, NULL, 'V' },
		{ "platform", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = PVPCI_TS_TIMEOUT_MS;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "+d:b:t:", lo)) != -1) {
		r = opt_one(argv[0], c, o, &dir);
		if (r)
			return r;
	}
	o->first_arg = optind;
	if (ctl_run_dir(argv[0], dir, o->run_dir, sizeof(o->run_dir)) < 0)
		return PVPCI_EXIT_USAGE;
	return 0;
}

/* Join the host as the control domain; *xs = its store handle. */
static int open_dom0(const char *cmd, const struct pci_opts *o, struct pvpci_platform **p,
		     struct xs_handle **xs)
{
	int r = ctl_open(cmd, o->run_dir, o->xen, false, p);

	if (r < 0)
		return r;
	*xs = pvpci_platform_xs(*p);
	if (!*xs) {
		fprintf(stderr, "pvpci %s: no store connection\n", cmd);
		pvpci_platform_close(*p);
		return -EIO;
	}
	return 0;
}

static int report(const char *cmd, int r, const struct pvpci_ts_err *err)
{
	if (r < 0) {
		fprintf(stderr, "pvpci %s: %s\n", cmd, err->msg[0] ? err->msg : strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	if (err->msg[0])
		fprintf(stderr, "pvpci %s: warning: %s\n", cmd, err->msg);
	return PVPCI_EXIT_OK;
}

int cmd_attach(int argc, char **argv)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_parse_err perr = { 0 };
	struct pvpci_pci_spec spec;
	struct pvpci_platform *p;
	struct xs_handle *xs;
	struct pci_opts o;
	unsigned domid;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc - 2)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 2, 2,
				    "DOMID and PCI_SPEC");
	const char *text = argv[o.first_arg + 1];
	if (pvpci_pci_spec_parse(text, &spec, &perr)) {
		fprintf(stderr, "pvpci attach: bad PCI spec '%s': %s\n  %s\n  %*s^\n", text,
			perr.msg, text, (int)perr.pos, "");
		return PVPCI_EXIT_USAGE;
	}
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = ctl_domid_on(argv[0], p, argv[o.first_arg], &domid);
	if (r == 0 && o.xen && (spec.addr.any_dev || spec.addr.any_fn || o.vpci)) {
		fprintf(stderr, "pvpci attach: --platform xen takes one function (no '*', no "
				"--vpci)\n");
		r = -EINVAL;
	}
	if (r == 0 && o.xen)
		r = xen_grant_device(p, domid, spec.addr.a, true, stderr);
	if (r == 0) {
		int rt = o.vpci ? pvpci_ts_vpci_attach(xs, o.backend, domid, &spec, o.timeout_ms,
						       &err)
				: pvpci_ts_attach(xs, o.backend, domid, &spec, o.timeout_ms, &err);

		if (rt < 0 && o.xen)
			(void)xen_grant_device(p, domid, spec.addr.a, false, stderr);
		r = report(argv[0], rt, &err);
	} else {
		r = PVPCI_EXIT_FAIL;
	}
	pvpci_platform_close(p);
	return r;
}

int cmd_detach(int argc, char **argv)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_parse_err perr = { 0 };
	struct pvpci_platform *p;
	struct pvpci_sbdf bdf;
	struct xs_handle *xs;
	struct pci_opts o;
	unsigned domid;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc - 2)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 2, 2,
				    "DOMID and BDF");
	if (pvpci_sbdf_parse(argv[o.first_arg + 1], &bdf, &perr)) {
		fprintf(stderr, "pvpci detach: bad BDF '%s': %s\n", argv[o.first_arg + 1],
			perr.msg);
		return PVPCI_EXIT_USAGE;
	}
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = ctl_domid_on(argv[0], p, argv[o.first_arg], &domid);
	if (r == 0) {
		int rt = o.vpci ? pvpci_ts_vpci_detach(xs, o.backend, domid, bdf, o.timeout_ms,
						       &err)
				: pvpci_ts_detach(xs, o.backend, domid, bdf, o.timeout_ms, &err);

		/* the guest no longer sees it: take back what attach granted */
		if (rt == 0 && o.xen && !o.vpci)
			rt = xen_grant_device(p, domid, bdf, false, stderr);
		r = report(argv[0], rt, &err);
	} else {
		r = PVPCI_EXIT_FAIL;
	}
	pvpci_platform_close(p);
	return r;
}

static void print_entry(const struct pvpci_ts_entry *e)
{
	char vdev[PVPCI_SBDF_STRLEN] = "-", bdf[PVPCI_SBDF_STRLEN];

	if (e->has_vdev)
		pvpci_sbdf_str(e->vdev, vdev);
	printf("%-13s %-13s %s%s%s\n", vdev, pvpci_sbdf_str(e->bdf, bdf), e->opts,
	       e->name[0] ? ",name=" : "", e->name);
}

/* list --vpci: Vdev, BDF, state (and the server's reason for a refusal). */
static int list_vpci(struct xs_handle *xs, const struct pci_opts *o, unsigned domid)
{
	static const char *const st[] = { [1] = "pending", [4] = "assigned",
					  [5] = "detaching", [6] = "refused" };
	struct pvpci_ts_err err = { "" };
	struct pvpci_ts_vpci_entry *e = NULL;
	size_t n = 0;

	if (pvpci_ts_vpci_list(xs, o->backend, domid, &e, &n, &err) < 0) {
		fprintf(stderr, "pvpci list: %s\n", err.msg);
		return PVPCI_EXIT_FAIL;
	}
	printf("%-13s %-13s %s\n", "Vdev", "BDF", "State");
	for (size_t i = 0; i < n; i++) {
		char vdev[PVPCI_SBDF_STRLEN] = "-", bdf[PVPCI_SBDF_STRLEN];
		int s = e[i].state;

		if (e[i].has_vdev && s == 4)
			pvpci_sbdf_str(e[i].vdev, vdev);
		printf("%-13s %-13s %s%s%s\n", vdev, pvpci_sbdf_str(e[i].bdf, bdf),
		       s > 0 && s < 7 && st[s] ? st[s] : "?", e[i].error[0] ? ": " : "",
		       e[i].error);
	}
	free(e);
	return PVPCI_EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_ts_entry *e = NULL;
	struct pvpci_platform *p;
	struct xs_handle *xs;
	struct pci_opts o;
	unsigned domid;
	size_t n = 0;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc - 1)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 1, 1, "DOMID");
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = ctl_domid_on(argv[0], p, argv[o.first_arg], &domid);
	if (r == 0 && o.vpci) {
		r = list_vpci(xs, &o, domid);
		pvpci_platform_close(p);
		return r;
	}
	if (r == 0)
		r = pvpci_ts_list(xs, o.backend, domid, &e, &n, &err);
	pvpci_platform_close(p);
	if (r < 0) {
		if (err.msg[0])
			fprintf(stderr, "pvpci list: %s\n", err.msg);
		return PVPCI_EXIT_FAIL;
	}
	printf("%-13s %-13s %s\n", "Vdev", "BDF", "Options");
	for (size_t i = 0; i < n; i++)
		print_entry(&e[i]);
	free(e);
	return PVPCI_EXIT_OK;
}

int cmd_assignable_list(int argc, char **argv)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_ts_host_dev *h = NULL;
	struct pvpci_platform *p;
	struct xs_handle *xs;
	struct pci_opts o;
	size_t n = 0;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 0, 0, "");
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = pvpci_ts_host_devices(xs, o.backend, &h, &n, &err);
	pvpci_platform_close(p);
	if (r < 0) {
		fprintf(stderr, "pvpci assignable-list: %s\n", err.msg[0] ? err.msg : strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	printf("%-13s %-6s %s\n", "BDF", "Domain", "Model");
	for (size_t i = 0; i < n; i++) {
		char bdf[PVPCI_SBDF_STRLEN], dom[16] = "-";

		if (h[i].domid >= 0)
			snprintf(dom, sizeof(dom), "%d", h[i].domid);
		printf("%-13s %-6s %s\n", pvpci_sbdf_str(h[i].bdf, bdf), dom, h[i].model);
	}
	free(h);
	return PVPCI_EXIT_OK;
}
