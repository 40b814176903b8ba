package org.evfilter.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.cgroup.SocketHooks;
import org.evfilter.lsm.landlock.FsAccess;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.lsm.landlock.LandlockRuleset;
import org.evfilter.lsm.plan.EnforcementPlan;
import org.evfilter.lsm.plan.Reason;

/** Says where a policy is enforced (BPF, Landlock, the supervisor), for {@code explain} and {@code run --dry-run}. */
final class Enforcement {
  private Enforcement() {}

  /** {@code BPF}, {@code Landlock}, {@code BPF+Landlock}, {@code supervisor}. */
  static String where(EnforcementPlan.Placement p) {
    return switch (p) {
      case BPF -> "BPF";
      case BPF_AND_LANDLOCK -> "BPF+Landlock";
      case LANDLOCK -> "Landlock";
      case CGROUP_EBPF -> "cgroup-eBPF";
      case SUPERVISOR -> "supervisor";
    };
  }

  /** Each place, joined with {@code +}: {@code BPF+Landlock+supervisor}. */
  static String where(Set<EnforcementPlan.Placement> w) {
    return w.stream().sorted().map(Enforcement::where).collect(Collectors.joining("+"));
  }

  static String syscalls(java.util.Collection<Integer> nrs) {
    SyscallTable t = SyscallTable.of(Arch.X86_64);
    return nrs.stream().map(nr -> t.byNumber(nr).map(s -> s.name()).orElse("#" + nr)).collect(Collectors.joining(", "));
  }

  /** What the cgroup eBPF programs decide, at which hooks; nothing when they decide nothing. */
  static void printSockets(PrintWriter out, String indent, SocketHooks.Lowering sockets) {
    sockets.decided().forEach((group, programs) -> out.println(indent + "cgroup eBPF decides " + String.join(", ", group.syscalls())
        + " in the kernel (" + programs.stream().map(p -> p.hook().name() + " " + p.program().size() + " insns")
            .collect(Collectors.joining(", ")) + ", on the run's cgroup leaf; a rule's errno by bpf_set_retval)"));
  }

  /** The plan: what Landlock decides and on which trees, what stays with the supervisor and why, the notes. */
  static void print(PrintWriter out, String indent, LandlockPlan plan, List<Reason> reasons, Optional<LandlockRuleset> built) {
    if (plan.usesLandlock()) {
      out.println(indent + "Landlock (ABI " + plan.abi() + ") decides the labels of " + syscalls(plan.lowered().keySet())
          + "; it handles " + FsAccess.names(plan.handled()) + " and grants:");
      for (LandlockPlan.TreeGrant g : plan.trees()) {
        out.println(indent + "  " + g);
      }
      built.ifPresent(r -> {
        out.println(indent + "  expanded here to " + r.rules().size() + " rules; " + r.scanned()
            + " objects beneath them scanned for label xattrs, none deciding otherwise:");
        r.rules().forEach(rule -> out.println(indent + "    " + rule.path() + (rule.directory() ? "/..." : "") + ": "
            + FsAccess.names(rule.rights())));
      });
    } else {
      out.println(indent + "Landlock decides nothing" + (plan.abi() == 0 ? " (not available here)" : "") + ".");
    }
    if (!reasons.isEmpty()) {
      out.println(indent + "left to the supervisor:");
      reasons.forEach(f -> out.println(indent + "  " + f.text()));
    }
    if (!plan.notes().isEmpty()) {
      out.println(indent + "where Landlock differs from the policy:");
      plan.notes().forEach(n -> out.println(indent + "  " + n));
    }
  }
}
