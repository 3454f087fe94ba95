/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's privileged calls for a PCI device given to a PV guest on Xen, as libxl
 * makes them: assignment to the guest's IOMMU context (the guest must have been created
 * with passthrough="enabled"), I/O-memory permission for each memory BAR and the ROM and
 * I/O-port permission for each port BAR (the ranges from the sysfs source's `resource`,
 * frame numbers 64-bit end to end: XSA-476), and permission for the device's legacy IRQ.
 * Revocation recomputes the same ranges from the same BARs and undoes them in the reverse
 * order; deassignment lets Xen quarantine the device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xen_grant.h"
#include "pvpci/source.h"

static int bar_perm(struct pvpci_platform *p, unsigned domid, const char *name, unsigned idx,
		    const struct pvpci_bar_info *b, bool allow, FILE *err)
{
	uint64_t first, last;
	int r;

	if (b->type == PVPCI_BAR_IO) {
		if (b->addr > 0xffff || b->size > 0x10000 - b->addr)
			return -ERANGE;
		r = pvpci_priv_ioport_permission(p, domid, (uint32_t)b->addr, (uint32_t)b->size,
						 allow);
	} else {
		if (b->addr > UINT64_MAX - (b->size - 1))
			return -EOVERFLOW;
		first = b->addr >> 12;
		last = (b->addr + (b->size - 1)) >> 12;
		r = pvpci_priv_iomem_permission(p, domid, first, last - first + 1, allow);
	}
	if (r < 0)
		fprintf(err, "pvpci: d%u %s: %s of BAR %u [%#" PRIx64 " +%#" PRIx64 "] failed: %s\n",
			domid, name, allow ? "grant" : "revoke", idx, b->addr, b->size,
			strerror(-r));
	return r;
}

/* Every BAR and the ROM; allow stops at the first failure (*done = BARs handled). */
static int bars_perm(struct pvpci_platform *p, unsigned domid, struct pvpci_source *src,
		     const char *name, bool allow, unsigned *done, FILE *err)
{
	int first_err = 0;

	for (unsigned i = 0; i <= PCI_ROM_SLOT; i++) {
		struct pvpci_bar_info b;
		int r;

		if (!allow && i >= *done)
			break;
		if (pvpci_source_bar_info(src, i, &b) == 0 && b.size &&
		    b.type != PVPCI_BAR_EMPTY && b.type != PVPCI_BAR_MEM64_HI && b.addr) {
			r = bar_perm(p, domid, name, i, &b, allow, err);
			if (r < 0 && allow)
				return r;
			if (r < 0 && !first_err)
				first_err = r;
		}
		if (allow)
			*done = i + 1;
	}
	return first_err;
}

static int read_irq(const char *name, unsigned *irq)
{
	char path[128], buf[32];
	uint64_t v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/irq", pvpci_sysfs_root(NULL), name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	if (pvpci_parse_u64(buf, INT32_MAX, &v))
		return -EINVAL;
	*irq = (unsigned)v;
	return 0;
}

int xen_grant_device(struct pvpci_platform *p, unsigned domid, struct pvpci_sbdf bdf,
		     bool allow, FILE *err)
{
	char name[PVPCI_SBDF_STRLEN];
	struct pvpci_source *src;
	unsigned done = allow ? 0 : PCI_ROM_SLOT + 1, irq = 0;
	bool irq_ok = false;
	int r;

	pvpci_sbdf_str(bdf, name);
	r = pvpci_sysfs_open(name, NULL, NULL, &src);
	if (r < 0) {
		fprintf(err, "pvpci: %s: cannot open the device: %s\n", name, strerror(-r));
		return r;
	}
	if (allow) {
		r = pvpci_priv_assign_device(p, domid, pvpci_sbdf_pack(bdf));
		if (r < 0) {
			fprintf(err, "pvpci: d%u %s: assignment failed: %s%s\n", domid, name,
				strerror(-r), r == -EOPNOTSUPP
				? " (create the guest with passthrough=\"enabled\")" : "");
			pvpci_source_close(src);
			return r;
		}
	}
	r = bars_perm(p, domid, src, name, allow, &done, err);
	if ((!allow || r == 0) && read_irq(name, &irq) == 0 && irq) {
		int ri = pvpci_priv_irq_permission(p, domid, irq, allow);

		irq_ok = ri == 0;
		if (ri < 0)
			fprintf(err, "pvpci: d%u %s: irq %u permission not %s (%s); MSI / MSI-X "
				"still work\n", domid, name, irq, allow ? "granted" : "revoked",
				strerror(-ri));
	}
	if (allow && r < 0) {
		if (irq_ok && pvpci_priv_irq_permission(p, domid, irq, false) < 0)
			fprintf(err, "pvpci: d%u %s: irq %u not revoked\n", domid, name, irq);
		(void)bars_perm(p, domid, src, name, false, &done, err);
	}
	if (!allow || r < 0) {
		int rd = pvpci_priv_deassign_device(p, domid, pvpci_sbdf_pack(bdf));

		if (rd < 0)
			fprintf(err, "pvpci: d%u %s: deassignment failed: %s\n", domid, name,
				strerror(-rd));
		if (!r)
			r = rd;
	}
	pvpci_source_close(src);
	return r;
}
