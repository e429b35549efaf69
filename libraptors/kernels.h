/* Internal: the kernel table every SIMD variant provides, and the type-erased
 * signatures the dispatcher and the thread splitter call through. */
#ifndef RAPTORS_KERNELS_H
#define RAPTORS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Results must equal NumPy's bit for bit, so IEEE 754 semantics are the contract:
 * refuse to compile under any option that gives them up. gcc and clang announce
 * such options through these predefined macros (gcc also clears __GCC_IEC_559). */
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__) || \
    defined(__NO_SIGNED_ZEROS__) || defined(__RECIPROCAL_MATH__) ||                    \
    defined(__ASSOCIATIVE_MATH__) || (defined(__GCC_IEC_559) && __GCC_IEC_559 == 0)
#error "libraptors needs IEEE 754 semantics: build it without fast/finite/unsafe math options"
#endif

enum { RP_F32 = 0, RP_F64 = 1, RP_NDTYPES = 2 };

/* Contiguous: y[i] = *factor * x[i], i < n. x, y aligned to the element size.
 * stream != 0 asks for non-temporal stores (ignored by variants without them). */
typedef void (*rp_contig_fn)(const void *x, void *y, size_t n, const void *factor, int stream);
/* Strided, byte strides of any sign and alignment. */
typedef void (*rp_strided_fn)(const char *x, ptrdiff_t sx, char *y, ptrdiff_t sy, size_t n,
                              const void *factor);

typedef struct {
    const char *name;
    int (*supported)(void);          /* can this CPU run it? */
    rp_contig_fn scale_contig[RP_NDTYPES];
    rp_strided_fn scale_strided[RP_NDTYPES];
} rp_kernel_set;

extern const rp_kernel_set rp_kernels_scalar;
#if defined(__x86_64__) || defined(_M_X64)
extern const rp_kernel_set rp_kernels_avx2;
extern const rp_kernel_set rp_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const rp_kernel_set rp_kernels_neon;
#endif

#endif
