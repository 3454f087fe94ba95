/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands: the run directory (--run-dir, $PVPCI_RUN_DIR,
 * /run/pvpci as root, $XDG_RUNTIME_DIR/pvpci), joining the platform as the control
 * domain, DOMID resolution (a number or a domain name), and for the daemon commands
 * (cmd_backend.c, cmd_guest.c) the local
 * control sockets (SOCK_SEQPACKET, mode 0600 in the run directory, peers checked to be
 * this user or root) that `pvpci inject` uses to reach a running `pvpci backend` and that
 * `pvpci guest DOMID CMD` uses to reach a running `pvpci guest DOMID watch`, a stop
 * signalfd (SIGTERM, SIGINT).
 */
#ifndef PVPCI_TOOL_CTL_H
#define PVPCI_TOOL_CTL_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_MSG_MAX 4096
#define CTL_BACKEND_SOCK "backend.sock"
#define CTL_BACKEND_LOCK "backend.lock"
#define CTL_GUEST_DIR "guests" /* DIR/guests/<domid>.sock */

/* dir (may be NULL) or the default; 0, or prints why to stderr and returns -errno. */
int ctl_run_dir(const char *cmd, const char *dir, char *buf, size_t len);

/* Listen on path (SOCK_SEQPACKET, non-blocking, close-on-exec, mode 0600). A live
 * listener already there: -EADDRINUSE; a stale socket file is replaced. */
int ctl_listen(const char *path);
/* Accept one peer (non-blocking); only this user or root: -EPERM (closed) otherwise. */
int ctl_accept(int lfd);
/* Connect to path: the fd, -ENOENT / -ECONNREFUSED when nobody listens. */
int ctl_connect(const char *path);

/* One message with up to nfds descriptors; 0 or -errno. */
int ctl_send(int fd, const void *buf, size_t len, const int *fds, size_t nfds);
/* One message (NUL-terminated in buf, which has cap bytes) and up to *nfds descriptors
 * (*nfds gets how many came; extra ones are closed). Waits at most timeout_ms (-1:
 * forever). Returns the length, 0 at end of file, -ETIMEDOUT or -errno. */
int ctl_recv(int fd, char *buf, size_t cap, int *fds, size_t *nfds, int timeout_ms);

/* A signalfd for SIGTERM and SIGINT (both blocked); SIGPIPE ignored. -1 on error. */
int ctl_stop_fd(void);

/* The words of the backend's control requests (indexed by enum pvpci_irq_kind, by AER
 * stage in XEN_PCI_OP_aer_detected / mmio / slotreset / resume order, and by
 * PVPCI_AER_CHANNEL_*), and their lookup: the index, or -1. */
extern const char *const ctl_kind_names[3];
extern const char *const ctl_stage_names[4];
extern const char *const ctl_channel_names[4];
int ctl_lookup(const char *const *names, size_t n, const char *s);

struct pvpci_platform;
/* Join the platform as the control domain (xen: Xen's own; else the pvpci host serving
 * run_dir, without a store connection when no_store): 0, or prints why and -errno. */
int ctl_open(const char *cmd, const char *run_dir, bool xen, bool no_store,
	     struct pvpci_platform **p);
/* DOMID: a number, or a domain name looked up on p: 0, or prints why and -errno. */
int ctl_domid_on(const char *cmd, struct pvpci_platform *p, const char *arg, unsigned *domid);
/* The same through a control-domain handle of its own on run_dir's host. */
int ctl_domid(const char *cmd, const char *run_dir, const char *arg, unsigned *domid);

#endif
