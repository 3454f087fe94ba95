/* SPDX-License-Identifier: MIT */
/*
 * Legacy INTx of a device given to a guest (behaviour.md 3.9). A device with an interrupt
 * pin gets a PIRQ for its line when it joins the guest (the "legacy PIRQ" the MSI / MSI-X
 * disables answer). The shared-line handler ("fake IRQ handler") is installed while the
 * guest has the device enabled, uses INTx (no MSI / MSI-X) and the line is not 0; it
 * claims the interrupt so the host does not disable a line it may share, and every 1000
 * interrupts it checks whether another device of this backend is on the same line: if
 * not, it stops acking. The administrator can toggle it (pciback's irq_handler_state).
 * INTx from the device reaches the guest's PIRQ in any case.
 */
#include <errno.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

int pvb_intx_attach(struct pvb_hostdev *hd)
{
	int p;

	hd->irq.intx_pirq = 0;
	hd->isr = (struct pvb_isr){ .disabled = hd->isr.disabled };
	if (!hd->intx_pin)
		return 0;
	p = pvpci_pirq_alloc(hd->be->plat, hd->owner->domid);
	if (p == -EOPNOTSUPP)
		return 0; /* xen: a line's PIRQ is the toolstack's business, not ours */
	if (p < 0)
		return p;
	hd->irq.intx_pirq = (unsigned)p;
	return 0;
}

void pvb_intx_detach(struct pvb_hostdev *hd)
{
	if (hd->irq.intx_pirq && hd->owner)
		(void)pvpci_pirq_free(hd->be->plat, hd->owner->domid, hd->irq.intx_pirq);
	hd->irq.intx_pirq = 0;
	hd->isr.on = false;
	hd->isr.ack = false;
}

/* Another device of this backend on the same line? */
static bool line_shared(const struct pvb_hostdev *hd)
{
	for (const struct pvb_hostdev *o = hd->be->devs; o; o = o->next)
		if (o != hd && o->intx_pin && o->intx_line == hd->intx_line)
			return true;
	return false;
}

void pvb_intx_update(struct pvb_hostdev *hd)
{
	bool want = hd->owner && !hd->isr.disabled && hd->intx_pin && hd->intx_line &&
		    hd->pv->enabled && !hd->irq.msi_on && !hd->irq.msix_on;

	if (want == hd->isr.on)
		return;
	hd->isr.on = want;
	if (want) {
		hd->isr.ack = true; /* until proven not shared */
		hd->isr.count = 0;
	}
}

int pvb_intx_fire(struct pvb_hostdev *hd)
{
	pvb_intx_update(hd);
	if (hd->isr.on) {
		hd->isr.count++;
		if (hd->isr.ack && hd->isr.count % PVB_ISR_CHECK == 0 && !line_shared(hd)) {
			hd->isr.ack = false;
			pvpci_logf(&hd->owner->log, PVPCI_LOG_INFO,
				   "%s: line %u not shared, no longer acking", hd->name,
				   hd->intx_line);
		}
	}
	if (!hd->owner || !hd->irq.intx_pirq)
		return 0;
	return pvpci_pirq_fire(hd->be->plat, hd->owner->domid, hd->irq.intx_pirq) == 0;
}
