/* SPDX-License-Identifier: MIT */
/*
 * The xen platform's handle: checks that the /dev/xen device files exist (and says which
 * one is missing and what to load when they do not, instead of letting the libraries fail
 * obscurely), opens libxenstore, libxenevtchn, libxengnttab / libxengntshr and, in the
 * control domain, libxenctrl; learns its own domid from the store. Also the pure helpers:
 * 64-bit frame arithmetic for BARs (XSA-476) and the checks of permission requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenstore.h>

#include "xen_priv.h"

struct xen_devfile {
	const char *name;
	const char *module; /* what to load when it is missing */
	bool ctrl;          /* only needed for the control domain's calls */
};

static const struct xen_devfile xen_devfiles[] = {
	{ "privcmd", "xen-privcmd", false },
	{ "evtchn", "xen-evtchn", false },
	{ "gntdev", "xen-gntdev", false },
	{ "gntalloc", "xen-gntalloc", false },
};

int xen_check_devices(const char *dev_dir, bool need_ctrl, char *msg, size_t len)
{
	char p[256];
	struct stat st;
	const char *dir = dev_dir ? dev_dir : "/dev/xen";

	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(xen_devfiles); i++) {
		const struct xen_devfile *f = &xen_devfiles[i];

		if (f->ctrl && !need_ctrl)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, f->name);
		if (stat(p, &st) == 0 && S_ISCHR(st.st_mode))
			continue;
		if (msg && len)
			snprintf(msg, len, "xen platform: %s is missing: not running on Xen, or "
				 "the %s module is not loaded (modprobe %s)", p, f->module,
				 f->module);
		return -ENODEV;
	}
	return 0;
}

static int own_domid(struct pvpci_xen *x)
{
	char *v;
	unsigned len;
	uint64_t id;
	int rc;

	if (!x->xs) {
		x->domid = 0; /* without a store, assume the control domain */
		return 0;
	}
	v = xs_read(x->xs, XBT_NULL, "domid", &len);
	if (!v)
		return -errno ? -errno : -EIO;
	rc = pvpci_parse_u64(v, PVPCI_DOMID_MAX, &id);
	free(v);
	if (rc < 0)
		return rc;
	x->domid = (unsigned)id;
	return 0;
}

static int open_libs(struct pvpci_xen *x, bool no_store)
{
	int fd, fl;

	if (!no_store) {
		x->xs = xs_open(0);
		if (!x->xs)
			return -errno ? -errno : -ECONNREFUSED;
	}
	x->xce = xenevtchn_open(NULL, 0);
	if (!x->xce)
		return -errno ? -errno : -ENODEV;
	fd = xenevtchn_fd(x->xce);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	x->xgt = xengnttab_open(NULL, 0);
	if (!x->xgt)
		return -errno ? -errno : -ENODEV;
	x->xgs = xengntshr_open(NULL, 0);
	if (!x->xgs)
		return -errno ? -errno : -ENODEV;
	/* libxenctrl: the privileged calls; a guest may lack it, that is not fatal. */
	x->xc = xc_interface_open(NULL, NULL, 0);
	return 0;
}

int xen_open(const struct pvpci_log *log, bool no_store, struct pvpci_xen **out)
{
	char msg[256];
	struct pvpci_xen *x;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	rc = xen_check_devices(NULL, false, msg, sizeof(msg));
	if (rc < 0) {
		pvpci_logf(log, PVPCI_LOG_ERR, "%s", msg);
		return rc;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->log = log;
	rc = open_libs(x, no_store);
	if (rc == 0)
		rc = own_domid(x);
	if (rc < 0) {
		pvpci_logf(log, PVPCI_LOG_ERR, "xen platform: cannot open Xen's libraries%s: %s",
			   (!no_store && !x->xs) ? " (is xenstored running?)" : "",
			   pvpci_errname(rc));
		xen_close(x);
		return rc;
	}
	*out = x;
	return 0;
}

void xen_close(struct pvpci_xen *x)
{
	if (!x)
		return;
	for (unsigned i = 0; i < XEN_MAX_SHARED; i++)
		if (x->shares[i].page && x->xgs)
			xengntshr_unshare(x->xgs, x->shares[i].page, 1);
	for (unsigned port = 1; port < PVPCI_EVTCHN_MAX_PORTS; port++)
		if ((x->port_state[port] & XEN_PORT_OWNED) && x->xce)
			xenevtchn_unbind(x->xce, port);
	if (x->xgs)
		xengntshr_close(x->xgs);
	if (x->xgt)
		xengnttab_close(x->xgt);
	if (x->xce)
		xenevtchn_close(x->xce);
	if (x->xc)
		xc_interface_close(x->xc);
	if (x->xs)
		xs_close(x->xs);
	free(x);
}

unsigned xen_domid(const struct pvpci_xen *x)
{
	return x->domid;
}

struct xs_handle *xen_xs(struct pvpci_xen *x)
{
	return x->xs;
}

/* ---- Pure helpers ---- */
int xen_bar_frames(uint64_t addr, uint64_t size, uint64_t *first, uint64_t *nr)
{
	uint64_t last;

	if (!first || !nr || size == 0)
		return -EINVAL;
	if (addr > UINT64_MAX - (size - 1))
		return -EOVERFLOW;
	last = addr + (size - 1);
	if ((last >> XEN_PAGE_SHIFT) > XEN_MAX_FRAME)
		return -ERANGE;
	*first = addr >> XEN_PAGE_SHIFT;
	*nr = (last >> XEN_PAGE_SHIFT) - *first + 1;
	return 0;
}

int xen_priv_check(enum pvpci_priv_kind kind, uint64_t first, uint64_t count)
{
	if (count == 0 || first > UINT64_MAX - (count - 1))
		return -EINVAL;
	switch (kind) {
	case PVPCI_PRIV_IOMEM:
		return first + (count - 1) <= XEN_MAX_FRAME ? 0 : -ERANGE;
	case PVPCI_PRIV_IOPORT:
		return first + (count - 1) < XEN_IOPORT_END ? 0 : -ERANGE;
	case PVPCI_PRIV_IRQ:
		return (count == 1 && first <= INT32_MAX) ? 0 : -EINVAL;
	case PVPCI_PRIV_DEVICE:
		return (count == 1 && first <= UINT32_MAX) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* ---- Domains ---- */
static void domain_name(struct pvpci_xen *x, unsigned domid, char *buf, size_t len)
{
	char path[64];
	unsigned n;
	char *v = NULL;

	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	if (x->xs)
		v = xs_read(x->xs, XBT_NULL, path, &n);
	snprintf(buf, len, "%s", v ? v : "");
	free(v);
}

int xen_domain_list(struct pvpci_xen *x, struct pvpci_domain_info *out, size_t max,
		    size_t *n)
{
	xc_domaininfo_t info[64];
	uint32_t next = 0;
	size_t count = 0;
	int got;

	if (!n || (max && !out))
		return -EINVAL;
	if (!x->xc)
		return -EPERM;
	do {
		got = xc_domain_getinfolist(x->xc, next, PVPCI_ARRAY_SIZE(info), info);
		if (got < 0)
			return -errno;
		for (int i = 0; i < got; i++, count++) {
			if (count < max) {
				out[count].domid = info[i].domain;
				domain_name(x, info[i].domain, out[count].name,
					    sizeof(out[count].name));
			}
			next = info[i].domain + 1u;
		}
	} while (got == (int)PVPCI_ARRAY_SIZE(info));
	*n = count;
	return 0;
}
