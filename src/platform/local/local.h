/* SPDX-License-Identifier: MIT */
/*
 * The local platform's private contract between a joined process (client.c,
 * client_evtchn.c) and the host daemon (host*.c): the request / response messages on a
 * domain's platform socket (SOCK_SEQPACKET, fds passed with SCM_RIGHTS), and the layout
 * of an event region, the shared memory through which notifications travel between
 * processes without the daemon.
 *
 * Event region: one 4 KiB memfd shared by exactly two parties (two handles, or a handle
 * and the daemon for its "home" region). Side s is where party s receives: a pending bit
 * per port (the receiver's port number), a summary bit per pending word, a "sleeping"
 * word the receiver sets before it sleeps, and (home region only) a control counter the
 * daemon bumps when the receiver's port states changed. Each side also has a pipe: the
 * receiver polls its read end, the sender holds its write end (O_NONBLOCK, a file
 * description only the sender and the daemon hold) and a spare read end, so its writes
 * never raise SIGPIPE. A peer can wake its receiver for nothing, or lose its own
 * wake-ups, but can neither drain nor block another peer's wake-ups.
 *
 * Doorbell: each handle also has a doorbell page (from the daemon at hello), a bitmap
 * with one bit ("slot") per event region the handle receives through; the daemon maps
 * it into every peer the handle shares a region with and tells each side both slots. A
 * sender that turns a region's summary from empty to non-empty also sets the region's
 * slot bit in the receiver's doorbell, so the receiver looks only at the regions whose
 * bits it finds there instead of every region. The doorbell is a hint shared by all the
 * receiver's peers (any of them can set or clear any bit), so the receiver also scans
 * every region now and then, after every wake-up and before it sleeps: a peer clearing
 * bits delays others' events by a bounded number of calls, never loses them. A receiver
 * polls the few regions that were busy lately directly and says so in the side's
 * `watched` word; their senders then skip the doorbell (the busy path costs what it
 * cost without one). Un-watching: clear `watched`, then look at the summary (Dekker
 * against the sender's "set summary, read watched"). A sender can only change how its
 * own events are seen by flipping `watched`.
 *
 * Ordering (no lost wake-up): sender: set pending bit, set summary bit (then the doorbell
 * bit), then read sleeping; if set, clear it and write one byte to the pipe. Receiver:
 * set sleeping, then re-read the summaries; sleep only if all are empty. All of these are
 * sequentially consistent atomics (Dekker: one of the two sides must see the other's
 * write). Receiver harvesting: exchange a doorbell word, then harvest the regions of its
 * bits, so a bit set after the exchange is seen at the next look.
 */
#ifndef PVPCI_PLATFORM_LOCAL_H
#define PVPCI_PLATFORM_LOCAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvpci/platform.h"

#define LP_WIRE_VERSION 2u
#define LP_GREF_FIRST 8u        /* grant references 0-7 are reserved, as in Xen */
#define LP_PIRQ_FIRST 16u       /* PIRQs below 16 are the legacy ISA ones */
#define LP_MAX_FDS 48u          /* fds in one message */
#define LP_SYNC_MAX 8u          /* port entries per sync response (4 fds each) */
#define LP_DOMLIST_MAX 16u      /* domains per list response */
#define LP_RPC_TIMEOUT_MS 10000 /* a client gives the daemon this long to answer */

/* ---- event region --------------------------------------------------------------- */
#define EVR_WORDS (PVPCI_EVTCHN_MAX_PORTS / 64u)
#define EVR_SIZE 4096u

struct evr_side {
	_Alignas(64) _Atomic uint32_t sleeping; /* receiver armed its fd */
	_Atomic uint32_t ctl;                   /* home: bumped when a sync is due */
	_Atomic uint32_t watched;               /* receiver polls this side directly:
						 * the sender need not ring the doorbell */
	/* summary and pending[0..6] (ports 0-447) share one cache line */
	_Alignas(64) _Atomic uint64_t summary;
	_Atomic uint64_t pending[EVR_WORDS];
};

struct evr {
	struct evr_side side[2];
};
_Static_assert(sizeof(struct evr) <= EVR_SIZE, "event region fits a page");

/* A handle's doorbell: bit n = region slot n (one page, EVR_WORDS words used). */
struct evr_bell {
	_Atomic uint64_t word[EVR_WORDS];
};
_Static_assert(sizeof(struct evr_bell) <= EVR_SIZE, "doorbell fits a page");

/* Raise port's bit on side s; wake through tx_fd if the receiver sleeps. bell (NULL for
 * home sides) is the receiver's doorbell word of the region, bell_bit its slot bit: set
 * when the summary was empty (otherwise this sender set it before, and the receiver
 * harvests the region right after it takes the bit). Returns 0 when the bit was already
 * pending (coalesced), 1 when newly set, 2 when it also woke.
 * Every access here and in the receiver's arming is sequentially consistent, which is
 * what orders "set summary, read sleeping" against "set sleeping, read summary" (on x86
 * the locked RMW is the full barrier; no separate fence needed). */
static inline int evr_raise(struct evr_side *s, unsigned port, _Atomic uint64_t *bell,
			    uint64_t bell_bit, int tx_fd)
{
	uint64_t m = 1ull << (port % 64u);
	unsigned w = port / 64u;

	if (atomic_fetch_or(&s->pending[w], m) & m)
		return 0;
	if (!atomic_fetch_or(&s->summary, 1ull << w) && bell && !atomic_load(&s->watched))
		atomic_fetch_or(bell, bell_bit);
	if (!atomic_load(&s->sleeping) || !atomic_exchange(&s->sleeping, 0))
		return 1;
	char b = 1;
	(void)!write(tx_fd, &b, 1);
	return 2;
}

/* Bump the control counter of a home side and wake the receiver if it sleeps. */
static inline void evr_kick(struct evr_side *s, int tx_fd)
{
	atomic_fetch_add(&s->ctl, 1);
	if (atomic_load(&s->sleeping) && atomic_exchange(&s->sleeping, 0)) {
		char b = 1;
		(void)!write(tx_fd, &b, 1);
	}
}

/* ---- messages ------------------------------------------------------------------- */
enum lp_op {
	LP_HELLO = 1,    /* u0 version -> u0 domid, u1 max_ports; fds [home memfd, home rx,
			  * doorbell memfd] */
	LP_SYNC,         /* -> u0 count, u1 more; entries lp_sync_port; 5 fds per
			  * interdomain entry [region memfd, my rx, peer tx, peer rx spare,
			  * peer doorbell memfd] */
	LP_GNT_SHARE,    /* u0 remote domid, u1 readonly; fds [memfd] -> u0 gref */
	LP_GNT_UNSHARE,  /* u0 gref */
	LP_GNT_MAP,      /* u0 domid, u1 gref, u2 flags -> u0 map id; fds [memfd] */
	LP_GNT_UNMAP,    /* u0 map id */
	LP_EVT_ALLOC,    /* u0 remote domid -> u0 port */
	LP_EVT_BIND,     /* u0 remote domid, u1 remote port -> u0 port */
	LP_EVT_CLOSE,    /* u0 port */
	LP_EVT_STATUS,   /* u0 domid, u1 port -> u0 state, u1 rdom, u2 rport, u3 pirq */
	LP_PIRQ_ALLOC,   /* u0 guest -> u0 pirq */
	LP_PIRQ_FREE,    /* u0 guest, u1 pirq */
	LP_PIRQ_BIND,    /* u0 pirq -> u0 port */
	LP_PIRQ_FIRE,    /* u0 guest, u1 pirq */
	LP_PRIV_PERM,    /* u0 domid, u1 kind, u2 allow, x0 first, x1 count */
	LP_PRIV_QUERY,   /* u0 domid, u1 kind, x0 first, x1 last -> u0 granted, u1 any */
	LP_DOM_CREATE,   /* name -> u0 domid */
	LP_DOM_DESTROY,  /* u0 domid */
	LP_DOM_LIST,     /* u0 start index -> u0 total, u1 count; entries lp_dom_entry */
	LP_BYE,          /* release everything, answer, then hang up */
	LP_OP_COUNT
};

struct lp_req {
	uint32_t op;
	uint32_t u[4];
	uint32_t pad;
	uint64_t x[2];
	char name[PVPCI_DOMAIN_NAME_MAX + 1];
};

struct lp_rsp {
	uint32_t op;
	int32_t err;
	uint32_t u[4];
};

struct lp_sync_port {
	uint32_t port;
	uint32_t state;       /* enum pvpci_evtchn_state */
	uint32_t rdom;
	uint32_t rport;
	uint32_t pirq;
	uint32_t region;      /* region id (0 = home) for INTERDOMAIN */
	uint32_t side;        /* my side in that region */
	uint32_t has_fds;     /* 5 fds follow in the message for this entry */
	uint32_t slot;        /* the region's bit in my doorbell */
	uint32_t peer_slot;   /* its bit in the peer's doorbell */
};
#define LP_SYNC_FDS 5u

struct lp_dom_entry {
	uint32_t domid;
	char name[PVPCI_DOMAIN_NAME_MAX + 1];
};

#define LP_MSG_MAX (sizeof(struct lp_rsp) + LP_DOMLIST_MAX * sizeof(struct lp_dom_entry))
_Static_assert(sizeof(struct lp_rsp) + LP_SYNC_MAX * sizeof(struct lp_sync_port) <= LP_MSG_MAX,
	       "sync fits a message");
_Static_assert(LP_SYNC_MAX * LP_SYNC_FDS <= LP_MAX_FDS, "sync fds fit a message");

/* ---- helpers (wire.c) ------------------------------------------------------------- */
/* Send one message with nfds fds. flags: MSG_DONTWAIT for the daemon. */
int lp_send(int sock, const void *buf, size_t len, const int *fds, unsigned nfds, int flags);
/* Receive one message: *len in/out, fds out (up to *nfds in/out; extra fds closed).
 * -EPROTO for a truncated message; 0 bytes read = -ECONNRESET. */
int lp_recv(int sock, void *buf, size_t *len, int *fds, unsigned *nfds, int flags);
void lp_close_fds(int *fds, unsigned n);
/* Checks: fd is a 4 KiB memfd sealed against shrinking and growing. */
int lp_check_page_memfd(int fd);
/* A new sealed, zeroed 4 KiB memfd. */
int lp_new_page_memfd(const char *name);
/* Path of domid's platform / store socket under run_dir. */
int lp_sock_path(char *buf, size_t len, const char *run_dir, unsigned domid, bool store);

#endif
