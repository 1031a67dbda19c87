#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: builds everything and runs `hookctl check` on the bundled demo
# host (tests/hosts/seed, modeled on the seed's Proxmox 8 node with the
# RTX 4060 Ti in IOMMU group 12), for VM 100 as the seed configures it and
# VM 101 as it was before, then `hookctl log 100`. Changes nothing on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vfiohelp_install "${VFIOHELP_PACKAGES[@]}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
host=tests/hosts/seed
run() { echo; echo "\$ $*"; "$@" || echo "(exit status $?)"; }
run build/hookscript/hookctl check 100 --root "$host"
run build/hookscript/hookctl check 101 --root "$host"
run build/hookscript/hookctl check 100 --root "$host" --json
run build/hookscript/hookctl log 100 --root "$host"
