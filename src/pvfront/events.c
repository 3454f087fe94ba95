/* SPDX-License-Identifier: MIT */
/*
 * The frontend's event loop: ports returned by the platform (the op channel, which the
 * backend also uses for AER requests, and the PIRQ ports of MSI / MSI-X vectors),
 * interrupts delivered to the irq callback (deferred while an op waits, so that callbacks
 * never run inside an op), AER requests answered from the callback (the request is
 * copied out once; the answer written to aer_op.err before bit 2 is cleared), and the
 * watch events that drive hot-plug.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "pvfront_priv.h"

static struct pvf_irq *irq_by_port(struct pvpci_pvfront *f, unsigned port)
{
	for (size_t i = 0; i < f->nirqs; i++)
		if (f->irqs[i].port == port)
			return &f->irqs[i];
	return NULL;
}

static void deliver(struct pvpci_pvfront *f, struct pvf_irq *q)
{
	struct pvpci_sbdf dev = q->dev;
	unsigned pirq = q->pirq, port = q->port;

	q->deferred = false;
	f->st.irqs++;
	(void)pvpci_evtchn_eoi(f->plat, port, false);
	if (f->opts.irq)
		f->opts.irq(f->opts.opaque, dev, pirq); /* may change f->irqs */
}

void pvf_port_event(struct pvpci_pvfront *f, unsigned port, bool in_op)
{
	struct pvf_irq *q;

	if (port == f->port) {
		(void)pvpci_evtchn_eoi(f->plat, port, false);
		if (f->sh && (pvf_flags(f->sh) & XEN_PCIB_active))
			f->aer_pending = true;
		return;
	}
	q = irq_by_port(f, port);
	if (!q) {
		(void)pvpci_evtchn_eoi(f->plat, port, true);
		return;
	}
	if (in_op)
		q->deferred = true;
	else
		deliver(f, q);
}

void pvf_irqs_flush(struct pvpci_pvfront *f)
{
	for (size_t i = 0; i < f->nirqs; i++)
		if (f->irqs[i].deferred) {
			deliver(f, &f->irqs[i]);
			i = (size_t)-1; /* the callback may have changed the table */
		}
}

void pvf_aer_answer(struct pvpci_pvfront *f)
{
	struct xen_pcie_aer_op req;
	const struct pvpci_pvfront_dev *dev = NULL;
	int result = PVPCI_AER_RESULT_NONE;
	const uint32_t *src;
	uint32_t *dst = (uint32_t *)&req;

	f->aer_pending = false;
	if (!f->sh || !(pvf_flags(f->sh) & XEN_PCIB_active))
		return;
	src = (const uint32_t *)&f->sh->aer_op;
	for (size_t i = 0; i < sizeof(req) / 4; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	if (req.domain <= 0xffff && req.bus <= 0xff && req.devfn <= 0xff) {
		struct pvpci_sbdf a = { (uint16_t)req.domain, (uint8_t)req.bus,
					(uint8_t)(req.devfn >> 3), (uint8_t)(req.devfn & 7) };

		dev = pvf_dev_find(f, a);
	}
	if (f->opts.aer && req.cmd >= XEN_PCI_OP_aer_detected &&
	    req.cmd <= XEN_PCI_OP_aer_slotreset)
		result = f->opts.aer(f->opts.opaque, req.cmd, dev, req.err);
	__atomic_store_n((uint32_t *)&f->sh->aer_op.err, (uint32_t)result, __ATOMIC_RELAXED);
	__atomic_fetch_and(&f->sh->flags, ~XEN_PCIB_active, __ATOMIC_SEQ_CST);
	(void)pvpci_evtchn_notify(f->plat, f->port);
	f->st.aer_requests++;
}

void pvf_watch_drain(struct pvpci_pvfront *f)
{
	char **vec;

	for (int i = 0; i < 64 && (vec = xs_check_watch(f->xs)) != NULL; i++) {
		if (strcmp(vec[XS_WATCH_TOKEN], PVF_BE_TOKEN) == 0)
			f->be_dirty = true;
		free(vec);
	}
}

static bool work_waiting(struct pvpci_pvfront *f)
{
	if (f->aer_pending || f->be_dirty || (f->sh && (pvf_flags(f->sh) & XEN_PCIB_active)))
		return true;
	for (size_t i = 0; i < f->nirqs; i++)
		if (f->irqs[i].deferred)
			return true;
	return false;
}

int pvpci_pvfront_poll_prepare(struct pvpci_pvfront *f, struct pollfd *fds, size_t max,
			       int *timeout_ms)
{
	size_t n = 0;

	pthread_mutex_lock(&f->lock);
	if (max >= 1)
		fds[n++] = (struct pollfd){ .fd = xs_fileno(f->xs), .events = POLLIN };
	if (max >= 2)
		fds[n++] = (struct pollfd){ .fd = pvpci_evtchn_fd(f->plat), .events = POLLIN };
	if (work_waiting(f) || pvpci_evtchn_prepare_wait(f->plat) == -EBUSY)
		*timeout_ms = 0;
	pthread_mutex_unlock(&f->lock);
	return (int)n;
}

int pvpci_pvfront_process(struct pvpci_pvfront *f)
{
	int port, rc = 0;

	pthread_mutex_lock(&f->lock);
	pvf_watch_drain(f);
	if (f->be_dirty) {
		f->be_dirty = false;
		pvf_backend_changed(f);
	}
	while ((port = pvpci_evtchn_pending(f->plat)) > 0)
		pvf_port_event(f, (unsigned)port, false);
	if (port != -EAGAIN)
		rc = port;
	pvf_irqs_flush(f);
	if (f->aer_pending || (f->sh && (pvf_flags(f->sh) & XEN_PCIB_active)))
		pvf_aer_answer(f);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_wait(struct pvpci_pvfront *f, int timeout_ms)
{
	struct pollfd fds[PVPCI_PVFRONT_NFDS];
	int n = pvpci_pvfront_poll_prepare(f, fds, PVPCI_PVFRONT_NFDS, &timeout_ms);

	if (poll(fds, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return pvpci_pvfront_process(f);
}

void pvpci_pvfront_get_stats(struct pvpci_pvfront *f, struct pvpci_pvfront_stats *s)
{
	pthread_mutex_lock(&f->lock);
	*s = f->st;
	pthread_mutex_unlock(&f->lock);
}

int pvpci_pvfront_irq_mask(struct pvpci_pvfront *f, unsigned pirq, bool masked)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nirqs; i++) {
		if (f->irqs[i].pirq != pirq)
			continue;
		rc = masked ? pvpci_evtchn_mask(f->plat, f->irqs[i].port) :
			      pvpci_evtchn_unmask(f->plat, f->irqs[i].port);
		break;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}
