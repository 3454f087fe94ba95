/* SPDX-License-Identifier: MIT */
/*
 * The `lspci -x` / `-xxx` / `-xxxx` dump format, read and written. A dump is a series of
 * devices, each a title line ("bb:dd.f TEXT" or "dddd:bb:dd.f TEXT") followed by rows
 * "oo: hh hh ... hh" of 16 bytes; blank lines end a device, '#' lines are comments handed
 * to the caller, lines starting with a blank (lspci -v detail) are skipped. Bytes no row
 * gives are zero; a device's size is its highest row rounded up to 64, 256 or 4096.
 * Writing produces exactly what `lspci -D -xxxx` prints, so lspci -F reads it back.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pci_priv.h"

#define DUMP_ROW 16u
#define DUMP_ROWS (PCIE_CFG_SIZE / DUMP_ROW)
#define DUMP_COMMENT_MAX 512u

struct dump_parser {
	const char *text;
	size_t len;
	struct pvpci_dump *out;
	size_t max, n;
	bool open;             /* a device is being filled */
	size_t title_line;     /* line of the open device's title */
	size_t title_pos;
	uint64_t rows[DUMP_ROWS / 64];
	pvpci_dump_comment_fn comment;
	void *arg;
	struct pvpci_parse_err *err;
	size_t line_no;
};

static int dump_fail(struct dump_parser *p, size_t pos, const char *fmt, ...)
	PVPCI_PRINTF(3, 4);

static int dump_fail(struct dump_parser *p, size_t pos, const char *fmt, ...)
{
	char what[100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pvpci_parse_fail(p->err, pos, "line %zu: %s", p->line_no, what);
}

static unsigned dump_round_size(unsigned end)
{
	if (end <= 64)
		return 64;
	return end <= PCI_CFG_SIZE ? PCI_CFG_SIZE : PCIE_CFG_SIZE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Ends the open device: a title without rows is an error. */
static int dump_close(struct dump_parser *p)
{
	if (!p->open)
		return 0;
	p->open = false;
	if (!p->out[p->n - 1].size) {
		size_t line = p->line_no;
		int rc;

		p->line_no = p->title_line;
		rc = dump_fail(p, p->title_pos, "device has no rows of bytes");
		p->line_no = line;
		return rc;
	}
	return 0;
}

static int dump_title(struct dump_parser *p, size_t ls, size_t le)
{
	struct pvpci_parse_err aerr = { 0 };
	struct pvpci_dump *d;
	size_t tl = 0, tstart;
	char addr[24];
	int rc;

	while (ls + tl < le && p->text[ls + tl] != ' ' && p->text[ls + tl] != '\t')
		tl++;
	if (tl >= sizeof(addr))
		return dump_fail(p, ls, "expected a title \"[dddd:]bb:dd.f TEXT\" or a row");
	memcpy(addr, p->text + ls, tl);
	addr[tl] = 0;
	rc = dump_close(p);
	if (rc)
		return rc;
	if (p->n >= p->max) {
		dump_fail(p, ls, "more than %zu devices", p->max);
		return -E2BIG;
	}
	d = &p->out[p->n];
	memset(d, 0, sizeof(*d));
	if (pvpci_sbdf_parse(addr, &d->sbdf, &aerr))
		return dump_fail(p, ls + aerr.pos, "bad device address: %s", aerr.msg);
	tstart = ls + tl + (ls + tl < le ? 1 : 0);
	tl = le - tstart < sizeof(d->title) ? le - tstart : sizeof(d->title) - 1;
	memcpy(d->title, p->text + tstart, tl);
	d->title[tl] = 0;
	p->n++;
	p->open = true;
	p->title_line = p->line_no;
	p->title_pos = ls;
	memset(p->rows, 0, sizeof(p->rows));
	return 0;
}

/* The 16 bytes of a row, after "oo:". */
static int dump_row_bytes(struct dump_parser *p, size_t i, size_t le, uint8_t *dst)
{
	const char *t = p->text;
	unsigned k;

	for (k = 0; k < DUMP_ROW; k++) {
		if (i >= le || (t[i] != ' ' && t[i] != '\t'))
			break;
		while (i < le && (t[i] == ' ' || t[i] == '\t'))
			i++;
		if (i >= le)
			break;
		if (i + 1 >= le || hexval(t[i]) < 0 || hexval(t[i + 1]) < 0 ||
		    (i + 2 < le && t[i + 2] != ' ' && t[i + 2] != '\t'))
			return dump_fail(p, i, "expected a byte as 2 hex digits at %zu", i);
		dst[k] = (uint8_t)(hexval(t[i]) * 16 + hexval(t[i + 1]));
		i += 2;
	}
	while (i < le && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (k < DUMP_ROW)
		return dump_fail(p, i, "expected 16 bytes in the row, found %u", k);
	if (i < le)
		return dump_fail(p, i, "expected end of row at %zu", i);
	return 0;
}

static int dump_row(struct dump_parser *p, size_t ls, size_t le, size_t colon)
{
	struct pvpci_dump *d = &p->out[p->n - 1];
	unsigned off = 0, row;
	uint8_t bytes[DUMP_ROW];
	int rc;

	if (!p->open)
		return dump_fail(p, ls, "row outside a device (expected a title line first)");
	for (size_t i = ls; i < colon; i++)
		off = off * 16 + (unsigned)hexval(p->text[i]);
	if (off % DUMP_ROW || off >= PCIE_CFG_SIZE)
		return dump_fail(p, ls, "row offset %x: expected a multiple of 0x10 below 0x1000", off);
	row = off / DUMP_ROW;
	if (p->rows[row / 64] & (1ull << (row % 64)))
		return dump_fail(p, ls, "row %02x given twice", off);
	rc = dump_row_bytes(p, colon + 1, le, bytes);
	if (rc)
		return rc;
	p->rows[row / 64] |= 1ull << (row % 64);
	memcpy(d->cfg + off, bytes, DUMP_ROW);
	if (dump_round_size(off + DUMP_ROW) > d->size)
		d->size = dump_round_size(off + DUMP_ROW);
	return 0;
}

static int dump_comment(struct dump_parser *p, size_t ls, size_t le)
{
	struct pvpci_parse_err cerr;
	char line[DUMP_COMMENT_MAX];
	int rc;

	if (!p->comment)
		return 0;
	if (le - ls >= sizeof(line))
		return dump_fail(p, ls, "comment longer than %u bytes", DUMP_COMMENT_MAX - 1);
	memcpy(line, p->text + ls, le - ls);
	line[le - ls] = 0;
	cerr.pos = ls;
	cerr.msg[0] = 0;
	rc = p->comment(p->arg, p->n ? p->n - 1 : 0, line, &cerr);
	if (!rc)
		return 0;
	if (rc > 0)
		rc = -EINVAL;
	if (!cerr.msg[0])
		dump_fail(p, ls, "comment rejected: %s", pvpci_errname(rc));
	else if (p->err)
		*p->err = cerr;
	return rc;
}

/* "oo:" with 2 or 3 hex digits: the length of the offset, or 0 if not a row. */
static size_t row_prefix(const char *t, size_t ls, size_t le)
{
	size_t k = 0;

	while (ls + k < le && k < 4 && hexval(t[ls + k]) >= 0)
		k++;
	if (k < 2 || k > 3 || ls + k >= le || t[ls + k] != ':')
		return 0;
	if (ls + k + 1 < le && t[ls + k + 1] != ' ' && t[ls + k + 1] != '\t')
		return 0;
	return k;
}

static int dump_line(struct dump_parser *p, size_t ls, size_t le)
{
	const char *t = p->text;
	size_t k = ls, off_len;

	while (k < le && isspace((unsigned char)t[k]))
		k++;
	if (k == le)
		return dump_close(p);
	if (t[ls] == '#')
		return dump_comment(p, ls, le);
	if (k != ls)
		return 0; /* indented detail lines of lspci -v */
	off_len = row_prefix(t, ls, le);
	if (off_len)
		return dump_row(p, ls, le, ls + off_len);
	return dump_title(p, ls, le);
}

int pvpci_dump_parse(const char *text, size_t len, struct pvpci_dump *out, size_t max,
		     size_t *n, pvpci_dump_comment_fn comment, void *arg,
		     struct pvpci_parse_err *err)
{
	struct dump_parser p = { .text = text, .len = len, .out = out, .max = max,
				 .comment = comment, .arg = arg, .err = err };
	size_t ls = 0;
	int rc = 0;

	if (n)
		*n = 0;
	if (!n || (!text && len) || (max && !out))
		return pvpci_parse_fail(err, 0, "bad arguments");
	while (ls < len && !rc) {
		size_t le = ls, next;

		p.line_no++;
		while (le < len && text[le] != '\n' && text[le])
			le++;
		if (le < len && !text[le])
			return dump_fail(&p, le, "NUL byte at %zu", le);
		next = le + 1;
		if (le > ls && text[le - 1] == '\r')
			le--;
		rc = dump_line(&p, ls, le);
		ls = next;
	}
	if (!rc)
		rc = dump_close(&p);
	*n = p.n;
	return rc;
}

int pvpci_dump_write(FILE *f, struct pvpci_sbdf sbdf, const char *title, const uint8_t *cfg,
		     unsigned size)
{
	char addr[PVPCI_SBDF_STRLEN];

	if (!f || !cfg || (size != 64 && size != PCI_CFG_SIZE && size != PCIE_CFG_SIZE))
		return -EINVAL;
	if (!title)
		title = "";
	if (strpbrk(title, "\r\n"))
		return -EINVAL;
	if (fprintf(f, "%s %s\n", pvpci_sbdf_str(sbdf, addr), title) < 0)
		return -EIO;
	for (unsigned off = 0; off < size; off += DUMP_ROW) {
		const uint8_t *r = cfg + off;

		if (fprintf(f, "%02x: %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x "
			    "%02x %02x %02x %02x %02x\n", off, r[0], r[1], r[2], r[3], r[4],
			    r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
			    r[15]) < 0)
			return -EIO;
	}
	if (fputc('\n', f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
