/* SPDX-License-Identifier: MIT */
/*
 * PCI addresses: "dddd:bb:dd.f" and "bb:dd.f" (hex), patterns with '*' for the slot and /
 * or the function, and pciback's hide list "(0000:03:00.0)(04:00.*)". One scanner serves
 * all of them; every failure reports the byte where parsing stopped and what was expected
 * there, so a mistake like "(0000:82.0.0)" is named precisely.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pci_priv.h"

int pvpci_parse_fail(struct pvpci_parse_err *err, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *pci_describe_char(const char *s, size_t pos, char buf[16])
{
	unsigned char c = (unsigned char)s[pos];

	if (!c)
		return "end of input";
	if (isprint(c))
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

/* Up to max_digits hex digits at s[*pos]; at least one is required. */
static int scan_hex(const char *s, size_t *pos, unsigned max_digits, unsigned *val,
		    unsigned *ndigits, struct pvpci_parse_err *err)
{
	unsigned v = 0, n = 0;
	char cb[16];

	while (n < max_digits && isxdigit((unsigned char)s[*pos + n])) {
		char c = s[*pos + n];

		v = v * 16 + (unsigned)(isdigit((unsigned char)c) ? c - '0' : (tolower(c) - 'a' + 10));
		n++;
	}
	if (!n)
		return pvpci_parse_fail(err, *pos, "expected hex digit at %zu, found %s", *pos,
				      pci_describe_char(s, *pos, cb));
	*pos += n;
	*val = v;
	if (ndigits)
		*ndigits = n;
	return 0;
}

static int expect_char(const char *s, size_t *pos, char want, struct pvpci_parse_err *err)
{
	char cb[16];

	if (s[*pos] != want)
		return pvpci_parse_fail(err, *pos, "expected '%c' at %zu, found %s", want, *pos,
				      pci_describe_char(s, *pos, cb));
	(*pos)++;
	return 0;
}

/* The slot: '*' when allowed, else up to two hex digits, at most 0x1f. */
static int scan_dev(const char *s, size_t *pos, unsigned wild, struct pvpci_sbdf_pattern *out,
		    struct pvpci_parse_err *err)
{
	size_t start = *pos;
	unsigned v;
	int rc;

	if (s[*pos] == '*' && (wild & PCI_WILD_DEV)) {
		(*pos)++;
		out->any_dev = true;
		out->a.dev = 0;
		return 0;
	}
	rc = scan_hex(s, pos, 2, &v, NULL, err);
	if (rc)
		return rc;
	if (v > 0x1f)
		return pvpci_parse_fail(err, start, "device %x out of range 0-1f at %zu", v, start);
	out->a.dev = (uint8_t)v;
	return 0;
}

/* ".f": '*' when allowed, else one hex digit, at most 7. */
static int scan_fn(const char *s, size_t *pos, unsigned wild, struct pvpci_sbdf_pattern *out,
		   struct pvpci_parse_err *err)
{
	size_t start;
	unsigned v;
	int rc;

	rc = expect_char(s, pos, '.', err);
	if (rc)
		return rc;
	start = *pos;
	if (s[*pos] == '*' && (wild & PCI_WILD_FN)) {
		(*pos)++;
		out->any_fn = true;
		out->a.fn = 0;
		return 0;
	}
	rc = scan_hex(s, pos, 1, &v, NULL, err);
	if (rc)
		return rc;
	if (v > 7)
		return pvpci_parse_fail(err, start, "function %x out of range 0-7 at %zu", v, start);
	out->a.fn = (uint8_t)v;
	return 0;
}

/* After "A:" : B is the bus (long form) or the slot (short form), told by what follows. */
static int scan_after_first(const char *s, size_t *pos, unsigned wild, unsigned a,
			    unsigned a_digits, struct pvpci_sbdf_pattern *out,
			    struct pvpci_parse_err *err)
{
	size_t bpos = *pos;
	unsigned b;
	char cb[16];
	int rc;

	if (a_digits <= 2) {
		/* Could be the short form; decide by the separator after B. */
		if (s[bpos] != '*') {
			rc = scan_hex(s, pos, 2, &b, NULL, err);
			if (rc)
				return rc;
			if (s[*pos] == ':')
				goto long_form;
			if (s[*pos] != '.')
				return pvpci_parse_fail(err, *pos,
						      "expected ':' or '.' at %zu, found %s", *pos,
						      pci_describe_char(s, *pos, cb));
		}
		out->a.seg = 0;
		out->a.bus = (uint8_t)a;
		*pos = bpos;
		rc = scan_dev(s, pos, wild, out, err);
		return rc ? rc : scan_fn(s, pos, wild, out, err);
	}
	rc = scan_hex(s, pos, 2, &b, NULL, err);
	if (rc)
		return rc;
	if (s[*pos] != ':')
		return pvpci_parse_fail(err, *pos,
				      "expected ':' at %zu, found %s (after domain %04x comes "
				      "bus:device.function)", *pos, pci_describe_char(s, *pos, cb), a);
long_form:
	(*pos)++;
	out->a.seg = (uint16_t)a;
	out->a.bus = (uint8_t)b;
	rc = scan_dev(s, pos, wild, out, err);
	return rc ? rc : scan_fn(s, pos, wild, out, err);
}

int pci_scan_addr(const char *s, size_t *pos, unsigned wild, struct pvpci_sbdf_pattern *out,
		  struct pvpci_parse_err *err)
{
	unsigned a, a_digits;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = scan_hex(s, pos, 4, &a, &a_digits, err);
	if (rc)
		return rc;
	rc = expect_char(s, pos, ':', err);
	if (rc)
		return rc;
	return scan_after_first(s, pos, wild, a, a_digits, out, err);
}

static int expect_end(const char *s, size_t pos, struct pvpci_parse_err *err)
{
	char cb[16];

	if (s[pos])
		return pvpci_parse_fail(err, pos, "expected end of address at %zu, found %s", pos,
				      pci_describe_char(s, pos, cb));
	return 0;
}

int pvpci_sbdf_parse(const char *s, struct pvpci_sbdf *out, struct pvpci_parse_err *err)
{
	struct pvpci_sbdf_pattern p;
	size_t pos = 0;
	int rc;

	if (!s || !out)
		return pvpci_parse_fail(err, 0, "no address given");
	rc = pci_scan_addr(s, &pos, 0, &p, err);
	if (!rc)
		rc = expect_end(s, pos, err);
	if (!rc)
		*out = p.a;
	return rc;
}

char *pvpci_sbdf_str(struct pvpci_sbdf a, char buf[PVPCI_SBDF_STRLEN])
{
	snprintf(buf, PVPCI_SBDF_STRLEN, "%04x:%02x:%02x.%x", a.seg, a.bus, a.dev & 0x1f,
		 a.fn & 7);
	return buf;
}

int pvpci_pattern_parse(const char *s, struct pvpci_sbdf_pattern *out,
			struct pvpci_parse_err *err)
{
	struct pvpci_sbdf_pattern p;
	size_t pos = 0;
	int rc;

	if (!s || !out)
		return pvpci_parse_fail(err, 0, "no address given");
	rc = pci_scan_addr(s, &pos, PCI_WILD_DEV | PCI_WILD_FN, &p, err);
	if (!rc)
		rc = expect_end(s, pos, err);
	if (!rc)
		*out = p;
	return rc;
}

bool pvpci_pattern_match(const struct pvpci_sbdf_pattern *p, struct pvpci_sbdf a)
{
	return p->a.seg == a.seg && p->a.bus == a.bus && (p->any_dev || p->a.dev == a.dev) &&
	       (p->any_fn || p->a.fn == a.fn);
}

static size_t skip_space(const char *s, size_t pos)
{
	while (s[pos] && isspace((unsigned char)s[pos]))
		pos++;
	return pos;
}

int pvpci_hide_list_parse(const char *s, struct pvpci_sbdf_pattern *out, size_t max,
			  size_t *n, struct pvpci_parse_err *err)
{
	struct pvpci_sbdf_pattern p;
	size_t pos = 0, count = 0, open;
	int rc;

	if (n)
		*n = 0;
	if (!s || !n || (max && !out))
		return pvpci_parse_fail(err, 0, "no hide list given");
	for (pos = skip_space(s, 0); s[pos]; pos = skip_space(s, pos)) {
		open = pos;
		rc = expect_char(s, &pos, '(', err);
		if (rc)
			return rc;
		pos = skip_space(s, pos);
		rc = pci_scan_addr(s, &pos, PCI_WILD_DEV | PCI_WILD_FN, &p, err);
		if (rc)
			return rc;
		pos = skip_space(s, pos);
		rc = expect_char(s, &pos, ')', err);
		if (rc)
			return rc;
		if (count >= max) {
			pvpci_parse_fail(err, open, "more than %zu entries at %zu", max, open);
			return -E2BIG;
		}
		out[count++] = p;
	}
	*n = count;
	return 0;
}
