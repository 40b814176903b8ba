package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.evfilter.lsm.profiles.ExportWarning;
import org.evfilter.lsm.profiles.OciExport;
import org.evfilter.predicates.BoundPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter export}: a policy as an OCI seccomp profile or a Kubernetes SeccompProfile. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write a policy as an OCI seccomp profile or a Kubernetes SeccompProfile.",
      "The OCI form (linux.seccomp) is what runc, crun and docker --security-opt seccomp=FILE take; the"
          + " Kubernetes form is a Security Profiles Operator SeccompProfile manifest (JSON, which kubectl"
          + " applies). Filters become entries of ANDed argument comparisons; a masked, signed or ranged"
          + " comparison the format has no operator for is written exactly as masked equalities. What it"
          + " says differently is a warning on stderr naming the rule: an ordered or != comparison of a"
          + " 4-byte argument is written as libseccomp's comparison of all 64 bits (as Docker's profile"
          + " writes it, unless --exact), and labels go to the notification listener.",
      ""
    },
    footer = {"", "Examples:", "  evfilter export samples/policies/valid/base.evf > base.json",
      "  evfilter export --format k8s --name base samples/policies/valid/base.evf | kubectl apply -f -",
      "  evfilter export --listener-path /run/evfilter/evfilter.sock web.evf > web.json   # for runc/crun with evfilter serve",
      "", "Exit status: 0 exported; 1 a bad policy, or a filter the format cannot express."})
final class ExportCommand implements Callable<Integer> {
  enum Format { oci, k8s }

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY.evf", description = "The policy.")
  Path policyFile;

  @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "oci",
      description = "oci (linux.seccomp) or k8s (a SeccompProfile manifest). Default: ${DEFAULT-VALUE}.")
  Format format;

  @Option(names = "--name", paramLabel = "NAME", description = "The manifest's metadata.name (default: the policy file's name).")
  String name;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of stdout.")
  Path output;

  @Option(names = "--listener-path", paramLabel = "PATH", description = "The unix socket of the seccomp agent (evfilter"
      + " serve --socket) the runtime hands the container's notification listener to: written as listenerPath, with the"
      + " calls the supervisor decides (labels, paths) and those it must hear of sent to it (SCMP_ACT_NOTIFY); named only"
      + " when some call goes to it.")
  String listenerPath;

  @Option(names = "--listener-metadata", paramLabel = "NAME", description = "The listenerMetadata the runtime passes to the"
      + " agent: the policy evfilter serve decides with (NAME.evf in its --policies directory). Default: the policy file's"
      + " name without .evf.")
  String listenerMetadata;

  @Option(names = "--exact", description = "Write ordered and != comparisons of 4-byte arguments exactly, as masked"
      + " equalities on their low word (more entries), instead of libseccomp's 64-bit comparison.")
  boolean exact;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    Optional<BoundPolicy> loaded = PolicyFiles.load("export", policyFile, err);
    if (loaded.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    OciExport.Exported exported;
    try {
      Optional<OciExport.Listener> listener = listenerPath == null ? Optional.empty() : Optional.of(new OciExport.Listener(listenerPath,
          listenerMetadata != null ? listenerMetadata : policyFile.getFileName().toString().replaceFirst("\\.evf$", "")));
      exported = OciExport.oci(loaded.get(), loaded.get().arch(),
          exact ? OciExport.NarrowComparisons.EXACT : OciExport.NarrowComparisons.LIBSECCOMP, listener);
    } catch (IllegalArgumentException e) {
      err.println("evfilter export: " + e.getMessage());
      return Main.INPUT_ERROR;
    }
    String base = policyFile.getFileName().toString().replaceFirst("\\.evf$", "").toLowerCase(java.util.Locale.ROOT)
        .replaceAll("[^a-z0-9.-]", "-");
    ObjectNode doc = format == Format.k8s ? OciExport.kubernetes(exported.seccomp(), name != null ? name : base) : exported.seccomp();
    String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n";
    if (output != null) {
      Files.writeString(output, text);
    } else {
      spec.commandLine().getOut().print(text);
      spec.commandLine().getOut().flush();
    }
    exported.warnings().forEach(w -> err.println("evfilter export: warning: " + message(w)));
    return 0;
  }

  static String message(ExportWarning warning) {
    if (warning instanceof ExportWarning.WholeArgumentWidened w) {
      return widened(w);
    }
    if (warning instanceof ExportWarning.SentToListener w) {
      return w.origin() + ": labels and strings are not in the format: " + w.syscall()
          + " goes to the notification listener (listenerPath) where the filter needs them";
    }
    if (warning instanceof ExportWarning.NoListener w) {
      return "the profile sends " + String.join(", ", w.syscalls()) + " to a notification listener (SCMP_ACT_NOTIFY) but names"
          + " none: runc refuses to run it (listenerPath is not set); --listener-path names evfilter serve's socket";
    }
    ExportWarning.ActionsOverlap w = (ExportWarning.ActionsOverlap) warning;
    return "rules with different actions on one syscall: libseccomp does not define which"
        + " wins where they overlap (evfilter: the most restrictive): " + String.join(", ", w.syscalls());
  }

  private static String widened(ExportWarning.WholeArgumentWidened w) {
    long low = w.bytes() >= 8 ? -1L : (1L << (8 * w.bytes())) - 1;
    String arg = "arg" + w.index();
    String exact = "(" + arg + " & 0x" + Long.toHexString(low) + ") " + w.operator().symbol() + " 0x" + Long.toHexString(w.value());
    String head = w.origin() + ": " + w.action() + " " + w.syscall() + ": " + exact + " is written as " + w.written() + " "
        + Long.toUnsignedString(w.value()) + " on all 64 bits of " + arg + ", as libseccomp compares (" + w.argument() + " is "
        + w.bytes() + " bytes): a call that sets a bit above them ";
    if (!w.matchesMore()) {
      return head + "matches it for no value of " + w.argument()
          + (w.loosens() ? ", and so escapes '" + w.action() + "' where the policy may give it; --exact says the policy's comparison" : "");
    }
    return head + "matches it whatever " + w.argument() + " is"
        + (w.loosens() ? ", and gets '" + w.action() + "' where the policy may refuse it; --exact says the policy's comparison" : "");
  }
}
