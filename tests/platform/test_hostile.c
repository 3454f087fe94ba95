/* SPDX-License-Identifier: MIT */
/*
 * The local platform against a hostile guest that speaks the host daemon's protocol
 * itself (white box: it uses the module's private wire header): garbage requests and
 * bad hellos get it disconnected while the daemon keeps serving others; a grant of an
 * fd that is not a sealed page memfd is refused; pending bits it sets in the event
 * region it shares with a backend are delivered only for ports bound through that
 * region (the rest are counted as bogus), and its wake-up pipe can only cause
 * spurious wake-ups, which are counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "harness.h"
#include "local.h"

static int setup(void **state)
{
	return th_fx_start(state, NULL, false, 1);
}

static int raw_connect(struct th_fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	assert_int_equal(lp_sock_path(sa.sun_path, sizeof(sa.sun_path), f->h.dir, f->g1, false),
			 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

/* One request; the answer's header, body and fds. -ECONNRESET if the daemon hung up. */
static int raw_call(int s, struct lp_req *req, int send_fd, struct lp_rsp *rsp, void *body,
		    size_t body_len, int *fds, unsigned *nfds)
{
	char buf[LP_MSG_MAX];
	size_t len = sizeof(buf);
	int r = lp_send(s, req, sizeof(*req), &send_fd, send_fd >= 0, 0);

	if (r < 0)
		return r;
	r = lp_recv(s, buf, &len, fds, nfds, 0);
	if (r < 0)
		return r;
	assert_true(len >= sizeof(*rsp));
	memcpy(rsp, buf, sizeof(*rsp));
	if (body)
		memcpy(body, buf + sizeof(*rsp), len - sizeof(*rsp) < body_len
						 ? len - sizeof(*rsp) : body_len);
	return rsp->err;
}

static int raw_hello(int s)
{
	struct lp_req req = { .op = LP_HELLO, .u = { LP_WIRE_VERSION } };
	struct lp_rsp rsp;
	int fds[3];
	unsigned n = 3;
	int r = raw_call(s, &req, -1, &rsp, NULL, 0, fds, &n);

	if (r == 0)
		lp_close_fds(fds, n);
	return r;
}

static void test_garbage_gets_the_client_dropped(void **state)
{
	struct th_fx *f = *state;
	struct lp_rsp rsp;
	char junk[7] = "garbage";

	int s = raw_connect(f);
	assert_int_equal(send(s, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(recv(s, &rsp, sizeof(rsp), 0), 0); /* hung up */
	close(s);

	s = raw_connect(f); /* a request before the hello */
	struct lp_req req = { .op = LP_EVT_ALLOC };
	assert_int_equal(raw_call(s, &req, -1, &rsp, NULL, 0, NULL, NULL), -ECONNRESET);
	close(s);

	s = raw_connect(f); /* a hello of another version */
	req = (struct lp_req){ .op = LP_HELLO, .u = { 99 } };
	assert_int_equal(raw_call(s, &req, -1, &rsp, NULL, 0, NULL, NULL), -ECONNRESET);
	close(s);

	s = raw_connect(f); /* an unknown op after a good hello */
	assert_int_equal(raw_hello(s), 0);
	req = (struct lp_req){ .op = 200 };
	assert_int_equal(raw_call(s, &req, -1, &rsp, NULL, 0, NULL, NULL), -ECONNRESET);
	close(s);

	/* the daemon still serves everyone */
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	assert_non_null(g);
	assert_true(pvpci_evtchn_alloc_unbound(g, 0) > 0);
	pvpci_platform_close(g);
	assert_true(pvpci_evtchn_alloc_unbound(f->d0, f->g1) > 0);
}

static void test_grant_of_a_non_page_fd_refused(void **state)
{
	struct th_fx *f = *state;
	struct lp_rsp rsp;
	int s = raw_connect(f), p[2];

	assert_int_equal(raw_hello(s), 0);
	assert_int_equal(pipe(p), 0);
	struct lp_req req = { .op = LP_GNT_SHARE, .u = { 0, 0 } };
	assert_int_equal(raw_call(s, &req, p[0], &rsp, NULL, 0, NULL, NULL), -EINVAL);
	/* a memfd that is not sealed: the guest could shrink it under the mapper */
	int m = memfd_create("unsealed", MFD_CLOEXEC);
	assert_int_equal(ftruncate(m, 4096), 0);
	assert_int_equal(raw_call(s, &req, m, &rsp, NULL, 0, NULL, NULL), -EINVAL);
	/* a share without its fd breaks the protocol */
	assert_int_equal(raw_call(s, &req, -1, &rsp, NULL, 0, NULL, NULL), -ECONNRESET);
	close(m);
	close(p[0]);
	close(p[1]);
	close(s);
}

static void test_bits_set_by_a_hostile_peer(void **state)
{
	struct th_fx *f = *state;
	struct lp_rsp rsp;
	struct lp_sync_port e[LP_SYNC_MAX];
	int fds[LP_MAX_FDS];
	unsigned nfds = LP_MAX_FDS;
	int s = raw_connect(f);

	assert_int_equal(raw_hello(s), 0);
	struct lp_req req = { .op = LP_EVT_ALLOC, .u = { 0 } };
	assert_int_equal(raw_call(s, &req, -1, &rsp, NULL, 0, NULL, NULL), 0);
	unsigned gport = rsp.u[0];
	int bport = pvpci_evtchn_bind_interdomain(f->d0, f->g1, gport);
	assert_true(bport > 0);
	int other = pvpci_evtchn_alloc_unbound(f->d0, f->g1); /* not bound to the guest */
	assert_true(other > 0);
	req = (struct lp_req){ .op = LP_SYNC };
	assert_int_equal(raw_call(s, &req, -1, &rsp, e, sizeof(e), fds, &nfds), 0);
	assert_int_equal(rsp.u[0], 1);
	assert_int_equal(e[0].port, gport);
	assert_true(e[0].has_fds && nfds == LP_SYNC_FDS);
	struct evr *r = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	assert_true(r != MAP_FAILED);
	struct evr_side *peer = &r->side[e[0].side ^ 1];
	struct evr_bell *bell = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[4], 0);
	assert_true(bell != MAP_FAILED);
	_Atomic uint64_t *bw = &bell->word[e[0].peer_slot / 64];
	uint64_t bb = 1ull << (e[0].peer_slot % 64);

	/* bits for a port not bound through this region, for port 0, and a garbage summary */
	atomic_fetch_or(&peer->pending[0], (1ull << other) | 1ull);
	atomic_fetch_or(&peer->pending[63], 1ull << 63);
	atomic_store(&peer->summary, ~0ull);
	assert_int_equal(pvpci_evtchn_pending(f->d0), -EAGAIN);
	struct pvpci_evtchn_stats st;
	pvpci_evtchn_get_stats(f->d0, &st);
	assert_int_equal(st.bogus, 3);
	assert_int_equal(st.delivered, 0);

	/* its wake-up pipe wakes the backend for nothing: counted, no event */
	assert_int_equal(pvpci_evtchn_prepare_wait(f->d0), 0);
	assert_int_equal(write(fds[2], "x", 1), 1);
	assert_int_equal(pvpci_evtchn_wait(f->d0, 50), -ETIMEDOUT);
	pvpci_evtchn_get_stats(f->d0, &st);
	assert_true(st.wakeups_spurious >= 1);

	/* a real notify through the region still works */
	assert_true(evr_raise(peer, (unsigned)bport, bw, bb, fds[2]) > 0);
	assert_int_equal(pvpci_evtchn_pending(f->d0), bport);
	assert_int_equal(pvpci_evtchn_eoi(f->d0, (unsigned)bport, false), 0);

	/* the doorbell: bits of slots no region of the backend uses are bogus, and setting
	 * every bit costs the backend one look per slot in use, not more */
	pvpci_evtchn_get_stats(f->d0, &st);
	uint64_t bogus = st.bogus;
	for (unsigned w = 0; w < EVR_WORDS; w++)
		atomic_store(&bell->word[w], ~0ull);
	assert_int_equal(pvpci_evtchn_pending(f->d0), -EAGAIN);
	pvpci_evtchn_get_stats(f->d0, &st);
	assert_true(st.bogus > bogus && st.bogus - bogus <= 64);
	assert_int_equal(st.delivered, 1);
	munmap(bell, EVR_SIZE);
	munmap(r, EVR_SIZE);
	lp_close_fds(fds, nfds);
	close(s);
}

/* The doorbell is a hint shared by all of a receiver's peers: a peer that raises its
 * event without ringing it (or clears the bell after another peer rang it) delays the
 * event by a bounded number of pending() calls; it is never lost, and a wake-up or an
 * arming sees it at once. */
static void test_doorbell_cleared_by_a_peer(void **state)
{
	struct th_fx *f = *state;
	struct lp_rsp rsp;
	struct lp_sync_port e[LP_SYNC_MAX];
	int fds[LP_MAX_FDS];
	unsigned nfds = LP_MAX_FDS;
	int s = raw_connect(f);

	assert_int_equal(raw_hello(s), 0);
	struct lp_req req = { .op = LP_EVT_ALLOC, .u = { 0 } };
	assert_int_equal(raw_call(s, &req, -1, &rsp, NULL, 0, NULL, NULL), 0);
	int bport = pvpci_evtchn_bind_interdomain(f->d0, f->g1, rsp.u[0]);
	assert_true(bport > 0);
	req = (struct lp_req){ .op = LP_SYNC };
	assert_int_equal(raw_call(s, &req, -1, &rsp, e, sizeof(e), fds, &nfds), 0);
	assert_true(rsp.u[0] == 1 && e[0].has_fds && nfds == LP_SYNC_FDS);
	struct evr *r = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	assert_true(r != MAP_FAILED);
	struct evr_side *peer = &r->side[e[0].side ^ 1];
	assert_int_equal(pvpci_evtchn_pending(f->d0), -EAGAIN);

	/* raised without the doorbell: seen within the full-scan period */
	assert_true(evr_raise(peer, (unsigned)bport, NULL, 0, fds[2]) > 0);
	int got = -EAGAIN, calls = 0;
	while (got == -EAGAIN && calls < 1000) {
		got = pvpci_evtchn_pending(f->d0);
		calls++;
	}
	assert_int_equal(got, bport);
	assert_true(calls <= 256);
	assert_int_equal(pvpci_evtchn_eoi(f->d0, (unsigned)bport, false), 0);

	/* again without the doorbell, but the backend arms to sleep: arming sees it */
	assert_true(evr_raise(peer, (unsigned)bport, NULL, 0, fds[2]) > 0);
	assert_int_equal(pvpci_evtchn_prepare_wait(f->d0), -EBUSY);
	assert_int_equal(pvpci_evtchn_pending(f->d0), bport);
	assert_int_equal(pvpci_evtchn_eoi(f->d0, (unsigned)bport, false), 0);
	munmap(r, EVR_SIZE);
	lp_close_fds(fds, nfds);
	close(s);
}

/* Bind a port allocated by handle a to handle b (both of the guest); the bind's error. */
static int raw_bind_pair(struct th_fx *f, int a, int b)
{
	struct lp_rsp rsp;
	struct lp_req req = { .op = LP_EVT_ALLOC, .u = { f->g1 } };

	assert_int_equal(raw_call(a, &req, -1, &rsp, NULL, 0, NULL, NULL), 0);
	req = (struct lp_req){ .op = LP_EVT_BIND, .u = { f->g1, rsp.u[0] } };
	return raw_call(b, &req, -1, &rsp, NULL, 0, NULL, NULL);
}

/* Every pair of a guest's handles that binds a port gets an event region (a memfd and
 * two pipes in the daemon): the regions a guest takes part in are bounded (default 64),
 * so it cannot run the daemon out of file descriptors; a handle's close frees them. */
static void test_event_regions_per_guest_bounded(void **state)
{
	struct th_fx *f = *state;
	enum { N = 13 }; /* 78 pairs */
	int s[N], ok = 0, full = 0;

	for (int i = 0; i < N; i++) {
		s[i] = raw_connect(f);
		assert_int_equal(raw_hello(s[i]), 0);
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++) {
			int r = raw_bind_pair(f, s[i], s[j]);
			if (r == -ENOSPC)
				full++;
			else if (r > 0 || r == 0)
				ok++;
			else
				fail_msg("bind: %d", r);
		}
	assert_int_equal(ok, 64);
	assert_int_equal(full, N * (N - 1) / 2 - 64);
	/* a second binding between a pair that has a region needs no new one */
	assert_int_equal(raw_bind_pair(f, s[0], s[1]), 0);

	/* the handle's goodbye frees the regions it was in */
	struct lp_rsp rsp;
	struct lp_req req = { .op = LP_BYE };
	assert_int_equal(raw_call(s[0], &req, -1, &rsp, NULL, 0, NULL, NULL), 0);
	assert_int_equal(raw_bind_pair(f, s[N - 2], s[N - 1]), 0);
	for (int i = 0; i < N; i++)
		close(s[i]);

	/* the daemon still serves the guest and the control domain */
	struct pvpci_platform *g = th_open(&f->h, f->g1, false);
	assert_non_null(g);
	int gp = pvpci_evtchn_alloc_unbound(g, 0);
	assert_true(gp > 0);
	assert_true(pvpci_evtchn_bind_interdomain(f->d0, f->g1, (unsigned)gp) > 0);
	pvpci_platform_close(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_garbage_gets_the_client_dropped, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_grant_of_a_non_page_fd_refused, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_bits_set_by_a_hostile_peer, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_cleared_by_a_peer, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_event_regions_per_guest_bounded, setup,
						th_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
