/* SPDX-License-Identifier: MIT */
/*
 * The commands' shared plumbing: run directory, local control sockets
 * (SOCK_SEQPACKET: one request, one answer, descriptors passed with SCM_RIGHTS), the stop
 * signalfd, joining the platform as the control domain and DOMID resolution. See ctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "pvpci/base.h"
#include "pvpci/pciif.h"
#include "pvpci/platform.h"
#include "pvpci/source.h"

#define CTL_MAX_FDS 4

const char *const ctl_kind_names[3] = { [PVPCI_IRQ_INTX] = "intx", [PVPCI_IRQ_MSI] = "msi",
					[PVPCI_IRQ_MSIX] = "msix" };
const char *const ctl_stage_names[4] = { "detected", "mmio", "slotreset", "resume" };
const char *const ctl_channel_names[4] = { [PVPCI_AER_CHANNEL_NORMAL] = "normal",
					   [PVPCI_AER_CHANNEL_FROZEN] = "frozen",
					   [PVPCI_AER_CHANNEL_PERM_FAILURE] = "perm_failure" };

int ctl_lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int ctl_run_dir(const char *cmd, const char *dir, char *buf, size_t len)
{
	int r = dir ? (snprintf(buf, len, "%s", dir) < (int)len ? 0 : -ENAMETOOLONG)
		    : pvpci_run_dir_default(buf, len);

	if (r < 0)
		fprintf(stderr, "pvpci %s: no run directory: %s (give --run-dir DIR or set "
				"PVPCI_RUN_DIR)\n", cmd, strerror(-r));
	return r;
}

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, r = addr_of(path, &sa);

	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, r = addr_of(path, &sa);

	if (r)
		return r;
	fd = ctl_connect(path);
	if (fd >= 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path); /* stale (its owner died) */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	mode_t old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctl_accept(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int ctl_send(int fd, const void *buf, size_t len, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > CTL_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Keep up to *nfds passed descriptors, close the rest. */
static void take_fds(struct msghdr *m, int *fds, size_t *nfds)
{
	size_t want = nfds ? *nfds : 0, got = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int tmp[CTL_MAX_FDS * 4];

		if (k > PVPCI_ARRAY_SIZE(tmp))
			k = PVPCI_ARRAY_SIZE(tmp);
		memcpy(tmp, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (got < want)
				fds[got++] = tmp[i];
			else
				close(tmp[i]);
		}
	}
	if (nfds)
		*nfds = got;
}

int ctl_recv(int fd, char *buf, size_t cap, int *fds, size_t *nfds, int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS * 4)];
	struct iovec iov = { buf, cap - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	take_fds(&m, fds, nfds);
	if (m.msg_flags & MSG_TRUNC) {
		for (size_t i = 0; nfds && i < *nfds; i++)
			close(fds[i]);
		if (nfds)
			*nfds = 0;
		return -EMSGSIZE;
	}
	buf[n] = 0;
	return (int)n;
}

int ctl_stop_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int ctl_open(const char *cmd, const char *run_dir, bool xen, bool no_store,
	     struct pvpci_platform **p)
{
	struct pvpci_platform_config cfg = { .run_dir = run_dir, .no_store = no_store };
	int r = pvpci_platform_open(xen ? "xen" : "local", &cfg, p);

	if (r < 0 && xen)
		fprintf(stderr, "pvpci %s: cannot open the xen platform: %s\n", cmd, strerror(-r));
	else if (r < 0)
		fprintf(stderr, "pvpci %s: no pvpci host serves %s: %s\n", cmd, run_dir,
			strerror(-r));
	return r;
}

int ctl_domid_on(const char *cmd, struct pvpci_platform *p, const char *arg, unsigned *domid)
{
	uint64_t v;
	int r;

	if (pvpci_parse_u64(arg, PVPCI_DOMID_MAX, &v) == 0) {
		*domid = (unsigned)v;
		return 0;
	}
	r = pvpci_domain_lookup(p, arg, domid);
	if (r < 0)
		fprintf(stderr, "pvpci %s: %s: %s\n", cmd, arg,
			r == -ENOENT ? "no such domain" : strerror(-r));
	return r;
}

int ctl_domid(const char *cmd, const char *run_dir, const char *arg, unsigned *domid)
{
	struct pvpci_platform *p;
	uint64_t v;
	int r;

	if (pvpci_parse_u64(arg, PVPCI_DOMID_MAX, &v) == 0) {
		*domid = (unsigned)v;
		return 0;
	}
	r = ctl_open(cmd, run_dir, false, true, &p);
	if (r < 0)
		return r;
	r = ctl_domid_on(cmd, p, arg, domid);
	pvpci_platform_close(p);
	return r;
}
