# SPDX-License-Identifier: GPL-2.0-or-later
# no-iommu: the seed's cards in an Intel machine with VT-d off in the firmware: no
# iommu groups, nothing in /sys/class/iommu. vfio-pci is loaded but could not bind
# (no group), so the GPU and its audio have no driver. VM 100: iommu-disabled.
. "$(dirname "$0")/../mkhost.sh"
host no-iommu 6.8.12-10-pve intel none
intel_box
load vfio vfio_iommu_type1 vfio_pci kvm_intel
seed_host_config
vm_emby
host_end
