#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quorum and membership against a real three-node cluster on one machine:
#   tests/cluster/quorum.sh 8|9 HOOKCTL
# pve1..pve3, each in network, mount and UTS namespaces of its own (overlays
# over /etc and /var/lib, its own /run), joined by veth pairs to a bridge in
# a namespace of its own; one corosync (knet, secauth, one shared key, the
# nodelist pvecm writes, token 1000) and one pmxcfs per node. All of it runs
# inside one outer mount and network namespace: the named network
# namespaces (/run/netns) and every mount stay there.
#   - each node publishes its inventory; pve1's where sees all three online
#   - pve3's link goes down: pve3 loses quorum, refuses to publish ("no
#     quorum": EACCES from pmxcfs), its where still answers and says its view
#     may be stale; pve1 and pve2 see pve3 offline
# Exit 77 (ctest skip) naming what is missing.
set -euo pipefail
VH_SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$VH_SRC/tests/cluster/lib.sh"
ver=${1:?usage: quorum.sh 8|9 HOOKCTL}
hookctl=${2:?usage: quorum.sh 8|9 HOOKCTL}
NODES=(pve1 pve2 pve3)

if [[ -z ${VH_OUTER:-} ]]; then
	vh_cluster_require "$ver"
	for cmd in corosync corosync-keygen ip nsenter; do
		command -v "$cmd" >/dev/null || vh_skip "no $cmd (scripts/deps.sh installs corosync, iproute2)"
	done
	VH_WORK=$(mktemp -d /tmp/vfiohelp-quorum.XXXXXX)
	trap 'rm -rf "$VH_WORK"' EXIT
	rc=0
	VH_OUTER=1 VH_WORK=$VH_WORK PMXCFS=$PMXCFS \
		unshare --mount --net --propagation private bash "$0" "$@" || rc=$?
	exit "$rc"
fi

# ---- one node: started by the outer part in its network namespace ----
if [[ -n ${VH_NODE:-} ]]; then
	vh_node_namespace "$VH_WORK/$VH_NODE" "$VH_NODE" "$VH_ADDR"
	for i in 1 2 3; do echo "10.99.1.$i pve$i" >>/etc/hosts; done
	mkdir -p /etc/corosync
	cp "$VH_WORK/corosync.conf" /etc/corosync/corosync.conf
	install -m 0400 "$VH_WORK/authkey" /etc/corosync/authkey
	corosync -f >"$VH_WORK/corosync.$VH_NODE.log" 2>&1 &
	echo $! >"$VH_WORK/$VH_NODE.corosync.pid"
	sleep 0.5
	vh_pmxcfs_start
	echo "$PMXCFS_PID" >"$VH_WORK/$VH_NODE.pmxcfs.pid"
	# this node's host tree: the seed, its /etc/pve the node's pmxcfs
	tree=$VH_WORK/$VH_NODE.tree
	cp -a "$VH_SRC/tests/hosts/seed" "$tree"
	echo "$VH_NODE" >"$tree/etc/hostname"
	rm -rf "$tree/etc/pve"
	mkdir "$tree/etc/pve"
	mount --bind /etc/pve "$tree/etc/pve"
	touch "$VH_WORK/$VH_NODE.ready"
	exec sleep infinity
fi

# ---- the outer part: network, nodes, and the test ----
mount -t tmpfs tmpfs /run
ip netns add sw
ip -n sw link add br0 type bridge
ip -n sw link set br0 up
corosync-keygen -l -k "$VH_WORK/authkey" >/dev/null 2>&1 ||
	head -c 256 /dev/urandom >"$VH_WORK/authkey"
{
	echo "logging {"
	echo "  to_stderr: yes"
	echo "  to_syslog: no"
	echo "}"
	echo "nodelist {"
	for i in 1 2 3; do
		echo "  node {"
		echo "    name: pve$i"
		echo "    nodeid: $i"
		echo "    quorum_votes: 1"
		echo "    ring0_addr: 10.99.1.$i"
		echo "  }"
	done
	echo "}"
	echo "quorum {"
	echo "  provider: corosync_votequorum"
	echo "}"
	echo "totem {"
	echo "  cluster_name: vfiohelp"
	echo "  config_version: 1"
	echo "  interface {"
	echo "    linknumber: 0"
	echo "  }"
	echo "  ip_version: ipv4"
	echo "  link_mode: passive"
	echo "  secauth: on"
	echo "  token: 1000"
	echo "  version: 2"
	echo "}"
} >"$VH_WORK/corosync.conf"

node_pid() { cat "$VH_WORK/$1.pid"; }
# Runs a command in node $1's namespaces (mount, UTS, network).
on() {
	local n=$1
	shift
	nsenter --target "$(node_pid "$n")" --mount --uts --net "$@"
}
cleanup() {
	local n f
	for n in "${NODES[@]}"; do
		for f in "$VH_WORK/$n".{pmxcfs,corosync}.pid "$VH_WORK/$n.pid"; do
			[[ -e $f ]] && kill "$(cat "$f")" 2>/dev/null || true
		done
	done
	sleep 0.5
	for n in "${NODES[@]}"; do
		[[ -e $VH_WORK/$n.pid ]] && kill -9 "$(cat "$VH_WORK/$n.pid")" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}
trap cleanup EXIT

t0=$SECONDS
for i in 1 2 3; do
	n=pve$i
	ip netns add "$n"
	ip link add "v$n" type veth peer name eth0 netns "$n"
	ip link set "v$n" netns sw
	ip -n sw link set "v$n" master br0 up
	ip -n "$n" addr add "10.99.1.$i/24" dev eth0
	ip -n "$n" link set eth0 up
	ip -n "$n" link set lo up
	VH_NODE=$n VH_ADDR=10.99.1.$i ip netns exec "$n" \
		unshare --mount --uts --propagation private bash "$0" "$@" \
		>"$VH_WORK/$n.out" 2>&1 &
	echo $! >"$VH_WORK/$n.pid"
done
for n in "${NODES[@]}"; do
	for ((k = 0; k < 200; k++)); do
		[[ -e $VH_WORK/$n.ready ]] && break
		kill -0 "$(node_pid "$n")" 2>/dev/null || { cat "$VH_WORK/$n.out" >&2; exit 1; }
		sleep 0.1
	done
	[[ -e $VH_WORK/$n.ready ]] || { cat "$VH_WORK/$n.out" >&2; exit 1; }
done
# each recorded pid is the node's shell, exec'd into `sleep infinity` inside
# the node's namespaces: nsenter's target; corosync and pmxcfs are its children
quorate_on() { on "$1" cat /etc/pve/.members 2>/dev/null | jq -e '.cluster.quorate == 1' >/dev/null 2>&1; }
wait_for() { # SECONDS DESCRIPTION COMMAND...
	local limit=$1 what=$2 k
	shift 2
	for ((k = 0; k < limit * 10; k++)); do
		"$@" && return 0
		sleep 0.1
	done
	vh_fail "$what: not within $limit s"
	return 1
}
echo "== pmxcfs $ver, three nodes: forming"
for n in "${NODES[@]}"; do
	wait_for 40 "$n quorate" quorate_on "$n" || { tail -20 "$VH_WORK"/corosync.*.log "$VH_WORK"/pmxcfs.*.log >&2; exit 1; }
done
vh_ok "quorate on all three after $((SECONDS - t0)) s"
# pvecm keeps the cluster's corosync.conf in /etc/pve: pmxcfs's nodelist
on pve1 cp "$VH_WORK/corosync.conf" /etc/pve/corosync.conf
all_online() { on "$1" cat /etc/pve/.members | jq -e '[.nodelist[].online] == [1, 1, 1]' >/dev/null; }
for n in "${NODES[@]}"; do wait_for 20 "$n sees three online" all_online "$n"; done

tree() { echo "$VH_WORK/$1.tree"; }
# each node's directory, as pve-cluster's start (pvecm updatecerts) makes it
for n in "${NODES[@]}"; do on "$n" mkdir -p "/etc/pve/nodes/$n/qemu-server"; done
on pve1 cp "$VH_SRC/tests/hosts/seed/etc/pve/nodes/pve/qemu-server/100.conf" /etc/pve/nodes/pve1/qemu-server/
for n in "${NODES[@]}"; do
	out=$(on "$n" "$hookctl" inventory --publish --root "$(tree "$n")" 2>&1) &&
		vh_ok "$n: $out" || vh_fail "$n publishes: $out"
done
has_three() { [[ $(on pve1 ls /etc/pve/nodes/pve2/vfiohelp-inventory.json /etc/pve/nodes/pve3/vfiohelp-inventory.json 2>/dev/null | wc -l) == 2 ]]; }
wait_for 5 "pve1 sees pve2's and pve3's inventories" has_three
w=$(on pve1 "$hookctl" where 100 --root "$(tree pve1)" --json || true)
vh_expect "pve1: quorate, three online, three can start" \
	'.quorate and ([.nodes[] | select(.online and .verdict == "can-start")] | length) == 3' "$w"

echo "== pmxcfs $ver, three nodes: pve3 cut off"
t1=$SECONDS
ip -n sw link set vpve3 down
lost() { ! quorate_on pve3; }
wait_for 20 "pve3 loses quorum" lost && vh_ok "pve3 lost quorum after $((SECONDS - t1)) s"
pve3_off() { on pve1 cat /etc/pve/.members | jq -e '.nodelist.pve3.online == 0' >/dev/null; }
wait_for 20 "pve1 sees pve3 offline" pve3_off
echo "BOOT_IMAGE=/boot/vmlinuz amd_iommu=on" >"$(tree pve3)/proc/cmdline"
rc=0
out=$(on pve3 "$hookctl" inventory --publish --root "$(tree pve3)" 2>&1) || rc=$?
[[ $rc == 1 && $out == *"not published: no quorum"* ]] && vh_ok "pve3 refuses: $out" ||
	vh_fail "pve3 publishing without quorum: exit $rc: $out"
rc=0
text=$(on pve3 "$hookctl" where 100 --root "$(tree pve3)" 2>&1) || rc=$?
[[ $text == *"WITHOUT QUORUM"*"may be"*"stale"* ]] && vh_ok "pve3's where answers, says its view may be stale" ||
	vh_fail "pve3's where (exit $rc): $text"
w=$(on pve3 "$hookctl" where 100 --root "$(tree pve3)" --json || true)
vh_expect "pve3: not quorate, the others' liveness unknown" \
	'(.quorate | not) and ([.nodes[] | select(.node != "pve3") | .online] == [null, null])' "$w"
for n in pve1 pve2; do
	w=$(on "$n" "$hookctl" where 100 --root "$(tree "$n")" --json || true)
	vh_expect "$n: quorate, pve3 offline" \
		'.quorate and ([.nodes[] | select(.node == "pve3") | .online] == [false])' "$w"
done

echo "== pmxcfs $ver, three nodes: $VH_FAILS failed"
((VH_FAILS == 0))
