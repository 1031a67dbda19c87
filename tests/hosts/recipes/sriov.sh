# SPDX-License-Identifier: GPL-2.0-or-later
# sriov: the seed machine with SR-IOV devices, an AMD GPU, hugepages and a VM migrating in.
#   05:00.0      Intel 82576 PF (igb), sriov 8 VFs, offset 128, stride 2; 2 VFs enabled:
#   05:10.0      VF 0 on vfio-pci, passed by running VM 200 (pid 4242)
#   05:10.2      VF 1 on igbvf (the host uses it)
#                (05:10.4 would be VF 2: not created)
#   06:00.0      NVIDIA A16 PF (10de:25b6, vfio-pci), sriov 16 VFs, offset 4, stride 1; 2 enabled:
#   06:00.4/.5   its VFs with NVIDIA's vGPU sysfs API (nvidia/); VM 200 runs with 06:00.4 as vGPU
#   07:00.0/.1   AMD RX 7900 XTX (1002:744c, no reset bug) + audio, vfio-pci
#   hugepages    2 MiB pool of 16384 pages, all free; no 1 GiB pages free
#   VM 150       migrating in from node pve2: its config is in etc/pve/nodes/pve2/qemu-server/
. "$(dirname "$0")/../mkhost.sh"
host sriov 6.8.12-10-pve amd amd
amd_box
dev 0000:01:00.0 drv=vfio-pci
dev 0000:01:00.1 drv=vfio-pci
load vfio vfio_iommu_type1 vfio_pci kvm_amd
pci 0000:00:03.2 - 1022:1483 060400 port=rp acs link=4x16 slot=5 grp=5
pci 0000:00:03.3 - 1022:1483 060400 port=rp acs link=4x16 slot=6 grp=6
pci 0000:00:03.4 - 1022:1483 060400 port=rp acs link=4x16 slot=7 grp=7
pci 0000:05:00.0 0000:00:03.2 8086:10c9 020000 rev=01 sub=8086:a03c link=2x4 grp=16 drv=igb flr sriov=8:128:2 bar0=m32:fc800000:128K
pci 0000:05:10.0 0000:00:03.2 8086:10ca 020000 rev=01 sub=8086:a03c link=2x4 grp=17 drv=vfio-pci flr vf=0000:05:00.0:0 inuse
pci 0000:05:10.2 0000:00:03.2 8086:10ca 020000 rev=01 sub=8086:a03c link=2x4 grp=18 drv=igbvf flr vf=0000:05:00.0:1
pci 0000:06:00.0 0000:00:03.3 10de:25b6 030200 rev=a1 sub=10de:14a9 link=4x16 grp=19 drv=vfio-pci flr sriov=16:4:1
pci 0000:06:00.4 0000:00:03.3 10de:25b6 030200 rev=a1 sub=10de:14a9 link=4x16 grp=20 flr vf=0000:06:00.0:0
pci 0000:06:00.5 0000:00:03.3 10de:25b6 030200 rev=a1 sub=10de:14a9 link=4x16 grp=21 flr vf=0000:06:00.0:1
pci 0000:07:00.0 0000:00:03.4 1002:744c 030000 rev=c8 sub=1da2:e471 link=4x16 grp=22 drv=vfio-pci flr
pci 0000:07:00.1 0000:00:03.4 1002:ab30 040300 sub=1da2:e471 link=4x16 grp=22 drv=vfio-pci flr
seed_host_config
vm_emby
for vf in 0000:06:00.4 0000:06:00.5; do
	d=$(dpath $vf)
	echo 0 | file "$d/nvidia/current_vgpu_type"
	printf 'ID    : vGPU Name\n700   : NVIDIA A16-4Q\n701   : NVIDIA A16-8Q\n' | file "$d/nvidia/creatable_vgpu_types"
done
for kb in 2048 1048576; do
	n=$([[ $kb == 2048 ]] && echo 16384 || echo 0)
	echo $n | file "sys/kernel/mm/hugepages/hugepages-${kb}kB/nr_hugepages"
	echo $n | file "sys/kernel/mm/hugepages/hugepages-${kb}kB/free_hugepages"
done
qm 200 router +good "memory: 2048" "hostpci0: 0000:05:10.0,pcie=1" "hostpci1: 0000:06:00.4,mdev=nvidia-700,pcie=1"
running 200 4242
file run/qemu-server/pci-id-reservations <<'RES'
0000:05:10.0 200 pid:4242
0000:06:00.4 200 pid:4242
RES
qm 130 vgpu-taken +good "hostpci0: 0000:06:00.4,mdev=nvidia-700,pcie=1"
qm 131 vgpu-free +good "hostpci0: 0000:06:00.5,mdev=nvidia-700,pcie=1"
qm 170 pf +good "hostpci0: 0000:05:00.0,pcie=1"
qm 171 vf-absent +good "hostpci0: 0000:05:10.4,pcie=1"
qm 172 vf-taken +good "hostpci0: 0000:05:10.0,pcie=1"
qm 140 amd-i440fx "balloon: 0" "hostpci0: 0000:07:00"
qm 141 amd-q35 +good "hostpci0: 0000:07:00,pcie=1"
qm 160 keep-host-driver +good "hostpci0: 0000:05:10.2,pcie=1,driver=keep"
qm 161 keep-vfio +good "hostpci0: 0000:01:00.0,pcie=1,rombar=0,driver=keep"
qm 180 huge +good "memory: 28672" "hugepages: 2" "numa: 1" "hostpci0: 0000:07:00,pcie=1"
qm 181 huge-1g +good "memory: 65536" "hugepages: 1024" "numa: 1" "hostpci0: 0000:07:00,pcie=1"
qm 182 huge-no-numa +good "memory: 8192" "hugepages: 2" "hostpci0: 0000:07:00,pcie=1"
mkdir -p "$R/etc/pve/nodes/pve2/qemu-server"
qm 150 migrating +good "hostpci0: 0000:07:00,pcie=1"
mv "$R/etc/pve/nodes/pve/qemu-server/150.conf" "$R/etc/pve/nodes/pve2/qemu-server/150.conf"
host_end
