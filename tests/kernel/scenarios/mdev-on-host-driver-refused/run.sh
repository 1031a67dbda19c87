# SPDX-License-Identifier: GPL-2.0-or-later
# mdev= names the e1000e, which stays on its host driver and offers no mdev types: check
# and pre-start refuse with mdev-unavailable, and no phase unbinds, overrides or resets
# the parent (a vGPU parent on its host driver serves every vGPU on the card).
A=0000:01:00.0
report_dev start $A
run_check check 100
run_phases 100 $A
report_modules end
