/* SPDX-License-Identifier: MIT */
/*
 * The protocol tests' toolstack and raw frontend (see harness.h): libxl's nodes written
 * with libxenstore (cold-plug, hot-plug, unplug with renumbering, teardown), state waits,
 * and a frontend that writes the shared page and its nodes by hand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "harness.h"

#define BE "/local/domain/0/backend/pci/%u/0"
#define FE "/local/domain/%u/device/pci/0"

static bool wr(struct xs_handle *xs, xs_transaction_t t, const char *val, const char *fmt, ...)
	PVPCI_PRINTF(4, 5);
static bool wr(struct xs_handle *xs, xs_transaction_t t, const char *val, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return xs_write(xs, t, path, val, (unsigned)strlen(val));
}

static bool perms(struct xs_handle *xs, xs_transaction_t t, const char *path, unsigned owner,
		  unsigned reader)
{
	struct xs_permissions p[2] = { { owner, XS_PERM_NONE }, { reader, XS_PERM_READ } };

	return xs_set_permissions(xs, t, path, p, 2);
}

int ph_xs_write(struct xs_handle *xs, const char *path, const char *val)
{
	return xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val)) ? 0 : -errno;
}

int ph_xs_rm(struct xs_handle *xs, const char *path)
{
	return xs_rm(xs, XBT_NULL, path) ? 0 : -errno;
}

int ph_xs_read(struct xs_handle *xs, const char *path, char *buf, size_t cap)
{
	unsigned len;
	char *v = xs_read(xs, XBT_NULL, path, &len);

	buf[0] = 0;
	if (!v)
		return -errno;
	snprintf(buf, cap, "%s", v);
	free(v);
	return 0;
}

int ph_be_node(struct xs_handle *xs, unsigned domid, const char *node, char *buf, size_t cap)
{
	char path[256];

	snprintf(path, sizeof(path), BE "/%s", domid, node);
	return ph_xs_read(xs, path, buf, cap);
}

static bool dev_nodes(struct xs_handle *xs, xs_transaction_t t, unsigned domid, unsigned i,
		      struct pvpci_sbdf d)
{
	char bdf[32];

	snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%01x", d.seg, d.bus, d.dev, d.fn);
	return wr(xs, t, bdf, BE "/dev-%u", domid, i) && wr(xs, t, bdf, BE "/key-%u", domid, i) &&
	       wr(xs, t, "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict",
		  BE "/opts-%u", domid, i) &&
	       wr(xs, t, "1", BE "/state-%u", domid, i);
}

static bool coldplug_txn(struct xs_handle *xs, xs_transaction_t t, unsigned domid,
			 const struct pvpci_sbdf *devs, unsigned n, const char *mode)
{
	char be[128], fe[128], num[16], id[16];

	snprintf(be, sizeof(be), BE, domid);
	snprintf(fe, sizeof(fe), FE, domid);
	snprintf(num, sizeof(num), "%u", n);
	snprintf(id, sizeof(id), "%u", domid);
	if (!xs_mkdir(xs, t, be) || !perms(xs, t, be, 0, domid) || !xs_mkdir(xs, t, fe) ||
	    !perms(xs, t, fe, domid, 0))
		return false;
	if (!wr(xs, t, fe, BE "/frontend", domid) || !wr(xs, t, id, BE "/frontend-id", domid) ||
	    !wr(xs, t, "1", BE "/online", domid) || !wr(xs, t, "1", BE "/state", domid) ||
	    !wr(xs, t, "guest", BE "/domain", domid) || !wr(xs, t, num, BE "/num_devs", domid))
		return false;
	if (mode && !wr(xs, t, mode, BE "/pvpci-mode", domid))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!dev_nodes(xs, t, domid, i, devs[i]))
			return false;
	return wr(xs, t, be, FE "/backend", domid) && wr(xs, t, "0", FE "/backend-id", domid) &&
	       wr(xs, t, "1", FE "/state", domid);
}

/* Run body in a transaction, retried on EAGAIN. */
#define IN_TXN(xs, t, body)                                                          \
	do {                                                                         \
		for (int try_ = 0; try_ < 50; try_++) {                              \
			xs_transaction_t t = xs_transaction_start(xs);               \
			if (t == XBT_NULL)                                           \
				return -errno;                                       \
			if (!(body)) {                                               \
				int e_ = errno;                                      \
				xs_transaction_end(xs, t, true);                     \
				return -e_;                                          \
			}                                                            \
			if (xs_transaction_end(xs, t, false))                        \
				return 0;                                            \
			if (errno != EAGAIN)                                         \
				return -errno;                                       \
		}                                                                    \
		return -EAGAIN;                                                      \
	} while (0)

int ph_coldplug(struct xs_handle *xs, unsigned domid, const struct pvpci_sbdf *devs,
		unsigned n, const char *mode)
{
	IN_TXN(xs, t, coldplug_txn(xs, t, domid, devs, n, mode));
}

static int read_num(struct xs_handle *xs, xs_transaction_t t, unsigned domid)
{
	char path[128];
	unsigned len;
	char *v;
	int n;

	snprintf(path, sizeof(path), BE "/num_devs", domid);
	v = xs_read(xs, t, path, &len);
	if (!v)
		return -1;
	n = atoi(v);
	free(v);
	return n;
}

static bool hotplug_txn(struct xs_handle *xs, xs_transaction_t t, unsigned domid,
			struct pvpci_sbdf d, int *idx)
{
	char num[16];
	int n = read_num(xs, t, domid);

	if (n < 0)
		return false;
	snprintf(num, sizeof(num), "%d", n + 1);
	*idx = n;
	return dev_nodes(xs, t, domid, (unsigned)n, d) && wr(xs, t, num, BE "/num_devs", domid) &&
	       wr(xs, t, "7", BE "/state", domid);
}

static int hotplug_run(struct xs_handle *xs, unsigned domid, struct pvpci_sbdf d, int *idx)
{
	IN_TXN(xs, t, hotplug_txn(xs, t, domid, d, idx));
}

int ph_hotplug(struct xs_handle *xs, unsigned domid, struct pvpci_sbdf dev)
{
	int idx = -1, rc = hotplug_run(xs, domid, dev, &idx);

	return rc ? rc : idx;
}

int ph_unplug(struct xs_handle *xs, unsigned domid, unsigned i)
{
	IN_TXN(xs, t, wr(xs, t, "5", BE "/state-%u", domid, i) && wr(xs, t, "7", BE "/state", domid));
}

static const char *const per_dev[] = { "state", "key", "dev", "vdev", "opts", "vdevfn",
				       "name" };

static bool renumber_txn(struct xs_handle *xs, xs_transaction_t t, unsigned domid, unsigned i)
{
	int n = read_num(xs, t, domid);
	char path[128], num[16];

	if (n <= 0 || i >= (unsigned)n)
		return false;
	for (size_t k = 0; k < PVPCI_ARRAY_SIZE(per_dev); k++) {
		snprintf(path, sizeof(path), BE "/%s-%u", domid, per_dev[k], i);
		xs_rm(xs, t, path);
	}
	for (unsigned j = i + 1; j < (unsigned)n; j++)
		for (size_t k = 0; k < PVPCI_ARRAY_SIZE(per_dev); k++) {
			unsigned len;
			char *v;

			snprintf(path, sizeof(path), BE "/%s-%u", domid, per_dev[k], j);
			v = xs_read(xs, t, path, &len);
			if (!v)
				continue;
			xs_rm(xs, t, path);
			snprintf(path, sizeof(path), BE "/%s-%u", domid, per_dev[k], j - 1);
			xs_write(xs, t, path, v, len);
			free(v);
		}
	snprintf(num, sizeof(num), "%d", n - 1);
	return wr(xs, t, num, BE "/num_devs", domid);
}

int ph_unplug_finish(struct xs_handle *xs, unsigned domid, unsigned i)
{
	IN_TXN(xs, t, renumber_txn(xs, t, domid, i));
}

int ph_remove_all(struct xs_handle *xs, unsigned domid)
{
	char be[128], fe[128];

	snprintf(be, sizeof(be), BE, domid);
	snprintf(fe, sizeof(fe), FE, domid);
	IN_TXN(xs, t, (xs_rm(xs, t, be) || errno == ENOENT) && (xs_rm(xs, t, fe) || errno == ENOENT));
}

static int state_of(struct xs_handle *xs, const char *fmt, unsigned domid)
{
	char path[128], v[16];

	snprintf(path, sizeof(path), fmt, domid);
	if (ph_xs_read(xs, path, v, sizeof(v)))
		return -1;
	return atoi(v);
}

int ph_be_state(struct xs_handle *xs, unsigned domid)
{
	return state_of(xs, BE "/state", domid);
}

int ph_fe_state(struct xs_handle *xs, unsigned domid)
{
	return state_of(xs, FE "/state", domid);
}

static int wait_state(struct xs_handle *xs, const char *fmt, unsigned domid, int want,
		      int timeout_ms)
{
	int s = -1;

	for (int waited = 0; waited <= timeout_ms; waited += 2) {
		s = state_of(xs, fmt, domid);
		if (s == want)
			return 0;
		tc_sleep_ms(2);
	}
	fprintf(stderr, "d%u: state %s is %d, wanted %d\n", domid, fmt, s, want);
	return -ETIMEDOUT;
}

int ph_wait_be_state(struct xs_handle *xs, unsigned domid, int want, int timeout_ms)
{
	return wait_state(xs, BE "/state", domid, want, timeout_ms);
}

int ph_wait_fe_state(struct xs_handle *xs, unsigned domid, int want, int timeout_ms)
{
	return wait_state(xs, FE "/state", domid, want, timeout_ms);
}

/* ---- Raw frontend ---- */

int ph_rawfe_init(struct ph_rawfe *r, struct pvpci_platform *p, unsigned domid)
{
	void *page;
	int rc;

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->xs = pvpci_platform_xs(p);
	r->domid = domid;
	rc = pvpci_gnt_share(p, 0, false, &page, &r->gref);
	if (rc)
		return rc;
	r->sh = page;
	rc = pvpci_evtchn_alloc_unbound(p, 0);
	if (rc < 0)
		return rc;
	r->port = (unsigned)rc;
	return 0;
}

int ph_rawfe_node(struct ph_rawfe *r, const char *node, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FE "/%s", r->domid, node);
	return ph_xs_write(r->xs, path, val);
}

int ph_rawfe_publish(struct ph_rawfe *r)
{
	char v[16];
	int rc;

	snprintf(v, sizeof(v), "%u", r->gref);
	rc = ph_rawfe_node(r, "pci-op-ref", v);
	snprintf(v, sizeof(v), "%u", r->port);
	if (!rc)
		rc = ph_rawfe_node(r, "event-channel", v);
	if (!rc)
		rc = ph_rawfe_node(r, "magic", XEN_PCI_MAGIC);
	if (!rc)
		rc = ph_rawfe_node(r, "state", "3");
	return rc;
}

int ph_rawfe_connect(struct ph_rawfe *r)
{
	int rc = ph_rawfe_publish(r);

	if (!rc)
		rc = ph_wait_be_state(r->xs, r->domid, XenbusStateConnected, PH_TIMEOUT_MS);
	if (!rc)
		rc = ph_rawfe_node(r, "state", "4");
	return rc;
}

int ph_rawfe_op(struct ph_rawfe *r, struct xen_pci_op *op, int timeout_ms)
{
	uint64_t deadline = pvpci_now_ns() + (uint64_t)timeout_ms * 1000000u;

	memcpy(&r->sh->op, op, sizeof(*op));
	__atomic_fetch_or(&r->sh->flags, XEN_PCIF_active, __ATOMIC_SEQ_CST);
	(void)pvpci_evtchn_notify(r->p, r->port);
	while (__atomic_load_n(&r->sh->flags, __ATOMIC_ACQUIRE) & XEN_PCIF_active) {
		int port;

		if (pvpci_now_ns() >= deadline)
			return -ETIMEDOUT;
		port = pvpci_evtchn_wait(r->p, 10);
		if (port > 0)
			(void)pvpci_evtchn_eoi(r->p, (unsigned)port, false);
	}
	memcpy(op, &r->sh->op, sizeof(*op));
	return 0;
}

static struct xen_pci_op conf_op(unsigned cmd, struct pvpci_sbdf d, int off, int size)
{
	return (struct xen_pci_op){ .cmd = cmd, .domain = d.seg, .bus = d.bus,
				    .devfn = PVPCI_DEVFN(d.dev, d.fn), .offset = off, .size = size };
}

int ph_raw_conf_read(struct ph_rawfe *r, struct pvpci_sbdf dev, int off, int size,
		     uint32_t *val)
{
	struct xen_pci_op op = conf_op(XEN_PCI_OP_conf_read, dev, off, size);
	int rc = ph_rawfe_op(r, &op, PH_TIMEOUT_MS);

	if (rc)
		return rc;
	*val = op.value;
	return op.err;
}

int ph_raw_conf_write(struct ph_rawfe *r, struct pvpci_sbdf dev, int off, int size,
		      uint32_t val)
{
	struct xen_pci_op op = conf_op(XEN_PCI_OP_conf_write, dev, off, size);
	int rc;

	op.value = val;
	rc = ph_rawfe_op(r, &op, PH_TIMEOUT_MS);
	return rc ? rc : op.err;
}
