# SPDX-License-Identifier: GPL-2.0-or-later
# setup-zfs-grub: the seed machine before any setup, installed on ZFS and booting GRUB
# through proxmox-boot-tool (Secure Boot: BOOT_IMAGE= on /proc/cmdline). The installer's
# /etc/kernel/cmdline is present and unread: kernel options belong in a grub.d drop-in.
. "$(dirname "$0")/../mkhost.sh"
host setup-zfs-grub 6.8.12-10-pve amd amd
amd_box
cmdline 'BOOT_IMAGE=/ROOT/pve-1@/boot/vmlinuz-6.8.12-10-pve root=ZFS=rpool/ROOT/pve-1 ro boot=zfs quiet'
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
