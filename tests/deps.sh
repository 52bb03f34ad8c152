#!/bin/sh
# deps.sh - install the Debian packages that build, test, demo and bench
# need, when any is missing. apt-get directly as root, through sudo otherwise.
set -eu

PKGS="gcc make pkg-config libc6-dev libuv1-dev libcurl4-openssl-dev
libjansson-dev libinih-dev libpq-dev postgresql postgresql-contrib
python3 python3-croniter tzdata openssl ca-certificates procps
valgrind clang libclang-rt-14-dev systemd man-db strace"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
else
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || echo "deps: apt-get update failed; trying the cached lists"
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
