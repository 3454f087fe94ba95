/* SPDX-License-Identifier: MIT */
/*
 * The trace language's reader, shared by `pvpci replay` for every policy (cmd_device.c for
 * PV, cmd_vpci.c for vPCI): a file (or "-" for stdin) read line by line, '#' starting a
 * comment, each line split into words and handed to the policy's line function; the first
 * malformed line stops the run with "pvpci CMD: FILE:LINE: why".
 */
#ifndef PVPCI_TOOL_TRACE_H
#define PVPCI_TOOL_TRACE_H

#include <stddef.h>
#include <stdio.h>

#define TRACE_MAX_TOKENS 5

/* One line's words: n >= 1, TRACE_MAX_TOKENS + 1 when there are more words than tok
 * holds. Returns 0, or nonzero with why[] set. */
typedef int (*trace_line_fn)(void *ctx, char **tok, int n, char *why, size_t whylen);
/* Called after each line that ran (may be NULL). */
typedef void (*trace_after_fn)(void *ctx);

/* Opens path ("-": stdin); NULL after printing why. */
FILE *trace_open(const char *cmd, const char *path);
/* Runs every line of in; stops at the first malformed one. Returns the exit code. */
int trace_run(const char *cmd, FILE *in, const char *path, trace_line_fn fn,
	      trace_after_fn after, void *ctx);
/* Closes in (not stdin) and flushes stdout: rc, or PVPCI_EXIT_FAIL if the output failed. */
int trace_close(FILE *in, int rc);

#endif
