# SPDX-License-Identifier: GPL-2.0-or-later
# Bench self-test: the guest's topology and a by-hand bind to vfio-pci and back,
# with busybox and kmod only.
for d in /sys/bus/pci/devices/*; do
    a=${d##*/}
    result "topo.$a" "$(cat $d/vendor):$(cat $d/device) class=$(cat $d/class) driver=$(dev_driver $a) group=$(dev_group $a) boot_vga=$(cat $d/boot_vga 2>/dev/null)"
done
for g in /sys/kernel/iommu_groups/*; do
    result "groupdevs.${g##*/}" "$(ls $g/devices | tr '\n' ' ')"
done
for a in 0000:00:01.0 0000:01:00.0 0000:02:00.0 0000:03:01.0; do report_group shape $a; done
report_modules before
A=0000:01:00.0
report_dev before $A
result before.reset_method "$(cat $(sysdev $A)/reset_method 2>&1)"
modprobe vfio-pci; result modprobe_rc $?
modprobe vfio_iommu_type1
echo vfio-pci >$(sysdev $A)/driver_override
echo $A >$(sysdev $A)/driver/unbind
echo $A >/sys/bus/pci/drivers_probe
report_dev bound $A
ls -l /dev/vfio | sed 's/^/LOG /'
report_modules bound
echo 1 >$(sysdev $A)/reset; result reset_rc $?
echo >$(sysdev $A)/driver_override
echo $A >$(sysdev $A)/driver/unbind
echo $A >/sys/bus/pci/drivers_probe
report_dev returned $A
