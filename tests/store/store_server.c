/* SPDX-License-Identifier: MIT */
/*
 * A small standalone store server for the functional tests and the benchmark: serves a
 * pvpci store on DIR/socket (domain 0) and DIR/socket.<domid> for each domid given,
 * creating /local/domain/<domid> owned by that domain, until SIGTERM or SIGINT.
 * Usage: store_server DIR [DOMID...]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/store.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int add_domain(struct pvpci_store *st, const char *dir, unsigned domid)
{
	struct pvpci_store_perm perms[1] = { { domid, PVPCI_STORE_NONE } };
	char path[4096], node[64];
	int rc;

	snprintf(path, sizeof(path), "%s/socket.%u", dir, domid);
	snprintf(node, sizeof(node), "/local/domain/%u", domid);
	rc = pvpci_store_listen(st, domid, path);
	if (!rc)
		rc = pvpci_store_mkdir(st, node);
	if (!rc)
		rc = pvpci_store_set_perms(st, node, perms, 1);
	if (!rc)
		rc = pvpci_store_introduce_domain(st, domid);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pvpci_store *st;
	char path[4096];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [DOMID...]\n", argv[0]);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = pvpci_store_create(NULL, NULL, &st);
	if (rc) {
		fprintf(stderr, "store: %s\n", strerror(-rc));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/socket", argv[1]);
	rc = pvpci_store_listen(st, 0, path);
	for (int i = 2; !rc && i < argc; i++)
		rc = add_domain(st, argv[1], (unsigned)strtoul(argv[i], NULL, 10));
	while (!rc && !stop) {
		rc = pvpci_store_process(st, -1);
		if (rc == -EINTR || rc > 0)
			rc = 0;
	}
	if (rc)
		fprintf(stderr, "store: %s\n", strerror(-rc));
	pvpci_store_destroy(st);
	return rc ? 1 : 0;
}
