#!/usr/bin/env bash
# Takes the bundled snapshot of the syscall event schemas from the running kernel's tracefs.
#
# Usage (root): events/scripts/snapshot-tracefs-formats.sh [OUTPUT]
# Mounts tracefs in a private mount namespace (nothing stays mounted), and concatenates the
# `format` files of syscalls/sys_enter_*, syscalls/sys_exit_* and raw_syscalls/* into OUTPUT,
# each preceded by a line `### SUBSYSTEM/EVENT`. The header records the kernel it came from.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../src/main/resources/org/evfilter/events/schema/x86_64-syscalls.format}
if [ "$(id -u)" != 0 ]; then echo "snapshot: must run as root (mounts tracefs)" >&2; exit 2; fi
if [ -z "${EVFILTER_IN_NS:-}" ]; then
  exec env EVFILTER_IN_NS=1 unshare -m --propagation private "$0" "$(realpath -m "$out")"
fi
mnt=$(mktemp -d)
mount -t tracefs nodev "$mnt"
trap 'umount "$mnt"; rmdir "$mnt"' EXIT
{
  echo "# evfilter tracefs format snapshot"
  echo "# kernel: $(uname -srm)"
  echo "# taken by events/scripts/snapshot-tracefs-formats.sh"
  for dir in "$mnt"/events/raw_syscalls/*/ "$mnt"/events/syscalls/sys_*/; do
    [ -f "$dir/format" ] || continue
    ev=${dir%/}; ev=${ev#"$mnt"/events/}
    echo "### $ev"
    cat "$dir/format"
  done
} > "$1"
echo "snapshot: wrote $(grep -c '^### ' "$1") event formats to $1" >&2
