# SPDX-License-Identifier: GPL-2.0-or-later
# unsafe-interrupts: no-intremap after the forum's usual answer: an options line lets vfio
# take devices without interrupt remapping (allow_unsafe_interrupts Y). VM 100 passes the
# e1000e NIC: unsafe-interrupts (warn), no interrupt-remapping-missing: the start works.
. "$(dirname "$0")/../mkhost.sh"
nic_host unsafe-interrupts
cmdline "BOOT_IMAGE=/boot/vmlinuz-6.8.12-10-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on intremap=off"
intremap off
unsafe_interrupts Y
echo 'options vfio_iommu_type1 allow_unsafe_interrupts=1' | file etc/modprobe.d/iommu_unsafe_interrupts.conf
host_end
