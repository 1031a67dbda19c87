# SPDX-License-Identifier: GPL-2.0-or-later
# in-use: the seed host while VM 200 runs with the GPU (qemu pid 4242 holds its
# reservation). VM 100 wants the same card: device-in-use. A stale reservation of the
# audio function by VM 300, expired at time 1700000000, must not count.
. "$(dirname "$0")/../mkhost.sh"
host in-use 6.8.12-10-pve amd amd
amd_box
dev 0000:01:00.0 drv=vfio-pci inuse
dev 0000:01:00.1 drv=vfio-pci
load vfio vfio_iommu_type1 vfio_pci kvm_amd
seed_host_config
vm_emby
qm 200 gaming +good "memory: 16384" "hostpci0: 0000:01:00.0,pcie=1,rombar=0"
qm 300 audio-box +good "hostpci0: 0000:01:00.1,pcie=1"
running 200 4242
file run/qemu-server/pci-id-reservations <<'RES'
0000:01:00.0 200 pid:4242
0000:01:00.1 300 time:1700000000
RES
host_end
