/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the PV protocol round trip on the local platform: a guest's conf_read
 * (pvpci_pvfront_conf_read: op into the shared page, event channel) -> the backend
 * (pvpci_backend_run: copy the op out, topology, PV policy, model device) -> the answer
 * back to the guest. A host daemon runs in a process of its own (it is not on the op
 * path); the backend runs in a thread pinned to CPU 0, the guests in threads pinned to
 * CPU 1, each guest a domain of its own with one model device (nic-msix) cold-plugged by
 * the toolstack library. Measured in the same run:
 *   baselines: a shared-word spin ping-pong between CPU 0 and 1 (the floor: one cache
 *     line each way), and a UNIX-socket (SOCK_SEQPACKET) request / response of 548
 *     bytes each way, the server blocking in recv as a daemon would;
 *   back-to-back: one guest, ops one after the other: median (and min) of `runs` batch
 *     means (short batches, so that most are clear of preemption by other processes),
 *     and p50 / p99 of individually timed ops; with 2 guests connected, then with 64
 *     (the backend looks at every guest's channel on each turn);
 *   from idle: one op after 1 ms of quiet (the backend's spin has expired: it sleeps);
 *   throughput with 1, 8 and 64 guests, every guest back-to-back for 0.5 s;
 *   a quiet guest (an op every 100 us) alone, then while another guest floods: p50 / p99.
 * Usage: bench_protocol [runs [batch [guests]]] (default 501 batches of 200 ops, 64
 * guests connected; the throughput rows need as many).
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "pvpci/platform.h"
#include "pvpci/pvback.h"
#include "pvpci/pvfront.h"
#include "pvpci/source.h"
#include "pvpci/toolstack.h"

#include "bench.h"

#ifndef PVPCI_BENCH_DATA
#define PVPCI_BENCH_DATA "tests/data"
#endif
#define MAX_GUESTS 64
#define MAX_RUNS 2001
#define MAX_SAMPLES 200000
#define OP_SIZE 548

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Sorts v. */
static double pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	int i = (int)(p * (n - 1) + 0.5);
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_protocol: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

/* ---- baselines ------------------------------------------------------------------------ */

struct spin_arg {
	_Alignas(64) _Atomic uint64_t ping;
	_Alignas(64) _Atomic uint64_t pong;
	uint64_t total;
};

static void *spin_peer(void *p)
{
	struct spin_arg *s = p;

	bench_pin(0);
	for (uint64_t i = 1; i <= s->total; i++) {
		while (atomic_load_explicit(&s->ping, memory_order_acquire) != i)
			; /* no pause: the tightest loop is the floor */
		atomic_store_explicit(&s->pong, i, memory_order_release);
	}
	return NULL;
}

static double bench_spin(int runs, int batch, double *minv)
{
	static struct spin_arg s;
	double v[MAX_RUNS];
	pthread_t t;
	uint64_t i = 0;

	s.total = (uint64_t)(runs + 1) * (uint64_t)batch;
	atomic_store(&s.ping, 0);
	atomic_store(&s.pong, 0);
	pthread_create(&t, NULL, spin_peer, &s);
	bench_pin(1);
	for (int r = -1; r < runs; r++) {
		uint64_t t0 = pvpci_now_ns();
		for (int k = 0; k < batch; k++) {
			i++;
			atomic_store_explicit(&s.ping, i, memory_order_release);
			while (atomic_load_explicit(&s.pong, memory_order_acquire) != i)
				;
		}
		if (r >= 0)
			v[r] = (double)(pvpci_now_ns() - t0) / batch;
	}
	pthread_join(t, NULL);
	*minv = pct(v, runs, 0);
	return pct(v, runs, 0.5);
}

struct sock_arg {
	int fd;
	long n;
	int cpu;
};

static void *sock_server(void *p)
{
	struct sock_arg *a = p;
	char buf[OP_SIZE];

	bench_pin(a->cpu);
	for (long i = 0; i < a->n; i++)
		if (recv(a->fd, buf, sizeof(buf), 0) != OP_SIZE ||
		    send(a->fd, buf, sizeof(buf), 0) != OP_SIZE)
			break;
	return NULL;
}

/* The server thread on server_cpu, the client on CPU 1. */
static double bench_socket(int runs, int batch, int server_cpu, double *minv)
{
	int sv[2];
	char buf[OP_SIZE] = { 0 };
	double v[MAX_RUNS];
	struct sock_arg a;
	pthread_t t;

	batch = batch / 10 ? batch / 10 : 1; /* each round trip costs microseconds */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		die("socketpair", errno);
	a = (struct sock_arg){ sv[1], (long)(runs + 1) * batch, server_cpu };
	pthread_create(&t, NULL, sock_server, &a);
	bench_pin(1);
	for (int r = -1; r < runs; r++) {
		uint64_t t0 = pvpci_now_ns();
		for (int k = 0; k < batch; k++)
			if (send(sv[0], buf, sizeof(buf), 0) != OP_SIZE ||
			    recv(sv[0], buf, sizeof(buf), 0) != OP_SIZE)
				die("socket round trip", errno);
		if (r >= 0)
			v[r] = (double)(pvpci_now_ns() - t0) / batch;
	}
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	*minv = pct(v, runs, 0);
	return pct(v, runs, 0.5);
}

/* ---- the local platform: host process, backend thread, guests ------------------------- */

struct guest {
	unsigned domid;
	struct pvpci_platform *p;
	struct pvpci_pvfront *f;
	struct pvpci_sbdf dev;
	pthread_t thr;
	uint64_t ops;
	uint64_t cpu_ns; /* the thread's CPU time in the last flood */
};

struct env {
	char dir[64];
	pid_t host;
	int host_stop;
	struct pvpci_platform *dom0;  /* toolstack */
	struct pvpci_platform *bplat; /* the backend's */
	struct pvpci_backend *be;
	struct pvpci_source *src[MAX_GUESTS];
	pthread_t be_thr;
	int be_stop;
	struct guest g[MAX_GUESTS];
	unsigned n;
	char *model;
	size_t model_len;
	_Atomic int go, stop;
};

static int host_start(struct env *e)
{
	int ready[2], stop[2];
	char ok;

	snprintf(e->dir, sizeof(e->dir), "/tmp/pvpci-bench-XXXXXX");
	if (!mkdtemp(e->dir) || pipe(ready) < 0 || pipe(stop) < 0)
		return -errno;
	e->host = fork();
	if (e->host == 0) {
		struct pvpci_host_config cfg = { .run_dir = e->dir, .max_domains = MAX_GUESTS + 1 };
		struct pvpci_host *h;

		close(ready[0]);
		close(stop[1]);
		if (pvpci_host_create(&cfg, &h) < 0)
			_exit(1);
		ok = 1;
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		pvpci_host_run(h, stop[0]);
		pvpci_host_destroy(h);
		_exit(0);
	}
	close(ready[1]);
	close(stop[0]);
	e->host_stop = stop[1];
	struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
	int r = poll(&pfd, 1, 5000) == 1 && read(ready[0], &ok, 1) == 1 ? 0 : -EIO;
	close(ready[0]);
	return r;
}

static int rm_one(const char *p, const struct stat *st, int fl, struct FTW *f)
{
	remove(p);
	return 0;
}

static void host_stop(struct env *e)
{
	close(e->host_stop);
	waitpid(e->host, NULL, 0);
	nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void *backend_main(void *p)
{
	struct env *e = p;
	int r;

	bench_pin(0);
	r = pvpci_backend_run(e->be, e->be_stop);
	if (r)
		fprintf(stderr, "bench_protocol: backend: %s\n", strerror(-r));
	return NULL;
}

static void load_model(struct env *e)
{
	FILE *f = fopen(PVPCI_BENCH_DATA "/nic-msix.model", "r");

	e->model = malloc(1 << 20);
	if (!f || !e->model)
		die(PVPCI_BENCH_DATA "/nic-msix.model", errno);
	e->model_len = fread(e->model, 1, (1 << 20) - 1, f);
	e->model[e->model_len] = 0;
	fclose(f);
}

/* Device i at bus 0x10 + i: the model's title "03:00.0" rewritten. */
static void add_device(struct env *e, unsigned i)
{
	char *t = strdup(e->model), *title = strstr(t, "\n03:00.0 ");
	struct pvpci_parse_err perr = { 0 };
	char bus[3];
	int r;

	if (!title)
		die("model title", EINVAL);
	snprintf(bus, sizeof(bus), "%02x", 0x10 + i);
	memcpy(title + 1, bus, 2);
	r = pvpci_model_open_text(t, e->model_len, 0, NULL, &e->src[i], &perr);
	free(t);
	if (r)
		die(perr.msg, r);
	r = pvpci_backend_add_device(e->be, e->src[i], NULL);
	if (r)
		die("add device", r);
}

static void setup(struct env *e, unsigned n)
{
	struct pvpci_platform_config cfg = { .run_dir = e->dir };
	/* spin 200 us before sleeping: the quiet guest (an op every 100 us) finds the backend
	 * awake whether or not another guest floods; from-idle ops are 1 ms apart */
	struct pvpci_backend_opts bo = { .spin_ns = 200000 };
	struct pvpci_log quiet;
	int r;

	pvpci_log_init(&quiet, NULL, NULL);
	quiet.max_level = PVPCI_LOG_ERR;
	cfg.log = &quiet;
	bo.log = &quiet;
	e->n = n;
	load_model(e);
	if ((r = pvpci_platform_open("local", &cfg, &e->dom0)) ||
	    (r = pvpci_platform_open("local", &cfg, &e->bplat)) ||
	    (r = pvpci_backend_create(e->bplat, &bo, &e->be)))
		die("backend", r);
	for (unsigned i = 0; i < n; i++) {
		struct pvpci_ts_err err = { "" };
		char name[16], spec[16];

		add_device(e, i);
		snprintf(name, sizeof(name), "g%u", i);
		if ((r = pvpci_domain_create(e->dom0, name, &e->g[i].domid)))
			die("domain-create", r);
		snprintf(spec, sizeof(spec), "%02x:00.0", 0x10 + i);
		r = pvpci_ts_attach_str(pvpci_platform_xs(e->dom0), 0, e->g[i].domid, spec, 0, &err);
		if (r)
			die(err.msg, r);
	}
	if ((r = pvpci_backend_start(e->be)))
		die("backend start", r);
	e->be_stop = eventfd(0, EFD_CLOEXEC);
	pthread_create(&e->be_thr, NULL, backend_main, e);
	for (unsigned i = 0; i < n; i++) {
		struct pvpci_platform_config gc = { .run_dir = e->dir, .domid = e->g[i].domid,
						    .log = &quiet };
		struct pvpci_pvfront_opts fo = { .log = &quiet };
		struct pvpci_pvfront_dev d;
		size_t nd = 0;

		if ((r = pvpci_platform_open("local", &gc, &e->g[i].p)) ||
		    (r = pvpci_pvfront_connect(e->g[i].p, e->g[i].domid, &fo, &e->g[i].f)) ||
		    (r = pvpci_pvfront_devices(e->g[i].f, &d, 1, &nd)) || nd != 1)
			die("guest connect", r ? r : ENODEV);
		e->g[i].dev = d.addr;
	}
}

static void teardown(struct env *e)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < e->n; i++) {
		pvpci_pvfront_close(e->g[i].f);
		pvpci_platform_close(e->g[i].p);
	}
	if (write(e->be_stop, &one, sizeof(one)) != sizeof(one))
		perror("bench_protocol: stop");
	pthread_join(e->be_thr, NULL);
	close(e->be_stop);
	pvpci_backend_destroy(e->be);
	for (unsigned i = 0; i < e->n; i++)
		pvpci_source_close(e->src[i]);
	pvpci_platform_close(e->bplat);
	pvpci_platform_close(e->dom0);
	free(e->model);
}

static inline void op(struct guest *g)
{
	uint32_t v;

	if (pvpci_pvfront_conf_read(g->f, g->dev, 0, 4, &v) || v != 0x10fb8086u)
		die("conf_read", EIO);
}

/* ---- measurements --------------------------------------------------------------------- */

static void bench_b2b(struct guest *g, int runs, int batch, double *med, double *minv,
		      double *p50, double *p99)
{
	static double s[MAX_SAMPLES];
	double v[MAX_RUNS];
	int n = runs * batch < MAX_SAMPLES ? runs * batch : MAX_SAMPLES;

	bench_pin(1);
	for (int r = -1; r < runs; r++) {
		uint64_t t0 = pvpci_now_ns();
		for (int k = 0; k < batch; k++)
			op(g);
		if (r >= 0)
			v[r] = (double)(pvpci_now_ns() - t0) / batch;
	}
	*minv = pct(v, runs, 0);
	*med = pct(v, runs, 0.5);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = pvpci_now_ns();
		op(g);
		s[i] = (double)(pvpci_now_ns() - t0);
	}
	*p50 = pct(s, n, 0.5);
	*p99 = pct(s, n, 0.99);
}

/* Ops spaced by gap_ns of sleep: p50 / p90 / p99 of n samples. */
static void paced(struct guest *g, int n, long gap_ns, double *p50, double *p90, double *p99)
{
	static double s[MAX_SAMPLES];

	bench_pin(1);
	for (int i = -10; i < n; i++) {
		bench_pause_ns(gap_ns);
		uint64_t t0 = pvpci_now_ns();
		op(g);
		if (i >= 0)
			s[i] = (double)(pvpci_now_ns() - t0);
	}
	*p50 = pct(s, n, 0.5);
	*p90 = pct(s, n, 0.9);
	*p99 = pct(s, n, 0.99);
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

struct flood_arg {
	struct env *e;
	struct guest *g;
	bool idle;
};

static void *flood_main(void *p)
{
	struct flood_arg *a = p;
	struct sched_param sp = { 0 };

	bench_pin(1);
	if (a->idle) /* gives CPU 1 to the quiet guest the moment it wakes */
		pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	while (!atomic_load(&a->e->go))
		relax();
	uint64_t t0 = thread_cpu_ns();

	while (!atomic_load(&a->e->stop)) {
		op(a->g);
		a->g->ops++;
	}
	a->g->cpu_ns = thread_cpu_ns() - t0;
	return NULL;
}

struct tput {
	double ops_s;     /* ops per second of wall-clock time */
	double guest_cpu; /* share of CPU 1 the guests got (other processes take the rest) */
	double be_cpu;    /* share of CPU 0 the backend used */
};

/* n guests back-to-back for ms. */
static struct tput throughput(struct env *e, unsigned n, int ms)
{
	struct flood_arg a[MAX_GUESTS];
	uint64_t total = 0, gcpu = 0, b0, wall;
	clockid_t bclk;
	struct tput t;

	atomic_store(&e->go, 0);
	atomic_store(&e->stop, 0);
	for (unsigned i = 0; i < n; i++) {
		e->g[i].ops = 0;
		a[i] = (struct flood_arg){ e, &e->g[i], false };
		pthread_create(&e->g[i].thr, NULL, flood_main, &a[i]);
	}
	if (pthread_getcpuclockid(e->be_thr, &bclk))
		bclk = CLOCK_THREAD_CPUTIME_ID;
	b0 = clock_ns(bclk);
	uint64_t t0 = pvpci_now_ns();
	atomic_store(&e->go, 1);
	bench_pause_ns((long)ms * 1000000);
	atomic_store(&e->stop, 1);
	for (unsigned i = 0; i < n; i++) {
		pthread_join(e->g[i].thr, NULL);
		total += e->g[i].ops;
		gcpu += e->g[i].cpu_ns;
	}
	wall = pvpci_now_ns() - t0;
	t.ops_s = (double)total * 1e9 / (double)wall;
	t.guest_cpu = (double)gcpu / (double)wall;
	t.be_cpu = (double)(clock_ns(bclk) - b0) / (double)wall;
	return t;
}

/* r: p50 / p90 / p99 alone, then the same under flood. */
static void quiet_vs_flood(struct env *e, int n, double r[6], double *flood_rate)
{
	struct flood_arg a = { e, &e->g[1], true };
	uint64_t t0;

	paced(&e->g[0], n, 100000, &r[0], &r[1], &r[2]);
	atomic_store(&e->go, 0);
	atomic_store(&e->stop, 0);
	e->g[1].ops = 0;
	pthread_create(&e->g[1].thr, NULL, flood_main, &a);
	atomic_store(&e->go, 1);
	t0 = pvpci_now_ns();
	paced(&e->g[0], n, 100000, &r[3], &r[4], &r[5]);
	atomic_store(&e->stop, 1);
	pthread_join(e->g[1].thr, NULL);
	*flood_rate = (double)e->g[1].ops * 1e9 / (double)(pvpci_now_ns() - t0);
}

struct figures {
	double spin, spin_min, sock, sock_min, sock1, sock1_min;
	double med, minv, p50, p99;         /* back-to-back, 2 guests connected */
	double med64, min64, p50_64, p99_64; /* back-to-back, all guests connected */
	double ip50, ip90, ip99, q[6], frate;
	struct tput tp[3];
};

static const unsigned counts[3] = { 1, 8, 64 };

static void print_figures(const struct figures *f, unsigned guests)
{
	printf("PV protocol round trip: conf_read of a model device, guest threads on CPU 1, "
	       "backend thread on CPU 0\n");
	printf("%-58s %10s %10s\n", "", "median ns", "min ns");
	printf("%-58s %10.0f %10.0f\n", "shared-word spin ping-pong (floor)", f->spin,
	       f->spin_min);
	printf("%-58s %10.0f %10.0f\n", "UNIX socket req/resp, 548 bytes, server on CPU 0",
	       f->sock, f->sock_min);
	printf("%-58s %10.0f %10.0f\n", "UNIX socket req/resp, 548 bytes, both on CPU 1",
	       f->sock1, f->sock1_min);
	printf("%-58s %10.0f %10.0f\n", "conf_read back-to-back, 2 guests (batch means)", f->med,
	       f->minv);
	printf("conf_read back-to-back, %-2u guests connected (batch means)  %10.0f %10.0f\n",
	       guests, f->med64, f->min64);
	printf("%-58s %10s %10s %10s\n", "", "p50 ns", "p90 ns", "p99 ns");
	printf("%-58s %10.0f %10s %10.0f\n", "conf_read back-to-back, 2 guests (each op timed)",
	       f->p50, "", f->p99);
	printf("conf_read back-to-back, %-2u guests connected (each op timed) %9.0f %10s %10.0f\n",
	       guests, f->p50_64, "", f->p99_64);
	printf("%-58s %10.0f %10.0f %10.0f\n", "conf_read from idle (1 ms apart)", f->ip50,
	       f->ip90, f->ip99);
	printf("%-58s %10.0f %10.0f %10.0f\n", "quiet guest (op every 100 us), alone", f->q[0],
	       f->q[1], f->q[2]);
	printf("%-58s %10.0f %10.0f %10.0f\n", "quiet guest, another guest flooding", f->q[3],
	       f->q[4], f->q[5]);
	printf("socket (server CPU 0 / CPU 1) / back-to-back: %.1fx / %.1fx\n", f->sock / f->med,
	       f->sock1 / f->med);
	printf("quiet guest under flood / alone: p90 %.2fx, p99 %.2fx (the flooder did %.0f "
	       "ops/s meanwhile)\n", f->q[4] / f->q[1], f->q[5] / f->q[2], f->frate);
	printf("throughput, every guest back-to-back for 0.5 s (guests share CPU 1; other "
	       "processes take what the guests did not get):\n");
	for (int i = 0; i < 3; i++)
		if (f->tp[i].ops_s > 0)
			printf("  %2u guest%s %10.0f ops/s   guests had %3.0f%% of CPU 1, the "
			       "backend used %3.0f%% of CPU 0\n", counts[i],
			       counts[i] > 1 ? "s" : " ", f->tp[i].ops_s,
			       100 * f->tp[i].guest_cpu, 100 * f->tp[i].be_cpu);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 501, batch = argc > 2 ? atoi(argv[2]) : 200;
	int guests = argc > 3 ? atoi(argv[3]) : MAX_GUESTS;
	static struct env e;
	struct figures f = { 0 };
	int r;

	if (runs < 3 || runs > MAX_RUNS || batch < 10 || guests < 2 || guests > MAX_GUESTS) {
		fprintf(stderr, "usage: bench_protocol [runs (3..%d) [batch (>= 10) [guests "
				"(2..%d)]]]\n", MAX_RUNS, MAX_GUESTS);
		return 2;
	}
	prctl(PR_SET_TIMERSLACK, 1UL);
	f.spin = bench_spin(runs, batch, &f.spin_min);
	f.sock = bench_socket(runs, batch, 0, &f.sock_min);
	f.sock1 = bench_socket(runs, batch, 1, &f.sock1_min);
	/* phase 1: two guests (the measured one and a flooder) */
	if ((r = host_start(&e)))
		die("host", r);
	setup(&e, 2);
	bench_b2b(&e.g[0], runs, batch, &f.med, &f.minv, &f.p50, &f.p99);
	paced(&e.g[0], 2000, 1000000, &f.ip50, &f.ip90, &f.ip99);
	quiet_vs_flood(&e, 5000, f.q, &f.frate);
	teardown(&e);
	host_stop(&e);
	/* phase 2: many guests connected */
	memset(&e, 0, sizeof(e));
	if ((r = host_start(&e)))
		die("host", r);
	setup(&e, (unsigned)guests);
	bench_b2b(&e.g[0], runs, batch, &f.med64, &f.min64, &f.p50_64, &f.p99_64);
	for (int i = 0; i < 3; i++)
		f.tp[i] = counts[i] <= e.n ? throughput(&e, counts[i], 500) : (struct tput){ 0 };
	teardown(&e);
	host_stop(&e);
	print_figures(&f, (unsigned)guests);
	return 0;
}
