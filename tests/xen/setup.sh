#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the end-to-end lab in $LAB (default /var/tmp/pvpci-xenlab) on a fresh Debian 12
# machine, as root: host packages (QEMU, Debian's Xen 4.17 hypervisor, the amd64 kernel),
# a debootstrapped dom0 root filesystem with the xl toolstack packed as an initramfs, and a
# busybox initramfs for PV guests. Each step is skipped when its output exists, so a second
# run costs seconds. Adapted from the project's xenlab kit (shared/xenlab).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-/var/tmp/pvpci-xenlab}
[ "$(id -u)" -eq 0 ] || { echo "setup: must run as root (packages, debootstrap, chroot)" >&2; exit 2; }
mkdir -p "$LAB"/boot "$LAB"/logs
cd "$LAB"
MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
PKGS="qemu-system-x86 xen-hypervisor-4.17-amd64 linux-image-amd64 busybox-static xen-utils-4.17
      xenstore-utils libxen-dev debootstrap cpio gzip bc rsync python3 pciutils kmod"
missing=
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
KVER=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)
[ -n "$KVER" ] || { echo "setup: no amd64 kernel modules under /lib/modules" >&2; exit 1; }
# QEMU's multiboot loader takes an ELF image, not xen.gz.
[ -s boot/xen ] || zcat /boot/xen-4.17-amd64.gz > boot/xen
[ -s boot/vmlinuz ] || cp "/boot/vmlinuz-$KVER" boot/vmlinuz
if [ ! -x rootfs/usr/lib/xen-4.17/bin/xl ]; then
	rm -rf rootfs
	debootstrap --variant=minbase \
		--include=xen-utils-4.17,xenstore-utils,iproute2,pciutils,kmod,udev,procps,busybox,iputils-ping \
		bookworm rootfs "$MIRROR"
	if [ -e /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources rootfs/etc/apt/sources.list.d/
		rm -f rootfs/etc/apt/sources.list
	fi
	chroot rootfs apt-get update -qq
	# the tools must match the hypervisor's point release
	DEBIAN_FRONTEND=noninteractive chroot rootfs apt-get -y -qq dist-upgrade
	mkdir -p "rootfs/lib/modules/$KVER"
	rsync -a --exclude='kernel/sound' --exclude='kernel/drivers/gpu' --exclude='kernel/drivers/media' \
		--exclude='kernel/drivers/net/wireless' --exclude='kernel/drivers/infiniband' \
		--exclude='kernel/drivers/staging' --exclude='kernel/drivers/scsi' --exclude='kernel/drivers/isdn' \
		--exclude='kernel/drivers/bluetooth' --exclude='kernel/drivers/iio' --exclude='kernel/drivers/hid' \
		--exclude='kernel/drivers/input' --exclude='kernel/drivers/usb' --exclude='kernel/drivers/mtd' \
		--exclude='kernel/drivers/hwmon' --exclude='kernel/fs' --exclude='kernel/net/wireless' \
		--exclude='kernel/net/mac80211' --exclude='kernel/net/bluetooth' \
		"/lib/modules/$KVER/" "rootfs/lib/modules/$KVER/"
	chroot rootfs depmod "$KVER"
	rm -rf rootfs/usr/share/doc/* rootfs/usr/share/man/* rootfs/usr/share/locale/* \
		rootfs/var/cache/apt/*.bin rootfs/var/cache/apt/archives/*.deb rootfs/var/lib/apt/lists/*
fi
"$HERE"/mk-images.sh
echo "setup: done ($LAB)"
