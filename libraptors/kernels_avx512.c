/* AVX-512 variant (x86-64 only; F, DQ, BW and VL): chosen at run time when the CPU has them. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64)
#include "simd_avx512.h"

static int has_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}
#define RP_SUPPORTED has_avx512
#include "kernel_set.h"
#endif
