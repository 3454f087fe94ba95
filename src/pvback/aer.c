/* SPDX-License-Identifier: MIT */
/*
 * AER towards the frontend (behaviour.md 3.8). The backend plays both the host's AER core
 * (error_detected -> mmio_enabled or slot reset -> resume, from the answers) and pciback's
 * four callbacks: each step fills aer_op with the command, the channel state and the
 * device's VIRTUAL address, sets _XEN_PCIB_active and notifies; the frontend answers a
 * pci_ers_result in aer_op.err and clears the bit. Nothing blocks: the step waits in the
 * event loop with a deadline (default 300 s); on expiry the bit is cleared, err set to
 * NONE and the default result used. Kill policy: no shared page, or no PV AER handler for
 * error_detected / resume, or an answer of NONE / DISCONNECT -> aerState=aerfail and the
 * configured kill.
 */
#include <errno.h>
#include <limits.h>

#include "backend_priv.h"
#include "pvdev_priv.h"

static const unsigned step_cmd[] = {
	[PVB_AER_DETECTED] = XEN_PCI_OP_aer_detected,
	[PVB_AER_MMIO] = XEN_PCI_OP_aer_mmio,
	[PVB_AER_SLOTRESET] = XEN_PCI_OP_aer_slotreset,
	[PVB_AER_RESUME] = XEN_PCI_OP_aer_resume,
};
static const char *const step_name[] = {
	[PVB_AER_DETECTED] = "error_detected",
	[PVB_AER_MMIO] = "mmio_enabled",
	[PVB_AER_SLOTRESET] = "slot_reset",
	[PVB_AER_RESUME] = "resume",
};

static int default_result(enum pvb_aer_step s)
{
	return s == PVB_AER_DETECTED ? PVPCI_AER_RESULT_CAN_RECOVER : PVPCI_AER_RESULT_RECOVERED;
}

static void finish(struct pvb_guest *g, int result)
{
	struct pvb_hostdev *hd = g->aer.dev;
	struct pvpci_backend *be = g->be;

	if (g->aer.step != PVB_AER_IDLE && be->aer_flows)
		be->aer_flows--;
	g->aer = (struct pvb_aer){ 0 };
	if (!hd)
		return;
	hd->aer_result = result;
	pvpci_logf(&g->log, PVPCI_LOG_NOTICE, "%s: AER recovery %s", hd->name,
		   result == PVPCI_AER_RESULT_RECOVERED ? "done" : "failed");
	if (be->opts.on_aer_done)
		be->opts.on_aer_done(be->opts.opaque, hd->host, result);
}

static void run_step(struct pvb_guest *g);

/* Reset the device between detection and slot_reset, putting host state back. */
static void reset_device(struct pvb_guest *g, struct pvb_hostdev *hd)
{
	int rc = pvpci_source_reset(hd->src, PVPCI_RESET_FUNCTION);

	if (!rc)
		rc = pv_reconcile(hd->pv);
	if (!rc)
		rc = pvb_irqs_restore(hd);
	if (rc)
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "%s: reset for AER recovery failed: %s",
			   hd->name, pvpci_errname(rc));
}

/* What the host's AER core does with the answer of a step. */
static void step_done(struct pvb_guest *g, int result)
{
	enum pvb_aer_step s = g->aer.step;

	if (result < PVPCI_AER_RESULT_NONE || result > PVPCI_AER_RESULT_NO_AER_DRIVER)
		result = PVPCI_AER_RESULT_NONE;
	if (s != PVB_AER_RESUME &&
	    (result == PVPCI_AER_RESULT_NONE || result == PVPCI_AER_RESULT_DISCONNECT)) {
		pvb_guest_kill(g, "guest gave up AER recovery");
		finish(g, PVPCI_AER_RESULT_DISCONNECT);
		return;
	}
	if (s == PVB_AER_DETECTED && g->aer.channel == PVPCI_AER_CHANNEL_FROZEN &&
	    result == PVPCI_AER_RESULT_CAN_RECOVER)
		result = PVPCI_AER_RESULT_NEED_RESET; /* fatal errors always reset */
	if (s == PVB_AER_RESUME) {
		finish(g, PVPCI_AER_RESULT_RECOVERED);
		return;
	}
	if (result == PVPCI_AER_RESULT_NEED_RESET && s != PVB_AER_SLOTRESET) {
		reset_device(g, g->aer.dev);
		g->aer.step = PVB_AER_SLOTRESET;
	} else if (result == PVPCI_AER_RESULT_CAN_RECOVER && s == PVB_AER_DETECTED) {
		g->aer.step = PVB_AER_MMIO;
	} else if (result == PVPCI_AER_RESULT_RECOVERED ||
		   (result == PVPCI_AER_RESULT_CAN_RECOVER && s == PVB_AER_MMIO)) {
		g->aer.step = PVB_AER_RESUME;
	} else {
		finish(g, PVPCI_AER_RESULT_DISCONNECT);
		return;
	}
	run_step(g);
}

static void run_step(struct pvb_guest *g)
{
	enum pvb_aer_step s = g->aer.step;
	struct pvb_hostdev *hd = g->aer.dev;
	struct xen_pci_sharedinfo *sh = g->sh;

	if (!sh) {
		pvb_guest_kill(g, "AER on a device whose guest is not connected");
		finish(g, PVPCI_AER_RESULT_DISCONNECT);
		return;
	}
	if (!(pvb_flags(sh) & XEN_PCIB_AERHANDLER)) {
		if (s == PVB_AER_DETECTED || s == PVB_AER_RESUME) {
			pvb_guest_kill(g, "guest has no PV AER handler");
			finish(g, PVPCI_AER_RESULT_DISCONNECT);
			return;
		}
		pvpci_logf(&g->log, PVPCI_LOG_WARNING, "%s: %s: guest has no PV AER handler",
			   hd->name, step_name[s]);
		step_done(g, default_result(s));
		return;
	}
	pvb_shared_store32(&sh->aer_op.cmd, step_cmd[s]);
	pvb_shared_store32(&sh->aer_op.err,
			   s == PVB_AER_DETECTED ? (uint32_t)g->aer.channel : PVPCI_AER_CHANNEL_NORMAL);
	pvb_shared_store32(&sh->aer_op.domain, hd->virt.seg);
	pvb_shared_store32(&sh->aer_op.bus, hd->virt.bus);
	pvb_shared_store32(&sh->aer_op.devfn, PVPCI_DEVFN(hd->virt.dev, hd->virt.fn));
	g->aer.waiting = true;
	g->aer.deadline = pvpci_now_ns() + (uint64_t)g->be->opts.aer_timeout_ms * 1000000u;
	pvb_flags_set(sh, XEN_PCIB_active);
	if (g->port)
		(void)pvpci_evtchn_notify(g->be->plat, g->port);
}

int pvb_aer_start(struct pvb_guest *g, struct pvb_hostdev *hd, int channel, unsigned cmd)
{
	enum pvb_aer_step first = PVB_AER_IDLE;

	for (size_t s = PVB_AER_DETECTED; s < PVPCI_ARRAY_SIZE(step_cmd); s++)
		if (step_cmd[s] == cmd)
			first = (enum pvb_aer_step)s;
	if (first == PVB_AER_IDLE)
		return -EINVAL;
	if (g->aer.step != PVB_AER_IDLE)
		return -EBUSY;
	if (channel != PVPCI_AER_CHANNEL_NORMAL && channel != PVPCI_AER_CHANNEL_FROZEN &&
	    channel != PVPCI_AER_CHANNEL_PERM_FAILURE)
		return -EINVAL;
	g->aer = (struct pvb_aer){ first, false, hd, channel, 0 };
	g->be->aer_flows++;
	pvpci_logf(&g->log, PVPCI_LOG_NOTICE, "%s: AER error (channel state %d), from %s",
		   hd->name, channel, step_name[first]);
	if (first == PVB_AER_SLOTRESET)
		reset_device(g, hd);
	run_step(g);
	return 0;
}

void pvb_aer_event(struct pvb_guest *g)
{
	int32_t result;

	if (!g->aer.waiting || !g->sh || (pvb_flags(g->sh) & XEN_PCIB_active))
		return;
	result = (int32_t)__atomic_load_n((uint32_t *)&g->sh->aer_op.err, __ATOMIC_ACQUIRE);
	g->aer.waiting = false;
	step_done(g, result);
}

int pvb_aer_timeouts(struct pvpci_backend *be)
{
	uint64_t now, next = UINT64_MAX;

	if (!be->aer_flows) /* the common case: no clock read, no walk */
		return -1;
	now = pvpci_now_ns();

	for (struct pvb_guest *g = be->guests; g; g = g->next) {
		if (!g->aer.waiting)
			continue;
		if (now >= g->aer.deadline) {
			enum pvb_aer_step s = g->aer.step;

			pvpci_logf(&g->log, PVPCI_LOG_WARNING, "%s: %s: no answer from the guest",
				   g->aer.dev->name, step_name[s]);
			g->aer.waiting = false;
			if (g->sh) {
				pvb_flags_clear(g->sh, XEN_PCIB_active);
				pvb_shared_store32(&g->sh->aer_op.err, PVPCI_AER_RESULT_NONE);
			}
			step_done(g, default_result(s));
			now = pvpci_now_ns();
		}
		if (g->aer.waiting && g->aer.deadline < next)
			next = g->aer.deadline;
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (next - now) / 1000000 >= INT_MAX ? INT_MAX : (int)((next - now + 999999) / 1000000);
}

void pvb_aer_cancel(struct pvb_guest *g)
{
	if (g->aer.step != PVB_AER_IDLE)
		finish(g, PVPCI_AER_RESULT_DISCONNECT);
}
