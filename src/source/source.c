/* SPDX-License-Identifier: MIT */
/*
 * The generic source layer: every call any module makes on a device goes through here.
 * Accesses are checked (size 1, 2 or 4 for config space, 1 to 8 for BARs, natural
 * alignment, inside the space) before the source's ops see them, config accesses that
 * reach the device are counted, and "enable device" is done the host's way from the
 * resources the device has when a source has no enable op of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "source_priv.h"

void pvpci_source_init(struct pvpci_source *s, const struct pvpci_source_ops *ops,
		       struct pvpci_sbdf sbdf, const char *title, unsigned cfg_size,
		       const struct pvpci_log *log)
{
	s->ops = ops;
	s->sbdf = sbdf;
	pvpci_sbdf_str(sbdf, s->name);
	snprintf(s->title, sizeof(s->title), "%s", title ? title : "");
	s->cfg_size = cfg_size;
	pvpci_log_init(&s->log, log, "%s", s->name);
	memset(&s->stats, 0, sizeof(s->stats));
	s->irq_fn = NULL;
	s->irq_opaque = NULL;
}

void pvpci_source_deliver_irq(struct pvpci_source *s, enum pvpci_irq_kind kind,
			      unsigned vector)
{
	if (s->irq_fn)
		s->irq_fn(s->irq_opaque, kind, vector);
}

static bool cfg_access_ok(const struct pvpci_source *s, unsigned off, unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	if (off % size)
		return false;
	return off < s->cfg_size && size <= s->cfg_size - off;
}

int pvpci_source_cfg_read(struct pvpci_source *s, unsigned off, unsigned size, uint32_t *val)
{
	if (!s || !val || !cfg_access_ok(s, off, size))
		return -EINVAL;
	s->stats.cfg_reads++;
	return s->ops->cfg_read(s, off, size, val);
}

int pvpci_source_cfg_write(struct pvpci_source *s, unsigned off, unsigned size, uint32_t val)
{
	if (!s || !cfg_access_ok(s, off, size))
		return -EINVAL;
	if (size < 4)
		val &= (1u << (8 * size)) - 1; /* bits beyond the access are not sent */
	s->stats.cfg_writes++;
	return s->ops->cfg_write(s, off, size, val);
}

int pvpci_source_bar_info(struct pvpci_source *s, unsigned idx, struct pvpci_bar_info *out)
{
	if (!s || !out || idx > PCI_ROM_SLOT)
		return -EINVAL;
	if (!s->ops->bar_info) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return s->ops->bar_info(s, idx, out);
}

/* A BAR access must be 1, 2, 4 or 8 bytes, aligned, inside a BAR that decodes. */
static int bar_access_check(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size)
{
	struct pvpci_bar_info bi;
	int rc;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (off % size)
		return -EINVAL;
	rc = pvpci_source_bar_info(s, idx, &bi);
	if (rc < 0)
		return rc;
	if (bi.type == PVPCI_BAR_EMPTY || bi.type == PVPCI_BAR_MEM64_HI)
		return -EINVAL;
	if (off >= bi.size || size > bi.size - off)
		return -EINVAL;
	return 0;
}

int pvpci_source_bar_read(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			  uint64_t *val)
{
	int rc;

	if (!s || !val)
		return -EINVAL;
	rc = bar_access_check(s, idx, off, size);
	if (rc < 0)
		return rc;
	if (!s->ops->bar_read)
		return -EOPNOTSUPP;
	return s->ops->bar_read(s, idx, off, size, val);
}

int pvpci_source_bar_write(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			   uint64_t val)
{
	int rc;

	if (!s)
		return -EINVAL;
	rc = bar_access_check(s, idx, off, size);
	if (rc < 0)
		return rc;
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	if (!s->ops->bar_write)
		return -EOPNOTSUPP;
	return s->ops->bar_write(s, idx, off, size, val);
}

int pvpci_source_reset(struct pvpci_source *s, enum pvpci_reset_kind kind)
{
	if (!s)
		return -EINVAL;
	if (kind != PVPCI_RESET_FUNCTION && kind != PVPCI_RESET_FLR && kind != PVPCI_RESET_PM)
		return -EINVAL;
	if (!s->ops->reset)
		return -ENOTTY;
	return s->ops->reset(s, kind);
}

/* The decode bits the device's resources call for: MEMORY for a memory BAR or a ROM,
 * IO for an I/O BAR. */
static int decode_bits(struct pvpci_source *s, uint16_t *bits)
{
	struct pvpci_bar_info bi;
	int rc;

	*bits = 0;
	for (unsigned i = 0; i <= PCI_ROM_SLOT; i++) {
		rc = pvpci_source_bar_info(s, i, &bi);
		if (rc < 0)
			return rc;
		if (bi.size == 0)
			continue;
		if (bi.type == PVPCI_BAR_IO)
			*bits |= PCI_CMD_IO;
		else if (bi.type != PVPCI_BAR_EMPTY)
			*bits |= PCI_CMD_MEMORY;
	}
	return 0;
}

int pvpci_source_enable(struct pvpci_source *s, bool on)
{
	uint32_t cmd;
	uint16_t bits;
	int rc;

	if (!s)
		return -EINVAL;
	if (s->ops->enable)
		return s->ops->enable(s, on);
	rc = decode_bits(s, &bits);
	if (rc < 0)
		return rc;
	rc = pvpci_source_cfg_read(s, PCI_REG_COMMAND, 2, &cmd);
	if (rc < 0)
		return rc;
	if (on)
		cmd |= bits;
	else
		cmd &= ~(uint32_t)PCI_CMD_DECODE;
	return pvpci_source_cfg_write(s, PCI_REG_COMMAND, 2, cmd & 0xffff);
}

void pvpci_source_close(struct pvpci_source *s)
{
	if (s && s->ops->close)
		s->ops->close(s);
}

unsigned pvpci_source_cfg_size(const struct pvpci_source *s)
{
	return s->cfg_size;
}

struct pvpci_sbdf pvpci_source_sbdf(const struct pvpci_source *s)
{
	return s->sbdf;
}

const char *pvpci_source_name(const struct pvpci_source *s)
{
	return s->name;
}

const char *pvpci_source_kind(const struct pvpci_source *s)
{
	return s->ops->name;
}

const char *pvpci_source_title(const struct pvpci_source *s)
{
	return s->title;
}

const struct pvpci_log *pvpci_source_log(const struct pvpci_source *s)
{
	return &s->log;
}

void pvpci_source_stats(const struct pvpci_source *s, struct pvpci_source_stats *out)
{
	*out = s->stats;
}

void pvpci_source_stats_reset(struct pvpci_source *s)
{
	memset(&s->stats, 0, sizeof(s->stats));
}

void pvpci_source_set_irq_handler(struct pvpci_source *s, pvpci_irq_fn fn, void *opaque)
{
	s->irq_fn = fn;
	s->irq_opaque = opaque;
}

int pvpci_source_snapshot(struct pvpci_source *s, uint8_t *buf, unsigned len)
{
	uint32_t v;
	int rc;

	if (!s || !buf || len < s->cfg_size)
		return -EINVAL;
	for (unsigned off = 0; off < s->cfg_size; off += 4) {
		rc = pvpci_source_cfg_read(s, off, 4, &v);
		if (rc < 0)
			return rc;
		model_put(buf, off, 4, v);
	}
	return 0;
}
