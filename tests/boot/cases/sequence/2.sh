# SPDX-License-Identifier: GPL-2.0-or-later
# Boot 2: after setup and a reboot: the options, the IOMMU, vfio-pci from boot; check and
# a second setup find nothing left; then setup --undo.
report_boot boot2
result boot2.options.on_cmdline "$(options_in "$(cat /proc/cmdline)")"
run_check boot2.check $VMID
run_setup boot2.again $VMID --no-vm
hookctl setup --undo >/tmp/undo.out 2>&1
result boot2.undo.rc $?
logfile undo /tmp/undo.out
report_journal boot2.journal
snapshot undone
compare boot2.undone before undone
