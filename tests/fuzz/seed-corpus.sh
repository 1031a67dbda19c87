#!/bin/bash
# Writes the first seeds of each corpus (tests/fuzz/corpus/<name>/seed-*)
# from the host trees, the task logs and a few hand-written inputs. Run it
# once before fuzzing a new harness; fuzzing adds to the corpus, and
# `-merge=1` keeps it small (README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hosts=$here/../hosts
corpus=$here/corpus
tasks=$hosts/extra/seed/var/log/pve/tasks

seed() { # seed HARNESS NAME < content
	mkdir -p "$corpus/$1"
	cat > "$corpus/$1/seed-$2"
}

for conf in "$hosts"/*/etc/pve/nodes/pve/qemu-server/*.conf; do
	host=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$(dirname "$(dirname "$conf")")")")")")")
	seed vmconf "$host-$(basename "$conf" .conf)" < "$conf"
	grep -h '^hostpci' "$conf" | sed 's/^[^:]*: //' | while read -r v; do
		printf '\001%s' "$v" | seed propstr "$host-$(basename "$conf" .conf)-$(printf %s "$v" | md5sum | cut -c1-8)"
	done
done
printf '\000%s' 'node=pve,path=0000:01:00;0000:02:00.0,id=10de:2803,iommugroup=12' | seed propstr map
printf '\000%s' 'virtio=BC:24:11:00:01:12,bridge=vmbr0,firewall=1' | seed propstr net

for a in 0000:01:00.0 01:00 01:00.1 ffff:ff:1f.7 0:01:00 01:00.8 01:20.0; do
	printf %s "$a" | seed pciaddr "${a//:/_}"
done

for f in "$tasks"/index "$tasks"/active; do
	cut -d' ' -f1 "$f" | while read -r u; do printf %s "$u" | seed upid "$(printf %s "$u" | md5sum | cut -c1-8)"; done
done
printf %s 'UPID:pve-2:0000A600:100140000:69060C2A:qmstart:101:user@pve!token1:' | seed upid token

seed policy empty <<< '{}'
seed policy full <<'J'
{"severity": {"boot-vga": "error", "balloon-enabled": "off"},
 "post_stop": "reset", "reset": true, "timeout_ms": 5000,
 "vms": {"100": {"post_stop": "return", "reset": false,
                 "severity": {"boot-vga": "info"}, "timeout_ms": 100}}}
J
seed policy bad-key <<< '{"vms": {"99": {}}, "severity": []}'

seed mapping seed < "$hosts/seed/etc/pve/mapping/pci.cfg"
printf 'gpu\n\tmap node=pve,path=0000:01:00.0;0000:02:00.0,id=10de:2803,subsystem-id=1458:4116,iommugroup=12\n' |
	seed mapping two-paths

# storage: a node's storage.cfg as Proxmox writes it, and the grammar's edges
seed storage node <<'S'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup,snippets

lvmthin: local-lvm
	thinpool data
	vgname pve
	content rootdir,images

nfs: nas
	export /srv/pve
	path /mnt/pve/nas
	server 10.0.0.2
	content snippets,iso
S
printf '# c\ndir:local  \r\n    path /srv/my storage\n\tcontent snippets\n\n\tpath /x\ndir: local\n\tpath /y\n' |
	seed storage edges

# procfs: the first byte picks the parser (fuzz_procfs.c)
for h in seed shared-group no-iommu; do
	{ printf '\000'; cat "$hosts/$h/proc/cmdline"; } | seed procfs "cmdline-$h"
	{ printf '\001'; cat "$hosts/$h/proc/meminfo"; } | seed procfs "meminfo-$h"
	{ printf '\002'; head -c 4096 "$hosts/$h/proc/cpuinfo"; } | seed procfs "cpuinfo-$h"
	{ printf '\004'; cat "$hosts/$h/proc/modules"; } | seed procfs "modules-$h"
done
{ printf '\003'; cat "$hosts/nouveau/sys/bus/pci/devices/0000:01:00.0/resource"; printf '\f';
  cat "$hosts/nouveau/proc/iomem"; } | seed procfs iomem-nouveau
for h in seed no-intremap; do
	{ printf '\006'; cat "$hosts/$h/proc/interrupts"; } | seed procfs "interrupts-$h"
done
{ printf '\005'; cat "$hosts/in-use/run/qemu-server/pci-id-reservations";
  printf '0000:01:00.0 101 time:99999999999\n'; } | seed procfs reservations

# tasklog: flags byte, then index, active, hook.log, a task log, index.1, hook.log.1
for flags in 0 1; do
	{ printf "\\00$flags"; cat "$tasks/index"; printf '\f\n'; cat "$tasks/active"; printf '\f\n'
	  cat "$hosts/extra/seed/var/log/vfiohelp/hook.log"; printf '\f\n'
	  cat "$tasks/0/UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:"; } |
		seed tasklog "seed-$flags"
done

# evaluate: the first byte picks the file (fuzz_evaluate.c targets), the
# second's low bit VM 102 instead of 100
t=0
for f in proc/cmdline proc/meminfo proc/modules proc/iomem proc/cpuinfo \
	proc/sys/kernel/osrelease etc/hostname etc/modules etc/modprobe.d/vfio.conf \
	etc/pve/vfiohelp.json etc/pve/mapping/pci.cfg etc/pve/nodes/pve/qemu-server/100.conf \
	etc/pve/nodes/pve/qemu-server/102.conf run/qemu-server/pci-id-reservations \
	run/qemu-server/200.pid sys/bus/pci/devices/0000:01:00.0/resource \
	sys/bus/pci/devices/0000:01:00.0/class sys/bus/pci/devices/0000:01:00.0/modalias \
	sys/bus/pci/devices/0000:01:00.0/reset_method \
	sys/bus/pci/devices/0000:01:00.0/driver_override \
	sys/bus/pci/devices/0000:01:00.0/config sys/bus/pci/devices/0000:01:00.1/config \
	proc/interrupts sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts; do
	for vm in 0 1; do
		src=$hosts/seed/$f
		[ -e "$src" ] || src=$hosts/in-use/$f
		[ -e "$src" ] || src=/dev/null
		{ printf "\\$(printf %03o $t)\\00$vm"; cat "$src"; } | seed evaluate "$t-$vm-${f//\//_}"
	done
	t=$((t + 1))
done
printf '\011\000{"severity": {"rombar-enabled": "off"}, "post_stop": "return"}' | seed evaluate policy

# rom: the made-up ROMs of the health tree (mkhost.sh's rom; never a ROM from a package),
# one behind a header with a stray 0x55AA in it, and an image whose length runs past the end
for f in "$hosts"/health/usr/share/kvm/*/*.rom; do
	seed rom "$(basename "$(dirname "$f")")-$(basename "$f" .rom)" < "$f"
done
{ printf 'HDR\x55\xaaHDR'; cat "$hosts/health/usr/share/kvm/nvidia/ad106.rom"; } | seed rom stray-signature
head -c 700 "$hosts/health/usr/share/kvm/nvidia/ad10x.rom" | seed rom cut-in-first-image

# state: as pre-start writes it (tests/unit/test_hook.c's SEED_STATE)
dev0='{"addr":"0000:01:00.0","id":"10de:2803","driver":"nouveau","override":""}'
dev1='{"addr":"0000:01:00.1","id":"10de:22bd","driver":"vfio-pci","override":""}'
printf '{"vmid":100,"time":1762000000,"boot_id":"","devices":[%s,%s]}' "$dev0" "$dev1" | seed state seed
printf '{"vmid":100,"time":1,"boot_id":"4f1c2a9e-7b3d-4c1e-9a2f-0d5e6b7c8a91","devices":[]}' | seed state empty
printf '{"vmid":101,"time":1,"boot_id":"","devices":[]}' | seed state other-vm

# initramfs: images as mkinitramfs and update-initramfs make them (the seed's
# zstd one; an early uncompressed microcode archive in front, zero padded; a
# symlinked modprobe.d file as copy_file copies it), and the shapes a reader
# must refuse (truncated, lzop, plain text)
seed initramfs seed < "$hosts/seed/boot/initrd.img-6.8.12-10-pve"
w=$(mktemp -d)
mkdir -p "$w/a/etc/modprobe.d" "$w/a/etc/nvidia/current" "$w/a/kernel/x86/microcode" "$w/e/kernel/x86/microcode"
printf 'options nvidia-drm modeset=1\n' >"$w/a/etc/nvidia/current/nvidia-modprobe.conf"
ln -s ../nvidia/current/nvidia-modprobe.conf "$w/a/etc/modprobe.d/nvidia.conf"
printf 'options vfio-pci ids=10de:2803\n' >"$w/a/etc/modprobe.d/vfio.conf"
printf 'microcode' >"$w/e/kernel/x86/microcode/AuthenticAMD.bin"
(cd "$w/a" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$w/main.cpio"
(cd "$w/e" && find kernel | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$w/early.cpio"
gzip -9n <"$w/main.cpio" | seed initramfs symlink-gzip
{ cat "$w/early.cpio"; head -c 512 /dev/zero; zstd -q -19 <"$w/main.cpio"; } | seed initramfs early-zstd
xz --check=crc32 <"$w/main.cpio" | seed initramfs xz
seed initramfs plain < "$w/main.cpio"
zstd -q -19 <"$w/main.cpio" | head -c 100 | seed initramfs truncated
printf '\211LZO\000\015\012\032\012\020\060\040\240\011\100\001\005\003' | seed initramfs lzop
printf 'not an image\n' | seed initramfs text
rm -rf "$w"
