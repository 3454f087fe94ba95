/* SPDX-License-Identifier: MIT */
/*
 * The protocol tests' harness (see harness.h): host, backend and guest processes, the
 * backend's control channel, libxl's nodes and the raw frontend.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <xenstore.h>

#include "harness.h"
#include "pvpci/source.h"

#define MAX_INFO 16

/* ---- Host ---- */

struct pvpci_platform *ph_open(const struct tc_host *h, unsigned domid)
{
	struct pvpci_platform_config cfg = { .run_dir = h->dir, .domid = domid };
	struct pvpci_platform *p = NULL;

	for (int i = 0; i < 100; i++) {
		if (pvpci_platform_open("local", &cfg, &p) == 0)
			return p;
		tc_sleep_ms(10);
	}
	return NULL;
}

int ph_domain(struct pvpci_platform *dom0, const char *name, unsigned *domid)
{
	return pvpci_domain_create(dom0, name, domid);
}

/* ---- Backend process ---- */

enum { CTL_RAISE = 1, CTL_AER, CTL_DEVS, CTL_GUESTS, CTL_AER_RESULT, CTL_ISR, CTL_STOP };

struct ctl_req {
	uint32_t cmd, bdf, a, b;
};
struct ctl_rsp {
	int32_t rc;
	uint32_t n;
	int32_t aer_result;
	uint32_t kills;
	uint32_t log_lines;
	union {
		struct pvpci_backend_dev_info devs[MAX_INFO];
		struct pvpci_backend_guest_info guests[MAX_INFO];
	} u;
};

struct be_state {
	int aer_result;
	unsigned kills;
	unsigned log_lines; /* lines the backend logged (warnings and worse) */
};

/* The backend's log: counted, then on stderr as usual. */
static void count_line(void *opaque, int level, const char *line)
{
	((struct be_state *)opaque)->log_lines++;
	fprintf(stderr, "%s\n", line);
}

static void on_aer_done(void *opaque, struct pvpci_sbdf host, int result)
{
	((struct be_state *)opaque)->aer_result = result;
}

static void on_kill(void *opaque, unsigned domid, const char *why)
{
	((struct be_state *)opaque)->kills++;
}

struct be_args {
	struct tc_host h;
	struct ph_backend_cfg cfg;
	int ctl;
};

static struct pvpci_sbdf unpack(uint32_t v)
{
	return (struct pvpci_sbdf){ (uint16_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)((v >> 3) & 31),
				    (uint8_t)(v & 7) };
}

/* One control request; returns 1 to stop. */
static int ctl_serve(struct pvpci_backend *be, struct be_state *st, int fd)
{
	struct ctl_req q;
	struct ctl_rsp *r = calloc(1, sizeof(*r));
	size_t n = 0;
	int stop = 0;

	if (!r || read(fd, &q, sizeof(q)) != (ssize_t)sizeof(q)) {
		free(r);
		return 1;
	}
	switch (q.cmd) {
	case CTL_RAISE:
		r->rc = pvpci_backend_raise_irq(be, unpack(q.bdf), (enum pvpci_irq_kind)q.a, q.b);
		break;
	case CTL_AER:
		r->rc = pvpci_backend_aer(be, unpack(q.bdf), (int)q.a);
		break;
	case CTL_DEVS:
		r->rc = pvpci_backend_devices(be, r->u.devs, MAX_INFO, &n);
		r->n = (uint32_t)n;
		break;
	case CTL_GUESTS:
		r->rc = pvpci_backend_guests(be, r->u.guests, MAX_INFO, &n);
		r->n = (uint32_t)n;
		break;
	case CTL_AER_RESULT:
		break;
	case CTL_ISR:
		r->rc = pvpci_backend_isr_toggle(be, unpack(q.bdf));
		break;
	default:
		stop = 1;
	}
	r->aer_result = st->aer_result;
	r->kills = st->kills;
	r->log_lines = st->log_lines;
	if (!stop && write(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		stop = 1;
	free(r);
	return stop;
}

static int be_loop(struct pvpci_backend *be, struct be_state *st, int ctl)
{
	for (;;) {
		struct pollfd fds[PVPCI_BACKEND_NFDS + 1];
		int timeout = -1, n = pvpci_backend_poll_prepare(be, fds, PVPCI_BACKEND_NFDS,
								 &timeout);

		fds[n++] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return 3;
		if (fds[n - 1].revents & (POLLIN | POLLHUP | POLLERR))
			if (ctl_serve(be, st, ctl))
				return 0;
		if (pvpci_backend_process(be) < 0)
			return 4;
	}
}

static int open_models(const struct ph_backend_cfg *cfg, struct pvpci_source **srcs,
		       const struct pvpci_log *lg)
{
	const char *dir = getenv("PVPCI_TEST_DATA");

	for (unsigned i = 0; i < cfg->nmodels; i++) {
		char path[512];
		struct pvpci_parse_err err;

		if (cfg->models[i].file[0] == '/')
			snprintf(path, sizeof(path), "%s", cfg->models[i].file);
		else
			snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data",
				 cfg->models[i].file);
		if (pvpci_model_open(path, cfg->models[i].index, lg, &srcs[i], &err)) {
			fprintf(stderr, "model %s: %s\n", path, err.msg);
			return -1;
		}
	}
	return 0;
}

static int backend_main(void *arg)
{
	struct be_args *a = arg;
	struct be_state st = { 0 };
	struct pvpci_source *srcs[16] = { 0 };
	struct pvpci_backend *be = NULL;
	struct pvpci_platform *p;
	struct pvpci_log lg;
	int rc = 1;

	pvpci_log_init(&lg, NULL, NULL);
	lg.max_level = getenv("PH_VERBOSE") ? PVPCI_LOG_DEBUG : PVPCI_LOG_WARNING;
	lg.fn = count_line;
	lg.opaque = &st;
	p = ph_open(&a->h, 0);
	if (!p || open_models(&a->cfg, srcs, &lg))
		goto out;
	struct pvpci_backend_opts o = {
		.mode = a->cfg.mode, .aer_timeout_ms = a->cfg.aer_timeout_ms,
		.aer_kill = a->cfg.aer_kill, .ops_per_turn = a->cfg.ops_per_turn,
		.on_kill = on_kill, .on_aer_done = on_aer_done, .opaque = &st, .log = &lg,
	};
	if (pvpci_backend_create(p, &o, &be))
		goto out;
	for (unsigned i = 0; i < a->cfg.nmodels; i++)
		if (pvpci_backend_add_device(be, srcs[i], NULL))
			goto out;
	if (pvpci_backend_start(be))
		goto out;
	rc = be_loop(be, &st, a->ctl);
out:
	pvpci_backend_destroy(be);
	for (unsigned i = 0; i < 16; i++)
		pvpci_source_close(srcs[i]);
	pvpci_platform_close(p);
	close(a->ctl);
	exit(rc); /* not _exit: LeakSanitizer checks at exit */
}

int ph_backend_start(const struct tc_host *h, const struct ph_backend_cfg *cfg,
		     struct ph_backend *b)
{
	struct be_args a = { .h = *h, .cfg = *cfg };
	int sv[2];

	if (cfg->nmodels > 16 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	a.ctl = sv[1];
	b->pid = tc_spawn(backend_main, &a);
	close(sv[1]);
	b->ctl = sv[0];
	return b->pid > 0 ? 0 : -1;
}

static int ctl_call(struct ph_backend *b, uint32_t cmd, struct pvpci_sbdf bdf, uint32_t x,
		    uint32_t y, struct ctl_rsp *r)
{
	struct ctl_req q = { cmd, pvpci_sbdf_pack(bdf), x, y };
	struct pollfd pfd = { .fd = b->ctl, .events = POLLIN };

	if (write(b->ctl, &q, sizeof(q)) != (ssize_t)sizeof(q))
		return -EPIPE;
	if (poll(&pfd, 1, PH_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	if (read(b->ctl, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		return -EPIPE;
	return r->rc;
}

int ph_backend_stop(struct ph_backend *b)
{
	struct ctl_req q = { CTL_STOP, 0, 0, 0 };
	int rc;

	if (b->pid <= 0)
		return -1;
	if (write(b->ctl, &q, sizeof(q)) < 0)
		kill(b->pid, SIGKILL);
	rc = tc_join(b->pid, PH_TIMEOUT_MS);
	close(b->ctl);
	b->pid = 0;
	return rc;
}

int ph_be_raise(struct ph_backend *b, struct pvpci_sbdf host, enum pvpci_irq_kind kind,
		unsigned vector)
{
	struct ctl_rsp r;

	return ctl_call(b, CTL_RAISE, host, kind, vector, &r);
}

int ph_be_isr_toggle(struct ph_backend *b, struct pvpci_sbdf host)
{
	struct ctl_rsp r;

	return ctl_call(b, CTL_ISR, host, 0, 0, &r);
}

int ph_be_aer(struct ph_backend *b, struct pvpci_sbdf host, int channel)
{
	struct ctl_rsp r;

	return ctl_call(b, CTL_AER, host, (uint32_t)channel, 0, &r);
}

int ph_be_devices(struct ph_backend *b, struct pvpci_backend_dev_info *out, unsigned max)
{
	struct ctl_rsp *r = malloc(sizeof(*r));
	int rc = r ? ctl_call(b, CTL_DEVS, (struct pvpci_sbdf){ 0 }, 0, 0, r) : -ENOMEM;

	if (rc == 0) {
		rc = (int)r->n;
		memcpy(out, r->u.devs, sizeof(*out) * (r->n < max ? r->n : max));
	}
	free(r);
	return rc;
}

int ph_be_device(struct ph_backend *b, struct pvpci_sbdf host,
		 struct pvpci_backend_dev_info *out)
{
	struct pvpci_backend_dev_info d[MAX_INFO];
	int n = ph_be_devices(b, d, MAX_INFO);

	for (int i = 0; i < n && i < MAX_INFO; i++)
		if (pvpci_sbdf_eq(d[i].host, host)) {
			*out = d[i];
			return 0;
		}
	return n < 0 ? n : -ENOENT;
}

int ph_be_guests(struct ph_backend *b, struct pvpci_backend_guest_info *out, unsigned max)
{
	struct ctl_rsp *r = malloc(sizeof(*r));
	int rc = r ? ctl_call(b, CTL_GUESTS, (struct pvpci_sbdf){ 0 }, 0, 0, r) : -ENOMEM;

	if (rc == 0) {
		rc = (int)r->n;
		memcpy(out, r->u.guests, sizeof(*out) * (r->n < max ? r->n : max));
	}
	free(r);
	return rc;
}

int ph_be_aer_result(struct ph_backend *b, int *result, unsigned *kills)
{
	struct ctl_rsp *r = malloc(sizeof(*r));
	int rc = r ? ctl_call(b, CTL_AER_RESULT, (struct pvpci_sbdf){ 0 }, 0, 0, r) : -ENOMEM;

	if (rc == 0) {
		*result = r->aer_result;
		*kills = r->kills;
	}
	free(r);
	return rc;
}

int ph_be_log_lines(struct ph_backend *b, unsigned *n)
{
	struct ctl_rsp *r = malloc(sizeof(*r));
	int rc = r ? ctl_call(b, CTL_AER_RESULT, (struct pvpci_sbdf){ 0 }, 0, 0, r) : -ENOMEM;

	if (rc == 0)
		*n = r->log_lines;
	free(r);
	return rc;
}

/* ---- Environment ---- */

/* The test's environment (one at a time), static so that ph_teardown can stop it after a
 * failed assertion left the test function. */
static struct ph_env the_env;
static bool env_running;

int ph_teardown(void **state)
{
	if (env_running)
		(void)ph_env_stop(&the_env);
	return 0;
}

struct ph_env *ph_env_start(const struct ph_backend_cfg *cfg)
{
	struct ph_env *e = &the_env;

	if (env_running)
		(void)ph_env_stop(e);
	memset(e, 0, sizeof(*e));
	env_running = true;
	e->h.stop_fd = -1;
	if (tc_host_start(&e->h, NULL))
		return NULL;
	e->dom0 = ph_open(&e->h, 0);
	if (!e->dom0)
		return NULL;
	e->xs = pvpci_platform_xs(e->dom0);
	if (cfg && ph_backend_start(&e->h, cfg, &e->be))
		return NULL;
	return e;
}

int ph_env_stop(struct ph_env *e)
{
	int rc = 0;

	env_running = false;
	if (e->be.pid > 0)
		rc = ph_backend_stop(&e->be);
	pvpci_platform_close(e->dom0);
	e->dom0 = NULL;
	tc_host_stop(&e->h);
	return rc;
}

int ph_guest(struct ph_env *e, const char *name, const struct pvpci_sbdf *devs, unsigned n,
	     const char *mode, unsigned *domid)
{
	int rc = ph_domain(e->dom0, name, domid);

	return rc ? rc : ph_coldplug(e->xs, *domid, devs, n, mode);
}

/* Replace the first occurrence of from with to in *text (reallocated). */
static int replace(char **text, const char *from, const char *to)
{
	char *at = strstr(*text, from), *n;
	size_t a = strlen(from), b = strlen(to), off, rest;

	if (!at)
		return -1;
	off = (size_t)(at - *text);
	rest = strlen(at + a);
	n = malloc(off + b + rest + 1);
	if (!n)
		return -1;
	memcpy(n, *text, off);
	memcpy(n + off, to, b);
	memcpy(n + off + b, at + a, rest + 1);
	free(*text);
	*text = n;
	return 0;
}

/* nic-msix with a 2048-entry MSI-X table (BAR4 64K, PBA moved to 0x8000) at 06:00.0. */
int ph_big_msix_model(char *path, size_t cap)
{
	static const char *const edits[][2] = {
		{ "03:00.0 Ethernet", "06:00.0 Ethernet" },
		{ "# bar4 4000", "# bar4 10000" },
		{ "70: 11 a0 3f 00 04 00 00 00 04 20 00 00", "70: 11 a0 ff 07 04 00 00 00 04 80 00 00" },
	};
	const char *dir = getenv("PVPCI_TEST_DATA");
	char src[512], *text = NULL;
	size_t len = 0;
	FILE *in, *out;
	int rc = -1, fd;

	snprintf(src, sizeof(src), "%s/nic-msix.model", dir ? dir : "tests/data");
	in = fopen(src, "r");
	if (in && getdelim(&text, &len, 0, in) > 0) {
		rc = 0;
		for (size_t i = 0; i < PVPCI_ARRAY_SIZE(edits) && !rc; i++)
			rc = replace(&text, edits[i][0], edits[i][1]);
	}
	if (in)
		fclose(in);
	snprintf(path, cap, "/tmp/pvpci-bigmsix-XXXXXX");
	fd = rc ? -1 : mkstemp(path);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out || fputs(text, out) < 0)
		rc = -1;
	if (out)
		fclose(out);
	free(text);
	return rc;
}
