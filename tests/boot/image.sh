#!/bin/bash
# The boot bench's disk images: a whole Debian system (debootstrap) on a raw disk with
# an MBR, one ext4 partition and real BIOS GRUB in it, booting with its serial console
# on ttyS0 and running, at every boot, the step script QEMU hands it through fw_cfg
# (guest/runner.sh). See README.md.
#
#   image.sh --dist bookworm|trixie     prints the image directory, building it if needed
#
# The directory holds one.raw (the distribution's kernel) and, where the distribution
# offers a second kernel series, two.raw (both kernels; GRUB boots the newer). Both are
# read-only bases: a test boots a qcow2 overlay of them. Cached in
# ${VFIOHELP_BOOT_CACHE:-$HOME/.cache/vfiohelp-boot}/DIST-KEY, KEY a hash of this script
# and the files it puts into the image, so a changed script builds anew.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${VFIOHELP_BOOT_CACHE:-${HOME:-/root}/.cache/vfiohelp-boot}
MIRROR=${VFIOHELP_BOOT_MIRROR:-http://deb.debian.org/debian}
DIST=""
die() { echo "image: FAIL: $*" >&2; exit 1; }
say() { echo "image: $*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --dist) DIST=$2; shift 2 ;;
        *) die "unknown argument '$1' (see the head of $0)" ;;
    esac
done

# What each distribution gets: the project's runtime libraries (libarchive13 became
# libarchive13t64 in trixie's 64-bit time_t transition) and a second kernel series for
# the two-kernel image (bookworm: the 6.12 of bookworm-security beside 6.1; trixie: an
# other 6.12 ABI than the installed one, where the archive holds two: "auto").
case $DIST in
    bookworm) LIBS=libpci3,libjson-c5,libkmod2,libarchive13 SECOND=linux-image-6.12-amd64 ;;
    trixie) LIBS=libpci3,libjson-c5,libkmod2,libarchive13t64 SECOND=auto ;;
    *) die "--dist must be bookworm or trixie" ;;
esac
PACKAGES=systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,grub-pc,zstd,pciutils,$LIBS

for t in debootstrap mkfs.ext4 qemu-system-x86_64 qemu-img sha256sum flock timeout; do
    command -v $t >/dev/null || die "missing $t: apt-get install -y debootstrap e2fsprogs qemu-system-x86 qemu-utils coreutils util-linux"
done
[ "$(id -u)" = 0 ] || die "debootstrap and chroot need root"

KEY=$(cat "$0" "$HERE/guest/runner.sh" "$HERE/guest/vfiohelp-bench.service" | sha256sum | cut -c1-12)
OUT=$CACHE/$DIST-$KEY
mkdir -p "$CACHE"
exec 8>"$CACHE/.lock-$DIST"
flock 8
if [ -f "$OUT/done" ]; then echo "$OUT"; exit 0; fi

# One build per distribution is kept: older keys go.
for old in "$CACHE/$DIST"-*; do
    [ "$old" != "$OUT" ] && [ -d "$old" ] && { say "removing the outdated $old"; rm -rf "$old"; }
done
rm -rf "$OUT"
mkdir -p "$OUT"
TREE=$OUT/tree
# A fixed file-system UUID: fstab and GRUB's root= name it.
UUID=0b007b00-7b00-4b00-8b00-${KEY}
start=$(date +%s)

# ---------------------------------------------------------------- the system
say "debootstrap $DIST into $TREE (minbase + $PACKAGES)"
# The downloaded packages stay in the cache: a rebuild after a change here fetches nothing.
mkdir -p "$CACHE/debs-$DIST"
if ! debootstrap --variant=minbase --cache-dir="$CACHE/debs-$DIST" --include="$PACKAGES" "$DIST" "$TREE" "$MIRROR" >"$OUT/debootstrap.log" 2>&1; then
    tail -n 30 "$OUT/debootstrap.log" >&2
    die "debootstrap failed; the whole log is $OUT/debootstrap.log"
fi

# The sources a Debian host has (the 6.12 kernel comes from bookworm-security).
cat >"$TREE/etc/apt/sources.list" <<EOF
deb $MIRROR $DIST main
deb $MIRROR $DIST-updates main
deb ${VFIOHELP_BOOT_SECURITY_MIRROR:-http://deb.debian.org/debian-security} $DIST-security main
EOF
echo pve-bench >"$TREE/etc/hostname"
printf '127.0.0.1 localhost\n10.0.2.15 pve-bench\n' >"$TREE/etc/hosts"
echo "UUID=$UUID / ext4 errors=remount-ro 0 1" >"$TREE/etc/fstab"
# GRUB on the serial line, no menu wait; the kernel's console on ttyS0. Edited in place
# so that /etc/default/grub keeps Debian's shape (hookctl setup reads it).
sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
       -e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="quiet console=ttyS0,115200 no_timer_check"/' \
       -e 's/^#GRUB_TERMINAL=console/GRUB_TERMINAL=serial\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"/' \
       "$TREE/etc/default/grub"
grep -q '^GRUB_TERMINAL=serial' "$TREE/etc/default/grub" || die "the GRUB_TERMINAL line of $DIST's /etc/default/grub was not found"
# The node as hookctl recognises it: /etc/pve (pmxcfs on a real node) with the node's
# qemu-server directory and the /etc/pve/qemu-server link Proxmox keeps.
mkdir -p "$TREE/etc/pve/nodes/pve-bench/qemu-server" "$TREE/var/lib/vz/snippets" "$TREE/var/log/pve/tasks"
ln -s nodes/pve-bench/qemu-server "$TREE/etc/pve/qemu-server"
# The runner and its unit; root without a password for a boot by hand.
install -m 0755 "$HERE/guest/runner.sh" "$TREE/usr/local/sbin/vfiohelp-bench"
install -m 0644 "$HERE/guest/vfiohelp-bench.service" "$TREE/etc/systemd/system/vfiohelp-bench.service"
ln -s /etc/systemd/system/vfiohelp-bench.service "$TREE/etc/systemd/system/multi-user.target.wants/vfiohelp-bench.service"
chroot "$TREE" passwd -d root >/dev/null
rm -rf "$TREE"/var/cache/apt/archives/*.deb "$TREE"/var/lib/apt/lists/*_Packages

# ---------------------------------------------------------------- the disk
# mkdisk RAW: a 4 GiB sparse disk, an MBR with one bootable Linux partition from 1 MiB
# (the gap GRUB embeds its core in), ext4 made from the tree inside it (no loop device).
mkdisk() {
    local raw=$1
    rm -f "$raw"
    truncate -s 4G "$raw"
    # Partition entry 1: active, type 0x83, LBA 2048, 8386560 sectors (CHS fields unused).
    printf '\x80\xfe\xff\xff\x83\xfe\xff\xff\x00\x08\x00\x00\x00\xf8\x7f\x00' |
        dd of="$raw" bs=1 seek=446 conv=notrunc status=none
    printf '\x55\xaa' | dd of="$raw" bs=1 seek=510 conv=notrunc status=none
    mkfs.ext4 -q -F -U "$UUID" -L pve-bench -E offset=1048576 -d "$TREE" "$raw" 4094M \
        || die "mkfs.ext4 -d $TREE failed"
}

# grub_boot RAW KVER: the first boot, straight into the disk's system by QEMU's -kernel,
# which runs grub-install /dev/vda and update-grub inside the guest; every later boot
# goes through that GRUB from the disk.
grub_boot() {
    local raw=$1 kver=$2 w
    w=$OUT/boot0.$(basename "$raw" .raw)
    mkdir -p "$w"
    cat >"$w/script" <<'EOF'
grub-install /dev/vda >/tmp/install.log 2>&1; echo "RESULT grub.install=$?"
update-grub >/tmp/update.log 2>&1; echo "RESULT grub.update=$?"
sed 's/^/LOG /' /tmp/install.log /tmp/update.log
echo "RESULT grub.kernels=$(grep -c '^menuentry\|^	menuentry' /boot/grub/grub.cfg)"
EOF
    say "boot 0 of $(basename "$raw"): grub-install and update-grub in the guest (kernel $kver)"
    local t0=$(date +%s)
    timeout 600 qemu-system-x86_64 -accel tcg -machine q35 -cpu max -m 1024 -smp 1 \
        -nodefaults -display none -no-reboot -monitor none \
        -serial "file:$w/console.log" -serial "file:$w/results.log" \
        -drive "file=$raw,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 \
        -fw_cfg "name=opt/vfiohelp/script,file=$w/script" \
        -kernel "$TREE/boot/vmlinuz-$kver" -initrd "$TREE/boot/initrd.img-$kver" \
        -append "root=UUID=$UUID ro quiet console=ttyS0,115200" >"$w/qemu.out" 2>&1 ||
        { tail -n 40 "$w/console.log" >&2; die "boot 0 of $raw failed (QEMU: $(cat "$w/qemu.out"))"; }
    tr -d '\r' <"$w/results.log" >"$w/results"
    if ! grep -q '^RESULT grub.install=0$' "$w/results" || ! grep -q '^RESULT grub.update=0$' "$w/results" ||
       ! grep -q '^RESULT bench.done=1$' "$w/results"; then
        tail -n 40 "$w/console.log" >&2
        die "grub-install/update-grub failed in boot 0 of $raw: $(tr '\n' ' ' <"$w/results")"
    fi
    say "boot 0 of $(basename "$raw") took $(( $(date +%s) - t0 )) s"
}

kernels() { (cd "$TREE/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V); }

K1=$(kernels | tail -n1)
mkdisk "$OUT/one.raw"
grub_boot "$OUT/one.raw" "$K1"
echo "$K1" >"$OUT/one.kernels"

# second_kernel: the distribution's second kernel series installed into the tree by apt
# in a chroot (the archive's package lists); prints nothing where there is none.
second_kernel() {
    mount -t proc proc "$TREE/proc"
    trap 'umount "$TREE/proc" 2>/dev/null || true' EXIT
    chroot "$TREE" apt-get update -qq >"$OUT/second-kernel.log" 2>&1 || die "apt-get update in $TREE failed"
    if [ "$SECOND" = auto ]; then
        # The oldest flavourless kernel package of the archive that is not installed.
        SECOND=$(chroot "$TREE" apt-cache search --names-only '^linux-image-[0-9].*-amd64$' |
                 awk '{print $1}' | grep -v -e -cloud- -e -rt- -e -unsigned -e -dbg |
                 grep -vx "linux-image-$K1" | sort -V | head -n1)
    fi
    if [ -n "$SECOND" ] && ! chroot "$TREE" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $SECOND" \
            >>"$OUT/second-kernel.log" 2>&1; then
        tail -n 30 "$OUT/second-kernel.log" >&2
        die "installing $SECOND failed; the log is $OUT/second-kernel.log"
    fi
    umount "$TREE/proc"
    trap - EXIT
    rm -rf "$TREE"/var/cache/apt/archives/*.deb "$TREE"/var/lib/apt/lists/*_Packages
    echo "$SECOND"
}

if [ -n "$SECOND" ]; then
    say "installing $SECOND beside $K1 (chroot) for two.raw"
    SECOND=$(second_kernel)
    if [ -z "$SECOND" ]; then
        say "the $DIST archive holds no second kernel: no two.raw"
    else
        [ "$(kernels | wc -l)" = 2 ] || die "$SECOND did not make two kernels: $(kernels | tr '\n' ' ')"
        mkdisk "$OUT/two.raw"
        grub_boot "$OUT/two.raw" "$(kernels | tail -n1)"
        kernels >"$OUT/two.kernels"
    fi
fi

rm -rf "$TREE"
echo "$(( $(date +%s) - start ))" >"$OUT/build-seconds"
touch "$OUT/done"
say "built $OUT in $(cat "$OUT/build-seconds") s"
echo "$OUT"
