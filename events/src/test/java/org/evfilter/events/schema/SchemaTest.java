package org.evfilter.events.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SchemaTest {
  private static final String SCHED_SWITCH = String.join("\n",
      "name: sched_switch",
      "ID: 316",
      "format:",
      "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;",
      "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;",
      "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;",
      "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;",
      "",
      "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;",
      "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;",
      "\tfield:__data_loc char[] name;\toffset:40;\tsize:4;\tsigned:0;",
      "\tfield:int cpu;\toffset:44;\tsize:4;\tsigned:1;",
      "",
      "print fmt: \"prev_comm=%s\", REC->prev_comm",
      "");

  @Test
  void readsFieldsWithTheirKinds() {
    EventSchema s = FormatFile.parse("sched", SCHED_SWITCH);
    assertEquals("sched/sched_switch", s.path());
    assertEquals(316, s.id());
    assertEquals(8, s.fields().size());
    EventField comm = s.field("prev_comm").orElseThrow();
    assertEquals("char[16]", comm.cType());
    assertEquals(FieldKind.STATIC_STRING, comm.kind());
    assertEquals(16, comm.size());
    assertEquals(FieldKind.DYN_STRING, s.field("name").orElseThrow().kind());
    EventField state = s.field("prev_state").orElseThrow();
    assertTrue(state.signed());
    assertEquals(FieldKind.NUMERIC, state.kind());
  }

  @Test
  void resolvesNamesInTheKernelsOrder() {
    EventSchema s = FormatFile.parse("sched", SCHED_SWITCH);
    // The event's own 'cpu' wins over the generic one.
    assertEquals(FieldKind.NUMERIC, s.field("cpu").orElseThrow().kind());
    assertEquals(FieldKind.CPU, s.field("CPU").orElseThrow().kind());
    assertEquals(FieldKind.COMM, s.field("comm").orElseThrow().kind());
    assertEquals(FieldKind.STACKTRACE, s.field("stacktrace").orElseThrow().kind());
    assertEquals(2, s.field("common_type").orElseThrow().size());
    assertFalse(s.field("Prev_comm").isPresent());
  }

  @ParameterizedTest
  @CsvSource(delimiterString = " => ", value = {
    "char[16] => STATIC_STRING", "__data_loc char[] => DYN_STRING", "__rel_loc char[] => RDYN_STRING",
    "__data_loc cpumask_t => CPUMASK", "char * => PTR_STRING", "const char * => PTR_STRING",
    "unsigned char * => NUMERIC", "unsigned long[6] => NUMERIC", "u64 => NUMERIC"})
  void classifiesTypesLikeFilterAssignType(String type, FieldKind kind) {
    assertEquals(kind, FieldKind.ofCType(type));
  }

  @Test
  void bundledSnapshotHasTheSyscallEvents() {
    SchemaCatalog c = SchemaCatalog.bundled();
    EventSchema openat = c.find("syscalls/sys_enter_openat").orElseThrow();
    assertEquals(FieldKind.PTR_STRING, openat.field("filename").orElseThrow().kind());
    EventField flags = openat.field("flags").orElseThrow();
    assertEquals(8, flags.size());
    assertFalse(flags.signed());
    assertTrue(openat.field("__syscall_nr").orElseThrow().signed());
    assertTrue(c.find("syscalls/sys_exit_openat").orElseThrow().field("ret").orElseThrow().signed());
    EventField args = c.find("raw_syscalls/sys_enter").orElseThrow().field("args").orElseThrow();
    assertEquals(48, args.size());
    assertEquals(java.util.OptionalInt.of(6), args.arrayLength());
    assertTrue(openat.field("filename").orElseThrow().isPointer());
    assertFalse(flags.isPointer());
    assertEquals(java.util.OptionalInt.empty(), flags.arrayLength());
    assertTrue(c.events().size() > 600, "syscall events: " + c.events().size());
  }

  @Test
  void malformedFormatFilesNameTheLine() {
    FormatFileException e = assertThrows(FormatFileException.class,
        () -> FormatFile.parse("x", "name: x\nID: 1\n\tfield:int a;\toffset:zero;\n"));
    assertEquals(3, e.line());
  }
}
