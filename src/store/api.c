/* SPDX-License-Identifier: MIT */
/*
 * In-process access for the host daemon: the same operations as the wire protocol,
 * performed as domain 0 outside any transaction, on absolute paths. Changes fire watches
 * like any client's; the replies and events they queue are sent before the call returns
 * (or at the end of the round when called from a watch callback).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static struct op_ctx dom0_ctx(struct pvpci_store *st)
{
	struct op_ctx c = { .st = st, .domid = 0, .priv = true };

	return c;
}

/* An absolute path checked like a client's (or a special one when allowed). */
static int api_path(struct pvpci_store *st, const char *in, bool special, char **out)
{
	bool rel;

	if (!in || (in[0] != '/' && !(special && in[0] == '@')))
		return -EINVAL;
	return path_canon(st, 0, true, in, special, out, &rel);
}

int pvpci_store_write(struct pvpci_store *st, const char *path, const void *val, size_t len)
{
	struct op_ctx c = dom0_ctx(st);
	char *p;
	int rc = api_path(st, path, false, &p);

	if (rc)
		return rc;
	rc = op_write(&c, p, val ? val : "", val ? len : 0);
	free(p);
	store_api_done(st);
	return rc;
}

int pvpci_store_printf(struct pvpci_store *st, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = pvpci_store_write(st, path, s, (size_t)n);
	free(s);
	return rc;
}

int pvpci_store_read(struct pvpci_store *st, const char *path, char **val, size_t *len)
{
	struct op_ctx c = dom0_ctx(st);
	const struct node *n;
	char *p, *v;
	int rc = api_path(st, path, false, &p);

	if (rc)
		return rc;
	rc = op_read(&c, p, &n);
	free(p);
	if (rc)
		return rc;
	v = malloc(n->vlen + 1);
	if (!v)
		return -ENOMEM;
	if (n->vlen)
		memcpy(v, n->value, n->vlen);
	v[n->vlen] = '\0';
	*val = v;
	if (len)
		*len = n->vlen;
	return 0;
}

static int api_path_op(struct pvpci_store *st, const char *path,
		       int (*op)(struct op_ctx *, const char *))
{
	struct op_ctx c = dom0_ctx(st);
	char *p;
	int rc = api_path(st, path, false, &p);

	if (rc)
		return rc;
	rc = op(&c, p);
	free(p);
	store_api_done(st);
	return rc;
}

int pvpci_store_mkdir(struct pvpci_store *st, const char *path)
{
	return api_path_op(st, path, op_mkdir);
}

int pvpci_store_rm(struct pvpci_store *st, const char *path)
{
	int rc = api_path_op(st, path, op_rm);

	return rc == -ENOENT ? 0 : rc;
}

int pvpci_store_directory(struct pvpci_store *st, const char *path, char ***names,
			  unsigned *num)
{
	struct op_ctx c = dom0_ctx(st);
	const struct node *n;
	unsigned cnt = 0, i = 0;
	char **arr, *strs, *p;
	int rc = api_path(st, path, false, &p);

	if (rc)
		return rc;
	rc = op_read(&c, p, &n);
	free(p);
	if (rc)
		return rc;
	for (size_t off = 0; off < n->chlen; off += strlen(n->children + off) + 1)
		cnt++;
	arr = malloc(cnt * sizeof(*arr) + n->chlen + 1);
	if (!arr)
		return -ENOMEM;
	strs = (char *)(arr + cnt);
	if (n->chlen)
		memcpy(strs, n->children, n->chlen);
	for (size_t off = 0; off < n->chlen; off += strlen(strs + off) + 1)
		arr[i++] = strs + off;
	*names = arr;
	*num = cnt;
	return 0;
}

int pvpci_store_set_perms(struct pvpci_store *st, const char *path,
			  const struct pvpci_store_perm *perms, unsigned n)
{
	struct op_ctx c = dom0_ctx(st);
	char *p;
	int rc;

	if (!perms || n == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (perms[i].domid > XSP_DOMID_MAX || (unsigned)perms[i].access > 3)
			return -EINVAL;
	rc = api_path(st, path, true, &p);
	if (rc)
		return rc;
	if (p[0] == '@')
		rc = store_set_special_perms(st, p, perms, n);
	else
		rc = op_set_perms(&c, p, perms, n);
	free(p);
	store_api_done(st);
	return rc;
}

int pvpci_store_set_perms_str(struct pvpci_store *st, const char *path, const char *str,
			      size_t str_len)
{
	struct pvpci_store_perm *p;
	unsigned n;
	int rc;

	if (!str)
		return -EINVAL;
	rc = perms_parse_text(str, str_len ? str_len : strlen(str), &p, &n);
	if (rc)
		return rc;
	rc = pvpci_store_set_perms(st, path, p, n);
	free(p);
	return rc;
}

int pvpci_store_get_perms(struct pvpci_store *st, const char *path,
			  struct pvpci_store_perm *perms, unsigned max, unsigned *n)
{
	struct op_ctx c = dom0_ctx(st);
	const struct pvpci_store_perm *src;
	const struct node *node;
	unsigned cnt;
	char *p;
	int rc = api_path(st, path, true, &p), idx;

	if (rc)
		return rc;
	if (p[0] == '@') {
		idx = special_index(p);
		rc = idx < 0 ? -ENOENT : 0;
		src = idx < 0 ? NULL : st->special_perms[idx];
		cnt = idx < 0 ? 0 : st->nspecial[idx];
	} else {
		rc = op_get_perms(&c, p, &node);
		src = rc ? NULL : node->perms;
		cnt = rc ? 0 : node->nperms;
	}
	free(p);
	if (rc)
		return rc;
	if (perms && max)
		memcpy(perms, src, (cnt < max ? cnt : max) * sizeof(*perms));
	*n = cnt;
	return 0;
}

int pvpci_store_watch(struct pvpci_store *st, const char *path, const char *token,
		      pvpci_store_watch_fn fn, void *opaque)
{
	struct op_ctx c = dom0_ctx(st);
	struct watch *w;
	char *p;
	int rc;

	if (!fn || !token)
		return -EINVAL;
	rc = api_path(st, path, true, &p);
	if (rc)
		return rc;
	rc = watch_add(&c, p, token, false, fn, opaque, &w);
	if (!rc)
		watch_deliver(st, w, p);
	free(p);
	return rc;
}

int pvpci_store_unwatch(struct pvpci_store *st, const char *path, const char *token)
{
	struct op_ctx c = dom0_ctx(st);
	char *p;
	int rc;

	if (!token)
		return -EINVAL;
	rc = api_path(st, path, true, &p);
	if (rc)
		return rc;
	rc = watch_del(&c, p, token);
	free(p);
	return rc;
}
