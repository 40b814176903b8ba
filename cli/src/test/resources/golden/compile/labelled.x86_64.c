#include <linux/filter.h>

static struct sock_filter filter[] = {
  { 0x20,   0,   0, 0x00000004 }, /* 0000: ld  $data[4] */
  { 0x15,   0,   8, 0xc000003e }, /* 0001: jeq 3221225534 true:0002 false:0010 */
  { 0x20,   0,   0, 0x00000000 }, /* 0002: ld  $data[0] */
  { 0x35,   3,   0, 0x40000000 }, /* 0003: jge 1073741824 true:0007 false:0004 */
  { 0x35,   1,   0, 0x00000101 }, /* 0004: jge 257 true:0006 false:0005 */
  { 0x35,   6,   5, 0x00000002 }, /* 0005: jge 2 true:0012 false:0011 */
  { 0x35,   5,   6, 0x00000102 }, /* 0006: jge 258 true:0012 false:0013 */
  { 0x35,   1,   0, 0xc0000000 }, /* 0007: jge 3221225472 true:0009 false:0008 */
  { 0x35,   3,   1, 0x80000000 }, /* 0008: jge 2147483648 true:0012 false:0010 */
  { 0x35,   2,   0, 0xffffffff }, /* 0009: jge 4294967295 true:0012 false:0010 */
  { 0x06,   0,   0, 0x80000000 }, /* 0010: ret KILL_PROCESS */
  { 0x06,   0,   0, 0x7fff0000 }, /* 0011: ret ALLOW */
  { 0x06,   0,   0, 0x00050001 }, /* 0012: ret ERRNO(1) */
  { 0x06,   0,   0, 0x7fc00000 }, /* 0013: ret NOTIFY */
};
