package org.evfilter.lsm.landlock;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.evfilter.lsm.compile.LandlockGate;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.plan.Reason;
import org.evfilter.predicates.BoundPolicy.Verdict;

/**
 * Where a policy is enforced once its label rules that Landlock can express are lowered to it:
 * the syscalls whose labels a Landlock ruleset decides, the rights each label grants and on which
 * file_contexts trees, the seccomp program that lets those calls reach Landlock, where every rule
 * ends up, and what the lowering could not take (it stays with the supervisor) or changes.
 *
 * @param abi the Landlock ABI version planned for (0: no Landlock)
 * @param lowered the syscalls (numbers) Landlock decides labels for, with the calls kept for the supervisor
 * @param grants the rights each label set (bits, as the policy numbers labels) is granted
 * @param handled the rights the ruleset handles: anything outside {@code grants} is refused
 * @param trees the file_contexts entries the ruleset is built from
 * @param placements each rule and where it is enforced
 * @param fallbacks why the label rules of a syscall stay with the supervisor, or Landlock is not used
 * @param notes where Landlock decides differently in ways the policy cannot: stricter, or another errno
 * @param compilation the program to install with the ruleset
 */
public record LandlockPlan(int abi, Map<Integer, LandlockGate> lowered, Map<Long, Long> grants, long handled, List<TreeGrant> trees,
    List<Placement> placements, List<Reason> fallbacks, List<String> notes, SeccompCompiler.Compilation compilation) {
  public LandlockPlan {
    lowered = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(lowered));
    grants = Map.copyOf(grants);
    trees = List.copyOf(trees);
    placements = List.copyOf(placements);
    fallbacks = List.copyOf(fallbacks);
    notes = List.copyOf(notes);
  }

  /** A file_contexts entry whose label Landlock grants rights on. */
  public record TreeGrant(String origin, String regex, String label, long rights, FileTree tree) {
    /** The entry as file_contexts wrote it, and the rights: {@code /usr(/.*)? usr_t: read-file, read-dir}. */
    @Override
    public String toString() {
      return origin + " " + regex + " " + label + ": " + FsAccess.names(rights);
    }
  }

  /** Where a rule is enforced. */
  public enum Where { BPF, LANDLOCK, SUPERVISOR }

  /**
   * A rule and where it is enforced (a rule on several syscalls may be enforced in several places).
   *
   * @param deferred whether BPF alone cannot decide it (it reads labels or strings)
   * @param readsArguments whether it also tests arguments BPF reads
   */
  public record Placement(String origin, Verdict action, String filter, Set<Where> where, boolean deferred, boolean readsArguments) {}

  /** Where the policy's rule number {@code rule} is enforced for syscall {@code nr}. */
  public Set<Where> where(int rule, int nr) {
    Placement p = placements.get(rule);
    if (!p.deferred()) {
      return Set.of(Where.BPF);
    }
    if (lowered.containsKey(nr)) {
      return p.readsArguments() ? java.util.EnumSet.of(Where.BPF, Where.LANDLOCK) : Set.of(Where.LANDLOCK);
    }
    return Set.of(Where.SUPERVISOR);
  }

  /** Whether Landlock decides anything: a ruleset is to be built. */
  public boolean usesLandlock() {
    return !lowered.isEmpty();
  }
}
