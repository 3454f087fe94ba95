/* SPDX-License-Identifier: MIT */
/*
 * Connections and sockets. Each domain's UNIX socket is a listener; an accepted
 * connection belongs to the listener's domain. Input is read into a fixed private buffer
 * and cut into whole messages (a header announcing more than XENSTORE_PAYLOAD_MAX drops
 * the connection, as xenstored does); replies and watch events go to a per-connection
 * queue that is written out with sendmsg. A connection whose queue reaches its limit is
 * not read from until the client catches up, and events beyond twice the limit are
 * dropped, so a client that never reads costs bounded memory. Everything is non-blocking
 * and driven by the store's epoll fd; connections and listeners that die while events
 * for them may still be pending are freed at the end of the round.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "store_int.h"

#define MSGS_PER_ROUND 64 /* messages handled from one connection per wake-up */
#define IOV_BATCH 32

unsigned conn_out_limit(const struct conn *conn)
{
	unsigned q = conn->st->q.outstanding ? conn->st->q.outstanding : 1;

	return conn->domid == 0 ? q * 16 : q;
}

static void conn_epoll_update(struct conn *conn)
{
	struct epoll_event ev = { .data.ptr = &conn->ep };

	ev.events = (conn->paused ? 0 : EPOLLIN) | (conn->want_out ? EPOLLOUT : 0);
	epoll_ctl(conn->st->epfd, EPOLL_CTL_MOD, conn->fd, &ev);
}

int conn_new(struct pvpci_store *st, unsigned domid, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct domain *dom = domain_get(st, domid, true);
	struct conn *conn;
	int fl = fcntl(fd, F_GETFL);

	if (!dom)
		return -ENOMEM;
	if (domid != 0 && dom->conns >= st->q.conn_per_domain)
		return -EMFILE;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return -ENOMEM;
	conn->ep.kind = EP_CONN;
	conn->st = st;
	conn->fd = fd;
	conn->domid = domid;
	ev.data.ptr = &conn->ep;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(conn);
		return rc;
	}
	conn->next = st->conns;
	st->conns = conn;
	dom->conns++;
	st->stats.connections++;
	return 0;
}

static void out_free_all(struct conn *conn)
{
	while (conn->out_head) {
		struct outmsg *m = conn->out_head;

		conn->out_head = m->next;
		free(m);
	}
	conn->out_tail = NULL;
	conn->out_count = 0;
	conn->out_off = 0;
}

void conn_kill(struct conn *conn, const char *why)
{
	struct pvpci_store *st = conn->st;
	struct domain *dom;
	struct conn **pp;

	if (conn->ep.dead)
		return;
	GUEST_LOG(st, PVPCI_LOG_DEBUG, "d%u: connection closed: %s", conn->domid, why);
	epoll_ctl(st->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	conn->fd = -1;
	while (conn->txs)
		tx_free(st, conn->txs);
	watch_del_conn(st, conn);
	out_free_all(conn);
	for (pp = &st->conns; *pp; pp = &(*pp)->next) {
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	}
	for (pp = &st->dirty; *pp; pp = &(*pp)->dirty_next) {
		if (*pp == conn) {
			*pp = conn->dirty_next;
			break;
		}
	}
	dom = domain_get(st, conn->domid, false);
	if (dom && dom->conns)
		dom->conns--;
	st->stats.connections--;
	conn->ep.dead = true;
	conn->ep.grave_next = st->grave;
	st->grave = &conn->ep;
}

void conn_reap(struct pvpci_store *st)
{
	while (st->grave) {
		struct ep_item *it = st->grave;

		st->grave = it->grave_next;
		if (it->kind == EP_LISTENER) {
			struct listener *l = (struct listener *)it;

			free(l->path);
			free(l);
		} else if (it->kind == EP_CONN) {
			free(it);
		}
	}
}

static void conn_mark_dirty(struct conn *conn)
{
	if (conn->dirty)
		return;
	conn->dirty = true;
	conn->dirty_next = conn->st->dirty;
	conn->st->dirty = conn;
}

int conn_queue(struct conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
	       const void *p1, size_t l1, const void *p2, size_t l2)
{
	struct xsp_hdr h = { type, req_id, tx_id, (uint32_t)(l1 + l2) };
	struct outmsg *m;

	if (l1 + l2 > XSP_PAYLOAD_MAX)
		return -E2BIG;
	m = malloc(sizeof(*m) + sizeof(h) + l1 + l2);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = sizeof(h) + l1 + l2;
	memcpy(m->buf, &h, sizeof(h));
	if (l1)
		memcpy(m->buf + sizeof(h), p1, l1);
	if (l2)
		memcpy(m->buf + sizeof(h) + l1, p2, l2);
	if (conn->out_tail)
		conn->out_tail->next = m;
	else
		conn->out_head = m;
	conn->out_tail = m;
	conn->out_count++;
	conn_mark_dirty(conn);
	return 0;
}

int conn_queue_event(struct conn *conn, const char *path, size_t plen, const char *token)
{
	size_t tlen = strlen(token);
	char *buf;
	int rc;

	if (conn->ep.dead)
		return -EPIPE;
	if (plen + tlen + 2 > XSP_PAYLOAD_MAX || conn->out_count >= 2 * conn_out_limit(conn)) {
		GUEST_LOG(conn->st, PVPCI_LOG_WARNING,
			  "d%u: watch event dropped (queue %u, size %zu)", conn->domid,
			  conn->out_count, plen + tlen + 2);
		return -ENOSPC;
	}
	buf = malloc(plen + tlen + 2);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, path, plen);
	buf[plen] = '\0';
	memcpy(buf + plen + 1, token, tlen + 1);
	rc = conn_queue(conn, XSP_WATCH_EVENT, 0, 0, buf, plen + tlen + 2, NULL, 0);
	free(buf);
	return rc;
}

/* Handle the whole messages waiting in the input buffer. */
static int conn_parse(struct conn *conn)
{
	size_t off = 0;
	int handled = 0;

	while (!conn->paused && conn->in_used - off >= sizeof(struct xsp_hdr)) {
		struct xsp_hdr h;

		memcpy(&h, conn->in + off, sizeof(h));
		if (h.len > XSP_PAYLOAD_MAX) {
			GUEST_LOG(conn->st, PVPCI_LOG_WARNING,
				  "d%u: message of %u bytes, connection dropped", conn->domid, h.len);
			conn->st->stats.dropped++;
			conn_kill(conn, "oversized message");
			return -EPROTO;
		}
		if (conn->in_used - off < sizeof(h) + h.len)
			break;
		if (wire_handle(conn, &h, (const char *)conn->in + off + sizeof(h)) < 0) {
			conn->st->stats.dropped++;
			conn_kill(conn, "protocol error");
			return -EPROTO;
		}
		if (conn->ep.dead)
			return -EPIPE;
		off += sizeof(h) + h.len;
		handled++;
		if (conn->out_count >= conn_out_limit(conn)) {
			conn->paused = true;
			conn_epoll_update(conn);
		}
	}
	memmove(conn->in, conn->in + off, conn->in_used - off);
	conn->in_used -= off;
	return handled;
}

static void conn_on_read(struct conn *conn)
{
	int handled = 0;

	while (!conn->paused && handled < MSGS_PER_ROUND) {
		size_t room = sizeof(conn->in) - conn->in_used;
		ssize_t n = read(conn->fd, conn->in + conn->in_used, room);
		int rc;

		if (n == 0) {
			conn_kill(conn, "closed by peer");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_kill(conn, "read error");
			return;
		}
		conn->in_used += (size_t)n;
		rc = conn_parse(conn);
		if (rc < 0)
			return;
		handled += rc;
		if ((size_t)n < room)
			break; /* drained for now; level-triggered epoll calls again */
	}
}

static void conn_flush(struct conn *conn)
{
	while (conn->out_head) {
		struct iovec iov[IOV_BATCH];
		struct msghdr mh = { .msg_iov = iov };
		struct outmsg *m = conn->out_head;
		ssize_t n;
		int k = 0;

		for (; m && k < IOV_BATCH; m = m->next, k++) {
			size_t skip = k == 0 ? conn->out_off : 0;

			iov[k].iov_base = m->buf + skip;
			iov[k].iov_len = m->len - skip;
		}
		mh.msg_iovlen = (size_t)k;
		n = sendmsg(conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!conn->want_out) {
					conn->want_out = true;
					conn_epoll_update(conn);
				}
				return;
			}
			conn_kill(conn, "write error");
			return;
		}
		while (n > 0 && conn->out_head) {
			m = conn->out_head;
			if ((size_t)n < m->len - conn->out_off) {
				conn->out_off += (size_t)n;
				break;
			}
			n -= (ssize_t)(m->len - conn->out_off);
			conn->out_off = 0;
			conn->out_head = m->next;
			if (!conn->out_head)
				conn->out_tail = NULL;
			conn->out_count--;
			free(m);
		}
	}
	if (conn->want_out || conn->paused) {
		conn->want_out = false;
		if (conn->paused && conn->out_count < conn_out_limit(conn)) {
			conn->paused = false;
			conn_epoll_update(conn);
			if (conn_parse(conn) >= 0)
				conn_mark_dirty(conn);
			return;
		}
		conn_epoll_update(conn);
	}
}

void conn_flush_all(struct pvpci_store *st)
{
	while (st->dirty) {
		struct conn *conn = st->dirty;

		st->dirty = conn->dirty_next;
		conn->dirty = false;
		if (!conn->ep.dead)
			conn_flush(conn);
	}
}

int listener_new(struct pvpci_store *st, unsigned domid, const char *path,
		 struct listener **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct listener *l;
	struct stat sb;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			return -EEXIST;
		unlink(path);
	}
	strcpy(sa.sun_path, path);
	l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		goto fail;
	}
	l->ep.kind = EP_LISTENER;
	l->fd = fd;
	l->domid = domid;
	ev.data.ptr = &l->ep;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(l->path);
	free(l);
	return rc;
}

void listener_kill(struct pvpci_store *st, struct listener *l)
{
	if (l->ep.dead)
		return;
	epoll_ctl(st->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	unlink(l->path);
	l->ep.dead = true;
	l->ep.grave_next = st->grave;
	st->grave = &l->ep;
}

static void listener_accept(struct pvpci_store *st, struct listener *l)
{
	for (int i = 0; i < 16; i++) {
		int fd = pvpci_accept(l->fd, &st->spare_fd);
		int rc;

		if (fd == -EMFILE)
			GUEST_LOG(st, PVPCI_LOG_WARNING, "d%u: connection shed: out of fds",
				  l->domid);
		if (fd < 0)
			return;
		rc = conn_new(st, l->domid, fd);
		if (rc) {
			GUEST_LOG(st, PVPCI_LOG_WARNING, "d%u: connection refused: %s", l->domid,
				  rc == -EMFILE ? "connection limit reached" : pvpci_errname(rc));
			close(fd);
		}
	}
}

int conn_handle_event(struct pvpci_store *st, struct ep_item *it, uint32_t events)
{
	uint64_t cnt;

	switch (it->kind) {
	case EP_LISTENER:
		listener_accept(st, (struct listener *)it);
		break;
	case EP_CONN: {
		struct conn *conn = (struct conn *)it;

		if (events & EPOLLOUT)
			conn_flush(conn);
		if (!conn->ep.dead && conn->paused && (events & (EPOLLHUP | EPOLLERR)))
			conn_kill(conn, "hung up");
		if (!conn->ep.dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			conn_on_read(conn);
		break;
	}
	case EP_LOCAL:
		if (read(st->evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			return -errno;
		watch_run_local(st);
		break;
	}
	return 0;
}
