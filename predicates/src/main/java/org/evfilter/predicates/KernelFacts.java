package org.evfilter.predicates;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What binding needs to know about the running kernel: {@code nr_cpu_ids} for {@code CPUS{...}}
 * and the kernel's symbols for {@code .function}. {@link #ofThisMachine()} reads them from
 * {@code /sys} and {@code /proc/kallsyms}; tests pass fixed ones.
 */
public final class KernelFacts {
  /** A kernel symbol's extent: {@code start <= address < end}. */
  public record Extent(long start, long end) {}

  private final int nrCpuIds;
  private final Supplier<Symbols> symbols;

  private KernelFacts(int nrCpuIds, Supplier<Symbols> symbols) {
    if (nrCpuIds < 1) {
      throw new IllegalArgumentException("nr_cpu_ids must be positive");
    }
    this.nrCpuIds = nrCpuIds;
    this.symbols = symbols;
  }

  /** Fixed facts: {@code nrCpuIds} CPUs and the given symbols (name to extent). */
  public static KernelFacts of(int nrCpuIds, Map<String, Extent> symbols) {
    Symbols s = new Symbols(Map.copyOf(symbols));
    return new KernelFacts(nrCpuIds, () -> s);
  }

  /**
   * The running kernel's facts; {@code /proc/kallsyms} is read on first use of a {@code
   * .function} field. Where a file cannot be read, a single CPU and no symbols are assumed.
   */
  public static KernelFacts ofThisMachine() {
    return new KernelFacts(readNrCpuIds(), memoize(KernelFacts::readKallsyms));
  }

  public int nrCpuIds() {
    return nrCpuIds;
  }

  /** {@code kallsyms_lookup_name()} then {@code kallsyms_lookup_size_offset()}. */
  public Optional<Extent> function(String name) {
    return symbols.get().byName(name);
  }

  /** The symbol containing an address ({@code kallsyms_lookup_size_offset()}). */
  public Optional<Extent> containing(long address) {
    return symbols.get().containing(address);
  }

  private static int readNrCpuIds() {
    try {
      String possible = Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim();
      int last = 0;
      for (String part : possible.split(",")) {
        String[] range = part.split("-");
        last = Math.max(last, Integer.parseInt(range[range.length - 1].trim()));
      }
      return last + 1;
    } catch (IOException | RuntimeException e) {
      return Math.max(1, Runtime.getRuntime().availableProcessors());
    }
  }

  private static Symbols readKallsyms() {
    Map<String, Extent> byName = new HashMap<>();
    Path path = Path.of("/proc/kallsyms");
    if (!Files.isReadable(path)) {
      return new Symbols(byName);
    }
    long[] addrs = new long[1 << 16];
    String[] names = new String[addrs.length];
    int n = 0;
    try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)) {
      String line;
      while ((line = r.readLine()) != null) {
        int sp1 = line.indexOf(' ');
        int sp2 = line.indexOf(' ', sp1 + 1);
        if (sp1 < 0 || sp2 < 0) {
          continue;
        }
        int end = line.indexOf('\t', sp2 + 1);
        if (n == addrs.length) {
          addrs = Arrays.copyOf(addrs, n * 2);
          names = Arrays.copyOf(names, n * 2);
        }
        addrs[n] = Long.parseUnsignedLong(line.substring(0, sp1), 16);
        names[n] = line.substring(sp2 + 1, end < 0 ? line.length() : end);
        n++;
      }
    } catch (IOException | RuntimeException e) {
      return new Symbols(byName);
    }
    // A symbol ends where the next higher address starts.
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    final long[] a = addrs;
    Arrays.sort(order, (x, y) -> Long.compareUnsigned(a[x], a[y]));
    for (int k = 0; k < n; k++) {
      int i = order[k];
      long start = addrs[i];
      long stop = start + 1;
      for (int m = k + 1; m < n; m++) {
        if (addrs[order[m]] != start) {
          stop = addrs[order[m]];
          break;
        }
      }
      byName.putIfAbsent(names[i], new Extent(start, stop));
    }
    return new Symbols(byName);
  }

  private static <T> Supplier<T> memoize(Supplier<T> s) {
    return new Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) {
          value = Objects.requireNonNull(s.get());
        }
        return value;
      }
    };
  }

  private record Symbols(Map<String, Extent> names) {
    Optional<Extent> byName(String name) {
      Extent e = names.get(name);
      // Unprivileged readers see address 0: the kernel would find the symbol, so do we.
      return Optional.ofNullable(e);
    }

    Optional<Extent> containing(long address) {
      if (address == 0) {
        return Optional.empty();
      }
      return names.values().stream()
          .filter(e -> Long.compareUnsigned(e.start(), address) <= 0
              && Long.compareUnsigned(address, e.end()) < 0)
          .findFirst();
    }
  }
}
