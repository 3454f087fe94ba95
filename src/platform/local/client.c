/* SPDX-License-Identifier: MIT */
/*
 * The local platform as seen by a joined process: pvpci_platform_open("local") connects
 * to the domain's platform socket under the run directory (the domain is the socket),
 * says hello with nothing but a version and gets its home event region; then every
 * setup call (grants, ports, PIRQs, privileged, domains) is one request / response to the
 * host daemon. Port-state changes made by others (a peer bound or closed) are pulled with
 * a sync request when the daemon bumps the home control counter, bringing the event
 * regions (memfd and wake-up sockets) the notifications travel through.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenstore.h>

#include "client.h"

void lp_mark_dead(struct lp_client *c)
{
	if (!c->dead)
		pvpci_logf(c->log, PVPCI_LOG_NOTICE, "host daemon closed the connection");
	c->dead = true;
}

static int rpc_wait(struct lp_client *c)
{
	struct pollfd pfd = { .fd = c->sock, .events = POLLIN };
	int r;

	do
		r = poll(&pfd, 1, LP_RPC_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* One request (with send_fd passed along unless -1) and its response. */
static int rpc_raw(struct lp_client *c, struct lp_req *req, int send_fd, struct lp_rsp *rsp,
		   void *extra, size_t *extra_len, int *fds, unsigned *nfds)
{
	char buf[LP_MSG_MAX];
	size_t len = sizeof(buf);
	unsigned max_fds = nfds ? *nfds : 0;
	int r;

	if (nfds)
		*nfds = 0;
	if (c->dead)
		return -ESHUTDOWN;
	r = lp_send(c->sock, req, sizeof(*req), &send_fd, send_fd >= 0, 0);
	if (r == 0)
		r = rpc_wait(c);
	if (r == 0)
		r = lp_recv(c->sock, buf, &len, fds, &max_fds, 0);
	if (r == -ECONNRESET || r == -EPIPE) {
		lp_mark_dead(c);
		return -ESHUTDOWN;
	}
	if (r < 0)
		return r;
	if (nfds)
		*nfds = max_fds;
	if (len < sizeof(*rsp)) {
		if (fds)
			lp_close_fds(fds, max_fds);
		return -EPROTO;
	}
	memcpy(rsp, buf, sizeof(*rsp));
	if (extra && extra_len) {
		size_t n = len - sizeof(*rsp);
		if (n > *extra_len)
			n = *extra_len;
		memcpy(extra, buf + sizeof(*rsp), n);
		*extra_len = n;
	}
	if (rsp->op != req->op)
		return -EPROTO;
	return rsp->err;
}

int lp_rpc(struct lp_client *c, struct lp_req *req, struct lp_rsp *rsp, void *extra,
	   size_t *extra_len, int *fds, unsigned *nfds)
{
	int r = rpc_raw(c, req, -1, rsp, extra, extra_len, fds, nfds);
	int s = lp_sync_if_due(c);

	return r < 0 ? r : (s == -ESHUTDOWN ? s : r);
}

/* Simple request with up to 4 words in and the response words out. */
static int rpc_u(struct lp_client *c, uint32_t op, uint32_t u0, uint32_t u1, uint32_t u2,
		 struct lp_rsp *rsp)
{
	struct lp_req req = { .op = op, .u = { u0, u1, u2 } };
	struct lp_rsp tmp;

	return lp_rpc(c, &req, rsp ? rsp : &tmp, NULL, NULL, NULL, NULL);
}

/* ---- regions and port-state sync ---------------------------------------------------- */

static void region_free(struct lp_client *c, struct lp_region *r)
{
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, r->rx, NULL);
	if (c->by_slot[r->slot] == r)
		c->by_slot[r->slot] = NULL;
	lp_hot_forget(c, r);
	munmap(r->peer_bell, EVR_SIZE);
	munmap(r->map, EVR_SIZE);
	close(r->rx);
	close(r->tx);
	close(r->spare);
	free(r);
}

static struct lp_region *region_get(struct lp_client *c, const struct lp_sync_port *e,
				    int *fds)
{
	struct lp_region *r;

	if (e->region == 0)
		return &c->home;
	for (r = c->regions; r; r = r->next)
		if (r->id == e->region)
			return r;
	if (!e->has_fds || e->side > 1 || e->slot >= EVR_WORDS * 64 ||
	    e->peer_slot >= EVR_WORDS * 64 || c->by_slot[e->slot])
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->map = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	r->peer_bell = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[4], 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[1] };
	if (r->map == MAP_FAILED || r->peer_bell == MAP_FAILED ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, fds[1], &ev) < 0) {
		if (r->map != MAP_FAILED)
			munmap(r->map, EVR_SIZE);
		if (r->peer_bell != MAP_FAILED)
			munmap(r->peer_bell, EVR_SIZE);
		free(r);
		return NULL;
	}
	r->slot = e->slot;
	r->peer_bell_word = &r->peer_bell->word[e->peer_slot / 64];
	r->peer_bell_bit = 1ull << (e->peer_slot % 64);
	c->by_slot[r->slot] = r;
	if (r->slot / 64 + 1 > c->bell_words)
		c->bell_words = r->slot / 64 + 1;
	c->full_due = true; /* events may have come before it was known here */
	r->id = e->region;
	r->side = e->side;
	r->peer_side = e->side ^ 1u;
	r->rx = fds[1];
	r->tx = fds[2];
	r->spare = fds[3];
	fds[1] = fds[2] = fds[3] = -1;
	r->next = c->regions;
	c->regions = r;
	return r;
}

static void regions_gc(struct lp_client *c)
{
	struct lp_region **pp = &c->regions;

	while (*pp) {
		struct lp_region *r = *pp;
		if (r->refs) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		region_free(c, r);
	}
}

static void port_apply(struct lp_client *c, const struct lp_sync_port *e, int *fds)
{
	struct lp_port *pt = &c->ports[e->port];
	struct lp_region *reg = NULL;

	if (e->state == PVPCI_EVTCHN_INTERDOMAIN) {
		reg = region_get(c, e, fds);
		if (!reg) {
			pvpci_logf(c->log, PVPCI_LOG_ERR, "port %u: cannot map its event region",
				   e->port);
			return;
		}
	}
	if (pt->reg && pt->reg != &c->home)
		pt->reg->refs--;
	if (e->state == PVPCI_EVTCHN_CLOSED)
		lp_port_forget(c, e->port); /* an unbound port keeps its pending event */
	pt->state = (uint8_t)e->state;
	pt->rdom = e->rdom;
	pt->rport = e->rport;
	pt->pirq = e->pirq;
	pt->reg = reg;
	if (reg && reg != &c->home)
		reg->refs++;
}

static int sync_once(struct lp_client *c, bool *more)
{
	struct lp_req req = { .op = LP_SYNC };
	struct lp_rsp rsp;
	struct lp_sync_port e[LP_SYNC_MAX];
	size_t len = sizeof(e);
	int fds[LP_MAX_FDS];
	unsigned nfds = LP_MAX_FDS, used = 0;
	int r = rpc_raw(c, &req, -1, &rsp, e, &len, fds, &nfds);

	*more = false;
	if (r < 0)
		return r;
	unsigned n = rsp.u[0];
	if (n > LP_SYNC_MAX || n * sizeof(e[0]) > len) {
		lp_close_fds(fds, nfds);
		return -EPROTO;
	}
	for (unsigned i = 0; i < n; i++) {
		int none[LP_SYNC_FDS] = { -1, -1, -1, -1, -1 };
		int *f = none;
		if (e[i].has_fds) {
			if (used + LP_SYNC_FDS > nfds)
				break;
			f = fds + used;
			used += LP_SYNC_FDS;
		}
		if (e[i].port && e[i].port < c->max_ports)
			port_apply(c, &e[i], f);
	}
	lp_close_fds(fds, nfds);
	regions_gc(c);
	*more = rsp.u[1] != 0;
	return 0;
}

int lp_sync_if_due(struct lp_client *c)
{
	bool more = true;
	int r = 0;

	if (c->dead)
		return -ESHUTDOWN;
	uint32_t ctl = atomic_load(&c->home.map->side[0].ctl);
	if (ctl == c->ctl_seen)
		return 0;
	while (more && r == 0)
		r = sync_once(c, &more);
	if (r == 0)
		c->ctl_seen = ctl;
	return r;
}

/* ---- open / close --------------------------------------------------------------- */

static int connect_platform(struct lp_client *c, const char *run_dir, unsigned domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = lp_sock_path(sa.sun_path, sizeof(sa.sun_path), run_dir, domid, false);

	if (r < 0)
		return r;
	r = lp_sock_path(c->store_path, sizeof(c->store_path), run_dir, domid, true);
	if (r < 0)
		return r;
	c->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return -errno;
	if (connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static int hello(struct lp_client *c)
{
	struct lp_req req = { .op = LP_HELLO, .u = { LP_WIRE_VERSION } };
	struct lp_rsp rsp;
	int fds[3] = { -1, -1, -1 };
	unsigned nfds = 3;
	int r = rpc_raw(c, &req, -1, &rsp, NULL, NULL, fds, &nfds);

	if (r == -ESHUTDOWN)
		r = -EUSERS; /* the daemon hung up: the domain has too many handles */
	if (r < 0)
		return r;
	if (nfds != 3 || rsp.u[1] < 2 || rsp.u[1] > PVPCI_EVTCHN_MAX_PORTS) {
		lp_close_fds(fds, nfds);
		return -EPROTO;
	}
	c->max_ports = rsp.u[1];
	c->home.map = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	c->bell = mmap(NULL, EVR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[2], 0);
	close(fds[0]);
	close(fds[2]);
	c->home.rx = fds[1];
	if (c->home.map == MAP_FAILED || c->bell == MAP_FAILED) {
		r = -errno;
		if (c->home.map != MAP_FAILED)
			munmap(c->home.map, EVR_SIZE);
		if (c->bell != MAP_FAILED)
			munmap(c->bell, EVR_SIZE);
		c->home.map = NULL;
		c->bell = NULL;
		return r;
	}
	c->by_slot = calloc(EVR_WORDS * 64, sizeof(*c->by_slot));
	if (!c->by_slot)
		return -ENOMEM;
	c->ctl_seen = atomic_load(&c->home.map->side[0].ctl);
	c->ports = calloc(c->max_ports, sizeof(*c->ports));
	return c->ports ? 0 : -ENOMEM;
}

static int open_store(struct lp_client *c)
{
	char *old = getenv("XENSTORED_PATH");
	char *saved = old ? strdup(old) : NULL;

	if (old && !saved)
		return -ENOMEM;
	/* libxenstore takes the socket path from the environment only */
	setenv("XENSTORED_PATH", c->store_path, 1);
	c->xs = xs_open(XS_OPEN_SOCKETONLY);
	int e = errno;
	if (saved)
		setenv("XENSTORED_PATH", saved, 1);
	else
		unsetenv("XENSTORED_PATH");
	free(saved);
	if (!c->xs) {
		pvpci_logf(c->log, PVPCI_LOG_ERR, "cannot open the store at %s: %s",
			   c->store_path, strerror(e));
		return e ? -e : -EIO;
	}
	return 0;
}

static int setup_epoll(struct lp_client *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->home.rx };

	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -errno;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->home.rx, &ev) < 0)
		return -errno;
	/* the daemon never writes unasked: the socket turns readable only on hang-up */
	ev.data.fd = c->sock;
	ev.events = EPOLLIN | EPOLLRDHUP;
	return epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->sock, &ev) < 0 ? -errno : 0;
}

static void lp_close(struct pvpci_platform *p);

static int lp_open(struct pvpci_platform *p, const struct pvpci_platform_config *cfg)
{
	char dir[PATH_MAX];
	struct lp_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->p = p;
	c->log = pvpci_platform_log(p);
	c->sock = c->epfd = c->home.rx = c->home.tx = c->home.spare = -1;
	c->spin_ns = cfg->spin_ns ? cfg->spin_ns : 20000;
	pvpci_platform_set_priv(p, c);
	r = cfg->run_dir ? (snprintf(dir, sizeof(dir), "%s", cfg->run_dir) < (int)sizeof(dir)
				    ? 0 : -ENAMETOOLONG)
			 : pvpci_run_dir_default(dir, sizeof(dir));
	if (r == 0 && cfg->domid > PVPCI_DOMID_MAX)
		r = -EINVAL;
	if (r == 0)
		r = connect_platform(c, dir, cfg->domid);
	if (r == 0)
		r = hello(c);
	if (r == 0)
		r = setup_epoll(c);
	if (r == 0 && !cfg->no_store)
		r = open_store(c);
	if (r < 0) {
		lp_close(p);
		pvpci_platform_set_priv(p, NULL);
	}
	return r;
}

static void lp_close(struct pvpci_platform *p)
{
	struct lp_client *c = lp_client(p);

	if (!c)
		return;
	if (c->xs)
		xs_close(c->xs);
	for (struct lp_map *m = c->maps, *n; m; m = n) {
		n = m->next;
		munmap(m->addr, PVPCI_PAGE_SIZE);
		free(m);
	}
	for (struct lp_grant *g = c->grants, *n; g; g = n) {
		n = g->next;
		munmap(g->page, PVPCI_PAGE_SIZE);
		free(g);
	}
	for (struct lp_region *r = c->regions, *n; r; r = n) {
		n = r->next;
		region_free(c, r);
	}
	if (c->home.map)
		munmap(c->home.map, EVR_SIZE);
	if (c->bell)
		munmap(c->bell, EVR_SIZE);
	free(c->by_slot);
	if (c->home.rx >= 0)
		close(c->home.rx);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->sock >= 0) {
		/* the daemon releases everything the handle held before it answers */
		struct lp_req req = { .op = LP_BYE };
		struct lp_rsp rsp;
		if (c->home.map && !c->dead)
			(void)rpc_raw(c, &req, -1, &rsp, NULL, NULL, NULL, NULL);
		close(c->sock);
	}
	free(c->ports);
	free(c);
}

static struct xs_handle *lp_xs(struct pvpci_platform *p) { return lp_client(p)->xs; }
static const char *lp_store_path(const struct pvpci_platform *p)
{
	return lp_client(p)->store_path;
}

/* ---- grants --------------------------------------------------------------------- */

static int lp_gnt_share(struct pvpci_platform *p, unsigned rdom, bool ro, void **page,
			uint32_t *gref)
{
	struct lp_client *c = lp_client(p);
	struct lp_req req = { .op = LP_GNT_SHARE, .u = { rdom, ro } };
	struct lp_rsp rsp;
	struct lp_grant *g = calloc(1, sizeof(*g));
	int fd = lp_new_page_memfd("pvpci-grant"), r;

	if (!g || fd < 0) {
		free(g);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? fd : -ENOMEM;
	}
	g->page = mmap(NULL, PVPCI_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	r = g->page == MAP_FAILED ? -errno : 0;
	if (r == 0)
		r = rpc_raw(c, &req, fd, &rsp, NULL, NULL, NULL, NULL);
	close(fd);
	(void)lp_sync_if_due(c);
	if (r < 0) {
		if (g->page != MAP_FAILED)
			munmap(g->page, PVPCI_PAGE_SIZE);
		free(g);
		return r;
	}
	g->gref = rsp.u[0];
	g->next = c->grants;
	c->grants = g;
	*page = g->page;
	*gref = g->gref;
	return 0;
}

static int lp_gnt_unshare(struct pvpci_platform *p, uint32_t gref)
{
	struct lp_client *c = lp_client(p);
	struct lp_grant **pp = &c->grants;

	while (*pp && (*pp)->gref != gref)
		pp = &(*pp)->next;
	if (!*pp)
		return -ENOENT;
	int r = rpc_u(c, LP_GNT_UNSHARE, gref, 0, 0, NULL);
	if (r < 0 && r != -ESHUTDOWN)
		return r;
	struct lp_grant *g = *pp;
	*pp = g->next;
	munmap(g->page, PVPCI_PAGE_SIZE);
	free(g);
	return 0;
}

static int lp_gnt_map(struct pvpci_platform *p, unsigned domid, uint32_t gref,
		      unsigned flags, void **addr)
{
	struct lp_client *c = lp_client(p);
	struct lp_req req = { .op = LP_GNT_MAP, .u = { domid, gref, flags } };
	struct lp_rsp rsp;
	int fd = -1;
	unsigned nfds = 1;
	int prot = (flags & PVPCI_GNT_MAP_RO) ? PROT_READ : PROT_READ | PROT_WRITE;
	int r = lp_rpc(c, &req, &rsp, NULL, NULL, &fd, &nfds);

	if (r < 0) {
		lp_close_fds(&fd, nfds);
		return r;
	}
	if (nfds != 1)
		return -EPROTO;
	struct lp_map *m = calloc(1, sizeof(*m));
	void *a = mmap(NULL, PVPCI_PAGE_SIZE, prot, MAP_SHARED, fd, 0);
	r = a == MAP_FAILED ? -errno : (m ? 0 : -ENOMEM);
	close(fd);
	if (r < 0) {
		if (a != MAP_FAILED)
			munmap(a, PVPCI_PAGE_SIZE);
		free(m);
		rpc_u(c, LP_GNT_UNMAP, rsp.u[0], 0, 0, NULL);
		return r;
	}
	m->id = rsp.u[0];
	m->addr = a;
	m->next = c->maps;
	c->maps = m;
	*addr = a;
	return 0;
}

static int lp_gnt_unmap(struct pvpci_platform *p, void *addr)
{
	struct lp_client *c = lp_client(p);
	struct lp_map **pp = &c->maps;

	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	if (!*pp)
		return -EINVAL;
	struct lp_map *m = *pp;
	*pp = m->next;
	munmap(m->addr, PVPCI_PAGE_SIZE);
	int r = rpc_u(c, LP_GNT_UNMAP, m->id, 0, 0, NULL);
	free(m);
	return r == -ESHUTDOWN ? 0 : r;
}

/* ---- event-channel setup, PIRQs ------------------------------------------------- */

static int new_port(struct lp_client *c, int r, uint8_t state, unsigned rdom, unsigned pirq)
{
	if (r < 0)
		return r;
	if (r == 0 || (unsigned)r >= c->max_ports)
		return -EPROTO;
	/* a sync may have brought the full state already (bind): keep it */
	if (c->ports[r].state == PVPCI_EVTCHN_CLOSED) {
		c->ports[r].state = state;
		c->ports[r].rdom = rdom;
		c->ports[r].pirq = pirq;
	}
	return r;
}

static int lp_alloc_unbound(struct pvpci_platform *p, unsigned rdom)
{
	struct lp_client *c = lp_client(p);
	struct lp_rsp rsp;
	int r = rpc_u(c, LP_EVT_ALLOC, rdom, 0, 0, &rsp);

	return new_port(c, r < 0 ? r : (int)rsp.u[0], PVPCI_EVTCHN_UNBOUND, rdom, 0);
}

static int lp_bind_interdomain(struct pvpci_platform *p, unsigned rdom, unsigned rport)
{
	struct lp_client *c = lp_client(p);
	struct lp_rsp rsp;
	int r = rpc_u(c, LP_EVT_BIND, rdom, rport, 0, &rsp);

	if (r < 0)
		return r;
	if (rsp.u[0] == 0 || rsp.u[0] >= c->max_ports ||
	    c->ports[rsp.u[0]].state != PVPCI_EVTCHN_INTERDOMAIN)
		return -EPROTO; /* the sync after the request must have brought it */
	return (int)rsp.u[0];
}

static int lp_evtchn_close(struct pvpci_platform *p, unsigned port)
{
	struct lp_client *c = lp_client(p);

	if (port == 0 || port >= c->max_ports || c->ports[port].state == PVPCI_EVTCHN_CLOSED)
		return -EINVAL;
	int r = rpc_u(c, LP_EVT_CLOSE, port, 0, 0, NULL);
	if (r < 0 && r != -ESHUTDOWN)
		return r;
	struct lp_port *pt = &c->ports[port];
	if (pt->reg && pt->reg != &c->home)
		pt->reg->refs--;
	memset(pt, 0, sizeof(*pt));
	lp_port_forget(c, port);
	regions_gc(c);
	return 0;
}

static int lp_evtchn_status(struct pvpci_platform *p, unsigned domid, unsigned port,
			    struct pvpci_evtchn_status *st)
{
	struct lp_rsp rsp;
	int r = rpc_u(lp_client(p), LP_EVT_STATUS, domid, port, 0, &rsp);

	if (r < 0)
		return r;
	st->state = (enum pvpci_evtchn_state)rsp.u[0];
	st->remote_domid = rsp.u[1];
	st->remote_port = rsp.u[2];
	st->pirq = rsp.u[3];
	return 0;
}

static int lp_pirq_alloc(struct pvpci_platform *p, unsigned guest)
{
	struct lp_rsp rsp;
	int r = rpc_u(lp_client(p), LP_PIRQ_ALLOC, guest, 0, 0, &rsp);

	return r < 0 ? r : (int)rsp.u[0];
}

static int lp_pirq_free(struct pvpci_platform *p, unsigned guest, unsigned pirq)
{
	return rpc_u(lp_client(p), LP_PIRQ_FREE, guest, pirq, 0, NULL);
}

static int lp_pirq_bind(struct pvpci_platform *p, unsigned pirq)
{
	struct lp_client *c = lp_client(p);
	struct lp_rsp rsp;
	int r = rpc_u(c, LP_PIRQ_BIND, pirq, 0, 0, &rsp);

	return new_port(c, r < 0 ? r : (int)rsp.u[0], PVPCI_EVTCHN_PIRQ, 0, pirq);
}

static int lp_pirq_fire(struct pvpci_platform *p, unsigned guest, unsigned pirq)
{
	return rpc_u(lp_client(p), LP_PIRQ_FIRE, guest, pirq, 0, NULL);
}

/* ---- privileged calls, domains -------------------------------------------------- */

static int lp_priv_permission(struct pvpci_platform *p, unsigned domid,
			      enum pvpci_priv_kind kind, uint64_t first, uint64_t count,
			      bool allow)
{
	struct lp_req req = { .op = LP_PRIV_PERM, .u = { domid, kind, allow }, .x = { first, count } };
	struct lp_rsp rsp;

	return lp_rpc(lp_client(p), &req, &rsp, NULL, NULL, NULL, NULL);
}

static int lp_priv_query(struct pvpci_platform *p, unsigned domid, enum pvpci_priv_kind kind,
			 uint64_t first, uint64_t last, bool *granted, bool *any)
{
	struct lp_req req = { .op = LP_PRIV_QUERY, .u = { domid, kind }, .x = { first, last } };
	struct lp_rsp rsp;
	int r = lp_rpc(lp_client(p), &req, &rsp, NULL, NULL, NULL, NULL);

	if (r < 0)
		return r;
	*granted = rsp.u[0] != 0;
	*any = rsp.u[1] != 0;
	return 0;
}

static int lp_domain_create(struct pvpci_platform *p, const char *name, unsigned *domid)
{
	struct lp_req req = { .op = LP_DOM_CREATE };
	struct lp_rsp rsp;

	if (!name || strlen(name) > PVPCI_DOMAIN_NAME_MAX)
		return -EINVAL;
	snprintf(req.name, sizeof(req.name), "%s", name);
	int r = lp_rpc(lp_client(p), &req, &rsp, NULL, NULL, NULL, NULL);
	if (r == 0)
		*domid = rsp.u[0];
	return r;
}

static int lp_domain_destroy(struct pvpci_platform *p, unsigned domid)
{
	return rpc_u(lp_client(p), LP_DOM_DESTROY, domid, 0, 0, NULL);
}

static int lp_domain_list(struct pvpci_platform *p, struct pvpci_domain_info *out, size_t max,
			  size_t *n)
{
	struct lp_client *c = lp_client(p);
	size_t got = 0, total = 0;

	do {
		struct lp_req req = { .op = LP_DOM_LIST, .u = { (uint32_t)got } };
		struct lp_rsp rsp;
		struct lp_dom_entry e[LP_DOMLIST_MAX];
		size_t len = sizeof(e);
		int r = lp_rpc(c, &req, &rsp, e, &len, NULL, NULL);
		if (r < 0)
			return r;
		total = rsp.u[0];
		unsigned cnt = rsp.u[1];
		if (cnt > LP_DOMLIST_MAX || cnt * sizeof(e[0]) > len)
			return -EPROTO;
		if (cnt == 0)
			break;
		for (unsigned i = 0; i < cnt; i++, got++) {
			if (got >= max)
				continue;
			out[got].domid = e[i].domid;
			e[i].name[PVPCI_DOMAIN_NAME_MAX] = 0;
			snprintf(out[got].name, sizeof(out[got].name), "%s", e[i].name);
		}
	} while (got < total && got < max);
	*n = total;
	return 0;
}

const struct pvpci_platform_ops pvpci_local_platform_ops = {
	.kind = "local",
	.open = lp_open,
	.close = lp_close,
	.xs = lp_xs,
	.store_path = lp_store_path,
	.gnt_share = lp_gnt_share,
	.gnt_unshare = lp_gnt_unshare,
	.gnt_map = lp_gnt_map,
	.gnt_unmap = lp_gnt_unmap,
	.evtchn_alloc_unbound = lp_alloc_unbound,
	.evtchn_bind_interdomain = lp_bind_interdomain,
	.evtchn_notify = lp_evtchn_notify,
	.evtchn_close = lp_evtchn_close,
	.evtchn_fd = lp_evtchn_fd,
	.evtchn_pending = lp_evtchn_pending,
	.evtchn_prepare_wait = lp_evtchn_prepare_wait,
	.evtchn_spin = lp_evtchn_spin,
	.evtchn_wait = lp_evtchn_wait,
	.evtchn_eoi = lp_evtchn_eoi,
	.evtchn_mask = lp_evtchn_mask,
	.evtchn_status = lp_evtchn_status,
	.evtchn_stats = lp_evtchn_stats,
	.pirq_alloc = lp_pirq_alloc,
	.pirq_free = lp_pirq_free,
	.pirq_bind = lp_pirq_bind,
	.pirq_fire = lp_pirq_fire,
	.priv_permission = lp_priv_permission,
	.priv_query = lp_priv_query,
	.domain_create = lp_domain_create,
	.domain_destroy = lp_domain_destroy,
	.domain_list = lp_domain_list,
};
