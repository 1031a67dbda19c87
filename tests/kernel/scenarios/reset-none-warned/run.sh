# SPDX-License-Identifier: GPL-2.0-or-later
# A device the kernel cannot reset: no reset_method and no reset file in sysfs. check
# warns reset-unavailable and allows; pre-start binds it (and does not try to reset it).
A=0000:00:03.0
result start.reset_method "$(cat $(sysdev $A)/reset_method 2>/dev/null || echo absent)"
result start.reset "$([ -e $(sysdev $A)/reset ] && echo present || echo absent)"
report_dev start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev started $A
report_devices devices
