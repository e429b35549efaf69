/*
 * The size-driven choices every operation makes the same way.
 *
 * Thresholds shared by every operation: threads per call and streaming stores.
 * Both are derived from the cache sizes read at run time (dispatch.c), clamped
 * for machines that report none or odd ones. A tuning measured on the machine
 * (raptors_set_tuning_bytes; the Python package applies the file `python -m
 * raptors tune` wrote, at import) replaces the derived value, and the
 * environment (RAPTORS_STREAM_MIN_BYTES, RAPTORS_MIN_BYTES_PER_THREAD, read
 * once) overrides both.
 *
 * The kernel table of each call (rp_plan_kernels): the active variant, unless a
 * tuning chose another for the call's family, dtype, store kind and size
 * regime (raptors_set_tuning_simd) -- and never when the user forced a variant
 * (RAPTORS_SIMD, raptors_set_simd). Every variant gives the same bits, so a
 * tuning changes speed only.
 */
#include "plan.h"
#include "dispatch.h"
#include "raptors.h"
#include "threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the environment's overrides, read once ---- */

static struct {
    int bpt_set, stream_set;
    size_t bpt, stream_total;
} env;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* Stated per output byte of a read-one-write-one call: total = 2 * out; 0 = never. */
static size_t stream_total_from_out(size_t out_min)
{
    return out_min == 0 || out_min > SIZE_MAX / 2 ? SIZE_MAX : 2 * out_min;
}

static void read_env(void)
{
    const char *v = getenv("RAPTORS_MIN_BYTES_PER_THREAD");
    if (v != NULL && v[0] != '\0') {
        env.bpt = (size_t)strtoull(v, NULL, 10);
        env.bpt = env.bpt ? env.bpt : 1;
        env.bpt_set = 1;
    }
    v = getenv("RAPTORS_STREAM_MIN_BYTES");
    if (v != NULL && v[0] != '\0') {
        env.stream_total = stream_total_from_out((size_t)strtoull(v, NULL, 10));
        env.stream_set = 1;
    }
}

/* ---- a tuning's thresholds, per family and for every family (SLOT_ALL) ----
 * A slot's value is stored before its flag (release/acquire). */

#define SLOT_ALL RP_NFAMILIES
static _Atomic size_t tuned_bpt[RP_NFAMILIES + 1], tuned_stream[RP_NFAMILIES + 1],
    tuned_stream1[RP_NFAMILIES + 1];
static _Atomic int tuned_bpt_set[RP_NFAMILIES + 1], tuned_stream_set[RP_NFAMILIES + 1],
    tuned_stream1_set[RP_NFAMILIES + 1];

enum { FROM_DERIVED, FROM_TUNING, FROM_ENV };
static const char *const from_names[] = {"derived", "tuning", "environment"};

/* The tuned value of `family` (SLOT_ALL: calls that name none), else of SLOT_ALL; 0 if neither. */
static int tuned_value(_Atomic size_t *value, _Atomic int *set, int family, size_t *v)
{
    for (int f = family;; f = SLOT_ALL) {
        if (atomic_load_explicit(&set[f], memory_order_acquire)) {
            *v = atomic_load_explicit(&value[f], memory_order_relaxed);
            return 1;
        }
        if (f == SLOT_ALL)
            return 0;
    }
}

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
    if (tuned_value(tuned_bpt, tuned_bpt_set, family, &v)) {
        *from = FROM_TUNING;
        return v;
    }
    *from = FROM_DERIVED;
    return derived_bytes_per_thread();
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

int rp_threads_for_family(int family, size_t bytes)
{
    int from;
    int nt = rp_num_threads();
    size_t useful = bytes / min_bytes_per_thread(family, &from);
    if (useful < (size_t)nt)
        nt = useful < 1 ? 1 : (int)useful;
    return nt;
}

int rp_threads_for(size_t bytes) { return rp_threads_for_family(SLOT_ALL, bytes); }

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
    if ((nthreads == 1 && tuned_value(tuned_stream1, tuned_stream1_set, family, &v)) ||
        tuned_value(tuned_stream, tuned_stream_set, family, &v)) {
        *from = FROM_TUNING;
        return v;
    }
    *from = FROM_DERIVED;
    const rp_cache_info *c = rp_cache();
    size_t llc = c->l3_bytes ? c->l3_bytes : c->l2_bytes;
    return stream_total_from_out(llc ? llc / 4 : SIZE_MAX);
}

int rp_want_stream_family(int family, int in_place, size_t total_bytes)
{
    int from;
    return !in_place && total_bytes > stream_min_total_bytes(family, rp_num_threads(), &from);
}

int rp_want_stream(int in_place, size_t total_bytes)
{
    return rp_want_stream_family(SLOT_ALL, in_place, total_bytes);
}

/* ---- the kernel table per call ---- */

static _Atomic(const rp_kernel_set *) tuned_k[RP_NFAMILIES][RP_NDTYPES][RP_NSTORES][RP_NREGIMES];
static _Atomic int any_tuned_k;

static const char *const family_names[RP_NFAMILIES] = {"scale", "binary", "reduce"};
static const char *const dtype_names[RP_NDTYPES] = {"f32", "f64"};
static const char *const store_names[RP_NSTORES] = {"plain", "stream", "inplace"};
static const char *const regime_names[RP_NREGIMES] = {"cache", "llc", "dram"};

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
    if (atomic_load_explicit(&any_tuned_k, memory_order_relaxed) && !rp_simd_forced()) {
        const rp_kernel_set *k = atomic_load_explicit(
            &tuned_k[family][dtype][store][regime_of(bytes)], memory_order_relaxed);
        if (k != NULL)
            return k;
    }
    return rp_active_kernels();
}

static int cell_ok(int family, int dtype, int store, int regime)
{
    return family >= 0 && family < RP_NFAMILIES && dtype >= 0 && dtype < RP_NDTYPES &&
           store >= 0 && store < RP_NSTORES && regime >= 0 && regime < RP_NREGIMES;
}

int raptors_set_tuning_simd(int family, int dtype, int store, int regime, const char *name)
{
    if (!cell_ok(family, dtype, store, regime))
        return RAPTORS_EINVAL;
    const rp_kernel_set *k = rp_find_variant(name);
    if (k == NULL && name != NULL && name[0] != '\0' && strcmp(name, "auto") != 0)
        return RAPTORS_EINVAL;
    atomic_store_explicit(&tuned_k[family][dtype][store][regime], k, memory_order_relaxed);
    if (k != NULL)
        atomic_store_explicit(&any_tuned_k, 1, memory_order_relaxed);
    return RAPTORS_OK;
}

const char *raptors_get_tuning_simd(int family, int dtype, int store, int regime)
{
    if (!cell_ok(family, dtype, store, regime))
        return NULL;
    const rp_kernel_set *k = NULL;
    if (!rp_simd_forced())
        k = atomic_load_explicit(&tuned_k[family][dtype][store][regime], memory_order_relaxed);
    return (k != NULL ? k : rp_active_kernels())->name;
}

/* The slot of a public family number (RAPTORS_FAMILY_ALL: SLOT_ALL), or -1. */
static int slot_of(int family)
{
    return family == RAPTORS_FAMILY_ALL ? SLOT_ALL : family >= 0 && family < RP_NFAMILIES ? family : -1;
}

int raptors_set_tuning_bytes(int which, int family, int64_t bytes)
{
    const int f = slot_of(family);
    _Atomic size_t *value;
    _Atomic int *set;
    if (f < 0)
        return RAPTORS_EINVAL;
    if (which == RAPTORS_TUNE_STREAM_ABOVE_BYTES) {
        value = &tuned_stream[f];
        set = &tuned_stream_set[f];
    } else if (which == RAPTORS_TUNE_STREAM_ABOVE_BYTES_ONE_THREAD) {
        value = &tuned_stream1[f];
        set = &tuned_stream1_set[f];
    } else if (which == RAPTORS_TUNE_BYTES_PER_THREAD) {
        value = &tuned_bpt[f];
        set = &tuned_bpt_set[f];
    } else {
        return RAPTORS_EINVAL;
    }
    if (bytes < 0) {
        atomic_store_explicit(set, 0, memory_order_release);
        return RAPTORS_OK;
    }
    size_t v = bytes == INT64_MAX || (uint64_t)bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
    if (which == RAPTORS_TUNE_BYTES_PER_THREAD && v == 0)
        v = 1;
    atomic_store_explicit(value, v, memory_order_relaxed);
    atomic_store_explicit(set, 1, memory_order_release);
    return RAPTORS_OK;
}

static int64_t as_int64(size_t v) { return v >= (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; }

int64_t raptors_get_tuning_bytes(int which, int family)
{
    const int f = slot_of(family);
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

void raptors_clear_tuning(void)
{
    atomic_store_explicit(&any_tuned_k, 0, memory_order_relaxed);
    for (int f = 0; f < RP_NFAMILIES; f++)
        for (int d = 0; d < RP_NDTYPES; d++)
            for (int s = 0; s < RP_NSTORES; s++)
                for (int r = 0; r < RP_NREGIMES; r++)
                    atomic_store_explicit(&tuned_k[f][d][s][r], NULL, memory_order_relaxed);
    for (int f = 0; f <= SLOT_ALL; f++) {
        atomic_store_explicit(&tuned_stream_set[f], 0, memory_order_release);
        atomic_store_explicit(&tuned_stream1_set[f], 0, memory_order_release);
        atomic_store_explicit(&tuned_bpt_set[f], 0, memory_order_release);
    }
}

/* Appends the plan's JSON fields to the object being written in dst: the tuned
 * variants that differ from the active one ("family.dtype.store.regime=name",
 * comma-separated; none while a variant is forced) and each threshold with
 * where its value came from. */
void rp_plan_json(char *dst, size_t cap)
{
    size_t o = strlen(dst);
    o += (size_t)snprintf(dst + o, o < cap ? cap - o : 0, ", \"tuning_simd\": \"");
    const rp_kernel_set *active = rp_active_kernels();
    int first = 1, forced = rp_simd_forced();
    for (int f = 0; f < RP_NFAMILIES && !forced; f++)
        for (int d = 0; d < RP_NDTYPES; d++)
            for (int s = 0; s < RP_NSTORES; s++)
                for (int r = 0; r < RP_NREGIMES; r++) {
                    const rp_kernel_set *k =
                        atomic_load_explicit(&tuned_k[f][d][s][r], memory_order_relaxed);
                    if (k == NULL || k == active || o >= cap)
                        continue;
                    o += (size_t)snprintf(dst + o, cap - o, "%s%s.%s.%s.%s=%s", first ? "" : ",",
                                          family_names[f], dtype_names[d], store_names[s],
                                          regime_names[r], k->name);
                    first = 0;
                }
    if (o < cap)
        o += (size_t)snprintf(dst + o, cap - o, "\"");
    /* Each threshold in effect (at the current thread count), per family and for
     * calls that name none ("all"), and where it came from (the environment's
     * overrides every family). */
    static const char *const keys[2] = {"stream_above", "bytes_per_thread"};
    for (int w = 0; w < 2; w++) {
        int from = FROM_DERIVED;
        if (o < cap)
            o += (size_t)snprintf(dst + o, cap - o, ", \"%s%s\": {", keys[w],
                                  w == 0 ? "_bytes" : "");
        for (int f = 0; f <= SLOT_ALL; f++) {
            int fr;
            size_t v = w == 0 ? stream_min_total_bytes(f, rp_num_threads(), &fr)
                              : min_bytes_per_thread(f, &fr);
            from = fr > from ? fr : from;
            if (o < cap)
                o += (size_t)snprintf(dst + o, cap - o, "%s\"%s\": %lld", f == 0 ? "" : ", ",
                                      f == SLOT_ALL ? "all" : family_names[f], (long long)as_int64(v));
        }
        if (o < cap)
            o += (size_t)snprintf(dst + o, cap - o, "}, \"%s_from\": \"%s\"", keys[w],
                                  from_names[from]);
    }
}
