package org.evfilter.tests.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.evfilter.events.syscalls.Arch;
import org.evfilter.lsm.bpf.BpfProgram;
import org.evfilter.lsm.bpf.Instruction;
import org.evfilter.lsm.bpf.Opcodes;
import org.evfilter.lsm.compile.SeccompActions;
import org.evfilter.lsm.compile.SeccompCompiler;
import org.evfilter.predicates.BoundPolicy;
import org.evfilter.predicates.KernelFacts;
import org.evfilter.predicates.PolicyBinder;
import org.evfilter.tests.trace.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code evfilter compare}: both designs agree on the sample traces, and a broken lowering is caught. */
class CompareTest {
  private static final Path SAMPLES = Path.of("../samples").toAbsolutePath().normalize();
  private static final Path POLICY = SAMPLES.resolve("policies/valid/cat.evf");
  @TempDir Path work;

  private String[] traces() throws Exception {
    try (var s = Files.list(SAMPLES.resolve("traces"))) {
      return s.map(Path::toString).sorted().toArray(String[]::new);
    }
  }

  private ChildJvm.Result compare(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("compare", "--policy", POLICY.toString(), "--out", work.resolve("report").toString(),
        "--json", "--sweep", "0,20", "--timed", "2000"));
    args.addAll(Arrays.asList(extra));
    args.addAll(Arrays.asList(traces()));
    return ChildJvm.evfilter(work, List.of(), args.toArray(String[]::new));
  }

  @Test
  void theDesignsAgreeAndTheReportHasItsChartsAndFigures() throws Exception {
    ChildJvm.Result r = compare();
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(0, j.get("disagreements").size());
    assertTrue(j.get("events").asLong() > 500, r.out());
    // cat.evf decides openat by label: those events go to the supervisor in the BPF design.
    assertTrue(j.get("deferred").asLong() > 0, r.out());
    assertEquals(j.get("events").asLong(), j.get("agreed").asLong() + j.get("deferred").asLong());
    assertTrue(j.get("instructionsPerEvent").asDouble() > 0 && j.get("nsPerEvent").get("bpfInterpreter").asDouble() > 0, r.out());
    assertEquals(2, j.get("sweep").size());
    assertTrue(j.get("sweep").get(1).get("predicatesPerEvent").asDouble() > j.get("sweep").get(0).get("predicatesPerEvent").asDouble(),
        "20 more rules cost the event filters nothing: " + j.get("sweep"));
    Path report = work.resolve("report");
    String md = Files.readString(report.resolve("report.md"));
    assertTrue(md.contains("| **disagree** | **0** |") && md.contains("| openat |"), md);
    assertTrue(Files.readString(report.resolve("report.html")).contains("<img src=\"per-syscall.svg\""));
    for (String chart : List.of("per-syscall", "growth-work", "growth-ns")) {
      byte[] png = Files.readAllBytes(report.resolve(chart + ".png"));
      assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4), chart);
      assertTrue(Files.readString(report.resolve(chart + ".svg")).contains("<svg"), chart);
    }
  }

  @Test
  void aBrokenLoweringIsCaughtWithTheEventsItGetsWrong() throws Exception {
    // The compiled program with one deliberate bug: what it allows, it now refuses with EPERM.
    BoundPolicy policy = PolicyBinder.load(POLICY, List.of(), KernelFacts.ofThisMachine(), Arch.X86_64);
    BpfProgram good = SeccompCompiler.compile(policy, SeccompCompiler.Options.defaults()).program();
    List<Instruction> insns = new ArrayList<>(good.instructions());
    int broken = 0;
    for (int i = 0; i < insns.size(); i++) {
      Instruction in = insns.get(i);
      if (in.code() == (Opcodes.RET | Opcodes.K) && in.k() == SeccompActions.ALLOW && broken++ == 0) {
        insns.set(i, new Instruction(in.code(), 0, 0, SeccompActions.ERRNO | 1));
      }
    }
    assertTrue(broken > 0, "no allow to break");
    Path bpf = work.resolve("broken.bpf");
    Files.write(bpf, BpfProgram.of(insns).toRaw());
    ChildJvm.Result r = compare("--bpf", bpf.toString());
    assertEquals(1, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertTrue(j.get("disagreements").size() > 0, r.out());
    JsonNode first = j.get("disagreements").get(0);
    assertEquals("allow", first.get("eventFilters").asText(), first.toString());
    assertEquals("errno(1)", first.get("bpf").asText(), first.toString());
    assertTrue(Files.readString(work.resolve("report/report.md")).contains("| allow | errno(1) |"));
  }
}
