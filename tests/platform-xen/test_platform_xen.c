/* SPDX-License-Identifier: MIT */
/*
 * Tests of the xen platform that need no hypervisor: the 64-bit frame arithmetic of BARs
 * (XSA-476: a BAR above 4 GiB keeps every bit; partial pages count; wrap and
 * out-of-range are refused), the checks of permission requests, the check of the /dev/xen
 * device files (the message names the missing file and the module to load), argument
 * checks of a handle that has no libraries behind it, and a clean -ENODEV with a clear
 * log line when opening the platform on a machine without Xen (skipped on Xen).
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen_priv.h"

/* ---- Frame arithmetic ---- */
static void test_bar_frames_aligned_32bit(void **state)
{
	uint64_t first, nr;

	assert_int_equal(xen_bar_frames(0xfebd1000, 0x1000, &first, &nr), 0);
	assert_int_equal(first, 0xfebd1);
	assert_int_equal(nr, 1);
}

static void test_bar_frames_partial_pages_count(void **state)
{
	uint64_t first, nr;

	assert_int_equal(xen_bar_frames(0x1800, 0x1000, &first, &nr), 0);
	assert_int_equal(first, 1);
	assert_int_equal(nr, 2); /* 0x1800..0x27ff touches frames 1 and 2 */
	assert_int_equal(xen_bar_frames(0xc010, 0x20, &first, &nr), 0);
	assert_int_equal(nr, 1);
}

static void test_bar_frames_64bit_above_4g_not_truncated(void **state)
{
	uint64_t first, nr;

	assert_int_equal(xen_bar_frames(0x4000100000ull, 0x80000, &first, &nr), 0);
	assert_true(first == 0x4000100ull);
	assert_int_equal(nr, 0x80);
	/* a 64 GiB BAR at 1 TiB */
	assert_int_equal(xen_bar_frames(1ull << 40, 1ull << 36, &first, &nr), 0);
	assert_true(first == (1ull << 28));
	assert_true(nr == (1ull << 24));
}

static void test_bar_frames_rejects_bad(void **state)
{
	uint64_t first = 7, nr = 7;

	assert_int_equal(xen_bar_frames(0x1000, 0, &first, &nr), -EINVAL);
	assert_int_equal(xen_bar_frames(UINT64_MAX - 0xfff, 0x2000, &first, &nr), -EOVERFLOW);
	assert_int_equal(xen_bar_frames(1ull << 52, 0x1000, &first, &nr), -ERANGE);
	assert_int_equal(xen_bar_frames((1ull << 52) - 0x1000, 0x2000, &first, &nr), -ERANGE);
	assert_int_equal(first, 7); /* untouched on error */
	assert_int_equal(nr, 7);
	assert_int_equal(xen_bar_frames(0, 0x1000, NULL, &nr), -EINVAL);
}

static void test_bar_frames_highest_page(void **state)
{
	uint64_t first, nr;

	assert_int_equal(xen_bar_frames((1ull << 52) - 0x1000, 0x1000, &first, &nr), 0);
	assert_true(first == XEN_MAX_FRAME);
	assert_int_equal(nr, 1);
}

/* ---- Permission request checks ---- */
static void test_priv_check_iomem(void **state)
{
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOMEM, 0x4000100, 0x80), 0);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOMEM, 0x4000100, 0), -EINVAL);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOMEM, UINT64_MAX, 2), -EINVAL);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOMEM, XEN_MAX_FRAME, 1), 0);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOMEM, XEN_MAX_FRAME, 2), -ERANGE);
}

static void test_priv_check_ioport_irq_device(void **state)
{
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOPORT, 0xc000, 0x40), 0);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOPORT, 0xfff0, 0x10), 0);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IOPORT, 0xfff0, 0x11), -ERANGE);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IRQ, 24, 1), 0);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IRQ, 24, 2), -EINVAL);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_IRQ, 1ull << 32, 1), -EINVAL);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_DEVICE, 0x0028, 1), 0);
	assert_int_equal(xen_priv_check(PVPCI_PRIV_DEVICE, 1ull << 32, 1), -EINVAL);
	assert_int_equal(xen_priv_check((enum pvpci_priv_kind)9, 0, 1), -EINVAL);
}

/* ---- /dev/xen checks ---- */
static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *w)
{
	return remove(p);
}

static void link_dev(const char *dir, const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(symlink("/dev/null", p), 0); /* a character device */
}

static void test_check_devices_names_missing_file_and_module(void **state)
{
	char dir[] = "/tmp/pvpci-xendev-XXXXXX", msg[256], p[128];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(xen_check_devices(dir, true, msg, sizeof(msg)), -ENODEV);
	assert_non_null(strstr(msg, "/privcmd is missing"));
	assert_non_null(strstr(msg, "modprobe xen-privcmd"));
	link_dev(dir, "privcmd");
	link_dev(dir, "evtchn");
	link_dev(dir, "gntdev");
	snprintf(p, sizeof(p), "%s/gntalloc", dir);
	assert_int_equal(mkdir(p, 0700), 0); /* exists, but not a device */
	assert_int_equal(xen_check_devices(dir, true, msg, sizeof(msg)), -ENODEV);
	assert_non_null(strstr(msg, "gntalloc"));
	assert_int_equal(rmdir(p), 0);
	link_dev(dir, "gntalloc");
	assert_int_equal(xen_check_devices(dir, true, NULL, 0), 0);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static bool on_xen(void)
{
	return access("/dev/xen/privcmd", F_OK) == 0;
}

static void test_open_without_xen_fails_cleanly(void **state)
{
	struct pvpci_xen *x = (void *)1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct pvpci_log lg;

	if (on_xen())
		skip();
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	lg = (struct pvpci_log){ pvpci_log_to_file, f, PVPCI_LOG_DEBUG, "" };
	assert_int_equal(xen_open(&lg, false, &x), -ENODEV);
	assert_null(x);
	fclose(f);
	assert_non_null(strstr(buf, "/dev/xen/privcmd is missing"));
	free(buf);
}

static void test_open_through_platform_layer_without_xen(void **state)
{
	struct pvpci_platform *p = (void *)1;
	struct pvpci_platform_config cfg = { 0 };
	struct pvpci_log quiet = { NULL, NULL, 0, "" };

	if (on_xen())
		skip();
	cfg.log = &quiet;
	assert_int_equal(pvpci_platform_open_ops(&pvpci_xen_platform_ops, &cfg, &p), -ENODEV);
	assert_string_equal(pvpci_xen_platform_ops.kind, "xen");
}

/* ---- Argument checks on a handle without libraries ---- */
static void test_calls_without_xenctrl_are_eperm(void **state)
{
	struct pvpci_xen *x = calloc(1, sizeof(*x));
	struct pvpci_evtchn_status st;
	struct pvpci_domain_info di[2];
	size_t n;

	assert_non_null(x);
	assert_int_equal(xen_priv_permission(x, 1, PVPCI_PRIV_IOMEM, 0x4000100, 0x80, true),
			 -EPERM);
	assert_int_equal(xen_pirq_map_msi(x, 1, 0x28, 0, 0), -EPERM);
	assert_int_equal(xen_pirq_map_gsi(x, 1, 11), -EPERM);
	assert_int_equal(xen_pirq_unmap(x, 1, 55), -EPERM);
	assert_int_equal(xen_evtchn_status(x, 1, 3, &st), -EPERM);
	assert_int_equal(xen_domain_list(x, di, 2, &n), -EPERM);
	free(x);
}

static void test_bad_arguments_rejected_before_xen(void **state)
{
	struct pvpci_xen *x = calloc(1, sizeof(*x));
	struct pvpci_evtchn_status st;
	void *addr, *page;
	uint32_t gref;

	assert_non_null(x);
	assert_int_equal(xen_gnt_map(x, 1, 8, 0x80, &addr), -EINVAL);
	assert_int_equal(xen_gnt_map(x, PVPCI_DOMID_MAX + 1, 8, 0, &addr), -EINVAL);
	assert_int_equal(xen_gnt_share(x, PVPCI_DOMID_MAX + 1, false, &page, &gref), -EINVAL);
	assert_int_equal(xen_gnt_unshare(x, 8), -ENOENT);
	assert_int_equal(xen_gnt_unmap(x, NULL), -EINVAL);
	assert_int_equal(xen_evtchn_alloc_unbound(x, PVPCI_DOMID_MAX + 1), -EINVAL);
	assert_int_equal(xen_evtchn_bind_interdomain(x, 1, 0), -EINVAL);
	assert_int_equal(xen_evtchn_bind_interdomain(x, 1, PVPCI_EVTCHN_MAX_PORTS), -EINVAL);
	/* ports this handle does not hold */
	assert_int_equal(xen_evtchn_notify(x, 5), -EINVAL);
	assert_int_equal(xen_evtchn_eoi(x, 5, false), -EINVAL);
	assert_int_equal(xen_evtchn_mask(x, 5, true), -EINVAL);
	assert_int_equal(xen_evtchn_close(x, 0), -EINVAL);
	assert_int_equal(xen_evtchn_notify(x, PVPCI_EVTCHN_MAX_PORTS), -EINVAL);
	assert_int_equal(xen_evtchn_status(x, 1, 0, &st), -EINVAL);
	assert_int_equal(xen_evtchn_status(x, 0x7ff5, 3, &st), -EINVAL);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_frames_aligned_32bit),
		cmocka_unit_test(test_bar_frames_partial_pages_count),
		cmocka_unit_test(test_bar_frames_64bit_above_4g_not_truncated),
		cmocka_unit_test(test_bar_frames_rejects_bad),
		cmocka_unit_test(test_bar_frames_highest_page),
		cmocka_unit_test(test_priv_check_iomem),
		cmocka_unit_test(test_priv_check_ioport_irq_device),
		cmocka_unit_test(test_check_devices_names_missing_file_and_module),
		cmocka_unit_test(test_open_without_xen_fails_cleanly),
		cmocka_unit_test(test_open_through_platform_layer_without_xen),
		cmocka_unit_test(test_calls_without_xenctrl_are_eperm),
		cmocka_unit_test(test_bad_arguments_rejected_before_xen),
	};

	return cmocka_run_group_tests_name("platform_xen", tests, NULL, NULL);
}
