/* Internal: the size-driven choices every operation makes the same way -- how
 * many threads a call is worth, when stores should bypass the cache, which SIMD
 * variant serves the call -- derived from the caches read at run time, or set
 * by a tuning (raptors_set_tuning_*), each threshold with an environment
 * override. */
#ifndef RAPTORS_PLAN_H
#define RAPTORS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "raptors.h"

/* Bytes of one element of a dtype (RP_F32 / RP_F64). */
static inline size_t rp_element_size(int dtype)
{
    return dtype == RP_F32 ? sizeof(float) : sizeof(double);
}

/* The element count of an N-d shape into *n (0 when an axis is empty):
 * RAPTORS_EINVAL for a negative length, or for more elements than `arrays`
 * buffers of them could address (n * es * arrays must fit in a size_t). */
int rp_count_elements(int ndim, const int64_t *shape, size_t es, size_t arrays, size_t *n);

/* Packed calls (raptors.h): the dtype in a[0] (-1 when unknown), the op, and an
 * array's address, read through its reference under RAPTORS_PACKED_REFS. */
static inline int rp_packed_dtype(int64_t code)
{
    int d = (int)(code & 0xF);
    return d == RP_F32 || d == RP_F64 ? d : -1;
}
static inline int rp_packed_op(int64_t code) { return (int)((code >> 4) & 0xF); }
static inline void *rp_packed_addr(int64_t code, int64_t v)
{
    void *p = (void *)(intptr_t)v;
    if ((code & RAPTORS_PACKED_REFS) && p != NULL)
        return *(void *const *)p;
    return p;
}

/* Threads worth using for a call that moves `bytes` (read + written). */
int rp_threads_for(size_t bytes);

/* Non-temporal stores for a call that moves `total_bytes` in all (read +
 * written)? Never in place, where the output lines are in the cache already. */
int rp_want_stream(int in_place, size_t total_bytes);

/* The same for a call of one family (RP_FAM_*): a tuning may set the
 * thresholds per family; the family-less forms above use the value a tuning
 * set for every family (RAPTORS_FAMILY_ALL), as do families it left unset. */
int rp_threads_for_family(int family, size_t bytes);
int rp_want_stream_family(int family, int in_place, size_t total_bytes);

/* What a tuning tells apart (raptors.h's RAPTORS_FAMILY_*, RAPTORS_STORE_*,
 * RAPTORS_REGIME_*). A reduction's kind is RP_STORE_PLAIN. */
enum { RP_FAM_SCALE = 0, RP_FAM_BINARY = 1, RP_FAM_REDUCE = 2, RP_NFAMILIES = 3 };
enum { RP_STORE_PLAIN = 0, RP_STORE_STREAM = 1, RP_STORE_INPLACE = 2, RP_NSTORES = 3 };
enum { RP_REGIME_CACHE = 0, RP_REGIME_LLC = 1, RP_REGIME_DRAM = 2, RP_NREGIMES = 3 };

static inline int rp_store_kind(int in_place, int stream)
{
    return in_place ? RP_STORE_INPLACE : stream ? RP_STORE_STREAM : RP_STORE_PLAIN;
}

/* The kernel table for one call of `family` on `dtype` that moves `bytes`
 * (read + written) with stores of kind `store`: the variant a tuning chose for
 * that size regime, else the active one (rp_active_kernels(), always when the
 * user forced a variant). Every variant gives the same bits. */
const rp_kernel_set *rp_plan_kernels(int family, int dtype, int store, size_t bytes);

/* Appends ", \"tuning_simd\": ..., \"stream_above_bytes\": ..." (the plan in
 * effect) to the JSON object being written in dst. */
void rp_plan_json(char *dst, size_t cap);

#endif
