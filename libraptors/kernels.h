/* Internal: the kernel table every SIMD variant provides, the type-erased
 * signatures the families call through, and the contract of a vocabulary.
 *
 * A variant is a simd_<isa>.h (its vocabulary) and a kernels_<isa>.c that
 * includes it and kernel_set.h. The vocabulary gives, for each dtype suffix S
 * of ops.h's RAPTORS_DTYPES:
 *   rp_v_S                       the vector type (one element for scalar)
 *   rp_set1_S(a)                 a vector of a
 *   rp_load_S(p), rp_store_S(p, v)  unaligned (element-aligned) load / store
 *   rp_stream_S(p, v)            non-temporal store (vector-aligned p)
 *   rp_<arithmetic>_S(a, b)      every arithmetic of RP_ARITHMETIC (integers wrap:
 *                                no signed overflow in C, no saturation)
 *   rp_a8_S, RP_A8_LOAD(S, p), RP_A8_ADD(S, acc, p), RP_A8_LANE(S, acc, k)
 *                                the eight accumulators of NumPy's pairwise sum
 * and once: RP_ISA, RP_TARGET (the target attribute), RP_HAS_STREAM,
 * rp_stream_fence(), and the byte sums of 8-bit integer sums: rp_bytes_t (64-bit
 * lanes), RP_BYTES_STEP bytes a step, rp_bytes_zero(), rp_bytes_add(acc, p) (the
 * bytes at p, unsigned), rp_bytes_add_flipped (each + 128: int8's bias),
 * rp_bytes_add_nonzero (1 per nonzero byte: bool), rp_bytes_total(acc) (exact as
 * long as the lanes do not wrap: 2^56 bytes); and the word sums of 16-bit integer
 * sums: rp_words_t (32-bit lanes), RP_WORDS_STEP bytes a step, rp_words_zero(),
 * rp_words_add(acc, p) (the int16 at p), rp_words_add_flipped (each uint16 - 32768:
 * uint16's bias), rp_words_total(acc) (an int64; exact while no lane passes 2^31: each
 * step adds at most 2^16 to a lane, so the caller totals every RP_WORDS_RUN steps).
 * The reductions' conversions (reduce_body.h: any dtype of
 * RAPTORS_ALL_DTYPES read into a float sum, NaN read as +0.0, integers widened to
 * 64 bits) are plain C loops the compiler vectorizes for the variant's target.
 */
#ifndef RAPTORS_KERNELS_H
#define RAPTORS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* Results must equal NumPy's bit for bit, so IEEE 754 semantics are the contract:
 * refuse to compile under any option that gives them up. gcc and clang announce
 * such options through these predefined macros (gcc also clears __GCC_IEC_559). */
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__) || \
    defined(__NO_SIGNED_ZEROS__) || defined(__RECIPROCAL_MATH__) ||                    \
    defined(__ASSOCIATIVE_MATH__) || (defined(__GCC_IEC_559) && __GCC_IEC_559 == 0)
#error "libraptors needs IEEE 754 semantics: build it without fast/finite/unsafe math options"
#endif

/* The element-wise arithmetic the kernels implement, X(..., name, C operator):
 * the operator computes the scalar elements (peel, tail, strided) in the
 * dtype's arithmetic type (RP_ARITH_TYPE), the vocabulary's rp_<name>_S the
 * vectors; both are the one IEEE operation for a float, the same operation
 * modulo 2^bits for an integer. The extra leading arguments are passed through
 * to X. */
#define RP_ARITHMETIC(X, ...)                                                                      \
    X(__VA_ARGS__, add, +)                                                                         \
    X(__VA_ARGS__, subtract, -)                                                                    \
    X(__VA_ARGS__, multiply, *)
#define RP_ARITH_ID_(unused, name, op) RP_ARITH_##name,
enum { RP_ARITHMETIC(RP_ARITH_ID_, ~) RP_NARITH };

/* NumPy's pairwise summation (loops_utils.h.src) leaves at this many elements,
 * and splits a larger run at half, rounded down to a multiple of 8. Shared by
 * the kernels (the tree inside a run) and reduce.c (threads take subtrees). */
#define RP_PW_BLOCK 128
static inline size_t rp_pw_split(size_t n)
{
    size_t n2 = n / 2;
    return n2 - n2 % 8;
}

/* Element-wise out[i] = x[i] op y[i], n elements, byte strides of any sign
 * (0 = a broadcast operand); stream != 0 asks for non-temporal stores
 * (ignored by variants without them). */
typedef void (*rp_elementwise_fn)(const char *x, ptrdiff_t sx, const char *y, ptrdiff_t sy,
                                  char *out, ptrdiff_t so, size_t n, int stream);
/* The additions of a reduction: in float32 or float64 (NumPy's pairwise order,
 * over values converted to that dtype), or exact modular integer addition in
 * 64 bits (any order gives the same bits; narrower integer results keep the
 * low bits). RP_SUMS(X, ...) lists the float ones: X(..., C type, suffix). */
#define RP_SUMS(X, ...)                                                                            \
    X(__VA_ARGS__, float, f32)                                                                     \
    X(__VA_ARGS__, double, f64)
enum { RP_SUM_F32, RP_SUM_F64, RP_SUM_INT, RP_NSUMS };

/* *result = the sum of n elements at byte stride sx, read as the table's
 * source dtype and added as its sum kind: a float kind in NumPy's pairwise
 * order (no identity added: n == 0 gives -0.0, as NumPy's own routine does), an
 * integer kind as a uint64 sum. With skip_nan (the nan* reductions) a NaN is
 * read as +0.0 and counted into *nans. */
typedef void (*rp_pairwise_fn)(const char *x, ptrdiff_t sx, size_t n, void *result,
                               uint64_t *nans);
/* acc[i] += x[r * rs + i * sx] for r < rows, then i < n, converted as above: `rows`
 * steps of a sequential reduction along a strided axis, each column's in order. acc
 * is contiguous and aligned (T, or uint64 for the integer kind); with skip_nan,
 * nans[i] counts the NaNs -- 32-bit counters, a vector's lanes of float32, which the
 * caller empties before 2^32 steps. A kernel reads x line after line, except that a
 * skip_nan kernel adds RP_LINES_PER_PASS lines in each pass over acc and nans. */
#define RP_LINES_PER_PASS 4
typedef void (*rp_accumulate_fn)(const char *x, ptrdiff_t sx, ptrdiff_t rs, size_t rows,
                                 void *acc, size_t n, uint32_t *nans);

typedef struct {
    const char *name;
    int (*supported)(void); /* can this CPU run it? */
    rp_elementwise_fn elementwise[RP_NARITH][RAPTORS_NDTYPES];
    /* [source dtype][sum kind][skip_nan] (the integer sum: skip_nan 0 only;
     * of a float source, a zero, never called). */
    rp_pairwise_fn pairwise[RAPTORS_NALL_DTYPES][RP_NSUMS][2];
    rp_accumulate_fn accumulate[RAPTORS_NALL_DTYPES][RP_NSUMS][2];
} rp_kernel_set;

extern const rp_kernel_set rp_kernels_scalar;
#if defined(__x86_64__) || defined(_M_X64)
extern const rp_kernel_set rp_kernels_avx2;
extern const rp_kernel_set rp_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const rp_kernel_set rp_kernels_neon;
#endif

/* A value v of a dtype of kind `kind` as the C type T, as NumPy's cast converts it (C's
 * conversion; a bool is 0 or 1). */
#define RP_CONV_FLOAT(T, v) ((T)(v))
#define RP_CONV_SIGNED(T, v) ((T)(v))
#define RP_CONV_UNSIGNED(T, v) ((T)(v))
#define RP_CONV_BOOL(T, v) ((T)((v) != 0))

/* The type the element-wise scalar paths compute a dtype of this kind in, from
 * its C type T: a float's own; for a signed integer the unsigned type of the same
 * width (int32_t -> uint32_t), where overflow wraps as NumPy's integers do instead
 * of being undefined, converted back to T (modulo 2^bits under gcc and clang).
 * 32 and 64 bits only: a narrower unsigned type would promote to int. */
#define RP_ARITH_TYPE(kind, T) RP_ARITH_TYPE_##kind(T)
#define RP_ARITH_TYPE_FLOAT(T) T
#define RP_ARITH_TYPE_SIGNED(T) u##T

/* Bytes of one element of a dtype. */
#define RP_DTYPE_SIZE_(ID, name, T, S, kind) sizeof(T),
static inline size_t rp_element_size(int dtype)
{
    static const size_t size[RAPTORS_NALL_DTYPES] = {RAPTORS_ALL_DTYPES(RP_DTYPE_SIZE_)};
    return size[dtype];
}
#define RP_DTYPE_IS_FLOAT_(ID, name, T, S, kind) RP_KIND_IS_FLOAT_##kind,
#define RP_KIND_IS_FLOAT_FLOAT 1
#define RP_KIND_IS_FLOAT_SIGNED 0
#define RP_KIND_IS_FLOAT_UNSIGNED 0
#define RP_KIND_IS_FLOAT_BOOL 0
static inline int rp_dtype_is_float(int dtype)
{
    static const char is_float[RAPTORS_NALL_DTYPES] = {RAPTORS_ALL_DTYPES(RP_DTYPE_IS_FLOAT_)};
    return is_float[dtype];
}
/* Bits of the largest magnitude an integer dtype holds (2^bits bounds |value|): a
 * signed one's width less one, an unsigned one's width, a bool's 0. */
#define RP_DTYPE_MAGNITUDE_BITS_(ID, name, T, S, kind) RP_KIND_MAGNITUDE_##kind(T),
#define RP_KIND_MAGNITUDE_FLOAT(T) 8 * sizeof(T)
#define RP_KIND_MAGNITUDE_SIGNED(T) 8 * sizeof(T) - 1
#define RP_KIND_MAGNITUDE_UNSIGNED(T) 8 * sizeof(T)
#define RP_KIND_MAGNITUDE_BOOL(T) 0
static inline int rp_magnitude_bits(int dtype)
{
    static const char bits[RAPTORS_NALL_DTYPES] = {RAPTORS_ALL_DTYPES(RP_DTYPE_MAGNITUDE_BITS_)};
    return bits[dtype];
}

#endif
