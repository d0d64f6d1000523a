/*
 * The floor under any TCP connect checker on this machine: the system calls a checker makes
 * (socket, setsockopt SO_LINGER, connect, epoll_ctl, epoll_wait; close; getsockopt on
 * errors only), from C, with nothing else. COUNT targets, each once per second, spread over
 * 10 ms ticks, for SECONDS after a 3 s warm-up; prints CPU per check (user and system).
 * The fifth argument names a mode, words joined by commas:
 *   close     a socket per check, closed with a reset (what the `socket` path does);
 *   reuse     as the native lane's socket pool: a socket that connected is dissolved with
 *             connect(AF_UNSPEC) (a reset, as close with SO_LINGER 0 sends) and used for the
 *             next check, registered once with EPOLLONESHOT and re-armed with EPOLL_CTL_MOD;
 *   defer     TCP_DEFER_ACCEPT on each new socket, as the native lane sets: the reset follows
 *             the SYN-ACK without an ACK, so the server never completes the handshake;
 *   nodelack  TCP_QUICKACK 0 before each connect (HAProxy's way to the same end; a socket
 *             loses it when dissolved, so it costs a system call per check).
 * "reuse,defer" makes the native lane's system calls.
 * Build and run (root, inside the client namespace of bench/tcp.ts's rig, or any):
 *   cc -O2 -o /tmp/floor bench/floor.c && /tmp/floor 192.0.2.2 20000 10000 20 reuse,defer
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_s(int who_user) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct timeval tv = who_user ? ru.ru_utime : ru.ru_stime;
  return tv.tv_sec + tv.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  const char *address = argv[1];
  int base = atoi(argv[2]), count = atoi(argv[3]), seconds = atoi(argv[4]);
  const char *mode = argc > 5 ? argv[5] : "";
  int reuse = strstr(mode, "reuse") != NULL, nodelack = strstr(mode, "nodelack") != NULL,
      defer = strstr(mode, "defer") != NULL;
  int zero = 0;
  int pool[65536];
  int pooled = 0;
  char *registered = calloc(1 << 20, 1);
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  struct sockaddr_in sa = {.sin_family = AF_INET};
  inet_pton(AF_INET, address, &sa.sin_addr);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct linger lg = {1, 0};
  struct epoll_event events[1024];
  long done = 0, failed = 0, measured = 0;
  int next = 0;
  double start = now_ms(), tick = start, t0 = 0, u0 = 0, s0 = 0;
  int measuring = 0;
  for (;;) {
    double t = now_ms();
    if (!measuring && t - start >= 3000) {
      measuring = 1, t0 = t, u0 = cpu_s(1), s0 = cpu_s(0), measured = done;
    }
    if (measuring && t - t0 >= seconds * 1000.0) break;
    if (t >= tick) {
      for (int i = 0; i < count / 100; i++) {
        int fd;
        if (reuse && pooled > 0) {
          fd = pool[--pooled];
        } else {
          fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          if (defer) setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, (int[]){1}, sizeof(int));
        }
        if (nodelack) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
        sa.sin_port = htons(base + next);
        next = (next + 1) % count;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno != EINPROGRESS) {
          if (registered[fd]) epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), registered[fd] = 0;
          close(fd);
          done++;
          continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT | (reuse ? EPOLLONESHOT : 0), .data.fd = fd};
        epoll_ctl(ep, registered[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
        if (reuse) registered[fd] = 1;
      }
      tick += 10;
    }
    double left = tick - now_ms();
    int wait = left <= 0 ? 0 : (int)left + 1;
    int n = epoll_wait(ep, events, 1024, wait < 0 ? 0 : wait);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      int err = 0;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) failed++;
      }
      if (reuse && !err && pooled < 65536) {
        connect(fd, &unspec, sizeof unspec);
        pool[pooled++] = fd;
      } else {
        if (registered[fd]) epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), registered[fd] = 0;
        close(fd);
      }
      done++;
    }
  }
  double elapsed = (now_ms() - t0) / 1000, user = cpu_s(1) - u0, sys = cpu_s(0) - s0;
  long checks = done - measured;
  printf("{\"checksPerSecond\":%.0f,\"failures\":%ld,\"cpuPercentOfOneCore\":%.1f,\"cpuMicrosecondsPerCheck\":%.1f,"
         "\"userMicrosecondsPerCheck\":%.1f,\"systemMicrosecondsPerCheck\":%.1f}\n",
         checks / elapsed, failed, (user + sys) / elapsed * 100, (user + sys) * 1e6 / checks, user * 1e6 / checks,
         sys * 1e6 / checks);
  return 0;
}
