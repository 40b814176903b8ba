package org.evfilter.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code evfilter completion}: the bash (and zsh) completion script for every subcommand and option. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = {"Print a bash completion script for evfilter (zsh reads it too, with bashcompinit).", ""},
    footer = {"", "Examples:",
      "  source <(./evfilter completion)",
      "  ./evfilter completion > /etc/bash_completion.d/evfilter",
      "", "Exit status: 0."})
final class CompletionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    CommandLine all = Main.commandLine(true);
    spec.commandLine().getOut().print(AutoComplete.bash("evfilter", all));
    return 0;
  }
}
