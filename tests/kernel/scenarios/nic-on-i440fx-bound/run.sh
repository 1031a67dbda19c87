# SPDX-License-Identifier: GPL-2.0-or-later
# A NIC passed to an i440fx/SeaBIOS VM: Code 43 is an NVIDIA display driver's error, so
# check allows; pre-start moves the NIC to vfio-pci, post-stop returns it to e1000e.
A=0000:01:00.0
report_dev start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev started $A
run_hook poststop 100 post-stop
report_dev stopped $A
