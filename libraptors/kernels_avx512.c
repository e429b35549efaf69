/* AVX-512F variant (x86-64 only); chosen at run time when the CPU has AVX-512F. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64)
#include "simd_avx512.h"

static int has_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#define RP_SUPPORTED has_avx512
#include "kernel_set.h"
#endif
