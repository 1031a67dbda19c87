# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 6: a bind that cannot complete. The second function's driver_override is
# covered by a read-only file, so it cannot be moved to vfio-pci. pre-start must refuse,
# and every function must be back on e1000e, as at boot.
A=0000:01:00.0 B=0000:01:00.1
report_dev start $A
report_dev start $B
report_group start $A

f=$(realpath "$(sysdev $B)/driver_override")
echo '(null)' >/tmp/override-trap
mount --bind /tmp/override-trap "$f" && mount -o remount,bind,ro "$f"
if echo vfio-pci 2>/dev/null >"$f"; then result trap.armed no; else result trap.armed yes; fi

run_hook prestart 100 pre-start
umount "$f"
report_dev after $A
report_dev after $B
report_modules after
