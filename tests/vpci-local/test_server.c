/* SPDX-License-Identifier: MIT */
/*
 * The local platform's vPCI transport across processes: a host daemon, the vPCI ioreq
 * server in a process of its own (model devices acquired from a table; it also raises
 * model interrupts on request through a pipe), guests in other processes, and the test
 * as the toolstack (pvpci_ts_vpci_*, with the host device list published as pvpci backend
 * does). A guest lists what it was given (multi-function devices keep one slot) and sizes
 * a BAR through its ioreqs; a hostile guest gets garbage answered and cannot stop the
 * server; MSI reaches the guest through a PIRQ; detach takes a device away under a
 * connected guest; a refusal rolls the attach back; a guest killed mid-session leaves
 * nothing behind for the next; without a server every wait ends in time.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <xenstore.h>

#include <cmocka.h>

#include "harness.h"
#include "pvpci/toolstack.h"
#include "pvpci/vpci.h"

#define T_MS 5000 /* every wait of a test: a bound, not an expectation */

struct model {
	const char *bdf, *file;
	size_t index;
};
static const struct model models[] = {
	{ "0000:03:00.0", "nic-msix.model", 0 },
	{ "0000:01:00.0", "multifunc.model", 0 },
	{ "0000:01:00.1", "multifunc.model", 1 },
	{ "0000:09:00.0", NULL, 0 }, /* published, but the server has no such device */
};

struct fx {
	struct tc_host h;
	struct pvpci_platform *d0;
	struct xs_handle *xs;
	unsigned g1, g2;
	pid_t srv;
	int cmd_wr, ans_rd; /* requests to the server process / its answers */
};
static struct fx F;

/* ---- The server process ---- */

struct srv_args {
	uint64_t spin_ns;
	int cmd_rd, ans_wr;
	int cmd_wr, ans_rd; /* the test's ends: closed here, so its close is our EOF */
};

static int acquire(void *opaque, struct pvpci_sbdf host, struct pvpci_source **src,
		   char *why, size_t wlen)
{
	char path[512];

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(models); i++) {
		struct pvpci_sbdf a;

		if (pvpci_sbdf_parse(models[i].bdf, &a, NULL) || !pvpci_sbdf_eq(a, host))
			continue;
		if (!models[i].file)
			break;
		snprintf(path, sizeof(path), "%s/%s", getenv("PVPCI_TEST_DATA"), models[i].file);
		return pvpci_model_open(path, models[i].index, NULL, src, NULL);
	}
	snprintf(why, wlen, "no such device here");
	return -ENODEV;
}

static void release(void *opaque, struct pvpci_sbdf host, struct pvpci_source *src)
{
	pvpci_source_close(src);
}

/* Requests on the pipe: kind << 16 | vector, answered with the raise's result. */
static int server_main(void *arg)
{
	struct srv_args *a = arg;
	struct pvpci_vpci_server_opts o = { .acquire = acquire, .release = release,
					    .spin_ns = a->spin_ns };
	struct pvpci_platform *p = th_open(&F.h, 0, true);
	struct pvpci_vpci_server *s;
	struct pvpci_log lg;
	struct pvpci_sbdf nic = { 0, 3, 0, 0 };

	close(a->cmd_wr);
	close(a->ans_rd);
	pvpci_log_init(&lg, NULL, NULL);
	lg.max_level = PVPCI_LOG_ERR;
	o.log = &lg;
	TC_CHECK(p);
	TC_CHECK_EQ(pvpci_vpci_server_create(p, &o, &s), 0);
	TC_CHECK_EQ(pvpci_vpci_server_start(s), 0);
	for (;;) {
		struct pollfd fds[PVPCI_VPCI_SERVER_NFDS + 1];
		int timeout = -1, n = pvpci_vpci_server_poll_prepare(s, fds, 2, &timeout);
		uint32_t req;

		fds[n++] = (struct pollfd){ .fd = a->cmd_rd, .events = POLLIN };
		TC_CHECK(poll(fds, (nfds_t)n, timeout) >= 0 || errno == EINTR);
		TC_CHECK_EQ(pvpci_vpci_server_process(s), 0);
		if (!fds[n - 1].revents)
			continue;
		if (tc_recv(a->cmd_rd, &req, 0) < 0)
			break; /* the test closed the pipe: stop */
		int r = pvpci_vpci_server_raise_irq(s, nic, (enum pvpci_irq_kind)(req >> 16),
						    req & 0xffff);
		TC_CHECK_EQ(tc_send(a->ans_wr, (uint32_t)r), 0);
	}
	pvpci_vpci_server_destroy(s);
	pvpci_platform_close(p);
	return 0;
}

static void server_start_spin(uint64_t spin_ns)
{
	int cmd[2], ans[2];
	struct srv_args a;

	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(ans), 0);
	a = (struct srv_args){ spin_ns, cmd[0], ans[1], cmd[1], ans[0] };
	F.srv = tc_spawn(server_main, &a);
	close(cmd[0]);
	close(ans[1]);
	F.cmd_wr = cmd[1];
	F.ans_rd = ans[0];
}

static void server_start(void)
{
	server_start_spin(0);
}

static int server_stop(void)
{
	int r = 0;

	if (F.srv > 0) {
		close(F.cmd_wr);
		r = tc_join(F.srv, T_MS);
		close(F.ans_rd);
	}
	F.srv = 0;
	return r;
}

/* ---- Fixture ---- */

static int setup_common(bool with_server, uint64_t spin_ns)
{
	memset(&F, 0, sizeof(F));
	if (tc_host_start(&F.h, NULL) < 0)
		return -1;
	F.d0 = th_open(&F.h, 0, true);
	if (!F.d0 || pvpci_domain_create(F.d0, "g1", &F.g1) < 0 ||
	    pvpci_domain_create(F.d0, "g2", &F.g2) < 0)
		return -1;
	F.xs = pvpci_platform_xs(F.d0);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(models); i++) {
		struct pvpci_sbdf a;

		if (pvpci_sbdf_parse(models[i].bdf, &a, NULL) ||
		    pvpci_ts_host_publish(F.xs, 0, a, models[i].file ? models[i].file : "none"))
			return -1;
	}
	if (with_server)
		server_start_spin(spin_ns);
	return 0;
}

static int setup(void **state) { return setup_common(true, 0); }
/* the server spins on the slots: requests are served before their events */
static int setup_spin(void **state) { return setup_common(true, 20000); }
static int setup_no_server(void **state) { return setup_common(false, 0); }

static int teardown(void **state)
{
	int rs = server_stop();

	pvpci_platform_close(F.d0);
	int rh = tc_host_stop(&F.h);
	return rs == 0 && rh == 0 ? 0 : -1;
}

static int attach(unsigned domid, const char *spec, int timeout_ms, struct pvpci_ts_err *err)
{
	struct pvpci_pci_spec sp;

	if (pvpci_pci_spec_parse(spec, &sp, NULL))
		return -EINVAL;
	return pvpci_ts_vpci_attach(F.xs, 0, domid, &sp, timeout_ms, err);
}

static void attach_ok(unsigned domid, const char *spec)
{
	struct pvpci_ts_err err = { "" };

	assert_int_equal(attach(domid, spec, T_MS, &err), 0);
	assert_string_equal(err.msg, "");
}

/* ---- Guest processes ---- */

struct guest_args {
	unsigned domid;
	int in, out; /* from / to the test */
	int (*body)(struct pvpci_platform *p, struct pvpci_vpci_guest *g, struct guest_args *a);
};

static int guest_main(void *arg)
{
	struct guest_args *a = arg;
	struct pvpci_platform *p = th_open(&F.h, a->domid, true);
	struct pvpci_vpci_guest *g = NULL;
	struct pvpci_log lg;
	int r;

	pvpci_log_init(&lg, NULL, NULL);
	lg.max_level = PVPCI_LOG_ERR - 1; /* quiet: failures are checked */
	TC_CHECK(p);
	TC_CHECK_EQ(pvpci_vpci_guest_connect(p, T_MS, &lg, &g), 0);
	r = a->body(p, g, a);
	pvpci_vpci_guest_close(g);
	pvpci_platform_close(p);
	return r;
}

/* Runs body as domid in a child; in / out: pipes the body talks through. */
static pid_t guest_spawn(unsigned domid, int (*body)(struct pvpci_platform *,
						     struct pvpci_vpci_guest *,
						     struct guest_args *),
			 int *to_guest, int *from_guest)
{
	int a2g[2], g2a[2];
	struct guest_args a;
	pid_t pid;

	assert_int_equal(pipe(a2g), 0);
	assert_int_equal(pipe(g2a), 0);
	a = (struct guest_args){ domid, a2g[0], g2a[1], body };
	pid = tc_spawn(guest_main, &a);
	close(a2g[0]);
	close(g2a[1]);
	*to_guest = a2g[1];
	*from_guest = g2a[0];
	return pid;
}

static int run_guest(unsigned domid, int (*body)(struct pvpci_platform *,
						 struct pvpci_vpci_guest *, struct guest_args *))
{
	int to, from;
	pid_t pid = guest_spawn(domid, body, &to, &from);
	int r = tc_join(pid, 3 * T_MS);

	close(to);
	close(from);
	return r;
}

static uint32_t cfg(struct pvpci_vpci_guest *g, unsigned dev, unsigned fn, unsigned reg,
		    unsigned size)
{
	uint32_t v = 0;

	TC_CHECK_EQ(pvpci_vpci_guest_cfg_read(g, (struct pvpci_sbdf){ 0, 0, (uint8_t)dev,
								  (uint8_t)fn }, reg, size, &v), 0);
	return v;
}

static void cfg_w(struct pvpci_vpci_guest *g, unsigned dev, unsigned reg, unsigned size,
		  uint32_t v)
{
	TC_CHECK_EQ(pvpci_vpci_guest_cfg_write(g, (struct pvpci_sbdf){ 0, 0, (uint8_t)dev, 0 }, reg,
					    size, v), 0);
}

/* ---- Listing and sizing ---- */

static int body_list(struct pvpci_platform *p, struct pvpci_vpci_guest *g,
		     struct guest_args *a)
{
	unsigned found = 0;

	for (unsigned dev = 0; dev < PVPCI_VPCI_SLOTS; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t id = cfg(g, dev, fn, PCI_REG_VENDOR_ID, 4);

			if ((id & 0xffff) == 0xffff)
				continue;
			found++;
			if (dev == 0 && fn == 0)
				TC_CHECK_EQ(id, 0x10fb8086);
			else if (dev == 1 && fn == 0)
				TC_CHECK_EQ(id, 0x128b10de);
			else if (dev == 1 && fn == 1)
				TC_CHECK_EQ(id, 0x0e0f10de);
			else
				TC_CHECK(!"a device where none was given");
		}
	TC_CHECK_EQ(found, 3);
	/* the multi-function device says so in its slot */
	TC_CHECK(cfg(g, 1, 0, PCI_REG_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTIFUNC);
	/* BAR0 of the NIC (64-bit prefetchable, 512K) sized the way a kernel does */
	uint32_t orig = cfg(g, 0, 0, PCI_REG_BAR0, 4);
	cfg_w(g, 0, PCI_REG_BAR0, 4, 0xffffffffu);
	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_BAR0, 4), 0xfff8000c);
	cfg_w(g, 0, PCI_REG_BAR0 + 4, 4, 0xffffffffu);
	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_BAR0 + 4, 4), 0xffffffffu);
	cfg_w(g, 0, PCI_REG_BAR0, 4, orig);
	cfg_w(g, 0, PCI_REG_BAR0 + 4, 4, 0);
	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_BAR0, 4), orig);
	/* the same device through the ECAM window (MMIO request) */
	uint64_t v = 0;
	TC_CHECK_EQ(pvpci_vpci_guest_ioreq(g, PVPCI_IOREQ_TYPE_COPY, true,
					PVPCI_VPCI_ECAM_BASE + (1u << 15) + (1u << 12), 4, &v), 0);
	TC_CHECK_EQ(v, 0x0e0f10de);
	return 0;
}

static void test_guest_lists_its_devices(void **state)
{
	struct pvpci_ts_vpci_entry *e = NULL;
	char a[PVPCI_SBDF_STRLEN];
	size_t n = 0;

	attach_ok(F.g1, "03:00.0");
	attach_ok(F.g1, "01:00.*");
	assert_int_equal(pvpci_ts_vpci_list(F.xs, 0, F.g1, &e, &n, NULL), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].state, PVPCI_VPCI_DEV_ASSIGNED);
		assert_true(e[i].has_vdev);
	}
	assert_string_equal(pvpci_sbdf_str(e[0].vdev, a), "0000:00:00.0");
	assert_string_equal(pvpci_sbdf_str(e[1].vdev, a), "0000:00:01.0");
	assert_string_equal(pvpci_sbdf_str(e[2].vdev, a), "0000:00:01.1");
	free(e);
	assert_int_equal(run_guest(F.g1, body_list), 0);
	/* a second session finds the same devices (and the BAR as it was left) */
	assert_int_equal(run_guest(F.g1, body_list), 0);
}

/* ---- A hostile guest on the real transport ---- */

/* Put a raw request, notify, wait for the answer (bounded); returns the data. */
static uint64_t raw(struct pvpci_platform *p, struct pvpci_vpci_guest *g, uint8_t type,
		    uint64_t addr, uint32_t size, uint32_t count, uint8_t extra, bool read)
{
	volatile struct pvpci_ioreq *r = pvpci_vpci_guest_slot(g);
	uint64_t deadline = pvpci_now_ns() + (uint64_t)T_MS * 1000000u, d;

	r->addr = addr;
	r->data = 0x5a5a5a5a5a5a5a5aull;
	r->count = count;
	r->size = size;
	r->type = type;
	__atomic_store_n(&r->flags, (uint8_t)((read ? PVPCI_IOREQ_DIR_READ : 0) | extra |
					      PVPCI_IOREQ_STATE_READY), __ATOMIC_RELEASE);
	TC_CHECK_EQ(pvpci_vpci_guest_notify(g), 0);
	while ((__atomic_load_n(&r->flags, __ATOMIC_ACQUIRE) & PVPCI_IOREQ_STATE_MASK) !=
	       PVPCI_IORESP_STATE_READY) {
		TC_CHECK(pvpci_now_ns() < deadline);
		int port = pvpci_evtchn_wait(p, 50);
		if (port > 0)
			TC_CHECK_EQ(pvpci_evtchn_eoi(p, (unsigned)port, false), 0);
	}
	d = r->data;
	__atomic_store_n(&r->flags, (uint8_t)PVPCI_IOREQ_STATE_NONE, __ATOMIC_RELEASE);
	return d;
}

static int body_hostile(struct pvpci_platform *p, struct pvpci_vpci_guest *g,
			struct guest_args *a)
{
	const uint64_t nic = 0; /* guest 00:00.0, PCI_CONFIG address of register 0 */
	volatile struct pvpci_ioreq *r = pvpci_vpci_guest_slot(g);

	TC_CHECK_EQ(raw(p, g, PVPCI_IOREQ_TYPE_PCI_CONFIG, nic, 3, 1, 0, true), 0xffffff);
	TC_CHECK_EQ(raw(p, g, PVPCI_IOREQ_TYPE_PCI_CONFIG, nic, 4, 1, PVPCI_IOREQ_DATA_IS_PTR, true),
		 0xffffffffu);
	TC_CHECK_EQ(raw(p, g, PVPCI_IOREQ_TYPE_PCI_CONFIG, nic, 4, 2, 0, true), 0xffffffffu);
	TC_CHECK_EQ(raw(p, g, 0x7f, nic, 4, 1, 0, true), 0xffffffffu);
	TC_CHECK_EQ(raw(p, g, PVPCI_IOREQ_TYPE_PIO, 0xcfc, 4, 1, 0, true), 0xffffffffu);
	TC_CHECK_EQ(raw(p, g, PVPCI_IOREQ_TYPE_PCI_CONFIG, nic | 0x1000, 4, 1, 0, true),
		 0xffffffffu);
	TC_CHECK_EQ(raw(p, g, PVPCI_IOREQ_TYPE_COPY, 0xfee00000, 4, 1, 0, true), 0xffffffffu);
	/* a write with a pointer and a count: dropped, COMMAND unchanged */
	raw(p, g, PVPCI_IOREQ_TYPE_PCI_CONFIG, nic | PCI_REG_COMMAND, 2, 64,
	    PVPCI_IOREQ_DATA_IS_PTR, false);
	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_COMMAND, 2) & PCI_CMD_MEMORY, 0);
	/* events without a request, and a slot in a state that is not READY: nothing is
	 * answered, the server goes on */
	for (int i = 0; i < 100; i++)
		TC_CHECK_EQ(pvpci_vpci_guest_notify(g), 0);
	__atomic_store_n(&r->flags, (uint8_t)0xf, __ATOMIC_RELEASE);
	TC_CHECK_EQ(pvpci_vpci_guest_notify(g), 0);
	struct timespec ts = { 0, 50 * 1000000 };
	nanosleep(&ts, NULL);
	TC_CHECK_EQ(__atomic_load_n(&r->flags, __ATOMIC_ACQUIRE), 0xf);
	__atomic_store_n(&r->flags, (uint8_t)PVPCI_IOREQ_STATE_NONE, __ATOMIC_RELEASE);
	/* and a proper request is still served */
	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_VENDOR_ID, 4), 0x10fb8086);
	return 0;
}

static void test_hostile_guest_answered_and_contained(void **state)
{
	attach_ok(F.g1, "03:00.0");
	assert_int_equal(run_guest(F.g1, body_hostile), 0);
	/* the server still serves a well-behaved session afterwards */
	attach_ok(F.g1, "01:00.*");
	assert_int_equal(run_guest(F.g1, body_list), 0);
}

/* ---- MSI through a PIRQ ---- */

static int body_msi(struct pvpci_platform *p, struct pvpci_vpci_guest *g, struct guest_args *a)
{
	char path[160], *v;
	unsigned len = 0;
	uint32_t go;
	int port;

	/* MSI (64-bit, maskable) at 0x50: address, data, unmasked, enable */
	cfg_w(g, 0, 0x54, 4, 0xfee00000u);
	cfg_w(g, 0, 0x58, 4, 0);
	cfg_w(g, 0, 0x5c, 2, 0x4021);
	cfg_w(g, 0, 0x60, 4, 0);
	cfg_w(g, 0, 0x52, 2, cfg(g, 0, 0, 0x52, 2) | 1);
	TC_CHECK(cfg(g, 0, 0, 0x52, 2) & 1);
	/* the PIRQ the server bound for vector 0 */
	snprintf(path, sizeof(path), PVPCI_VPCI_BE_FMT "/pirq/0000-00-00-0-msi-0",
		 pvpci_vpci_guest_backend(g), a->domid);
	v = xs_read(pvpci_platform_xs(p), XBT_NULL, path, &len);
	TC_CHECK(v);
	port = pvpci_pirq_bind(p, (unsigned)atoi(v));
	free(v);
	TC_CHECK(port > 0);
	TC_CHECK_EQ(tc_send(a->out, 1), 0);
	TC_CHECK_EQ(tc_recv(a->in, &go, T_MS), 0);
	TC_CHECK_EQ(pvpci_evtchn_wait(p, T_MS), port);
	TC_CHECK_EQ(pvpci_evtchn_eoi(p, (unsigned)port, false), 0);
	TC_CHECK_EQ(tc_send(a->out, 2), 0);
	return 0;
}

static int raise_msi(unsigned vector)
{
	uint32_t r;

	assert_int_equal(tc_send(F.cmd_wr, (uint32_t)PVPCI_IRQ_MSI << 16 | vector), 0);
	assert_int_equal(tc_recv(F.ans_rd, &r, T_MS), 0);
	return (int)r;
}

static void test_msi_reaches_guest_through_pirq(void **state)
{
	uint32_t v;
	int to, from;
	pid_t pid;

	attach_ok(F.g1, "03:00.0");
	/* not enabled yet: the device does not send it */
	assert_int_equal(raise_msi(0), 0);
	pid = guest_spawn(F.g1, body_msi, &to, &from);
	assert_int_equal(tc_recv(from, &v, 3 * T_MS), 0);
	assert_int_equal(v, 1);
	assert_int_equal(raise_msi(0), 1);
	assert_int_equal(tc_send(to, 1), 0);
	assert_int_equal(tc_recv(from, &v, T_MS), 0);
	assert_int_equal(v, 2);
	assert_int_equal(tc_join(pid, T_MS), 0);
	close(to);
	close(from);
}

/* ---- Detach under a connected guest; refusal; dead guests; no server ---- */

static int body_detached(struct pvpci_platform *p, struct pvpci_vpci_guest *g,
			 struct guest_args *a)
{
	uint32_t go;

	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_VENDOR_ID, 4), 0x10fb8086);
	TC_CHECK_EQ(tc_send(a->out, 1), 0);
	TC_CHECK_EQ(tc_recv(a->in, &go, T_MS), 0);
	/* gone from under the guest; the other device stays */
	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_VENDOR_ID, 4), 0xffffffffu);
	TC_CHECK_EQ(cfg(g, 1, 1, PCI_REG_VENDOR_ID, 4), 0x0e0f10de);
	return 0;
}

static void test_detach_under_connected_guest(void **state)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_ts_vpci_entry *e = NULL;
	struct pvpci_sbdf nic = { 0, 3, 0, 0 };
	size_t n = 0;
	uint32_t v;
	int to, from;

	attach_ok(F.g1, "03:00.0");
	attach_ok(F.g1, "01:00.*");
	pid_t pid = guest_spawn(F.g1, body_detached, &to, &from);
	assert_int_equal(tc_recv(from, &v, 3 * T_MS), 0);
	assert_int_equal(pvpci_ts_vpci_detach(F.xs, 0, F.g1, nic, T_MS, &err), 0);
	assert_string_equal(err.msg, ""); /* released by the server, not forced */
	assert_int_equal(tc_send(to, 1), 0);
	assert_int_equal(tc_join(pid, T_MS), 0);
	close(to);
	close(from);
	/* renumbered: the multi-function device's two entries are 0 and 1 now */
	assert_int_equal(pvpci_ts_vpci_list(F.xs, 0, F.g1, &e, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].bdf.bus, 1);
	free(e);
	/* the device is free: another guest gets it */
	attach_ok(F.g2, "03:00.0");
	assert_int_equal(pvpci_ts_vpci_detach(F.xs, 0, F.g2, nic, T_MS, &err), 0);
	assert_string_equal(err.msg, "");
}

static void test_refused_attach_rolled_back(void **state)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_ts_vpci_entry *e = NULL;
	size_t n = 9;

	attach_ok(F.g1, "03:00.0");
	assert_int_equal(attach(F.g1, "09:00.0", T_MS, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "no such device here"));
	assert_int_equal(pvpci_ts_vpci_list(F.xs, 0, F.g1, &e, &n, NULL), 0);
	assert_int_equal(n, 1);
	free(e);
	/* taken by one guest: refused for the other by the toolstack itself */
	assert_int_equal(attach(F.g2, "03:00.0", T_MS, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "another guest"));
	/* and for the PV path too */
	assert_int_equal(pvpci_ts_attach_str(F.xs, 0, F.g2, "03:00.0", T_MS, &err), -EBUSY);
}

static int body_hang(struct pvpci_platform *p, struct pvpci_vpci_guest *g,
		     struct guest_args *a)
{
	uint32_t go;

	TC_CHECK_EQ(cfg(g, 0, 0, PCI_REG_VENDOR_ID, 4), 0x10fb8086);
	TC_CHECK_EQ(tc_send(a->out, 1), 0);
	(void)tc_recv(a->in, &go, 3 * T_MS); /* killed before this ends */
	return 1;
}

static void test_killed_guest_then_new_session(void **state)
{
	uint32_t v;
	int to, from;

	attach_ok(F.g1, "03:00.0");
	attach_ok(F.g1, "01:00.*");
	pid_t pid = guest_spawn(F.g1, body_hang, &to, &from);
	assert_int_equal(tc_recv(from, &v, 3 * T_MS), 0);
	kill(pid, SIGKILL);
	assert_int_equal(tc_join(pid, T_MS), -1);
	close(to);
	close(from);
	assert_int_equal(run_guest(F.g1, body_list), 0);
}

static void test_no_server_waits_end(void **state)
{
	struct pvpci_ts_err err = { "" };
	struct pvpci_platform *p;
	struct pvpci_vpci_guest *g = NULL;
	uint64_t t0 = pvpci_now_ns();

	/* attach records the entry and warns that nobody took it */
	assert_int_equal(attach(F.g1, "03:00.0", 300, &err), 0);
	assert_non_null(strstr(err.msg, "has not taken it"));
	p = th_open(&F.h, F.g1, true);
	assert_non_null(p);
	assert_int_equal(pvpci_vpci_guest_connect(p, 300, NULL, &g), -ETIMEDOUT);
	assert_null(g);
	pvpci_platform_close(p);
	assert_true(pvpci_now_ns() - t0 < 3000000000ull);
	/* a guest with no vPCI device at all */
	p = th_open(&F.h, F.g2, true);
	assert_non_null(p);
	assert_int_equal(pvpci_vpci_guest_connect(p, 300, NULL, &g), -ENOENT);
	pvpci_platform_close(p);
	/* the server, started late, takes the waiting entry; a guest then connects */
	server_start();
	struct pvpci_ts_vpci_entry *e = NULL;
	size_t n = 0;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(pvpci_ts_vpci_list(F.xs, 0, F.g1, &e, &n, NULL), 0);
		int st = n ? e[0].state : -1;
		free(e);
		if (st == PVPCI_VPCI_DEV_ASSIGNED)
			break;
		poll(NULL, 0, 10);
	}
	assert_int_equal(run_guest(F.g1, body_hostile), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest_lists_its_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_guest_answered_and_contained, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_guest_answered_and_contained,
						setup_spin, teardown),
		cmocka_unit_test_setup_teardown(test_msi_reaches_guest_through_pirq, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_under_connected_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_attach_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_guest_then_new_session, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_server_waits_end, setup_no_server,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
