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
 * (the size rounded up to RP_BLOCK_ALIGN), so free needs no header: the class
 * follows from the requested size.
 */
#define _GNU_SOURCE
#include "alloc.h"
#include "settings.h"
#include "raptors.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define RP_HAVE_MMAP 1
#endif

#define POOL_SLOTS 8
#define POOL_DEFAULT_BYTES ((size_t)256 << 20)

static struct {
    pthread_mutex_t mu;
    void *ptr[POOL_SLOTS];
    size_t cap[POOL_SLOTS];
    int n;            /* slots in use, most recently freed last (warmest in cache) */
    size_t cached;    /* bytes held in the slots */
    size_t limit;     /* SIZE_MAX until read */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .limit = SIZE_MAX};

static pthread_once_t limit_once = PTHREAD_ONCE_INIT;

static void read_limit(void)
{
    size_t lim = POOL_DEFAULT_BYTES;
    rp_env_size("RAPTORS_POOL_BYTES", &lim, "a whole number of bytes", "the default, 268435456 bytes");
    pool.limit = lim;
}

void rp_pool_read_env(void) { pthread_once(&limit_once, read_limit); }

size_t rp_pool_limit(void)
{
    rp_pool_read_env();
    return pool.limit;
}

static size_t size_class(size_t nbytes)
{
    if (nbytes > SIZE_MAX - RP_BLOCK_ALIGN)
        return 0;
    return (nbytes + RP_BLOCK_ALIGN - 1) / RP_BLOCK_ALIGN * RP_BLOCK_ALIGN;
}

static void *map_block(size_t cap)
{
#ifdef RP_HAVE_MMAP
    /* Over-map by one granule and trim, so the block starts on a huge-page boundary. */
    size_t len = cap + RP_BLOCK_ALIGN;
    char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + RP_BLOCK_ALIGN - 1) & ~(uintptr_t)(RP_BLOCK_ALIGN - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + len > p + cap)
        munmap(p + cap, (size_t)(raw + len - (p + cap)));
#ifdef MADV_HUGEPAGE
    madvise(p, cap, MADV_HUGEPAGE); /* advice only: ignored where THP is off */
#endif
    return p;
#else
    return aligned_alloc(RP_BLOCK_ALIGN, cap);
#endif
}

static void unmap_block(void *p, size_t cap)
{
#ifdef RP_HAVE_MMAP
    munmap(p, cap);
#else
    (void)cap;
    free(p);
#endif
}

/* Take block i out of the pool (pool.mu held): the later ones move down one slot. */
static void *remove_slot(int i)
{
    void *p = pool.ptr[i];
    pool.cached -= pool.cap[i];
    memmove(&pool.ptr[i], &pool.ptr[i + 1], (size_t)(pool.n - 1 - i) * sizeof pool.ptr[0]);
    memmove(&pool.cap[i], &pool.cap[i + 1], (size_t)(pool.n - 1 - i) * sizeof pool.cap[0]);
    pool.n--;
    return p;
}

void *raptors_alloc(size_t nbytes)
{
    size_t cap = size_class(nbytes ? nbytes : 1);
    if (cap == 0)
        return NULL;
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
    size_t cap = size_class(nbytes ? nbytes : 1);
    size_t limit = rp_pool_limit();
    pthread_mutex_lock(&pool.mu);
    if (cap <= limit) {
        /* Make room by dropping the coldest blocks. */
        while (pool.n > 0 && (pool.n == POOL_SLOTS || pool.cached + cap > limit)) {
            size_t oldcap = pool.cap[0];
            void *old = remove_slot(0);
            pthread_mutex_unlock(&pool.mu);
            unmap_block(old, oldcap);
            pthread_mutex_lock(&pool.mu);
        }
        if (pool.n < POOL_SLOTS && pool.cached + cap <= limit) {
            pool.ptr[pool.n] = p;
            pool.cap[pool.n] = cap;
            pool.n++;
            pool.cached += cap;
            pthread_mutex_unlock(&pool.mu);
            return;
        }
    }
    pthread_mutex_unlock(&pool.mu);
    unmap_block(p, cap);
}

size_t raptors_pool_trim(void)
{
    size_t released = 0;
    pthread_mutex_lock(&pool.mu);
    while (pool.n > 0) {
        pool.n--;
        unmap_block(pool.ptr[pool.n], pool.cap[pool.n]);
        released += pool.cap[pool.n];
    }
    pool.cached = 0;
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

/* fork(): the child gets copies of the cached blocks; only the lock needs renewing. */
static void before_fork(void) { pthread_mutex_lock(&pool.mu); }
static void after_fork_parent(void) { pthread_mutex_unlock(&pool.mu); }
static void after_fork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    pool.mu = fresh;
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
