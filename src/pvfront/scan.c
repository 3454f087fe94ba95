/* SPDX-License-Identifier: MIT */
/*
 * Bus enumeration of the frontend (protocol.md 2.3 step 6): read root_num and root-N
 * ("%x:%x", bounded, de-duplicated; no root_num -> 0000:00), probe all 256 devfns of each
 * root (functions other than 0 may exist alone), and report the differences with the
 * previous list through the hot-plug callback. A timeout aborts the scan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvfront_priv.h"

static int parse_root(const char *s, uint32_t *root)
{
	unsigned seg, bus;
	int end = 0;

	if (sscanf(s, "%4x:%2x%n", &seg, &bus, &end) != 2 || s[end])
		return -EINVAL;
	*root = seg << 8 | bus;
	return 0;
}

static size_t read_roots(struct pvpci_pvfront *f, uint32_t *roots)
{
	uint64_t num;
	size_t n = 0;

	if (pvf_be_uint(f, "root_num", PVF_MAX_ROOTS, &num)) {
		roots[0] = 0; /* no roots published: the legacy bus 0000:00 */
		return 1;
	}
	for (unsigned i = 0; i < num; i++) {
		char node[24], v[16];
		uint32_t r;
		bool dup = false;

		snprintf(node, sizeof(node), "root-%u", i);
		if (pvf_be_read(f, node, v, sizeof(v)) || parse_root(v, &r)) {
			pvpci_logf_rl(&f->log, &f->rl, PVPCI_LOG_WARNING, "bad %s ignored", node);
			continue;
		}
		for (size_t j = 0; j < n && !dup; j++)
			dup = roots[j] == r;
		if (!dup)
			roots[n++] = r;
	}
	return n;
}

static bool id_absent(uint32_t id)
{
	return id == 0xffffffffu || id == 0 || id == 0xffff0000u || id == 0x0000ffffu;
}

/* Probe one function; 1 present (filled), 0 absent, -ETIMEDOUT / -ENOTCONN. */
static int probe(struct pvpci_pvfront *f, struct pvpci_sbdf a, struct pvpci_pvfront_dev *d)
{
	uint32_t id, cls, hdr;
	int rc = pvf_conf_read(f, a, 0, 4, &id);

	if (rc == -ETIMEDOUT || rc == -ENOTCONN)
		return rc;
	if (rc || id_absent(id))
		return 0;
	rc = pvf_conf_read(f, a, PCI_REG_REVISION, 4, &cls);
	if (!rc)
		rc = pvf_conf_read(f, a, PCI_REG_HEADER_TYPE, 1, &hdr);
	if (rc == -ETIMEDOUT || rc == -ENOTCONN)
		return rc;
	if (rc)
		return 0;
	*d = (struct pvpci_pvfront_dev){ a, (uint16_t)id, (uint16_t)(id >> 16), cls >> 8,
					 (uint8_t)(hdr & PCI_HEADER_TYPE_MASK) };
	return 1;
}

static int scan_root(struct pvpci_pvfront *f, uint32_t root, struct pvpci_pvfront_dev *out,
		     size_t *n)
{
	for (unsigned devfn = 0; devfn < 256 && *n < PVF_MAX_DEVS; devfn++) {
		struct pvpci_sbdf a = { (uint16_t)(root >> 8), (uint8_t)root,
					(uint8_t)(devfn >> 3), (uint8_t)(devfn & 7) };
		int rc = probe(f, a, &out[*n]);

		if (rc < 0)
			return rc;
		*n += (size_t)rc;
	}
	return 0;
}

const struct pvpci_pvfront_dev *pvf_dev_find(struct pvpci_pvfront *f, struct pvpci_sbdf a)
{
	for (size_t i = 0; i < f->ndevs; i++)
		if (pvpci_sbdf_eq(f->devs[i].addr, a))
			return &f->devs[i];
	return NULL;
}

static bool same_dev(const struct pvpci_pvfront_dev *a, const struct pvpci_pvfront_dev *b)
{
	return pvpci_sbdf_eq(a->addr, b->addr) && a->vendor == b->vendor &&
	       a->device == b->device && a->class_code == b->class_code;
}

static bool in_list(const struct pvpci_pvfront_dev *d, const struct pvpci_pvfront_dev *l,
		    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_dev(d, &l[i]))
			return true;
	return false;
}

static void notify(struct pvpci_pvfront *f, enum pvpci_pvfront_event ev,
		   const struct pvpci_pvfront_dev *d)
{
	if (f->opts.hotplug)
		f->opts.hotplug(f->opts.opaque, ev, d);
}

static int cmp_dev(const void *a, const void *b)
{
	uint32_t x = pvpci_sbdf_pack(((const struct pvpci_pvfront_dev *)a)->addr);
	uint32_t y = pvpci_sbdf_pack(((const struct pvpci_pvfront_dev *)b)->addr);

	return x < y ? -1 : x > y;
}

int pvf_rescan(struct pvpci_pvfront *f)
{
	uint32_t roots[PVF_MAX_ROOTS];
	size_t nroots = read_roots(f, roots), n = 0;
	struct pvpci_pvfront_dev *list = calloc(PVF_MAX_DEVS, sizeof(*list)), *old;
	size_t nold;
	int rc = 0;

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < nroots && !rc; i++)
		rc = scan_root(f, roots[i], list, &n);
	if (rc) {
		free(list);
		return rc;
	}
	qsort(list, n, sizeof(*list), cmp_dev);
	old = f->devs;
	nold = f->ndevs;
	f->devs = list;
	f->ndevs = n;
	for (size_t i = 0; i < nold; i++)
		if (!in_list(&old[i], list, n)) {
			pvf_irqs_drop(f, old[i].addr, 0);
			notify(f, PVPCI_PVFRONT_REMOVED, &old[i]);
		}
	for (size_t i = 0; i < n; i++)
		if (!in_list(&list[i], old, nold))
			notify(f, PVPCI_PVFRONT_ADDED, &list[i]);
	free(old);
	f->st.rescans++;
	return 0;
}

void pvf_dev_remove(struct pvpci_pvfront *f, struct pvpci_sbdf addr)
{
	for (size_t i = 0; i < f->ndevs; i++) {
		struct pvpci_pvfront_dev d = f->devs[i];

		if (!pvpci_sbdf_eq(d.addr, addr))
			continue;
		memmove(&f->devs[i], &f->devs[i + 1], (f->ndevs - i - 1) * sizeof(d));
		f->ndevs--;
		pvf_irqs_drop(f, addr, 0);
		notify(f, PVPCI_PVFRONT_REMOVED, &d);
		return;
	}
}

void pvf_dev_remove_all(struct pvpci_pvfront *f)
{
	while (f->ndevs)
		pvf_dev_remove(f, f->devs[f->ndevs - 1].addr);
}

int pvpci_pvfront_devices(struct pvpci_pvfront *f, struct pvpci_pvfront_dev *out, size_t max,
			  size_t *n)
{
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->ndevs && i < max; i++)
		out[i] = f->devs[i];
	*n = f->ndevs;
	pthread_mutex_unlock(&f->lock);
	return 0;
}
