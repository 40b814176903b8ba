/*
 * The time-of-check/time-of-use race against a path-checking supervisor: one thread flips a path
 * between an allowed file and a denied one (one byte, so every read of it is one or the other)
 * while the main thread opens it. An escape is an open that returns the denied file's content.
 *
 * usage: path_race DIR N   (DIR holds "a-file" (allowed) and "s-file" (denied, content "S..."))
 * prints: "opens N, succeeded K, escapes E"
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];
static size_t flip_at;
static atomic_int stop;

static void *flipper(void *unused) {
  (void) unused;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    path[flip_at] = path[flip_at] == 'a' ? 's' : 'a';
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: path_race DIR N\n");
    return 2;
  }
  snprintf(path, sizeof path, "%s/a-file", argv[1]);
  flip_at = strlen(argv[1]) + 1;
  long n = atol(argv[2]);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  long ok = 0, escapes = 0;
  for (long i = 0; i < n; i++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    ok++;
    char c = 0;
    if (read(fd, &c, 1) == 1 && c == 'S') {
      escapes++;
    }
    close(fd);
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("opens %ld, succeeded %ld, escapes %ld\n", n, ok, escapes);
  return 0;
}
