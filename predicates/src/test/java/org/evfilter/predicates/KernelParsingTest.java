package org.evfilter.predicates;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** kstrtoull/kstrtoll, cpulist_parse and filter_parse_regex as the kernel defines them. */
class KernelParsingTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", value = {
    "0 => 0 => 0", "10 => 10 => 10", "010 => 8 => 8", "0x1f => 31 => 31", "0X1F => 31 => 31",
    "0x => - => -", "08 => - => -", "1a => - => -", "-1 => - => -1", "-0 => - => 0",
    "18446744073709551615 => -1 => -", "18446744073709551616 => - => -",
    "9223372036854775807 => 9223372036854775807 => 9223372036854775807",
    "-9223372036854775808 => - => -9223372036854775808", "-9223372036854775809 => - => -",
    "0xffffffffffffffff => -1 => -", "- => - => -"})
  void kstrtox(String text, String unsigned, String signed) {
    assertEquals(expect(unsigned), KernelNumbers.parseUnsigned(text));
    assertEquals(expect(signed), KernelNumbers.parseSigned(text));
  }

  private static OptionalLong expect(String s) {
    return s.equals("-") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", value = {
    "0 => 0", "0-3 => 0,1,2,3", "all => 0,1,2,3", "N => 3", "0-N:1/2 => 0,2", "1 , 3 => 1,3",
    "0-3:2/4 => 0,1", "4 => -", "3-1 => -", "x => -", "0- => -", "0-1:2/1 => -", "0-1:1/0 => -",
    "4294967296 => -", "0,,1 => 0,1"})
  void cpulist(String list, String cpus) {
    Optional<BitSet> parsed = CpuList.parse(list, 4);
    if (cpus.equals("-")) {
      assertEquals(Optional.empty(), parsed, list);
    } else {
      BitSet expected = new BitSet();
      for (String c : cpus.isEmpty() ? new String[0] : cpus.split(",")) {
        expected.set(Integer.parseInt(c));
      }
      assertEquals(Optional.of(expected), parsed, list);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = " => ", value = {
    "abc => FULL => abc => false", "*abc => END => abc => false", "abc* => FRONT => abc => false",
    "*abc* => MIDDLE => abc => false", "a*c => GLOB => a*c => false", "a?c => GLOB => a?c => false",
    "[ab]* => GLOB => [ab]* => false", "!*x => END => x => true", "1* => FULL => 1* => false",
    "* => END => '' => false", "** => MIDDLE => '' => false"})
  void globs(String pattern, Glob.Type type, String search, boolean negated) {
    assertEquals(new Glob(type, search, negated), Glob.parse(pattern));
  }
}
