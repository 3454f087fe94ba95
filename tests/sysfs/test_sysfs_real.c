/* SPDX-License-Identifier: MIT */
/*
 * The sysfs source on this machine's real devices, read-only: every device bound to a
 * host driver that is not a stub (virtio-pci here) is opened, its vendor and device ids
 * must equal what `lspci -n` says, and every write is refused with -EBUSY before it
 * reaches the device (the write offered is the value just read, so even a broken refusal
 * would not change the device). Skipped when not root or when no such device exists.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pvpci/source.h"

/* Vendor and device ids of bdf as lspci -n prints them ("00:03.0 0200: 1af4:1041"). */
static int lspci_ids(const char *bdf, unsigned *ven, unsigned *dev)
{
	char cmd[128], line[256];
	FILE *p;
	int rc = -ENOENT;

	snprintf(cmd, sizeof(cmd), "lspci -n -D -s %s 2>/dev/null", bdf);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	if (fgets(line, sizeof(line), p)) {
		char *c = strchr(line, ' ');
		if (c && (c = strchr(c + 1, ' ')) && sscanf(c + 1, "%x:%x", ven, dev) == 2)
			rc = 0;
	}
	pclose(p);
	return rc;
}

static bool is_stub(const char *drv)
{
	return !drv[0] || !strcmp(drv, "pciback") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "vfio-pci") || !strcmp(drv, "xen-pciback");
}

static void check_device(const char *bdf, unsigned *checked)
{
	struct pvpci_log quiet = { NULL, NULL, PVPCI_LOG_ERR, "" };
	struct pvpci_source *s;
	struct pvpci_sysfs_stats st;
	unsigned ven, dev;
	uint32_t v, cmd;
	char drv[64], msg[512];

	if (pvpci_sysfs_open(bdf, NULL, &quiet, &s) < 0)
		return;
	assert_int_equal(pvpci_sysfs_driver(s, drv, sizeof(drv)), 0);
	if (is_stub(drv) || lspci_ids(bdf, &ven, &dev) < 0) {
		pvpci_source_close(s);
		return;
	}
	assert_int_equal(pvpci_source_cfg_read(s, 0, 2, &v), 0);
	assert_int_equal(v, ven);
	assert_int_equal(pvpci_source_cfg_read(s, 2, 2, &v), 0);
	assert_int_equal(v, dev);
	assert_int_equal(pvpci_source_cfg_read(s, PCI_REG_COMMAND, 2, &cmd), 0);
	assert_int_equal(pvpci_source_cfg_write(s, PCI_REG_COMMAND, 2, cmd), -EBUSY);
	assert_int_equal(pvpci_sysfs_writable(s, msg, sizeof(msg)), -EBUSY);
	assert_non_null(strstr(msg, drv));
	pvpci_sysfs_get_stats(s, &st);
	assert_int_equal(st.dev_writes, 0);
	assert_int_equal(st.refused, 1);
	pvpci_source_close(s);
	(*checked)++;
}

static void test_real_host_owned_devices_read_ids_refuse_writes(void **state)
{
	const char *root = "/sys/bus/pci/devices";
	struct dirent *e;
	unsigned checked = 0;
	DIR *d;

	if (geteuid() != 0 || system("lspci -n >/dev/null 2>&1") != 0)
		skip();
	d = opendir(root);
	if (!d)
		skip();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			check_device(e->d_name, &checked);
	closedir(d);
	if (!checked)
		skip();
	print_message("checked %u host-owned devices\n", checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_host_owned_devices_read_ids_refuse_writes),
	};

	unsetenv("PVPCI_SYSFS_ROOT");
	return cmocka_run_group_tests_name("sysfs_real", tests, NULL, NULL);
}
