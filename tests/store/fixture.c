/* SPDX-License-Identifier: MIT */
/*
 * Store test fixture (see fixture.h): server thread, libxenstore handles per domain, watch
 * event waits and raw socket helpers.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static void *server_main(void *arg)
{
	struct fx *f = arg;

	while (!atomic_load(&f->stop))
		pvpci_store_process(f->st, 10);
	return NULL;
}

static int fx_domain(struct fx *f, unsigned domid)
{
	struct pvpci_store_perm p = { domid, PVPCI_STORE_NONE };
	char path[128], node[64];
	int rc;

	snprintf(path, sizeof(path), "%s/socket.%u", f->dir, domid);
	snprintf(node, sizeof(node), "/local/domain/%u", domid);
	rc = pvpci_store_listen(f->st, domid, path);
	if (!rc)
		rc = pvpci_store_mkdir(f->st, node);
	if (!rc)
		rc = pvpci_store_set_perms(f->st, node, &p, 1);
	if (!rc)
		rc = pvpci_store_introduce_domain(f->st, domid);
	return rc;
}

int fx_setup(void **state)
{
	struct pvpci_store_quota q;
	struct pvpci_log log = { .max_level = PVPCI_LOG_WARNING };
	struct fx *f = calloc(1, sizeof(*f));
	char path[128];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pvpci-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	pvpci_store_quota_defaults(&q);
	q.nodes = FX_QUOTA_NODES;
	q.value_size = FX_QUOTA_VALUE;
	q.watches = FX_QUOTA_WATCHES;
	q.transactions = FX_QUOTA_TX;
	q.conn_per_domain = FX_QUOTA_CONNS;
	if (pvpci_store_create(&q, &log, &f->st))
		return -1;
	snprintf(path, sizeof(path), "%s/socket", f->dir);
	if (pvpci_store_listen(f->st, 0, path))
		return -1;
	for (unsigned d = 1; d <= 3; d++)
		if (fx_domain(f, d))
			return -1;
	atomic_store(&f->stop, false);
	if (pthread_create(&f->thr, NULL, server_main, f))
		return -1;
	f->running = true;
	*state = f;
	return 0;
}

void fx_stop(struct fx *f)
{
	if (!f->running)
		return;
	atomic_store(&f->stop, true);
	pthread_join(f->thr, NULL);
	f->running = false;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < f->nh; i++)
		xs_close(f->h[i]);
	fx_stop(f);
	pvpci_store_destroy(f->st);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void sock_path(const struct fx *f, unsigned domid, char *buf, size_t sz)
{
	if (domid == 0)
		snprintf(buf, sz, "%s/socket", f->dir);
	else
		snprintf(buf, sz, "%s/socket.%u", f->dir, domid);
}

struct xs_handle *fx_open(struct fx *f, unsigned domid)
{
	char path[128];
	struct xs_handle *h;

	sock_path(f, domid, path, sizeof(path));
	setenv("XENSTORED_PATH", path, 1);
	h = xs_open(0);
	assert_non_null(h);
	assert_true(f->nh < PVPCI_ARRAY_SIZE(f->h));
	f->h[f->nh++] = h;
	return h;
}

char **fx_event(struct xs_handle *h, int ms)
{
	struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
	char **v = xs_check_watch(h);

	while (!v) {
		if (poll(&p, 1, ms) <= 0)
			return NULL;
		v = xs_check_watch(h);
	}
	return v;
}

void fx_expect_event(struct xs_handle *h, const char *path, const char *token)
{
	char **v = fx_event(h, 2000);

	assert_non_null(v);
	assert_string_equal(v[XS_WATCH_PATH], path);
	assert_string_equal(v[XS_WATCH_TOKEN], token);
	free(v);
}

int fx_raw_connect(struct fx *f, unsigned domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sock_path(f, domid, sa.sun_path, sizeof(sa.sun_path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

int fx_raw_send(int fd, uint32_t type, uint32_t req, uint32_t tx, const void *p, uint32_t len)
{
	uint32_t h[4] = { type, req, tx, len };
	unsigned char buf[16 + 8192];

	if (len > sizeof(buf) - 16)
		len = sizeof(buf) - 16;
	memcpy(buf, h, 16);
	if (len && p)
		memcpy(buf + 16, p, len);
	return send(fd, buf, 16 + (p ? len : 0), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int read_full(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return -1;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int fx_raw_recv(int fd, uint32_t *type, char *buf, size_t max, uint32_t *len, int ms)
{
	uint32_t h[4];

	if (read_full(fd, h, sizeof(h), ms))
		return -1;
	if (h[3] > max || read_full(fd, buf, h[3], ms))
		return -1;
	*type = h[0];
	*len = h[3];
	return 0;
}
