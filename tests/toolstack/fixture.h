/* SPDX-License-Identifier: MIT */
/*
 * Toolstack test fixture: a local-platform host daemon served by a thread of the test on
 * a temporary run directory, a control-domain handle for the toolstack and another for
 * the test's own reads, one guest domain, helpers to read nodes and permissions, to play
 * the guest's connect, and a simulated backend (a thread with its own handle watching the
 * backend directory) that answers Reconfiguring (7) the way pciback and pcifront do
 * together (frontend 7, per-device export / removal, backend 8, frontend 4, backend 4)
 * and, when asked, Closing (5) with Closed (6). Every wait is bounded.
 */
#ifndef PVPCI_TEST_TOOLSTACK_FIXTURE_H
#define PVPCI_TEST_TOOLSTACK_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <xenstore.h>

#include "pvpci/platform.h"
#include "pvpci/toolstack.h"

#define TFX_BE 0u /* backend domain */

struct besim {
	pthread_t thr;
	bool running;
	struct pvpci_platform *plat;
	struct xs_handle *xs;
	char be[128], fe[128];
	atomic_bool stop;
	bool answer_reconf;   /* 7 -> ... -> 4 */
	bool answer_close;    /* 5 -> 6 */
	/* What the backend saw (read by the test after stopping it). */
	atomic_int reconfs;   /* Reconfiguring handshakes answered */
	atomic_int closes;    /* Closing answered */
	atomic_int exported;  /* state-N 1 -> 3 */
	atomic_int removed;   /* state-N 5 seen */
	char seen_online[8];  /* "online" when Closing was seen */
};

struct tfx {
	char dir[64];
	struct pvpci_host *host;
	pthread_t thr;
	int stop_fd;
	struct pvpci_platform *plat, *plat2;
	struct xs_handle *xs;  /* the toolstack's */
	struct xs_handle *rd;  /* the test's */
	unsigned guest, guest2;
	struct pvpci_ts_err err;
	struct besim sim;
};

int tfx_setup(void **state);
int tfx_teardown(void **state);

/* A node's value (static buffer, "" + ok=false when absent). */
const char *tfx_read(struct tfx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool tfx_exists(struct tfx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tfx_write(struct tfx *f, const char *path, const char *val);
/* Permissions as "n1,r0" (owner first). */
const char *tfx_perms(struct tfx *f, const char *path);
/* Sorted, comma-separated children names ("" if none / absent). */
const char *tfx_children(struct tfx *f, const char *path);
/* Paths of the guest's device. */
void tfx_be(struct tfx *f, unsigned domid, char *buf, size_t len);
void tfx_fe(struct tfx *f, unsigned domid, char *buf, size_t len);
/* Publish host devices (BDF strings). */
void tfx_host(struct tfx *f, const char *const *bdfs, size_t n);
/* The guest connects as after a handshake: cold entries exported (vdev-N, state-N=3),
 * frontend 4, backend 4. */
void tfx_connect(struct tfx *f, unsigned domid);
/* Wait up to ms for path to read val. */
bool tfx_wait_value(struct tfx *f, const char *path, const char *val, int ms);

/* Start / stop the simulated backend for domid's device. */
void besim_start(struct tfx *f, unsigned domid, bool answer_reconf, bool answer_close);
void besim_stop(struct tfx *f);

#endif
