# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the cluster tests: what they need, a node's private namespaces,
# the real pmxcfs in them, and assertions on hookctl's JSON. Sourced.
#
# pmxcfs hard-codes /etc/pve, /var/lib/pve-cluster, /run/pve-cluster and
# /etc/corosync, and takes its node name from uname(): each node runs in
# mount, UTS and network namespaces of its own, with overlays over /etc and
# /var/lib whose upper directories are the test's, so nothing of this
# machine's /etc or /var/lib is ever written.

vh_skip() {
	echo "SKIP: $*"
	exit 77
}

# Root, FUSE, overlayfs, namespaces, the group pmxcfs chowns its files to,
# and the pmxcfs binary of version $1 (8 or 9), into $PMXCFS.
vh_cluster_require() {
	[[ $(id -u) -eq 0 ]] || vh_skip "needs root (mount, unshare)"
	[[ -c /dev/fuse ]] || vh_skip "no /dev/fuse (FUSE)"
	grep -qw overlay /proc/filesystems || vh_skip "no overlayfs in /proc/filesystems"
	command -v unshare >/dev/null || vh_skip "no unshare (util-linux)"
	command -v jq >/dev/null || vh_skip "no jq (scripts/deps.sh installs it)"
	getent group www-data >/dev/null || vh_skip "no group www-data (pmxcfs needs it)"
	unshare --mount --uts --net true 2>/dev/null || vh_skip "cannot make mount/UTS/network namespaces"
	local rc=0
	PMXCFS=$(bash "$VH_SRC/tests/cluster/build-pmxcfs.sh" "$1") || rc=$?
	((rc == 0)) || { ((rc == 77)) && exit 77; echo "building pmxcfs $1 failed" >&2; exit 1; }
}

# Inside fresh namespaces: this node's /etc and /var/lib as overlays over the
# machine's (upper directories under $1), its own /run and /dev/shm, host
# name $2 resolving to address $3.
vh_node_namespace() {
	local dir=$1 name=$2 addr=$3
	mkdir -p "$dir"/{etc,var}-{up,work}
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dir/etc-up,workdir=$dir/etc-work" /etc
	mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$dir/var-up,workdir=$dir/var-work" /var/lib
	mount -t tmpfs tmpfs /run
	mount -t tmpfs tmpfs /dev/shm
	mkdir -p /run/lock /etc/pve /var/lib/pve-cluster /run/pve-cluster
	hostname "$name"
	ip link set lo up
	echo "$addr $name" >>/etc/hosts
}

# Starts pmxcfs (arguments: its options) in the foreground in the background;
# waits for /etc/pve to answer. PMXCFS_PID is its pid.
vh_pmxcfs_start() {
	"$PMXCFS" -f "$@" >"$VH_WORK/pmxcfs.$(hostname).log" 2>&1 &
	PMXCFS_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e /etc/pve/.members ]] && return 0
		kill -0 "$PMXCFS_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$VH_WORK/pmxcfs.$(hostname).log" >&2
	echo "pmxcfs did not mount /etc/pve" >&2
	exit 1
}

vh_pmxcfs_stop() {
	[[ -n ${PMXCFS_PID:-} ]] || return 0
	kill "$PMXCFS_PID" 2>/dev/null || true
	wait "$PMXCFS_PID" 2>/dev/null || true
	PMXCFS_PID=
}

VH_FAILS=0
vh_ok() { echo "ok: $*"; }
vh_fail() {
	echo "FAIL: $*" >&2
	VH_FAILS=$((VH_FAILS + 1))
}

# vh_expect DESCRIPTION JQ-EXPRESSION JSON: the expression is true of it.
vh_expect() {
	if jq -e "$2" >/dev/null <<<"$3"; then
		vh_ok "$1"
	else
		vh_fail "$1: not ($2) in: $(jq -c . <<<"$3" 2>/dev/null || echo "$3")"
	fi
}
