/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the store's wire-protocol parser and everything behind it:
 * arbitrary bytes are streamed, as a client would, into a connection of a fresh store
 * (first byte, bit 0: a guest connection of domain 1 or the privileged domain 0), with
 * some nodes and an in-process watch on "/" already there, while the replies are read
 * and discarded. No crash, no hang, no leak (the store is destroyed after each input).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvpci/store.h"

static void on_watch(void *opaque, const char *path, const char *token)
{
	(*(unsigned *)opaque)++;
}

static struct pvpci_store *make_store(unsigned *events)
{
	struct pvpci_log quiet = { .max_level = 0 };
	struct pvpci_store_quota q;
	struct pvpci_store *st;

	pvpci_store_quota_defaults(&q);
	q.nodes = 64;
	q.watches = 8;
	q.transactions = 4;
	q.outstanding = 16;
	if (pvpci_store_create(&q, &quiet, &st))
		return NULL;
	if (pvpci_store_write(st, "/local/domain/1/device/pci/0/state", "1", 1) ||
	    pvpci_store_set_perms_str(st, "/local/domain/1", "n1", 0) ||
	    pvpci_store_write(st, "/local/domain/2/secret", "s", 1) ||
	    pvpci_store_set_perms_str(st, "/local/domain/2", "n2 r1", 0) ||
	    pvpci_store_watch(st, "/", "root", on_watch, events)) {
		pvpci_store_destroy(st);
		return NULL;
	}
	return st;
}

static void drain(int fd)
{
	char buf[8192];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned events = 0, idle = 0;
	struct pvpci_store *st;
	size_t off = 1;
	int sv[2];

	if (size < 1)
		return 0;
	st = make_store(&events);
	if (!st)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) {
		pvpci_store_destroy(st);
		return 0;
	}
	if (pvpci_store_add_connection(st, data[0] & 1, sv[1])) {
		close(sv[1]);
		goto out;
	}
	for (int round = 0; round < 100000 && idle < 3; round++) {
		int n;

		if (off < size) {
			ssize_t w = send(sv[0], data + off, size - off, MSG_NOSIGNAL);

			if (w > 0)
				off += (size_t)w;
			else if (errno != EAGAIN)
				off = size; /* the store dropped the connection */
		}
		n = pvpci_store_process(st, 0);
		drain(sv[0]);
		idle = (n <= 0 && off >= size) ? idle + 1 : 0;
	}
out:
	close(sv[0]);
	pvpci_store_destroy(st);
	return 0;
}
