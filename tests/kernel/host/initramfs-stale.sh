#!/usr/bin/env bash
# initramfs-stale against images made by Debian's own mkinitramfs (initramfs-tools), for the
# bench's cached kernel (kernel.prepare.6.12 prepares it). mkinitramfs builds for the machine's
# own /lib/modules, /boot and /etc/modprobe.d, so it runs in a private mount namespace where
# those are tmpfs or bind mounts of the test's files: the machine itself is never changed.
#
#   initramfs-stale.sh HOOKCTL HOSTS_DIR [KERNEL_CACHE]
#
# Asserts, with and without an uncompressed early cpio (the microcode archive
# update-initramfs puts in front) before mkinitramfs' zstd archive:
#   - the image holds exactly the tree's modprobe.d files: no initramfs-stale, judged;
#   - a modprobe.d file changed, added or removed on the disk since: initramfs-stale;
#   - a symlinked *.conf (Debian's NVIDIA packages) judged by its target: fresh as built,
#     stale once the target changed; a dpkg copy or a dotfile added: still fresh.
set -euo pipefail
HOOKCTL=$1 HOSTS=$2
CACHE=${3:-${VFIOHELP_KERNEL_CACHE:-$HOME/.cache/vfiohelp-kernels}}
fail() { echo "FAIL: $*" >&2; exit 1; }
for t in mkinitramfs unshare cpio zstd; do
	command -v "$t" >/dev/null || fail "needs $t (apt-get install -y initramfs-tools util-linux cpio zstd)"
done
[ "$(id -u)" = 0 ] || fail "needs root (a private mount namespace for mkinitramfs)"
KDIR=$(ls -d "$CACHE"/linux-image-6.12*.v* 2>/dev/null | sort | tail -n1)
[ -n "$KDIR" ] && [ -f "$KDIR/ok" ] || fail "no prepared 6.12 kernel in $CACHE (ctest -R kernel.prepare.6.12)"
KV=$(cat "$KDIR/kver")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/host
cp -a "$HOSTS/seed" "$tree"
rm -f "$tree"/boot/*
echo "$KV" >"$tree/proc/sys/kernel/osrelease"
: >"$tree/boot/vmlinuz-$KV"
mkdir -p "$tree/usr/lib/modprobe.d"
cp /usr/lib/modprobe.d/*.conf "$tree/usr/lib/modprobe.d/" 2>/dev/null || true
# As Debian's NVIDIA packages install it: a modprobe.d *.conf that is a symlink to a file
# elsewhere (mkinitramfs copies the target and links to its copy).
mkdir -p "$tree/etc/nvidia"
echo "options nvidia-drm modeset=1" >"$tree/etc/nvidia/nvidia-modprobe.conf"
ln -s /etc/nvidia/nvidia-modprobe.conf "$tree/etc/modprobe.d/nvidia.conf"

# mkinitramfs sees the tree's /etc/modprobe.d and the cached kernel, nothing of the machine's.
# A fresh machine (no kernel installed) has no /lib/modules to mount on: ensure_dir
# gives the directory above it a tmpfs overlay inside the namespace, so the mkdir lands
# in the overlay and never on the machine's disk. /boot or /etc/modprobe.d missing would
# need an overlay on / itself, which would hide /proc and /dev: that is said, not tried.
make_image() {
	mkdir -p "$work/ovl"
	unshare -m sh -ec '
		ovl=$5
		mount -t tmpfs none "$ovl"
		ensure_dir() {
			[ -d "$1" ] && return 0
			up=$(readlink -f "$(dirname "$1")")
			[ "$up" != / ] || { echo "E: no $1, and an overlay on / would hide /proc" >&2; exit 3; }
			o=$(mktemp -d "$ovl/o.XXXXXX")
			mkdir "$o/upper" "$o/work"
			mount -t overlay overlay -o "lowerdir=$up,upperdir=$o/upper,workdir=$o/work" "$up"
			mkdir "$1"
		}
		ensure_dir /lib/modules
		ensure_dir /boot
		ensure_dir /etc/modprobe.d
		ensure_dir /etc/nvidia
		mount -t tmpfs none /boot
		mount -t tmpfs none /lib/modules
		mkdir -p /lib/modules/$2
		mount --bind "$1/root/lib/modules/$2" /lib/modules/$2
		cp "$1/config" /boot/config-$2
		mount --bind "$3/etc/modprobe.d" /etc/modprobe.d
		mount --bind "$3/etc/nvidia" /etc/nvidia
		mkinitramfs -o "$4" $2' sh "$KDIR" "$KV" "$tree" "$1" "$work/ovl" >"$work/mkinitramfs.log" 2>&1 ||
		{ cat "$work/mkinitramfs.log" >&2; fail "mkinitramfs failed"; }
}

# What check says about the initramfs: "fresh", "stale" or "unjudged".
verdict() {
	local json
	json=$("$HOOKCTL" check 100 --root "$tree" --json || true)
	if grep -q '"id": "initramfs-stale"' <<<"$json"; then echo stale
	elif grep -q '"check": "initramfs"' <<<"$json"; then echo unjudged
	else echo fresh; fi
}

expect() { # expect WHAT VERDICT
	local got
	got=$(verdict)
	[ "$got" = "$2" ] || { "$HOOKCTL" check 100 --root "$tree" >&2 || true; fail "$1: expected $2, got $got"; }
	echo "ok: $1: $got"
}

run_cases() { # run_cases LABEL
	cp -a "$tree/etc/modprobe.d" "$work/saved"
	expect "$1, image as built" fresh
	echo "options vfio-pci disable_vga=1" >>"$tree/etc/modprobe.d/vfio.conf"
	expect "$1, vfio.conf changed since" stale
	rm -rf "$tree/etc/modprobe.d" && cp -a "$work/saved" "$tree/etc/modprobe.d"
	echo "blacklist nouveau" >"$tree/etc/modprobe.d/added.conf"
	expect "$1, a file added since" stale
	rm "$tree/etc/modprobe.d/added.conf"
	rm "$tree/etc/modprobe.d/blacklist-nvidia.conf"
	expect "$1, a file removed since" stale
	rm -rf "$tree/etc/modprobe.d" && cp -a "$work/saved" "$tree/etc/modprobe.d"
	echo "not a modprobe file" >"$tree/etc/modprobe.d/README"
	expect "$1, a file without .conf added (not in the image either)" fresh
	rm "$tree/etc/modprobe.d/README"
	cp "$tree/etc/modprobe.d/vfio.conf" "$tree/etc/modprobe.d/vfio.conf.dpkg-old"
	echo "blacklist radeon" >"$tree/etc/modprobe.d/.hidden.conf"
	expect "$1, a dpkg copy and a dotfile added (neither copied by mkinitramfs)" fresh
	rm "$tree/etc/modprobe.d/vfio.conf.dpkg-old" "$tree/etc/modprobe.d/.hidden.conf"
	echo "options nvidia-drm modeset=0" >"$tree/etc/nvidia/nvidia-modprobe.conf"
	expect "$1, the symlinked nvidia.conf's target changed since" stale
	echo "options nvidia-drm modeset=1" >"$tree/etc/nvidia/nvidia-modprobe.conf"
	rm -rf "$work/saved"
}

image=$tree/boot/initrd.img-$KV
make_image "$image"
lsinitramfs "$image" >"$work/list" 2>&1 || true
for f in etc/modprobe.d/vfio.conf etc/modprobe.d/nvidia.conf etc/nvidia/nvidia-modprobe.conf; do
	grep -q "^$f\$" "$work/list" ||
		{ cat "$work/list" "$work/mkinitramfs.log" >&2; fail "mkinitramfs left out $f"; }
done
run_cases "mkinitramfs (zstd)"

# The early archive update-initramfs prepends (intel-microcode/amd64-microcode): newc, uncompressed.
mkdir -p "$work/early/kernel/x86/microcode"
head -c 4096 /dev/urandom >"$work/early/kernel/x86/microcode/GenuineIntel.bin"
(cd "$work/early" && find kernel | cpio -o -H newc --quiet) >"$work/early.cpio"
cat "$work/early.cpio" "$image" >"$work/combined" && mv "$work/combined" "$image"
run_cases "early cpio + mkinitramfs (zstd)"

echo "initramfs-stale: 14 cases passed on images made by mkinitramfs for $KV"
