/* SPDX-License-Identifier: MIT */
/*
 * Private declarations shared by the store's files: the string hash table, nodes and the
 * tree, the operation context (which domain, which transaction), transactions, watches,
 * domains and connections. Only src/store includes this.
 */
#ifndef PVPCI_STORE_INT_H
#define PVPCI_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "pvpci/store.h"
#include "xs_proto.h"

/* ---- hash table of string keys (htab.c) ---- */
struct hentry {
	struct hentry *next;
	uint32_t hash;
	char *key;
};
struct htab {
	struct hentry **b;
	size_t nb, n;
};
uint32_t htab_hash(const char *key);
struct hentry *htab_find(const struct htab *h, const char *key);
int htab_insert(struct htab *h, struct hentry *e); /* e->key set; not already present */
void htab_remove(struct htab *h, struct hentry *e);
void htab_fini(struct htab *h); /* frees the bucket array, not the entries */
#define HTAB_FOR_EACH(h, e, tmp, i)                                                        \
	for ((i) = 0; (i) < (h)->nb; (i)++)                                                \
		for ((e) = (h)->b[(i)], (tmp) = (e) ? (e)->next : NULL; (e);               \
		     (e) = (tmp), (tmp) = (e) ? (e)->next : NULL)

/* ---- access bits (path.c) ---- */
enum {
	ACC_READ = PVPCI_STORE_READ,
	ACC_WRITE = PVPCI_STORE_WRITE,
	ACC_OWNER = 4,
};
#define PERMS_MAX_ENTRIES 256u /* hard cap on a permission list, even for domain 0 */

/* ---- nodes (tree.c) ---- */
struct node {
	struct hentry h; /* key = absolute path, stored after the struct */
	uint64_t gen;    /* store generation of the node's last change (children included) */
	char *value;
	uint32_t vlen;
	uint32_t chlen;  /* bytes of children: names, each NUL-terminated */
	char *children;
	struct pvpci_store_perm *perms;
	uint32_t nperms;
};

struct pvpci_store;
struct conn;
struct tx;

/* Who performs an operation. */
struct op_ctx {
	struct pvpci_store *st;
	unsigned domid;
	bool priv;
	struct tx *tx;     /* NULL: straight on the tree */
	struct conn *conn; /* NULL: in-process */
};

/* One change to report to watchers: the path, whether watches below it fire too (rm),
 * and the permissions deciding who may see it (two sets for a permission change). */
struct change {
	char *path;
	bool recurse;
	struct pvpci_store_perm *perms, *perms2;
	uint32_t nperms, nperms2;
};

struct node *node_new(const char *path, size_t plen);
void node_free(struct node *n);
struct node *node_dup(const struct node *n);
struct node *tree_lookup(const struct pvpci_store *st, const char *path);
void tree_free_all(struct pvpci_store *st);
int tree_init(struct pvpci_store *st);
/* Move a tx-local node into the tree (replacing any node of that path), or delete one. */
void tree_put(struct pvpci_store *st, struct node *n);
void tree_del(struct pvpci_store *st, const char *path);

/* Operations on absolute, validated paths, as the context sees the store. */
int op_read(struct op_ctx *c, const char *path, const struct node **out);
int op_write(struct op_ctx *c, const char *path, const void *val, size_t len);
int op_mkdir(struct op_ctx *c, const char *path);
int op_rm(struct op_ctx *c, const char *path);
int op_get_perms(struct op_ctx *c, const char *path, const struct node **out);
int op_set_perms(struct op_ctx *c, const char *path, const struct pvpci_store_perm *p,
		 unsigned n);

/* ---- paths and permissions (path.c) ---- */
/* Canonical absolute path of a client path (relative ones are under the domain's home);
 * writes *out (malloc'd), *relative. Special "@..." paths only when allow_special. */
int path_canon(const struct pvpci_store *st, unsigned domid, bool priv, const char *in,
	       bool allow_special, char **out, bool *relative);
bool path_valid(const char *p, size_t len);
bool path_is_child(const char *child, const char *parent); /* at or below */
size_t path_parent_len(const char *p); /* length of the parent's path ("/" -> 1) */
unsigned perm_access(unsigned domid, bool priv, const struct pvpci_store_perm *p,
		     unsigned n);
/* Wire form: each entry NUL-terminated. Text form: NUL, space or comma separated. */
int perms_parse(const char *s, size_t len, struct pvpci_store_perm **out, unsigned *n);
int perms_parse_text(const char *s, size_t len, struct pvpci_store_perm **out, unsigned *n);
int perm_format(const struct pvpci_store_perm *p, char *buf, size_t sz);
bool special_path_valid(const char *p);

/* ---- transactions (transaction.c) ---- */
struct txent {
	struct hentry h;    /* key = path */
	uint64_t seen_gen;  /* generation when first accessed, 0 = absent */
	struct node *local; /* the transaction's version, or NULL */
	bool deleted;       /* removed in the transaction */
};
struct tx {
	struct tx *next;
	struct conn *conn;
	uint32_t id;
	uint64_t start_gen;
	bool conflict;  /* a node accessed had changed after the start */
	bool failed;    /* an error left the copy unusable: commit fails with EAGAIN */
	int node_delta; /* nodes owned by the connection's domain, created - removed */
	unsigned nents;
	struct htab ents;
	struct change *changes;
	unsigned nchanges, capchanges;
};
#define TX_MAX_ENTRIES 2048u /* nodes one unprivileged transaction may touch */
/* Record an access to path seen as n (NULL = absent); returns the entry. */
int tx_access(struct op_ctx *c, const char *path, const struct node *n, struct txent **out);
struct txent *tx_find(const struct tx *tx, const char *path);
int tx_start(struct op_ctx *c, uint32_t *id);
int tx_end(struct op_ctx *c, bool commit);
void tx_free(struct pvpci_store *st, struct tx *tx);
struct tx *tx_lookup(struct conn *conn, uint32_t id);
int tx_add_change(struct tx *tx, const struct change *ch);

/* ---- watches (watch.c) ---- */
struct watch {
	struct watch *next; /* in the store's list */
	struct conn *conn;  /* NULL: in-process */
	pvpci_store_watch_fn fn;
	void *opaque;
	unsigned domid;
	size_t rel_len; /* > 0: relative watch, strip this many bytes from event paths */
	char *path;     /* absolute or "@..." */
	char *token;
};
int watch_add(struct op_ctx *c, const char *path, const char *token, bool relative,
	      pvpci_store_watch_fn fn, void *opaque, struct watch **out);
/* Send the event of path (absolute) to one watch. */
void watch_deliver(struct pvpci_store *st, struct watch *w, const char *path);
int watch_del(struct op_ctx *c, const char *path, const char *token);
void watch_del_conn(struct pvpci_store *st, struct conn *conn);
/* Report a change (not the special events) to every watcher allowed to see it. */
void watch_fire(struct pvpci_store *st, const struct change *ch);
void watch_fire_special(struct pvpci_store *st, const char *name);
void watch_free_all(struct pvpci_store *st);
/* Deliver queued in-process events; returns how many. */
int watch_run_local(struct pvpci_store *st);
void change_fini(struct change *ch);
int change_init(struct change *ch, const char *path, bool recurse,
		const struct pvpci_store_perm *p, unsigned np,
		const struct pvpci_store_perm *p2, unsigned np2);

/* ---- domains (store.c) ---- */
struct listener;
struct domain {
	struct domain *next;
	unsigned domid;
	unsigned nodes;   /* nodes owned */
	unsigned watches; /* watches of its connections */
	unsigned conns;
	bool introduced;
	struct listener *lis;
};
struct domain *domain_get(struct pvpci_store *st, unsigned domid, bool create);
bool store_domain_introduced(struct pvpci_store *st, unsigned domid);
int store_set_special_perms(struct pvpci_store *st, const char *name,
			    const struct pvpci_store_perm *p, unsigned n);
void domain_node_acct(struct pvpci_store *st, unsigned owner, int delta);
unsigned domain_nodes(struct pvpci_store *st, unsigned domid);

/* ---- connections (conn.c) ---- */
enum ep_kind { EP_LISTENER, EP_CONN, EP_LOCAL };
struct ep_item {
	enum ep_kind kind;
	bool dead;
	struct ep_item *grave_next;
};
struct outmsg {
	struct outmsg *next;
	size_t len; /* header + payload */
	unsigned char buf[];
};
#define CONN_IN_SIZE (2 * (sizeof(struct xsp_hdr) + XSP_PAYLOAD_MAX))
struct conn {
	struct ep_item ep;
	struct conn *next; /* in the store's list */
	struct pvpci_store *st;
	int fd;
	unsigned domid;
	bool paused;      /* input not read while the output queue is full */
	bool want_out;    /* EPOLLOUT armed */
	bool dirty;       /* on the flush list */
	struct conn *dirty_next;
	struct outmsg *out_head, *out_tail;
	unsigned out_count;
	size_t out_off; /* bytes of out_head already sent */
	struct tx *txs;
	unsigned ntx;
	size_t in_used;
	unsigned char in[CONN_IN_SIZE];
};
struct listener {
	struct ep_item ep;
	int fd;
	unsigned domid;
	char *path;
};
int conn_new(struct pvpci_store *st, unsigned domid, int fd);
void conn_kill(struct conn *conn, const char *why);
void conn_reap(struct pvpci_store *st);
int conn_queue(struct conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
	       const void *p1, size_t l1, const void *p2, size_t l2);
/* Queue an event unless the connection's queue is far over its limit. */
int conn_queue_event(struct conn *conn, const char *path, size_t plen, const char *token);
void conn_flush_all(struct pvpci_store *st);
int listener_new(struct pvpci_store *st, unsigned domid, const char *path,
		 struct listener **out);
void listener_kill(struct pvpci_store *st, struct listener *l);
int conn_handle_event(struct pvpci_store *st, struct ep_item *it, uint32_t events);
unsigned conn_out_limit(const struct conn *conn);

/* ---- wire (wire.c) ---- */
/* Handle one complete message from conn. Returns 0, or < 0 to drop the connection. */
int wire_handle(struct conn *conn, const struct xsp_hdr *h, const char *payload);
const char *wire_errname(int neg_errno);

/* ---- the store ---- */
struct local_event;
struct pvpci_store {
	struct pvpci_store_quota q;
	struct pvpci_log log;
	struct pvpci_ratelimit rl;
	int epfd;
	int evfd;               /* signals queued in-process events */
	int spare_fd;           /* see pvpci_accept: sheds connections when out of fds */
	struct ep_item local_ep; /* epoll tag of evfd */
	uint64_t gen;           /* last generation handed out */
	struct htab nodes;
	struct domain *domains;
	struct conn *conns;
	struct conn *dirty;
	struct ep_item *grave;
	struct watch *watches;
	struct local_event *lev_head, *lev_tail;
	unsigned nlev;
	uint32_t next_txid;
	bool in_process;
	struct pvpci_store_perm *special_perms[2]; /* @introduceDomain, @releaseDomain */
	uint32_t nspecial[2];
	struct pvpci_store_stats stats;
};
int special_index(const char *name); /* -1 if not a known special path */
void store_api_done(struct pvpci_store *st);

#define GUEST_LOG(st, lvl, ...) pvpci_logf_rl(&(st)->log, &(st)->rl, (lvl), __VA_ARGS__)

#endif
