/* SPDX-License-Identifier: MIT */
/*
 * A process's handle on the local platform (client.c: joining, requests to the host
 * daemon, port-state sync, grants, PIRQs, privileged and domain calls;
 * client_evtchn.c: the event-channel fast path on the shared event regions).
 */
#ifndef PVPCI_PLATFORM_LOCAL_CLIENT_H
#define PVPCI_PLATFORM_LOCAL_CLIENT_H

#include <limits.h>

#include "local.h"

#define LP_HOT_MAX 8        /* regions polled directly (the rest through the doorbell) */
#define LP_HOT_IDLE 4096u   /* looks without an event before a region goes cold */

/* An event region this handle shares with one peer handle (or the daemon: home). */
struct lp_region {
	uint32_t id;          /* 0 = home */
	unsigned refs;        /* ports that use it */
	struct evr *map;
	unsigned side;        /* where this handle receives */
	unsigned peer_side;   /* where the peer receives */
	int rx;               /* read end of this handle's wake-up pipe (in epfd) */
	int tx;               /* write end of the peer's wake-up pipe (-1 for home) */
	int spare;            /* a read end of the peer's pipe: tx never gets EPIPE */
	unsigned slot;        /* its bit in this handle's doorbell */
	struct evr_bell *peer_bell;     /* the peer's doorbell (NULL for home) */
	_Atomic uint64_t *peer_bell_word; /* the word of this region's slot there */
	uint64_t peer_bell_bit;
	bool hot;             /* polled directly (in c->hot), `watched` set */
	unsigned idle;        /* hot: looks since it last had an event */
	struct lp_region *next;
};

struct lp_port {
	uint8_t state;        /* enum pvpci_evtchn_state */
	unsigned rdom, rport, pirq;
	struct lp_region *reg; /* INTERDOMAIN: where the peer receives */
};

struct lp_grant {
	uint32_t gref;
	void *page;
	struct lp_grant *next;
};

struct lp_map {
	uint32_t id;
	void *addr;
	struct lp_map *next;
};

struct lp_client {
	struct pvpci_platform *p;
	const struct pvpci_log *log;
	char store_path[108];
	int sock;
	bool dead;
	struct xs_handle *xs;
	int epfd;
	struct lp_region home;
	struct lp_region *regions;
	struct evr_bell *bell;          /* this handle's doorbell (local.h) */
	struct lp_region **by_slot;     /* doorbell slot -> region (EVR_WORDS * 64) */
	unsigned bell_words;            /* words of the doorbell in use (highest slot) */
	unsigned looks;                 /* pending() calls since the last full scan */
	struct lp_region *hot[LP_HOT_MAX]; /* regions busy lately, polled directly */
	unsigned nhot;
	bool full_due;                  /* scan every region at the next pending() */
	unsigned max_ports;
	struct lp_port *ports;
	uint64_t lpend[EVR_WORDS];     /* harvested, not delivered yet */
	uint64_t lsum;                 /* bit w: lpend[w] may be non-zero */
	uint64_t inservice[EVR_WORDS]; /* delivered, waiting for eoi */
	uint64_t masked[EVR_WORDS];
	unsigned cursor;               /* next word to look at first */
	uint32_t ctl_seen;
	bool armed;
	bool drained;                  /* wait() already emptied the wake-up sockets */
	uint64_t spin_ns;
	struct pvpci_evtchn_stats stats;
	struct lp_grant *grants;
	struct lp_map *maps;
};

static inline struct lp_client *lp_client(const struct pvpci_platform *p)
{
	return pvpci_platform_priv(p);
}

/* client.c */
/* One request / response; extra (optional) gets the bytes after the response header,
 * fds (optional) the fds passed with it. Syncs port states afterwards when due. */
int lp_rpc(struct lp_client *c, struct lp_req *req, struct lp_rsp *rsp, void *extra,
	   size_t *extra_len, int *fds, unsigned *nfds);
/* Fetch port-state changes from the daemon if the home control counter moved. */
int lp_sync_if_due(struct lp_client *c);
void lp_mark_dead(struct lp_client *c);

/* client_evtchn.c */
int lp_evtchn_notify(struct pvpci_platform *p, unsigned port);
int lp_evtchn_fd(const struct pvpci_platform *p);
int lp_evtchn_pending(struct pvpci_platform *p);
int lp_evtchn_prepare_wait(struct pvpci_platform *p);
int lp_evtchn_spin(struct pvpci_platform *p, uint64_t spin_ns);
int lp_evtchn_wait(struct pvpci_platform *p, int timeout_ms);
int lp_evtchn_eoi(struct pvpci_platform *p, unsigned port, bool spurious);
int lp_evtchn_mask(struct pvpci_platform *p, unsigned port, bool mask);
void lp_evtchn_stats(const struct pvpci_platform *p, struct pvpci_evtchn_stats *s);
/* Stop polling region r directly (it is going away). */
void lp_hot_forget(struct lp_client *c, struct lp_region *r);
/* Forget a port's local delivery state (closed or re-bound). */
void lp_port_forget(struct lp_client *c, unsigned port);

#endif
