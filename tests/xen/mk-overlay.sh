#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the per-run overlay for dom0 and appends it to the packed root filesystem: dom0's
# init, the guest's kernel, config and initramfs, and the freshly built pvpci binary with
# any shared library the root filesystem lacks. Linux unpacks concatenated cpio archives
# in order, so the overlay's files win. Writes $LAB/boot/initrd-dom0-e2e.gz.
# usage: mk-overlay.sh PVPCI_BINARY
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-/var/tmp/pvpci-xenlab}
BIN=${1:?pvpci binary}
[ -x "$BIN" ] || { echo "mk-overlay: $BIN is not an executable" >&2; exit 1; }
O=$LAB/overlay
rm -rf "$O"; mkdir -p "$O"/root "$O"/usr/local/bin
install -m755 "$HERE"/dom0-init "$O"/pvpci-dom0-init
cp "$HERE"/domU.cfg "$O"/root/domU.cfg
cp "$LAB"/boot/vmlinuz "$O"/root/vmlinuz
"$HERE"/mk-guest-initrd.sh "$O"/root/initrd-domU.gz "$BIN"
install -m755 "$BIN" "$O"/usr/local/bin/pvpci
for lib in $(ldd "$BIN" | awk '/=> \//{print $3}'); do
	[ -e "$LAB/rootfs$lib" ] && continue
	mkdir -p "$O$(dirname "$lib")"; cp -L "$lib" "$O$lib"
	echo "mk-overlay: adding $lib (not in the dom0 root filesystem)"
done
( cd "$O" && find . | cpio -o -H newc 2>/dev/null | gzip -1 ) > "$LAB"/boot/overlay.cpio.gz
cat "$LAB"/boot/dom0-rootfs.cpio.gz "$LAB"/boot/overlay.cpio.gz > "$LAB"/boot/initrd-dom0-e2e.gz
