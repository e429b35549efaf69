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
/* Element-wise binary operations, in the order of raptors.h's RAPTORS_ADD... */
enum { RP_ADD = 0, RP_SUBTRACT = 1, RP_MULTIPLY = 2, RP_NBINARY = 3 };

/* NumPy's pairwise summation (loops_utils.h.src) leaves at this many elements,
 * and splits a larger run at half, rounded down to a multiple of 8. Shared by
 * the kernels (the tree inside a run) and reduce.c (threads take subtrees). */
#define RP_PW_BLOCK 128
static inline size_t rp_pw_split(size_t n)
{
    size_t n2 = n / 2;
    return n2 - n2 % 8;
}

/* Contiguous: y[i] = *factor * x[i], i < n. x, y aligned to the element size.
 * stream != 0 asks for non-temporal stores (ignored by variants without them). */
typedef void (*rp_contig_fn)(const void *x, void *y, size_t n, const void *factor, int stream);
/* Strided, byte strides of any sign and alignment. */
typedef void (*rp_strided_fn)(const char *x, ptrdiff_t sx, char *y, ptrdiff_t sy, size_t n,
                              const void *factor);

/* Element-wise out[i] = x[i] op y[i], n elements, byte strides of any sign
 * (0 = a broadcast operand); stream != 0 asks for non-temporal stores. */
typedef void (*rp_binary_fn)(const char *x, ptrdiff_t sx, const char *y, ptrdiff_t sy, char *out,
                             ptrdiff_t so, size_t n, int stream);
/* *result = NumPy's pairwise sum of n elements at byte stride sx (no identity
 * added: n == 0 gives -0.0, as NumPy's own routine does). */
typedef void (*rp_pairwise_fn)(const char *x, ptrdiff_t sx, size_t n, void *result);
/* acc[i] += x[i * sx] for i < n: one step of a sequential reduction along a
 * strided axis. acc is contiguous and aligned. */
typedef void (*rp_accumulate_fn)(const char *x, ptrdiff_t sx, void *acc, size_t n);

typedef struct {
    const char *name;
    int (*supported)(void);          /* can this CPU run it? */
    rp_contig_fn scale_contig[RP_NDTYPES];
    rp_strided_fn scale_strided[RP_NDTYPES];
    rp_binary_fn binary[RP_NBINARY][RP_NDTYPES];
    rp_pairwise_fn pairwise[RP_NDTYPES];
    rp_accumulate_fn accumulate[RP_NDTYPES];
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
