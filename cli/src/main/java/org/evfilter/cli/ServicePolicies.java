package org.evfilter.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.lsm.landlock.LandlockRuleset;
import org.evfilter.lsm.service.Policies;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.predicates.BoundPolicy;
import picocli.CommandLine;

/**
 * The policies of {@code evfilter serve}: a launcher's {@code run} arguments read as {@code run}
 * reads them (relative paths from the launcher's working directory), planned through {@link
 * RunPlanning} as {@code run} plans, each plan kept ({@link CompiledPolicies}); what {@code run}
 * alone can do ({@code --dry-run}, {@code --help}, {@code --enable-audit}, the cached start) left
 * to it.
 */
final class ServicePolicies implements Policies {
  private final CompiledPolicies compiled = new CompiledPolicies();

  @Override
  public RunAnswer run(List<String> args, Path cwd) {
    RunCommand run = new RunCommand();
    CommandLine line = new CommandLine(run);
    try {
      line.parseArgs(args.subList(1, args.size()).toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      return new Fallback("run says what is wrong with its arguments");
    }
    if (line.isUsageHelpRequested() || line.isVersionHelpRequested() || run.dryRun) {
      return new Fallback("--help, --version and --dry-run are answered by run itself");
    }
    if (run.enableAudit) {
      return new Fallback("--enable-audit switches the kernel's auditing for run itself");
    }
    if (run.attachPid != null || run.cacheEntry != null) {
      return new Fallback("the cached start is run's own");
    }
    Path policy = cwd.resolve(run.policyFile).normalize();
    List<Path> labels = run.labelsOption.files.stream().map(f -> cwd.resolve(f).normalize()).toList();
    RunPlanning.Outcome outcome = compiled.plan(new CompiledPolicies.Key(policy, labels,
        run.landlock == RunCommand.LandlockMode.auto, run.landlockAbi, run.socketHooks == RunCommand.HooksMode.auto));
    if (outcome instanceof RunPlanning.Failed f) {
      return new Refused(f.message(), f.status());
    }
    RunPlanning.Planned p = (RunPlanning.Planned) outcome;
    BoundPolicy bound = p.sources().policy();
    SeccompCompiler.Compilation c = p.plan().compilation();
    String warnings = p.warnings() + p.plan().landlockDecides().map(l -> "evfilter run: Landlock decides the labels of "
        + Enforcement.syscalls(l.lowered().keySet()) + " in the kernel; its refusals are EACCES and are not reported through the"
        + " service (--landlock=off has the supervisor decide and report them)\n").orElse("");
    Set<List<Long>> anchors = p.plan().ruleset().map(LandlockRuleset::anchors).orElse(Set.of());
    long avcSize = run.avcSize;
    return new Plan(warnings, c.program(), c.notifies(), p.plan().ruleset().map(LandlockRuleset::serialise), p.plan().sockets().programs(),
        Optional.ofNullable(run.auditFile).map(a -> cwd.resolve(a).normalize()), run.quiet, new Supervision() {
          @Override
          public Supervisor supervisor(org.evfilter.lsm.supervise.AuditLog audit) {
            return RunPlanning.supervisor(bound, anchors, audit, avcSize);
          }

          @Override
          public String summary(Supervisor.Summary summary) {
            return RunPlanning.summary(summary);
          }
        });
  }

  @Override
  public ContainerAnswer container(Path file) {
    RunPlanning.Outcome outcome = compiled.plan(new CompiledPolicies.Key(file.toAbsolutePath().normalize(), List.of(), false, null, false));
    if (outcome instanceof RunPlanning.Failed f) {
      return new Unsupervised(f.message().strip().replace('\n', ' '));
    }
    BoundPolicy bound = ((RunPlanning.Planned) outcome).sources().policy();
    return new Supervised(new Supervision() {
      @Override
      public Supervisor supervisor(org.evfilter.lsm.supervise.AuditLog audit) {
        return RunPlanning.supervisor(bound, Set.of(), audit, 16384);
      }

      @Override
      public String summary(Supervisor.Summary summary) {
        return RunPlanning.summary(summary).replaceFirst("^evfilter run: ", "");
      }
    });
  }
}
