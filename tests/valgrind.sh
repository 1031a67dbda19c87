#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-hook's four phases under valgrind (ctest -L valgrind): memory errors and
# definite leaks fail the test. Each run is on a scratch copy of a host tree, the
# moves and returns with the kernel stand-in (tests/mock/vhmock.c) preloaded, so the
# paths that bind, reset, roll back, time out and return all run under valgrind.
#
#   tests/valgrind.sh VFIO_HOOK MOCK_LIB [HOSTS_DIR]
#
# The hook forks a child for each sysfs write; valgrind follows the fork (no exec),
# so the children are checked as well.
set -euo pipefail
HOOK=${1:?usage: valgrind.sh VFIO_HOOK MOCK_LIB [HOSTS_DIR]}
MOCK=${2:?usage: valgrind.sh VFIO_HOOK MOCK_LIB [HOSTS_DIR]}
HOSTS=${3:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/hosts}
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install -y valgrind)"; exit 1; }

WORK=$(mktemp -d /tmp/vfiohelp-valgrind.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
runs=0 failed=0

# A copy of a host tree with vfio, vfio_iommu_type1 and vfio_pci shown loaded.
tree() {   # tree NAME HOST [POLICY_JSON]
    local dir=$WORK/$1
    cp -a "$HOSTS/$2" "$dir"
    cat >>"$dir/proc/modules" <<'EOF'
vfio_pci 16384 0 - Live 0x0000000000000000
vfio_pci_core 86016 1 vfio_pci, Live 0x0000000000000000
vfio_iommu_type1 49152 0 - Live 0x0000000000000000
vfio 69632 2 vfio_pci_core,vfio_iommu_type1, Live 0x0000000000000000
EOF
    mkdir -p "$dir/sys/bus/pci/drivers/vfio-pci"
    touch "$dir/sys/bus/pci/drivers/vfio-pci/"{bind,unbind,new_id,remove_id}
    [ -z "${3:-}" ] || printf '%s\n' "$3" >"$dir/etc/pve/vfiohelp.json"
    echo "$dir"
}

# vg ROOT VMID PHASE EXPECTED_EXIT [ENV...]: one phase under valgrind.
vg() {
    local root=$1 vmid=$2 phase=$3 want=$4 rc
    shift 4
    local log=$WORK/vg.$runs.log
    runs=$((runs + 1))
    set +e
    env VH_MOCK_ROOT="$root" LD_PRELOAD="$MOCK" "$@" \
        valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                 --show-leak-kinds=definite --track-fds=no --log-file="$log.%p" \
        "$HOOK" --root "$root" "$vmid" "$phase" >"$log.out" 2>&1
    rc=$?
    set -e
    local errors
    errors=$(cat "$log".[0-9]* 2>/dev/null | grep -cE '^==[0-9]+== .' || true)
    if [ $rc -eq 99 ] || [ "$errors" -ne 0 ] || [ $rc -ne "$want" ]; then
        failed=$((failed + 1))
        echo "FAIL VM $vmid $phase on $(basename "$root") ${*:+($*) }: exit $rc (expected $want), valgrind said:"
        cat "$log".[0-9]* 2>/dev/null | head -n 60
        sed 's/^/    hook: /' "$log.out" | tail -n 5
    else
        echo "ok   VM $vmid $phase on $(basename "$root") ${*:+($*) }exit $rc"
    fi
}

# The demo host: nothing to move; every phase, and a refused start.
seed=$(tree seed seed)
for phase in pre-start post-start pre-stop post-stop; do vg "$seed" 100 "$phase" 0; done
vg "$seed" 101 pre-start 1

# driver_of ROOT ADDR: the device's driver, as the stand-in left it.
driver_of() { basename "$(readlink "$1/sys/bus/pci/devices/$2/driver" || echo none)"; }
must_be_on() {   # must_be_on ROOT ADDR DRIVER: the stand-in did move it
    local got
    got=$(driver_of "$1" "$2")
    [ "$got" = "$3" ] || { failed=$((failed + 1)); echo "FAIL $2 is on $got, not $3: the kernel stand-in did not act"; }
}

# GPU and audio moved to vfio-pci, reset, and returned after the stop.
nv=$(tree nouveau nouveau '{"post_stop": "return"}')
vg "$nv" 100 pre-start 0
must_be_on "$nv" 0000:01:00.0 vfio-pci
vg "$nv" 100 post-start 0
vg "$nv" 100 pre-stop 0
vg "$nv" 100 post-stop 0
must_be_on "$nv" 0000:01:00.0 nouveau

# The third write (the GPU's drivers_probe) fails: rollback and refusal.
fail=$(tree fail nouveau)
vg "$fail" 100 pre-start 1 VH_MOCK_FAIL_WRITE=3

# A return that fails (the GPU's unbind from vfio-pci).
ret=$(tree return nouveau '{"post_stop": "return"}')
vg "$ret" 100 pre-start 0
rm -f "$ret/.vhmock/count"
vg "$ret" 100 post-stop 0 VH_MOCK_FAIL_WRITE=3

# The unbind hangs: the write times out (the stand-ins are killed below).
hang=$(tree hang nouveau '{"timeout_ms": 500}')
vg "$hang" 100 pre-start 1 VH_MOCK_HANG_WRITE=2 VH_MOCK_HANG_SECONDS=10
[ -f "$hang/.vhmock/hung.pids" ] && xargs -r kill -9 <"$hang/.vhmock/hung.pids" 2>/dev/null || true

# A policy the hook cannot read.
bad=$(tree bad seed '{"post_stop": keep}')
vg "$bad" 100 pre-start 1
vg "$bad" 100 post-stop 0

echo "$((runs - failed)) passed, $failed failed"
[ $failed -eq 0 ]
