package org.evfilter.lsm.plan;

import org.evfilter.events.syscalls.Arch;

/**
 * Why a rule is not enforced where it could be (a fallback to the supervisor) or what the kernel
 * lacks for it: one case per cause, with its data, so callers select by type and the CLI renders
 * {@link #text()}, today's sentence.
 */
public sealed interface Reason {
  /** The sentence {@code explain} and {@code run} print. */
  String text();

  /**
   * A reason that is this kernel's or this launch's (no Landlock, an older ABI, SELinux, an arch
   * the lowering is not built for, what the launch found), which {@code run} warns of; the other
   * reasons are the policy's own shape, which {@code explain} says.
   */
  sealed interface OfKernel extends Reason {}

  /** What this machine lacks or has that keeps Landlock from deciding anything, with no more to say. */
  enum Machine implements OfKernel {
    /** Landlock is absent (ABI 0). */
    LANDLOCK_MISSING("Landlock is not available on this kernel (no landlock_create_ruleset, or landlock is not among the"
        + " active LSMs): label rules stay with the supervisor"),
    /** SELinux labels new objects by its own rules, which a ruleset built from paths cannot follow. */
    SELINUX_ACTIVE("SELinux is active: it labels new objects (security.selinux) by its own rules, which a ruleset built"
        + " from paths cannot follow: label rules stay with the supervisor");

    private final String text;

    Machine(String text) {
      this.text = text;
    }

    @Override
    public String text() {
      return text;
    }
  }

  /** The program is for an arch the lowering does not model. */
  record ArchNotSupported(Arch arch) implements OfKernel {
    @Override
    public String text() {
      return "Landlock lowering is built for x86_64 only: label rules stay with the supervisor";
    }
  }

  /** The policy may let {@code syscall} write label xattrs, so labels may change under a ruleset. */
  record LabelXattrsWritable(String syscall) implements Reason {
    @Override
    public String text() {
      return "the policy may let the command set label xattrs (" + syscall + "), so labels may change under a ruleset"
          + " built from paths: label rules stay with the supervisor";
    }
  }

  /** The policy lets a move or link ({@code syscall}) reach the kernel without the supervisor. */
  record MovesUnsupervised(String syscall) implements Reason {
    @Override
    public String text() {
      return "the policy lets " + syscall + " reach the kernel without the supervisor, which keeps the inodes a Landlock"
          + " ruleset is attached to in place: label rules stay with the supervisor";
    }
  }

  /** A reason one syscall's label rules stay with the supervisor: {@code name: why}. */
  sealed interface OfSyscall extends Reason {
    /** The syscall's number. */
    int nr();

    /** Its name ({@code #nr} when the table does not know it). */
    String syscall();

    /** Why, without the syscall's name. */
    String why();

    @Override
    default String text() {
      return syscall() + ": " + why();
    }
  }

  /** Landlock lowers only some syscalls' objects; {@code syscall} is not one of them. */
  record NotLowerable(int nr, String syscall) implements OfSyscall {
    @Override
    public String why() {
      return "lowered to Landlock are open, openat, creat, mkdir, mkdirat, unlink, unlinkat and rmdir;"
          + " what " + syscall + " does to its object is left to the supervisor";
    }
  }

  /**
   * {@code syscall}'s rules read the address it names (addr, port, family, type, protocol, path,
   * or its network label), which seccomp cannot read: it is behind a pointer.
   */
  record SocketAddress(int nr, String syscall) implements OfSyscall {
    @Override
    public String why() {
      return "its rules read the address the call names, which seccomp cannot read (it is behind a pointer):"
          + " the supervisor reads it once, decides, and performs the call on the task's socket";
    }
  }

  /** No cgroup v2 hierarchy is mounted: socket rules stay with the supervisor. */
  record NoCgroupV2() implements OfKernel {
    @Override
    public String text() {
      return "no cgroup v2 hierarchy is mounted here: socket rules stay with the supervisor, which reads the address from the task";
    }
  }

  /** This kernel does not load programs for the cgroup hooks {@code hooks} {@code syscall} needs (or evfilter may not load them). */
  record HookMissing(int nr, String syscall, String hooks) implements OfSyscall, OfKernel {
    @Override
    public String why() {
      return "cgroup eBPF programs for " + hooks + " cannot be loaded here (a kernel without them, or no CAP_BPF):"
          + " the supervisor decides";
    }
  }

  /** {@code syscall}'s socket rules cannot be decided at its cgroup hooks: {@code why} says which rule and what. */
  record NotAtHook(int nr, String syscall, String why) implements OfSyscall {}

  /** The policy's rules on {@code syscall} say what Landlock cannot: {@code why} names the rule and what. */
  record NotExpressible(int nr, String syscall, String why) implements OfSyscall {}

  /** The kernel's Landlock ABI {@code abi} lacks {@code rights} (bits of FsAccess) {@code syscall} needs. */
  record AbiLacksRight(int nr, String syscall, int abi, long rights, String why) implements OfSyscall, OfKernel {}

  /**
   * What building the ruleset found on this file system keeps {@code syscall} from it: an object
   * whose xattr labels it otherwise than its path, hard links, a bind mount, a scan that failed.
   */
  record FoundAtLaunch(int nr, String syscall, String why) implements OfSyscall, OfKernel {}
}
