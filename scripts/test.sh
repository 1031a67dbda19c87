#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The tests: unit tests, the tests that run the built programs (label cli) and
# the fuzz replays under AddressSanitizer and UBSan; the Debian package
# built, checked by lintian, installed and run from /usr/sbin; then the whole
# suite (unit tests, the real-kernel scenarios and the whole-system boots in
# QEMU, tests/boot) on a normal build.
# The output ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vfiohelp_install "${VFIOHELP_PACKAGES[@]}" "${VFIOHELP_BENCH_PACKAGES[@]}" "${VFIOHELP_DEB_PACKAGES[@]}" \
	"${VFIOHELP_CLUSTER_PACKAGES[@]}"
vfiohelp_apt_lists
jobs=$(nproc)

echo "== unit tests under ASan + UBSan"
cmake -S . -B build-asan -DVFIOHELP_SANITIZE=ON -DVFIOHELP_KERNEL_TESTS=OFF -DVFIOHELP_BOOT_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest -L 'unit|cli|fuzz' --output-on-failure -j"$jobs")

echo "== Debian package: build, lintian, install, run the installed programs"
bash scripts/package.sh build-deb
bash scripts/check-installed.sh build-deb/vfiohelp_*_"$(dpkg --print-architecture)".deb

echo "== all tests (unit + real-kernel scenarios + whole-system boots)"
# The boot bench's guests install the package just built and checked.
VFIOHELP_BOOT_DEB=$(realpath build-deb/vfiohelp_*_"$(dpkg --print-architecture)".deb)
export VFIOHELP_BOOT_DEB
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVFIOHELP_KERNEL_TESTS=ON >/dev/null
cmake --build build -j"$jobs" >/dev/null
# The whole-system boots (tests/boot: both distributions, about an hour on 2 cores) run
# with `ctest -L boot`, or here with VFIOHELP_TEST_EXCLUDE='^boot\.(image\.trixie|trixie\..*)$'
# (tests/boot/README.md); by default this run leaves them out.
cd build && ctest --output-on-failure -E "${VFIOHELP_TEST_EXCLUDE:-^boot\.}"
