/* SPDX-License-Identifier: MIT */
/*
 * Host-side control of the backend: interrupts and AER errors injected into model devices,
 * the shared-INTx handler toggle (pciback's irq_handler_state), and the introspection
 * calls that the CLI and the tests read (guests with their states and counters, devices
 * with their assignment, interrupt mode, PIRQs and handler state).
 */
#include <errno.h>
#include <string.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

int pvpci_backend_raise_irq(struct pvpci_backend *be, struct pvpci_sbdf host,
			    enum pvpci_irq_kind kind, unsigned vector)
{
	struct pvb_hostdev *hd = pvb_dev_by_host(be, host);

	if (!hd)
		return -ENOENT;
	if (!pvpci_source_is_model(hd->src))
		return -EINVAL;
	return pvpci_model_raise(hd->src, kind, vector);
}

int pvpci_backend_aer_at(struct pvpci_backend *be, struct pvpci_sbdf host, int channel,
			 unsigned cmd)
{
	struct pvb_hostdev *hd = pvb_dev_by_host(be, host);

	if (!hd)
		return -ENOENT;
	if (!hd->owner)
		return -ENODEV;
	return pvb_aer_start(hd->owner, hd, channel, cmd);
}

int pvpci_backend_aer(struct pvpci_backend *be, struct pvpci_sbdf host, int channel)
{
	return pvpci_backend_aer_at(be, host, channel, XEN_PCI_OP_aer_detected);
}

int pvpci_backend_isr_toggle(struct pvpci_backend *be, struct pvpci_sbdf host)
{
	struct pvb_hostdev *hd = pvb_dev_by_host(be, host);

	if (!hd)
		return -ENOENT;
	hd->isr.disabled = !hd->isr.disabled;
	pvb_intx_update(hd);
	return 0;
}

int pvpci_backend_guests(struct pvpci_backend *be, struct pvpci_backend_guest_info *out,
			 size_t max, size_t *n)
{
	size_t i = 0;

	for (struct pvb_guest *g = be->guests; g; g = g->next, i++) {
		if (i >= max)
			continue;
		out[i] = (struct pvpci_backend_guest_info){
			.domid = g->domid,
			.state = g->state,
			.fe_state = g->fe_state,
			.connected = g->sh && g->port,
			.mode = g->topo.mode,
			.ndevs = (unsigned)g->topo.n,
			.ops = g->st.ops,
			.op_errors = g->st.op_errors,
			.events = g->st.events,
			.spurious = g->st.spurious,
		};
	}
	*n = i;
	return 0;
}

int pvpci_backend_devices(struct pvpci_backend *be, struct pvpci_backend_dev_info *out,
			  size_t max, size_t *n)
{
	size_t i = 0;

	for (struct pvb_hostdev *hd = be->devs; hd; hd = hd->next, i++) {
		if (i >= max)
			continue;
		out[i] = (struct pvpci_backend_dev_info){
			.host = hd->host,
			.assigned = hd->owner != NULL,
			.domid = hd->owner ? hd->owner->domid : 0,
			.virt = hd->owner ? hd->virt : (struct pvpci_sbdf){ 0 },
			.intr = pvpci_pvdev_intr_mode(hd->pv),
			.intx_pirq = hd->irq.intx_pirq,
			.msi_vectors = hd->irq.msi_on ? hd->irq.msi_n : 0,
			.msix_vectors = hd->irq.msix_on ? hd->irq.msix_n : 0,
			.isr_on = hd->isr.on,
			.isr_ack = hd->isr.ack,
			.isr_count = hd->isr.count,
			.aer_result = hd->aer_result,
		};
	}
	*n = i;
	return 0;
}
