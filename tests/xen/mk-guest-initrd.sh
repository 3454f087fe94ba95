#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the PV guest's initramfs (OUT): static busybox, guest-init.sh as /init, and the
# kernel modules the guest needs (Xen front ends, xen-pcifront, e1000 / e1000e and their
# dependencies) from the host's amd64 kernel, which is the kernel the guest boots; pciutils'
# lspci / setpci and the pvpci binary (PVPCI, optional) with the shared libraries they
# need and the dynamic loader.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?out}; PVPCI=${2:-}
KVER=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)
M=/lib/modules/$KVER
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin} "$W/$M/kernel"
cp /bin/busybox "$W"/bin/busybox
for a in $(/bin/busybox --list); do [ -e "$W/bin/$a" ] || ln -s busybox "$W/bin/$a"; done
( cd "$M" && for m in drivers/xen drivers/pci/xen-pcifront.ko drivers/net/ethernet/intel/e1000 \
	drivers/net/ethernet/intel/e1000e drivers/ptp drivers/pps; do
	[ -e "kernel/$m" ] || continue
	mkdir -p "$W/$M/kernel/$(dirname $m)"; cp -r "kernel/$m" "$W/$M/kernel/$(dirname $m)/"
done )
cp "$M"/modules.dep "$M"/modules.alias "$M"/modules.builtin "$M"/modules.order "$W/$M/" 2>/dev/null || true
install -m755 "$HERE"/guest-init.sh "$W"/init
mkdir -p "$W"/usr/local/bin "$W"/lib64
for b in /usr/bin/lspci /usr/bin/setpci ${PVPCI:+"$PVPCI"}; do
	[ -x "$b" ] || continue
	install -m755 "$b" "$W"/usr/local/bin/"$(basename "$b")"
	for lib in $(ldd "$b" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		[ -e "$W$lib" ] && continue
		mkdir -p "$W$(dirname "$lib")"; cp -L "$lib" "$W$lib"
	done
done
# glibc loads libgcc_s at run time for pthread_cancel (libxenstore's reader thread)
for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1; do [ -e "$lib" ] && cp -L "$lib" "$W$lib"; done
[ -e /usr/share/misc/pci.ids ] && mkdir -p "$W"/usr/share/misc && cp /usr/share/misc/pci.ids "$W"/usr/share/misc/
[ -x "$HERE"/guest-pvfront.sh ] && install -m755 "$HERE"/guest-pvfront.sh "$W"/usr/local/bin/pvpci-guest-test
( cd "$W" && find . | cpio -o -H newc 2>/dev/null | gzip -1 ) > "$OUT"
