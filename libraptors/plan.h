/* Internal: the size-driven choices every operation makes the same way -- how
 * many threads a call is worth, when stores should bypass the cache -- derived
 * from the caches read at run time, each with an environment override. */
#ifndef RAPTORS_PLAN_H
#define RAPTORS_PLAN_H

#include <stddef.h>

#include "kernels.h"

/* Bytes of one element of a dtype (RP_F32 / RP_F64). */
static inline size_t rp_element_size(int dtype)
{
    return dtype == RP_F32 ? sizeof(float) : sizeof(double);
}

/* Threads worth using for a call that moves `bytes` (read + written). */
int rp_threads_for(size_t bytes);

/* Non-temporal stores for a call that moves `total_bytes` in all (read +
 * written)? Never in place, where the output lines are in the cache already. */
int rp_want_stream(int in_place, size_t total_bytes);

#endif
