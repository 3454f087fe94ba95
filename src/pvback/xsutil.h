/* SPDX-License-Identifier: MIT */
/*
 * Xenstore helpers of the backend (xsutil.c): bounded reads, strict decimal parsing,
 * writes that skip unchanged values, truncation-proof paths. All return 0 or a negative
 * errno (-ENOENT: no such node, -E2BIG: value too long, -EINVAL / -ERANGE: not a number
 * in range, -ENAMETOOLONG: path too long).
 */
#ifndef PVPCI_PVBACK_XSUTIL_H
#define PVPCI_PVBACK_XSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"

struct xs_handle;

int pvb_path(char *buf, size_t cap, const char *fmt, ...) PVPCI_PRINTF(3, 4) PVPCI_WUR;
/* The value into buf (NUL-terminated); -E2BIG if it does not fit or holds a NUL. */
int pvb_xs_read(struct xs_handle *xs, const char *path, char *buf, size_t cap) PVPCI_WUR;
/* Decimal digits only, at most max. */
int pvb_parse_dec(const char *s, uint64_t max, uint64_t *out) PVPCI_WUR;
int pvb_xs_read_uint(struct xs_handle *xs, const char *path, uint64_t max, uint64_t *out)
	PVPCI_WUR;
int pvb_xs_write(struct xs_handle *xs, const char *path, const char *val);
/* Writes only when the node is absent or holds something else. */
int pvb_xs_write_changed(struct xs_handle *xs, const char *path, const char *val);
int pvb_xs_printf(struct xs_handle *xs, const char *path, const char *fmt, ...)
	PVPCI_PRINTF(3, 4);
/* 0 if removed or absent. */
int pvb_xs_rm(struct xs_handle *xs, const char *path);

#endif
