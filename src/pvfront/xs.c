/* SPDX-License-Identifier: MIT */
/*
 * The frontend's xenstore access: nodes of the backend's directory and our own state,
 * through the platform's bounded helpers (pvpci_xs_*: values longer than the caller's
 * buffer are errors, numbers strict decimal, paths never truncated). The backend's nodes
 * are read with the same care as the backend reads ours.
 */
#include <stdio.h>

#include "pvfront_priv.h"

int pvf_be_read(struct pvpci_pvfront *f, const char *node, char *buf, size_t cap)
{
	char p[PVF_PATH_MAX];
	int rc = pvpci_xs_path(p, sizeof(p), "%s/%s", f->be_path, node);

	return rc ? rc : pvpci_xs_read(f->xs, p, buf, cap);
}

int pvf_be_uint(struct pvpci_pvfront *f, const char *node, uint64_t max, uint64_t *out)
{
	char p[PVF_PATH_MAX];
	int rc = pvpci_xs_path(p, sizeof(p), "%s/%s", f->be_path, node);

	return rc ? rc : pvpci_xs_read_uint(f->xs, p, max, out);
}

int pvf_set_state(struct pvpci_pvfront *f, int state)
{
	char p[PVF_PATH_MAX], v[8];
	int rc = pvpci_xs_path(p, sizeof(p), "%s/state", f->fe_path);

	if (rc)
		return rc;
	snprintf(v, sizeof(v), "%d", state);
	rc = pvpci_xs_write(f->xs, p, v);
	if (rc)
		return rc;
	pvpci_logf(&f->log, PVPCI_LOG_DEBUG, "frontend state %d -> %d", f->state, state);
	f->state = state;
	return 0;
}

int pvf_backend_state(struct pvpci_pvfront *f)
{
	uint64_t s;

	if (pvf_be_uint(f, "state", XenbusStateReconfigured, &s))
		return XenbusStateUnknown;
	return (int)s;
}
