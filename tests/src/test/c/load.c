/*
 * Load on the supervisor: T threads each open (and close) FILE N times, every open supervised.
 * Each descriptor is checked to be FILE's (its content), each open timed.
 *
 * usage: load FILE THREADS N
 * output: "threads T opens TOTAL ok OK failed F wrong W seconds S per_second R p50_us A p99_us B max_us C"
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *file;
static long n;
static char want[64];

struct worker { pthread_t t; long ok, failed, wrong; long *lat; };

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *work(void *arg) {
  struct worker *w = arg;
  char got[64];
  for (long i = 0; i < n; i++) {
    long a = now_ns();
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    w->lat[i] = now_ns() - a;
    if (fd < 0) {
      w->failed++;
      continue;
    }
    memset(got, 0, sizeof got);
    if (pread(fd, got, sizeof got - 1, 0) < 0 || strcmp(got, want) != 0) w->wrong++; else w->ok++;
    close(fd);
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  long x = *(const long *) a, y = *(const long *) b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: load FILE THREADS N\n");
    return 2;
  }
  file = argv[1];
  int threads = atoi(argv[2]);
  n = atol(argv[3]);
  int fd = open(file, O_RDONLY);
  if (fd < 0 || read(fd, want, sizeof want - 1) <= 0) {
    perror(file);
    return 1;
  }
  close(fd);
  struct worker *ws = calloc(threads, sizeof *ws);
  long start = now_ns();
  for (int i = 0; i < threads; i++) {
    ws[i].lat = malloc(n * sizeof(long));
    pthread_create(&ws[i].t, NULL, work, &ws[i]);
  }
  long ok = 0, failed = 0, wrong = 0;
  long *all = malloc((size_t) threads * n * sizeof(long));
  for (int i = 0; i < threads; i++) {
    pthread_join(ws[i].t, NULL);
    ok += ws[i].ok;
    failed += ws[i].failed;
    wrong += ws[i].wrong;
    memcpy(all + (size_t) i * n, ws[i].lat, n * sizeof(long));
  }
  double seconds = (now_ns() - start) / 1e9;
  long total = (long) threads * n;
  qsort(all, total, sizeof(long), cmp);
  printf("threads %d opens %ld ok %ld failed %ld wrong %ld seconds %.2f per_second %.0f p50_us %.1f p99_us %.1f max_us %.1f\n",
         threads, total, ok, failed, wrong, seconds, total / seconds, all[total / 2] / 1e3, all[total * 99 / 100] / 1e3,
         all[total - 1] / 1e3);
  return failed == 0 && wrong == 0 ? 0 : 1;
}
