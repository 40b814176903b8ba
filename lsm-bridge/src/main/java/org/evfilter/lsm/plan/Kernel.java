package org.evfilter.lsm.plan;

import java.nio.file.Files;
import java.nio.file.Path;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.natives.LandlockAbi;

/**
 * The facts about the kernel an enforcement plan depends on: the Landlock ABI (0: none), whether
 * SELinux is active, whether cgroup v2 is mounted, and the ABI the program is for.
 */
public record Kernel(int landlockAbi, boolean selinux, boolean cgroupV2, Arch arch) {
  /** This machine's facts, for a program of {@code arch}. */
  public static Kernel ofThisMachine(Arch arch) {
    return assuming(LandlockAbi.version(), arch);
  }

  /** This machine's facts, but Landlock ABI {@code abi} (what an older kernel has, or a plan asked for). */
  public static Kernel assuming(int abi, Arch arch) {
    return new Kernel(abi, Files.exists(Path.of("/sys/fs/selinux/enforce")), Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")),
        arch);
  }

  /** These facts with Landlock ABI {@code abi} instead. */
  public Kernel withLandlockAbi(int abi) {
    return new Kernel(abi, selinux, cgroupV2, arch);
  }
}
