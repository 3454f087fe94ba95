/* SPDX-License-Identifier: MIT */
/*
 * The control domain's calls on Xen through libxenctrl: what a toolstack does when it
 * gives a PCI device to a PV guest and takes it back. I/O-memory permission for the
 * BARs' frames (64-bit end to end: XSA-476; revoke takes the same numbers as the grant),
 * I/O-port and IRQ permission, assignment to the guest's IOMMU context and deassignment
 * (Xen then parks the device in its quarantine context, never straight back in dom0's:
 * XSA-302 / XSA-306), and PIRQ mapping of a device's MSI / MSI-X vectors or GSI into the
 * owning guest (PHYSDEVOP_map_pirq with the guest's domid, as QEMU's passthrough code
 * does from user space). Every request is checked before it reaches Xen.
 * Before an assignment, Xen is told where the device's MSI-X table is
 * (PHYSDEVOP_prepare_msix, as Linux's pciback does when it takes a device): Xen learns the
 * table only while dom0 or quarantine owns the device, and a later MSI-X mapping for the
 * guest fails with -ENODATA without it. Only for a device that has an MSI-X capability:
 * Xen 4.17 dereferences a NULL pointer (and panics) when asked for one that has none.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <xencall.h>

#include "xen_priv.h"

static int need_ctrl(struct pvpci_xen *x, unsigned domid)
{
	if (!x->xc)
		return -EPERM; /* no libxenctrl handle: not the control domain */
	if (domid > PVPCI_DOMID_MAX)
		return -EINVAL;
	return 0;
}

static int xc_rc(int rc)
{
	return rc < 0 ? (errno ? -errno : -EIO) : 0;
}

/* Whether the device's standard capability list (dom0's sysfs view) has MSI-X. */
static bool has_msix(unsigned sbdf)
{
	uint8_t cfg[256];
	char path[96];
	unsigned pos, steps = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%04x:%02x:%02x.%x/config",
		 sbdf >> 16, (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f, sbdf & 7);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 0x40 || !(cfg[0x06] & 0x10)) /* no capability list */
		return false;
	for (pos = cfg[0x34] & 0xfc; pos >= 0x40 && pos + 1 < (unsigned)n && steps < 48;
	     pos = cfg[pos + 1] & 0xfc, steps++)
		if (cfg[pos] == 0x11)
			return true;
	return false;
}

/* PHYSDEVOP_prepare_msix for sbdf: 0, or -ENODEV (no MSI-X), -EBUSY (already known to
 * Xen: prepared before or in use), another negative errno. */
static int msix_prepare(unsigned sbdf)
{
	xencall_handle *xcall;
	struct physdev_pci_device *arg;
	int rc = -ENOMEM;

	if (!has_msix(sbdf))
		return -ENODEV;
	xcall = xencall_open(NULL, 0);
	if (!xcall)
		return errno ? -errno : -ENODEV;
	arg = xencall_alloc_buffer(xcall, sizeof(*arg));
	if (arg) {
		*arg = (struct physdev_pci_device){ .seg = (uint16_t)(sbdf >> 16),
						    .bus = (uint8_t)(sbdf >> 8),
						    .devfn = (uint8_t)sbdf };
		rc = xc_rc(xencall2(xcall, __HYPERVISOR_physdev_op, PHYSDEVOP_prepare_msix,
				    (uint64_t)(uintptr_t)arg));
		xencall_free_buffer(xcall, arg);
	}
	xencall_close(xcall);
	return rc;
}

int xen_priv_permission(struct pvpci_xen *x, unsigned domid, enum pvpci_priv_kind kind,
			uint64_t first, uint64_t count, bool allow)
{
	int rc = need_ctrl(x, domid);

	if (rc == 0)
		rc = xen_priv_check(kind, first, count);
	if (rc < 0)
		return rc;
	switch (kind) {
	case PVPCI_PRIV_IOMEM:
		/* unsigned long is 64 bits on every host this builds for (static assert
		 * below), so no frame number is cut. */
		rc = xc_rc(xc_domain_iomem_permission(x->xc, domid, (unsigned long)first,
						      (unsigned long)count, allow));
		break;
	case PVPCI_PRIV_IOPORT:
		rc = xc_rc(xc_domain_ioport_permission(x->xc, domid, (uint32_t)first,
						       (uint32_t)count, allow));
		break;
	case PVPCI_PRIV_IRQ:
		rc = xc_rc(xc_domain_irq_permission(x->xc, domid, (uint32_t)first, allow));
		break;
	case PVPCI_PRIV_DEVICE:
		if (allow) {
			int m = msix_prepare((unsigned)first);

			if (m < 0 && m != -ENODEV && m != -EBUSY)
				pvpci_logf(x->log, PVPCI_LOG_WARNING, "d%u: %04x:%02x:%02x.%x: "
					   "MSI-X table not prepared: %s", domid,
					   (unsigned)(first >> 16), (unsigned)(first >> 8) & 0xff,
					   (unsigned)(first >> 3) & 0x1f, (unsigned)first & 7,
					   pvpci_errname(m));
		}
		rc = allow ? xc_rc(xc_assign_device(x->xc, domid, (uint32_t)first, 0))
			   : xc_rc(xc_deassign_device(x->xc, domid, (uint32_t)first));
		if (rc == -EOPNOTSUPP && allow)
			pvpci_logf(x->log, PVPCI_LOG_ERR, "d%u: assigning %04x:%02x:%02x.%x: "
				   "the guest needs passthrough=\"enabled\" in its config",
				   domid, (unsigned)(first >> 16), (unsigned)(first >> 8) & 0xff,
				   (unsigned)(first >> 3) & 0x1f, (unsigned)first & 7);
		break;
	default:
		return -EINVAL;
	}
	if (rc < 0)
		pvpci_logf(x->log, PVPCI_LOG_ERR, "d%u: %s of kind %d [%#" PRIx64 " +%#" PRIx64
			   "] failed: %s", domid, allow ? "grant" : "revoke", (int)kind, first,
			   count, pvpci_errname(rc));
	return rc;
}

_Static_assert(sizeof(unsigned long) == sizeof(uint64_t),
	       "xc_domain_iomem_permission takes frames as unsigned long");

int xen_pirq_map_msi(struct pvpci_xen *x, unsigned domid, uint32_t sbdf, int entry_nr,
		     uint64_t table_base)
{
	int pirq = -1;
	int rc = need_ctrl(x, domid);

	if (rc < 0)
		return rc;
	if (sbdf >> 16)
		return -EOPNOTSUPP; /* the libxenctrl call has no segment */
	if (entry_nr < 0 || entry_nr >= 2048)
		return -EINVAL;
	rc = xc_rc(xc_physdev_map_pirq_msi(x->xc, domid, -1, &pirq, (int)(sbdf & 0xff),
					   (int)((sbdf >> 8) & 0xff), entry_nr, table_base));
	if (rc < 0) {
		pvpci_logf(x->log, PVPCI_LOG_ERR, "d%u: PIRQ for MSI entry %d of %02x:%02x.%x "
			   "failed: %s", domid, entry_nr, (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f,
			   sbdf & 7, pvpci_errname(rc));
		return rc;
	}
	return pirq;
}

int xen_pirq_map_gsi(struct pvpci_xen *x, unsigned domid, int gsi)
{
	int pirq = gsi;
	int rc = need_ctrl(x, domid);

	if (rc < 0)
		return rc;
	if (gsi < 0)
		return -EINVAL;
	rc = xc_rc(xc_physdev_map_pirq(x->xc, domid, gsi, &pirq));
	return rc < 0 ? rc : pirq;
}

int xen_pirq_unmap(struct pvpci_xen *x, unsigned domid, int pirq)
{
	int rc = need_ctrl(x, domid);

	if (rc < 0)
		return rc;
	if (pirq < 0)
		return -EINVAL;
	return xc_rc(xc_physdev_unmap_pirq(x->xc, domid, pirq));
}
