#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian package (source and binary) from a copy of the tree, so
# nothing is left in the tree, and checks it with lintian: an error or a
# warning fails. The .deb, .changes and build.log land in OUTDIR.
#   bash scripts/package.sh [OUTDIR]      (default: build-deb/)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
vfiohelp_install "${VFIOHELP_PACKAGES[@]}" "${VFIOHELP_DEB_PACKAGES[@]}"

out=$(realpath -m "${1:-build-deb}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/vfiohelp" "$out"
rm -f "$out"/vfiohelp*

# The tree as git sees it (committed and new files, no build dirs); a copy
# without .git: everything but the build dirs and the kernel cache.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | xargs -0 -r sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -C "$work/vfiohelp" -xf -
else
	tar --exclude='./build*' --exclude=./tests/kernel/cache -cf - . | tar -C "$work/vfiohelp" -xf -
fi

if ! (cd "$work/vfiohelp" && dpkg-buildpackage -us -uc -j"$(nproc)") >"$out/build.log" 2>&1; then
	tail -n 60 "$out/build.log"
	echo "package: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
cp "$work"/vfiohelp*.deb "$work"/vfiohelp*.changes "$work"/vfiohelp*.buildinfo "$work"/vfiohelp*.dsc \
   "$work"/vfiohelp*.tar.* "$out"/
# lintian warns when run as root; it is harmless for checking a package.
lintian --fail-on error,warning --display-info --display-experimental --pedantic "$out"/vfiohelp_*.changes 2> >(grep -v 'root privileges' >&2)
echo "package: $(ls "$out"/vfiohelp_*.deb) (lintian: no error, no warning)"
