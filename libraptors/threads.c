/*
 * A small pthread pool. Workers spin briefly on a generation counter (a call
 * arriving within microseconds finds them awake), then sleep on a condition
 * variable. Work is handed out as chunk tickets: the high 32 bits of `ticket`
 * name the job, the low 32 bits the next chunk, so a worker that wakes late
 * can never run a chunk of a job that has finished or of the wrong job; the
 * owner closes each job's ticket before it writes the next job.
 */
#define _GNU_SOURCE
#include "threads.h"
#include "fpstatus.h"
#include "raptors.h"
#include "settings.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() ((void)0)
#endif

/* The caller's floating-point control state (rounding mode, FTZ/DAZ). Workers
 * compute each chunk in the state of the call that owns it, as the caller's own
 * thread (and NumPy) would; the caller's state is never changed. */
#if defined(__x86_64__) || defined(__i386__)
typedef unsigned rp_fpctl;
static rp_fpctl fpctl_get(void) { return _mm_getcsr() & 0xFFC0u; } /* not the status flags */
static void fpctl_set(rp_fpctl c) { _mm_setcsr((_mm_getcsr() & 0x3Fu) | c); }
#elif defined(__aarch64__)
typedef uint64_t rp_fpctl;
static rp_fpctl fpctl_get(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
}
static void fpctl_set(rp_fpctl c) { __asm__ __volatile__("msr fpcr, %0" : : "r"(c)); }
#else
typedef int rp_fpctl;
static rp_fpctl fpctl_get(void) { return 0; }
static void fpctl_set(rp_fpctl c) { (void)c; }
#endif

/* How an idle worker waits for the next call. It stays awake for its spin time,
 * spinning with pause for the first WORKER_PAUSE_NS of it and yielding its core
 * to anyone who wants it for the rest, then sleeps on a condition variable. A
 * call that arrives while the worker is awake finds it within ~1 us; one that
 * finds it asleep waits for a futex wake-up, which on a VM whose vCPU halted
 * takes 80-150 us -- as long as the work of a 1 MiB call, which the caller then
 * does alone. But spinning is CPU time the program pays between sparse calls.
 *
 * So the spin time adapts to the rhythm of the calls. It starts at the time set
 * (spin_ns: RAPTORS_SPIN_US or RAPTORS_WAIT_POLICY, raptors_set_spin_us; 1 ms by
 * default). A worker woken less than its spin time after it fell asleep (a spin
 * twice as long would have caught the call) doubles it, up to SPIN_ADAPT_MAX_US;
 * one that slept more than twice its spin time halves it, down to the time set.
 * Calls that come back every few ms (a loop that alternates Raptors with other
 * work) find the workers awake; a program calling now and then pays the time
 * set. A spin time of 0 (passive) never spins. The figures are in
 * docs/performance.md ("Idle workers"). */
#ifndef WORKER_PAUSE_NS
#define WORKER_PAUSE_NS 200000
#endif
#define SPIN_DEFAULT_US 1000
#define SPIN_ACTIVE_US 10000  /* RAPTORS_WAIT_POLICY=active: the fixed wait Raptors had before */
#define SPIN_MAX_US 1000000
#define SPIN_ADAPT_MAX_US SPIN_ACTIVE_US /* at most an active pool's spin, unless more is set */
/* Spins before a waiting caller starts yielding its core. */
#define CALLER_SPINS 2000

/* Graceful degradation. When the other cores are taken (another pool such as
 * OpenBLAS's spinning after a BLAS call, other processes), a worker is
 * preempted holding a chunk and the caller waits for it: slower than running
 * alone. Each parallel call compares its time with the caller's estimate of
 * running alone (the pace of its own chunks times all the chunks); when it took
 * longer, the next `backoff` calls run on the caller alone (doubling, up to
 * BACKOFF_MAX calls, while contention lasts; reset by a call that goes well).
 * A worker that was only slow to wake, yet still saved time, is not contention:
 * an earlier rule (the caller waited over a quarter of the call) took such
 * wake-ups for it, and the calls it sent to one thread let the workers fall
 * asleep, so that the next parallel call woke them late again -- one thread for
 * seconds at a time in the report's axis-0 means. */
#define BACKOFF_MAX 256
#define SLOWER_THAN_ALONE 1.125 /* the margin: the caller's pace is an estimate */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct {
    pthread_mutex_t use;   /* held by the call that owns the workers */
    pthread_mutex_t mu;    /* guards sleeping */
    pthread_cond_t wake;
    int nworkers;          /* started so far; never shrinks */
    pthread_t tids[RAPTORS_MAX_THREADS];

    /* The job, written by the owner before `generation` is published. */
    rp_chunk_fn fn;
    rp_fpctl fpctl;        /* the owner's FP control state */
    _Atomic int fpe;       /* FP exceptions the workers' chunks raised (RAPTORS_FPE_*) */
    void *ctx;
    atomic_uint nchunks;
    atomic_int nthreads;
    atomic_uint_fast64_t ticket;   /* (job << 32) | next chunk */
    atomic_uint finished;          /* chunks completed */
    atomic_uint generation;        /* job number */
    atomic_int sleepers;

    /* Degradation state, touched only by the owner of `use`. */
    unsigned backoff;      /* length of the next single-threaded stretch */
    unsigned solo_left;    /* calls left in the current one */

    /* raptors_thread_stats: written by the owner of `use`, read by anyone. */
    _Atomic int64_t stats[RAPTORS_THREAD_STATS];
} pool = {
    .use = PTHREAD_MUTEX_INITIALIZER,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

static atomic_int num_threads;  /* 0 until first read */
static _Atomic uint64_t spin_ns; /* the spin time set (read_wait, raptors_set_spin_us) */
static atomic_uint spin_epoch;   /* counts the settings: each restarts the workers' adapted spin */
static pthread_once_t wait_once = PTHREAD_ONCE_INIT;

#define SPIN_TAKES "a whole number of microseconds from 0 to 1000000"
static void read_wait(void)
{
    uint64_t us = SPIN_DEFAULT_US;
    const char *policy = getenv("RAPTORS_WAIT_POLICY");
    if (policy != NULL && policy[0] != '\0') {
        if (strcmp(policy, "active") == 0)
            us = SPIN_ACTIVE_US;
        else if (strcmp(policy, "passive") == 0)
            us = 0;
        else
            rp_env_refuse("RAPTORS_WAIT_POLICY", policy, "active or passive",
                          "the default, 1000 us of spinning");
    }
    char instead[64];
    snprintf(instead, sizeof instead, "%llu us (%s)", (unsigned long long)us,
             us == SPIN_DEFAULT_US ? "the default" : "RAPTORS_WAIT_POLICY");
    size_t v = 0;
    if (rp_env_size("RAPTORS_SPIN_US", &v, SPIN_TAKES, instead)) {
        if (v <= SPIN_MAX_US)
            us = v;
        else
            rp_env_refuse("RAPTORS_SPIN_US", getenv("RAPTORS_SPIN_US"), SPIN_TAKES, instead);
    }
    atomic_store(&spin_ns, us * 1000u);
    atomic_fetch_add(&spin_epoch, 1);
}

void rp_wait_read_env(void) { pthread_once(&wait_once, read_wait); }

int64_t raptors_set_spin_us(int64_t us)
{
    if (us < 0 || us > SPIN_MAX_US)
        return RAPTORS_EINVAL;
    rp_wait_read_env();
    const uint64_t old = atomic_exchange(&spin_ns, (uint64_t)us * 1000u);
    atomic_fetch_add(&spin_epoch, 1);
    return (int64_t)(old / 1000u);
}

int64_t raptors_get_spin_us(void)
{
    rp_wait_read_env();
    return (int64_t)(atomic_load(&spin_ns) / 1000u);
}

static int default_threads(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set) < RAPTORS_MAX_THREADS ? CPU_COUNT(&set) : RAPTORS_MAX_THREADS;
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n < RAPTORS_MAX_THREADS ? (int)n : RAPTORS_MAX_THREADS;
}

#define TAKES "a whole number from 1 to 256"
int rp_num_threads(void)
{
    int n = atomic_load_explicit(&num_threads, memory_order_relaxed);
    if (n == 0) {
        n = default_threads();
        size_t v = 0;
        int given = rp_env_size("RAPTORS_NUM_THREADS", &v, TAKES, "every usable CPU");
        const char *env = getenv("RAPTORS_NUM_THREADS");
        int out_of_range = given && (v < 1 || v > RAPTORS_MAX_THREADS);
        if (given && !out_of_range)
            n = (int)v;
        int expected = 0;
        if (!atomic_compare_exchange_strong(&num_threads, &expected, n))
            n = expected;
        else if (out_of_range) /* said once, by the thread that set the count */
            rp_env_refuse("RAPTORS_NUM_THREADS", env, TAKES, "every usable CPU");
    }
    return n;
}

int raptors_get_num_threads(void) { return rp_num_threads(); }

int raptors_set_num_threads(int n)
{
    if (n < 1 || n > RAPTORS_MAX_THREADS)
        return RAPTORS_EINVAL;
    int old = rp_num_threads();
    atomic_store(&num_threads, n);
    return old;
}

/* Claim and run chunks of job `job` until none are left. A worker (not the
 * caller, whose own flags the call reads) hands the floating-point exceptions its
 * chunks raised to the job, so that the caller can raise them in its own thread. */
static unsigned run_chunks(uint32_t job, int worker)
{
    unsigned ran = 0;
    for (;;) {
        uint_fast64_t t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
        if ((uint32_t)(t >> 32) != job ||
            (uint32_t)t >= atomic_load_explicit(&pool.nchunks, memory_order_acquire))
            return ran;
        if (!atomic_compare_exchange_weak_explicit(&pool.ticket, &t, t + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        /* Holding an unfinished chunk of `job` keeps its fn, ctx and fpctl alive. */
        if (fpctl_get() != pool.fpctl)
            fpctl_set(pool.fpctl);
        if (worker)
            rp_fp_clear();
        pool.fn(pool.ctx, (size_t)(uint32_t)t);
        if (worker) {
            int fe = rp_fp_test();
            if (fe)
                atomic_fetch_or_explicit(&pool.fpe, fe, memory_order_relaxed);
        }
        atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
        ran++;
    }
}

/* The next spin time of a worker that spun `spin` ns, then slept `slept` ns
 * until a call woke it (the rule above). */
static uint64_t adapt_spin(uint64_t spin, uint64_t set, uint64_t slept)
{
    const uint64_t most = set > SPIN_ADAPT_MAX_US * 1000u ? set : SPIN_ADAPT_MAX_US * 1000u;
    if (set == 0)
        return 0;
    if (slept < spin)
        return spin * 2 < most ? spin * 2 : most;
    if (slept > spin * 2)
        return spin / 2 > set ? spin / 2 : set;
    return spin;
}

static void *worker_main(void *arg)
{
    const int id = (int)(intptr_t)arg;
#ifdef __linux__
    pthread_setname_np(pthread_self(), "raptors-worker");
#endif
    unsigned seen = atomic_load(&pool.generation);
    unsigned epoch = atomic_load(&spin_epoch) - 1; /* not yet read */
    uint64_t spin = 0;
    for (;;) {
        if (atomic_load_explicit(&spin_epoch, memory_order_relaxed) != epoch) {
            epoch = atomic_load(&spin_epoch);
            spin = atomic_load(&spin_ns);
        }
        unsigned g;
        unsigned spins = 0;
        uint64_t t0 = now_ns(), t = t0;
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if ((++spins & 63) != 0) {
                cpu_relax();
                continue;
            }
            t = now_ns();
            if (t - t0 < spin && t - t0 < WORKER_PAUSE_NS) {
                cpu_relax();
                continue;
            }
            if (t - t0 < spin) {
                sched_yield();
                continue;
            }
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleepers, 1);
            while ((g = atomic_load(&pool.generation)) == seen)
                pthread_cond_wait(&pool.wake, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
            spin = adapt_spin(spin, atomic_load_explicit(&spin_ns, memory_order_relaxed),
                              now_ns() - t);
            break;
        }
        seen = g;
        if (id < atomic_load_explicit(&pool.nthreads, memory_order_relaxed))
            run_chunks(g, 1);
    }
    return NULL;
}

/* Called with pool.use held. Returns how many threads can take part. */
static int ensure_workers(int want)
{
    while (pool.nworkers < want - 1) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        int id = pool.nworkers + 1;
        int rc = pthread_create(&pool.tids[pool.nworkers], &attr, worker_main, (void *)(intptr_t)id);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;  /* run with what we have */
        pthread_detach(pool.tids[pool.nworkers]);
        pool.nworkers++;
    }
    return pool.nworkers + 1;
}

static void count(int which) { atomic_fetch_add_explicit(&pool.stats[which], 1, memory_order_relaxed); }

int raptors_thread_stats(int64_t *out, int n)
{
    for (int i = 0; i < n && i < RAPTORS_THREAD_STATS; i++)
        out[i] = atomic_load_explicit(&pool.stats[i], memory_order_relaxed);
    return RAPTORS_THREAD_STATS;
}

static void run_alone(rp_chunk_fn fn, void *ctx, size_t nchunks)
{
    for (size_t c = 0; c < nchunks; c++)
        fn(ctx, c);
}

void rp_parallel_for(rp_chunk_fn fn, void *ctx, size_t nchunks, int nthreads)
{
    if (nthreads <= 1 || nchunks <= 1 || nchunks > UINT32_MAX ||
        pthread_mutex_trylock(&pool.use) != 0) {
        run_alone(fn, ctx, nchunks);
        return;
    }
    if (pool.solo_left > 0) {  /* backing off: the other cores are busy */
        pool.solo_left--;
        count(RAPTORS_STAT_ALONE);
        pthread_mutex_unlock(&pool.use);
        run_alone(fn, ctx, nchunks);
        return;
    }
    rp_wait_read_env(); /* before a worker reads spin_ns */
    nthreads = ensure_workers(nthreads);
    const uint64_t t_start = now_ns();

    unsigned job = atomic_load(&pool.generation) + 1;
    pool.fn = fn;
    pool.fpctl = fpctl_get();
    pool.ctx = ctx;
    atomic_store_explicit(&pool.fpe, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.nchunks, (unsigned)nchunks, memory_order_release);
    atomic_store_explicit(&pool.nthreads, nthreads, memory_order_relaxed);
    atomic_store(&pool.finished, 0);
    atomic_store_explicit(&pool.ticket, (uint_fast64_t)(uint32_t)job << 32, memory_order_release);
    atomic_store(&pool.generation, job);
    count(RAPTORS_STAT_PARALLEL);
    if (atomic_load(&pool.sleepers) > 0) {
        count(RAPTORS_STAT_WOKE);
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.mu);
    }

    const unsigned mine = run_chunks(job, 0);
    const uint64_t t_mine = now_ns();
    for (int spins = 0;
         atomic_load_explicit(&pool.finished, memory_order_acquire) != (unsigned)nchunks;) {
        if (++spins < CALLER_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
    /* Close the job before the next one rewrites fn/ctx/nchunks: a late
     * worker's compare-and-swap on the old ticket now fails. */
    atomic_store_explicit(&pool.ticket, ((uint_fast64_t)job << 32) | UINT32_MAX,
                          memory_order_release);
    /* The workers' exceptions, in the caller's flags (read after `finished`: acquire). */
    const int fe = atomic_load_explicit(&pool.fpe, memory_order_relaxed);
    if (fe)
        rp_fp_raise(fe);
    const uint64_t t_end = now_ns();
    if (mine > 0 && (double)(t_end - t_start) * mine >
                        (double)(t_mine - t_start) * (double)nchunks * SLOWER_THAN_ALONE) {
        count(RAPTORS_STAT_BACKOFFS);
        pool.backoff = pool.backoff ? (pool.backoff * 2 < BACKOFF_MAX ? pool.backoff * 2
                                                                      : BACKOFF_MAX)
                                    : 2;
        pool.solo_left = pool.backoff;
    } else {
        pool.backoff = 0;
    }
    pthread_mutex_unlock(&pool.use);
}

/* fork(): the child has no workers, whatever the parent had. Holding `use`
 * across fork means no job is in flight in the child's copy of the pool. */
static void before_fork(void) { pthread_mutex_lock(&pool.use); }
static void after_fork_parent(void) { pthread_mutex_unlock(&pool.use); }
static void after_fork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    pool.use = fresh;
    pool.mu = fresh;
    pool.wake = fresh_cond;
    pool.nworkers = 0;
    atomic_store(&pool.sleepers, 0);
    /* The parent's contention history says nothing about the child's. */
    pool.backoff = 0;
    pool.solo_left = 0;
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
