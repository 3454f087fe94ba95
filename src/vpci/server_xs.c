/* SPDX-License-Identifier: MIT */
/*
 * Store helpers of the vPCI ioreq server and its guest side: every value is copied into a
 * caller's fixed buffer, bounded and checked (a frontend directory is written by the
 * guest), numbers are strict decimal, writes are printf-formatted and bounded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

static int xs_err(void)
{
	return errno ? -errno : -EIO;
}

int vs_read(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf, size_t cap)
{
	unsigned n = 0;
	char *v;
	int rc = 0;

	errno = 0;
	v = xs_read(xs, t, path, &n);
	if (!v)
		return xs_err();
	if (n >= cap || memchr(v, '\0', n))
		rc = -E2BIG;
	else {
		memcpy(buf, v, n);
		buf[n] = '\0';
	}
	free(v);
	return rc;
}

int vs_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *path, uint64_t max,
		 uint64_t *out)
{
	char buf[16];
	uint64_t v = 0;
	int rc = vs_read(xs, t, path, buf, sizeof(buf));

	if (rc == -E2BIG)
		return -EINVAL;
	if (rc)
		return rc;
	if (!buf[0] || strlen(buf) > 10)
		return -EINVAL;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int vs_read_state(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	uint64_t v;

	return vs_read_uint(xs, t, path, 8, &v) ? -1 : (int)v;
}

int vs_write(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *fmt, ...)
{
	char val[VS_VAL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -EOVERFLOW;
	errno = 0;
	return xs_write(xs, t, path, val, (unsigned)n) ? 0 : xs_err();
}

int vs_rm(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	errno = 0;
	if (!xs_rm(xs, t, path) && errno != ENOENT)
		return xs_err();
	return 0;
}

void vs_key(char *buf, size_t cap, const char *dir, const char *key, unsigned n)
{
	snprintf(buf, cap, "%s/%s-%u", dir, key, n);
}
