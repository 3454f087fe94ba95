/* SPDX-License-Identifier: MIT */
/*
 * `pvpci sysfs [--root DIR] [--check-writable] BDF`: a real device through the sysfs
 * source, read-only. Prints who owns it ("driver: NAME" or "driver: none"), whether pvpci
 * may write to it (and, if not, how to let go of it), its BARs from `resource`, and its
 * config space in `lspci -xxx` / `-xxxx` format (the host's view, byte for byte what the
 * device answers). --check-writable exits 1 when a host driver owns the device.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "pvpci/source.h"

static const char *const bar_type_names[] = {
	[PVPCI_BAR_EMPTY] = "empty", [PVPCI_BAR_IO] = "io", [PVPCI_BAR_MEM32] = "mem32",
	[PVPCI_BAR_MEM64_LO] = "mem64", [PVPCI_BAR_MEM64_HI] = "mem64-upper",
	[PVPCI_BAR_ROM] = "rom",
};

static void print_bars(struct pvpci_source *s)
{
	struct pvpci_bar_info b;

	for (unsigned i = 0; i <= PCI_ROM_SLOT; i++) {
		if (pvpci_source_bar_info(s, i, &b) < 0 || b.type == PVPCI_BAR_EMPTY)
			continue;
		printf("%s%u: %s%s at 0x%" PRIx64 " size 0x%" PRIx64 "\n",
		       i == PCI_ROM_SLOT ? "rom" : "bar", i == PCI_ROM_SLOT ? 0 : i,
		       bar_type_names[b.type], b.prefetchable ? " prefetchable" : "", b.addr,
		       b.size);
	}
}

static int show(struct pvpci_source *s, bool check)
{
	char drv[128], msg[512];
	uint8_t cfg[PCIE_CFG_SIZE];
	int w, rc = pvpci_sysfs_driver(s, drv, sizeof(drv));

	if (rc < 0)
		snprintf(drv, sizeof(drv), "? (%s)", pvpci_errname(rc));
	printf("driver: %s\n", drv[0] ? drv : "none");
	w = pvpci_sysfs_writable(s, msg, sizeof(msg));
	printf("writable: %s\n", w == 0 ? "yes" : "no");
	if (w < 0)
		printf("why: %s\n", msg);
	print_bars(s);
	rc = pvpci_source_snapshot(s, cfg, sizeof(cfg));
	if (rc < 0) {
		fprintf(stderr, "pvpci sysfs: %s: reading config space: %s\n",
			pvpci_source_name(s), pvpci_errname(rc));
		return PVPCI_EXIT_FAIL;
	}
	rc = pvpci_dump_write(stdout, pvpci_source_sbdf(s), "", cfg, pvpci_source_cfg_size(s));
	if (rc < 0)
		return PVPCI_EXIT_FAIL;
	return (check && w < 0) ? PVPCI_EXIT_FAIL : PVPCI_EXIT_OK;
}

int cmd_sysfs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "check-writable", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = NULL;
	struct pvpci_source *s;
	struct pvpci_log log;
	bool check = false;
	int c, rc;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "r:wh", opts)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'w')
			check = true;
		else if (c == 'h')
			return pvpci_cmd_usage(argv[0]);
		else
			return PVPCI_EXIT_USAGE; /* reported */
	}
	if (optind + 1 != argc)
		return cli_operands(argv[0], argc - optind, argv + optind, 1, 1, "BDF");
	pvpci_log_init(&log, NULL, "pvpci sysfs");
	rc = pvpci_sysfs_open(argv[optind], root, &log, &s);
	if (rc < 0) {
		fprintf(stderr, "pvpci sysfs: %s under %s: %s\n", argv[optind],
			pvpci_sysfs_root(root), pvpci_errname(rc));
		return PVPCI_EXIT_FAIL;
	}
	rc = show(s, check);
	pvpci_source_close(s);
	return rc;
}
