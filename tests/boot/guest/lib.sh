# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the boot bench's step scripts (sourced by guest/runner.sh before the
# step). The kernel bench's helpers (result, report_dev, run_check, ...) come along as
# klib.sh with its json.awk, found at /bench as that bench's guest has them.
ln -sfn /run/bench /bench
. /run/bench/klib.sh

STATE=/var/lib/vfiohelp-bench   # on the disk: survives the reboots between the steps
mkdir -p $STATE
VMID=100
DEV=0000:01:00.0                # the e1000e behind its root port (boot.sh's QEMU line)

# install_deb: the project's package (scripts/package.sh) as an admin installs it, so the
# packaged /usr/sbin/hookctl runs.
install_deb() {
    dpkg -i /run/bench/vfiohelp.deb >/tmp/dpkg.log 2>&1
    result deb.install_rc $?
    logfile dpkg /tmp/dpkg.log
    result deb.hookctl "$(command -v hookctl)"
}

# install_vm NAME.conf: a VM config of the step's into the node's qemu-server directory.
install_vm() {
    cp "/run/bench/$1" /etc/pve/nodes/pve-bench/qemu-server/"$1"
}

# snapshot NAME: the sha256 of every file under /etc (a symlink: its target), of every
# /boot/initrd.img-* and of /boot/grub/grub.cfg, plus every directory under /etc, into
# $STATE/NAME (sorted lines "hash  path").
snapshot() {
    {
        # The node's passthrough inventory (the package's vfiohelp-inventory.service
        # publishes it at boot into /etc/pve, the cluster file system) is no setup file.
        find /etc -xdev -type f ! -path '/etc/pve/nodes/*/vfiohelp-inventory.json' -print0 |
            xargs -0 sha256sum
        find /etc -xdev -type l -printf '%l  %p\n' | sed 's/^/link:/'
        find /etc -xdev -type d -printf 'dir  %p\n'
        sha256sum /boot/initrd.img-* /boot/grub/grub.cfg
    } | sort -k2 >"$STATE/$1"
}

# compare PREFIX A B: how the snapshots differ, in results:
#   PREFIX.etc=same|differs  PREFIX.etc.changed=paths (at most 10)
#   PREFIX.grubcfg=same|differs  PREFIX.initrd.<kver>=same|differs|added|removed
#   PREFIX.initrd.same=<kvers>  PREFIX.initrd.changed=<kvers> (changed, added or removed)
compare() {
    local p=$1 a=$STATE/$2 b=$STATE/$3 changed
    changed=$(diff "$a" "$b" | sed -n 's/^[<>] \S*  //p' | grep '^/etc/' | sort -u)
    if [ -z "$changed" ]; then result "$p.etc" same; else result "$p.etc" differs; fi
    result "$p.etc.changed" "$(echo "$changed" | head -n 10 | tr '\n' ' ' | sed 's/ *$//')"
    if [ "$(grep ' /boot/grub/grub.cfg$' "$a")" = "$(grep ' /boot/grub/grub.cfg$' "$b")" ]; then
        result "$p.grubcfg" same
    else
        result "$p.grubcfg" differs
    fi
    local k x y same="" other=""
    for k in $(sed -n 's|.* /boot/initrd.img-||p' "$a" "$b" | sort -uV); do
        x=$(grep " /boot/initrd.img-$k\$" "$a" | cut -d' ' -f1)
        y=$(grep " /boot/initrd.img-$k\$" "$b" | cut -d' ' -f1)
        if [ -z "$x" ]; then result "$p.initrd.$k" added
        elif [ -z "$y" ]; then result "$p.initrd.$k" removed
        elif [ "$x" = "$y" ]; then result "$p.initrd.$k" same
        else result "$p.initrd.$k" differs; fi
        if [ -n "$x" ] && [ "$x" = "$y" ]; then same="$same $k"; else other="$other $k"; fi
    done
    result "$p.initrd.same" "${same# }"
    result "$p.initrd.changed" "${other# }"
}

# options_in LINE: "yes" when every option of $STATE/options is a word of LINE, "none"
# when setup added no option, else "no".
options_in() {
    local o
    [ -s $STATE/options ] || { echo none; return; }
    for o in $(cat $STATE/options); do
        case " $1 " in *" $o "*) ;; *) echo no; return ;; esac
    done
    echo yes
}

# kernels: the installed kernel releases, oldest first.
kernels() { ls /boot/vmlinuz-* | sed 's|^/boot/vmlinuz-||' | sort -V; }

# report_boot PREFIX: what this boot came up with: the IOMMU, the options on the kernel
# line that setup writes, the device and the vfio modules.
report_boot() {
    local p=$1
    result "$p.iommu" "$(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
    if [ -e /sys/class/iommu/dmar0 ]; then result "$p.dmar0" present; else result "$p.dmar0" absent; fi
    if grep -qw intel_iommu=on /proc/cmdline; then result "$p.cmdline.intel_iommu" on
    else result "$p.cmdline.intel_iommu" absent; fi
    case " $(cat /proc/cmdline) " in *" BOOT_IMAGE="*) result "$p.grub" yes ;; *) result "$p.grub" no ;; esac
    report_dev "$p" $DEV
    report_modules "$p"
    dmesg | grep -iE 'vfio|e1000e|DMAR: (IOMMU|Intel)|iommu: Default' | sed "s/^/LOG $p dmesg: /"
}

# run_setup PREFIX ARGS...: hookctl setup ARGS --json; its exit status, how long it took,
# and from the JSON: the files (PREFIX.files=path,...), the commands with their status
# (PREFIX.commands=argv0:status,...), the journal id.
run_setup() {
    local p=$1 rc t0 t1
    shift
    t0=$(date +%s)
    hookctl setup "$@" --json >/tmp/setup.json 2>/tmp/setup.err
    rc=$?
    t1=$(date +%s)
    result "$p.rc" $rc
    result "$p.seconds" $((t1 - t0))
    logfile "$p stdout" /tmp/setup.json
    logfile "$p stderr" /tmp/setup.err
    result "$p.stderr" "$(head -c 600 /tmp/setup.err | tr '\n' ' ')"
    awk -f /bench/json.awk /tmp/setup.json >/tmp/setup.flat || { result "$p.json" unparsable; return; }
    awk -F '\t' -v p="$p" '
        $1 ~ /^files\.[0-9]+\.path$/ { files = files (files == "" ? "" : ",") $2 }
        $1 ~ /^commands\.[0-9]+\.argv\.0$/ { split($1, k, "."); argv[k[2]] = $2; if (k[2] + 1 > nc) nc = k[2] + 1 }
        $1 ~ /^commands\.[0-9]+\.status$/ { split($1, k, "."); st[k[2]] = $2 }
        $1 == "journal" { journal = $2 }
        $1 == "bootloader.kind" { print "RESULT " p ".bootloader=" $2 }
        $1 == "reboot_required" { print "RESULT " p ".reboot_required=" $2 }
        END {
            for (i = 0; i < nc; i++) cmds = cmds (i ? "," : "") argv[i] ":" st[i]
            print "RESULT " p ".files=" files
            print "RESULT " p ".commands=" cmds
            print "RESULT " p ".journal=" journal
        }' /tmp/setup.flat
}

# report_journal PREFIX: the newest setup journal's state as hookctl setup --list --json
# gives it (PREFIX.state=applied|rolled-back|undone|...) and the list's exit status.
report_journal() {
    hookctl setup --list --json >/tmp/list.json 2>/tmp/list.err
    result "$1.rc" $?
    logfile "$1 stdout" /tmp/list.json
    logfile "$1 stderr" /tmp/list.err
    result "$1.state" "$(awk -f /bench/json.awk /tmp/list.json | awk -F '\t' '$1 == "journals.0.state" { print $2 }')"
}
