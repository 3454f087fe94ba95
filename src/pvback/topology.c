/* SPDX-License-Identifier: MIT */
/*
 * A guest's PCI topology (behaviour.md 3.13). vpci mode: one virtual root bus 0000:00 of
 * 32 slots; a device joins the slot whose first device sits in the same physical
 * segment / bus / slot (multi-function devices stay together), else the first empty slot;
 * the physical function number is kept; bridges are refused. passthrough mode: the guest
 * sees host addresses; a root bus is published for every device that no exported bridge
 * covers, de-duplicated. Lookups only resolve the guest's own devices.
 */
#include <errno.h>
#include <string.h>

#include "backend_priv.h"

void pvb_topo_init(struct pvb_topo *t, enum pvpci_backend_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = mode;
}

static bool same_phys_slot(struct pvpci_sbdf a, struct pvpci_sbdf b)
{
	return a.seg == b.seg && a.bus == b.bus && a.dev == b.dev;
}

static struct pvb_topo_ent *find_virt(struct pvb_topo *t, struct pvpci_sbdf v)
{
	uint32_t key = pvpci_sbdf_pack(v);

	for (size_t i = 0; i < t->n; i++)
		if (pvpci_sbdf_pack(t->ent[i].virt) == key)
			return &t->ent[i];
	return NULL;
}

static bool host_present(const struct pvb_topo *t, struct pvpci_sbdf h)
{
	for (size_t i = 0; i < t->n; i++)
		if (pvpci_sbdf_eq(t->ent[i].host, h))
			return true;
	return false;
}

/* vpci placement: the slot of a sibling function, else the first empty slot. */
static int vpci_place(struct pvb_topo *t, struct pvpci_sbdf host, const struct pvpci_sbdf *want,
		      struct pvpci_sbdf *virt)
{
	int slot = -1;

	if (want) {
		if (want->seg || want->bus || want->fn != host.fn || want->dev >= PVB_VPCI_SLOTS)
			return -EINVAL;
		if (t->slot_used[want->dev] && !same_phys_slot(t->slot_first[want->dev], host))
			return -EEXIST;
		slot = want->dev;
	}
	for (unsigned s = 0; slot < 0 && s < PVB_VPCI_SLOTS; s++)
		if (t->slot_used[s] && same_phys_slot(t->slot_first[s], host))
			slot = (int)s;
	for (unsigned s = 0; slot < 0 && s < PVB_VPCI_SLOTS; s++)
		if (!t->slot_used[s])
			slot = (int)s;
	if (slot < 0)
		return -ENOSPC; /* no more space on the root virtual PCI bus */
	*virt = (struct pvpci_sbdf){ 0, 0, (uint8_t)slot, host.fn };
	if (find_virt(t, *virt))
		return -EEXIST;
	if (!t->slot_used[slot]) {
		t->slot_used[slot] = true;
		t->slot_first[slot] = host;
	}
	return 0;
}

int pvb_topo_add(struct pvb_topo *t, struct pvpci_sbdf host, bool bridge, uint8_t sec,
		 uint8_t sub, void *owner, const struct pvpci_sbdf *want,
		 struct pvpci_sbdf *virt)
{
	struct pvb_topo_ent *e;
	int rc;

	if (t->n >= PVB_MAX_DEVS)
		return -ENOSPC;
	if (host_present(t, host))
		return -EEXIST;
	if (t->mode == PVPCI_BACKEND_VPCI) {
		if (bridge)
			return -EINVAL; /* bridges cannot go on the virtual bus */
		rc = vpci_place(t, host, want, virt);
		if (rc)
			return rc;
	} else {
		if (want && !pvpci_sbdf_eq(*want, host))
			return -EINVAL;
		*virt = host;
	}
	e = &t->ent[t->n++];
	*e = (struct pvb_topo_ent){ host, *virt, bridge, sec, sub, owner };
	return 0;
}

static void vpci_slot_release(struct pvb_topo *t, unsigned slot)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ent[i].virt.dev == slot)
			return;
	t->slot_used[slot] = false;
}

int pvb_topo_remove(struct pvb_topo *t, const void *owner)
{
	for (size_t i = 0; i < t->n; i++) {
		struct pvpci_sbdf v = t->ent[i].virt;

		if (t->ent[i].owner != owner)
			continue;
		memmove(&t->ent[i], &t->ent[i + 1], (t->n - i - 1) * sizeof(t->ent[0]));
		t->n--;
		if (t->mode == PVPCI_BACKEND_VPCI)
			vpci_slot_release(t, v.dev);
		return 0;
	}
	return -ENOENT;
}

void *pvb_topo_find(const struct pvb_topo *t, uint32_t seg, uint32_t bus, uint32_t devfn)
{
	uint32_t key;

	if (seg > 0xffff || bus > 0xff || devfn > 0xff)
		return NULL;
	key = seg << 16 | bus << 8 | devfn;
	for (size_t i = 0; i < t->n; i++)
		if (pvpci_sbdf_pack(t->ent[i].virt) == key)
			return t->ent[i].owner;
	return NULL;
}

/* passthrough: is e behind an exported bridge? */
static bool covered(const struct pvb_topo *t, const struct pvb_topo_ent *e)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct pvb_topo_ent *b = &t->ent[i];

		if (b == e || !b->bridge || b->host.seg != e->host.seg)
			continue;
		if (b->sec_bus && e->host.bus >= b->sec_bus && e->host.bus <= b->sub_bus)
			return true;
	}
	return false;
}

size_t pvb_topo_roots(const struct pvb_topo *t, uint32_t *roots, size_t max)
{
	size_t n = 0;

	if (t->mode == PVPCI_BACKEND_VPCI) {
		if (max)
			roots[0] = 0;
		return max ? 1 : 0;
	}
	for (size_t i = 0; i < t->n && n < max; i++) {
		uint32_t r = (uint32_t)t->ent[i].host.seg << 8 | t->ent[i].host.bus;
		bool dup = false;

		if (covered(t, &t->ent[i]))
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = roots[j] == r;
		if (!dup)
			roots[n++] = r;
	}
	return n;
}
