/* SPDX-License-Identifier: MIT */
/*
 * The pvpci CLI's command table: each command group lives in its own file (cmd_*.c) and
 * adds its rows here. A command gets argv with argv[0] = the command name and returns the
 * process exit code: 0 success, 1 failure of the operation, 2 bad usage.
 */
#ifndef PVPCI_TOOL_CMDS_H
#define PVPCI_TOOL_CMDS_H

struct pvpci_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;    /* one-line synopsis of the arguments */
	const char *summary; /* one line */
};

/* Exit codes */
#define PVPCI_EXIT_OK 0
#define PVPCI_EXIT_FAIL 1
#define PVPCI_EXIT_USAGE 2

/* Prints "usage: pvpci NAME ARGS" and the summary for one command to stderr; returns 2. */
int pvpci_cmd_usage(const char *name);
/* True if argv holds -h or --help. */
int pvpci_wants_help(int argc, char **argv);

/* Command groups: one declaration line per command, grouped by file. */
/* cmd_device.c */
int cmd_view(int argc, char **argv);
int cmd_replay(int argc, char **argv);
/* cmd_host.c */
int cmd_host(int argc, char **argv);
int cmd_domain_create(int argc, char **argv);
int cmd_domain_destroy(int argc, char **argv);
int cmd_domain_list(int argc, char **argv);
/* cmd_sysfs.c */
int cmd_sysfs(int argc, char **argv);
/* cmd_vpci.c: the vpci personality of view / replay, called by cmd_device.c (pv_opts:
 * a PV-only option was given) */
int vpci_view(const char *cmd, const char *model, int pv_opts);
int vpci_replay(const char *cmd, const char *model, const char *trace, int pv_opts);

/* cmd_pci.c */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_assignable_list(int argc, char **argv);
/* cmd_backend.c, cmd_inject.c, cmd_guest.c */
int cmd_backend(int argc, char **argv);
int cmd_inject(int argc, char **argv);
int cmd_guest(int argc, char **argv);

#endif
