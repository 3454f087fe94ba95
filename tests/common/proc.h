/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the multi-process tests (platform, protocol, vpci-local): children
 * forked with a function to run (reporting through their exit status; a failed TC_CHECK
 * prints the line and exits 1; a child never outlives the test), waits that never hang
 * (a child past its deadline is killed), numbers through pipes with timeouts, and a
 * local-platform host daemon in a forked process on a fresh run directory (stopped by
 * closing a pipe, so it also stops if the test dies).
 */
#ifndef PVPCI_TEST_COMMON_PROC_H
#define PVPCI_TEST_COMMON_PROC_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "pvpci/platform.h"

#define TC_TIMEOUT_MS 5000

/* In children: a failed check prints and exits 1. */
#define TC_CHECK(cond)                                                                  \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                 \
			fflush(stderr);                                                 \
			_exit(1);                                                       \
		}                                                                       \
	} while (0)
#define TC_CHECK_EQ(a, b)                                                               \
	do {                                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);                     \
		if (a_ != b_) {                                                         \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",    \
				__FILE__, __LINE__, #a, a_, #b, b_);                    \
			fflush(stderr);                                                 \
			_exit(1);                                                       \
		}                                                                       \
	} while (0)

void tc_sleep_ms(int ms);
/* Fork a child running fn(arg); its return value is the exit status. */
pid_t tc_spawn(int (*fn)(void *arg), void *arg);
/* Wait for a child up to timeout_ms; kill it past that. Returns its exit status, or -1
 * if it was killed / died of a signal. */
int tc_join(pid_t pid, int timeout_ms);

/* Numbers through a pipe; recv gives up after timeout_ms (returns -1). */
int tc_send(int fd, uint32_t v);
int tc_recv(int fd, uint32_t *v, int timeout_ms);

struct tc_host {
	char dir[64];
	pid_t pid;
	int stop_fd; /* write end: closing it stops the host */
};

/* Start a host (cfg may be NULL; its run_dir is replaced by a fresh temp dir). */
int tc_host_start(struct tc_host *h, const struct pvpci_host_config *cfg);
/* Stop it, wait for it (killed after TC_TIMEOUT_MS) and remove the directory. Returns
 * the host's exit status (0 = clean). */
int tc_host_stop(struct tc_host *h);

#endif
