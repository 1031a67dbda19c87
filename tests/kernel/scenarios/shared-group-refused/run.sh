# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 3: the VM's device shares its IOMMU group with a device the host keeps
# (on e1000e): check blocks with group-not-isolated, pre-start refuses, and no device
# of the group changed driver (each was bound by e1000e exactly once, at boot).
A=0000:01:01.0 B=0000:01:02.0
report_dev start $A
report_dev start $B
report_group start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev after $A
report_dev after $B
report_modules after
