#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The boot bench: a whole Debian system (image.sh) booted through real GRUB in QEMU (TCG)
# with an emulated Intel IOMMU and an e1000e at 01:00.0 as the passed device, once per
# step of a case; state stays on the disk (a qcow2 overlay of the cached image) between
# the boots. Each step's script runs inside the booted system (guest/runner.sh), prints
# "RESULT key=value" lines, and powers off; every line of the step's expect file must hold.
#
#   boot.sh --dist bookworm|trixie --case NAME [--deb FILE] [--workdir DIR] [--from N]
#
# --deb: the package scripts/package.sh built, or the directory it built it into;
# $VFIOHELP_BOOT_DEB, when set, names it instead. Without either, scripts/package.sh
# builds one into the work directory. --from N starts at step
# N on the disk a previous run left in the work directory (for working on one step).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIST="" CASE="" DEB="" WORKDIR="" FROM=1
die() { echo "boot: FAIL: $*" >&2; exit 1; }
say() { echo "boot: $*"; }

while [ $# -gt 0 ]; do
    case $1 in
        --dist) DIST=$2; shift 2 ;;
        --case) CASE=$2; shift 2 ;;
        --deb) DEB=$2; shift 2 ;;
        --workdir) WORKDIR=$2; shift 2 ;;
        --from) FROM=$2; shift 2 ;;
        *) die "unknown argument '$1' (see the head of $0)" ;;
    esac
done
DEB=${VFIOHELP_BOOT_DEB:-$DEB}
[ -d "$DEB" ] && DEB=$(ls "$DEB"/vfiohelp_*_amd64.deb 2>/dev/null | head -n1)
CDIR=$HERE/cases/$CASE
[ -n "$CASE" ] && [ -f "$CDIR/1.sh" ] || die "no case '$CASE' (expected $CDIR/1.sh)"
[ -n "$DIST" ] || die "--dist is needed"
W=${WORKDIR:-${TMPDIR:-/tmp}/vfiohelp-boot}/$DIST.$CASE
T0=$(date +%s)

IMG=$("$HERE/image.sh" --dist "$DIST") || die "no image for $DIST"
VARIANT=$(cat "$CDIR/image" 2>/dev/null || echo one)
if [ ! -f "$IMG/$VARIANT.raw" ]; then
    # Exit 77: ctest's SKIP_RETURN_CODE (the archive offered no second kernel).
    echo "boot: SKIP: $DIST has no $VARIANT.raw image (see SECOND in image.sh)"
    exit 77
fi
say "image $IMG/$VARIANT.raw (kernels: $(tr '\n' ' ' <"$IMG/$VARIANT.kernels"))"

if [ "$FROM" = 1 ]; then
    rm -rf "$W"
    mkdir -p "$W"
    qemu-img create -q -f qcow2 -F raw -b "$IMG/$VARIANT.raw" "$W/disk.qcow2"
fi
[ -f "$W/disk.qcow2" ] || die "no disk in $W to start at step $FROM"

if [ -z "$DEB" ]; then
    say "no --deb: building the package (scripts/package.sh) into $W/deb"
    bash "$HERE/../../scripts/package.sh" "$W/deb" >"$W/package.log" 2>&1 ||
        { tail -n 30 "$W/package.log"; die "scripts/package.sh failed"; }
    DEB=$(ls "$W"/deb/vfiohelp_*_amd64.deb)
fi
[ -f "$DEB" ] || die "no package at '$DEB'"

# The files every step gets through fw_cfg (the runner copies them to /run/bench/);
# "timeout" bounds the step's script (seconds): an update-initramfs under TCG on a
# loaded machine takes minutes.
STEP_TIMEOUT=${VFIOHELP_BOOT_STEP_TIMEOUT:-3000}
echo "$STEP_TIMEOUT" >"$W/timeout"
FILES=(lib.sh="$HERE/guest/lib.sh" klib.sh="$HERE/../kernel/guest/lib.sh"
       json.awk="$HERE/../kernel/guest/json.awk" vfiohelp.deb="$DEB" timeout="$W/timeout")
for f in "$CDIR"/*.conf "$CDIR"/*.hook; do
    [ -e "$f" ] && FILES+=("$(basename "$f")=$f")
done

# expect_check RESULTS EXPECT: every line "key=glob" must match the key's last value,
# "key=-" means the key must be absent; a "[bookworm] " or "[trixie] " prefix limits a
# line to one distribution. Prints each mismatch; returns their count.
expect_check() {
    local results=$1 expect=$2 fails=0 line key want got
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        if [[ $line =~ ^\[([^]]*)\][[:space:]]+(.*)$ ]]; then
            [ "${BASH_REMATCH[1]}" = "$DIST" ] || continue
            line=${BASH_REMATCH[2]}
        fi
        key=${line%%=*} want=${line#*=}
        got=$(awk -v k="$key" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2); n++ } END { if (n) print "=" v }' "$results")
        if [ "$want" = "-" ]; then
            [ -z "$got" ] || { echo "boot: MISMATCH $key: expected absent, got '${got#=}'"; fails=$((fails + 1)); }
        elif [ -z "$got" ] || [[ ${got#=} != $want ]]; then
            echo "boot: MISMATCH $key: expected '$want', got '${got:-(absent)}'"; fails=$((fails + 1))
        fi
    done <"$expect"
    return $fails
}

# boot_step N: one boot of the disk through its GRUB, running step N's script.
boot_step() {
    local n=$1 s="$W/boot$n" rc t0 fw=()
    mkdir -p "$s"
    for f in "${FILES[@]}" script="$CDIR/$n.sh"; do
        fw+=(-fw_cfg "name=opt/vfiohelp/${f%%=*},file=${f#*=}")
    done
    # q35 with the Intel IOMMU (interrupt remapping needs the split irqchip); an Intel
    # CPU vendor, as setup plans intel_iommu=on only for Intel; the e1000e alone behind
    # a root port is 01:00.0, an IOMMU group of its own; no option ROM lookups.
    local q=(qemu-system-x86_64 -accel tcg -machine q35,kernel-irqchip=split
             -cpu max,vendor=GenuineIntel -m 1024 -smp 1 -nodefaults -display none
             -no-reboot -monitor none
             -device intel-iommu,intremap=on
             -serial "file:$s/console.log" -serial "file:$s/results.log"
             -drive "file=$W/disk.qcow2,if=none,id=d0,format=qcow2" -device virtio-blk-pci,drive=d0
             -device pcie-root-port,id=rp1,chassis=1,slot=1
             -device e1000e,bus=rp1,romfile=,netdev=n0 -netdev user,id=n0,restrict=on
             "${fw[@]}")
    printf '%q ' "${q[@]}" >"$s/qemu.cmd"
    say "boot $n: $(sed -n '1s/^# *//p' "$CDIR/$n.sh")"
    t0=$(date +%s)
    set +e
    timeout $((STEP_TIMEOUT + 600)) "${q[@]}" >"$s/qemu.out" 2>&1
    rc=$?
    set -e
    echo $(( $(date +%s) - t0 )) >"$s/seconds"
    say "boot $n ran $(cat "$s/seconds") s, qemu exit $rc"
    tr -d '\r' <"$s/results.log" | sed -n 's/^RESULT \([^=]*\)=\(.*\)$/\1=\2/p' >"$s/results"
    if [ $rc -ne 0 ] || ! grep -q '^bench.done=1$' "$s/results"; then
        echo "----- console ($s/console.log), last 80 lines -----"
        tr -d '\r' <"$s/console.log" | tail -n 80
        echo "----- qemu -----"; cat "$s/qemu.out"
        die "boot $n did not finish its step (qemu exit $rc$([ $rc = 124 ] && echo ': timeout'))"
    fi
    echo "----- results of boot $n -----"
    cat "$s/results"
    local fails=0
    expect_check "$s/results" "$CDIR/$n.expect" || fails=$?
    [ $fails -eq 0 ] || die "$fails expectations of boot $n failed ($DIST.$CASE; console: $s/console.log)"
}

n=$FROM
while [ -f "$CDIR/$n.sh" ]; do
    boot_step "$n"
    n=$((n + 1))
done
say "PASS boot.$DIST.$CASE: $((n - FROM)) boots in $(( $(date +%s) - T0 )) s"
