/* SPDX-License-Identifier: MIT */
/*
 * The vPCI ioreq server's data path: the ioreq state machine on a shared slot
 * (READY -> INPROCESS -> IORESP_READY, the slot copied once into private memory), the
 * connection to a guest (its ioreq page mapped, its event channel bound) and the platform
 * ops its vpci domain calls: the mapping table kept in memory (pvpci_vpci_host), MSI /
 * MSI-X vectors bound to PIRQs allocated for the guest (published under the backend
 * directory's pirq/ so the guest can bind them) and fired when the device raises them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server_int.h"

#define VS_MSI_ADDR 0xfee00000ull /* what the device is programmed with (local: unused) */

/* ---- The state machine ---- */

int pvpci_vpci_ioreq_serve(struct pvpci_vpci_domain *d, volatile struct pvpci_ioreq *slot,
			   struct pvpci_ioreq *seen, int *rcp)
{
	uint8_t flags = __atomic_load_n(&slot->flags, __ATOMIC_ACQUIRE);
	uint8_t keep = (uint8_t)(flags & ~PVPCI_IOREQ_STATE_MASK);
	struct pvpci_ioreq r;
	int rc;

	if ((flags & PVPCI_IOREQ_STATE_MASK) != PVPCI_IOREQ_STATE_READY)
		return 0;
	/* Each field once, into private memory: the guest may rewrite the slot meanwhile. */
	r.addr = slot->addr;
	r.data = slot->data;
	r.count = slot->count;
	r.size = slot->size;
	r.vp_eport = slot->vp_eport;
	r.pad0 = 0;
	r.type = slot->type;
	r.flags = flags;
	__atomic_store_n(&slot->flags, (uint8_t)(keep | PVPCI_IOREQ_STATE_INPROCESS),
			 __ATOMIC_RELAXED);
	if (seen)
		*seen = r;
	rc = pvpci_vpci_ioreq_handle(d, &r);
	if (flags & PVPCI_IOREQ_DIR_READ)
		slot->data = r.data;
	__atomic_store_n(&slot->flags, (uint8_t)(keep | PVPCI_IORESP_STATE_READY),
			 __ATOMIC_RELEASE);
	if (rcp)
		*rcp = rc;
	return 1;
}

static const char *const type_names[] = { "pio", "copy", "pci-config" };

void vs_serve(struct vs_guest *g)
{
	struct pvpci_ioreq r;
	int rc = 0;

	if (!g->connected ||
	    !pvpci_vpci_ioreq_serve(g->dom, (volatile struct pvpci_ioreq *)g->page, &r, &rc)) {
		g->spurious++;
		return;
	}
	g->requests++;
	if (rc) {
		g->failed++;
		pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING,
			      "%s %s addr %#" PRIx64 " size %u count %u%s: %s",
			      r.flags & PVPCI_IOREQ_DIR_READ ? "read" : "write",
			      r.type < PVPCI_ARRAY_SIZE(type_names) ? type_names[r.type] : "type?",
			      r.addr, r.size, r.count,
			      r.flags & PVPCI_IOREQ_DATA_IS_PTR ? " data_is_ptr" : "",
			      rc == -ENXIO ? "not claimed" : pvpci_errname(rc));
	}
	(void)pvpci_evtchn_notify(g->s->plat, g->port);
}

/* ---- Connection ---- */

int vs_connect(struct vs_guest *g, char *why, size_t wlen)
{
	struct pvpci_vpci_server *s = g->s;
	char path[VS_PATH_MAX + 32];
	uint64_t ref, rport;
	int rc, port;

	snprintf(path, sizeof(path), "%s/ioreq-ref", g->fe);
	rc = vs_read_uint(s->xs, XBT_NULL, path, UINT32_MAX, &ref);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/event-channel", g->fe);
		rc = vs_read_uint(s->xs, XBT_NULL, path, PVPCI_EVTCHN_MAX_PORTS - 1, &rport);
	}
	if (rc) {
		snprintf(why, wlen, "%s: missing or bad ioreq-ref / event-channel", g->fe);
		return rc == -ENOENT ? -ENOENT : -EINVAL;
	}
	rc = pvpci_gnt_map(s->plat, g->domid, (uint32_t)ref, 0, &g->page);
	if (rc) {
		snprintf(why, wlen, "cannot map ioreq-ref %" PRIu64 ": %s", ref, pvpci_errname(rc));
		return rc;
	}
	port = pvpci_evtchn_bind_interdomain(s->plat, g->domid, (unsigned)rport);
	if (port < 0) {
		snprintf(why, wlen, "cannot bind event-channel %" PRIu64 ": %s", rport,
			 pvpci_errname(port));
		(void)pvpci_gnt_unmap(s->plat, g->page);
		g->page = NULL;
		return port;
	}
	g->port = (unsigned)port;
	g->connected = true;
	pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_INFO, "connected (ioreq-ref %" PRIu64
		      ", port %u)", ref, g->port);
	vs_serve(g); /* a request made before we bound is not lost */
	return 0;
}

void vs_disconnect(struct vs_guest *g)
{
	if (!g->connected)
		return;
	(void)pvpci_evtchn_close(g->s->plat, g->port);
	(void)pvpci_gnt_unmap(g->s->plat, g->page);
	g->page = NULL;
	g->port = 0;
	g->connected = false;
	pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_INFO, "disconnected");
}

/* ---- The platform ops ---- */

static int op_map(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
	struct vs_guest *g = opaque;

	return pvpci_vpci_host_ops()->map(g->table, gfn, mfn, nr);
}

static int op_unmap(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
	struct vs_guest *g = opaque;

	return pvpci_vpci_host_ops()->unmap(g->table, gfn, mfn, nr);
}

static void irq_release(struct vs_guest *g, unsigned h)
{
	struct vs_irq *q = &g->irqs[h];
	char path[VS_PATH_MAX + 64];

	if (!q->used)
		return;
	(void)pvpci_pirq_free(g->s->plat, g->domid, q->pirq);
	snprintf(path, sizeof(path), "%s/pirq/%s", g->be, q->node);
	(void)vs_rm(g->s->xs, XBT_NULL, path);
	*q = (struct vs_irq){ 0 };
	g->nirqs--;
}

/* nvec consecutive free handles: the first, or -ENOSPC. */
static int irq_find_free(struct vs_guest *g, unsigned nvec)
{
	for (unsigned i = 0, run = 0; i < VS_MAX_IRQS; i++) {
		run = g->irqs[i].used ? 0 : run + 1;
		if (run == nvec)
			return (int)(i + 1 - nvec);
	}
	return -ENOSPC;
}

static int op_irq_bind(void *opaque, const struct pvpci_vpci_irq *irq,
		       struct pvpci_vpci_irq_host *host)
{
	struct vs_guest *g = opaque;
	const struct pvpci_sbdf a = irq->guest;
	char path[VS_PATH_MAX + 64];
	int first, rc = 0;

	if (irq->nvec < 1 || irq->nvec > 32)
		return -EINVAL;
	first = irq_find_free(g, irq->nvec);
	if (first < 0)
		return first;
	for (unsigned k = 0; k < irq->nvec && !rc; k++) {
		struct vs_irq *q = &g->irqs[first + (int)k];
		int pirq = pvpci_pirq_alloc(g->s->plat, g->domid);

		if (pirq < 0) {
			rc = pirq;
			break;
		}
		*q = (struct vs_irq){ .used = true, .pirq = (unsigned)pirq };
		g->nirqs++;
		snprintf(q->node, sizeof(q->node), "%04x-%02x-%02x-%x-%s-%u", a.seg, a.bus, a.dev,
			 a.fn, irq->kind == PVPCI_IRQ_MSIX ? "msix" : "msi", irq->index + k);
		snprintf(path, sizeof(path), "%s/pirq/%s", g->be, q->node);
		rc = vs_write(g->s->xs, XBT_NULL, path, "%u", q->pirq);
	}
	if (rc) {
		for (unsigned k = 0; k < irq->nvec; k++)
			irq_release(g, (unsigned)first + k);
		pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING, "cannot bind %u vector(s): %s",
			      irq->nvec, pvpci_errname(rc));
		return rc;
	}
	host->addr = VS_MSI_ADDR;
	host->data = g->irqs[first].pirq & 0xffffu;
	return first;
}

static bool handle_ok(const struct vs_guest *g, int h)
{
	return h >= 0 && h < VS_MAX_IRQS && g->irqs[h].used;
}

static int op_irq_unbind(void *opaque, int handle, unsigned nvec)
{
	struct vs_guest *g = opaque;

	if (handle < 0 || nvec > VS_MAX_IRQS || (unsigned)handle > VS_MAX_IRQS - nvec)
		return -EINVAL;
	for (unsigned k = 0; k < nvec; k++)
		irq_release(g, (unsigned)handle + k);
	return 0;
}

static int op_irq_mask(void *opaque, int handle, bool masked)
{
	struct vs_guest *g = opaque;

	if (!handle_ok(g, handle))
		return -ENOENT;
	g->irqs[handle].masked = masked;
	return 0;
}

static void op_irq_fire(void *opaque, int handle)
{
	struct vs_guest *g = opaque;

	if (handle_ok(g, handle) && !g->irqs[handle].masked)
		(void)pvpci_pirq_fire(g->s->plat, g->domid, g->irqs[handle].pirq);
}

static void op_crash(void *opaque, const char *why)
{
	struct vs_guest *g = opaque;
	char path[VS_PATH_MAX + 16];

	pvpci_vpci_host_ops()->crash(g->table, why);
	pvpci_logf(&g->log, PVPCI_LOG_ERR, "guest crashed: %s", why);
	snprintf(path, sizeof(path), "%s/error", g->be);
	(void)vs_write(g->s->xs, XBT_NULL, path, "guest crashed: %s", why);
}

const struct pvpci_vpci_ops vs_ops = {
	.map = op_map,
	.unmap = op_unmap,
	.irq_bind = op_irq_bind,
	.irq_unbind = op_irq_unbind,
	.irq_mask = op_irq_mask,
	.irq_fire = op_irq_fire,
	.crash = op_crash,
};

void vs_irqs_clear(struct vs_guest *g)
{
	for (unsigned h = 0; h < VS_MAX_IRQS && g->nirqs; h++)
		irq_release(g, h);
}
