/* SPDX-License-Identifier: MIT */
/*
 * `pvpci backend`: the PV PCI backend daemon on the local platform. It joins the run
 * directory's host as the control domain, serves model devices (--device BDF=MODEL, the
 * model's title address replaced by BDF) to every guest that has backend nodes, publishes
 * them as the host device list (docs/TOOLSTACK.md) and stops on SIGTERM / SIGINT
 * (guests' devices released, list removed; guests' nodes kept for a restart). It also
 * listens on DIR/backend.sock (mode 0600, same user or root only) for `pvpci inject`:
 * one text request per SOCK_SEQPACKET message, one answer "<code> <text>" where code is
 * >= 0 on success (irq: 1 delivered, 0 masked) or a negative errno:
 *     irq BDF auto|intx|msi|msix VECTOR      make the model raise an interrupt
 *     aer BDF detected|mmio|slotreset|resume normal|frozen|perm_failure
 *                                            run AER recovery; answered when it ends
 *                                            with the PVPCI_AER_RESULT_* number
 * A lock (DIR/backend.lock) keeps a second backend off the same run directory. The
 * vPCI ioreq server runs in the same loop (cmd_vguest.c): a device given to a vPCI guest
 * (`pvpci attach --vpci`) leaves the PV backend's table until it is detached.
 * --platform xen: the same daemon in dom0 of a real Xen (Xen's libraries), serving real
 * devices (--device BDF=sysfs: the sysfs source) to PV guests; no vPCI server there.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>

#include "cli.h"
#include "cmds.h"
#include "ctl.h"
#include "vpci_local.h"
#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/platform.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"
#include "pvpci/toolstack.h"

#define BD_MAX_DEVS 64
#define BD_MAX_CLIENTS 16
#define MODEL_FILE_MAX (4u << 20)
#define BD_POLL_EVERY 64 /* busy loops between two looks at the signal and control fds */

struct bd_dev {
	struct pvpci_source *src;
	struct pvpci_sbdf bdf;
	char model[256];
};

struct bd_client {
	int fd;              /* -1: free */
	bool aer_wait;       /* waiting for the end of an AER recovery of host */
	struct pvpci_sbdf host;
};

struct bd {
	char run_dir[PATH_MAX];
	char sock_path[PATH_MAX + 32];
	struct pvpci_log lg;
	struct pvpci_platform *plat;
	struct pvpci_backend *be;
	struct bd_dev devs[BD_MAX_DEVS];
	size_t ndevs;
	struct bd_client cl[BD_MAX_CLIENTS];
	int lock_fd, lsock, sfd;
	struct vserver *vs; /* the vPCI ioreq server (cmd_vguest.c) */
};

/* ---- Model devices ---- */

/* The index-th title line "[dddd:]bb:dd.f ..." of a dump: offset and length of its
 * address, or -ENOENT. */
static int find_title(const char *text, size_t len, size_t index, size_t *off, size_t *alen)
{
	size_t seen = 0;

	for (size_t pos = 0; pos < len;) {
		size_t eol = pos;
		while (eol < len && text[eol] != '\n')
			eol++;
		size_t tok = pos;
		while (tok < eol && text[tok] != ' ' && text[tok] != '\t')
			tok++;
		if (tok > pos && tok - pos < 16 && text[pos] != '#' &&
		    memchr(text + pos, '.', tok - pos)) {
			char a[16];
			struct pvpci_sbdf s;
			struct pvpci_parse_err e;

			memcpy(a, text + pos, tok - pos);
			a[tok - pos] = 0;
			if (pvpci_sbdf_parse(a, &s, &e) == 0 && seen++ == index) {
				*off = pos;
				*alen = tok - pos;
				return 0;
			}
		}
		pos = eol + 1;
	}
	return -ENOENT;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = f ? malloc(MODEL_FILE_MAX + 1) : NULL;
	size_t n = 0;

	if (buf)
		n = fread(buf, 1, MODEL_FILE_MAX + 1, f);
	if (f)
		fclose(f);
	if (!buf || n > MODEL_FILE_MAX) {
		free(buf);
		errno = buf ? EFBIG : errno;
		return NULL;
	}
	*len = n;
	return buf;
}

/* MODEL[#INDEX] served at bdf: the device's title address is rewritten to bdf. */
static int open_model(struct bd *d, const char *model, struct pvpci_sbdf bdf,
		      struct pvpci_source **out, char *why, size_t wlen)
{
	char path[PATH_MAX], a[PVPCI_SBDF_STRLEN], *text, *hash;
	struct pvpci_parse_err perr = { 0 };
	size_t index = 0, len, off, alen;
	uint64_t v;
	int r;

	snprintf(path, sizeof(path), "%s", model);
	hash = strrchr(path, '#');
	if (hash && pvpci_parse_u64(hash + 1, 255, &v) == 0) {
		*hash = 0;
		index = (size_t)v;
	}
	text = read_file(path, &len);
	if (!text) {
		int e = errno;

		snprintf(why, wlen, "%.200s: %s", path, strerror(e));
		return -e;
	}
	r = find_title(text, len, index, &off, &alen);
	if (r == 0) {
		size_t nl = strlen(pvpci_sbdf_str(bdf, a));
		char *t = malloc(len - alen + nl + 1);

		r = t ? 0 : -ENOMEM;
		if (t) {
			memcpy(t, text, off);
			memcpy(t + off, a, nl);
			memcpy(t + off + nl, text + off + alen, len - off - alen);
			len = len - alen + nl;
			free(text);
			text = t;
		}
	}
	if (r == 0)
		r = pvpci_model_open_text(text, len, index, &d->lg, out, &perr);
	free(text);
	if (r == 0 && !pvpci_sbdf_eq(pvpci_source_sbdf(*out), bdf)) {
		pvpci_source_close(*out);
		r = -EINVAL;
		snprintf(perr.msg, sizeof(perr.msg), "cannot place the device at %s", a);
	}
	if (r)
		snprintf(why, wlen, "%s: %s", model,
			 r == -ENOENT ? "no such device in the file" : perr.msg[0] ? perr.msg
											: strerror(-r));
	return r;
}

/* Linux refuses `echo 0 > enable` (-EIO) on a device nobody enabled, and seizing a device
 * disables it: enable a never-enabled real device once first, so the seize's disable
 * balances it (the device's decoding ends up off either way). */
static void sysfs_pre_enable(const char *bdf)
{
	char p[128], v[4] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/enable", pvpci_sysfs_root(NULL), bdf);
	f = fopen(p, "r");
	if (!f)
		return;
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	if (v[0] != '0')
		return;
	f = fopen(p, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
}

/* "BDF=MODEL[#INDEX]" */
static int add_device(struct bd *d, const char *spec)
{
	struct pvpci_parse_err perr = { 0 };
	const char *eq = strchr(spec, '=');
	struct bd_dev *dev = &d->devs[d->ndevs];
	char bdf[32], why[300];
	int r;

	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(bdf) || !eq[1]) {
		fprintf(stderr, "pvpci backend: --device %s: expected BDF=MODEL\n", spec);
		return -EINVAL;
	}
	if (d->ndevs == BD_MAX_DEVS) {
		fprintf(stderr, "pvpci backend: more than %d devices\n", BD_MAX_DEVS);
		return -ENOSPC;
	}
	memcpy(bdf, spec, (size_t)(eq - spec));
	bdf[eq - spec] = 0;
	if (pvpci_sbdf_parse(bdf, &dev->bdf, &perr)) {
		fprintf(stderr, "pvpci backend: --device %s: bad BDF '%s': %s\n", spec, bdf,
			perr.msg);
		return -EINVAL;
	}
	snprintf(dev->model, sizeof(dev->model), "%s", eq + 1);
	if (strcmp(eq + 1, "sysfs") == 0) {
		char a[PVPCI_SBDF_STRLEN];

		r = pvpci_sysfs_open(pvpci_sbdf_str(dev->bdf, a), NULL, &d->lg, &dev->src);
		if (r == 0 && pvpci_sysfs_writable(dev->src, NULL, 0) == 0)
			sysfs_pre_enable(a);
		snprintf(why, sizeof(why), "%s: %s", a, r ? strerror(-r) : "");
	} else {
		r = open_model(d, eq + 1, dev->bdf, &dev->src, why, sizeof(why));
	}
	if (r) {
		fprintf(stderr, "pvpci backend: --device %s: %s\n", spec, why);
		return r;
	}
	r = pvpci_backend_add_device(d->be, dev->src, NULL);
	if (r) {
		fprintf(stderr, "pvpci backend: --device %s: %s\n", spec,
			r == -EEXIST ? "that BDF is given twice" : strerror(-r));
		pvpci_source_close(dev->src);
		return r;
	}
	d->ndevs++;
	return 0;
}

/* For the vPCI server: the source served at host. */
static struct pvpci_source *bd_lookup(void *opaque, struct pvpci_sbdf host)
{
	struct bd *d = opaque;

	for (size_t i = 0; i < d->ndevs; i++)
		if (pvpci_sbdf_eq(d->devs[i].bdf, host))
			return d->devs[i].src;
	return NULL;
}

/* The host device list: rewritten from scratch (a killed backend may have left one). */
static int publish(struct bd *d)
{
	struct xs_handle *xs = pvpci_platform_xs(d->plat);
	char dir[64];

	snprintf(dir, sizeof(dir), PVPCI_TS_HOST_DEVICES_FMT, pvpci_platform_domid(d->plat));
	(void)xs_rm(xs, XBT_NULL, dir);
	for (size_t i = 0; i < d->ndevs; i++) {
		int r = pvpci_ts_host_publish(xs, pvpci_platform_domid(d->plat), d->devs[i].bdf,
					      d->devs[i].model);
		if (r)
			return r;
	}
	return 0;
}

static void unpublish(struct bd *d)
{
	struct xs_handle *xs = pvpci_platform_xs(d->plat);

	for (size_t i = 0; i < d->ndevs; i++)
		(void)pvpci_ts_host_unpublish(xs, pvpci_platform_domid(d->plat), d->devs[i].bdf);
}

/* ---- Control requests ---- */

static const char *const aer_result_names[] = {
	[PVPCI_AER_RESULT_NONE] = "none",
	[PVPCI_AER_RESULT_CAN_RECOVER] = "can_recover",
	[PVPCI_AER_RESULT_NEED_RESET] = "need_reset",
	[PVPCI_AER_RESULT_DISCONNECT] = "disconnect",
	[PVPCI_AER_RESULT_RECOVERED] = "recovered",
	[PVPCI_AER_RESULT_NO_AER_DRIVER] = "no_aer_driver",
};

static const char *aer_result_name(int r)
{
	return r > 0 && (size_t)r < PVPCI_ARRAY_SIZE(aer_result_names) ? aer_result_names[r]
									 : "?";
}

static void client_close(struct bd_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	*c = (struct bd_client){ .fd = -1 };
}

static void reply(struct bd_client *c, int code, const char *fmt, ...) PVPCI_PRINTF(3, 4);
static void reply(struct bd_client *c, int code, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%d ", code);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	(void)ctl_send(c->fd, msg, strlen(msg), NULL, 0);
	client_close(c);
}

static void on_aer_done(void *opaque, struct pvpci_sbdf host, int result)
{
	struct bd *d = opaque;
	char a[PVPCI_SBDF_STRLEN];

	pvpci_logf(&d->lg, PVPCI_LOG_NOTICE, "%s: AER recovery ended: %s",
		   pvpci_sbdf_str(host, a), aer_result_name(result));
	for (size_t i = 0; i < BD_MAX_CLIENTS; i++) {
		struct bd_client *c = &d->cl[i];

		if (c->fd >= 0 && c->aer_wait && pvpci_sbdf_eq(c->host, host))
			reply(c, result, "%s: AER recovery ended: %s", a, aer_result_name(result));
	}
}

static void on_kill(void *opaque, unsigned domid, const char *why)
{
	struct bd *d = opaque;

	pvpci_logf(&d->lg, PVPCI_LOG_NOTICE, "d%u: killed by the AER policy: %s", domid, why);
}

/* Who holds host: "d1 0000:00:01.0" or "no guest". */
static void owner_str(struct bd *d, struct pvpci_sbdf host, char *buf, size_t len)
{
	struct pvpci_backend_dev_info info[BD_MAX_DEVS];
	size_t n = 0;
	char v[PVPCI_SBDF_STRLEN];

	snprintf(buf, len, "no guest");
	if (pvpci_backend_devices(d->be, info, BD_MAX_DEVS, &n))
		return;
	for (size_t i = 0; i < n && i < BD_MAX_DEVS; i++)
		if (pvpci_sbdf_eq(info[i].host, host) && info[i].assigned)
			snprintf(buf, len, "d%u %s", info[i].domid, pvpci_sbdf_str(info[i].virt, v));
}


/* auto: the interrupt type the device uses now (INTx when none). */
static enum pvpci_irq_kind current_kind(struct bd *d, struct pvpci_sbdf host)
{
	struct pvpci_backend_dev_info info[BD_MAX_DEVS];
	size_t n = 0;

	if (pvpci_backend_devices(d->be, info, BD_MAX_DEVS, &n))
		return PVPCI_IRQ_INTX;
	for (size_t i = 0; i < n && i < BD_MAX_DEVS; i++)
		if (pvpci_sbdf_eq(info[i].host, host))
			return info[i].intr == PVPCI_INTR_MSIX ? PVPCI_IRQ_MSIX
			       : info[i].intr == PVPCI_INTR_MSI ? PVPCI_IRQ_MSI : PVPCI_IRQ_INTX;
	return PVPCI_IRQ_INTX;
}

static void req_irq(struct bd *d, struct bd_client *c, struct pvpci_sbdf host, const char *kind,
		    const char *vec)
{
	char a[PVPCI_SBDF_STRLEN], who[48];
	enum pvpci_irq_kind k = PVPCI_IRQ_INTX;
	uint64_t v;
	int r;

	if (strcmp(kind, "auto") == 0) {
		k = current_kind(d, host);
	} else {
		size_t i;

		for (i = 0; i < PVPCI_ARRAY_SIZE(ctl_kind_names); i++)
			if (strcmp(kind, ctl_kind_names[i]) == 0)
				break;
		if (i == PVPCI_ARRAY_SIZE(ctl_kind_names)) {
			reply(c, -EINVAL, "unknown interrupt kind '%s'", kind);
			return;
		}
		k = (enum pvpci_irq_kind)i;
	}
	if (pvpci_parse_u64(vec, 2047, &v)) {
		reply(c, -EINVAL, "bad vector '%s'", vec);
		return;
	}
	pvpci_sbdf_str(host, a);
	owner_str(d, host, who, sizeof(who));
	r = pvpci_backend_raise_irq(d->be, host, k, (unsigned)v);
	if (r == -ENOENT && d->vs)
		r = vserver_raise_irq(d->vs, host, k, (unsigned)v);
	pvpci_logf(&d->lg, PVPCI_LOG_INFO, "%s (%s): injected %s vector %u: %s", a, who,
		   ctl_kind_names[k], (unsigned)v, r == 1 ? "delivered" : r == 0 ? "not delivered"
										: strerror(-r));
	if (r == 1)
		reply(c, 1, "%s (%s): %s vector %u delivered", a, who, ctl_kind_names[k], (unsigned)v);
	else if (r == 0)
		reply(c, 0, "%s (%s): %s vector %u not delivered (masked or disabled)", a, who,
		      ctl_kind_names[k], (unsigned)v);
	else
		reply(c, r, "%s: %s vector %u: %s", a, ctl_kind_names[k], (unsigned)v,
	      r == -ENOENT ? "no such device in this backend"
	      : r == -ENODEV ? "the device has no such interrupt"
	      : r == -EINVAL ? "vector out of range" : strerror(-r));
}

static const unsigned stage_cmds[] = { XEN_PCI_OP_aer_detected, XEN_PCI_OP_aer_mmio,
				       XEN_PCI_OP_aer_slotreset, XEN_PCI_OP_aer_resume };

static void req_aer(struct bd *d, struct bd_client *c, struct pvpci_sbdf host,
		    const char *stage, const char *channel)
{
	int st = ctl_lookup(ctl_stage_names, PVPCI_ARRAY_SIZE(ctl_stage_names), stage);
	int ch = ctl_lookup(ctl_channel_names, PVPCI_ARRAY_SIZE(ctl_channel_names), channel);
	char a[PVPCI_SBDF_STRLEN], who[48];
	int r;

	if (st < 0 || ch < 0) {
		reply(c, -EINVAL, "bad AER stage '%s' or state '%s'", stage, channel);
		return;
	}
	pvpci_sbdf_str(host, a);
	owner_str(d, host, who, sizeof(who));
	pvpci_logf(&d->lg, PVPCI_LOG_NOTICE, "%s (%s): injecting AER %s (state %s)", a, who,
		   stage, channel);
	/* answered by on_aer_done, which may run before aer_at returns */
	c->aer_wait = true;
	c->host = host;
	r = pvpci_backend_aer_at(d->be, host, ch, stage_cmds[st]);
	if (r && c->fd >= 0)
		reply(c, r, "%s: %s", a,
		      r == -ENOENT ? "no such device in this backend"
		      : r == -ENODEV ? "not given to a guest"
		      : r == -EBUSY ? "an AER recovery is already running for its guest"
				    : strerror(-r));
}

static void serve_client(struct bd *d, struct bd_client *c)
{
	char buf[512], *tok[6] = { 0 }, *save = NULL;
	struct pvpci_sbdf host;
	struct pvpci_parse_err perr;
	size_t n = 0;
	int r = ctl_recv(c->fd, buf, sizeof(buf), NULL, NULL, 0);

	if (r <= 0) {
		client_close(c);
		return;
	}
	for (char *t = strtok_r(buf, " \n", &save); t && n < 6; t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	if (n == 4 && pvpci_sbdf_parse(tok[1], &host, &perr) == 0 && !strcmp(tok[0], "irq"))
		req_irq(d, c, host, tok[2], tok[3]);
	else if (n == 4 && pvpci_sbdf_parse(tok[1], &host, &perr) == 0 && !strcmp(tok[0], "aer"))
		req_aer(d, c, host, tok[2], tok[3]);
	else
		reply(c, -EINVAL, "bad request");
}

static void accept_clients(struct bd *d)
{
	for (;;) {
		int fd = ctl_accept(d->lsock);
		size_t i;

		if (fd == -EPERM)
			continue;
		if (fd < 0)
			return;
		for (i = 0; i < BD_MAX_CLIENTS && d->cl[i].fd >= 0; i++)
			;
		if (i == BD_MAX_CLIENTS) {
			close(fd);
			pvpci_logf(&d->lg, PVPCI_LOG_WARNING, "control: too many clients");
			continue;
		}
		d->cl[i] = (struct bd_client){ .fd = fd };
	}
}

/* ---- Setup and the loop ---- */

struct bd_opts {
	const char *run_dir;
	const char *platform; /* "local" (default) or "xen" */
	const char *devices[BD_MAX_DEVS];
	size_t ndev;
	enum pvpci_backend_mode mode;
	unsigned aer_timeout_s;
	bool verbose;
};

/* BDF=MODEL with a valid BDF (the model is opened later). */
static bool device_syntax_ok(const char *spec)
{
	struct pvpci_parse_err perr = { 0 };
	const char *eq = strchr(spec, '=');
	struct pvpci_sbdf a;
	char bdf[32];

	if (eq && eq > spec && (size_t)(eq - spec) < sizeof(bdf) && eq[1]) {
		memcpy(bdf, spec, (size_t)(eq - spec));
		bdf[eq - spec] = 0;
		if (pvpci_sbdf_parse(bdf, &a, &perr) == 0)
			return true;
	}
	fprintf(stderr, "pvpci backend: --device %s: expected BDF=MODEL[#N]%s%s\n", spec,
		perr.msg[0] ? ": " : "", perr.msg);
	return false;
}

/* One option; 0, or an exit code (reported). */
static int opt_one(const char *cmd, int c, struct bd_opts *o)
{
	uint64_t v;
	bool xen;

	switch (c) {
	case 'd':
		o->run_dir = optarg;
		return 0;
	case 'D':
		if (o->ndev == BD_MAX_DEVS)
			return cli_usage_error(cmd, "too many --device options (at most %d)",
					       BD_MAX_DEVS);
		if (!device_syntax_ok(optarg))
			return pvpci_cmd_usage(cmd);
		o->devices[o->ndev++] = optarg;
		return 0;
	case 'm':
		if (pvpci_backend_mode_parse(optarg, &o->mode))
			return cli_usage_error(cmd, "--mode '%s': expected vpci or passthrough",
					       optarg);
		return 0;
	case 'a':
		if (cli_num(cmd, "--aer-timeout", optarg, 1, 86400, &v))
			return PVPCI_EXIT_USAGE;
		o->aer_timeout_s = (unsigned)v;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 'P':
		if (cli_platform(cmd, optarg, &xen))
			return PVPCI_EXIT_USAGE;
		o->platform = xen ? "xen" : "local";
		return 0;
	default:
		return PVPCI_EXIT_USAGE; /* reported by cli_getopt */
	}
}

static int parse_opts(int argc, char **argv, struct bd_opts *o)
{
	static const struct option lo[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' },
		{ "mode", required_argument, NULL, 'm' },
		{ "aer-timeout", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "platform", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->platform = "local";
	optind = 1;
	while ((c = cli_getopt(argc, argv, "d:D:m:a:v", lo)) != -1) {
		int r = opt_one(argv[0], c, o);

		if (r)
			return r;
	}
	return cli_operands(argv[0], argc - optind, argv + optind, 0, 0, "");
}

static int take_lock(struct bd *d)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/%s", d->run_dir, CTL_BACKEND_LOCK);
	d->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return -errno;
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

static int setup(struct bd *d, const struct bd_opts *o)
{
	struct pvpci_platform_config cfg = { .run_dir = d->run_dir, .log = &d->lg };
	struct pvpci_backend_opts bo = {
		.mode = o->mode, .aer_timeout_ms = o->aer_timeout_s * 1000u,
		.on_aer_done = on_aer_done, .on_kill = on_kill, .opaque = d, .log = &d->lg,
	};
	bool xen = strcmp(o->platform, "xen") == 0;
	int r;

	/* xen: a look at the event channels is a read() on /dev/xen/evtchn, so spinning
	 * would be a loop of system calls (each a trip through Xen for a PV dom0) */
	if (xen)
		bo.spin_ns = PVPCI_BACKEND_NO_SPIN;

	if (xen)
		(void)mkdir(d->run_dir, 0700); /* dom0 has no pvpci host to make it */
	r = pvpci_platform_open(o->platform, &cfg, &d->plat);
	if (r) {
		if (xen)
			fprintf(stderr, "pvpci backend: cannot open the xen platform: %s\n",
				strerror(-r));
		else
			fprintf(stderr, "pvpci backend: no pvpci host serves %s: %s\n",
				d->run_dir, strerror(-r));
		return r;
	}
	r = take_lock(d);
	if (r) {
		fprintf(stderr, "pvpci backend: %s\n", r == -EBUSY
			? "another pvpci backend serves this run directory" : strerror(-r));
		return r;
	}
	r = pvpci_backend_create(d->plat, &bo, &d->be);
	for (size_t i = 0; !r && i < o->ndev; i++)
		r = add_device(d, o->devices[i]);
	if (r)
		return r;
	r = publish(d);
	if (r) {
		fprintf(stderr, "pvpci backend: cannot publish the host device list: %s\n",
			strerror(-r));
		return r;
	}
	snprintf(d->sock_path, sizeof(d->sock_path), "%s/%s", d->run_dir, CTL_BACKEND_SOCK);
	d->lsock = ctl_listen(d->sock_path);
	if (d->lsock < 0) {
		fprintf(stderr, "pvpci backend: %s: %s\n", d->sock_path, strerror(-d->lsock));
		return d->lsock;
	}
	r = pvpci_backend_start(d->be);
	if (r) {
		fprintf(stderr, "pvpci backend: cannot watch the backend directory: %s\n",
			strerror(-r));
		return r;
	}
	if (xen)
		return 0; /* the vPCI ioreq server is the local platform's */
	r = vserver_open(d->run_dir, &d->lg, d->be, bd_lookup, d, &d->vs);
	if (r)
		fprintf(stderr, "pvpci backend: cannot start the vPCI server: %s\n", strerror(-r));
	else /* the backend's spin also watches the vPCI guests' ioreq slots */
		pvpci_backend_set_spin_hook(d->be, vserver_ready, d->vs);
	return r;
}

static void teardown(struct bd *d)
{
	for (size_t i = 0; i < BD_MAX_CLIENTS; i++)
		if (d->cl[i].fd >= 0)
			reply(&d->cl[i], -ESHUTDOWN, "the backend stopped");
	if (d->lsock >= 0) {
		close(d->lsock);
		unlink(d->sock_path);
	}
	if (d->plat && d->be)
		unpublish(d);
	if (d->be)
		pvpci_backend_set_spin_hook(d->be, NULL, NULL);
	vserver_close(d->vs); /* gives its devices back to the PV backend */
	pvpci_backend_destroy(d->be);
	for (size_t i = 0; i < d->ndevs; i++)
		pvpci_source_close(d->devs[i].src);
	if (d->plat)
		pvpci_platform_close(d->plat);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->sfd >= 0)
		close(d->sfd);
}

static int loop(struct bd *d)
{
	for (unsigned busy = 0;; busy++) {
		struct pollfd fds[PVPCI_BACKEND_NFDS + VSERVER_NFDS + 2 + BD_MAX_CLIENTS];
		size_t map[BD_MAX_CLIENTS];
		int timeout = -1, n, base, r;
		size_t nc = 0;

		n = pvpci_backend_poll_prepare(d->be, fds, PVPCI_BACKEND_NFDS, &timeout);
		if (timeout == 0 && busy % BD_POLL_EVERY != 0) {
			/* guests' work is waiting: no system call; our fds now and then */
			r = pvpci_backend_process(d->be);
			if (!r && d->vs) /* the spin may have ended on a vPCI request */
				r = vserver_process(d->vs);
			if (r)
				return r;
			continue;
		}
		if (timeout != 0)
			busy = 0;
		if (d->vs)
			n += vserver_poll_prepare(d->vs, fds + n, &timeout);
		base = n;
		fds[n++] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = d->lsock, .events = POLLIN };
		for (size_t i = 0; i < BD_MAX_CLIENTS; i++)
			if (d->cl[i].fd >= 0) {
				map[nc++] = i;
				fds[n++] = (struct pollfd){ .fd = d->cl[i].fd, .events = POLLIN };
			}
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return -errno;
		if (fds[base].revents)
			return 0;
		r = pvpci_backend_process(d->be);
		if (!r && d->vs)
			r = vserver_process(d->vs);
		if (r)
			return r;
		for (size_t i = 0; i < nc; i++)
			if (fds[base + 2 + (int)i].revents && d->cl[map[i]].fd >= 0)
				serve_client(d, &d->cl[map[i]]);
		if (fds[base + 1].revents)
			accept_clients(d);
	}
}

int cmd_backend(int argc, char **argv)
{
	struct bd *d = calloc(1, sizeof(*d));
	struct bd_opts o;
	int r;

	if (!d)
		return PVPCI_EXIT_FAIL;
	r = parse_opts(argc, argv, &o);
	if (!r && ctl_run_dir(argv[0], o.run_dir, d->run_dir, sizeof(d->run_dir)) < 0)
		r = PVPCI_EXIT_USAGE;
	if (r) {
		free(d);
		return r;
	}
	for (size_t i = 0; i < BD_MAX_CLIENTS; i++)
		d->cl[i].fd = -1;
	d->lock_fd = d->lsock = -1;
	pvpci_log_init(&d->lg, NULL, NULL);
	d->lg.max_level = o.verbose ? PVPCI_LOG_INFO : PVPCI_LOG_NOTICE;
	d->sfd = ctl_stop_fd();
	r = d->sfd < 0 ? -errno : setup(d, &o);
	if (r == 0) {
		printf("pvpci backend: serving %zu device(s) on %s (mode %s)\n", d->ndevs,
		       d->run_dir, pvpci_backend_mode_name(o.mode));
		fflush(stdout);
		r = loop(d);
		if (r)
			fprintf(stderr, "pvpci backend: %s\n", r == -ESHUTDOWN
				? "the pvpci host went away" : strerror(-r));
		else
			printf("pvpci backend: stopped\n");
	}
	teardown(d);
	free(d);
	return r ? PVPCI_EXIT_FAIL : PVPCI_EXIT_OK;
}
