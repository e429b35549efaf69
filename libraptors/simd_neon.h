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

/* Integers: two's complement lanes wrap modulo 2^bits, as NumPy's loops. */
typedef int32x4_t rp_v_i32;
#define rp_set1_i32(a) vdupq_n_s32(a)
#define rp_load_i32(p) vld1q_s32(p)
#define rp_store_i32(p, v) vst1q_s32(p, v)
#define rp_stream_i32(p, v) vst1q_s32(p, v)
#define rp_add_i32(a, b) vaddq_s32(a, b)
#define rp_subtract_i32(a, b) vsubq_s32(a, b)
#define rp_multiply_i32(a, b) vmulq_s32(a, b)

typedef int64x2_t rp_v_i64;
#define rp_set1_i64(a) vdupq_n_s64(a)
#define rp_load_i64(p) vld1q_s64(p)
#define rp_store_i64(p, v) vst1q_s64(p, v)
#define rp_stream_i64(p, v) vst1q_s64(p, v)
#define rp_add_i64(a, b) vaddq_s64(a, b)
#define rp_subtract_i64(a, b) vsubq_s64(a, b)
#define rp_multiply_i64(a, b) rp_mul_s64_neon(a, b)

/* NEON has no 64-bit lane multiply: each lane in the scalar unit (MUL), modulo 2^64. */
static inline int64x2_t rp_mul_s64_neon(int64x2_t a, int64x2_t b)
{
    const uint64x2_t ua = vreinterpretq_u64_s64(a), ub = vreinterpretq_u64_s64(b);
    const uint64_t lo = vgetq_lane_u64(ua, 0) * vgetq_lane_u64(ub, 0);
    const uint64_t hi = vgetq_lane_u64(ua, 1) * vgetq_lane_u64(ub, 1);
    return vreinterpretq_s64_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(hi)));
}

/* Byte sums (kernels.h): pairwise widening adds, 16 bytes into two 64-bit lanes. */
typedef uint64x2_t rp_bytes_t;
#define RP_BYTES_STEP 16
#define rp_bytes_zero() vdupq_n_u64(0)
#define rp_bytes_widen_(acc, v) vpadalq_u32(acc, vpaddlq_u16(vpaddlq_u8(v)))
#define rp_bytes_load_(p) vld1q_u8((const uint8_t *)(const void *)(p))
#define rp_bytes_add(acc, p) rp_bytes_widen_(acc, rp_bytes_load_(p))
#define rp_bytes_add_flipped(acc, p) rp_bytes_widen_(acc, veorq_u8(rp_bytes_load_(p), vdupq_n_u8(0x80)))
#define rp_bytes_add_nonzero(acc, p) rp_bytes_widen_(acc, vminq_u8(rp_bytes_load_(p), vdupq_n_u8(1)))
#define rp_bytes_total(acc) vaddvq_u64(acc)

/* Word sums (kernels.h): pairwise widening adds, eight int16 into four 32-bit lanes. */
typedef int32x4_t rp_words_t;
#define RP_WORDS_STEP 16
#define rp_words_zero() vdupq_n_s32(0)
#define rp_words_add(acc, p) vpadalq_s16(acc, vld1q_s16((const int16_t *)(const void *)(p)))
#define rp_words_add_flipped(acc, p)                                                               \
    vpadalq_s16(acc, vreinterpretq_s16_u16(veorq_u16(vld1q_u16((const uint16_t *)(const void *)(p)), \
                                                     vdupq_n_u16(0x8000))))
#define rp_words_total(acc) vaddlvq_s32(acc)

#define rp_stream_fence() ((void)0)
#include "simd_acc8.h"
