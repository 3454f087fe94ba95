/* SPDX-License-Identifier: MIT */
/*
 * `pvpci guest [--run-dir DIR] [--timeout MS] [--op-timeout MS] DOMID COMMAND ...`: act as
 * guest DOMID's PCI frontend on the local platform. A guest has one frontend (protocol.md
 * 2.7), so:
 *   - `watch [--aer-result R]` is the long-lived one (the guest's "kernel"): it connects,
 *     stays connected and prints devices as they come and go, interrupts as they arrive
 *     and AER requests with the answer it gives, and serves the other commands sent to
 *     DIR/guests/<domid>.sock (mode 0600), so that PIRQs a command enables are its own;
 *     SIGINT / SIGTERM close the frontend orderly; it ends by itself when the backend
 *     closes the connection;
 *   - any other command (lspci, read, write, msi, msix, intx) goes to that watch when one runs
 *     (argv and the caller's stdout / stderr are passed over the socket; the answer is the
 *     exit code), else connects for the command alone, then closes the frontend and puts
 *     it back to Initialising as Mini-OS's shutdown does, so that the backend is ready for
 *     the next connection and the toolstack still cold-plugs.
 * --platform xen: inside a PV guest of a real Xen (Xen's libraries; DOMID may be "self");
 * commands connect for themselves (no watch agent), PIRQs are reported but not bound (a
 * process cannot bind one there).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>

#include "cli.h"
#include "cmds.h"
#include "ctl.h"
#include "guest.h"
#include "vpci_local.h"
#include "pvpci/platform.h"

#define FORWARD_TIMEOUT_MS 120000
#define MAX_ARGS 32

static const char *const aer_names[] = {
	[PVPCI_AER_RESULT_NONE] = "none", [PVPCI_AER_RESULT_CAN_RECOVER] = "can_recover",
	[PVPCI_AER_RESULT_NEED_RESET] = "need_reset",
	[PVPCI_AER_RESULT_DISCONNECT] = "disconnect",
	[PVPCI_AER_RESULT_RECOVERED] = "recovered",
	[PVPCI_AER_RESULT_NO_AER_DRIVER] = "no_aer_driver",
};
static const char *const aer_cmd_names[] = {
	[XEN_PCI_OP_aer_detected] = "error_detected", [XEN_PCI_OP_aer_resume] = "resume",
	[XEN_PCI_OP_aer_mmio] = "mmio_enabled", [XEN_PCI_OP_aer_slotreset] = "slot_reset",
};
static const char *const channel_names[] = { [PVPCI_AER_CHANNEL_NORMAL] = "normal",
					     [PVPCI_AER_CHANNEL_FROZEN] = "frozen",
					     [PVPCI_AER_CHANNEL_PERM_FAILURE] = "perm_failure" };

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n && names[v] ? names[v] : "?";
}
#define NAME(t, v) name_of(t, PVPCI_ARRAY_SIZE(t), (int)(v))

/* ---- Watch callbacks (the agent) ---- */

static void on_hotplug(void *opaque, enum pvpci_pvfront_event ev,
		       const struct pvpci_pvfront_dev *dev)
{
	struct guest *g = opaque;

	if (ev == PVPCI_PVFRONT_DISCONNECTED) {
		printf("backend closed the connection\n");
		g->closed = true;
		return;
	}
	printf("%s ", ev == PVPCI_PVFRONT_ADDED ? "device added:  " : "device removed:");
	guest_dev_line(g, stdout, dev, false);
	putchar('\n');
	if (ev == PVPCI_PVFRONT_REMOVED)
		guest_irqs_drop(g, dev->addr, 0);
}

static void on_irq(void *opaque, struct pvpci_sbdf dev, unsigned pirq)
{
	const struct guest_irq *q = guest_irq_find(opaque, pirq);

	printf("interrupt:      %02x:%02x.%x", dev.bus, dev.dev, dev.fn);
	if (q && q->kind == GIRQ_INTX)
		printf(" intx");
	else if (q)
		printf(" %s %u", q->kind == GIRQ_MSIX ? "msix entry" : "msi vector", q->entry);
	printf(" (pirq %u)\n", pirq);
}

/* ---- Legacy INTx on the agent's second handle ---- */

int guest_bind_intx(struct guest *g, struct pvpci_sbdf dev, unsigned pirq)
{
	struct pvpci_platform_config cfg = { .run_dir = g->run_dir, .domid = g->domid,
					     .log = &g->lg, .no_store = true };
	const struct guest_irq *q = guest_irq_find(g, pirq);
	int port, r;

	if (q && q->kind == GIRQ_INTX)
		return 0;
	if (g->nirqs == GUEST_MAX_IRQS)
		return -ENOSPC;
	if (!g->intx_plat && (r = pvpci_platform_open("local", &cfg, &g->intx_plat)) < 0)
		return r;
	port = pvpci_pirq_bind(g->intx_plat, pirq);
	if (port < 0)
		return port;
	g->irqs[g->nirqs++] = (struct guest_irq){ dev, pirq, 0, GIRQ_INTX, (unsigned)port };
	return 0;
}

static void intx_events(struct guest *g)
{
	int port;

	while (g->intx_plat && (port = pvpci_evtchn_pending(g->intx_plat)) > 0) {
		const struct guest_irq *q = NULL;

		for (size_t i = 0; i < g->nirqs; i++)
			if (g->irqs[i].kind == GIRQ_INTX && g->irqs[i].port == (unsigned)port)
				q = &g->irqs[i];
		if (q)
			on_irq(g, q->dev, q->pirq);
		(void)pvpci_evtchn_eoi(g->intx_plat, (unsigned)port, !q);
	}
}

static int on_aer(void *opaque, unsigned cmd, const struct pvpci_pvfront_dev *dev, int channel)
{
	struct guest *g = opaque;
	int want = g->aer_result, ans;

	if (want == PVPCI_AER_RESULT_NONE || want == PVPCI_AER_RESULT_DISCONNECT)
		ans = want; /* a driver that gives up */
	else if (cmd == XEN_PCI_OP_aer_detected)
		ans = want;
	else if (cmd == XEN_PCI_OP_aer_resume)
		ans = PVPCI_AER_RESULT_NONE; /* as Linux's pcifront */
	else
		ans = PVPCI_AER_RESULT_RECOVERED;
	printf("AER:            %s on ", NAME(aer_cmd_names, cmd));
	if (dev)
		printf("%02x:%02x.%x", dev->addr.bus, dev->addr.dev, dev->addr.fn);
	else
		printf("an unknown device");
	printf(" (state %s): answering %s\n", NAME(channel_names, channel), NAME(aer_names, ans));
	return ans;
}

/* ---- Connecting ---- */

static int open_platform(struct guest *g, FILE *err)
{
	struct pvpci_platform_config cfg = { .run_dir = g->run_dir, .domid = g->domid,
					     .log = &g->lg };
	int r = pvpci_platform_open(g->xen ? "xen" : "local", &cfg, &g->plat);

	if (!r && g->xen)
		g->domid = pvpci_platform_domid(g->plat); /* the domain we run in */
	if (r && g->xen)
		fprintf(err, "pvpci guest: cannot open the xen platform: %s\n", strerror(-r));
	else if (r)
		fprintf(err, "pvpci guest: cannot join domain %u on %s: %s\n", g->domid, g->run_dir,
			r == -ENOENT ? "no such domain (or no pvpci host)" : strerror(-r));
	return r;
}

static int connect_front(struct guest *g, bool agent, FILE *err)
{
	struct pvpci_pvfront_opts o = {
		.op_timeout_ms = g->op_timeout_ms, .connect_timeout_ms = g->connect_timeout_ms,
		.log = &g->lg, .opaque = g,
	};
	int r;

	if (agent) {
		o.hotplug = on_hotplug;
		o.irq = on_irq;
		o.aer = on_aer;
	}
	r = pvpci_pvfront_connect(g->plat, g->domid, &o, &g->f);
	if (r)
		fprintf(err, "pvpci guest: domain %u: %s\n", g->domid,
			r == -ENOENT ? "no PCI device (attach one with pvpci attach first)"
			: r == -ETIMEDOUT ? "the backend did not connect in time (is pvpci backend "
					    "running?)"
			: r == -ECONNREFUSED ? "the backend refused the connection (see "
					       "/local/domain/0/error/backend/pci/<domid>/0/error)"
					     : strerror(-r));
	return r;
}

/* After an orderly close: back to Initialising (Mini-OS), if the device still exists. */
static void rearm(struct guest *g)
{
	struct xs_handle *xs = pvpci_platform_xs(g->plat);
	char p[96], *v;
	unsigned len;

	snprintf(p, sizeof(p), "/local/domain/%u/device/pci/0/state", g->domid);
	for (int tries = 0; xs && tries < 16; tries++) {
		xs_transaction_t t = xs_transaction_start(xs);

		if (t == XBT_NULL)
			return;
		v = xs_read(xs, t, p, &len);
		if (!v || !xs_write(xs, t, p, "1", 1)) {
			free(v);
			(void)xs_transaction_end(xs, t, true);
			return;
		}
		free(v);
		if (xs_transaction_end(xs, t, false) || errno != EAGAIN)
			return;
	}
}

static void disconnect(struct guest *g)
{
	bool was_open = g->f && !g->closed;

	if (g->f)
		pvpci_pvfront_close(g->f);
	g->f = NULL;
	if (was_open)
		rearm(g);
	if (g->intx_plat)
		pvpci_platform_close(g->intx_plat);
	g->intx_plat = NULL;
	if (g->plat)
		pvpci_platform_close(g->plat);
	g->plat = NULL;
}

static int one_shot(struct guest *g, int argc, char **argv)
{
	int r = open_platform(g, stderr);

	if (!r) {
		r = connect_front(g, false, stderr);
		/* gave up: do not leave Initialised with a page that is gone */
		if (r && r != -ENOENT)
			rearm(g);
	}
	if (r) {
		disconnect(g);
		return PVPCI_EXIT_FAIL;
	}
	r = guest_run(g, stdout, stderr, argc, argv);
	fflush(stdout);
	disconnect(g);
	return r;
}

/* --platform xen: one connection for several commands separated by "::" (a backend such
 * as Linux's pciback need not take a second connection after the frontend closed); each
 * command's exit code is printed after it as "== exit N: NAME". Returns the worst. */
static int xen_batch(struct guest *g, int argc, char **argv)
{
	int r = open_platform(g, stderr), worst = PVPCI_EXIT_OK;

	if (!r)
		r = connect_front(g, false, stderr);
	if (r) {
		disconnect(g);
		return PVPCI_EXIT_FAIL;
	}
	for (int i = 0; i < argc;) {
		int n = 0;

		while (i + n < argc && strcmp(argv[i + n], "::"))
			n++;
		if (n > 0) {
			r = guest_run(g, stdout, stderr, n, argv + i);
			printf("== exit %d: %s\n", r, argv[i]);
			fflush(stdout);
			if (r > worst)
				worst = r;
		}
		i += n + 1;
	}
	disconnect(g);
	return worst;
}

/* ---- The agent's socket ---- */

static void sock_path(const struct guest *g, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%u.sock", g->run_dir, CTL_GUEST_DIR, g->domid);
}

/* Send argv and our stdout / stderr to a running watch; -ENOENT / -ECONNREFUSED: none. */
static int forward(struct guest *g, int argc, char **argv, int *code)
{
	char p[PATH_MAX + 64], buf[CTL_MSG_MAX], ans[32];
	int fds[2] = { STDOUT_FILENO, STDERR_FILENO }, fd, r;
	size_t len = 0;

	sock_path(g, p, sizeof(p));
	fd = ctl_connect(p);
	if (fd < 0)
		return fd;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (len + l > sizeof(buf)) {
			close(fd);
			return -E2BIG;
		}
		memcpy(buf + len, argv[i], l);
		len += l;
	}
	fflush(stdout);
	r = ctl_send(fd, buf, len, fds, 2);
	if (!r)
		r = ctl_recv(fd, ans, sizeof(ans), NULL, NULL, FORWARD_TIMEOUT_MS);
	close(fd);
	if (r == 0)
		r = -ECONNRESET;
	if (r < 0) {
		fprintf(stderr, "pvpci guest: the watch of domain %u did not answer: %s\n",
			g->domid, strerror(-r));
		*code = PVPCI_EXIT_FAIL;
		return 0;
	}
	*code = atoi(ans);
	return 0;
}

/* One request from a client: run it with the client's stdout / stderr. */
static void serve_one(struct guest *g, int lsock)
{
	char buf[CTL_MSG_MAX], *args[MAX_ARGS], ans[16];
	int fds[2], cfd = ctl_accept(lsock), n, argc = 0, code = PVPCI_EXIT_USAGE;
	size_t nfds = 2;

	if (cfd < 0)
		return;
	n = ctl_recv(cfd, buf, sizeof(buf), fds, &nfds, 1000);
	if (n > 0 && nfds == 2) {
		FILE *out = fdopen(fds[0], "w"), *err = fdopen(fds[1], "w");

		for (int i = 0; i < n && argc < MAX_ARGS; i += (int)strlen(buf + i) + 1)
			args[argc++] = buf + i;
		if (out && err)
			code = guest_known(args[0]) ? guest_run(g, out, err, argc, args)
						    : PVPCI_EXIT_USAGE;
		out ? fclose(out) : close(fds[0]);
		err ? fclose(err) : close(fds[1]);
	} else {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
	}
	snprintf(ans, sizeof(ans), "%d", code);
	(void)ctl_send(cfd, ans, strlen(ans), NULL, 0);
	close(cfd);
}

/* ---- watch ---- */

static int agent_loop(struct guest *g, int sfd, int lsock)
{
	while (!g->closed) {
		struct pollfd fds[PVPCI_PVFRONT_NFDS + 3];
		int timeout = -1, n, r, base;

		n = pvpci_pvfront_poll_prepare(g->f, fds, PVPCI_PVFRONT_NFDS, &timeout);
		base = n;
		fds[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = lsock, .events = POLLIN };
		if (g->intx_plat) {
			fds[n++] = (struct pollfd){ .fd = pvpci_evtchn_fd(g->intx_plat),
						    .events = POLLIN };
			if (pvpci_evtchn_prepare_wait(g->intx_plat) == -EBUSY)
				timeout = 0;
		}
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return -errno;
		if (fds[base].revents)
			return 0;
		r = pvpci_pvfront_process(g->f);
		if (r)
			return r;
		intx_events(g);
		if (fds[base + 1].revents)
			serve_one(g, lsock);
		fflush(stdout);
	}
	return 0;
}

static int run_watch(struct guest *g)
{
	char p[PATH_MAX + 64];
	struct pvpci_pvfront_dev devs[1];
	size_t ndev = 0;
	int sfd = ctl_stop_fd(), lsock, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(p, sizeof(p), "%s/%s", g->run_dir, CTL_GUEST_DIR);
	if (sfd < 0 || (mkdir(p, 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "pvpci guest watch: %s: %s\n", p, strerror(errno));
		return PVPCI_EXIT_FAIL;
	}
	sock_path(g, p, sizeof(p));
	lsock = ctl_listen(p);
	if (lsock < 0) {
		fprintf(stderr, "pvpci guest watch: %s\n", lsock == -EADDRINUSE
			? "a pvpci guest watch already runs for this domain" : strerror(-lsock));
		close(sfd);
		return PVPCI_EXIT_FAIL;
	}
	g->agent = true;
	printf("domain %u: connecting to the PCI backend\n", g->domid);
	r = open_platform(g, stderr);
	if (!r) {
		r = connect_front(g, true, stderr);
		if (r && r != -ENOENT)
			rearm(g);
	}
	if (!r) {
		if (pvpci_pvfront_devices(g->f, devs, 0, &ndev))
			ndev = 0;
		printf("domain %u: connected, %zu device(s); watching (Ctrl-C to stop)\n",
		       g->domid, ndev);
		r = agent_loop(g, sfd, lsock);
		if (r)
			fprintf(stderr, "pvpci guest watch: %s\n", r == -ESHUTDOWN
				? "the domain was destroyed" : strerror(-r));
	}
	close(lsock);
	unlink(p);
	disconnect(g);
	close(sfd);
	return r ? PVPCI_EXIT_FAIL : PVPCI_EXIT_OK;
}

/* ---- Command line ---- */

/* watch [--aer-result R]: 0, or an exit code (reported). */
static int watch_opts(struct guest *g, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "aer-result", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	g->aer_result = PVPCI_AER_RESULT_RECOVERED;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:", lo, NULL)) != -1) {
		int v = -1;

		if (c == ':')
			return cli_usage_error("guest", "watch: option '%s' needs a value",
					       argv[optind - 1]);
		if (c != 'a')
			return cli_usage_error("guest", "watch: unknown option '%s'",
					       argv[optind - 1]);
		for (size_t i = 0; i < PVPCI_ARRAY_SIZE(aer_names); i++)
			if (aer_names[i] && i != PVPCI_AER_RESULT_NO_AER_DRIVER &&
			    !strcmp(aer_names[i], optarg))
				v = (int)i;
		if (v < 0)
			return cli_usage_error("guest", "watch: --aer-result '%s': expected "
					       "recovered, disconnect, none, can_recover or "
					       "need_reset", optarg);
		g->aer_result = v;
	}
	return cli_operands("guest", argc - optind, argv + optind, 0, 0, "");
}

/* One global option; 0, or an exit code (reported). */
static int global_one(struct guest *g, const char *cmd, int c, const char **dir, bool *vpci)
{
	uint64_t v;

	switch (c) {
	case 'd':
		*dir = optarg;
		return 0;
	case 'V':
		*vpci = true;
		return 0;
	case 't':
	case 'o':
		if (cli_num(cmd, c == 't' ? "--timeout" : "--op-timeout", optarg, 1, 3600000, &v))
			return PVPCI_EXIT_USAGE;
		*(c == 't' ? &g->connect_timeout_ms : &g->op_timeout_ms) = (int)v;
		return 0;
	case 'P':
		return cli_platform(cmd, optarg, &g->xen) ? PVPCI_EXIT_USAGE : 0;
	default:
		return PVPCI_EXIT_USAGE; /* reported by cli_getopt */
	}
}

/* The options before DOMID: the index of DOMID, or -(exit code) (reported). */
static int parse_global(struct guest *g, int argc, char **argv, const char **dir, bool *vpci)
{
	static const struct option lo[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "vpci", no_argument, NULL, 'V' },
		{ "timeout", required_argument, NULL, 't' },
		{ "op-timeout", required_argument, NULL, 'o' },
		{ "platform", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	g->connect_timeout_ms = 10000;
	g->op_timeout_ms = 2000;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "+d:t:o:", lo)) != -1) {
		r = global_one(g, argv[0], c, dir, vpci);
		if (r)
			return -r;
	}
	if (argc - optind < 2)
		return -cli_operands(argv[0], argc - optind, argv + optind, 2, INT_MAX,
				     "DOMID and a command");
	return optind;
}

/* Checks the command and its arguments before anything connects: PVPCI_EXIT_OK, or the
 * usage exit code with the reason printed. On xen only the first of the '::'-separated
 * commands is checked here (each is checked when it runs). */
static int check_command(struct guest *g, const char *name, int nsub, char **sub)
{
	int nchk = nsub;

	if (g->xen)
		for (nchk = 0; nchk < nsub && strcmp(sub[nchk], "::"); nchk++)
			;
	if (!strcmp(sub[0], "watch"))
		return watch_opts(g, nsub, sub);
	if (!guest_known(sub[0]))
		return cli_usage_error(name, "unknown command '%s'", sub[0]);
	if (guest_run(NULL, stdout, stderr, nchk, sub) != PVPCI_EXIT_OK)
		return PVPCI_EXIT_USAGE; /* guest_run said why */
	return PVPCI_EXIT_OK;
}

int cmd_guest(int argc, char **argv)
{
	struct guest *g = calloc(1, sizeof(*g));
	const char *dir = NULL;
	int first, r, code = PVPCI_EXIT_FAIL;
	bool vpci = false;

	if (!g)
		return PVPCI_EXIT_FAIL;
	first = parse_global(g, argc, argv, &dir, &vpci);
	if (first < 0) {
		free(g);
		return -first;
	}
	if (!vpci && argc - first > 2 && !strcmp(argv[first + 1], "--vpci")) {
		argv[first + 1] = argv[first]; /* DOMID --vpci CMD: as the issue spells it */
		first++;
		vpci = true;
	}
	if (vpci) { /* the vPCI ioreq transport instead of a PV frontend: cmd_vguest.c */
		code = vguest_cmd(argv[0], dir, g->connect_timeout_ms, g->op_timeout_ms,
				  argc - first, argv + first);
		free(g);
		return code;
	}
	char **sub = argv + first + 1;
	int nsub = argc - first - 1;
	bool watch = !strcmp(sub[0], "watch");

	code = check_command(g, argv[0], nsub, sub);
	if (code != PVPCI_EXIT_OK) {
		free(g);
		return code;
	}
	code = PVPCI_EXIT_FAIL;
	if (ctl_run_dir(argv[0], dir, g->run_dir, sizeof(g->run_dir)) < 0) {
		free(g);
		return PVPCI_EXIT_USAGE;
	}
	pvpci_log_init(&g->lg, NULL, NULL);
	if (g->xen) { /* DOMID is informative: the platform knows which domain we are */
		code = watch ? PVPCI_EXIT_USAGE : xen_batch(g, nsub, sub);
		if (watch)
			fprintf(stderr, "pvpci guest: watch is not available on --platform xen\n");
		free(g);
		return code;
	}
	if (ctl_domid(argv[0], g->run_dir, argv[first], &g->domid) < 0) {
		free(g);
		return PVPCI_EXIT_FAIL;
	}
	if (watch) {
		code = run_watch(g);
	} else {
		r = forward(g, nsub, sub, &code);
		if (r == -ENOENT || r == -ECONNREFUSED)
			code = one_shot(g, nsub, sub);
		else if (r < 0)
			fprintf(stderr, "pvpci guest: %s\n", strerror(-r));
	}
	free(g);
	return code;
}
