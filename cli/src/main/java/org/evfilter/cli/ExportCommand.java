package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
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
          + " applies). Filters become entries of ANDed argument comparisons. What the format cannot say is"
          + " an error naming the rule; what it says differently (libseccomp compares 4-byte arguments on"
          + " 64 bits; labels go to the notification listener) is a warning on stderr.",
      ""
    },
    footer = {"", "Examples:", "  evfilter export samples/policies/valid/base.evf > base.json",
      "  evfilter export --format k8s --name base samples/policies/valid/base.evf | kubectl apply -f -",
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

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    Optional<BoundPolicy> loaded = PolicyFiles.load("export", policyFile, err);
    if (loaded.isEmpty()) {
      return Main.INPUT_ERROR;
    }
    OciExport.Exported exported;
    try {
      exported = OciExport.oci(loaded.get(), loaded.get().arch());
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
    exported.warnings().forEach(w -> err.println("evfilter export: warning: " + w));
    return 0;
  }
}
