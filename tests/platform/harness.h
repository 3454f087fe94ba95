/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the local platform: a host daemon in a forked process on a temporary
 * run directory (stopped by closing a pipe, so it also stops if the test dies), domain
 * processes forked with a function to run (they report through their exit status: a
 * failed CHECK prints the line and exits 1), pipes with timeouts to pass numbers
 * between them, and waits that never hang (a child past its deadline is killed).
 */
#ifndef PVPCI_TEST_PLATFORM_HARNESS_H
#define PVPCI_TEST_PLATFORM_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "pvpci/platform.h"

struct th_host {
	char dir[64];
	pid_t pid;
	int stop_fd; /* write end: closing it stops the host */
};

/* Start a host (cfg may be NULL; its run_dir is replaced by a fresh temp dir). */
int th_host_start(struct th_host *h, const struct pvpci_host_config *cfg);
/* Stop it, wait for it (killed after 5 s) and remove the directory. Returns the host's
 * exit status (0 = clean). */
int th_host_stop(struct th_host *h);

/* Open a handle as domid on h (no_store unless store is true). */
struct pvpci_platform *th_open(const struct th_host *h, unsigned domid, bool store);
/* The same with a spin time for pvpci_evtchn_wait (0 = default). */
struct pvpci_platform *th_open_spin(const struct th_host *h, unsigned domid, bool store,
				    uint64_t spin_ns);

/* Fork a child running fn(arg); its return value is the exit status. */
pid_t th_spawn(int (*fn)(void *arg), void *arg);
/* Wait for a child up to timeout_ms; kill it past that. Returns its exit status, or -1
 * if it was killed / died of a signal. */
int th_join(pid_t pid, int timeout_ms);

/* Numbers through a pipe; recv gives up after timeout_ms (returns -1). */
int th_send(int fd, uint32_t v);
int th_recv(int fd, uint32_t *v, int timeout_ms);

/* In children: a failed check reports and exits. */
#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                 \
			fflush(stderr);                                                 \
			_exit(1);                                                       \
		}                                                                       \
	} while (0)
#define CHECK_EQ(a, b)                                                                  \
	do {                                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);                     \
		if (a_ != b_) {                                                         \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",    \
				__FILE__, __LINE__, #a, a_, #b, b_);                    \
			fflush(stderr);                                                 \
			_exit(1);                                                       \
		}                                                                       \
	} while (0)

#endif
