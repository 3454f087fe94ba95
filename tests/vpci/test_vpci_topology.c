/* SPDX-License-Identifier: MIT */
/*
 * vpci topology and entry point tests: slot allocation on the virtual bus, multi-function
 * placement, asked slots, the 32-slot limit, double assignment, deassign, reset re-reading
 * the device, the ECAM decode (widths, 8-byte split, bounds), Xen's ioreq layout and its
 * decode, and every bundled model assigned and swept.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#if defined(__has_include)
#if __has_include(<xen/hvm/ioreq.h>)
#include <stdint.h>
#include <xen/hvm/ioreq.h>
#define HAVE_XEN_IOREQ 1
#endif
#endif

static struct fx F;

static int up(void **state)
{
	fx_up(&F);
	return 0;
}

static int down(void **state)
{
	fx_down(&F);
	return 0;
}

static struct pvpci_source *syn(const char *addr, unsigned size)
{
	struct fx_dev d;

	fx_syn(&d, addr);
	d.size = size;
	fx_put(&d, 0xa4, 4, 0x10000000); /* FLR capable */
	return fx_open(&F, &d);
}

static void assert_sbdf(struct pvpci_sbdf a, unsigned dev, unsigned fn)
{
	assert_int_equal(a.seg, 0);
	assert_int_equal(a.bus, 0);
	assert_int_equal(a.dev, dev);
	assert_int_equal(a.fn, fn);
}

static void test_devices_take_the_first_free_slots(void **state)
{
	assert_sbdf(fx_assign(&F, syn("03:00.0", 256), -1), 0, 0);
	assert_sbdf(fx_assign(&F, syn("04:00.0", 256), -1), 1, 0);
	assert_int_equal(pvpci_vpci_deassign(F.dom, fx_sbdf(0, 0)), 0);
	assert_sbdf(fx_assign(&F, syn("05:00.0", 256), -1), 0, 0);
	assert_int_equal(gr(&F, fx_sbdf(0, 0), 0, 4), 0x56781234);
}

static void test_functions_of_one_slot_share_a_guest_slot(void **state)
{
	struct pvpci_source *f1 = fx_open_file(&F, "multifunc.model", 1);
	struct pvpci_source *f0 = fx_open_file(&F, "multifunc.model", 0);

	assert_sbdf(fx_assign(&F, syn("03:00.0", 256), -1), 0, 0);
	/* Function 1 first: a new slot, physical function kept; function 0 joins it. */
	assert_sbdf(fx_assign(&F, f1, -1), 1, 1);
	assert_sbdf(fx_assign(&F, f0, -1), 1, 0);
	assert_sbdf(fx_assign(&F, syn("04:00.0", 256), -1), 2, 0);
	assert_int_equal(gr(&F, fx_sbdf(1, 0), 0x0e, 1) & 0x80, 0x80);
	assert_int_equal(gr(&F, fx_sbdf(1, 1), 0, 4), hr(f1, 0, 4));
	assert_int_equal(gr(&F, fx_sbdf(1, 0), 0, 4), hr(f0, 0, 4));
	/* The slot stays while one function is left. */
	assert_int_equal(pvpci_vpci_deassign(F.dom, fx_sbdf(1, 0)), 0);
	assert_sbdf(fx_assign(&F, syn("05:00.0", 256), -1), 3, 0);
	assert_int_equal(pvpci_vpci_deassign(F.dom, fx_sbdf(1, 1)), 0);
	assert_sbdf(fx_assign(&F, syn("06:00.0", 256), -1), 1, 0);
}

static void test_asked_slot(void **state)
{
	struct pvpci_source *f0 = fx_open_file(&F, "multifunc.model", 0);
	struct pvpci_source *f1 = fx_open_file(&F, "multifunc.model", 1);
	struct pvpci_sbdf g;

	assert_sbdf(fx_assign(&F, f0, 5), 5, 0);
	assert_int_equal(fx_try_assign(&F, syn("03:00.0", 256), 5, &g), -EBUSY);
	assert_int_equal(fx_try_assign(&F, f1, 6, &g), -EBUSY); /* siblings stay together */
	assert_int_equal(fx_try_assign(&F, syn("04:00.0", 256), 32, &g), -EINVAL);
	assert_sbdf(fx_assign(&F, f1, 5), 5, 1);
}

static void test_thirty_two_slots_then_enospc(void **state)
{
	char addr[16];
	struct pvpci_sbdf g;

	for (unsigned i = 0; i < 32; i++) {
		snprintf(addr, sizeof(addr), "%02x:00.0", i + 1);
		assert_sbdf(fx_assign(&F, syn(addr, 256), -1), i, 0);
	}
	assert_int_equal(fx_try_assign(&F, syn("40:00.0", 256), -1, &g), -ENOSPC);
	assert_int_equal(pvpci_vpci_deassign(F.dom, fx_sbdf(17, 0)), 0);
	assert_sbdf(fx_assign(&F, F.src[F.nsrc - 1], -1), 17, 0);
}

static void test_double_assignment_is_refused(void **state)
{
	struct pvpci_source *a = syn("03:00.0", 256), *twin = syn("03:00.0", 256);
	struct pvpci_sbdf g;

	fx_assign(&F, a, -1);
	assert_int_equal(fx_try_assign(&F, a, -1, &g), -EBUSY);
	assert_int_equal(fx_try_assign(&F, twin, -1, &g), -EEXIST);
}

static void test_deassign_leaves_an_all_ones_address(void **state)
{
	struct pvpci_sbdf g = fx_assign(&F, syn("03:00.0", 4096), -1);

	assert_int_equal(pvpci_vpci_deassign(F.dom, g), 0);
	assert_int_equal(gr(&F, g, 0, 4), 0xffffffff);
	assert_int_equal(pvpci_vpci_deassign(F.dom, g), -ENODEV);
}

static void test_reset_rebuilds_the_view_from_the_device(void **state)
{
	struct pvpci_source *s = syn("03:00.0", 4096);
	struct pvpci_sbdf g = fx_assign(&F, s, -1);

	gw(&F, g, 0x10, 4, 0x20000000);
	gw(&F, g, 0x04, 2, 0x0006);
	gw(&F, g, 0x54, 4, 0xfee00000);
	gw(&F, g, 0x52, 2, 0x0001);
	assert_int_equal(fx_nmaps(&F), 2); /* BAR0 at 0x20000000, BAR1 at 0 (BAR4 under it) */
	assert_int_equal(pvpci_vpci_host_bindings(F.host, NULL, 0), 1);
	assert_int_equal(pvpci_vpci_reset(F.dom, g, PVPCI_RESET_FLR), 0);
	assert_int_equal(fx_nmaps(&F), 0);
	assert_int_equal(pvpci_vpci_host_bindings(F.host, NULL, 0), 0);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0400); /* from the power-on COMMAND 0x0547 */
	assert_int_equal(gr(&F, g, 0x10, 4), 0);
	assert_int_equal(gr(&F, g, 0x52, 2), 0x0186);
	assert_int_equal(gr(&F, g, 0x00, 4), 0x56781234);
	assert_int_equal(pvpci_vpci_reset(F.dom, fx_sbdf(9, 0), PVPCI_RESET_FLR), -ENODEV);
}

static void test_ecam_decode(void **state)
{
	struct pvpci_sbdf g;
	uint64_t v;

	fx_assign(&F, syn("03:00.0", 4096), -1);
	g = fx_assign(&F, syn("04:00.0", 4096), -1);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, 1u << 15, 4, &v), 0);
	assert_int_equal(v, 0x56781234);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, (1u << 15) | 2, 2, &v), 0);
	assert_int_equal(v, 0x5678);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, (1u << 15) | 0x34, 1, &v), 0);
	assert_int_equal(v, 0x50);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, 1u << 15, 8, &v), 0);
	assert_int_equal(v, 0x2010040056781234ull); /* two 4-byte accesses */
	assert_int_equal(pvpci_vpci_ecam_write(F.dom, (1u << 15) | 0x10, 8,
					       0x00000001fff0000cull), 0);
	assert_int_equal(gr(&F, g, 0x10, 4), 0xfff00000);
	assert_int_equal(gr(&F, g, 0x14, 4), 0x0000000c);
	/* Bus 1, misaligned, past the window: all-ones / refused. */
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, 1u << 20, 4, &v), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, 2, 4, &v), -EINVAL);
	assert_int_equal(v, 0xffffffffffffffffull);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, 4, 8, &v), -EINVAL);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, 0, 3, &v), -EINVAL);
	assert_int_equal(pvpci_vpci_ecam_read(F.dom, PVPCI_VPCI_ECAM_SIZE, 4, &v), -EINVAL);
	assert_int_equal(pvpci_vpci_ecam_write(F.dom, 6, 4, 0), -EINVAL);
	/* Through the MMIO entry point at the window's guest address. */
	assert_int_equal(mr(&F, PVPCI_VPCI_ECAM_BASE + (1u << 15), 4), 0x56781234);
	assert_int_equal(mr(&F, PVPCI_VPCI_ECAM_BASE + (7u << 15), 4), 0xffffffff);
}

static void ioreq(struct pvpci_ioreq *r, uint8_t type, uint64_t addr, uint32_t size,
		  bool read, uint64_t data)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->addr = addr;
	r->size = size;
	r->count = 1;
	r->data = data;
	r->flags = PVPCI_IOREQ_STATE_READY | (read ? PVPCI_IOREQ_DIR_READ : 0);
}

static uint64_t cfg_addr(unsigned dev, unsigned fn, unsigned reg)
{
	return ((uint64_t)((dev << 3) | fn) << 32) | reg;
}

static void test_ioreq_pci_config_decode(void **state)
{
	struct pvpci_sbdf g = fx_assign(&F, syn("03:00.0", 4096), 3);
	struct pvpci_ioreq r;

	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(3, 0, 2), 2, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	assert_int_equal(r.data, 0x5678);
	assert_int_equal(r.flags & PVPCI_IOREQ_STATE_MASK, PVPCI_IORESP_STATE_READY);
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(3, 0, 4), 2, false, 0x0004);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0004);
	/* Segment 1 (bits 63:48) and bus 1 (bits 47:40) have no devices. */
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(3, 0, 0) | 1ull << 48, 4, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	assert_int_equal(r.data, 0xffffffff);
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(3, 0, 0) | 1ull << 40, 4, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	assert_int_equal(r.data, 0xffffffff);
}

static void test_ioreq_mmio_decode(void **state)
{
	struct pvpci_sbdf g = fx_assign(&F, syn("03:00.0", 4096), -1);
	struct pvpci_ioreq r;

	gw(&F, g, 0x10, 4, 0x20000000);
	gw(&F, g, 0x04, 2, 0x0002);
	ioreq(&r, PVPCI_IOREQ_TYPE_COPY, 0x20002008, 4, false, 0x4242);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	ioreq(&r, PVPCI_IOREQ_TYPE_COPY, 0x20002008, 8, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	assert_int_equal(r.data, 0x0000000100004242ull);
	ioreq(&r, PVPCI_IOREQ_TYPE_COPY, PVPCI_VPCI_ECAM_BASE, 4, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), 0);
	assert_int_equal(r.data, 0x56781234);
	ioreq(&r, PVPCI_IOREQ_TYPE_COPY, 0x90000000, 4, true, 0); /* nothing there */
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -ENXIO);
	assert_int_equal(r.data, 0xffffffff);
	assert_int_equal(r.flags & PVPCI_IOREQ_STATE_MASK, PVPCI_IORESP_STATE_READY);
}

static void test_ioreq_bad_requests_answered_all_ones(void **state)
{
	struct pvpci_sbdf g = fx_assign(&F, syn("03:00.0", 4096), 0);
	struct pvpci_ioreq r;

	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(0, 0, 0), 4, true, 0x1234);
	r.flags = (r.flags & ~PVPCI_IOREQ_STATE_MASK) | PVPCI_IOREQ_STATE_INPROCESS;
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EAGAIN);
	assert_int_equal(r.data, 0x1234); /* untouched */
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(0, 0, 0), 4, true, 0);
	r.flags |= PVPCI_IOREQ_DATA_IS_PTR;
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EOPNOTSUPP);
	assert_int_equal(r.data, 0xffffffff);
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(0, 0, 0), 4, true, 0);
	r.count = 2;
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EOPNOTSUPP);
	ioreq(&r, PVPCI_IOREQ_TYPE_PIO, 0xcfc, 4, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EOPNOTSUPP);
	assert_int_equal(r.data, 0xffffffff);
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(0, 0, 0), 3, true, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EINVAL);
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(0, 0, 0x1000), 4, false, 0);
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EINVAL);
	ioreq(&r, PVPCI_IOREQ_TYPE_PCI_CONFIG, cfg_addr(0, 0, 4), 2, false, 0x2);
	r.count = 0;
	assert_int_equal(pvpci_vpci_ioreq_handle(F.dom, &r), -EOPNOTSUPP);
	assert_int_equal(gr(&F, g, 0x04, 2), 0x0400); /* nothing was written */
}

static void test_ioreq_layout_matches_xen(void **state)
{
#ifdef HAVE_XEN_IOREQ
	struct ioreq x;
	struct pvpci_ioreq p;

	assert_int_equal(sizeof(struct ioreq), sizeof(struct pvpci_ioreq));
	assert_int_equal(offsetof(struct ioreq, addr), offsetof(struct pvpci_ioreq, addr));
	assert_int_equal(offsetof(struct ioreq, data), offsetof(struct pvpci_ioreq, data));
	assert_int_equal(offsetof(struct ioreq, count), offsetof(struct pvpci_ioreq, count));
	assert_int_equal(offsetof(struct ioreq, size), offsetof(struct pvpci_ioreq, size));
	assert_int_equal(offsetof(struct ioreq, vp_eport),
			 offsetof(struct pvpci_ioreq, vp_eport));
	assert_int_equal(offsetof(struct ioreq, type), offsetof(struct pvpci_ioreq, type));
	memset(&x, 0, sizeof(x));
	x.state = STATE_IOREQ_READY;
	x.dir = IOREQ_READ;
	x.df = 1;
	x.data_is_ptr = 1;
	x.type = IOREQ_TYPE_PCI_CONFIG;
	memcpy(&p, &x, sizeof(p));
	assert_int_equal(p.flags, PVPCI_IOREQ_STATE_READY | PVPCI_IOREQ_DIR_READ |
				  PVPCI_IOREQ_DF | PVPCI_IOREQ_DATA_IS_PTR);
	assert_int_equal(p.type, PVPCI_IOREQ_TYPE_PCI_CONFIG);
	assert_int_equal(IOREQ_TYPE_COPY, PVPCI_IOREQ_TYPE_COPY);
	assert_int_equal(IOREQ_TYPE_PIO, PVPCI_IOREQ_TYPE_PIO);
	assert_int_equal(STATE_IORESP_READY, PVPCI_IORESP_STATE_READY);
#else
	skip();
#endif
}

struct lister {
	unsigned n;
	struct pvpci_sbdf seen[8];
};

static int list_one(void *arg, struct pvpci_sbdf g, struct pvpci_source *src)
{
	struct lister *l = arg;

	l->seen[l->n++] = g;
	return 0;
}

static void test_for_each_dev_in_guest_order(void **state)
{
	struct lister l = { 0 };

	fx_assign(&F, syn("03:00.0", 256), 4);
	fx_assign(&F, syn("04:00.0", 256), 1);
	assert_int_equal(pvpci_vpci_for_each_dev(F.dom, list_one, &l), 0);
	assert_int_equal(l.n, 2);
	assert_sbdf(l.seen[0], 1, 0);
	assert_sbdf(l.seen[1], 4, 0);
}

static void test_single_thread_domain_behaves_the_same(void **state)
{
	struct pvpci_sbdf g;

	fx_down(&F);
	fx_up_opts(&F, NULL, 0, true);
	g = fx_assign(&F, syn("03:00.0", 4096), -1);
	assert_int_equal(gr(&F, g, 0x00, 4), 0x56781234);
	gw(&F, g, 0x10, 4, 0xffffffff);
	assert_int_equal(gr(&F, g, 0x10, 4), 0xffffc000);
	gw(&F, g, 0x10, 4, 0x20000000);
	gw(&F, g, 0x04, 2, 0x0002);
	assert_int_equal(mr(&F, 0x2000200c, 4), 1);
	assert_int_equal(fx_nmaps(&F), 2);
	assert_int_equal(pvpci_vpci_deassign(F.dom, g), 0);
	assert_int_equal(fx_nmaps(&F), 0);
}

/* Each device of each bundled model: assign, read every dword of its space through ECAM,
 * size every BAR, turn decoding on and off: the host BARs never change. */
static void sweep_model(const char *name)
{
	size_t n = 0;
	char path[1024];
	struct pvpci_parse_err err;
	const char *dir = getenv("PVPCI_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	assert_int_equal(pvpci_model_count(path, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		struct pvpci_source *s = fx_open_file(&F, name, i);
		uint32_t before[8], after[8];
		struct pvpci_sbdf g;
		uint64_t v, base;

		for (unsigned k = 0; k < 7; k++)
			before[k] = hr(s, 0x10 + 4 * k, 4);
		before[7] = hr(s, (hr(s, 0x0e, 1) & 0x7f) == 1 ? 0x38 : 0x30, 4);
		g = fx_assign(&F, s, -1);
		base = (uint64_t)PVPCI_DEVFN(g.dev, g.fn) << 12;
		for (unsigned off = 0; off < 4096; off += 4)
			assert_int_equal(pvpci_vpci_ecam_read(F.dom, base + off, 4, &v), 0);
		for (unsigned off = 0x10; off < 0x28; off += 4)
			assert_int_equal(pvpci_vpci_ecam_write(F.dom, base + off, 4, ~0u), 0);
		gw(&F, g, 0x04, 2, 0x0006);
		gw(&F, g, 0x04, 2, 0x0000);
		for (unsigned k = 0; k < 7; k++)
			after[k] = hr(s, 0x10 + 4 * k, 4);
		after[7] = hr(s, (hr(s, 0x0e, 1) & 0x7f) == 1 ? 0x38 : 0x30, 4);
		assert_memory_equal(before, after, sizeof(before));
		assert_int_equal(pvpci_vpci_deassign(F.dom, g), 0);
	}
}

static void test_every_bundled_model_assigns_and_sweeps(void **state)
{
	const char *dir = getenv("PVPCI_TEST_DATA");
	DIR *dp = opendir(dir ? dir : "tests/data");
	struct dirent *e;
	unsigned models = 0;

	assert_non_null(dp);
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len < 7 || strcmp(e->d_name + len - 6, ".model"))
			continue;
		sweep_model(e->d_name);
		models++;
	}
	closedir(dp);
	assert_true(models >= 6);
	assert_int_equal(fx_nmaps(&F), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_devices_take_the_first_free_slots, up, down),
		cmocka_unit_test_setup_teardown(test_functions_of_one_slot_share_a_guest_slot, up,
						down),
		cmocka_unit_test_setup_teardown(test_asked_slot, up, down),
		cmocka_unit_test_setup_teardown(test_thirty_two_slots_then_enospc, up, down),
		cmocka_unit_test_setup_teardown(test_double_assignment_is_refused, up, down),
		cmocka_unit_test_setup_teardown(test_deassign_leaves_an_all_ones_address, up, down),
		cmocka_unit_test_setup_teardown(test_reset_rebuilds_the_view_from_the_device, up,
						down),
		cmocka_unit_test_setup_teardown(test_ecam_decode, up, down),
		cmocka_unit_test_setup_teardown(test_ioreq_pci_config_decode, up, down),
		cmocka_unit_test_setup_teardown(test_ioreq_mmio_decode, up, down),
		cmocka_unit_test_setup_teardown(test_ioreq_bad_requests_answered_all_ones, up,
						down),
		cmocka_unit_test_setup_teardown(test_ioreq_layout_matches_xen, up, down),
		cmocka_unit_test_setup_teardown(test_for_each_dev_in_guest_order, up, down),
		cmocka_unit_test_setup_teardown(test_single_thread_domain_behaves_the_same, up,
						down),
		cmocka_unit_test_setup_teardown(test_every_bundled_model_assigns_and_sweeps, up,
						down),
	};

	return cmocka_run_group_tests_name("vpci-topology", tests, NULL, NULL);
}
