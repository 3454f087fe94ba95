/* SPDX-License-Identifier: MIT */
/*
 * The local platform's socket plumbing, shared by the joined processes and the host
 * daemon: one message per sendmsg / recvmsg on a SOCK_SEQPACKET socket with fds passed
 * as SCM_RIGHTS, the checks on a page memfd received from another process (sealed, one
 * page) and the run directory's socket paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"

int lp_send(int sock, const void *buf, size_t len, const int *fds, unsigned nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LP_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > LP_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EPROTO;
		if (errno != EINTR)
			return -errno;
	}
}

void lp_close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Collects the fds of every SCM_RIGHTS header: up to max kept, the rest closed. */
static unsigned take_fds(struct msghdr *msg, int *fds, unsigned max)
{
	unsigned got = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < max)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	return got;
}

int lp_recv(int sock, void *buf, size_t *len, int *fds, unsigned *nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LP_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = *len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	unsigned max = nfds ? *nfds : 0;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	unsigned got = take_fds(&msg, fds ? fds : (int[1]){ -1 }, fds ? max : 0);
	if (nfds)
		*nfds = got;
	if (n == 0) {
		if (fds)
			lp_close_fds(fds, got);
		return -ECONNRESET;
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (fds)
			lp_close_fds(fds, got);
		if (nfds)
			*nfds = 0;
		return -EPROTO;
	}
	*len = (size_t)n;
	return 0;
}

int lp_check_page_memfd(int fd)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	int need = F_SEAL_SHRINK | F_SEAL_GROW;

	if (seals < 0 || (seals & need) != need)
		return -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != EVR_SIZE)
		return -EINVAL;
	return 0;
}

int lp_new_page_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, EVR_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int lp_sock_path(char *buf, size_t len, const char *run_dir, unsigned domid, bool store)
{
	int n;

	if (domid == 0)
		n = snprintf(buf, len, "%s/%s", run_dir,
			     store ? "xenstored/socket" : "platform.sock");
	else
		n = snprintf(buf, len, "%s/domains/%u/%s", run_dir, domid,
			     store ? "xenstored.sock" : "platform.sock");
	if (n < 0 || (size_t)n >= len || (size_t)n >= 108)
		return -ENAMETOOLONG;
	return 0;
}
