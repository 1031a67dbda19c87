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
