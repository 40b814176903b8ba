/*
 * Fires trace events with known field values for the match conformance test
 * (MatchConformanceTest): each argument is one stimulus, preceded by a marker line
 * "evfm N" written to every trace_marker file named in EVFM_MARKERS (':'-separated), so the
 * test can tell which stimulus a recorded event belongs to. Prints "N PID RET" per stimulus:
 * the pid the event is recorded for and what the call returned.
 *
 * Stimuli:  cpu:N                move to CPU N (no event of interest)
 *           comm:NAME            prctl(PR_SET_NAME): task/task_rename, and the comm of what follows
 *           oom:N                write /proc/self/oom_score_adj (the next rename records it)
 *           lseek:FD:OFF:WHENCE  raw lseek(2), every argument a 64-bit hex register value
 *           open:PATH            openat(AT_FDCWD, PATH, O_RDONLY) (closed if it opens)
 *           exec:PATH            fork, exec PATH in the child, wait: sched/sched_process_exec
 * Before the first stimulus, the file named by EVFM_FILE is opened as descriptor 10.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int markers[64];
static int nmarkers;

static void mark(int n) {
  char line[32];
  int len = snprintf(line, sizeof line, "evfm %d\n", n);
  for (int i = 0; i < nmarkers; i++) {
    if (write(markers[i], line, len) != len) {
      perror("trace_marker");
      exit(2);
    }
  }
}

static unsigned long hex(const char *s) {
  return strtoul(s, NULL, 16);
}

int main(int argc, char **argv) {
  char *list = getenv("EVFM_MARKERS");
  const char *file = getenv("EVFM_FILE");
  if (!list || !file) {
    fprintf(stderr, "usage: EVFM_MARKERS=a:b EVFM_FILE=F match_trigger STIMULUS...\n");
    return 2;
  }
  // Descriptor 10 first: the markers' descriptors must not land on it.
  int fd = open(file, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || dup2(fd, 10) != 10) {
    perror(file);
    return 2;
  }
  for (char *m = strtok(list, ":"); m && nmarkers < 64; m = strtok(NULL, ":")) {
    if ((markers[nmarkers++] = open(m, O_WRONLY | O_CLOEXEC)) < 0) {
      perror(m);
      return 2;
    }
  }
  for (int i = 1; i < argc; i++) {
    char *s = argv[i];
    long ret = 0;
    pid_t pid = getpid();
    mark(i);
    if (!strncmp(s, "cpu:", 4)) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(atoi(s + 4), &set);
      ret = sched_setaffinity(0, sizeof set, &set);
    } else if (!strncmp(s, "comm:", 5)) {
      ret = prctl(PR_SET_NAME, s + 5, 0, 0, 0);
    } else if (!strncmp(s, "oom:", 4)) {
      int f = open("/proc/self/oom_score_adj", O_WRONLY);
      ret = f < 0 ? -1 : write(f, s + 4, strlen(s + 4));
      if (f >= 0) {
        close(f);
      }
    } else if (!strncmp(s, "lseek:", 6)) {
      char *a = s + 6;
      char *b = strchr(a, ':');
      char *c = b ? strchr(b + 1, ':') : NULL;
      if (!c) {
        fprintf(stderr, "bad stimulus %s\n", s);
        return 2;
      }
      ret = syscall(SYS_lseek, hex(a), hex(b + 1), hex(c + 1));
      if (ret < 0) {
        ret = -errno;
      }
    } else if (!strncmp(s, "open:", 5)) {
      ret = syscall(SYS_openat, (long)AT_FDCWD, s + 5, (long)O_RDONLY, 0L);
      if (ret >= 0) {
        close((int)ret);
      }
    } else if (!strncmp(s, "exec:", 5)) {
      fflush(stdout);
      pid = fork();
      if (pid == 0) {
        char *child[] = {s + 5, NULL};
        execv(s + 5, child);
        _exit(127);
      }
      int status;
      waitpid(pid, &status, 0);
      ret = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else {
      fprintf(stderr, "bad stimulus %s\n", s);
      return 2;
    }
    printf("%d %d %ld\n", i, (int)pid, ret);
  }
  return 0;
}
