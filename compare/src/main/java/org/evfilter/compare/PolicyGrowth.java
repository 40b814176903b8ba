package org.evfilter.compare;

import java.nio.file.Path;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;

/**
 * A policy grown by {@code n} rules, to chart how each design's cost grows with policy size: the
 * base policy (included, so its labels keep their bits) plus, in turn, a label rule on openat
 * (which BPF cannot decide: it defers), an ioctl command rule and a socket family/type rule (which
 * BPF decides). The added rules deny; where no event reaches them they cost only their evaluation.
 */
public final class PolicyGrowth {
  private PolicyGrowth() {}

  /** The text of {@code base} grown by {@code n} rules, with at most {@code freeLabels} new labels. */
  public static String text(Path base, int n, int freeLabels) {
    StringBuilder b = new StringBuilder("# ").append(base.getFileName()).append(" grown by ").append(n).append(" rules\n");
    b.append("include \"").append(base.toAbsolutePath().normalize().toString().replace("\"", "\\\"")).append("\"\n");
    int labels = Math.max(0, Math.min(freeLabels, (n + 2) / 3));
    for (int i = 0; i < labels; i++) {
      b.append("label grown").append(i).append('\n');
    }
    for (int i = 0; i < n; i++) {
      switch (labels > 0 ? i % 3 : 1 + i % 2) {
        case 0 -> b.append("errno(EACCES) openat: label & grown").append((i / 3) % labels).append(" && flags & O_WRONLY\n");
        case 1 -> b.append("errno(ENOTTY) ioctl: cmd == ").append(String.format("0x%x", 0x7400 + i)).append('\n');
        default -> b.append("errno(EAFNOSUPPORT) socket: family == ").append(1 + i % 40).append(" && type == ").append(1 + i % 5).append('\n');
      }
    }
    return b.toString();
  }

  /** {@link #text}, bound for the base policy's arch. */
  public static BoundPolicy grow(Path base, BoundPolicy bound, int n) {
    return PolicyBinder.bind(base.getFileName() + "+" + n, text(base, n, 64 - bound.labels().size()), KernelFacts.ofThisMachine(),
        bound.arch());
  }
}
