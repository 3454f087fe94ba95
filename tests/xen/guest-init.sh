#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the PV guest's busybox initramfs. Mounts the basics, then runs the test named by
# gtest= on the kernel command line and powers off. Every line the checks look for starts
# with "DOMU ". gtest=pcifront: load Linux's xen-pcifront (whatever backend serves it),
# list the devices it found, read and write the edu device's BAR0 through /dev/mem, bind
# e1000e and ping the QEMU user-net gateway through it (MSI-X on the way).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
up() { cut -d' ' -f1 /proc/uptime; }
GTEST=none
for a in $(cat /proc/cmdline); do case $a in gtest=*) GTEST=${a#gtest=};; esac; done
echo "DOMU START gtest=$GTEST kernel=$(uname -r) uptime=$(up)"
if [ "$GTEST" = pcifront ]; then
	T0=$(up)
	modprobe xen-pcifront; echo "DOMU modprobe xen-pcifront rc=$?"
	T1=$(up)
	echo "DOMU ENUM modprobe-to-listed seconds: $T0 -> $T1"
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d" ] && echo "DOMU DEV $(basename $d) $(cat $d/vendor):$(cat $d/device) class=$(cat $d/class)"
	done
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor 2>/dev/null)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] || continue
		B0=$(head -1 $d/resource | cut -d' ' -f1)
		echo 1 > $d/enable 2>/dev/null
		echo "DOMU EDU ID $(devmem $B0 32 2>&1)"
		devmem $((B0 + 4)) 32 0x12345678 2>&1
		echo "DOMU EDU LIVENESS $(devmem $((B0 + 4)) 32 2>&1)"
	done
	modprobe e1000e 2>&1; sleep 2
	for n in /sys/class/net/eth*; do
		[ -e "$n" ] || continue; i=$(basename $n)
		drv=$(basename "$(readlink $n/device/driver)")
		ip addr add 10.0.2.15/24 dev $i; ip link set $i up; sleep 3
		echo "DOMU PING $i $drv: $(ping -c 2 -W 3 -I $i 10.0.2.2 2>&1 | grep 'packets transmitted')"
		ip addr flush dev $i; ip link set $i down
	done
	echo "DOMU MSIX $(grep -c -i -E 'eth|e1000e|msi' /proc/interrupts) lines"
	grep -i -E 'eth|msi' /proc/interrupts | sed 's/^/DOMU IRQ /'
	dmesg | grep -i -E 'pcifront|pci 0000' | head -20 | sed 's/^/DOMU DMESG /'
fi
echo "DOMU DONE uptime=$(up)"
sync; poweroff -f
