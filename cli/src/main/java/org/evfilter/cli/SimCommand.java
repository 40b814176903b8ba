package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.evfilter.events.SyscallEvent;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.events.trace.TraceReader;
import org.evfilter.events.trace.Traces;
import org.evfilter.lsm.bpf.ActionCache;
import org.evfilter.lsm.bpf.BpfException;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.Disassembler;
import org.evfilter.lsm.bpf.SeccompData;
import org.evfilter.lsm.compile.SeccompCompiler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter sim}: a BPF program over recorded traces, in the interpreter. */
@Command(
    name = "sim",
    mixinStandardHelpOptions = true,
    description = {
      "Run a seccomp program over recorded syscall traces in the interpreter.",
      "The interpreter validates and runs programs exactly as the kernel does. Reported: events per"
          + " action, instructions executed per syscall (mean, p50, p99, max), also with the kernel's"
          + " action cache (cached syscalls run no instruction), program length, cacheable syscalls.",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter sim samples/policies/valid/base.evf trace.strace",
      "  evfilter sim --bpf docker.bpf trace1.jsonl trace2.jsonl --json",
      "", "Exit status: 0 done; 1 a bad policy, program or trace."})
final class SimCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "POLICY.evf TRACE", arity = "1..*",
      description = "The policy to compile (unless --bpf), then the traces (strace, TSV or JSONL).")
  List<Path> files;

  @Option(names = "--bpf", paramLabel = "FILE", description = "Run this raw program (struct sock_filter[]) instead of compiling a policy.")
  Path bpf;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Mixin CompileOptions compileOptions;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    BpfProgram program;
    List<Path> traces;
    if (bpf != null) {
      try {
        program = BpfProgram.fromRaw(Files.readAllBytes(bpf));
      } catch (NoSuchFileException e) {
        err.println("evfilter sim: no such file: " + bpf);
        return Main.INPUT_ERROR;
      } catch (BpfException e) {
        err.println("evfilter sim: " + bpf + ": the kernel would refuse this program: " + e.getMessage());
        return Main.INPUT_ERROR;
      }
      traces = files;
    } else {
      if (files.size() < 2) {
        err.println("evfilter sim: give a policy and at least one trace, or --bpf FILE and traces");
        return Main.INPUT_ERROR;
      }
      Optional<SeccompCompiler.Compilation> c = compileOptions.compile("sim", files.get(0), err);
      if (c.isEmpty()) {
        return Main.INPUT_ERROR;
      }
      program = c.get().program();
      traces = files.subList(1, files.size());
    }
    Arch arch = compileOptions.arch().filter(a -> a != Arch.X32).orElse(Arch.X86_64);
    int audit = (int) arch.auditArch();
    BitSet cached = ActionCache.allowed(program, audit, SyscallTable.of(arch).maxNumber());
    Map<String, Long> actions = new TreeMap<>();
    int[] histogram = new int[program.length() + 1];
    long events = 0;
    long executed = 0;
    long executedCached = 0;
    for (Path trace : traces) {
      try (TraceReader r = Traces.open(trace)) {
        Optional<SyscallEvent> e;
        while ((e = r.read()).isPresent()) {
          SyscallEvent ev = e.get();
          BpfProgram.Result res = program.run(new SeccompData(ev.nr(), (int) ev.auditArch(), ev.instructionPointer(), ev.args()));
          actions.merge(Disassembler.action(res.value()), 1L, Long::sum);
          histogram[res.executed()]++;
          events++;
          executed += res.executed();
          boolean hit = ev.auditArch() == arch.auditArch() && ev.nr() >= 0 && cached.get(ev.nr());
          executedCached += hit ? 0 : res.executed();
        }
        if (r.problemCount() > 0) {
          err.println("evfilter sim: " + trace + ": " + r.problemCount() + " lines could not be read, first: " + r.problems().get(0));
        }
      } catch (NoSuchFileException e) {
        err.println("evfilter sim: no such file: " + e.getFile());
        return Main.INPUT_ERROR;
      }
    }
    double mean = events == 0 ? 0 : (double) executed / events;
    double meanCached = events == 0 ? 0 : (double) executedCached / events;
    int p50 = percentile(histogram, events, 0.50);
    int p99 = percentile(histogram, events, 0.99);
    int max = percentile(histogram, events, 1.0);
    if (json) {
      ObjectMapper m = new ObjectMapper();
      ObjectNode root = m.createObjectNode().put("events", events).put("length", program.length())
          .put("cacheable", cached.cardinality());
      root.putObject("instructions").put("mean", mean).put("p50", p50).put("p99", p99).put("max", max)
          .put("meanWithActionCache", meanCached);
      ObjectNode a = root.putObject("actions");
      actions.forEach(a::put);
      out.println(root);
      return 0;
    }
    out.printf("%d events; program %d instructions, %d syscalls cacheable by the kernel%n", events, program.length(), cached.cardinality());
    out.printf("instructions per syscall: mean %.2f, p50 %d, p99 %d, max %d; with the action cache: mean %.2f%n",
        mean, p50, p99, max, meanCached);
    actions.forEach((k, v) -> out.printf("  %-14s %d%n", k, v));
    return 0;
  }

  private static int percentile(int[] histogram, long total, double q) {
    long need = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < histogram.length; i++) {
      seen += histogram[i];
      if (seen >= need) {
        return i;
      }
    }
    return Arrays.stream(histogram).sum() == 0 ? 0 : histogram.length - 1;
  }
}
