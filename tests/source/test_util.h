/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the source module's tests: open a bundled model from PVPCI_TEST_DATA,
 * config reads and writes that must succeed, and an interrupt recorder.
 */
#ifndef PVPCI_TEST_SOURCE_UTIL_H
#define PVPCI_TEST_SOURCE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvpci/source.h"

static inline const char *data_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("PVPCI_TEST_DATA");

	snprintf(buf, len, "%s/%s", dir ? dir : "tests/data", name);
	return buf;
}

/* A log that drops everything below errors, so tests stay quiet. */
static const struct pvpci_log quiet_log = { NULL, NULL, PVPCI_LOG_ERR, "" };

static inline struct pvpci_source *open_model(const char *name, size_t index)
{
	struct pvpci_source *s = NULL;
	struct pvpci_parse_err err = { 0 };
	char path[512];
	int rc = pvpci_model_open(data_path(name, path, sizeof(path)), index, &quiet_log, &s,
				  &err);

	if (rc != 0)
		fail_msg("%s: %d %s", path, rc, err.msg);
	return s;
}

static inline struct pvpci_source *open_text(const char *text)
{
	struct pvpci_source *s = NULL;
	struct pvpci_parse_err err = { 0 };
	int rc = pvpci_model_open_text(text, strlen(text), 0, &quiet_log, &s, &err);

	if (rc != 0)
		fail_msg("model text: %d %s", rc, err.msg);
	return s;
}

static inline uint32_t rd(struct pvpci_source *s, unsigned off, unsigned size)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(pvpci_source_cfg_read(s, off, size, &v), 0);
	return v;
}

static inline void wr(struct pvpci_source *s, unsigned off, unsigned size, uint32_t v)
{
	assert_int_equal(pvpci_source_cfg_write(s, off, size, v), 0);
}

static inline uint64_t bar_rd(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(pvpci_source_bar_read(s, idx, off, size, &v), 0);
	return v;
}

static inline void bar_wr(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			  uint64_t v)
{
	assert_int_equal(pvpci_source_bar_write(s, idx, off, size, v), 0);
}

/* Records delivered interrupts. */
struct irq_log {
	unsigned n;
	enum pvpci_irq_kind kind[16];
	unsigned vec[16];
};

static inline void irq_record(void *opaque, enum pvpci_irq_kind kind, unsigned vector)
{
	struct irq_log *l = opaque;

	if (l->n < 16) {
		l->kind[l->n] = kind;
		l->vec[l->n] = vector;
	}
	l->n++;
}

/* Position of a capability, through the pci module's walk over the source. */
static inline int src_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	return pvpci_source_cfg_read(opaque, off, size, val);
}

static inline unsigned cap_pos(struct pvpci_source *s, bool ext, unsigned id)
{
	return pvpci_cap_find(src_read, s, pvpci_source_cfg_size(s), ext, id);
}

#endif
