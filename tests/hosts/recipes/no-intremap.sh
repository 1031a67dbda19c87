# SPDX-License-Identifier: GPL-2.0-or-later
# no-intremap: VT-d is on but interrupts are not remapped (intremap=off on the kernel line;
# firmware without x2APIC/IR looks the same): /proc/interrupts has IO-APIC and PCI-MSI
# chips, none IR-. vfio_iommu_type1's allow_unsafe_interrupts is N. VM 100 passes the
# e1000e NIC: interrupt-remapping-missing (error): vfio refuses the device at start.
. "$(dirname "$0")/../mkhost.sh"
nic_host no-intremap
cmdline "BOOT_IMAGE=/boot/vmlinuz-6.8.12-10-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on intremap=off"
intremap off
host_end
