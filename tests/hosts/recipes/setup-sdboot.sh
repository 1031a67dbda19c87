# SPDX-License-Identifier: GPL-2.0-or-later
# setup-sdboot: the seed machine before any setup, installed on ZFS with UEFI and no
# Secure Boot: proxmox-boot-tool's ESPs with systemd-boot (/proc/cmdline starts with
# initrd=\EFI\proxmox\...). Kernel options belong on line 1 of /etc/kernel/cmdline; the
# installer's /etc/default/grub and grub.d/zfs.cfg are there and unread.
. "$(dirname "$0")/../mkhost.sh"
host setup-sdboot 6.8.12-10-pve amd amd
amd_box
cmdline 'initrd=\EFI\proxmox\6.8.12-10-pve\initrd.img-6.8.12-10-pve root=ZFS=rpool/ROOT/pve-1 boot=zfs'
dev 0000:01:00.0 drv=nouveau vga
dev 0000:01:00.1 drv=snd_hda_intel
load kvm_amd
vm_emby
file sys/firmware/efi/fw_platform_size <<<'64'
file etc/kernel/proxmox-boot-uuids <<<'7E2A-1C3D'
file etc/kernel/cmdline <<<'root=ZFS=rpool/ROOT/pve-1 boot=zfs'
file etc/default/grub <<'EOF2'
GRUB_DEFAULT=0
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
EOF2
file etc/default/grub.d/zfs.cfg <<<'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX root=ZFS=rpool/ROOT/pve-1 boot=zfs"'
host_end
