# driver=keep (Proxmox VE 9): the device keeps its driver. No phase of the hook may
# rebind, override or reset it, even with a policy that resets and returns devices.
A=0000:01:00.0
report_dev start $A
result start.$A.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null | tr ' ' ,)"
run_check check 100
run_phases 100 $A
result end.$A.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null | tr ' ' ,)"
