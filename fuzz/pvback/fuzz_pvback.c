/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: random sequences of guest config accesses (any offset, size and
 * value, knob changes, detaches) through the PV policy on every device of every bundled
 * model. After each step it checks what a hostile guest must never achieve:
 *  - an access outside the rules returns -EINVAL, a failed read answers 0;
 *  - COMMAND decode bits in the device are exactly what the host's enable path sets
 *    when the guest asked for decoding, else none (never the guest's own bits);
 *  - the device's BARs and ROM keep their host addresses (never a guest-chosen value,
 *    never a sizing pattern);
 *  - MSI address / data / mask, the Interrupt Line and PME_En are never the guest's;
 *  - MSI and MSI-X are never both enabled; identity registers never change.
 * Input: byte 0 picks the model device, byte 1 the initial knobs, then 8-byte steps.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/pci.h"
#include "pvpci/pvback.h"
#include "pvpci/source.h"

#ifndef PVPCI_DATA_DIR
#define PVPCI_DATA_DIR "tests/data"
#endif

#define MAX_DEVICES 64
#define STEP_SIZE 8
#define MAX_STEPS 512

struct model_dev {
	char *text;
	size_t len;
	size_t index;
	char name[64];
};

static struct model_dev devices[MAX_DEVICES];
static size_t ndevices;
static struct pvpci_log quiet = { .max_level = 0 };

static void die(const char *what, const char *dev, unsigned off, uint32_t a, uint32_t b)
{
	fprintf(stderr, "fuzz_pvback: %s: %s at 0x%x (0x%x vs 0x%x)\n", dev, what, off, a, b);
	abort();
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = 0;
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static int is_model(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 6 && !strcmp(e->d_name + n - 6, ".model");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("PVPCI_TEST_DATA");
	struct dirent **list;
	int n;

	dir = dir ? dir : PVPCI_DATA_DIR;
	n = scandir(dir, &list, is_model, alphasort);
	if (n <= 0) {
		fprintf(stderr, "fuzz_pvback: no models in %s\n", dir);
		abort();
	}
	for (int i = 0; i < n; i++) {
		char path[1024];
		struct pvpci_parse_err perr;
		size_t count = 0, len = 0;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		text = slurp(path, &len);
		if (text && pvpci_model_count(path, &count, &perr) == 0) {
			for (size_t k = 0; k < count && ndevices < MAX_DEVICES; k++) {
				struct model_dev *m = &devices[ndevices++];

				m->text = text;
				m->len = len;
				m->index = k;
				snprintf(m->name, sizeof(m->name), "%s#%zu", list[i]->d_name, k);
			}
		}
		free(list[i]);
	}
	free(list);
	if (!ndevices)
		abort();
	return 0;
}

/* ---- The device side of the invariants ---- */

struct watch {
	const char *name;
	struct pvpci_source *src;
	struct pvpci_pvdev *d;
	unsigned cfg_size;
	uint8_t initial[PCIE_CFG_SIZE];
	uint32_t host_decode; /* what the enable path sets */
	unsigned bar_regs[PCI_NUM_BARS + 1];
	unsigned nbar_regs;
	unsigned pm, msi, msix;
	unsigned fixed[16]; /* dwords that must keep their initial value */
	unsigned nfixed;
};

static uint32_t initial32(const struct watch *w, unsigned off)
{
	return (uint32_t)w->initial[off] | w->initial[off + 1] << 8 |
	       w->initial[off + 2] << 16 | (uint32_t)w->initial[off + 3] << 24;
}

static uint32_t dev_read(struct watch *w, unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (pvpci_source_cfg_read(w->src, off, size, &v))
		die("device read failed", w->name, off, 0, 0);
	return v;
}

static int snap_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	const struct watch *w = opaque;

	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint32_t)w->initial[off + i] << (8 * i);
	return 0;
}

static void watch_setup(struct watch *w)
{
	bool bridge = (w->initial[PCI_REG_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) == 1;
	unsigned nbars = bridge ? 2 : PCI_NUM_BARS;

	w->host_decode = 0;
	for (unsigned i = 0; i <= PCI_ROM_SLOT; i++) {
		struct pvpci_bar_info bi;

		if (pvpci_source_bar_info(w->src, i, &bi) || !bi.size)
			continue;
		w->host_decode |= bi.type == PVPCI_BAR_IO ? PCI_CMD_IO :
				  bi.type != PVPCI_BAR_EMPTY ? PCI_CMD_MEMORY : 0;
	}
	w->nbar_regs = 0;
	for (unsigned i = 0; i < nbars; i++)
		w->bar_regs[w->nbar_regs++] = PCI_REG_BAR0 + 4 * i;
	w->bar_regs[w->nbar_regs++] = bridge ? PCI_REG_ROM_BRIDGE : PCI_REG_ROM;
	w->pm = pvpci_cap_find(snap_read, w, w->cfg_size, false, PCI_CAP_ID_PM);
	w->msi = pvpci_cap_find(snap_read, w, w->cfg_size, false, PCI_CAP_ID_MSI);
	w->msix = pvpci_cap_find(snap_read, w, w->cfg_size, false, PCI_CAP_ID_MSIX);
	w->nfixed = 0;
	w->fixed[w->nfixed++] = 0x3c & ~3u; /* Interrupt Line lives in this dword */
	if (w->msi) {
		uint32_t fl = initial32(w, w->msi) >> 16;
		bool is64 = fl & PCI_MSI_FLAGS_64BIT;

		w->fixed[w->nfixed++] = w->msi + PCI_MSI_ADDR_LO;
		if (is64)
			w->fixed[w->nfixed++] = w->msi + PCI_MSI_ADDR_HI;
		w->fixed[w->nfixed++] = w->msi + (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
		if (fl & PCI_MSI_FLAGS_MASKBIT)
			w->fixed[w->nfixed++] = w->msi + (is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
	}
}

static void check(struct watch *w)
{
	uint32_t gcmd = 0, cmd, expect;

	if (pvpci_pvdev_conf_read(w->d, PCI_REG_COMMAND, 2, &gcmd))
		die("COMMAND read failed", w->name, 4, 0, 0);
	cmd = dev_read(w, PCI_REG_COMMAND, 2);
	expect = (gcmd & PCI_CMD_DECODE) ? w->host_decode : 0;
	if ((cmd & PCI_CMD_DECODE) != expect)
		die("decode bits not the enable path's", w->name, 4, cmd, expect);
	for (unsigned i = 0; i < w->nbar_regs; i++) {
		uint32_t v = dev_read(w, w->bar_regs[i], 4);

		if (v != initial32(w, w->bar_regs[i]))
			die("device BAR changed", w->name, w->bar_regs[i], v,
			    initial32(w, w->bar_regs[i]));
	}
	for (unsigned i = 0; i < w->nfixed; i++) {
		unsigned off = w->fixed[i];
		uint32_t v = dev_read(w, off, 4), want = initial32(w, off);

		if (off == 0x3c)
			v &= 0xff, want &= 0xff;
		if (v != want)
			die("host-owned register changed", w->name, off, v, want);
	}
	if (w->pm && (dev_read(w, w->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_PME_ENABLE))
		die("PME_En set", w->name, w->pm + PCI_PM_CTRL, 0, 0);
	if (w->msi && w->msix && (dev_read(w, w->msi + 2, 2) & PCI_MSI_FLAGS_ENABLE) &&
	    (dev_read(w, w->msix + 2, 2) & PCI_MSIX_FLAGS_ENABLE))
		die("MSI and MSI-X both enabled", w->name, w->msi, 0, 0);
	if (dev_read(w, 0, 4) != initial32(w, 0))
		die("identity changed", w->name, 0, dev_read(w, 0, 4), initial32(w, 0));
}

/* ---- Steps ---- */

static const int sizes[8] = { 4, 4, 2, 1, 4, 2, 1, 3 };

static void guest_access(struct watch *w, const uint8_t *s, bool write)
{
	int size = sizes[s[3] & 7];
	int off = (int)(((unsigned)s[1] | (unsigned)s[2] << 8) % (w->cfg_size + 16));
	uint32_t val = (uint32_t)s[4] | s[5] << 8 | s[6] << 16 | (uint32_t)s[7] << 24;
	bool valid;
	int rc;

	if (s[3] & 0x80)
		off -= 8; /* a few negative and misaligned offsets */
	else if (size != 3)
		off &= ~(size - 1);
	valid = (size == 1 || size == 2 || size == 4) && off >= 0 && off % size == 0 &&
		(unsigned)off + (unsigned)size <= w->cfg_size;
	if (write) {
		rc = pvpci_pvdev_conf_write(w->d, off, size, val);
	} else {
		val = 0x5a5a5a5a;
		rc = pvpci_pvdev_conf_read(w->d, off, size, &val);
		if (rc && val != 0)
			die("failed read not 0", w->name, (unsigned)off, val, 0);
	}
	if (!valid && rc != -EINVAL)
		die("bad access not rejected", w->name, (unsigned)off, (uint32_t)rc, size);
	if (rc && rc != -EINVAL && rc != -EACCES && rc != -EIO)
		die("unexpected error", w->name, (unsigned)off, (uint32_t)rc, 0);
}

static void step(struct watch *w, const uint8_t *s)
{
	unsigned kind = s[0] & 15;

	if (kind < 8) {
		guest_access(w, s, true);
	} else if (kind < 12) {
		guest_access(w, s, false);
	} else if (kind == 12) {
		pvpci_pvdev_set_permissive(w->d, s[1] & 1);
	} else if (kind == 13) {
		pvpci_pvdev_set_allow_interrupt_control(w->d, s[1] & 1);
	} else if (kind == 14 && (s[1] & 7) == 0) {
		if (pvpci_pvdev_detach(w->d))
			die("detach failed", w->name, 0, 0, 0);
		if (pvpci_pvdev_permissive(w->d) || pvpci_pvdev_allow_interrupt_control(w->d))
			die("knobs survived detach", w->name, 0, 0, 0);
	} else {
		uint32_t v;

		for (unsigned off = 0; off < w->cfg_size; off += 4)
			if (pvpci_pvdev_conf_read(w->d, (int)off, 4, &v) && v)
				die("failed sweep read not 0", w->name, off, v, 0);
	}
	check(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pvpci_pv_opts opts = { .log = &quiet };
	struct pvpci_parse_err perr;
	const struct model_dev *m;
	static struct watch w;
	size_t nsteps;

	if (size < 2)
		return 0;
	m = &devices[data[0] % ndevices];
	memset(&w, 0, sizeof(w));
	w.name = m->name;
	if (pvpci_model_open_text(m->text, m->len, m->index, &quiet, &w.src, &perr))
		return 0;
	w.cfg_size = pvpci_source_cfg_size(w.src);
	if (pvpci_source_snapshot(w.src, w.initial, w.cfg_size))
		abort();
	watch_setup(&w);
	opts.permissive = data[1] & 1;
	opts.allow_interrupt_control = data[1] & 2;
	if (pvpci_pvdev_create(w.src, &opts, &w.d)) {
		pvpci_source_close(w.src);
		return 0;
	}
	check(&w);
	nsteps = (size - 2) / STEP_SIZE;
	if (nsteps > MAX_STEPS)
		nsteps = MAX_STEPS;
	for (size_t i = 0; i < nsteps; i++)
		step(&w, data + 2 + i * STEP_SIZE);
	pvpci_pvdev_destroy(w.d);
	pvpci_source_close(w.src);
	return 0;
}
