/* SPDX-License-Identifier: MIT */
/*
 * pvpci base: the small things every module uses. A per-context log callback (syslog
 * levels) whose lines name the device and domain, a token-bucket rate limiter for anything
 * a guest can trigger, a monotonic clock, errno names, and a rangeset (sorted, merged
 * inclusive ranges of 64-bit numbers) used for frame ranges and resource permissions.
 */
#ifndef PVPCI_BASE_H
#define PVPCI_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PVPCI_WUR __attribute__((warn_unused_result))
#define PVPCI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PVPCI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Log levels are syslog's. */
enum pvpci_log_level {
	PVPCI_LOG_ERR = 3,
	PVPCI_LOG_WARNING = 4,
	PVPCI_LOG_NOTICE = 5,
	PVPCI_LOG_INFO = 6,
	PVPCI_LOG_DEBUG = 7,
};

typedef void (*pvpci_log_fn)(void *opaque, int level, const char *line);

/* A log context: where lines go, the highest level kept, and a prefix naming the object
 * (for example "d1 0000:00:03.0"). A NULL context or NULL fn writes to stderr. */
struct pvpci_log {
	pvpci_log_fn fn;
	void *opaque;
	int max_level;
	char prefix[48];
};

void pvpci_log_init(struct pvpci_log *lg, const struct pvpci_log *parent,
		    const char *prefix_fmt, ...) PVPCI_PRINTF(3, 4);
void pvpci_logf(const struct pvpci_log *lg, int level, const char *fmt, ...)
	PVPCI_PRINTF(3, 4);
void pvpci_vlogf(const struct pvpci_log *lg, int level, const char *fmt, va_list ap);
/* A log callback that appends lines to a FILE * given as opaque. */
void pvpci_log_to_file(void *opaque, int level, const char *line);

/* Token bucket: at most `burst` events per `interval_ns`; the rest are counted as
 * suppressed and reported by the next event that passes. */
struct pvpci_ratelimit {
	uint64_t interval_ns;
	unsigned burst;
	uint64_t window_start;
	unsigned used;
	unsigned suppressed;
};
#define PVPCI_RATELIMIT_INIT(interval_ms, burst_) \
	{ (uint64_t)(interval_ms) * 1000000u, (burst_), 0, 0, 0 }
/* Returns true if the event may be logged; *suppressed (optional) gets the number of
 * events dropped since the last one that passed. */
bool pvpci_ratelimit(struct pvpci_ratelimit *rl, unsigned *suppressed);
/* Log through a rate limiter: the line is dropped when over the limit. */
void pvpci_logf_rl(const struct pvpci_log *lg, struct pvpci_ratelimit *rl, int level,
		   const char *fmt, ...) PVPCI_PRINTF(4, 5);

uint64_t pvpci_now_ns(void);

/* Short name of a negative errno for messages ("invalid offset" style names live with
 * the module that gives them meaning). */
const char *pvpci_errname(int neg_errno);

/* accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) for a level-triggered poll loop that must not spin
 * when the process is out of file descriptors: on EMFILE / ENFILE the pending connection
 * is shed by closing the spare fd, accepting and closing it, and opening the spare again.
 * *spare holds an fd on /dev/null (-1 at first: opened on the first call). Returns the new
 * fd, or a negative errno (-EAGAIN: nothing pending; -EMFILE: one connection was shed). */
int pvpci_accept(int listen_fd, int *spare);
/* Raises the soft RLIMIT_NOFILE to the hard limit (daemons serving many guests). */
void pvpci_raise_fd_limit(void);

/* Parse an unsigned number, hex with 0x or decimal, the whole string, at most max. */
int pvpci_parse_u64(const char *s, uint64_t max, uint64_t *out) PVPCI_WUR;

/* Rangeset: a sorted set of disjoint, non-adjacent inclusive ranges [s, e]. */
struct pvpci_range {
	uint64_t s, e;
};
struct pvpci_rangeset {
	struct pvpci_range *r;
	size_t n, cap;
	size_t limit; /* maximum number of ranges, 0 = unlimited */
};
void pvpci_rangeset_init(struct pvpci_rangeset *rs, size_t limit);
void pvpci_rangeset_fini(struct pvpci_rangeset *rs);
void pvpci_rangeset_clear(struct pvpci_rangeset *rs);
int pvpci_rangeset_add(struct pvpci_rangeset *rs, uint64_t s, uint64_t e) PVPCI_WUR;
int pvpci_rangeset_remove(struct pvpci_rangeset *rs, uint64_t s, uint64_t e) PVPCI_WUR;
bool pvpci_rangeset_contains(const struct pvpci_rangeset *rs, uint64_t s, uint64_t e);
bool pvpci_rangeset_overlaps(const struct pvpci_rangeset *rs, uint64_t s, uint64_t e);
bool pvpci_rangeset_is_empty(const struct pvpci_rangeset *rs);
/* Calls fn for each range in order; stops at and returns the first non-zero result. */
int pvpci_rangeset_for_each(const struct pvpci_rangeset *rs,
			    int (*fn)(void *arg, uint64_t s, uint64_t e), void *arg);

#endif
