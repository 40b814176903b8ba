#!/usr/bin/env bash
# Generates evfilter's syscall tables: for x86_64, x32, i386 and aarch64, every syscall's number
# and name, with its arguments' C types and names.
#
# Usage: events/scripts/gen-syscall-tables.sh [--from LINUX_SRC]
#
# Sources of truth, both pinned in the repository and named in each output's header:
#  - numbers: the kernel's own syscall tables, copied into events/src/main/kernel-tables/ (see its
#    README): arch/x86/entry/syscalls/syscall_64.tbl (x86_64: ABIs common,64; x32: common,x32 with
#    __X32_SYSCALL_BIT added), arch/x86/entry/syscalls/syscall_32.tbl (i386), and scripts/syscall.tbl
#    with the ABIs arm64 builds its unistd_64.h from (common,64 per scripts/Makefile.asm-headers,
#    plus arch/arm64/kernel/Makefile.syscalls' syscall_abis_64) for aarch64;
#  - arguments: the bundled tracefs snapshot of a real kernel's syscalls/sys_enter_* events
#    (x86_64-syscalls.format, taken by snapshot-tracefs-formats.sh); syscalls the snapshot does not
#    have get no argument list ('?').
# --from LINUX_SRC first refreshes the pinned copies from a kernel source tree (a newer kernel: then
# run snapshot-tracefs-formats.sh on it too, for the new syscalls' arguments). Nothing is downloaded.
# Widths and signedness follow from the C types and the ABI (SyscallAbi.java), not from here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
res=$here/../src/main/resources/org/evfilter/events
out=$res/syscalls
snapshot=$res/schema/x86_64-syscalls.format
pinned=$here/../src/main/kernel-tables
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# pinned file <- path in the kernel tree
sources="syscall_64.tbl:arch/x86/entry/syscalls/syscall_64.tbl syscall_32.tbl:arch/x86/entry/syscalls/syscall_32.tbl
syscall.tbl:scripts/syscall.tbl arm64-Makefile.syscalls:arch/arm64/kernel/Makefile.syscalls"

if [ "${1:-}" = --from ]; then
  src=${2:?usage: $0 [--from LINUX_SRC]}
  [ -f "$src/Makefile" ] || { echo "gen-syscall-tables: $src is not a kernel source tree" >&2; exit 1; }
  version=$(awk -F' *= *' '$1=="VERSION"{v=$2} $1=="PATCHLEVEL"{p=$2} $1=="SUBLEVEL"{s=$2} $1=="EXTRAVERSION"{e=$2}
    END {print v "." p "." s e}' "$src/Makefile")
  commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || echo "not a git tree")
  for pair in $sources; do
    file=${pair%%:*} path=${pair#*:}
    [ -f "$src/$path" ] || { echo "gen-syscall-tables: $src has no $path" >&2; exit 1; }
    { echo "# evfilter: pinned copy of Linux $version $path (source commit $commit)"
      echo "# evfilter: git blob $(git hash-object "$src/$path") of the lines below these; refresh with"
      echo "# evfilter: events/scripts/gen-syscall-tables.sh --from LINUX_SRC, do not edit"
      cat "$src/$path"; } > "$pinned/$file"
  done
  echo "gen-syscall-tables: pinned the syscall tables of Linux $version" >&2
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--from LINUX_SRC]" >&2; exit 1
fi

# A pinned file without its header, checked against the blob the header records.
body() {
  local f=$pinned/$1 want
  want=$(sed -n 's/^# evfilter: git blob \([0-9a-f]*\) .*/\1/p' "$f")
  grep -v '^# evfilter:' "$f" > "$work/$1"
  if [ -n "$want" ] && command -v git > /dev/null && [ "$(git hash-object "$work/$1")" != "$want" ]; then
    echo "gen-syscall-tables: $f differs from the kernel's file it says it copies (edited by hand?)" >&2; exit 1
  fi
  cat "$work/$1"
}
kernel_version=$(sed -n 's/^# evfilter: pinned copy of Linux \([^ ]*\) .*/\1/p' "$pinned/syscall_64.tbl")
snapshot_kernel=$(sed -n 's/^# kernel: //p' "$snapshot")

# name -> "type name;type name;..." from the snapshot's sys_enter_* formats.
awk '
  /^### syscalls\/sys_enter_/ { if (name != "") print name "\t" (args == "" ? "-" : args); name = substr($2, length("syscalls/sys_enter_") + 1); args = ""; next }
  /^### / { if (name != "") print name "\t" (args == "" ? "-" : args); name = ""; next }
  name != "" && /field:/ && !/common_/ && !/__syscall_nr/ {
    decl = $0; sub(/^[ \t]*field:/, "", decl); sub(/;.*/, "", decl)
    args = args (args == "" ? "" : ";") decl
  }
  END { if (name != "") print name "\t" (args == "" ? "-" : args) }
' "$snapshot" | sort > "$work/args.tracefs"
# Syscalls whose tracefs event has another name (SYSCALL_DEFINE(newstat) is 'stat', ...): the list
# SyscallTable reads too.
cp "$work/args.tracefs" "$work/args.all"
grep -v '^#' "$out/tracefs-names" | while IFS=$'\t' read -r table traced; do
  awk -F'\t' -v from="$traced" -v to="$table" '$1 == from {print to "\t" $2}' "$work/args.tracefs"
done >> "$work/args.all"
sort -u -k1,1 "$work/args.all" > "$work/args"

numbers() { # PINNED-FILE ABIS OFFSET: "nr name" lines of the entries of those ABIs, as the kernel's syscallhdr.sh numbers them
  body "$1" | awk -v abis="$2" -v offset="$3" '
    BEGIN { n = split(abis, a, ","); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    /^[ \t]*#/ || NF < 3 { next }
    $2 in want { print $1 + offset, $3 }'
}

emit() { # ARCH FROM: numbers on stdin
  local arch=$1 from=$2
  {
    echo "# $arch syscalls: NR<TAB>NAME<TAB>ARGS (C type and name of each argument, ';'-separated; '-' none, '?' unknown)"
    echo "# numbers: Linux $kernel_version $from; arguments: tracefs of $snapshot_kernel"
    echo "# generated by events/scripts/gen-syscall-tables.sh from events/src/main/kernel-tables; do not edit"
    awk -F'\t' 'NR == FNR { args[$1] = $2; next } { split($0, f, " "); print f[1] "\t" f[2] "\t" (f[2] in args ? args[f[2]] : "?") }' \
      "$work/args" - | sort -n
  } > "$out/$arch.syscalls"
  echo "$arch: $(grep -vc '^#' "$out/$arch.syscalls") syscalls" >&2
}

# arm64 builds its numbers from scripts/syscall.tbl with these ABIs (scripts/Makefile.asm-headers'
# common,64 and arch/arm64/kernel/Makefile.syscalls' additions).
arm64_abis=common,64$(body arm64-Makefile.syscalls | awk '$1 == "syscall_abis_64" && $2 == "+=" { for (i = 3; i <= NF; i++) printf ",%s", $i }')

numbers syscall_64.tbl common,64 0 | emit x86_64 "arch/x86/entry/syscalls/syscall_64.tbl (ABIs common,64)"
numbers syscall_64.tbl common,x32 $((0x40000000)) | emit x32 "arch/x86/entry/syscalls/syscall_64.tbl (ABIs common,x32; + __X32_SYSCALL_BIT)"
numbers syscall_32.tbl i386 0 | emit i386 "arch/x86/entry/syscalls/syscall_32.tbl (ABI i386)"
numbers syscall.tbl "$arm64_abis" 0 | emit aarch64 "scripts/syscall.tbl (arm64's ABIs $arm64_abis)"
