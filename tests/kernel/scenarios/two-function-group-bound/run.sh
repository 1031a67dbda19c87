# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 2, on AMD-Vi: "hostpci0: 01:00" names both functions of a two-function device
# that shares one IOMMU group; pre-start moves both to vfio-pci. Policy "keep": both
# stay on vfio-pci after post-stop.
A=0000:01:00.0 B=0000:01:00.1
report_dev start $A
report_dev start $B
report_group start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev started $A
report_dev started $B
report_modules started
run_hook poststop 100 post-stop
report_dev stopped $A
report_dev stopped $B
