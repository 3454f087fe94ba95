/* SPDX-License-Identifier: MIT */
/*
 * Private parts of the local platform's vPCI ioreq server: the server (its platform
 * handle, the guests it serves), one guest (backend / frontend paths, the devices it holds
 * with their guest addresses, its vpci domain with the mapping table and PIRQ bindings,
 * the connection: the mapped ioreq page and the bound event channel) and the calls
 * between server.c (store, guests, devices), server_io.c (connection, requests, the
 * platform ops) and server_xs.c (bounded store helpers).
 */
#ifndef PVPCI_VPCI_SERVER_INT_H
#define PVPCI_VPCI_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

#include "pvpci/platform.h"
#include "pvpci/vpci.h"

#define VS_PATH_MAX 160
#define VS_VAL_MAX 256
#define VS_MAX_DEVS 256     /* entries per guest (32 slots x 8 functions) */
#define VS_MAX_IRQS 1024    /* PIRQ handles per guest */
#define VS_EVENTS_PER_TURN 64
#define VS_TX_RETRIES 32

/* A device the guest holds (acquired from the provider). */
struct vs_dev {
	struct pvpci_sbdf host;
	struct pvpci_source *src;
	struct pvpci_sbdf guest;
	bool seen; /* still wanted by the last scan */
};

/* One interrupt handle: a PIRQ allocated for the guest. */
struct vs_irq {
	bool used;
	bool masked;
	unsigned pirq;
	char node[48]; /* its store node under pirq/ */
};

struct vs_guest {
	struct pvpci_vpci_server *s;
	struct vs_guest *next;
	unsigned domid;
	char be[VS_PATH_MAX];   /* the backend directory */
	char fe[VS_PATH_MAX];   /* the frontend directory */
	char token[32];         /* watch token of the frontend directory */
	bool fe_watched;
	struct pvpci_log log;
	struct pvpci_ratelimit rl;
	/* vpci: exists while the guest holds devices */
	struct pvpci_vpci_domain *dom;
	struct pvpci_vpci_host *table; /* the mapping table (what the p2m would hold) */
	struct vs_dev devs[VS_MAX_DEVS];
	size_t ndevs;
	bool devs_synced;       /* the dev-N entries were read at least once */
	struct vs_irq *irqs;    /* VS_MAX_IRQS, allocated with the guest */
	unsigned nirqs;
	/* the connection */
	bool connected;
	void *page;             /* the guest's ioreq page, mapped */
	unsigned port;          /* our end of the guest's event channel */
	/* counters */
	uint64_t requests, failed, spurious;
};

struct pvpci_vpci_server {
	struct pvpci_platform *plat;
	struct xs_handle *xs;
	unsigned domid;          /* the backend domain */
	struct pvpci_vpci_server_opts o;
	struct pvpci_log log;
	char root[VS_PATH_MAX];  /* PVPCI_VPCI_BE_ALL_FMT */
	bool started;
	struct vs_guest *guests; /* domid order */
};

/* ---- server_xs.c: store helpers (0 or a negative errno) ---- */
/* Reads a node into buf (NUL-terminated): -ENOENT absent, -E2BIG too long or holding a
 * NUL byte. */
int vs_read(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf,
	    size_t cap);
/* Decimal digits only (at most 10), at most max: -EINVAL otherwise. */
int vs_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *path, uint64_t max,
		 uint64_t *out);
/* A XenbusState node: 0..8, or -1 (absent or not a state). */
int vs_read_state(struct xs_handle *xs, xs_transaction_t t, const char *path);
int vs_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *fmt, ...)
	PVPCI_PRINTF(4, 5);
int vs_rm(struct xs_handle *xs, xs_transaction_t t, const char *path);
/* "<dir>/<key>-<n>". */
void vs_key(char *buf, size_t cap, const char *dir, const char *key, unsigned n);

/* ---- server_io.c ---- */
/* The ops the guest's vpci domain gets (opaque: the vs_guest). */
extern const struct pvpci_vpci_ops vs_ops;
/* Maps the page, binds the channel named by the frontend: 0, or a negative errno with a
 * reason in why. */
int vs_connect(struct vs_guest *g, char *why, size_t wlen);
void vs_disconnect(struct vs_guest *g);
/* Serves the guest's slot after an event on its port. */
void vs_serve(struct vs_guest *g);
/* Drops every PIRQ node of the guest (after its domain is gone). */
void vs_irqs_clear(struct vs_guest *g);

#endif
