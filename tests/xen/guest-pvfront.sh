#!/bin/sh
# SPDX-License-Identifier: MIT
# Inside a PV guest: pvpci's own frontend (pvpci guest --platform xen) against whatever
# backend serves the guest (Linux's xen-pciback in the suite), a conformance run over one
# connection: list, config reads, a permitted and a denied write, error codes (invalid
# offset, no such device, MSI / MSI-X twice, MSI-X after the guest cleared COMMAND), MSI on edu
# and MSI-X on e1000e enabled and disabled. The batch exits 1 (some commands fail on
# purpose): each command's own exit code follows it ("== exit N: NAME").
# Expects pciback's virtual bus: edu at 00:00.0, e1000e at 00:01.0. Every output line is
# printed as "DOMU <case> PVF <line>" for the host-side checks.
GC=${1:-pvfront}
EDU=00:00.0; NIC=00:01.0
T0=$(cut -d' ' -f1 /proc/uptime)
pvpci guest --platform xen --op-timeout 4000 self \
	lspci :: \
	read $EDU 0 4 :: read $NIC 0 4 :: \
	read $EDU 1 4 :: read 00:1f.0 0 4 :: \
	write $EDU 0 2 0xabcd :: read $EDU 0 2 :: \
	write $NIC 4 2 0x0000 :: read $NIC 4 2 :: msix $NIC enable 3 :: \
	write $NIC 4 2 0x0006 :: read $NIC 4 2 :: \
	msix $NIC enable 3 :: msix $NIC enable 3 :: lspci -v :: msix $NIC disable :: \
	write $EDU 4 2 0x0006 :: msi $EDU enable :: msi $EDU enable :: msi $EDU disable :: \
	read $EDU 0x2c 4 > /tmp/pvf.out 2>&1
RC=$?
T1=$(cut -d' ' -f1 /proc/uptime)
sed "s/^/DOMU $GC PVF /" /tmp/pvf.out
echo "DOMU $GC PVF-RC $RC"
echo "DOMU $GC PVF-SECONDS $(echo "$T0 $T1" | awk '{printf "%.2f", $2 - $1}')"
