/* Internal: the kernel table every SIMD variant provides, and the type-erased
 * signatures the dispatcher and the thread splitter call through. */
#ifndef RAPTORS_KERNELS_H
#define RAPTORS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

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
