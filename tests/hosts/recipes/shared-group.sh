# SPDX-License-Identifier: GPL-2.0-or-later
# shared-group: an Intel host whose GPU sits behind a PCIe switch without ACS: the switch,
# its root port, the GPU, a USB controller on xhci_hcd and an unbound SATA controller
# all share IOMMU group 1. VM 100 passes the GPU: group-not-isolated (0000:05:00.0).
. "$(dirname "$0")/../mkhost.sh"
host shared-group 6.8.12-10-pve intel intel
cmdline "BOOT_IMAGE=/boot/vmlinuz-6.8.12-10-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt"
pci 0000:00:00.0 - 8086:191f 060000 rev=07 sub=1043:8694 grp=0
pci 0000:00:1b.0 - 8086:a167 060400 rev=f0 port=rp acs link=3x4 slot=2 grp=2        # isolates
pci 0000:01:00.0 0000:00:1b.0 144d:a80a 010802 sub=144d:a801 flr link=4x4 drv=nvme grp=3 bar0=m64:df300000:16K
pci 0000:00:1c.0 - 8086:a110 060400 rev=f1 port=rp link=3x4 slot=3 grp=1            # no ACS
pci 0000:02:00.0 0000:00:1c.0 1b21:2824 060400 port=up link=3x4 grp=1                # ASMedia switch
pci 0000:03:00.0 0000:02:00.0 1b21:2824 060400 port=dn link=3x4 slot=4 grp=1         # no ACS
pci 0000:03:01.0 0000:02:00.0 1b21:2824 060400 port=dn link=3x2 slot=5 grp=1
pci 0000:03:02.0 0000:02:00.0 1b21:2824 060400 port=dn link=3x1 slot=6 grp=1
pci 0000:04:00.0 0000:03:00.0 10de:2803 030000 rev=a1 sub=1043:88a1 flr link=4x8 grp=1 drv=vfio-pci \
	bar0=m32:de000000:16M bar1=m64p:c0000000:256M bar3=m64p:d0000000:32M bar5=io:e000:128 rom=df000000:512K
pci 0000:04:00.1 0000:03:00.0 10de:22bd 040300 rev=a1 sub=1043:88a1 flr link=4x8 grp=1 drv=vfio-pci bar0=m32:df080000:16K
pci 0000:05:00.0 0000:03:01.0 1b21:2142 0c0330 sub=1043:8756 link=3x2 grp=1 drv=xhci_hcd bar0=m64:df100000:32K
pci 0000:06:00.0 0000:03:02.0 1b21:0612 010601 rev=01 sub=1b21:1060 link=2x1 grp=1 \
	bar0=io:d050:8 bar1=io:d040:4 bar2=io:d030:8 bar3=io:d020:4 bar4=io:d000:32 bar5=m32:df200000:512
load vfio vfio_iommu_type1 vfio_pci kvm_intel
seed_host_config
vm_emby 0000:04:00,pcie=1,rombar=0
host_end
