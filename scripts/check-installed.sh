#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the built package and checks it as an administrator would meet it:
# the installed hookctl judges the demo host, installs the packaged hook into
# a snippets directory, both man pages render without a warning, and bash
# completion offers the verbs. Needs root (it installs the package).
#   bash scripts/check-installed.sh build-deb/vfiohelp_VERSION_ARCH.deb
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "$1")
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --reinstall "$deb" >/dev/null 2> >(grep -v "^debconf: delaying" >&2)

fail() { echo "installed package: $*" >&2; exit 1; }

# The verdict of the demo host's VM 100, from the installed program.
verdict=$(/usr/sbin/hookctl check 100 --root tests/hosts/seed | tail -n 1)
echo "/usr/sbin/hookctl check 100 --root tests/hosts/seed: $verdict"
[[ $verdict == "Verdict: the start would be allowed"* ]] || fail "unexpected verdict: $verdict"

# The GPU's ROM of the health host (made up: x86 + EFI for 10de:2803), read by the installed program.
rom=$(/usr/sbin/hookctl rom 01:00.0 --root tests/hosts/health | grep '^Verdict')
echo "/usr/sbin/hookctl rom 01:00.0 --root tests/hosts/health: $rom"
[[ $rom == "Verdict: usable as romfile="* ]] || fail "unexpected ROM verdict: $rom"

# hookctl install from /usr/sbin copies the packaged /usr/lib/vfiohelp/vfio-hook.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/var/lib/vz"
/usr/sbin/hookctl install 100 --root "$scratch" >/dev/null
cmp -s "$scratch/var/lib/vz/snippets/vfio-hook" /usr/lib/vfiohelp/vfio-hook ||
	fail "hookctl install did not copy /usr/lib/vfiohelp/vfio-hook"
echo "/usr/sbin/hookctl install 100: copied /usr/lib/vfiohelp/vfio-hook"

# The man pages render, and groff has nothing to say about them.
for page in hookctl vfio-hook; do
	man -w "$page" >/dev/null || fail "man $page: not installed (a dpkg path-exclude for /usr/share/man?)"
	warnings=$(MANWIDTH=80 man --warnings "$page" 2>&1 >/dev/null)
	[[ -z $warnings ]] || fail "man --warnings $page: $warnings"
	echo "man $page: $(MANWIDTH=80 man "$page" 2>/dev/null | wc -l) lines, no warnings"
done

# Completion, loaded the way bash-completion loads it on demand.
offered=$(bash --norc -c '. /usr/share/bash-completion/bash_completion
	_completion_loader hookctl
	COMP_WORDS=(hookctl ""); COMP_CWORD=1; _hookctl; echo "${COMPREPLY[*]}"')
for verb in check devices rom log install; do
	[[ " $offered " == *" $verb "* ]] || fail "completion does not offer '$verb' (offers: $offered)"
done
echo "bash completion: hookctl <TAB> offers: $offered"
