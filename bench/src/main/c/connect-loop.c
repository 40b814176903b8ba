/*
 * connect-loop: the connect() microbenchmark of bench/scripts/socket-bench.sh.
 *
 *   connect-loop listen PORT            accepts and closes connections on 127.0.0.1:PORT forever
 *   connect-loop connect PORT COUNT [udp]  half a second's pause, COUNT/10 connects to warm up, then COUNT timed ones, each on
 *                                       a fresh TCP (or UDP: no handshake, so what deciding costs
 *                                       shows) socket closed at once; prints "ns_per_connect X"
 *
 * Every call is the raw syscall, so what a sandbox decides is the same whatever libc does.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in at(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short) port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int serve(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in a = at(port);
  if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof a) != 0 || listen(s, 4096) != 0) {
    perror("listen");
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  for (;;) {
    int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    if (c >= 0) {
      close(c);
    }
  }
}

static int type = SOCK_STREAM;

static int once(const struct sockaddr_in *a) {
  int s = (int) syscall(SYS_socket, AF_INET, type | SOCK_CLOEXEC, 0);
  if (s < 0) {
    return errno;
  }
  int e = syscall(SYS_connect, s, a, sizeof *a) == 0 ? 0 : errno;
  close(s);
  return e;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "listen") == 0) {
    return serve(atoi(argv[2]));
  }
  if ((argc != 4 && argc != 5) || strcmp(argv[1], "connect") != 0 || (argc == 5 && strcmp(argv[4], "udp") != 0)) {
    fprintf(stderr, "usage: connect-loop listen PORT | connect-loop connect PORT COUNT [udp]\n");
    return 2;
  }
  if (argc == 5) {
    type = SOCK_DGRAM;
  }
  struct sockaddr_in a = at(atoi(argv[2]));
  long count = atol(argv[3]);
  /* Started by `evfilter run`, the JVM beside us is still compiling its supervisor: let it settle
     so that what is timed is the calls, not two CPUs shared with a JIT. */
  usleep(500000);
  for (long i = 0; i < count / 10; i++) {
    if (once(&a) != 0) {
      fprintf(stderr, "connect: %s\n", strerror(errno));
      return 1;
    }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < count; i++) {
    int e = once(&a);
    if (e != 0) {
      fprintf(stderr, "connect: %s\n", strerror(e));
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
  printf("ns_per_connect %.0f\n", ns / count);
  return 0;
}
