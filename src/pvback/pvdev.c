/* SPDX-License-Identifier: MIT */
/*
 * The PV config-space policy of one device: lifecycle (seize, detach, destroy), the guest's
 * read / write entry points with their bounds checks, the gap policy handed to the register
 * engine (gap reads go to the device; gap writes only when the device is permissive, else
 * dropped and logged), the per-guest knobs, and the generic handlers the region files use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvdev_priv.h"

/* ---- Device access helpers ---- */

int pv_hw_read(struct pvpci_pvdev *d, unsigned off, unsigned size, uint32_t *val)
{
	int rc = pvpci_source_cfg_read(d->src, off, size, val);

	if (rc) {
		*val = ~0u;
		pvpci_logf(&d->log, PVPCI_LOG_WARNING, "device read 0x%x/%u failed: %s", off,
			   size, pvpci_errname(rc));
	}
	return rc;
}

int pv_hw_write(struct pvpci_pvdev *d, unsigned off, unsigned size, uint32_t val)
{
	int rc = pvpci_source_cfg_write(d->src, off, size, val);

	if (rc)
		pvpci_logf(&d->log, PVPCI_LOG_WARNING, "device write 0x%x/%u failed: %s", off,
			   size, pvpci_errname(rc));
	return rc;
}

uint32_t pv_pristine(const struct pvpci_pvdev *d, unsigned off, unsigned size)
{
	const uint8_t *p = d->pristine + off;

	if (off + size > d->cfg_size)
		return 0;
	if (size == 4)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		       (uint32_t)p[3] << 24;
	return size == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : p[0];
}

void pv_drop(struct pvpci_pvdev *d, unsigned off, unsigned size, uint32_t val,
	     const char *why)
{
	d->wr_dropped = true;
	if (size)
		pvpci_logf_rl(&d->log, &d->rl_ro, PVPCI_LOG_WARNING,
			      "guest wrote read-only field 0x%x/%u (0x%x): %s", off, size, val,
			      why);
	else
		pvpci_logf_rl(&d->log, &d->rl_ro, PVPCI_LOG_WARNING,
			      "guest wrote read-only field 0x%x (0x%x): %s", off, val, why);
}

/* ---- Generic handlers ---- */

int pv_read_hw8(void *ctx, unsigned off, uint32_t *val, void *data)
{
	return pv_hw_read(ctx, off, 1, val);
}

int pv_read_hw16(void *ctx, unsigned off, uint32_t *val, void *data)
{
	return pv_hw_read(ctx, off, 2, val);
}

int pv_read_hw32(void *ctx, unsigned off, uint32_t *val, void *data)
{
	return pv_hw_read(ctx, off, 4, val);
}

int pv_read_cached8(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = pv_pristine(ctx, off, 1);
	return 0;
}

int pv_read_cached16(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = pv_pristine(ctx, off, 2);
	return 0;
}

int pv_read_cached32(void *ctx, unsigned off, uint32_t *val, void *data)
{
	*val = pv_pristine(ctx, off, 4);
	return 0;
}

int pv_write_hw8(void *ctx, unsigned off, uint32_t val, void *data)
{
	return pv_hw_write(ctx, off, 1, val);
}

int pv_write_drop(void *ctx, unsigned off, uint32_t val, void *data)
{
	pv_drop(ctx, off, 0, val, "no write handler");
	return 0;
}

/* ---- Register tables ---- */

int pv_add_fields(struct pvpci_pvdev *d, unsigned base, const struct pv_field *f, size_t n,
		  void *data)
{
	for (size_t i = 0; i < n; i++) {
		struct pvpci_reg_desc desc = {
			.offset = base + f[i].off,
			.size = f[i].size,
			.read = f[i].read,
			.write = f[i].write,
			.data = data,
			.ro_mask = f[i].ro_mask,
			.rw1c_mask = f[i].rw1c_mask,
			.rsvdp_mask = f[i].rsvdp_mask,
		};
		int rc = desc.offset + desc.size > d->cfg_size ? -EINVAL
							       : pvpci_regs_add(d->regs, &desc);

		if (rc == 0)
			continue;
		while (i-- > 0)
			if (pvpci_regs_remove(d->regs, base + f[i].off, f[i].size))
				pvpci_logf(&d->log, PVPCI_LOG_ERR, "cannot remove 0x%x",
					   base + f[i].off);
		return rc;
	}
	return 0;
}

void pv_restore_add(struct pvpci_pvdev *d, unsigned off, unsigned size, unsigned pass,
		    uint32_t skip_mask)
{
	if (off + size > d->cfg_size)
		return;
	if (d->nrestore >= PV_MAX_RESTORE) {
		pvpci_logf(&d->log, PVPCI_LOG_WARNING, "restore list full at 0x%x", off);
		return;
	}
	d->restore[d->nrestore++] = (struct pv_restore){
		.off = (uint16_t)off, .size = (uint8_t)size, .pass = (uint8_t)pass,
		.skip_mask = skip_mask,
	};
}

/* ---- The gap policy: registers without a handler ---- */

static int gap_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
	return pv_hw_read(ctx, off, size, val);
}

static int gap_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
	struct pvpci_pvdev *d = ctx;
	int rc;

	if (!d->permissive) {
		pv_drop(d, off, size, val, "dropped");
		return 0;
	}
	pvpci_logf_rl(&d->log, &d->rl_perm, PVPCI_LOG_NOTICE,
		      "permissive: guest write 0x%x/%u = 0x%x passed to the device", off, size,
		      val);
	rc = pv_hw_write(d, off, size, val);
	return rc ? rc : pv_reconcile(d);
}

static const struct pvpci_regs_gap_ops pv_gap_ops = {
	.read = gap_read,
	.write = gap_write,
};

/* ---- Lifecycle ---- */

static void pv_free(struct pvpci_pvdev *d)
{
	if (!d)
		return;
	pvpci_regs_destroy(d->regs);
	free(d->quirks);
	free(d->pristine);
	free(d);
}

static void pv_log_init(struct pvpci_pvdev *d, const struct pvpci_pv_opts *opts)
{
	const struct pvpci_log *parent = opts ? opts->log : NULL;
	const char *name = pvpci_source_name(d->src);

	if (parent && parent->prefix[0])
		pvpci_log_init(&d->log, parent, "%.24s %s", parent->prefix, name);
	else if (parent)
		pvpci_log_init(&d->log, parent, "%s", name);
	else
		pvpci_log_init(&d->log, pvpci_source_log(d->src), "pvback %s", name);
	d->rl_ro = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	d->rl_perm = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	d->rl_intr = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
}

/* Snapshot and header-type check: only type 0 and type 1 headers are handled. */
static int pv_capture(struct pvpci_pvdev *d)
{
	int rc;

	d->pristine = calloc(1, d->cfg_size);
	if (!d->pristine)
		return -ENOMEM;
	rc = pvpci_source_snapshot(d->src, d->pristine, d->cfg_size);
	if (rc) {
		pvpci_logf(&d->log, PVPCI_LOG_ERR, "cannot read the config space: %s",
			   pvpci_errname(rc));
		return rc;
	}
	d->hdr_type = d->pristine[PCI_REG_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
	if (d->hdr_type != PCI_HEADER_TYPE_NORMAL && d->hdr_type != PCI_HEADER_TYPE_BRIDGE) {
		pvpci_logf(&d->log, PVPCI_LOG_ERR, "header type %u not supported",
			   d->hdr_type);
		return -EOPNOTSUPP;
	}
	return 0;
}

int pvpci_pvdev_create(struct pvpci_source *src, const struct pvpci_pv_opts *opts,
		       struct pvpci_pvdev **out)
{
	struct pvpci_pvdev *d;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!src)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->src = src;
	d->cfg_size = pvpci_source_cfg_size(src);
	pv_log_init(d, opts);
	rc = pv_capture(d);
	if (!rc)
		rc = pvpci_regs_create(d->cfg_size, &pv_gap_ops, d, &d->regs);
	if (!rc)
		rc = pv_header_init(d);
	if (!rc) {
		pv_caps_init(d);
		if (opts && opts->nquirks)
			rc = pv_quirks_add(d, opts->quirks, opts->nquirks);
	}
	if (!rc)
		rc = pv_seize(d);
	if (rc) {
		if (d->regs && d->pristine && pv_restore_pristine(d))
			pvpci_logf(&d->log, PVPCI_LOG_ERR, "could not restore the saved state");
		pv_free(d);
		return rc;
	}
	d->permissive = opts && opts->permissive;
	d->allow_intr_ctrl = opts && opts->allow_interrupt_control;
	if (d->permissive)
		pvpci_logf(&d->log, PVPCI_LOG_NOTICE, "permissive: guest may write "
			   "registers the policy does not handle");
	*out = d;
	return 0;
}

/* Reset failures are logged, not fatal: state is restored anyway (pciback does too). */
static void pv_reset(struct pvpci_pvdev *d)
{
	int rc = pvpci_source_reset(d->src, PVPCI_RESET_FUNCTION);

	if (rc == -ENOTTY || rc == -EOPNOTSUPP)
		pvpci_logf(&d->log, PVPCI_LOG_NOTICE,
			   "no function reset; restoring the saved state only");
	else if (rc)
		pvpci_logf(&d->log, PVPCI_LOG_WARNING,
			   "reset failed (%s); restoring the saved state anyway",
			   pvpci_errname(rc));
}

void pvpci_pvdev_destroy(struct pvpci_pvdev *d)
{
	if (!d)
		return;
	pv_reset(d);
	if (pv_restore_pristine(d))
		pvpci_logf(&d->log, PVPCI_LOG_ERR, "could not restore the saved state");
	pv_free(d);
}

int pvpci_pvdev_detach(struct pvpci_pvdev *d)
{
	int rc, first = 0;

	if (!d)
		return -EINVAL;
	rc = pv_intr_disable_all(d);
	first = first ? first : rc;
	pv_reset(d);
	rc = pv_restore_pristine(d);
	first = first ? first : rc;
	pv_quirks_drop(d);
	d->permissive = false;
	d->allow_intr_ctrl = false;
	pv_bars_reset(d);
	rc = pv_seize(d);
	first = first ? first : rc;
	d->dropped = 0;
	return first;
}

/* ---- Guest accesses ---- */

static bool pv_access_ok(const struct pvpci_pvdev *d, int off, int size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	if (off < 0 || off % size)
		return false;
	return (unsigned)off + (unsigned)size <= d->cfg_size;
}

/* Handler and device errors reach the guest as "op failed", except the policy's own. */
static int pv_guest_err(int rc)
{
	return rc == -EINVAL || rc == -EACCES ? rc : -EIO;
}

int pvpci_pvdev_conf_read(struct pvpci_pvdev *d, int off, int size, uint32_t *val)
{
	uint32_t v = 0;
	int rc;

	if (!val)
		return -EINVAL;
	*val = 0;
	if (!d || !pv_access_ok(d, off, size))
		return -EINVAL;
	rc = pvpci_regs_read(d->regs, (unsigned)off, (unsigned)size, &v);
	if (rc)
		return pv_guest_err(rc);
	*val = size == 4 ? v : v & ((1u << (8 * size)) - 1);
	return 0;
}

int pvpci_pvdev_conf_write(struct pvpci_pvdev *d, int off, int size, uint32_t val)
{
	int rc;

	if (!d || !pv_access_ok(d, off, size))
		return -EINVAL;
	if (size != 4)
		val &= (1u << (8 * size)) - 1;
	d->wr_dropped = false;
	rc = pvpci_regs_write(d->regs, (unsigned)off, (unsigned)size, val);
	if (d->wr_dropped)
		d->dropped++;
	return rc ? pv_guest_err(rc) : 0;
}

/* ---- Knobs and accessors ---- */

void pvpci_pvdev_set_permissive(struct pvpci_pvdev *d, bool on)
{
	if (!d || d->permissive == on)
		return;
	d->permissive = on;
	pvpci_logf(&d->log, PVPCI_LOG_NOTICE, "permissive %s", on ? "on" : "off");
}

void pvpci_pvdev_set_allow_interrupt_control(struct pvpci_pvdev *d, bool on)
{
	if (!d || d->allow_intr_ctrl == on)
		return;
	d->allow_intr_ctrl = on;
	pvpci_logf(&d->log, PVPCI_LOG_NOTICE, "allow_interrupt_control %s", on ? "on" : "off");
}

bool pvpci_pvdev_permissive(const struct pvpci_pvdev *d)
{
	return d && d->permissive;
}

bool pvpci_pvdev_allow_interrupt_control(const struct pvpci_pvdev *d)
{
	return d && d->allow_intr_ctrl;
}

struct pvpci_source *pvpci_pvdev_source(const struct pvpci_pvdev *d)
{
	return d ? d->src : NULL;
}

uint64_t pvpci_pvdev_dropped_writes(const struct pvpci_pvdev *d)
{
	return d ? d->dropped : 0;
}

/* The wire's XEN_PCI_ERR_* names, for messages. */
static const struct {
	int err;
	const char *name;
} pv_err_names[] = {
	{ 0, "success" },
	{ -ENODEV, "device not found" },
	{ -EINVAL, "invalid offset" },
	{ -EACCES, "access denied" },
	{ -ENOSYS, "not implemented" },
	{ -EOPNOTSUPP, "not implemented" },
	{ -EIO, "op failed" },
};

const char *pvpci_pv_errname(int neg_errno)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(pv_err_names); i++)
		if (pv_err_names[i].err == neg_errno)
			return pv_err_names[i].name;
	return "op failed";
}
