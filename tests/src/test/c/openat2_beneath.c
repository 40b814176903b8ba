/*
 * openat2 with RESOLVE_BENEATH from DIR: "../escape.txt" must fail with EXDEV, "inside.txt" open.
 * usage: openat2_beneath DIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
int main(int argc, char **argv) {
  int d = open(argv[1], O_PATH | O_DIRECTORY);
  struct open_how h = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
  long r = syscall(SYS_openat2, d, "../escape.txt", &h, sizeof h);
  printf("beneath: %ld %s\n", r, r < 0 ? strerror(errno) : "opened");
  r = syscall(SYS_openat2, d, "inside.txt", &h, sizeof h);
  printf("inside: %ld %s\n", r, r < 0 ? strerror(errno) : "opened");
  return 0;
}
