/* SPDX-License-Identifier: MIT */
/*
 * Store test fixture: a pvpci store served by a thread of the test on sockets in a
 * temporary directory (domain 0 and guest domains 1, 2, 3, each owning
 * /local/domain/<id>), small guest quotas, libxenstore handles opened as a given domain
 * through XENSTORED_PATH, a bounded wait for watch events and a raw socket for the
 * malformed-message tests.
 */
#ifndef PVPCI_TEST_STORE_FIXTURE_H
#define PVPCI_TEST_STORE_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "pvpci/store.h"

#define FX_QUOTA_NODES 30
#define FX_QUOTA_VALUE 64
#define FX_QUOTA_WATCHES 4
#define FX_QUOTA_TX 2
#define FX_QUOTA_CONNS 3

struct fx {
	char dir[64];
	struct pvpci_store *st;
	pthread_t thr;
	atomic_bool stop;
	bool running;
	struct xs_handle *h[8];
	unsigned nh;
};

int fx_setup(void **state);
int fx_teardown(void **state);
/* Stop the server thread (to inspect the store from the test thread). */
void fx_stop(struct fx *f);
/* A libxenstore handle connected as domid (closed by the teardown). */
struct xs_handle *fx_open(struct fx *f, unsigned domid);
/* The next watch event within ms milliseconds (free() it), or NULL. */
char **fx_event(struct xs_handle *h, int ms);
/* Waits for the event of `path`, skipping none: asserts the next event is it. */
void fx_expect_event(struct xs_handle *h, const char *path, const char *token);

/* Raw protocol access (for malformed input only). */
int fx_raw_connect(struct fx *f, unsigned domid);
int fx_raw_send(int fd, uint32_t type, uint32_t req, uint32_t tx, const void *p, uint32_t len);
/* Reads one message: 0, or -1 if the connection was closed / nothing came in ms. */
int fx_raw_recv(int fd, uint32_t *type, char *buf, size_t max, uint32_t *len, int ms);

#endif
