/* SPDX-License-Identifier: MIT */
/*
 * `pvpci inject irq|aer ...`: the host side of a device event. It sends one request to
 * the running `pvpci backend` over DIR/backend.sock (docs/DAEMONS.md: "irq BDF KIND
 * VECTOR" or "aer BDF STAGE STATE") and prints the answer: whether the interrupt was
 * delivered, or how the AER recovery ended. Exit 0 when delivered / recovered.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "ctl.h"
#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pciif.h"

static int inject_send(const char *run_dir, const char *req, int timeout_ms, int *code)
{
	char p[PATH_MAX + 32], ans[600];
	int fd, r;

	snprintf(p, sizeof(p), "%s/%s", run_dir, CTL_BACKEND_SOCK);
	fd = ctl_connect(p);
	if (fd < 0) {
		fprintf(stderr, "pvpci inject: no pvpci backend listens on %s: %s\n", p,
			strerror(-fd));
		return fd;
	}
	r = ctl_send(fd, req, strlen(req), NULL, 0);
	if (!r)
		r = ctl_recv(fd, ans, sizeof(ans), NULL, NULL, timeout_ms);
	close(fd);
	if (r == 0)
		r = -ECONNRESET;
	if (r < 0) {
		fprintf(stderr, "pvpci inject: %s\n", r == -ETIMEDOUT
			? "no answer from the backend in time" : strerror(-r));
		return r;
	}
	char *sp = strchr(ans, ' ');
	*code = atoi(ans);
	(*code < 0 ? fprintf(stderr, "pvpci inject: %s\n", sp ? sp + 1 : ans)
		   : printf("%s\n", sp ? sp + 1 : ans));
	return 0;
}

int cmd_inject(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *state = "normal";
	char run_dir[PATH_MAX], req[256];
	struct pvpci_parse_err perr;
	struct pvpci_sbdf bdf;
	int c, code = 0, timeout = 30000;
	uint64_t v;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "d:s:t:", lo)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 's' && ctl_lookup(ctl_channel_names, PVPCI_ARRAY_SIZE(ctl_channel_names),
					   optarg) >= 0)
			state = optarg;
		else if (c == 's')
			return cli_usage_error(argv[0], "--state '%s': expected normal, frozen or "
					       "perm_failure", optarg);
		else if (c == 't' && !cli_num(argv[0], "--timeout", optarg, 1, 86400000, &v))
			timeout = (int)v;
		else
			return PVPCI_EXIT_USAGE; /* reported */
	}
	int n = argc - optind;
	char **a = argv + optind;
	if (n < 2)
		return cli_usage_error(argv[0], "expected irq BDF or aer BDF");
	if (strcmp(a[0], "irq") && strcmp(a[0], "aer"))
		return cli_usage_error(argv[0], "unknown request '%s' (irq or aer)", a[0]);
	if (pvpci_sbdf_parse(a[1], &bdf, &perr))
		return cli_usage_error(argv[0], "bad BDF '%s': %s", a[1], perr.msg);
	if (a[0][0] == 'i' && n > 4)
		return cli_operands(argv[0], n, a, 2, 4, "");
	if (a[0][0] == 'a' && n > 3)
		return cli_operands(argv[0], n, a, 2, 3, "");
	if (a[0][0] == 'i') {
		const char *kind = n >= 3 ? a[2] : "auto";
		const char *vec = n >= 4 ? a[3] : "0";

		if (ctl_lookup(ctl_kind_names, PVPCI_ARRAY_SIZE(ctl_kind_names), kind) < 0 &&
		    strcmp(kind, "auto") != 0)
			return cli_usage_error(argv[0], "unknown interrupt kind '%s' (intx, msi "
					       "or msix)", kind);
		if (cli_num(argv[0], "VECTOR", vec, 0, 2047, &v))
			return PVPCI_EXIT_USAGE;
		snprintf(req, sizeof(req), "irq %s %s %s", a[1], kind, vec);
	} else {
		const char *stage = n == 3 ? a[2] : "detected";

		if (ctl_lookup(ctl_stage_names, PVPCI_ARRAY_SIZE(ctl_stage_names), stage) < 0)
			return cli_usage_error(argv[0], "unknown AER stage '%s' (detected, mmio, "
					       "slotreset or resume)", stage);
		snprintf(req, sizeof(req), "aer %s %s %s", a[1], stage, state);
	}
	if (ctl_run_dir(argv[0], dir, run_dir, sizeof(run_dir)) < 0)
		return PVPCI_EXIT_USAGE;
	if (inject_send(run_dir, req, timeout, &code) < 0)
		return PVPCI_EXIT_FAIL;
	if (a[0][0] == 'i')
		return code == 1 ? PVPCI_EXIT_OK : PVPCI_EXIT_FAIL;
	return code == PVPCI_AER_RESULT_RECOVERED ? PVPCI_EXIT_OK : PVPCI_EXIT_FAIL;
}
