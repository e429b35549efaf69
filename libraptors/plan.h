/* Internal: what each call runs on, decided the same way for every family --
 * how many threads it is worth, whether stores bypass the cache, which SIMD
 * variant serves it. Each threshold comes from the environment, else a tuning
 * (tuning.c), else the cache sizes read at run time (dispatch.c). */
#ifndef RAPTORS_PLAN_H
#define RAPTORS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "raptors.h"

/* Reads RAPTORS_STREAM_MIN_BYTES and RAPTORS_MIN_BYTES_PER_THREAD (once). */
void rp_plan_read_env(void);

/* RAPTORS_PIECE_ITEMS: the items of every piece threads claim (elements, outputs,
 * column blocks, a pairwise subtree's elements), 0 = automatic. For tests: results
 * must not depend on how the work is cut. */
size_t rp_forced_piece_items(void);

/* Threads worth using for a call of `family` (RAPTORS_FAMILY_*) that moves
 * `bytes` (read + written). */
int rp_threads_for(int family, size_t bytes);

/* Non-temporal stores for such a call? Never in place, where the output lines
 * are in the cache already. */
int rp_want_stream(int family, int in_place, size_t total_bytes);

/* What a tuning tells apart (raptors.h's RAPTORS_STORE_*, RAPTORS_REGIME_*).
 * A reduction's kind is RP_STORE_PLAIN. */
#define RP_NFAMILIES 3
enum { RP_STORE_PLAIN = 0, RP_STORE_STREAM = 1, RP_STORE_INPLACE = 2, RP_NSTORES = 3 };
enum { RP_REGIME_CACHE = 0, RP_REGIME_LLC = 1, RP_REGIME_DRAM = 2, RP_NREGIMES = 3 };

static inline int rp_store_kind(int in_place, int stream)
{
    return in_place ? RP_STORE_INPLACE : stream ? RP_STORE_STREAM : RP_STORE_PLAIN;
}

/* The kernel table for one call of `family` on `dtype` that moves `bytes`
 * with stores of kind `store`: the variant a tuning chose for that size
 * regime, else the active one (always when the user forced a variant). Every
 * variant gives the same bits. */
const rp_kernel_set *rp_plan_kernels(int family, int dtype, int store, size_t bytes);

/* Appends ", \"tuning_simd\": ..., \"stream_above_bytes\": ..." (the plan in
 * effect) to the JSON object being written in dst. */
void rp_plan_json(char *dst, size_t cap);

#endif
