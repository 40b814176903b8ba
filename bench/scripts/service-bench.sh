#!/bin/bash
# The service's figures (evfilter serve): one service started on a private socket, then
#  - launch: `./evfilter run` to the command's first instruction (the static probe
#    tests/src/test/c/first_instruction.c), through the service and without it: median of N;
#  - python3 -c 'import json, ssl' bare, and under Docker's profile (imported from
#    ../shared/profiles/docker-default.json) plus one label rule, through the service: median of N;
#  - load: S sandboxes x T threads x OPENS supervised opens at once (tests/src/test/c/load.c), each
#    sandbox's statistics (the summary line) against what its program did, the service's RSS sampled
#    before, during and after.
#
# usage: bench/scripts/service-bench.sh [RUNS] [OPENS] [SANDBOXES] [THREADS]   (20 100000 8 8)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-20}
opens=${2:-100000}
sandboxes=${3:-8}
threads=${4:-8}
work=$(mktemp -d /tmp/evfilter-service.XXXXXX)
sock=$work/s.sock
service=
cleanup() {
  [ -n "$service" ] && kill -TERM "$service" 2>/dev/null && wait "$service" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -static -o "$work/first-static" "$here/tests/src/test/c/first_instruction.c"
gcc -O2 -pthread -o "$work/load" "$here/tests/src/test/c/load.c"
echo allowed > "$work/file"
printf 'label secret_t\ndefault allow\nerrno(EACCES) openat: label & secret_t\n' > "$work/supervised.evf"
printf 'default allow\n' > "$work/plain.evf"
"$here/evfilter" --version >/dev/null  # builds the jar and the class-data archive when needed
"$here/evfilter" import "$here/../shared/profiles/docker-default.json" -o "$work/docker.evf" >/dev/null 2>&1 \
  || "$here/evfilter" import /work/shared/profiles/docker-default.json -o "$work/docker.evf" >/dev/null
printf 'include "docker.evf"\nlabel secret_t\nerrno(EACCES) openat: label & secret_t\n' > "$work/docker-label.evf"
touch -d '-1 minute' "$work"/*.evf  # settled: the service keeps what it compiled (CompiledPolicies)

# Through the script, with the service's JVM options (bounded heap, serial collector: see ./evfilter).
"$here/evfilter" serve --socket "$sock" --policies "$work" 2>"$work/service.log" &
service=$!
until grep -q 'listening on' "$work/service.log" 2>/dev/null; do sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/$service/status"; }
# The service's threads and open descriptors: each sandbox's go when it ends.
held() { echo "$(awk '/Threads/ {print $2}' "/proc/$service/status") threads, $(ls "/proc/$service/fd" | wc -l) descriptors"; }

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
# ms from ./evfilter run to the probe's first instruction; $1: the socket (none: no service)
first() {
  for i in $(seq "$runs"); do
    t0=$(date +%s%N)
    t1=$(EVFILTER_SOCKET=$1 "$here/evfilter" run -q --policy "$work/$2.evf" -- "$work/first-static" 2>/dev/null)
    echo $(( (t1 - t0) / 1000 ))
  done | median | awk '{printf "%.1f", $1 / 1000}'
}
seconds() {  # median wall seconds of "$@"
  for i in $(seq "$runs"); do
    t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
  done | median | awk '{printf "%.3f", $1 / 1000000}'
}

echo "service at start: RSS $(rss), $(held)"
for policy in plain supervised; do
  first "$sock" "$policy" >/dev/null  # the service compiles once, then keeps the plan
  echo "launch to the first instruction ($policy policy), median of $runs: through the service $(first "$sock" "$policy") ms;" \
    "run without the service $(first /nonexistent "$policy") ms"
done

bare=$(seconds python3 -c 'import json, ssl')
EVFILTER_SOCKET=$sock "$here/evfilter" run -q --policy "$work/docker-label.evf" -- python3 -c 'import json, ssl' 2>"$work/py.err" \
  || { echo "python3 under docker-label.evf failed:"; cat "$work/py.err"; }
served=$(seconds env EVFILTER_SOCKET="$sock" "$here/evfilter" run -q --policy "$work/docker-label.evf" -- python3 -c 'import json, ssl')
calls=$(EVFILTER_SOCKET=$sock "$here/evfilter" run --policy "$work/docker-label.evf" -- python3 -c 'import json, ssl' 2>&1 \
  | sed -n 's/^evfilter run: \([0-9]*\) supervised syscalls.*/\1/p')
echo "python3 -c 'import json, ssl', median of $runs: bare ${bare} s; Docker's profile + a label rule through the service" \
  "${served} s = $(echo "$served / $bare" | bc -l | xargs printf '%.2f')x ($calls supervised calls)"

echo "load: $sandboxes sandboxes x $threads threads x $opens supervised opens at once"
base=$(EVFILTER_SOCKET=$sock "$here/evfilter" run --policy "$work/supervised.evf" -- "$work/load" "$work/file" 1 0 2>&1 \
  | sed -n 's/^evfilter run: \([0-9]*\) supervised syscalls.*/\1/p')  # the loader's own opens
before="RSS $(rss), $(held)"
pids=()
t0=$(date +%s%N)
for s in $(seq "$sandboxes"); do
  EVFILTER_SOCKET=$sock "$here/evfilter" run --policy "$work/supervised.evf" -- "$work/load" "$work/file" "$threads" "$opens" \
    >"$work/load.$s.out" 2>"$work/load.$s.err" &
  pids+=($!)
done
running() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
peak=0
while running; do
  r=$(awk '/VmRSS/ {print $2}' "/proc/$service/status"); [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.5
done
for p in "${pids[@]}"; do wait "$p" || true; done
t1=$(date +%s%N)
total=0
lost=0
for s in $(seq "$sandboxes"); do
  did=$(sed -n 's/.*ok \([0-9]*\) failed \([0-9]*\) wrong \([0-9]*\).*/\1 \2 \3/p' "$work/load.$s.out")
  read -r ok failed wrong <<<"$did"
  line=$(sed -n 's/^evfilter run: \([0-9]*\) supervised syscalls: \([0-9]*\) allowed, \([0-9]*\) denied.*/\1 \2 \3/p' "$work/load.$s.err")
  read -r n allowed denied <<<"$line"
  want=$(( threads * opens + base ))
  total=$(( total + ${n:-0} ))
  [ "$n" = "$want" ] && [ "$((allowed + denied))" = "$n" ] && [ "$ok" = "$((threads * opens))" ] && [ "$failed$wrong" = 00 ] || lost=1
  echo "  sandbox $s: program: $ok opens ok, $failed failed, $wrong wrong; service: $n notifications ($allowed allowed, $denied denied)," \
    "expected $want ($base the loader's); $(sed -n 's/.*\(per_second [0-9.]*\).*/\1/p' "$work/load.$s.out") opens/s"
done
echo "  every notification answered exactly once, none lost: $([ "$lost" = 0 ] && echo yes || echo NO)"
echo "  $total notifications in $(echo "($t1 - $t0) / 1000000000" | bc -l | xargs printf '%.1f') s:" \
  "$(echo "$total * 1000000000 / ($t1 - $t0)" | bc) notifications/s through the service"
sleep 1  # the sandboxes' threads end after their last summary
echo "service before the load: $before; peak RSS during it $(( peak / 1024 )) MiB; after: RSS $(rss), $(held)"

