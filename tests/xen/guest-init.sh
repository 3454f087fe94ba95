#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the PV guest's busybox initramfs. Mounts the basics, then runs the test named by
# gtest= on the kernel command line and powers off. Every line the checks look for starts
# with "DOMU <case> " (case from gcase=, default "lx"), so runs with different backends
# can be told apart in one serial log.
# gtest=pcifront: load Linux's xen-pcifront (whatever backend serves it), list the devices
# it found (lspci -vvv too), read and write the edu device's BAR0 through /dev/mem, probe
# config writes, bind e1000e and ping the QEMU user-net gateway through it (MSI-X).
# ghotplug=1: then wait for a device to be hot-plugged and unplugged by dom0.
# gtest=pvfront: pvpci's own frontend (/usr/local/bin/pvpci guest --platform xen) against
# whatever backend serves the guest: a conformance run.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
up() { cut -d' ' -f1 /proc/uptime; }
GTEST=none; GC=lx; HOTPLUG=0
for a in $(cat /proc/cmdline); do
	case $a in gtest=*) GTEST=${a#gtest=};; gcase=*) GC=${a#gcase=};; ghotplug=*) HOTPLUG=${a#ghotplug=};; esac
done
say() { echo "DOMU $GC $*"; }
say "START gtest=$GTEST kernel=$(uname -r) uptime=$(up)"

list_devs() {
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d" ] && say "DEV $(basename $d) $(cat $d/vendor):$(cat $d/device) class=$(cat $d/class) driver=$(basename "$(readlink $d/driver)" 2>/dev/null)"
	done
}

edu_bar() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor 2>/dev/null)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] || continue
		B0=$(head -1 $d/resource | cut -d' ' -f1)
		echo 1 > $d/enable 2>/dev/null
		say "EDU ID $(devmem $B0 32 2>&1)"
		devmem $((B0 + 4)) 32 0x12345678 2>&1
		say "EDU LIVENESS $(devmem $((B0 + 4)) 32 2>&1)"
		# config writes through the backend's policy: the interrupt line is writable
		# (virtual), the vendor id is not, the latency timer is.
		b=$(basename $d)
		setpci -s $b 3c.b=5a 2>&1; say "CFG intline=$(setpci -s $b 3c.b 2>&1)"
		setpci -s $b 00.w=abcd 2>&1; say "CFG vendor=$(setpci -s $b 00.w 2>&1)"
	done
}

ping_nics() {
	for n in /sys/class/net/eth*; do
		[ -e "$n" ] || continue; i=$(basename $n)
		drv=$(basename "$(readlink $n/device/driver)")
		ip addr add 10.0.2.15/24 dev $i; ip link set $i up; sleep 3
		say "PING $i $drv: $(ping -c 2 -W 3 -I $i 10.0.2.2 2>&1 | grep 'packets transmitted')"
		ip addr flush dev $i; ip link set $i down
	done
}

hotplug() {
	n0=$(ls /sys/bus/pci/devices | wc -l)
	say "HOTPLUG READY n=$n0"
	for i in $(seq 1 90); do [ "$(ls /sys/bus/pci/devices | wc -l)" -gt "$n0" ] && break; sleep 1; done
	list_devs
	say "HOTPLUG ADDED n=$(ls /sys/bus/pci/devices | wc -l)"
	for i in $(seq 1 90); do [ "$(ls /sys/bus/pci/devices | wc -l)" -le "$n0" ] && break; sleep 1; done
	say "HOTPLUG REMOVED n=$(ls /sys/bus/pci/devices | wc -l)"
	# dom0 kills the backend (SIGKILL) and starts it again now; the device must stay
	say "RESTART READY"
	sleep ${RESTART_WAIT:-25}
	say "RESTART AFTER"
	list_devs
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor 2>/dev/null)" = 0x1234 ] || continue
		say "RESTART CFG $(setpci -s $(basename $d) 00.l 2>&1) intline=$(setpci -s $(basename $d) 3c.b 2>&1)"
	done
	ping_nics
}

if [ "$GTEST" = pcifront ]; then
	T0=$(up)
	modprobe xen-pcifront; say "modprobe xen-pcifront rc=$?"
	T1=$(up)
	say "ENUM seconds $(echo "$T0 $T1" | awk '{printf "%.2f", $2 - $1}')"
	list_devs
	lspci -vvv 2>&1 | sed "s/^/DOMU $GC LSPCI /"
	edu_bar
	modprobe e1000e 2>&1; sleep 2
	ping_nics
	say "MSIX $(grep -c -i -E 'eth|e1000e|msi' /proc/interrupts) lines"
	grep -i -E 'eth|msi' /proc/interrupts | sed "s/^/DOMU $GC IRQ /"
	dmesg | grep -i -E 'pcifront|pci 0000' | head -20 | sed "s/^/DOMU $GC DMESG /"
	[ "$HOTPLUG" = 1 ] && hotplug
elif [ "$GTEST" = pvfront ]; then
	for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd; do modprobe $m 2>&1; done
	mkdir -p /proc/xen; mount -t xenfs xenfs /proc/xen 2>/dev/null
	if [ -x /usr/local/bin/pvpci-guest-test ]; then /usr/local/bin/pvpci-guest-test "$GC"
	else say "no pvpci-guest-test"; fi
fi
say "DONE uptime=$(up)"
sync; poweroff -f
