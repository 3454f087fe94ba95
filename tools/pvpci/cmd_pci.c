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

#include "cmds.h"
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
	uint64_t v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = PVPCI_TS_TIMEOUT_MS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:b:t:", lo, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'b' && pvpci_parse_u64(optarg, PVPCI_DOMID_MAX, &v) == 0)
			o->backend = (unsigned)v;
		else if (c == 't' && pvpci_parse_u64(optarg, 3600000, &v) == 0 && v > 0)
			o->timeout_ms = (int)v;
		else if (c == 'V' && strcmp(argv[0], "assignable-list"))
			o->vpci = true;
		else if (c == 'P' && (!strcmp(optarg, "xen") || !strcmp(optarg, "local")))
			o->xen = !strcmp(optarg, "xen");
		else
			return pvpci_cmd_usage(argv[0]);
	}
	o->first_arg = optind;
	r = dir ? (snprintf(o->run_dir, sizeof(o->run_dir), "%s", dir) <
			   (int)sizeof(o->run_dir) ? 0 : -ENAMETOOLONG)
		: pvpci_run_dir_default(o->run_dir, sizeof(o->run_dir));
	if (r < 0) {
		fprintf(stderr, "pvpci %s: no run directory: %s (give --run-dir DIR or set "
				"PVPCI_RUN_DIR)\n", argv[0], strerror(-r));
		return PVPCI_EXIT_USAGE;
	}
	return 0;
}

/* Join the host as the control domain; *xs = its store handle. */
static int open_dom0(const char *cmd, const struct pci_opts *o, struct pvpci_platform **p,
		     struct xs_handle **xs)
{
	struct pvpci_platform_config cfg = { .run_dir = o->run_dir };
	int r = pvpci_platform_open(o->xen ? "xen" : "local", &cfg, p);

	if (r < 0 && o->xen) {
		fprintf(stderr, "pvpci %s: cannot open the xen platform: %s\n", cmd, strerror(-r));
		return r;
	}
	if (r < 0) {
		fprintf(stderr, "pvpci %s: no pvpci host serves %s: %s\n", cmd, o->run_dir,
			strerror(-r));
		return r;
	}
	*xs = pvpci_platform_xs(*p);
	if (!*xs) {
		fprintf(stderr, "pvpci %s: no store connection\n", cmd);
		pvpci_platform_close(*p);
		return -EIO;
	}
	return 0;
}

/* DOMID: a number, else a domain name. */
static int resolve_domain(const char *cmd, struct pvpci_platform *p, const char *arg,
			  unsigned *domid)
{
	uint64_t v;
	int r;

	if (pvpci_parse_u64(arg, PVPCI_DOMID_MAX, &v) == 0) {
		*domid = (unsigned)v;
		return 0;
	}
	r = pvpci_domain_lookup(p, arg, domid);
	if (r < 0)
		fprintf(stderr, "pvpci %s: %s: %s\n", cmd, arg,
			r == -ENOENT ? "no such domain" : strerror(-r));
	return r;
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
		return pvpci_cmd_usage(argv[0]);
	const char *text = argv[o.first_arg + 1];
	if (pvpci_pci_spec_parse(text, &spec, &perr)) {
		fprintf(stderr, "pvpci attach: bad PCI spec '%s': %s\n  %s\n  %*s^\n", text,
			perr.msg, text, (int)perr.pos, "");
		return PVPCI_EXIT_USAGE;
	}
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = resolve_domain(argv[0], p, argv[o.first_arg], &domid);
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
		return pvpci_cmd_usage(argv[0]);
	if (pvpci_sbdf_parse(argv[o.first_arg + 1], &bdf, &perr)) {
		fprintf(stderr, "pvpci detach: bad BDF '%s': %s\n", argv[o.first_arg + 1],
			perr.msg);
		return PVPCI_EXIT_USAGE;
	}
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = resolve_domain(argv[0], p, argv[o.first_arg], &domid);
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
		return pvpci_cmd_usage(argv[0]);
	if (open_dom0(argv[0], &o, &p, &xs) < 0)
		return PVPCI_EXIT_FAIL;
	r = resolve_domain(argv[0], p, argv[o.first_arg], &domid);
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
		return pvpci_cmd_usage(argv[0]);
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
