/*
 * Times open+close of one file: the cost of a supervised open against an unsupervised one.
 * usage: open_loop FILE N    prints: "ns_per_open X"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: open_loop FILE N\n");
    return 2;
  }
  long n = atol(argv[2]);
  /* Warm up: the first calls fill the supervisor's caches and JIT. */
  for (long i = 0; i < n / 10 + 1; i++) {
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      perror(argv[1]);
      return 1;
    }
    close(fd);
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    close(open(argv[1], O_RDONLY | O_CLOEXEC));
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
  printf("ns_per_open %.0f\n", ns);
  return 0;
}
