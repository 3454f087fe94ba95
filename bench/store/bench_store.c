/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the store: latency of xs_read, xs_write and of a watch event (from the
 * writer's xs_write to the watcher's libxenstore handing out the event) through
 * libxenstore over the store's UNIX socket, with the store served by a thread of this
 * process. Baselines from the same run: a raw UNIX-socket request/response of the same
 * sizes against a trivial echo thread, and the store's READ driven over a raw socket (one
 * send per request, no libxenstore), which separates the store's cost from the client
 * library's. Prints median and 99th percentile per operation.
 * Usage: bench_store [iterations] (default 20000 per operation).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "pvpci/store.h"

#include "bench.h"

#define KEY "/bench/key"
#define VALUE "0123456789abcdef" /* 16 bytes */

struct ctx {
	char dir[64];
	char sock[96];
	char echo_sock[96];
	struct pvpci_store *st;
	atomic_bool stop;
	int echo_lfd;
	struct xs_handle *hr, *hw, *hwatch;
	int raw_store, raw_echo;
};

static void *store_thread(void *arg)
{
	struct ctx *c = arg;

	while (!atomic_load(&c->stop))
		pvpci_store_process(c->st, 50);
	return NULL;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Trivial server: per request (16-byte header + payload, read with as few reads as the
 * data allows) one reply of 16 + 16 bytes. */
static void *echo_thread(void *arg)
{
	struct ctx *c = arg;
	unsigned char buf[16 + 4096], rep[32];
	int fd = accept(c->echo_lfd, NULL, NULL);
	size_t got = 0;
	uint32_t len;

	memset(rep, 0, sizeof(rep));
	while (fd >= 0) {
		ssize_t n = got < 16 ? read(fd, buf + got, sizeof(buf) - got) : 0;

		if (n < 0 || (got < 16 && n == 0))
			break;
		got += (size_t)n;
		if (got < 16)
			continue;
		memcpy(&len, buf + 12, 4);
		if (len > 4096 || (got < 16 + len && read_full(fd, buf + got, 16 + len - got)))
			break;
		got = 0;
		memcpy(rep, buf, 12);
		len = 16;
		memcpy(rep + 12, &len, 4);
		memcpy(rep + 16, VALUE, 16);
		if (write(fd, rep, sizeof(rep)) != sizeof(rep))
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

/* One READ request of KEY in one send, its reply read whole. */
static void raw_read(int fd)
{
	unsigned char req[16 + sizeof(KEY)], rep[16 + 4096];
	uint32_t h[4] = { 2 /* XS_READ */, 1, 0, sizeof(KEY) };
	uint32_t len;

	memcpy(req, h, 16);
	memcpy(req + 16, KEY, sizeof(KEY));
	if (write(fd, req, sizeof(req)) != sizeof(req) || read_full(fd, rep, 16)) {
		perror("raw request");
		exit(1);
	}
	memcpy(&len, rep + 12, 4);
	if (len > 4096 || read_full(fd, rep + 16, len)) {
		perror("raw reply");
		exit(1);
	}
}

static void op_raw_echo(struct ctx *c)
{
	raw_read(c->raw_echo);
}

static void op_raw_store(struct ctx *c)
{
	raw_read(c->raw_store);
}

static void op_xs_read(struct ctx *c)
{
	unsigned len;
	char *v = xs_read(c->hr, XBT_NULL, KEY, &len);

	if (!v || len != 16) {
		perror("xs_read");
		exit(1);
	}
	free(v);
}

static void op_xs_write(struct ctx *c)
{
	if (!xs_write(c->hw, XBT_NULL, "/bench/wkey", VALUE, 16)) {
		perror("xs_write");
		exit(1);
	}
}

static void op_watch(struct ctx *c)
{
	struct pollfd p = { .fd = xs_fileno(c->hwatch), .events = POLLIN };
	char **ev;

	op_xs_write(c);
	while (!(ev = xs_check_watch(c->hwatch)))
		poll(&p, 1, 1000);
	free(ev);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void measure(struct ctx *c, const char *name, void (*op)(struct ctx *), unsigned iters)
{
	uint64_t *t = malloc(iters * sizeof(*t));

	for (unsigned i = 0; i < iters / 10 + 1; i++) /* warm-up */
		op(c);
	for (unsigned i = 0; i < iters; i++) {
		uint64_t t0 = pvpci_now_ns();

		op(c);
		t[i] = pvpci_now_ns() - t0;
	}
	qsort(t, iters, sizeof(*t), cmp_u64);
	printf("  %-52s %8.1f %8.1f\n", name, t[iters / 2] / 1000.0, t[iters * 99 / 100] / 1000.0);
	free(t);
}

static void setup(struct ctx *c, pthread_t *st_thr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char **ev;

	snprintf(c->dir, sizeof(c->dir), "/tmp/pvpci-bench-store-XXXXXX");
	if (!mkdtemp(c->dir) || pvpci_store_create(NULL, NULL, &c->st)) {
		perror("setup");
		exit(1);
	}
	snprintf(c->sock, sizeof(c->sock), "%s/socket", c->dir);
	snprintf(c->echo_sock, sizeof(c->echo_sock), "%s/echo", c->dir);
	if (pvpci_store_listen(c->st, 0, c->sock) ||
	    pvpci_store_write(c->st, KEY, VALUE, 16)) {
		fprintf(stderr, "store setup failed\n");
		exit(1);
	}
	c->echo_lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->echo_sock);
	if (c->echo_lfd < 0 || bind(c->echo_lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(c->echo_lfd, 1)) {
		perror("echo socket");
		exit(1);
	}
	pthread_create(st_thr, NULL, store_thread, c);
	setenv("XENSTORED_PATH", c->sock, 1);
	c->hr = xs_open(0);
	c->hw = xs_open(0);
	c->hwatch = xs_open(0);
	if (!c->hr || !c->hw || !c->hwatch || !xs_watch(c->hwatch, "/bench/wkey", "b")) {
		perror("xs_open");
		exit(1);
	}
	while (!(ev = xs_check_watch(c->hwatch))) /* the registration event */
		usleep(100);
	free(ev);
}

int main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20000;
	pthread_t st_thr, echo_thr;
	struct ctx c = { 0 };

	if (iters < 100)
		iters = 100;
	setup(&c, &st_thr);
	pthread_create(&echo_thr, NULL, echo_thread, &c);
	c.raw_echo = unix_connect(c.echo_sock);
	c.raw_store = unix_connect(c.sock);
	printf("store latency, %u operations each (server thread in this process), us:\n", iters);
	printf("  %-52s %8s %8s\n", "operation", "median", "p99");
	measure(&c, "baseline: raw UNIX socket request/response (27->32 B)", op_raw_echo, iters);
	measure(&c, "store READ over a raw socket (27->32 B)", op_raw_store, iters);
	measure(&c, "xs_read, 16-byte value (libxenstore)", op_xs_read, iters);
	measure(&c, "xs_write, 16-byte value (libxenstore)", op_xs_write, iters);
	measure(&c, "watch event: xs_write until the watcher has it", op_watch, iters);
	close(c.raw_echo);
	close(c.raw_store);
	xs_close(c.hr);
	xs_close(c.hw);
	xs_close(c.hwatch);
	atomic_store(&c.stop, true);
	pthread_join(st_thr, NULL);
	pthread_join(echo_thr, NULL);
	close(c.echo_lfd);
	pvpci_store_destroy(c.st);
	unlink(c.echo_sock);
	rmdir(c.dir);
	return 0;
}
