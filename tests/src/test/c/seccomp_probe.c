/*
 * Installs a seccomp program on one thread (no TSYNC) and issues probe syscalls from it, so the
 * kernel's decision for each can be compared with evfilter's interpreter. The test maps every
 * action of the program to a distinct errno, so no probe actually runs: the prober thread cannot
 * even exit afterwards, so the unfiltered main thread prints the results and ends the process.
 *
 * usage: seccomp_probe PROGRAM.raw < probes   (one probe a line: abi nr a0 a1 a2 a3 a4 a5, hex;
 * abi 64 issues it through `syscall`, 32 through `int $0x80`)
 * output: "installed" or "refused ERRNO", then one line a probe: the errno it got (0: none).
 *
 * usage: seccomp_probe --int80   (unfiltered getpid through `int $0x80`: prints "int80 ok" when this
 * kernel takes i386 syscalls from a 64-bit task; a kernel without IA32 emulation kills it, SIGSEGV)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct probe { int abi; unsigned long nr; unsigned long a[6]; long result; };

static struct probe *probes;
static size_t count;
static struct sock_fprog prog;
static atomic_int done;
static int install_errno;

static long raw64(unsigned long nr, const unsigned long *a) {
  long ret;
  register unsigned long r10 __asm__("r10") = a[3];
  register unsigned long r8 __asm__("r8") = a[4];
  register unsigned long r9 __asm__("r9") = a[5];
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static long raw32(unsigned long nr, const unsigned long *a) {
  long ret;
  /* ebp (a5) is left alone: the frame pointer; probes give i386 at most five arguments. */
  __asm__ volatile("push %%rbx\n\tmov %2, %%rbx\n\tint $0x80\n\tpop %%rbx"
                   : "=a"(ret) : "a"(nr), "r"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]) : "memory");
  return (int) ret;
}

static void *prober(void *unused) {
  (void) unused;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    install_errno = errno;
    atomic_store(&done, 1);
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    long r = probes[i].abi == 32 ? raw32(probes[i].nr, probes[i].a) : raw64(probes[i].nr, probes[i].a);
    probes[i].result = r < 0 && r > -4096 ? -r : 0;
  }
  atomic_store(&done, 1);
  for (;;) {
    /* exit() would be filtered too; the main thread ends the process. */
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--int80") == 0) {
    static const unsigned long none[6];
    long pid = raw32(20, none); /* i386 getpid */
    printf(pid == (long) getpid() ? "int80 ok\n" : "int80 %ld\n", pid);
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: seccomp_probe PROGRAM.raw < probes\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  static struct sock_filter insns[4097];
  size_t n = fread(insns, sizeof insns[0], 4097, f);
  fclose(f);
  prog.len = (unsigned short) n;
  prog.filter = insns;
  size_t cap = 1024;
  probes = calloc(cap, sizeof *probes);
  struct probe p;
  while (scanf("%d %lx %lx %lx %lx %lx %lx %lx", &p.abi, &p.nr, &p.a[0], &p.a[1], &p.a[2], &p.a[3], &p.a[4], &p.a[5]) == 8) {
    if (count == cap) {
      cap *= 2;
      probes = realloc(probes, cap * sizeof *probes);
    }
    probes[count++] = p;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, prober, NULL) != 0) {
    return 2;
  }
  while (!atomic_load(&done)) {
    usleep(1000);
  }
  if (install_errno) {
    printf("refused %d\n", install_errno);
  } else {
    printf("installed\n");
    for (size_t i = 0; i < count; i++) {
      printf("%ld\n", probes[i].result);
    }
  }
  fflush(stdout);
  _exit(0);
}
