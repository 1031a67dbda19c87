# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the guest-side scenario scripts (busybox sh). Every result is one line
# "RESULT key=value" on the console; the host side (bench.sh) checks them against the
# scenario's "expect" file. "LOG ..." lines are for people reading a failed run.

result() { echo "RESULT $1=$2"; }
log() { echo "LOG $*"; }
logfile() { sed "s/^/LOG $1: /" "$2"; }

sysdev() { echo "/sys/bus/pci/devices/$1"; }

dev_driver() {
    if [ -e "$(sysdev "$1")/driver" ]; then basename "$(readlink "$(sysdev "$1")/driver")"; else echo none; fi
}
dev_group() {
    if [ -e "$(sysdev "$1")/iommu_group" ]; then basename "$(readlink "$(sysdev "$1")/iommu_group")"; else echo none; fi
}

# driver_override, "none" when unset (the kernel shows "(null)")
dev_override() {
    local o
    o=$(cat "$(sysdev "$1")/driver_override" 2>/dev/null)
    case $o in ''|'(null)') echo none ;; *) echo "$o" ;; esac
}

# report_dev PREFIX ADDR: the device's real state in sysfs and /dev/vfio.
report_dev() {
    local p=$1 a=$2 g
    if [ ! -e "$(sysdev "$a")" ]; then result "$p.$a.present" no; return; fi
    result "$p.$a.present" yes
    result "$p.$a.driver" "$(dev_driver "$a")"
    result "$p.$a.e1000e_probes" "$(e1000e_probes "$a")"
    result "$p.$a.override" "$(dev_override "$a")"
    g=$(dev_group "$a")
    result "$p.$a.group" "$g"
    if [ "$g" != none ] && [ -e "/dev/vfio/$g" ]; then result "$p.$a.vfio_node" present
    else result "$p.$a.vfio_node" absent; fi
}

# report_group PREFIX ADDR: the members of the device's IOMMU group, space-separated.
report_group() {
    local g
    g=$(dev_group "$2")
    if [ "$g" = none ]; then result "$1.$2.group_members" none; return; fi
    result "$1.$2.group_members" "$(ls /sys/kernel/iommu_groups/"$g"/devices | sort | tr '\n' ' ' | sed 's/ $//')"
}

# report_modules PREFIX: loaded or absent, from /proc/modules.
report_modules() {
    local m
    for m in vfio vfio_pci vfio_pci_core vfio_iommu_type1 vfio_virqfd irqbypass e1000e pci_stub; do
        if grep -q "^$m " /proc/modules; then result "$1.module.$m" loaded; else result "$1.module.$m" absent; fi
    done
}

# run_check PREFIX VMID [ARGS...]: hookctl check --json; exit code, verdict, and per
# finding id its severity and subjects:
#   PREFIX.finding.<id>=<severity>   PREFIX.finding.<id>.subjects=<a>,<b>
run_check() {
    local p=$1 vmid=$2 rc
    shift 2
    hookctl check "$vmid" --json "$@" >/tmp/check.json 2>/tmp/check.err
    rc=$?
    result "$p.rc" $rc
    logfile "$p stdout" /tmp/check.json
    logfile "$p stderr" /tmp/check.err
    awk -f /bench/json.awk /tmp/check.json >/tmp/check.flat || result "$p.json" unparsable
    awk -F '\t' -v p="$p" '
        $1 == "verdict" { print "RESULT " p ".verdict=" $2 }
        $1 == "vmid" { print "RESULT " p ".vmid=" $2 }
        $1 ~ /^vm\.(machine|bios)$/ { print "RESULT " p "." $1 "=" $2 }
        $1 ~ /^vm\.hostpci\.[0-9]+\.devices\.[0-9]+$/ { split($1, k, "."); dev[k[3]] = dev[k[3]] (dev[k[3]] == "" ? "" : ",") $2 }
        $1 ~ /^findings\.[0-9]+\.(id|severity|subject)$/ { split($1, k, "."); f[k[2], k[3]] = $2; if (k[2] + 1 > nf) nf = k[2] + 1 }
        END {
            for (i in dev) print "RESULT " p ".vm.hostpci." i ".devices=" dev[i]
            for (i = 0; i < nf; i++) {
                id = f[i, "id"]
                if (!(id in sev)) { sev[id] = f[i, "severity"]; subj[id] = f[i, "subject"] }
                else {
                    if (index("," sev[id] ",", "," f[i, "severity"] ",") == 0) sev[id] = sev[id] "," f[i, "severity"]
                    subj[id] = subj[id] "," f[i, "subject"]
                }
                if (f[i, "severity"] == "error") nerr++
            }
            for (id in sev) { print "RESULT " p ".finding." id "=" sev[id]; print "RESULT " p ".finding." id ".subjects=" subj[id] }
            print "RESULT " p ".errors=" nerr + 0
        }' /tmp/check.flat
}

# run_hook PREFIX VMID PHASE: runs the hookscript the way Proxmox does.
run_hook() {
    local p=$1 rc
    /var/lib/vz/snippets/vfio-hook "$2" "$3" >/tmp/hook.out 2>/tmp/hook.err
    rc=$?
    echo $rc >/tmp/hook.rc
    result "$p.rc" $rc
    logfile "$p stdout" /tmp/hook.out
    logfile "$p stderr" /tmp/hook.err
    if [ ! -s /tmp/hook.out ]; then result "$p.stdout_prefix" empty
    elif grep -qv '^vfio-hook:' /tmp/hook.out; then result "$p.stdout_prefix" bad
    else result "$p.stdout_prefix" ok; fi
    result "$p.last_line" "$(tail -n 1 /tmp/hook.out)"
}

# report_touches PREFIX: how many lines of the last hook run say it reset, moved,
# returned or rolled back a device (0: the hook wrote to no device).
report_touches() {
    result "$1.touch_lines" "$(grep -cE '^vfio-hook: (reset|moved|returned|rolled back)' /tmp/hook.out)"
}

# run_phases VMID ADDR: all four hook phases in order; after each, what it said it
# touched (PHASE.touch_lines) and the device's state (afterPHASE.ADDR.*), PHASE without
# its dash (prestart, poststart, prestop, poststop).
run_phases() {
    local phase p
    for phase in pre-start post-start pre-stop post-stop; do
        p=$(echo $phase | tr -d -)
        run_hook $p "$1" $phase
        report_touches $p
        report_dev after$p "$2"
    done
}

# e1000e_probes ADDR: how often e1000e has bound the device since boot (each bind
# logs one "(PCI Express..." line): 1 means the device never left its host driver.
e1000e_probes() {
    dmesg | grep -c "e1000e $1 eth[0-9]*: (PCI Express"
}

# bind_by_hand ADDR: what an admin does without the hook: vfio-pci through
# driver_override, unbind, drivers_probe.
bind_by_hand() {
    modprobe vfio-pci; modprobe vfio_iommu_type1
    echo vfio-pci >"$(sysdev "$1")/driver_override"
    [ -e "$(sysdev "$1")/driver" ] && echo "$1" >"$(sysdev "$1")/driver/unbind"
    echo "$1" >/sys/bus/pci/drivers_probe
}

# run_container PREFIX ADDR: QEMU's start on the device's group (guest/vfio_container.c):
#   PREFIX.container_open, .group_open, .group_viable, .set_container, .set_iommu, .rc
run_container() {
    local g
    g=$(dev_group "$2")
    vfio-container "$g" >/tmp/container.out 2>&1
    result "$1.rc" $?
    sed -n "s/^\([a-z_]*\)=\(.*\)$/RESULT $1.\1=\2/p" /tmp/container.out
    dmesg | grep -i 'interrupt remapping' | tail -n 1 | sed "s/^/LOG $1 dmesg: /"
}

# report_devices PREFIX: hookctl devices --json compared with the guest's own sysfs,
# device by device, as "driver=... group=... members=... reset=...":
#   PREFIX.<addr>.json and PREFIX.<addr>.sysfs, PREFIX.mismatches (count), PREFIX.count
report_devices() {
    local p=$1 d a g members want got bad=0
    hookctl devices --json >/tmp/devices.json 2>/tmp/devices.err
    result "$p.rc" $?
    logfile "$p stderr" /tmp/devices.err
    logfile "$p json" /tmp/devices.json
    hookctl devices >/tmp/devices.txt 2>&1
    logfile "$p text" /tmp/devices.txt
    awk -f /bench/json.awk /tmp/devices.json >/tmp/devices.flat || result "$p.json" unparsable
    awk -F '\t' '
        function nz(x) { return (x == "" || x == "null") ? "none" : x }
        $1 ~ /^devices\.[0-9]+\.[a-z_]+(\.[0-9]+)?$/ {
            split($1, k, "."); i = k[2]; f = k[3]
            if (i + 1 > n) n = i + 1
            if (k[4] != "") v[i, f] = v[i, f] (v[i, f] == "" ? "" : " ") $2
            else v[i, f] = $2
        }
        END {
            for (i = 0; i < n; i++)
                printf "%s\tdriver=%s group=%s members=%s reset=%s\n", v[i, "address"], nz(v[i, "driver"]),
                    nz(v[i, "iommu_group"]), v[i, "group_members"], v[i, "reset_methods"]
        }' /tmp/devices.flat >/tmp/devices.lines
    result "$p.count" "$(wc -l </tmp/devices.lines)"
    result "$p.sysfs_count" "$(ls /sys/bus/pci/devices | wc -l)"
    for d in /sys/bus/pci/devices/*; do
        a=${d##*/}
        g=$(dev_group "$a") members=
        [ "$g" != none ] && members=$(ls /sys/kernel/iommu_groups/"$g"/devices | sort | tr '\n' ' ' | sed 's/ $//')
        want="driver=$(dev_driver "$a") group=$g members=$members reset=$(cat "$d/reset_method" 2>/dev/null)"
        got=$(awk -F '\t' -v a="$a" '$1 == a { print $2 }' /tmp/devices.lines)
        result "$p.$a.sysfs" "$want"
        result "$p.$a.json" "$got"
        [ "$want" = "$got" ] || bad=$((bad + 1))
    done
    result "$p.mismatches" $bad
}
