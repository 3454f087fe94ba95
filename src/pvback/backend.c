/* SPDX-License-Identifier: MIT */
/*
 * The backend object: its device table, the event loop (xenstore watch events, event
 * channel ports with late EOI, AER deadlines) and the fair scheduler. A port returned by
 * the platform stays "in service" (further notifications coalesce) while its guest sits
 * in the run queue; each turn serves at most ops_per_turn ops of each queued guest,
 * round-robin, so a guest that floods cannot starve the others; the port is EOI'd (as
 * spurious if the event found nothing to do) only when its guest has no more work.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

#define DEFAULT_OPS_PER_TURN 8
#define DEFAULT_AER_TIMEOUT_MS 300000u
#define DEFAULT_SPIN_NS 20000u
#define XS_EVENTS_PER_TURN 64
#define ROOT_TOKEN "b"
#define RUN_POLL_EVERY 64 /* busy loops of pvpci_backend_run between two poll() calls */

static const char *const mode_names[] = {
	[PVPCI_BACKEND_VPCI] = "vpci",
	[PVPCI_BACKEND_PASSTHROUGH] = "passthrough",
};

int pvpci_backend_mode_parse(const char *s, enum pvpci_backend_mode *out)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(mode_names); i++)
		if (s && strcmp(s, mode_names[i]) == 0) {
			*out = (enum pvpci_backend_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *pvpci_backend_mode_name(enum pvpci_backend_mode m)
{
	return (size_t)m < PVPCI_ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

int pvpci_backend_create(struct pvpci_platform *plat, const struct pvpci_backend_opts *opts,
			 struct pvpci_backend **out)
{
	struct pvpci_backend *be;

	if (!plat || !out || !pvpci_platform_xs(plat))
		return -EINVAL;
	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->by_port = calloc(PVPCI_EVTCHN_MAX_PORTS, sizeof(*be->by_port));
	if (!be->by_port) {
		free(be);
		return -ENOMEM;
	}
	if (opts)
		be->opts = *opts;
	if (!be->opts.ops_per_turn)
		be->opts.ops_per_turn = DEFAULT_OPS_PER_TURN;
	if (!be->opts.aer_timeout_ms)
		be->opts.aer_timeout_ms = DEFAULT_AER_TIMEOUT_MS;
	if (!be->opts.spin_ns)
		be->opts.spin_ns = DEFAULT_SPIN_NS;
	be->plat = plat;
	be->xs = pvpci_platform_xs(plat);
	be->self = pvpci_platform_domid(plat);
	be->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_log_init(&be->log, be->opts.log, "pciback");
	snprintf(be->root, sizeof(be->root), "/local/domain/%u/backend/pci", be->self);
	*out = be;
	return 0;
}

void pvpci_backend_destroy(struct pvpci_backend *be)
{
	if (!be)
		return;
	while (be->guests)
		pvb_guest_free(be->guests);
	if (be->started)
		(void)xs_unwatch(be->xs, be->root, ROOT_TOKEN);
	while (be->devs) {
		struct pvb_hostdev *hd = be->devs;

		be->devs = hd->next;
		pvpci_source_set_irq_handler(hd->src, NULL, NULL);
		pvpci_pvdev_destroy(hd->pv);
		free(hd->quirks);
		free(hd);
	}
	free(be->by_port);
	free(be);
}

struct pvb_hostdev *pvb_dev_by_host(struct pvpci_backend *be, struct pvpci_sbdf host)
{
	for (struct pvb_hostdev *hd = be->devs; hd; hd = hd->next)
		if (pvpci_sbdf_eq(hd->host, host))
			return hd;
	return NULL;
}

/* What the table needs to know of the device (host view). */
static int dev_probe(struct pvb_hostdev *hd)
{
	uint32_t hdr, pin, line, buses;
	int rc = pvpci_source_cfg_read(hd->src, PCI_REG_HEADER_TYPE, 1, &hdr);

	if (!rc)
		rc = pvpci_source_cfg_read(hd->src, PCI_REG_INTR_PIN, 1, &pin);
	if (!rc)
		rc = pvpci_source_cfg_read(hd->src, PCI_REG_INTR_LINE, 1, &line);
	if (rc)
		return rc;
	hd->bridge = (hdr & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE;
	if (hd->bridge) {
		rc = pvpci_source_cfg_read(hd->src, 0x18, 4, &buses);
		if (rc)
			return rc;
		hd->sec_bus = (uint8_t)(buses >> 8);
		hd->sub_bus = (uint8_t)(buses >> 16);
	}
	hd->intx_pin = pin <= 4 ? (uint8_t)pin : 0;
	hd->intx_line = (uint8_t)line;
	return 0;
}

static int dev_knobs(struct pvb_hostdev *hd, const struct pvpci_pv_opts *pv)
{
	if (!pv)
		return 0;
	hd->permissive = pv->permissive;
	hd->allow_intr_ctrl = pv->allow_interrupt_control;
	if (!pv->nquirks)
		return 0;
	if (!pv->quirks)
		return -EINVAL;
	hd->quirks = calloc(pv->nquirks, sizeof(*hd->quirks));
	if (!hd->quirks)
		return -ENOMEM;
	memcpy(hd->quirks, pv->quirks, pv->nquirks * sizeof(*hd->quirks));
	hd->nquirks = pv->nquirks;
	return 0;
}

int pvpci_backend_add_device(struct pvpci_backend *be, struct pvpci_source *src,
			     const struct pvpci_pv_opts *pv)
{
	struct pvpci_pv_opts base = { .log = pv && pv->log ? pv->log : &be->log };
	struct pvb_hostdev *hd, **pp;
	int rc;

	if (!src)
		return -EINVAL;
	if (pvb_dev_by_host(be, pvpci_source_sbdf(src)))
		return -EEXIST;
	hd = calloc(1, sizeof(*hd));
	if (!hd)
		return -ENOMEM;
	hd->be = be;
	hd->src = src;
	hd->host = pvpci_source_sbdf(src);
	hd->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	pvpci_sbdf_str(hd->host, hd->name);
	rc = dev_knobs(hd, pv);
	if (!rc)
		rc = dev_probe(hd);
	if (!rc) /* knobs are applied per guest, when the device is exported */
		rc = pvpci_pvdev_create(src, &base, &hd->pv);
	if (rc) {
		free(hd->quirks);
		free(hd);
		return rc;
	}
	pvpci_source_set_irq_handler(src, pvb_irq_from_device, hd);
	for (pp = &be->devs; *pp; pp = &(*pp)->next)
		;
	*pp = hd;
	return 0;
}

int pvpci_backend_remove_device(struct pvpci_backend *be, struct pvpci_sbdf host)
{
	for (struct pvb_hostdev **pp = &be->devs; *pp; pp = &(*pp)->next) {
		struct pvb_hostdev *hd = *pp;

		if (!pvpci_sbdf_eq(hd->host, host))
			continue;
		if (hd->owner)
			return -EBUSY;
		*pp = hd->next;
		pvpci_source_set_irq_handler(hd->src, NULL, NULL);
		pvpci_pvdev_destroy(hd->pv);
		free(hd->quirks);
		free(hd);
		return 0;
	}
	return -ENOENT;
}

int pvpci_backend_start(struct pvpci_backend *be)
{
	if (be->started)
		return 0;
	if (!xs_watch(be->xs, be->root, ROOT_TOKEN))
		return errno ? -errno : -EIO;
	be->started = true;
	return 0;
}

/* ---- Run queue ---- */

void pvb_rq_add(struct pvpci_backend *be, struct pvb_guest *g)
{
	if (g->queued)
		return;
	g->queued = true;
	g->rq_next = NULL;
	if (be->rq_tail)
		be->rq_tail->rq_next = g;
	else
		be->rq_head = g;
	be->rq_tail = g;
}

void pvb_rq_del(struct pvpci_backend *be, struct pvb_guest *g)
{
	struct pvb_guest *prev = NULL;

	if (!g->queued)
		return;
	for (struct pvb_guest *q = be->rq_head; q; prev = q, q = q->rq_next) {
		if (q != g)
			continue;
		if (prev)
			prev->rq_next = g->rq_next;
		else
			be->rq_head = g->rq_next;
		if (be->rq_tail == g)
			be->rq_tail = prev;
		break;
	}
	g->queued = false;
	g->rq_next = NULL;
}

static struct pvb_guest *rq_pop(struct pvpci_backend *be)
{
	struct pvb_guest *g = be->rq_head;

	if (!g)
		return NULL;
	be->rq_head = g->rq_next;
	if (!be->rq_head)
		be->rq_tail = NULL;
	g->queued = false;
	g->rq_next = NULL;
	return g;
}

/* g just had ops: the spin polls its active bit directly for a while. */
static void hot_add(struct pvpci_backend *be, struct pvb_guest *g)
{
	if (!g->port)
		return;
	for (unsigned i = 0; i < PVB_HOT_GUESTS; i++)
		if (be->hot_port[i] == g->port)
			return;
	be->hot_port[be->hot_next] = g->port;
	be->hot_next = (be->hot_next + 1) % PVB_HOT_GUESTS;
}

/* One round: each queued guest serves at most ops_per_turn ops. */
static void rq_round(struct pvpci_backend *be)
{
	size_t n = 0;

	for (struct pvb_guest *g = be->rq_head; g; g = g->rq_next)
		n++;
	while (n--) {
		struct pvb_guest *g = rq_pop(be);
		unsigned done;

		if (!g)
			break;
		done = pvb_ops_serve(g, be->opts.ops_per_turn);
		if (done) {
			g->worked = true;
			hot_add(be, g);
		}
		if (g->aer.waiting && g->sh && !(pvb_flags(g->sh) & XEN_PCIB_active)) {
			g->worked = true;
			pvb_aer_event(g);
		}
		if (g->sh && (pvb_flags(g->sh) & XEN_PCIF_active)) {
			pvb_rq_add(be, g); /* more work: back of the queue, still in service */
			continue;
		}
		if (g->in_service) {
			if (!g->worked)
				g->st.spurious++;
			(void)pvpci_evtchn_eoi(be->plat, g->port, !g->worked);
			g->in_service = false;
		}
		g->worked = false;
	}
}

/* ---- Event loop ---- */

static int take_port(struct pvpci_backend *be, int port)
{
	struct pvb_guest *g = (unsigned)port < PVPCI_EVTCHN_MAX_PORTS ? be->by_port[port] : NULL;

	if (!g) {
		pvpci_logf_rl(&be->log, &be->rl, PVPCI_LOG_DEBUG, "event on unknown port %d", port);
		return pvpci_evtchn_eoi(be->plat, (unsigned)port, true);
	}
	g->st.events++;
	if (!g->in_service) {
		g->in_service = true;
		g->worked = false;
	}
	pvb_rq_add(be, g);
	return 0;
}

static int drain_ports(struct pvpci_backend *be)
{
	int port;

	while ((port = pvpci_evtchn_pending(be->plat)) > 0)
		(void)take_port(be, port);
	return port == -EAGAIN ? 0 : port;
}

static void drain_xs(struct pvpci_backend *be)
{
	for (int i = 0; i < XS_EVENTS_PER_TURN; i++) {
		char **vec = xs_check_watch(be->xs);

		if (!vec)
			break;
		pvb_xs_event(be, vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		free(vec);
	}
	pvb_xs_settle(be);
}

/* Queue the hot guests whose active bit is set; true if any. */
static bool hot_ready(struct pvpci_backend *be)
{
	bool any = false;

	for (unsigned i = 0; i < PVB_HOT_GUESTS; i++) {
		struct pvb_guest *g = be->by_port[be->hot_port[i]]; /* port 0: never a guest */

		if (g && g->sh && (pvb_flags(g->sh) & XEN_PCIF_active)) {
			pvb_rq_add(be, g);
			any = true;
		}
	}
	return any;
}

/* Spin on the hot guests' active bits, the event channels (the local platform looks
 * only at the channels with work) and the spin hook. An op seen by its bit is served
 * at once, in a round as process() makes it, before the store and the other channels
 * are looked at: the store's events wait one op at most. */
static bool spin(struct pvpci_backend *be)
{
	uint64_t start = pvpci_now_ns();

	for (unsigned i = 0;; i++) {
		if (hot_ready(be)) {
			rq_round(be);
			return true;
		}
		int port = pvpci_evtchn_pending(be->plat);
		if (port > 0) {
			(void)take_port(be, port);
			return true;
		}
		if (port != -EAGAIN) /* the platform failed: process() reports it */
			return true;
		if (be->spin_hook && be->spin_hook(be->spin_hook_opaque))
			return true;
		if ((i & 15) == 15 && pvpci_now_ns() - start >= be->opts.spin_ns)
			return false;
	}
}

void pvpci_backend_set_spin_hook(struct pvpci_backend *be, bool (*ready)(void *opaque),
				 void *opaque)
{
	be->spin_hook = ready;
	be->spin_hook_opaque = opaque;
}

int pvpci_backend_poll_prepare(struct pvpci_backend *be, struct pollfd *fds, size_t max,
			       int *timeout_ms)
{
	int aer = pvb_aer_timeouts(be);
	size_t n = 0;

	if (max >= 1)
		fds[n++] = (struct pollfd){ .fd = xs_fileno(be->xs), .events = POLLIN };
	if (max >= 2)
		fds[n++] = (struct pollfd){ .fd = pvpci_evtchn_fd(be->plat), .events = POLLIN };
	if (aer >= 0 && (*timeout_ms < 0 || aer < *timeout_ms))
		*timeout_ms = aer;
	if (be->rq_head || be->any_dirty) {
		*timeout_ms = 0;
		return (int)n;
	}
	if (be->opts.spin_ns != PVPCI_BACKEND_NO_SPIN && spin(be)) {
		*timeout_ms = 0;
		return (int)n;
	}
	if (pvpci_evtchn_prepare_wait(be->plat) == -EBUSY)
		*timeout_ms = 0;
	return (int)n;
}

int pvpci_backend_process(struct pvpci_backend *be)
{
	int rc;

	drain_xs(be);
	rc = drain_ports(be);
	rq_round(be);
	(void)pvb_aer_timeouts(be);
	return rc;
}

int pvpci_backend_run(struct pvpci_backend *be, int stop_fd)
{
	for (unsigned busy = 0;; busy++) {
		struct pollfd fds[PVPCI_BACKEND_NFDS + 1];
		int timeout = -1, n, rc;

		n = pvpci_backend_poll_prepare(be, fds, PVPCI_BACKEND_NFDS, &timeout);
		if (timeout == 0 && busy % RUN_POLL_EVERY != 0) {
			/* work is waiting: no system call (stop_fd is looked at now and then) */
			rc = pvpci_backend_process(be);
			if (rc)
				return rc;
			continue;
		}
		if (timeout != 0)
			busy = 0;
		if (stop_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		rc = poll(fds, (nfds_t)n, timeout);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (stop_fd >= 0 && (fds[n - 1].revents & (POLLIN | POLLHUP | POLLERR)))
			return 0;
		rc = pvpci_backend_process(be);
		if (rc)
			return rc;
	}
}
