# by-hand: the seed machine set up by hand the way Proxmox's PCI passthrough guide
# (admin guide "PCI(e) Passthrough", wiki "PCI Passthrough") says, and rebooted:
# /etc/modules lists vfio, vfio_iommu_type1, vfio_pci; /etc/modprobe.d/vfio.conf has
# "options vfio-pci ids=..."; /etc/modprobe.d/blacklist.conf blacklists the host drivers;
# GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub carries iommu=pt (AMD-Vi is on by
# default); update-grub and update-initramfs -u -k all were run, then a reboot. No finding
# about the host setup may fire here (tests/unit/eval/test_setupfindings.c).
. "$(dirname "$0")/../mkhost.sh"
host by-hand 6.8.12-10-pve amd amd
cmdline "BOOT_IMAGE=/boot/vmlinuz-6.8.12-10-pve root=/dev/mapper/pve-root ro quiet iommu=pt"
amd_box
dev 0000:01:00.0 drv=vfio-pci
dev 0000:01:00.1 drv=vfio-pci
load vfio vfio_iommu_type1 vfio_pci kvm_amd
etc_modules vfio vfio_iommu_type1 vfio_pci
echo 'options vfio-pci ids=10de:2803,10de:22bd' | file etc/modprobe.d/vfio.conf
file etc/modprobe.d/blacklist.conf <<'EOF2'
blacklist nouveau
blacklist nvidia
blacklist nvidiafb
EOF2
file etc/default/grub <<'EOF2'
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="Proxmox VE"
GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt"
GRUB_CMDLINE_LINUX=""
EOF2
qm 100 emby "hostpci0: 0000:01:00,pcie=1,rombar=0" "bios: ovmf" "machine: q35" "balloon: 0" \
	"efidisk0: local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=0,size=4M"
host_end
# update-initramfs -u -k all after the last modprobe.d change
initramfs
