# SPDX-License-Identifier: GPL-2.0-or-later
# machines.sh: machines, host configuration and VMs that several recipes share.
# Sourced by mkhost.sh. Device lines: pci ADDR PARENT VID:DID CLASS options (see mkhost.sh).

# The seed document's machine: Ryzen 5 5600X on an ASUS X570 board (AMD-Vi), RTX 4060 Ti
# in the first x16 slot, a Samsung NVMe, the on-board Realtek NIC, an ASMedia USB card.
# Each endpoint sits behind its own GPP bridge (root port) with ACS; the GPU and its
# audio function are alone in IOMMU group 12, as in the seed. Drivers: set by the recipe.
amd_box() {
	pci 0000:00:00.0 - 1022:1480 060000 sub=1043:87c0                       # root complex
	pci 0000:00:00.2 - 1022:1481 080600 sub=1043:87c0                       # IOMMU
	pci 0000:00:01.1 - 1022:1483 060400 port=rp acs link=4x16 slot=1 grp=1  # GPP bridges
	pci 0000:00:01.2 - 1022:1483 060400 port=rp acs link=4x4 slot=2 grp=2
	pci 0000:00:01.3 - 1022:1483 060400 port=rp acs link=3x1 slot=3 grp=3
	pci 0000:00:03.1 - 1022:1483 060400 port=rp acs link=3x2 slot=4 grp=4
	pci 0000:01:00.0 0000:00:01.1 10de:2803 030000 rev=a1 sub=1043:88a1 flr link=4x8 grp=12 \
		bar0=m32:fb000000:16M bar1=m64p:d0000000:256M bar3=m64p:e0000000:32M bar5=io:f000:128 rom=fc000000:512K
	pci 0000:01:00.1 0000:00:01.1 10de:22bd 040300 rev=a1 sub=1043:88a1 flr link=4x8 grp=12 bar0=m32:fc080000:16K
	pci 0000:02:00.0 0000:00:01.2 144d:a80a 010802 sub=144d:a801 flr link=4x4 grp=13 drv=nvme bar0=m64:fcf00000:16K
	pci 0000:03:00.0 0000:00:01.3 10ec:8168 020000 rev=15 sub=1043:8677 link=1x1 grp=14 drv=r8169 \
		bar0=io:e000:256 bar2=m64:fce04000:4K bar4=m64:fce00000:16K
	pci 0000:04:00.0 0000:00:03.1 1b21:2142 0c0330 sub=1043:8756 link=3x2 grp=15 drv=xhci_hcd bar0=m64:fcd00000:32K
}

# The same cards in an Intel machine (i7-6700K, Z170): the GPU behind the CPU's PEG port,
# the rest behind PCH root ports. No iommu groups: used with the IOMMU off.
intel_box() {
	pci 0000:00:00.0 - 8086:191f 060000 rev=07 sub=1043:8694                # host bridge
	pci 0000:00:01.0 - 8086:1901 060400 rev=07 port=rp link=3x16 slot=1     # PEG port
	pci 0000:00:1b.0 - 8086:a167 060400 rev=f0 port=rp link=3x4 slot=2      # PCH root ports
	pci 0000:00:1c.0 - 8086:a110 060400 rev=f1 port=rp link=1x1 slot=3
	pci 0000:00:1c.4 - 8086:a114 060400 rev=f1 port=rp link=2x2 slot=4
	pci 0000:01:00.0 0000:00:01.0 10de:2803 030000 rev=a1 sub=1043:88a1 flr link=4x8 \
		bar0=m32:de000000:16M bar1=m64p:c0000000:256M bar3=m64p:d0000000:32M bar5=io:e000:128 rom=df000000:512K
	pci 0000:01:00.1 0000:00:01.0 10de:22bd 040300 rev=a1 sub=1043:88a1 flr link=4x8 bar0=m32:df080000:16K
	pci 0000:02:00.0 0000:00:1b.0 144d:a80a 010802 sub=144d:a801 flr link=4x4 drv=nvme bar0=m64:df300000:16K
	pci 0000:03:00.0 0000:00:1c.0 10ec:8168 020000 rev=15 sub=1043:8677 link=1x1 drv=r8169 \
		bar0=io:d000:256 bar2=m64:df204000:4K bar4=m64:df200000:16K
	pci 0000:04:00.0 0000:00:1c.4 1b21:2142 0c0330 sub=1043:8756 link=3x2 drv=xhci_hcd bar0=m64:df100000:32K
}

# The host configuration the seed document creates, file for file.
seed_host_config() {
	etc_modules vfio vfio_iommu_type1 vfio_pci vfio_virqfd
	file etc/modprobe.d/blacklist-nvidia.conf <<-'EOF'
	blacklist nouveau
	blacklist nvidia
	blacklist nvidiafb
	blacklist nvidia_drm
	EOF
	echo 'options vfio-pci ids=10de:2803,10de:22bd' | file etc/modprobe.d/vfio.conf
}

# qm VMID NAME [KEY: VALUE | -KEY | +good | #DESCRIPTION]...: a VM config with the usual keys
# of a Linux VM, changed by the arguments, keys sorted as Proxmox writes them. +good adds
# what passthrough wants: machine q35, bios ovmf with an efidisk0, balloon 0.
qm() {
	local id=$1 l key
	declare -A k=([boot]="order=scsi0;net0" [cores]=4 [cpu]=host [hookscript]=local:snippets/vfio-hook
		[memory]=4096 [meta]="creation-qemu=8.1.5,ctime=1722470400" [name]=$2 [numa]=0 [ostype]=l26
		[net0]="virtio=BC:24:11:00:0$((id / 100)):$((id % 100 + 10)),bridge=vmbr0,firewall=1"
		[scsi0]="local-lvm:vm-$id-disk-0,iothread=1,size=32G" [scsihw]=virtio-scsi-single
		[smbios1]="uuid=5c1a9e42-7d1b-4c0e-8f3a-00000000$(printf %04d "$id")" [sockets]=1
		[vmgenid]="0e4b2d71-93c5-4f6a-b8d2-00000000$(printf %04d "$id")")
	local desc=()
	shift 2
	for l; do
		case $l in
		'#'*) desc+=("$l") ;;
		-*) unset "k[${l#-}]" ;;
		+good) k[bios]=ovmf k[machine]=q35 k[balloon]=0 k[efidisk0]="local-lvm:vm-$id-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M" ;;
		*) k[${l%%:*}]=${l#*: } ;;
		esac
	done
	{
		((${#desc[@]})) && printf '%s\n' "${desc[@]}"
		for key in $(printf '%s\n' "${!k[@]}" | LC_ALL=C sort); do echo "$key: ${k[$key]}"; done
	} | vm "$id"
}

# VM 100 as the seed leaves it: q35, OVMF with an EFI disk, the GPU's two functions with
# pcie=1,rombar=0, ballooning off. Its snapshot from before the change still holds the
# old i440fx/SeaBIOS settings and 4 GiB: only the lines before [before-gpu] count.
vm_emby() { # [HOSTPCI0]
	vm 100 <<-EOF
	#Emby media server, NVENC transcoding (IN-032)
	agent: 1
	balloon: 0
	bios: ovmf
	boot: order=scsi0;net0
	cores: 4
	cpu: host
	efidisk0: local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M
	hookscript: local:snippets/vfio-hook
	hostpci0: ${1:-0000:01:00,pcie=1,rombar=0}
	machine: q35
	memory: 8192
	meta: creation-qemu=8.1.5,ctime=1722470400
	name: emby
	net0: virtio=BC:24:11:5E:7A:10,bridge=vmbr0,firewall=1
	numa: 0
	onboot: 1
	ostype: l26
	parent: before-gpu
	scsi0: local-lvm:vm-100-disk-0,iothread=1,size=64G
	scsihw: virtio-scsi-single
	smbios1: uuid=6f1c2f6e-2b0d-4c4e-9b43-0f5f7b8e1a10
	sockets: 1
	vmgenid: 3d0d5c8a-8d3e-4f1b-a0e2-6b1f4a2c9e77

	[before-gpu]
	#Emby media server, NVENC transcoding (IN-032)
	agent: 1
	bios: seabios
	boot: order=scsi0;net0
	cores: 4
	cpu: host
	machine: pc-i440fx-8.1
	memory: 4096
	meta: creation-qemu=8.1.5,ctime=1722470400
	name: emby
	net0: virtio=BC:24:11:5E:7A:10,bridge=vmbr0,firewall=1
	numa: 0
	onboot: 1
	ostype: l26
	scsi0: local-lvm:vm-100-disk-0,iothread=1,size=64G
	scsihw: virtio-scsi-single
	smbios1: uuid=6f1c2f6e-2b0d-4c4e-9b43-0f5f7b8e1a10
	snaptime: 1761955200
	sockets: 1
	vmgenid: 3d0d5c8a-8d3e-4f1b-a0e2-6b1f4a2c9e77
	EOF
}

# An Intel host (VT-d on) whose Intel 82574L NIC (e1000e, 8086:10d3) sits alone behind a
# root port with ACS, already on vfio-pci; VM 100 (router) passes it. For the interrupt
# remapping hosts: the recipe says whether interrupts are remapped.
nic_host() { # NAME
	host "$1" 6.8.12-10-pve intel intel
	pci 0000:00:00.0 - 8086:191f 060000 rev=07 sub=1043:8694 grp=0
	pci 0000:00:1c.0 - 8086:a110 060400 rev=f1 port=rp acs link=1x1 slot=3 grp=1
	pci 0000:01:00.0 0000:00:1c.0 8086:10d3 020000 sub=8086:a01f link=1x1 grp=2 drv=vfio-pci \
		bar0=m32:df200000:128K bar2=io:e000:32 bar3=m32:df220000:16K
	load vfio vfio_iommu_type1 vfio_pci kvm_intel
	etc_modules vfio vfio_iommu_type1 vfio_pci
	echo 'options vfio-pci ids=8086:10d3' | file etc/modprobe.d/vfio.conf
	qm 100 router +good "memory: 2048" "hostpci0: 0000:01:00.0,pcie=1"
}
