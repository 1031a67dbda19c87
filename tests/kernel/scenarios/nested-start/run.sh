# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 16: the start as Proxmox runs it (guest/pve-start.sh), with QEMU as the judge.
# Each case: hookctl check, the start without the guard (unguarded: qemu-server's own
# preparation and QEMU), the start with it (guarded: the hook's four phases around the
# same), and the devices back on their boot drivers in between (pve_restore).
. /bench/pve-start.sh
pve_host_mount || return 1
A=0000:01:00.0
for a in $A 0000:02:01.0 0000:02:02.0 0000:03:00.0 0000:03:00.1 0000:00:05.0 0000:00:06.0; do
    report_dev boot $a
    report_group boot $a
done

# The isolated NIC: QEMU starts; then the card comes back (post-stop, policy "return")
# and a second guarded start on the same card works.
pve_case isolated 100
report_dev isolated.back $A
pve_start second.first 100 guarded
pve_start second.again 100 guarded
report_dev second.back $A
pve_restore

# A missing romfile (/usr/share/kvm/bench-missing.rom): QEMU "failed to find romfile".
pve_case romfile 102

# The card held by another VM's running QEMU: VM 101 starts (guarded) and keeps running.
pve_start holder 101 guarded keep
report_dev holder.running $A
pve_case held 100
# The same without VM 101's reservation (say, a QEMU started by hand with its pid file):
# now QEMU itself judges, and the guard must still see the running QEMU.
pve_unreserve 101
pve_case heldqemu 100
pve_stop holder 101 guarded
pve_restore

# driver=keep on the host driver (QEMU cannot open /dev/vfio/N) and on vfio-pci.
pve_case keephost 103
keep_on_vfio() { bind_by_hand $A >/dev/null 2>&1; }
pve_case keepvfio 104 keep_on_vfio
pve_restore

# An address the host does not have; the NIC on i440fx (no machine key).
pve_case absent 105
pve_case i440fx 106

# x-vga=1 on a NIC (SeaBIOS: qemu-server passes x-vga=on); more memory than the host can
# pin (1536 MiB in this 1024 MiB guest); pcie=1 on i440fx.
pve_case xvga 111
pve_case memory 112
pve_case pcie440 113

# A group shared with a host NIC behind a conventional bridge: qemu-server binds both.
pve_case shared 107

# The two-function shape (e1000e + pci-testdev, one group).
pve_case twofunc 108

# An SR-IOV VF of QEMU's nvme (its config space reads ffff; sysfs has the PF's ids).
PF=0000:00:05.0
echo 2 >$(sysdev $PF)/sriov_numvfs
# 6.1's nvme probes the VFs and lets go of them once they fail to come up: wait for that
vf_settle() {
    local i=0
    while [ $i -lt 30 ] && { [ "$(dev_driver 0000:00:05.1)" != none ] || [ "$(dev_driver 0000:00:05.2)" != none ]; }; do
        sleep 1; i=$((i + 1))
    done
    result vf.settle_s $i
}
vf_settle
result vf.numvfs "$(cat $(sysdev $PF)/sriov_numvfs)"
report_dev vf.boot 0000:00:05.1
report_group vf.boot 0000:00:05.1
result vf.config_vendor "$(od -An -tx2 -N2 $(sysdev 0000:00:05.1)/config | tr -d ' ')"
pve_snapshot_boot
pve_case vf 109

# The same VFs with sriov_drivers_autoprobe 0 (as admins set it for passthrough VFs): the
# kernel probes a VF then only for a driver_override, so qemu-server's new_id + bind
# cannot bind it; the hook binds through driver_override and the guarded start works.
echo 0 >$(sysdev $PF)/sriov_numvfs
echo 0 >$(sysdev $PF)/sriov_drivers_autoprobe
echo 2 >$(sysdev $PF)/sriov_numvfs
result vfnoprobe.numvfs "$(cat $(sysdev $PF)/sriov_numvfs)"
report_dev vfnoprobe.boot 0000:00:05.1
pve_snapshot_boot
pve_case vfnoprobe 109

# The NIC on the root bus (the AMD-Vi shape with DMA).
pve_case rootbus 110
