#!/bin/bash
# Landlock against the supervisor, in one run: the cost of an open+close of one file decided by a
# label rule, (1) with no filter, (2) with a seccomp program that decides nothing about labels,
# (3) lowered to Landlock (evfilter run, default), (4) decided by the supervisor (--landlock=off,
# AVC hit, descriptor injected). The policy is the same for (3) and (4): the file's tree is
# labelled work_t, the system's sys_t, and openat is allowed on those labels only.
#
# usage: bench/scripts/landlock-bench.sh [N_OPENS]   (100000 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100000}
work=$(mktemp -d /tmp/evfilter-landlock.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"
gcc -O2 -o "$work/tree/open_loop" "$here/tests/src/test/c/open_loop.c"
echo allowed > "$work/tree/file"
re=$(printf %s "$work" | sed 's/[.]/\\./g')  # file_contexts paths are regexes
cat > "$work/contexts" <<CONTEXTS
$re/tree(/.*)?   work_t
/usr(/.*)?         sys_t
/etc(/.*)?         sys_t
CONTEXTS
cat > "$work/policy.evf" <<POLICY
include "$here/samples/policies/valid/base.evf"
labels "contexts"
default errno(EACCES)
allow execve, access, newfstatat, pread64, futex, sched_setaffinity, sched_getaffinity
allow openat: label & work_t || label & sys_t
POLICY
printf 'default allow\n' > "$work/plain.evf"
"$here/evfilter" --version >/dev/null  # builds the jar and the class-data archive when needed

ns() { sed -n 's/ns_per_open //p'; }
# Pinned, the command runs on CPU 0 (and, for the supervisor, the JVM too, so no answer crosses to
# the other vCPU; without a supervisor the JVM waits on CPU 1, its JIT threads off the command's CPU).
for pin in "taskset -c 0" ""; do
  plain=$($pin "$work/tree/open_loop" "$work/tree/file" "$n" | ns)
  bpf=$("$here/evfilter" run -q --policy "$work/plain.evf" -- $pin "$work/tree/open_loop" "$work/tree/file" "$n" 2>/dev/null | ns)
  ll=$("$here/evfilter" run -q --policy "$work/policy.evf" -- $pin "$work/tree/open_loop" "$work/tree/file" "$n" 2>/dev/null | ns)
  sup=$($pin "$here/evfilter" run -q --landlock=off --policy "$work/policy.evf" -- "$work/tree/open_loop" "$work/tree/file" "$n" 2>/dev/null | ns)
  printf '%-20s open+close: unsupervised %6d ns; BPF only %6d ns (%.2fx); label rule in Landlock %6d ns (%.2fx); in the supervisor %7d ns (%.1fx)\n' \
    "${pin:-unpinned (2 CPUs)}" "$plain" "$bpf" "$(echo "$bpf / $plain" | bc -l)" "$ll" "$(echo "$ll / $plain" | bc -l)" \
    "$sup" "$(echo "$sup / $plain" | bc -l)"
done
