package org.evfilter.lsm.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.evfilter.lsm.cgroup.SocketHooks;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Supervisor;

/**
 * What the service needs of evfilter's policies, supplied by the command line (which owns the
 * policy language's loading, planning and messages): the plan for a launcher's {@code run}, the
 * supervision of a container's policy. Implementations compile each policy once and keep it.
 */
public interface Policies {
  /** The answer to {@code evfilter run ARGS} asked from the working directory {@code cwd}. */
  RunAnswer run(List<String> args, Path cwd);

  /** The supervision of a container whose profile names the policy {@code file}, or why there is none. */
  ContainerAnswer container(Path file);

  /** One sandbox's supervision: its own supervisor, and the line said when it ends. */
  interface Supervision {
    /** A new supervisor (own labels, AVC, statistics) writing its decisions to {@code audit}. */
    Supervisor supervisor(AuditLog audit);

    /** What {@code run} says at the end of a supervised command. */
    String summary(Supervisor.Summary summary);
  }

  /** What the launcher is told. */
  sealed interface RunAnswer {}

  /** The service does not serve this run ({@code --dry-run}, {@code --help}...): the launcher runs evfilter itself. */
  record Fallback(String why) implements RunAnswer {}

  /** The run stops before the command starts, with {@code message} and the exit status {@code run} would give. */
  record Refused(String message, int status) implements RunAnswer {}

  /**
   * The command is to run under {@code program} (a listener when {@code listen}), restricted first
   * by the serialised Landlock {@code ruleset} when there is one, in a cgroup leaf with {@code
   * socketPrograms} attached when there are any; {@code warnings} said first; decisions written as
   * JSON Lines to {@code audit} when given; denials said unless {@code quiet}.
   */
  record Plan(String warnings, BpfProgram program, boolean listen, Optional<byte[]> ruleset, List<SocketHooks.HookProgram> socketPrograms,
      Optional<Path> audit, boolean quiet, Supervision supervision) implements RunAnswer {
    public Plan {
      socketPrograms = List.copyOf(socketPrograms);
    }
  }

  /** What a container gets. */
  sealed interface ContainerAnswer {}

  /** The container's notifications are supervised so. */
  record Supervised(Supervision supervision) implements ContainerAnswer {}

  /** No supervision: {@code why} (no such policy, a bad one). */
  record Unsupervised(String why) implements ContainerAnswer {}
}
