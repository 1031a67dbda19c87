# SPDX-License-Identifier: GPL-2.0-or-later
# seed: THE DEMO HOST. The seed document's machine after its host configuration:
# AMD-Vi on, the RTX 4060 Ti and its audio alone in IOMMU group 12, both on vfio-pci.
# VM 100 is right; VMs 101-107 each show one way a passthrough start goes wrong.
. "$(dirname "$0")/../mkhost.sh"
host seed 6.8.12-10-pve amd amd
amd_box
dev 0000:01:00.0 drv=vfio-pci
dev 0000:01:00.1 drv=vfio-pci
load vfio vfio_iommu_type1 vfio_pci kvm_amd
seed_host_config
vm_emby
qm 101 emby-before "#VM 100 before the seed's changes" "memory: 8192" "hostpci0: 01:00"
qm 102 emby-mapped +good "memory: 8192" "hostpci0: mapping=rtx4060,pcie=1,rombar=0"
qm 103 old-gpu +good "hostpci0: mapping=oldgpu,pcie=1,rombar=0"
qm 104 other-node +good "hostpci0: mapping=othernode,pcie=1,rombar=0"
qm 105 big-memory +good -balloon "memory: 65536" "hostpci0: 0000:01:00,pcie=1,rombar=0"
qm 106 legacy-vga "machine: pc-i440fx-8.1" "bios: seabios" "hostpci0: 01:00.0,x-vga=1"
qm 107 gone-card +good "hostpci0: 0000:09:00.0,pcie=1"
file etc/pve/mapping/pci.cfg <<'CFG'
rtx4060
	description RTX 4060 Ti for Emby
	map node=pve,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,iommugroup=12

oldgpu
	description the RTX 3060 this slot held before
	map id=10de:2504,iommugroup=12,node=pve,path=0000:01:00

othernode
	map node=pve2,path=0000:01:00,id=10de:2803,iommugroup=15
CFG
file etc/default/grub <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="Proxmox VE"
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
GRUB
host_end
# the initramfs built after the seed's last update-initramfs: it matches modprobe.d
initramfs
