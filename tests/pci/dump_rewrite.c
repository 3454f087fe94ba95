/* SPDX-License-Identifier: MIT */
/*
 * Test helper: reads an lspci dump file, parses every device with pvpci_dump_parse and
 * writes them back with pvpci_dump_write to stdout, so a script can compare the result
 * with the original and feed it to `lspci -F`. Exit 0 on success, 1 on a parse error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvpci/pci.h"

#define MAX_DEVICES 256
#define MAX_TEXT (8u << 20)

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *nb = cap < MAX_TEXT ? realloc(buf, cap + 65536) : NULL;

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	struct pvpci_parse_err err = { 0 };
	struct pvpci_dump *d;
	size_t len = 0, n = 0;
	char *text;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DUMPFILE\n", argv[0]);
		return 2;
	}
	text = slurp(argv[1], &len);
	d = calloc(MAX_DEVICES, sizeof(*d));
	if (!text || !d) {
		fprintf(stderr, "%s: cannot read\n", argv[1]);
		free(text);
		free(d);
		return 1;
	}
	rc = pvpci_dump_parse(text, len, d, MAX_DEVICES, &n, NULL, NULL, &err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = pvpci_dump_write(stdout, d[i].sbdf, d[i].title, d[i].cfg, d[i].size);
	if (rc)
		fprintf(stderr, "%s: %s (byte %zu)\n", argv[1], err.msg[0] ? err.msg : strerror(-rc),
			err.pos);
	free(text);
	free(d);
	return rc ? 1 : 0;
}
