# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 4: the "Code 43" settings on a display device that is not NVIDIA's: QEMU's VGA
# (vendor 1234, class 0x030000) passed with no machine key (i440fx) and no bios key
# (SeaBIOS), beside a NIC. Code 43 is NVIDIA's, so check only warns (machine-i440fx,
# bios-seabios on the config keys; no rombar-enabled) and allows; pre-start moves
# both devices to vfio-pci. (An NVIDIA card cannot be emulated here: the blocking rule for
# vendor 10de is proven on host trees, tests/unit/test_checks.c and test_lifecycle.c.)
V=0000:00:01.0
A=0000:01:00.0
report_dev start $V
report_dev start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev after $V
report_dev after $A
report_modules after
