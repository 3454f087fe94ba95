#!/bin/bash
# SPDX-License-Identifier: MIT
# Packs the dom0 root filesystem ($LAB/rootfs) into an initramfs (boot/dom0-rootfs.cpio.gz),
# once: later runs only rebuild the small overlay (mk-overlay.sh) that carries the test
# scripts and the freshly built pvpci binary.
set -euo pipefail
LAB=${LAB:-/var/tmp/pvpci-xenlab}
cd "$LAB"
[ -d rootfs ] || { echo "mk-images: no $LAB/rootfs (run setup.sh)" >&2; exit 1; }
if [ ! -s boot/dom0-rootfs.cpio.gz ] || [ rootfs -nt boot/dom0-rootfs.cpio.gz ]; then
	echo dom0 > rootfs/etc/hostname
	T0=$(date +%s)
	( cd rootfs && find . -xdev | cpio -o -H newc 2>/dev/null | gzip -1 ) > boot/dom0-rootfs.cpio.gz.tmp
	mv boot/dom0-rootfs.cpio.gz.tmp boot/dom0-rootfs.cpio.gz
	echo "mk-images: dom0 rootfs packed in $(( $(date +%s) - T0 ))s ($(du -h boot/dom0-rootfs.cpio.gz | cut -f1))"
fi
