/* SPDX-License-Identifier: MIT */
/*
 * `pvpci guest`: a process acting as a guest domain on the local platform, with the PV
 * frontend library. cmd_guest.c parses the command line, connects (once for a one-shot
 * command, or for good as the `watch` agent, which also serves the other commands sent
 * to DIR/guests/<domid>.sock) and prints events; guest_ops.c holds the commands that use
 * a connection: lspci, read, write, msi, msix.
 */
#ifndef PVPCI_TOOL_GUEST_H
#define PVPCI_TOOL_GUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pvfront.h"

#define GUEST_MAX_IRQS 512

enum guest_irq_kind { GIRQ_MSI = 1, GIRQ_MSIX, GIRQ_INTX };

/* A PIRQ this process got from an enable op (or the legacy one, bound by the agent). */
struct guest_irq {
	struct pvpci_sbdf dev;
	unsigned pirq;
	unsigned entry;      /* MSI-X table entry, or MSI vector */
	enum guest_irq_kind kind;
	unsigned port;       /* INTx: the port on intx_plat */
};

struct guest {
	char run_dir[PATH_MAX];
	unsigned domid;
	int op_timeout_ms;
	int connect_timeout_ms;
	struct pvpci_log lg;
	struct pvpci_platform *plat;
	struct pvpci_pvfront *f;
	bool agent;           /* the watch agent (commands come over its socket) */
	int aer_result;       /* what the agent answers to error_detected */
	bool closed;          /* the backend closed the connection */
	/* The agent's second handle on the domain, for legacy INTx PIRQs (the frontend
	 * library binds only MSI / MSI-X ones, on its own handle). */
	struct pvpci_platform *intx_plat;
	bool xen;             /* --platform xen: inside a PV guest of a real Xen */
	struct guest_irq irqs[GUEST_MAX_IRQS];
	size_t nirqs;
};

/* Run one connected command (lspci, read, write, msi, msix); argv[0] is its name.
 * Output to out, messages to err. Returns the exit code. g NULL: check the arguments
 * only (0, or PVPCI_EXIT_USAGE with a message). */
int guest_run(struct guest *g, FILE *out, FILE *err, int argc, char **argv);
/* True if argv[0] is one of the commands guest_run knows. */
bool guest_known(const char *name);

/* One line of lspci for a device: "00:01.0 Ethernet controller [0200]: 8086:10fb" (no
 * newline; the revision is read through the protocol when rev is true). */
void guest_dev_line(struct guest *g, FILE *out, const struct pvpci_pvfront_dev *d, bool rev);
const struct guest_irq *guest_irq_find(const struct guest *g, unsigned pirq);
/* Agent: bind a device's legacy PIRQ so that its interrupts are printed (cmd_guest.c).
 * 0 (also when already bound) or a negative errno. */
int guest_bind_intx(struct guest *g, struct pvpci_sbdf dev, unsigned pirq);
/* Forget the PIRQs of a device (kind 0: all kinds). */
void guest_irqs_drop(struct guest *g, struct pvpci_sbdf dev, enum guest_irq_kind kind);

#endif
