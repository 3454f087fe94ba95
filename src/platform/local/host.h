/* SPDX-License-Identifier: MIT */
/*
 * The local platform's host daemon, private state: domains (ports, grants, PIRQs,
 * privileges, sockets), connections (one per joined handle: its home event region, its
 * grant mappings, the ports whose state it has not synced yet) and the event regions
 * shared by pairs of connections. host.c runs the loop and the request table;
 * host_evtchn.c ports, regions, PIRQs and sync; host_grant.c grants and privileged
 * calls; host_domain.c domains and their store nodes.
 */
#ifndef PVPCI_PLATFORM_LOCAL_HOST_H
#define PVPCI_PLATFORM_LOCAL_HOST_H

#include <limits.h>

#include "pvpci/store.h"
#include "local.h"

struct hconn;

/* What an epoll event points at. */
enum hsrc_kind { HSRC_STORE, HSRC_LISTEN, HSRC_CONN };
struct hsrc {
	enum hsrc_kind kind;
	void *obj;
};

struct hport {
	uint8_t state;         /* enum pvpci_evtchn_state */
	struct hconn *owner;
	unsigned rdom, rport, pirq;
	struct hregion *reg;   /* INTERDOMAIN between two connections; NULL = home */
};

struct hgrant {
	bool used;
	bool ended;            /* granter gone; kept while mapped */
	bool ro;
	int memfd;
	unsigned grantee;
	struct hconn *owner;
	unsigned maps;
};

struct hpirq {
	bool allocated;
	unsigned owner_dom;    /* the domain that allocated it (may fire it) */
	unsigned port;         /* bound port of the guest, 0 = none */
};

struct hdom {
	unsigned domid;
	uint64_t gen;          /* unique per domain ever created (a reused domid differs) */
	char name[PVPCI_DOMAIN_NAME_MAX + 1];
	char uuid[37];
	struct hsrc src;
	int listen_fd;
	char sock_path[108];
	struct hport *ports;   /* [max_ports] */
	struct hgrant *grants; /* [max_grants], gref = LP_GREF_FIRST + index */
	struct hpirq *pirqs;   /* [max_pirqs], pirq = LP_PIRQ_FIRST + index */
	struct pvpci_rangeset perm[3]; /* iomem, ioport, irq */
	unsigned nconns;
	unsigned nregions;     /* event regions its handles take part in (guests) */
	bool dying;
	struct hdom *next;
};

struct hmap {
	uint32_t id;
	unsigned granter;
	uint32_t gref;
	uint64_t gen;          /* the granter's hdom.gen; 0 = orphaned (granter destroyed) */
};

struct hconn {
	struct hsrc src;
	int fd;
	struct hdom *dom;
	bool hello;
	bool dead;
	int home_fd;           /* memfd */
	struct evr *home;
	int home_tx;           /* write end of the home pipe (O_NONBLOCK) */
	int home_spare;        /* a read end kept open: writes never raise SIGPIPE */
	int bell_fd;           /* doorbell memfd (local.h), handed to the peers */
	uint64_t bell_used[EVR_WORDS]; /* doorbell slots taken by regions */
	uint64_t dirty[EVR_WORDS]; /* ports to report at the next sync */
	struct hmap *maps;
	unsigned nmaps, cap_maps;
	uint32_t next_map_id;
	struct hconn *next;
};

/* An event region between connections a (side 0) and b (side 1). */
struct hregion {
	uint32_t id;
	struct hconn *c[2];
	int memfd;
	int pipe[2][2];        /* side s: pipe[s][0] read by c[s], pipe[s][1] written by
				* the other (who also gets a spare pipe[s][0]) */
	unsigned slot[2];      /* side s: its bit in c[s]'s doorbell */
	struct hregion *next;
};

struct pvpci_host {
	char run_dir[PATH_MAX];
	struct pvpci_log log;
	struct pvpci_ratelimit rl;
	int lock_fd;
	int epfd;
	int spare_fd; /* see pvpci_accept: sheds connections when out of fds */
	struct pvpci_store *store;
	struct pvpci_store_quota quota;
	struct hsrc store_src;
	unsigned max_ports, max_grants, max_maps, max_pirqs, max_domains, max_handles;
	unsigned max_regions;
	unsigned max_grant_fds, grant_fds; /* grants (memfds) of all domains: limit, held */
	unsigned max_domid;
	uint64_t next_gen;
	struct hdom *doms;     /* sorted by domid */
	struct hdom *dom_grave; /* destroyed during this loop pass, freed after it */
	unsigned ndoms;
	unsigned next_domid;
	struct hconn *conns;
	struct hconn *grave;   /* closed during this loop pass, freed after it */
	struct hregion *regions;
	uint32_t next_region_id;
	struct hassign { uint32_t sbdf; unsigned domid; } *assign;
	unsigned nassign;
};

/* host.c */
struct hdom *host_dom(struct pvpci_host *h, unsigned domid);
/* Close a connection: its ports, mappings and grants are released; freed later. */
void host_conn_close(struct pvpci_host *h, struct hconn *c);
int host_listen(struct pvpci_host *h, struct hdom *d);

/* host_evtchn.c */
int host_evt_alloc(struct pvpci_host *h, struct hconn *c, unsigned rdom);
int host_evt_bind(struct pvpci_host *h, struct hconn *c, unsigned rdom, unsigned rport);
int host_evt_close(struct pvpci_host *h, struct hconn *c, unsigned port);
int host_evt_status(struct pvpci_host *h, struct hconn *c, unsigned domid, unsigned port,
		    struct lp_rsp *rsp);
/* Fill a sync response: entries and fds (3 per entry with regions). */
int host_evt_sync(struct pvpci_host *h, struct hconn *c, struct lp_rsp *rsp,
		  struct lp_sync_port *e, int *fds, unsigned *nfds);
void host_evt_conn_gone(struct pvpci_host *h, struct hconn *c);
int host_pirq_alloc(struct pvpci_host *h, struct hconn *c, unsigned guest);
int host_pirq_free(struct pvpci_host *h, struct hconn *c, unsigned guest, unsigned pirq);
int host_pirq_bind(struct pvpci_host *h, struct hconn *c, unsigned pirq);
int host_pirq_fire(struct pvpci_host *h, struct hconn *c, unsigned guest, unsigned pirq);
/* Release every PIRQ allocated for or by the domain. */
void host_pirq_dom_gone(struct pvpci_host *h, struct hdom *d);

/* host_grant.c */
int host_gnt_share(struct pvpci_host *h, struct hconn *c, unsigned rdom, bool ro, int memfd);
int host_gnt_unshare(struct pvpci_host *h, struct hconn *c, uint32_t gref);
int host_gnt_map(struct pvpci_host *h, struct hconn *c, unsigned domid, uint32_t gref,
		 unsigned flags, uint32_t *id, int *fd);
int host_gnt_unmap(struct pvpci_host *h, struct hconn *c, uint32_t id);
void host_gnt_conn_gone(struct pvpci_host *h, struct hconn *c);
/* Free a grant (closes its memfd). */
void host_gnt_free(struct pvpci_host *h, struct hgrant *g);
/* A domain is destroyed: orphan others' mappings of its grants, free its grants. */
void host_gnt_dom_gone(struct pvpci_host *h, struct hdom *d);
int host_priv_perm(struct pvpci_host *h, struct hconn *c, const struct lp_req *req);
int host_priv_query(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		    struct lp_rsp *rsp);
void host_priv_dom_gone(struct pvpci_host *h, struct hdom *d);

/* host_domain.c */
int host_dom_new(struct pvpci_host *h, unsigned domid, const char *name, struct hdom **out);
void host_dom_free(struct pvpci_host *h, struct hdom *d);
int host_dom_create(struct pvpci_host *h, struct hconn *c, const char *name, unsigned *domid);
int host_dom_destroy(struct pvpci_host *h, struct hconn *c, unsigned domid);
int host_dom_list(struct pvpci_host *h, unsigned start, struct lp_rsp *rsp,
		  struct lp_dom_entry *e);
int host_dom0_nodes(struct pvpci_host *h);

#endif
