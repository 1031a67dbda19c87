# Scenario 4: the "Code 43" settings: no machine key (i440fx) and no bios key (SeaBIOS).
# check blocks with machine-i440fx and bios-seabios; pre-start refuses before any sysfs
# write: the device keeps its driver, no driver_override, never unbound.
A=0000:01:00.0
report_dev start $A
run_check check 100
run_hook prestart 100 pre-start
report_dev after $A
report_modules after
