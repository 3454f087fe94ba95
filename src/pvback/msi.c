/* SPDX-License-Identifier: MIT */
/*
 * MSI, MSI-X and multi-MSI ops (behaviour.md 3.7, XSA-157) and the delivery of device
 * interrupts to the guest. The host does what dom0's pci_enable_msi* would: allocate one
 * PIRQ per vector for the guest through the platform, program the device (message
 * address / data naming the PIRQ, MSI-X table entries unmasked) and set the enable bit.
 * Interrupt-mode rules with pciback's exact answers: enable_msi when MSI is on or MSI-X is
 * on -> op_failed, value 0; enable_msix: nvec > 128 -> -EINVAL before anything is
 * touched, MSI-X on -> -EALREADY, MSI on or memory decoding off -> -ENXIO; disables act
 * only when enabled and answer the legacy PIRQ. Multi-MSI (command 10, which pciback does
 * not implement): `info` vectors (a power of two the device can do), value = first PIRQ and
 * each vector's PIRQ in msix_entries[i].vector; on failure value = a workable count.
 * On xen the hypervisor owns the messages (pvpci_pirq_map_msi): each vector is mapped as a
 * PIRQ of the guest, Xen writes the address / data and the MSI-X table and unmasks a
 * vector when the guest binds it; the backend only sets and clears the enable bits.
 */
#include <errno.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

#define MSI_ADDR_BASE 0xfee00000u

static int hw_rd(struct pvb_hostdev *hd, unsigned off, unsigned size, uint32_t *v)
{
	return pv_hw_read(hd->pv, off, size, v);
}

static int hw_wr(struct pvb_hostdev *hd, unsigned off, unsigned size, uint32_t v)
{
	return pv_hw_write(hd->pv, off, size, v);
}

static void free_pirqs(struct pvb_hostdev *hd, unsigned *pirqs, unsigned n)
{
	unsigned domid = hd->owner ? hd->owner->domid : 0;

	for (unsigned i = 0; i < n; i++) {
		if (pirqs[i] && hd->owner)
			(void)pvpci_pirq_free(hd->be->plat, domid, pirqs[i]);
		pirqs[i] = 0;
	}
}

static int alloc_pirqs(struct pvb_hostdev *hd, unsigned *pirqs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int p = pvpci_pirq_alloc(hd->be->plat, hd->owner->domid);

		if (p <= 0 || p > 0xffff) { /* the wire's vector field is 16 bits */
			if (p > 0)
				(void)pvpci_pirq_free(hd->be->plat, hd->owner->domid, (unsigned)p);
			free_pirqs(hd, pirqs, i);
			return p < 0 ? p : -ENOSPC;
		}
		pirqs[i] = (unsigned)p;
	}
	return 0;
}

/* The platform maps the vectors itself (xen): 1 done, 0 not supported here (allocate and
 * program the messages ourselves), or a negative errno. entries NULL: MSI. */
static int map_pirqs(struct pvb_hostdev *hd, unsigned *pirqs, unsigned n,
		     const uint16_t *entries, uint64_t table_base)
{
	uint32_t sbdf = pvpci_sbdf_pack(pvpci_source_sbdf(hd->src));

	for (unsigned i = 0; i < n; i++) {
		int p = pvpci_pirq_map_msi(hd->be->plat, hd->owner->domid, sbdf,
					   entries ? entries[i] : 0, table_base);

		if (p == -EOPNOTSUPP && i == 0)
			return 0;
		if (p <= 0 || p > 0xffff || (!entries && n > 1)) {
			if (p > 0)
				(void)pvpci_pirq_free(hd->be->plat, hd->owner->domid, (unsigned)p);
			free_pirqs(hd, pirqs, i);
			return p < 0 ? p : p > 0xffff ? -ENOSPC : -EOPNOTSUPP;
		}
		pirqs[i] = (unsigned)p;
	}
	return 1;
}

static int intr_types(struct pvb_hostdev *hd, unsigned *t)
{
	int rc = pv_intr_types(hd->pv, t);

	if (hd->irq.msi_on)
		*t |= PV_INTR_MSI;
	if (hd->irq.msix_on)
		*t |= PV_INTR_MSIX;
	return rc;
}

/* ---- MSI and multi-MSI ---- */

/* Program the MSI capability for n (power of two) vectors starting at pirq, and enable
 * (hv: the hypervisor wrote the message, only enable). */
static int msi_program(struct pvb_hostdev *hd, unsigned n, unsigned pirq, bool hv)
{
	unsigned pos = hd->pv->cap_pos[PV_CAP_MSI];
	uint32_t flags, qsize = 0;
	int rc;

	while ((1u << qsize) < n)
		qsize++;
	rc = hw_rd(hd, pos + PCI_MSI_FLAGS, 2, &flags);
	if (!rc && hv)
		goto enable;
	if (!rc)
		rc = hw_wr(hd, pos + PCI_MSI_ADDR_LO, 4, MSI_ADDR_BASE);
	if (!rc && (flags & PCI_MSI_FLAGS_64BIT))
		rc = hw_wr(hd, pos + PCI_MSI_ADDR_HI, 4, 0);
	if (!rc)
		rc = hw_wr(hd, pos + ((flags & PCI_MSI_FLAGS_64BIT) ? PCI_MSI_DATA_64 :
				      PCI_MSI_DATA_32), 2, pirq & 0xffff);
enable:
	if (!rc) {
		flags = (flags & ~(uint32_t)PCI_MSI_FLAGS_QSIZE) | qsize << 4 | PCI_MSI_FLAGS_ENABLE;
		rc = hw_wr(hd, pos + PCI_MSI_FLAGS, 2, flags);
	}
	return rc;
}

static int msi_turn_off(struct pvb_hostdev *hd)
{
	unsigned pos = hd->pv->cap_pos[PV_CAP_MSI];
	uint32_t flags;
	int rc;

	if (!pos)
		return 0;
	rc = hw_rd(hd, pos + PCI_MSI_FLAGS, 2, &flags);
	if (!rc && (flags & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)))
		rc = hw_wr(hd, pos + PCI_MSI_FLAGS, 2,
			   flags & ~(uint32_t)(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
	return rc;
}

/* Common checks and setup of enable_msi (n = 1) and enable_multi_msi. */
static int msi_setup(struct pvb_guest *g, struct pvb_hostdev *hd, unsigned n, const char *what)
{
	unsigned t = 0;
	int rc = intr_types(hd, &t);

	if (!rc && (t & PV_INTR_MSI))
		rc = -EALREADY;
	else if (!rc && (t & PV_INTR_MSIX))
		rc = -ENXIO;
	else if (!rc && !hd->pv->cap_pos[PV_CAP_MSI])
		rc = -EINVAL;
	if (!rc) {
		rc = map_pirqs(hd, hd->irq.msi_pirq, n, NULL, 0);
		hd->irq.msi_hv = rc == 1;
		rc = rc == 0 ? alloc_pirqs(hd, hd->irq.msi_pirq, n) : rc < 0 ? rc : 0;
	}
	if (!rc) {
		rc = msi_program(hd, n, hd->irq.msi_pirq[0], hd->irq.msi_hv);
		if (rc) {
			(void)msi_turn_off(hd);
			free_pirqs(hd, hd->irq.msi_pirq, n);
		}
	}
	if (rc) {
		pvpci_logf_rl(&g->log, &hd->rl, PVPCI_LOG_WARNING, "%s: %s failed: %s", hd->name,
			      what, pvpci_errname(rc));
		return rc;
	}
	hd->irq.msi_on = true;
	hd->irq.msi_n = n;
	pvb_intx_update(hd);
	return 0;
}

int pvb_msi_enable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op)
{
	if (msi_setup(g, hd, 1, "enable MSI")) {
		op->value = 0;
		return XEN_PCI_ERR_op_failed;
	}
	op->value = hd->irq.msi_pirq[0];
	return XEN_PCI_ERR_success;
}

int pvb_msi_disable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op)
{
	unsigned t = 0;

	if (!intr_types(hd, &t) && (t & PV_INTR_MSI)) {
		(void)msi_turn_off(hd);
		free_pirqs(hd, hd->irq.msi_pirq, hd->irq.msi_n);
		hd->irq.msi_on = false;
		hd->irq.msi_n = 0;
		pvb_intx_update(hd);
	}
	op->value = hd->irq.intx_pirq;
	return XEN_PCI_ERR_success;
}

/* Multi-message capable of the device (1..32). */
static unsigned msi_capable(struct pvb_hostdev *hd)
{
	unsigned pos = hd->pv->cap_pos[PV_CAP_MSI];
	uint32_t flags = pos ? pv_pristine(hd->pv, pos + PCI_MSI_FLAGS, 2) : 0;
	unsigned q = (flags & PCI_MSI_FLAGS_QMASK) >> 1;

	return 1u << (q > 5 ? 5 : q);
}

int pvb_multi_msi_enable(struct pvb_guest *g, struct pvb_hostdev *hd,
			 struct xen_pci_op *op, unsigned *nvec_out)
{
	unsigned want = op->info, cap = msi_capable(hd);

	if (want == 0 || want > cap || (want & (want - 1))) {
		unsigned hint = 1;

		while (hint * 2 <= cap && hint * 2 <= want)
			hint *= 2;
		pvpci_logf_rl(&g->log, &hd->rl, PVPCI_LOG_WARNING,
			      "%s: multi-MSI of %u vectors refused (device can do %u)", hd->name,
			      want, cap);
		op->value = hd->pv->cap_pos[PV_CAP_MSI] ? hint : 0;
		return XEN_PCI_ERR_op_failed;
	}
	if (msi_setup(g, hd, want, "enable multi-MSI")) {
		op->value = 0;
		return XEN_PCI_ERR_op_failed;
	}
	op->value = hd->irq.msi_pirq[0];
	for (unsigned i = 0; i < want; i++)
		op->msix_entries[i].vector = (uint16_t)hd->irq.msi_pirq[i];
	*nvec_out = want;
	return XEN_PCI_ERR_success;
}

/* ---- MSI-X ---- */

struct msix_loc {
	unsigned pos, size, bir;
	uint64_t off;
};

static int msix_loc(struct pvb_hostdev *hd, struct msix_loc *l)
{
	uint32_t t;

	l->pos = hd->pv->cap_pos[PV_CAP_MSIX];
	if (!l->pos)
		return -EINVAL;
	l->size = (pv_pristine(hd->pv, l->pos + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	t = pv_pristine(hd->pv, l->pos + PCI_MSIX_TABLE, 4);
	l->bir = t & PCI_MSIX_BIR_MASK;
	l->off = t & PCI_MSIX_OFFSET_MASK;
	return 0;
}

static int msix_entry_write(struct pvb_hostdev *hd, const struct msix_loc *l, unsigned e,
			    uint32_t data, bool masked)
{
	uint64_t base = l->off + (uint64_t)e * PCI_MSIX_ENTRY_SIZE;
	struct pvpci_source *s = hd->src;
	int rc = pvpci_source_bar_write(s, l->bir, base + PCI_MSIX_ENTRY_ADDR_LO, 4, MSI_ADDR_BASE);

	if (!rc)
		rc = pvpci_source_bar_write(s, l->bir, base + PCI_MSIX_ENTRY_ADDR_HI, 4, 0);
	if (!rc)
		rc = pvpci_source_bar_write(s, l->bir, base + PCI_MSIX_ENTRY_DATA, 4, data);
	if (!rc)
		rc = pvpci_source_bar_write(s, l->bir, base + PCI_MSIX_ENTRY_CTRL, 4,
					    masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
	return rc;
}

static int msix_ctrl(struct pvb_hostdev *hd, const struct msix_loc *l, bool on)
{
	uint32_t f;
	int rc = hw_rd(hd, l->pos + PCI_MSIX_FLAGS, 2, &f);

	if (rc)
		return rc;
	f &= ~(uint32_t)(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	return hw_wr(hd, l->pos + PCI_MSIX_FLAGS, 2, f | (on ? PCI_MSIX_FLAGS_ENABLE : 0));
}

/* Entries must be inside the table and distinct (checked on the private copy). */
static int msix_check_entries(const struct xen_pci_op *op, unsigned nvec, unsigned size)
{
	uint64_t seen[2048 / 64] = { 0 };

	for (unsigned i = 0; i < nvec; i++) {
		unsigned e = op->msix_entries[i].entry;

		if (e >= size || (seen[e / 64] >> (e % 64) & 1))
			return -EINVAL;
		seen[e / 64] |= 1ull << (e % 64);
	}
	return 0;
}

static int msix_precheck(struct pvb_hostdev *hd, unsigned nvec, const struct xen_pci_op *op,
			 struct msix_loc *l)
{
	unsigned t = 0;
	uint32_t cmd = 0;
	int rc;

	if (nvec > SH_INFO_MAX_VEC)
		return -EINVAL;
	rc = intr_types(hd, &t);
	if (rc)
		return rc;
	if (t & PV_INTR_MSIX)
		return -EALREADY;
	rc = hw_rd(hd, PCI_REG_COMMAND, 2, &cmd);
	if (rc)
		return rc;
	if ((t & PV_INTR_MSI) || !(cmd & PCI_CMD_MEMORY))
		return -ENXIO;
	if (nvec == 0 || msix_loc(hd, l))
		return -EINVAL;
	return msix_check_entries(op, nvec, l->size);
}

static int msix_setup(struct pvb_hostdev *hd, struct xen_pci_op *op, unsigned nvec,
		      const struct msix_loc *l)
{
	struct pvb_irqs *q = &hd->irq;
	struct pvpci_bar_info b = { 0 };
	int rc;

	for (unsigned i = 0; i < nvec; i++)
		q->msix_entry[i] = op->msix_entries[i].entry;
	if (pvpci_source_bar_info(hd->src, l->bir, &b))
		b.addr = 0; /* only the local platform gets here without a BAR */
	rc = map_pirqs(hd, q->msix_pirq, nvec, q->msix_entry, b.addr);
	q->msix_hv = rc == 1;
	rc = rc == 0 ? alloc_pirqs(hd, q->msix_pirq, nvec) : rc < 0 ? rc : 0;
	if (rc)
		return rc;
	for (unsigned i = 0; i < nvec && !rc && !q->msix_hv; i++)
		rc = msix_entry_write(hd, l, q->msix_entry[i], q->msix_pirq[i], false);
	if (!rc)
		rc = msix_ctrl(hd, l, true);
	if (rc) {
		for (unsigned i = 0; i < nvec && !q->msix_hv; i++)
			(void)msix_entry_write(hd, l, q->msix_entry[i], 0, true);
		(void)msix_ctrl(hd, l, false);
		free_pirqs(hd, q->msix_pirq, nvec);
	}
	return rc;
}

int pvb_msix_enable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op,
		    unsigned *nvec_out)
{
	unsigned nvec = op->value; /* the private copy's: bounded before anything else */
	struct msix_loc l;
	int rc = msix_precheck(hd, nvec, op, &l);

	if (!rc)
		rc = msix_setup(hd, op, nvec, &l);
	if (rc) {
		pvpci_logf_rl(&g->log, &hd->rl, PVPCI_LOG_WARNING,
			      "%s: enable MSI-X (%u vectors) failed: %s", hd->name, nvec,
			      pvpci_errname(rc));
		return rc; /* pciback answers the raw errno on this path */
	}
	hd->irq.msix_on = true;
	hd->irq.msix_n = nvec;
	for (unsigned i = 0; i < nvec; i++)
		op->msix_entries[i].vector = (uint16_t)hd->irq.msix_pirq[i];
	op->value = 0;
	*nvec_out = nvec;
	pvb_intx_update(hd);
	return XEN_PCI_ERR_success;
}

static void msix_turn_off(struct pvb_hostdev *hd)
{
	struct msix_loc l;

	if (msix_loc(hd, &l))
		return;
	for (unsigned i = 0; i < hd->irq.msix_n && !hd->irq.msix_hv; i++)
		(void)msix_entry_write(hd, &l, hd->irq.msix_entry[i], 0, true);
	(void)msix_ctrl(hd, &l, false);
}

int pvb_msix_disable(struct pvb_guest *g, struct pvb_hostdev *hd, struct xen_pci_op *op)
{
	unsigned t = 0;

	if (!intr_types(hd, &t) && (t & PV_INTR_MSIX)) {
		msix_turn_off(hd);
		free_pirqs(hd, hd->irq.msix_pirq, hd->irq.msix_n);
		hd->irq.msix_on = false;
		hd->irq.msix_n = 0;
		pvb_intx_update(hd);
	}
	op->value = hd->irq.intx_pirq;
	return XEN_PCI_ERR_success;
}

void pvb_irqs_release(struct pvb_hostdev *hd)
{
	if (hd->irq.msix_on || hd->irq.msix_n)
		msix_turn_off(hd);
	if (hd->irq.msi_on || hd->irq.msi_n)
		(void)msi_turn_off(hd);
	free_pirqs(hd, hd->irq.msix_pirq, hd->irq.msix_n);
	free_pirqs(hd, hd->irq.msi_pirq, hd->irq.msi_n);
	hd->irq.msi_on = hd->irq.msix_on = false;
	hd->irq.msi_n = hd->irq.msix_n = 0;
}

/* ---- Interrupts from the device ---- */

static unsigned pirq_of(struct pvb_hostdev *hd, enum pvpci_irq_kind kind, unsigned vector)
{
	const struct pvb_irqs *q = &hd->irq;

	if (kind == PVPCI_IRQ_MSI)
		return q->msi_on && vector < q->msi_n ? q->msi_pirq[vector] : 0;
	if (kind != PVPCI_IRQ_MSIX || !q->msix_on)
		return 0;
	for (unsigned i = 0; i < q->msix_n; i++)
		if (q->msix_entry[i] == vector)
			return q->msix_pirq[i];
	return 0;
}

void pvb_irq_from_device(void *opaque, enum pvpci_irq_kind kind, unsigned vector)
{
	struct pvb_hostdev *hd = opaque;
	unsigned pirq;

	if (!hd->owner)
		return;
	if (kind == PVPCI_IRQ_INTX) {
		(void)pvb_intx_fire(hd);
		return;
	}
	pirq = pirq_of(hd, kind, vector);
	if (pirq)
		(void)pvpci_pirq_fire(hd->be->plat, hd->owner->domid, pirq);
}

int pvb_irqs_restore(struct pvb_hostdev *hd)
{
	struct pvb_irqs *q = &hd->irq;
	struct msix_loc l;
	int rc = 0;

	if (q->msi_on)
		rc = msi_program(hd, q->msi_n, q->msi_pirq[0], q->msi_hv);
	if (!rc && q->msix_on && !msix_loc(hd, &l)) {
		for (unsigned i = 0; i < q->msix_n && !rc && !q->msix_hv; i++)
			rc = msix_entry_write(hd, &l, q->msix_entry[i], q->msix_pirq[i], false);
		if (!rc)
			rc = msix_ctrl(hd, &l, true);
	}
	return rc;
}
