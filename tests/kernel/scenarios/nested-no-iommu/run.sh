# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 16: no IOMMU at all (--iommu none), the start as Proxmox runs it
# (guest/pve-start.sh): qemu-server dies before QEMU ("IOMMU not present").
. /bench/pve-start.sh
pve_host_mount || return 1
A=0000:01:00.0
report_dev boot $A
pve_case noiommu 100
report_dev noiommu.after $A
