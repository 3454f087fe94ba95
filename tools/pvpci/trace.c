/* SPDX-License-Identifier: MIT */
/*
 * The trace reader of `pvpci replay`: lines, comments, words, and the error message that
 * names the file and line. See trace.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "trace.h"

/* Splits line (comments stripped) into at most TRACE_MAX_TOKENS words: the count, or
 * TRACE_MAX_TOKENS + 1 when there are more. */
static int tokenize(char *line, char **tok)
{
	char *save = NULL, *t = strchr(line, '#');
	int n = 0;

	if (t)
		*t = 0;
	for (t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == TRACE_MAX_TOKENS)
			return n + 1;
		tok[n++] = t;
	}
	return n;
}

FILE *trace_open(const char *cmd, const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (!in)
		fprintf(stderr, "pvpci %s: %s: %s\n", cmd, path, strerror(errno));
	return in;
}

int trace_run(const char *cmd, FILE *in, const char *path, trace_line_fn fn,
	      trace_after_fn after, void *ctx)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	char *line = NULL, *tok[TRACE_MAX_TOKENS];
	size_t cap = 0, lineno = 0;
	int rc = PVPCI_EXIT_OK;

	while (getline(&line, &cap, in) != -1) {
		char why[96] = "";
		int n = tokenize(line, tok);

		lineno++;
		if (n == 0)
			continue;
		if (fn(ctx, tok, n, why, sizeof(why))) {
			fprintf(stderr, "pvpci %s: %s:%zu: %s\n", cmd, name, lineno, why);
			rc = PVPCI_EXIT_FAIL;
			break;
		}
		if (after)
			after(ctx);
	}
	if (rc == PVPCI_EXIT_OK && ferror(in)) {
		fprintf(stderr, "pvpci %s: %s: read error\n", cmd, name);
		rc = PVPCI_EXIT_FAIL;
	}
	free(line);
	return rc;
}

int trace_close(FILE *in, int rc)
{
	if (in && in != stdin)
		fclose(in);
	if (fflush(stdout) && !rc)
		rc = PVPCI_EXIT_FAIL;
	return rc;
}
