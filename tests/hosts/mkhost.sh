# SPDX-License-Identifier: GPL-2.0-or-later
# mkhost.sh: build a directory tree shaped like a Proxmox VE host's filesystem.
# Sourced by recipes/<name>.sh. A recipe declares the host (kernel, CPU, IOMMU, PCI
# devices, loaded modules, files, VMs), then calls host_end, which writes the tree.
# Output is deterministic: no timestamps, no randomness. Links are relative.
set -euo pipefail
HOSTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "mkhost: $*" >&2; exit 1; }

# ---------------------------------------------------------------- declarations
# host NAME KVER CPU IOMMU     CPU: amd|intel   IOMMU: amd|intel|none
host() {
	NAME=$1 KVER=$2 CPU=$3 IOMMU=$4 R=$HOSTS_DIR/$1
	[[ -e $R ]] && die "$R exists (regen removes it first)"
	mkdir -p "$R"
	CMDLINE="BOOT_IMAGE=/boot/vmlinuz-$KVER root=/dev/mapper/pve-root ro quiet"
	MEM_TOTAL=32794012 MEM_AVAIL=25174344 THREADS=$([[ $CPU == amd ]] && echo 12 || echo 8)
	DEVS=() LOADED=() IOMEM=() ETC_MODULES=() RUNNING=() INTREMAP=on UNSAFE_IRQ=N
	declare -gA P_PARENT=() P_ID=() P_CLASS=() P_REV=() P_SUB=() P_DRV=() P_GRP=() \
		P_PORT=() P_FLR=() P_ACS=() P_BARS=() P_VGA=() P_LINK=() P_INUSE=() P_IRQ=() P_SLOT=() \
		P_RESET=() P_D3COLD=() P_DEAD=() P_VF=() P_SRIOV=()
}
cmdline() { CMDLINE=$1; }
memory() { MEM_TOTAL=$1 MEM_AVAIL=$2; }          # kB
threads() { THREADS=$1; }
load() { LOADED+=("$@"); }                        # modules loaded besides the bound drivers'
etc_modules() { ETC_MODULES=("$@"); }              # names listed in /etc/modules
iomem() { IOMEM+=("$(printf '%016x %016x %s' "$((16#$1))" "$((16#$2))" "$3")"); }
running() { RUNNING+=("$1:$2"); }                # VMID PID: qemu is running
intremap() { INTREMAP=$1; }                       # on|off: IR- interrupt chips in /proc/interrupts
unsafe_interrupts() { UNSAFE_IRQ=$1; }            # Y|N: vfio_iommu_type1's parameter when loaded
file() { mkdir -p "$(dirname "$R/$1")"; cat >"$R/$1"; }   # file PATH <<EOF
vm() { file "etc/pve/nodes/pve/qemu-server/$1.conf"; }    # vm VMID <<EOF

# rom PATH [header=N] [cut=N] IMAGE...: a made-up PCI expansion ROM at PATH under the root
# (a romfile under usr/share/kvm/, or a device's sysfs rom after host_end). IMAGE is
# TYPE:VID:DID[:option]...  TYPE x86|efi|other (code type 0, 3, 0x70); options: class=CCCCCC
# (default 030000), len=N (512-byte units, default 2), list=DID,DID (a PCIR revision 3
# device list), badsum (the x86 image's bytes do not sum to 0). The last image is marked
# last. header=N puts N bytes of a flashing tool's header in front; cut=N keeps only the
# first N bytes (a truncated dump). Not executable code: headers, PCIR, EFI header, text.
rom() {
	local out=$R/$1 header=0 cut= img all=() b
	shift
	while [[ $1 == header=* || $1 == cut=* ]]; do
		case $1 in header=*) header=${1#header=} ;; cut=*) cut=${1#cut=} ;; esac
		shift
	done
	for ((b = 0; b < header; b++)); do all+=($((0x46 + b % 8))); done # "FGHIJKLM...": no 0x55AA
	local n=$# i=0
	for img; do
		i=$((i + 1))
		romimage "$img" $((i == n))
		all+=("${ROMIMG[@]}")
	done
	[[ -n $cut ]] && all=("${all[@]:0:cut}")
	mkdir -p "$(dirname "$out")"
	local fmt
	printf -v fmt '\\x%02x' "${all[@]}"
	printf "$fmt" >"$out"
}
rom_b() { ROMIMG[$1]=$(($2 & 0xff)); }                        # byte, little-endian word
rom_w() { rom_b "$1" "$2"; rom_b $(($1 + 1)) $(($2 >> 8)); }
romimage() { # romimage TYPE:VID:DID[:opt]... LAST: the image's bytes in ROMIMG
	local type vid did opt cls=030000 len=2 list= badsum= code k sum=0 p=32 i t
	IFS=: read -r type vid did opt <<<"$1"
	IFS=: read -ra opt <<<"$opt"
	for k in "${opt[@]}"; do
		case $k in class=*) cls=${k#class=} ;; len=*) len=${k#len=} ;; list=*) list=${k#list=} ;; badsum) badsum=1 ;; esac
	done
	case $type in x86) code=0 ;; efi) code=3 ;; other) code=112 ;; *) die "rom: image type $type" ;; esac
	ROMIMG=()
	for ((i = 0; i < len * 512; i++)); do ROMIMG[i]=0; done
	rom_b 0 0x55; rom_b 1 0xaa; rom_b 2 "$len"; rom_w 0x18 $p
	if [[ $type == efi ]]; then # EFI header: signature, boot service driver, x64, uncompressed
		rom_w 4 0x0ef1; rom_w 8 11; rom_w 0xa 0x8664; rom_w 0xc 0; rom_w 0x16 0x80
	fi
	t="PCIR"; for ((i = 0; i < 4; i++)); do printf -v k %d "'${t:i:1}"; rom_b $((p + i)) "$k"; done
	rom_w $((p + 4)) $((16#$vid)); rom_w $((p + 6)) $((16#$did))
	[[ -n $list ]] && rom_w $((p + 8)) 0x20
	rom_w $((p + 0xa)) 0x1c; rom_b $((p + 0xc)) 3
	rom_b $((p + 0xd)) $((16#${cls:4:2})); rom_b $((p + 0xe)) $((16#${cls:2:2})); rom_b $((p + 0xf)) $((16#${cls:0:2}))
	rom_w $((p + 0x10)) "$len"; rom_w $((p + 0x12)) 1; rom_b $((p + 0x14)) "$code"; rom_b $((p + 0x15)) $(($2 ? 0x80 : 0))
	if [[ -n $list ]]; then
		IFS=, read -ra list <<<"$list"
		for ((i = 0; i < ${#list[@]}; i++)); do rom_w $((p + 0x20 + 2 * i)) $((16#${list[i]})); done
	fi
	t="made-up $type image for $vid:$did, for tests only"
	for ((i = 0; i < ${#t}; i++)); do printf -v k %d "'${t:i:1}"; rom_b $((0xa0 + i)) "$k"; done
	if [[ $type == x86 ]]; then # the last byte makes the image sum to 0 (mod 256)
		for ((i = 0; i < len * 512; i++)); do sum=$((sum + ROMIMG[i])); done
		rom_b $((len * 512 - 1)) $(((256 - sum % 256) % 256 + ${badsum:-0}))
	fi
}

# pci ADDR PARENT|- VID:DID CLASS [option]...   (PARENT: the bridge above, - for bus 0)
# options: rev=a1 sub=VID:DID drv=DRIVER grp=N port=ep|rp|up|dn|pci|rciep link=GENxWIDTH
#          bar0..bar5=m32|m32p|m64|m64p|io:HEXSTART:SIZE rom=HEXSTART:SIZE slot=N
#          flr (function level reset) acs (ACS isolating) vga (boot display) inuse (a VM has it open)
#          reset=none|M1,M2 (reset_method as the kernel lists it; none: no reset at all)
#          d3cold (power_state D3cold) dead (config space reads all ones: fell off the bus)
#          sriov=TOTAL:OFFSET:STRIDE (an SR-IOV PF; sriov_numvfs counts the VFs declared for it)
#          vf=PFADDR:N (VF N of that PF: physfn/virtfnN links, ID registers read ffff by spec)
pci() {
	local a=$1
	[[ $a =~ ^0000:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$ ]] || die "bad address $a"
	DEVS+=("$a") P_PARENT[$a]=$2 P_ID[$a]=$3 P_CLASS[$a]=$4 P_REV[$a]=00 P_SUB[$a]=$3
	P_PORT[$a]=ep P_LINK[$a]=3x4 P_IRQ[$a]=$((25 + ${#DEVS[@]}))
	[[ $4 == 0600* || $4 == 0806* ]] && P_PORT[$a]=pci
	[[ $4 == 0600* ]] && P_IRQ[$a]=0
	shift 4
	dev "$a" "$@"
}
dev() { # dev ADDR option...: change a declared device
	local a=$1 o k v
	shift
	[[ -n ${P_ID[$a]:-} ]] || die "no device $a"
	for o; do
		case $o in *=*) k=${o%%=*} v=${o#*=} ;; *) k=$o v=1 ;; esac
		case $k in
		bar[0-5]) P_BARS[$a]+=" ${k#bar}:$v" ;;
		rom) P_BARS[$a]+=" r:rom:$v" ;;
		rev | sub | drv | grp | port | link | flr | acs | vga | inuse | slot | reset | d3cold | dead | vf | sriov) printf -v "P_${k^^}[$a]" %s "$v" ;;
		*) die "unknown option $o" ;;
		esac
	done
}

# ---------------------------------------------------------------- helpers
sz() { local s=$1; case $s in *K) echo $((${s%K} << 10)) ;; *M) echo $((${s%M} << 20)) ;; *G) echo $((${s%G} << 30)) ;; *) echo $((s)) ;; esac; }
lnk() { # lnk TARGET LINK (both relative to the root): a relative symlink
	mkdir -p "$(dirname "$R/$2")"
	ln -sfn "$(realpath -m -s --relative-to="$(dirname "$R/$2")" "$R/$1")" "$R/$2"
}
put() { mkdir -p "$(dirname "$R/$1")"; printf '%s\n' "$2" >"$R/$1"; }
dpath() { # sysfs path of a device, relative to the root
	local a=$1 p=${P_PARENT[$1]}
	if [[ $p == - ]]; then echo "sys/devices/pci0000:00/$a"; else echo "$(dpath "$p")/$a"; fi
}
under() { local p=${P_PARENT[$1]}; while [[ $p != - ]]; do [[ $p == "$2" ]] && return 0; p=${P_PARENT[$p]}; done; return 1; }
bridge() { [[ ${P_CLASS[$1]} == 0604* ]]; }
children() { local d; for d in "${DEVS[@]}"; do [[ ${P_PARENT[$d]} == "$1" ]] && echo "$d"; done; return 0; }
multifn() { local d; for d in "${DEVS[@]}"; do [[ ${d%.*} == "${1%.*}" && $d != "$1" ]] && return 0; done; return 1; }
hx() { printf '0x%04x' "$((16#$1))"; }

# driver -> module that provides it (built-in drivers: none)
drvmod() { case $1 in vfio-pci) echo vfio_pci ;; xhci_hcd) echo xhci_pci ;; pci-stub) echo pci_stub ;; pcieport) ;; *) echo "$1" ;; esac; }
# module -> the PCI driver it registers (none for most)
moddrv() { case $1 in vfio_pci) echo vfio-pci ;; xhci_pci) echo xhci_hcd ;; pci_stub) echo pci-stub ;; nouveau | snd_hda_intel | nvme | r8169 | e1000e | ahci | igb | igbvf | amdgpu) echo "$1" ;; esac; }
# iomem name under which a bound driver claims a device's memory BARs
claim() { case $1 in nvme | r8169 | e1000e | ahci) echo "$1" ;; xhci_hcd) echo xhci-hcd ;; snd_hda_intel) echo "ICH HD audio" ;; esac; }

# bridge windows: sets W_IO W_MEM W_PF to "lo hi" (decimal) or "" from everything below bridge $1
windows() {
	local b=$1 d e kind st size lo hi k
	declare -A l=() h=()
	for d in "${DEVS[@]}"; do
		under "$d" "$b" || continue
		for e in ${P_BARS[$d]:-}; do
			IFS=: read -r _ kind st size <<<"$e"
			case $kind in io) k=io ;; m32p | m64p) k=pf ;; *) k=mem ;; esac
			lo=$((16#$st)) hi=$((16#$st + $(sz "$size") - 1))
			[[ -z ${l[$k]:-} || $lo -lt ${l[$k]} ]] && l[$k]=$lo
			[[ -z ${h[$k]:-} || $hi -gt ${h[$k]} ]] && h[$k]=$hi
		done
	done
	W_IO= W_MEM= W_PF=
	[[ -n ${l[io]:-} ]] && W_IO="$((l[io] & ~0xfff)) $((h[io] | 0xfff))"
	[[ -n ${l[mem]:-} ]] && W_MEM="$((l[mem] & ~0xfffff)) $((h[mem] | 0xfffff))"
	[[ -n ${l[pf]:-} ]] && W_PF="$((l[pf] & ~0xfffff)) $((h[pf] | 0xfffff))"
	return 0
}
busrange() { # secondary and subordinate bus of bridge $1
	local d s=255 m=0 b
	for d in "${DEVS[@]}"; do
		under "$d" "$1" || continue
		b=$((16#${d:5:2}))
		((b > m)) && m=$b
		[[ ${P_PARENT[$d]} == "$1" ]] && ((b < s)) && s=$b
	done
	((s == 255)) && s=0
	echo "$s $m"
}

# ---------------------------------------------------------------- config space
w8() { CFG[$1]=$(($2 & 0xff)); }
w16() { w8 "$1" "$2"; w8 $(($1 + 1)) $(($2 >> 8)); }
w32() { w16 "$1" "$2"; w16 $(($1 + 2)) $(($2 >> 16)); }
ptype() { case $1 in ep) echo 0 ;; legacy) echo 1 ;; rp) echo 4 ;; up) echo 5 ;; dn) echo 6 ;; pcibr) echo 7 ;; rciep) echo 9 ;; esac; }
linkof() { local l=${P_LINK[$1]}; echo "${l%x*} ${l#*x}"; }
peer() { # the other end of a device's link
	case ${P_PORT[$1]} in
	rp | dn) children "$1" | head -n1 ;;
	*) [[ ${P_PARENT[$1]} != - ]] && echo "${P_PARENT[$1]}" ;;
	esac
	return 0
}
curlink() { # negotiated speed and width of a device's link ("1 0" when down)
	local p s w ps pw
	p=$(peer "$1")
	[[ -z $p ]] && { echo "1 0"; return; }
	read -r s w < <(linkof "$1")
	read -r ps pw < <(linkof "$p")
	echo "$((s < ps ? s : ps)) $((w < pw ? w : pw))"
}

mkcfg() { # mkcfg ADDR FILE: write the binary config space
	local a=$1 port=${P_PORT[$1]} cls=${P_CLASS[$1]} n=4096 i e idx kind st size v
	[[ $port == pci ]] && n=256
	CFG=()
	for ((i = 0; i < n; i++)); do CFG[i]=0; done
	w16 0 $((16#${P_ID[$a]%:*})); w16 2 $((16#${P_ID[$a]#*:}))
	w8 8 $((16#${P_REV[$a]})); w8 9 $((16#${cls:4:2})); w8 10 $((16#${cls:2:2})); w8 11 $((16#${cls:0:2}))
	local hdr=0 io=0
	bridge "$a" && hdr=1
	multifn "$a" && hdr=$((hdr | 0x80))
	w8 0x0e $hdr
	for e in ${P_BARS[$a]:-}; do
		IFS=: read -r idx kind st size <<<"$e"
		v=$((16#$st))
		case $kind in
		rom) w32 $((hdr & 1 ? 0x38 : 0x30)) "$v" ;;
		io) w32 $((0x10 + 4 * idx)) $((v | 1)); io=1 ;;
		m32) w32 $((0x10 + 4 * idx)) "$v" ;;
		m32p) w32 $((0x10 + 4 * idx)) $((v | 8)) ;;
		m64) w32 $((0x10 + 4 * idx)) $((v | 4)); w32 $((0x14 + 4 * idx)) $((v >> 32)) ;;
		m64p) w32 $((0x10 + 4 * idx)) $((v | 0xc)); w32 $((0x14 + 4 * idx)) $((v >> 32)) ;;
		esac
	done
	((hdr & 1)) || { w16 0x2c $((16#${P_SUB[$a]%:*})); w16 0x2e $((16#${P_SUB[$a]#*:})); }
	if [[ $port == pci && $cls != 0806* ]]; then return 0; fi # host bridge: no capabilities
	if ((hdr & 1)); then
		local sec sub bctl=2
		read -r sec sub < <(busrange "$a")
		w8 0x18 $((16#${a:5:2})); w8 0x19 "$sec"; w8 0x1a "$sub"
		windows "$a"
		if [[ -n $W_IO ]]; then set -- $W_IO; w8 0x1c $((($1 >> 8 & 0xf0) | 1)); w8 0x1d $((($2 >> 8 & 0xf0) | 1))
		else w8 0x1c 0xf1; w8 0x1d 0x01; fi
		if [[ -n $W_MEM ]]; then set -- $W_MEM; w16 0x20 $(($1 >> 16 & 0xfff0)); w16 0x22 $(($2 >> 16 & 0xfff0))
		else w16 0x20 0xfff0; fi
		if [[ -n $W_PF ]]; then set -- $W_PF; w16 0x24 $(($1 >> 16 & 0xfff0 | 1)); w16 0x26 $(($2 >> 16 & 0xfff0 | 1)); w32 0x28 $(($1 >> 32)); w32 0x2c $(($2 >> 32))
		else w16 0x24 0xfff1; w16 0x26 0x0001; fi
		for e in $(children "$a"); do [[ -n ${P_VGA[$e]:-} ]] && bctl=$((bctl | 8)); done
		w16 0x3e $bctl; w16 4 0x0407
	else
		if [[ -n ${P_DRV[$a]:-} && ${P_DRV[$a]} != vfio-pci || -n ${P_INUSE[$a]:-} ]]; then w16 4 $((0x0406 | io))
		else w16 4 $((0x0002 | io)); fi
	fi
	w8 0x3c $((P_IRQ[$a] & 0xff)); w8 0x3d 1
	w16 6 0x0010; w8 0x34 0x40
	if [[ $cls == 0806* ]]; then # AMD IOMMU: secure device capability, MSI
		w8 0x40 0x0f; w8 0x41 0x64; w32 0x44 0x19000000
		w8 0x64 0x05; w16 0x66 0x0080
		return 0
	fi
	local flr=${P_FLR[$a]:-0} t s w cs cw p=0x70 slot=0 nxt=0x70
	t=$(ptype "$port")
	bridge "$a" && [[ ${P_SUB[$a]} != "${P_ID[$a]}" ]] && nxt=0x60
	w8 0x40 0x01; w8 0x41 0x50; w16 0x42 0x0003; w16 0x44 $((flr ? 8 : 0)) # PM: NoSoftRst+ with FLR
	w8 0x50 0x05; w8 0x51 $nxt; w16 0x52 0x0080                          # MSI, 64-bit
	if ((nxt == 0x60)); then                                               # bridge subsystem id
		w8 0x60 0x0d; w8 0x61 0x70; w16 0x64 $((16#${P_SUB[$a]%:*})); w16 0x66 $((16#${P_SUB[$a]#*:}))
	fi
	[[ $port == rp || $port == dn ]] && slot=1
	w8 $p 0x10; w16 $((p + 2)) $((2 | t << 4 | slot << 8))
	if [[ $port == ep || $port == legacy || $port == rciep ]]; then v=$((7 << 6 | 7 << 9)); else v=0; fi
	w32 $((p + 4)) $((1 | v | 1 << 15 | flr << 28)); w16 $((p + 8)) 0x2830
	read -r s w < <(linkof "$a")
	read -r cs cw < <(curlink "$a")
	if [[ $port != rciep ]]; then
		w32 $((p + 12)) $((s | w << 4 | 3 << 10 | 7 << 12 | 6 << 15 | slot << 20 | ${P_SLOT[$a]:-0} << 24))
		w16 $((p + 16)) 0x0040; w16 $((p + 18)) $((cs | cw << 4 | 1 << 12 | (slot && cw ? 1 << 13 : 0)))
		w32 $((p + 44)) $((((1 << s) - 1) << 1)); w16 $((p + 48)) "$s"
	fi
	if ((slot)); then
		w32 $((p + 20)) $((${P_SLOT[$a]:-0} << 19 | 0x4b << 7)); w16 $((p + 26)) $((cw ? 0x40 : 0))
		w32 $((p + 36)) 0x3f
	else
		w32 $((p + 36)) 0x1f
	fi
	if [[ -n ${P_ACS[$a]:-} ]]; then # ACS: SV TB RR CR UF capable; SV RR CR UF enabled
		w32 0x100 $((0x000d | 1 << 16)); w16 0x104 0x001f; w16 0x106 0x001d
	fi
}
cfgout() { local fmt; printf -v fmt '\\x%02x' "${CFG[@]}"; printf "$fmt" >"$1"; }

gts() { case $1 in 1) echo 2.5 ;; 2) echo 5.0 ;; 3) echo 8.0 ;; 4) echo 16.0 ;; 5) echo 32.0 ;; esac; }

# ---------------------------------------------------------------- sysfs devices
mkdev() {
	local a=$1 d vid did svid sdid cls drv=${P_DRV[$1]:-} i e idx kind st size lo hi fl c fb=
	d=$(dpath "$a")
	mkdir -p "$R/$d"
	vid=${P_ID[$a]%:*} did=${P_ID[$a]#*:} svid=${P_SUB[$a]%:*} sdid=${P_SUB[$a]#*:} cls=${P_CLASS[$a]}
	bridge "$a" && svid=0000 sdid=0000 && [[ ${P_SUB[$a]} != "${P_ID[$a]}" ]] && svid=${P_SUB[$a]%:*} sdid=${P_SUB[$a]#*:}
	[[ ${P_PORT[$a]} == pci ]] && svid=${P_SUB[$a]%:*} sdid=${P_SUB[$a]#*:}
	put "$d/vendor" "$(hx "$vid")"; put "$d/device" "$(hx "$did")"
	put "$d/subsystem_vendor" "$(hx "$svid")"; put "$d/subsystem_device" "$(hx "$sdid")"
	put "$d/class" "0x$cls"; put "$d/revision" "0x${P_REV[$a]}"
	local ma
	ma=$(printf 'pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X' $((16#$vid)) $((16#$did)) $((16#$svid)) $((16#$sdid)) \
		$((16#${cls:0:2})) $((16#${cls:2:2})) $((16#${cls:4:2})))
	put "$d/modalias" "$ma"
	{
		[[ -n $drv ]] && echo "DRIVER=$drv"
		printf 'PCI_CLASS=%X\nPCI_ID=%s:%s\nPCI_SUBSYS_ID=%s:%s\nPCI_SLOT_NAME=%s\nMODALIAS=%s\n' \
			$((16#$cls)) "${vid^^}" "${did^^}" "${svid^^}" "${sdid^^}" "$a" "$ma"
	} >"$R/$d/uevent"
	mkcfg "$a" "$R/$d/config"
	if [[ -n ${P_DEAD[$a]:-} ]]; then for i in "${!CFG[@]}"; do CFG[i]=255; done; fi # no answer: all ones
	if [[ -n ${P_VF[$a]:-} ]]; then for i in 0 1 2 3; do CFG[i]=255; done; fi # a VF's ID registers read ffff
	cfgout "$R/$d/config"
	# resource: 13 lines for an endpoint, 17 (with the bridge windows) for a bridge
	declare -A res=()
	for e in ${P_BARS[$a]:-}; do
		IFS=: read -r idx kind st size <<<"$e"
		lo=$((16#$st)) hi=$((16#$st + $(sz "$size") - 1))
		case $kind in io) fl=0x40101 ;; m32) fl=0x40200 ;; m32p) fl=0x42208 ;; m64) fl=0x140204 ;; m64p) fl=0x14220c ;; rom) fl=0x46200 idx=6 ;; esac
		res[$idx]=$(printf '0x%016x 0x%016x 0x%016x' "$lo" "$hi" "$fl")
		if [[ $kind == rom ]]; then : >"$R/$d/rom"; else : >"$R/$d/resource$idx"; [[ $kind == *p ]] && : >"$R/$d/resource${idx}_wc"; fi
		[[ $kind != io ]] && IOMEM+=("$(printf '%016x %016x %s' "$lo" "$hi" "$a")")
		if [[ $kind != io && $kind != rom ]]; then
			c=$(claim "$drv")
			[[ -n ${P_INUSE[$a]:-} ]] && c=vfio-pci
			[[ -n $c ]] && IOMEM+=("$(printf '%016x %016x %s' "$lo" "$hi" "$c")")
			[[ -n ${P_VGA[$a]:-} && $kind == *p && -z $fb ]] && fb=1 && IOMEM+=("$(printf '%016x %016x efifb' "$lo" $((lo + 0x2fffff)))")
		fi
	done
	local nres=13
	if bridge "$a"; then
		nres=17
		windows "$a"
		read -r sec _ < <(busrange "$a")
		[[ -n $W_IO ]] && res[13]=$(printf '0x%016x 0x%016x 0x%016x' $W_IO 0x101)
		[[ -n $W_MEM ]] && res[14]=$(printf '0x%016x 0x%016x 0x%016x' $W_MEM 0x200) &&
			IOMEM+=("$(printf '%016x %016x PCI Bus 0000:%02x' $W_MEM "$sec")")
		[[ -n $W_PF ]] && res[15]=$(printf '0x%016x 0x%016x 0x%016x' $W_PF 0x102201) &&
			IOMEM+=("$(printf '%016x %016x PCI Bus 0000:%02x' $W_PF "$sec")")
	fi
	for ((i = 0; i < nres; i++)); do echo "${res[$i]:-0x0000000000000000 0x0000000000000000 0x0000000000000000}"; done >"$R/$d/resource"
	put "$d/irq" "${P_IRQ[$a]}"; put "$d/numa_node" -1; put "$d/local_cpulist" "0-$((THREADS - 1))"
	put "$d/dma_mask_bits" 64; put "$d/consistent_dma_mask_bits" 64; put "$d/d3cold_allowed" 1
	put "$d/msi_bus" 1; put "$d/broken_parity_status" 0; put "$d/driver_override" "(null)"
	local on=0 ps=D0
	bridge "$a" || [[ -n $drv && $drv != vfio-pci || -n ${P_INUSE[$a]:-} ]] && on=1
	[[ $drv == vfio-pci && -z ${P_INUSE[$a]:-} ]] && ps=D3hot # vfio-pci suspends idle devices
	[[ -n ${P_D3COLD[$a]:-} ]] && ps=D3cold on=0
	put "$d/enable" $on; put "$d/power_state" $ps
	[[ $cls == 03* ]] && put "$d/boot_vga" "$([[ -n ${P_VGA[$a]:-} ]] && echo 1 || echo 0)"
	if [[ ${P_PORT[$a]} != pci ]]; then
		local s w cs cw
		read -r s w < <(linkof "$a"); read -r cs cw < <(curlink "$a")
		put "$d/max_link_speed" "$(gts "$s") GT/s PCIe"; put "$d/max_link_width" "$w"
		put "$d/current_link_speed" "$(gts "$cs") GT/s PCIe"; put "$d/current_link_width" "$cw"
	fi
	if ! bridge "$a" && [[ ${P_PORT[$a]} != pci ]]; then # reset methods in the kernel's order
		local m=()
		[[ -n ${P_FLR[$a]:-} ]] && m+=(flr) || m+=(pm)
		[[ ${P_PARENT[$a]} != - ]] && [[ $(children "${P_PARENT[$a]}" | wc -l) == 1 ]] && m+=(bus)
		[[ -n ${P_RESET[$a]:-} ]] && IFS=, read -ra m <<<"${P_RESET[$a]}"
		# the kernel shows neither file for a device it cannot reset
		[[ ${P_RESET[$a]:-} != none ]] && { put "$d/reset_method" "${m[*]}"; : >"$R/$d/reset"; }
	fi
	if [[ -n ${P_SRIOV[$a]:-} ]]; then
		local total off stride nvf=0 x
		IFS=: read -r total off stride <<<"${P_SRIOV[$a]}"
		for x in "${DEVS[@]}"; do [[ ${P_VF[$x]:-} == "$a":* ]] && nvf=$((nvf + 1)); done
		put "$d/sriov_totalvfs" "$total"; put "$d/sriov_numvfs" "$nvf"; put "$d/sriov_offset" "$off"
		put "$d/sriov_stride" "$stride"; put "$d/sriov_drivers_autoprobe" 1
	fi
	if [[ -n ${P_VF[$a]:-} ]]; then
		lnk "$(dpath "${P_VF[$a]%:*}")" "$d/physfn"
		lnk "$d" "$(dpath "${P_VF[$a]%:*}")/virtfn${P_VF[$a]##*:}"
	fi
	lnk sys/bus/pci "$d/subsystem"
	lnk "$d" "sys/bus/pci/devices/$a"
	if [[ -n $drv ]]; then
		lnk "sys/bus/pci/drivers/$drv" "$d/driver"
		lnk "$d" "sys/bus/pci/drivers/$drv/$a"
	fi
	if [[ $IOMMU != none && -n ${P_GRP[$a]:-} ]]; then
		lnk "sys/kernel/iommu_groups/${P_GRP[$a]}" "$d/iommu_group"
		lnk "$d" "sys/kernel/iommu_groups/${P_GRP[$a]}/devices/$a"
		lnk "$IOMMU_DEV" "$d/iommu"
		lnk "$d" "$IOMMU_DEV/devices/$a"
	fi
}

mkdriver() { # sysfs directory of a PCI driver
	local d=sys/bus/pci/drivers/$1 m
	mkdir -p "$R/$d"
	for f in bind unbind new_id remove_id; do : >"$R/$d/$f"; done
	: >"$R/$d/uevent"
	m=$(drvmod "$1")
	if [[ -n $m ]]; then lnk "sys/module/$m" "$d/module"; lnk "$d" "sys/module/$m/drivers/pci:$1"; fi
}

# ---------------------------------------------------------------- kernel modules
# modtable: name file size deps(a,b) aliases(a;b) exported-symbol   (- for none)
modtable() {
	local old=0
	[[ $KVER == 6.1.* || $KVER == 5.* ]] && old=1
	cat <<-EOF
	irqbypass kernel/virt/lib/irqbypass.ko 12288 - - irq_bypass_register_producer
	EOF
	((old)) || echo "iommufd kernel/drivers/iommu/iommufd/iommufd.ko 98304 - devname:iommu;char-major-10-124 iommufd_device_bind"
	if ((old)); then
		echo "vfio kernel/drivers/vfio/vfio.ko 45056 - devname:vfio/vfio;char-major-10-196 vfio_register_group_dev"
		echo "vfio_virqfd kernel/drivers/vfio/vfio_virqfd.ko 16384 vfio - vfio_virqfd_enable"
		echo "vfio_pci_core kernel/drivers/vfio/pci/vfio-pci-core.ko 81920 vfio_virqfd,irqbypass,vfio - vfio_pci_core_register_device"
	else
		echo "vfio kernel/drivers/vfio/vfio.ko 69632 iommufd devname:vfio/vfio;char-major-10-196 vfio_register_group_dev"
		echo "vfio_pci_core kernel/drivers/vfio/pci/vfio-pci-core.ko 86016 irqbypass,vfio - vfio_pci_core_register_device"
	fi
	cat <<-EOF
	vfio_iommu_type1 kernel/drivers/vfio/vfio_iommu_type1.ko 49152 vfio - -
	vfio_pci kernel/drivers/vfio/pci/vfio-pci.ko 16384 vfio_pci_core,vfio vfio_pci:v*d*sv*sd*bc*sc*i* -
	pci_stub kernel/drivers/pci/pci-stub.ko 12288 - - -
	kvm kernel/arch/x86/kvm/kvm.ko 1339392 irqbypass - kvm_init
	kvm_amd kernel/arch/x86/kvm/kvm-amd.ko 208896 kvm cpu:type:x86,ven*fam*mod*:feature:*0081* -
	kvm_intel kernel/arch/x86/kvm/kvm-intel.ko 413696 kvm cpu:type:x86,ven*fam*mod*:feature:*0085* -
	nouveau kernel/drivers/gpu/drm/nouveau/nouveau.ko 3096576 - pci:v000010DEd*sv*sd*bc03sc*i*;pci:v000012D2d*sv*sd*bc03sc*i* -
	snd kernel/sound/core/snd.ko 135168 - - snd_card_new
	snd_hda_intel kernel/sound/pci/hda/snd-hda-intel.ko 61440 snd pci:v000010DEd*sv*sd*bc04sc03i00*;pci:v*d*sv*sd*bc04sc03i00* -
	xhci_pci kernel/drivers/usb/host/xhci-pci.ko 24576 - pci:v*d*sv*sd*bc0Csc03i30* -
	nvme kernel/drivers/nvme/host/nvme.ko 61440 - pci:v*d*sv*sd*bc01sc08i02* -
	ahci kernel/drivers/ata/ahci.ko 49152 - pci:v00001B21d00000612sv*sd*bc*sc*i*;pci:v*d*sv*sd*bc01sc06i01* -
	r8169 kernel/drivers/net/ethernet/realtek/r8169.ko 118784 - pci:v000010ECd00008168sv*sd*bc*sc*i* -
	e1000e kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko 356352 - pci:v00008086d000010D3sv*sd*bc*sc*i* -
	igb kernel/drivers/net/ethernet/intel/igb/igb.ko 315392 - pci:v00008086d000010C9sv*sd*bc*sc*i* -
	igbvf kernel/drivers/net/ethernet/intel/igbvf/igbvf.ko 49152 - pci:v00008086d000010CAsv*sd*bc*sc*i* -
	amdgpu kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko 12173312 - pci:v00001002d0000744Csv*sd*bc*sc*i* -
	EOF
}
declare -A M_FILE=() M_SIZE=() M_DEPS=() M_ALIAS=() M_SYM=()
readmods() {
	local n f s dp al sy
	M_ORDER=()
	while read -r n f s dp al sy; do
		M_ORDER+=("$n") M_FILE[$n]=$f M_SIZE[$n]=$s M_DEPS[$n]=${dp/#-/} M_ALIAS[$n]=${al/#-/} M_SYM[$n]=${sy/#-/}
	done < <(modtable)
}
mkmodules() { # stub .ko files (only .modinfo, this_module, symbols) and depmod's real indexes
	local L=lib/modules/$KVER n src dp al vm="$KVER SMP preempt mod_unload modversions "
	mkdir -p "$R/$L"
	: >"$R/$L/modules.builtin"; : >"$R/$L/modules.builtin.modinfo"
	for n in "${M_ORDER[@]}"; do echo "${M_FILE[$n]}"; done >"$R/$L/modules.order"
	for n in "${M_ORDER[@]}"; do
		src="static const char mi[] __attribute__((used,section(\".modinfo\"),aligned(1))) = \"license=GPL\\0\""
		IFS=';' read -ra al <<<"${M_ALIAS[$n]}"
		for a in "${al[@]}"; do src+=" \"alias=$a\\0\""; done
		src+=" \"depends=${M_DEPS[$n]}\\0\" \"retpoline=Y\\0\" \"intree=Y\\0\" \"name=$n\\0\" \"vermagic=$vm\\0\";"
		src+=$'\n'"struct module { char pad[24]; char name[56]; } __this_module __attribute__((section(\".gnu.linkonce.this_module\"))) = { .name = \"$n\" };"
		if [[ -n ${M_SYM[$n]} ]]; then
			src+=$'\n'"void ${M_SYM[$n]}(void) {} static const char ks[] __attribute__((used,section(\"__ksymtab_strings\"),aligned(1))) = \"${M_SYM[$n]}\";"
		fi
		IFS=, read -ra dp <<<"${M_DEPS[$n]}"
		for d in "${dp[@]}"; do
			src+=$'\n'"extern void ${M_SYM[$d]}(void); void (*const use_$d)(void) __attribute__((used)) = ${M_SYM[$d]};"
		done
		mkdir -p "$(dirname "$R/$L/${M_FILE[$n]}")"
		gcc -c -Os -g0 -fno-asynchronous-unwind-tables -fno-ident -fno-pic -fno-common -x c - -o "$R/$L/${M_FILE[$n]}" <<<"$src"
	done
	depmod -b "$R" "$KVER"
}
closure() { # loaded modules with their dependencies, dependencies first
	local n d dd
	[[ -n ${SEEN[$1]:-} ]] && return 0
	SEEN[$1]=1
	[[ -n ${M_FILE[$1]:-} ]] || die "no module $1"
	IFS=, read -ra dd <<<"${M_DEPS[$1]}"
	for d in "${dd[@]}"; do closure "$d"; done
	ORDER+=("$1")
}

# ---------------------------------------------------------------- proc, platform
mkcpuinfo() {
	local i c half=$((THREADS / 2))
	for ((i = 0; i < THREADS; i++)); do
		c=$((i % half))
		if [[ $CPU == amd ]]; then
			printf 'processor\t: %d\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 33\nmodel name\t: AMD Ryzen 5 5600X 6-Core Processor\nstepping\t: 0\nmicrocode\t: 0xa20120e\ncpu MHz\t\t: 3700.000\ncache size\t: 512 KB\nphysical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n' "$i" "$THREADS" "$c" "$half" $((c * 2 + i / half)) $((c * 2 + i / half))
			printf 'fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 16\nwp\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm\nbugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso\nbogomips\t: 7386.48\nTLB size\t: 2560 4K pages\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 48 bits physical, 48 bits virtual\npower management: ts ttp tm hwpstate cpb eff_freq_ro [13] [14]\n\n'
		else
			printf 'processor\t: %d\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 94\nmodel name\t: Intel(R) Core(TM) i7-6700K CPU @ 4.00GHz\nstepping\t: 3\nmicrocode\t: 0xf0\ncpu MHz\t\t: 4000.000\ncache size\t: 8192 KB\nphysical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n' "$i" "$THREADS" "$c" "$half" $((c * 2 + i / half)) $((c * 2 + i / half))
			printf 'fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 22\nwp\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb pti ssbd ibrs ibpb stibp tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 hle avx2 smep bmi2 erms invpcid rtm mpx rdseed adx smap clflushopt intel_pt xsaveopt xsavec xgetbv1 xsaves dtherm ida arat pln pts hwp hwp_notify hwp_act_window hwp_epp vnmi md_clear flush_l1d arch_capabilities\nvmx flags\t: vnmi preemption_timer invvpid ept_x_only ept_ad ept_1gb flexpriority tsc_offset vtpr mtf vapic ept vpid unrestricted_guest ple shadow_vmcs pml\nbugs\t\t: cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs taa itlb_multihit srbds mmio_stale_data retbleed gds\nbogomips\t: 8000.00\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 39 bits physical, 48 bits virtual\npower management:\n\n'
		fi
	done >"$R/proc/cpuinfo"
}
mkmeminfo() {
	local T=$MEM_TOTAL A=$MEM_AVAIL F C B
	F=$((A * 7 / 10)) B=$((T / 400)) C=$((A - F - B + 262144))
	{
		for kv in MemTotal:$T MemFree:$F MemAvailable:$A Buffers:$B Cached:$C SwapCached:0 \
			Active:$((T - F - C / 2)) Inactive:$((C / 2)) "Active(anon):$((T - A - 1048576))" "Inactive(anon):8192" \
			"Active(file):$((C / 2))" "Inactive(file):$((C / 2 - 8192))" Unevictable:27648 Mlocked:27648 \
			SwapTotal:8388604 SwapFree:8388604 Zswap:0 Zswapped:0 Dirty:148 Writeback:0 AnonPages:$((T - A - 1048576)) \
			Mapped:$((C / 8)) Shmem:53436 KReclaimable:262144 Slab:524288 SReclaimable:262144 SUnreclaim:262144 \
			KernelStack:16384 PageTables:40960 SecPageTables:0 NFS_Unstable:0 Bounce:0 WritebackTmp:0 \
			CommitLimit:$((T / 2 + 8388604)) Committed_AS:$((T - A + 2097152)) VmallocTotal:34359738367 \
			VmallocUsed:114688 VmallocChunk:0 Percpu:17408 HardwareCorrupted:0 AnonHugePages:2048 ShmemHugePages:0 \
			ShmemPmdMapped:0 FileHugePages:0 FilePmdMapped:0 Unaccepted:0; do
			printf '%-16s%8s kB\n' "${kv%:*}:" "${kv##*:}"
		done
		printf '%-16s%8s\n' HugePages_Total: 0 HugePages_Free: 0 HugePages_Rsvd: 0 HugePages_Surp: 0
		printf '%-16s%8s kB\n' Hugepagesize: 2048 Hugetlb: 0 DirectMap4k: 2097152 DirectMap2M: $((T - 3145728)) DirectMap1G: 1048576
	} >"$R/proc/meminfo"
}
platform_iomem() { # RAM, firmware and root-bus ranges of the two machine families
	local hi=$((0x100000000 + MEM_TOTAL * 1024 - 0xc0000000)) e
	if [[ $CPU == amd ]]; then
		e="0-fff Reserved|1000-9ffff System RAM|a0000-fffff Reserved|a0000-dffff PCI Bus 0000:00|f0000-fffff System ROM"
		e+="|100000-9bfefff System RAM|9bff000-a000fff Reserved|a001000-a1fffff System RAM|a200000-a20cfff ACPI Non-volatile Storage"
		e+="|a20d000-c8f7bfff System RAM|3a000000-3b1fffff Kernel code|3b200000-3bc6efff Kernel rodata|3be00000-3c11cfff Kernel data|3c6fb000-3c9fffff Kernel bss"
		e+="|c8f7c000-ca4befff Reserved|ca4bf000-ca63bfff ACPI Tables|ca63c000-ca7b2fff ACPI Non-volatile Storage|ca7b3000-cbffefff Reserved"
		e+="|cbfff000-cdffffff System RAM|ce000000-cfffffff Reserved|d0000000-fec2ffff PCI Bus 0000:00|f0000000-f7ffffff PCI MMCONFIG 0000 [bus 00-7f]"
		e+="|fec00000-fec003ff IOAPIC 0|fec01000-fec013ff IOAPIC 1|fed00000-fed003ff HPET 0|fee00000-fee00fff Local APIC|ff000000-ffffffff Reserved"
		[[ $IOMMU == amd ]] && e+="|fd200000-fd27ffff amd_iommu"
	else
		e="0-fff Reserved|1000-9c7ff System RAM|9c800-9ffff Reserved|a0000-bffff PCI Bus 0000:00|e0000-fffff Reserved|f0000-fffff System ROM"
		e+="|100000-7a4b2fff System RAM|31a00000-32bfffff Kernel code|32c00000-3366efff Kernel rodata|33800000-33b1ccff Kernel data|340fb000-343fffff Kernel bss"
		e+="|7a4b3000-7a4b3fff ACPI Non-volatile Storage|7a4b4000-7a4b4fff Reserved|7a4b5000-86e4dfff System RAM|86e4e000-87b4dfff Reserved"
		e+="|87b4e000-87c47fff ACPI Tables|87c48000-87f79fff ACPI Non-volatile Storage|87f7a000-88ffefff Reserved|88fff000-88ffffff System RAM"
		e+="|89000000-8fffffff Reserved|90000000-dfffffff PCI Bus 0000:00|e0000000-efffffff PCI MMCONFIG 0000 [bus 00-ff]|e0000000-efffffff Reserved"
		e+="|fec00000-fec00fff Reserved|fec00000-fec003ff IOAPIC 0|fed00000-fed003ff HPET 0|fee00000-fee00fff Local APIC|ff000000-ffffffff Reserved"
		[[ $IOMMU == intel ]] && e+="|fed90000-fed90fff dmar0"
	fi
	e+="|100000000-$(printf %x $((hi | 0xfffff))) System RAM"
	IFS='|' read -ra e <<<"$e"
	for x in "${e[@]}"; do iomem "${x%%-*}" "$(cut -d' ' -f1 <<<"${x#*-}")" "${x#* }"; done
}
mkiomem() { # sort by start, parent first; nest each range inside the one that holds it
	printf '%s\n' "${IOMEM[@]}" | LC_ALL=C sort -s -k1,1 -k2,2r | awk '
	function short(h) { while (length(h) > 8 && substr(h, 1, 1) == "0") h = substr(h, 2); return h }
	{ name = substr($0, 35)
	  while (n > 0 && !(($1 "") >= s[n] && ($2 "") <= e[n])) n--
	  pad = ""; for (i = 0; i < n; i++) pad = pad "  "
	  printf "%s%s-%s : %s\n", pad, short($1), short($2), name
	  n++; s[n] = $1 ""; e[n] = $2 "" }' >"$R/proc/iomem"
}

mkinterrupts() { # /proc/interrupts: legacy IRQs on the IO-APIC, MSI for each device with a driver
	local ir='' i n=0 a line drv
	[[ $IOMMU != none && $INTREMAP == on ]] && ir=IR-
	row() { # row IRQ CHIP HWIRQ-TYPE NAME
		line=$(printf '%4s:' "$1")
		for ((i = 0; i < THREADS; i++)); do line+=$(printf ' %10d' $(((i == 0) * (n * 37 + 11)))); done
		printf '%s  %-14s %-12s %s\n' "$line" "$2" "$3" "$4"
		n=$((n + 1))
	}
	{
		line='    '
		for ((i = 0; i < THREADS; i++)); do line+=$(printf '       CPU%-3d' "$i"); done
		echo "$line"
		row 0 "${ir}IO-APIC" 2-edge timer
		row 8 "${ir}IO-APIC" 8-edge rtc0
		row 9 "${ir}IO-APIC" 9-fasteoi acpi
		case $IOMMU in
		intel) row 24 DMAR-MSI 0-edge dmar0 ;;
		amd) row 25 "PCI-MSI-0000:00:00.2" 4096-edge AMD-Vi ;;
		esac
		for a in "${DEVS[@]}"; do
			drv=${P_DRV[$a]:-}
			[[ -z $drv || $drv == vfio-pci || $drv == pcieport ]] && continue
			row $((P_IRQ[$a] + 100)) "${ir}PCI-MSI-$a" 0-edge "$drv"
		done
		printf ' NMI: %s  Non-maskable interrupts\n LOC: %s  Local timer interrupts\n ERR:          0\n MIS:          0\n' \
			"$(for ((i = 0; i < THREADS; i++)); do printf ' %10d' 0; done)" \
			"$(for ((i = 0; i < THREADS; i++)); do printf ' %10d' 1000; done)"
	} >"$R/proc/interrupts"
}

# ---------------------------------------------------------------- the tree
host_end() {
	local a d n g drv
	mkdir -p "$R/proc/sys/kernel" "$R/etc/modprobe.d" "$R/run" "$R/sys/bus/pci/drivers"
	# /etc
	put etc/hostname pve
	{
		printf '# /etc/modules: kernel modules to load at boot time.\n#\n# This file contains the names of kernel modules that should be loaded\n'
		printf '# at boot time, one per line. Lines beginning with "#" are ignored.\n# Parameters can be specified after the module name.\n\n'
		((${#ETC_MODULES[@]})) && printf '%s\n' "${ETC_MODULES[@]}"
	} >"$R/etc/modules"
	printf '# This file contains a list of modules which are not supported by Proxmox VE\n\n# nvidiafb see bugreport https://bugzilla.proxmox.com/show_bug.cgi?id=701\nblacklist nvidiafb\n' \
		>"$R/etc/modprobe.d/pve-blacklist.conf"
	mkdir -p "$R/etc/pve/nodes/pve/qemu-server"
	ln -sfn nodes/pve/qemu-server "$R/etc/pve/qemu-server"
	ln -sfn nodes/pve "$R/etc/pve/local"
	mkdir -p "$R/var"; ln -sfn ../run "$R/var/run"
	# /proc
	put proc/sys/kernel/osrelease "$KVER"; put proc/sys/kernel/hostname pve; put proc/cmdline "$CMDLINE"
	mkcpuinfo; mkmeminfo
	local r vmid pid
	for r in "${RUNNING[@]}"; do
		vmid=${r%:*} pid=${r#*:}
		put "run/qemu-server/$vmid.pid" "$pid"
		mkdir -p "$R/proc/$pid"
		printf '%s\0' /usr/bin/kvm -id "$vmid" -name "vm$vmid,debug-threads=on" -no-shutdown \
			-chardev "socket,id=qmp,path=/var/run/qemu-server/$vmid.qmp,server=on,wait=off" -mon chardev=qmp,mode=control \
			-pidfile "/var/run/qemu-server/$vmid.pid" -daemonize -machine type=q35+pve0 >"$R/proc/$pid/cmdline"
		echo "$pid (kvm) S 1 $((pid - 1)) $((pid - 1)) 0 -1 138412608 215337 0 12 0 13021 8812 0 0 20 0 9 0 123456 9026121728 2123456 18446744073709551615 1 1 0 0 0 0 268444224 4096 17003 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0" >"$R/proc/$pid/stat"
	done
	# modules: what is loaded = the recipe's list + the bound drivers' modules + dependencies
	readmods; mkmodules
	declare -gA SEEN=(); ORDER=()
	for n in "${LOADED[@]}"; do closure "$n"; done
	for a in "${DEVS[@]}"; do n=$(drvmod "${P_DRV[$a]:-pcieport}"); [[ -n $n ]] && closure "$n"; done
	local i j users cnt
	for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do
		n=${ORDER[i]} users= cnt=0
		for ((j = ${#ORDER[@]} - 1; j > i; j--)); do
			[[ ,${M_DEPS[${ORDER[j]}]}, == *,$n,* ]] && users+=${ORDER[j]}, && cnt=$((cnt + 1)) && lnk "sys/module/${ORDER[j]}" "sys/module/$n/holders/${ORDER[j]}"
		done
		echo "$n ${M_SIZE[$n]} $cnt ${users:--} Live 0x0000000000000000"
		mkdir -p "$R/sys/module/$n/holders"
		put "sys/module/$n/initstate" live; put "sys/module/$n/refcnt" $cnt; put "sys/module/$n/coresize" "${M_SIZE[$n]}"
	done >"$R/proc/modules"
	# /sys
	IOMMU_DEV=
	case $IOMMU in
	amd) IOMMU_DEV="sys/devices/pci0000:00/0000:00:00.2/iommu/ivhd0"
		put "$IOMMU_DEV/amd-iommu/cap" 0x00190000; put "$IOMMU_DEV/amd-iommu/features" 0x000000000000000058f77ef22294ade ;;
	intel) IOMMU_DEV="sys/devices/virtual/iommu/dmar0"
		put "$IOMMU_DEV/intel-iommu/version" 1:0; put "$IOMMU_DEV/intel-iommu/address" fed90000
		put "$IOMMU_DEV/intel-iommu/cap" d2008c40660462; put "$IOMMU_DEV/intel-iommu/ecap" f050da ;;
	esac
	[[ -n $IOMMU_DEV ]] && lnk "$IOMMU_DEV" "sys/class/iommu/${IOMMU_DEV##*/}"
	for f in drivers_probe rescan uevent resource_alignment; do : >"$R/sys/bus/pci/$f"; done
	put sys/bus/pci/drivers_autoprobe 1
	mkdriver pcieport
	for n in "${ORDER[@]}"; do d=$(moddrv "$n"); [[ -n $d ]] && mkdriver "$d"; done
	for a in "${DEVS[@]}"; do
		bridge "$a" && [[ -z ${P_DRV[$a]+x} ]] && P_DRV[$a]=pcieport
		[[ -n ${P_DRV[$a]:-} && ! -d $R/sys/bus/pci/drivers/${P_DRV[$a]} ]] && die "$a: driver ${P_DRV[$a]} is not loaded"
		mkdev "$a"
	done
	if [[ $IOMMU != none ]]; then
		for g in "$R"/sys/kernel/iommu_groups/*/; do
			if [[ $IOMMU == amd ]]; then printf '0x00000000fee00000 0x00000000feefffff msi\n0x000000fd00000000 0x000000ffffffffff reserved\n'
			else printf '0x00000000fee00000 0x00000000feefffff msi\n'; fi >"$g/reserved_regions"
			if [[ $CMDLINE == *iommu=pt* ]]; then echo identity; else echo DMA-FQ; fi >"$g/type"
		done
	fi
	# /dev/vfio: the container node, and a node per group that has a device on vfio-pci
	if [[ -n ${SEEN[vfio]:-} ]]; then
		mkdir -p "$R/dev/vfio"; : >"$R/dev/vfio/vfio"
		for a in "${DEVS[@]}"; do [[ ${P_DRV[$a]:-} == vfio-pci && -n ${P_GRP[$a]:-} && $IOMMU != none ]] && : >"$R/dev/vfio/${P_GRP[$a]}"; done
	fi
	platform_iomem; mkiomem
	mkinterrupts
	[[ -n ${SEEN[vfio_iommu_type1]:-} ]] && put sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts "$UNSAFE_IRQ"
	return 0
}
. "$HOSTS_DIR/machines.sh"

# initramfs: /boot/initrd.img-KVER holding the tree's modprobe.d *.conf as mkinitramfs
# copies them (newc cpio, zstd), reproducible (mtime 0, uid 0, sorted), and an empty
# /boot/vmlinuz-KVER. Call after host_end (which writes pve-blacklist.conf). Needs cpio, zstd.
initramfs() {
	local d
	d=$(mktemp -d)
	mkdir -p "$d/etc/modprobe.d" "$d/lib/modprobe.d" "$R/boot"
	cp "$R"/etc/modprobe.d/*.conf "$d/etc/modprobe.d/"
	find "$d" -exec touch -h -d @0 {} +
	(cd "$d" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0) |
		zstd -q -19 >"$R/boot/initrd.img-$KVER"
	: >"$R/boot/vmlinuz-$KVER"
	rm -rf "$d"
}
