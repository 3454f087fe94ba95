/* SPDX-License-Identifier: MIT */
/*
 * Event channels and PIRQs of the local platform: a host daemon in its own process,
 * domains in others (ping-pong across processes, wake-up of a sleeping peer), and
 * in-process handles of different domains for the delivery rules: late EOI, coalescing,
 * masking, binding only what was offered, the per-domain port limit, closing, loopback
 * and PIRQ alloc / bind / fire / free.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

static int fx_start(void **state, unsigned max_ports)
{
	struct pvpci_host_config cfg = { .max_ports = max_ports };

	return th_fx_start(state, &cfg, false, 2);
}

static int setup(void **state) { return fx_start(state, 0); }
static int setup_small(void **state) { return fx_start(state, 16); }

/* ---- across processes ------------------------------------------------------------ */

struct pp_args {
	const struct tc_host *h;
	unsigned domid;
	int in, out;
	unsigned rounds;
};

/* Guest: offer a port to dom0, then answer every event with one back. */
static int pp_guest(void *arg)
{
	struct pp_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, a->domid, false);

	TC_CHECK(p);
	int port = pvpci_evtchn_alloc_unbound(p, 0);
	TC_CHECK(port > 0);
	TC_CHECK(tc_send(a->out, (uint32_t)port) == 0);
	for (unsigned i = 0; i < a->rounds; i++) {
		TC_CHECK_EQ(pvpci_evtchn_wait(p, 5000), port);
		TC_CHECK_EQ(pvpci_evtchn_eoi(p, (unsigned)port, false), 0);
		TC_CHECK_EQ(pvpci_evtchn_notify(p, (unsigned)port), 0);
	}
	struct pvpci_evtchn_stats st;
	pvpci_evtchn_get_stats(p, &st);
	TC_CHECK_EQ(st.delivered, a->rounds);
	TC_CHECK_EQ(st.bogus, 0);
	pvpci_platform_close(p);
	return 0;
}

/* Backend: bind the guest's port, send an event and wait for the answer, rounds times. */
static int pp_backend(void *arg)
{
	struct pp_args *a = arg;
	struct pvpci_platform *p = th_open(a->h, 0, false);
	struct pvpci_evtchn_status st;
	uint32_t rport;

	TC_CHECK(p);
	TC_CHECK(tc_recv(a->in, &rport, 5000) == 0);
	int port = pvpci_evtchn_bind_interdomain(p, a->domid, rport);
	TC_CHECK(port > 0);
	TC_CHECK_EQ(pvpci_evtchn_status(p, PVPCI_DOMID_SELF, (unsigned)port, &st), 0);
	TC_CHECK_EQ(st.state, PVPCI_EVTCHN_INTERDOMAIN);
	TC_CHECK_EQ(st.remote_domid, a->domid);
	TC_CHECK_EQ(st.remote_port, rport);
	for (unsigned i = 0; i < a->rounds; i++) {
		TC_CHECK_EQ(pvpci_evtchn_notify(p, (unsigned)port), 0);
		TC_CHECK_EQ(pvpci_evtchn_wait(p, 5000), port);
		TC_CHECK_EQ(pvpci_evtchn_eoi(p, (unsigned)port, false), 0);
	}
	pvpci_platform_close(p);
	return 0;
}

static void test_ping_pong_across_processes(void **state)
{
	struct th_fx *f = *state;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	struct pp_args g = { &f->h, f->g1, -1, fds[1], 2000 };
	struct pp_args b = { &f->h, f->g1, fds[0], -1, 2000 };
	pid_t pg = tc_spawn(pp_guest, &g);
	pid_t pb = tc_spawn(pp_backend, &b);
	assert_int_equal(tc_join(pb, 20000), 0);
	assert_int_equal(tc_join(pg, 20000), 0);
	close(fds[0]);
	close(fds[1]);
}

/* Guest that arms its fd, says so, and sleeps until the event comes. */
static int sleeper(void *arg)
{
	struct pp_args *a = arg;
	struct pvpci_platform *p = th_open_spin(a->h, a->domid, false, 1);
	struct pvpci_evtchn_stats st;

	TC_CHECK(p);
	int port = pvpci_evtchn_alloc_unbound(p, 0);
	TC_CHECK(port > 0);
	TC_CHECK(tc_send(a->out, (uint32_t)port) == 0);
	uint32_t go;
	TC_CHECK(tc_recv(a->in, &go, 5000) == 0); /* the backend bound it */
	TC_CHECK_EQ(pvpci_evtchn_pending(p), -EAGAIN);
	TC_CHECK_EQ(pvpci_evtchn_prepare_wait(p), 0);
	TC_CHECK(tc_send(a->out, 1) == 0);
	/* sleep on the fd itself (wait() would spin first and might see the event) */
	struct pollfd pfd = { .fd = pvpci_evtchn_fd(p), .events = POLLIN };
	TC_CHECK_EQ(poll(&pfd, 1, 5000), 1);
	TC_CHECK_EQ(pvpci_evtchn_pending(p), port);
	pvpci_evtchn_get_stats(p, &st);
	TC_CHECK_EQ(st.wakeups, 1);
	TC_CHECK_EQ(st.wakeups_spurious, 0);
	pvpci_platform_close(p);
	return 0;
}

static void test_notify_wakes_a_sleeping_peer(void **state)
{
	struct th_fx *f = *state;
	int to[2], from[2];
	uint32_t rport, armed;
	struct pvpci_evtchn_stats st;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	struct pp_args g = { &f->h, f->g1, to[0], from[1], 0 };
	pid_t pg = tc_spawn(sleeper, &g);
	assert_int_equal(tc_recv(from[0], &rport, 5000), 0);
	int port = pvpci_evtchn_bind_interdomain(f->d0, f->g1, rport);
	assert_true(port > 0);
	assert_int_equal(tc_send(to[1], 1), 0);
	assert_int_equal(tc_recv(from[0], &armed, 5000), 0);
	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)port), 0);
	pvpci_evtchn_get_stats(f->d0, &st);
	assert_int_equal(st.notify, 1);
	assert_int_equal(st.notify_wakeups, 1); /* the peer was armed: one system call */
	assert_int_equal(tc_join(pg, 10000), 0);
	for (int i = 0; i < 2; i++) {
		close(to[i]);
		close(from[i]);
	}
}

/* ---- delivery rules (two handles in this process) ------------------------------- */

/* d1 offers a port, d0 binds it: *pa (d0's), *pb (g1's). */
static struct pvpci_platform *connect_pair(struct th_fx *f, int *pa, int *pb)
{
	struct pvpci_platform *b = th_open(&f->h, f->g1, false);

	assert_non_null(b);
	*pb = pvpci_evtchn_alloc_unbound(b, 0);
	assert_true(*pb > 0);
	*pa = pvpci_evtchn_bind_interdomain(f->d0, f->g1, (unsigned)*pb);
	assert_true(*pa > 0);
	return b;
}

static void test_late_eoi_no_redelivery_until_eoi(void **state)
{
	struct th_fx *f = *state;
	int pa, pb;
	struct pvpci_platform *b = connect_pair(f, &pa, &pb);
	struct pvpci_evtchn_stats st;

	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)pa), 0);
	assert_int_equal(pvpci_evtchn_pending(b), pb);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)pa), 0);
	/* in service: the new event waits for the EOI, so there is nothing to wait for */
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	assert_int_equal(pvpci_evtchn_prepare_wait(b), 0);
	assert_int_equal(pvpci_evtchn_eoi(b, (unsigned)pb, false), 0);
	assert_int_equal(pvpci_evtchn_pending(b), pb);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	assert_int_equal(pvpci_evtchn_eoi(b, (unsigned)pb, true), 0);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	pvpci_evtchn_get_stats(b, &st);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.eoi_spurious, 1);
	assert_int_equal(pvpci_evtchn_eoi(b, 999, false), -EINVAL);
	pvpci_platform_close(b);
}

static void test_notifications_coalesce(void **state)
{
	struct th_fx *f = *state;
	int pa, pb;
	struct pvpci_platform *b = connect_pair(f, &pa, &pb);
	struct pvpci_evtchn_stats st;

	for (int i = 0; i < 100; i++)
		assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)pa), 0);
	pvpci_evtchn_get_stats(f->d0, &st);
	assert_int_equal(st.notify, 1);
	assert_int_equal(st.notify_coalesced, 99);
	assert_int_equal(pvpci_evtchn_pending(b), pb);
	assert_int_equal(pvpci_evtchn_eoi(b, (unsigned)pb, false), 0);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	pvpci_platform_close(b);
}

static void test_mask_holds_events_until_unmask(void **state)
{
	struct th_fx *f = *state;
	int pa, pb;
	struct pvpci_platform *b = connect_pair(f, &pa, &pb);

	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN); /* sync the binding */
	assert_int_equal(pvpci_evtchn_mask(b, (unsigned)pb), 0);
	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)pa), 0);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	assert_int_equal(pvpci_evtchn_unmask(b, (unsigned)pb), 0);
	assert_int_equal(pvpci_evtchn_pending(b), pb);
	pvpci_platform_close(b);
}

static void test_bind_only_what_was_offered(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *b1 = th_open(&f->h, f->g1, false);
	struct pvpci_platform *b2 = th_open(&f->h, f->g2, false);
	int p0 = pvpci_evtchn_alloc_unbound(f->d0, f->g1);

	assert_true(p0 > 0);
	assert_int_equal(pvpci_evtchn_bind_interdomain(b2, 0, (unsigned)p0), -EACCES);
	assert_int_equal(pvpci_evtchn_bind_interdomain(b1, 0, 999), -EINVAL);
	assert_int_equal(pvpci_evtchn_bind_interdomain(b1, 0, 0), -EINVAL);
	assert_int_equal(pvpci_evtchn_bind_interdomain(b1, 77, 1), -ESRCH);
	int p1 = pvpci_evtchn_bind_interdomain(b1, 0, (unsigned)p0);
	assert_true(p1 > 0);
	assert_int_equal(pvpci_evtchn_bind_interdomain(b1, 0, (unsigned)p0), -EINVAL);
	assert_int_equal(pvpci_evtchn_alloc_unbound(b1, 88), -ESRCH);
	/* a guest reads only its own ports' status */
	struct pvpci_evtchn_status st;
	assert_int_equal(pvpci_evtchn_status(b1, 0, (unsigned)p0, &st), -EPERM);
	assert_int_equal(pvpci_evtchn_notify(b1, 1000), -EINVAL);
	assert_int_equal(pvpci_evtchn_notify(b2, (unsigned)p1), -EINVAL);
	pvpci_platform_close(b1);
	pvpci_platform_close(b2);
}

static void test_port_limit_per_domain(void **state)
{
	struct th_fx *f = *state;
	int last = 0;

	for (int i = 1; i < 16; i++) {
		last = pvpci_evtchn_alloc_unbound(f->d0, f->g1);
		assert_int_equal(last, i);
	}
	assert_int_equal(pvpci_evtchn_alloc_unbound(f->d0, f->g1), -ENOSPC);
	/* another domain has its own ports */
	struct pvpci_platform *b = th_open(&f->h, f->g1, false);
	assert_true(pvpci_evtchn_alloc_unbound(b, 0) > 0);
	assert_int_equal(pvpci_evtchn_bind_interdomain(f->d0, f->g1, 1), -ENOSPC);
	assert_int_equal(pvpci_evtchn_close(f->d0, (unsigned)last), 0);
	assert_int_equal(pvpci_evtchn_alloc_unbound(f->d0, f->g1), last);
	pvpci_platform_close(b);
}

static void test_close_makes_peer_unbound(void **state)
{
	struct th_fx *f = *state;
	int pa, pb;
	struct pvpci_platform *b = connect_pair(f, &pa, &pb);
	struct pvpci_evtchn_status st;
	struct pvpci_evtchn_stats s;

	assert_int_equal(pvpci_evtchn_close(f->d0, (unsigned)pa), 0);
	assert_int_equal(pvpci_evtchn_status(b, PVPCI_DOMID_SELF, (unsigned)pb, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_UNBOUND);
	assert_int_equal(st.remote_domid, 0);
	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)pa), -EINVAL);
	assert_int_equal(pvpci_evtchn_notify(b, (unsigned)pb), 0); /* dropped */
	pvpci_evtchn_get_stats(b, &s);
	assert_int_equal(s.notify, 0);
	/* offered to the closer again: it can bind anew */
	int pa2 = pvpci_evtchn_bind_interdomain(f->d0, f->g1, (unsigned)pb);
	assert_true(pa2 > 0);
	assert_int_equal(pvpci_evtchn_notify(b, (unsigned)pb), 0);
	assert_int_equal(pvpci_evtchn_pending(f->d0), pa2);
	assert_int_equal(pvpci_evtchn_eoi(f->d0, (unsigned)pa2, false), 0);
	/* closing the handle closes its ports */
	pvpci_platform_close(b);
	assert_int_equal(pvpci_evtchn_status(f->d0, PVPCI_DOMID_SELF, (unsigned)pa2, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_UNBOUND);
	assert_int_equal(st.remote_domid, f->g1);
	assert_int_equal(pvpci_evtchn_status(f->d0, f->g1, (unsigned)pb, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_CLOSED);
}

static void test_loopback_in_one_handle(void **state)
{
	struct th_fx *f = *state;
	int p1 = pvpci_evtchn_alloc_unbound(f->d0, PVPCI_DOMID_SELF);
	int p2 = pvpci_evtchn_bind_interdomain(f->d0, PVPCI_DOMID_SELF, (unsigned)p1);

	assert_true(p1 > 0 && p2 > 0);
	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)p2), 0);
	assert_int_equal(pvpci_evtchn_pending(f->d0), p1);
	assert_int_equal(pvpci_evtchn_notify(f->d0, (unsigned)p1), 0);
	assert_int_equal(pvpci_evtchn_pending(f->d0), p2);
	assert_int_equal(pvpci_evtchn_pending(f->d0), -EAGAIN);
}

static void test_wait_times_out(void **state)
{
	struct th_fx *f = *state;
	int pa, pb;
	struct pvpci_platform *b = connect_pair(f, &pa, &pb);

	assert_int_equal(pvpci_evtchn_wait(b, 30), -ETIMEDOUT);
	pvpci_platform_close(b);
}

static void test_pirq_alloc_bind_fire_free(void **state)
{
	struct th_fx *f = *state;
	struct pvpci_platform *b = th_open(&f->h, f->g1, false);
	struct pvpci_evtchn_status st;
	int q = pvpci_pirq_alloc(f->d0, f->g1);

	assert_true(q >= 16);
	assert_int_equal(pvpci_pirq_fire(f->d0, f->g1, (unsigned)q), 0); /* unbound: dropped */
	int port = pvpci_pirq_bind(b, (unsigned)q);
	assert_true(port > 0);
	assert_int_equal(pvpci_pirq_bind(b, (unsigned)q), -EBUSY);
	assert_int_equal(pvpci_pirq_bind(b, (unsigned)q + 1), -ENOENT);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pvpci_pirq_fire(f->d0, f->g1, (unsigned)q), 0);
	assert_int_equal(pvpci_evtchn_wait(b, 2000), port);
	assert_int_equal(pvpci_evtchn_eoi(b, (unsigned)port, false), 0);
	assert_int_equal(pvpci_evtchn_pending(b), -EAGAIN); /* the three coalesced */
	assert_int_equal(pvpci_evtchn_status(b, PVPCI_DOMID_SELF, (unsigned)port, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_PIRQ);
	assert_int_equal(st.pirq, q);
	/* the guest may neither allocate nor fire */
	assert_int_equal(pvpci_pirq_alloc(b, f->g1), -EPERM);
	assert_int_equal(pvpci_pirq_fire(b, f->g1, (unsigned)q), -EPERM);
	/* PIRQs are numbered per guest: one allocated only for g2 cannot be bound by g1 */
	assert_true(pvpci_pirq_alloc(f->d0, f->g2) > 0);
	int q2 = pvpci_pirq_alloc(f->d0, f->g2);
	assert_true(q2 > q);
	assert_int_equal(pvpci_pirq_bind(b, (unsigned)q2), -ENOENT);
	assert_int_equal(pvpci_pirq_free(f->d0, f->g1, (unsigned)q), 0);
	assert_int_equal(pvpci_evtchn_status(b, PVPCI_DOMID_SELF, (unsigned)port, &st), 0);
	assert_int_equal(st.state, PVPCI_EVTCHN_CLOSED);
	assert_int_equal(pvpci_pirq_fire(f->d0, f->g1, (unsigned)q), -ENOENT);
	assert_int_equal(pvpci_pirq_free(f->d0, f->g1, (unsigned)q), -ENOENT);
	pvpci_platform_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_pong_across_processes, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_wakes_a_sleeping_peer, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_late_eoi_no_redelivery_until_eoi, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_notifications_coalesce, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_mask_holds_events_until_unmask, setup,
						th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_bind_only_what_was_offered, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_port_limit_per_domain, setup_small, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_makes_peer_unbound, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_in_one_handle, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_wait_times_out, setup, th_fx_teardown),
		cmocka_unit_test_setup_teardown(test_pirq_alloc_bind_fire_free, setup, th_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
