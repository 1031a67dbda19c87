# SPDX-License-Identifier: GPL-2.0-or-later
# Boot 1: the host before setup; hookctl setup 100 --apply --no-vm with the real tools.
install_deb
install_vm 100.conf
# Bookworm's 6.1 ships its modules uncompressed: its MODULES=most image under TCG passed
# setup's 600 s command limit here three times (exit 137), so bookworm builds
# MODULES=dep images; trixie keeps Debian's default, with e1000e inside the image.
. /etc/os-release
[ "$VERSION_CODENAME" = bookworm ] && sed -i 's/^MODULES=.*/MODULES=dep/' /etc/initramfs-tools/initramfs.conf
result boot1.initramfs_modules "$(sed -n 's/^MODULES=//p' /etc/initramfs-tools/initramfs.conf)"
report_boot boot1
run_check boot1.check $VMID
snapshot before
run_setup boot1.plan $VMID --no-vm
run_setup boot1.apply $VMID --apply --no-vm
snapshot applied
compare boot1.applied before applied
report_journal boot1.journal
result boot1.modprobe "$(grep -v '^#' /etc/modprobe.d/vfiohelp.conf 2>/dev/null | tr '\n' ';')"
result boot1.modules "$(grep -v '^#' /etc/modules-load.d/vfiohelp.conf 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
# The kernel options setup added, kept for boot 2, and whether update-grub put them in.
sed -n 's/^GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT *\(.*\)"$/\1/p' \
    /etc/default/grub.d/vfiohelp.cfg 2>/dev/null >$STATE/options
result boot1.options "$(cat $STATE/options)"
result boot1.options.in_grubcfg "$(options_in "$(grep -m1 '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg)")"
