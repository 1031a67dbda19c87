# SPDX-License-Identifier: GPL-2.0-or-later
# setup-grub: the seed machine before any setup, installed on ext4: GRUB from /boot/grub
# (UEFI), no proxmox-boot-tool. What `hookctl setup` plans: the GRUB drop-in
# (initcall_blacklist=sysfb_init: efifb sits in the GPU's BAR), modules-load.d, modprobe.d
# softdeps and ids, update-grub, update-initramfs.
. "$(dirname "$0")/../mkhost.sh"
host setup-grub 6.8.12-10-pve amd amd
amd_box
dev 0000:01:00.0 drv=nouveau vga
dev 0000:01:00.1 drv=snd_hda_intel
load kvm_amd
vm_emby
file sys/firmware/efi/fw_platform_size <<<'64'
file etc/default/grub <<'EOF2'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="Proxmox VE"
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
EOF2
host_end
