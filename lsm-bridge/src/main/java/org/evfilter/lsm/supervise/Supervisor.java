package org.evfilter.lsm.supervise;

import static org.evfilter.events.syscalls.Errno.E2BIG;
import static org.evfilter.events.syscalls.Errno.EFAULT;
import static org.evfilter.events.syscalls.Errno.EINVAL;
import static org.evfilter.events.syscalls.Errno.ENOENT;
import static org.evfilter.events.syscalls.Errno.EPERM;
import static org.evfilter.events.syscalls.Errno.ESRCH;
import static org.evfilter.events.syscalls.FileFlags.AT_EMPTY_PATH;
import static org.evfilter.events.syscalls.FileFlags.AT_SYMLINK_FOLLOW;
import static org.evfilter.events.syscalls.FileFlags.AT_SYMLINK_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_CREAT;
import static org.evfilter.events.syscalls.FileFlags.O_NOFOLLOW;
import static org.evfilter.events.syscalls.FileFlags.O_TMPFILE_BIT;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.lsm.natives.TargetMemory;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.BoundPolicy.Verdict;
import org.evfilter.predicates.eval.AvcStats;
import org.evfilter.predicates.labels.LabelResolver;

/**
 * The user-space object manager: decides the syscalls a compiled program defers (labels, paths,
 * socket addresses: see {@link SocketCalls}) and answers them so that no decision can be raced. It reads the paths from the task's memory,
 * checks the notification is still pending, opens the object itself, labels what it opened
 * (xattrs of the object, file_contexts by path), decides through the AVC, then either injects the
 * descriptor it opened as the syscall's result, performs the operation and returns its result, or
 * fails the syscall with the rule's errno. It never answers "continue" to a path decision: exec,
 * which cannot be performed for the task, is denied when a deferred rule decides it.
 */
public final class Supervisor {
  /** The origin of the rule {@link #programPolicy} adds for the syscalls that could relabel an object. */
  public static final String LABELS_KEPT = org.evfilter.lsm.plan.EnforcementPlan.LABELS_KEPT;

  /** The syscalls that change what the supervisor keeps of a thread's credentials (groups, user namespace). */
  public static final List<String> CREDENTIAL_CHANGERS = TaskCredentials.TRACKED;

  /** The syscalls that could change an object's labels: moves, links, xattr writes. */
  public static final List<String> RELABELLERS = List.of("rename", "renameat", "renameat2", "link", "linkat", "setxattr",
      "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat");

  private static final int X86_64 = (int) Arch.X86_64.auditArch();

  private final BoundPolicy policy;
  private final LabelResolver labels;
  private final SupervisorNatives natives;
  private final TaskCredentials credentials;
  private final SyscallTable table = SyscallTable.of(Arch.X86_64);
  private final TaskArguments arguments;
  private final ObjectPinner pinner;
  private final Decider decider;
  private final CallPerformer performer;
  private final Responder responder;
  private final Relabelling relabelling;
  private final SocketCalls sockets;
  private long notifications;
  private boolean inTaskRoot;

  /** What a supervision did, for the summary at exit. */
  public record Summary(long notifications, long allowed, long denied, AvcStats avc, AvcStats labelCache) {}

  public Supervisor(BoundPolicy policy, LabelResolver labels, AuditLog audit, long avcSize) {
    this(policy, labels, audit, avcSize, new LinuxSupervisorNatives(), new TaskCredentials());
  }

  Supervisor(BoundPolicy policy, LabelResolver labels, AuditLog audit, long avcSize, SupervisorNatives natives,
      TaskCredentials credentials) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.labels = Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(audit, "audit");
    this.natives = natives;
    this.credentials = credentials;
    this.arguments = new TaskArguments(natives);
    this.pinner = new ObjectPinner(natives, credentials, labels);
    this.decider = new Decider(policy, avcSize, audit.enabled());
    this.relabelling = new Relabelling(labels);
    this.performer = new CallPerformer(natives, pinner, relabelling, policy.readsLabels());
    this.responder = new Responder(policy, audit, natives, credentials);
    this.sockets = new SocketCalls(natives, arguments, pinner, credentials, decider, responder, policy, labels);
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


  /**
   * Refuses (EXDEV) to rename or link the inodes {@code anchors} (device, inode): those a Landlock
   * ruleset the command runs under is attached to, and the directories above them; and, when there
   * are any, a rename or link from one directory to another of an object that carries a label
   * xattr or, for a directory, holds one beneath it. The supervisor performs renames outside the
   * ruleset: such an object moved into a granted tree would get the tree's rights, which its label
   * does not have, and the ruleset's launch-time scan never saw it there.
   */
  public Supervisor keepInPlace(Set<List<Long>> anchors) {
    performer.keepInPlace(anchors);
    return this;
  }

  /**
   * Resolves paths in the notifying task's root (containers): absolute paths from its own root
   * ({@code /proc/TID/root}, which ".." and absolute symlinks never leave), relative ones from its
   * working directory there, never from the supervisor's root; file_contexts labels and reports
   * name objects by their paths in that root, and /proc/self is the task's as its pid namespace
   * numbers it.
   */
  public Supervisor inTaskRoot() {
    inTaskRoot = true;
    pinner.inTaskRoot();
    return this;
  }

  /** Says every denial, in a line naming the syscall, the objects, their labels and the rule. */
  public Supervisor reportDenials(Consumer<String> to) {
    responder.reportDenials(Objects.requireNonNull(to, "to"));
    return this;
  }

  /**
   * Serves notifications until no task uses the filter any more, on the calling thread. That thread
   * gets its own umask of 0 (unshare(CLONE_FS)), so files are created with the task's umask alone;
   * where that is refused, the supervisor's umask applies on top of the task's: more restrictive, never less.
   */
  public Summary serve(SeccompListener listener) {
    natives.ownUmaskZero();
    Channel channel = Channel.of(listener);
    SeccompListener.Notification n;
    try {
      while ((n = listener.receive()) != null) {
        handle(channel, n);
      }
    } finally {
      credentials.release(); // the tasks are gone: what was kept of them goes too
    }
    return summary();
  }

  public Summary summary() {
    return new Summary(notifications, responder.allowed(), responder.denied(), decider.stats(), labels.cacheStats());
  }

  /** Answers one notification; nothing a task sends may stop supervision (a dead supervisor would let it install its own). */
  void handle(Channel channel, SeccompListener.Notification n) {
    notifications++;
    String name = table.byNumber(n.nr()).map(Syscall::name).orElse("syscall " + n.nr());
    Call c = new Call(channel, n, name, new ArrayList<>(), new ArrayList<>());
    try {
      dispatch(c);
    } catch (LastErrorException ex) {
      responder.deny(c, 0, "supervisor: " + ex.getMessage(), ex.getErrorCode(), null, false);
    } catch (RuntimeException | Error e) {
      credentials.leaveQuietly();
      responder.failed(c, e);
    } finally {
      pinner.closeAll(c.targets());
    }
  }

  private void dispatch(Call c) {
    SeccompListener.Notification n = c.n();
    Optional<PathSyscall> spec = PathSyscall.of(n.nr());
    Optional<XattrSyscall> x = XattrSyscall.of(n.nr());
    Optional<SocketSyscall> socket = SocketSyscall.of(n.nr());
    if (n.arch() != X86_64 || spec.isEmpty() && x.isEmpty() && socket.isEmpty() && !TaskCredentials.TRACKED.contains(c.name())) {
      // Only path and socket syscalls are deferred to this supervisor; anything else is refused, never let through.
      responder.refuse(c, "not a path or socket syscall: the supervisor does not decide it", EPERM);
    } else if (socket.isPresent()) {
      sockets.handle(c, socket.get());
    } else if (x.isPresent()) {
      xattr(c, x.get());
    } else if (spec.isPresent()) {
      path(c, spec.get());
    } else {
      tracked(c);
    }
  }

  // A path syscall: its paths read once, the objects pinned and labelled as the task reaches them, decided, performed.
  private void path(Call c, PathSyscall p) {
    SeccompListener.Notification n = c.n();
    Optional<byte[]> path = arguments.path(n, p.path(), TargetMemory.PATH_MAX);
    Optional<byte[]> path2 = arguments.path(n, p.path2(), TargetMemory.PATH_MAX);
    Optional<TaskArguments.OpenHow> how = p.kind() == PathSyscall.Kind.OPENAT2 ? arguments.openHow(n) : Optional.empty();
    if (path.isEmpty() || path2.isEmpty() || p.kind() == PathSyscall.Kind.OPENAT2 && how.isEmpty()) {
      responder.refuse(c, "unreadable argument", EFAULT);
      return;
    }
    if (how.isPresent() && invalid(how.get())) {
      responder.refuse(c, "invalid open_how", EINVAL);
      return;
    }
    int flags = TaskArguments.flags(p, n, how);
    Optional<TaskCredentials.Creds> creds = credentials.of(n.tid());
    if (creds.isPresent() && creates(p.kind(), flags)) {
      creds = Optional.of(credentials.withUmask(creds.get(), n.tid()));
    }
    // Everything read from the task: the notification must still be pending, or its pid may be another task's.
    if (creds.isEmpty() || !c.channel().valid(n.id())) {
      return; // the task is gone
    }
    TaskCredentials.Creds task = creds.get();
    if (inTaskRoot && reopensOwn(p, how) && ObjectPinner.ownDescriptor(path.get()).isPresent()) {
      reopen(c, p, flags, how, task, ObjectPinner.ownDescriptor(path.get()).getAsInt(), path.get());
      return;
    }
    // The task's /proc/self is its own, not the supervisor's.
    byte[] first = selfless(path.get(), task, n.tid());
    // openat2's resolve flags (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS...) bind the lookup of the object.
    c.targets().add(pinner.pin(n.tid(), dirfd(n, p.dirfd()), first, follows(p.kind(), flags), task,
        how.map(TaskArguments.OpenHow::resolve).orElse(0L)));
    Map<Integer, String> strings = new HashMap<>();
    strings.put(p.path(), latin1(first));
    if (p.path2() >= 0) {
      byte[] second = selfless(path2.get(), task, n.tid());
      c.targets().add(pinner.pin(n.tid(), dirfd(n, p.dirfd2()), second, false, task, 0));
      strings.put(p.path2(), latin1(second));
    }
    Decision d = decider.objects(event(n, strings), c.targets());
    responder.act(c, task, d, p.kind() == PathSyscall.Kind.EXEC ? null : () -> performer.path(c, p, flags, how, task));
  }

  // An open that may reopen one of the task's own descriptors through its magic link: not one
  // openat2 forbids magic links to (RESOLVE_NO_MAGICLINKS, as the kernel would refuse it).
  private static boolean reopensOwn(PathSyscall p, Optional<TaskArguments.OpenHow> how) {
    return (p.kind() == PathSyscall.Kind.OPEN || p.kind() == PathSyscall.Kind.OPENAT2)
        && how.map(h -> (h.resolve() & Lookup.RESOLVE_NO_MAGICLINKS) == 0).orElse(true);
  }

  // The task reopens its own descriptor fd (runc's init reopens its exec FIFO this way, under the
  // container's filter): the object is the one that descriptor holds, taken from the task
  // (pidfd_getfd), labelled and decided, and opened again through the supervisor's copy, so a
  // descriptor the task swaps in meanwhile is never the one opened.
  private void reopen(Call c, PathSyscall p, int flags, Optional<TaskArguments.OpenHow> how, TaskCredentials.Creds task, int fd,
      byte[] path) {
    SeccompListener.Notification n = c.n();
    try {
      c.targets().add(pinner.descriptor(n.tid(), fd, task));
    } catch (LastErrorException e) {
      responder.refuse(c, "no descriptor " + fd + " to reopen", ENOENT);
      return;
    }
    Decision d = decider.objects(event(n, Map.of(p.path(), latin1(path))), c.targets());
    responder.act(c, task, d, () -> performer.reopen(c, p, flags, how, task));
  }

  // What openat2 itself refuses: flags beyond 32 bits, a mode without O_CREAT or O_TMPFILE.
  static boolean invalid(TaskArguments.OpenHow how) {
    return how.flags() >>> 32 != 0 || (how.flags() & (O_CREAT | O_TMPFILE_BIT)) == 0 && how.mode() != 0;
  }

  // The task's /proc/self is its own: its process as its /proc numbers it, which for a task in a
  // pid namespace of its own is not the pid the notification carries (the supervisor's view).
  private byte[] selfless(byte[] path, TaskCredentials.Creds task, int tid) {
    if (!inTaskRoot || !ObjectPinner.namesSelf(path)) {
      return ObjectPinner.selfless(path, task.tgid(), tid);
    }
    TaskCredentials.InnermostIds ids = credentials.innermost(tid).orElseThrow(() -> new LastErrorException(ESRCH));
    return ObjectPinner.selfless(path, ids.tgid(), ids.tid());
  }

  private static long dirfd(SeccompListener.Notification n, int arg) {
    return arg < 0 ? org.evfilter.events.syscalls.FileFlags.AT_FDCWD : (int) n.args()[arg];
  }

  /** Whether the syscall follows a final symlink of its (first) path, as the kernel would for these flags. */
  static boolean follows(PathSyscall.Kind kind, int flags) {
    return switch (kind) {
      case OPEN, OPENAT2 -> (flags & O_NOFOLLOW) == 0;
      case LINK -> (flags & AT_SYMLINK_FOLLOW) != 0;
      case CHOWN -> (flags & AT_SYMLINK_NOFOLLOW) == 0;
      case CHMOD, TRUNCATE, EXEC -> true;
      case UNLINK, RMDIR, MKDIR, RENAME, SYMLINK, LCHOWN -> false;
    };
  }

  // Whether the syscall may create a file or directory, so the task's umask applies.
  static boolean creates(PathSyscall.Kind kind, int flags) {
    return switch (kind) {
      case MKDIR -> true;
      case OPEN, OPENAT2 -> (flags & (O_CREAT | O_TMPFILE_BIT)) != 0;
      default -> false;
    };
  }

  // An xattr write or removal: its name and value read once; decided with the object's labels and,
  // for a label xattr, new_label, the labels the object would carry after it, which only a rule
  // reading new_label may allow (EACCES otherwise); performed on the very object that was labelled.
  private void xattr(Call c, XattrSyscall x) {
    SeccompListener.Notification n = c.n();
    Optional<byte[]> xname = arguments.path(n, x.xattr(), XattrSyscall.NAME_MAX);
    Optional<byte[]> path = arguments.path(n, x.path(), TargetMemory.PATH_MAX);
    Optional<TaskArguments.XattrValue> at = arguments.xattrValue(n, x);
    if (xname.isEmpty() || path.isEmpty() || at.isEmpty()) {
      responder.refuse(c, "unreadable argument", EFAULT);
      return;
    }
    if (at.get().size() > XattrSyscall.SIZE_MAX) {
      responder.refuse(c, "xattr value too large", E2BIG);
      return;
    }
    Optional<byte[]> value = x.set() ? arguments.bytes(n.tid(), at.get().address(), (int) at.get().size()) : Optional.empty();
    if (x.set() && value.isEmpty()) {
      responder.refuse(c, "unreadable argument", EFAULT);
      return;
    }
    int atFlags = x.atFlags() >= 0 ? (int) c.arg(x.atFlags()) : 0;
    boolean byFd = x.naming() == XattrSyscall.Naming.FD
        || x.naming() == XattrSyscall.Naming.AT && path.get().length == 0 && (atFlags & AT_EMPTY_PATH) != 0;
    Optional<TaskCredentials.Creds> creds = credentials.of(n.tid());
    if (creds.isEmpty() || !c.channel().valid(n.id())) {
      return; // the task is gone
    }
    TaskCredentials.Creds task = creds.get();
    PinnedObject t = byFd ? pinner.descriptor(n.tid(), (int) c.arg(x.dirfd()), task) : pinner.pin(n.tid(),
        x.naming() == XattrSyscall.Naming.AT ? dirfd(n, x.dirfd()) : org.evfilter.events.syscalls.FileFlags.AT_FDCWD,
        selfless(path.get(), task, n.tid()), x.naming() == XattrSyscall.Naming.PATH
            || x.naming() == XattrSyscall.Naming.AT && (atFlags & AT_SYMLINK_NOFOLLOW) == 0, task, 0);
    c.targets().add(t);
    String xattr = latin1(xname.get());
    boolean relabels = Relabelling.labelling(xname.get());
    long after = relabels && t.present()
        ? relabelling.after(xn -> natives.readXattr(t.pinned(), xn), xattr, value, pinner.at(t),
            t.identity().mode())
        : t.labels();
    Map<Integer, String> strings = new HashMap<>();
    strings.put(x.xattr(), xattr);
    if (x.path() >= 0) {
      strings.put(x.path(), latin1(path.get()));
    }
    Decision d = decider.xattr(event(n, strings), t.labels(), after, relabels, xattr);
    responder.act(c, task, d, () -> performer.xattr(c, t, byFd, xname.get(), value, at.get().flags()));
  }

  // A syscall that may change the thread's groups or user namespace: decided as the policy decides
  // it (it holds no path), and the thread's credentials are read again at its next notification.
  private void tracked(Call c) {
    credentials.forget(c.n().tid());
    Decision d = decider.plain(event(c.n(), Map.of()));
    if (d.verdict().kind().permits()) {
      responder.proceed(c, d);
      return;
    }
    Optional<TaskCredentials.Creds> task = credentials.of(c.n().tid());
    // Its thread group is the one signalled by kill and trap: the notification must still be its.
    if (task.isPresent() && c.channel().valid(c.n().id())) {
      responder.act(c, task.get(), d, null);
    }
  }

  private static SyscallEvent event(SeccompListener.Notification n, Map<Integer, String> strings) {
    SyscallEvent.Builder b = SyscallEvent.builder(Arch.X86_64, n.nr(), n.args()).tid(n.tid()).pid(n.tid()).instructionPointer(n.ip());
    return strings.isEmpty() ? b.build() : b.strings(strings).build();
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

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
