package org.evfilter.lsm.plan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.cgroup.CgroupLeaf;
import org.evfilter.lsm.cgroup.SocketHooks;
import org.evfilter.lsm.natives.LandlockAbi;

/**
 * The facts about the kernel an enforcement plan depends on: the Landlock ABI (0: none), whether
 * SELinux is active, whether a run can be kept in a cgroup v2 leaf (mounted, and Landlock to lock
 * it) and which cgroup socket hooks take programs here,
 * and the ABI the program is for.
 */
public record Kernel(int landlockAbi, boolean selinux, boolean cgroupV2, Set<SocketHooks.Group> socketHooks, Arch arch) {
  public Kernel {
    socketHooks = socketHooks.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(socketHooks));
  }

  /** Facts without cgroup socket hooks (a plan that leaves socket rules to the supervisor). */
  public Kernel(int landlockAbi, boolean selinux, boolean cgroupV2, Arch arch) {
    this(landlockAbi, selinux, cgroupV2, Set.of(), arch);
  }

  /** This machine's facts, for a program of {@code arch}. */
  public static Kernel ofThisMachine(Arch arch) {
    return assuming(LandlockAbi.version(), arch);
  }

  /**
   * This machine's facts, but Landlock ABI {@code abi} (what an older kernel has, or a plan asked
   * for); the socket hooks are probed by loading a program for each (none without the right to).
   */
  public static Kernel assuming(int abi, Arch arch) {
    // A run's leaf is closed by Landlock (the launcher locks the hierarchy's files), whatever the
    // plan does with Landlock for the policy's own rules.
    boolean cgroup = CgroupLeaf.mount().isPresent() && LandlockAbi.version() > 0;
    return new Kernel(abi, Files.exists(Path.of("/sys/fs/selinux/enforce")), cgroup, cgroup ? SocketHooks.available() : Set.of(), arch);
  }

  /** These facts with Landlock ABI {@code abi} instead. */
  public Kernel withLandlockAbi(int abi) {
    return new Kernel(abi, selinux, cgroupV2, socketHooks, arch);
  }
}
