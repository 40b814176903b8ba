package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.ENOENT;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.evfilter.predicates.labels.LabelResolver;

/** The supervisor's system calls on a made-up file system: regular files by absolute path, task memory by address. */
final class FakeSupervisorNatives implements SupervisorNatives {
  final Map<Long, byte[]> memory = new HashMap<>();
  final Map<String, Integer> files = new HashMap<>();
  final Map<Integer, String> open = new HashMap<>();
  final List<String> calls = new ArrayList<>();
  // Magic links of /proc (a task's root, cwd) and symlinks of the made-up file system: path -> target.
  final Map<String, String> links = new HashMap<>();
  final Map<String, String> symlinks = new HashMap<>();
  private int next = 10;

  FakeSupervisorNatives link(String path, String target) {
    links.put(path, target);
    return this;
  }

  FakeSupervisorNatives symlink(String path, String target) {
    symlinks.put(path, target);
    return this;
  }

  FakeSupervisorNatives file(String path) {
    files.put(path, files.size() + 1);
    return this;
  }

  FakeSupervisorNatives string(long address, String s) {
    memory.put(address, s.getBytes(StandardCharsets.ISO_8859_1));
    return this;
  }

  @Override
  public Optional<byte[]> string(int tid, long address, int max) {
    return Optional.ofNullable(memory.get(address));
  }

  @Override
  public Optional<byte[]> bytes(int tid, long address, int length) {
    return Optional.ofNullable(memory.get(address));
  }

  private int opened(String path) {
    open.put(next, path);
    return next++;
  }

  @Override
  public int openat(int dirfd, byte[] path, int flags, int mode) {
    String p = new String(path, StandardCharsets.ISO_8859_1);
    calls.add("openat " + p);
    if (p.startsWith("/proc/self/fd/")) {
      return opened(open.get(Integer.parseInt(p.substring("/proc/self/fd/".length()))));
    }
    return opened(links.getOrDefault(p, p));
  }

  @Override
  public int pin(int dirfd, byte[] path, boolean follow, long resolve) {
    String p = new String(path, StandardCharsets.ISO_8859_1);
    if (p.equals(".")) {
      return opened(open.get(dirfd)); // the directory an entry is made in
    }
    if ((resolve & Lookup.RESOLVE_IN_ROOT) != 0) {
      p = inRoot(open.get(dirfd), p);
      calls.add("pin " + p);
    } else if (p.startsWith("/")) {
      calls.add("pin " + p);
    }
    if (p.equals("/") || files.containsKey(p) || directory(p)) {
      return opened(p);
    }
    throw new LastErrorException(ENOENT);
  }

  // A directory: where some file is.
  private boolean directory(String p) {
    return files.keySet().stream().anyMatch(f -> f.startsWith(p + "/"));
  }

  // The path as RESOLVE_IN_ROOT resolves it from root: ".." stops at root, absolute symlinks start there.
  private String inRoot(String root, String path) {
    java.util.Deque<String> todo = new java.util.ArrayDeque<>(java.util.Arrays.asList(path.split("/")));
    List<String> at = new ArrayList<>();
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.removeFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (!at.isEmpty()) {
          at.remove(at.size() - 1);
        }
        continue;
      }
      at.add(c);
      String target = symlinks.get(root + "/" + String.join("/", at));
      if (target != null && hops++ < 40) {
        at.remove(at.size() - 1);
        if (target.startsWith("/")) {
          at.clear();
        }
        List<String> rest = new ArrayList<>(java.util.Arrays.asList(target.split("/")));
        rest.addAll(todo);
        todo = new java.util.ArrayDeque<>(rest);
      }
    }
    return root + "/" + String.join("/", at);
  }

  @Override
  public void closeQuietly(int fd) {
    open.remove(fd);
  }

  @Override
  public LabelResolver.Identity fstat(int fd) {
    String p = open.get(fd);
    boolean file = files.containsKey(p);
    return new LabelResolver.Identity(1, file ? files.get(p) : 1000 + p.length(), 0, file ? ObjectPinner.S_IFREG : ObjectPinner.S_IFDIR);
  }

  @Override
  public LabelResolver.Identity lstatAt(int dirfd, byte[] name) {
    String p = ObjectPinner.under(open.get(dirfd), new String(name, StandardCharsets.ISO_8859_1));
    return new LabelResolver.Identity(1, files.getOrDefault(p, -1), 0, ObjectPinner.S_IFREG);
  }

  @Override
  public boolean onProcfs(int fd) {
    return false;
  }

  @Override
  public int openIn(int dirfd, byte[] path, int flags, int mode, long resolve) {
    calls.add("openIn " + new String(path, StandardCharsets.ISO_8859_1));
    return opened(new String(path, StandardCharsets.ISO_8859_1));
  }

  @Override
  public long procDevice() {
    return 99;
  }

  @Override
  public String where(int fd) {
    return open.getOrDefault(fd, "?");
  }

  @Override
  public int reopen(int fd, int flags, int mode) {
    return openat(-100, ("/proc/self/fd/" + fd).getBytes(StandardCharsets.ISO_8859_1), flags, mode);
  }

  @Override
  public void unlinkat(int dirfd, byte[] name, int flags) {
    calls.add("unlinkat " + new String(name, StandardCharsets.ISO_8859_1));
  }

  @Override
  public void mkdirat(int dirfd, byte[] name, int mode) {
    calls.add("mkdirat " + new String(name, StandardCharsets.ISO_8859_1));
  }

  @Override
  public void renameat2(int fromDir, byte[] from, int toDir, byte[] to, int flags) {
    calls.add("renameat2 " + new String(from, StandardCharsets.ISO_8859_1) + " " + new String(to, StandardCharsets.ISO_8859_1));
  }

  @Override
  public void linkat(int fromDir, byte[] from, int toDir, byte[] to, int flags) {
    calls.add("linkat");
  }

  @Override
  public void symlinkat(byte[] target, int dirfd, byte[] name) {
    calls.add("symlinkat");
  }

  @Override
  public void chmodOpen(int fd, int mode) {
    calls.add("chmod");
  }

  @Override
  public void chownOpen(int fd, int uid, int gid) {
    calls.add("chown");
  }

  @Override
  public void ftruncate(int fd, long length) {
    calls.add("ftruncate");
  }

  @Override
  public void clearNonblock(int fd) {
  }

  @Override
  public int socketOption(int fd, int option) {
    throw new UnsupportedOperationException("no sockets here");
  }

  @Override
  public byte[] peer(int fd) {
    throw new UnsupportedOperationException("no sockets here");
  }

  @Override
  public void connect(int fd, byte[] address) {
    throw new UnsupportedOperationException("no sockets here");
  }

  @Override
  public void bind(int fd, byte[] address, int umask) {
    throw new UnsupportedOperationException("no sockets here");
  }

  @Override
  public long sendto(int fd, byte[] data, int flags, byte[] address) {
    throw new UnsupportedOperationException("no sockets here");
  }

  @Override
  public int takeDescriptor(int tgid, int fd) {
    throw new LastErrorException(ENOENT);
  }

  @Override
  public void signal(int tgid, int tid, int signal) {
    calls.add("signal " + signal);
  }

  @Override
  public boolean ownUmaskZero() {
    return true;
  }

  @Override
  public Optional<byte[]> readXattr(int fd, String name) {
    return Optional.empty();
  }

  @Override
  public void writeXattr(int fd, boolean pathOnly, byte[] name, Optional<byte[]> value, int flags) {
    calls.add("xattr");
  }

  @Override
  public boolean treeCarries(int dirfd, List<String> names) {
    return false;
  }
}
