/*
 * evfilter-launch: the process that becomes the sandboxed command.
 *
 * usage: evfilter-launch CONTROL_SOCKET PROGRAM.bpf LISTEN(0|1) -- CMD [ARGS...]
 *
 * It connects to the supervisor's control socket, clears the signal mask and dispositions it
 * inherited from the JVM, closes every other descriptor, sets no_new_privs and installs the
 * program on itself (one thread: no TSYNC needed). With LISTEN=1 the filter has a notification
 * listener; the launcher tells the supervisor the descriptor number the listener will get before
 * installing, because after installing it may only make the syscalls the policy allows: it then
 * blocks in read() until the supervisor has taken the listener with pidfd_getfd, and execs CMD.
 * If the policy denies read, the read fails and the exec proceeds: a listener nobody took makes
 * every notified syscall fail with ENOSYS, so nothing is allowed that should not be.
 *
 * Exit status when CMD cannot start: 126 (found but not executable or exec denied), 127 (not
 * found), 125 (the launcher itself failed; the reason is on stderr when it can still be written).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void die(const char *what) {
  fprintf(stderr, "evfilter-launch: %s: %s\n", what, strerror(errno));
  _exit(125);
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fprintf(stderr, "usage: evfilter-launch CONTROL_SOCKET PROGRAM.bpf LISTEN -- CMD [ARGS...]\n");
    return 125;
  }
  int listen = argv[3][0] == '1';

  /* The JVM blocks some signals and ignores others; CMD must start with the defaults. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The raw call: glibc's signal() refuses its own signals 32 and 33, which the JVM may ignore. */
  struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } dfl = {SIG_DFL, 0, NULL, 0};
  for (int s = 1; s < 65; s++) {
    if (s != SIGKILL && s != SIGSTOP) {
      syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
    }
  }

  int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (ctl < 0 || strlen(argv[1]) >= sizeof addr.sun_path) {
    die("control socket");
  }
  strcpy(addr.sun_path, argv[1]);
  if (connect(ctl, (struct sockaddr *) &addr, sizeof addr) != 0) {
    die("connect to the supervisor");
  }

  static struct sock_filter insns[4096];
  int pf = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (pf < 0) {
    die(argv[2]);
  }
  ssize_t n = read(pf, insns, sizeof insns);
  close(pf);
  if (n <= 0 || n % sizeof insns[0] != 0) {
    errno = EINVAL;
    die("the program file");
  }
  struct sock_fprog prog = {.len = (unsigned short) (n / sizeof insns[0]), .filter = insns};

  /* Nothing of the JVM's reaches CMD but stdin, stdout and stderr. */
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 1024; fd++) {
      if (fd != ctl) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
  }

  /* The listener takes the lowest free descriptor: say which before installing. */
  int probe = dup(0 <= ctl ? ctl : 0);
  if (probe < 0) {
    die("dup");
  }
  close(probe);
  char line[64];
  int len = snprintf(line, sizeof line, "%d %d\n", (int) getpid(), listen ? probe : -1);
  if (write(ctl, line, len) != len) {
    die("tell the supervisor");
  }

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    die("no_new_privs");
  }
  unsigned long flags = listen ? SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (fd < 0 && listen && errno == EINVAL) {
    /* Before Linux 5.19 there is no WAIT_KILLABLE_RECV. */
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  }
  if (fd < 0) {
    die("install the seccomp program");
  }
  if (listen) {
    char go = 0;
    /* Blocks until the supervisor holds the listener. Without its word the command does not run:
     * a listener nobody holds would let the command install its own (fail closed). */
    if (read(ctl, &go, 1) != 1 || go != 'g') {
      _exit(125);
    }
  }
  execvp(argv[5], argv + 5);
  int e = errno;
  fprintf(stderr, "evfilter-launch: %s: %s\n", argv[5], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}
