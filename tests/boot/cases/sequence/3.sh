# SPDX-License-Identifier: GPL-2.0-or-later
# Boot 3: after the undo and a reboot: the host as it was before setup.
report_boot boot3
result boot3.options.on_cmdline "$(options_in "$(cat /proc/cmdline)")"
run_check boot3.check $VMID
snapshot boot3
compare boot3.etc before boot3
