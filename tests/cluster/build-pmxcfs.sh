#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds Proxmox's pmxcfs (the real /etc/pve) from ../shared/third_party/
# into a cache outside the repository, once per version:
#   tests/cluster/build-pmxcfs.sh 8|9   -> prints the pmxcfs binary's path
# Steps as ../shared/third_party/README.md gives them. Exit 77 (skip) when
# the source archive or a build package is missing, naming it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
third=${VFIOHELP_THIRD_PARTY:-$here/../../../shared/third_party}
cache=${VFIOHELP_PMXCFS_CACHE:-$HOME/.cache/vfiohelp-pmxcfs}
case ${1:-} in
8) tarball=pve-cluster-8.1.3-e18c792-pmxcfs.tar.gz ;;
9) tarball=pve-cluster-9.1.6-7091d92-pmxcfs.tar.gz ;;
*) echo "usage: $0 8|9" >&2; exit 2 ;;
esac
src=$third/pve-cluster/$tarball
[[ -r $src ]] || { echo "SKIP: no pmxcfs source $src" >&2; exit 77; }
out=$cache/${tarball%.tar.gz}
if [[ -x $out/src/pmxcfs/pmxcfs ]]; then
	echo "$out/src/pmxcfs/pmxcfs"
	exit 0
fi
for pc in libcpg libcmap libquorum libqb fuse glib-2.0 sqlite3 librrd; do
	pkg-config --exists "$pc" || { echo "SKIP: pkg-config finds no $pc (scripts/deps.sh installs it)" >&2; exit 77; }
done
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
tar -xzf "$src" -C "$out.tmp" --strip-components=1
cc=gcc
if [[ $1 == 9 ]] && ! pkg-config --atleast-version=2.76 glib-2.0; then
	# glib 2.74 (Debian 12) lacks g_string_free_and_steal: the README's forced include
	echo '#define g_string_free_and_steal(s) g_string_free((s), 0)' >"$out.tmp/glib-compat.h"
	cc="gcc -include $out.tmp/glib-compat.h"
fi
make -s -C "$out.tmp/src/pmxcfs" CC="$cc" pmxcfs >"$out.tmp/build.log" 2>&1 ||
	{ tail -20 "$out.tmp/build.log" >&2; exit 1; }
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/src/pmxcfs/pmxcfs"
