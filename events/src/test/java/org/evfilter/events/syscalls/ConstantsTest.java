package org.evfilter.events.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConstantsTest {

  @Test
  void errnoNumbersAreTheHeadersOnes() {
    assertEquals(1, Errno.EPERM);
    assertEquals(2, Errno.ENOENT);
    assertEquals(13, Errno.EACCES);
    assertEquals(18, Errno.EXDEV);
    assertEquals(38, Errno.ENOSYS);
    assertEquals(40, Errno.ELOOP);
  }

  @Test
  void fileFlagsAreTheHeadersOnes() {
    assertEquals(0100, FileFlags.O_CREAT);
    assertEquals(0200000, FileFlags.O_DIRECTORY);
    assertEquals(010000000, FileFlags.O_PATH);
    assertEquals(020200000, FileFlags.O_TMPFILE, "O_TMPFILE includes O_DIRECTORY");
    assertEquals(-100, FileFlags.AT_FDCWD, "AT_FDCWD is negative, read back from its unsigned spelling");
    assertEquals(0x200, FileFlags.AT_REMOVEDIR);
  }

  @Test
  void anUnknownNameIsRefusedWithTheGenerator() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Constants.linux().require("EBOGUS"));
    assertEquals("the constants table has no EBOGUS (see events/scripts/gen-constants.sh)", e.getMessage());
  }
}
