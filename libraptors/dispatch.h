/* Internal: runtime choice of the SIMD variant, and the CPU facts the
 * thresholds are derived from (read at run time, never assumed). */
#ifndef RAPTORS_DISPATCH_H
#define RAPTORS_DISPATCH_H

#include <stddef.h>
#include "kernels.h"

const rp_kernel_set *rp_active_kernels(void);
/* 1 when RAPTORS_SIMD or raptors_set_simd named a variant (not "auto"): every
 * call then runs on it, whatever a tuning chose. */
int rp_simd_forced(void);
/* The variant of this name if this CPU runs it; NULL for NULL, "", "auto",
 * unknown or unsupported names. */
const rp_kernel_set *rp_find_variant(const char *name);
/* Comma-separated names of the variants this CPU can run, best first. */
const char *rp_available_simd(void);

typedef struct {
    size_t l1d_bytes, l2_bytes, l3_bytes;  /* per the OS; 0 when unknown */
} rp_cache_info;
const rp_cache_info *rp_cache(void);

#endif
