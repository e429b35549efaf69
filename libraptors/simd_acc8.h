/* The 8-lane accumulator of NumPy's pairwise tree as one GCC/Clang generic
 * vector of eight elements (one ymm for float32, one zmm or two ymm for
 * float64, two or four NEON registers), for the vector variants. Never wider:
 * sixteen accumulators would change the order of additions. Element-aligned
 * loads (the data need only be aligned to its element). */
#define RP_ACC8_VECTOR_TYPE_(ID, name, T, S, kind)                                                     \
    typedef T rp_a8_##S __attribute__((vector_size(8 * sizeof(T)), aligned(sizeof(T)), may_alias));
RAPTORS_DTYPES(RP_ACC8_VECTOR_TYPE_)
#define RP_A8_LOAD(S, p) (*(const rp_a8_##S *)(const void *)(p))
#define RP_A8_ADD(S, a, p) ((a) += RP_A8_LOAD(S, p))
#define RP_A8_LANE(S, a, k) ((a)[k])

/* Reading eight elements into a sum's accumulator: RP_READ8 loads eight elements of any
 * dtype, with NAN turns a NaN into +0.0 and counts it in c (an integer vector of the
 * source's lanes, RP_C8_TYPE: -1 per NaN subtracted), and converts them as NumPy's cast
 * does (one vector conversion; the identity when the dtypes are the same). The NaNs are
 * zeroed before the conversion, in the source's own lanes, and everything is a macro:
 * gcc 12 fails compiling the zeroing of a converted 64-byte vector for AVX2, and a
 * 64-byte vector passed or returned where the target lacks AVX-512 changes the ABI. */
#include <string.h>
#define RP_ACC8_SOURCE_(ID, name, R, RS, kind)                                                     \
    typedef R rp_r8_##RS                                                                           \
        __attribute__((vector_size(8 * sizeof(R)), aligned(sizeof(R)), may_alias));                \
    typedef RP_LANE_INT_##RS rp_c8_##RS __attribute__((vector_size(8 * sizeof(R))));
#define RP_LANE_INT_f32 int32_t
#define RP_LANE_INT_f64 int64_t
#define RP_LANE_INT_i32 int32_t
#define RP_LANE_INT_i64 int64_t
#define RP_LANE_INT_i8 int8_t
#define RP_LANE_INT_i16 int16_t
#define RP_LANE_INT_u8 int8_t
#define RP_LANE_INT_u16 int16_t
#define RP_LANE_INT_u32 int32_t
#define RP_LANE_INT_u64 int64_t
#define RP_LANE_INT_b8 int8_t
RAPTORS_ALL_DTYPES(RP_ACC8_SOURCE_)
#define RP_C8_TYPE(RS, S) rp_c8_##RS
#define RP_R8_VALUE_FLOAT(src) (src)
#define RP_R8_VALUE_SIGNED(src) (src)
#define RP_R8_VALUE_UNSIGNED(src) (src)
#define RP_R8_VALUE_BOOL(src) (((src) != 0) & 1)
/* Values of 8 or 16 bits go to floats through 32-bit lanes: gcc converts them one by one
 * otherwise (a mean of int16 ran at 0.4x NumPy). */
typedef int32_t rp_w8_i32 __attribute__((vector_size(32)));
typedef int16_t rp_w8_i16 __attribute__((vector_size(16)));
#define RP_R8_WIDEN_f32(v) (v)
#define RP_R8_WIDEN_f64(v) (v)
#define RP_R8_WIDEN_i32(v) (v)
#define RP_R8_WIDEN_i64(v) (v)
#define RP_R8_WIDEN_u32(v) (v)
#define RP_R8_WIDEN_u64(v) (v)
#define RP_R8_WIDEN_i8(v) __builtin_convertvector(__builtin_convertvector(v, rp_w8_i16), rp_w8_i32)
#define RP_R8_WIDEN_i16(v) __builtin_convertvector(v, rp_w8_i32)
#define RP_R8_WIDEN_u8(v) __builtin_convertvector(__builtin_convertvector(v, rp_w8_i16), rp_w8_i32)
#define RP_R8_WIDEN_u16(v) __builtin_convertvector(v, rp_w8_i32)
#define RP_R8_WIDEN_b8(v) __builtin_convertvector(v, rp_w8_i32)
#define RP_READ8(RS, kind, S, NAN, v, p, c)                                                        \
    do {                                                                                           \
        if (RP_IS_FLOAT_##kind && sizeof(*(p)) == sizeof((v)[0]) && !(NAN)) {                      \
            (v) = RP_A8_LOAD(S, p); /* the sum's own dtype: a plain load */                       \
            break;                                                                                 \
        }                                                                                          \
        rp_r8_##RS src_ = *(const rp_r8_##RS *)(const void *)(p);                                  \
        if (NAN) {                                                                                 \
            const rp_c8_##RS keep_ = src_ == src_;                                                 \
            rp_c8_##RS bits_;                                                                      \
            (c) -= ~keep_;                                                                         \
            memcpy(&bits_, &src_, sizeof bits_);                                                   \
            bits_ &= keep_;                                                                        \
            memcpy(&src_, &bits_, sizeof bits_);                                                   \
        }                                                                                          \
        (v) = __builtin_convertvector(RP_R8_WIDEN_##RS(RP_R8_VALUE_##kind(src_)), rp_a8_##S);     \
    } while (0)
#define RP_A8_PLUS(S, a, v) ((a) += (v))
#define RP_C8_TOTAL(S, c)                                                                          \
    ((uint64_t)((c)[0] + (c)[1] + (c)[2] + (c)[3] + (c)[4] + (c)[5] + (c)[6] + (c)[7]))
/* Eight lanes' counts added to eight 32-bit counters (rp_accumulate_fn's). */
typedef uint32_t rp_n8 __attribute__((vector_size(32), aligned(4), may_alias));
#define RP_C8_ADD_TO(n, c) (*(rp_n8 *)(void *)(n) += __builtin_convertvector((c), rp_n8))
