/* SPDX-License-Identifier: MIT */
/*
 * The sysfs source: a real device through /sys/bus/pci/devices/BDF/ (or a tree of the same
 * shape under $PVPCI_SYSFS_ROOT, for tests). `config` gives config space: the bytes that
 * cannot change under us (ids, revision and class, header type, subsystem ids, the
 * capability pointer, the interrupt pin, every capability header) are read once at open
 * and answered from that copy, so a guest read of them costs no device access. `resource`
 * gives the BARs (host addresses, sizes, types; read once), `resourceN` their contents
 * (mmap for memory, pread / pwrite for I/O ports), `enable` and `reset` the host's enable
 * and reset. Nothing is written to a device a host driver owns: it must be unbound or
 * bound to a stub (pciback, pci-stub, vfio-pci); the refusal says which driver and how to
 * let go of the device. The binding is checked again on every write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_priv.h"

#define SYSFS_DEFAULT_ROOT "/sys/bus/pci/devices"
#define SYSFS_NSLOTS (PCI_NUM_BARS + 1)
#define SYSFS_PAGE 4096u

/* struct resource flags as sysfs prints them (Linux include/linux/ioport.h values). */
#define RES_IO 0x00000100ull
#define RES_MEM 0x00000200ull
#define RES_PREFETCH 0x00002000ull
#define RES_MEM_64 0x00100000ull

static const char *const stub_drivers[] = { "pciback", "xen-pciback", "pci-stub", "vfio-pci" };

struct sysfs_bar {
	struct pvpci_bar_info info;
	void *map;       /* memory BAR: mmap of resourceN, map_len bytes */
	size_t map_len;
	int io_fd;       /* I/O BAR: resourceN opened for pread / pwrite, -1 = not yet */
};

struct sysfs_dev {
	struct pvpci_source src;
	char dir[PATH_MAX];   /* ROOT/BDF */
	int cfg_fd;
	bool cfg_rw;          /* cfg_fd was opened read-write */
	uint8_t cache[PCIE_CFG_SIZE];
	uint8_t cached[PCIE_CFG_SIZE]; /* 1: cache[i] is the device's constant byte */
	struct sysfs_bar bar[SYSFS_NSLOTS];
	struct pvpci_sysfs_stats stats;
	struct pvpci_ratelimit rl;
};

static struct sysfs_dev *dev_of(struct pvpci_source *s)
{
	return (struct sysfs_dev *)s; /* src is the first member */
}

static const struct sysfs_dev *cdev_of(const struct pvpci_source *s)
{
	return (const struct sysfs_dev *)s;
}

static int path_of(const struct sysfs_dev *d, const char *leaf, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", d->dir, leaf);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* ---- Who owns the device ---- */
static int driver_name(const struct sysfs_dev *d, char *buf, size_t len)
{
	char p[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *base;
	int rc = path_of(d, "driver", p, sizeof(p));

	if (rc < 0)
		return rc;
	n = readlink(p, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		buf[0] = '\0'; /* unbound */
		return 0;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

static bool is_stub(const char *drv)
{
	for (size_t i = 0; i < PVPCI_ARRAY_SIZE(stub_drivers); i++)
		if (strcmp(drv, stub_drivers[i]) == 0)
			return true;
	return false;
}

static int writable(const struct sysfs_dev *d, char *msg, size_t len)
{
	char drv[256];
	int rc = driver_name(d, drv, sizeof(drv));

	if (rc < 0) {
		if (msg && len)
			snprintf(msg, len, "%s: cannot read its driver link: %s", d->src.name,
				 pvpci_errname(rc));
		return rc;
	}
	if (drv[0] == '\0' || is_stub(drv)) {
		if (msg && len)
			snprintf(msg, len, "%s: %s", d->src.name,
				 drv[0] ? drv : "no driver");
		return 0;
	}
	if (msg && len)
		snprintf(msg, len,
			 "%s is owned by host driver %s; pvpci will not touch it. Unbind it "
			 "(echo %s > /sys/bus/pci/devices/%s/driver/unbind) or give it to a stub "
			 "(echo pciback > /sys/bus/pci/devices/%s/driver_override, then unbind "
			 "and echo %s > /sys/bus/pci/drivers_probe)",
			 d->src.name, drv, d->src.name, d->src.name, d->src.name, d->src.name);
	return -EBUSY;
}

/* Every write-like operation goes through here: refuse (rate-limited log) when a host
 * driver owns the device. */
static int may_write(struct sysfs_dev *d, const char *what)
{
	char msg[512];
	int rc = writable(d, msg, sizeof(msg));

	if (rc < 0) {
		d->stats.refused++;
		pvpci_logf_rl(&d->src.log, &d->rl, PVPCI_LOG_WARNING, "%s refused: %s", what,
			      msg);
	}
	return rc;
}

/* ---- Config space ---- */
static uint32_t get_le(const uint8_t *b, unsigned off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)b[off + i] << (8 * i);
	return v;
}

static int dev_cfg_read(struct sysfs_dev *d, unsigned off, unsigned size, uint32_t *val)
{
	uint8_t b[4];
	ssize_t n = pread(d->cfg_fd, b, size, off);

	d->stats.dev_reads++;
	if (n < 0)
		return -errno;
	if ((unsigned)n != size)
		return -EIO;
	*val = get_le(b, 0, size);
	return 0;
}

static int sysfs_cfg_read(struct pvpci_source *s, unsigned off, unsigned size, uint32_t *val)
{
	struct sysfs_dev *d = dev_of(s);
	bool all = true;

	for (unsigned i = 0; i < size && all; i++)
		all = d->cached[off + i];
	if (all) {
		d->stats.cache_hits++;
		*val = get_le(d->cache, off, size);
		return 0;
	}
	return dev_cfg_read(d, off, size, val);
}

static int reopen_rw(struct sysfs_dev *d)
{
	char p[PATH_MAX];
	int fd, rc;

	if (d->cfg_rw)
		return 0;
	rc = path_of(d, "config", p, sizeof(p));
	if (rc < 0)
		return rc;
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(d->cfg_fd);
	d->cfg_fd = fd;
	d->cfg_rw = true;
	return 0;
}

static int sysfs_cfg_write(struct pvpci_source *s, unsigned off, unsigned size, uint32_t val)
{
	struct sysfs_dev *d = dev_of(s);
	uint8_t b[4];
	ssize_t n;
	int rc = may_write(d, "config write");

	if (rc < 0)
		return rc;
	rc = reopen_rw(d);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(val >> (8 * i));
	n = pwrite(d->cfg_fd, b, size, off);
	d->stats.dev_writes++;
	if (n < 0)
		return -errno;
	return (unsigned)n == size ? 0 : -EIO;
}

static void cache_bytes(struct sysfs_dev *d, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len && i < d->src.cfg_size; i++)
		d->cached[i] = 1;
}

static int snap_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	struct sysfs_dev *d = opaque;

	if (off >= d->src.cfg_size || size > d->src.cfg_size - off)
		return -EINVAL;
	*val = get_le(d->cache, off, size);
	return 0;
}

static int visit_std(void *arg, unsigned pos, unsigned id)
{
	cache_bytes(arg, pos, 2); /* id and next */
	return 0;
}

static int visit_ext(void *arg, unsigned pos, unsigned id)
{
	cache_bytes(arg, pos, 4); /* id, version and next */
	return 0;
}

/* Read the whole config space once and mark the bytes that cannot change. */
static int build_cache(struct sysfs_dev *d)
{
	unsigned hdr;
	ssize_t n = pread(d->cfg_fd, d->cache, d->src.cfg_size, 0);

	d->stats.dev_reads++;
	if (n < 0)
		return -errno;
	if ((unsigned)n < PCI_CFG_SIZE)
		return -EIO; /* only 64 bytes: not root, or not a config file */
	if ((unsigned)n < d->src.cfg_size)
		d->src.cfg_size = PCI_CFG_SIZE;
	hdr = d->cache[PCI_REG_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
	cache_bytes(d, PCI_REG_VENDOR_ID, 4);
	cache_bytes(d, PCI_REG_REVISION, 4);
	cache_bytes(d, PCI_REG_HEADER_TYPE, 1);
	if (hdr == PCI_HEADER_TYPE_NORMAL)
		cache_bytes(d, PCI_REG_SUBSYS_VENDOR, 4);
	cache_bytes(d, PCI_REG_INTR_PIN, 1);
	if (hdr == PCI_HEADER_TYPE_CARDBUS)
		return 0;
	if (get_le(d->cache, PCI_REG_STATUS, 2) & PCI_STATUS_CAP_LIST) {
		cache_bytes(d, PCI_REG_CAP_PTR, 1);
		(void)pvpci_cap_walk(snap_read, d, d->src.cfg_size, false, visit_std, d);
	}
	if (d->src.cfg_size == PCIE_CFG_SIZE)
		(void)pvpci_cap_walk(snap_read, d, d->src.cfg_size, true, visit_ext, d);
	return 0;
}

/* ---- BARs ---- */
static int parse_resource_line(const char *line, uint64_t *start, uint64_t *end,
			       uint64_t *flags)
{
	char *e1, *e2, *e3;

	errno = 0;
	*start = strtoull(line, &e1, 16);
	*end = strtoull(e1, &e2, 16);
	*flags = strtoull(e2, &e3, 16);
	if (errno || e1 == line || e2 == e1 || e3 == e2)
		return -EINVAL;
	return 0;
}

static void set_bar(struct sysfs_bar *b, uint64_t start, uint64_t end, uint64_t flags,
		    unsigned idx)
{
	memset(&b->info, 0, sizeof(b->info));
	if (end < start || (start == 0 && end == 0))
		return; /* not implemented */
	b->info.addr = start;
	b->info.size = end - start + 1;
	b->info.prefetchable = (flags & RES_PREFETCH) != 0;
	if (idx == PCI_ROM_SLOT)
		b->info.type = (flags & RES_MEM) ? PVPCI_BAR_ROM : PVPCI_BAR_EMPTY;
	else if (flags & RES_IO)
		b->info.type = PVPCI_BAR_IO;
	else if (flags & RES_MEM)
		b->info.type = (flags & RES_MEM_64) ? PVPCI_BAR_MEM64_LO : PVPCI_BAR_MEM32;
	if (b->info.type == PVPCI_BAR_EMPTY)
		memset(&b->info, 0, sizeof(b->info));
}

static int read_resources(struct sysfs_dev *d)
{
	char p[PATH_MAX], line[160];
	uint64_t start, end, flags;
	unsigned idx = 0;
	FILE *f;
	int rc = path_of(d, "resource", p, sizeof(p));

	if (rc < 0)
		return rc;
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (idx < SYSFS_NSLOTS && fgets(line, sizeof(line), f)) {
		if (parse_resource_line(line, &start, &end, &flags) < 0) {
			pvpci_logf(&d->src.log, PVPCI_LOG_ERR, "%s line %u: not \"start end flags\"",
				   p, idx + 1);
			fclose(f);
			return -EINVAL;
		}
		set_bar(&d->bar[idx], start, end, flags, idx);
		idx++;
	}
	fclose(f);
	/* The upper half of a 64-bit BAR: same address and size as its lower half. */
	for (unsigned i = 0; i + 1 < PCI_NUM_BARS; i++) {
		if (d->bar[i].info.type != PVPCI_BAR_MEM64_LO)
			continue;
		d->bar[i + 1].info = d->bar[i].info;
		d->bar[i + 1].info.type = PVPCI_BAR_MEM64_HI;
		i++;
	}
	return 0;
}

static int sysfs_bar_info(struct pvpci_source *s, unsigned idx, struct pvpci_bar_info *out)
{
	*out = dev_of(s)->bar[idx].info;
	return 0;
}

static int bar_map(struct sysfs_dev *d, unsigned idx)
{
	struct sysfs_bar *b = &d->bar[idx];
	char leaf[24], p[PATH_MAX];
	size_t len;
	void *m;
	int fd, rc;

	if (b->map)
		return 0;
	snprintf(leaf, sizeof(leaf), idx == PCI_ROM_SLOT ? "rom" : "resource%u", idx);
	rc = path_of(d, leaf, p, sizeof(p));
	if (rc < 0)
		return rc;
	if (b->info.size > SIZE_MAX - SYSFS_PAGE)
		return -E2BIG;
	len = ((size_t)b->info.size + SYSFS_PAGE - 1) & ~(size_t)(SYSFS_PAGE - 1);
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = (m == MAP_FAILED) ? -errno : 0;
	close(fd);
	if (rc < 0)
		return rc;
	b->map = m;
	b->map_len = len;
	return 0;
}

static int bar_io_open(struct sysfs_dev *d, unsigned idx)
{
	char leaf[24], p[PATH_MAX];
	int rc;

	if (d->bar[idx].io_fd >= 0)
		return 0;
	snprintf(leaf, sizeof(leaf), "resource%u", idx);
	rc = path_of(d, leaf, p, sizeof(p));
	if (rc < 0)
		return rc;
	d->bar[idx].io_fd = open(p, O_RDWR | O_CLOEXEC);
	return d->bar[idx].io_fd < 0 ? -errno : 0;
}

static void mmio_read(volatile uint8_t *p, unsigned size, uint64_t *val)
{
	if (size == 1)
		*val = *p;
	else if (size == 2)
		*val = *(volatile uint16_t *)p;
	else if (size == 4)
		*val = *(volatile uint32_t *)p;
	else
		*val = *(volatile uint64_t *)p;
}

static void mmio_write(volatile uint8_t *p, unsigned size, uint64_t val)
{
	if (size == 1)
		*p = (uint8_t)val;
	else if (size == 2)
		*(volatile uint16_t *)p = (uint16_t)val;
	else if (size == 4)
		*(volatile uint32_t *)p = (uint32_t)val;
	else
		*(volatile uint64_t *)p = val;
}

static int bar_access(struct sysfs_dev *d, unsigned idx, uint64_t off, unsigned size,
		      uint64_t *val, bool wr)
{
	struct sysfs_bar *b = &d->bar[idx];
	uint8_t buf[8];
	ssize_t n;
	int rc = may_write(d, wr ? "BAR write" : "BAR read");

	if (rc < 0)
		return rc;
	if (b->info.type != PVPCI_BAR_IO) {
		rc = bar_map(d, idx);
		if (rc == 0 && wr)
			mmio_write((volatile uint8_t *)b->map + off, size, *val);
		else if (rc == 0)
			mmio_read((volatile uint8_t *)b->map + off, size, val);
		return rc;
	}
	if (size == 8)
		return -EINVAL; /* ports are at most 4 bytes wide */
	rc = bar_io_open(d, idx);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; wr && i < size; i++)
		buf[i] = (uint8_t)(*val >> (8 * i));
	n = wr ? pwrite(b->io_fd, buf, size, (off_t)off) : pread(b->io_fd, buf, size, (off_t)off);
	if (n < 0)
		return -errno;
	if ((unsigned)n != size)
		return -EIO;
	if (!wr)
		*val = get_le(buf, 0, size);
	return 0;
}

static int sysfs_bar_read(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			  uint64_t *val)
{
	return bar_access(dev_of(s), idx, off, size, val, false);
}

static int sysfs_bar_write(struct pvpci_source *s, unsigned idx, uint64_t off, unsigned size,
			   uint64_t val)
{
	return bar_access(dev_of(s), idx, off, size, &val, true);
}

/* ---- enable, reset ---- */
static int write_attr(struct sysfs_dev *d, const char *leaf, const char *text)
{
	char p[PATH_MAX];
	size_t len = strlen(text);
	ssize_t n;
	int fd, rc = path_of(d, leaf, p, sizeof(p));

	if (rc < 0)
		return rc;
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOTTY : -errno;
	n = write(fd, text, len);
	rc = n < 0 ? -errno : ((size_t)n == len ? 0 : -EIO);
	close(fd);
	return rc;
}

static int read_attr(struct sysfs_dev *d, const char *leaf, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd, rc = path_of(d, leaf, p, sizeof(p));

	if (rc < 0)
		return rc;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0)
		return rc;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static int sysfs_enable(struct pvpci_source *s, bool on)
{
	struct sysfs_dev *d = dev_of(s);
	int rc = may_write(d, on ? "enable" : "disable");

	if (rc < 0)
		return rc;
	rc = write_attr(d, "enable", on ? "1" : "0");
	d->stats.dev_writes++;
	return rc;
}

/* FLR / PM: run only that method through reset_method, then put the list back. */
static int reset_with(struct sysfs_dev *d, const char *method)
{
	char old[256];
	int rc = read_attr(d, "reset_method", old, sizeof(old));

	if (rc < 0)
		return rc == -ENOENT ? -ENOTTY : rc;
	if (!strstr(old, method))
		return -ENOTTY;
	rc = write_attr(d, "reset_method", method);
	if (rc < 0)
		return rc;
	rc = write_attr(d, "reset", "1");
	if (write_attr(d, "reset_method", old[0] ? old : "default") < 0)
		pvpci_logf(&d->src.log, PVPCI_LOG_WARNING, "could not restore reset_method \"%s\"",
			   old);
	return rc;
}

static int sysfs_reset(struct pvpci_source *s, enum pvpci_reset_kind kind)
{
	struct sysfs_dev *d = dev_of(s);
	int rc = may_write(d, "reset");

	if (rc < 0)
		return rc;
	d->stats.dev_writes++;
	if (kind == PVPCI_RESET_FLR)
		return reset_with(d, "flr");
	if (kind == PVPCI_RESET_PM)
		return reset_with(d, "pm");
	return write_attr(d, "reset", "1");
}

static void sysfs_close(struct pvpci_source *s)
{
	struct sysfs_dev *d = dev_of(s);

	for (unsigned i = 0; i < SYSFS_NSLOTS; i++) {
		if (d->bar[i].map)
			munmap(d->bar[i].map, d->bar[i].map_len);
		if (d->bar[i].io_fd >= 0)
			close(d->bar[i].io_fd);
	}
	if (d->cfg_fd >= 0)
		close(d->cfg_fd);
	free(d);
}

static const struct pvpci_source_ops sysfs_ops = {
	.name = "sysfs",
	.cfg_read = sysfs_cfg_read,
	.cfg_write = sysfs_cfg_write,
	.bar_info = sysfs_bar_info,
	.bar_read = sysfs_bar_read,
	.bar_write = sysfs_bar_write,
	.reset = sysfs_reset,
	.enable = sysfs_enable,
	.close = sysfs_close,
};

/* ---- Public calls ---- */
bool pvpci_source_is_sysfs(const struct pvpci_source *s)
{
	return s && s->ops == &sysfs_ops;
}

const char *pvpci_sysfs_root(const char *root)
{
	const char *env;

	if (root && root[0])
		return root;
	env = getenv("PVPCI_SYSFS_ROOT");
	return (env && env[0]) ? env : SYSFS_DEFAULT_ROOT;
}

static int open_config(struct sysfs_dev *d)
{
	char p[PATH_MAX];
	struct stat st;
	int rc = path_of(d, "config", p, sizeof(p));

	if (rc < 0)
		return rc;
	d->cfg_fd = open(p, O_RDONLY | O_CLOEXEC);
	if (d->cfg_fd < 0)
		return -errno;
	if (fstat(d->cfg_fd, &st) < 0)
		return -errno;
	d->src.cfg_size = st.st_size >= (off_t)PCIE_CFG_SIZE ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	return 0;
}

static int sysfs_setup(struct sysfs_dev *d, const char *root, struct pvpci_sbdf a,
		       const struct pvpci_log *log)
{
	char name[PVPCI_SBDF_STRLEN];
	int n, rc;

	pvpci_sbdf_str(a, name);
	n = snprintf(d->dir, sizeof(d->dir), "%s/%s", root, name);
	if (n < 0 || (size_t)n >= sizeof(d->dir))
		return -ENAMETOOLONG;
	pvpci_source_init(&d->src, &sysfs_ops, a, "", PCI_CFG_SIZE, log);
	d->rl = (struct pvpci_ratelimit)PVPCI_RATELIMIT_INIT(5000, 10);
	rc = open_config(d);
	if (rc < 0) {
		pvpci_logf(&d->src.log, PVPCI_LOG_ERR, "cannot open %s/config: %s", d->dir,
			   pvpci_errname(rc));
		return rc;
	}
	rc = build_cache(d);
	if (rc < 0) {
		pvpci_logf(&d->src.log, PVPCI_LOG_ERR, "cannot read %s/config (256 bytes needed, "
			   "as root): %s", d->dir, pvpci_errname(rc));
		return rc;
	}
	rc = read_resources(d);
	if (rc < 0)
		pvpci_logf(&d->src.log, PVPCI_LOG_ERR, "cannot read %s/resource: %s", d->dir,
			   pvpci_errname(rc));
	return rc;
}

int pvpci_sysfs_open(const char *bdf, const char *root, const struct pvpci_log *log,
		     struct pvpci_source **out)
{
	struct pvpci_parse_err perr;
	struct pvpci_sbdf a;
	struct sysfs_dev *d;
	int rc;

	if (!bdf || !out)
		return -EINVAL;
	*out = NULL;
	rc = pvpci_sbdf_parse(bdf, &a, &perr);
	if (rc < 0) {
		pvpci_logf(log, PVPCI_LOG_ERR, "%s: not a PCI address: %s", bdf, perr.msg);
		return rc;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg_fd = -1;
	for (unsigned i = 0; i < SYSFS_NSLOTS; i++)
		d->bar[i].io_fd = -1;
	rc = sysfs_setup(d, pvpci_sysfs_root(root), a, log);
	if (rc < 0) {
		sysfs_close(&d->src);
		return rc;
	}
	*out = &d->src;
	return 0;
}

int pvpci_sysfs_driver(const struct pvpci_source *s, char *buf, size_t len)
{
	if (!pvpci_source_is_sysfs(s) || !buf || !len)
		return -EINVAL;
	return driver_name(cdev_of(s), buf, len);
}

int pvpci_sysfs_writable(const struct pvpci_source *s, char *msg, size_t len)
{
	if (!pvpci_source_is_sysfs(s))
		return -EINVAL;
	return writable(cdev_of(s), msg, len);
}

void pvpci_sysfs_get_stats(const struct pvpci_source *s, struct pvpci_sysfs_stats *out)
{
	if (pvpci_source_is_sysfs(s))
		*out = cdev_of(s)->stats;
	else
		memset(out, 0, sizeof(*out));
}
