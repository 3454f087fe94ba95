/* SPDX-License-Identifier: MIT */
/*
 * pvpci pci: the vocabulary of PCI. Register numbers and bits of the type 0 / type 1
 * header and of the capabilities pvpci handles (our own names, from the PCI and PCIe
 * specifications), SBDF addresses with parse / print for every syntax of this field
 * (plain BDFs, wildcards, pciback's hide list, xl's PCI spec), a bounded capability walk
 * over any config-space reader, and the `lspci -x` / `-xxx` / `-xxxx` dump format.
 */
#ifndef PVPCI_PCI_H
#define PVPCI_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pvpci/base.h"

/* ---- Config space sizes ---- */
#define PCI_CFG_SIZE 256u
#define PCIE_CFG_SIZE 4096u

/* ---- Common header ---- */
#define PCI_REG_VENDOR_ID 0x00
#define PCI_REG_DEVICE_ID 0x02
#define PCI_REG_COMMAND 0x04
#define PCI_REG_STATUS 0x06
#define PCI_REG_REVISION 0x08
#define PCI_REG_CLASS_PROG 0x09
#define PCI_REG_CLASS_DEVICE 0x0a
#define PCI_REG_CACHE_LINE 0x0c
#define PCI_REG_LATENCY 0x0d
#define PCI_REG_HEADER_TYPE 0x0e
#define PCI_REG_BIST 0x0f
#define PCI_REG_BAR0 0x10
#define PCI_REG_CARDBUS_CIS 0x28
#define PCI_REG_SUBSYS_VENDOR 0x2c
#define PCI_REG_SUBSYS_ID 0x2e
#define PCI_REG_ROM 0x30 /* type 0 */
#define PCI_REG_CAP_PTR 0x34
#define PCI_REG_INTR_LINE 0x3c
#define PCI_REG_INTR_PIN 0x3d
#define PCI_REG_MIN_GNT 0x3e
#define PCI_REG_MAX_LAT 0x3f
#define PCI_REG_ROM_BRIDGE 0x38 /* type 1 */
#define PCI_REG_BRIDGE_CONTROL 0x3e

#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_MULTIFUNC 0x80
#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_CARDBUS 2

/* Command */
#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEMORY 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_SPECIAL 0x0008
#define PCI_CMD_INVALIDATE 0x0010
#define PCI_CMD_VGA_PALETTE 0x0020
#define PCI_CMD_PARITY 0x0040
#define PCI_CMD_WAIT 0x0080
#define PCI_CMD_SERR 0x0100
#define PCI_CMD_FAST_BACK 0x0200
#define PCI_CMD_INTX_DISABLE 0x0400
#define PCI_CMD_DECODE (PCI_CMD_IO | PCI_CMD_MEMORY)
#define PCI_CMD_RSVDP_MASK 0xf800
/* The bits a PV guest may drive on the device (pciback's whitelist, XSA-120). */
#define PCI_CMD_GUEST (PCI_CMD_MASTER | PCI_CMD_SPECIAL | PCI_CMD_INVALIDATE | \
		       PCI_CMD_VGA_PALETTE | PCI_CMD_WAIT | PCI_CMD_FAST_BACK)

/* Status */
#define PCI_STATUS_IMM_READY 0x0001
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_STATUS_66MHZ 0x0020
#define PCI_STATUS_UDF 0x0040
#define PCI_STATUS_FAST_BACK 0x0080
#define PCI_STATUS_PARITY 0x0100
#define PCI_STATUS_DEVSEL_MASK 0x0600
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define PCI_STATUS_REC_TARGET_ABORT 0x1000
#define PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY 0x8000
#define PCI_STATUS_RW1C_MASK 0xf900
#define PCI_STATUS_RSVDZ_MASK 0x0006

/* BIST */
#define PCI_BIST_CAPABLE 0x80
#define PCI_BIST_START 0x40
#define PCI_BIST_CODE_MASK 0x0f

/* BARs */
#define PCI_BAR_SPACE_IO 0x01
#define PCI_BAR_MEM_TYPE_MASK 0x06
#define PCI_BAR_MEM_TYPE_32 0x00
#define PCI_BAR_MEM_TYPE_1M 0x02
#define PCI_BAR_MEM_TYPE_64 0x04
#define PCI_BAR_MEM_PREFETCH 0x08
#define PCI_BAR_MEM_MASK (~0x0fu)
#define PCI_BAR_IO_MASK (~0x03u)
#define PCI_ROM_ENABLE 0x01
#define PCI_ROM_ADDR_MASK (~0x7ffu)
#define PCI_NUM_BARS 6
#define PCI_ROM_SLOT 6 /* index of the ROM in BAR arrays */

/* ---- Capabilities ---- */
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_AGP 0x02
#define PCI_CAP_ID_VPD 0x03
#define PCI_CAP_ID_SLOTID 0x04
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_PCIX 0x07
#define PCI_CAP_ID_HT 0x08
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_SSVID 0x0d
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_AF 0x13
#define PCI_CAP_NEXT 1
#define PCI_CAP_WALK_MAX 48 /* hops before a chain is called a loop */

/* Power management */
#define PCI_PM_PMC 2
#define PCI_PM_PMC_PME_MASK 0xf800
#define PCI_PM_CTRL 4
#define PCI_PM_CTRL_STATE_MASK 0x0003
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008
#define PCI_PM_CTRL_PME_ENABLE 0x0100
#define PCI_PM_CTRL_DATA_SEL_MASK 0x1e00
#define PCI_PM_CTRL_DATA_SCALE_MASK 0x6000
#define PCI_PM_CTRL_PME_STATUS 0x8000
#define PCI_PM_PPB_EXT 6
#define PCI_PM_DATA 7
#define PCI_PM_SIZEOF 8

/* VPD */
#define PCI_VPD_ADDR 2
#define PCI_VPD_ADDR_F 0x8000
#define PCI_VPD_ADDR_MASK 0x7fff
#define PCI_VPD_DATA 4

/* MSI */
#define PCI_MSI_FLAGS 2
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QMASK 0x000e /* multiple message capable */
#define PCI_MSI_FLAGS_QSIZE 0x0070 /* multiple message enable */
#define PCI_MSI_FLAGS_64BIT 0x0080
#define PCI_MSI_FLAGS_MASKBIT 0x0100
#define PCI_MSI_ADDR_LO 4
#define PCI_MSI_ADDR_HI 8
#define PCI_MSI_DATA_32 8
#define PCI_MSI_DATA_64 12
#define PCI_MSI_MASK_32 12
#define PCI_MSI_MASK_64 16
#define PCI_MSI_PENDING_32 16
#define PCI_MSI_PENDING_64 20

/* MSI-X */
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_QSIZE 0x07ff
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_MSIX_BIR_MASK 0x7
#define PCI_MSIX_OFFSET_MASK (~0x7u)
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_ADDR_LO 0
#define PCI_MSIX_ENTRY_ADDR_HI 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

/* PCI Express capability */
#define PCI_EXP_FLAGS 2
#define PCI_EXP_FLAGS_TYPE_MASK 0x00f0
#define PCI_EXP_DEVCAP 4
#define PCI_EXP_DEVCAP_FLR 0x10000000u
#define PCI_EXP_DEVCTL 8
#define PCI_EXP_DEVCTL_BCR_FLR 0x8000
#define PCI_EXP_DEVSTA 10
#define PCI_EXP_DEVSTA_RW1C_MASK 0x000f

/* Extended capabilities */
#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_ID(h) ((h) & 0xffffu)
#define PCI_EXT_CAP_VER(h) (((h) >> 16) & 0xfu)
#define PCI_EXT_CAP_NEXT(h) (((h) >> 20) & 0xffcu)
#define PCI_EXT_CAP_ID_ERR 0x01
#define PCI_EXT_CAP_ID_SRIOV 0x10
#define PCI_EXT_CAP_ID_REBAR 0x15

/* ---- Addresses ---- */
struct pvpci_sbdf {
	uint16_t seg;
	uint8_t bus;
	uint8_t dev; /* 0..31 */
	uint8_t fn;  /* 0..7 */
};
#define PVPCI_DEVFN(d, f) ((uint8_t)((((d) & 0x1f) << 3) | ((f) & 7)))
#define PVPCI_SBDF_STRLEN 16 /* "ssss:bb:dd.f" + NUL, with margin */

static inline uint32_t pvpci_sbdf_pack(struct pvpci_sbdf a)
{
	return ((uint32_t)a.seg << 16) | ((uint32_t)a.bus << 8) | PVPCI_DEVFN(a.dev, a.fn);
}
static inline bool pvpci_sbdf_eq(struct pvpci_sbdf a, struct pvpci_sbdf b)
{
	return pvpci_sbdf_pack(a) == pvpci_sbdf_pack(b);
}

/* Where and why a parse failed: pos is the byte offset into the input. */
struct pvpci_parse_err {
	size_t pos;
	char msg[120];
};

/* Fills err (if non-NULL) with pos and a formatted message; returns -EINVAL (for parsers
 * reporting through struct pvpci_parse_err). */
int pvpci_parse_fail(struct pvpci_parse_err *err, size_t pos, const char *fmt, ...)
	PVPCI_PRINTF(3, 4);

/* "dddd:bb:dd.f" or "bb:dd.f" (hex); the whole string must match. */
int pvpci_sbdf_parse(const char *s, struct pvpci_sbdf *out, struct pvpci_parse_err *err)
	PVPCI_WUR;
/* Writes "%04x:%02x:%02x.%x"; returns buf. */
char *pvpci_sbdf_str(struct pvpci_sbdf a, char buf[PVPCI_SBDF_STRLEN]);

/* An address that may have '*' for the slot and / or the function. */
struct pvpci_sbdf_pattern {
	struct pvpci_sbdf a;
	bool any_dev;
	bool any_fn;
};
int pvpci_pattern_parse(const char *s, struct pvpci_sbdf_pattern *out,
			struct pvpci_parse_err *err) PVPCI_WUR;
bool pvpci_pattern_match(const struct pvpci_sbdf_pattern *p, struct pvpci_sbdf a);

/* pciback's hide list: "(0000:03:00.0)(04:00.*)", whitespace allowed between and inside
 * the parentheses. Fills up to max entries (more is -E2BIG); *n gets the count. */
int pvpci_hide_list_parse(const char *s, struct pvpci_sbdf_pattern *out, size_t max,
			  size_t *n, struct pvpci_parse_err *err) PVPCI_WUR;

/* xl's PCI spec: [dddd:]bb:dd.f[@vslot][,key=value]... ("BDF" alone is fine). */
enum pvpci_rdm_policy { PVPCI_RDM_UNSET = 0, PVPCI_RDM_STRICT, PVPCI_RDM_RELAXED };
struct pvpci_pci_spec {
	struct pvpci_sbdf_pattern addr; /* the function may be '*': all functions */
	int vslot;         /* -1 when not given, else 0..31 */
	int permissive;    /* -1 when not given, else 0 / 1 */
	int msitranslate;  /* -1 / 0 / 1 */
	int power_mgmt;    /* -1 / 0 / 1 */
	int seize;         /* -1 / 0 / 1 */
	enum pvpci_rdm_policy rdm_policy;
	char name[64];     /* "" when not given */
};
int pvpci_pci_spec_parse(const char *s, struct pvpci_pci_spec *out,
			 struct pvpci_parse_err *err) PVPCI_WUR;

/* ---- Capability walk ---- */
/* Reads size (1, 2, 4) bytes at off; 0 or a negative errno. */
typedef int (*pvpci_cfg_read_fn)(void *opaque, unsigned off, unsigned size, uint32_t *val);

/* Visits each capability: ext = false walks the standard list (from 0x34 if Status has
 * CAP_LIST), ext = true the extended list from 0x100 (cfg_size must be 4096). At most
 * PCI_CAP_WALK_MAX hops; a pointer of 0 or 0xff ends the chain, pointers are & ~3, a
 * pointer into the header (< 0x40) or outside the space ends it too. visit returns
 * non-zero to stop (that value is returned). A loop returns -ELOOP after the visits made;
 * so does a chain longer than PCI_CAP_WALK_MAX. The extended walk ends at a header of 0
 * or 0xffffffff or a next pointer < 0x100; ext with cfg_size != 4096 returns -EINVAL.
 * A failing read returns its error. */
typedef int (*pvpci_cap_visit_fn)(void *arg, unsigned pos, unsigned id);
int pvpci_cap_walk(pvpci_cfg_read_fn rd, void *opaque, unsigned cfg_size, bool ext,
		   pvpci_cap_visit_fn visit, void *arg);
/* Position of the first capability with this id, 0 if none. */
unsigned pvpci_cap_find(pvpci_cfg_read_fn rd, void *opaque, unsigned cfg_size, bool ext,
			unsigned id);

/* ---- lspci dump format ---- */
/* One device of an `lspci -x/-xxx/-xxxx` dump: its address, the text after the address on
 * its title line (cut to 159 bytes), and the bytes given (size = highest row seen, rounded:
 * 64, 256 or 4096). Bytes of rows not given are 0. */
struct pvpci_dump {
	struct pvpci_sbdf sbdf;
	char title[160];
	unsigned size;
	uint8_t cfg[PCIE_CFG_SIZE];
};
/* Parses every device of a dump held in text[0..len). A device is a title line
 * "[dddd:]bb:dd.f TEXT" then rows "oo: " + 16 hex bytes (oo: 2 or 3 hex digits, a multiple
 * of 0x10, each row at most once); a blank line or the next title ends it; a title without
 * rows is an error. Lines starting with a space or tab (lspci -v detail) are skipped.
 * Lines starting with '#' (at most 511 bytes) are passed to comment(arg, dev_index, line)
 * when given (used by the model source for its extra lines) and otherwise ignored;
 * dev_index is the device of the latest title (0 before any). A non-zero return from
 * comment stops the parse (err->pos is preset to the line; fill err->msg). *n gets the
 * number of devices filled; more than max devices is -E2BIG. Errors say "line N: ..." in
 * msg and give the byte offset in pos. */
typedef int (*pvpci_dump_comment_fn)(void *arg, size_t dev_index, const char *line,
				      struct pvpci_parse_err *err);
int pvpci_dump_parse(const char *text, size_t len, struct pvpci_dump *out, size_t max,
		     size_t *n, pvpci_dump_comment_fn comment, void *arg,
		     struct pvpci_parse_err *err) PVPCI_WUR;
/* Writes one device: title line "ssss:bb:dd.f TITLE" then rows of 16 bytes for size
 * bytes (64, 256 or 4096) and a blank line, byte for byte as `lspci -D -xxxx` does (the
 * space after the address is written even for an empty title: lspci -F needs it).
 * -EINVAL for another size or a title with a line break, -EIO on a write error. */
int pvpci_dump_write(FILE *f, struct pvpci_sbdf sbdf, const char *title,
		     const uint8_t *cfg, unsigned size);

#endif
