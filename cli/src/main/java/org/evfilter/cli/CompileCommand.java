package org.evfilter.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.lsm.bpf.Disassembler;
import org.evfilter.lsm.compile.SeccompCompiler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter compile}: a policy to a seccomp cBPF program. */
@Command(
    name = "compile",
    mixinStandardHelpOptions = true,
    description = {
      "Compile a policy to a default-deny seccomp cBPF program.",
      "The arch is checked first; syscall numbers are dispatched by a tree over ranges with the same"
          + " decision; arguments are compared at their real width. Predicates BPF cannot decide (labels,"
          + " strings) make the program return USER_NOTIF for exactly the syscalls and argument values"
          + " concerned. Statistics go to stderr: length, tree depth, syscalls the kernel's action cache"
          + " allows without running the filter, rules deferred to user space. With --landlock-abi, the"
          + " program `evfilter run` installs next to a Landlock ruleset, and where each rule is enforced.",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter compile samples/policies/valid/base.evf",
      "  evfilter compile P.evf --format raw -o p.bpf && bwrap --seccomp 3 3<p.bpf --bind / / true",
      "  evfilter compile P.evf --frequencies trace.jsonl --format dot | dot -Tsvg > p.svg",
      "  evfilter compile samples/policies/valid/workspace.evf --landlock-abi 7   # the program run installs with Landlock",
      "", "Exit status: 0 compiled; 1 a bad policy or trace, or a program too large for the kernel."})
final class CompileCommand implements Callable<Integer> {
  enum Format { disasm, raw, dot, c }

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY.evf", description = "The policy.")
  Path policyFile;

  @Mixin CompileOptions compileOptions;

  @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "disasm",
      description = "disasm (libseccomp's scmp_bpf_disasm layout), raw (struct sock_filter[], host byte order),"
          + " dot (Graphviz) or c (a C initialiser). Default: ${DEFAULT-VALUE}.")
  Format format;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the program here instead of stdout.")
  Path output;


  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    Optional<SeccompCompiler.Compilation> c = compileOptions.compile("compile", policyFile, err);
    if (c.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    SeccompCompiler.Compilation compiled = c.get();
    byte[] bytes = switch (format) {
      case raw -> compiled.program().toRaw();
      case disasm -> Disassembler.text(compiled.program().instructions()).getBytes(StandardCharsets.UTF_8);
      case dot -> Disassembler.dot(compiled.program().instructions()).getBytes(StandardCharsets.UTF_8);
      case c -> Disassembler.c(compiled.program().instructions(), "filter").getBytes(StandardCharsets.UTF_8);
    };
    if (output != null) {
      Files.write(output, bytes);
    } else if (format != Format.raw) {
      spec.commandLine().getOut().print(new String(bytes, StandardCharsets.UTF_8));
      spec.commandLine().getOut().flush();
    } else {
      OutputStream out = StandardStreams.out();
      out.write(bytes);
      out.flush();
    }
    SeccompCompiler.Stats s = compiled.stats();
    err.printf("%s: %d instructions (%d before optimising), tree depth %d over %d ranges of syscall numbers,"
        + " %d syscalls cacheable by the kernel, %d of %d rules deferred to user space%n",
        policyFile, s.length(), compiled.unoptimised().size(), s.treeDepth(), s.ranges(), s.cacheable(),
        s.deferredRules(), compiled.rules().size());
    org.evfilter.events.syscalls.SyscallTable table = org.evfilter.events.syscalls.SyscallTable.of(
        compileOptions.arch().orElse(org.evfilter.events.syscalls.Arch.X86_64));
    for (int i = 0; i < compiled.rules().size(); i++) {
      SeccompCompiler.RuleLowering r = compiled.rules().get(i);
      if (r.deferred()) {
        String where = Enforcement.where(compileOptions.plan.where(i));
        err.printf("  deferred: %s: %s %s: %s (labels or strings: enforced by %s)%n", r.origin(), r.action(),
            r.syscalls().isEmpty() ? "(every syscall)" : String.join(", ", r.syscalls().stream().sorted()
                .map(nr -> table.byNumber(nr).map(org.evfilter.events.syscalls.Syscall::name).orElse("#" + nr)).toList()),
            r.filter(), where);
      }
    }
    compileOptions.plan.landlock().ifPresent(pl -> Enforcement.print(err, "  ", pl, compileOptions.plan.reasons(), Optional.empty()));
    err.flush();
    return 0;
  }
}
