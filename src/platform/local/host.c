/* SPDX-License-Identifier: MIT */
/*
 * The local platform's host daemon: owns a run directory (flock'd), embeds the store
 * (control domain socket DIR/xenstored/socket, one per guest), and serves each domain's
 * platform socket (SOCK_SEQPACKET). A connection's domain is the socket it came in on.
 * One event loop (epoll) handles the store, new connections and requests; each request
 * is one fixed-size message answered by one message, looked up in a table that says
 * which ops need the control domain and how many fds come with it. A client that breaks
 * the protocol or does not read its answers is disconnected (rate-limited log).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "host.h"

struct hout {
	struct lp_rsp rsp;
	char extra[LP_MSG_MAX - sizeof(struct lp_rsp)];
	size_t extra_len;
	int fds[LP_MAX_FDS]; /* closed after sending */
	unsigned nfds;
	bool hang_up;        /* close the connection once answered */
};

struct hdom *host_dom(struct pvpci_host *h, unsigned domid)
{
	for (struct hdom *d = h->doms; d; d = d->next)
		if (d->domid == domid && !d->dying)
			return d;
	return NULL;
}

/* ---- connections ---------------------------------------------------------------- */

void host_conn_close(struct pvpci_host *h, struct hconn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	host_evt_conn_gone(h, c);
	host_gnt_conn_gone(h, c);
	close(c->fd);
	c->fd = -1;
	c->dom->nconns--;
	for (struct hconn **pp = &h->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = h->grave;
	h->grave = c;
}

static void conn_free(struct hconn *c)
{
	if (c->home)
		munmap(c->home, EVR_SIZE);
	if (c->home_tx >= 0)
		close(c->home_tx);
	if (c->home_spare >= 0)
		close(c->home_spare);
	if (c->bell_fd >= 0)
		close(c->bell_fd);
	free(c->maps);
	free(c);
}

static void accept_conn(struct pvpci_host *h, struct hdom *d)
{
	int fd = pvpci_accept(d->listen_fd, &h->spare_fd);

	if (fd == -EMFILE)
		pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_WARNING,
			      "d%u: connection shed: out of fds", d->domid);
	if (fd < 0)
		return;
	struct hconn *c = d->nconns < h->max_handles ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_WARNING,
			      "d%u: refusing a handle (%u open)", d->domid, d->nconns);
		close(fd);
		return;
	}
	c->src.kind = HSRC_CONN;
	c->src.obj = c;
	c->fd = fd;
	c->dom = d;
	c->home_fd = c->home_tx = c->home_spare = c->bell_fd = -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->src };
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	d->nconns++;
	c->next = h->conns;
	h->conns = c;
}

/* ---- requests --------------------------------------------------------------------- */

static int op_hello(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		    int *in, struct hout *o)
{
	int sp[2];

	if (c->hello || req->u[0] != LP_WIRE_VERSION)
		return -EPROTO;
	int fd = lp_new_page_memfd("pvpci-home");
	if (fd < 0)
		return fd;
	int bell = lp_new_page_memfd("pvpci-bell");
	if (bell < 0) {
		close(fd);
		return bell;
	}
	int bell_dup = fcntl(bell, F_DUPFD_CLOEXEC, 0);
	if (bell_dup < 0 || pipe2(sp, O_NONBLOCK | O_CLOEXEC) < 0) {
		int e = errno;
		close(fd);
		close(bell);
		if (bell_dup >= 0)
			close(bell_dup);
		return -e;
	}
	c->home = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c->home == MAP_FAILED) {
		c->home = NULL;
		close(fd);
		close(sp[0]);
		close(sp[1]);
		close(bell);
		close(bell_dup);
		return -ENOMEM;
	}
	c->bell_fd = bell;
	c->home_tx = sp[1];
	c->home_spare = fcntl(sp[0], F_DUPFD_CLOEXEC, 0);
	c->hello = true;
	o->rsp.u[0] = c->dom->domid;
	o->rsp.u[1] = h->max_ports;
	o->fds[0] = fd;
	o->fds[1] = sp[0];
	o->fds[2] = bell_dup;
	o->nfds = 3;
	return 0;
}

static int op_sync(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		   struct hout *o)
{
	struct lp_sync_port e[LP_SYNC_MAX];
	int r = host_evt_sync(h, c, &o->rsp, e, o->fds, &o->nfds);

	if (r == 0) {
		o->extra_len = o->rsp.u[0] * sizeof(e[0]);
		memcpy(o->extra, e, o->extra_len);
	}
	return r;
}

static int op_share(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		    struct hout *o)
{
	int r = host_gnt_share(h, c, req->u[0], req->u[1] != 0, in[0]);

	if (r < 0)
		return r;
	in[0] = -1; /* kept by the grant */
	o->rsp.u[0] = (uint32_t)r;
	return 0;
}

static int op_unshare(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		      int *in, struct hout *o)
{
	return host_gnt_unshare(h, c, req->u[0]);
}

static int op_map(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		  struct hout *o)
{
	int r = host_gnt_map(h, c, req->u[0], req->u[1], req->u[2], &o->rsp.u[0], &o->fds[0]);

	if (r == 0)
		o->nfds = 1;
	return r;
}

static int op_unmap(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		    struct hout *o)
{
	return host_gnt_unmap(h, c, req->u[0]);
}

/* Ops whose result is a number put in u[0]. */
static int put_u0(struct hout *o, int r)
{
	if (r < 0)
		return r;
	o->rsp.u[0] = (uint32_t)r;
	return 0;
}

static int op_alloc(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		    struct hout *o)
{
	return put_u0(o, host_evt_alloc(h, c, req->u[0]));
}

static int op_bind(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		   struct hout *o)
{
	return put_u0(o, host_evt_bind(h, c, req->u[0], req->u[1]));
}

static int op_close(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		    struct hout *o)
{
	return host_evt_close(h, c, req->u[0]);
}

static int op_status(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		     int *in, struct hout *o)
{
	return host_evt_status(h, c, req->u[0], req->u[1], &o->rsp);
}

static int op_pirq_alloc(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
			 int *in, struct hout *o)
{
	return put_u0(o, host_pirq_alloc(h, c, req->u[0]));
}

static int op_pirq_free(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
			int *in, struct hout *o)
{
	return host_pirq_free(h, c, req->u[0], req->u[1]);
}

static int op_pirq_bind(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
			int *in, struct hout *o)
{
	return put_u0(o, host_pirq_bind(h, c, req->u[0]));
}

static int op_pirq_fire(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
			int *in, struct hout *o)
{
	return host_pirq_fire(h, c, req->u[0], req->u[1]);
}

static int op_perm(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		   struct hout *o)
{
	return host_priv_perm(h, c, req);
}

static int op_query(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		    struct hout *o)
{
	return host_priv_query(h, c, req, &o->rsp);
}

static int op_dom_create(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
			 int *in, struct hout *o)
{
	unsigned domid;
	int r = host_dom_create(h, c, req->name, &domid);

	return put_u0(o, r < 0 ? r : (int)domid);
}

static int op_dom_destroy(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
			  int *in, struct hout *o)
{
	return host_dom_destroy(h, c, req->u[0]);
}

static int op_dom_list(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		       int *in, struct hout *o)
{
	struct lp_dom_entry e[LP_DOMLIST_MAX];
	int r = host_dom_list(h, req->u[0], &o->rsp, e);

	if (r == 0) {
		o->extra_len = o->rsp.u[1] * sizeof(e[0]);
		memcpy(o->extra, e, o->extra_len);
	}
	return r;
}

static int op_bye(struct pvpci_host *h, struct hconn *c, const struct lp_req *req, int *in,
		  struct hout *o)
{
	/* release now, so the client's close is done when it gets the answer */
	host_evt_conn_gone(h, c);
	host_gnt_conn_gone(h, c);
	o->hang_up = true;
	return 0;
}

typedef int (*op_fn)(struct pvpci_host *h, struct hconn *c, const struct lp_req *req,
		     int *in, struct hout *o);
static const struct {
	op_fn fn;
	bool priv;       /* control domain only */
	unsigned nfds;   /* fds that come with the request */
} ops[LP_OP_COUNT] = {
	[LP_HELLO] = { op_hello, false, 0 },
	[LP_SYNC] = { op_sync, false, 0 },
	[LP_GNT_SHARE] = { op_share, false, 1 },
	[LP_GNT_UNSHARE] = { op_unshare, false, 0 },
	[LP_GNT_MAP] = { op_map, false, 0 },
	[LP_GNT_UNMAP] = { op_unmap, false, 0 },
	[LP_EVT_ALLOC] = { op_alloc, false, 0 },
	[LP_EVT_BIND] = { op_bind, false, 0 },
	[LP_EVT_CLOSE] = { op_close, false, 0 },
	[LP_EVT_STATUS] = { op_status, false, 0 },
	[LP_PIRQ_ALLOC] = { op_pirq_alloc, true, 0 },
	[LP_PIRQ_FREE] = { op_pirq_free, true, 0 },
	[LP_PIRQ_BIND] = { op_pirq_bind, false, 0 },
	[LP_PIRQ_FIRE] = { op_pirq_fire, false, 0 },
	[LP_PRIV_PERM] = { op_perm, true, 0 },
	[LP_PRIV_QUERY] = { op_query, true, 0 },
	[LP_DOM_CREATE] = { op_dom_create, true, 0 },
	[LP_DOM_DESTROY] = { op_dom_destroy, true, 0 },
	[LP_DOM_LIST] = { op_dom_list, true, 0 },
	[LP_BYE] = { op_bye, false, 0 },
};

static void drop_conn(struct pvpci_host *h, struct hconn *c, const char *why)
{
	pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_WARNING, "d%u: dropping a handle: %s",
		      c->dom->domid, why);
	host_conn_close(h, c);
}

/* Serve one request; false when the connection is gone. */
static bool serve_one(struct pvpci_host *h, struct hconn *c)
{
	struct lp_req req;
	int in[LP_MAX_FDS];
	unsigned nin = LP_MAX_FDS;
	size_t len = sizeof(req);
	struct hout *o;
	int r = lp_recv(c->fd, &req, &len, in, &nin, MSG_DONTWAIT);

	if (r == -EAGAIN)
		return false;
	if (r < 0 || len != sizeof(req) || req.op == 0 || req.op >= LP_OP_COUNT ||
	    !ops[req.op].fn || nin != ops[req.op].nfds || (!c->hello && req.op != LP_HELLO)) {
		lp_close_fds(in, r < 0 ? 0 : nin);
		if (r != -ECONNRESET)
			drop_conn(h, c, "bad request");
		else
			host_conn_close(h, c);
		return false;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		lp_close_fds(in, nin);
		drop_conn(h, c, "out of memory");
		return false;
	}
	req.name[PVPCI_DOMAIN_NAME_MAX] = 0;
	o->rsp.op = req.op;
	if (ops[req.op].priv && c->dom->domid != 0)
		r = -EPERM;
	else
		r = ops[req.op].fn(h, c, &req, in, o);
	lp_close_fds(in, nin);
	if (r == -EPROTO && req.op == LP_HELLO) {
		free(o);
		drop_conn(h, c, "bad hello");
		return false;
	}
	o->rsp.err = r;
	if (r < 0) {
		lp_close_fds(o->fds, o->nfds);
		o->nfds = 0;
		o->extra_len = 0;
	}
	char msg[LP_MSG_MAX];
	memcpy(msg, &o->rsp, sizeof(o->rsp));
	memcpy(msg + sizeof(o->rsp), o->extra, o->extra_len);
	bool alive = !c->dead;
	if (alive && lp_send(c->fd, msg, sizeof(o->rsp) + o->extra_len, o->fds, o->nfds,
			     MSG_DONTWAIT) < 0) {
		drop_conn(h, c, "does not read its answers");
		alive = false;
	}
	lp_close_fds(o->fds, o->nfds);
	if (alive && o->hang_up) {
		host_conn_close(h, c);
		alive = false;
	}
	free(o);
	return alive;
}

static void serve_conn(struct pvpci_host *h, struct hconn *c)
{
	/* a bounded batch per wake-up, so one busy client cannot starve the others */
	for (int i = 0; i < 32 && !c->dead; i++)
		if (!serve_one(h, c))
			break;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int host_listen(struct pvpci_host *h, struct hdom *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = lp_sock_path(sa.sun_path, sizeof(sa.sun_path), h->run_dir, d->domid, false);

	if (r < 0)
		return r;
	d->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(d->listen_fd, 64) < 0)
		return -errno;
	snprintf(d->sock_path, sizeof(d->sock_path), "%s", sa.sun_path);
	d->src.kind = HSRC_LISTEN;
	d->src.obj = d;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->src };
	return epoll_ctl(h->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev) < 0 ? -errno : 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(tmp, mode) < 0 && errno != EEXIST ? -errno : 0;
}

/* Sockets and directories a host that died left in DIR/domains (we hold the lock). */
static void clean_stale(struct pvpci_host *h)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/domains", h->run_dir);
	DIR *dir = opendir(path);

	if (!dir)
		return;
	for (struct dirent *e; (e = readdir(dir));) {
		static const char *const leaf[] = { "platform.sock", "xenstored.sock", "" };
		char sub[PATH_MAX + 300];
		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < PVPCI_ARRAY_SIZE(leaf); i++) {
			int n = snprintf(sub, sizeof(sub), "%s/%s/%s", path, e->d_name, leaf[i]);
			if (n < 0 || n >= (int)sizeof(sub))
				break;
			if (leaf[i][0])
				unlink(sub);
			else
				rmdir(sub);
		}
	}
	closedir(dir);
}

static int take_lock(struct pvpci_host *h)
{
	char path[PATH_MAX + 16];
	int r = mkdir_p(h->run_dir, 0755);

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/lock", h->run_dir);
	h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (h->lock_fd < 0)
		return -errno;
	if (flock(h->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

/* Half the fd limit for grants' memfds; the other half for connections, event regions
 * and the store. */
static unsigned grant_fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 128)
		return 64;
	return rl.rlim_cur / 2 > UINT_MAX ? UINT_MAX : (unsigned)(rl.rlim_cur / 2);
}

static void set_limits(struct pvpci_host *h, const struct pvpci_host_config *cfg)
{
	h->max_ports = cfg->max_ports ? cfg->max_ports : 1024;
	if (h->max_ports > PVPCI_EVTCHN_MAX_PORTS)
		h->max_ports = PVPCI_EVTCHN_MAX_PORTS;
	if (h->max_ports < 2)
		h->max_ports = 2;
	h->max_grants = cfg->max_grants ? cfg->max_grants : 256;
	h->max_grant_fds = cfg->max_grant_fds ? cfg->max_grant_fds : grant_fd_budget();
	h->max_domid = cfg->max_domid && cfg->max_domid < PVPCI_DOMID_MAX ? cfg->max_domid
									 : PVPCI_DOMID_MAX;
	h->max_maps = cfg->max_maps ? cfg->max_maps : 1024;
	h->max_pirqs = cfg->max_pirqs ? cfg->max_pirqs : 256;
	h->max_domains = cfg->max_domains ? cfg->max_domains : 256;
	h->max_handles = cfg->max_handles ? cfg->max_handles : 64;
	h->max_regions = cfg->max_regions ? cfg->max_regions : 64;
	if (cfg->store_quota)
		h->quota = *cfg->store_quota;
	else
		pvpci_store_quota_defaults(&h->quota);
}

static int host_init(struct pvpci_host *h)
{
	char path[PATH_MAX + 32];
	struct hdom *d0;
	int r = take_lock(h);

	if (r < 0)
		return r;
	clean_stale(h);
	snprintf(path, sizeof(path), "%s/domains", h->run_dir);
	if ((r = mkdir_p(path, 0755)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/xenstored", h->run_dir);
	if ((r = mkdir_p(path, 0755)) < 0)
		return r;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		return -errno;
	if ((r = pvpci_store_create(&h->quota, &h->log, &h->store)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/xenstored/socket", h->run_dir);
	if ((r = pvpci_store_listen(h->store, 0, path)) < 0)
		return r;
	h->store_src.kind = HSRC_STORE;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &h->store_src };
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, pvpci_store_fd(h->store), &ev) < 0)
		return -errno;
	if ((r = host_dom_new(h, 0, "Domain-0", &d0)) < 0)
		return r;
	if ((r = host_listen(h, d0)) < 0)
		return r;
	return host_dom0_nodes(h);
}

int pvpci_host_create(const struct pvpci_host_config *cfg, struct pvpci_host **out)
{
	static const struct pvpci_host_config defaults;
	struct pvpci_host *h = calloc(1, sizeof(*h));
	int r;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	if (!cfg)
		cfg = &defaults;
	h->lock_fd = h->epfd = h->spare_fd = -1;
	h->next_domid = 1;
	h->next_region_id = 1;
	h->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_log_init(&h->log, cfg->log, "host");
	set_limits(h, cfg);
	r = cfg->run_dir ? (snprintf(h->run_dir, sizeof(h->run_dir), "%s", cfg->run_dir) <
					    (int)sizeof(h->run_dir) ? 0 : -ENAMETOOLONG)
			 : pvpci_run_dir_default(h->run_dir, sizeof(h->run_dir));
	if (r == 0)
		r = host_init(h);
	if (r < 0) {
		pvpci_host_destroy(h);
		return r;
	}
	*out = h;
	return 0;
}

static void free_graves(struct pvpci_host *h)
{
	while (h->grave) {
		struct hconn *c = h->grave;
		h->grave = c->next;
		conn_free(c);
	}
	while (h->dom_grave) {
		struct hdom *d = h->dom_grave;
		h->dom_grave = d->next;
		host_dom_free(h, d);
	}
}

void pvpci_host_destroy(struct pvpci_host *h)
{
	if (!h)
		return;
	while (h->conns)
		host_conn_close(h, h->conns);
	if (h->store) /* first: it unlinks the guests' store sockets, emptying their dirs */
		pvpci_store_destroy(h->store);
	h->store = NULL;
	while (h->doms) {
		struct hdom *d = h->doms;
		h->doms = d->next;
		d->next = h->dom_grave;
		h->dom_grave = d;
	}
	free_graves(h);
	while (h->regions) { /* none left once every connection closed; defensive */
		struct hregion *g = h->regions;
		h->regions = g->next;
		free(g);
	}
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->lock_fd >= 0)
		close(h->lock_fd); /* releases the flock */
	if (h->spare_fd >= 0)
		close(h->spare_fd);
	free(h->assign);
	free(h);
}

const char *pvpci_host_run_dir(const struct pvpci_host *h) { return h->run_dir; }
int pvpci_host_fd(const struct pvpci_host *h) { return h->epfd; }

int pvpci_host_process(struct pvpci_host *h, int timeout_ms)
{
	struct epoll_event ev[32];
	int n = epoll_wait(h->epfd, ev, PVPCI_ARRAY_SIZE(ev), timeout_ms);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct hsrc *s = ev[i].data.ptr;
		if (s->kind == HSRC_STORE) {
			int r = pvpci_store_process(h->store, 0);
			if (r < 0 && r != -EINTR)
				pvpci_logf_rl(&h->log, &h->rl, PVPCI_LOG_ERR, "store: %s",
					      strerror(-r));
		} else if (s->kind == HSRC_LISTEN) {
			struct hdom *d = s->obj;
			if (!d->dying)
				accept_conn(h, d);
		} else {
			struct hconn *c = s->obj;
			if (!c->dead)
				serve_conn(h, c);
		}
	}
	free_graves(h);
	return n;
}

int pvpci_host_run(struct pvpci_host *h, int stop_fd)
{
	struct pollfd pfd[2] = { { .fd = h->epfd, .events = POLLIN },
				 { .fd = stop_fd, .events = POLLIN } };

	for (;;) {
		int n = poll(pfd, stop_fd >= 0 ? 2 : 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (stop_fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			return 0;
		int r = pvpci_host_process(h, 0);
		if (r < 0 && r != -EINTR)
			return r;
	}
}
