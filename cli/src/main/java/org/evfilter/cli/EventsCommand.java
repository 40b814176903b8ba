package org.evfilter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.events.syscalls.Syscall;
import org.evfilter.events.syscalls.SyscallArg;
import org.evfilter.events.syscalls.SyscallTable;
import org.evfilter.grammar.Spelling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter events}: the syscall tables, or one syscall's arguments. */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = {
      "Show the syscall table of an ABI, or one syscall's arguments: the names a filter uses,",
      "their C types, and the width and signedness seccomp compares (an 'int' is the low 4",
      "bytes of its register).",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  evfilter events                      # x86_64: NR, name, arguments",
      "  evfilter events openat               # one syscall, argument by argument",
      "  evfilter events --arch i386 socketcall",
      "  evfilter events --json --arch aarch64"
    })
final class EventsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--arch", paramLabel = "ARCH", description = "x86_64 (default), x32, i386 or aarch64.")
  String arch = "x86_64";

  @Option(names = "--json", description = "Print Json.MAPPER.")
  boolean json;

  @Parameters(arity = "0..1", paramLabel = "SYSCALL", description = "A syscall name or number.")
  String syscall;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<Arch> a = Arch.of(arch);
    if (a.isEmpty()) {
      err.println("evfilter events: unknown arch '" + arch + "'; one of "
          + Arrays.stream(Arch.values()).map(Arch::id).collect(Collectors.joining(", ")));
      return Main.INPUT_ERROR;
    }
    SyscallTable table = SyscallTable.of(a.get());
    if (syscall == null) {
      if (json) {
        ArrayNode all = Json.MAPPER.createArrayNode();
        table.all().forEach(s -> all.add(json(s)));
        out.println(all);
      } else {
        out.println("# " + a.get().id() + " (" + table.source() + ")");
        for (Syscall s : table.all()) {
          out.printf("%-10d %-24s %s%n", s.nr(), s.name(), signature(s));
        }
      }
      return 0;
    }
    Optional<Syscall> s = syscall.matches("\\d+")
        ? table.byNumber(Long.parseLong(syscall))
        : table.byName(syscall);
    if (s.isEmpty()) {
      err.println("evfilter events: no " + a.get().id() + " syscall '" + syscall + "'"
          + Spelling.hint(syscall, table.all().stream().map(Syscall::name).toList()));
      return Main.INPUT_ERROR;
    }
    if (json) {
      out.println(json(s.get()));
      return 0;
    }
    Syscall sc = s.get();
    out.println(sc.name() + " (" + a.get().id() + " nr " + sc.nr() + ")");
    if (!sc.argumentsKnown()) {
      out.println("  arguments unknown: the table's source has no signature for it");
    }
    for (SyscallArg arg : sc.arguments()) {
      out.printf("  arg%d  %-16s %-28s %d bytes %s%s%n", arg.index(), arg.name(), arg.cType(), arg.width(),
          arg.signed() ? "signed" : "unsigned", arg.kind() == SyscallArg.Kind.STRING ? ", string" : "");
    }
    return 0;
  }

  private static String signature(Syscall s) {
    if (!s.argumentsKnown()) {
      return "(?)";
    }
    return "(" + s.arguments().stream().map(x -> x.cType() + " " + x.name()).collect(Collectors.joining(", ")) + ")";
  }

  private static ObjectNode json(Syscall s) {
    ObjectNode o = Json.MAPPER.createObjectNode().put("arch", s.arch().id()).put("nr", s.nr()).put("name", s.name())
        .put("argumentsKnown", s.argumentsKnown());
    ArrayNode args = o.putArray("arguments");
    for (SyscallArg a : s.arguments()) {
      args.addObject().put("index", a.index()).put("name", a.name()).put("type", a.cType())
          .put("width", a.width()).put("signed", a.signed()).put("kind", a.kind().name().toLowerCase(java.util.Locale.ROOT));
    }
    return o;
  }
}
