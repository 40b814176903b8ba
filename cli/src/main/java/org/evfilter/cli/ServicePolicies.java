package org.evfilter.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /**
   * What {@code run}'s options ask of the service: the files relative to the launcher's working
   * directory, or why {@code run} itself must answer.
   */
  private record RunOptions(Optional<String> fallback, Path policy, List<Path> labels, boolean landlock, Integer landlockAbi,
      boolean socketHooks, Optional<Path> audit, boolean quiet, long avcSize) {}

  /** How many distinct option lists are kept read: a service's launches repeat a few. */
  private static final int OPTION_LISTS = 64;

  // Building picocli's model of `run` costs milliseconds and reading the options about one; the
  // same options come again with every launch of the same sandbox, so they are read once.
  private final Map<List<String>, RunOptions> read = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<List<String>, RunOptions> eldest) {
      return size() > OPTION_LISTS;
    }
  };

  @Override
  public RunAnswer run(List<String> args, Path cwd) {
    // The command after `--` changes nothing the service is asked: the options before it are the key.
    int end = args.indexOf("--");
    List<String> options = List.copyOf(end < 0 ? args.subList(1, args.size()) : args.subList(1, end));
    RunOptions o;
    synchronized (read) {
      o = read.get(options);
    }
    if (o == null) {
      o = options(args.subList(1, args.size()));
      synchronized (read) {
        read.put(options, o);
      }
    }
    if (o.fallback().isPresent()) {
      return new Fallback(o.fallback().get());
    }
    Path policy = cwd.resolve(o.policy()).normalize();
    List<Path> labels = o.labels().stream().map(f -> cwd.resolve(f).normalize()).toList();
    RunPlanning.Outcome outcome = compiled.plan(new CompiledPolicies.Key(policy, labels, o.landlock(), o.landlockAbi(), o.socketHooks()));
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
    long avcSize = o.avcSize();
    return new Plan(warnings, c.program(), c.notifies(), p.plan().ruleset().map(LandlockRuleset::serialise), p.plan().sockets().programs(),
        o.audit().map(a -> cwd.resolve(a).normalize()), o.quiet(), new Supervision() {
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

  // `run ARGS` read as run reads them.
  private static RunOptions options(List<String> all) {
    RunCommand run = new RunCommand();
    CommandLine line = new CommandLine(run);
    try {
      line.parseArgs(all.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      return fallback("run says what is wrong with its arguments");
    }
    if (line.isUsageHelpRequested() || line.isVersionHelpRequested() || run.dryRun) {
      return fallback("--help, --version and --dry-run are answered by run itself");
    }
    if (run.enableAudit) {
      return fallback("--enable-audit switches the kernel's auditing for run itself");
    }
    if (run.attachPid != null || run.cacheEntry != null) {
      return fallback("the cached start is run's own");
    }
    return new RunOptions(Optional.empty(), run.policyFile, List.copyOf(run.labelsOption.files), run.landlock == RunCommand.LandlockMode.auto,
        run.landlockAbi, run.socketHooks == RunCommand.HooksMode.auto, Optional.ofNullable(run.auditFile), run.quiet, run.avcSize);
  }

  private static RunOptions fallback(String why) {
    return new RunOptions(Optional.of(why), null, List.of(), false, null, false, Optional.empty(), false, 0);
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
