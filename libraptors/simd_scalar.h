/* Vector ops for the portable variant: a "vector" of one element, so the one
 * kernel body in scale_body.h compiles to a plain loop (no auto-vectorization:
 * see the Makefile), giving the baseline the SIMD variants are measured against. */
#define RP_ISA scalar
#define RP_TARGET

typedef float rp_v_f32;
typedef double rp_v_f64;
#define rp_set1_f32(a) (a)
#define rp_load_f32(p) (*(p))
#define rp_mul_f32(x, a) ((x) * (a))
#define rp_store_f32(p, v) (*(p) = (v))
#define rp_stream_f32(p, v) (*(p) = (v))
#define rp_set1_f64(a) (a)
#define rp_load_f64(p) (*(p))
#define rp_mul_f64(x, a) ((x) * (a))
#define rp_store_f64(p, v) (*(p) = (v))
#define rp_stream_f64(p, v) (*(p) = (v))
#define rp_stream_fence() ((void)0)
#define RP_HAS_STREAM 0
#define RP_ACC8_VECTOR 0 /* reduce_body.h: 8 scalar accumulators */
