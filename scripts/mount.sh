#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mount.sh: install what is missing, build, install and mount hshmfs.
#
# usage: scripts/mount.sh [--no-deps] [--dry-run] MOUNTPOINT [-o OPTIONS]
#
# Installs missing Debian packages (scripts/deps.sh), builds a release build
# in build/release, installs it under /usr/local (the daemon goes to
# /usr/local/sbin/hshmfs, so that mount.fuse3, `mount -t fuse.hshmfs` and
# fstab lines find it on the PATH), then runs
#   hshmfs hshm MOUNTPOINT -o backend=posix_shm_mmap,size=1M,shm_dir=/dev/shm[,OPTIONS]
# An option given with -o replaces the default of the same name.  Every
# mount is nosuid,nodev (hshmfs adds them).  If a live mount is at
# MOUNTPOINT, says so and exits 0; a dead one (its daemon crashed) is
# detached by hshmfs itself when it has the same shm_dir and prefix.
# --dry-run prints the hshmfs command and exits, building nothing.
set -eu

here=$(pwd)
cd "$(dirname "$0")/.."
BUILD=${HSHMFS_RELEASE_DIR:-build/release}
PREFIX=${HSHMFS_PREFIX:-/usr/local}
DEFAULTS="backend=posix_shm_mmap,size=1M,shm_dir=/dev/shm"

usage() { sed -n '5,17p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "mount.sh: $*" >&2; exit 1; }

deps=1 dry=0 dead=0 mnt="" opts=""
while [ $# -gt 0 ]; do
	case "$1" in
	--no-deps) deps=0 ;;
	--dry-run) dry=1 ;;
	-h | --help) usage; exit 0 ;;
	-o)
		[ $# -ge 2 ] || die "-o needs an argument"
		opts="${opts:+$opts,}$2"
		shift
		;;
	-o*) opts="${opts:+$opts,}${1#-o}" ;;
	-*) usage >&2; die "unknown option '$1'" ;;
	*)
		[ -z "$mnt" ] || die "one mount point only ('$mnt', '$1')"
		mnt=$1
		;;
	esac
	shift
done
[ -n "$mnt" ] || { usage >&2; exit 2; }
case "$mnt" in /*) ;; *) mnt="$here/$mnt" ;; esac # we are in the tree now

# The defaults, less those the caller gave (so no "shm_dir=A,shm_dir=B").
given() {
	case ",$opts," in *",$1="*) return 0 ;; esac
	return 1
}
all=""
for d in $(echo "$DEFAULTS" | tr ',' ' '); do
	given "${d%%=*}" || all="${all:+$all,}$d"
done
all="${all:+$all}${opts:+${all:+,}$opts}"

# A live mount: leave it.  A dead one (stat -f: "Transport endpoint is not
# connected") goes on to hshmfs, which detaches it if it was its own.
if findmnt -M "$mnt" >/dev/null 2>&1; then
	if stat -f "$mnt" >/dev/null 2>&1; then
		echo "mount.sh: $mnt is already mounted:"
		findmnt -M "$mnt"
		exit 0
	fi
	echo "mount.sh: $mnt is a dead mount (its daemon is gone): mounting again"
	dead=1
fi
if [ $dry = 1 ]; then
	echo "hshmfs hshm $mnt -o $all"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || die "installing needs root (or sudo)"
	SUDO="sudo"
fi

[ $deps = 0 ] || scripts/deps.sh

# build (incremental when build/release exists) and install
reconf=""
[ ! -f "$BUILD/meson-private/coredata.dat" ] || reconf="--reconfigure"
# shellcheck disable=SC2086  # $reconf is empty or one word
meson setup $reconf "$BUILD" --buildtype=release --prefix="$PREFIX" \
	-Dfs=enabled -Dtests=false -Dbench=false -Dfuzz=false
meson compile -C "$BUILD"
$SUDO meson install -C "$BUILD" --quiet --only-changed
$SUDO ldconfig 2>/dev/null || true

sbin="$PREFIX/$(meson introspect --buildoptions "$BUILD" |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="sbindir"][0])')"
case ":$PATH:" in
*":$sbin:"*) ;;
*)
	echo "mount.sh: note: $sbin is not on your PATH; mount.fuse3 and fstab need it there"
	PATH="$sbin:$PATH"
	;;
esac
installed=$(command -v hshmfs) || die "hshmfs not found on PATH after install"
[ "$installed" = "$sbin/hshmfs" ] ||
	echo "mount.sh: note: 'hshmfs' on PATH is $installed, not $sbin/hshmfs"

[ $dead = 1 ] || [ -d "$mnt" ] || $SUDO mkdir -p "$mnt"
echo "mount.sh: hshmfs hshm $mnt -o $all"
$SUDO env PATH="$PATH" hshmfs hshm "$mnt" -o "$all"

findmnt -M "$mnt" || die "hshmfs returned but nothing is mounted at $mnt"
cat <<EOF

Mounted. Try:
  mkdir $mnt/dir && setfattr -n user.hshm.size -v 64M $mnt/dir
  touch $mnt/dir/r && getfattr -d $mnt/dir/r
Unmount with:
  umount $mnt        (or: fusermount3 -u $mnt)
EOF
