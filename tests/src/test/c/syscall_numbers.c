/*
 * Calls each syscall number given on the command line once, in a child of its own, with every
 * argument -1 (a bad file descriptor, a kernel address, all flag bits set: the call is refused
 * before it does anything). SyscallTableKernelTest traces the calls to learn the kernel's name
 * for each number; a child a call kills (uretprobe's SIGILL) is only that child.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long nr = strtol(argv[i], NULL, 10);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      alarm(5);
      syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
      _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) {
      perror("waitpid");
      return 1;
    }
  }
  return 0;
}
