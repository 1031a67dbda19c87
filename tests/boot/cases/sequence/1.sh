# Boot 1: the host before setup; hookctl setup 100 --apply --no-vm with the real tools.
install_deb
install_vm 100.conf
report_boot boot1
run_check boot1.check $VMID
snapshot before
run_setup boot1.plan $VMID --no-vm
run_setup boot1.apply $VMID --apply --no-vm
snapshot applied
compare boot1.applied before applied
result boot1.modprobe "$(grep -v '^#' /etc/modprobe.d/vfiohelp.conf 2>/dev/null | tr '\n' ';')"
result boot1.modules "$(grep -v '^#' /etc/modules-load.d/vfiohelp.conf 2>/dev/null | tr '\n' ' ')"
result boot1.grubcfg.intel_iommu "$(grep -c 'linux.*intel_iommu=on' /boot/grub/grub.cfg)"
