/* The vocabulary of the AVX-512F variant (512-bit vectors); see kernels.h for
 * what every simd_<isa>.h provides. */
#include <immintrin.h>
#define RP_ISA avx512
#define RP_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define RP_HAS_STREAM 1

typedef __m512 rp_v_f32;
#define rp_set1_f32(a) _mm512_set1_ps(a)
#define rp_load_f32(p) _mm512_loadu_ps(p)
#define rp_store_f32(p, v) _mm512_storeu_ps(p, v)
#define rp_stream_f32(p, v) _mm512_stream_ps(p, v)
#define rp_add_f32(a, b) _mm512_add_ps(a, b)
#define rp_subtract_f32(a, b) _mm512_sub_ps(a, b)
#define rp_multiply_f32(a, b) _mm512_mul_ps(a, b)

typedef __m512d rp_v_f64;
#define rp_set1_f64(a) _mm512_set1_pd(a)
#define rp_load_f64(p) _mm512_loadu_pd(p)
#define rp_store_f64(p, v) _mm512_storeu_pd(p, v)
#define rp_stream_f64(p, v) _mm512_stream_pd(p, v)
#define rp_add_f64(a, b) _mm512_add_pd(a, b)
#define rp_subtract_f64(a, b) _mm512_sub_pd(a, b)
#define rp_multiply_f64(a, b) _mm512_mul_pd(a, b)

/* Integers: two's complement lanes wrap modulo 2^bits, as NumPy's loops. The
 * 64-bit multiply is AVX512DQ's VPMULLQ. */
typedef __m512i rp_v_i32;
#define rp_set1_i32(a) _mm512_set1_epi32(a)
#define rp_load_i32(p) _mm512_loadu_si512((const void *)(p))
#define rp_store_i32(p, v) _mm512_storeu_si512((void *)(p), v)
#define rp_stream_i32(p, v) _mm512_stream_si512((void *)(p), v)
#define rp_add_i32(a, b) _mm512_add_epi32(a, b)
#define rp_subtract_i32(a, b) _mm512_sub_epi32(a, b)
#define rp_multiply_i32(a, b) _mm512_mullo_epi32(a, b)

typedef __m512i rp_v_i64;
#define rp_set1_i64(a) _mm512_set1_epi64(a)
#define rp_load_i64(p) _mm512_loadu_si512((const void *)(p))
#define rp_store_i64(p, v) _mm512_storeu_si512((void *)(p), v)
#define rp_stream_i64(p, v) _mm512_stream_si512((void *)(p), v)
#define rp_add_i64(a, b) _mm512_add_epi64(a, b)
#define rp_subtract_i64(a, b) _mm512_sub_epi64(a, b)
#define rp_multiply_i64(a, b) _mm512_mullo_epi64(a, b)

/* Byte sums (kernels.h): SAD against zero adds each 8 bytes into a 64-bit lane. */
typedef __m512i rp_bytes_t;
#define RP_BYTES_STEP 64
#define rp_bytes_zero() _mm512_setzero_si512()
#define rp_bytes_sad_(acc, v) _mm512_add_epi64(acc, _mm512_sad_epu8(v, _mm512_setzero_si512()))
#define rp_bytes_load_(p) _mm512_loadu_si512((const void *)(p))
#define rp_bytes_add(acc, p) rp_bytes_sad_(acc, rp_bytes_load_(p))
#define rp_bytes_add_flipped(acc, p) rp_bytes_sad_(acc, _mm512_xor_si512(rp_bytes_load_(p), _mm512_set1_epi8(-128)))
#define rp_bytes_add_nonzero(acc, p) rp_bytes_sad_(acc, _mm512_min_epu8(rp_bytes_load_(p), _mm512_set1_epi8(1)))
#define rp_bytes_total(acc) ((uint64_t)_mm512_reduce_add_epi64(acc))

/* Word sums (kernels.h): multiply-add against ones adds each two int16 into a 32-bit lane. */
typedef __m512i rp_words_t;
#define RP_WORDS_STEP 64
#define rp_words_zero() _mm512_setzero_si512()
#define rp_words_madd_(acc, v) _mm512_add_epi32(acc, _mm512_madd_epi16(v, _mm512_set1_epi16(1)))
#define rp_words_add(acc, p) rp_words_madd_(acc, _mm512_loadu_si512((const void *)(p)))
#define rp_words_add_flipped(acc, p)                                                               \
    rp_words_madd_(acc, _mm512_xor_si512(_mm512_loadu_si512((const void *)(p)),                    \
                                         _mm512_set1_epi16((short)0x8000)))
#define rp_words_total(acc)                                                                        \
    _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc)),   \
                                             _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1))))

#define rp_stream_fence() _mm_sfence()
#include "simd_acc8.h"
