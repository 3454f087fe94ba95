/* SPDX-License-Identifier: MIT */
/*
 * Op dispatch of the PV protocol (protocol.md 1.5, XSA-155). The whole op is copied out of
 * the shared page once, with single 32-bit loads, into private memory; the device is
 * looked up in the guest's own topology by the copy's (domain, bus, devfn); a table
 * indexed by the copy's command does the work; only err, value and the returned vectors
 * (i < the count decided on the copy, never above 128) are stored back, then the active
 * bit is cleared and the frontend notified. Config accesses are bounds-checked here before
 * the policy sees them.
 */
#include <errno.h>
#include <string.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

void pvb_shared_copy_in(void *dst, const void *shared, size_t n)
{
	const uint32_t *s = shared;
	uint32_t *d = dst;

	for (size_t i = 0; i < n / 4; i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void pvb_shared_store32(void *shared, uint32_t v)
{
	__atomic_store_n((uint32_t *)shared, v, __ATOMIC_RELAXED);
}

int pvb_wire_err(int neg_errno)
{
	switch (neg_errno) {
	case 0:
		return XEN_PCI_ERR_success;
	case -ENODEV:
	case -ENOENT:
		return XEN_PCI_ERR_dev_not_found;
	case -EINVAL:
	case -ERANGE:
		return XEN_PCI_ERR_invalid_offset;
	case -EACCES:
	case -EPERM:
		return XEN_PCI_ERR_access_denied;
	case -EOPNOTSUPP:
	case -ENOSYS:
		return XEN_PCI_ERR_not_implemented;
	default:
		return XEN_PCI_ERR_op_failed;
	}
}

/* Bounds of a config access, checked on the private copy before anything else. */
static bool conf_ok(const struct pvb_hostdev *hd, const struct xen_pci_op *op)
{
	int32_t off = op->offset, size = op->size;

	if (size != 1 && size != 2 && size != 4)
		return false;
	if (off < 0 || off % size)
		return false;
	return (uint32_t)off + (uint32_t)size <= pvpci_source_cfg_size(hd->src);
}

static void log_bad(struct pvb_guest *g, const struct pvb_hostdev *hd,
		    const struct xen_pci_op *op, const char *what)
{
	pvpci_logf_rl(&g->log, &g->rl, PVPCI_LOG_WARNING,
		      "%s: %s (cmd %u offset %d size %d)", hd ? hd->name : "-", what, op->cmd,
		      op->offset, op->size);
}

static int op_conf_read(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
			unsigned *nvec)
{
	uint32_t v = 0;
	int rc;

	if (!conf_ok(hd, op)) {
		log_bad(g, hd, op, "config read out of range or misaligned");
		op->value = 0;
		return XEN_PCI_ERR_invalid_offset;
	}
	rc = pvpci_pvdev_conf_read(hd->pv, op->offset, op->size, &v);
	op->value = rc ? 0 : v;
	return pvb_wire_err(rc);
}

static int op_conf_write(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
			 unsigned *nvec)
{
	int rc;

	if (!conf_ok(hd, op)) {
		log_bad(g, hd, op, "config write out of range or misaligned");
		return XEN_PCI_ERR_invalid_offset;
	}
	rc = pvpci_pvdev_conf_write(hd->pv, op->offset, op->size, op->value);
	pvb_intx_update(hd);
	return pvb_wire_err(rc);
}

static int op_enable_msi(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
			 unsigned *nvec)
{
	return pvb_msi_enable(g, hd, op);
}

static int op_disable_msi(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
			  unsigned *nvec)
{
	return pvb_msi_disable(g, hd, op);
}

static int op_enable_msix(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
			  unsigned *nvec)
{
	return pvb_msix_enable(g, hd, op, nvec);
}

static int op_disable_msix(struct pvb_guest *g, struct pvb_hostdev *hd,
			   struct xen_pci_op *op, unsigned *nvec)
{
	return pvb_msix_disable(g, hd, op);
}

static int op_enable_multi_msi(struct pvb_guest *g, struct pvb_hostdev *hd,
			       struct xen_pci_op *op, unsigned *nvec)
{
	return pvb_multi_msi_enable(g, hd, op, nvec);
}

typedef int (*op_fn)(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
		     unsigned *nvec);

/* Indexed by the command; AER commands travel the other way and are not ops. */
static const op_fn op_table[] = {
	[XEN_PCI_OP_conf_read] = op_conf_read,
	[XEN_PCI_OP_conf_write] = op_conf_write,
	[XEN_PCI_OP_enable_msi] = op_enable_msi,
	[XEN_PCI_OP_disable_msi] = op_disable_msi,
	[XEN_PCI_OP_enable_msix] = op_enable_msix,
	[XEN_PCI_OP_disable_msix] = op_disable_msix,
	[XEN_PCI_OP_enable_multi_msi] = op_enable_multi_msi,
};

void pvb_op_dispatch(struct pvb_guest *g, struct xen_pci_op *op, unsigned *nvec_out)
{
	struct pvb_hostdev *hd;
	op_fn fn = NULL;

	*nvec_out = 0;
	if (op->cmd < PVPCI_ARRAY_SIZE(op_table))
		fn = op_table[op->cmd];
	hd = pvb_topo_find(&g->topo, op->domain, op->bus, op->devfn);
	if (!hd) {
		/* the guest names only its own devices (scans probe every devfn: no log) */
		op->err = XEN_PCI_ERR_dev_not_found;
		return;
	}
	if (!fn) {
		log_bad(g, hd, op, "unknown command");
		op->err = XEN_PCI_ERR_not_implemented;
		return;
	}
	op->err = fn(g, hd, op, nvec_out);
	if (*nvec_out > SH_INFO_MAX_VEC)
		*nvec_out = SH_INFO_MAX_VEC;
}

/* One op: copy out, dispatch, store back err / value / vectors, clear active, notify. */
static void serve_one(struct pvb_guest *g)
{
	struct xen_pci_sharedinfo *sh = g->sh;
	struct xen_pci_op op;
	unsigned nvec = 0;

	pvb_shared_copy_in(&op, &sh->op, sizeof(op));
	pvb_op_dispatch(g, &op, &nvec);
	pvb_shared_store32(&sh->op.err, (uint32_t)op.err);
	pvb_shared_store32(&sh->op.value, op.value);
	for (unsigned i = 0; i < nvec; i++)
		__atomic_store_n(&sh->op.msix_entries[i].vector, op.msix_entries[i].vector,
				 __ATOMIC_RELAXED);
	g->st.ops++;
	if (op.err)
		g->st.op_errors++;
	pvb_flags_clear(sh, XEN_PCIF_active); /* seq_cst: orders the stores above */
	if (g->port)
		(void)pvpci_evtchn_notify(g->be->plat, g->port);
}

unsigned pvb_ops_serve(struct pvb_guest *g, unsigned max)
{
	unsigned n = 0;

	while (n < max && g->sh && (pvb_flags(g->sh) & XEN_PCIF_active)) {
		serve_one(g);
		n++;
	}
	return n;
}
