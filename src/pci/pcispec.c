/* SPDX-License-Identifier: MIT */
/*
 * xl's PCI spec: "[dddd:]bb:dd.f[@vslot][,key=value]...", the address with '*' allowed for
 * the function (all functions), the guest slot in hex after '@', then options from a table
 * of keys (0/1 flags, rdm_policy, name). Unknown keys, bad values and repeated keys are
 * errors that name the byte where they start.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "pci_priv.h"

enum spec_kind { SPEC_BOOL, SPEC_RDM, SPEC_NAME };

struct spec_key {
	const char *name;
	enum spec_kind kind;
	size_t off; /* offset of the field in struct pvpci_pci_spec */
};

static const struct spec_key spec_keys[] = {
	{ "permissive", SPEC_BOOL, offsetof(struct pvpci_pci_spec, permissive) },
	{ "msitranslate", SPEC_BOOL, offsetof(struct pvpci_pci_spec, msitranslate) },
	{ "power_mgmt", SPEC_BOOL, offsetof(struct pvpci_pci_spec, power_mgmt) },
	{ "seize", SPEC_BOOL, offsetof(struct pvpci_pci_spec, seize) },
	{ "rdm_policy", SPEC_RDM, offsetof(struct pvpci_pci_spec, rdm_policy) },
	{ "name", SPEC_NAME, offsetof(struct pvpci_pci_spec, name) },
};

static const struct {
	const char *word;
	enum pvpci_rdm_policy policy;
} rdm_words[] = {
	{ "strict", PVPCI_RDM_STRICT },
	{ "relaxed", PVPCI_RDM_RELAXED },
};

static bool word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}

static int set_bool(const char *s, size_t pos, size_t len, int *field,
		    struct pvpci_parse_err *err)
{
	if (len == 1 && (s[pos] == '0' || s[pos] == '1')) {
		*field = s[pos] - '0';
		return 0;
	}
	return pvpci_parse_fail(err, pos, "expected 0 or 1 at %zu", pos);
}

static int set_rdm(const char *s, size_t pos, size_t len, enum pvpci_rdm_policy *field,
		   struct pvpci_parse_err *err)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(rdm_words); i++) {
		if (word_is(s + pos, len, rdm_words[i].word)) {
			*field = rdm_words[i].policy;
			return 0;
		}
	}
	return pvpci_parse_fail(err, pos, "expected 'strict' or 'relaxed' at %zu", pos);
}

static int set_name(const char *s, size_t pos, size_t len, char *field, size_t cap,
		    struct pvpci_parse_err *err)
{
	if (!len)
		return pvpci_parse_fail(err, pos, "expected a name at %zu", pos);
	if (len >= cap)
		return pvpci_parse_fail(err, pos + cap - 1, "name longer than %zu bytes at %zu",
				      cap - 1, pos + cap - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[pos + i];

		if (c < 0x20 || c > 0x7e)
			return pvpci_parse_fail(err, pos + i,
					      "expected a printable character at %zu, found "
					      "byte 0x%02x", pos + i, c);
	}
	memcpy(field, s + pos, len);
	field[len] = 0;
	return 0;
}

/* One "key=value" at s[pos]; the value runs to the next ',' or the end. */
static int parse_option(const char *s, size_t *pos, struct pvpci_pci_spec *out,
			unsigned *seen, struct pvpci_parse_err *err)
{
	size_t kpos = *pos, klen = 0, vpos, vlen = 0;
	const struct spec_key *k = NULL;
	char *base = (char *)out;

	while (s[kpos + klen] && s[kpos + klen] != '=' && s[kpos + klen] != ',')
		klen++;
	if (!klen)
		return pvpci_parse_fail(err, kpos, "expected a key at %zu", kpos);
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(spec_keys) && !k; i++)
		if (word_is(s + kpos, klen, spec_keys[i].name))
			k = &spec_keys[i];
	if (!k)
		return pvpci_parse_fail(err, kpos, "unknown key '%.*s' at %zu (expected permissive, "
				      "msitranslate, power_mgmt, seize, rdm_policy or name)",
				      (int)(klen > 24 ? 24 : klen), s + kpos, kpos);
	if (s[kpos + klen] != '=')
		return pvpci_parse_fail(err, kpos + klen, "expected '=' at %zu", kpos + klen);
	if (*seen & (1u << (k - spec_keys)))
		return pvpci_parse_fail(err, kpos, "duplicate key '%s' at %zu", k->name, kpos);
	*seen |= 1u << (k - spec_keys);
	vpos = kpos + klen + 1;
	while (s[vpos + vlen] && s[vpos + vlen] != ',')
		vlen++;
	*pos = vpos + vlen;
	switch (k->kind) {
	case SPEC_BOOL:
		return set_bool(s, vpos, vlen, (int *)(base + k->off), err);
	case SPEC_RDM:
		return set_rdm(s, vpos, vlen, (enum pvpci_rdm_policy *)(base + k->off), err);
	default:
		return set_name(s, vpos, vlen, base + k->off, sizeof(out->name), err);
	}
}

/* "@vslot": one or two hex digits, at most 0x1f. */
static int parse_vslot(const char *s, size_t *pos, int *vslot, struct pvpci_parse_err *err)
{
	size_t start = *pos;
	unsigned v = 0, n = 0;

	while (n < 3 && isxdigit((unsigned char)s[start + n])) {
		char c = s[start + n];

		v = v * 16 + (unsigned)(isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10);
		n++;
	}
	if (!n)
		return pvpci_parse_fail(err, start, "expected a hex slot number after '@' at %zu",
				      start);
	if (v > 0x1f)
		return pvpci_parse_fail(err, start, "vslot %x out of range 0-1f at %zu", v, start);
	*vslot = (int)v;
	*pos = start + n;
	return 0;
}

static void spec_defaults(struct pvpci_pci_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->vslot = -1;
	sp->permissive = -1;
	sp->msitranslate = -1;
	sp->power_mgmt = -1;
	sp->seize = -1;
	sp->rdm_policy = PVPCI_RDM_UNSET;
}

int pvpci_pci_spec_parse(const char *s, struct pvpci_pci_spec *out,
			 struct pvpci_parse_err *err)
{
	struct pvpci_pci_spec sp;
	unsigned seen = 0;
	size_t pos = 0;
	char cb[16];
	int rc;

	if (!s || !out)
		return pvpci_parse_fail(err, 0, "no PCI spec given");
	if (!*s)
		return pvpci_parse_fail(err, 0, "empty PCI spec: expected [dddd:]bb:dd.f at 0");
	spec_defaults(&sp);
	rc = pci_scan_addr(s, &pos, PCI_WILD_FN, &sp.addr, err);
	if (rc)
		return rc;
	if (s[pos] == '@') {
		pos++;
		rc = parse_vslot(s, &pos, &sp.vslot, err);
		if (rc)
			return rc;
	}
	while (s[pos]) {
		if (s[pos] != ',')
			return pvpci_parse_fail(err, pos, "expected ',' or end at %zu, found %s", pos,
					      pci_describe_char(s, pos, cb));
		pos++;
		rc = parse_option(s, &pos, &sp, &seen, err);
		if (rc)
			return rc;
	}
	*out = sp;
	return 0;
}
