package org.evfilter.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The {@code --labels FILE} option of the commands that load a policy: more file_contexts files,
 * read as {@code labels "FILE"} statements at the end of the policy would be, so its rules may name
 * their labels.
 */
final class LabelsOption {
  @Option(names = "--labels", paramLabel = "FILE",
      description = "More labels by path, in file_contexts syntax (repeatable). Read as a `labels \"FILE\"` statement at"
          + " the end of the policy: the policy's rules may name their labels, and their entries win over the policy's.")
  List<Path> files = new ArrayList<>();
}
