# SPDX-License-Identifier: GPL-2.0-or-later
# legacy-kernel: Proxmox on Debian's 6.1 kernel (vfio_virqfd is still a module there,
# so /etc/modules listing it is right). Intel VT-d on, no vfio module loaded, an e1000e
# NIC alone behind its root port. VM 100 passes the NIC: driver-not-vfio,
# module-not-loaded, host-driver-not-blacklisted (e1000e) - warnings only.
. "$(dirname "$0")/../mkhost.sh"
host legacy-kernel 6.1.0-27-amd64 intel intel
cmdline "BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=/dev/mapper/pve-root ro quiet intel_iommu=on"
memory 16283072 12582912
pci 0000:00:00.0 - 8086:191f 060000 rev=07 sub=1043:8694 grp=0
pci 0000:00:1c.0 - 8086:a110 060400 rev=f1 port=rp acs link=1x1 slot=3 grp=1
pci 0000:01:00.0 0000:00:1c.0 8086:10d3 020000 sub=8086:a01f link=1x1 grp=2 drv=e1000e \
	bar0=m32:df200000:128K bar2=io:e000:32 bar3=m32:df220000:16K
load kvm_intel
etc_modules vfio vfio_iommu_type1 vfio_pci vfio_virqfd
qm 100 router +good "memory: 2048" "hostpci0: 0000:01:00.0,pcie=1"
host_end
