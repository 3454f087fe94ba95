/* SPDX-License-Identifier: MIT */
/*
 * pvpci store: the local platform's xenstore-compatible store server. A tree of nodes
 * (paths, values, per-node permissions: an owner plus n/r/w/b per domain, inherited on
 * create), watches (fire once on registration, then on any change at or below the path;
 * the special watches @introduceDomain / @releaseDomain), transactions (snapshot at start,
 * commit fails with EAGAIN on conflict) and per-domain quotas, served over UNIX sockets in
 * xenstore's wire protocol (io/xs_wire.h) so libxenstore and the xenstore-* tools work
 * against it through XENSTORED_PATH. Each listening socket belongs to one domain: a
 * connection's domain is the socket it came in on; domain 0 is privileged. The host daemon
 * also uses the store in-process, acting as domain 0 (its changes fire watches).
 * Single-threaded: every call on one store comes from the same thread (the event loop).
 */
#ifndef PVPCI_STORE_H
#define PVPCI_STORE_H

#include <stddef.h>

#include "pvpci/base.h"

struct pvpci_store; /* opaque */

/* Per-domain limits; domain 0 is not limited. A request over a limit gets xenstored's
 * errors: ENOSPC (nodes, value size, transactions, permission entries), E2BIG (watches),
 * EINVAL (path length). */
struct pvpci_store_quota {
	unsigned nodes;           /* nodes owned by the domain */
	unsigned value_size;      /* bytes in one node's value */
	unsigned watches;         /* watches of all the domain's connections */
	unsigned transactions;    /* open transactions per connection */
	unsigned path_len;        /* bytes in an absolute path (<= 3072) */
	unsigned conn_per_domain; /* connections open at once on one domain's socket */
	unsigned outstanding;     /* queued replies + events per connection before it is
				   * no longer read from (a slow reader cannot grow memory) */
	unsigned perms;           /* entries in one node's permission list */
};

/* Defaults: xenstored's (1000 nodes, 2048-byte values, 128 watches, 10 transactions,
 * 3072-byte paths), 8 connections, 256 outstanding messages, 5 permission entries. */
void pvpci_store_quota_defaults(struct pvpci_store_quota *q);

/* Create an empty store holding "/" (owned by domain 0, no access for others). q NULL =
 * defaults; log NULL = stderr. */
int pvpci_store_create(const struct pvpci_store_quota *q, const struct pvpci_log *log,
		       struct pvpci_store **out) PVPCI_WUR;
/* Closes every connection and socket (unlinking the socket files) and frees everything. */
void pvpci_store_destroy(struct pvpci_store *st);

/* Listen on a UNIX stream socket at socket_path (an existing socket file is replaced);
 * connections on it are domain domid. One socket per domain: -EEXIST for a second one. */
int pvpci_store_listen(struct pvpci_store *st, unsigned domid, const char *socket_path)
	PVPCI_WUR;
/* Close the domain's listening socket and unlink it; its open connections stay. */
int pvpci_store_unlisten(struct pvpci_store *st, unsigned domid);
/* Serve an already connected stream socket as a connection of domain domid (for example
 * one passed over SCM_RIGHTS). The store owns fd on success; on error the caller does. */
int pvpci_store_add_connection(struct pvpci_store *st, unsigned domid, int fd) PVPCI_WUR;

/* Mark a domain introduced (IS_DOMAIN_INTRODUCED answers T) and fire @introduceDomain. */
int pvpci_store_introduce_domain(struct pvpci_store *st, unsigned domid) PVPCI_WUR;
/* Drop the domain's connections with their watches and transactions, close its socket,
 * mark it not introduced and fire @releaseDomain. Removing the domain's nodes is the
 * caller's (pvpci_store_rm). -ENOENT if the domain was neither introduced nor listening. */
int pvpci_store_release_domain(struct pvpci_store *st, unsigned domid);

/* One pollable fd (an epoll fd) for the caller's event loop: readable when
 * pvpci_store_process has work. */
int pvpci_store_fd(const struct pvpci_store *st);
/* Wait up to timeout_ms (0 = do not wait, -1 = forever) and serve everything ready:
 * accept connections, read requests, answer them, send watch events. Returns the number
 * of events handled (>= 0) or a negative errno (-EINTR is passed up). */
int pvpci_store_process(struct pvpci_store *st, int timeout_ms);

/* In-process privileged access (acts as domain 0, outside any transaction; fires
 * watches). Paths are absolute. Negative errno on failure, as on the wire. */
int pvpci_store_write(struct pvpci_store *st, const char *path, const void *val,
		      size_t len) PVPCI_WUR;
/* A printf-formatted value. */
int pvpci_store_printf(struct pvpci_store *st, const char *path, const char *fmt, ...)
	PVPCI_PRINTF(3, 4) PVPCI_WUR;
/* *val is malloc'd and NUL-terminated (not counted in *len); the caller frees it. */
int pvpci_store_read(struct pvpci_store *st, const char *path, char **val, size_t *len)
	PVPCI_WUR;
int pvpci_store_mkdir(struct pvpci_store *st, const char *path) PVPCI_WUR;
/* Remove the node and everything below; 0 if absent (its parent exists or not). */
int pvpci_store_rm(struct pvpci_store *st, const char *path);
/* Children names: *names is one malloc'd block (array of *n pointers followed by the
 * strings); the caller frees it with free(). */
int pvpci_store_directory(struct pvpci_store *st, const char *path, char ***names,
			  unsigned *n) PVPCI_WUR;

/* Permissions, as xenstore's: entry 0 names the owner (full access) and the access of
 * every domain not listed; the others give one domain's access. Domain 0 always has full
 * access. */
enum pvpci_store_access {
	PVPCI_STORE_NONE = 0,  /* 'n' */
	PVPCI_STORE_READ = 1,  /* 'r' */
	PVPCI_STORE_WRITE = 2, /* 'w' */
	PVPCI_STORE_BOTH = 3,  /* 'b' */
};
struct pvpci_store_perm {
	unsigned domid;
	enum pvpci_store_access access;
};
int pvpci_store_set_perms(struct pvpci_store *st, const char *path,
			  const struct pvpci_store_perm *perms, unsigned n) PVPCI_WUR;
/* Fills up to max entries; *n gets the node's count (may exceed max). */
int pvpci_store_get_perms(struct pvpci_store *st, const char *path,
			  struct pvpci_store_perm *perms, unsigned max, unsigned *n) PVPCI_WUR;
/* The same in xenstore's text form: "n0 r1" or "n0,r1" (space, comma or NUL separated,
 * str_len bytes; str_len 0 = up to the first NUL). */
int pvpci_store_set_perms_str(struct pvpci_store *st, const char *path, const char *str,
			      size_t str_len) PVPCI_WUR;

/* In-process watch (acts as domain 0): fn(opaque, path, token) is called from
 * pvpci_store_process (never from the call that changed the store, so fn may call the
 * store, but not pvpci_store_process), once after registration and on every change at or
 * below path (or on the special event for "@introduceDomain" / "@releaseDomain").
 * (path, token) pairs are unique among in-process watches: -EEXIST. */
typedef void (*pvpci_store_watch_fn)(void *opaque, const char *path, const char *token);
int pvpci_store_watch(struct pvpci_store *st, const char *path, const char *token,
		      pvpci_store_watch_fn fn, void *opaque) PVPCI_WUR;
int pvpci_store_unwatch(struct pvpci_store *st, const char *path, const char *token);

/* Counters for tests and benchmarks. */
struct pvpci_store_stats {
	unsigned nodes;        /* nodes in the tree, "/" included */
	unsigned connections;  /* open client connections */
	unsigned watches;      /* watches registered, in-process ones included */
	unsigned transactions; /* open transactions */
	unsigned long long requests;    /* requests answered */
	unsigned long long events;      /* watch events queued */
	unsigned long long dropped;     /* connections dropped for protocol violations */
};
void pvpci_store_get_stats(const struct pvpci_store *st, struct pvpci_store_stats *s);

#endif
