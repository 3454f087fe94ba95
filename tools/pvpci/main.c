/* SPDX-License-Identifier: MIT */
/*
 * pvpci: the command-line tool. main() looks the first argument up in the command table
 * below and hands it the rest; `pvpci help` and `pvpci CMD --help` print what each
 * command takes. Commands live one group per file (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

static const struct pvpci_cmd commands[] = {
	{ "view", cmd_view,
	  "[--policy pv|vpci] [--permissive] [--allow-interrupt-control] [--quirk OFF:SIZE:MASK]... MODEL",
	  "print the guest's view of a model device in lspci -xxxx format" },
	{ "replay", cmd_replay, "[same options as view] MODEL TRACE",
	  "replay a guest's config accesses (r/w/hr/dump/hdump) against a model device; "
	  "--policy vpci: r/w reach the device at guest 00:00.f, plus maps, irqs, "
	  "mr/mw ADDR (guest MMIO), raise msi|msix N" },
	{ "host", cmd_host, "[--run-dir DIR] [--verbose]",
	  "run the local platform (store, grants, event channels, domains) in the foreground" },
	{ "domain-create", cmd_domain_create, "[--run-dir DIR] NAME",
	  "create a domain on the local platform; prints its domid" },
	{ "domain-destroy", cmd_domain_destroy, "[--run-dir DIR] ID|NAME",
	  "destroy a local-platform domain, releasing everything it held" },
	{ "domain-list", cmd_domain_list, "[--run-dir DIR]",
	  "list the local platform's domains (id, name)" },
	{ "sysfs", cmd_sysfs, "[--root DIR] [--check-writable] BDF",
	  "show a real device through sysfs: owner, writability, BARs, config (lspci -x)" },
	{ "attach", cmd_attach,
	  "[--run-dir DIR] [--backend DOMID] [--timeout MS] [--vpci] [--platform local|xen] DOMID PCI_SPEC",
	  "attach a host PCI function to a guest (xl pci-attach; cold- or hot-plug); "
	  "--vpci: through vPCI (trapped config access, no PV frontend)" },
	{ "detach", cmd_detach,
	  "[--run-dir DIR] [--backend DOMID] [--timeout MS] [--vpci] [--platform local|xen] DOMID BDF",
	  "detach a PCI function from a guest (xl pci-detach; hot-unplug, renumbering)" },
	{ "list", cmd_list, "[--run-dir DIR] [--backend DOMID] [--vpci] [--platform local|xen] DOMID",
	  "list a guest's PCI functions (xl pci-list); --vpci: its vPCI devices" },
	{ "assignable-list", cmd_assignable_list,
	  "[--run-dir DIR] [--backend DOMID] [--platform local|xen]",
	  "list the host's devices the backend serves and the guest each is attached to" },
	{ "backend", cmd_backend,
	  "[--platform local|xen] [--run-dir DIR] [--device BDF=MODEL[#N]|BDF=sysfs]... [--mode vpci|passthrough] [--aer-timeout SECONDS] [-v]",
	  "run the PV PCI backend (local: also the vPCI ioreq server), serving model devices "
	  "(xen: BDF=sysfs, real ones) to guests" },
	{ "guest", cmd_guest,
	  "[--platform local|xen] [--run-dir DIR] [--timeout MS] [--op-timeout MS] [--vpci] DOMID [--vpci] lspci [-v] [-x|-xxx|-xxxx] | "
	  "read BDF OFF SIZE | write BDF OFF SIZE VALUE | msi|msix BDF enable [NVEC]|disable | intx BDF | "
	  "mr|mw ADDR SIZE [VALUE] (--vpci) | "
	  "watch [--aer-result recovered|disconnect|none|can_recover|need_reset]",
	  "act as a guest's PCI frontend: list, access, MSI / MSI-X, watch events; --vpci: "
	  "as a vPCI guest (lspci, read, write, mr|mw ADDR SIZE [VALUE]: trapped accesses)" },
	{ "inject", cmd_inject,
	  "[--run-dir DIR] [--timeout MS] irq BDF [intx|msi|msix] [VECTOR] | "
	  "aer BDF [detected|mmio|slotreset|resume] [--state normal|frozen|perm_failure]",
	  "make a device of the running backend raise an interrupt or an AER error" },
};

static void print_help(FILE *f)
{
	fprintf(f, "usage: pvpci COMMAND [ARGS]\n\n"
		   "pvpci is the Xen PCI passthrough stack in user space.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'pvpci COMMAND --help' for a command's arguments.\n");
}

int pvpci_cmd_usage(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name))
			continue;
		fprintf(stderr, "usage: pvpci %s %s\n  %s\n", name, commands[i].args,
			commands[i].summary);
		return PVPCI_EXIT_USAGE;
	}
	return PVPCI_EXIT_USAGE;
}

int pvpci_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return PVPCI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(stdout);
		return PVPCI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pvpci 0.1.0\n");
		return PVPCI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[1]))
			continue;
		if (pvpci_wants_help(argc - 1, argv + 1)) {
			printf("usage: pvpci %s %s\n  %s\n", commands[i].name, commands[i].args,
			       commands[i].summary);
			return PVPCI_EXIT_OK;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "pvpci: unknown command '%s'\n", argv[1]);
	print_help(stderr);
	return PVPCI_EXIT_USAGE;
}
