/* SPDX-License-Identifier: MIT */
/*
 * The model source: opens one device of an lspci dump (the pci module parses the dump)
 * and reads the model's extra comment lines for it: "# bar<N> <size>", "# rom <size>"
 * (hex, a power of two) and "# vpd <hex bytes>" (the VPD image; several lines append).
 * Other comment lines are free text. Errors name the line they come from. Also here:
 * the ops table, close, and pvpci_model_raise (INTx, MSI, MSI-X).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_priv.h"

#define MODEL_MAX_DEVICES 256
#define MODEL_FILE_MAX (4u << 20)

static void model_close(struct pvpci_source *s)
{
	struct model *m = model_of(s);

	free(m->msix.table);
	free(m->msix.pba);
	free(m->vpd_img);
	model_pages_free(m);
	free(m);
}

static const struct pvpci_source_ops model_ops = {
	.name = "model",
	.cfg_read = model_cfg_read,
	.cfg_write = model_cfg_write,
	.bar_info = model_bar_info,
	.bar_read = model_bar_read,
	.bar_write = model_bar_write,
	.reset = model_reset,
	.enable = NULL, /* the generic path: COMMAND decode bits from the BARs */
	.close = model_close,
};

bool pvpci_source_is_model(const struct pvpci_source *s)
{
	return s && s->ops == &model_ops;
}

/* ---- Comment lines ---- */
struct parse_ctx {
	size_t want;
	struct model_extra x;
};

/* A hex size ("80000" or "0x80000"): non-zero, a power of two. */
static int parse_size(const char *tok, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
		i = 2;
	if (i == n || n - i > 16)
		return -EINVAL;
	for (; i < n; i++) {
		if (!isxdigit((unsigned char)tok[i]))
			return -EINVAL;
		v = v * 16 + (uint64_t)(isdigit((unsigned char)tok[i]) ? tok[i] - '0' :
					(tolower((unsigned char)tok[i]) - 'a' + 10));
	}
	if (v == 0 || (v & (v - 1)))
		return -ERANGE;
	*out = v;
	return 0;
}

static int vpd_line(struct parse_ctx *c, bool mine, const char *p, size_t pos,
		    struct pvpci_parse_err *err)
{
	unsigned nib = 0, cur = 0;

	for (; *p && *p != '\n' && *p != '\r'; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (!isxdigit((unsigned char)*p))
			return pvpci_parse_fail(err, pos, "vpd: '%c' is not a hex digit", *p);
		cur = cur * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' :
					    tolower((unsigned char)*p) - 'a' + 10);
		if (++nib % 2)
			continue;
		if (mine) {
			if (c->x.vpd_len >= MODEL_VPD_MAX)
				return pvpci_parse_fail(err, pos, "vpd: image over %u bytes", MODEL_VPD_MAX);
			c->x.vpd[c->x.vpd_len++] = (uint8_t)cur;
		}
		cur = 0;
	}
	if (nib % 2)
		return pvpci_parse_fail(err, pos, "vpd: odd number of hex digits");
	if (mine)
		c->x.has_vpd = true;
	return 0;
}

static int size_line(struct parse_ctx *c, bool mine, unsigned slot, const char *p, size_t pos,
		     struct pvpci_parse_err *err)
{
	const char *name = slot == PCI_ROM_SLOT ? "rom" : "bar";
	size_t n;
	uint64_t v;
	int rc;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n == 0)
		return pvpci_parse_fail(err, pos, "%s: missing size", name);
	rc = parse_size(p, n, &v);
	if (rc == -ERANGE)
		return pvpci_parse_fail(err, pos, "%s: size %.*s is not a power of two", name, (int)n, p);
	if (rc < 0)
		return pvpci_parse_fail(err, pos, "%s: bad size '%.*s' (hex expected)", name, (int)n, p);
	p += n;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p && *p != '\n')
		return pvpci_parse_fail(err, pos, "%s: trailing text '%s'", name, p);
	if (!mine)
		return 0;
	if (c->x.has_size[slot])
		return pvpci_parse_fail(err, pos, "%s: size given twice", name);
	c->x.has_size[slot] = true;
	c->x.size[slot] = v;
	c->x.line_pos[slot] = pos;
	return 0;
}

static int on_comment(void *arg, size_t dev, const char *line, struct pvpci_parse_err *err)
{
	struct parse_ctx *c = arg;
	size_t pos = err ? err->pos : 0; /* the parser presets it to the line */
	bool mine = dev == c->want;
	const char *p = line;
	size_t n;

	while (*p == ' ' || *p == '\t' || *p == '#')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n >= 4 && strncmp(p, "bar", 3) == 0 && isdigit((unsigned char)p[3])) {
		if (n != 4 || p[3] > '5')
			return pvpci_parse_fail(err, pos,
					"%.*s: no such BAR (bar0..bar5; the ROM is '# rom SIZE')",
					(int)n, p);
		return size_line(c, mine, (unsigned)(p[3] - '0'), p + n, pos, err);
	}
	if (n == 3 && strncmp(p, "rom", 3) == 0)
		return size_line(c, mine, PCI_ROM_SLOT, p + n, pos, err);
	if (n == 3 && strncmp(p, "vpd", 3) == 0)
		return vpd_line(c, mine, p + n, pos, err);
	return 0; /* free text */
}

/* Prefix "line N: " when the error has a position in the text. */
static void err_line(struct pvpci_parse_err *err, const char *text, size_t len)
{
	char msg[sizeof(err->msg)];
	unsigned line = 1;

	if (!err || err->pos >= len || strncmp(err->msg, "line ", 5) == 0)
		return;
	for (size_t i = 0; i < err->pos; i++)
		line += text[i] == '\n';
	memcpy(msg, err->msg, sizeof(msg));
	msg[sizeof(msg) - 1] = 0;
	if (snprintf(err->msg, sizeof(err->msg), "line %u: %.100s", line, msg) < 0)
		err->msg[0] = 0;
}

/* ---- Open ---- */
static int model_build(const struct pvpci_dump *d, const struct model_extra *x,
		       const struct pvpci_log *log, struct pvpci_source **out,
		       struct pvpci_parse_err *err)
{
	struct model *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	pvpci_source_init(&m->src, &model_ops, d->sbdf, d->title,
			  d->size > PCI_CFG_SIZE ? PCIE_CFG_SIZE : PCI_CFG_SIZE, log);
	memcpy(m->init, d->cfg, d->size < sizeof(m->init) ? d->size : sizeof(m->init));
	m->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(1000, 10);
	rc = model_setup(m, x, err);
	if (rc < 0) {
		model_close(&m->src);
		return rc;
	}
	*out = &m->src;
	return 0;
}

static int parse(const char *text, size_t len, struct parse_ctx *c, struct pvpci_dump **dumps,
		 size_t *n, struct pvpci_parse_err *err)
{
	int rc;

	*dumps = calloc(MODEL_MAX_DEVICES, sizeof(**dumps));
	c->x.vpd = calloc(1, MODEL_VPD_MAX);
	if (!*dumps || !c->x.vpd)
		return -ENOMEM;
	err->pos = SIZE_MAX;
	err->msg[0] = 0;
	rc = pvpci_dump_parse(text, len, *dumps, MODEL_MAX_DEVICES, n, on_comment, c, err);
	if (rc < 0)
		err_line(err, text, len);
	return rc;
}

int pvpci_model_open_text(const char *text, size_t len, size_t index,
			  const struct pvpci_log *log, struct pvpci_source **out,
			  struct pvpci_parse_err *err)
{
	struct pvpci_parse_err local;
	struct parse_ctx c = { .want = index };
	struct pvpci_dump *dumps = NULL;
	size_t n = 0;
	int rc;

	if (!err)
		err = &local;
	if (!text || !out)
		return -EINVAL;
	*out = NULL;
	rc = parse(text, len, &c, &dumps, &n, err);
	if (rc == 0 && index >= n) {
		snprintf(err->msg, sizeof(err->msg), "device %zu asked, the model has %zu", index,
			 n);
		rc = -ENOENT;
	}
	if (rc == 0) {
		err->pos = SIZE_MAX;
		rc = model_build(&dumps[index], &c.x, log, out, err);
		if (rc < 0)
			err_line(err, text, len);
	}
	if (rc < 0 && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s", pvpci_errname(rc));
	free(dumps);
	free(c.x.vpd);
	return rc;
}

static int read_file(const char *path, char **text, size_t *len, struct pvpci_parse_err *err)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	char *buf;

	if (!f) {
		int e = errno;

		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(e));
		return -e;
	}
	buf = malloc(MODEL_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, MODEL_FILE_MAX + 1, f);
	fclose(f);
	if (n > MODEL_FILE_MAX) {
		free(buf);
		snprintf(err->msg, sizeof(err->msg), "%s: larger than %u bytes", path,
			 MODEL_FILE_MAX);
		return -EFBIG;
	}
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

/* The model file's text, with *err (local when NULL) cleared first. */
static int model_read(const char *path, char **text, size_t *len, struct pvpci_parse_err **err,
		      struct pvpci_parse_err *local)
{
	if (!*err)
		*err = local;
	(*err)->pos = 0;
	(*err)->msg[0] = 0;
	return read_file(path, text, len, *err);
}

int pvpci_model_open(const char *path, size_t index, const struct pvpci_log *log,
		     struct pvpci_source **out, struct pvpci_parse_err *err)
{
	struct pvpci_parse_err local;
	char *text;
	size_t len;
	int rc;

	if (!path || !out)
		return -EINVAL;
	rc = model_read(path, &text, &len, &err, &local);
	if (rc < 0)
		return rc;
	rc = pvpci_model_open_text(text, len, index, log, out, err);
	free(text);
	return rc;
}

int pvpci_model_count(const char *path, size_t *n, struct pvpci_parse_err *err)
{
	struct pvpci_parse_err local;
	struct parse_ctx c = { .want = SIZE_MAX };
	struct pvpci_dump *dumps = NULL;
	char *text;
	size_t len;
	int rc;

	if (!path || !n)
		return -EINVAL;
	rc = model_read(path, &text, &len, &err, &local);
	if (rc < 0)
		return rc;
	rc = parse(text, len, &c, &dumps, n, err);
	free(dumps);
	free(c.x.vpd);
	free(text);
	return rc;
}

/* ---- Interrupts ---- */
static int raise_intx(struct model *m)
{
	uint32_t cmd = model_get(m->cfg, PCI_REG_COMMAND, 2);
	uint32_t sta = model_get(m->cfg, PCI_REG_STATUS, 2);

	if (!m->cfg[PCI_REG_INTR_PIN])
		return -ENODEV;
	model_put(m->cfg, PCI_REG_STATUS, 2, sta | PCI_STATUS_INTERRUPT);
	if (cmd & PCI_CMD_INTX_DISABLE)
		return 0;
	/* a function with MSI or MSI-X enabled does not signal INTx */
	if (m->msi && (m->cfg[m->msi + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE))
		return 0;
	if (m->msix.pos &&
	    (model_get(m->cfg, m->msix.pos + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE))
		return 0;
	pvpci_source_deliver_irq(&m->src, PVPCI_IRQ_INTX, 0);
	return 1;
}

int pvpci_model_raise(struct pvpci_source *s, enum pvpci_irq_kind kind, unsigned vector)
{
	struct model *m;

	if (!pvpci_source_is_model(s))
		return -EINVAL;
	m = model_of(s);
	switch (kind) {
	case PVPCI_IRQ_INTX:
		return raise_intx(m);
	case PVPCI_IRQ_MSI:
		return model_raise_msi(m, vector);
	case PVPCI_IRQ_MSIX:
		return model_raise_msix(m, vector);
	}
	return -EINVAL;
}
