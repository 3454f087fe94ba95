/* SPDX-License-Identifier: MIT */
/*
 * The wire protocol: one handler per message type in a table (with xenstored's flags:
 * privileged-only, transaction id ignored). A request's payload is copied into private
 * memory with a terminating NUL, split into its NUL-terminated arguments and checked
 * before anything is done; every request gets exactly one reply of its own type, or an
 * ERROR reply naming the errno ("ENOENT"), with req_id and tx_id echoed. Unknown and
 * client-sent reply types are answered ENOSYS; privileged types from a guest EACCES.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

struct req {
	struct conn *conn;
	struct op_ctx c;
	const struct xsp_hdr *h;
	char *p;    /* payload, NUL-terminated at p[len] */
	size_t len;
};

#define WF_PRIV 1u  /* privileged domain only */
#define WF_NOTID 2u /* transaction id ignored */

static const struct {
	int err;
	const char *name;
} err_names[] = {
	{ EINVAL, "EINVAL" }, { EACCES, "EACCES" },       { EEXIST, "EEXIST" },
	{ EISDIR, "EISDIR" }, { ENOENT, "ENOENT" },       { ENOMEM, "ENOMEM" },
	{ ENOSPC, "ENOSPC" }, { EIO, "EIO" },             { ENOTEMPTY, "ENOTEMPTY" },
	{ ENOSYS, "ENOSYS" }, { EROFS, "EROFS" },         { EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" },     { E2BIG, "E2BIG" },
	{ EPERM, "EPERM" },
};

const char *wire_errname(int neg_errno)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(err_names); i++)
		if (err_names[i].err == -neg_errno)
			return err_names[i].name;
	return "EINVAL"; /* what xenstored sends for an untranslatable error */
}

static int reply(struct req *r, const void *data, size_t len)
{
	return conn_queue(r->conn, r->h->type, r->h->req_id, r->h->tx_id, data, len, NULL, 0);
}

static int reply_ok(struct req *r)
{
	return reply(r, "OK", 3);
}

static int reply_error(struct conn *conn, const struct xsp_hdr *h, int neg_errno)
{
	const char *name = wire_errname(neg_errno);

	return conn_queue(conn, XSP_ERROR, h->req_id, h->tx_id, name, strlen(name) + 1, NULL, 0);
}

/* Split the payload into at least n NUL-terminated strings (extra ones are ignored). */
static int args(struct req *r, const char **v, unsigned n)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *nul;

		if (off >= r->len)
			return -EINVAL;
		nul = memchr(r->p + off, '\0', r->len - off);
		if (!nul)
			return -EINVAL;
		v[i] = r->p + off;
		off = (size_t)(nul - r->p) + 1;
	}
	return 0;
}

/* Exactly one NUL-terminated string. */
static int onearg(struct req *r, const char **s)
{
	if (r->len == 0 || r->p[r->len - 1] != '\0' || strlen(r->p) != r->len - 1)
		return -EINVAL;
	*s = r->p;
	return 0;
}

static int parse_domid(const char *s, unsigned *out)
{
	uint64_t v;

	if (!*s || strspn(s, "0123456789") != strlen(s) || pvpci_parse_u64(s, XSP_DOMID_MAX, &v))
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* A canonical path from the client's argument. */
static int canon(struct req *r, const char *in, bool special, char **abs, bool *rel)
{
	bool dummy;

	return path_canon(r->c.st, r->c.domid, r->c.priv, in, special, abs, rel ? rel : &dummy);
}

/* The canonical path of the request's only argument (malloc'd). */
static int arg_path(struct req *r, bool special, char **path)
{
	const char *a;
	int rc = onearg(r, &a);

	return rc ? rc : canon(r, a, special, path, NULL);
}

/* The node named by the request's only argument, as the client may read it. */
static int arg_node(struct req *r, const struct node **n)
{
	char *path;
	int rc = arg_path(r, false, &path);

	if (rc)
		return rc;
	rc = op_read(&r->c, path, n);
	free(path);
	return rc;
}

static int w_directory(struct req *r)
{
	const struct node *n;
	int rc = arg_node(r, &n);

	if (rc)
		return rc;
	if (n->chlen > XSP_PAYLOAD_MAX)
		return -E2BIG;
	return reply(r, n->children, n->chlen);
}

/* Children from a byte offset, whole names only, after the node's generation; a final
 * empty name marks the end of the list. */
static int w_directory_part(struct req *r)
{
	char gen[24], *path, *buf;
	const struct node *n;
	const char *v[2];
	size_t off, len = 0, glen;
	uint64_t o;
	int rc = args(r, v, 2);

	if (rc)
		return rc;
	if (pvpci_parse_u64(v[1], UINT32_MAX, &o))
		return -EINVAL;
	rc = canon(r, v[0], false, &path, NULL);
	if (rc)
		return rc;
	rc = op_read(&r->c, path, &n);
	free(path);
	if (rc)
		return rc;
	glen = (size_t)snprintf(gen, sizeof(gen), "%" PRIu64, n->gen) + 1;
	off = o < n->chlen ? (size_t)o : n->chlen;
	while (off + len < n->chlen) {
		size_t l = strlen(n->children + off + len) + 1;

		if (glen + len + l + 1 > XSP_PAYLOAD_MAX)
			break;
		len += l;
	}
	buf = malloc(glen + len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, gen, glen);
	if (len) /* a node without children has none (NULL) */
		memcpy(buf + glen, n->children + off, len);
	buf[glen + len] = '\0';
	rc = reply(r, buf, glen + len + (off + len == n->chlen ? 1 : 0));
	free(buf);
	return rc;
}

static int w_read(struct req *r)
{
	const struct node *n;
	int rc = arg_node(r, &n);

	return rc ? rc : reply(r, n->value, n->vlen);
}

static int reply_perms(struct req *r, const struct pvpci_store_perm *p, unsigned np)
{
	char buf[XSP_PAYLOAD_MAX];
	size_t len = 0;

	for (unsigned i = 0; i < np; i++) {
		int l = perm_format(&p[i], buf + len, sizeof(buf) - len);

		if (l < 0)
			return -E2BIG;
		len += (size_t)l + 1;
	}
	return reply(r, buf, len);
}

static int w_get_perms(struct req *r)
{
	const struct node *n;
	char *path;
	int rc = arg_path(r, true, &path), idx;

	if (rc)
		return rc;
	if (path[0] == '@') {
		idx = special_index(path);
		free(path);
		if (idx < 0)
			return -ENOENT;
		if (!(perm_access(r->c.domid, r->c.priv, r->c.st->special_perms[idx],
				  r->c.st->nspecial[idx]) & ACC_READ))
			return -EACCES;
		return reply_perms(r, r->c.st->special_perms[idx], r->c.st->nspecial[idx]);
	}
	rc = op_get_perms(&r->c, path, &n);
	free(path);
	return rc ? rc : reply_perms(r, n->perms, n->nperms);
}

static int w_set_perms(struct req *r)
{
	struct pvpci_store_perm *p;
	size_t plen = strnlen(r->p, r->len);
	char *path = NULL;
	unsigned np;
	int rc;

	if (plen >= r->len)
		return -EINVAL;
	rc = perms_parse(r->p + plen + 1, r->len - plen - 1, &p, &np);
	if (rc)
		return rc == -E2BIG ? -ENOSPC : rc;
	rc = canon(r, r->p, true, &path, NULL);
	if (!rc && path[0] == '@')
		rc = r->c.priv ? store_set_special_perms(r->c.st, path, p, np) : -EACCES;
	else if (!rc)
		rc = op_set_perms(&r->c, path, p, np);
	free(path);
	free(p);
	return rc ? rc : reply_ok(r);
}

static int w_watch(struct req *r)
{
	struct watch *w;
	const char *v[2];
	char *path;
	bool rel;
	int rc = args(r, v, 2);

	if (!rc)
		rc = canon(r, v[0], true, &path, &rel);
	if (rc)
		return rc;
	rc = watch_add(&r->c, path, v[1], rel, NULL, NULL, &w);
	if (!rc)
		rc = reply_ok(r);
	if (!rc)
		watch_deliver(r->c.st, w, path); /* fires once on registration, after the ack */
	free(path);
	return rc;
}

static int w_unwatch(struct req *r)
{
	const char *v[2];
	char *path;
	int rc = args(r, v, 2);

	if (!rc)
		rc = canon(r, v[0], true, &path, NULL);
	if (rc)
		return rc;
	rc = watch_del(&r->c, path, v[1]);
	free(path);
	return rc ? rc : reply_ok(r);
}

static int w_transaction_start(struct req *r)
{
	char buf[16];
	uint32_t id;
	int rc;

	if (r->c.tx)
		return -EBUSY;
	rc = tx_start(&r->c, &id);
	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "%" PRIu32, id);
	return reply(r, buf, strlen(buf) + 1);
}

static int w_transaction_end(struct req *r)
{
	const char *a;
	int rc = onearg(r, &a);

	if (rc)
		return rc;
	if (!r->c.tx)
		return -ENOENT;
	if (strcmp(a, "T") && strcmp(a, "F"))
		return -EINVAL;
	rc = tx_end(&r->c, a[0] == 'T');
	return rc ? rc : reply_ok(r);
}

static int w_introduce(struct req *r)
{
	const char *v[3];
	unsigned domid;
	int rc = args(r, v, 3);

	if (!rc)
		rc = parse_domid(v[0], &domid);
	if (!rc && domid == 0)
		rc = -EINVAL;
	if (!rc)
		rc = pvpci_store_introduce_domain(r->c.st, domid);
	return rc ? rc : reply_ok(r);
}

static int w_release(struct req *r)
{
	const char *a;
	unsigned domid;
	int rc = onearg(r, &a);

	if (!rc)
		rc = parse_domid(a, &domid);
	if (!rc && domid == 0)
		rc = -EINVAL;
	if (!rc)
		rc = pvpci_store_release_domain(r->c.st, domid);
	return rc ? rc : reply_ok(r);
}

static int w_get_domain_path(struct req *r)
{
	char buf[32];
	const char *a;
	unsigned domid;
	int rc = onearg(r, &a);

	if (!rc)
		rc = parse_domid(a, &domid);
	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
	return reply(r, buf, strlen(buf) + 1);
}

static int w_is_domain_introduced(struct req *r)
{
	const char *a;
	unsigned domid;
	int rc = onearg(r, &a);

	if (!rc)
		rc = parse_domid(a, &domid);
	if (rc)
		return rc;
	return reply(r, store_domain_introduced(r->c.st, domid) ? "T" : "F", 2);
}

static int w_write(struct req *r)
{
	size_t plen = strnlen(r->p, r->len);
	char *path;
	int rc;

	if (plen >= r->len)
		return -EINVAL;
	rc = canon(r, r->p, false, &path, NULL);
	if (rc)
		return rc;
	rc = op_write(&r->c, path, r->p + plen + 1, r->len - plen - 1);
	free(path);
	return rc ? rc : reply_ok(r);
}

static int path_op(struct req *r, int (*op)(struct op_ctx *, const char *))
{
	char *path;
	int rc = arg_path(r, false, &path);

	if (rc)
		return rc;
	rc = op(&r->c, path);
	free(path);
	return rc ? rc : reply_ok(r);
}

static int w_mkdir(struct req *r)
{
	return path_op(r, op_mkdir);
}

static int w_rm(struct req *r)
{
	return path_op(r, op_rm);
}

static int w_reset_watches(struct req *r)
{
	watch_del_conn(r->c.st, r->conn);
	while (r->conn->txs)
		tx_free(r->c.st, r->conn->txs);
	r->c.tx = NULL;
	return reply_ok(r);
}

static int w_unsupported(struct req *r)
{
	return -ENOSYS;
}

static const struct {
	int (*fn)(struct req *r);
	unsigned flags;
} wire_ops[XSP_TYPE_COUNT] = {
	[XSP_CONTROL] = { w_unsupported, WF_PRIV },
	[XSP_DIRECTORY] = { w_directory, 0 },
	[XSP_READ] = { w_read, 0 },
	[XSP_GET_PERMS] = { w_get_perms, 0 },
	[XSP_WATCH] = { w_watch, WF_NOTID },
	[XSP_UNWATCH] = { w_unwatch, WF_NOTID },
	[XSP_TRANSACTION_START] = { w_transaction_start, 0 },
	[XSP_TRANSACTION_END] = { w_transaction_end, 0 },
	[XSP_INTRODUCE] = { w_introduce, WF_PRIV },
	[XSP_RELEASE] = { w_release, WF_PRIV },
	[XSP_GET_DOMAIN_PATH] = { w_get_domain_path, 0 },
	[XSP_WRITE] = { w_write, 0 },
	[XSP_MKDIR] = { w_mkdir, 0 },
	[XSP_RM] = { w_rm, 0 },
	[XSP_SET_PERMS] = { w_set_perms, 0 },
	[XSP_IS_DOMAIN_INTRODUCED] = { w_is_domain_introduced, WF_PRIV },
	[XSP_RESUME] = { w_unsupported, WF_PRIV },
	[XSP_SET_TARGET] = { w_unsupported, WF_PRIV },
	[XSP_RESET_WATCHES] = { w_reset_watches, 0 },
	[XSP_DIRECTORY_PART] = { w_directory_part, 0 },
};

int wire_handle(struct conn *conn, const struct xsp_hdr *h, const char *payload)
{
	char buf[XSP_PAYLOAD_MAX + 1];
	struct req r = {
		.conn = conn,
		.c = { .st = conn->st, .domid = conn->domid, .priv = conn->domid == 0,
		       .conn = conn },
		.h = h,
		.p = buf,
		.len = h->len,
	};
	int rc;

	if (h->len > XSP_PAYLOAD_MAX)
		return -EPROTO;
	memcpy(buf, payload, h->len);
	buf[h->len] = '\0';
	conn->st->stats.requests++;
	if (h->type >= XSP_TYPE_COUNT || !wire_ops[h->type].fn) {
		rc = -ENOSYS;
	} else if ((wire_ops[h->type].flags & WF_PRIV) && !r.c.priv) {
		rc = -EACCES;
	} else if (!(wire_ops[h->type].flags & WF_NOTID) && h->tx_id &&
		   !(r.c.tx = tx_lookup(conn, h->tx_id))) {
		rc = -ENOENT;
	} else {
		rc = wire_ops[h->type].fn(&r);
	}
	if (conn->ep.dead)
		return 0;
	if (rc && reply_error(conn, h, rc))
		return -ENOMEM; /* cannot answer: the client would wait forever */
	return 0;
}
