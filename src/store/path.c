/* SPDX-License-Identifier: MIT */
/*
 * Paths and permissions: canonical absolute paths (relative ones resolve against
 * /local/domain/<domid>), xenstore's path syntax (alphanumerics and -/_@, no empty,
 * doubled or trailing slash, bounded length), the special "@..." watch paths, the access a
 * domain has to a node under xenstore's rules (domain 0 and the owner get everything, else
 * the domain's own entry, else the default of entry 0) and the "r1" text form of a
 * permission entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const char perm_chars[4] = { 'n', 'r', 'w', 'b' };

static bool path_char_ok(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

bool path_valid(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	if (p[len - 1] == '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!path_char_ok((unsigned char)p[i]))
			return false;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return false;
	}
	return true;
}

bool special_path_valid(const char *p)
{
	size_t len = strlen(p);

	if (len < 2 || p[0] != '@' || len > XSP_ABS_PATH_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!path_char_ok((unsigned char)p[i]))
			return false;
	return true;
}

bool path_is_child(const char *child, const char *parent)
{
	size_t pl = strlen(parent);

	if (pl == 1 && parent[0] == '/')
		return child[0] == '/';
	return !strncmp(child, parent, pl) && (child[pl] == '\0' || child[pl] == '/');
}

size_t path_parent_len(const char *p)
{
	const char *slash = strrchr(p, '/');

	if (!slash || slash == p)
		return 1;
	return (size_t)(slash - p);
}

int path_canon(const struct pvpci_store *st, unsigned domid, bool priv, const char *in,
	       bool allow_special, char **out, bool *relative)
{
	size_t max = priv ? XSP_ABS_PATH_MAX : st->q.path_len;
	char *abs;
	int n;

	*relative = false;
	if (in[0] == '@') {
		if (!allow_special || !special_path_valid(in))
			return -EINVAL;
		abs = strdup(in);
		if (!abs)
			return -ENOMEM;
		*out = abs;
		return 0;
	}
	if (in[0] == '/') {
		if (strlen(in) > max)
			return -EINVAL;
		abs = strdup(in);
	} else {
		if (strlen(in) > XSP_ABS_PATH_MAX)
			return -EINVAL;
		n = asprintf(&abs, "/local/domain/%u/%s", domid, in);
		if (n < 0)
			abs = NULL;
		*relative = true;
	}
	if (!abs)
		return -ENOMEM;
	if (strlen(abs) > max || !path_valid(abs, strlen(abs))) {
		free(abs);
		return -EINVAL;
	}
	*out = abs;
	return 0;
}

unsigned perm_access(unsigned domid, bool priv, const struct pvpci_store_perm *p,
		     unsigned n)
{
	if (priv || n == 0 || p[0].domid == domid)
		return ACC_READ | ACC_WRITE | ACC_OWNER;
	for (unsigned i = 1; i < n; i++)
		if (p[i].domid == domid)
			return p[i].access;
	return p[0].access;
}

static int perm_parse_one(const char *s, size_t len, struct pvpci_store_perm *out)
{
	unsigned long v = 0;
	int acc = -1;

	if (len < 2 || len > 6)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (s[0] == perm_chars[i])
			acc = i;
	if (acc < 0)
		return -EINVAL;
	for (size_t i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > XSP_DOMID_MAX)
		return -EINVAL;
	out->domid = (unsigned)v;
	out->access = (enum pvpci_store_access)acc;
	return 0;
}

static bool is_sep(char c, bool wire)
{
	return c == '\0' || (!wire && (c == ' ' || c == ','));
}

/* Entries separated by NUL (wire: each one NUL-terminated) or also space / comma. */
static int perms_parse_sep(const char *s, size_t len, bool wire,
			   struct pvpci_store_perm **out, unsigned *n)
{
	struct pvpci_store_perm *p = NULL;
	unsigned cnt = 0;
	size_t i = 0;
	int rc = 0;

	if (wire && (len == 0 || s[len - 1] != '\0'))
		return -EINVAL;
	while (i < len && rc == 0) {
		size_t start = i;

		while (i < len && !is_sep(s[i], wire))
			i++;
		if (i == start) {
			if (wire)
				rc = -EINVAL;
			i++;
			continue;
		}
		if (cnt >= PERMS_MAX_ENTRIES) {
			rc = -E2BIG;
			break;
		}
		if (cnt % 8 == 0) {
			void *np = realloc(p, (cnt + 8) * sizeof(*p));

			if (!np) {
				rc = -ENOMEM;
				break;
			}
			p = np;
		}
		rc = perm_parse_one(s + start, i - start, &p[cnt]);
		cnt++;
		i++;
	}
	if (!rc && cnt == 0)
		rc = -EINVAL;
	if (rc) {
		free(p);
		return rc;
	}
	*out = p;
	*n = cnt;
	return 0;
}

int perms_parse(const char *s, size_t len, struct pvpci_store_perm **out, unsigned *n)
{
	return perms_parse_sep(s, len, true, out, n);
}

int perms_parse_text(const char *s, size_t len, struct pvpci_store_perm **out, unsigned *n)
{
	return perms_parse_sep(s, len, false, out, n);
}

int perm_format(const struct pvpci_store_perm *p, char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "%c%u", perm_chars[p->access & 3], p->domid);

	return (n < 0 || (size_t)n >= sz) ? -ENOSPC : n;
}
