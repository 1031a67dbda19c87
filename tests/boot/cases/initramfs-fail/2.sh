# SPDX-License-Identifier: GPL-2.0-or-later
# Boot 2: the host still boots as before, and check finds the images as the disk.
report_boot boot2
run_check boot2.check $VMID
snapshot boot2
compare boot2.etc before boot2
