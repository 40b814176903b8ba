package org.evfilter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.evfilter.events.schema.EventField;
import org.evfilter.events.schema.EventSchema;
import org.evfilter.events.schema.FieldKind;
import org.evfilter.events.schema.SchemaCatalog;
import org.evfilter.grammar.Dialect;
import org.evfilter.grammar.FilterException;
import org.evfilter.grammar.FilterParser;
import org.evfilter.predicates.Atom;
import org.evfilter.predicates.BoundFilter;
import org.evfilter.predicates.FilterBinder;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicySchemas;
import org.evfilter.predicates.eval.CompiledFilter;
import org.evfilter.predicates.eval.EventView;
import org.evfilter.predicates.eval.SlotLayout;
import org.evfilter.predicates.eval.TextMatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code evfilter eval}: does this event match this filter? */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a filter on one event given as field=value pairs, with the kernel's semantics",
      "(width and signedness of each field, '&' any bit, globs). Prints 'match' or 'no match'.",
      "FILTER '-' reads JSON Lines {\"filter\": \"...\", \"event\": {...}} from standard input and",
      "prints one result per line: 'match', 'no match' or 'error<TAB>COLUMN<TAB>MESSAGE'.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  evfilter eval --event syscalls/sys_enter_openat 'flags & O_CREAT' flags=0x241",
      "  evfilter eval --event syscalls/sys_enter_openat 'filename.ustring ~ \"/etc/*\"' filename=/etc/passwd",
      "  echo '{\"filter\":\"args == 1\",\"event\":{\"args\":[1,2,3,4,5,6]}}' | evfilter eval --event raw_syscalls/sys_enter -",
      "  echo '{\"filter\":\"common_pid < 0\",\"event\":{\"common_pid\":-1}}' | evfilter eval --event raw_syscalls/sys_enter -",
      "  evfilter eval --event seccomp/connect 'addr in {10.0.0.0/8} && port == 443' addr=10.1.2.3 port=443",
      "  echo '{\"filter\":\"port == 53\",\"event\":{\"endpoint\":{\"addr\":\"::1\",\"port\":53}}}' | evfilter eval --event seccomp/sendto -",
      "",
      "Exit status: 0 match; 1 no match or an error (with '-': 0 unless a line had an error)."
    })
final class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Target {
    @Option(names = "--event", required = true, paramLabel = "SUBSYSTEM/EVENT",
        description = "A bundled event (syscalls/*, raw_syscalls/*), or seccomp/SYSCALL: what a policy rule on SYSCALL reads"
            + " (on connect, bind, sendto, sendmsg the socket and address: family, type, protocol, addr, port, path).")
    String event;

    @Option(names = "--format-file", required = true, paramLabel = "FILE", description = "A tracefs 'format' file.")
    Path formatFile;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(names = "--strict-ftrace", description = "Accept only kernel syntax in the filter.")
  boolean strict;

  @Parameters(index = "0", paramLabel = "FILTER", description = "The filter, or '-'.")
  String filter;

  @Parameters(index = "1..*", paramLabel = "FIELD=VALUE", description = "The event's fields (the rest are 0).")
  List<String> fields = List.of();

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    EventSchema schema;
    try {
      schema = schema();
    } catch (IllegalArgumentException | org.evfilter.events.schema.FormatFileException e) {
      err.println("evfilter eval: " + e.getMessage());
      return Main.INPUT_ERROR;
    } catch (java.nio.file.NoSuchFileException e) {
      err.println("evfilter eval: no such format file: " + e.getFile());
      return Main.INPUT_ERROR;
    }
    FilterBinder binder = FilterBinder.forEvent(schema, strict ? Dialect.FTRACE : Dialect.EVFILTER, KernelFacts.ofThisMachine());
    boolean rule = schema.system().equals(PolicySchemas.SYSTEM);
    Layout layout = new Layout(schema);
    Supplier<GivenEvent> events = rule ? () -> new RuleEvent(schema) : layout::event;
    if (filter.equals("-")) {
      return lines(binder, events, out);
    }
    try {
      GivenEvent event = events.get();
      for (String f : fields) {
        int eq = f.indexOf('=');
        if (eq <= 0) {
          err.println("evfilter eval: expected FIELD=VALUE, not '" + f + "'");
          return Main.INPUT_ERROR;
        }
        event.set(f.substring(0, eq), FilterParser.kernelText(f.substring(eq + 1)));
      }
      BoundFilter bound = binder.bind("<filter>", FilterParser.kernelText(filter));
      (rule ? java.util.Set.<String>of() : unreadPointers(bound, layout)).forEach(f -> err.println("evfilter eval: note: '" + f + "' holds a user address: read"
          + " without .ustring the kernel faults and the predicate is false, even negated; write " + f + ".ustring"));
      boolean match = event.matches(bound);
      out.println(match ? "match" : "no match");
      return match ? 0 : 1;
    } catch (FilterException e) {
      err.println(Text.display(e.render()));
      return Main.INPUT_ERROR;
    } catch (IllegalArgumentException e) {
      err.println("evfilter eval: " + e.getMessage());
      return Main.INPUT_ERROR;
    }
  }

  private int lines(FilterBinder binder, Supplier<GivenEvent> events, PrintWriter out) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    int lineNo = 0;
    boolean failed = false;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode j = Json.MAPPER.readTree(line);
        if (!j.hasNonNull("filter") || !j.get("filter").isTextual()) {
          throw new IllegalArgumentException("line " + lineNo + ": no \"filter\" string");
        }
        GivenEvent given = events.get();
        JsonNode event = j.path("event");
        for (Iterator<Map.Entry<String, JsonNode>> it = event.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          given.set(f.getKey(), f.getValue());
        }
        BoundFilter bound = binder.bind("<stdin>:" + lineNo, FilterParser.kernelText(j.get("filter").asText()));
        out.println(given.matches(bound) ? "match" : "no match");
      } catch (FilterException e) {
        failed = true;
        out.println("error\t" + e.error().caretColumn(e.source().text().length()) + "\t" + e.error().code().text());
      } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
        failed = true;
        out.println("error\t0\t" + e.getMessage().replace('\n', ' '));
      }
      if (!in.ready()) {
        out.flush();
      }
    }
    return failed ? Main.INPUT_ERROR : 0;
  }

  // The fields a predicate reads as user pointers without .ustring: never true on this kernel.
  private static java.util.Set<String> unreadPointers(BoundFilter bound, Layout layout) {
    java.util.Set<String> names = new java.util.TreeSet<>();
    bound.expression().ifPresent(e -> e.anyAtom(a -> {
      if (a instanceof Atom.Text t && layout.textSlot(t.field(), t.user()).equals(OptionalInt.of(layout.unread))) {
        names.add(t.field().name());
      }
      return false;
    }));
    return names;
  }

  /** One event being given, field by field, then decided by a filter. */
  interface GivenEvent {
    /** A field's value as text (from FIELD=VALUE). */
    void set(String name, String value);

    /** A field's value from a JSON event. */
    void set(String name, JsonNode value);

    /** Whether the filter matches the event as given so far. */
    boolean matches(BoundFilter bound);
  }

  private EventSchema schema() throws IOException {
    if (target.formatFile != null) {
      return FormatFiles.read(target.formatFile);
    }
    if (target.event.startsWith(PolicySchemas.SYSTEM + "/")) {
      return RuleEvent.schema(target.event);
    }
    return SchemaCatalog.bundled().find(target.event).orElseThrow(() -> new IllegalArgumentException(
        "unknown event '" + target.event + "' (bundled: syscalls/*, raw_syscalls/*; others: --format-file)"));
  }

  /** A value as a number: decimal, 0x hex, 0 octal, negative. */
  static long number(String name, String value) {
    try {
      String v = value.strip();
      boolean negative = v.startsWith("-");
      String m = negative ? v.substring(1) : v;
      long x = m.startsWith("0x") || m.startsWith("0X") ? Long.parseUnsignedLong(m.substring(2), 16)
          : m.length() > 1 && m.startsWith("0") ? Long.parseUnsignedLong(m.substring(1), 8) : Long.parseUnsignedLong(m);
      return negative ? -x : x;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + name + "=" + value + "': not a number (decimal, 0x hex, 0 octal)");
    }
  }

  /**
   * One slot per field of the schema, generic fields included, and one that is never written: what
   * a syscall event's user pointer reads as without {@code .ustring}.
   */
  private static final class Layout implements SlotLayout {
    private final EventSchema schema;
    private final Map<String, Integer> slots = new HashMap<>();
    private final int unread;

    Layout(EventSchema schema) {
      this.schema = schema;
      // The generic cpu, CPU and common_cpu are one value (the CPU the event fires on), as are
      // comm and COMM, unless the event has a field of that name of its own.
      Map<FieldKind, Integer> generic = new java.util.EnumMap<>(FieldKind.class);
      int next = 0;
      for (String name : schema.fieldNames()) {
        FieldKind kind = schema.field(name).orElseThrow().kind();
        if (kind == FieldKind.CPU || kind == FieldKind.COMM) {
          Integer shared = generic.get(kind);
          if (shared != null) {
            slots.put(name, shared);
            continue;
          }
          generic.put(kind, next);
        }
        slots.put(name, next++);
      }
      unread = next;
    }

    @Override
    public OptionalInt slot(EventField field) {
      Integer s = slots.get(field.name());
      return s == null ? OptionalInt.empty() : OptionalInt.of(s);
    }

    @Override
    public OptionalInt textSlot(EventField field, boolean user) {
      // A syscall's char * argument is a user address: read as kernel memory, it faults.
      boolean userPointer = schema.system().equals("syscalls") && field.kind() == FieldKind.PTR_STRING;
      return userPointer && !user ? OptionalInt.of(unread) : slot(field);
    }

    /** An event of this schema, every field 0 (or absent, for strings) until set. */
    GivenEvent event() {
      MapView view = new MapView(unread + 1);
      Layout layout = this;
      return new GivenEvent() {
        @Override
        public void set(String name, String value) {
          layout.set(view, name, value);
        }

        @Override
        public void set(String name, JsonNode value) {
          layout.set(view, name, value);
        }

        @Override
        public boolean matches(BoundFilter bound) {
          // The kernel's '0' clears the filter: every event passes.
          return bound.expression().map(e -> CompiledFilter.compile(e, layout).matches(view, new CompiledFilter.Counter())).orElse(true);
        }
      };
    }

    /** A value from a JSON event: strings and numbers as on the command line, arrays for arrays. */
    void set(MapView view, String name, JsonNode value) {
      EventField f = field(name);
      if (value.isArray()) {
        List<String> elements = new java.util.ArrayList<>();
        value.forEach(e -> elements.add(e.asText()));
        array(f, elements);
        return;
      }
      String text = FilterParser.kernelText(value.asText());
      if (value.isTextual() && f.kind() == FieldKind.NUMERIC && !text.matches("-?(0[xX])?[0-9a-fA-F]+")
          && f.arrayLength().isEmpty()) {
        throw new IllegalArgumentException("'" + name + "' is a number, not '" + text + "'");
      }
      set(view, name, text);
    }

    /** A value as text: a number, a string, a cpulist for a cpumask, {@code a,b,...} for an array. */
    void set(MapView view, String name, String value) {
      EventField f = field(name);
      int slot = slots.get(name);
      int area = TextMatch.area(f);
      // A fixed array's value may carry the bytes after its NUL (what the kernel's matchers read).
      if (area > 0 && (TextMatch.cString(value).length() >= area || value.length() > area)) {
        throw new IllegalArgumentException("'" + name + "' is a " + (f.kind() == FieldKind.COMM ? "task's comm" : f.cType())
            + ": it holds a string of at most " + (area - 1) + " bytes and its NUL, not " + value.length() + " bytes");
      }
      if (f.kind().isString() || f.kind() == FieldKind.CPUMASK) {
        view.texts[slot] = value;
        return;
      }
      if (f.arrayLength().isPresent()) {
        String list = value.strip();
        if (list.startsWith("[") && list.endsWith("]")) {
          list = list.substring(1, list.length() - 1);
        }
        array(f, list.isBlank() ? List.of() : List.of(list.split(",", -1)));
        return;
      }
      view.numbers[slot] = number(name, value);
    }

    // The kernel compares no array (its predicate is a no-op): the values are checked, not kept.
    private void array(EventField f, List<String> elements) {
      if (f.arrayLength().isEmpty() || f.kind() != FieldKind.NUMERIC) {
        throw new IllegalArgumentException("'" + f.name() + "' is not an array (" + f.cType() + ")");
      }
      int max = f.arrayLength().getAsInt();
      if (max > 0 && elements.size() > max) {
        throw new IllegalArgumentException("'" + f.name() + "' holds " + max + " values (" + f.cType() + "), not " + elements.size());
      }
      for (String e : elements) {
        number(f.name(), e);
      }
    }

    private EventField field(String name) {
      return schema.field(name).orElseThrow(() -> new IllegalArgumentException(
          "'" + name + "' is not a field of " + schema.path()));
    }
  }

  /** Field values by slot. */
  private static final class MapView implements EventView {
    final long[] numbers;
    final String[] texts;

    MapView(int n) {
      numbers = new long[n];
      texts = new String[n];
    }

    @Override
    public long number(int slot) {
      return numbers[slot];
    }

    @Override
    public String text(int slot) {
      return texts[slot];
    }
  }
}
