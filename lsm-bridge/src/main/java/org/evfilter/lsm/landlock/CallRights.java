package org.evfilter.lsm.landlock;

import static org.evfilter.events.syscalls.FileFlags.AT_REMOVEDIR;
import static org.evfilter.events.syscalls.FileFlags.O_ACCMODE;
import static org.evfilter.events.syscalls.FileFlags.O_CREAT;
import static org.evfilter.events.syscalls.FileFlags.O_PATH;
import static org.evfilter.events.syscalls.FileFlags.O_TMPFILE_BIT;
import static org.evfilter.events.syscalls.FileFlags.O_TRUNC;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.evfilter.lsm.compile.LandlockGate;

/**
 * The model the lowering is checked against: for the path syscalls whose label rules Landlock can
 * decide, the rights each call needs on its object, by its flags, in every situation the call can
 * meet (the object exists as a file or a directory, or the call creates it); and, for the other
 * syscalls, the rights Landlock may ask of them, so the lowering can say where it is stricter.
 */
record CallRights(String name, Kind kind, int flagsArg, long fixedFlags) {
  /** What the call does. */
  enum Kind { OPEN, MKDIR, UNLINK, RMDIR }

  private static final Map<String, CallRights> LOWERABLE = Map.of(
      "open", new CallRights("open", Kind.OPEN, 1, 0),
      "openat", new CallRights("openat", Kind.OPEN, 2, 0),
      "mkdir", new CallRights("mkdir", Kind.MKDIR, -1, 0),
      "mkdirat", new CallRights("mkdirat", Kind.MKDIR, -1, 0),
      "unlink", new CallRights("unlink", Kind.UNLINK, -1, 0),
      "unlinkat", new CallRights("unlinkat", Kind.UNLINK, 2, 0),
      "rmdir", new CallRights("rmdir", Kind.RMDIR, -1, 0));

  private static final long MAKE_ANY = FsAccess.MAKE_REG.bit() | FsAccess.MAKE_DIR.bit() | FsAccess.MAKE_SYM.bit()
      | FsAccess.MAKE_CHAR.bit() | FsAccess.MAKE_BLOCK.bit() | FsAccess.MAKE_FIFO.bit() | FsAccess.MAKE_SOCK.bit();
  private static final long REMOVE_ANY = FsAccess.REMOVE_FILE.bit() | FsAccess.REMOVE_DIR.bit();
  private static final long OPENS = FsAccess.READ | FsAccess.WRITE_FILE.bit() | FsAccess.TRUNCATE.bit() | FsAccess.MAKE_REG.bit();

  // What Landlock may check of syscalls the program lets through without deciding their labels.
  private static final Map<String, Long> MAY_NEED = Map.ofEntries(
      Map.entry("open", OPENS), Map.entry("openat", OPENS), Map.entry("openat2", OPENS), Map.entry("creat", OPENS),
      Map.entry("open_by_handle_at", OPENS), Map.entry("mq_open", FsAccess.READ_FILE.bit() | FsAccess.WRITE_FILE.bit()),
      Map.entry("execve", FsAccess.READ_FILE.bit() | FsAccess.EXECUTE.bit()),
      Map.entry("execveat", FsAccess.READ_FILE.bit() | FsAccess.EXECUTE.bit()),
      Map.entry("uselib", FsAccess.READ_FILE.bit() | FsAccess.EXECUTE.bit()),
      Map.entry("mknod", MAKE_ANY), Map.entry("mknodat", MAKE_ANY),
      Map.entry("mkdir", FsAccess.MAKE_DIR.bit()), Map.entry("mkdirat", FsAccess.MAKE_DIR.bit()),
      Map.entry("unlink", REMOVE_ANY), Map.entry("unlinkat", REMOVE_ANY), Map.entry("rmdir", FsAccess.REMOVE_DIR.bit()),
      Map.entry("symlink", FsAccess.MAKE_SYM.bit()), Map.entry("symlinkat", FsAccess.MAKE_SYM.bit()),
      Map.entry("link", FsAccess.REFER.bit() | MAKE_ANY), Map.entry("linkat", FsAccess.REFER.bit() | MAKE_ANY),
      Map.entry("rename", FsAccess.REFER.bit() | MAKE_ANY | REMOVE_ANY),
      Map.entry("renameat", FsAccess.REFER.bit() | MAKE_ANY | REMOVE_ANY),
      Map.entry("renameat2", FsAccess.REFER.bit() | MAKE_ANY | REMOVE_ANY),
      Map.entry("truncate", FsAccess.TRUNCATE.bit()), Map.entry("ftruncate", FsAccess.TRUNCATE.bit()),
      Map.entry("bind", FsAccess.MAKE_SOCK.bit()), Map.entry("ioctl", FsAccess.IOCTL_DEV.bit()));

  /** The model of a syscall whose label rules Landlock can decide, by name. */
  static Optional<CallRights> lowerable(String syscall) {
    return Optional.ofNullable(LOWERABLE.get(syscall));
  }

  /** The rights Landlock may check when {@code syscall} runs (0: none). */
  static long mayNeed(String syscall) {
    return MAY_NEED.getOrDefault(syscall, 0L);
  }

  /** Every syscall Landlock may check, by name. */
  static java.util.Set<String> checked() {
    return MAY_NEED.keySet();
  }

  /** The flag bits the rights (and the gate) depend on. */
  long bits() {
    return switch (kind) {
      case OPEN -> flagsArg < 0 ? 0 : O_ACCMODE | O_CREAT | O_TRUNC | O_PATH | O_TMPFILE_BIT;
      case UNLINK -> flagsArg < 0 ? 0 : AT_REMOVEDIR;
      default -> 0;
    };
  }

  // Opens Landlock does not decide as the policy does: O_PATH and O_TMPFILE it does not check, access
  // mode 3 opens neither side, and O_CREAT it checks in two steps (make the file, then open it), so
  // a refused open could leave a file the supervisor would never have made.
  private static final long KEPT = O_PATH | O_TMPFILE_BIT | O_CREAT;

  /** The calls the supervisor keeps: opens Landlock does not decide as the policy does. */
  LandlockGate gate() {
    return kind == Kind.OPEN && flagsArg >= 0 ? new LandlockGate(flagsArg, KEPT, true) : LandlockGate.NONE;
  }

  /** Whether Landlock cannot see the call with {@code flags} (it goes to the supervisor). */
  boolean gated(long flags) {
    return kind == Kind.OPEN && flagsArg >= 0 && ((flags & KEPT) != 0 || (flags & O_ACCMODE) == 3);
  }

  /** The flags a call has: {@code flags} where the syscall takes them, else its fixed ones. */
  long flags(long flags) {
    return flagsArg < 0 ? fixedFlags : flags;
  }

  /**
   * The rights the call with {@code flags} needs, one set per situation it can meet: the object is
   * an existing file or an existing directory (opens that create are the supervisor's). The kernel
   * refuses some situations before Landlock is asked (a directory opened for writing): those are
   * left out.
   */
  List<Long> situations(long flags) {
    long f = flags(flags);
    List<Long> out = new ArrayList<>();
    switch (kind) {
      case OPEN -> {
        long acc = f & O_ACCMODE;
        boolean read = acc == 0 || acc == 2;
        boolean write = acc == 1 || acc == 2;
        long file = (read ? FsAccess.READ_FILE.bit() : 0) | (write ? FsAccess.WRITE_FILE.bit() : 0);
        out.add(file | ((f & O_TRUNC) != 0 ? FsAccess.TRUNCATE.bit() : 0));
        if (!write && (f & O_TRUNC) == 0 && (f & O_CREAT) == 0) {
          out.add(read ? FsAccess.READ_DIR.bit() : 0);
        }
      }
      case MKDIR -> out.add(FsAccess.MAKE_DIR.bit());
      case UNLINK -> out.add((f & AT_REMOVEDIR) != 0 ? FsAccess.REMOVE_DIR.bit() : FsAccess.REMOVE_FILE.bit());
      case RMDIR -> out.add(FsAccess.REMOVE_DIR.bit());
    }
    return out;
  }
}
