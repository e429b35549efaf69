/* Vector ops for AArch64 Advanced SIMD (NEON, 128-bit).
 *
 * FMUL on NEON is the IEEE multiply of the scalar FPU (same rounding, same
 * NaN propagation, subnormals kept unless FPCR.FZ is set, which Linux and
 * macOS leave clear), so every lane equals NumPy's x * a bit for bit.
 * NEON is part of the AArch64 baseline: no target attribute is needed, and the
 * variant also runs unchanged on cores that have SVE/SVE2 in addition.
 * AArch64 has no single-register non-temporal vector store (STNP stores a
 * pair and is only a hint), so the stream path is left to plain stores. */
#include <arm_neon.h>
#define RP_ISA neon
#define RP_TARGET

typedef float32x4_t rp_v_f32;
typedef float64x2_t rp_v_f64;
#define rp_set1_f32(a) vdupq_n_f32(a)
#define rp_load_f32(p) vld1q_f32(p)
#define rp_mul_f32(x, a) vmulq_f32(x, a)
#define rp_store_f32(p, v) vst1q_f32(p, v)
#define rp_stream_f32(p, v) vst1q_f32(p, v)
#define rp_set1_f64(a) vdupq_n_f64(a)
#define rp_load_f64(p) vld1q_f64(p)
#define rp_mul_f64(x, a) vmulq_f64(x, a)
#define rp_store_f64(p, v) vst1q_f64(p, v)
#define rp_stream_f64(p, v) vst1q_f64(p, v)
#define rp_stream_fence() ((void)0)
#define RP_HAS_STREAM 0
#define RP_ACC8_VECTOR 1 /* reduce_body.h: 8 accumulators as one generic vector */
