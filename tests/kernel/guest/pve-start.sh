# SPDX-License-Identifier: GPL-2.0-or-later
# Proxmox's start sequence inside the guest, with QEMU itself as the judge (busybox sh,
# sourced after lib.sh by scenarios that have a "hostroot" file). Read from qemu-server
# (QemuServer.pm vm_start_nolock, PCI.pm parse_hostpci / print_hostpci_devices /
# prepare_pci_device / reserve_pci_usage) and pve-common (SysFSTools.pm
# pci_device_info, pci_dev_group_bind_to_vfio, pci_dev_bind_to_vfio, pci_dev_reset):
#
#   guarded:   pre-start hook (a refusal ends the start) -> config_to_command (hostpci
#              parsing: "no PCI device found for '<id>'") -> PCI reservations ("PCI device
#              '<id>' already in use by VMID '<n>'") -> prepare_pci_device per device
#              ("cannot prepare PCI pass-through, IOMMU not present", "no pci device info
#              for device '<id>'", group bind to vfio-pci without bridges: "Cannot bind
#              <id> to vfio", reset if it has a reset file) -> QEMU -> post-start hook;
#              stop: pre-stop hook -> QMP quit -> cleanup (reservations) -> post-stop hook
#   unguarded: the same without any hook.
#
# QEMU is this machine's /usr/bin/qemu-system-x86_64 in a chroot on /host (its root over
# virtio-9p, read-only) with the guest's /dev, /proc, /sys, /tmp, /run bound in:
#   -accel tcg -machine q35|pc -nodefaults -display none -m <memory, 512> -smp 1 -S -qmp unix:...
#   -pidfile /var/run/qemu-server/VMID.pid, qemu-server's ich9-pcie-port-1..4 root ports
#   (pve-q35-4.0.cfg) on q35, and the -device vfio-pci,host=...,id=hostpciN[.F],bus=,addr=
#   [,rombar=0][,x-vga=on][,multifunction=on][,romfile=/usr/share/kvm/...] qemu-server builds.
# The start succeeded when QMP answers qmp_capabilities (guest/qmp.c): the greeting comes
# before vfio-pci's realize, the answer after it.
#
# Outcomes (RESULT P.outcome): qemu-started | qemu-failed: <QEMU's message> |
#   qemu-server-failed: <qemu-server's message> | started-but-took-host-device: <addrs>
#   (QEMU started, but the group bind moved a device the VM does not pass away from a
#   host driver) | refused (guarded: the pre-start hook refused) | qemu-timeout
#
# Not modelled: OVMF firmware (irrelevant with -S: vfio's realize runs before any
# firmware), mdev creation, mappings, hugepages, qemu-server's pci.N bridges (a
# non-pcie entry goes on the root bus at qemu-server's slot for hostpciN).

PVE_QMP_TIMEOUT_MS=${PVE_QMP_TIMEOUT_MS:-90000}
PVE_BOOT=/run/bench-boot          # every device's driver at boot, for pve_restore
PVE_RES=/run/qemu-server/pci-id-reservations

uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# pve_host_mount: /host = this machine's root (9p, read-only), the guest's own /dev,
# /proc, /sys, /tmp and /run bound into it; remembers every device's boot driver.
pve_host_mount() {
    /sbin/modprobe 9pnet_virtio && /sbin/modprobe 9p || { result pve.hostroot no-9p; return 1; }
    mkdir -p /host
    # (from /: the scenario directory holds a file named "hostroot", which busybox would loop-mount)
    if ! (cd / && mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host); then
        result pve.hostroot mount-failed; return 1
    fi
    mount --bind /dev /host/dev && mount --bind /proc /host/proc && mount --bind /sys /host/sys &&
        mount --bind /tmp /host/tmp && mount --bind /run /host/run || { result pve.hostroot bind-failed; return 1; }
    [ -x /host/usr/bin/qemu-system-x86_64 ] || { result pve.hostroot no-qemu; return 1; }
    result pve.hostroot ok
    result pve.qemu_version "$(chroot /host /usr/bin/qemu-system-x86_64 --version | head -n 1)"
    mkdir -p $PVE_BOOT /run/qemu-server
    pve_snapshot_boot
}

pve_snapshot_boot() {
    local d
    for d in /sys/bus/pci/devices/*; do dev_driver "${d##*/}" >"$PVE_BOOT/${d##*/}"; done
}

# pve_conf VMID KEY: the value of "KEY: value" in the VM's config, before any section.
pve_conf() {
    awk -v k="$2" '/^\[/ { exit } index($0, k ": ") == 1 { print substr($0, length(k) + 3); exit }' \
        "/etc/pve/qemu-server/$1.conf"
}

# pve_prop STRING KEY: a property-string value ("host" also as the leading bare value)
pve_prop() {
    echo "$1" | awk -v k="$2" -F, '{
        for (i = 1; i <= NF; i++) {
            if (index($i, "=") == 0) { if (i == 1 && k == "host") { print $i; exit } continue }
            split($i, kv, "="); if (kv[1] == k) { print substr($i, length(k) + 2); exit }
        }
    }'
}

# pve_lspci ID: the addresses SysFSTools::lspci gives for a config id (domain added;
# without a function every function of the device)
pve_lspci() {
    local id=$1 d
    case $id in [0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]:*) ;; *) id=0000:$id ;; esac
    id=$(echo "$id" | tr A-F a-f)
    case $id in
        *.*) [ -e "/sys/bus/pci/devices/$id" ] && echo "$id" ;;
        *) for d in /sys/bus/pci/devices/"$id".*; do [ -e "$d" ] && echo "${d##*/}"; done ;;
    esac
}

pve_fail() { PVE_ERR=$*; return 1; }

# pve_parse VMID: config_to_command's hostpci part. Writes /tmp/pve.VMID.entries, one
# line per entry "i|addr addr...|pcie|rombar|romfile|xvga|driver|mdev"; PVE_ERR on error.
pve_parse() {
    local vmid=$1 i v host ids id a machine
    : >/tmp/pve.$vmid.entries
    machine=$(pve_conf "$vmid" machine)
    for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        v=$(pve_conf "$vmid" hostpci$i)
        [ -n "$v" ] || continue
        host=$(pve_prop "$v" host)
        [ -n "$host" ] || { pve_fail "Either 'host' or 'mapping' must be set."; return 1; }
        ids=
        for id in $(echo "$host" | tr ';' ' '); do
            a=$(pve_lspci "$id")
            [ -n "$a" ] || { pve_fail "no PCI device found for '$id'"; return 1; }
            ids="$ids $a"
        done
        if [ "$(pve_prop "$v" pcie)" = 1 ]; then
            case $machine in *q35*) ;; *) pve_fail "q35 machine model is not enabled"; return 1 ;; esac
        fi
        echo "$i|$(echo $ids)|$(pve_prop "$v" pcie)|$(pve_prop "$v" rombar)|$(pve_prop "$v" romfile)|$(pve_prop "$v" x-vga)|$(pve_prop "$v" driver)|$(pve_prop "$v" mdev)" \
            >>/tmp/pve.$vmid.entries
    done
    # "device '<id>' assigned more than once"
    a=$(cut -d'|' -f2 /tmp/pve.$vmid.entries | tr ' ' '\n' | sort | uniq -d | head -n 1)
    [ -z "$a" ] || { pve_fail "device '$a' assigned more than once"; return 1; }
}

# vm_running_locally VMID: the pid of its QEMU (pid file, alive, -pidfile in its cmdline)
pve_running_pid() {
    local f=/var/run/qemu-server/$1.pid p
    [ -f "$f" ] || return 1
    p=$(cat "$f")
    [ -d "/proc/$p" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "-pidfile $f" && echo "$p"
}

# pve_reserve VMID (time|pid:N) ADDR...: reserve_pci_usage
pve_reserve() {
    local vmid=$1 how=$2 id line ovmid ov now
    shift 2
    now=$(date +%s)
    touch $PVE_RES
    for id in "$@"; do
        line=$(grep "^$id " $PVE_RES | head -n 1)
        if [ -n "$line" ]; then
            ovmid=$(echo "$line" | cut -d' ' -f2) ov=$(echo "$line" | cut -d' ' -f3)
            if [ "$ovmid" != "$vmid" ]; then
                case $ov in
                    time:*) [ "${ov#time:}" -gt "$now" ] &&
                        { pve_fail "PCI device '$id' is currently reserved for use by VMID '$ovmid'"; return 1; } ;;
                    pid:*) [ "$(pve_running_pid "$ovmid")" = "${ov#pid:}" ] &&
                        { pve_fail "PCI device '$id' already in use by VMID '$ovmid'"; return 1; } ;;
                esac
            fi
        fi
        grep -v "^$id " $PVE_RES >$PVE_RES.new
        # time: qemu-server's start timeout + 5 (30 s is its floor)
        if [ "$how" = time ]; then echo "$id $vmid time:$((now + 35))"; else echo "$id $vmid $how"; fi >>$PVE_RES.new
        mv $PVE_RES.new $PVE_RES
    done
}

pve_unreserve() { touch $PVE_RES; awk -v v="$1" '$2 != v' $PVE_RES >$PVE_RES.new; mv $PVE_RES.new $PVE_RES; }

pve_write() {   # pve_write FILE VALUE: the write's error text in PVE_WERR, status as the write's
    PVE_WERR=$( { echo "$2" >"$1"; } 2>&1 )
}

# pci_dev_bind_to_vfio ADDR (SysFSTools): new_id (EEXIST allowed), unbind, bind
pve_bind_to_vfio() {
    local a=$1 v=/sys/bus/pci/drivers/vfio-pci data
    [ -d "$v/$a" ] && return 0
    data="$(sed 's/^0x//' "$(sysdev "$a")/vendor") $(sed 's/^0x//' "$(sysdev "$a")/device")"
    if ! pve_write "$v/new_id" "$data"; then
        case $PVE_WERR in *'File exists'*) ;; *) return 1 ;; esac
    fi
    if [ -e "$(sysdev "$a")/driver" ] && [ ! -d "$v/$a" ]; then
        pve_write "$(sysdev "$a")/driver/unbind" "$a" || [ ! -f "$(sysdev "$a")/driver/unbind" ] || return 1
    fi
    [ -d "$v/$a" ] || pve_write "$v/bind" "$a" || return 1
    [ -d "$v/$a" ]
}

# prepare_pci_device VMID ADDR DRIVER MDEV
pve_prepare() {
    local vmid=$1 a=$2 driver=${3:-vfio} mdev=$4 irq m
    irq=$(cat "$(sysdev "$a")/irq" 2>/dev/null)
    [ -n "$(ls /sys/class/iommu/ 2>/dev/null)" ] ||
        { pve_fail "cannot prepare PCI pass-through, IOMMU not present"; return 1; }
    case $irq in ''|*[!0-9]*) pve_fail "no pci device info for device '$a'"; return 1 ;; esac
    [ "$driver" = keep ] && return 0
    if [ -n "$mdev" ]; then pve_fail "mdev not modelled by the bench"; return 1; fi
    [ -d /sys/bus/pci/drivers/vfio-pci ] || /sbin/modprobe vfio-pci >/dev/null 2>&1
    [ -d /sys/bus/pci/drivers/vfio-pci ] || { pve_fail "Cannot find vfio-pci module!"; return 1; }
    [ -d "$(sysdev "$a")/iommu_group/devices" ] || { pve_fail "Cannot open iommu_group: No such file or directory"; return 1; }
    for m in $(ls "$(sysdev "$a")/iommu_group/devices/"); do
        [ -e "$(sysdev "$m")/pci_bus" ] && continue     # bridges, switches, root ports
        pve_bind_to_vfio "$m" || { pve_fail "Cannot bind $m to vfio"; return 1; }
    done
    if [ -f "$(sysdev "$a")/reset" ]; then
        if pve_write "$(sysdev "$a")/reset" 1; then log "pve: reset $a"
        else log "pve: failed to reset PCI device '$a', but trying to continue as not all devices need a reset"; fi
    fi
}

# pve_qemu_args VMID: the QEMU command line (one argument a line) into /tmp/pve.VMID.args
pve_qemu_args() {
    local vmid=$1 machine bios q35=0 i ids pcie rombar romfile xvga driver mdev n j a dev bus slot
    machine=$(pve_conf "$vmid" machine) bios=$(pve_conf "$vmid" bios)
    case $machine in *q35*) q35=1 ;; esac
    {
        printf '%s\n' -accel tcg -machine "$([ $q35 = 1 ] && echo q35 || echo pc)" -nodefaults \
            -display none -m "$(pve_conf "$vmid" memory | grep . || echo 512)" -smp 1 -S -qmp "unix:/tmp/qmp-$vmid.sock,server=on,wait=off" \
            -pidfile "/var/run/qemu-server/$vmid.pid" -name "vm$vmid"
        if [ $q35 = 1 ]; then
            for n in 1 2 3 4; do
                printf '%s\n' -device "pcie-root-port,id=ich9-pcie-port-$n,x-speed=16,x-width=32,multifunction=on,bus=pcie.0,addr=1c.$((n - 1)),port=$n,chassis=$n"
            done
        fi
        while IFS='|' read -r i ids pcie rombar romfile xvga driver mdev; do
            set -- $ids
            n=$#
            if [ "$pcie" = 1 ]; then bus=ich9-pcie-port-$((i + 1)) slot=0
            else
                bus=$([ $q35 = 1 ] && echo pcie.0 || echo pci.0)
                case $i in 0) slot=16 ;; 1) slot=17 ;; 2) slot=27 ;; 3) slot=28 ;; *) slot=$((20 + i)) ;; esac
            fi
            j=0
            for a in $ids; do
                dev="vfio-pci,host=$a,id=hostpci$i"
                if [ $n -gt 1 ]; then dev="$dev.$j,bus=$bus,addr=$(printf '0x%x' $slot).$j"
                else dev="$dev,bus=$bus,addr=$(printf '0x%x' $slot)"; fi
                if [ $j = 0 ]; then
                    [ "$rombar" = 0 ] && dev="$dev,rombar=0"
                    [ "$xvga" = 1 ] && [ "$bios" != ovmf ] && dev="$dev,x-vga=on"
                    [ $n -gt 1 ] && dev="$dev,multifunction=on"
                    [ -n "$romfile" ] && dev="$dev,romfile=/usr/share/kvm/$romfile"
                fi
                printf '%s\n' -device "$dev"
                j=$((j + 1))
            done
        done </tmp/pve.$vmid.entries
    } >/tmp/pve.$vmid.args
}

pve_outcome() {   # pve_outcome PREFIX VMID TEXT
    echo "$3" >/tmp/pve.$2.outcome
    result "$1.outcome" "$3"
}

# pve_start PREFIX VMID guarded|unguarded [keep]: one start as Proxmox runs it. Without
# "keep" a QEMU that started is stopped again (pve_stop). Reports PREFIX.outcome,
# PREFIX.qmp_ms (start to the QMP answer), the hook phases (PREFIX.prestart.* ...) and
# each passed device's state after the start (PREFIX.started.ADDR.*).
pve_start() {
    local p=$1 vmid=$2 mode=$3 keep=$4 ids t0 pid rc took a before now msg
    local i e_ids pcie rombar romfile xvga driver mdev
    PVE_ERR=
    rm -f /tmp/pve.$vmid.outcome
    if [ "$mode" = guarded ]; then
        run_hook "$p.prestart" "$vmid" pre-start
        if [ "$(cat /tmp/hook.rc 2>/dev/null)" != 0 ]; then pve_outcome "$p" "$vmid" refused; return 0; fi
    fi
    if ! pve_parse "$vmid"; then pve_outcome "$p" "$vmid" "qemu-server-failed: $PVE_ERR"; return 0; fi
    ids=$(cut -d'|' -f2 /tmp/pve.$vmid.entries | tr '\n' ' ')
    for a in /sys/bus/pci/devices/*; do echo "${a##*/} $(dev_driver "${a##*/}")"; done >/tmp/pve.$vmid.before
    if ! pve_reserve "$vmid" time $ids; then pve_outcome "$p" "$vmid" "qemu-server-failed: $PVE_ERR"; return 0; fi
    while IFS='|' read -r i e_ids pcie rombar romfile xvga driver mdev; do
        for a in $e_ids; do
            pve_prepare "$vmid" "$a" "$driver" "$mdev" || break 2
        done
    done </tmp/pve.$vmid.entries
    if [ -n "$PVE_ERR" ]; then
        pve_unreserve "$vmid"
        pve_outcome "$p" "$vmid" "qemu-server-failed: $PVE_ERR"; return 0
    fi
    pve_qemu_args "$vmid"
    logfile "$p qemu args" /tmp/pve.$vmid.args
    rm -f /tmp/qmp-$vmid.sock /run/qemu-server/$vmid.pid
    t0=$(uptime_ms)
    # busybox sh: the argument list from the file, one a line (no argument holds a space)
    chroot /host /usr/bin/qemu-system-x86_64 $(cat /tmp/pve.$vmid.args) \
        >/tmp/qemu-$vmid.out 2>/tmp/qemu-$vmid.err </dev/null &
    pid=$!
    echo $pid >/tmp/pve.$vmid.qemu
    qmp /tmp/qmp-$vmid.sock $pid $PVE_QMP_TIMEOUT_MS >/tmp/qmp-$vmid.out 2>/tmp/qmp-$vmid.log
    rc=$?
    result "$p.qmp_ms" $(( $(uptime_ms) - t0 ))
    result "$p.qmp" "$(cat /tmp/qmp-$vmid.out)"
    if [ $rc != 0 ]; then
        [ $rc = 2 ] && kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        logfile "$p qemu stderr" /tmp/qemu-$vmid.err
        pve_unreserve "$vmid"
        if [ $rc = 2 ]; then pve_outcome "$p" "$vmid" qemu-timeout; return 0; fi
        # "qemu-system-x86_64: -device vfio-pci,...: vfio 0000:01:00.0: MESSAGE": keep MESSAGE
        msg=$(grep -v '^qemu-system-x86_64: warning' /tmp/qemu-$vmid.err | head -n 1 |
              sed 's/^qemu-system-x86_64: //; s/^-device [^ ]*: //; s/^vfio [^ ]*: //')
        pve_outcome "$p" "$vmid" "qemu-failed: $msg"
        return 0
    fi
    pve_reserve "$vmid" "pid:$pid" $ids
    # did the group bind take a device the VM does not pass from a host driver?
    took=
    while read -r a before; do
        case " $ids " in *" $a "*) continue ;; esac
        case $before in none|vfio-pci|pci-stub) continue ;; esac
        now=$(dev_driver "$a")
        [ "$now" = vfio-pci ] && took="$took $a($before->$now)"
    done </tmp/pve.$vmid.before
    if [ -n "$took" ]; then pve_outcome "$p" "$vmid" "started-but-took-host-device:$took"
    else pve_outcome "$p" "$vmid" qemu-started; fi
    for a in $ids; do report_dev "$p.started" "$a"; done
    [ "$mode" = guarded ] && run_hook "$p.poststart" "$vmid" post-start
    if [ "$keep" = keep ]; then echo "$vmid" >>/tmp/pve.kept; else pve_stop "$p" "$vmid" "$mode"; fi
}

# pve_stop PREFIX VMID guarded|unguarded: pre-stop hook, QMP quit, cleanup, post-stop hook;
# PREFIX.stopped.ADDR.* is each passed device's state after it.
pve_stop() {
    local p=$1 vmid=$2 mode=$3 pid a
    pid=$(cat /tmp/pve.$vmid.qemu)
    [ "$mode" = guarded ] && run_hook "$p.prestop" "$vmid" pre-stop
    qmp /tmp/qmp-$vmid.sock "$pid" 10000 quit >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    result "$p.qemu_exit" $?
    pve_unreserve "$vmid"
    rm -f /run/qemu-server/$vmid.pid
    [ -f /tmp/pve.kept ] && grep -vx "$vmid" /tmp/pve.kept >/tmp/pve.kept.new; mv -f /tmp/pve.kept.new /tmp/pve.kept 2>/dev/null
    [ "$mode" = guarded ] && run_hook "$p.poststop" "$vmid" post-stop
    for a in $(cut -d'|' -f2 /tmp/pve.$vmid.entries); do report_dev "$p.stopped" "$a"; done
}

# pve_restore: every device back on its boot driver (the bench's reset between starts):
# vfio-pci's dynamic ids removed, driver_override cleared, unbound, probed again. Not the
# devices of a QEMU kept running (pve_start ... keep): vfio-pci's unbind would wait for
# that QEMU to let go of the device.
pve_restore() {
    local d a boot now held= v
    for v in $(cat /tmp/pve.kept 2>/dev/null); do held="$held $(cut -d'|' -f2 /tmp/pve.$v.entries | tr '\n' ' ')"; done
    for d in /sys/bus/pci/devices/*; do
        echo "$(sed 's/^0x//' "$d/vendor") $(sed 's/^0x//' "$d/device")" \
            >/sys/bus/pci/drivers/vfio-pci/remove_id 2>/dev/null
    done
    for d in /sys/bus/pci/devices/*; do
        a=${d##*/}
        case " $held " in *" $a "*) continue ;; esac
        boot=$(cat "$PVE_BOOT/$a" 2>/dev/null || echo none) now=$(dev_driver "$a")
        [ "$now" = "$boot" ] && [ "$(dev_override "$a")" = none ] && continue
        echo >"$d/driver_override"
        [ "$now" != none ] && echo "$a" >"$d/driver/unbind"
        [ "$boot" != none ] && echo "$a" >/sys/bus/pci/drivers_probe
        log "pve_restore: $a $now -> $(dev_driver "$a") (boot: $boot)"
    done
}

# pve_case NAME VMID [SETUP]: one row of the agreement table. SETUP (a shell function)
# shapes the host before the guard's check and again before the guarded start. Reports
#   NAME.check.* (hookctl check), NAME.unguarded.*, NAME.guarded.*,
#   NAME.verdict (allow|block), NAME.errors (the error findings' ids, sorted),
#   NAME.agree (yes: the guard allows exactly what QEMU starts without it),
#   NAME.consistent (yes: the guarded start gives qemu-started if allowed, refused if not)
# and a "TABLE NAME | unguarded | verdict errors" log line.
pve_case() {
    local n=$1 vmid=$2 setup=$3 ung verdict errs gua
    [ -n "$setup" ] && $setup
    run_check "$n.check" "$vmid"
    verdict=$(awk -F '\t' '$1 == "verdict" { print $2 }' /tmp/check.flat)
    errs=$(awk -F '\t' '$1 ~ /^findings\.[0-9]+\.id$/ { split($1, k, "."); id[k[2]] = $2 }
                        $1 ~ /^findings\.[0-9]+\.severity$/ { split($1, k, "."); sev[k[2]] = $2 }
                        END { for (i in id) if (sev[i] == "error") print id[i] }' /tmp/check.flat | sort -u | tr '\n' ' ' | sed 's/ $//')
    pve_start "$n.unguarded" "$vmid" unguarded
    ung=$(cat /tmp/pve.$vmid.outcome)
    pve_restore
    [ -n "$setup" ] && $setup
    pve_start "$n.guarded" "$vmid" guarded
    gua=$(cat /tmp/pve.$vmid.outcome)
    pve_restore
    result "$n.verdict" "$verdict"
    result "$n.errors" "${errs:-none}"
    if { [ "$ung" = qemu-started ] && [ "$verdict" = allow ]; } ||
       { [ "$ung" != qemu-started ] && [ "$verdict" = block ]; }; then result "$n.agree" yes
    else result "$n.agree" no; fi
    if { [ "$verdict" = allow ] && [ "$gua" = qemu-started ]; } ||
       { [ "$verdict" = block ] && [ "$gua" = refused ]; }; then result "$n.consistent" yes
    else result "$n.consistent" no; fi
    log "TABLE $n | $ung | $verdict ${errs:-} | guarded: $gua"
}
