/* SPDX-License-Identifier: MIT */
/*
 * Private header of the frontend library: the object (shared page, port, states, device
 * list, PIRQ bindings, deferred work) and the calls its files share: xenbus.c (connect,
 * states, hot-plug, close), op.c (one op in flight, waits, error mapping, MSI ops),
 * scan.c (root buses), events.c (event loop, AER answers, interrupts), xs.c (bounded
 * xenstore access).
 */
#ifndef PVPCI_PVFRONT_PRIV_H
#define PVPCI_PVFRONT_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/pciif.h"
#include "pvpci/platform.h"
#include "pvpci/pvfront.h"

#define PVF_PATH_MAX 128
#define PVF_MAX_DEVS 1024
#define PVF_MAX_ROOTS 64
#define PVF_MAX_IRQS 512
#define PVF_BE_TOKEN "pvfront-be"

/* A PIRQ bound to a port of ours. */
struct pvf_irq {
	unsigned pirq;
	unsigned port;
	struct pvpci_sbdf dev;
	uint8_t kind;     /* PVF_IRQ_MSI / _MSIX */
	bool deferred;    /* event seen during an op wait, not delivered yet (in service) */
};
#define PVF_IRQ_MSI 1
#define PVF_IRQ_MSIX 2

struct pvpci_pvfront {
	pthread_mutex_t lock; /* recursive */
	struct pvpci_platform *plat;
	struct xs_handle *xs;
	unsigned domid, be_domid;
	char fe_path[PVF_PATH_MAX];
	char be_path[PVF_PATH_MAX];
	struct pvpci_pvfront_opts opts;
	struct pvpci_log log;
	struct pvpci_ratelimit rl;

	struct xen_pci_sharedinfo *sh;
	uint32_t gref;
	unsigned port;
	bool watching;
	int state, be_state;
	bool connected;    /* Connected and not closed by the backend */
	bool stale_op;     /* an op timed out and is still posted */
	int last_err;

	struct pvpci_pvfront_dev *devs;
	size_t ndevs;

	struct pvf_irq irqs[PVF_MAX_IRQS];
	size_t nirqs;
	bool aer_pending;  /* bit 2 seen during an op wait */
	bool op_port_seen; /* op port event seen during an op wait, not EOI'd */
	bool be_dirty;     /* a backend-state watch event to handle */
	struct pvpci_pvfront_stats st;
};

/* ---- xs.c ---- */
/* Node below the backend directory. */
int pvf_be_read(struct pvpci_pvfront *f, const char *node, char *buf, size_t cap) PVPCI_WUR;
int pvf_be_uint(struct pvpci_pvfront *f, const char *node, uint64_t max, uint64_t *out)
	PVPCI_WUR;
int pvf_set_state(struct pvpci_pvfront *f, int state);
/* The backend's state: Unknown when absent or not a number. */
int pvf_backend_state(struct pvpci_pvfront *f);

/* ---- op.c ---- */
/* Post op (cmd, address, offset / size / value / info, n MSI-X entries) and wait:
 * 0 (answered: op->err, op->value and vectors copied back), -ETIMEDOUT, -ENOTCONN. */
int pvf_do_op(struct pvpci_pvfront *f, struct xen_pci_op *op, unsigned nent);
int pvf_conf_read(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned off,
		  unsigned size, uint32_t *val) PVPCI_WUR;
/* Drop PIRQ bindings of a device (kind 0: all). */
void pvf_irqs_drop(struct pvpci_pvfront *f, struct pvpci_sbdf dev, uint8_t kind);

/* ---- scan.c ---- */
/* Scan the roots and report the differences through the hot-plug callback. */
int pvf_rescan(struct pvpci_pvfront *f) PVPCI_WUR;
/* Remove one device (callback REMOVED, PIRQs dropped). */
void pvf_dev_remove(struct pvpci_pvfront *f, struct pvpci_sbdf addr);
/* Remove all (backend gone). */
void pvf_dev_remove_all(struct pvpci_pvfront *f);
const struct pvpci_pvfront_dev *pvf_dev_find(struct pvpci_pvfront *f, struct pvpci_sbdf a);

/* ---- events.c ---- */
/* A port returned by the platform: deliver (or defer during an op wait). */
void pvf_port_event(struct pvpci_pvfront *f, unsigned port, bool in_op);
/* Answer a pending AER request. */
void pvf_aer_answer(struct pvpci_pvfront *f);
/* Deliver deferred interrupts. */
void pvf_irqs_flush(struct pvpci_pvfront *f);

/* ---- xenbus.c ---- */
/* React to the backend's state (hot-plug, disconnect). */
void pvf_backend_changed(struct pvpci_pvfront *f);
/* Drain the watch queue (ours only) and handle a backend change. */
void pvf_watch_drain(struct pvpci_pvfront *f);

static inline uint32_t pvf_flags(const struct xen_pci_sharedinfo *sh)
{
	return __atomic_load_n(&sh->flags, __ATOMIC_ACQUIRE);
}

#endif
