# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV after a boot: sriov_numvfs is 0, the VF address the VM names does not exist yet.
# vf-not-created (not device-missing), naming the PF's sriov_numvfs; nothing touched.
PF=0000:01:00.0 VF0=0000:01:00.1
result start.numvfs "$(cat "$(sysdev $PF)/sriov_numvfs")"
result start.offset "$(cat "$(sysdev $PF)/sriov_offset")"
result start.stride "$(cat "$(sysdev $PF)/sriov_stride")"
report_dev start $VF0
run_check check 100
grep -o 'echo 1 > /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs' /tmp/check.json | head -n1 >/tmp/fix
result check.fix "$(cat /tmp/fix)"
run_hook prestart 100 pre-start
report_touches prestart
report_dev started $PF
