# SPDX-License-Identifier: GPL-2.0-or-later
# Boot 1: two kernels; an initramfs-tools hook fails for the older one, so
# update-initramfs -u -k all rebuilds the newer image and then fails. setup --apply must
# exit 1 and leave every file as it was: /etc and both images byte for byte.
install_deb
install_vm 100.conf
old=$(kernels | head -n1) new=$(kernels | tail -n1)
result boot1.kernels "$(kernels | tr '\n' ' ' | sed 's/ $//')"
if [ "$(uname -r)" = "$new" ]; then result boot1.runs newer; else result boot1.runs older; fi
echo "$old" >/etc/initramfs-tools/bench-fail-kernel
install -m 0755 /run/bench/fail-older.hook /etc/initramfs-tools/hooks/zz-bench-fail-older
# Images of the root's modules only (MODULES=dep): this case is about the rollback, and
# two MODULES=most builds under TCG come near setup's 600 s command limit.
sed -i 's/^MODULES=.*/MODULES=dep/' /etc/initramfs-tools/initramfs.conf
report_boot boot1
run_check boot1.check $VMID
snapshot before
run_setup boot1.apply $VMID --apply --no-vm
snapshot after
compare boot1.after before after
report_journal boot1.journal
# What update-initramfs did (its output is in setup's stderr): the newer image first.
if grep -q "Generating /boot/initrd.img-$new" /tmp/setup.err; then result boot1.newer_rebuilt yes; else result boot1.newer_rebuilt no; fi
if grep -q "failed for /boot/initrd.img-$old" /tmp/setup.err; then result boot1.older_failed yes; else result boot1.older_failed no; fi
