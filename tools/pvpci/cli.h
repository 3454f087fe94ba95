/* SPDX-License-Identifier: MIT */
/*
 * Command-line helpers shared by every pvpci command: option parsing with messages that
 * name what was wrong (an unknown option, a missing value, a number out of range, a bad
 * --platform, a wrong number of operands), each followed by the command's usage and
 * exit code 2 (PVPCI_EXIT_USAGE).
 */
#ifndef PVPCI_TOOL_CLI_H
#define PVPCI_TOOL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "pvpci/base.h"

/* What cli_getopt returns for an option it has already reported. */
#define CLI_BAD_OPTION 0x7fff

/* Prints "pvpci CMD: <message>" and the command's usage to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) PVPCI_PRINTF(2, 3);

/* getopt_long for argv[0] = the command (restart with optind = 1; shorts may start with
 * '+'). An unknown option or a missing value is reported (cli_usage_error) and returns
 * CLI_BAD_OPTION; -1 at the end of the options. */
int cli_getopt(int argc, char **argv, const char *shorts, const struct option *lo);

/* A number from min to max for option opt: 0, or reported and -EINVAL. */
int cli_num(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max,
	    uint64_t *v);
/* --platform local|xen: 0 (*xen set), or reported and -EINVAL. */
int cli_platform(const char *cmd, const char *arg, bool *xen);
/* n operands (args) where min..max are expected, described by what ("DOMID BDF"): 0, or
 * reported ("expected WHAT" / "unexpected argument 'X'") and 2. */
int cli_operands(const char *cmd, int n, char **args, int min, int max, const char *what);

#endif
