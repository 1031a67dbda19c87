# Scenario 4: the "Code 43" settings: a display device (QEMU's VGA) passed with no
# machine key (i440fx) and no bios key (SeaBIOS), beside a NIC. check blocks with
# machine-i440fx and bios-seabios, naming the display device; pre-start refuses before
# any sysfs write: both devices keep their drivers, no driver_override, never unbound.
V=0000:00:01.0
A=0000:01:00.0
report_dev start $V
report_dev start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev after $V
report_dev after $A
report_modules after
