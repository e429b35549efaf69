/* Vector ops for AVX2 (256-bit). */
#include <immintrin.h>
#define RP_ISA avx2
#define RP_TARGET __attribute__((target("avx2")))

typedef __m256 rp_v_f32;
typedef __m256d rp_v_f64;
#define rp_set1_f32(a) _mm256_set1_ps(a)
#define rp_load_f32(p) _mm256_loadu_ps(p)
#define rp_mul_f32(x, a) _mm256_mul_ps(x, a)
#define rp_store_f32(p, v) _mm256_storeu_ps(p, v)
#define rp_stream_f32(p, v) _mm256_stream_ps(p, v)
#define rp_set1_f64(a) _mm256_set1_pd(a)
#define rp_load_f64(p) _mm256_loadu_pd(p)
#define rp_mul_f64(x, a) _mm256_mul_pd(x, a)
#define rp_store_f64(p, v) _mm256_storeu_pd(p, v)
#define rp_stream_f64(p, v) _mm256_stream_pd(p, v)
#define rp_stream_fence() _mm_sfence()
#define RP_HAS_STREAM 1
#define RP_ACC8_VECTOR 1 /* reduce_body.h: 8 accumulators as one generic vector */
