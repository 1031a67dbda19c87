# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV: the PF passed while one of its VFs is on vfio-pci. Unbinding the PF's driver
# would remove the VFs: sriov-vfs-in-use refuses the start, the PF stays on nvme.
PF=0000:01:00.0 VF0=0000:01:00.1
echo 2 >"$(sysdev $PF)/sriov_numvfs"
sleep 1
bind_by_hand $VF0
report_dev start $PF
report_dev start $VF0
run_check check 100
run_hook prestart 100 pre-start
report_touches prestart
report_dev started $PF
report_dev started $VF0
result started.numvfs "$(cat "$(sysdev $PF)/sriov_numvfs")"
