/*
 * sockops: a socket workload whose outcome per operation can be compared between enforcement
 * designs (the supervisor today, cgroup eBPF programs later). Reads operations, one per line, from
 * the file argv[1]:
 *
 *   socket KIND                          socket() only
 *   connect|connect-nb|bind KIND ADDR    connect (connect-nb: on a non-blocking socket) or bind
 *   sendto|sendmsg KIND ADDR             sendto or sendmsg of "ping" to ADDR, on a fresh socket
 *   send-connected KIND ADDR             connect, then sendto without an address (to the peer)
 *
 * KIND: tcp4 udp4 tcp6 udp6 (ADDR is "IP PORT") or unix-stream unix-dgram (ADDR is a path, or
 * @NAME for an abstract name). Prints per operation "OP KIND ADDR: ok|ERRNO-NAME", the errno of the
 * first call that failed. Every call is the raw syscall, so the syscalls are the same whatever
 * libc does; every socket is opened and closed by its operation.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static const char *name(int e) {
  if (e == 0) {
    return "ok";
  }
  return strerrorname_np(e) ? strerrorname_np(e) : "E?";
}

struct target {
  int family;
  int type;
  struct sockaddr_storage addr;
  socklen_t len;
};

/* Parses KIND and ADDR (the rest of the line) into a target; 0 when it could not. */
static int parse(const char *kind, char *rest, struct target *t) {
  memset(t, 0, sizeof(*t));
  char ip[64];
  int port = 0;
  if (strncmp(kind, "unix", 4) == 0) {
    struct sockaddr_un *u = (struct sockaddr_un *) &t->addr;
    t->family = AF_UNIX;
    t->type = strcmp(kind, "unix-dgram") == 0 ? SOCK_DGRAM : SOCK_STREAM;
    u->sun_family = AF_UNIX;
    size_t n = strlen(rest);
    if (n >= sizeof(u->sun_path)) {
      return 0;
    }
    memcpy(u->sun_path, rest, n);
    if (rest[0] == '@') {
      u->sun_path[0] = 0; /* abstract: the name is every byte up to the length */
    }
    t->len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (rest[0] == '@' ? 0 : 1));
    return 1;
  }
  if (sscanf(rest, "%63s %d", ip, &port) != 2) {
    return 0;
  }
  t->type = kind[0] == 't' ? SOCK_STREAM : SOCK_DGRAM;
  if (kind[3] == '4') {
    struct sockaddr_in *a = (struct sockaddr_in *) &t->addr;
    t->family = a->sin_family = AF_INET;
    a->sin_port = htons((unsigned short) port);
    t->len = sizeof(*a);
    return inet_pton(AF_INET, ip, &a->sin_addr) == 1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *) &t->addr;
  t->family = a->sin6_family = AF_INET6;
  a->sin6_port = htons((unsigned short) port);
  t->len = sizeof(*a);
  return inet_pton(AF_INET6, ip, &a->sin6_addr) == 1;
}

static int run(const char *op, const struct target *t) {
  int nonblock = strcmp(op, "connect-nb") == 0 ? SOCK_NONBLOCK : 0;
  int s = (int) syscall(SYS_socket, t->family, t->type | SOCK_CLOEXEC | nonblock, 0);
  if (s < 0) {
    return errno;
  }
  int e = 0;
  static const char ping[] = "ping";
  if (strcmp(op, "socket") == 0) {
    e = 0;
  } else if (strcmp(op, "connect") == 0 || strcmp(op, "connect-nb") == 0) {
    e = syscall(SYS_connect, s, &t->addr, t->len) == 0 ? 0 : errno;
  } else if (strcmp(op, "bind") == 0) {
    e = syscall(SYS_bind, s, &t->addr, t->len) == 0 ? 0 : errno;
  } else if (strcmp(op, "sendto") == 0) {
    e = syscall(SYS_sendto, s, ping, sizeof(ping) - 1, MSG_NOSIGNAL, &t->addr, t->len) == (long) sizeof(ping) - 1 ? 0 : errno;
  } else if (strcmp(op, "sendmsg") == 0) {
    struct iovec iov[2] = {{(void *) ping, 2}, {(void *) (ping + 2), 2}};
    struct msghdr m = {.msg_name = (void *) &t->addr, .msg_namelen = t->len, .msg_iov = iov, .msg_iovlen = 2};
    e = syscall(SYS_sendmsg, s, &m, MSG_NOSIGNAL) == 4 ? 0 : errno;
  } else if (strcmp(op, "send-connected") == 0) {
    e = syscall(SYS_connect, s, &t->addr, t->len) == 0 ? 0 : errno;
    if (e == 0) {
      e = syscall(SYS_sendto, s, ping, sizeof(ping) - 1, MSG_NOSIGNAL, NULL, 0) == (long) sizeof(ping) - 1 ? 0 : errno;
    }
  } else {
    e = EINVAL;
  }
  close(s);
  return e;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sockops OPS-FILE\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "re");
  if (f == NULL) {
    perror(argv[1]);
    return 2;
  }
  char line[512];
  while (fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\n")] = 0;
    char op[32];
    char kind[32];
    int used = 0;
    if (line[0] == 0 || sscanf(line, "%31s %31s %n", op, kind, &used) < 2) {
      continue;
    }
    struct target t;
    char *rest = line + used;
    if (!parse(kind, rest, &t) && strcmp(op, "socket") != 0) {
      printf("%s: EINVAL\n", line);
    } else {
      if (strcmp(op, "socket") == 0) {
        t.family = strncmp(kind, "unix", 4) == 0 ? AF_UNIX : kind[3] == '6' ? AF_INET6 : AF_INET;
        t.type = strstr(kind, "dgram") != NULL || strncmp(kind, "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM;
      }
      printf("%s: %s\n", line, name(run(op, &t)));
    }
    fflush(stdout);
  }
  fclose(f);
  return 0;
}
