#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest agent bench (issue 21): hookctl guest and vfio-hook's post-start verifier
# against Debian's real qemu-guest-agent in a busybox guest that QEMU boots on this
# machine (TCG, the bench's cached 6.12 kernel), wired as qemu-server wires it:
#   -chardev socket,path=ROOT/var/run/qemu-server/100.qga,server=on,wait=off,id=qga0
#   -device virtio-serial,id=qga0 -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0
# with the VM's QMP socket at ROOT/var/run/qemu-server/100.qmp. ROOT is the seed's host
# tree with two devices given the ids of what the guest really has (an e1000e and a
# pci-testdev), so a VM config's hostpci entries name devices the guest can show.
# One boot; every case runs against it. Prints "CASE name: PASS|FAIL ..." and "BENCH ...".
#
#   agent-bench.sh --hookctl PATH --vfio-hook PATH --qga-tool PATH --hosts DIR [--workdir DIR]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${VFIOHELP_KERNEL_CACHE:-${HOME:-/root}/.cache/vfiohelp-kernels}
HOOKCTL="" VFIOHOOK="" QGA_TOOL="" HOSTS="" WORKDIR=""
die() { echo "agent-bench: FAIL: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--hookctl) HOOKCTL=$2; shift 2 ;;
	--vfio-hook) VFIOHOOK=$2; shift 2 ;;
	--qga-tool) QGA_TOOL=$2; shift 2 ;;
	--hosts) HOSTS=$2; shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
for t in qemu-system-x86_64 busybox cpio dpkg-deb ldd gzip xz; do
	command -v "$t" >/dev/null || die "missing $t (apt-get install -y qemu-system-x86 busybox-static cpio xz-utils)"
done
BUSYBOX=$(command -v busybox)

# ---------------------------------------------------------------- the kernel and the agent
# the newest 6.12 that bench.sh --prepare reduced (its directory is PACKAGE.vN, with "ok")
KDIR=$(ls -d "$CACHE"/linux-image-6.12*.v[0-9]* 2>/dev/null | while read -r d; do [ -f "$d/ok" ] && echo "$d"; done | sort -V | tail -1)
[ -n "$KDIR" ] || die "no prepared 6.12 kernel in $CACHE: run tests/kernel/bench.sh --prepare --kernel 6.12"
KVER=$(cat "$KDIR/kver")
QGA_CACHE="$CACHE/qemu-guest-agent"
mkdir -p "$QGA_CACHE"
if ! ls "$QGA_CACHE"/qemu-guest-agent_*.deb >/dev/null 2>&1; then
	(cd "$QGA_CACHE" && apt-get download qemu-guest-agent >/dev/null 2>&1) ||
		die "cannot download qemu-guest-agent (apt-get update first?)"
fi
QGA_DEB=$(ls "$QGA_CACHE"/qemu-guest-agent_*.deb | tail -1)

# Short paths: a unix socket's path has at most 107 bytes.
W=$(mktemp -d /tmp/vh-agent.XXXXXX)
QEMU_PID=""
cleanup() {
	[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null || true
	if [ -n "$WORKDIR" ]; then mkdir -p "$WORKDIR" && rm -rf "$WORKDIR/agent" && cp -a "$W" "$WORKDIR/agent" 2>/dev/null || true; fi
	rm -rf "$W"
}
trap cleanup EXIT

# ---------------------------------------------------------------- the guest's initramfs
I="$W/initramfs"
mkdir -p "$I"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,lib/modules}
cp "$BUSYBOX" "$I/bin/busybox"
ln -s busybox "$I/bin/sh"
dpkg-deb -x "$QGA_DEB" "$W/qga"
cp "$W/qga/usr/sbin/qemu-ga" "$I/usr/sbin/qemu-ga"
ldd "$W/qga/usr/sbin/qemu-ga" | grep -o '/[^ ]*' | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$I$(dirname "$lib")"
	cp -L "$lib" "$I$lib"
done
# e1000e as the kernel package ships it: plain, xz or zstd (busybox's insmod takes plain)
KO=$(find "$KDIR/root/" -name 'e1000e.ko*' | head -1)
case $KO in
*.xz) xz -dc "$KO" >"$I/lib/modules/e1000e.ko" ;;
*.zst) zstd -dcq "$KO" >"$I/lib/modules/e1000e.ko" ;;
*.ko) cp "$KO" "$I/lib/modules/e1000e.ko" ;;
*) die "no e1000e module in $KDIR" ;;
esac
cp "$HERE/init" "$I/init"
cp "$HERE/nvidia-smi" "$I/usr/bin/nvidia-smi"
chmod 755 "$I/init" "$I/usr/bin/nvidia-smi"
printf 'PRETTY_NAME="vfiohelp agent bench (busybox)"\nNAME="busybox"\nID=busybox\n' >"$I/etc/os-release"
(cd "$I" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$W/initrd.gz"

# ---------------------------------------------------------------- the host tree
ROOT="$W/root"
cp -a "$HOSTS/seed" "$ROOT"
# set_ids ADDR VENDOR DEVICE CLASS: sysfs files and the config space's bytes agree
set_ids() {
	local d="$ROOT/sys/bus/pci/devices/$1"
	d=$(cd "$d" && pwd -P)
	echo "0x$2" >"$d/vendor"
	echo "0x$3" >"$d/device"
	echo "0x$4" >"$d/class"
	printf "\\x${2:2:2}\\x${2:0:2}\\x${3:2:2}\\x${3:0:2}" | dd of="$d/config" bs=1 seek=0 conv=notrunc status=none
	printf "\\x${4:4:2}\\x${4:2:2}\\x${4:0:2}" | dd of="$d/config" bs=1 seek=9 conv=notrunc status=none
}
set_ids 0000:03:00.0 8086 10d3 020000 # the guest's e1000e
set_ids 0000:04:00.0 1b36 0005 00ff00 # the guest's pci-testdev
Q="$ROOT/etc/pve/qemu-server"
vm() { # vm VMID LINE...
	local id=$1
	shift
	printf '%s\n' "machine: q35" "bios: ovmf" "efidisk0: local-lvm:vm-$id-disk-1,efitype=4m" \
		"balloon: 0" "memory: 2048" "ostype: l26" "$@" >"$(readlink -f "$Q")/$id.conf"
}
vm 100 "agent: 1" "hostpci0: 0000:03:00.0,pcie=1"
vm 101 "agent: 1" "hostpci0: 0000:01:00.0,pcie=1,rombar=0"
vm 102 "hostpci0: 0000:03:00.0,pcie=1"
vm 103 "agent: 1" "hostpci0: 0000:03:00.0,pcie=1"
vm 104 "agent: enabled=1,type=virtio" "hostpci0: 0000:02:00.0,pcie=1"
vm 105 "agent: 1" "hostpci0: 0000:04:00.0,pcie=1"
vm 106 "agent: 1" "hostpci0: 0000:03:00.0,pcie=1"
vm 107 "agent: 1" "hostpci0: 0000:03:00.0,pcie=1"
cat >"$ROOT/etc/pve/vfiohelp.json" <<'JSON'
{"vms": {"106": {"guest": {"probes": [["true"], ["sh", "-c", "echo 'Error response from daemon: No such container: emby'; exit 3"]]}}}}
JSON
RUN="$ROOT/run/qemu-server"
mkdir -p "$RUN"
# VMs 101, 104, 105 and 106 are the same guest seen through other configs
for id in 101 104 105 106; do ln -s 100.qga "$RUN/$id.qga"; done

# ---------------------------------------------------------------- boot
T0=$(date +%s%N)
qemu-system-x86_64 -accel tcg -machine q35 -nodefaults -m 256 -smp 1 -display none \
	-kernel "$KDIR/vmlinuz" -initrd "$W/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" -serial "file:$W/console.log" -no-reboot \
	-qmp "unix:$RUN/100.qmp,server=on,wait=off" \
	-chardev "socket,path=$RUN/100.qga,server=on,wait=off,id=qga0" \
	-device virtio-serial,id=qga0 \
	-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
	-chardev "socket,path=$RUN/103.qga,server=on,wait=off,id=qga3" \
	-device virtserialport,chardev=qga3,name=org.qemu.guest_agent.3 \
	-chardev "socket,path=$RUN/107.qga,server=on,wait=off,id=qga7" \
	-device virtserialport,chardev=qga7,name=org.qemu.guest_agent.7 \
	-device e1000e,id=hostpci0,addr=0x10,romfile= \
	-device pci-testdev,id=testdev,addr=0x11 &
QEMU_PID=$!
"$QGA_TOOL" wait "$RUN/100.qga" 120 >/dev/null || { tail -30 "$W/console.log"; die "the guest agent never answered"; }
echo "BENCH first agent answer $(( ($(date +%s%N) - T0) / 1000000 )) ms after QEMU started"

# ---------------------------------------------------------------- the cases
FAILS=0
# case NAME EXPECTED_EXIT VMID [hookctl options]: hookctl guest --json; then the jq-less
# checks in expect_json (grep on the pretty JSON)
OUT="$W/out.json"
run_guest() { local rc=0; "$HOOKCTL" guest "$@" --root "$ROOT" --json >"$OUT" 2>"$W/err.txt" || rc=$?; echo $rc; }
check() { # check NAME COND_DESCRIPTION COMMAND...
	local name=$1 what=$2
	shift 2
	if "$@"; then echo "CASE $name: PASS ($what)"; else
		echo "CASE $name: FAIL ($what)"; FAILS=$((FAILS + 1))
		sed 's/^/    /' "$OUT" | head -60
	fi
}
has() { grep -q -- "$1" "$OUT"; }
hasnt() { ! grep -q -- "$1" "$OUT"; }

rc=$(run_guest 100)
check healthy "exit 0, verdict ok, e1000e at QEMU's 00:10.0" \
	eval '[ "$rc" = 0 ] && has "\"verdict\": \"ok\"" && has "\"guest_address\": \"0000:00:10.0\"" && has "\"driver\": \"e1000e\"" && has "\"os\": \"vfiohelp agent bench (busybox)\"" && has "\"firmware\": \"bios\"" && hasnt "guest-address"'

rc=$(run_guest 104)
check device-missing "exit 1, guest-device-missing for 0000:02:00.0" \
	eval '[ "$rc" = 1 ] && has "\"id\": \"guest-device-missing\"" && has "\"subject\": \"0000:02:00.0\"" && has "\"verdict\": \"problem\""'

rc=$(run_guest 105)
check driver-unbound "exit 1, guest-driver-unbound: the pci-testdev has no driver" \
	eval '[ "$rc" = 1 ] && has "\"id\": \"guest-driver-unbound\"" && has "\"state\": \"no-driver\"" && hasnt "guest-device-missing"'

rc=$(run_guest 106)
check probe-failed "exit 1, guest-probe-failed for the failing probe only" \
	eval '[ "$rc" = 1 ] && has "\"id\": \"guest-probe-failed\"" && has "No such container: emby" && has "\"exit\": 3" && has "\"exit\": 0" && [ "$(grep -c "\"id\": \"guest-probe-failed\"" "$OUT")" = 1 ]'

# what the admin reads (shown in the test's log)
"$HOOKCTL" guest 106 --root "$ROOT" >"$W/guest-106.txt" 2>&1 || true
sed 's/^/TEXT /' "$W/guest-106.txt"

rc=$(run_guest 102)
check agent-off "exit 3, guest-agent-off" \
	eval '[ "$rc" = 3 ] && has "\"id\": \"guest-agent-off\"" && has "\"verdict\": \"unknown\"" && has "\"configured\": false"'

t=$(date +%s%N)
rc=$(run_guest 103 --wait 3)
ms=$(( ($(date +%s%N) - t) / 1000000 ))
check agent-silent "exit 3, guest-agent-silent after the wait (${ms} ms)" \
	eval '[ "$rc" = 3 ] && has "\"id\": \"guest-agent-silent\"" && has "\"answered\": false" && [ $ms -ge 2500 ] && [ $ms -lt 8000 ]'

rc=$(run_guest 107)
check exec-disabled "exit 3, guest-exec-disabled, the OS still named" \
	eval '[ "$rc" = 3 ] && has "\"id\": \"guest-exec-disabled\"" && has "\"exec\": false" && has "\"answered\": true" && has "vfiohelp agent bench"'

# post-start: returns at once; the detached verifier records the verdict
t=$(date +%s%N)
"$VFIOHOOK" --root "$ROOT" 100 post-start >"$W/post-start.txt" 2>&1
ms=$(( ($(date +%s%N) - t) / 1000000 ))
for _ in $(seq 1 120); do [ -s "$ROOT/run/vfiohelp/guest/100.json" ] && break; sleep 0.5; done
cp "$ROOT/run/vfiohelp/guest/100.json" "$OUT" 2>/dev/null || echo '{}' >"$OUT"
"$HOOKCTL" log 100 --root "$ROOT" >"$W/log.txt" 2>/dev/null || true
check post-start-verifier "post-start returned in ${ms} ms; verdict ok in /run/vfiohelp/guest/100.json and hookctl log" \
	eval '[ $ms -lt 1000 ] && has "\"verdict\": \"ok\"" && grep -q "guest verdict: ok" "$W/log.txt"'

# one client pings every 200 ms (as qemu-server) while hookctl guest runs long probes;
# a stale request is left unread first
"$QGA_TOOL" stale "$RUN/100.qga"
printf '{"vms": {"100": {"guest": {"probes": [["sleep", "2"], ["sleep", "2"]]}}}}\n' >"$W/slow.json"
"$QGA_TOOL" pinger "$RUN/100.qga" 7000 >"$W/pinger.txt" 2>&1 &
PINGER=$!
rc=0
"$HOOKCTL" guest 100 --root "$ROOT" --policy "$W/slow.json" --json >"$OUT" 2>/dev/null || rc=$?
wait "$PINGER" || true
P=$(tail -1 "$W/pinger.txt")
max=$(echo "$P" | sed -n 's/.*max_ms=\([0-9]*\).*/\1/p')
check concurrent-pings "hookctl guest ok while another client pinged: $P" \
	eval '[ "$rc" = 0 ] && has "\"verdict\": \"ok\"" && echo "$P" | grep -q "fails=0" && [ -n "$max" ] && [ "$max" -lt 3000 ]'

# the benchmark: time from the agent's first answer to the verdict, the longest hold
for i in 1 2 3; do
	echo "BENCH ask VM 100 (run $i): $("$QGA_TOOL" ask "$ROOT" 100 10)"
done

# the NVIDIA states of VM 101 (its 01:00.0 is not in this guest: device-missing too)
"$QGA_TOOL" exec "$RUN/100.qga" sh -c 'echo nodriver >/run/smi-mode' >/dev/null
rc=$(run_guest 101)
check nvidia-driver-not-loaded "exit 1, guest-nvidia-driver-not-loaded with nvidia-smi's exit 9" \
	eval '[ "$rc" = 1 ] && has "\"id\": \"guest-nvidia-driver-not-loaded\"" && has "exits 9" && hasnt "guest-nvidia-init-failed"'
"$QGA_TOOL" exec "$RUN/100.qga" sh -c 'echo nodevices >/run/smi-mode; echo "NVRM: GPU 0000:01:00.0: RmInitAdapter failed! (0x22:0x56:667)" >/dev/kmsg' >/dev/null
rc=$(run_guest 101)
check nvidia-init-failed "exit 1, guest-nvidia-init-failed quoting No devices were found and the NVRM line" \
	eval '[ "$rc" = 1 ] && has "\"id\": \"guest-nvidia-init-failed\"" && has "No devices were found" && has "RmInitAdapter failed" && hasnt "guest-nvidia-driver-not-loaded"'
# a refusal the guest's kernel logs under Secure Boot (a stand-in line in its log)
"$QGA_TOOL" exec "$RUN/100.qga" sh -c 'echo "Loading of unsigned module is rejected" >/dev/kmsg' >/dev/null
rc=$(run_guest 100)
check secure-boot-refused-module "exit 1, guest-secure-boot-refused-module" \
	eval '[ "$rc" = 1 ] && has "\"id\": \"guest-secure-boot-refused-module\""'

"$QGA_TOOL" quit "$RUN/100.qmp" || true
wait "$QEMU_PID" 2>/dev/null || true
QEMU_PID=""
echo "BENCH whole run $(( ($(date +%s%N) - T0) / 1000000 )) ms"
[ "$FAILS" = 0 ] || die "$FAILS case(s) failed"
echo "agent-bench: all cases passed"
