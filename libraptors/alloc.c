/*
 * Buffers for the new-array path (raptors.scale(x, a) without out=).
 *
 * A fresh large buffer from malloc/mmap costs a page fault and the kernel's
 * zeroing of every page on first write, often more than the scale itself.
 * So large blocks are mapped once, advised to huge pages (one fault per 2 MiB
 * instead of per 4 KiB), and when the Python array that owns one dies the
 * block comes back here and is handed out again, already resident. The pool
 * keeps at most rp_pool_limit() bytes and POOL_SLOTS blocks; beyond that a
 * freed block is unmapped. Blocks are reused only for the same size class
 * (the size rounded up to RP_BLOCK_ALIGN).
 *
 * Memory comes back: a block that waits in the pool longer than the idle time
 * (RAPTORS_POOL_IDLE_MS, default 1 s) is unmapped by a trimmer thread, started
 * when the pool first keeps a block and asleep (no CPU) until the coldest
 * block's time is up, so a program that stops calling Raptors gets its memory
 * back without another call. A steady loop reuses its blocks well within the
 * idle time and never pays a fault. Where the thread cannot be started, the
 * next free drops the blocks whose time is up.
 */
#define _GNU_SOURCE
#include "alloc.h"
#include "settings.h"
#include "raptors.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define RP_HAVE_MMAP 1
#endif

#define POOL_SLOTS 8
#define POOL_DEFAULT_BYTES ((size_t)256 << 20)
#define POOL_DEFAULT_IDLE_MS 1000
#define NS_PER_MS 1000000u

static struct {
    pthread_mutex_t mu;
    pthread_cond_t tick;  /* wakes the trimmer: a first block cached, a setting changed */
    void *ptr[POOL_SLOTS];
    size_t cap[POOL_SLOTS];
    uint64_t freed_at[POOL_SLOTS]; /* when each block came back (CLOCK_MONOTONIC ns) */
    int n;            /* slots in use, most recently freed last (warmest in cache) */
    size_t cached;    /* bytes held in the slots */
    size_t limit;     /* bytes kept at most */
    uint64_t idle_ms; /* a block unused this long is unmapped; 0: none is kept */
    int trimmer;      /* the trimmer thread runs (in this process) */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t settings_once = PTHREAD_ONCE_INIT;
static size_t page_bytes = 4096; /* set once, by read_settings, before any block is mapped */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The trimmer sleeps on CLOCK_MONOTONIC, so a change of the wall clock moves no deadline. */
static void init_tick(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
#ifndef __APPLE__
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
#endif
    pthread_cond_init(&pool.tick, &attr);
    pthread_condattr_destroy(&attr);
}

static void read_settings(void)
{
    size_t lim = POOL_DEFAULT_BYTES, idle = POOL_DEFAULT_IDLE_MS;
    rp_env_size("RAPTORS_POOL_BYTES", &lim, "a whole number of bytes", "the default, 268435456 bytes");
    rp_env_size("RAPTORS_POOL_IDLE_MS", &idle, "a whole number of milliseconds",
                "the default, 1000 ms");
    init_tick();
#ifdef RP_HAVE_MMAP
    long ps = sysconf(_SC_PAGESIZE);
    if (ps > 0)
        page_bytes = (size_t)ps;
#endif
    pthread_mutex_lock(&pool.mu);
    pool.limit = lim;
    pool.idle_ms = idle;
    pthread_mutex_unlock(&pool.mu);
}

void rp_pool_read_env(void) { pthread_once(&settings_once, read_settings); }

size_t rp_pool_limit(void)
{
    rp_pool_read_env();
    pthread_mutex_lock(&pool.mu);
    size_t lim = pool.limit;
    pthread_mutex_unlock(&pool.mu);
    return lim;
}

static size_t size_class(size_t nbytes)
{
    if (nbytes > SIZE_MAX - RP_BLOCK_ALIGN)
        return 0;
    return (nbytes + RP_BLOCK_ALIGN - 1) / RP_BLOCK_ALIGN * RP_BLOCK_ALIGN;
}

/* Each block carries its size class in a header just before it (a page of its own,
 * so the block stays 2 MiB-aligned): free need not trust the size it is given, and
 * realloc (NumPy's resize) knows how much to keep. */
#define HEADER_ALIGN ((size_t)64)
static size_t header_bytes(void)
{
#ifdef RP_HAVE_MMAP
    return page_bytes;
#else
    return RP_BLOCK_ALIGN;
#endif
}

static size_t *header(void *p) { return (size_t *)(void *)((char *)p - HEADER_ALIGN); }

static void *map_block(size_t cap)
{
    const size_t hdr = header_bytes();
#ifdef RP_HAVE_MMAP
    /* Over-map by one granule and trim, so the block starts on a huge-page
     * boundary with a page before it for the header. */
    size_t len = cap + RP_BLOCK_ALIGN;
    char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + hdr + RP_BLOCK_ALIGN - 1) &
                       ~(uintptr_t)(RP_BLOCK_ALIGN - 1));
    if (p - hdr > raw)
        munmap(raw, (size_t)(p - hdr - raw));
    if (raw + len > p + cap)
        munmap(p + cap, (size_t)(raw + len - (p + cap)));
#ifdef MADV_HUGEPAGE
    madvise(p, cap, MADV_HUGEPAGE); /* advice only: ignored where THP is off */
#endif
#else
    char *raw = aligned_alloc(RP_BLOCK_ALIGN, cap + hdr);
    if (raw == NULL)
        return NULL;
    char *p = raw + hdr;
#endif
    *header(p) = cap;
    return p;
}

static void unmap_block(void *p, size_t cap)
{
    const size_t hdr = header_bytes();
#ifdef RP_HAVE_MMAP
    munmap((char *)p - hdr, cap + hdr);
#else
    (void)cap;
    free((char *)p - hdr);
#endif
}

/* Take block i out of the pool (pool.mu held): the later ones move down one slot. */
static void *remove_slot(int i)
{
    void *p = pool.ptr[i];
    pool.cached -= pool.cap[i];
    size_t later = (size_t)(pool.n - 1 - i);
    memmove(&pool.ptr[i], &pool.ptr[i + 1], later * sizeof pool.ptr[0]);
    memmove(&pool.cap[i], &pool.cap[i + 1], later * sizeof pool.cap[0]);
    memmove(&pool.freed_at[i], &pool.freed_at[i + 1], later * sizeof pool.freed_at[0]);
    pool.n--;
    return p;
}

/* When slot 0 (the longest unused: slots are in the order they were freed) is due. */
static uint64_t coldest_due(void)
{
    uint64_t idle = pool.idle_ms > UINT64_MAX / NS_PER_MS ? UINT64_MAX : pool.idle_ms * NS_PER_MS;
    return pool.freed_at[0] > UINT64_MAX - idle ? UINT64_MAX : pool.freed_at[0] + idle;
}

/* Unmap slot 0 (pool.mu held; dropped around the munmap, which can take a while). */
static void drop_coldest(void)
{
    size_t cap = pool.cap[0];
    void *p = remove_slot(0);
    pthread_mutex_unlock(&pool.mu);
    unmap_block(p, cap);
    pthread_mutex_lock(&pool.mu);
}

#ifndef __APPLE__
static int wait_until(uint64_t due)
{
    struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
                          .tv_nsec = (long)(due % 1000000000u)};
    return pthread_cond_timedwait(&pool.tick, &pool.mu, &ts);
}
#else
static int wait_until(uint64_t due)
{
    uint64_t now = now_ns(), left = due > now ? due - now : 0;
    struct timespec ts = {.tv_sec = (time_t)(left / 1000000000u),
                          .tv_nsec = (long)(left % 1000000000u)};
    return pthread_cond_timedwait_relative_np(&pool.tick, &pool.mu, &ts);
}
#endif

static void *trimmer_main(void *arg)
{
    (void)arg;
#ifdef __linux__
    pthread_setname_np(pthread_self(), "raptors-trim");
#endif
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        if (pool.n == 0) {
            pthread_cond_wait(&pool.tick, &pool.mu);
            continue;
        }
        uint64_t due = coldest_due();
        if (now_ns() >= due)
            drop_coldest();
        else if (due != UINT64_MAX)
            wait_until(due);
        else
            pthread_cond_wait(&pool.tick, &pool.mu);
    }
    return NULL;
}

/* Start the trimmer (pool.mu held) unless it runs; a failure is retried at the next free. */
static void start_trimmer(void)
{
    if (pool.trimmer)
        return;
    pthread_t tid;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &attr, trimmer_main, NULL) == 0)
        pool.trimmer = 1;
    pthread_attr_destroy(&attr);
}

void *raptors_alloc(size_t nbytes)
{
    size_t cap = size_class(nbytes ? nbytes : 1);
    if (cap == 0)
        return NULL;
    rp_pool_read_env();
    pthread_mutex_lock(&pool.mu);
    for (int i = pool.n - 1; i >= 0; i--) {
        if (pool.cap[i] == cap) {
            void *p = remove_slot(i);
            pthread_mutex_unlock(&pool.mu);
            return p;
        }
    }
    pthread_mutex_unlock(&pool.mu);
    return map_block(cap);
}

void raptors_free(void *p, size_t nbytes)
{
    if (p == NULL)
        return;
    (void)nbytes; /* the header knows */
    size_t cap = *header(p);
    rp_pool_read_env();
    uint64_t now = now_ns();
    pthread_mutex_lock(&pool.mu);
    if (cap <= pool.limit && pool.idle_ms > 0) {
        /* Make room by dropping the coldest blocks, and drop those whose time is up
         * (the trimmer's work, should it not run). */
        while (pool.n > 0 && (pool.n == POOL_SLOTS || pool.cached + cap > pool.limit ||
                              now >= coldest_due()))
            drop_coldest();
        if (pool.n < POOL_SLOTS && pool.cached + cap <= pool.limit) {
            pool.ptr[pool.n] = p;
            pool.cap[pool.n] = cap;
            pool.freed_at[pool.n] = now;
            pool.n++;
            pool.cached += cap;
            start_trimmer();
            if (pool.n == 1) /* the trimmer waits without a deadline on an empty pool */
                pthread_cond_signal(&pool.tick);
            pthread_mutex_unlock(&pool.mu);
            return;
        }
    }
    pthread_mutex_unlock(&pool.mu);
    unmap_block(p, cap);
}

/* NumPy's memory handler (NEP 49's PyDataMemAllocator): results allocated
 * through it are ordinary owning arrays (owndata, base None, resize works). */
void *raptors_handler_malloc(void *ctx, size_t nbytes)
{
    (void)ctx;
    return raptors_alloc(nbytes);
}

void *raptors_handler_calloc(void *ctx, size_t n, size_t size)
{
    (void)ctx;
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = raptors_alloc(n * size);
    if (p != NULL)
        memset(p, 0, n * size); /* a reused block is not zero */
    return p;
}

void *raptors_handler_realloc(void *ctx, void *p, size_t nbytes)
{
    (void)ctx;
    if (p == NULL)
        return raptors_alloc(nbytes);
    size_t old = *header(p), cap = size_class(nbytes ? nbytes : 1);
    if (cap == old)
        return p;
    void *q = raptors_alloc(nbytes);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < cap ? old : cap);
    raptors_free(p, old);
    return q;
}

void raptors_handler_free(void *ctx, void *p, size_t nbytes)
{
    (void)ctx;
    raptors_free(p, nbytes);
}

/* Unmap cached blocks, coldest first, until at most `keep` bytes remain (pool.mu held). */
static size_t shrink_to(size_t keep)
{
    size_t released = 0;
    while (pool.n > 0 && pool.cached > keep) {
        released += pool.cap[0];
        drop_coldest();
    }
    return released;
}

size_t raptors_pool_trim(void)
{
    pthread_mutex_lock(&pool.mu);
    size_t released = shrink_to(0);
    pthread_mutex_unlock(&pool.mu);
    return released;
}

size_t raptors_pool_cached(void)
{
    pthread_mutex_lock(&pool.mu);
    size_t c = pool.cached;
    pthread_mutex_unlock(&pool.mu);
    return c;
}

size_t raptors_pool_set_limit(size_t nbytes)
{
    rp_pool_read_env();
    pthread_mutex_lock(&pool.mu);
    size_t old = pool.limit;
    pool.limit = nbytes;
    shrink_to(nbytes);
    pthread_mutex_unlock(&pool.mu);
    return old;
}

size_t raptors_pool_get_limit(void) { return rp_pool_limit(); }

int64_t raptors_pool_set_idle_ms(int64_t ms)
{
    if (ms < 0)
        return RAPTORS_EINVAL;
    rp_pool_read_env();
    pthread_mutex_lock(&pool.mu);
    uint64_t old = pool.idle_ms;
    pool.idle_ms = (uint64_t)ms;
    if (ms == 0)
        shrink_to(0);
    pthread_cond_signal(&pool.tick); /* the coldest block's deadline moved */
    pthread_mutex_unlock(&pool.mu);
    return old > INT64_MAX ? INT64_MAX : (int64_t)old;
}

int64_t raptors_pool_get_idle_ms(void)
{
    rp_pool_read_env();
    pthread_mutex_lock(&pool.mu);
    uint64_t ms = pool.idle_ms;
    pthread_mutex_unlock(&pool.mu);
    return ms > INT64_MAX ? INT64_MAX : (int64_t)ms;
}

/* fork(): the child gets copies of the cached blocks but not the trimmer thread,
 * which would have returned them; so the child unmaps them at once (munmap is
 * async-signal-safe) and starts a trimmer of its own at its first free. The lock
 * and condition are renewed. */
static void before_fork(void) { pthread_mutex_lock(&pool.mu); }
static void after_fork_parent(void) { pthread_mutex_unlock(&pool.mu); }
static void after_fork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    pool.mu = fresh;
    if (pool.trimmer) /* else tick may never have been initialised: settings_once runs it */
        init_tick();
    pool.trimmer = 0;
    while (pool.n > 0) {
        pool.n--;
        unmap_block(pool.ptr[pool.n], pool.cap[pool.n]);
    }
    pool.cached = 0;
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
