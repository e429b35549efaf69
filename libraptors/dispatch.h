/* Internal: runtime choice of the SIMD variant, and the CPU facts the
 * thresholds are derived from (read at run time, never assumed). */
#ifndef RAPTORS_DISPATCH_H
#define RAPTORS_DISPATCH_H

#include <stddef.h>
#include "kernels.h"

const rp_kernel_set *rp_active_kernels(void);
/* Comma-separated names of the variants this CPU can run, best first. */
const char *rp_available_simd(void);

typedef struct {
    size_t l1d_bytes, l2_bytes, l3_bytes;  /* per the OS; 0 when unknown */
} rp_cache_info;
const rp_cache_info *rp_cache(void);

#endif
