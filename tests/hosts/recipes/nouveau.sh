# SPDX-License-Identifier: GPL-2.0-or-later
# nouveau: the seed machine before any host configuration. The GPU is the boot display
# (efifb in its BAR) and bound to nouveau, its audio to snd_hda_intel, no vfio module is
# loaded, nothing blacklisted. VM 100 is right: only warnings, the hook can fix them.
. "$(dirname "$0")/../mkhost.sh"
host nouveau 6.8.12-10-pve amd amd
amd_box
dev 0000:01:00.0 drv=nouveau vga
dev 0000:01:00.1 drv=snd_hda_intel
load kvm_amd
vm_emby
host_end
