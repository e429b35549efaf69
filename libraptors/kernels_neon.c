/* NEON variant (AArch64 only); chosen at run time when the CPU has Advanced SIMD,
 * which every AArch64 Linux and macOS machine has. */
#include "kernels.h"
#if defined(__aarch64__)
#include "simd_neon.h"

#if defined(__linux__)
#include <sys/auxv.h>
#endif

static int has_neon(void)
{
#if defined(__linux__) && defined(HWCAP_ASIMD)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
#else
    return 1; /* architectural on AArch64 (Apple silicon included) */
#endif
}
#define RP_SUPPORTED has_neon
#include "kernel_set.h"
#endif
