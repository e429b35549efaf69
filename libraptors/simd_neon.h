/* The vocabulary of the AArch64 Advanced SIMD variant (NEON, 128-bit); see
 * kernels.h for what every simd_<isa>.h provides.
 *
 * FADD/FSUB/FMUL on NEON are the IEEE operations of the scalar FPU (same
 * rounding, same NaN propagation, subnormals kept unless FPCR.FZ is set, which
 * Linux and macOS leave clear), so every lane equals NumPy's result bit for
 * bit. NEON is part of the AArch64 baseline: no target attribute is needed.
 * AArch64 has no single-register non-temporal vector store (STNP stores a pair
 * and is only a hint), so a streaming store is a plain one. */
#include <arm_neon.h>
#define RP_ISA neon
#define RP_TARGET
#define RP_HAS_STREAM 0

typedef float32x4_t rp_v_f32;
#define rp_set1_f32(a) vdupq_n_f32(a)
#define rp_load_f32(p) vld1q_f32(p)
#define rp_store_f32(p, v) vst1q_f32(p, v)
#define rp_stream_f32(p, v) vst1q_f32(p, v)
#define rp_add_f32(a, b) vaddq_f32(a, b)
#define rp_subtract_f32(a, b) vsubq_f32(a, b)
#define rp_multiply_f32(a, b) vmulq_f32(a, b)

typedef float64x2_t rp_v_f64;
#define rp_set1_f64(a) vdupq_n_f64(a)
#define rp_load_f64(p) vld1q_f64(p)
#define rp_store_f64(p, v) vst1q_f64(p, v)
#define rp_stream_f64(p, v) vst1q_f64(p, v)
#define rp_add_f64(a, b) vaddq_f64(a, b)
#define rp_subtract_f64(a, b) vsubq_f64(a, b)
#define rp_multiply_f64(a, b) vmulq_f64(a, b)

#define rp_stream_fence() ((void)0)
#include "simd_acc8.h"
