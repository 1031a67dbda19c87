# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 22: the ROM QEMU was given (romfile=, Debian's ipxe-qemu efi-e1000e.rom) read by
# the real hookctl through the guest kernel's sysfs rom, listed and saved; the host side
# compares the saved bytes' sha256 with the file's (expect: @ROMFILE_SHA256@). Then what
# was saved judged by check as a romfile= (and behind a flashing tool's header), a device
# without a ROM BAR, and the refusal while a VM runs with the card.
A=0000:01:00.0 B=0000:02:00.0
R=$(sysdev $A)/rom
rom_state() {   # rom_state KEY: can a plain read get the ROM now? (only while enabled)
    if cat "$R" >/dev/null 2>/tmp/cat.err; then result "$1" readable
    else result "$1" refused; logfile "$1" /tmp/cat.err; fi
}
result start.$A.rom "$([ -e "$R" ] && echo present || echo absent)"
result start.$B.rom "$([ -e "$(sysdev $B)/rom" ] && echo present || echo absent)"
result start.$A.driver "$(dev_driver $A)"
rom_state before.read

# hookctl rom --json --save: enable, read, disable; the images; the bytes saved.
hookctl rom $A --json --save /tmp/saved.rom >/tmp/rom.json 2>/tmp/rom.err
result rom.rc $?
logfile "rom json" /tmp/rom.json
logfile "rom stderr" /tmp/rom.err
awk -f /bench/json.awk /tmp/rom.json >/tmp/rom.flat || result rom.json unparsable
awk -F '\t' '
    $1 ~ /^(address|vendor_device|size|efi|saved)$/ { print "RESULT rom." $1 "=" $2 }
    $1 ~ /^images\.[0-9]+\.[a-z_]+$/ { split($1, k, "."); print "RESULT rom.image" k[2] "." k[3] "=" $2 }
    $1 ~ /^images\.[0-9]+\.offset$/ { n++ }
    $1 ~ /^findings\.[0-9]+\.id$/ { f = f (f == "" ? "" : ",") $2 }
    END { print "RESULT rom.images=" n + 0; print "RESULT rom.findings=" (f == "" ? "none" : f) }' /tmp/rom.flat
result rom.saved.sha256 "$(sha256sum /tmp/saved.rom | cut -d' ' -f1)"
result rom.saved.size "$(wc -c </tmp/saved.rom)"
rom_state after.read

# the text view of the same read
hookctl rom $A >/tmp/rom.txt 2>&1
result text.rc $?
logfile "rom text" /tmp/rom.txt
result text.verdict "$(grep '^Verdict' /tmp/rom.txt)"
result text.image1 "$(grep '^  1 ' /tmp/rom.txt | tr -s ' ' | sed 's/^ //')"
rom_state text.after.read

# What was saved, as romfile= under /usr/share/kvm: the card's ROM for check; the same
# behind a 1536-byte flashing tool header is romfile-invalid naming the offset.
mkdir -p /usr/share/kvm
cp /tmp/saved.rom /usr/share/kvm/e1000e.rom
{ head -c 1536 /dev/zero | tr '\0' 'N'; cat /tmp/saved.rom; } >/usr/share/kvm/e1000e-header.rom
run_check check 100
run_check checkheader 101
grep -o 'the ROM starts at byte [0-9]*' /tmp/check.json | head -n 1 | sed 's/^/RESULT checkheader.offset_said=/'

# A device without a ROM BAR: no rom in sysfs.
hookctl rom $B --json >/tmp/norom.json 2>&1
result norom.rc $?
logfile "norom json" /tmp/norom.json
awk -f /bench/json.awk /tmp/norom.json | awk -F '\t' '$1 == "findings.0.id" { print "RESULT norom.finding=" $2 }'

# A running VM passes the card (VM 100's config; a process that names its pidfile as
# qemu-server's QEMU does): refused, the VM named, the ROM never enabled.
sh -c 'while :; do sleep 1; done' kvm -pidfile /var/run/qemu-server/100.pid &
VMPID=$!
echo $VMPID >/run/qemu-server/100.pid
hookctl rom $A >/tmp/held.out 2>/tmp/held.err
result held.rc $?
logfile "held stderr" /tmp/held.err
result held.stderr "$(head -n 1 /tmp/held.err)"
rom_state held.after.read
kill $VMPID
rm -f /run/qemu-server/100.pid
