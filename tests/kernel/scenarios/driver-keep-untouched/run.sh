# driver=keep (Proxmox VE 9): the device keeps its driver. No phase of the hook may
# rebind, override or reset it, even with a policy that resets and returns devices.
A=0000:01:00.0
# said_reset PREFIX: how many lines of the last hook run reported a reset or a move
said_touch() { result "$1.touch_lines" "$(grep -cE '^vfio-hook: (reset|moved|returned|rolled back)' /tmp/hook.out)"; }
report_dev start $A
result start.$A.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null | tr ' ' ,)"
run_check check 100
for phase in pre-start post-start pre-stop post-stop; do
    p=$(echo $phase | tr -d -)
    run_hook $p 100 $phase
    said_touch $p
    report_dev after$p $A
done
result end.$A.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null | tr ' ' ,)"
