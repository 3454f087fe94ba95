/* SPDX-License-Identifier: MIT */
/*
 * The bounded capability walk over any config-space reader. The standard list starts at
 * the Capabilities Pointer (only when Status.CAP_LIST is set) and the extended list at
 * 0x100; both stop at a null pointer, at a pointer that leaves the space or points back
 * into the header, and after PCI_CAP_WALK_MAX hops. Revisiting a position is a loop and
 * returns -ELOOP, so a hostile or broken device can never make a walk spin.
 */
#include <errno.h>
#include <string.h>

#include "pvpci/pci.h"

#define CAP_STD_FIRST 0x40u
#define CAP_STD_END 0x100u

/* One bit per dword of the space, to notice a chain that comes back. */
struct cap_seen {
	uint64_t bits[PCIE_CFG_SIZE / 4 / 64];
};

static bool cap_seen_test_set(struct cap_seen *seen, unsigned pos)
{
	unsigned dw = pos / 4;
	uint64_t bit = 1ull << (dw % 64);
	bool was = seen->bits[dw / 64] & bit;

	seen->bits[dw / 64] |= bit;
	return was;
}

static int walk_std(pvpci_cfg_read_fn rd, void *opaque, unsigned cfg_size,
		    pvpci_cap_visit_fn visit, void *arg)
{
	unsigned limit = cfg_size < CAP_STD_END ? cfg_size : CAP_STD_END;
	struct cap_seen seen;
	uint32_t v;
	int rc;

	memset(&seen, 0, sizeof(seen));
	rc = rd(opaque, PCI_REG_STATUS, 2, &v);
	if (rc)
		return rc;
	if (!(v & PCI_STATUS_CAP_LIST))
		return 0;
	rc = rd(opaque, PCI_REG_CAP_PTR, 1, &v);
	for (unsigned hops = 0; !rc; hops++) {
		unsigned ptr = v & 0xff, pos = ptr & ~3u, id;

		if (ptr == 0 || ptr == 0xff || pos < CAP_STD_FIRST || pos + 2 > limit)
			return 0;
		if (hops >= PCI_CAP_WALK_MAX || cap_seen_test_set(&seen, pos))
			return -ELOOP;
		rc = rd(opaque, pos, 1, &v);
		if (rc)
			return rc;
		id = v & 0xff;
		rc = visit(arg, pos, id);
		if (rc)
			return rc;
		rc = rd(opaque, pos + PCI_CAP_NEXT, 1, &v);
	}
	return rc;
}

static int walk_ext(pvpci_cfg_read_fn rd, void *opaque, unsigned cfg_size,
		    pvpci_cap_visit_fn visit, void *arg)
{
	struct cap_seen seen;
	unsigned pos = PCI_EXT_CAP_START;
	uint32_t h;
	int rc;

	if (cfg_size != PCIE_CFG_SIZE)
		return -EINVAL;
	memset(&seen, 0, sizeof(seen));
	for (unsigned hops = 0;; hops++) {
		if (cap_seen_test_set(&seen, pos))
			return -ELOOP;
		rc = rd(opaque, pos, 4, &h);
		if (rc)
			return rc;
		if (h == 0 || h == 0xffffffffu)
			return 0;
		if (hops >= PCI_CAP_WALK_MAX)
			return -ELOOP;
		rc = visit(arg, pos, PCI_EXT_CAP_ID(h));
		if (rc)
			return rc;
		pos = PCI_EXT_CAP_NEXT(h);
		if (pos < PCI_EXT_CAP_START || pos + 4 > cfg_size)
			return 0;
	}
}

int pvpci_cap_walk(pvpci_cfg_read_fn rd, void *opaque, unsigned cfg_size, bool ext,
		   pvpci_cap_visit_fn visit, void *arg)
{
	if (!rd || !visit)
		return -EINVAL;
	if (ext)
		return walk_ext(rd, opaque, cfg_size, visit, arg);
	return walk_std(rd, opaque, cfg_size, visit, arg);
}

struct cap_find_arg {
	unsigned id;
	unsigned pos;
};

static int cap_find_visit(void *arg, unsigned pos, unsigned id)
{
	struct cap_find_arg *fa = arg;

	if (id != fa->id)
		return 0;
	fa->pos = pos;
	return 1;
}

unsigned pvpci_cap_find(pvpci_cfg_read_fn rd, void *opaque, unsigned cfg_size, bool ext,
			unsigned id)
{
	struct cap_find_arg fa = { id, 0 };

	if (pvpci_cap_walk(rd, opaque, cfg_size, ext, cap_find_visit, &fa) != 1)
		return 0;
	return fa.pos;
}
