# SPDX-License-Identifier: GPL-2.0-or-later
# driver=keep (Proxmox VE 9): the device keeps its driver. No phase of the hook may
# rebind, override or reset it, even with a policy that resets and returns devices.
# On e1000e QEMU could not open its group: keep-not-vfio refuses the start (nothing
# touched); once the admin has it on vfio-pci, the start is allowed and still untouched.
A=0000:01:00.0
report_dev start $A
result start.$A.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null | tr ' ' ,)"
run_check check 100
run_phases 100 $A
result end.$A.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null | tr ' ' ,)"
bind_by_hand $A
report_dev byhand $A
run_check checkvfio 100
run_hook prestartvfio 100 pre-start
report_touches prestartvfio
run_hook poststopvfio 100 post-stop
report_touches poststopvfio
report_dev aftervfio $A
