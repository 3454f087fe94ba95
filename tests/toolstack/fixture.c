/* SPDX-License-Identifier: MIT */
/*
 * Toolstack test fixture (see fixture.h): host daemon thread, handles, node helpers and
 * the simulated backend thread.
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static void *host_main(void *arg)
{
	struct tfx *f = arg;

	pvpci_host_run(f->host, f->stop_fd);
	return NULL;
}

static struct pvpci_platform *open_dom0(struct tfx *f)
{
	struct pvpci_platform_config cfg = { .run_dir = f->dir, .domid = 0 };
	struct pvpci_platform *p = NULL;

	if (pvpci_platform_open("local", &cfg, &p))
		return NULL;
	return p;
}

int tfx_setup(void **state)
{
	struct tfx *f = calloc(1, sizeof(*f));
	static struct pvpci_log lg = { .max_level = PVPCI_LOG_WARNING };
	struct pvpci_host_config hc = { .log = &lg };

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pvpci-ts-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	hc.run_dir = f->dir;
	if (pvpci_host_create(&hc, &f->host))
		return -1;
	f->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (f->stop_fd < 0 || pthread_create(&f->thr, NULL, host_main, f))
		return -1;
	f->plat = open_dom0(f);
	f->plat2 = open_dom0(f);
	if (!f->plat || !f->plat2)
		return -1;
	f->xs = pvpci_platform_xs(f->plat);
	f->rd = pvpci_platform_xs(f->plat2);
	if (pvpci_domain_create(f->plat, "guest1", &f->guest) ||
	    pvpci_domain_create(f->plat, "guest2", &f->guest2))
		return -1;
	*state = f;
	return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(p);
	return 0;
}

int tfx_teardown(void **state)
{
	struct tfx *f = *state;
	uint64_t one = 1;

	besim_stop(f);
	pvpci_platform_close(f->plat2);
	pvpci_platform_close(f->plat);
	if (write(f->stop_fd, &one, sizeof(one)) != sizeof(one))
		return -1;
	pthread_join(f->thr, NULL);
	close(f->stop_fd);
	pvpci_host_destroy(f->host);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char rbuf[8][512];
static unsigned rnext;

static const char *vread(struct tfx *f, bool *found, const char *fmt, va_list ap)
{
	char path[256];
	unsigned len = 0;
	char *v, *out = rbuf[rnext++ % 8];

	vsnprintf(path, sizeof(path), fmt, ap);
	v = xs_read(f->rd, XBT_NULL, path, &len);
	*found = v != NULL;
	snprintf(out, sizeof(rbuf[0]), "%.*s", v ? (int)len : 0, v ? v : "");
	free(v);
	return out;
}

const char *tfx_read(struct tfx *f, const char *fmt, ...)
{
	va_list ap;
	bool found;
	const char *r;

	va_start(ap, fmt);
	r = vread(f, &found, fmt, ap);
	va_end(ap);
	return r;
}

bool tfx_exists(struct tfx *f, const char *fmt, ...)
{
	va_list ap;
	bool found;

	va_start(ap, fmt);
	vread(f, &found, fmt, ap);
	va_end(ap);
	return found;
}

void tfx_write(struct tfx *f, const char *path, const char *val)
{
	assert_true(xs_write(f->rd, XBT_NULL, path, val, (unsigned)strlen(val)));
}

const char *tfx_perms(struct tfx *f, const char *path)
{
	static const char letter[] = { 'n', 'r', 'w', 'b' };
	char *out = rbuf[rnext++ % 8];
	unsigned n = 0;
	size_t used = 0;
	struct xs_permissions *p = xs_get_permissions(f->rd, XBT_NULL, path, &n);

	out[0] = '\0';
	for (unsigned i = 0; p && i < n; i++)
		used += (size_t)snprintf(out + used, 512 - used, "%s%c%u", i ? "," : "",
					 letter[p[i].perms & 3], p[i].id);
	free(p);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *tfx_children(struct tfx *f, const char *path)
{
	char *out = rbuf[rnext++ % 8];
	unsigned n = 0;
	size_t used = 0;
	char **names = xs_directory(f->rd, XBT_NULL, path, &n);

	out[0] = '\0';
	if (!names)
		return out;
	qsort(names, n, sizeof(*names), cmp_str);
	for (unsigned i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, 512 - used, "%s%s", i ? "," : "", names[i]);
	free(names);
	return out;
}

void tfx_be(struct tfx *f, unsigned domid, char *buf, size_t len)
{
	snprintf(buf, len, "/local/domain/%u/backend/pci/%u/0", TFX_BE, domid);
}

void tfx_fe(struct tfx *f, unsigned domid, char *buf, size_t len)
{
	snprintf(buf, len, "/local/domain/%u/device/pci/0", domid);
}

void tfx_host(struct tfx *f, const char *const *bdfs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pvpci_sbdf a;
		char model[64];

		assert_int_equal(pvpci_sbdf_parse(bdfs[i], &a, NULL), 0);
		snprintf(model, sizeof(model), "/models/dev%zu.model", i);
		assert_int_equal(pvpci_ts_host_publish(f->xs, TFX_BE, a, model), 0);
	}
}

void tfx_connect(struct tfx *f, unsigned domid)
{
	char be[128], fe[128], path[160];

	tfx_be(f, domid, be, sizeof(be));
	tfx_fe(f, domid, fe, sizeof(fe));
	/* the backend's setup exports the cold-plugged entries */
	int num = atoi(tfx_read(f, "%s/num_devs", be));
	for (int i = 0; i < num; i++) {
		char v[32];
		if (strcmp(tfx_read(f, "%s/state-%d", be, i), "1"))
			continue;
		snprintf(path, sizeof(path), "%s/vdev-%d", be, i);
		snprintf(v, sizeof(v), "0000:00:%02x.00", (unsigned)i + 1);
		tfx_write(f, path, v);
		snprintf(path, sizeof(path), "%s/state-%d", be, i);
		tfx_write(f, path, "3");
	}
	snprintf(path, sizeof(path), "%s/state", fe);
	tfx_write(f, path, "4");
	snprintf(path, sizeof(path), "%s/state", be);
	tfx_write(f, path, "4");
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

bool tfx_wait_value(struct tfx *f, const char *path, const char *val, int ms)
{
	for (int t = 0; t <= ms; t += 5) {
		if (!strcmp(tfx_read(f, "%s", path), val))
			return true;
		sleep_ms(5);
	}
	return false;
}

/* ---- simulated backend ---- */
static void sim_write(struct besim *s, const char *dir, const char *key, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));
static void sim_write(struct besim *s, const char *dir, const char *key, const char *fmt, ...)
{
	char path[192], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	xs_write(s->xs, XBT_NULL, path, val, (unsigned)strlen(val));
}

static int sim_read_int(struct besim *s, const char *dir, const char *key)
{
	char path[192];
	unsigned len = 0;
	char *v;
	int r = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	v = xs_read(s->xs, XBT_NULL, path, &len);
	if (v) {
		r = atoi(v);
		free(v);
	}
	return r;
}

/* pciback's reconfigure + pcifront's part of the dance. */
static void sim_reconfigure(struct besim *s)
{
	int num = sim_read_int(s, s->be, "num_devs");
	char key[32], path[192];

	sim_write(s, s->fe, "state", "7");
	for (int i = 0; i < num; i++) {
		snprintf(key, sizeof(key), "state-%d", i);
		int st = sim_read_int(s, s->be, key);
		if (st == 1) {
			unsigned len = 0;
			snprintf(path, sizeof(path), "%s/dev-%d", s->be, i);
			char *dev = xs_read(s->xs, XBT_NULL, path, &len);
			unsigned fn = dev && len > 0 ? (unsigned)(dev[len - 1] - '0') : 0;
			free(dev);
			snprintf(key, sizeof(key), "vdev-%d", i);
			sim_write(s, s->be, key, "0000:00:%02x.%02x", (unsigned)i + 1, fn);
			snprintf(key, sizeof(key), "state-%d", i);
			sim_write(s, s->be, key, "3");
			atomic_fetch_add(&s->exported, 1);
		} else if (st == 5) {
			atomic_fetch_add(&s->removed, 1);
		}
	}
	sim_write(s, s->be, "state", "8");
	sim_write(s, s->fe, "state", "4");
	sim_write(s, s->be, "state", "4");
	atomic_fetch_add(&s->reconfs, 1);
}

static void sim_close(struct besim *s)
{
	char path[192];
	unsigned len = 0;
	char *v;

	snprintf(path, sizeof(path), "%s/online", s->be);
	v = xs_read(s->xs, XBT_NULL, path, &len);
	snprintf(s->seen_online, sizeof(s->seen_online), "%.*s", v ? (int)len : 0,
		 v ? v : "");
	free(v);
	sim_write(s, s->fe, "state", "6");
	sim_write(s, s->be, "state", "6");
	atomic_fetch_add(&s->closes, 1);
}

static void *sim_main(void *arg)
{
	struct besim *s = arg;
	int fd = xs_fileno(s->xs);

	while (!atomic_load(&s->stop)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char **ev;
		int st;

		if (poll(&pfd, 1, 20) > 0)
			while ((ev = xs_check_watch(s->xs)) != NULL)
				free(ev);
		st = sim_read_int(s, s->be, "state");
		if (st == 7 && s->answer_reconf)
			sim_reconfigure(s);
		else if (st == 5 && s->answer_close)
			sim_close(s);
	}
	return NULL;
}

void besim_start(struct tfx *f, unsigned domid, bool answer_reconf, bool answer_close)
{
	struct besim *s = &f->sim;

	s->plat = open_dom0(f);
	assert_non_null(s->plat);
	s->xs = pvpci_platform_xs(s->plat);
	tfx_be(f, domid, s->be, sizeof(s->be));
	tfx_fe(f, domid, s->fe, sizeof(s->fe));
	s->answer_reconf = answer_reconf;
	s->answer_close = answer_close;
	atomic_store(&s->stop, false);
	assert_true(xs_watch(s->xs, s->be, "besim"));
	assert_int_equal(pthread_create(&s->thr, NULL, sim_main, s), 0);
	s->running = true;
}

void besim_stop(struct tfx *f)
{
	struct besim *s = &f->sim;

	if (!s->running)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thr, NULL);
	pvpci_platform_close(s->plat);
	s->running = false;
}
