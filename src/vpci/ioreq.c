/* SPDX-License-Identifier: MIT */
/*
 * vpci ioreq: the transport of trapped accesses in Xen's ioreq layout, so that the same
 * service can serve a guest process on the local platform now and HVM / PVH guests as an
 * ioreq server later. A request is read from its (shared, guest-writable) slot once into
 * private memory, checked, dispatched (PCI_CONFIG to the config entry point with the SBDF
 * from addr's upper half, COPY to the MMIO entry point), and answered by writing data
 * (reads) and then the state with release ordering (the state is read with acquire).
 */
#include <errno.h>

#include "pvpci/vpci.h"

static uint64_t ones(unsigned len)
{
	return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

/* Reads the slot field by field, each once. */
static void snapshot(volatile struct pvpci_ioreq *req, struct pvpci_ioreq *r)
{
	r->flags = __atomic_load_n(&req->flags, __ATOMIC_ACQUIRE);
	r->addr = req->addr;
	r->data = req->data;
	r->count = req->count;
	r->size = req->size;
	r->vp_eport = req->vp_eport;
	r->pad0 = 0;
	r->type = req->type;
}

static int pci_config(struct pvpci_vpci_domain *d, const struct pvpci_ioreq *r, bool read,
		      uint64_t *data)
{
	struct pvpci_sbdf g = {
		.seg = (uint16_t)(r->addr >> 48),
		.bus = (uint8_t)(r->addr >> 40),
		.dev = (uint8_t)((r->addr >> 35) & 0x1f),
		.fn = (uint8_t)((r->addr >> 32) & 7),
	};
	uint32_t reg = (uint32_t)r->addr, v;
	int rc;

	if (r->size > 4 || reg >= PCIE_CFG_SIZE)
		return -EINVAL;
	if (!read)
		return pvpci_vpci_cfg_write(d, g, reg, r->size, (uint32_t)*data);
	rc = pvpci_vpci_cfg_read(d, g, reg, r->size, &v);
	*data = v;
	return rc;
}

static int dispatch(struct pvpci_vpci_domain *d, const struct pvpci_ioreq *r, uint64_t *data)
{
	bool read = r->flags & PVPCI_IOREQ_DIR_READ;

	if (r->count != 1 || (r->flags & PVPCI_IOREQ_DATA_IS_PTR))
		return -EOPNOTSUPP; /* rep / indirect data: not for PCI registers */
	if (r->size != 1 && r->size != 2 && r->size != 4 && r->size != 8)
		return -EINVAL;
	switch (r->type) {
	case PVPCI_IOREQ_TYPE_PCI_CONFIG:
		return pci_config(d, r, read, data);
	case PVPCI_IOREQ_TYPE_COPY:
		return read ? pvpci_vpci_mmio_read(d, r->addr, r->size, data) :
			      pvpci_vpci_mmio_write(d, r->addr, r->size, *data);
	default:
		return -EOPNOTSUPP; /* port I/O is not emulated here */
	}
}

int pvpci_vpci_ioreq_handle(struct pvpci_vpci_domain *d, volatile struct pvpci_ioreq *req)
{
	struct pvpci_ioreq r;
	uint64_t data;
	unsigned len;
	int rc;

	snapshot(req, &r);
	if ((r.flags & PVPCI_IOREQ_STATE_MASK) != PVPCI_IOREQ_STATE_READY)
		return -EAGAIN;
	len = r.size <= 8 ? r.size : 8;
	data = r.data & ones(len);
	rc = dispatch(d, &r, &data);
	if (r.flags & PVPCI_IOREQ_DIR_READ) {
		if (rc)
			data = ones(len);
		req->data = data & ones(len);
	}
	__atomic_store_n(&req->flags,
			 (uint8_t)((r.flags & ~PVPCI_IOREQ_STATE_MASK) | PVPCI_IORESP_STATE_READY),
			 __ATOMIC_RELEASE);
	return rc;
}
