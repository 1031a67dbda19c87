# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 8: passing the host's boot display gives the boot-vga finding.
A=0000:00:01.0
result start.$A.boot_vga "$(cat $(sysdev $A)/boot_vga)"
result start.$A.class "$(cat $(sysdev $A)/class)"
report_dev start $A
run_check check 100
