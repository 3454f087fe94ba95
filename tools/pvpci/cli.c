/* SPDX-License-Identifier: MIT */
/*
 * The commands' shared option parsing: getopt with our own messages ("pvpci CMD: unknown
 * option '--x'", "option '--timeout' needs a value"), ranged numbers, --platform and the
 * operand count. Every error is followed by the command's usage; the caller returns 2.
 * See cli.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pvpci %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return pvpci_cmd_usage(cmd);
}

int cli_getopt(int argc, char **argv, const char *shorts, const struct option *lo)
{
	char spec[64];
	size_t k = 0;
	const char *arg;
	int c;

	if (shorts[0] == '+' || shorts[0] == '-')
		spec[k++] = *shorts++;
	spec[k++] = ':'; /* a missing value returns ':' */
	snprintf(spec + k, sizeof(spec) - k, "%s", shorts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, lo, NULL);
	if (c != '?' && c != ':')
		return c;
	arg = optind > 1 && optind <= argc ? argv[optind - 1] : "";
	if (c == ':')
		cli_usage_error(argv[0], "option '%s' needs a value", arg);
	else if (!strncmp(arg, "--", 2) || !optopt)
		cli_usage_error(argv[0], "unknown option '%s'", arg);
	else
		cli_usage_error(argv[0], "unknown option '-%c'", optopt);
	return CLI_BAD_OPTION;
}

int cli_num(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max,
	    uint64_t *v)
{
	if (pvpci_parse_u64(arg, max, v) == 0 && *v >= min)
		return 0;
	cli_usage_error(cmd, "%s '%s': expected a number from %" PRIu64 " to %" PRIu64, opt,
			arg, min, max);
	return -EINVAL;
}

int cli_platform(const char *cmd, const char *arg, bool *xen)
{
	if (!strcmp(arg, "local") || !strcmp(arg, "xen")) {
		*xen = !strcmp(arg, "xen");
		return 0;
	}
	cli_usage_error(cmd, "--platform '%s': expected local or xen", arg);
	return -EINVAL;
}

int cli_operands(const char *cmd, int n, char **args, int min, int max, const char *what)
{
	if (n < min)
		return cli_usage_error(cmd, "expected %s", what);
	if (n > max)
		return cli_usage_error(cmd, "unexpected argument '%s'", args[max]);
	return 0;
}
