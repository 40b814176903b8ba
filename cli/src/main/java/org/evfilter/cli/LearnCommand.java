package org.evfilter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.vfs.VfsEvents;
import org.evfilter.grammar.FilterException;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.predicates.labels.LabelResolver;
import org.evfilter.predicates.learn.PolicyLearner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter learn}: a least-privilege policy from what a program did. */
@Command(
    name = "learn",
    mixinStandardHelpOptions = true,
    description = {
      "Write a least-privilege policy from what a program did.",
      "From traces, or by running the command under strace: every syscall it made and nothing else,"
          + " flag arguments limited to the bits it used, selector arguments (socket family, fcntl"
          + " command...) to the values it used when they were few, and, with --labels, the objects its"
          + " path syscalls reached to the labels they had. The policy is readable .evf with what was"
          + " seen as comments; run the same workload under it with `evfilter run`, and anything outside"
          + " it is denied.",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter learn samples/traces/cat.strace -o cat-learned.evf",
      "  evfilter learn --labels samples/policies/valid/file_contexts -o ls.evf -- ls /usr/share",
      "  evfilter run --policy ls.evf -- ls /usr/share",
      "", "Exit status: 0 written; 1 a bad trace or labels file; 2 strace is missing or could not run the command."})
final class LearnCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "TRACE | -- CMD ARGS",
      description = "Traces to learn from (.strace, .tsv, .jsonl), or after -- a command to run under strace.")
  List<String> inputs = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "FILE.evf", description = "Write the policy here (default: standard output).")
  Path output;

  @Option(names = "--labels", paramLabel = "FILE", description = "A file_contexts file: learn the labels of the objects touched.")
  Path labels;

  @Option(names = "--default", paramLabel = "ACTION", defaultValue = "errno(EPERM)",
      description = "What everything else gets (default: ${DEFAULT-VALUE}; kill_process is stricter).")
  String defaultAction;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<String> unmatched = spec.commandLine().getParseResult().originalArgs();
    boolean command = unmatched.contains("--");
    if (inputs.isEmpty()) {
      err.println("evfilter learn: give traces, or -- and a command to run (see evfilter learn --help)");
      return Main.INPUT_ERROR;
    }
    String labelsStatement = "";
    BoundPolicy labelling;
    try {
      String text = labels == null ? "default allow\n"
          : (labelsStatement = "labels \"" + labels.toAbsolutePath().normalize().toString().replace("\"", "\\\"") + "\"") + "\ndefault allow\n";
      labelling = PolicyBinder.bind("learn", text, KernelFacts.ofThisMachine(), Arch.X86_64);
    } catch (FilterException e) {
      err.println(Text.display(e.render()));
      return Main.INPUT_ERROR;
    }
    List<Path> traces = new ArrayList<>();
    Path recorded = null;
    List<String> header = new ArrayList<>();
    if (command) {
      recorded = Files.createTempFile("evfilter-learn", ".strace");
      // -X raw: every flag and constant as its number, so an ioctl request with no name in our
      // constants (TCGETS) is learned as what it is, not as an undecoded 0.
      List<String> argv = new ArrayList<>(List.of("strace", "-f", "-qq", "-X", "raw", "-o", recorded.toString(), "--"));
      argv.addAll(inputs);
      int status;
      try {
        status = new ProcessBuilder(argv).inheritIO().start().waitFor();
      } catch (IOException e) {
        err.println("evfilter learn: cannot run strace (" + e.getMessage() + "): install it (apt-get install strace) or give a trace");
        Files.deleteIfExists(recorded);
        return Main.ENVIRONMENT_ERROR;
      }
      err.println("evfilter learn: " + String.join(" ", inputs) + " exited with status " + status);
      traces.add(recorded);
      header.add("From: " + String.join(" ", inputs));
    } else {
      inputs.forEach(i -> traces.add(Path.of(i)));
      header.add("From: " + String.join(", ", inputs));
    }
    LabelResolver resolver = labelling.labelResolver(16384, org.evfilter.lsm.natives.LinuxXattrs.reader());
    PolicyLearner learner = new PolicyLearner(Arch.X86_64, labelling.labels());
    long problems;
    try {
      problems = LabelledTraces.read("learn", traces, labelling, resolver, err,
          (trace, event, set) -> learner.add(event, VfsEvents.from(event).isPresent() ? set : -1));
    } finally {
      if (recorded != null) {
        Files.deleteIfExists(recorded);
      }
    }
    if (problems != 0) {
      err.println("evfilter learn: " + (problems < 0 ? "nothing learned" : problems + " trace lines could not be read: nothing learned from a partial trace"));
      return Main.INPUT_ERROR;
    }
    String policy = learner.policy(header, labelsStatement, defaultAction);
    try {
      PolicyBinder.bind(output == null ? "learned" : output.toString(), policy, KernelFacts.ofThisMachine(), Arch.X86_64);
    } catch (FilterException e) {
      err.println("evfilter learn: internal error: the learned policy does not bind: " + Text.display(e.render()));
      return Main.INTERNAL_ERROR;
    }
    if (output == null) {
      out.print(policy);
    } else {
      Files.writeString(output, policy);
      err.println("evfilter learn: " + output + ": " + learner.events() + " events learned; run it with: evfilter run --policy "
          + output + " -- CMD");
    }
    return 0;
  }
}
