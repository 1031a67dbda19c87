#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hookctl inventory and where against the real pmxcfs in local mode (pmxcfs -l:
# quorate, no corosync), one instance holding several nodes' files:
#   tests/cluster/local.sh 8|9 HOOKCTL
# The local node is "pve" with the seed host's hardware (tests/hosts/seed,
# whose etc/pve is the pmxcfs mount); the other nodes' inventories are other
# host trees' or the seed's changed with jq:
#   pve2  the seed                         pve3  no IOMMU (tests/hosts/no-iommu)
#   pve4  GPU at 02:00, NVMe at 01:00       pve5  NVMe in the GPU's IOMMU group
#   pve6  no inventory
# Exit 77 (ctest skip) naming what is missing: root, FUSE, overlayfs,
# namespaces, the pmxcfs build packages.
set -euo pipefail
VH_SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$VH_SRC/tests/cluster/lib.sh"
ver=${1:?usage: local.sh 8|9 HOOKCTL}
hookctl=${2:?usage: local.sh 8|9 HOOKCTL}

if [[ -z ${VH_IN_NS:-} ]]; then
	vh_cluster_require "$ver"
	VH_WORK=$(mktemp -d /tmp/vfiohelp-cluster.XXXXXX)
	trap 'rm -rf "$VH_WORK"' EXIT
	rc=0
	VH_IN_NS=1 VH_WORK=$VH_WORK PMXCFS=$PMXCFS \
		unshare --mount --uts --net --propagation private bash "$0" "$@" || rc=$?
	exit "$rc"
fi

vh_node_namespace "$VH_WORK/pve" pve 10.99.0.1
vh_pmxcfs_start -l
trap vh_pmxcfs_stop EXIT
hosts=$VH_SRC/tests/hosts
root=$VH_WORK/root
cp -a "$hosts/seed" "$root"
# the seed's Proxmox files into the real /etc/pve, and that mount into the tree
mkdir -p /etc/pve/nodes/pve/qemu-server /etc/pve/mapping /etc/pve/ha
cp "$root"/etc/pve/nodes/pve/qemu-server/*.conf /etc/pve/nodes/pve/qemu-server/
rm -rf "$root/etc/pve"
mkdir "$root/etc/pve"
mount --bind /etc/pve "$root/etc/pve"

hc() { "$hookctl" "$@" --root "$root"; }
inventory_of() { "$hookctl" inventory --json --root "$hosts/$1" | jq -c --arg n "$2" '.node = $n'; }
publish_as() { # NODE: stdin to /etc/pve/nodes/NODE/vfiohelp-inventory.json
	mkdir -p "/etc/pve/nodes/$1"
	cat >"/etc/pve/nodes/$1/vfiohelp-inventory.json"
}
where() { hc where "$@" --json || true; }
ids() { jq -c --arg n "$2" '[.nodes[] | select(.node == $n) | .findings[].id]' <<<"$1"; }

echo "== pmxcfs $ver: publishing"
out=$(hc inventory --publish 2>&1) && [[ $out == *"published"* ]] &&
	vh_ok "first publish: $out" || vh_fail "first publish: $out"
inv=$(cat /etc/pve/nodes/pve/vfiohelp-inventory.json)
vh_expect "the published file is this node's inventory" \
	'.node == "pve" and (.functions | length) == 11 and .made_at > 0' "$inv"
made=$(jq .made_at <<<"$inv")
sleep 1.1
out=$(hc inventory --publish 2>&1) && [[ $out == *"unchanged"* ]] &&
	vh_ok "unchanged: not written again" || vh_fail "second publish: $out"
[[ $(jq .made_at /etc/pve/nodes/pve/vfiohelp-inventory.json) == "$made" ]] &&
	vh_ok "the file still has the first made_at" || vh_fail "the file was rewritten"
echo "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 amd_iommu=on iommu=pt quiet" >"$root/proc/cmdline"
out=$(hc inventory --publish 2>&1) && [[ $out == *"published"* ]] &&
	vh_ok "a changed host is published again" || vh_fail "changed host: $out"
left=$(ls -a /etc/pve/nodes/pve | grep -c tmp || true)
[[ $left == 0 ]] && vh_ok "no temporary file left" || vh_fail "temporary files left: $(ls -a /etc/pve/nodes/pve)"

echo "== pmxcfs $ver: where, one verdict per node"
inventory_of seed pve2 | publish_as pve2
inventory_of no-iommu pve3 | publish_as pve3
inventory_of seed pve4 | jq -c '.functions |= map(
	if (.address | startswith("0000:01:00.")) then .address |= sub("0000:01:00"; "0000:02:00")
	elif .address == "0000:02:00.0" then .address = "0000:01:00.0" else . end)' | publish_as pve4
inventory_of seed pve5 | jq -c '.functions |= map(if .address == "0000:02:00.0"
	then .iommu_group = 12 else . end)' | publish_as pve5
mkdir -p /etc/pve/nodes/pve6
w=$(where 100)
verdict() { jq -r --arg n "$2" '.nodes[] | select(.node == $n) | .verdict' <<<"$1"; }
vh_expect "owner pve, quorate (local mode)" '.owner == "pve" and .quorate' "$w"
for want in pve:can-start pve2:can-start pve3:cannot-start pve4:cannot-start pve5:cannot-start \
	pve6:unknown; do
	n=${want%%:*} v=${want#*:}
	[[ $(verdict "$w" "$n") == "$v" ]] && vh_ok "$n: $v $(ids "$w" "$n")" ||
		vh_fail "$n: $(verdict "$w" "$n"), expected $v $(ids "$w" "$n")"
done
vh_expect "pve3: no IOMMU" '[.nodes[] | select(.node == "pve3") | .findings[].id] | index("iommu-disabled")' "$w"
vh_expect "pve4: the card is elsewhere" '.nodes[] | select(.node == "pve4") | .findings[] |
	select(.id == "device-differs") | .message | contains("pve4 has that card at 0000:02:00.0")' "$w"
vh_expect "pve5: shared group" '[.nodes[] | select(.node == "pve5") | .findings[].id] | index("group-not-isolated")' "$w"
vh_expect "pve6: unknown, not refused" '.nodes[] | select(.node == "pve6") | .findings[0].id == "inventory-missing" and .inventory_age_s == null' "$w"
rc=0
hc where 100 >/dev/null || rc=$?
[[ $rc == 0 ]] && vh_ok "exit 0: pve2 can start it" || vh_fail "exit $rc"
check=$(hc check 100 --json || true)
[[ $(jq -c '[.findings[].id]' <<<"$check") == "$(ids "$w" pve)" ]] &&
	vh_ok "the local verdict is check's: $(ids "$w" pve)" ||
	vh_fail "check says $(jq -c '[.findings[].id]' <<<"$check"), where says $(ids "$w" pve)"

echo "== pmxcfs $ver: a mapping with maps for some nodes"
cat >/etc/pve/mapping/pci.cfg <<'CFG'
rtx4060
	map node=pve,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,iommugroup=12
	map node=pve2,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,iommugroup=12
CFG
w=$(where 102)
vh_expect "pve, pve2 can; pve3 has no map" '[.nodes[] | select(.verdict == "can-start") | .node] == ["pve", "pve2"]
	and ([.nodes[] | select(.node == "pve4") | .findings[].id] | index("mapping-unresolved"))' "$w"
vh_expect "offline migration to pve2 only, not live" \
	'.migration.offline_nodes == ["pve2"] and (.migration.live | not)' "$w"

echo "== pmxcfs $ver: HA"
printf 'vm: 100\n\tgroup gpu\n\tstate started\n' >/etc/pve/ha/resources.cfg
printf 'group: gpu\n\tnodes pve:2,pve2\n\trestricted 1\n' >/etc/pve/ha/groups.cfg
w=$(where 100)
vh_expect "PVE 8 restricted group: pve, pve2, nothing to say" \
	'.ha.managed and .ha.allowed_nodes == ["pve", "pve2"] and (.ha.findings | length) == 0' "$w"
printf 'group: gpu\n\tnodes pve:2,pve2\n' >/etc/pve/ha/groups.cfg
w=$(where 100)
vh_expect "PVE 8 unrestricted group: any node, so pve3-pve5 are findings" \
	'[.ha.findings[] | select(.id == "ha-target-cannot-start") | .subject] == ["pve3", "pve4", "pve5"]' "$w"
printf 'vm: 100\n\tstate started\n' >/etc/pve/ha/resources.cfg
printf 'node-affinity: gpu\n\tnodes pve,pve4\n\tresources vm:100\n\tstrict 1\n' >/etc/pve/ha/rules.cfg
w=$(where 100)
vh_expect "PVE 9 strict rule: pve, pve4; pve4 cannot" \
	'.ha.allowed_nodes == ["pve", "pve4"] and [.ha.findings[].subject] == ["pve4"]' "$w"
printf 'node-affinity: gpu\n\tnodes pve,pve2\n\tresources vm:100\n' >/etc/pve/ha/rules.cfg
w=$(where 100)
vh_expect "PVE 9 non-strict rule: any node" \
	'(.ha.allowed_nodes | length) == 6 and (.ha.findings | length) == 3' "$w"
rm -f /etc/pve/ha/rules.cfg /etc/pve/ha/groups.cfg /etc/pve/ha/resources.cfg

echo "== pmxcfs $ver: a VM that moved"
mkdir -p /etc/pve/nodes/pve2/qemu-server
mv /etc/pve/nodes/pve/qemu-server/100.conf /etc/pve/nodes/pve2/qemu-server/100.conf
vh_expect ".vmlist agrees: pmxcfs moved it" '.ids."100".node == "pve2"' "$(cat /etc/pve/.vmlist)"
w=$(where 100)
vh_expect "owner pve2; pve judged with pve2's config" \
	'.owner == "pve2" and ([.nodes[] | select(.node == "pve") | .verdict] == ["can-start"])' "$w"
rc=0
hc where 100 >/dev/null || rc=$?
[[ $rc == 0 ]] && vh_ok "exit 0: pve, not the owner, can start it" || vh_fail "exit $rc"
mv /etc/pve/nodes/pve2/qemu-server/100.conf /etc/pve/nodes/pve/qemu-server/100.conf

echo "== pmxcfs $ver: a read-only /etc/pve"
mount -o remount,bind,ro "$root/etc/pve"
echo "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 amd_iommu=on quiet" >"$root/proc/cmdline"
rc=0
out=$(hc inventory --publish 2>&1) || rc=$?
[[ $rc == 1 && $out == *"not published: no quorum"* ]] && vh_ok "read-only: $out" ||
	vh_fail "read-only /etc/pve: exit $rc: $out"
w=$(where 100)
vh_expect "where still answers" '(.nodes | length) == 6' "$w"

echo "== pmxcfs $ver: $VH_FAILS failed"
((VH_FAILS == 0))
