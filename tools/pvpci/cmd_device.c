/* SPDX-License-Identifier: MIT */
/*
 * Device commands: `pvpci view` prints what a guest sees of a model device (every dword
 * read through a config-space policy, in lspci -xxxx format, so lspci -F can decode it)
 * and `pvpci replay` runs a trace of guest accesses against it, printing one line per
 * access. The policy is picked from a small table of personalities (--policy pv|vpci);
 * a personality without a create function is listed but not available yet.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "trace.h"
#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"

#define MAX_QUIRKS 64

struct dev_opts {
	const char *policy;
	bool permissive;
	bool allow_intr;
	struct pvpci_quirk quirks[MAX_QUIRKS];
	size_t nquirks;
	const struct pvpci_log *log;
};

/* A config-space personality as the device commands use it. */
struct personality {
	const char *name;
	int (*create)(struct pvpci_source *src, const struct dev_opts *o, void **dev);
	void (*destroy)(void *dev);
	int (*read)(void *dev, int off, int size, uint32_t *val);
	int (*write)(void *dev, int off, int size, uint32_t val);
	uint64_t (*dropped)(const void *dev);
	const char *(*errname)(int err);
};

/* ---- PV (pciback semantics) ---- */
static int pv_create(struct pvpci_source *src, const struct dev_opts *o, void **dev)
{
	struct pvpci_pv_opts po = {
		.permissive = o->permissive,
		.allow_interrupt_control = o->allow_intr,
		.quirks = o->quirks,
		.nquirks = o->nquirks,
		.log = o->log,
	};
	struct pvpci_pvdev *d;
	int rc = pvpci_pvdev_create(src, &po, &d);

	*dev = d;
	return rc;
}
static void pv_destroy(void *dev) { pvpci_pvdev_destroy(dev); }
static int pv_read(void *dev, int off, int size, uint32_t *val)
{
	return pvpci_pvdev_conf_read(dev, off, size, val);
}
static int pv_write(void *dev, int off, int size, uint32_t val)
{
	return pvpci_pvdev_conf_write(dev, off, size, val);
}
static uint64_t pv_dropped(const void *dev) { return pvpci_pvdev_dropped_writes(dev); }

static const struct personality personalities[] = {
	{ "pv", pv_create, pv_destroy, pv_read, pv_write, pv_dropped, pvpci_pv_errname },
	{ "vpci", NULL, NULL, NULL, NULL, NULL, NULL }, /* guest vPCI: handed to cmd_vpci.c */
};

/* ---- Options ---- */
enum { OPT_POLICY = 1, OPT_PERMISSIVE, OPT_ALLOW_INTR, OPT_QUIRK, OPT_HELP };

static const struct option long_opts[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "permissive", no_argument, NULL, OPT_PERMISSIVE },
	{ "allow-interrupt-control", no_argument, NULL, OPT_ALLOW_INTR },
	{ "quirk", required_argument, NULL, OPT_QUIRK },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int add_quirk(const char *cmd, struct dev_opts *o, const char *arg)
{
	struct pvpci_parse_err perr = { 0 };

	if (o->nquirks >= MAX_QUIRKS)
		return cli_usage_error(cmd, "too many --quirk options (at most %d)", MAX_QUIRKS);
	if (pvpci_quirk_parse(arg, &o->quirks[o->nquirks], &perr)) {
		fprintf(stderr, "pvpci %s: --quirk '%s': %s (at character %zu)\n", cmd, arg,
			perr.msg, perr.pos + 1);
		return pvpci_cmd_usage(cmd);
	}
	o->nquirks++;
	return 0;
}

/* Parses the options; *first gets the index of the first positional argument. Returns
 * 0, or an exit code. */
static int parse_opts(int argc, char **argv, struct dev_opts *o, int *first)
{
	const char *cmd = argv[0];
	int c, rc;

	o->policy = "pv";
	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", long_opts)) != -1) {
		switch (c) {
		case OPT_POLICY: o->policy = optarg; break;
		case OPT_PERMISSIVE: o->permissive = true; break;
		case OPT_ALLOW_INTR: o->allow_intr = true; break;
		case OPT_QUIRK:
			rc = add_quirk(cmd, o, optarg);
			if (rc)
				return rc;
			break;
		case 'h':
		case OPT_HELP:
			pvpci_cmd_usage(cmd);
			return PVPCI_EXIT_USAGE;
		default:
			return PVPCI_EXIT_USAGE; /* reported by cli_getopt */
		}
	}
	*first = optind;
	return 0;
}

static const struct personality *find_personality(const char *cmd, const char *name,
						  int *exit_code)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(personalities); i++) {
		if (strcmp(personalities[i].name, name))
			continue;
		if (personalities[i].create)
			return &personalities[i];
		fprintf(stderr, "pvpci %s: policy '%s' is not available yet\n", cmd, name);
		*exit_code = PVPCI_EXIT_FAIL;
		return NULL;
	}
	fprintf(stderr, "pvpci %s: unknown policy '%s' (pv or vpci)\n", cmd, name);
	*exit_code = pvpci_cmd_usage(cmd);
	return NULL;
}

/* ---- A device under a policy ---- */
struct session {
	const struct personality *p;
	struct pvpci_source *src;
	void *dev;
	struct pvpci_log log;
};

static int session_open(const char *cmd, const struct dev_opts *o, const char *model,
			struct session *s)
{
	struct pvpci_parse_err perr = { 0 };
	struct dev_opts oo = *o;
	int rc = PVPCI_EXIT_USAGE;

	memset(s, 0, sizeof(*s));
	s->p = find_personality(cmd, o->policy, &rc);
	if (!s->p)
		return rc;
	pvpci_log_init(&s->log, NULL, NULL);
	s->log.max_level = PVPCI_LOG_WARNING;
	rc = pvpci_model_open(model, 0, &s->log, &s->src, &perr);
	if (rc) {
		fprintf(stderr, "pvpci %s: %s: %s\n", cmd, model,
			perr.msg[0] ? perr.msg : pvpci_errname(rc));
		return PVPCI_EXIT_FAIL;
	}
	oo.log = &s->log;
	rc = s->p->create(s->src, &oo, &s->dev);
	if (rc) {
		fprintf(stderr, "pvpci %s: %s: the %s policy refuses the device: %s\n", cmd,
			model, s->p->name, pvpci_errname(rc));
		pvpci_source_close(s->src);
		return PVPCI_EXIT_FAIL;
	}
	return 0;
}

static void session_close(struct session *s)
{
	s->p->destroy(s->dev);
	pvpci_source_close(s->src);
}

/* The guest's view: every dword through the policy. */
static int print_guest_dump(struct session *s, FILE *f)
{
	unsigned size = pvpci_source_cfg_size(s->src);
	uint8_t *buf = malloc(size);
	int rc;

	if (!buf)
		return -ENOMEM;
	for (unsigned off = 0; off < size; off += 4) {
		uint32_t v = 0;

		if (s->p->read(s->dev, (int)off, 4, &v)) {
			fprintf(stderr, "pvpci: guest read 0x%x failed; shown as ff\n", off);
			v = ~0u;
		}
		for (unsigned i = 0; i < 4; i++)
			buf[off + i] = (uint8_t)(v >> (8 * i));
	}
	rc = pvpci_dump_write(f, pvpci_source_sbdf(s->src), pvpci_source_title(s->src), buf,
			      size);
	free(buf);
	return rc;
}

/* The device itself, bypassing the policy. */
static int print_host_dump(struct session *s, FILE *f)
{
	unsigned size = pvpci_source_cfg_size(s->src);
	uint8_t *buf = malloc(size);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = pvpci_source_snapshot(s->src, buf, size);
	if (!rc)
		rc = pvpci_dump_write(f, pvpci_source_sbdf(s->src), pvpci_source_title(s->src),
				      buf, size);
	free(buf);
	return rc;
}

int cmd_view(int argc, char **argv)
{
	struct dev_opts o = { 0 };
	struct session s;
	int first, rc = parse_opts(argc, argv, &o, &first);

	if (rc)
		return rc;
	if (argc - first != 1)
		return cli_usage_error(argv[0], "expected one MODEL argument");
	if (!strcmp(o.policy, "vpci")) /* guest vPCI: cmd_vpci.c */
		return vpci_view(argv[0], argv[first], o.permissive || o.allow_intr || o.nquirks);
	rc = session_open(argv[0], &o, argv[first], &s);
	if (rc)
		return rc;
	rc = print_guest_dump(&s, stdout);
	session_close(&s);
	if (rc || fflush(stdout)) {
		fprintf(stderr, "pvpci view: cannot write the dump\n");
		return PVPCI_EXIT_FAIL;
	}
	return PVPCI_EXIT_OK;
}

/* ---- replay ---- */

struct trace_cmd {
	const char *name;
	int nargs;
	int (*run)(struct session *s, const uint64_t *a);
};

static int width(uint64_t size)
{
	return size == 1 || size == 2 || size == 4 ? (int)size * 2 : 8;
}

static int run_read(struct session *s, const uint64_t *a)
{
	uint32_t v;
	int rc = s->p->read(s->dev, (int)a[0], (int)a[1], &v);

	printf("r 0x%llx %llu = ", (unsigned long long)a[0], (unsigned long long)a[1]);
	if (rc)
		printf("error: %s\n", s->p->errname(rc));
	else
		printf("0x%0*x\n", width(a[1]), v);
	return 0;
}

static int run_write(struct session *s, const uint64_t *a)
{
	uint64_t before = s->p->dropped(s->dev);
	int rc = s->p->write(s->dev, (int)a[0], (int)a[1], (uint32_t)a[2]);

	printf("w 0x%llx %llu 0x%0*llx = ", (unsigned long long)a[0],
	       (unsigned long long)a[1], width(a[1]), (unsigned long long)a[2]);
	if (rc)
		printf("error: %s\n", s->p->errname(rc));
	else
		printf("%s\n", s->p->dropped(s->dev) != before ? "dropped" : "ok");
	return 0;
}

static int run_host_read(struct session *s, const uint64_t *a)
{
	uint32_t v;
	int rc = pvpci_source_cfg_read(s->src, (unsigned)a[0], (unsigned)a[1], &v);

	printf("hr 0x%llx %llu = ", (unsigned long long)a[0], (unsigned long long)a[1]);
	if (rc)
		printf("error: %s\n", pvpci_errname(rc));
	else
		printf("0x%0*x\n", width(a[1]), v);
	return 0;
}

static int run_dump(struct session *s, const uint64_t *a)
{
	return print_guest_dump(s, stdout);
}

static int run_host_dump(struct session *s, const uint64_t *a)
{
	return print_host_dump(s, stdout);
}

static const struct trace_cmd trace_cmds[] = {
	{ "r", 2, run_read },
	{ "w", 3, run_write },
	{ "hr", 2, run_host_read },
	{ "dump", 0, run_dump },
	{ "hdump", 0, run_host_dump },
};

/* Runs one line; returns 0, or -EINVAL with why[] set when the line is malformed. */
static int trace_line(void *ctx, char **tok, int n, char *why, size_t whylen)
{
	static const uint64_t max[3] = { INT_MAX, INT_MAX, 0xffffffffu };
	static const char *const names[3] = { "offset", "size", "value" };
	struct session *s = ctx;
	uint64_t a[3] = { 0 };

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(trace_cmds); i++) {
		const struct trace_cmd *c = &trace_cmds[i];

		if (strcmp(c->name, tok[0]))
			continue;
		if (n - 1 != c->nargs) {
			snprintf(why, whylen, "wrong number of arguments for '%s'", c->name);
			return -EINVAL;
		}
		for (int k = 0; k < c->nargs; k++) {
			if (pvpci_parse_u64(tok[k + 1], max[k], &a[k])) {
				snprintf(why, whylen, "bad %s '%.20s'", names[k], tok[k + 1]);
				return -EINVAL;
			}
		}
		if (c->run(s, a)) {
			snprintf(why, whylen, "cannot write the output");
			return -EIO;
		}
		return 0;
	}
	snprintf(why, whylen, "unknown command '%.20s' (r, w, hr, dump, hdump)", tok[0]);
	return -EINVAL;
}

int cmd_replay(int argc, char **argv)
{
	struct dev_opts o = { 0 };
	struct session s;
	const char *trace;
	FILE *in;
	int first, rc = parse_opts(argc, argv, &o, &first);

	if (rc)
		return rc;
	if (argc - first != 2)
		return cli_usage_error(argv[0], "expected MODEL and TRACE arguments");
	if (!strcmp(o.policy, "vpci")) /* guest vPCI: cmd_vpci.c */
		return vpci_replay(argv[0], argv[first], argv[first + 1],
				   o.permissive || o.allow_intr || o.nquirks);
	trace = argv[first + 1];
	in = trace_open(argv[0], trace);
	if (!in)
		return PVPCI_EXIT_FAIL;
	rc = session_open(argv[0], &o, argv[first], &s);
	if (!rc) {
		rc = trace_run(argv[0], in, trace, trace_line, NULL, &s);
		session_close(&s);
	}
	return trace_close(in, rc);
}
