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
  # evfilter sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP; the reference, with and without it.
  refsync=$(SYNC_WAKE_UP=1 $pin "$work/reference-supervisor" "$work/open_loop" "$work/file" "$n" | ns)
  printf '%-22s open+close: unsupervised %6d ns, BPF only %6d ns, supervised (AVC hit, fd injected) %7d ns = %.1fx; C reference supervisor %7d ns = %.1fx (sync wake-up %d ns = %.1fx)\n' \
    "${pin:-unpinned (2 CPUs)}" "$plain" "$bpf" "$sup" "$(echo "$sup / $plain" | bc -l)" "$ref" "$(echo "$ref / $plain" | bc -l)" \
    "$refsync" "$(echo "$refsync / $plain" | bc -l)"
done
# The cold path: python3 importing json and ssl under Docker's default profile plus one label rule
# (~1,400 supervised opens, each of a path not seen before: label resolution, new inodes). "run"
# is ./evfilter run's whole time (the JVM's start too); "in the sandbox" is python's own time,
# measured by /usr/bin/time inside it. Best of 5. Needs ../shared/profiles/docker-default.json (or
# DOCKER_PROFILE=FILE).
profile=${DOCKER_PROFILE:-$here/../shared/profiles/docker-default.json}
[ -f "$profile" ] || profile=$here/../../shared/profiles/docker-default.json
if command -v python3 >/dev/null && [ -x /usr/bin/time ] && [ -f "$profile" ]; then
  "$here/evfilter" import "$profile" -o "$work/docker.evf" 2>/dev/null
  printf '/etc/shadow -- system_u:object_r:secret_t:s0\n' > "$work/contexts"
  { echo "labels \"$work/contexts\""; cat "$work/docker.evf"; echo 'errno(EACCES) openat: label & secret_t'; } > "$work/docker-label.evf"
  best() { sort -n | head -1; }
  bare=$(for i in 1 2 3 4 5; do /usr/bin/time -f %e python3 -c 'import json, ssl' 2>&1; done | best)
  whole=$(for i in 1 2 3 4 5; do /usr/bin/time -f %e "$here/evfilter" run -q --policy "$work/docker-label.evf" -- python3 -c 'import json, ssl' 2>&1 >/dev/null | tail -1; done | best)
  inside=$(for i in 1 2 3 4 5; do "$here/evfilter" run -q --policy "$work/docker-label.evf" -- /usr/bin/time -f 'inside %e' python3 -c 'import json, ssl' 2>&1 | sed -n 's/^inside //p'; done | best)
  calls=$("$here/evfilter" run -q --policy "$work/docker-label.evf" -- python3 -c 'import json, ssl' 2>&1 | sed -n 's/.*evfilter run: \([0-9]*\) supervised syscalls.*/\1/p')
  printf "python3 -c 'import json, ssl', Docker's profile + a label rule (%s supervised calls): bare %s s, run %s s = %.1fx, in the sandbox %s s = %.1fx\n" \
    "$calls" "$bare" "$whole" "$(echo "$whole / $bare" | bc -l)" "$inside" "$(echo "$inside / $bare" | bc -l)"
fi
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