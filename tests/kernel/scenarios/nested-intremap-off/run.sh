# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 16: interrupt remapping off (intel-iommu,intremap=off), the start as Proxmox runs
# it (guest/pve-start.sh): without allow_unsafe_interrupts vfio's type1 IOMMU refuses the
# group and QEMU exits; with it QEMU starts.
. /bench/pve-start.sh
pve_host_mount || return 1
A=0000:01:00.0
report_dev boot $A
result boot.ir_chips "$(grep -c ' IR-' /proc/interrupts)"
pve_case strict 100
unsafe_on() {
    /sbin/modprobe vfio_iommu_type1
    echo Y >/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
}
pve_case unsafe 100 unsafe_on
result unsafe.allow_unsafe "$(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
report_dev unsafe.back $A
