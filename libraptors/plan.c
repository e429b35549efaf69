/*
 * Thresholds shared by every operation: threads per call and streaming stores.
 * Both are derived from the cache sizes read at run time (dispatch.c), clamped
 * for machines that report none or odd ones, and overridable from the
 * environment (tuning knobs, read once).
 */
#include "plan.h"
#include "dispatch.h"
#include "raptors.h"
#include "threads.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/* A tuning knob from the environment, in bytes, or `fallback` when unset or empty. */
static size_t env_bytes(const char *name, size_t fallback)
{
    const char *env = getenv(name);
    return env != NULL && env[0] != '\0' ? (size_t)strtoull(env, NULL, 10) : fallback;
}

/* Below this many bytes moved (read + written) per extra thread, handing work
 * to a worker costs more than it saves: a worker needs ~1 us to see a job even
 * when spinning, in which one core moves a good part of its L2. Derived from
 * the L2 size; RAPTORS_MIN_BYTES_PER_THREAD overrides. */
static size_t min_bytes_per_thread(void)
{
    static _Atomic size_t cached;
    size_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v == 0) {
        size_t l2 = rp_cache()->l2_bytes;
        size_t t = l2 ? l2 / 4 : 256u * 1024u;
        if (t < 128u * 1024u)
            t = 128u * 1024u;
        if (t > 1024u * 1024u)
            t = 1024u * 1024u;
        t = env_bytes("RAPTORS_MIN_BYTES_PER_THREAD", t);
        v = t ? t : 1;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
}

int rp_count_elements(int ndim, const int64_t *shape, size_t es, size_t arrays, size_t *n)
{
    size_t count = 1;
    int empty = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return RAPTORS_EINVAL;
        if (shape[d] == 0)
            empty = 1;
        else if ((uint64_t)shape[d] > SIZE_MAX / arrays / es / count)
            return RAPTORS_EINVAL;
        else
            count *= (size_t)shape[d];
    }
    *n = empty ? 0 : count;
    return RAPTORS_OK;
}

int rp_threads_for(size_t bytes)
{
    int nt = rp_num_threads();
    size_t useful = bytes / min_bytes_per_thread();
    if (useful < (size_t)nt)
        nt = useful < 1 ? 1 : (int)useful;
    return nt;
}

/* Plain stores first read each output line into the cache (the RFO) and write
 * it back later; streaming stores skip the read but leave nothing in the cache,
 * so they pay only when the operands together would not stay in the last-level
 * cache anyway: bytes moved > LLC / 2 (half, because the LLC is shared and not
 * perfectly LRU). RAPTORS_STREAM_MIN_BYTES overrides the output-size threshold
 * of a two-operand call (out > LLC / 4); 0 = never stream. */
static size_t stream_min_total_bytes(void)
{
    static _Atomic size_t cached;
    size_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v == 0) {
        const rp_cache_info *c = rp_cache();
        size_t llc = c->l3_bytes ? c->l3_bytes : c->l2_bytes;
        size_t out_min = llc ? llc / 4 : SIZE_MAX;
        out_min = env_bytes("RAPTORS_STREAM_MIN_BYTES", out_min);
        /* Stated per output byte of a read-one-write-one call: total = 2 * out. */
        v = out_min == 0 || out_min > SIZE_MAX / 2 ? SIZE_MAX : 2 * out_min;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
}

int rp_want_stream(int in_place, size_t total_bytes)
{
    return !in_place && total_bytes > stream_min_total_bytes();
}
