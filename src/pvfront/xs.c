/* SPDX-License-Identifier: MIT */
/*
 * Bounded xenstore access for the frontend: values longer than the caller's buffer are
 * errors (never truncated), numbers are strict decimal, paths never truncate. The
 * backend's nodes are read with the same care as the backend reads ours.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "pvfront_priv.h"

int pvf_path(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int pvf_xs_read(struct pvpci_pvfront *f, const char *path, char *buf, size_t cap)
{
	unsigned len = 0;
	char *v = xs_read(f->xs, XBT_NULL, path, &len);

	if (!v)
		return errno ? -errno : -EIO;
	if (len >= cap || strlen(v) != len) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, len + 1);
	free(v);
	return 0;
}

int pvf_parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 20)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int pvf_xs_read_uint(struct pvpci_pvfront *f, const char *path, uint64_t max, uint64_t *out)
{
	char buf[24];
	int rc = pvf_xs_read(f, path, buf, sizeof(buf));

	return rc ? rc : pvf_parse_dec(buf, max, out);
}

int pvf_be_read(struct pvpci_pvfront *f, const char *node, char *buf, size_t cap)
{
	char p[PVF_PATH_MAX];
	int rc = pvf_path(p, sizeof(p), "%s/%s", f->be_path, node);

	return rc ? rc : pvf_xs_read(f, p, buf, cap);
}

int pvf_be_uint(struct pvpci_pvfront *f, const char *node, uint64_t max, uint64_t *out)
{
	char p[PVF_PATH_MAX];
	int rc = pvf_path(p, sizeof(p), "%s/%s", f->be_path, node);

	return rc ? rc : pvf_xs_read_uint(f, p, max, out);
}

int pvf_set_state(struct pvpci_pvfront *f, int state)
{
	char p[PVF_PATH_MAX], v[8];
	int rc = pvf_path(p, sizeof(p), "%s/state", f->fe_path);

	if (rc)
		return rc;
	snprintf(v, sizeof(v), "%d", state);
	if (!xs_write(f->xs, XBT_NULL, p, v, (unsigned)strlen(v)))
		return errno ? -errno : -EIO;
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
