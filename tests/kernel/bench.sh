#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real-kernel bench: boot a Debian kernel in QEMU (TCG) with an emulated IOMMU, run one
# scenario through the project's real binaries inside the guest, and assert on the
# "RESULT key=value" lines the guest prints on its serial console.
#
#   bench.sh --prepare --kernel 6.1|6.12
#   bench.sh --kernel 6.1|6.12 --iommu intel|amd|none --scenario NAME \
#            --hookctl PATH --vfio-hook PATH [--workdir DIR] [--timeout SEC]
#
# Kernels come from Debian packages (apt-get download), cached in
# ${VFIOHELP_KERNEL_CACHE:-$HOME/.cache/vfiohelp-kernels}. See README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${VFIOHELP_KERNEL_CACHE:-${HOME:-/root}/.cache/vfiohelp-kernels}
KSERIES="" IOMMU="" SCENARIO="" HOOKCTL="" VFIOHOOK="" WORKDIR="" PREPARE=0
TIMEOUT=${VFIOHELP_KERNEL_TIMEOUT:-}

die() { echo "bench: FAIL: $*" >&2; exit 1; }
say() { echo "bench: $*"; }

while [ $# -gt 0 ]; do
    case $1 in
        --kernel) KSERIES=$2; shift 2 ;;
        --iommu) IOMMU=$2; shift 2 ;;
        --scenario) SCENARIO=$2; shift 2 ;;
        --hookctl) HOOKCTL=$2; shift 2 ;;
        --vfio-hook) VFIOHOOK=$2; shift 2 ;;
        --bindir) HOOKCTL=$2/hookctl; VFIOHOOK=$2/vfio-hook; shift 2 ;;
        --workdir) WORKDIR=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --prepare) PREPARE=1; shift ;;
        *) die "unknown argument '$1' (see the head of $0)" ;;
    esac
done

# ---------------------------------------------------------------- prerequisites
need_tools() {
    local missing=() t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing host tools: ${missing[*]}
  install them with: apt-get install -y qemu-system-x86 busybox-static cpio kmod"
}
need_tools apt-get apt-cache dpkg-deb depmod modprobe cpio gzip flock timeout ldd
[ -x /usr/bin/kmod ] || [ -x /bin/kmod ] || die "missing /usr/bin/kmod (apt-get install -y kmod)"

case $KSERIES in
    # Debian 12: linux-image-amd64 is 6.1, linux-image-6.12-amd64 the 6.12 of its updates;
    # Debian 13: linux-image-amd64 is 6.12 and there is no 6.1 (CMake registers none there).
    6.1) METAS="linux-image-amd64"; KPATTERN='linux-image-6.1.0-*-amd64_*.deb'; PKGRE='^linux-image-6\.1\.0-' ;;
    6.12) METAS="linux-image-6.12-amd64 linux-image-amd64"; KPATTERN='linux-image-6.12.*-amd64_*.deb'; PKGRE='^linux-image-6\.12\.' ;;
    *) die "--kernel must be 6.1 or 6.12" ;;
esac

# ---------------------------------------------------------------- kernel fetch
# The kernel package is resolved through Debian's meta package (linux-image-amd64 is
# bookworm's 6.1, linux-image-6.12-amd64 the 6.12 of bookworm's security/backports
# updates), downloaded with apt-get download, and reduced to what the bench needs:
# vmlinuz, the config, and the modules below with everything they depend on.
# Without a package list or a registry, the newest cached package of the series is used.
# 9pnet_virtio, 9p (with virtio_pci) mount this machine's root in the guest for the nested
# QEMU starts (scenario file "hostroot"); nvme is the SR-IOV PF (QEMU's nvme emulates VFs).
MODULES_WANTED="e1000e pci-stub vfio vfio-pci vfio_pci_core vfio_iommu_type1 vfio_virqfd
                virtio_pci 9pnet_virtio 9p nvme"
PREP_VERSION=2   # bump when the prepared tree's layout or the module list changes

prepare_kernel() {
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock 9
    local pkg deb
    local meta cand
    pkg="" META=""
    for meta in $METAS; do
        cand=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1 || true)
        if [ -n "$cand" ] && echo "$cand" | grep -qE "$PKGRE"; then
            pkg=$cand META=$meta
            break
        fi
    done
    if [ -n "$pkg" ]; then
        deb=$(ls -1 "$CACHE"/"${pkg}"_*.deb 2>/dev/null | tail -n1 || true)
        if [ -z "$deb" ]; then
            say "downloading $pkg (for $META) into $CACHE"
            if ! (cd "$CACHE" && apt-get download "$pkg" >"$CACHE/download.log" 2>&1); then
                cat "$CACHE/download.log" >&2
                say "apt-get download $pkg failed; looking for a cached kernel of the series"
            fi
            deb=$(ls -1 "$CACHE"/"${pkg}"_*.deb 2>/dev/null | tail -n1 || true)
        fi
    fi
    if [ -z "${deb:-}" ]; then
        deb=$(ls -1 "$CACHE"/$KPATTERN 2>/dev/null | grep -vE -e '-(cloud|rt)-amd64_' | sort -V | tail -n1 || true)
    elif [ -n "$pkg" ]; then
        # A newer kernel of the series replaces the older ones in the cache.
        local old
        for old in $(ls -1 "$CACHE"/$KPATTERN 2>/dev/null); do
            [ "$old" = "$deb" ] || rm -rf "$old" "${old%.deb}".v*
        done
    fi
    [ -n "$deb" ] || die "no kernel package for $KSERIES: apt-cache knows none of '$METAS' of that series (run apt-get update) and nothing is cached in $CACHE"

    local base kdir tmp kver
    base=$(basename "$deb" .deb)
    kdir="$CACHE/$base.v$PREP_VERSION"
    if [ ! -f "$kdir/ok" ]; then
        say "unpacking $base"
        rm -rf "$kdir" "$kdir.tmp"
        tmp="$kdir.tmp"
        mkdir -p "$tmp/full"
        dpkg-deb -x "$deb" "$tmp/full"
        # Debian 13's kernel packages ship /usr/lib/modules (merged /usr); kmod's tools
        # still look under BASEDIR/lib/modules.
        if [ ! -d "$tmp/full/lib/modules" ] && [ -d "$tmp/full/usr/lib/modules" ]; then
            mkdir -p "$tmp/full/lib"
            mv "$tmp/full/usr/lib/modules" "$tmp/full/lib/modules"
        fi
        kver=$(ls -1 "$tmp/full/lib/modules" | head -n1)
        [ -n "$kver" ] && [ -f "$tmp/full/boot/vmlinuz-$kver" ] || die "$deb holds no kernel"
        depmod -b "$tmp/full" "$kver"
        mkdir -p "$tmp/root/lib/modules/$kver"
        local m f
        # (vfio_virqfd is a module of its own on 6.1 only: a name that is not there is skipped)
        for m in $MODULES_WANTED; do
            modprobe -d "$tmp/full" -S "$kver" --show-depends "$m" 2>/dev/null || true
        done | sed -n 's/^insmod \([^ ]*\).*/\1/p' | sort -u | while read -r f; do
            rel=${f#"$tmp/full"}
            mkdir -p "$tmp/root$(dirname "$rel")"
            cp "$f" "$tmp/root$rel"
        done
        cp "$tmp/full/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$tmp/root/lib/modules/$kver/"
        depmod -b "$tmp/root" "$kver"
        cp "$tmp/full/boot/vmlinuz-$kver" "$tmp/vmlinuz"
        cp "$tmp/full/boot/config-$kver" "$tmp/config"
        echo "$kver" >"$tmp/kver"
        rm -rf "$tmp/full"
        mv "$tmp" "$kdir"
        touch "$kdir/ok"
    fi
    KDIR=$kdir
    KVER=$(cat "$kdir/kver")
    flock -u 9
    exec 9>&-
}

prepare_kernel
say "kernel $KVER ($KDIR)"
if [ $PREPARE = 1 ]; then
    say "modules: $(cd "$KDIR/root/lib/modules/$KVER" && find kernel -name '*.ko*' | sed 's|.*/||' | sort | tr '\n' ' ')"
    exit 0
fi

# ---------------------------------------------------------------- arguments
need_tools qemu-system-x86_64
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 \
    || die "need a statically linked busybox (apt-get install -y busybox-static)"
case $IOMMU in intel|amd|none) ;; *) die "--iommu must be intel, amd or none" ;; esac
SDIR="$HERE/scenarios/$SCENARIO"
[ -n "$SCENARIO" ] && [ -f "$SDIR/run.sh" ] || die "no scenario '$SCENARIO' (expected $SDIR/run.sh)"
# A scenario's "memory" file (MiB) replaces the default 768 (nested QEMU starts want 1024);
# its "timeout" file (seconds) is the guest script's limit (default 180).
GUEST_TIMEOUT=$(cat "$SDIR/timeout" 2>/dev/null || echo 180)
[ -n "$TIMEOUT" ] || TIMEOUT=$(( GUEST_TIMEOUT + 60 > 240 ? GUEST_TIMEOUT + 60 : 240 ))
# A scenario's "romfile" file names an option ROM on this machine (Debian's ipxe-qemu:
# /usr/lib/ipxe/qemu/efi-e1000e.rom): @ROMFILE@ in its qemu.args becomes that path (e.g.
# -device e1000e,...,romfile=@ROMFILE@), @ROMFILE_SHA256@ and @ROMFILE_SIZE@ in its expect
# the file's sha256 and size, so the host side asserts that what the guest read through its
# kernel's sysfs rom is the file QEMU was given.
ROMFILE="" ROMFILE_SHA256="" ROMFILE_SIZE=""
if [ -f "$SDIR/romfile" ]; then
    need_tools sha256sum stat
    ROMFILE=$(sed 's/#.*//' "$SDIR/romfile" | tr -d ' \n')
    # Debian 13's ipxe-qemu ships the ROMs in /usr/share/qemu
    [ -r "$ROMFILE" ] || ROMFILE=/usr/share/qemu/$(basename "$ROMFILE")
    [ -r "$ROMFILE" ] || die "the scenario's option ROM $ROMFILE is missing (apt-get install -y ipxe-qemu)"
    ROMFILE_SHA256=$(sha256sum "$ROMFILE" | cut -d' ' -f1)
    ROMFILE_SIZE=$(stat -c %s "$ROMFILE")
fi
[ -x "$HOOKCTL" ] || die "hookctl binary not found at '$HOOKCTL' (build the project first)"
[ -x "$VFIOHOOK" ] || die "vfio-hook binary not found at '$VFIOHOOK' (build the project first)"

# ---------------------------------------------------------------- scenario modules
# A scenario may bring kernel modules of its own: its file "modules" names directories
# under tests/kernel/modules/ (a Kbuild and the source), built against the Debian
# headers of exactly the kernel that boots (linux-headers-KVER, its -common part and
# linux-kbuild, apt-get download'ed at the kernel package's version into the cache).
prepare_headers() {
    need_tools make dpkg-deb
    local base ver hdir pkgs p
    base=$(basename "$KDIR")
    base=${base%.v*}
    ver=$(echo "$base" | cut -d_ -f2)
    hdir="$CACHE/headers-$KVER.v1"
    exec 9>"$CACHE/.lock"
    flock 9
    if [ ! -f "$hdir/ok" ] || [ "$(cat "$hdir/version")" != "$ver" ]; then
        say "downloading the headers of $KVER ($ver) into $CACHE"
        rm -rf "$hdir" "$hdir.tmp"
        mkdir -p "$hdir.tmp/debs"
        pkgs="linux-headers-$KVER $(apt-cache depends "linux-headers-$KVER" 2>/dev/null |
            sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p' | sort -u | tr '\n' ' ')"
        if ! (cd "$hdir.tmp/debs" && for p in $pkgs; do apt-get download "$p=$ver" || exit 1; done) \
                >"$hdir.tmp/download.log" 2>&1; then
            cat "$hdir.tmp/download.log" >&2
            die "cannot download the headers of kernel $KVER at version $ver ($pkgs)"
        fi
        for p in "$hdir.tmp"/debs/*.deb; do dpkg-deb -x "$p" "$hdir.tmp/root"; done
        rm -rf "$hdir.tmp/debs"
        # The headers' Makefile includes its -common part by absolute path: the cache's.
        sed -i "s|^include /usr/src/|include $hdir/root/usr/src/|" \
            "$hdir.tmp/root/usr/src/linux-headers-$KVER/Makefile"
        echo "$ver" >"$hdir.tmp/version"
        mv "$hdir.tmp" "$hdir"
        touch "$hdir/ok"
    fi
    HEADERS="$hdir/root/usr/src/linux-headers-$KVER"
    flock -u 9
    exec 9>&-
}

build_module() {   # build_module NAME: tests/kernel/modules/NAME -> MODROOT's extra/
    local src="$HERE/modules/$1" b="$W/modbuild/$1"
    [ -f "$src/Kbuild" ] || die "no module source in $src (expected a Kbuild)"
    mkdir -p "$b"
    cp -r "$src"/. "$b/"
    # No BTF for the module: that needs pahole, and nothing here reads it.
    if ! make -C "$HEADERS" M="$b" CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$b/build.log" 2>&1; then
        cat "$b/build.log" >&2
        die "module $1 did not build against the headers of $KVER"
    fi
    cp "$b"/*.ko "$MODROOT/lib/modules/$KVER/extra/"
    say "built module $1 for $KVER"
}

TESTNAME="$IOMMU.$SCENARIO.$KSERIES"
WORKDIR=${WORKDIR:-$(mktemp -d /tmp/vfiohelp-bench.XXXXXX)}
W="$WORKDIR/$TESTNAME"
rm -rf "$W"
mkdir -p "$W"

# ---------------------------------------------------------------- initramfs
# Three concatenated cpio archives: the kernel's modules (with a real modules.dep),
# the userland (busybox, kmod, the project's binaries and their shared libraries), and
# the scenario (its script, VM configs and policy).
mkcpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2"; }

copy_with_libs() {   # copy_with_libs DESTROOT BINARY TARGETPATH
    local root=$1 bin=$2 target=$3 lib
    mkdir -p "$root$(dirname "$target")"
    cp -L "$bin" "$root$target"
    # System libraries keep their path; the project's own (in the build tree, found
    # through RUNPATH) go where the guest's loader looks by default.
    ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
        [ -e "$lib" ] || continue
        case $lib in
            /lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*) dest=$lib ;;
            *) dest=/usr/lib/x86_64-linux-gnu/$(basename "$lib") ;;
        esac
        mkdir -p "$root$(dirname "$dest")"
        [ -e "$root$dest" ] || cp -L "$lib" "$root$dest"
    done
}

U="$W/userland"
mkdir -p "$U"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,root,etc,var/log,var/lib,bench}
cp "$BUSYBOX" "$U/bin/busybox"
for app in $("$BUSYBOX" --list-full); do
    [ -e "$U/$app" ] || ln -s /bin/busybox "$U/$app"
done
KMOD=$(command -v kmod || echo /usr/bin/kmod)
copy_with_libs "$U" "$KMOD" /usr/bin/kmod
for app in sbin/modprobe sbin/insmod sbin/rmmod sbin/lsmod sbin/modinfo sbin/depmod; do
    rm -f "$U/$app"; ln -s /usr/bin/kmod "$U/$app"
done
copy_with_libs "$U" "$HOOKCTL" /usr/sbin/hookctl
copy_with_libs "$U" "$VFIOHOOK" /var/lib/vz/snippets/vfio-hook
[ -f /usr/share/misc/pci.ids ] && mkdir -p "$U/usr/share/misc" && cp /usr/share/misc/pci.ids "$U/usr/share/misc/"
# The guest's stand-in for QEMU's VFIO start (container, group, type1): static, for busybox.
need_tools gcc
gcc -static -O2 -Wall -Wextra -Werror -o "$U/usr/bin/vfio-container" "$HERE/guest/vfio_container.c" \
    || die "cannot build guest/vfio_container.c statically (apt-get install -y gcc libc6-dev)"
cp "$HERE/guest/init" "$U/init"
cp "$HERE/guest/lib.sh" "$HERE/guest/json.awk" "$HERE/guest/pve-start.sh" "$U/bench/"
chmod 755 "$U/init"

S="$W/scenario"
mkdir -p "$S/bench/scenario"
cp -r "$SDIR"/. "$S/bench/scenario/"
printf '%s\n' "$SCENARIO" >"$S/bench/name"
printf '%s\n' "$KSERIES" >"$S/bench/kseries"
printf '%s\n' "$IOMMU" >"$S/bench/iommu"
printf '%s\n' "$GUEST_TIMEOUT" >"$S/bench/timeout"

MODROOT="$KDIR/root"
if [ -f "$SDIR/modules" ]; then
    prepare_headers
    MODROOT="$W/modroot"
    cp -a "$KDIR/root" "$MODROOT"
    mkdir -p "$MODROOT/lib/modules/$KVER/extra"
    for m in $(sed 's/#.*//' "$SDIR/modules"); do build_module "$m"; done
    depmod -b "$MODROOT" "$KVER"
fi
# Guest tools a scenario names in its file "tools": guest/NAME.c, static, in /usr/bin.
if [ -f "$SDIR/tools" ]; then
    for t in $(sed 's/#.*//' "$SDIR/tools"); do
        gcc -static -O2 -Wall -Wextra -Werror -o "$U/usr/bin/$t" "$HERE/guest/$t.c" \
            || die "guest tool $t did not build (needs gcc and libc6-dev)"
    done
fi

mkcpio "$MODROOT" "$W/modules.cpio.gz"
mkcpio "$U" "$W/userland.cpio.gz"
mkcpio "$S" "$W/scenario.cpio.gz"
cat "$W/modules.cpio.gz" "$W/userland.cpio.gz" "$W/scenario.cpio.gz" >"$W/initrd.gz"

# ---------------------------------------------------------------- boot
# no_timer_check: under TCG on a loaded host the IO-APIC timer test can miss its window
# and panic the boot ("timer doesn't work through Interrupt-remapped IO-APIC").
APPEND="console=ttyS0 panic=-1 loglevel=4 rdinit=/init no_timer_check"
QARGS=(-accel tcg -m "$(cat "$SDIR/memory" 2>/dev/null || echo 768)" -smp 1 -nodefaults -display none -no-reboot
       -serial "file:$W/console.log" -monitor none)
case $IOMMU in
    # A scenario's "intel-iommu" file replaces the device (e.g. intel-iommu,intremap=off).
    intel) QARGS+=(-machine q35,kernel-irqchip=split -device
                   "$(cat "$SDIR/intel-iommu" 2>/dev/null || echo intel-iommu,intremap=on)")
           APPEND+=" intel_iommu=on" ;;
    amd)   QARGS+=(-machine q35)   # amd-iommu goes after the scenario's devices (below):
                                   # its PCI function takes the first free slot
           APPEND+=" amd_iommu=on" ;;
    none)  QARGS+=(-machine q35)
           APPEND+=" intel_iommu=on" ;;   # same command line; there is simply no IOMMU
esac
# The scenario's devices: qemu.args holds one QEMU argument per line (# comments allowed).
while IFS= read -r line; do
    line=${line%%#*}; line=$(echo "$line" | sed 's/^ *//;s/ *$//')
    line=${line//@ROMFILE@/$ROMFILE}
    [ -n "$line" ] && QARGS+=("$line")
done <"$SDIR/qemu.args"
[ "$IOMMU" = amd ] && QARGS+=(-device amd-iommu)
# A scenario's "hostroot" file: this machine's root, read-only over virtio-9p, for QEMU
# started inside the guest (guest/pve-start.sh mounts it at /host and chroots into it).
[ -f "$SDIR/hostroot" ] && QARGS+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
QARGS+=(-kernel "$KDIR/vmlinuz" -initrd "$W/initrd.gz" -append "$APPEND")

printf '%q ' qemu-system-x86_64 "${QARGS[@]}" >"$W/qemu.cmd"; echo >>"$W/qemu.cmd"
say "booting $TESTNAME (work dir $W)"
start=$(date +%s)
set +e
timeout "$TIMEOUT" qemu-system-x86_64 "${QARGS[@]}" >"$W/qemu.out" 2>&1
qrc=$?
set -e
say "guest ran $(( $(date +%s) - start )) s, qemu exit $qrc"

# ---------------------------------------------------------------- assertions
show_console() {
    echo "----- guest console ($W/console.log), last 150 lines -----"
    tail -n 150 "$W/console.log" 2>/dev/null || true
    echo "----- qemu output -----"
    cat "$W/qemu.out" || true
    echo "-----"
}
if [ $qrc -eq 124 ]; then show_console; die "guest did not finish within ${TIMEOUT}s"; fi
if [ $qrc -ne 0 ]; then show_console; die "qemu exited with $qrc"; fi

tr -d '\r' <"$W/console.log" | sed -n 's/^RESULT \([^=]*\)=\(.*\)$/\1=\2/p' >"$W/results"
if ! grep -q '^bench.done=1$' "$W/results"; then
    show_console; die "the guest scenario did not complete (no RESULT bench.done=1)"
fi

# expect: lines "key=pattern" (shell glob), "key=-" (the key must be absent), optionally
# prefixed by "[6.1] " / "[6.12] " / "[intel] " / "[qemu7] " ... to apply to one kernel,
# IOMMU, QEMU major version or Debian release only ("[amd qemu7] ": every tag must hold). QEMU is this
# machine's (the nested starts run it over virtio-9p): 7 on Debian 12, 10 on Debian 13.
QEMU_MAJOR=$(qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
# "[deb12] " / "[deb13] ": this machine's Debian release (its ipxe-qemu ROMs differ)
DEBIAN_TAG=deb$(sed -n 's/^VERSION_ID="\{0,1\}\([0-9]*\).*/\1/p' /etc/os-release 2>/dev/null)
# "[pending] key=pattern" is a known failure waiting for a fix (the comment above it in
# expect names it): checked and shown as PENDING, but it does not fail the test. A file
# "pending.KERNEL" (e.g. pending.6.1) in the scenario makes every mismatch on that
# kernel PENDING; its text names the fix it waits for and is printed.
fails=0 checked=0 pending=0 all_pending=0
if [ -f "$SDIR/pending.$KSERIES" ]; then
    all_pending=1
    echo "bench: PENDING on $KSERIES, every mismatch below is a known failure:"
    sed 's/^/bench:   /' "$SDIR/pending.$KSERIES"
fi
mismatch() {   # mismatch IS_PENDING TEXT
    if [ "$1" = 1 ] || [ $all_pending = 1 ]; then
        echo "bench: PENDING $2 (a known failure: see its comment in $SDIR/expect or pending.$KSERIES)"
        pending=$((pending + 1))
    else
        echo "bench: MISMATCH $2"
        fails=$((fails + 1))
    fi
}
while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    is_pending=0
    if [[ $line =~ ^\[pending\][[:space:]]+(.*)$ ]]; then
        is_pending=1 line=${BASH_REMATCH[1]}
    fi
    if [[ $line =~ ^\[([^]]*)\][[:space:]]+(.*)$ ]]; then
        cond=${BASH_REMATCH[1]} line=${BASH_REMATCH[2]} holds=1
        for c in $cond; do   # every tag must hold: "[amd qemu7]"
            [ "$c" = "$KSERIES" ] || [ "$c" = "$IOMMU" ] || [ "$c" = "qemu$QEMU_MAJOR" ] ||
                [ "$c" = "$DEBIAN_TAG" ] || holds=0
        done
        [ $holds = 1 ] || continue
    fi
    key=${line%%=*} want=${line#*=}
    want=${want//@ROMFILE_SHA256@/$ROMFILE_SHA256} want=${want//@ROMFILE_SIZE@/$ROMFILE_SIZE}
    checked=$((checked + 1))
    got=$(awk -v k="$key" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2); n++ } END { if (n) print "=" v }' "$W/results")
    if [ -n "$got" ]; then got=${got#=} present=1; else got="(absent)" present=0; fi
    if [ "$want" = "-" ]; then
        if [ $present = 1 ]; then mismatch $is_pending "$key: expected absent, got '$got'"; continue; fi
    elif [ $present = 0 ] || [[ $got != $want ]]; then
        mismatch $is_pending "$key: expected '$want', got '$got'"; continue
    fi
    [ $is_pending = 0 ] || echo "bench: PENDING $key now holds: remove its [pending] mark in $SDIR/expect"
done <"$SDIR/expect"

echo "----- guest results -----"
cat "$W/results"
echo "-----"
if [ $fails -ne 0 ]; then
    show_console
    die "$fails of $checked expectations failed for $TESTNAME"
fi
[ $checked -gt 0 ] || die "scenario $SCENARIO has no expectations"
if [ $pending -ne 0 ]; then
    say "PASS $TESTNAME: $((checked - pending)) expectations hold; $pending known failures PENDING (see above)"
else
    say "PASS $TESTNAME: $checked expectations hold"
fi
