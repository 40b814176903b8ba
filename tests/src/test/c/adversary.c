/*
 * What a confined program might try against the sandbox, each attempt's outcome on stdout.
 *
 * usage: adversary forbidden                 io_uring_setup, ptrace, process_vm_writev: "NAME errno=E"
 *        adversary signals FILE N            N opens of FILE while another thread signals the opener:
 *                                            "ok=A eintr=B other=C wrong=D" (wrong: a descriptor that
 *                                            is not FILE's content)
 *        adversary tricks DIR                opens of DIR/secret through .., a symlink, a hard link
 *                                            and after a rename: "NAME errno=E" (0: it opened)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static void report(const char *name, long r) {
  printf("%s errno=%d\n", name, r < 0 ? errno : 0);
}

/* The victim is a child of our own (never the parent: an escaped attach would stop the supervisor). */
static int forbidden(void) {
  char params[120] = {0};
  report("io_uring_setup", syscall(SYS_io_uring_setup, 4, params));
  static char buf[8] = "x";
  pid_t victim = fork();
  if (victim == 0) {
    pause();
    _exit(0);
  }
  if (victim < 0) {
    perror("fork");
    return 1;
  }
  report("ptrace", ptrace(PTRACE_ATTACH, victim, 0, 0));
  struct iovec local = {.iov_base = buf, .iov_len = 1}, remote = {.iov_base = buf, .iov_len = 1};
  report("process_vm_writev", process_vm_writev(victim, &local, 1, &remote, 1, 0));
  kill(victim, SIGKILL);
  return 0;
}

static pthread_t opener;
static atomic_int stop;

static void on_signal(int s) {
  (void) s;
}

static void *signaller(void *arg) {
  (void) arg;
  while (!atomic_load(&stop)) {
    pthread_kill(opener, SIGUSR1);
    usleep(50);
  }
  return NULL;
}

static int signals(const char *file, long n) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: an interrupted open fails with EINTR */
  sigaction(SIGUSR1, &sa, NULL);
  char want[64] = {0}, got[64];
  int fd = open(file, O_RDONLY);
  if (fd < 0 || read(fd, want, sizeof want - 1) <= 0) {
    perror(file);
    return 1;
  }
  close(fd);
  opener = pthread_self();
  pthread_t t;
  pthread_create(&t, NULL, signaller, NULL);
  long ok = 0, eintr = 0, other = 0, wrong = 0;
  for (long i = 0; i < n; i++) {
    fd = open(file, O_RDONLY);
    if (fd < 0) {
      if (errno == EINTR) eintr++; else other++;
      continue;
    }
    memset(got, 0, sizeof got);
    ssize_t r;
    while ((r = pread(fd, got, sizeof got - 1, 0)) < 0 && errno == EINTR) {
    }
    if (strcmp(got, want) != 0) wrong++; else ok++;
    close(fd);
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("ok=%ld eintr=%ld other=%ld wrong=%ld\n", ok, eintr, other, wrong);
  return 0;
}

static void try_open(const char *name, const char *path) {
  int fd = open(path, O_RDONLY);
  report(name, fd);
  if (fd >= 0) close(fd);
}

static int tricks(const char *dir) {
  char secret[4096], p[4096], q[4096];
  snprintf(secret, sizeof secret, "%s/secret", dir);
  snprintf(p, sizeof p, "%s/pub/../secret", dir);
  try_open("dotdot", p);
  snprintf(p, sizeof p, "%s/pub/link", dir);
  report("symlink-made", symlink("../secret", p));
  try_open("symlink", p);
  snprintf(p, sizeof p, "%s/pub/hard", dir);
  report("hardlink-made", link(secret, p));
  try_open("hardlink", p);
  snprintf(q, sizeof q, "%s/pub/renamed", dir);
  report("rename-made", rename(secret, q));
  try_open("renamed", q);
  snprintf(p, sizeof p, "%s/pub/open.txt", dir);
  try_open("public", p);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && strcmp(argv[1], "forbidden") == 0) return forbidden();
  if (argc >= 4 && strcmp(argv[1], "signals") == 0) return signals(argv[2], atol(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "tricks") == 0) return tricks(argv[2]);
  fprintf(stderr, "usage: adversary forbidden | signals FILE N | tricks DIR\n");
  return 2;
}
