/* SPDX-License-Identifier: MIT */
/*
 * vpci host: the in-memory implementation of the platform ops. A mapping table (what a
 * hypervisor's p2m would hold for the guest's BARs: sorted, merged gfn -> mfn runs, no
 * guest frame mapped twice, unmap only exactly what is mapped), interrupt bindings with
 * PIRQ-like handles, a crash flag, call counters, and a fault injector for the map call.
 * Used by the tests, the benchmark, the CLI and the local platform. Thread-safe.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/vpci.h"

#define HOST_MAX_MAPS 65536
#define HOST_MAX_BINDINGS 65536
#define HOST_MSI_ADDR 0xfee00000ull

struct hbind {
	bool used;
	struct pvpci_vpci_binding b;
};

struct pvpci_vpci_host {
	pthread_mutex_t lock;
	struct pvpci_vpci_map *maps;
	size_t nmaps, mcap;
	struct hbind *binds;
	size_t nbinds;
	int first;
	unsigned fail_after;
	int fail_err;
	char crash[160];
	bool crashed;
	struct pvpci_vpci_host_stats st;
};

int pvpci_vpci_host_create(int first_handle, struct pvpci_vpci_host **out)
{
	struct pvpci_vpci_host *h;

	*out = NULL;
	if (first_handle < 0)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (pthread_mutex_init(&h->lock, NULL)) {
		free(h);
		return -ENOMEM;
	}
	h->first = first_handle;
	*out = h;
	return 0;
}

void pvpci_vpci_host_destroy(struct pvpci_vpci_host *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h->maps);
	free(h->binds);
	free(h);
}

/* ---- Mapping table ---- */

static uint64_t mend(const struct pvpci_vpci_map *m)
{
	return m->gfn + m->nr - 1;
}

static int insert_at(struct pvpci_vpci_host *h, size_t i, struct pvpci_vpci_map m)
{
	if (h->nmaps == h->mcap) {
		size_t cap = h->mcap ? h->mcap * 2 : 16;
		struct pvpci_vpci_map *n;

		if (cap > HOST_MAX_MAPS)
			return -ENOSPC;
		n = realloc(h->maps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		h->maps = n;
		h->mcap = cap;
	}
	memmove(&h->maps[i + 1], &h->maps[i], (h->nmaps - i) * sizeof(*h->maps));
	h->maps[i] = m;
	h->nmaps++;
	return 0;
}

static void remove_at(struct pvpci_vpci_host *h, size_t i)
{
	memmove(&h->maps[i], &h->maps[i + 1], (h->nmaps - i - 1) * sizeof(*h->maps));
	h->nmaps--;
}

/* Joins map i with its right neighbour when both runs continue each other. */
static void join(struct pvpci_vpci_host *h, size_t i)
{
	struct pvpci_vpci_map *a = &h->maps[i], *b = &h->maps[i + 1];

	if (i + 1 >= h->nmaps || a->gfn + a->nr != b->gfn || a->mfn + a->nr != b->mfn)
		return;
	a->nr += b->nr;
	remove_at(h, i + 1);
}

static int host_map(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
	struct pvpci_vpci_host *h = opaque;
	struct pvpci_vpci_map m = { gfn, mfn, nr };
	size_t i;
	int rc = 0;

	if (!nr || gfn + (nr - 1) < gfn || mfn + (nr - 1) < mfn)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	if (h->fail_err && h->fail_after-- == 0) {
		rc = h->fail_err;
		h->fail_err = 0;
		goto out;
	}
	for (i = 0; i < h->nmaps && mend(&h->maps[i]) < gfn; i++)
		;
	if (i < h->nmaps && h->maps[i].gfn <= mend(&m)) {
		rc = -EEXIST; /* a guest frame is mapped once */
		goto out;
	}
	rc = insert_at(h, i, m);
	if (rc)
		goto out;
	h->st.maps++;
	join(h, i);
	if (i > 0)
		join(h, i - 1);
out:
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* True if every frame of [gfn, gfn + nr) is mapped to mfn + the same offset. */
static bool covered(const struct pvpci_vpci_host *h, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
	uint64_t pos = gfn, end = gfn + nr - 1;

	for (size_t i = 0; i < h->nmaps && pos <= end; i++) {
		const struct pvpci_vpci_map *x = &h->maps[i];

		if (mend(x) < pos)
			continue;
		if (x->gfn > pos || x->mfn + (pos - x->gfn) != mfn + (pos - gfn))
			return false;
		if (mend(x) >= end)
			return true;
		pos = mend(x) + 1;
	}
	return false;
}

static int host_unmap(void *opaque, uint64_t gfn, uint64_t mfn, uint64_t nr)
{
	struct pvpci_vpci_host *h = opaque;
	uint64_t end = gfn + nr - 1;
	int rc = 0;

	if (!nr || end < gfn)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	if (!covered(h, gfn, mfn, nr)) {
		rc = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < h->nmaps;) {
		struct pvpci_vpci_map x = h->maps[i];

		if (mend(&x) < gfn || x.gfn > end) {
			i++;
			continue;
		}
		remove_at(h, i);
		if (x.gfn < gfn) {
			rc = insert_at(h, i++, (struct pvpci_vpci_map){ x.gfn, x.mfn, gfn - x.gfn });
			if (rc)
				goto out;
		}
		if (mend(&x) > end) {
			rc = insert_at(h, i++, (struct pvpci_vpci_map){
				end + 1, x.mfn + (end + 1 - x.gfn), mend(&x) - end });
			if (rc)
				goto out;
		}
	}
	h->st.unmaps++;
out:
	pthread_mutex_unlock(&h->lock);
	return rc;
}

size_t pvpci_vpci_host_maps(struct pvpci_vpci_host *h, struct pvpci_vpci_map *out,
			    size_t max)
{
	size_t n;

	pthread_mutex_lock(&h->lock);
	n = h->nmaps;
	if (out && n && max)
		memcpy(out, h->maps, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(&h->lock);
	return n;
}

void pvpci_vpci_host_print_maps(struct pvpci_vpci_host *h, FILE *f)
{
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nmaps; i++) {
		const struct pvpci_vpci_map *m = &h->maps[i];

		fprintf(f, "0x%" PRIx64 "-0x%" PRIx64 " -> 0x%" PRIx64 "-0x%" PRIx64 "\n",
			m->gfn, mend(m), m->mfn, m->mfn + m->nr - 1);
	}
	pthread_mutex_unlock(&h->lock);
}

void pvpci_vpci_host_fail_map(struct pvpci_vpci_host *h, unsigned after, int err)
{
	pthread_mutex_lock(&h->lock);
	h->fail_after = after;
	h->fail_err = err > 0 ? -err : err;
	pthread_mutex_unlock(&h->lock);
}

/* ---- Interrupt bindings ---- */

/* First index of nvec free consecutive binding slots, growing the array if needed. */
static int find_run(struct pvpci_vpci_host *h, unsigned nvec, size_t *at)
{
	size_t run = 0, i, need;
	struct hbind *n;

	for (i = 0; i < h->nbinds; i++) {
		run = h->binds[i].used ? 0 : run + 1;
		if (run == nvec) {
			*at = i + 1 - nvec;
			return 0;
		}
	}
	need = h->nbinds + (nvec - run);
	if (need > HOST_MAX_BINDINGS)
		return -ENOSPC;
	n = realloc(h->binds, need * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(&n[h->nbinds], 0, (need - h->nbinds) * sizeof(*n));
	h->binds = n;
	h->nbinds = need;
	*at = need - nvec;
	return 0;
}

static int host_bind(void *opaque, const struct pvpci_vpci_irq *irq,
		     struct pvpci_vpci_irq_host *out)
{
	struct pvpci_vpci_host *h = opaque;
	size_t at;
	int rc, handle;

	if (!irq->nvec || irq->nvec > 32 || (irq->nvec & (irq->nvec - 1)))
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	rc = find_run(h, irq->nvec, &at);
	if (rc) {
		pthread_mutex_unlock(&h->lock);
		return rc;
	}
	handle = h->first + (int)at;
	for (unsigned i = 0; i < irq->nvec; i++) {
		struct pvpci_vpci_binding *b = &h->binds[at + i].b;

		h->binds[at + i].used = true;
		memset(b, 0, sizeof(*b));
		b->handle = handle + (int)i;
		b->irq = *irq;
		b->irq.index = irq->index + i;
		b->irq.nvec = 1;
		b->irq.data = (irq->data & ~(irq->nvec - 1)) | i;
		b->host.addr = HOST_MSI_ADDR;
		b->host.data = (uint32_t)b->handle;
	}
	out->addr = HOST_MSI_ADDR;
	out->data = (uint32_t)handle;
	h->st.binds++;
	pthread_mutex_unlock(&h->lock);
	return handle;
}

static struct hbind *slot(struct pvpci_vpci_host *h, int handle)
{
	size_t i;

	if (handle < h->first)
		return NULL;
	i = (size_t)(handle - h->first);
	return i < h->nbinds && h->binds[i].used ? &h->binds[i] : NULL;
}

static int host_unbind(void *opaque, int handle, unsigned nvec)
{
	struct pvpci_vpci_host *h = opaque;
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < nvec; i++)
		if (!slot(h, handle + (int)i))
			rc = -ENOENT;
	for (unsigned i = 0; !rc && i < nvec; i++)
		slot(h, handle + (int)i)->used = false;
	if (!rc)
		h->st.unbinds++;
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static int host_mask(void *opaque, int handle, bool masked)
{
	struct pvpci_vpci_host *h = opaque;
	struct hbind *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&h->lock);
	s = slot(h, handle);
	if (s) {
		s->b.masked = masked;
		h->st.masks++;
		rc = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static void host_fire(void *opaque, int handle)
{
	struct pvpci_vpci_host *h = opaque;
	struct hbind *s;

	pthread_mutex_lock(&h->lock);
	s = slot(h, handle);
	if (s) {
		s->b.fired++;
		h->st.fires++;
	}
	pthread_mutex_unlock(&h->lock);
}

static void host_crash(void *opaque, const char *why)
{
	struct pvpci_vpci_host *h = opaque;

	pthread_mutex_lock(&h->lock);
	h->crashed = true;
	snprintf(h->crash, sizeof(h->crash), "%s", why ? why : "");
	pthread_mutex_unlock(&h->lock);
}

int pvpci_vpci_host_binding(struct pvpci_vpci_host *h, int handle,
			    struct pvpci_vpci_binding *out)
{
	struct hbind *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&h->lock);
	s = slot(h, handle);
	if (s) {
		*out = s->b;
		rc = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

size_t pvpci_vpci_host_bindings(struct pvpci_vpci_host *h, struct pvpci_vpci_binding *out,
				size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nbinds; i++) {
		if (!h->binds[i].used)
			continue;
		if (out && n < max)
			out[n] = h->binds[i].b;
		n++;
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

void pvpci_vpci_host_print_bindings(struct pvpci_vpci_host *h, FILE *f)
{
	char g[PVPCI_SBDF_STRLEN];

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nbinds; i++) {
		const struct pvpci_vpci_binding *b = &h->binds[i].b;

		if (!h->binds[i].used)
			continue;
		fprintf(f, "irq %d: %s %s %u addr 0x%" PRIx64 " data 0x%x%s fired %" PRIu64 "\n",
			b->handle, pvpci_sbdf_str(b->irq.guest, g),
			b->irq.kind == PVPCI_IRQ_MSI ? "msi" : "msix", b->irq.index, b->irq.addr,
			b->irq.data, b->masked ? " masked" : "", b->fired);
	}
	pthread_mutex_unlock(&h->lock);
}

const char *pvpci_vpci_host_crash_reason(struct pvpci_vpci_host *h)
{
	const char *r;

	pthread_mutex_lock(&h->lock);
	r = h->crashed ? h->crash : NULL;
	pthread_mutex_unlock(&h->lock);
	return r;
}

void pvpci_vpci_host_stats(struct pvpci_vpci_host *h, struct pvpci_vpci_host_stats *out)
{
	pthread_mutex_lock(&h->lock);
	*out = h->st;
	pthread_mutex_unlock(&h->lock);
}

static const struct pvpci_vpci_ops host_ops = {
	.map = host_map,
	.unmap = host_unmap,
	.irq_bind = host_bind,
	.irq_unbind = host_unbind,
	.irq_mask = host_mask,
	.irq_fire = host_fire,
	.crash = host_crash,
};

const struct pvpci_vpci_ops *pvpci_vpci_host_ops(void)
{
	return &host_ops;
}
