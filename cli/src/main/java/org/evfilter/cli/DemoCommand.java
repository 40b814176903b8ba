package org.evfilter.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code evfilter demo}: the first five minutes, in one command. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Show a real program confined by a sample MAC policy, then compare the two designs on it.",
      "Writes two files to a fresh directory, one labelled secret_t by its xattr, and runs `cat` on"
          + " both under the embedded cat.evf (seccomp BPF plus this process as the object manager):"
          + " the public file is read, the secret one refused with the label and rule that refused it,"
          + " and the AVC statistics are printed. Then the same cat, recorded with strace, goes through"
          + " `evfilter compare`, whose report is written beside the files.",
      ""
    },
    footer = {"", "Examples:",
      "  evfilter demo",
      "  evfilter demo --dir /tmp/my-demo",
      "", "Exit status: 0 the demo ran; 2 this machine cannot run it (no seccomp user notification, not Linux x86_64)."})
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--dir", paramLabel = "DIR", description = "Where the demo's files and report go (default: a new directory in /tmp).")
  Path dir;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory(Path.of("/tmp"), "evfilter-demo-");
    Path policy = work.resolve("cat.evf");
    for (String name : List.of("cat.evf", "base.evf", "file_contexts")) {
      try (InputStream in = DemoCommand.class.getResourceAsStream("demo/" + name)) {
        if (in == null) {
          err.println("evfilter demo: this build has no embedded " + name + ": rebuild with ./evfilter or mvn package");
          return Main.INTERNAL_ERROR;
        }
        Files.copy(in, work.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path open = Files.writeString(work.resolve("public.txt"), "public words: anyone may read this\n");
    Path secret = Files.writeString(work.resolve("secret.txt"), "secret words: nobody should read this\n");
    try {
      Files.getFileAttributeView(secret, UserDefinedFileAttributeView.class)
          .write("evfilter.label", ByteBuffer.wrap("secret_t".getBytes(StandardCharsets.US_ASCII)));
    } catch (IOException | UnsupportedOperationException e) {
      err.println("evfilter demo: cannot label " + secret + " with an xattr (" + e.getMessage() + "): " + work
          + " must be on a file system with user xattrs (ext4, xfs, tmpfs); try --dir");
      return Main.ENVIRONMENT_ERROR;
    }
    out.println("== 1. cat under " + policy + " (labels: " + open.getFileName() + " tmp_t by file_contexts, "
        + secret.getFileName() + " secret_t by its user.evfilter.label xattr)");
    out.println("$ evfilter run --policy " + policy + " --audit " + work.resolve("audit.jsonl") + " -- cat " + open + " " + secret);
    out.flush();
    List<String> run = List.of("run", "--policy", policy.toString(), "--audit", work.resolve("audit.jsonl").toString(), "--",
        "cat", open.toString(), secret.toString());
    int status = Main.execute(run.toArray(String[]::new), out, err);
    out.println("(cat exited with " + status + ": it read one file and was refused the other)");
    if (status != 1) {
      err.println("evfilter demo: the run did not go as it should on this machine (status " + status + "); see the messages above");
      return status == Main.ENVIRONMENT_ERROR ? Main.ENVIRONMENT_ERROR : Main.INTERNAL_ERROR;
    }
    out.println();
    out.println("== 2. the same cat, recorded with strace, through both designs");
    Path trace = work.resolve("cat.strace");
    boolean recorded;
    try {
      recorded = new ProcessBuilder("strace", "-f", "-qq", "-o", trace.toString(), "cat", open.toString(), secret.toString())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
    } catch (IOException e) {
      recorded = false;
    }
    if (!recorded) {
      out.println("(strace is not installed: apt-get install strace, then evfilter demo again for the comparison)");
      return 0;
    }
    Path report = work.resolve("compare-report");
    List<String> compare = new ArrayList<>(List.of("compare", "--policy", policy.toString(), "--out", report.toString(),
        "--sweep", "0,50,200", trace.toString()));
    out.println("$ evfilter " + String.join(" ", compare));
    out.flush();
    int compared = Main.execute(compare.toArray(String[]::new), out, err);
    out.println();
    out.println("Next: evfilter explain --policy " + policy + "   (how each syscall is decided)");
    out.println("      evfilter learn -o my.evf -- YOUR COMMAND   (a policy from what a program does)");
    return compared;
  }
}
