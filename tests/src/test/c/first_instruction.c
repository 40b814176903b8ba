/* Prints the CLOCK_REALTIME nanoseconds at which main() started: for launch-latency figures. */
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  printf("%lld\n", (long long) t.tv_sec * 1000000000LL + t.tv_nsec);
  return 0;
}
