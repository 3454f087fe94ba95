/* SPDX-License-Identifier: MIT */
/*
 * One PCI function printed as lspci -v / -x would, through a config read / write
 * callback pair (lspci_fn.h): the rows a guest kernel could fill in by itself. BARs are
 * sized the way a guest sizes them (write all ones, read back, restore), capabilities
 * come from the capability walk of pvpci/pci.h.
 */
#include <inttypes.h>
#include <stdbool.h>

#include "lspci_fn.h"
#include "pvpci/base.h"
#include "pvpci/pci.h"

static uint32_t rd0(const struct lspci_fn *f, unsigned off, unsigned size)
{
	uint32_t v = 0;

	return f->rd(f->ctx, off, size, &v) ? 0 : v;
}

static void print_size(FILE *out, uint64_t sz)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (sz >= 1024 && sz % 1024 == 0 && u < 3) {
		sz /= 1024;
		u++;
	}
	if (u < 0)
		fprintf(out, "[size=%" PRIu64 "]", sz);
	else
		fprintf(out, "[size=%" PRIu64 "%c]", sz, units[u]);
}

/* The writable bits of a register (0 when an access fails): write all ones, read back,
 * restore. */
static uint32_t size_reg(const struct lspci_fn *f, unsigned off, uint32_t ones)
{
	uint32_t orig = 0, mask = 0;

	if (f->rd(f->ctx, off, 4, &orig) || f->wr(f->ctx, off, 4, ones) ||
	    f->rd(f->ctx, off, 4, &mask))
		mask = 0;
	if (f->wr(f->ctx, off, 4, orig))
		mask = 0;
	return mask;
}

/* BAR i: its row if it decodes anything; *skip_next for a 64-bit BAR's upper half. */
static void print_bar(const struct lspci_fn *f, unsigned i, unsigned nbars, bool *skip_next)
{
	unsigned off = PCI_REG_BAR0 + 4 * i;
	uint32_t v = rd0(f, off, 4), m;
	bool io = v & 1, is64 = !io && ((v >> 1) & 3) == 2;
	uint64_t addr, mask;

	if (!v && !(f->flags & LSPCI_SIZE_ZERO))
		return; /* unimplemented (or unassigned: nothing to show either) */
	m = size_reg(f, off, 0xffffffffu);
	addr = v & (io ? ~3u : ~0xfu);
	mask = m & (io ? ~3u : ~0xfu);
	if (is64 && i + 1 < nbars) {
		addr |= (uint64_t)rd0(f, off + 4, 4) << 32;
		mask |= (uint64_t)size_reg(f, off + 4, 0xffffffffu) << 32;
		*skip_next = true;
	}
	if (!mask)
		return;
	if (io)
		fprintf(f->out, "\tRegion %u: I/O ports at %" PRIx64 " ", i, addr);
	else
		fprintf(f->out, "\tRegion %u: Memory at %" PRIx64 " (%s, %sprefetchable) ", i,
			addr, is64 ? "64-bit" : "32-bit", v & 8 ? "" : "non-");
	print_size(f->out, mask & (~mask + 1)); /* the lowest writable bit */
	fputc('\n', f->out);
}

static void print_bars(const struct lspci_fn *f, bool bridge)
{
	unsigned nbars = bridge ? 2 : 6, rom = bridge ? PCI_REG_ROM_BRIDGE : PCI_REG_ROM;
	bool decode_off = f->flags & LSPCI_DECODE_OFF;
	uint32_t cmd = decode_off ? rd0(f, PCI_REG_COMMAND, 2) : 0;

	/* a BAR does not move while it is mapped: decoding off meanwhile */
	if (cmd & PCI_CMD_DECODE)
		(void)f->wr(f->ctx, PCI_REG_COMMAND, 2, cmd & ~(uint32_t)PCI_CMD_DECODE);
	for (unsigned i = 0; i < nbars; i++) {
		bool skip = false;

		print_bar(f, i, nbars, &skip);
		i += skip;
	}
	uint32_t r = rd0(f, rom, 4), rm = 0;
	if (r || (f->flags & LSPCI_SIZE_ZERO))
		rm = size_reg(f, rom, 0xfffff800u) & 0xfffff800u;
	if (rm) {
		fprintf(f->out, "\tExpansion ROM at %x [%s] ", r & 0xfffff800u,
			r & 1 ? "enabled" : "disabled");
		print_size(f->out, rm & (~rm + 1));
		fputc('\n', f->out);
	}
	if (cmd & PCI_CMD_DECODE)
		(void)f->wr(f->ctx, PCI_REG_COMMAND, 2, cmd);
}

static const char *const std_caps[] = {
	[0x01] = "Power Management", [0x02] = "AGP", [0x03] = "Vital Product Data",
	[0x04] = "Slot ID", [0x05] = "MSI", [0x07] = "PCI-X", [0x08] = "HyperTransport",
	[0x09] = "Vendor Specific Information", [0x0a] = "Debug port",
	[0x0d] = "Subsystem", [0x10] = "Express", [0x11] = "MSI-X", [0x12] = "SATA HBA",
	[0x13] = "PCI Advanced Features",
};
static const char *const ext_caps[] = {
	[0x01] = "Advanced Error Reporting", [0x02] = "Virtual Channel",
	[0x03] = "Device Serial Number", [0x04] = "Power Budgeting",
	[0x0b] = "Vendor Specific Information", [0x0d] = "Access Control Services",
	[0x0e] = "Alternative Routing-ID Interpretation", [0x10] = "Single Root I/O Virtualization",
	[0x15] = "Physical Resizable BAR", [0x18] = "Latency Tolerance Reporting",
	[0x19] = "Secondary PCI Express", [0x1e] = "L1 PM Substates",
};

struct cap_walk {
	const struct lspci_fn *f;
	bool ext;
};

/* What follows a standard capability's name: MSI / MSI-X state, Express version. */
static void cap_detail(const struct lspci_fn *f, unsigned pos, unsigned id)
{
	uint32_t fl = rd0(f, pos + 2, 2);

	if (id == PCI_CAP_ID_MSI)
		fprintf(f->out, ": Enable%c Count=%u/%u Maskable%c 64bit%c", fl & 1 ? '+' : '-',
			1u << ((fl >> 4) & 7), 1u << ((fl >> 1) & 7), fl & 0x100 ? '+' : '-',
			fl & 0x80 ? '+' : '-');
	else if (id == PCI_CAP_ID_MSIX)
		fprintf(f->out, ": Enable%c Count=%u Masked%c", fl & 0x8000 ? '+' : '-',
			(fl & 0x7ff) + 1, fl & 0x4000 ? '+' : '-');
	else if (id == PCI_CAP_ID_EXP && !(f->flags & LSPCI_CAP_NAMES))
		fprintf(f->out, " (v%u)", fl & 0xf);
}

static int cap_visit(void *arg, unsigned pos, unsigned id)
{
	const struct cap_walk *w = arg;
	const struct lspci_fn *f = w->f;
	bool names = f->flags & LSPCI_CAP_NAMES;
	const char *const *tab = w->ext ? ext_caps : std_caps;
	size_t n = w->ext ? PVPCI_ARRAY_SIZE(ext_caps) : PVPCI_ARRAY_SIZE(std_caps);
	const char *name = id < n ? tab[id] : NULL;

	if (!names && id != PCI_CAP_ID_MSI && id != PCI_CAP_ID_MSIX && id != PCI_CAP_ID_EXP)
		name = NULL;
	fprintf(f->out, "\tCapabilities: [%x] ", pos);
	if (name)
		fputs(name, f->out);
	else if (names)
		fprintf(f->out, "%s capability %#x", w->ext ? "Extended" : "Unknown", id);
	else
		fprintf(f->out, "capability %#x", id);
	if (!w->ext)
		cap_detail(f, pos, id);
	fputc('\n', f->out);
	return 0;
}

/* The config space size: 4096 bytes when 0x100 reads (and, with LSPCI_EXT_IF_EXP, the
 * function has an Express capability), else 256. */
static unsigned cfg_size(const struct lspci_fn *f)
{
	uint32_t v;

	if ((f->flags & LSPCI_EXT_IF_EXP) &&
	    !pvpci_cap_find(f->rd, f->ctx, 256, false, PCI_CAP_ID_EXP))
		return 256;
	return f->rd(f->ctx, PCI_EXT_CAP_START, 4, &v) == 0 ? PCIE_CFG_SIZE : 256;
}

void lspci_fn_verbose(const struct lspci_fn *f, uint8_t htype)
{
	bool bridge = (htype & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
	uint32_t cmd = rd0(f, PCI_REG_COMMAND, 2), pin = rd0(f, PCI_REG_INTR_PIN, 1);
	struct cap_walk w = { f, false };
	FILE *out = f->out;

	if (!bridge)
		fprintf(out, "\tSubsystem: %04x:%04x\n", rd0(f, PCI_REG_SUBSYS_VENDOR, 2),
			rd0(f, PCI_REG_SUBSYS_ID, 2));
	fprintf(out, "\tControl: I/O%c Mem%c BusMaster%c DisINTx%c\n", cmd & 1 ? '+' : '-',
		cmd & 2 ? '+' : '-', cmd & 4 ? '+' : '-', cmd & 0x400 ? '+' : '-');
	if (pin >= 1 && pin <= 4 && (f->flags & LSPCI_INTX_UNROUTED))
		fprintf(out, "\tInterrupt: pin %c (INTx is not routed to vPCI guests)\n",
			'A' + (int)pin - 1);
	else if (pin >= 1 && pin <= 4)
		fprintf(out, "\tInterrupt: pin %c routed to IRQ %u\n", 'A' + (int)pin - 1,
			rd0(f, PCI_REG_INTR_LINE, 1));
	print_bars(f, bridge);
	if (!(f->flags & LSPCI_CAP_NAMES)) {
		(void)pvpci_cap_walk(f->rd, f->ctx, 256, false, cap_visit, &w);
		return;
	}
	unsigned size = cfg_size(f);
	(void)pvpci_cap_walk(f->rd, f->ctx, size, false, cap_visit, &w);
	if (size == PCIE_CFG_SIZE) {
		w.ext = true;
		(void)pvpci_cap_walk(f->rd, f->ctx, size, true, cap_visit, &w);
	}
}

void lspci_fn_dump(const struct lspci_fn *f, unsigned want)
{
	unsigned size = want > 256 ? cfg_size(f) : want;

	for (unsigned off = 0; off < size; off += 16) {
		fprintf(f->out, off < 0x100 ? "%02x:" : "%03x:", off);
		for (unsigned i = 0; i < 16; i += 4) {
			uint32_t v = 0xffffffffu;

			if (f->rd(f->ctx, off + i, 4, &v))
				v = 0xffffffffu;
			for (unsigned b = 0; b < 4; b++)
				fprintf(f->out, " %02x", (v >> (8 * b)) & 0xff);
		}
		fputc('\n', f->out);
	}
	fputc('\n', f->out);
}
