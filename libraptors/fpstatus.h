/* Internal: the floating-point status flags (invalid, divide by zero, overflow,
 * underflow) of this thread, read and cleared directly (MXCSR on x86-64, FPSR on
 * AArch64; <fenv.h> elsewhere): <fenv.h>'s x87 handling costs more than a small
 * call. NumPy reads them after its loops and answers as np.errstate says. */
#ifndef RAPTORS_FPSTATUS_H
#define RAPTORS_FPSTATUS_H

#include "raptors.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
/* Writing MXCSR costs far more than reading it (on Intel it is serializing): clear
 * only when one of the four flags is set, which is rare (the precision flag, set by
 * almost every operation, is not one of them). */
static inline void rp_fp_clear(void)
{
    unsigned s = _mm_getcsr();
    if (s & 0x1Du)
        _mm_setcsr(s & ~0x3Fu);
}
static inline int rp_fp_test(void)
{
    unsigned s = _mm_getcsr();
    return ((s & 0x01u) ? RAPTORS_FPE_INVALID : 0) | ((s & 0x04u) ? RAPTORS_FPE_DIVIDE : 0) |
           ((s & 0x08u) ? RAPTORS_FPE_OVERFLOW : 0) | ((s & 0x10u) ? RAPTORS_FPE_UNDERFLOW : 0);
}
static inline void rp_fp_raise(int fe) /* sets the flags (exceptions stay masked) */
{
    _mm_setcsr(_mm_getcsr() | ((fe & RAPTORS_FPE_INVALID) ? 0x01u : 0) |
               ((fe & RAPTORS_FPE_DIVIDE) ? 0x04u : 0) | ((fe & RAPTORS_FPE_OVERFLOW) ? 0x08u : 0) |
               ((fe & RAPTORS_FPE_UNDERFLOW) ? 0x10u : 0));
}
#elif defined(__aarch64__)
#include <stdint.h>
static inline uint64_t rp_fpsr_get(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpsr" : "=r"(v));
    return v;
}
static inline void rp_fpsr_set(uint64_t v) { __asm__ __volatile__("msr fpsr, %0" : : "r"(v)); }
static inline void rp_fp_clear(void)
{
    uint64_t s = rp_fpsr_get();
    if (s & 0xFu)
        rp_fpsr_set(s & ~(uint64_t)0x9Fu);
}
static inline int rp_fp_test(void)
{
    uint64_t s = rp_fpsr_get();
    return ((s & 0x1u) ? RAPTORS_FPE_INVALID : 0) | ((s & 0x2u) ? RAPTORS_FPE_DIVIDE : 0) |
           ((s & 0x4u) ? RAPTORS_FPE_OVERFLOW : 0) | ((s & 0x8u) ? RAPTORS_FPE_UNDERFLOW : 0);
}
static inline void rp_fp_raise(int fe)
{
    rp_fpsr_set(rp_fpsr_get() | ((fe & RAPTORS_FPE_INVALID) ? 0x1u : 0) |
                ((fe & RAPTORS_FPE_DIVIDE) ? 0x2u : 0) | ((fe & RAPTORS_FPE_OVERFLOW) ? 0x4u : 0) |
                ((fe & RAPTORS_FPE_UNDERFLOW) ? 0x8u : 0));
}
#else
#include <fenv.h>
static inline void rp_fp_clear(void) { feclearexcept(FE_ALL_EXCEPT); }
static inline int rp_fp_test(void)
{
    int s = fetestexcept(FE_ALL_EXCEPT);
    return ((s & FE_INVALID) ? RAPTORS_FPE_INVALID : 0) |
           ((s & FE_DIVBYZERO) ? RAPTORS_FPE_DIVIDE : 0) |
           ((s & FE_OVERFLOW) ? RAPTORS_FPE_OVERFLOW : 0) |
           ((s & FE_UNDERFLOW) ? RAPTORS_FPE_UNDERFLOW : 0);
}
static inline void rp_fp_raise(int fe)
{
    feraiseexcept(((fe & RAPTORS_FPE_INVALID) ? FE_INVALID : 0) |
                  ((fe & RAPTORS_FPE_DIVIDE) ? FE_DIVBYZERO : 0) |
                  ((fe & RAPTORS_FPE_OVERFLOW) ? FE_OVERFLOW : 0) |
                  ((fe & RAPTORS_FPE_UNDERFLOW) ? FE_UNDERFLOW : 0));
}
#endif

#endif
