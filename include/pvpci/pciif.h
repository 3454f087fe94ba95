/* SPDX-License-Identifier: MIT */
/*
 * pvpci pciif: the wire ABI of Xen's PV PCI protocol (one shared 4 KiB page, one event
 * channel), as both sides see it: the constants, command and error numbers, and the three
 * structures of the shared page with their exact sizes and offsets pinned by static
 * asserts. Every field is 2 or 4 bytes with natural alignment, so there is no padding; the
 * protocol is little-endian (x86). Apart from the API headers (pvback.h, pvfront.h) on
 * purpose: this is the contract with Linux's xen-pciback and xen-pcifront.
 */
#ifndef PVPCI_PCIIF_H
#define PVPCI_PCIIF_H

#include <stddef.h>
#include <stdint.h>

/* The value of the frontend's xenstore node `magic` (a string). */
#define XEN_PCI_MAGIC "7"

/* Bits of xen_pci_sharedinfo.flags. */
#define _XEN_PCIF_active 0     /* FE->BE: an op is pending in `op` */
#define XEN_PCIF_active (1u << _XEN_PCIF_active)
#define _XEN_PCIB_AERHANDLER 1 /* FE: "I have a PV AER handler" */
#define XEN_PCIB_AERHANDLER (1u << _XEN_PCIB_AERHANDLER)
#define _XEN_PCIB_active 2     /* BE->FE: an AER op is pending in `aer_op` */
#define XEN_PCIB_active (1u << _XEN_PCIB_active)

/* Commands. */
#define XEN_PCI_OP_conf_read 0
#define XEN_PCI_OP_conf_write 1
#define XEN_PCI_OP_enable_msi 2
#define XEN_PCI_OP_disable_msi 3
#define XEN_PCI_OP_enable_msix 4
#define XEN_PCI_OP_disable_msix 5
#define XEN_PCI_OP_aer_detected 6
#define XEN_PCI_OP_aer_resume 7
#define XEN_PCI_OP_aer_mmio 8
#define XEN_PCI_OP_aer_slotreset 9
#define XEN_PCI_OP_enable_multi_msi 10 /* Xen's header only; `info` = vectors wanted */

/* Errors (the backend may also answer raw negative errnos: any non-zero is failure). */
#define XEN_PCI_ERR_success 0
#define XEN_PCI_ERR_dev_not_found (-1)
#define XEN_PCI_ERR_invalid_offset (-2)
#define XEN_PCI_ERR_access_denied (-3)
#define XEN_PCI_ERR_not_implemented (-4)
#define XEN_PCI_ERR_op_failed (-5)

/* Most MSI-X entries in one op. */
#define SH_INFO_MAX_VEC 128

/* pci_channel_state values carried in aer_op.err towards the frontend (Linux's). */
#define PVPCI_AER_CHANNEL_NORMAL 1
#define PVPCI_AER_CHANNEL_FROZEN 2
#define PVPCI_AER_CHANNEL_PERM_FAILURE 3

/* pci_ers_result values the frontend answers in aer_op.err (Linux's). */
#define PVPCI_AER_RESULT_NONE 1
#define PVPCI_AER_RESULT_CAN_RECOVER 2
#define PVPCI_AER_RESULT_NEED_RESET 3
#define PVPCI_AER_RESULT_DISCONNECT 4
#define PVPCI_AER_RESULT_RECOVERED 5
#define PVPCI_AER_RESULT_NO_AER_DRIVER 6

/* XenbusState. */
enum xenbus_state {
	XenbusStateUnknown = 0,
	XenbusStateInitialising = 1,
	XenbusStateInitWait = 2,
	XenbusStateInitialised = 3,
	XenbusStateConnected = 4,
	XenbusStateClosing = 5,
	XenbusStateClosed = 6,
	XenbusStateReconfiguring = 7,
	XenbusStateReconfigured = 8,
};

struct xen_msix_entry {
	uint16_t vector; /* IN: ignored (0xffff); OUT: the PIRQ bound to this entry */
	uint16_t entry;  /* IN: MSI-X table index */
};

struct xen_pci_op {
	uint32_t cmd;
	int32_t err;
	uint32_t domain; /* the frontend's (virtual) segment, bus and devfn */
	uint32_t bus;
	uint32_t devfn;
	int32_t offset;
	int32_t size;
	uint32_t value;
	uint32_t info;
	struct xen_msix_entry msix_entries[SH_INFO_MAX_VEC];
};

struct xen_pcie_aer_op {
	uint32_t cmd;
	int32_t err;
	uint32_t domain;
	uint32_t bus;
	uint32_t devfn;
};

struct xen_pci_sharedinfo {
	uint32_t flags;
	struct xen_pci_op op;
	struct xen_pcie_aer_op aer_op;
};

_Static_assert(sizeof(struct xen_msix_entry) == 4, "xen_msix_entry size");
_Static_assert(offsetof(struct xen_msix_entry, vector) == 0, "msix vector offset");
_Static_assert(offsetof(struct xen_msix_entry, entry) == 2, "msix entry offset");

_Static_assert(sizeof(struct xen_pci_op) == 548, "xen_pci_op size");
_Static_assert(offsetof(struct xen_pci_op, cmd) == 0, "op cmd offset");
_Static_assert(offsetof(struct xen_pci_op, err) == 4, "op err offset");
_Static_assert(offsetof(struct xen_pci_op, domain) == 8, "op domain offset");
_Static_assert(offsetof(struct xen_pci_op, bus) == 12, "op bus offset");
_Static_assert(offsetof(struct xen_pci_op, devfn) == 16, "op devfn offset");
_Static_assert(offsetof(struct xen_pci_op, offset) == 20, "op offset offset");
_Static_assert(offsetof(struct xen_pci_op, size) == 24, "op size offset");
_Static_assert(offsetof(struct xen_pci_op, value) == 28, "op value offset");
_Static_assert(offsetof(struct xen_pci_op, info) == 32, "op info offset");
_Static_assert(offsetof(struct xen_pci_op, msix_entries) == 36, "op msix_entries offset");

_Static_assert(sizeof(struct xen_pcie_aer_op) == 20, "xen_pcie_aer_op size");
_Static_assert(offsetof(struct xen_pcie_aer_op, cmd) == 0, "aer cmd offset");
_Static_assert(offsetof(struct xen_pcie_aer_op, err) == 4, "aer err offset");
_Static_assert(offsetof(struct xen_pcie_aer_op, domain) == 8, "aer domain offset");
_Static_assert(offsetof(struct xen_pcie_aer_op, bus) == 12, "aer bus offset");
_Static_assert(offsetof(struct xen_pcie_aer_op, devfn) == 16, "aer devfn offset");

_Static_assert(sizeof(struct xen_pci_sharedinfo) == 572, "xen_pci_sharedinfo size");
_Static_assert(offsetof(struct xen_pci_sharedinfo, flags) == 0, "flags offset");
_Static_assert(offsetof(struct xen_pci_sharedinfo, op) == 4, "op offset");
_Static_assert(offsetof(struct xen_pci_sharedinfo, aer_op) == 552, "aer_op offset");

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the PV PCI protocol is little-endian; a big-endian port needs byte swapping"
#endif

#endif
