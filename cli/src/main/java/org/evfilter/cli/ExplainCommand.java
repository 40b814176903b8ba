package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.landlock.FsAccess;
import org.evfilter.lsm.landlock.LandlockPlan;
import org.evfilter.lsm.natives.LandlockAbi;
import org.evfilter.lsm.plan.EnforcementPlan;
import org.evfilter.lsm.plan.Kernel;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.eval.PolicyAnalysis;
import org.evfilter.predicates.eval.PolicyEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter explain}: the bound policy, syscall by syscall, and what to worry about. */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = {
      "Show a bound policy: for each syscall the rules that decide it, most restrictive first",
      "(the first that matches wins), then the default; and the warnings: rules that never match,",
      "rules another rule always overrides, syscalls left open that bypass path checks, and, when",
      "rules read labels, the syscalls left open around them (io_uring, open_by_handle_at, mount...).",
      "Each rule says where `evfilter run` enforces it: BPF (the seccomp program), Landlock (a",
      "ruleset built from the policy's file_contexts trees), or the supervisor; then what Landlock",
      "decides, on which trees, what it cannot and why, and where it differs from the policy.",
      ""
    },
    footer = {"", "Examples:", "  evfilter explain --policy samples/policies/valid/openat-labels.evf",
      "  evfilter explain --policy samples/policies/valid/cat.evf --json",
      "", "Exit status: 0 shown; 1 a bad policy."})
final class ExplainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--policy", required = true, paramLabel = "FILE.evf", description = "The policy.")
  Path policyFile;

  @Mixin LabelsOption labelsOption;

  @Option(names = "--all", description = "List every syscall, also those only the default decides.")
  boolean all;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Option(names = "--landlock-abi", paramLabel = "N", description = "Plan for Landlock ABI N (0: no Landlock) instead of"
      + " this kernel's.")
  Integer landlockAbi;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<BoundPolicy> loaded = PolicyFiles.load("explain", policyFile, labelsOption.files, err);
    if (loaded.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    PolicyEngine engine = PolicyEngine.compile(loaded.get(), Arch.X86_64);
    List<PolicyAnalysis.Finding> findings = PolicyAnalysis.analyse(engine);
    EnforcementPlan enforcement;
    try {
      // Planned for the program run installs: its rules are the policy's, in order, then the supervisor's.
      enforcement = EnforcementPlan.of(loaded.get(), Kernel.assuming(landlockAbi != null ? landlockAbi : LandlockAbi.version(),
          Arch.X86_64), new EnforcementPlan.Options(SeccompCompiler.Options.defaults(), EnforcementPlan.Landlock.PLAN, true,
          true));
    } catch (org.evfilter.lsm.bpf.BpfException e) {
      err.println("evfilter explain: " + policyFile + ": " + e.getMessage());
      return Main.INPUT_ERROR;
    } catch (java.io.IOException e) {
      err.println("evfilter explain: " + e.getMessage()); // only building a ruleset reads files: not done here
      return Main.ENVIRONMENT_ERROR;
    }
    Explained e = new Explained(loaded.get(), engine, findings, enforcement);
    if (json) {
      json(out, e);
    } else {
      text(out, e);
    }
    return 0;
  }

  // What explain shows, and where each rule on each syscall is enforced.
  private record Explained(BoundPolicy policy, PolicyEngine engine, List<PolicyAnalysis.Finding> findings, EnforcementPlan plan) {
    String enforced(PolicyEngine.CompiledRule r, int nr) {
      return Enforcement.where(plan.where(policy.rules().indexOf(r.rule()), nr));
    }
  }

  private void json(PrintWriter out, Explained e) {
    PolicyEngine engine = e.engine();
    LandlockPlan plan = e.plan().landlock().orElseThrow();
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = m.createObjectNode().put("policy", policyFile.toString()).put("default", engine.policy().defaultAction().toString());
    root.putPOJO("labels", engine.policy().labels());
    ArrayNode syscalls = root.putArray("syscalls");
    for (Syscall s : SyscallTable.of(Arch.X86_64).all()) {
      List<PolicyEngine.CompiledRule> rules = engine.rules(s.nr());
      if (rules.isEmpty() && !all) {
        continue;
      }
      ObjectNode o = syscalls.addObject().put("name", s.name()).put("nr", s.nr());
      ArrayNode rs = o.putArray("rules");
      for (PolicyEngine.CompiledRule r : rules) {
        rs.addObject().put("action", r.rule().action().toString()).put("filter", r.rule().filterText().orElse(null))
            .put("origin", r.rule().origin()).put("enforced", e.enforced(r, s.nr()));
      }
    }
    ArrayNode relabel = root.putArray("relabelling");
    relabelling(e.policy()).forEach(relabel::add);
    ArrayNode w = root.putArray("warnings");
    e.findings().forEach(f -> Findings.json(w, f));
    ObjectNode ll = root.putObject("landlock").put("abi", plan.abi()).put("handled", FsAccess.names(plan.handled()));
    ArrayNode lowered = ll.putArray("syscalls");
    plan.lowered().keySet().forEach(nr -> lowered.add(Enforcement.syscalls(List.of(nr))));
    ArrayNode trees = ll.putArray("trees");
    plan.trees().forEach(g -> trees.addObject().put("origin", g.origin()).put("regex", g.regex()).put("label", g.label())
        .put("rights", FsAccess.names(g.rights())));
    ArrayNode fb = ll.putArray("supervisor");
    e.plan().reasons().forEach(f -> fb.add(f.text()));
    ArrayNode notes = ll.putArray("notes");
    plan.notes().forEach(notes::add);
    out.println(root);
  }

  private void text(PrintWriter out, Explained e) {
    PolicyEngine engine = e.engine();
    LandlockPlan plan = e.plan().landlock().orElseThrow();
    out.println("policy " + policyFile + ": default " + engine.policy().defaultAction()
        + (engine.policy().labels().isEmpty() ? "" : ", labels " + String.join(", ", engine.policy().labels()))
        + "; an event of another ABI: " + PolicyEngine.BAD_ARCH);
    int decided = 0;
    for (Syscall s : SyscallTable.of(Arch.X86_64).all()) {
      List<PolicyEngine.CompiledRule> rules = engine.rules(s.nr());
      if (rules.isEmpty()) {
        if (all) {
          out.printf("  %-20s %s (default)%n", s.name(), engine.policy().defaultAction());
        }
        continue;
      }
      decided++;
      out.printf("  %s (%d):%n", s.name(), s.nr());
      boolean unconditional = false;
      for (PolicyEngine.CompiledRule r : rules) {
        out.printf("    %-16s %-50s %s [%s]%n", r.rule().action(), r.rule().filterText().map(t -> "if " + t).orElse("always"),
            r.rule().origin(), e.enforced(r, s.nr()));
        if (r.filter() == null) {
          unconditional = true;
          break;
        }
      }
      if (!unconditional) {
        out.printf("    %-16s %-50s%n", engine.policy().defaultAction(), "otherwise (default)");
      }
    }
    out.println(decided + " syscalls have rules; the other " + (SyscallTable.of(Arch.X86_64).all().size() - decided)
        + " get the default" + (all ? "" : " (--all lists them)"));
    out.println("labels belong to objects: " + String.join("; ", relabelling(e.policy())));
    out.println("enforcement:");
    Enforcement.printSockets(out, "  ", e.plan().sockets());
    Enforcement.print(out, "  ", plan, e.plan().reasons(), Optional.empty());
    if (!e.findings().isEmpty()) {
      out.println("warnings:");
      e.findings().forEach(f -> out.println("  " + Findings.line(f)));
    }
  }

  // What the policy says of relabelling: nothing to keep (no label rules), nothing allowed, or the rules that allow it.
  private static List<String> relabelling(BoundPolicy p) {
    if (!p.readsLabels()) {
      return List.of("no label rules");
    }
    List<String> allowing = p.relabellingRules().stream().map(r -> "relabelling allowed by " + r.origin() + ": " + r.action()
        + " " + Enforcement.syscalls(new java.util.TreeSet<>(r.syscalls())) + ": " + r.filterText().orElse("")).toList();
    return allowing.isEmpty() ? List.of("no rule allows relabelling (no rule reads new_label): a move or link that would change"
        + " an object's labels is refused (EXDEV), a label xattr write or removal too (EACCES)") : allowing;
  }
}
