# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10, item 5: a driver hung in remove(). hangdrv owns the pci-testdev and never
# returns from remove(), so the unbind pre-start writes puts its writer in D state for
# good. pre-start must refuse within the policy's timeout_ms (2000), the hook's stdout
# must reach EOF then too (Proxmox reads it to EOF: a writer holding it would hang the
# start task), and the next VM's pre-start must get the lock and move its own device.
# hooktime measures from the kernel's "remove() sleeps" message, i.e. from the write.
# The hung device is never read after the hang: its driver_override read would wait on
# the same device lock and hang this script too.
A=0000:01:00.0 B=0000:02:00.0
TIMEOUT_MS=2000
report_dev start $A
report_dev start $B

hooktime -k "hangdrv: remove() sleeps" -l 30000 /tmp/hung.out -- \
    /var/lib/vz/snippets/vfio-hook 100 pre-start >/tmp/hung.times
while IFS='=' read -r k v; do result "hung.$k" "$v"; done </tmp/hung.times
logfile "hung stdout" /tmp/hung.out
logfile "hung stderr" /tmp/hung.out.err
result hung.last_line "$(tail -n 1 /tmp/hung.out)"
if grep -qv '^vfio-hook:' /tmp/hung.out; then result hung.stdout_prefix bad; else result hung.stdout_prefix ok; fi
. /tmp/hung.times
# Bounds: the refusal within timeout_ms of the write, plus 1 s for the hook to report
# and exit under TCG; EOF no later than the exit plus 500 ms.
within() { [ "$1" -ge 0 ] && [ "$1" -le "$2" ] && echo yes || echo no; }
result hung.exit_within_bound "$(within "$write_to_exit_ms" $((TIMEOUT_MS + 1000)))"
result hung.eof_within_bound "$(within "$write_to_eof_ms" $((TIMEOUT_MS + 1500)))"
# EOF no later than 500 ms after the exit: nothing left behind holds the output
if [ "$eof_ms" -ge 0 ] && [ "$exit_ms" -ge 0 ] && [ "$eof_ms" -le $((exit_ms + 500)) ]; then
    result hung.eof_with_exit yes
else
    result hung.eof_with_exit no
fi
log "hung: write at $write_ms ms, exit at $exit_ms ms, stdout EOF at $eof_ms ms (from the hook's start)"

# The writers left in D state, and what they still hold.
nd=0 lock=no foreign=no
for p in /proc/[0-9]*; do
    st=$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f1)
    [ "$st" = D ] || continue
    nd=$((nd + 1))
    fds=""
    for f in "$p"/fd/*; do
        t=$(readlink "$f" 2>/dev/null) || continue
        fds="$fds ${f##*/}:$(echo "$t" | sed 's/:\[[0-9]*\]//')"
        case $t in /run/vfiohelp/lock) lock=yes ;; esac
        # its own: /dev/null on 0-2, the result pipe on 3, the attribute it writes
        case ${f##*/}:$t in [012]:/dev/null|3:pipe:*|*:/sys/*) ;; *) foreign=yes ;; esac
    done
    log "D state: pid ${p#/proc/} $(cat "$p/comm") fds:$fds"
done
result hung.d_state "$nd"
result hung.holds_lock "$lock"
result hung.holds_other_descriptors "$foreign"
result after.$A.driver "$(dev_driver $A)"

# The next VM, another device: not locked out.
hooktime -l 30000 /tmp/next.out -- /var/lib/vz/snippets/vfio-hook 101 pre-start >/tmp/next.times
while IFS='=' read -r k v; do
    case $k in rc|exit_ms|eof_ms) result "next.$k" "$v" ;; esac
done </tmp/next.times
logfile "next stdout" /tmp/next.out
result next.last_line "$(tail -n 1 /tmp/next.out)"
if grep -qv '^vfio-hook:' /tmp/next.out; then result next.stdout_prefix bad; else result next.stdout_prefix ok; fi
if grep -q 'error lock' /tmp/next.out; then result next.lock_error yes; else result next.lock_error no; fi
report_dev next $B

# Cleanup: end the hang (powering off takes every device's lock, the hung one too).
# The unbind then completes, and the hook's detached helper, whose writes waited on
# the device lock, puts the device back on hangdrv with its override cleared.
echo 1 >/sys/module/hangdrv/parameters/release
for i in 1 2 3 4 5 6 7 8 9 10; do
    grep -q '^State:.*D' /proc/[0-9]*/status 2>/dev/null || break
    sleep 1
done
for i in 1 2 3 4 5 6 7 8 9 10; do
    [ "$(dev_driver $A)" = hangdrv ] && break
    sleep 1
done
report_dev released $A
