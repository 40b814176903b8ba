#!/bin/bash
# The supervisor's figures: a supervised open (AVC hit, descriptor injected) against an unsupervised
# one in the same run, pinned to one CPU and not, next to a minimal C supervisor doing only the
# syscalls a supervised open needs (bench/src/main/c/reference-supervisor.c: no labels, no policy);
# and the time from `evfilter run` to the command's first instruction, with and without a supervisor.
#
# Pinned is the stable figure: unpinned, every answer wakes the other vCPU, which on a VM costs
# whatever the hypervisor makes it cost (from 20 to 200 µs here, run to run).
#
# usage: bench/scripts/supervisor-bench.sh [N_OPENS]   (100000 by default: the JIT needs ~20000 to settle)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100000}
work=$(mktemp -d /tmp/evfilter-supervisor.XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/open_loop" "$here/tests/src/test/c/open_loop.c"
gcc -O2 -o "$work/first" "$here/tests/src/test/c/first_instruction.c"
gcc -O2 -o "$work/reference-supervisor" "$here/bench/src/main/c/reference-supervisor.c"
echo allowed > "$work/file"
printf 'label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n' > "$work/supervised.evf"
printf 'default allow\n' > "$work/plain.evf"
"$here/evfilter" --version >/dev/null  # builds the jar and the class-data archive when needed

ns() { sed -n 's/ns_per_open //p'; }
for pin in "taskset -c 0" ""; do
  plain=$($pin "$work/open_loop" "$work/file" "$n" | ns)
  bpf=$($pin "$here/evfilter" run -q --policy "$work/plain.evf" -- "$work/open_loop" "$work/file" "$n" 2>/dev/null | ns)
  sup=$($pin "$here/evfilter" run -q --policy "$work/supervised.evf" -- "$work/open_loop" "$work/file" "$n" 2>/dev/null | ns)
  ref=$($pin "$work/reference-supervisor" "$work/open_loop" "$work/file" "$n" | ns)
  printf '%-22s open+close: unsupervised %6d ns, BPF only %6d ns, supervised (AVC hit, fd injected) %7d ns = %.1fx; C reference supervisor %7d ns = %.1fx\n' \
    "${pin:-unpinned (2 CPUs)}" "$plain" "$bpf" "$sup" "$(echo "$sup / $plain" | bc -l)" "$ref" "$(echo "$ref / $plain" | bc -l)"
done
# The command's first instruction: a static probe (no loader, no syscall before main). A dynamic
# probe's main() comes after the loader's opens, which the supervised policy sends to the supervisor:
# that is the time to the first supervised decision (the JVM's start).
gcc -O2 -static -o "$work/first-static" "$here/tests/src/test/c/first_instruction.c"
for probe in first-static first; do
  for policy in plain supervised; do
    for cache in 1 0; do
      best=999999
      for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        t1=$(EVFILTER_RUN_CACHE=$cache "$here/evfilter" run -q --policy "$work/$policy.evf" -- "$work/$probe" 2>/dev/null)
        ms=$(( (t1 - t0) / 1000000 ))
        [ "$ms" -lt "$best" ] && best=$ms
      done
      what=$([ "$probe" = first-static ] && echo "first instruction" || echo "main() of a dynamic program")
      echo "launch, ./evfilter run to the command's $what ($policy policy, $([ "$cache" = 1 ] && echo "program cached" || echo "compiled by the JVM")): best of 5 $best ms"
    done
  done
done