# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 1 (and 7 on both kernels): an isolated device on its host driver (e1000e).
# check warns (driver-not-vfio, module-not-loaded) and allows; pre-start loads the vfio
# modules and moves the device to vfio-pci; post-stop with policy "return" gives it back.
A=0000:01:00.0
report_dev start $A
report_group start $A
report_modules start
result start.modinfo.vfio_virqfd "$(modinfo -F filename vfio_virqfd 2>/dev/null | sed 's|.*/||' || true)"

run_check check 100 --policy /etc/pve/vfiohelp.json
report_dev checked $A
report_modules checked

# A modprobe.d "install" command would run through a shell: the hook never runs one
# (libkmod with KMOD_PROBE_IGNORE_COMMAND), it loads the module itself.
echo 'install vfio_pci /bin/touch /run/install-command-ran; /sbin/modprobe --ignore-install vfio_pci' \
    >/etc/modprobe.d/zz-install-command.conf
run_hook prestart 100 pre-start
if [ -e /run/install-command-ran ]; then result started.install_command_ran yes
else result started.install_command_ran no; fi
rm -f /etc/modprobe.d/zz-install-command.conf
report_dev started $A
report_modules started
run_check check2 100

run_hook poststart 100 post-start
run_hook prestop 100 pre-stop
run_hook poststop 100 post-stop
report_dev stopped $A
