/*
 * What each call runs on (plan.h). Each threshold is, in order of precedence:
 * the environment (RAPTORS_STREAM_MIN_BYTES, RAPTORS_MIN_BYTES_PER_THREAD,
 * read once), a tuning's value for the call's family or for every family
 * (tuning.c), else derived from the cache sizes read at run time (dispatch.c),
 * clamped for machines that report none or odd ones. The kernel table is the
 * active variant's, unless a tuning chose another for the call's class -- and
 * never when the user forced a variant. Every variant gives the same bits.
 */
#include "plan.h"
#include "dispatch.h"
#include "settings.h"
#include "threads.h"
#include "tuning.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the environment's overrides, read once ---- */

static struct {
    int bpt_set, stream_set;
    size_t bpt, stream_total, piece_items;
} env;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* Stated per output byte of a read-one-write-one call: total = 2 * out; 0 = never. */
static size_t stream_total_from_out(size_t out_min)
{
    return out_min == 0 || out_min > SIZE_MAX / 2 ? SIZE_MAX : 2 * out_min;
}

#define BYTES "a whole number of bytes"
static void read_env(void)
{
    size_t v;
    if (rp_env_size("RAPTORS_MIN_BYTES_PER_THREAD", &v, BYTES, "the derived threshold")) {
        env.bpt = v ? v : 1;
        env.bpt_set = 1;
    }
    if (rp_env_size("RAPTORS_STREAM_MIN_BYTES", &v, BYTES, "the derived threshold")) {
        env.stream_total = stream_total_from_out(v);
        env.stream_set = 1;
    }
    if (rp_env_size("RAPTORS_PIECE_ITEMS", &v, "a whole number of items", "automatic pieces"))
        env.piece_items = v;
}

size_t rp_forced_piece_items(void)
{
    pthread_once(&env_once, read_env);
    return env.piece_items;
}

void rp_plan_read_env(void) { pthread_once(&env_once, read_env); }

enum { FROM_DERIVED, FROM_TUNING, FROM_ENV };
static const char *const from_names[] = {"derived", "tuning", "environment"};

/* Below this many bytes moved (read + written) per extra thread, handing work
 * to a worker costs more than it saves: a worker needs ~1 us to see a job even
 * when spinning, in which one core moves a good part of its L2. Derived from
 * the L2 size. */
static size_t derived_bytes_per_thread(void)
{
    size_t l2 = rp_cache()->l2_bytes;
    size_t t = l2 ? l2 / 4 : 256u * 1024u;
    if (t < 128u * 1024u)
        t = 128u * 1024u;
    if (t > 1024u * 1024u)
        t = 1024u * 1024u;
    return t;
}

static size_t min_bytes_per_thread(int family, int *from)
{
    pthread_once(&env_once, read_env);
    size_t v;
    if (env.bpt_set) {
        *from = FROM_ENV;
        return env.bpt;
    }
    if (rp_tuned_bytes(RAPTORS_TUNE_BYTES_PER_THREAD, family, &v)) {
        *from = FROM_TUNING;
        return v;
    }
    *from = FROM_DERIVED;
    return derived_bytes_per_thread();
}

int rp_threads_for(int family, size_t bytes)
{
    int from;
    int nt = rp_num_threads();
    size_t useful = bytes / min_bytes_per_thread(family, &from);
    if (useful < (size_t)nt)
        nt = useful < 1 ? 1 : (int)useful;
    return nt;
}

/* Plain stores first read each output line into the cache (the RFO) and write
 * it back later; streaming stores skip the read but leave nothing in the cache,
 * so they pay only when the operands together would not stay in the last-level
 * cache anyway: derived, bytes moved > LLC / 2 (half, because the LLC is shared
 * and not perfectly LRU). RAPTORS_STREAM_MIN_BYTES overrides the output-size
 * threshold of a two-operand call (out > LLC / 4); 0 = never stream. Returns
 * the total (read + written) above which stores stream; SIZE_MAX = never. */
static size_t stream_min_total_bytes(int family, int nthreads, int *from)
{
    pthread_once(&env_once, read_env);
    size_t v;
    if (env.stream_set) {
        *from = FROM_ENV;
        return env.stream_total;
    }
    /* One thread moves data out of L3 more slowly than several do, so plain stores stop
     * paying at a smaller size: a tuning may say so (the calls that stream are large, so
     * they run on every thread allowed). */
    if ((nthreads == 1 && rp_tuned_bytes(RAPTORS_TUNE_STREAM_ABOVE_BYTES_ONE_THREAD, family, &v)) ||
        rp_tuned_bytes(RAPTORS_TUNE_STREAM_ABOVE_BYTES, family, &v)) {
        *from = FROM_TUNING;
        return v;
    }
    *from = FROM_DERIVED;
    const rp_cache_info *c = rp_cache();
    size_t llc = c->l3_bytes ? c->l3_bytes : c->l2_bytes;
    return stream_total_from_out(llc ? llc / 4 : SIZE_MAX);
}

int rp_want_stream(int family, int in_place, size_t total_bytes)
{
    int from;
    return !in_place && total_bytes > stream_min_total_bytes(family, rp_num_threads(), &from);
}

/* The size regime of a call that moves `bytes`: within L2, within the LLC, beyond. */
static int regime_of(size_t bytes)
{
    const rp_cache_info *c = rp_cache();
    size_t l2 = c->l2_bytes ? c->l2_bytes : 256u * 1024u;
    if (bytes <= l2)
        return RP_REGIME_CACHE;
    return c->l3_bytes > l2 && bytes <= c->l3_bytes ? RP_REGIME_LLC : RP_REGIME_DRAM;
}

const rp_kernel_set *rp_plan_kernels(int family, int dtype, int store, size_t bytes)
{
    if (!rp_simd_forced()) {
        const rp_kernel_set *k = rp_tuned_kernels(family, dtype, store, regime_of(bytes));
        if (k != NULL)
            return k;
    }
    return rp_active_kernels();
}

static int64_t as_int64(size_t v) { return v >= (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; }

int64_t raptors_get_tuning_bytes(int which, int family)
{
    const int f = rp_tuning_slot(family);
    int from;
    if (f < 0)
        return RAPTORS_EINVAL;
    if (which == RAPTORS_TUNE_STREAM_ABOVE_BYTES)
        return as_int64(stream_min_total_bytes(f, 2, &from));
    if (which == RAPTORS_TUNE_STREAM_ABOVE_BYTES_ONE_THREAD)
        return as_int64(stream_min_total_bytes(f, 1, &from));
    if (which == RAPTORS_TUNE_BYTES_PER_THREAD)
        return as_int64(min_bytes_per_thread(f, &from));
    return RAPTORS_EINVAL;
}

/* Appends the plan's JSON fields to the object being written in dst: the tuned
 * variants that differ from the active one and each threshold in effect (at
 * the current thread count), per family and for calls that name none ("all"),
 * with where it came from (the environment's overrides every family). */
void rp_plan_json(char *dst, size_t cap)
{
    static const char *const family_keys[RP_NFAMILIES + 1] = {"scale", "binary", "reduce", "all"};
    size_t o = strlen(dst);
    o += (size_t)snprintf(dst + o, o < cap ? cap - o : 0, ", \"tuning_simd\": \"");
    o = rp_tuning_json(dst, o, cap, rp_active_kernels(), rp_simd_forced());
    if (o < cap)
        o += (size_t)snprintf(dst + o, cap - o, "\"");
    static const char *const keys[2] = {"stream_above", "bytes_per_thread"};
    for (int w = 0; w < 2; w++) {
        int from = FROM_DERIVED;
        if (o < cap)
            o += (size_t)snprintf(dst + o, cap - o, ", \"%s%s\": {", keys[w],
                                  w == 0 ? "_bytes" : "");
        for (int f = 0; f <= RP_SLOT_ALL; f++) {
            int fr;
            size_t v = w == 0 ? stream_min_total_bytes(f, rp_num_threads(), &fr)
                              : min_bytes_per_thread(f, &fr);
            from = fr > from ? fr : from;
            if (o < cap)
                o += (size_t)snprintf(dst + o, cap - o, "%s\"%s\": %lld", f == 0 ? "" : ", ",
                                      family_keys[f], (long long)as_int64(v));
        }
        if (o < cap)
            o += (size_t)snprintf(dst + o, cap - o, "}, \"%s_from\": \"%s\"", keys[w],
                                  from_names[from]);
    }
}
