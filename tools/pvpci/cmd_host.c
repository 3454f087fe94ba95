/* SPDX-License-Identifier: MIT */
/*
 * Local platform commands: `pvpci host` runs the local platform's services (store,
 * grants, event channels, domains) in the foreground on a run directory until SIGTERM or
 * SIGINT; `pvpci domain-create NAME`, `domain-destroy ID|NAME` and `domain-list` talk to
 * it as the control domain. Every command finds the run directory the same way:
 * --run-dir DIR, else $PVPCI_RUN_DIR, else /run/pvpci as root, else
 * $XDG_RUNTIME_DIR/pvpci.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "ctl.h"
#include "pvpci/base.h"
#include "pvpci/platform.h"

struct host_opts {
	char run_dir[PATH_MAX];
	bool verbose;
	int first_arg; /* index of the first operand in argv */
};

static int parse_opts(int argc, char **argv, struct host_opts *o)
{
	static const struct option lo[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = cli_getopt(argc, argv, "d:v", lo)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'v')
			o->verbose = true;
		else
			return PVPCI_EXIT_USAGE;
	}
	o->first_arg = optind;
	if (ctl_run_dir(argv[0], dir, o->run_dir, sizeof(o->run_dir)) < 0)
		return PVPCI_EXIT_USAGE;
	return 0;
}

int cmd_host(int argc, char **argv)
{
	struct host_opts o;
	struct pvpci_log lg;
	struct pvpci_host *h;
	sigset_t mask;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 0, 0, "");
	pvpci_log_init(&lg, NULL, NULL);
	lg.max_level = o.verbose ? PVPCI_LOG_INFO : PVPCI_LOG_NOTICE;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("pvpci host: signalfd");
		return PVPCI_EXIT_FAIL;
	}
	struct pvpci_host_config cfg = { .run_dir = o.run_dir, .log = &lg };
	pvpci_raise_fd_limit(); /* one daemon holds fds for every guest */
	r = pvpci_host_create(&cfg, &h);
	if (r == -EBUSY) {
		fprintf(stderr, "pvpci host: %s is already served by another pvpci host "
				"(%s/lock is held)\n", o.run_dir, o.run_dir);
		close(sfd);
		return PVPCI_EXIT_FAIL;
	}
	if (r < 0) {
		fprintf(stderr, "pvpci host: cannot serve %s: %s\n", o.run_dir, strerror(-r));
		close(sfd);
		return PVPCI_EXIT_FAIL;
	}
	printf("pvpci host: serving %s (store: %s/xenstored/socket)\n", o.run_dir, o.run_dir);
	fflush(stdout);
	r = pvpci_host_run(h, sfd);
	pvpci_host_destroy(h);
	close(sfd);
	if (r < 0) {
		fprintf(stderr, "pvpci host: %s\n", strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	printf("pvpci host: stopped\n");
	return PVPCI_EXIT_OK;
}

/* Join the run dir's host as the control domain. */
static int open_dom0(const char *cmd, const struct host_opts *o, struct pvpci_platform **p)
{
	return ctl_open(cmd, o->run_dir, false, true, p);
}

int cmd_domain_create(int argc, char **argv)
{
	struct host_opts o;
	struct pvpci_platform *p;
	unsigned domid;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc - 1)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 1, 1, "NAME");
	if (open_dom0(argv[0], &o, &p) < 0)
		return PVPCI_EXIT_FAIL;
	r = pvpci_domain_create(p, argv[o.first_arg], &domid);
	pvpci_platform_close(p);
	if (r < 0) {
		fprintf(stderr, "pvpci domain-create: %s: %s\n", argv[o.first_arg],
			r == -EEXIST ? "a domain has that name already"
			: r == -EINVAL ? "invalid name (1-63 printable bytes, no '/', not a number)"
				       : strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	printf("%u\n", domid);
	return PVPCI_EXIT_OK;
}

int cmd_domain_destroy(int argc, char **argv)
{
	struct host_opts o;
	struct pvpci_platform *p;
	unsigned domid;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc - 1)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 1, 1,
				    "ID|NAME");
	const char *arg = argv[o.first_arg];
	if (open_dom0(argv[0], &o, &p) < 0)
		return PVPCI_EXIT_FAIL;
	if (ctl_domid_on(argv[0], p, arg, &domid) < 0) {
		pvpci_platform_close(p);
		return PVPCI_EXIT_FAIL;
	}
	r = pvpci_domain_destroy(p, domid);
	pvpci_platform_close(p);
	if (r < 0) {
		fprintf(stderr, "pvpci domain-destroy: %s: %s\n", arg,
			r == -ENOENT ? "no such domain"
			: r == -EPERM ? "the control domain cannot be destroyed" : strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	return PVPCI_EXIT_OK;
}

int cmd_domain_list(int argc, char **argv)
{
	struct host_opts o;
	struct pvpci_platform *p;
	struct pvpci_domain_info *list = NULL;
	size_t n = 0, cap = 64;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	if (o.first_arg != argc)
		return cli_operands(argv[0], argc - o.first_arg, argv + o.first_arg, 0, 0, "");
	if (open_dom0(argv[0], &o, &p) < 0)
		return PVPCI_EXIT_FAIL;
	for (;;) {
		struct pvpci_domain_info *nl = realloc(list, cap * sizeof(*list));
		if (!nl) {
			r = -ENOMEM;
			break;
		}
		list = nl;
		r = pvpci_domain_list(p, list, cap, &n);
		if (r < 0 || n <= cap)
			break;
		cap = n;
	}
	pvpci_platform_close(p);
	if (r < 0) {
		free(list);
		fprintf(stderr, "pvpci domain-list: %s\n", strerror(-r));
		return PVPCI_EXIT_FAIL;
	}
	printf("%-6s %s\n", "ID", "NAME");
	for (size_t i = 0; i < n; i++)
		printf("%-6u %s\n", list[i].domid, list[i].name);
	free(list);
	return PVPCI_EXIT_OK;
}
