#!/bin/bash
# connect() to a local TCP listener, each on a fresh socket (bench/src/main/c/connect-loop.c),
# under one socket rule decided three ways:
#  - unconfined;
#  - under `evfilter run` with a policy without the rule (the seccomp program, the JVM beside the
#    command, no cgroup program): what the sandbox costs before any socket rule;
#  - by cgroup eBPF: `evfilter run` (the rule's program at the connect4/6 hooks of the run's leaf,
#    seccomp letting connect through);
#  - by the supervisor: `evfilter run --socket-hooks=off` (connect notified, the address read from the
#    task, the call performed by the supervisor on the task's socket).
# Prints ns per connect (median of RUNS rounds of COUNT connects, the three measured in turn in each
# round so a busy machine weighs on all alike) and each ÷ unconfined; then the same for UDP
# connect() (no handshake: what deciding costs shows; the listener is the TCP one's port, a UDP
# connect sends nothing).
#
# usage: bench/scripts/socket-bench.sh [RUNS] [COUNT]   (7 20000)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-7}
count=${2:-20000}
work=$(mktemp -d /tmp/evfilter-socket.XXXXXX)
listener=
cleanup() {
  [ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -static -o "$work/connect-loop" "$here/bench/src/main/c/connect-loop.c"
for attempt in $(seq 20); do  # a free port: the listener says "listening", or dies and another is tried
  port=$(( 20000 + RANDOM % 20000 ))
  : > "$work/listener.out"
  "$work/connect-loop" listen "$port" > "$work/listener.out" 2>/dev/null &
  listener=$!
  while kill -0 "$listener" 2>/dev/null && ! grep -q listening "$work/listener.out"; do sleep 0.05; done
  grep -q listening "$work/listener.out" && break
  listener=
done
[ -n "$listener" ] || { echo "socket-bench: no free port for the listener" >&2; exit 1; }
printf 'default allow\n' > "$work/none.evf"
cat > "$work/rule.evf" <<'POLICY'
default allow
errno(ECONNREFUSED) connect: (family == AF_INET || family == AF_INET6) && type == SOCK_STREAM && protocol == IPPROTO_TCP && !(addr in {127.0.0.0/8, ::1/128})
POLICY
jar="$here/cli/target/evfilter.jar"
[ -f "$jar" ] || (cd "$here" && mvn -o -q -B -pl cli -am -DskipTests package)
java -jar "$jar" explain --policy "$work/rule.evf" | grep -E 'connect \(|cgroup-eBPF|supervisor\]|cgroup eBPF decides' | sed 's/^/  /'

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
once() {  # ns per connect of one run: $1 tcp|udp, then the wrapper command
  local proto=$1
  shift
  "$@" "$work/connect-loop" connect "$port" "$count" $([ "$proto" = udp ] && echo udp) 2>>"$work/err" | awk '/ns_per_connect/ {print $2}'
}
for proto in tcp udp; do
  : > "$work/bare"; : > "$work/none"; : > "$work/hooks"; : > "$work/super"
  for i in $(seq "$runs"); do
    once "$proto" env >> "$work/bare"
    once "$proto" java -jar "$jar" run -q --policy "$work/none.evf" -- >> "$work/none"
    once "$proto" java -jar "$jar" run -q --policy "$work/rule.evf" -- >> "$work/hooks"
    once "$proto" java -jar "$jar" run -q --socket-hooks=off --policy "$work/rule.evf" -- >> "$work/super"
  done
  bare=$(median < "$work/bare")
  none=$(median < "$work/none")
  hooks=$(median < "$work/hooks")
  super=$(median < "$work/super")
  echo "$proto connect() to 127.0.0.1, median of $runs x $count:"
  printf '  %-42s %8s ns  %s\n' "unconfined" "$bare" "1.00x"
  printf '  %-42s %8s ns  %sx\n' "evfilter run, no socket rule" "$none" "$(awk -v a="$none" -v b="$bare" 'BEGIN {printf "%.2f", a / b}')"
  printf '  %-42s %8s ns  %sx\n' "rule decided by cgroup eBPF"  "$hooks" "$(awk -v a="$hooks" -v b="$bare" 'BEGIN {printf "%.2f", a / b}')"
  printf '  %-42s %8s ns  %sx\n' "rule decided by the supervisor" "$super" "$(awk -v a="$super" -v b="$bare" 'BEGIN {printf "%.2f", a / b}')"
done
echo "load average while measured: $(cut -d' ' -f1-3 /proc/loadavg)"
