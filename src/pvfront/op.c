/* SPDX-License-Identifier: MIT */
/*
 * The frontend's ops (protocol.md 1.5): one op in flight under the object's lock; the op
 * is stored into the shared page, the active bit set (full barrier), the channel notified;
 * the answer is awaited by polling the bit for spin_ns, then sleeping on the event channel
 * until op_timeout_ms. A timed-out op stays posted (the active bit is not cleared) so that
 * its late answer can never be taken for a later op: the next op waits for it first. Any
 * non-zero err is a failure. MSI / MSI-X / multi-MSI bind the returned PIRQs to ports.
 */
#include <errno.h>
#include <string.h>

#include "pvfront_priv.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

int pvpci_pvfront_errno(int wire_err)
{
	switch (wire_err) {
	case XEN_PCI_ERR_success:
		return 0;
	case XEN_PCI_ERR_dev_not_found:
		return -ENODEV;
	case XEN_PCI_ERR_invalid_offset:
		return -EINVAL;
	case XEN_PCI_ERR_access_denied:
		return -EACCES;
	case XEN_PCI_ERR_not_implemented:
		return -EOPNOTSUPP;
	case XEN_PCI_ERR_op_failed:
		return -EIO;
	default:
		return wire_err < 0 && wire_err > -4096 ? wire_err : -EIO;
	}
}

static bool busy(const struct pvpci_pvfront *f)
{
	return pvf_flags(f->sh) & XEN_PCIF_active;
}

/* Wait until the active bit clears: spin, then sleep on the channel. */
static int wait_answer(struct pvpci_pvfront *f)
{
	uint64_t start = pvpci_now_ns();
	uint64_t deadline = start + (uint64_t)f->opts.op_timeout_ms * 1000000u;

	for (unsigned i = 0; busy(f); i++) {
		if ((i & 63) == 63 && pvpci_now_ns() - start >= f->opts.spin_ns)
			break;
		cpu_relax();
	}
	while (busy(f)) {
		uint64_t now = pvpci_now_ns();
		int port;

		if (now >= deadline)
			return -ETIMEDOUT;
		port = pvpci_evtchn_wait(f->plat, (int)((deadline - now + 999999) / 1000000));
		if (port > 0)
			pvf_port_event(f, (unsigned)port, true);
		else if (port != -ETIMEDOUT && port != -EAGAIN)
			return port;
	}
	return 0;
}

static void store_op(struct xen_pci_sharedinfo *sh, const struct xen_pci_op *op, unsigned nent)
{
	const uint32_t *src = (const uint32_t *)op;
	uint32_t *dst = (uint32_t *)&sh->op;
	size_t words = offsetof(struct xen_pci_op, msix_entries) / 4 + nent;

	for (size_t i = 0; i < words; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

static void load_answer(const struct xen_pci_sharedinfo *sh, struct xen_pci_op *op,
			unsigned nent)
{
	op->err = (int32_t)__atomic_load_n((const uint32_t *)&sh->op.err, __ATOMIC_RELAXED);
	op->value = __atomic_load_n(&sh->op.value, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < nent; i++)
		op->msix_entries[i].vector =
			__atomic_load_n(&sh->op.msix_entries[i].vector, __ATOMIC_RELAXED);
}

int pvf_do_op(struct pvpci_pvfront *f, struct xen_pci_op *op, unsigned nent)
{
	int rc;

	if (!f->sh || !f->port || !f->connected)
		return -ENOTCONN;
	if (f->stale_op) {
		rc = wait_answer(f);
		if (rc) {
			f->st.timeouts++;
			f->last_err = XEN_PCI_ERR_dev_not_found;
			return rc;
		}
		f->stale_op = false;
	}
	store_op(f->sh, op, nent);
	__atomic_fetch_or(&f->sh->flags, XEN_PCIF_active, __ATOMIC_SEQ_CST);
	(void)pvpci_evtchn_notify(f->plat, f->port);
	rc = wait_answer(f);
	if (rc) {
		pvpci_logf_rl(&f->log, &f->rl, PVPCI_LOG_WARNING,
			      "backend not responding (cmd %u): %s", op->cmd, pvpci_errname(rc));
		f->stale_op = true;
		f->st.timeouts++;
		f->last_err = XEN_PCI_ERR_dev_not_found;
		return rc == -ETIMEDOUT ? rc : -ETIMEDOUT;
	}
	load_answer(f->sh, op, nent);
	if (pvf_flags(f->sh) & XEN_PCIB_active)
		f->aer_pending = true;
	f->st.ops++;
	if (op->err)
		f->st.op_errors++;
	f->last_err = op->err;
	return 0;
}

static struct xen_pci_op op_for(unsigned cmd, struct pvpci_sbdf dev)
{
	return (struct xen_pci_op){ .cmd = cmd, .domain = dev.seg, .bus = dev.bus,
				    .devfn = PVPCI_DEVFN(dev.dev, dev.fn) };
}

/* Post, then map the answer's err. */
static int run_op(struct pvpci_pvfront *f, struct xen_pci_op *op, unsigned nent)
{
	int rc = pvf_do_op(f, op, nent);

	return rc ? rc : pvpci_pvfront_errno(op->err);
}

int pvf_conf_read(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned off,
		  unsigned size, uint32_t *val)
{
	struct xen_pci_op op = op_for(XEN_PCI_OP_conf_read, dev);
	int rc;

	op.offset = (int32_t)off;
	op.size = (int32_t)size;
	rc = run_op(f, &op, 0);
	*val = rc ? ~0u : (size == 4 ? op.value : op.value & ((1u << (8 * size)) - 1));
	return rc;
}

int pvpci_pvfront_conf_read(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned off,
			    unsigned size, uint32_t *val)
{
	int rc;

	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	rc = pvf_conf_read(f, dev, off, size, val);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_conf_write(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned off,
			     unsigned size, uint32_t val)
{
	struct xen_pci_op op = op_for(XEN_PCI_OP_conf_write, dev);
	int rc;

	op.offset = (int32_t)off;
	op.size = (int32_t)size;
	op.value = val;
	pthread_mutex_lock(&f->lock);
	rc = run_op(f, &op, 0);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_op(struct pvpci_pvfront *f, struct xen_pci_op *op)
{
	int rc;

	pthread_mutex_lock(&f->lock);
	rc = pvf_do_op(f, op, SH_INFO_MAX_VEC);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_last_err(struct pvpci_pvfront *f)
{
	int e;

	pthread_mutex_lock(&f->lock);
	e = f->last_err;
	pthread_mutex_unlock(&f->lock);
	return e;
}

/* ---- PIRQ bindings ---- */

static int bind_pirq(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned pirq,
		     uint8_t kind)
{
	int port;

	if (pirq == 0 || pirq > 0xffff)
		return -EINVAL;
	if (f->nirqs >= PVF_MAX_IRQS)
		return -ENOSPC;
	port = pvpci_pirq_bind(f->plat, pirq);
	if (port == -EOPNOTSUPP)
		port = 0; /* xen: no user-space bind of a PIRQ; kept as a vector, unbound */
	if (port < 0)
		return port;
	f->irqs[f->nirqs++] = (struct pvf_irq){ pirq, (unsigned)port, dev, kind, false };
	return 0;
}

void pvf_irqs_drop(struct pvpci_pvfront *f, struct pvpci_sbdf dev, uint8_t kind)
{
	size_t j = 0;

	for (size_t i = 0; i < f->nirqs; i++) {
		struct pvf_irq *q = &f->irqs[i];

		if (pvpci_sbdf_eq(q->dev, dev) && (!kind || q->kind == kind)) {
			if (q->port)
				(void)pvpci_evtchn_close(f->plat, q->port);
			continue;
		}
		f->irqs[j++] = *q;
	}
	f->nirqs = j;
}

static int disable_op(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned cmd,
		      uint8_t kind)
{
	struct xen_pci_op op = op_for(cmd, dev);
	int rc = run_op(f, &op, 0);

	pvf_irqs_drop(f, dev, kind);
	return rc;
}

int pvpci_pvfront_enable_msi(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned *pirq)
{
	struct xen_pci_op op = op_for(XEN_PCI_OP_enable_msi, dev);
	int rc;

	pthread_mutex_lock(&f->lock);
	rc = run_op(f, &op, 0);
	if (!rc && (op.value == 0 || op.value > 0xffff))
		rc = -EINVAL; /* an invalid MSI vector */
	if (!rc)
		rc = bind_pirq(f, dev, op.value, PVF_IRQ_MSI);
	if (rc && op.err == 0 && op.value)
		(void)disable_op(f, dev, XEN_PCI_OP_disable_msi, PVF_IRQ_MSI);
	if (!rc)
		*pirq = op.value;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_disable_msi(struct pvpci_pvfront *f, struct pvpci_sbdf dev)
{
	int rc;

	pthread_mutex_lock(&f->lock);
	rc = disable_op(f, dev, XEN_PCI_OP_disable_msi, PVF_IRQ_MSI);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Bind n returned vectors; on failure undo with the disable command. */
static int bind_vectors(struct pvpci_pvfront *f, struct pvpci_sbdf dev,
			const struct xen_pci_op *op, unsigned n, unsigned *pirqs, uint8_t kind,
			unsigned disable_cmd)
{
	int rc = 0;

	for (unsigned i = 0; i < n && !rc; i++) {
		pirqs[i] = op->msix_entries[i].vector;
		rc = bind_pirq(f, dev, pirqs[i], kind);
	}
	if (rc)
		(void)disable_op(f, dev, disable_cmd, kind);
	return rc;
}

int pvpci_pvfront_enable_msix(struct pvpci_pvfront *f, struct pvpci_sbdf dev,
			      const uint16_t *entries, unsigned nvec, unsigned *pirqs)
{
	struct xen_pci_op op = op_for(XEN_PCI_OP_enable_msix, dev);
	int rc;

	if (nvec == 0 || nvec > SH_INFO_MAX_VEC)
		return -EINVAL;
	op.value = nvec;
	for (unsigned i = 0; i < nvec; i++)
		op.msix_entries[i] = (struct xen_msix_entry){ 0xffff, entries[i] };
	pthread_mutex_lock(&f->lock);
	rc = run_op(f, &op, nvec);
	if (!rc && op.value != 0)
		rc = -EIO;
	if (!rc)
		rc = bind_vectors(f, dev, &op, nvec, pirqs, PVF_IRQ_MSIX,
				  XEN_PCI_OP_disable_msix);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_disable_msix(struct pvpci_pvfront *f, struct pvpci_sbdf dev)
{
	int rc;

	pthread_mutex_lock(&f->lock);
	rc = disable_op(f, dev, XEN_PCI_OP_disable_msix, PVF_IRQ_MSIX);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int pvpci_pvfront_enable_multi_msi(struct pvpci_pvfront *f, struct pvpci_sbdf dev,
				   unsigned nvec, unsigned *pirqs, unsigned *hint)
{
	struct xen_pci_op op = op_for(XEN_PCI_OP_enable_multi_msi, dev);
	int rc;

	if (hint)
		*hint = 0;
	if (nvec == 0 || nvec > 32)
		return -EINVAL;
	op.info = nvec;
	pthread_mutex_lock(&f->lock);
	rc = run_op(f, &op, nvec);
	if (rc == -EIO && hint)
		*hint = op.value <= 32 ? op.value : 0;
	if (!rc)
		rc = bind_vectors(f, dev, &op, nvec, pirqs, PVF_IRQ_MSI, XEN_PCI_OP_disable_msi);
	pthread_mutex_unlock(&f->lock);
	return rc;
}
