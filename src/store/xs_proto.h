/* SPDX-License-Identifier: MIT */
/*
 * The xenstore wire protocol as the store speaks it: a 16-byte little-endian header
 * {type, req_id, tx_id, len} followed by len payload bytes, the message type numbers and
 * the protocol's size limits. The numbers are Xen's io/xs_wire.h ABI (the store tests
 * check them against that header); written here so src/store builds without libxen-dev.
 */
#ifndef PVPCI_STORE_XS_PROTO_H
#define PVPCI_STORE_XS_PROTO_H

#include <stddef.h>
#include <stdint.h>

enum xsp_type {
	XSP_CONTROL = 0,
	XSP_DIRECTORY = 1,
	XSP_READ = 2,
	XSP_GET_PERMS = 3,
	XSP_WATCH = 4,
	XSP_UNWATCH = 5,
	XSP_TRANSACTION_START = 6,
	XSP_TRANSACTION_END = 7,
	XSP_INTRODUCE = 8,
	XSP_RELEASE = 9,
	XSP_GET_DOMAIN_PATH = 10,
	XSP_WRITE = 11,
	XSP_MKDIR = 12,
	XSP_RM = 13,
	XSP_SET_PERMS = 14,
	XSP_WATCH_EVENT = 15,
	XSP_ERROR = 16,
	XSP_IS_DOMAIN_INTRODUCED = 17,
	XSP_RESUME = 18,
	XSP_SET_TARGET = 19,
	/* 20 was XS_RESTRICT, removed */
	XSP_RESET_WATCHES = 21,
	XSP_DIRECTORY_PART = 22,
	XSP_TYPE_COUNT = 23,
};

struct xsp_hdr {
	uint32_t type;
	uint32_t req_id;
	uint32_t tx_id;
	uint32_t len;
};
_Static_assert(sizeof(struct xsp_hdr) == 16, "xenstore header is 16 bytes");
_Static_assert(offsetof(struct xsp_hdr, tx_id) == 8, "tx_id at 8");
_Static_assert(offsetof(struct xsp_hdr, len) == 12, "len at 12");

#define XSP_PAYLOAD_MAX 4096u  /* in both directions; more from a client drops it */
#define XSP_ABS_PATH_MAX 3072u
#define XSP_REL_PATH_MAX 2048u
#define XSP_DOMID_MAX 65535u

#endif
