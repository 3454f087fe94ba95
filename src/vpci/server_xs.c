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

int vs_read(struct xs_handle *xs, xs_transaction_t t, const char *path, char *buf, size_t cap)
{
	return pvpci_xs_read_t(xs, t, path, buf, cap);
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
	if (strlen(buf) > 10 || pvpci_xs_parse_dec(buf, max, &v))
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
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pvpci_xs_vprintf_t(xs, t, path, fmt, ap);
	va_end(ap);
	return rc == -E2BIG ? -EOVERFLOW : rc;
}

int vs_rm(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	return pvpci_xs_rm_t(xs, t, path);
}

void vs_key(char *buf, size_t cap, const char *dir, const char *key, unsigned n)
{
	snprintf(buf, cap, "%s/%s-%u", dir, key, n);
}
