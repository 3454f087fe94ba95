/* SPDX-License-Identifier: MIT */
/*
 * Generic xenstore helpers shared by the split drivers (the PV backend and the frontend
 * library): path building that refuses to truncate, bounded reads (a value longer than
 * the caller's buffer, or holding a NUL, is an error, never truncated), strict decimal
 * parsing of what another domain wrote, formatted writes, writes that skip an unchanged
 * value (for a driver that watches its own directory) and removal that tolerates absence.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "pvpci/platform.h"

#define XS_FMT_MAX 256

int pvpci_xs_path(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int pvpci_xs_read_t(struct xs_handle *xs, uint32_t t, const char *path, char *buf,
		    size_t cap)
{
	unsigned len = 0;
	char *v;

	errno = 0;
	v = xs_read(xs, t, path, &len);
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

int pvpci_xs_read(struct xs_handle *xs, const char *path, char *buf, size_t cap)
{
	return pvpci_xs_read_t(xs, XBT_NULL, path, buf, cap);
}

int pvpci_xs_parse_dec(const char *s, uint64_t max, uint64_t *out)
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

int pvpci_xs_read_uint(struct xs_handle *xs, const char *path, uint64_t max, uint64_t *out)
{
	char buf[24];
	int rc = pvpci_xs_read(xs, path, buf, sizeof(buf));

	return rc ? rc : pvpci_xs_parse_dec(buf, max, out);
}

int pvpci_xs_write(struct xs_handle *xs, const char *path, const char *val)
{
	errno = 0;
	if (!xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val)))
		return errno ? -errno : -EIO;
	return 0;
}

int pvpci_xs_write_changed(struct xs_handle *xs, const char *path, const char *val)
{
	char old[XS_FMT_MAX];

	if (pvpci_xs_read(xs, path, old, sizeof(old)) == 0 && strcmp(old, val) == 0)
		return 0;
	return pvpci_xs_write(xs, path, val);
}

int pvpci_xs_printf(struct xs_handle *xs, const char *path, const char *fmt, ...)
{
	char val[XS_FMT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	return pvpci_xs_write_changed(xs, path, val);
}

int pvpci_xs_vprintf_t(struct xs_handle *xs, uint32_t t, const char *path, const char *fmt,
		       va_list ap)
{
	char val[XS_FMT_MAX];
	int n = vsnprintf(val, sizeof(val), fmt, ap);

	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	errno = 0;
	if (!xs_write(xs, t, path, val, (unsigned)n))
		return errno ? -errno : -EIO;
	return 0;
}

int pvpci_xs_rm_t(struct xs_handle *xs, uint32_t t, const char *path)
{
	errno = 0;
	if (!xs_rm(xs, t, path) && errno != ENOENT)
		return errno ? -errno : -EIO;
	return 0;
}

int pvpci_xs_rm(struct xs_handle *xs, const char *path)
{
	return pvpci_xs_rm_t(xs, XBT_NULL, path);
}
