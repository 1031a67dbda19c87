#!/bin/sh
# The boot bench's runner (installed as /usr/local/sbin/vfiohelp-bench, started by
# vfiohelp-bench.service at every boot). QEMU hands the step over through fw_cfg:
# every opt/vfiohelp/NAME entry is copied to /run/bench/NAME and opt/vfiohelp/script is
# run with /run/bench/lib.sh (when given) sourced. Its output ("RESULT key=value" and
# "LOG ..." lines) goes to the second serial port (ttyS1), which the host reads, and to
# the journal (vfiohelp-bench.service); then the system powers off. Without a script
# (a boot by hand) it does nothing.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/root
modprobe qemu_fw_cfg 2>/dev/null
FW=/sys/firmware/qemu_fw_cfg/by_name/opt/vfiohelp
[ -r $FW/script/raw ] || exit 0
mkdir -p /run/bench
for d in $FW/*/; do
    n=$(basename "$d")
    cat "$d/raw" >/run/bench/"$n"
done
udevadm settle --timeout=60
cd /run/bench
{
    echo "RESULT bench.kernel=$(uname -r)"
    echo "RESULT bench.cmdline=$(cat /proc/cmdline)"
    timeout "$(cat /run/bench/timeout 2>/dev/null || echo 900)" \
        sh -c '[ -f /run/bench/lib.sh ] && . /run/bench/lib.sh; . /run/bench/script'
    echo "RESULT bench.script_rc=$?"
    sync
    echo "RESULT bench.done=1"
} 2>&1 | tee /dev/ttyS1
sync
systemctl poweroff --no-block
