# mdev= names the e1000e, which stays on its host driver and offers no mdev types: check
# and pre-start refuse with mdev-unavailable, and no phase unbinds, overrides or resets
# the parent (a vGPU parent on its host driver serves every vGPU on the card).
A=0000:01:00.0
said_touch() { result "$1.touch_lines" "$(grep -cE '^vfio-hook: (reset|moved|returned|rolled back)' /tmp/hook.out)"; }
report_dev start $A
run_check check 100
for phase in pre-start post-start pre-stop post-stop; do
    p=$(echo $phase | tr -d -)
    run_hook $p 100 $phase
    said_touch $p
    report_dev after$p $A
done
report_modules end
