package org.evfilter.tests.containers;

import java.nio.file.Files;
import java.nio.file.Path;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.natives.LinuxXattrs;
import org.evfilter.lsm.natives.SeccompListener;
import org.evfilter.lsm.supervise.AuditLog;
import org.evfilter.lsm.supervise.Supervisor;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;

/**
 * The smallest seccomp agent over the supervisor, for tests until {@code evfilter serve} runs
 * containers: supervises the container whose listener it inherited (argument 1, a descriptor)
 * with the policy file (argument 2), in the container's root, its denials on stderr.
 */
public final class ListenerAgent {
  private ListenerAgent() {}

  public static void main(String[] args) throws Exception {
    Path policyFile = Path.of(args[1]);
    BoundPolicy policy = PolicyBinder.bind(policyFile.toString(), Files.readString(policyFile), KernelFacts.ofThisMachine(), Arch.X86_64);
    Supervisor.Summary s = new Supervisor(policy, policy.labelResolver(1024, LinuxXattrs.reader()), AuditLog.none(), 1024).inTaskRoot()
        .reportDenials(line -> System.err.println("agent: " + line)).serve(new SeccompListener(Integer.parseInt(args[0])));
    System.err.println("agent: done, " + s.notifications() + " notifications, " + s.denied() + " denied");
  }
}
