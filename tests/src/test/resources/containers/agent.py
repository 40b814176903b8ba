# A seccomp agent for runc and crun in tests: accepts one connection on the listenerPath socket,
# receives the container's state (JSON) and its notification listener (SCM_RIGHTS), records the
# message, the number of descriptors and what the first one is (readlink of /proc/self/fd/N);
# then either closes the listener ("record") or runs ARGV with it as descriptor {fd} ("exec").
import json
import os
import socket
import sys

mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("agent: listening on " + path, file=sys.stderr, flush=True)
conn, _ = server.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 16)
kind = os.readlink("/proc/self/fd/%d" % fds[0]) if fds else None
with open(out, "w") as f:
    json.dump({"message": json.loads(msg.decode()), "descriptors": len(fds), "kind": kind}, f)
conn.close()
server.close()
if mode == "record" or not fds:
    for fd in fds:
        os.close(fd)
    sys.exit(0)
os.set_inheritable(fds[0], True)
argv = [a.replace("{fd}", str(fds[0])) for a in sys.argv[5:]]
os.execv(argv[0], argv)
