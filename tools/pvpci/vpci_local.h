/* SPDX-License-Identifier: MIT */
/*
 * The local platform's vPCI in the CLI (cmd_vguest.c): `pvpci guest --vpci DOMID CMD`
 * (a process acting as the guest's vCPU, its config accesses trapped to the vPCI ioreq
 * server) and the glue that runs that server inside `pvpci backend`: the server takes a
 * device out of the PV backend's table while a vPCI guest holds it and puts it back when
 * the guest lets it go.
 */
#ifndef PVPCI_TOOL_VPCI_LOCAL_H
#define PVPCI_TOOL_VPCI_LOCAL_H

#include <poll.h>
#include <stddef.h>

#include "pvpci/base.h"
#include "pvpci/pci.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"

/* `pvpci guest --vpci`: argv = DOMID COMMAND ARGS... (cmd: "guest", for messages).
 * Returns the exit code. */
int vguest_cmd(const char *cmd, const char *run_dir, int connect_timeout_ms,
	       int op_timeout_ms, int argc, char **argv);

/* The vPCI server inside a backend daemon. lookup gives the source the daemon serves at
 * host (NULL: none); be (may be NULL) is the PV backend the devices are taken from. */
struct vserver;
typedef struct pvpci_source *(*vserver_lookup_fn)(void *opaque, struct pvpci_sbdf host);
int vserver_open(const char *run_dir, const struct pvpci_log *lg, struct pvpci_backend *be,
		 vserver_lookup_fn lookup, void *opaque, struct vserver **out);
void vserver_close(struct vserver *v);
#define VSERVER_NFDS 2
int vserver_poll_prepare(struct vserver *v, struct pollfd *fds, int *timeout_ms);
/* A request waits in a guest's slot (v is a struct vserver *: a spin hook). */
bool vserver_ready(void *v);
int vserver_process(struct vserver *v);
/* A model device a vPCI guest holds raises an interrupt: 1 delivered, 0 not, -ENOENT
 * when no vPCI guest holds it. */
int vserver_raise_irq(struct vserver *v, struct pvpci_sbdf host, enum pvpci_irq_kind kind,
		      unsigned vector);

#endif
