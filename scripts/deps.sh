#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# deps.sh: install the Debian packages hshmfs needs to build, test and mount.
#
# Installs only what is missing (checked with dpkg -s), runs apt-get update
# only when something is, and never asks a question.  Safe to run again.
#   scripts/deps.sh            everything for building, testing and mounting
#   scripts/deps.sh --check    list what is missing, install nothing (exit 1 if any)
# systemd: only for systemd-analyze (it/systemd_unit.sh), never started.
# Optional, not installed here: libamdhip64-dev (the HIP runtime, large).
set -eu

PKGS="build-essential gcc meson ninja-build pkg-config
libfuse3-dev fuse3 libcmocka-dev attr util-linux
clang libclang-rt-14-dev valgrind xxd bsdextrautils
rsync python3-numpy bc systemd"

check=0
case "${1-}" in
--check) check=1 ;;
"") ;;
-h | --help)
	sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "deps.sh: unknown argument '$1' (see --help)" >&2
	exit 2
	;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: missing:$missing"
[ "$check" = 1 ] && exit 1

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: not root and no sudo; install as root:$missing" >&2
		exit 1
	}
	SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086  # word splitting of the package list is wanted
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $missing </dev/null
echo "deps: installed:$missing"
