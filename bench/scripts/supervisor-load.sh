#!/bin/bash
# The supervisor under load: THREADS target threads x N supervised opens each (8 x 100,000 by
# default). Prints the load's throughput and latency (p50, p99, max), the supervisor's count of
# notifications against the opens made (every one answered exactly once: the count beyond a run
# of 0 opens equals THREADS x N), and the supervisor JVM's resident memory sampled every second
# (flat: no growth with the number of notifications).
#
# usage: bench/scripts/supervisor-load.sh [THREADS] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
threads=${1:-8}
n=${2:-100000}
work=$(mktemp -d /tmp/evfilter-load.XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -pthread -o "$work/load" "$here/tests/src/test/c/load.c"
echo "the right content" > "$work/file"
printf 'label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n' > "$work/sup.evf"
"$here/evfilter" --version >/dev/null
count() { sed -n 's/.*evfilter run: \([0-9]*\) supervised syscalls.*/\1/p' "$1"; }
"$here/evfilter" run -q --policy "$work/sup.evf" -- "$work/load" "$work/file" "$threads" 0 >/dev/null 2>"$work/base.err"
"$here/evfilter" run -q --policy "$work/sup.evf" -- "$work/load" "$work/file" "$threads" "$n" >"$work/load.out" 2>"$work/load.err" &
run=$!
rss=()
while kill -0 "$run" 2>/dev/null; do
  # ./evfilter execs the launcher, which execs the JVM: the supervisor keeps the job's pid.
  if grep -q '^Name:.*java' "/proc/$run/status" 2>/dev/null; then
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$run/status" 2>/dev/null || true)
    [ -n "$kb" ] && rss+=("$kb")
  fi
  sleep 1
done
wait "$run"
cat "$work/load.out"
base=$(count "$work/base.err")
got=$(count "$work/load.err")
echo "supervised syscalls: $got = $base (a run of 0 opens) + $((got - base)) for $((threads * n)) opens: $([ $((got - base)) -eq $((threads * n)) ] && echo 'each answered once' || echo 'MISMATCH')"
if [ ${#rss[@]} -gt 4 ]; then
  steady=("${rss[@]:3}")
  min=$(printf '%s\n' "${steady[@]}" | sort -n | head -1)
  max=$(printf '%s\n' "${steady[@]}" | sort -n | tail -1)
  echo "supervisor JVM resident memory after warm-up: ${#steady[@]} samples, min $((min / 1024)) MiB, max $((max / 1024)) MiB, first $((steady[0] / 1024)) MiB, last $((steady[${#steady[@]}-1] / 1024)) MiB"
fi
