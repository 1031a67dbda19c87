# SPDX-License-Identifier: GPL-2.0-or-later
# A live migration's start on the target: Proxmox runs pre-start with
# PVE_MIGRATED_FROM=<source> while the config is still in the source node's directory.
# Without the variable the hook finds no config (vm-config); with it, the start is allowed
# and the device bound. The config moves here in the migration's last phase; post-stop
# then returns the device.
A=0000:01:00.0
mkdir -p /etc/pve/nodes/pve-source/qemu-server
cp /bench/scenario/100.conf.source /etc/pve/nodes/pve-source/qemu-server/100.conf
report_dev start $A
run_hook nosource 100 pre-start
report_dev nosource $A
export PVE_MIGRATED_FROM=../pve-source
run_hook badsource 100 pre-start
export PVE_MIGRATED_FROM=pve-source
run_hook prestart 100 pre-start
report_dev started $A
run_hook poststart 100 post-start
unset PVE_MIGRATED_FROM
mv /etc/pve/nodes/pve-source/qemu-server/100.conf /etc/pve/qemu-server/100.conf
run_hook poststop 100 post-stop
report_dev stopped $A
