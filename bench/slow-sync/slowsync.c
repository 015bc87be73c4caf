// LD_PRELOAD shim: every fsync, fdatasync and msync first sleeps SLOW_SYNC_MS (default 50) milliseconds,
// as on a slow or busy disk. For latency benchmarks only.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <stddef.h>
static void pause_ms(void) {
    const char *v = getenv("SLOW_SYNC_MS");
    long ms = v ? atol(v) : 50;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}
int fsync(int fd) { static int (*real)(int); if (!real) real = dlsym(RTLD_NEXT, "fsync"); pause_ms(); return real(fd); }
int fdatasync(int fd) { static int (*real)(int); if (!real) real = dlsym(RTLD_NEXT, "fdatasync"); pause_ms(); return real(fd); }
int msync(void *a, size_t l, int f) { static int (*real)(void *, size_t, int); if (!real) real = dlsym(RTLD_NEXT, "msync"); pause_ms(); return real(a, l, f); }
