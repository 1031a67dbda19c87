# SPDX-License-Identifier: GPL-2.0-or-later
# Interrupt remapping on (intel-iommu,intremap=on): the guard says nothing about
# interrupts, pre-start moves the e1000e to vfio-pci, and QEMU's start on its group
# (container, group, type1) works. hookctl devices agrees with the guest's sysfs.
A=0000:01:00.0
result start.ir_chips "$(grep -c ' IR-' /proc/interrupts)"
result start.allow_unsafe "$(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts 2>/dev/null || echo unloaded)"
run_check check 100
run_hook prestart 100 pre-start
report_dev started $A
run_container container $A
report_devices devices
