#!/usr/bin/env bash
# Installs what building, testing, packaging and the real-kernel bench need
# (Debian 12).
# Sourced by demo.sh and test.sh; does nothing when everything is present.
set -euo pipefail
# ipxe-qemu: real PCI expansion ROMs (/usr/lib/ipxe/qemu/) the ROM parser's unit tests read.
VFIOHELP_PACKAGES=(build-essential cmake pkg-config libpci-dev libjson-c-dev libkmod-dev
                   libcmocka-dev libarchive-dev liblzma-dev pci.ids pciutils kmod gcc valgrind
                   initramfs-tools ipxe-qemu)
VFIOHELP_BENCH_PACKAGES=(qemu-system-x86 busybox-static cpio initramfs-tools zstd util-linux xz-utils
                         # the boot bench (tests/boot): whole Debian systems on disk images
                         debootstrap qemu-utils e2fsprogs debian-archive-keyring)
# Building and checking the Debian package (scripts/package.sh).
VFIOHELP_DEB_PACKAGES=(debhelper dpkg-dev bash-completion lintian man-db)

# The kernel bench finds its kernels through apt's package lists.
vfiohelp_apt_lists() {
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null && return 0
	[[ $(id -u) -eq 0 ]] && apt-get update -qq
}

vfiohelp_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ $(id -u) -ne 0 ]]; then
		echo "missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
}
