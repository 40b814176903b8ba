package org.evfilter.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.profiles.OciProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code evfilter import}: an OCI or Docker seccomp profile as a policy. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Convert an OCI or Docker seccomp profile into a policy.",
      "It keeps the entries"
          + " that apply to one arch, capability set and kernel version (Docker's includes and excludes),"
          + " every SCMP_CMP operator, errnoRet and defaultErrnoRet. Names the syscall table does not know"
          + " are reported. A 4-byte argument is compared on its low 32 bits, as the kernel passes it.",
      ""
    },
    footer = {"", "Examples:", "  evfilter import docker-default.json -o docker.evf && evfilter compile docker.evf",
      "", "Exit status: 0 imported; 1 a bad profile."})
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PROFILE.json", description = "The profile.")
  Path profile;

  @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "x86_64", description = "The arch (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--caps", paramLabel = "CAP", split = ",",
      description = "The container's capabilities, e.g. CAP_SYS_ADMIN,CAP_SYS_PTRACE (default: none).")
  List<String> caps = List.of();

  @Option(names = "--kernel", paramLabel = "VERSION",
      description = "The kernel version minKernel is compared with (default: this machine's).")
  String kernel;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the policy here instead of stdout.")
  Path output;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    Optional<Arch> a = Arch.of(arch);
    if (a.isEmpty()) {
      err.println("evfilter import: --arch " + arch + ": not an arch (x86_64, i386, aarch64)");
      return Main.INPUT_ERROR;
    }
    Set<String> capabilities = new LinkedHashSet<>();
    for (String c : caps) {
      String up = c.trim().toUpperCase(Locale.ROOT);
      capabilities.add(up.startsWith("CAP_") ? up : "CAP_" + up);
    }
    String version = kernel != null ? kernel : System.getProperty("os.version");
    OciProfile.Imported imported;
    try {
      imported = OciProfile.read(profile, a.get(), capabilities, version);
    } catch (NoSuchFileException e) {
      err.println("evfilter import: no such file: " + profile);
      return Main.INPUT_ERROR;
    } catch (JsonProcessingException e) {
      err.println("evfilter import: " + profile + ":" + e.getLocation().getLineNr() + ":" + e.getLocation().getColumnNr()
          + ": not JSON: " + e.getOriginalMessage());
      return Main.INPUT_ERROR;
    } catch (IllegalArgumentException e) {
      err.println("evfilter import: " + e.getMessage());
      return Main.INPUT_ERROR;
    }
    if (output != null) {
      Files.writeString(output, imported.policy());
    } else {
      spec.commandLine().getOut().print(imported.policy());
      spec.commandLine().getOut().flush();
    }
    err.printf("%s: %d entries imported, %d do not apply to %s with these capabilities and kernel %s%n", profile,
        imported.entries(), imported.skippedEntries(), a.get().id(), version);
    if (!imported.unknownNames().isEmpty()) {
      err.println("  not in the " + a.get().id() + " syscall table (left out): " + String.join(", ", imported.unknownNames()));
    }
    return 0;
  }
}
