# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV: VFs enabled, one VF passed. The VF's config space reads ffff (by the spec): no
# device-unresponsive; pre-start moves the VF alone to vfio-pci (PF and the other VF
# untouched); post-stop returns it to no driver, where it was.
PF=0000:01:00.0 VF0=0000:01:00.1 VF1=0000:01:00.2
echo 2 >"$(sysdev $PF)/sriov_numvfs"
sleep 1
result start.numvfs "$(cat "$(sysdev $PF)/sriov_numvfs")"
result start.$VF0.physfn "$(basename "$(readlink "$(sysdev $VF0)/physfn")")"
result start.$VF0.config_vendor "$(od -An -tx2 -N2 "$(sysdev $VF0)/config" | tr -d ' ')"
for a in $PF $VF0 $VF1; do report_dev start $a; done
run_check check 100
run_hook prestart 100 pre-start
for a in $PF $VF0 $VF1; do report_dev started $a; done
result started.numvfs "$(cat "$(sysdev $PF)/sriov_numvfs")"
run_hook poststop 100 post-stop
for a in $PF $VF0 $VF1; do report_dev stopped $a; done
result stopped.numvfs "$(cat "$(sysdev $PF)/sriov_numvfs")"
