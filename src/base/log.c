/* SPDX-License-Identifier: MIT */
/*
 * Logging, rate limiting, clock and errno names for every pvpci module. A log context
 * carries a callback and a prefix naming the object it speaks for, so a line always says
 * which device and which domain it is about; guest-triggered lines go through a rate
 * limiter so a hostile guest cannot flood the host's log.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvpci/base.h"

void pvpci_log_init(struct pvpci_log *lg, const struct pvpci_log *parent,
		    const char *prefix_fmt, ...)
{
	va_list ap;

	memset(lg, 0, sizeof(*lg));
	if (parent) {
		lg->fn = parent->fn;
		lg->opaque = parent->opaque;
		lg->max_level = parent->max_level;
	} else {
		lg->max_level = PVPCI_LOG_NOTICE;
	}
	if (prefix_fmt) {
		va_start(ap, prefix_fmt);
		vsnprintf(lg->prefix, sizeof(lg->prefix), prefix_fmt, ap);
		va_end(ap);
	}
}

static const char *level_name(int level)
{
	switch (level) {
	case PVPCI_LOG_ERR: return "error";
	case PVPCI_LOG_WARNING: return "warning";
	case PVPCI_LOG_NOTICE: return "notice";
	case PVPCI_LOG_INFO: return "info";
	default: return "debug";
	}
}

void pvpci_log_to_file(void *opaque, int level, const char *line)
{
	FILE *f = opaque ? opaque : stderr;

	fprintf(f, "pvpci %s: %s\n", level_name(level), line);
	fflush(f);
}

void pvpci_vlogf(const struct pvpci_log *lg, int level, const char *fmt, va_list ap)
{
	char msg[512];
	char line[600];
	int max = lg ? lg->max_level : PVPCI_LOG_NOTICE;

	if (level > max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (lg && lg->prefix[0])
		snprintf(line, sizeof(line), "%s: %s", lg->prefix, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);
	if (lg && lg->fn)
		lg->fn(lg->opaque, level, line);
	else
		pvpci_log_to_file(stderr, level, line);
}

void pvpci_logf(const struct pvpci_log *lg, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pvpci_vlogf(lg, level, fmt, ap);
	va_end(ap);
}

uint64_t pvpci_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool pvpci_ratelimit(struct pvpci_ratelimit *rl, unsigned *suppressed)
{
	uint64_t now = pvpci_now_ns();

	if (suppressed)
		*suppressed = 0;
	if (rl->window_start == 0 || now - rl->window_start >= rl->interval_ns) {
		rl->window_start = now;
		rl->used = 0;
	}
	if (rl->used < rl->burst) {
		rl->used++;
		if (suppressed)
			*suppressed = rl->suppressed;
		rl->suppressed = 0;
		return true;
	}
	rl->suppressed++;
	return false;
}

void pvpci_logf_rl(const struct pvpci_log *lg, struct pvpci_ratelimit *rl, int level,
		   const char *fmt, ...)
{
	va_list ap;
	unsigned dropped;

	if (lg && level > lg->max_level)
		return;
	if (!pvpci_ratelimit(rl, &dropped))
		return;
	if (dropped)
		pvpci_logf(lg, level, "(%u similar messages suppressed)", dropped);
	va_start(ap, fmt);
	pvpci_vlogf(lg, level, fmt, ap);
	va_end(ap);
}

const char *pvpci_errname(int neg_errno)
{
	switch (-neg_errno) {
	case 0: return "success";
	case EINVAL: return "invalid argument";
	case EACCES: return "access denied";
	case EPERM: return "not permitted";
	case ENODEV: return "no such device";
	case ENOENT: return "not found";
	case ENOSYS: return "not implemented";
	case EIO: return "I/O error";
	case ENOMEM: return "out of memory";
	case ENOSPC: return "no space";
	case EEXIST: return "already exists";
	case EALREADY: return "already enabled";
	case EBUSY: return "busy";
	case ERANGE: return "out of range";
	case ETIMEDOUT: return "timed out";
	case EAGAIN: return "try again";
	case ELOOP: return "loop detected";
	case ENXIO: return "not available";
	case EOPNOTSUPP: return "not supported";
	case E2BIG: return "too big";
	default: return strerror(-neg_errno);
	}
}

int pvpci_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int pvpci_accept(int listen_fd, int *spare)
{
	int fd;

	if (*spare < 0)
		*spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	if ((errno != EMFILE && errno != ENFILE) || *spare < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	close(*spare); /* out of fds: free one, take the connection off the queue, drop it */
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	*spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return -EMFILE;
}

void pvpci_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
