# SPDX-License-Identifier: GPL-2.0-or-later
# Interrupt remapping off (intel-iommu,intremap=off): the guard refuses the start with
# interrupt-remapping-missing, and vfio really refuses: bound to vfio-pci by hand, the
# group joins a container but the type1 IOMMU will not take it. With
# allow_unsafe_interrupts set, the guard warns (unsafe-interrupts) and vfio takes it.
A=0000:01:00.0
result start.ir_chips "$(grep -c ' IR-' /proc/interrupts)"
run_check check 100
run_hook prestart 100 pre-start
report_dev refused $A
bind_by_hand $A
report_dev bound $A
result bound.allow_unsafe "$(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
run_check checkbound 100
run_container strict $A
echo Y >/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
result unsafe.allow_unsafe "$(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
run_check checkunsafe 100
run_container unsafe $A
