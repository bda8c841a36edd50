/*
 * A preload library that counts a process's heap allocations, for figures
 * taken from a running gateway (the interop suite's allocations per media
 * packet): LD_PRELOAD it, set GWM_ALLOC_COUNT_FILE, and each SIGUSR2 writes
 * "<signals so far> <allocations so far>" to that file. A measuring tool, not
 * part of the product.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long long allocations;
static unsigned long long signals;
static const char *count_file;

static void count(void) { __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t alignment, size_t n) { count(); return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { count(); return __libc_memalign(alignment, n); }

int posix_memalign(void **out, size_t alignment, size_t n) {
    count();
    void *p = __libc_memalign(alignment, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

/* Decimal digits of v at the end of buf; returns where they start. */
static char *format(unsigned long long v, char *end) {
    do { *--end = (char)('0' + v % 10); v /= 10; } while (v);
    return end;
}

/* Only async-signal-safe calls here: the signal lands on any thread. */
static void report(int sig) {
    (void)sig;
    char buf[64], *end = buf + sizeof buf;
    *--end = '\n';
    char *p = format(__atomic_load_n(&allocations, __ATOMIC_RELAXED), end);
    *--p = ' ';
    p = format(++signals, p);
    int fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    ssize_t ignored = write(fd, p, (size_t)(end + 1 - p));
    (void)ignored;
    close(fd);
}

__attribute__((constructor)) static void install(void) {
    count_file = getenv("GWM_ALLOC_COUNT_FILE");
    if (!count_file) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = report;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}
