/* The vocabulary of the AVX2 variant (256-bit vectors); see kernels.h for what
 * every simd_<isa>.h provides. */
#include <immintrin.h>
#define RP_ISA avx2
#define RP_TARGET __attribute__((target("avx2")))
#define RP_HAS_STREAM 1

typedef __m256 rp_v_f32;
#define rp_set1_f32(a) _mm256_set1_ps(a)
#define rp_load_f32(p) _mm256_loadu_ps(p)
#define rp_store_f32(p, v) _mm256_storeu_ps(p, v)
#define rp_stream_f32(p, v) _mm256_stream_ps(p, v)
#define rp_add_f32(a, b) _mm256_add_ps(a, b)
#define rp_subtract_f32(a, b) _mm256_sub_ps(a, b)
#define rp_multiply_f32(a, b) _mm256_mul_ps(a, b)

typedef __m256d rp_v_f64;
#define rp_set1_f64(a) _mm256_set1_pd(a)
#define rp_load_f64(p) _mm256_loadu_pd(p)
#define rp_store_f64(p, v) _mm256_storeu_pd(p, v)
#define rp_stream_f64(p, v) _mm256_stream_pd(p, v)
#define rp_add_f64(a, b) _mm256_add_pd(a, b)
#define rp_subtract_f64(a, b) _mm256_sub_pd(a, b)
#define rp_multiply_f64(a, b) _mm256_mul_pd(a, b)

/* Integers: two's complement lanes wrap modulo 2^bits, as NumPy's loops. */
typedef __m256i rp_v_i32;
#define rp_set1_i32(a) _mm256_set1_epi32(a)
#define rp_load_i32(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define rp_store_i32(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)
#define rp_stream_i32(p, v) _mm256_stream_si256((__m256i *)(void *)(p), v)
#define rp_add_i32(a, b) _mm256_add_epi32(a, b)
#define rp_subtract_i32(a, b) _mm256_sub_epi32(a, b)
#define rp_multiply_i32(a, b) _mm256_mullo_epi32(a, b)

typedef __m256i rp_v_i64;
#define rp_set1_i64(a) _mm256_set1_epi64x(a)
#define rp_load_i64(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define rp_store_i64(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)
#define rp_stream_i64(p, v) _mm256_stream_si256((__m256i *)(void *)(p), v)
#define rp_add_i64(a, b) _mm256_add_epi64(a, b)
#define rp_subtract_i64(a, b) _mm256_sub_epi64(a, b)
#define rp_multiply_i64(a, b) rp_mullo_epi64_avx2(a, b)

/* AVX2 has no 64-bit multiply: the low 64 bits of a * b from three 32 x 32 -> 64
 * products, lo(a)lo(b) + ((hi(a)lo(b) + lo(a)hi(b)) << 32), all modulo 2^64. */
__attribute__((target("avx2"))) static inline __m256i rp_mullo_epi64_avx2(__m256i a, __m256i b)
{
    const __m256i lolo = _mm256_mul_epu32(a, b);
    const __m256i hilo = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
    const __m256i lohi = _mm256_mul_epu32(a, _mm256_srli_epi64(b, 32));
    return _mm256_add_epi64(lolo, _mm256_slli_epi64(_mm256_add_epi64(hilo, lohi), 32));
}

/* Byte sums (kernels.h): SAD against zero adds each 8 bytes into a 64-bit lane. */
typedef __m256i rp_bytes_t;
#define RP_BYTES_STEP 32
#define rp_bytes_zero() _mm256_setzero_si256()
#define rp_bytes_sad_(acc, v) _mm256_add_epi64(acc, _mm256_sad_epu8(v, _mm256_setzero_si256()))
#define rp_bytes_load_(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define rp_bytes_add(acc, p) rp_bytes_sad_(acc, rp_bytes_load_(p))
#define rp_bytes_add_flipped(acc, p) rp_bytes_sad_(acc, _mm256_xor_si256(rp_bytes_load_(p), _mm256_set1_epi8(-128)))
#define rp_bytes_add_nonzero(acc, p) rp_bytes_sad_(acc, _mm256_min_epu8(rp_bytes_load_(p), _mm256_set1_epi8(1)))
#define rp_bytes_total(acc)                                                                        \
    ((uint64_t)_mm256_extract_epi64(acc, 0) + (uint64_t)_mm256_extract_epi64(acc, 1) +           \
     (uint64_t)_mm256_extract_epi64(acc, 2) + (uint64_t)_mm256_extract_epi64(acc, 3))

/* Word sums (kernels.h): multiply-add against ones adds each two int16 into a 32-bit lane. */
typedef __m256i rp_words_t;
#define RP_WORDS_STEP 32
#define rp_words_zero() _mm256_setzero_si256()
#define rp_words_madd_(acc, v) _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_set1_epi16(1)))
#define rp_words_load_(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define rp_words_add(acc, p) rp_words_madd_(acc, rp_words_load_(p))
#define rp_words_add_flipped(acc, p)                                                               \
    rp_words_madd_(acc, _mm256_xor_si256(rp_words_load_(p), _mm256_set1_epi16((short)0x8000)))
#define rp_words_wide_(acc)                                                                        \
    _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)),                           \
                     _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)))
#define rp_words_total(acc)                                                                        \
    (_mm256_extract_epi64(rp_words_wide_(acc), 0) + _mm256_extract_epi64(rp_words_wide_(acc), 1) + \
     _mm256_extract_epi64(rp_words_wide_(acc), 2) + _mm256_extract_epi64(rp_words_wide_(acc), 3))

#define rp_stream_fence() _mm_sfence()
#include "simd_acc8.h"
