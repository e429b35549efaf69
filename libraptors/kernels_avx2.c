/* AVX2 variant (x86-64 only); chosen at run time when the CPU has AVX2. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64)
#include "simd_avx2.h"

static int has_avx2(void) { return __builtin_cpu_supports("avx2"); }
#define RP_SUPPORTED has_avx2
#include "kernel_set.h"
#endif
