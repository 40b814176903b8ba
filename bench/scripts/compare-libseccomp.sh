#!/bin/bash
# Docker's default seccomp profile compiled by evfilter and by libseccomp (Debian's python3-seccomp),
# run side by side in evfilter's interpreter over syscall traces of real programs recorded here
# with strace. Prints program length, instructions executed per syscall and cacheable syscalls.
#
# usage: bench/scripts/compare-libseccomp.sh [PROFILE.json] [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
profile=${1:-$here/../shared/profiles/docker-default.json}
work=${2:-$(mktemp -d /tmp/evfilter-bench.XXXXXX)}
evfilter="$here/evfilter"
mkdir -p "$work/traces"

record() { # NAME COMMAND...
  local name=$1; shift
  [ -s "$work/traces/$name.strace" ] || strace -f -ttt -X raw -o "$work/traces/$name.strace" -- "$@" >/dev/null 2>&1 || true
}
record ls       ls -laR /usr/share/doc
record find     find /usr/lib -name '*.so*'
record tar      tar czf "$work/doc.tgz" /usr/share/doc/bash /usr/share/doc/coreutils
record sha      sh -c 'sha256sum /usr/bin/* | tail -1'
record python   /usr/bin/python3 -c 'import json, glob; print(len(json.dumps([open(f, "rb").read(64).hex() for f in glob.glob("/usr/lib/python3/dist-packages/*")])))'
record gcc      gcc -O2 -c -o "$work/probe.o" "$here/tests/src/test/c/seccomp_probe.c"
record shell    sh -c 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i > /dev/null; done; cat /etc/hostname'
traces=("$work"/traces/*.strace)

"$evfilter" import "$profile" -o "$work/docker.evf" 2>/dev/null
cat "${traces[@]}" > "$work/all.strace"
"$evfilter" compile "$work/docker.evf" -f raw -o "$work/evfilter.bpf" 2>"$work/evfilter.stats"
"$evfilter" compile "$work/docker.evf" -f raw -o "$work/evfilter-freq.bpf" --frequencies "$work/all.strace" 2>"$work/evfilter-freq.stats"
/usr/bin/python3 "$here/bench/scripts/libseccomp-bpf.py" "$profile" 1 "$work/libseccomp-opt1.bpf"
/usr/bin/python3 "$here/bench/scripts/libseccomp-bpf.py" "$profile" 2 "$work/libseccomp-opt2.bpf"

echo "Docker default profile, x86_64; $(grep -c . "$work/all.strace") strace lines from ${#traces[@]} programs in $work/traces"
printf '%-34s %7s %9s %5s %5s %5s %10s %s\n' program length cacheable mean p50 p99 max "mean w/ cache"
for p in evfilter evfilter-freq libseccomp-opt1 libseccomp-opt2; do
  "$evfilter" sim --bpf "$work/$p.bpf" "${traces[@]}" --json > "$work/$p.json"
  /usr/bin/python3 - "$work/$p.json" "$p" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); i = d["instructions"]
label = {"evfilter": "evfilter (balanced range tree)", "evfilter-freq": "evfilter (--frequencies)",
         "libseccomp-opt1": "libseccomp 2.5.4 (default chain)", "libseccomp-opt2": "libseccomp 2.5.4 (binary tree)"}[sys.argv[2]]
print("%-34s %7d %9d %5.2f %5d %5d %10d %.2f" % (label, d["length"], d["cacheable"], i["mean"], i["p50"], i["p99"], i["max"], i["meanWithActionCache"]))
PY
done
echo "worst path over every syscall number (evfilter balanced): $(sed -n 's/.*tree depth \([0-9]*\).*/\1/p' "$work/evfilter.stats") comparisons in the number tree"
