package org.evfilter.lsm.supervise;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.policy.ActionKind;
import org.evfilter.lsm.natives.Libc;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.lsm.natives.TargetMemory;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.AvcStats;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.DecisionCache;
import org.evfilter.predicates.eval.PolicyEngine;
import org.evfilter.predicates.eval.SeccompView;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * The user-space object manager: decides the syscalls a compiled program defers (labels, paths)
 * and answers them so that no decision can be raced. It reads the paths from the task's memory,
 * checks the notification is still pending, opens the object itself, labels what it opened
 * (xattrs of the object, file_contexts by path), decides through the AVC, then either injects the
 * descriptor it opened as the syscall's result, performs the operation and returns its result, or
 * fails the syscall with the rule's errno. It never answers "continue" to a path decision: exec,
 * which cannot be performed for the task, is denied when a deferred rule decides it.
 */
public final class Supervisor {
  private static final int EPERM = 1;
  private static final int EACCES = 13;
  private static final int EFAULT = 14;
  private static final int ENOSYS = 38;
  private static final int ELOOP = 40;
  private static final int EEXIST = 17;
  private static final int SIGKILL = 9;
  private static final int SIGSYS = 31;
  private static final long SYS_TGKILL = 234;
  private static final long SYS_KILL = 62;
  private static final int OPEN_HOW_SIZE = 24;
  private static final long SYS_UNSHARE = 272;
  private static final long SYS_UMASK = 95;
  private static final long CLONE_FS = 0x200;
  private static final int AT_SYMLINK_FOLLOW = 0x400;
  private static final int O_TMPFILE_BIT = 020000000;
  private static final int EISDIR = 21;
  private static final int EINVAL = 22;
  private static final int ENOENT = 2;
  private static final int ENOTDIR = 20;
  private static final int EXDEV = 18;
  private static final int E2BIG = 7;
  private static final int RENAME_EXCHANGE = 2;
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;
  private static final String OWN_PROC = "/proc/" + ProcessHandle.current().pid();

  private final BoundPolicy policy;
  private final DecisionCache avc;
  private final LabelResolver labels;
  private final AuditLog audit;
  // Only rules reading new_label, default EACCES: what may write or remove a label xattr.
  private final DecisionCache relabelAvc;
  private final Relabelling relabelling;
  private final org.evfilter.predicates.labels.XattrReader xattrs = org.evfilter.lsm.natives.LinuxXattrs.reader();
  private java.util.function.Consumer<String> denials = s -> { };
  private final SyscallTable table = SyscallTable.of(Arch.X86_64);
  private final TargetMemory memory = new TargetMemory();
  private final TaskCredentials credentials = new TaskCredentials();
  private final SeccompView view = new SeccompView();
  private final CompiledFilter.Counter counter = new CompiledFilter.Counter();
  private long notifications;
  private long allowed;
  private long denied;

  /** What a supervision did, for the summary at exit. */
  public record Summary(long notifications, long allowed, long denied, AvcStats avc, AvcStats labelCache) {}

  public Supervisor(BoundPolicy policy, LabelResolver labels, AuditLog audit, long avcSize) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.avc = new DecisionCache(PolicyEngine.compile(policy, Arch.X86_64), avcSize);
    this.labels = Objects.requireNonNull(labels, "labels");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.relabelAvc = new DecisionCache(PolicyEngine.compile(new BoundPolicy(policy.arch(), new Verdict(ActionKind.ERRNO, EACCES),
        policy.relabellingRules(), policy.labels(), policy.fileContexts()), Arch.X86_64), avcSize);
    this.relabelling = new Relabelling(labels);
  }

  /**
   * The policy to compile for a supervised run: {@code policy} plus a rule sending setgroups,
   * unshare and setns to the supervisor (which answers them as {@code policy} does), so it knows
   * when a thread's groups or user namespace change. A policy none of whose syscalls come to the
   * supervisor ({@code supervised} false: nothing deferred, no user_notif action) is unchanged.
   */
  public static BoundPolicy programPolicy(BoundPolicy policy, boolean supervised) {
    return org.evfilter.lsm.plan.EnforcementPlan.programPolicy(policy, supervised);
  }

  /** The origin of the rule {@link #programPolicy} adds for the syscalls that could relabel an object. */
  public static final String LABELS_KEPT = org.evfilter.lsm.plan.EnforcementPlan.LABELS_KEPT;

  /** The syscalls that change what the supervisor keeps of a thread's credentials (groups, user namespace). */
  public static final List<String> CREDENTIAL_CHANGERS = TaskCredentials.TRACKED;

  /** The syscalls that could change an object's labels: moves, links, xattr writes. */
  public static final List<String> RELABELLERS = List.of("rename", "renameat", "renameat2", "link", "linkat", "setxattr",
      "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat");

  // Inodes (device, inode) that may not be renamed or linked: what a Landlock ruleset is attached to.
  private Set<List<Long>> anchors = Set.of();

  /**
   * Refuses (EXDEV) to rename or link the inodes {@code anchors} (device, inode): those a Landlock
   * ruleset the command runs under is attached to, and the directories above them; and, when there
   * are any, a rename or link from one directory to another of an object that carries a label
   * xattr or, for a directory, holds one beneath it. The supervisor performs renames outside the
   * ruleset: such an object moved into a granted tree would get the tree's rights, which its label
   * does not have, and the ruleset's launch-time scan never saw it there.
   */
  public Supervisor keepInPlace(Set<List<Long>> anchors) {
    this.anchors = Set.copyOf(anchors);
    return this;
  }

  private boolean anchored(Target t) {
    return t.identity != null && !anchors.isEmpty() && anchors.contains(List.of(t.identity.device(), t.identity.inode()));
  }

  /** Says every denial, in a line naming the syscall, the objects, their labels and the rule. */
  public Supervisor reportDenials(java.util.function.Consumer<String> to) {
    this.denials = Objects.requireNonNull(to, "to");
    return this;
  }

  /**
   * Serves notifications until no task uses the filter any more, on the calling thread. That thread
   * gets its own umask of 0 (unshare(CLONE_FS)), so files are created with the task's umask alone.
   */
  public Summary serve(SeccompListener listener) {
    try {
      Libc.syscall(SYS_UNSHARE, CLONE_FS, 0, 0);
      Libc.syscall(SYS_UMASK, 0, 0, 0);
    } catch (LastErrorException e) {
      // Then the supervisor's umask applies on top of the task's: more restrictive, never less.
    }
    SeccompListener.Notification n;
    while ((n = listener.receive()) != null) {
      notifications++;
      try {
        handle(listener, n);
      } catch (RuntimeException | Error e) {
        // Nothing a task sends may stop supervision: a dead supervisor would let it install its own.
        credentials.leaveQuietly();
        denied++;
        denials.accept("denied syscall " + n.nr() + ": supervisor error: " + e);
        listener.fail(n.id(), EPERM);
      }
    }
    return summary();
  }

  public Summary summary() {
    return new Summary(notifications, allowed, denied, avc.stats(), labels.cacheStats());
  }

  /**
   * The object a syscall names: where it is (canonical when it was resolved, else null), what it is
   * labelled, and a descriptor pinning it.
   */
  // absentErrno: why the object could not be pinned (ENOENT, ENOTDIR, EACCES), 0 when it was.
  private record Target(byte[] path, String canonical, int base, int pinned, LabelResolver.Identity identity, long labels,
      int absentErrno) {
    // For messages: resolved now if the label came from the cache (valid while base is open).
    String display() {
      if (canonical != null) {
        return canonical;
      }
      String p = latin1(path);
      if (base < 0) {
        return p;
      }
      String dir = readlink("/proc/self/fd/" + base);
      return dir + (dir.endsWith("/") ? "" : "/") + p;
    }
  }

  private void handle(SeccompListener listener, SeccompListener.Notification n) {
    Optional<PathSyscall> spec = PathSyscall.of(n.nr());
    String name = table.byNumber(n.nr()).map(Syscall::name).orElse("syscall " + n.nr());
    if (spec.isEmpty() && n.arch() == (int) Arch.X86_64.auditArch() && TaskCredentials.TRACKED.contains(name)) {
      tracked(listener, n, name);
      return;
    }
    Optional<XattrSyscall> x = XattrSyscall.of(n.nr());
    if (x.isPresent() && n.arch() == (int) Arch.X86_64.auditArch()) {
      xattr(listener, n, name, x.get());
      return;
    }
    if (spec.isEmpty() || n.arch() != (int) Arch.X86_64.auditArch()) {
      // Only path syscalls are deferred to this supervisor; anything else is refused, never let through.
      deny(listener, n, name, List.of(), 0, "not a path syscall: the supervisor does not decide it", EPERM, null, false);
      return;
    }
    PathSyscall p = spec.get();
    List<Target> targets = new ArrayList<>();
    try {
      Optional<byte[]> path = memory.string(n.tid(), n.args()[p.path()], TargetMemory.PATH_MAX);
      Optional<byte[]> path2 = p.path2() < 0 ? Optional.of(new byte[0]) : memory.string(n.tid(), n.args()[p.path2()], TargetMemory.PATH_MAX);
      long[] how = p.kind() == PathSyscall.Kind.OPENAT2 ? openHow(n) : null;
      if (path.isEmpty() || path2.isEmpty() || (p.kind() == PathSyscall.Kind.OPENAT2 && how == null)) {
        deny(listener, n, name, List.of(), 0, "unreadable argument", EFAULT, null, false);
        return;
      }
      if (how != null && (how[0] >>> 32 != 0 || (how[0] & (Libc.O_CREAT | O_TMPFILE_BIT)) == 0 && how[1] != 0)) {
        // What openat2 itself refuses: flags beyond 32 bits, a mode without O_CREAT or O_TMPFILE.
        deny(listener, n, name, List.of(), 0, "invalid open_how", EINVAL, null, false);
        return;
      }
      int flags = flags(p, n, how);
      Optional<TaskCredentials.Creds> creds = credentials.of(n.tid());
      if (creds.isPresent() && creates(p, flags)) {
        creds = Optional.of(credentials.withUmask(creds.get(), n.tid()));
      }
      // Everything read from the task: the notification must still be pending, or its pid may be another task's.
      if (creds.isEmpty() || !listener.valid(n.id())) {
        return; // the task is gone
      }
      TaskCredentials.Creds task = creds.get();
      // The task's /proc/self is its own, not the supervisor's.
      path = Optional.of(selfless(path.get(), task.tgid(), n.tid()));
      if (p.path2() >= 0) {
        path2 = Optional.of(selfless(path2.get(), task.tgid(), n.tid()));
      }
      boolean follow = p.kind() == PathSyscall.Kind.OPEN || p.kind() == PathSyscall.Kind.OPENAT2
          ? (flags & Libc.O_NOFOLLOW) == 0
          : p.kind() == PathSyscall.Kind.LINK ? (flags & AT_SYMLINK_FOLLOW) != 0
          : p.kind() == PathSyscall.Kind.CHMOD || p.kind() == PathSyscall.Kind.CHOWN && (flags & Libc.AT_SYMLINK_NOFOLLOW) == 0
              || p.kind() == PathSyscall.Kind.TRUNCATE || p.kind() == PathSyscall.Kind.EXEC;
      // openat2's resolve flags (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS...) bind the lookup of the object.
      long resolve = how != null ? how[2] : 0;
      targets.add(target(n, p.dirfd(), path.get(), follow, task, resolve));
      if (p.path2() >= 0) {
        targets.add(target(n, p.dirfd2(), path2.get(), false, task, 0));
      }
      Map<Integer, String> strings = new java.util.HashMap<>();
      strings.put(p.path(), latin1(path.get()));
      if (p.path2() >= 0) {
        strings.put(p.path2(), latin1(path2.get()));
      }
      SyscallEvent e = SyscallEvent.builder(Arch.X86_64, n.nr(), n.args()).tid(n.tid()).pid(n.tid())
          .instructionPointer(n.ip()).strings(strings).build();
      // Two objects (rename, link): each is checked, the more restrictive answer wins.
      Verdict verdict = null;
      boolean cached = true;
      long labelSet = 0;
      Optional<BoundPolicy.Rule> rule = Optional.empty();
      for (Target t : targets) {
        DecisionCache.Outcome o = avc.outcome(view.set(e, t.labels), counter);
        Verdict v = o.verdict();
        cached &= o.cached();
        labelSet |= t.labels;
        if (verdict == null || v.kind().outranks(verdict.kind())) {
          verdict = v;
          rule = audit.enabled() || v.kind() != ActionKind.ALLOW ? avc.engine().decidingRule(view) : Optional.empty();
        }
      }
      Performer perform = p.kind() == PathSyscall.Kind.EXEC ? null : () -> perform(listener, n, p, targets, flags, how, task);
      act(listener, n, name, targets, verdict, rule, labelSet, cached, task, perform);
    } catch (LastErrorException ex) {
      deny(listener, n, name, targets, 0, "supervisor: " + ex.getMessage(), ex.getErrorCode(), null, false);
    } finally {
      for (Target t : targets) {
        closeQuietly(t.pinned);
        if (t.base >= 0) {
          closeQuietly(t.base);
        }
      }
    }
  }

  // An xattr write or removal: its name and value read once; decided with the object's labels and,
  // for a label xattr, new_label, the labels the object would carry after it, which only a rule
  // reading new_label may allow (EACCES otherwise); performed on the very object that was labelled.
  private void xattr(SeccompListener listener, SeccompListener.Notification n, String name, XattrSyscall x) {
    List<Target> targets = new ArrayList<>();
    try {
      long[] a = n.args();
      Optional<byte[]> xname = memory.string(n.tid(), a[x.xattr()], XattrSyscall.NAME_MAX);
      Optional<byte[]> path = x.path() < 0 ? Optional.of(new byte[0]) : memory.string(n.tid(), a[x.path()], TargetMemory.PATH_MAX);
      long[] valueAt = x.set() ? xattrValue(n, x) : new long[3];
      if (xname.isEmpty() || path.isEmpty() || valueAt == null) {
        deny(listener, n, name, List.of(), 0, "unreadable argument", EFAULT, null, false);
        return;
      }
      if (valueAt[1] > XattrSyscall.SIZE_MAX) {
        deny(listener, n, name, List.of(), 0, "xattr value too large", E2BIG, null, false);
        return;
      }
      Optional<byte[]> value = x.set() ? bytes(n.tid(), valueAt[0], (int) valueAt[1]) : Optional.empty();
      if (x.set() && value.isEmpty()) {
        deny(listener, n, name, List.of(), 0, "unreadable argument", EFAULT, null, false);
        return;
      }
      int atFlags = x.atFlags() >= 0 ? (int) a[x.atFlags()] : 0;
      boolean byFd = x.naming() == XattrSyscall.Naming.FD
          || x.naming() == XattrSyscall.Naming.AT && path.get().length == 0 && (atFlags & Libc.AT_EMPTY_PATH) != 0;
      Optional<TaskCredentials.Creds> creds = credentials.of(n.tid());
      if (creds.isEmpty() || !listener.valid(n.id())) {
        return; // the task is gone
      }
      TaskCredentials.Creds task = creds.get();
      if (byFd) {
        targets.add(descriptor(n, (int) a[x.dirfd()], task));
      } else {
        boolean follow = x.naming() == XattrSyscall.Naming.PATH
            || x.naming() == XattrSyscall.Naming.AT && (atFlags & Libc.AT_SYMLINK_NOFOLLOW) == 0;
        targets.add(target(n, x.naming() == XattrSyscall.Naming.AT ? x.dirfd() : -1, selfless(path.get(), task.tgid(), n.tid()),
            follow, task, 0));
      }
      Target t = targets.get(0);
      boolean relabels = Relabelling.labelling(xname.get());
      long after = relabels && t.pinned >= 0
          ? relabelling.after(xn -> xattrs.readOpen(t.pinned, xn), latin1(xname.get()), value, readlink("/proc/self/fd/" + t.pinned),
              t.identity.mode())
          : t.labels;
      Map<Integer, String> strings = new java.util.HashMap<>();
      strings.put(x.xattr(), latin1(xname.get()));
      if (x.path() >= 0) {
        strings.put(x.path(), latin1(path.get()));
      }
      SyscallEvent e = SyscallEvent.builder(Arch.X86_64, n.nr(), a).tid(n.tid()).pid(n.tid()).instructionPointer(n.ip())
          .strings(strings).build();
      DecisionCache.Outcome o = avc.outcome(view.set(e, t.labels, after), counter);
      Verdict verdict = o.verdict();
      Optional<BoundPolicy.Rule> rule = audit.enabled() || !BoundPolicy.permits(verdict.kind())
          ? avc.engine().decidingRule(view) : Optional.empty();
      if (relabels && BoundPolicy.permits(verdict.kind())) {
        if (!BoundPolicy.permits(relabelAvc.outcome(view, counter).verdict().kind())) {
          List<String> names = policy.labelNames(after);
          deny(listener, n, name, targets, t.labels, "writing " + latin1(xname.get()) + " relabels the object (to "
              + (names.isEmpty() ? "no label" : String.join(", ", names)) + "); only a rule reading new_label allows it", EACCES, null,
              o.cached());
          return;
        }
        rule = relabelAvc.engine().decidingRule(view);
      }
      int flags = (int) valueAt[2];
      act(listener, n, name, targets, verdict, rule, t.labels, o.cached(), task, () -> {
        if (t.pinned < 0) {
          throw new LastErrorException(t.absentErrno == 0 ? ENOENT : t.absentErrno);
        }
        if (!byFd && (t.identity.mode() & S_IFMT) == S_IFLNK) {
          // A symlink's own xattrs (l*xattr): its magic link would lead past it. The kernel refuses
          // user.* on symlinks with EPERM; other namespaces there are refused the same way.
          throw new LastErrorException(EPERM);
        }
        XattrSyscall.perform(t.pinned, !byFd, xname.get(), value, flags);
        return listener.succeed(n.id(), 0) ? 0 : -1;
      });
    } catch (LastErrorException ex) {
      deny(listener, n, name, targets, 0, "supervisor: " + ex.getMessage(), ex.getErrorCode(), null, false);
    } finally {
      for (Target t : targets) {
        closeQuietly(t.pinned);
        if (t.base >= 0) {
          closeQuietly(t.base);
        }
      }
    }
  }

  // Where an xattr write's value is and how it is set: {address, size, flags}; null when unreadable
  // (setxattrat keeps them in a struct xattr_args: a size below its first version is EINVAL there,
  // refused here as unreadable).
  private long[] xattrValue(SeccompListener.Notification n, XattrSyscall x) {
    long[] a = n.args();
    if (x.args() < 0) {
      return new long[] {a[x.value()], a[x.size()], a[x.flags()] & 0xffffffffL};
    }
    if (a[x.args() + 1] < XattrSyscall.ARGS_SIZE) {
      return null;
    }
    Optional<byte[]> raw = memory.bytes(n.tid(), a[x.args()], XattrSyscall.ARGS_SIZE);
    if (raw.isEmpty()) {
      return null;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw.get()).order(java.nio.ByteOrder.nativeOrder());
    return new long[] {b.getLong(0), b.getInt(8) & 0xffffffffL, b.getInt(12) & 0xffffffffL};
  }

  // length bytes of the task's memory, read a page at a time (a value may be up to 64 KiB).
  private Optional<byte[]> bytes(int tid, long address, int length) {
    byte[] out = new byte[length];
    for (int at = 0; at < length; at += 4096) {
      int chunk = Math.min(4096, length - at);
      Optional<byte[]> part = memory.bytes(tid, address + at, chunk);
      if (part.isEmpty()) {
        return Optional.empty();
      }
      System.arraycopy(part.get(), 0, out, at, chunk);
    }
    return Optional.of(out);
  }

  // The object the task holds open as fd, taken with pidfd_getfd: labelled and written through that
  // very descriptor, whatever its path is now.
  private Target descriptor(SeccompListener.Notification n, int fd, TaskCredentials.Creds task) {
    int pidfd = (int) Libc.syscall(Libc.SYS_PIDFD_OPEN, task.tgid(), 0, 0);
    int got;
    try {
      got = (int) Libc.syscall(Libc.SYS_PIDFD_GETFD, pidfd, fd, 0);
    } finally {
      closeQuietly(pidfd);
    }
    try {
      LabelResolver.Identity id = identity(got);
      String where = readlink("/proc/self/fd/" + got);
      return new Target(new byte[0], where, -1, got, id, labels.labelsOfOpen(got, id, () -> where), 0);
    } catch (RuntimeException e) {
      closeQuietly(got);
      throw e;
    }
  }

  // A syscall that may change the thread's groups or user namespace: decided as the policy decides
  // it (it holds no path), and the thread's credentials are read again at its next notification.
  private void tracked(SeccompListener listener, SeccompListener.Notification n, String name) {
    credentials.forget(n.tid());
    SyscallEvent e = SyscallEvent.builder(Arch.X86_64, n.nr(), n.args()).tid(n.tid()).pid(n.tid()).instructionPointer(n.ip()).build();
    DecisionCache.Outcome o = avc.outcome(view.set(e, 0), counter);
    Verdict v = o.verdict();
    Optional<BoundPolicy.Rule> rule = avc.engine().decidingRule(view);
    if (v.kind() == ActionKind.ALLOW || v.kind() == ActionKind.LOG || v.kind() == ActionKind.USER_NOTIF) {
      allowed++;
      listener.proceed(n.id());
      audit.record(n.tid(), name, List.of(), List.of(), rule.map(BoundPolicy.Rule::origin).orElse("default"), v.toString(), o.cached(), 0);
      return;
    }
    Optional<TaskCredentials.Creds> task = credentials.of(n.tid());
    // Its thread group is the one signalled by kill and trap: the notification must still be its.
    if (task.isPresent() && listener.valid(n.id())) {
      act(listener, n, name, List.of(), v, rule, 0, o.cached(), task.get(), null);
    }
  }

  /** A call the supervisor performs for the task once it is allowed: answers it and returns its result (-1: gone). */
  private interface Performer {
    long perform();
  }

  // Answers a decided call: performs it (perform null: it cannot be, as exec) or refuses it as the verdict says.
  private void act(SeccompListener listener, SeccompListener.Notification n, String name, List<Target> targets, Verdict verdict,
      Optional<BoundPolicy.Rule> rule, long labelSet, boolean cached, TaskCredentials.Creds task, Performer perform) {
    String origin = rule.map(BoundPolicy.Rule::origin).orElse("default");
    switch (verdict.kind()) {
      case ALLOW, LOG, USER_NOTIF -> {
        if (perform == null) {
          deny(listener, n, name, targets, labelSet, origin + " (exec cannot be performed for the task without a race: denied)",
              EACCES, verdict, cached);
          return;
        }
        long result;
        boolean wear = credentials.differs(task);
        try {
          if (wear) {
            credentials.enter(task);
          }
          result = perform.perform();
        } catch (LastErrorException ex) {
          allowed++;
          listener.fail(n.id(), ex.getErrorCode());
          if (audit.enabled()) {
            audit.record(n.tid(), name, paths(targets), policy.labelNames(labelSet), origin, verdict.toString(), cached, -ex.getErrorCode());
          }
          return;
        } finally {
          if (wear) {
            credentials.leave();
          }
        }
        allowed++;
        if (audit.enabled()) {
          audit.record(n.tid(), name, paths(targets), policy.labelNames(labelSet), origin, verdict.toString(), cached, result);
        }
      }
      case ERRNO -> deny(listener, n, name, targets, labelSet, origin, verdict.data(), verdict, cached);
      case TRACE -> deny(listener, n, name, targets, labelSet, origin + " (no tracer)", ENOSYS, verdict, cached);
      case TRAP -> {
        Libc.syscall(SYS_TGKILL, task.tgid(), n.tid(), SIGSYS);
        deny(listener, n, name, targets, labelSet, origin, ENOSYS, verdict, cached);
      }
      case KILL_THREAD, KILL_PROCESS -> {
        if (verdict.kind() == ActionKind.KILL_PROCESS) {
          Libc.syscall(SYS_KILL, task.tgid(), SIGKILL, 0);
        } else {
          Libc.syscall(SYS_TGKILL, task.tgid(), n.tid(), SIGKILL);
        }
        deny(listener, n, name, targets, labelSet, origin, EPERM, verdict, cached);
      }
    }
  }

  // Performs an allowed syscall for the task and answers with its result.
  private long perform(SeccompListener listener, SeccompListener.Notification n, PathSyscall p, List<Target> targets, int flags,
      long[] how, TaskCredentials.Creds task) {
    Target t = targets.get(0);
    byte[] path = Libc.c(t.path);
    long[] a = n.args();
    long result = 0;
    switch (p.kind()) {
      case OPEN, OPENAT2 -> {
        if ((flags & Libc.O_PATH) != 0 && (flags & O_TMPFILE_BIT) == 0 && t.pinned >= 0) {
          // The kernel injects no O_PATH descriptor (ADDFD takes only files open for I/O): the open
          // continues in the kernel. A path swapped meanwhile yields an O_PATH descriptor of another
          // object: good for fstat and as the base of *at calls, which are labelled again.
          listener.proceed(n.id());
          return 0;
        }
        int mode = (p.kind() == PathSyscall.Kind.OPENAT2 ? (int) how[1] : p.mode() >= 0 ? (int) a[p.mode()] : 0) & ~task.umask();
        int fd;
        // Anything but a regular file or directory is opened without blocking (a FIFO would hang the
        // supervisor), and the task's own flag restored.
        int type = t.identity == null ? 0 : t.identity.mode() & S_IFMT;
        int nonblock = type == S_IFREG || type == S_IFDIR || (flags & Libc.O_NONBLOCK) != 0 ? 0 : Libc.O_NONBLOCK;
        if ((flags & O_TMPFILE_BIT) != 0) {
          // An unnamed file in the directory that was checked: nothing else can be reached this way.
          fd = Libc.openat(t.base, path, flags | nonblock, mode);
        } else if (t.pinned >= 0 && (flags & (Libc.O_CREAT | Libc.O_EXCL)) != (Libc.O_CREAT | Libc.O_EXCL)) {
          // The very object that was labelled, opened again through its descriptor's magic link with
          // the task's credentials (its permissions are checked again; its path is not walked again,
          // so nothing swapped in meanwhile, a FIFO or a device, is ever opened); truncated only then.
          if (type == S_IFLNK) {
            throw new LastErrorException(ELOOP); // O_NOFOLLOW on a symlink, as the kernel answers
          }
          fd = Libc.openat(Libc.AT_FDCWD, Libc.c("/proc/self/fd/" + t.pinned),
              (flags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_TRUNC | Libc.O_NOFOLLOW)) | nonblock, mode);
          // O_TRUNC truncates regular files only (devices and FIFOs ignore it).
          if ((flags & Libc.O_TRUNC) != 0 && (flags & Libc.O_ACCMODE) != 0 && type == S_IFREG) {
            try {
              Libc.ftruncate(fd, 0);
            } catch (LastErrorException ex) {
              Libc.close(fd);
              throw ex;
            }
          }
        } else if ((flags & Libc.O_CREAT) == 0) {
          // Absent when it was checked: whatever is there now was never labelled.
          throw new LastErrorException(t.absentErrno == 0 ? ENOENT : t.absentErrno);
        } else {
          // Absent when labelled: create it exclusively, so nothing that appeared meanwhile is opened unchecked.
          try {
            fd = Libc.openat(t.base, path, flags | Libc.O_EXCL | nonblock, mode);
          } catch (LastErrorException ex) {
            if (ex.getErrorCode() == EEXIST && (flags & Libc.O_EXCL) == 0) {
              throw new LastErrorException(EACCES);
            }
            throw ex;
          }
        }
        if (nonblock != 0) {
          Libc.fcntl(fd, Libc.F_SETFL, Libc.fcntl(fd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK);
        }
        try {
          int injected = listener.inject(n.id(), fd, (flags & Libc.O_CLOEXEC) != 0);
          return injected;
        } finally {
          Libc.close(fd);
        }
      }
      case UNLINK, RMDIR -> {
        try (Entry e = entry(t, true)) {
          Libc.unlinkat(e.parent, e.name, p.kind() == PathSyscall.Kind.RMDIR ? Libc.AT_REMOVEDIR : p.flags() >= 0 ? (int) a[p.flags()] : 0);
        }
      }
      case MKDIR -> {
        try (Entry e = entry(t, false)) {
          Libc.mkdirat(e.parent, e.name, (int) a[p.mode()] & ~task.umask());
        }
      }
      case RENAME, LINK -> {
        if (anchored(t) || anchored(targets.get(1))) {
          // Landlock's rules hold on these inodes wherever they go: moved or linked elsewhere, they
          // would carry rights their new path's label does not have. EXDEV, as Landlock answers a
          // move across its trees: mv copies instead.
          throw new LastErrorException(EXDEV);
        }
        try (Entry from = entry(t, p.kind() == PathSyscall.Kind.RENAME || (p.flags() < 0 || (a[p.flags()] & AT_SYMLINK_FOLLOW) == 0));
            Entry to = entry(targets.get(1), targets.get(1).pinned >= 0)) {
          if (!anchors.isEmpty() && !sameInode(identity(from.parent), identity(to.parent)) && carriesLabelXattr(t)) {
            throw new LastErrorException(EXDEV);
          }
          int f = p.flags() >= 0 ? (int) a[p.flags()] : 0;
          // linkat(AT_SYMLINK_FOLLOW) links the object the symlink led to when it was labelled.
          String here = p.kind() == PathSyscall.Kind.LINK && (f & AT_SYMLINK_FOLLOW) != 0 && t.pinned >= 0
              ? readlink("/proc/self/fd/" + t.pinned) : at(from);
          if (!keepsLabels(here, at(to), p.kind() == PathSyscall.Kind.RENAME && (f & RENAME_EXCHANGE) != 0)) {
            // Labels belong to objects: EXDEV, as Landlock refuses a move that would change access;
            // mv then copies, and the copy is a new object, made only where reading the source is allowed.
            throw new LastErrorException(EXDEV);
          }
          if (p.kind() == PathSyscall.Kind.RENAME) {
            Libc.renameat2(from.parent, from.name, to.parent, to.name, f);
          } else if ((f & AT_SYMLINK_FOLLOW) != 0) {
            // Following the symlink again could reach another file: link the object that was
            // labelled, through its descriptor's magic link.
            if (t.pinned < 0) {
              throw new LastErrorException(ENOENT);
            }
            Libc.linkat(Libc.AT_FDCWD, Libc.c("/proc/self/fd/" + t.pinned), to.parent, to.name, AT_SYMLINK_FOLLOW);
          } else {
            Libc.linkat(from.parent, from.name, to.parent, to.name, f);
          }
        }
      }
      case SYMLINK -> {
        Optional<byte[]> text = memory.string(n.tid(), a[0], TargetMemory.PATH_MAX);
        if (text.isEmpty()) {
          throw new LastErrorException(EFAULT);
        }
        try (Entry e = entry(t, false)) {
          Libc.symlinkat(Libc.c(text.get()), e.parent, e.name);
        }
      }
      case CHMOD -> {
        // On the very object that was labelled (fchmodat2 with AT_EMPTY_PATH on its descriptor).
        if (t.pinned < 0) {
          throw new LastErrorException(ENOENT);
        }
        Libc.syscall(Libc.SYS_FCHMODAT2, t.pinned, com.sun.jna.Pointer.nativeValue(EMPTY), (int) a[p.mode()], Libc.AT_EMPTY_PATH);
      }
      case CHOWN, LCHOWN -> {
        if (t.pinned < 0) {
          throw new LastErrorException(ENOENT);
        }
        int uidArg = p.name().equals("fchownat") ? 2 : 1;
        Libc.fchownat(t.pinned, new byte[] {0}, (int) a[uidArg], (int) a[uidArg + 1], Libc.AT_EMPTY_PATH);
      }
      case TRUNCATE -> {
        if (t.pinned < 0) {
          throw new LastErrorException(ENOENT);
        }
        int type = t.identity.mode() & S_IFMT;
        if (type != S_IFREG) {
          throw new LastErrorException(type == S_IFDIR ? EISDIR : EINVAL);
        }
        // The labelled object itself, through its descriptor, writable for the task or not at all.
        int fd = Libc.openat(Libc.AT_FDCWD, Libc.c("/proc/self/fd/" + t.pinned), 1 | Libc.O_CLOEXEC, 0);
        try {
          Libc.ftruncate(fd, a[1]);
        } finally {
          Libc.close(fd);
        }
      }
      case EXEC -> throw new IllegalStateException("exec is never performed");
    }
    if (!listener.succeed(n.id(), result)) {
      return -1;
    }
    return result;
  }

  private void deny(SeccompListener listener, SeccompListener.Notification n, String name, List<Target> targets, long labelSet,
      String why, int errno, Verdict verdict, boolean cached) {
    denied++;
    List<String> names = policy.labelNames(labelSet);
    // Said before the task resumes, so the reason comes before whatever the task prints about it.
    denials.accept("denied " + name + " " + String.join(" -> ", paths(targets).stream().map(Supervisor::printable).toList())
        + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")")
        + ": " + why + ": " + (verdict == null ? "errno(" + errno + ")" : verdict));
    listener.fail(n.id(), errno);
    audit.record(n.tid(), name, paths(targets), policy.labelNames(labelSet), why, verdict == null ? "errno(" + errno + ")" : verdict.toString(),
        cached, -errno);
  }

  // Opens what the path names, as the task would see it, without following a final symlink unless
  // the syscall does, and never through a magic link (/proc/PID/fd/N, /dev/fd/N: in the supervisor
  // they would name the supervisor's own descriptors): the descriptor pins the object that gets
  // labelled. The supervisor's own /proc entries are refused.
  private Target target(SeccompListener.Notification n, int dirfdArg, byte[] path, boolean follow, TaskCredentials.Creds task,
      long resolve) {
    int base = Libc.AT_FDCWD;
    int pinned = -1;
    int absentErrno = 0;
    boolean absolute = path.length > 0 && path[0] == '/';
    boolean done = false;
    try {
      if (!absolute) {
        long dirfd = dirfdArg < 0 ? Libc.AT_FDCWD : (int) n.args()[dirfdArg];
        String where = dirfd == Libc.AT_FDCWD ? "/proc/" + n.tid() + "/cwd" : "/proc/" + n.tid() + "/fd/" + dirfd;
        base = Libc.openat(Libc.AT_FDCWD, Libc.c(where), Libc.O_PATH | Libc.O_CLOEXEC, 0);
      }
      // Walked with the task's credentials: what it cannot reach is absent for it.
      boolean wear = credentials.differs(task);
      try {
        if (wear) {
          credentials.enter(task);
        }
        pinned = pin(base, path, follow, resolve);
      } catch (LastErrorException e) {
        if (e.getErrorCode() != ENOENT && e.getErrorCode() != EACCES && e.getErrorCode() != ENOTDIR) {
          throw e; // a magic link, a loop, a lookup openat2's resolve flags forbid: refused with its errno
        }
        // Absent (or unreachable): labelled by its path alone.
        absentErrno = e.getErrorCode();
      } finally {
        if (wear) {
          credentials.leave();
        }
      }
      String canonical;
      long set;
      LabelResolver.Identity id = null;
      if (pinned >= 0) {
        id = identity(pinned);
        if (id.device() == procDevice) {
          String where = readlink("/proc/self/fd/" + pinned);
          if (where.equals(OWN_PROC) || where.startsWith(OWN_PROC + "/")) {
            throw new LastErrorException(EACCES);
          }
        }
        // The path is needed only when the labels of this inode are not cached (file_contexts rules).
        int fd = pinned;
        String[] resolved = {null};
        set = labels.labelsOfOpen(pinned, id, () -> resolved[0] = readlink("/proc/self/fd/" + fd));
        canonical = resolved[0];
      } else {
        // Absent: labelled by where it would be made, its parent directory as the kernel resolves it
        // (symlinks and .. followed), which is pinned so the call is made there and nowhere else.
        int cut = lastSlash(path);
        if (cut >= 0) {
          int parent = pinParent(base, java.util.Arrays.copyOf(path, Math.max(cut, 1)), task, resolve);
          if (parent >= 0) {
            if (base != Libc.AT_FDCWD) {
              closeQuietly(base);
            }
            base = parent;
            path = java.util.Arrays.copyOfRange(path, cut + 1, path.length);
            absolute = false;
          }
        }
        String dir = absolute ? "" : readlink("/proc/self/fd/" + base);
        canonical = absolute ? latin1(path) : dir + (dir.endsWith("/") ? "" : "/") + latin1(path);
        set = labels.labels(canonical);
      }
      done = true;
      return new Target(path, canonical, absolute ? -1 : base, pinned, id, set, absentErrno);
    } finally {
      if (!done) {
        closeQuietly(pinned);
        if (base != Libc.AT_FDCWD) {
          closeQuietly(base);
        }
      }
    }
  }

  // Whether the object at here keeps its labels (and all beneath it) at there; for an exchange, the
  // object at there too, at here. Both paths are read from the pinned entries the call is made on.
  private boolean keepsLabels(String here, String there, boolean exchange) {
    if (!policy.readsLabels()) {
      return true;
    }
    return relabelling.keeps(here, there) && (!exchange || relabelling.keeps(there, here));
  }

  private static String at(Entry e) {
    String dir = readlink("/proc/self/fd/" + e.parent);
    byte[] name = e.name;
    int len = name.length > 0 && name[name.length - 1] == 0 ? name.length - 1 : name.length;
    return dir + (dir.endsWith("/") ? "" : "/") + new String(name, 0, len, StandardCharsets.ISO_8859_1);
  }

  private final com.sun.jna.Memory stat = new com.sun.jna.Memory(144);
  // Read through a buffer view: each Memory.getLong would be a JNI call.
  private final java.nio.ByteBuffer st = stat.getByteBuffer(0, 144).order(java.nio.ByteOrder.nativeOrder());

  // Whether the object, or anything beneath it when it is a directory, carries a label xattr;
  // true when that cannot be found out (the rename is then refused, never done unchecked).
  private boolean carriesLabelXattr(Target t) {
    if (t.pinned < 0 || t.identity == null) {
      return true;
    }
    for (String name : LabelResolver.XATTRS) {
      if (xattrs.readOpen(t.pinned, name).isPresent()) {
        return true;
      }
    }
    if ((t.identity.mode() & S_IFMT) != S_IFDIR) {
      return false;
    }
    try {
      return !new XattrScan(LabelResolver.XATTRS).find(List.of(java.nio.file.Path.of("/proc/self/fd/" + t.pinned)
          .toRealPath())).carrying().isEmpty();
    } catch (java.io.IOException | RuntimeException e) {
      return true;
    }
  }

  private static boolean sameInode(LabelResolver.Identity a, LabelResolver.Identity b) {
    return a.device() == b.device() && a.inode() == b.inode();
  }

  private LabelResolver.Identity identity(int fd) {
    Libc.fstat(fd, stat);
    return new LabelResolver.Identity(st.getLong(0), st.getLong(8), st.getLong(104) * 1_000_000_000L + st.getLong(112), st.getInt(24));
  }

  private final com.sun.jna.Memory how = new com.sun.jna.Memory(24);
  private final com.sun.jna.Memory pathBuffer = new com.sun.jna.Memory(TargetMemory.PATH_MAX + 1);
  private final long procDevice = procDevice();

  private long procDevice() {
    Libc.stat(Libc.c("/proc"), stat);
    return stat.getLong(0);
  }

  // Where the last component of a path starts, less one (-1: no slash before it). Trailing
  // slashes stay with the last component ("a/b/" is "b/" in "a").
  private static int lastSlash(byte[] path) {
    int end = path.length;
    while (end > 1 && path[end - 1] == '/') {
      end--;
    }
    for (int i = end - 1; i >= 0; i--) {
      if (path[i] == '/') {
        byte[] last = java.util.Arrays.copyOfRange(path, i + 1, end);
        return last.length == 0 || java.util.Arrays.equals(last, DOT) || java.util.Arrays.equals(last, DOTDOT) ? -1 : i;
      }
    }
    return -1;
  }

  private static final byte[] DOT = {'.'};
  private static final byte[] DOTDOT = {'.', '.'};

  // The parent directory of an absent object, pinned as the task reaches it; -1 when it cannot be.
  private int pinParent(int base, byte[] dir, TaskCredentials.Creds task, long resolve) {
    boolean wear = credentials.differs(task);
    try {
      if (wear) {
        credentials.enter(task);
      }
      return pin(base, dir, true, resolve);
    } catch (LastErrorException e) {
      return -1;
    } finally {
      if (wear) {
        credentials.leave();
      }
    }
  }

  // openat2(O_PATH, RESOLVE_NO_MAGICLINKS): an O_PATH descriptor of the object, no magic link crossed.
  private int pin(int base, byte[] path, boolean follow, long resolve) {
    how.setLong(0, Libc.O_PATH | Libc.O_CLOEXEC | (follow ? 0 : Libc.O_NOFOLLOW));
    how.setLong(8, 0);
    how.setLong(16, Libc.RESOLVE_NO_MAGICLINKS | resolve);
    pathBuffer.write(0, path, 0, path.length);
    pathBuffer.setByte(path.length, (byte) 0);
    return (int) Libc.syscall(Libc.SYS_OPENAT2, base, com.sun.jna.Pointer.nativeValue(pathBuffer), com.sun.jna.Pointer.nativeValue(how), 24);
  }

  // /proc/self and /proc/thread-self named by the task are the task's.
  static byte[] selfless(byte[] path, int tgid, int tid) {
    if (path.length < 10 || path[0] != '/' || path[1] != 'p' || path[5] != '/') {
      return path; // not under /proc (the common case, without a string)
    }
    String p = latin1(path);
    String out = p;
    if (p.equals("/proc/self") || p.startsWith("/proc/self/")) {
      out = "/proc/" + tgid + p.substring("/proc/self".length());
    } else if (p.equals("/proc/thread-self") || p.startsWith("/proc/thread-self/")) {
      out = "/proc/" + tgid + "/task/" + tid + p.substring("/proc/thread-self".length());
    }
    return out == p ? path : out.getBytes(StandardCharsets.ISO_8859_1);
  }

  // Never throws: a path too long or gone reads as "?".
  private static String readlink(String link) {
    byte[] buf = new byte[TargetMemory.PATH_MAX];
    try {
      long len = Libc.readlink(Libc.c(link), buf, buf.length);
      return new String(buf, 0, (int) len, StandardCharsets.ISO_8859_1);
    } catch (LastErrorException e) {
      return "?";
    }
  }

  private static final com.sun.jna.Memory EMPTY = new com.sun.jna.Memory(1);

  static {
    EMPTY.setByte(0, (byte) 0);
  }

  /** A directory entry: its parent pinned as a descriptor, and its name in it. */
  private record Entry(int parent, byte[] name) implements AutoCloseable {
    @Override
    public void close() {
      closeQuietly(parent);
    }
  }

  // The entry a path names, its parent directory pinned (so no component above it can be swapped),
  // and when the object existed at the check, proven to be that object now.
  private Entry entry(Target t, boolean existing) {
    byte[] path = t.path;
    int end = path.length;
    while (end > 1 && path[end - 1] == '/') {
      end--;
    }
    int slash = end - 1;
    while (slash >= 0 && path[slash] != '/') {
      slash--;
    }
    byte[] dir = slash < 0 ? new byte[] {'.'} : slash == 0 ? new byte[] {'/'} : java.util.Arrays.copyOf(path, slash);
    byte[] name = java.util.Arrays.copyOfRange(path, slash + 1, end);
    int parent = pin(t.base, dir, true, 0);
    try {
      if (existing) {
        if (t.pinned < 0) {
          throw new LastErrorException(ENOENT);
        }
        Libc.fstatat(parent, Libc.c(name), stat, Libc.AT_SYMLINK_NOFOLLOW);
        if (t.identity.device() != st.getLong(0) || t.identity.inode() != st.getLong(8)) {
          throw new LastErrorException(EACCES);
        }
      }
      return new Entry(parent, Libc.c(name));
    } catch (LastErrorException e) {
      closeQuietly(parent);
      throw e;
    }
  }


  // Whether the syscall may create a file or directory, so the task's umask applies.
  private static boolean creates(PathSyscall p, int flags) {
    return p.kind() == PathSyscall.Kind.MKDIR
        || (p.kind() == PathSyscall.Kind.OPEN || p.kind() == PathSyscall.Kind.OPENAT2) && (flags & (Libc.O_CREAT | O_TMPFILE_BIT)) != 0;
  }

  private long[] openHow(SeccompListener.Notification n) {
    long size = n.args()[3];
    if (size < OPEN_HOW_SIZE) {
      return null;
    }
    Optional<byte[]> raw = memory.bytes(n.tid(), n.args()[2], OPEN_HOW_SIZE);
    if (raw.isEmpty()) {
      return null;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw.get()).order(java.nio.ByteOrder.nativeOrder());
    return new long[] {b.getLong(0), b.getLong(8), b.getLong(16)};
  }

  private static int flags(PathSyscall p, SeccompListener.Notification n, long[] how) {
    if (p.kind() == PathSyscall.Kind.OPENAT2) {
      return (int) how[0];
    }
    return p.fixedFlags() | (p.flags() >= 0 ? (int) n.args()[p.flags()] : 0);
  }

  // A path as a terminal may show it: control characters (a task may name a file "\e[2J") escaped.
  static String printable(String path) {
    StringBuilder b = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static List<String> paths(List<Target> targets) {
    return targets.stream().map(Target::display).toList();
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static void closeQuietly(int fd) {
    if (fd >= 0) {
      try {
        Libc.close(fd);
      } catch (LastErrorException e) {
        // Nothing to do.
      }
    }
  }
}
