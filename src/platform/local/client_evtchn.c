/* SPDX-License-Identifier: MIT */
/*
 * The local platform's event-channel fast path, all in the calling process: notify sets
 * the peer's pending bit in the event region the two handles share and makes a system
 * call only if the peer said it sleeps; pending() harvests the regions' bits into the
 * handle's private bitmap (checking each bit belongs to a port bound through that region)
 * and hands out one port at a time under late EOI; wait() spins on the shared words
 * before it arms the fd and sleeps. The daemon is asked only when port states changed.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "client.h"

/* pending() looks at every event region at least once per this many calls */
#define LP_FULL_SCAN_EVERY 256u

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline void bit_clear(uint64_t *b, unsigned n) { b[n / 64] &= ~(1ull << (n % 64)); }
static inline void bit_set(uint64_t *b, unsigned n) { b[n / 64] |= 1ull << (n % 64); }

void lp_port_forget(struct lp_client *c, unsigned port)
{
	bit_clear(c->lpend, port);
	bit_clear(c->inservice, port);
	bit_clear(c->masked, port);
}

static bool port_held(const struct lp_client *c, unsigned port)
{
	return port != 0 && port < c->max_ports && c->ports[port].state != PVPCI_EVTCHN_CLOSED;
}

int lp_evtchn_notify(struct pvpci_platform *p, unsigned port)
{
	struct lp_client *c = lp_client(p);

	if (!port_held(c, port))
		return -EINVAL;
	struct lp_port *pt = &c->ports[port];
	if (atomic_load_explicit(&c->home.map->side[0].ctl, memory_order_relaxed) != c->ctl_seen) {
		/* the peer bound or closed a port since we last looked */
		int r = lp_sync_if_due(c);
		if (r < 0)
			return r;
	}
	if (pt->state != PVPCI_EVTCHN_INTERDOMAIN)
		return pt->state == PVPCI_EVTCHN_CLOSED ? -EINVAL : 0;
	struct lp_region *reg = pt->reg;
	int r = evr_raise(&reg->map->side[reg->peer_side], pt->rport, reg->peer_bell_word,
			  reg->peer_bell_bit, reg->tx);
	if (r == 0) {
		c->stats.notify_coalesced++;
		return 0;
	}
	c->stats.notify++;
	if (r == 2)
		c->stats.notify_wakeups++;
	return 0;
}

int lp_evtchn_fd(const struct pvpci_platform *p)
{
	return lp_client(p)->epfd;
}

/* Move region reg's pending bits into the private bitmap, keeping only ports bound
 * through it (home: PIRQs and loopback); the rest are counted as bogus. */
static bool harvest(struct lp_client *c, struct lp_region *reg)
{
	struct evr_side *sd = &reg->map->side[reg->side];

	if (!atomic_load_explicit(&sd->summary, memory_order_relaxed))
		return false;
	for (uint64_t sum = atomic_exchange(&sd->summary, 0); sum; sum &= sum - 1) {
		unsigned w = (unsigned)__builtin_ctzll(sum);
		uint64_t v = atomic_exchange(&sd->pending[w], 0), keep = 0;
		for (; v; v &= v - 1) {
			unsigned port = w * 64 + (unsigned)__builtin_ctzll(v);
			const struct lp_port *pt = port < c->max_ports ? &c->ports[port] : NULL;
			if (pt && ((pt->state == PVPCI_EVTCHN_INTERDOMAIN && pt->reg == reg) ||
				   (reg == &c->home && pt->state == PVPCI_EVTCHN_PIRQ)))
				keep |= v & -v;
			else
				c->stats.bogus++;
		}
		if (keep) {
			c->lpend[w] |= keep;
			c->lsum |= 1ull << w;
		}
	}
	return true;
}

void lp_hot_forget(struct lp_client *c, struct lp_region *r)
{
	for (unsigned i = 0; i < c->nhot; i++)
		if (c->hot[i] == r) {
			c->hot[i] = c->hot[--c->nhot];
			r->hot = false;
			return;
		}
}

/* Stop polling r directly: clear `watched`, then look once more (a sender that still
 * saw it set did not ring the doorbell). */
static void hot_del(struct lp_client *c, struct lp_region *r)
{
	lp_hot_forget(c, r);
	atomic_store(&r->map->side[r->side].watched, 0);
	harvest(c, r);
}

/* r had an event: poll it directly from now on (the idlest hot region makes room). */
static void hot_add(struct lp_client *c, struct lp_region *r)
{
	if (c->nhot == LP_HOT_MAX) {
		unsigned v = 0;
		for (unsigned i = 1; i < c->nhot; i++)
			if (c->hot[i]->idle > c->hot[v]->idle)
				v = i;
		hot_del(c, c->hot[v]);
	}
	r->hot = true;
	r->idle = 0;
	c->hot[c->nhot++] = r;
	atomic_store(&r->map->side[r->side].watched, 1);
}

/* Look at a region; one with an event becomes hot. */
static void look(struct lp_client *c, struct lp_region *r)
{
	if (harvest(c, r) && !r->hot)
		hot_add(c, r);
}

/* The hot regions, directly; one idle for LP_HOT_IDLE looks goes cold. */
static void harvest_hot(struct lp_client *c)
{
	for (unsigned i = 0; i < c->nhot;) {
		struct lp_region *r = c->hot[i];
		if (harvest(c, r)) {
			r->idle = 0;
		} else if (++r->idle >= LP_HOT_IDLE) {
			hot_del(c, r); /* the last one moves to i */
			continue;
		}
		i++;
	}
}

/* Harvest the regions whose doorbell bits are set (a bit for a slot with no region is
 * a peer's doing: counted as bogus; the scan is bounded by the slots in use). */
static void harvest_bell(struct lp_client *c)
{
	for (unsigned w = 0; w < c->bell_words; w++) {
		if (!atomic_load_explicit(&c->bell->word[w], memory_order_relaxed))
			continue;
		for (uint64_t v = atomic_exchange(&c->bell->word[w], 0); v; v &= v - 1) {
			struct lp_region *r = c->by_slot[w * 64 + (unsigned)__builtin_ctzll(v)];
			if (r)
				look(c, r);
			else
				c->stats.bogus++;
		}
	}
}

/* Every region, whatever the doorbell says (its bits are taken first: a bit set after
 * that is looked at again next time, harmlessly). */
static void harvest_all(struct lp_client *c)
{
	for (unsigned w = 0; w < c->bell_words; w++)
		if (atomic_load_explicit(&c->bell->word[w], memory_order_relaxed))
			atomic_exchange(&c->bell->word[w], 0);
	for (struct lp_region *r = c->regions; r; r = r->next)
		look(c, r);
	c->looks = 0;
	c->full_due = false;
}

/* Take the wake-up bytes from each pipe epoll reported (a sender only writes after it
 * cleared `sleeping`, so there is normally one); a pipe at end of file (its writers
 * gone: the region is about to be dropped) leaves the epoll set; a readable daemon
 * socket means it hung up. */
static void drain(struct lp_client *c, const struct epoll_event *ev, int n)
{
	char buf[64];

	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == c->sock) {
			if (recv(c->sock, buf, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
				lp_mark_dead(c);
			continue;
		}
		if (read(ev[i].data.fd, buf, sizeof(buf)) == 0)
			epoll_ctl(c->epfd, EPOLL_CTL_DEL, ev[i].data.fd, NULL);
	}
}

/* Clear the sleeping words and empty the wake-up sockets (unless wait() did). */
static void disarm(struct lp_client *c)
{
	struct epoll_event ev[16];

	atomic_store(&c->home.map->side[0].sleeping, 0);
	for (struct lp_region *r = c->regions; r; r = r->next)
		atomic_store(&r->map->side[r->side].sleeping, 0);
	c->armed = false;
	if (c->drained) {
		c->drained = false;
		return;
	}
	drain(c, ev, epoll_wait(c->epfd, ev, PVPCI_ARRAY_SIZE(ev), 0));
}

/* The next deliverable port from the private bitmap, round robin over words. */
static int take_port(struct lp_client *c)
{
	uint64_t cand = c->lsum;

	/* words at or after the cursor first, then the ones before it */
	for (int pass = 0; pass < 2 && cand; pass++) {
		uint64_t m = pass == 0 ? ~0ull << c->cursor : ~(~0ull << c->cursor);
		for (uint64_t b = cand & m; b; b &= b - 1) {
			unsigned w = (unsigned)__builtin_ctzll(b);
			uint64_t v = c->lpend[w] & ~c->inservice[w] & ~c->masked[w];
			if (!c->lpend[w])
				c->lsum &= ~(1ull << w);
			if (!v)
				continue;
			unsigned port = w * 64 + (unsigned)__builtin_ctzll(v);
			bit_clear(c->lpend, port);
			bit_set(c->inservice, port);
			c->cursor = (w + 1) % EVR_WORDS;
			c->stats.delivered++;
			return (int)port;
		}
	}
	return -EAGAIN;
}

int lp_evtchn_pending(struct pvpci_platform *p)
{
	struct lp_client *c = lp_client(p);
	bool woke = c->armed;

	if (woke) {
		disarm(c);
		c->stats.wakeups++;
	}
	if (c->dead)
		return -ESHUTDOWN;
	/* harvest before syncing: an event a peer raised just before it closed belongs to
	 * the binding it was raised on, and stays pending (as in Xen) */
	uint32_t ctl = atomic_load(&c->home.map->side[0].ctl);
	harvest(c, &c->home);
	/* the doorbell names the regions with work; every region is looked at after a
	 * wake-up, when arming found work, and every LP_FULL_SCAN_EVERY calls (a peer may
	 * have cleared others' doorbell bits: their events wait at most that long) */
	if (woke || c->full_due || ++c->looks >= LP_FULL_SCAN_EVERY)
		harvest_all(c);
	else {
		harvest_hot(c);
		harvest_bell(c);
	}
	if (ctl != c->ctl_seen) {
		int r = lp_sync_if_due(c);
		if (r < 0)
			return r;
		harvest_all(c); /* regions the sync brought */
	}
	int port = take_port(c);
	if (port < 0 && woke)
		c->stats.wakeups_spurious++;
	return port;
}

static bool deliverable(const struct lp_client *c)
{
	for (uint64_t b = c->lsum; b; b &= b - 1) {
		unsigned w = (unsigned)__builtin_ctzll(b);
		if (c->lpend[w] & ~c->inservice[w] & ~c->masked[w])
			return true;
	}
	return false;
}

int lp_evtchn_prepare_wait(struct pvpci_platform *p)
{
	struct lp_client *c = lp_client(p);
	bool busy;

	if (c->dead)
		return -ESHUTDOWN;
	if (deliverable(c))
		return -EBUSY;
	atomic_store(&c->home.map->side[0].sleeping, 1);
	for (struct lp_region *r = c->regions; r; r = r->next)
		atomic_store(&r->map->side[r->side].sleeping, 1);
	busy = atomic_load(&c->home.map->side[0].ctl) != c->ctl_seen ||
	       atomic_load(&c->home.map->side[0].summary) != 0;
	for (struct lp_region *r = c->regions; r && !busy; r = r->next)
		busy = atomic_load(&r->map->side[r->side].summary) != 0;
	c->armed = true;
	if (busy) {
		disarm(c);
		c->full_due = true; /* a summary may be set before its doorbell bit */
		return -EBUSY;
	}
	return 0;
}

int lp_evtchn_spin(struct pvpci_platform *p, uint64_t spin_ns)
{
	uint64_t start = pvpci_now_ns();

	for (unsigned i = 0;; i++) {
		int r = lp_evtchn_pending(p);
		if (r != -EAGAIN)
			return r;
		if ((i & 15) == 15 && pvpci_now_ns() - start >= spin_ns)
			return -EAGAIN;
		cpu_relax();
	}
}

int lp_evtchn_wait(struct pvpci_platform *p, int timeout_ms)
{
	struct lp_client *c = lp_client(p);
	uint64_t start = pvpci_now_ns();
	int r = lp_evtchn_spin(p, c->spin_ns);

	while (r == -EAGAIN) {
		int left = -1;
		if (timeout_ms >= 0) {
			uint64_t el = (pvpci_now_ns() - start) / 1000000u;
			left = el >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)el;
		}
		r = lp_evtchn_prepare_wait(p);
		if (r == 0) {
			struct epoll_event ev[16];
			int n = epoll_wait(c->epfd, ev, PVPCI_ARRAY_SIZE(ev), left);
			if (n < 0 && errno != EINTR)
				return -errno;
			if (n > 0) {
				drain(c, ev, n);
				c->drained = true;
			}
			r = lp_evtchn_pending(p);
			if (r == -EAGAIN && n == 0)
				return -ETIMEDOUT;
		} else if (r == -EBUSY) {
			r = lp_evtchn_pending(p);
		}
		if (r == -EAGAIN && left == 0)
			return -ETIMEDOUT;
	}
	return r;
}

int lp_evtchn_eoi(struct pvpci_platform *p, unsigned port, bool spurious)
{
	struct lp_client *c = lp_client(p);

	if (!port_held(c, port))
		return -EINVAL;
	bit_clear(c->inservice, port);
	if (spurious)
		c->stats.eoi_spurious++;
	return 0;
}

int lp_evtchn_mask(struct pvpci_platform *p, unsigned port, bool mask)
{
	struct lp_client *c = lp_client(p);

	if (!port_held(c, port))
		return -EINVAL;
	if (mask) {
		bit_set(c->masked, port);
	} else {
		bit_clear(c->masked, port);
		bit_clear(c->inservice, port);
	}
	return 0;
}

void lp_evtchn_stats(const struct pvpci_platform *p, struct pvpci_evtchn_stats *s)
{
	*s = lp_client(p)->stats;
}
