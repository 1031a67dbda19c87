# SPDX-License-Identifier: GPL-2.0-or-later
# health: the seed machine with more cards behind more GPP bridges (AMD-Vi, interrupts
# remapped), each showing one way a device fails after the setup looks right. One VM per
# case; VM 100 (the seed's GPU) is the same host without any of these faults.
#   05:00.0/.1  Navi 10 RX 5700 XT + audio, vfio-pci, reset_method "pm" (no vendor-reset)
#   06:00.0/.1  the same card with vendor-reset's device_specific reset
#   07:00.0     ASMedia SATA controller the kernel cannot reset (no reset_method, no reset)
#   08:00.0     Intel I210 NIC in D3cold
#   09:00.0     Intel I225-V NIC that no longer answers (config space reads all ones)
#   0a:00.0     Intel 82574L NIC on vfio-pci, claimed by vfio-pci ids=8086:10d3
#   0b:00.0     an identical 82574L the host uses (e1000e), passed by no VM
#   /usr/share/kvm/   ROM files an admin put there (made up by mkhost.sh's rom: headers,
#                     PCIR, EFI header, no code): ad106.rom (the GPU's, 10de:2803, x86 +
#                     EFI), ad106-nvflash.rom (the same behind a 1536-byte flashing tool
#                     header), ad106-cut.rom (cut short), ad10x.rom (10de:2805 with 2803 in
#                     its device list), ga104.rom (10de:2484), amd/navi10.rom (1002:731f)
#   the GPU's sysfs rom holds ad106.rom's bytes (hookctl rom); 07:00.0 has no ROM BAR
. "$(dirname "$0")/../mkhost.sh"
host health 6.8.12-10-pve amd amd
amd_box
dev 0000:01:00.0 drv=vfio-pci
dev 0000:01:00.1 drv=vfio-pci
pci 0000:00:03.2 - 1022:1483 060400 port=rp acs link=4x16 slot=5 grp=5
pci 0000:00:03.3 - 1022:1483 060400 port=rp acs link=4x16 slot=6 grp=6
pci 0000:00:03.4 - 1022:1483 060400 port=rp acs link=3x2 slot=7 grp=7
pci 0000:00:03.5 - 1022:1483 060400 port=rp acs link=2x1 slot=8 grp=8
pci 0000:00:03.6 - 1022:1483 060400 port=rp acs link=2x1 slot=9 grp=9
pci 0000:00:03.7 - 1022:1483 060400 port=rp acs link=1x1 slot=10 grp=10
pci 0000:00:07.1 - 1022:1483 060400 port=rp acs link=1x1 slot=11 grp=11
pci 0000:05:00.0 0000:00:03.2 1002:731f 030000 rev=c1 sub=1682:5701 link=4x16 grp=16 drv=vfio-pci reset=pm
pci 0000:05:00.1 0000:00:03.2 1002:ab38 040300 sub=1682:5701 link=4x16 grp=16 drv=vfio-pci reset=pm
pci 0000:06:00.0 0000:00:03.3 1002:731f 030000 rev=c1 sub=1da2:e411 link=4x16 grp=17 drv=vfio-pci reset=device_specific,pm
pci 0000:06:00.1 0000:00:03.3 1002:ab38 040300 sub=1da2:e411 link=4x16 grp=17 drv=vfio-pci reset=pm
pci 0000:07:00.0 0000:00:03.4 1b21:0612 010601 link=3x2 grp=18 drv=vfio-pci reset=none
pci 0000:08:00.0 0000:00:03.5 8086:1533 020000 rev=03 link=2x1 grp=19 drv=vfio-pci flr d3cold
pci 0000:09:00.0 0000:00:03.6 8086:15f3 020000 rev=03 link=2x1 grp=20 drv=vfio-pci flr dead
pci 0000:0a:00.0 0000:00:03.7 8086:10d3 020000 sub=8086:a01f link=1x1 grp=21 drv=vfio-pci
pci 0000:0b:00.0 0000:00:07.1 8086:10d3 020000 sub=8086:a01f link=1x1 grp=22 drv=e1000e
load vfio vfio_iommu_type1 vfio_pci kvm_amd
etc_modules vfio vfio_iommu_type1 vfio_pci
echo 'options vfio-pci ids=10de:2803,10de:22bd,1002:731f,1002:ab38,1b21:0612,8086:10d3' | file etc/modprobe.d/vfio.conf
printf 'blacklist nouveau\nblacklist amdgpu\n' | file etc/modprobe.d/blacklist-gpu.conf
gpu_rom=(x86:10de:2803:list=2803 efi:10de:2803)
rom usr/share/kvm/nvidia/ad106.rom "${gpu_rom[@]}"
rom usr/share/kvm/nvidia/ad106-nvflash.rom header=1536 "${gpu_rom[@]}"
rom usr/share/kvm/nvidia/ad106-cut.rom cut=1536 "${gpu_rom[@]}"
rom usr/share/kvm/nvidia/ad10x.rom x86:10de:2805:list=2805,2803 efi:10de:2805:list=2805,2803
rom usr/share/kvm/nvidia/ga104.rom x86:10de:2484 efi:10de:2484
rom usr/share/kvm/amd/navi10.rom x86:1002:731f efi:1002:731f
vm_emby
gpu="pcie=1,rombar=0"
qm 110 navi-bug +good "hostpci0: 0000:05:00,$gpu"
qm 111 navi-fixed +good "hostpci0: 0000:06:00,$gpu"
qm 112 no-reset +good "hostpci0: 0000:07:00.0,pcie=1"
qm 113 asleep +good "hostpci0: 0000:08:00.0,pcie=1"
qm 114 gone +good "hostpci0: 0000:09:00.0,pcie=1"
qm 115 rom-ok +good "hostpci0: 0000:01:00,$gpu,romfile=nvidia/ad106.rom"
qm 116 rom-missing +good "hostpci0: 0000:01:00,$gpu,romfile=gp104.rom"
qm 117 rom-absolute +good "hostpci0: 0000:01:00,$gpu,romfile=/usr/share/kvm/nvidia/ad106.rom"
qm 118 nic-twin +good "hostpci0: 0000:0a:00.0,pcie=1"
qm 120 keep-no-reset +good "hostpci0: 0000:07:00.0,pcie=1,driver=keep"
qm 121 rom-header +good "hostpci0: 0000:01:00,$gpu,romfile=nvidia/ad106-nvflash.rom"
qm 122 rom-vendor +good "hostpci0: 0000:01:00,$gpu,romfile=amd/navi10.rom"
qm 123 rom-device +good "hostpci0: 0000:01:00,$gpu,romfile=nvidia/ga104.rom"
qm 124 rom-list +good "hostpci0: 0000:01:00,$gpu,romfile=nvidia/ad10x.rom"
qm 125 rom-cut +good "hostpci0: 0000:01:00,$gpu,romfile=nvidia/ad106-cut.rom"
qm 126 rom-spoofed +good "hostpci0: 0000:01:00,$gpu,romfile=nvidia/ga104.rom,device-id=0x2484"
host_end
rom "$(dpath 0000:01:00.0)/rom" "${gpu_rom[@]}"
