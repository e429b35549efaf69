/*
 * The tuning's state (tuning.h): what raptors_set_tuning_simd and
 * raptors_set_tuning_bytes stored. Readers on other threads see a value only
 * once its flag is set (release/acquire), so a call never reads half a tuning.
 */
#include "tuning.h"
#include "dispatch.h"
#include "raptors.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Atomic size_t tuned_bpt[RP_NFAMILIES + 1], tuned_stream[RP_NFAMILIES + 1],
    tuned_stream1[RP_NFAMILIES + 1];
static _Atomic int tuned_bpt_set[RP_NFAMILIES + 1], tuned_stream_set[RP_NFAMILIES + 1],
    tuned_stream1_set[RP_NFAMILIES + 1];

/* A tuning names the float dtypes only (ops.h lists them first); the integer
 * ones always run on the active variant. */
#define DTYPE_IS_FLOAT_(ID, name, T, S, kind) +RP_KIND_IS_FLOAT_##kind
enum { NTUNED = 0 RAPTORS_DTYPES(DTYPE_IS_FLOAT_) };
static _Atomic(const rp_kernel_set *) tuned_k[RP_NFAMILIES][NTUNED][RP_NSTORES][RP_NREGIMES];
static _Atomic int any_tuned_k;

static const char *const family_names[RP_NFAMILIES] = {"scale", "binary", "reduce"};
#define DTYPE_SUFFIX_(ID, name, T, S, kind) #S,
static const char *const dtype_names[RAPTORS_NDTYPES] = {RAPTORS_DTYPES(DTYPE_SUFFIX_)};
static const char *const store_names[RP_NSTORES] = {"plain", "stream", "inplace"};
static const char *const regime_names[RP_NREGIMES] = {"cache", "llc", "dram"};

/* The value and flag arrays of threshold `which`; 0 for an unknown one. */
static int slots(int which, _Atomic size_t **value, _Atomic int **set)
{
    if (which == RAPTORS_TUNE_STREAM_ABOVE_BYTES) {
        *value = tuned_stream;
        *set = tuned_stream_set;
    } else if (which == RAPTORS_TUNE_STREAM_ABOVE_BYTES_ONE_THREAD) {
        *value = tuned_stream1;
        *set = tuned_stream1_set;
    } else if (which == RAPTORS_TUNE_BYTES_PER_THREAD) {
        *value = tuned_bpt;
        *set = tuned_bpt_set;
    } else {
        return 0;
    }
    return 1;
}

int rp_tuned_bytes(int which, int family, size_t *v)
{
    _Atomic size_t *value;
    _Atomic int *set;
    if (!slots(which, &value, &set))
        return 0;
    for (int f = family;; f = RP_SLOT_ALL) {
        if (atomic_load_explicit(&set[f], memory_order_acquire)) {
            *v = atomic_load_explicit(&value[f], memory_order_relaxed);
            return 1;
        }
        if (f == RP_SLOT_ALL)
            return 0;
    }
}

const rp_kernel_set *rp_tuned_kernels(int family, int dtype, int store, int regime)
{
    if (dtype >= NTUNED || !atomic_load_explicit(&any_tuned_k, memory_order_relaxed))
        return NULL;
    return atomic_load_explicit(&tuned_k[family][dtype][store][regime], memory_order_relaxed);
}

static int cell_ok(int family, int dtype, int store, int regime)
{
    return family >= 0 && family < RP_NFAMILIES && dtype >= 0 && dtype < NTUNED &&
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

/* The slot of a public family number (RAPTORS_FAMILY_ALL: RP_SLOT_ALL), or -1. */
int rp_tuning_slot(int family)
{
    return family == RAPTORS_FAMILY_ALL                 ? RP_SLOT_ALL
           : family >= 0 && family < RP_NFAMILIES ? family
                                                          : -1;
}

int raptors_set_tuning_bytes(int which, int family, int64_t bytes)
{
    const int f = rp_tuning_slot(family);
    _Atomic size_t *value;
    _Atomic int *set;
    if (f < 0 || !slots(which, &value, &set))
        return RAPTORS_EINVAL;
    if (bytes < 0) {
        atomic_store_explicit(&set[f], 0, memory_order_release);
        return RAPTORS_OK;
    }
    size_t v = bytes == INT64_MAX || (uint64_t)bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
    if (which == RAPTORS_TUNE_BYTES_PER_THREAD && v == 0)
        v = 1;
    atomic_store_explicit(&value[f], v, memory_order_relaxed);
    atomic_store_explicit(&set[f], 1, memory_order_release);
    return RAPTORS_OK;
}

void raptors_clear_tuning(void)
{
    atomic_store_explicit(&any_tuned_k, 0, memory_order_relaxed);
    for (int f = 0; f < RP_NFAMILIES; f++)
        for (int d = 0; d < NTUNED; d++)
            for (int s = 0; s < RP_NSTORES; s++)
                for (int r = 0; r < RP_NREGIMES; r++)
                    atomic_store_explicit(&tuned_k[f][d][s][r], NULL, memory_order_relaxed);
    for (int f = 0; f <= RP_SLOT_ALL; f++) {
        atomic_store_explicit(&tuned_stream_set[f], 0, memory_order_release);
        atomic_store_explicit(&tuned_stream1_set[f], 0, memory_order_release);
        atomic_store_explicit(&tuned_bpt_set[f], 0, memory_order_release);
    }
}

size_t rp_tuning_json(char *dst, size_t o, size_t cap, const rp_kernel_set *active, int forced)
{
    int first = 1;
    for (int f = 0; f < RP_NFAMILIES && !forced; f++)
        for (int d = 0; d < NTUNED; d++)
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
    return o;
}
