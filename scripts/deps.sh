#!/bin/sh
# Installs, from Debian's archive, every package the build, the tests and the lab need.
# Quick when everything is already there: it asks dpkg first and calls apt-get only for what is missing.
set -eu

PKGS="build-essential pkg-config libsodium-dev libnl-3-dev libnl-route-3-dev libsqlite3-dev sqlite3
check libjansson-dev libseccomp-dev iproute2 iputils-ping nftables iperf3 clang libclang-rt-14-dev llvm valgrind gnuplot-nox"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
