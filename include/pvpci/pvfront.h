/* SPDX-License-Identifier: MIT */
/*
 * pvpci pvfront: the frontend side of Xen's PV PCI protocol, for a process acting as a
 * guest domain on a platform handle (protocol.md 1.5 and 2.2-2.6). connect() grants the
 * shared page, offers an event channel, writes pci-op-ref / event-channel / magic in one
 * transaction, follows the backend's states and scans every root-N bus; then config
 * reads / writes and MSI / MSI-X / multi-MSI ops go one at a time with a timeout (Linux
 * gives up after 2 s), any non-zero err being a failure. Returned PIRQs are bound to ports
 * of the handle and reported through the irq callback; AER requests from the backend go to
 * the AER callback (registering one sets _XEN_PCIB_AERHANDLER); hot-plug and unplug
 * (Reconfiguring / Reconfigured) and disconnects are reported through the hot-plug
 * callback. Callbacks run from pvpci_pvfront_process() (or connect / close); they may
 * call the op functions.
 *
 * Thread safety: every call locks the object (recursive), so ops may come from several
 * threads; the platform handle must not be used by anybody else meanwhile. The object
 * owns the handle's libxenstore watch queue (open another handle for other watchers).
 * After an op times out it stays posted: the next op first waits for its answer (so a
 * late answer is never taken for a later op), and fails with -ETIMEDOUT if none comes.
 */
#ifndef PVPCI_PVFRONT_H
#define PVPCI_PVFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pciif.h"

struct pvpci_pvfront;
struct pvpci_platform;
struct pollfd;

/* A device the guest sees on one of its root buses. */
struct pvpci_pvfront_dev {
	struct pvpci_sbdf addr;  /* the guest's (virtual) address */
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;     /* base class << 16 | subclass << 8 | prog-if */
	uint8_t header_type;     /* without the multi-function bit */
};

enum pvpci_pvfront_event {
	PVPCI_PVFRONT_ADDED = 0,    /* a device appeared (connect or hot-plug) */
	PVPCI_PVFRONT_REMOVED,      /* a device went (unplug, or the backend closed) */
	PVPCI_PVFRONT_DISCONNECTED, /* the backend closed the connection (dev NULL) */
};

typedef void (*pvpci_pvfront_hotplug_fn)(void *opaque, enum pvpci_pvfront_event ev,
					 const struct pvpci_pvfront_dev *dev);
/* An AER request: cmd is XEN_PCI_OP_aer_detected / _mmio / _slotreset / _resume, dev the
 * device (NULL if the address is not one of ours), channel the pci_channel_state
 * (PVPCI_AER_CHANNEL_*). Returns the answer, a PVPCI_AER_RESULT_*. */
typedef int (*pvpci_pvfront_aer_fn)(void *opaque, unsigned cmd,
				    const struct pvpci_pvfront_dev *dev, int channel);
/* An interrupt arrived on a PIRQ returned by an MSI / MSI-X / multi-MSI enable. */
typedef void (*pvpci_pvfront_irq_fn)(void *opaque, struct pvpci_sbdf dev, unsigned pirq);

struct pvpci_pvfront_opts {
	int op_timeout_ms;       /* one op (0 = 2000, as Linux) */
	int connect_timeout_ms;  /* backend Connected, and each step of close (0 = 10000) */
	uint64_t spin_ns;        /* poll the answer this long before sleeping (0 = 50 us) */
	pvpci_pvfront_aer_fn aer;     /* NULL: no PV AER handler */
	pvpci_pvfront_hotplug_fn hotplug;
	pvpci_pvfront_irq_fn irq;
	void *opaque;
	const struct pvpci_log *log;  /* NULL = stderr */
};

/* Connect as domid (the handle's domain) to the backend named by
 * /local/domain/<domid>/device/pci/0/backend: returns once the backend is Connected and
 * the roots are scanned (hot-plug ADDED is reported for each device found). Errors:
 * -ETIMEDOUT (no Connected in time), -ECONNREFUSED (the backend closed: see its error
 * node), -ENOENT (no frontend directory), or the platform's errors. */
int pvpci_pvfront_connect(struct pvpci_platform *p, unsigned domid,
			  const struct pvpci_pvfront_opts *opts, struct pvpci_pvfront **out)
	PVPCI_WUR;
/* Orderly shutdown (Closing, wait, Closed, wait: each wait bounded), unbind every port,
 * end the grant, free. */
void pvpci_pvfront_close(struct pvpci_pvfront *f);

/* Connected and not closed by the backend. */
bool pvpci_pvfront_connected(struct pvpci_pvfront *f);
/* Own and backend xenbus states as last seen. */
void pvpci_pvfront_states(struct pvpci_pvfront *f, int *own, int *backend);

/* The devices found (address order); *n = their number (may exceed max). */
int pvpci_pvfront_devices(struct pvpci_pvfront *f, struct pvpci_pvfront_dev *out, size_t max,
			  size_t *n) PVPCI_WUR;

/* ---- Ops: 0 or a negative errno. Wire errors map to -ENODEV (dev_not_found), -EINVAL
 * (invalid_offset), -EACCES (access_denied), -EOPNOTSUPP (not_implemented), -EIO
 * (op_failed); a raw errno the backend answered is passed up as it is. -ETIMEDOUT: no
 * answer in op_timeout_ms; -ENOTCONN: not connected. ---- */
int pvpci_pvfront_conf_read(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned off,
			    unsigned size, uint32_t *val) PVPCI_WUR;
int pvpci_pvfront_conf_write(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned off,
			     unsigned size, uint32_t val) PVPCI_WUR;
/* MSI: *pirq gets the PIRQ (bound to a port; interrupts reach the irq callback). */
int pvpci_pvfront_enable_msi(struct pvpci_pvfront *f, struct pvpci_sbdf dev, unsigned *pirq)
	PVPCI_WUR;
int pvpci_pvfront_disable_msi(struct pvpci_pvfront *f, struct pvpci_sbdf dev) PVPCI_WUR;
/* MSI-X: nvec (1..128) table entries; pirqs[i] gets the PIRQ of entries[i]. */
int pvpci_pvfront_enable_msix(struct pvpci_pvfront *f, struct pvpci_sbdf dev,
			      const uint16_t *entries, unsigned nvec, unsigned *pirqs) PVPCI_WUR;
int pvpci_pvfront_disable_msix(struct pvpci_pvfront *f, struct pvpci_sbdf dev) PVPCI_WUR;
/* Multi-MSI (command 10; pvpci's backend implements it, Linux's does not: -EOPNOTSUPP):
 * nvec a power of two; pirqs[i] for vector i. On -EIO, *hint (optional) gets the count
 * the backend suggests (0 if none). */
int pvpci_pvfront_enable_multi_msi(struct pvpci_pvfront *f, struct pvpci_sbdf dev,
				   unsigned nvec, unsigned *pirqs, unsigned *hint) PVPCI_WUR;
/* Mask / unmask the port a PIRQ of ours is bound to: while masked, interrupts stay
 * pending and reach the irq callback after the unmask. -ENOENT: not one of ours. */
int pvpci_pvfront_irq_mask(struct pvpci_pvfront *f, unsigned pirq, bool masked) PVPCI_WUR;
/* A raw op, for tools and tests: posts *op as it is and copies the whole answer back.
 * Returns 0 when answered (op->err holds the backend's answer), -ETIMEDOUT, -ENOTCONN. */
int pvpci_pvfront_op(struct pvpci_pvfront *f, struct xen_pci_op *op) PVPCI_WUR;
/* The wire err of the last op (XEN_PCI_ERR_dev_not_found after a timeout). */
int pvpci_pvfront_last_err(struct pvpci_pvfront *f);

/* ---- Event loop: hot-plug, AER requests, interrupts ---- */
#define PVPCI_PVFRONT_NFDS 2
/* Before poll(): fills up to max pollfds, lowers *timeout_ms (-1 = none) to 0 when work
 * is waiting. */
int pvpci_pvfront_poll_prepare(struct pvpci_pvfront *f, struct pollfd *fds, size_t max,
			       int *timeout_ms);
/* After poll(): handle what is ready; callbacks run from here. 0 or a negative errno. */
int pvpci_pvfront_process(struct pvpci_pvfront *f);
/* prepare / poll / process once, waiting at most timeout_ms. */
int pvpci_pvfront_wait(struct pvpci_pvfront *f, int timeout_ms);

struct pvpci_pvfront_stats {
	uint64_t ops;          /* ops answered */
	uint64_t op_errors;    /* answered with err != 0 */
	uint64_t timeouts;     /* ops given up */
	uint64_t irqs;         /* interrupts delivered to the irq callback */
	uint64_t aer_requests; /* AER requests answered */
	uint64_t rescans;      /* root scans */
};
void pvpci_pvfront_get_stats(struct pvpci_pvfront *f, struct pvpci_pvfront_stats *s);

/* "wire err -> negative errno" as the op functions map it. */
int pvpci_pvfront_errno(int wire_err);

#endif
