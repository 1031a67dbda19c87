# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 5: the machine of scenario 1 without an IOMMU (run with --iommu none): check
# blocks with iommu-disabled; pre-start refuses and leaves the device on e1000e.
A=0000:01:00.0
result start.iommu_groups "$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
report_dev start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev after $A
