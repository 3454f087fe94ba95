/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the bounded capability walk on synthetic config spaces: a normal chain,
 * the ends (0, 0xff, a pointer into the header, beyond the space), masking of misaligned
 * pointers, loops, the 48-hop bound, the extended list, read errors and cap_find.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pvpci/pci.h"

struct space {
	uint8_t b[PCIE_CFG_SIZE];
	unsigned size;
	unsigned fail_at; /* a read covering this offset fails with -EIO (0 = never) */
};

static int space_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	struct space *sp = opaque;

	if (off + size > sp->size)
		return -ERANGE;
	if (sp->fail_at && off <= sp->fail_at && sp->fail_at < off + size)
		return -EIO;
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint32_t)sp->b[off + i] << (8 * i);
	return 0;
}

struct visits {
	unsigned n;
	unsigned pos[64];
	unsigned id[64];
	unsigned stop_after; /* visit returns 7 on this visit number (1-based), 0 = never */
};

static int record(void *arg, unsigned pos, unsigned id)
{
	struct visits *v = arg;

	if (v->n < 64) {
		v->pos[v->n] = pos;
		v->id[v->n] = id;
	}
	v->n++;
	return v->stop_after && v->n == v->stop_after ? 7 : 0;
}

static void space_init(struct space *sp, unsigned size, unsigned first)
{
	memset(sp, 0, sizeof(*sp));
	sp->size = size;
	sp->b[PCI_REG_STATUS] = PCI_STATUS_CAP_LIST;
	sp->b[PCI_REG_CAP_PTR] = (uint8_t)first;
}

static void cap(struct space *sp, unsigned pos, unsigned id, unsigned next)
{
	sp->b[pos] = (uint8_t)id;
	sp->b[pos + 1] = (uint8_t)next;
}

static void ext_cap(struct space *sp, unsigned pos, unsigned id, unsigned next)
{
	uint32_t h = (id & 0xffff) | (1u << 16) | ((uint32_t)next << 20);

	memcpy(sp->b + pos, &h, 4); /* tests run on little-endian hosts, like PCI */
}

static void test_cap_walk_normal_chain(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x50);
	cap(&sp, 0x50, PCI_CAP_ID_MSI, 0x70);
	cap(&sp, 0x70, PCI_CAP_ID_EXP, 0x00);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.pos[0], 0x40);
	assert_int_equal(v.id[0], PCI_CAP_ID_PM);
	assert_int_equal(v.pos[1], 0x50);
	assert_int_equal(v.id[1], PCI_CAP_ID_MSI);
	assert_int_equal(v.pos[2], 0x70);
	assert_int_equal(v.id[2], PCI_CAP_ID_EXP);
}

static void test_cap_walk_needs_status_cap_list(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0);
	sp.b[PCI_REG_STATUS] = 0;
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 0);
}

static void test_cap_walk_ff_ends(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0xff);
	cap(&sp, 0xfc, PCI_CAP_ID_MSI, 0); /* where 0xff & ~3 would lead */
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 1);
	sp.b[PCI_REG_CAP_PTR] = 0xff;
	v.n = 0;
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 0);
}

static void test_cap_walk_pointer_into_header_ends(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x3c);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 1);
	sp.b[PCI_REG_CAP_PTR] = 0x10;
	v.n = 0;
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 0);
}

static void test_cap_walk_pointer_beyond_space_ends(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	/* A 64-byte dump (lspci -x): any capability lies beyond it. */
	space_init(&sp, 64, 0x40);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 0);
}

static void test_cap_walk_misaligned_pointer_masked(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x43);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x52);
	cap(&sp, 0x50, PCI_CAP_ID_MSIX, 0);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.pos[0], 0x40);
	assert_int_equal(v.pos[1], 0x50);
	assert_int_equal(v.id[1], PCI_CAP_ID_MSIX);
}

static void test_cap_walk_loop(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x50);
	cap(&sp, 0x50, PCI_CAP_ID_MSI, 0x40);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), -ELOOP);
	assert_int_equal(v.n, 2);
}

static void test_cap_walk_self_loop_via_mask(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x41); /* & ~3 points back at itself */
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), -ELOOP);
	assert_int_equal(v.n, 1);
}

static void test_cap_walk_longest_chain_is_48(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	/* Every dword from 0x40 to 0xfc holds a capability: 48 of them, then the end. */
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	for (unsigned pos = 0x40; pos < 0x100; pos += 4)
		cap(&sp, pos, PCI_CAP_ID_VNDR, pos == 0xfc ? 0 : pos + 4);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 0);
	assert_int_equal(v.n, PCI_CAP_WALK_MAX);
	/* The same chain closed into a ring stops with -ELOOP after the 48 visits. */
	cap(&sp, 0xfc, PCI_CAP_ID_VNDR, 0x40);
	v.n = 0;
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), -ELOOP);
	assert_int_equal(v.n, PCI_CAP_WALK_MAX);
}

static void test_cap_walk_visit_stops(void **state)
{
	struct space sp;
	struct visits v = { .stop_after = 2 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x50);
	cap(&sp, 0x50, PCI_CAP_ID_MSI, 0x60);
	cap(&sp, 0x60, PCI_CAP_ID_EXP, 0);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), 7);
	assert_int_equal(v.n, 2);
}

static void test_cap_walk_read_error(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x50);
	cap(&sp, 0x50, PCI_CAP_ID_MSI, 0);
	sp.fail_at = 0x51;
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, false, record, &v), -EIO);
	assert_int_equal(v.n, 2);
}

static void test_cap_find(void **state)
{
	struct space sp;

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0x40);
	cap(&sp, 0x40, PCI_CAP_ID_PM, 0x50);
	cap(&sp, 0x50, PCI_CAP_ID_MSI, 0x60);
	cap(&sp, 0x60, PCI_CAP_ID_MSI, 0);
	assert_int_equal(pvpci_cap_find(space_read, &sp, sp.size, false, PCI_CAP_ID_MSI), 0x50);
	assert_int_equal(pvpci_cap_find(space_read, &sp, sp.size, false, PCI_CAP_ID_MSIX), 0);
	cap(&sp, 0x60, PCI_CAP_ID_MSIX, 0x40); /* a loop hides what was not found */
	assert_int_equal(pvpci_cap_find(space_read, &sp, sp.size, false, PCI_CAP_ID_EXP), 0);
}

static void test_ext_walk_chain(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCIE_CFG_SIZE, 0);
	ext_cap(&sp, 0x100, PCI_EXT_CAP_ID_ERR, 0x148);
	ext_cap(&sp, 0x148, PCI_EXT_CAP_ID_SRIOV, 0x20b); /* low bits masked: 0x208 */
	ext_cap(&sp, 0x208, PCI_EXT_CAP_ID_REBAR, 0);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), 0);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.pos[0], 0x100);
	assert_int_equal(v.id[0], PCI_EXT_CAP_ID_ERR);
	assert_int_equal(v.pos[1], 0x148);
	assert_int_equal(v.id[1], PCI_EXT_CAP_ID_SRIOV);
	assert_int_equal(v.pos[2], 0x208);
	assert_int_equal(v.id[2], PCI_EXT_CAP_ID_REBAR);
	assert_int_equal(pvpci_cap_find(space_read, &sp, sp.size, true, PCI_EXT_CAP_ID_REBAR),
			 0x208);
}

static void test_ext_walk_empty_header_ends(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCIE_CFG_SIZE, 0);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), 0);
	assert_int_equal(v.n, 0);
	memset(sp.b + 0x100, 0xff, 4);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), 0);
	assert_int_equal(v.n, 0);
}

static void test_ext_walk_pointer_below_0x100_ends(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCIE_CFG_SIZE, 0);
	ext_cap(&sp, 0x100, PCI_EXT_CAP_ID_ERR, 0x40);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), 0);
	assert_int_equal(v.n, 1);
}

static void test_ext_walk_loop(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCIE_CFG_SIZE, 0);
	ext_cap(&sp, 0x100, PCI_EXT_CAP_ID_ERR, 0x200);
	ext_cap(&sp, 0x200, PCI_EXT_CAP_ID_SRIOV, 0x100);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), -ELOOP);
	assert_int_equal(v.n, 2);
}

static void test_ext_walk_hop_bound(void **state)
{
	struct space sp;
	struct visits v = { 0 };
	unsigned pos;

	(void)state;
	/* 49 distinct capabilities, no repeat: the 49th is past the bound. */
	space_init(&sp, PCIE_CFG_SIZE, 0);
	for (pos = 0x100; pos < 0x100 + 49 * 0x10; pos += 0x10)
		ext_cap(&sp, pos, 0x0b, pos + 0x10 < 0x100 + 49 * 0x10 ? pos + 0x10 : 0);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), -ELOOP);
	assert_int_equal(v.n, PCI_CAP_WALK_MAX);
	/* 48 of them walk to the end. */
	ext_cap(&sp, 0x100 + 47 * 0x10, 0x0b, 0);
	v.n = 0;
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), 0);
	assert_int_equal(v.n, PCI_CAP_WALK_MAX);
}

static void test_ext_walk_needs_4096(void **state)
{
	struct space sp;
	struct visits v = { 0 };

	(void)state;
	space_init(&sp, PCI_CFG_SIZE, 0);
	assert_int_equal(pvpci_cap_walk(space_read, &sp, sp.size, true, record, &v), -EINVAL);
	assert_int_equal(v.n, 0);
	assert_int_equal(pvpci_cap_find(space_read, &sp, sp.size, true, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_walk_normal_chain),
		cmocka_unit_test(test_cap_walk_needs_status_cap_list),
		cmocka_unit_test(test_cap_walk_ff_ends),
		cmocka_unit_test(test_cap_walk_pointer_into_header_ends),
		cmocka_unit_test(test_cap_walk_pointer_beyond_space_ends),
		cmocka_unit_test(test_cap_walk_misaligned_pointer_masked),
		cmocka_unit_test(test_cap_walk_loop),
		cmocka_unit_test(test_cap_walk_self_loop_via_mask),
		cmocka_unit_test(test_cap_walk_longest_chain_is_48),
		cmocka_unit_test(test_cap_walk_visit_stops),
		cmocka_unit_test(test_cap_walk_read_error),
		cmocka_unit_test(test_cap_find),
		cmocka_unit_test(test_ext_walk_chain),
		cmocka_unit_test(test_ext_walk_empty_header_ends),
		cmocka_unit_test(test_ext_walk_pointer_below_0x100_ends),
		cmocka_unit_test(test_ext_walk_loop),
		cmocka_unit_test(test_ext_walk_hop_bound),
		cmocka_unit_test(test_ext_walk_needs_4096),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
