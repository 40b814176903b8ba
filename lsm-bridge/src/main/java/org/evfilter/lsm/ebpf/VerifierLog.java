package org.evfilter.lsm.ebpf;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the kernel verifier's log (level 1) back into the instruction it refused and its words.
 * The log prints each instruction it walks as {@code N: (op) text}; the refusal follows the last
 * one. Refusals of the program's shape ({@code unreachable insn 3}, {@code jump out of range from
 * insn 1 to 9}) come before any walk and name the instruction in the text.
 */
final class VerifierLog {
  private static final Pattern INSN = Pattern.compile("^(\\d+): \\([0-9a-f]{2}\\) ");
  private static final Pattern NAMED = Pattern.compile("insn (\\d+)");
  private static final Pattern SUMMARY = Pattern.compile("^(processed \\d+ insns|verification time|stack depth|func#\\d+ @)");

  private VerifierLog() {}

  static EbpfError.VerifierRefused refusal(String name, Program program, int errno, String log) {
    List<String> lines = log.lines().toList();
    int last = -1;
    int instruction = -1;
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = INSN.matcher(lines.get(i));
      if (m.find()) {
        last = i;
        instruction = Integer.parseInt(m.group(1));
      }
    }
    List<String> reason = new ArrayList<>();
    for (String line : lines.subList(last + 1, lines.size())) {
      if (!line.isBlank() && !SUMMARY.matcher(line).find() && !line.matches("^\\d+: .*")) {
        reason.add(line.strip());
      }
    }
    if (instruction < 0) {
      Matcher m = NAMED.matcher(String.join("\n", reason));
      if (m.find()) {
        instruction = Integer.parseInt(m.group(1));
      }
    }
    String words = reason.isEmpty() ? "(the log says nothing more)" : String.join("; ", reason);
    return new EbpfError.VerifierRefused(name, instruction, program.origin(instruction), errno, words, log);
  }
}
