/* The vocabulary of the portable variant: a "vector" of one element, so the
 * family bodies compile to plain loops (not auto-vectorized: see the
 * Makefile), the baseline the SIMD variants are measured against. See
 * kernels.h for what every simd_<isa>.h provides. */
#include <string.h>
#define RP_ISA scalar
#define RP_TARGET
#define RP_HAS_STREAM 0

#define RP_SCALAR_VOCABULARY_(ID, name, T, S, kind) typedef T rp_v_##S;
RAPTORS_DTYPES(RP_SCALAR_VOCABULARY_)
#define rp_set1_f32(a) (a)
#define rp_load_f32(p) (*(p))
#define rp_store_f32(p, v) (*(p) = (v))
#define rp_stream_f32(p, v) (*(p) = (v))
#define rp_add_f32(a, b) ((a) + (b))
#define rp_subtract_f32(a, b) ((a) - (b))
#define rp_multiply_f32(a, b) ((a) * (b))
#define rp_set1_f64 rp_set1_f32
#define rp_load_f64 rp_load_f32
#define rp_store_f64 rp_store_f32
#define rp_stream_f64 rp_stream_f32
#define rp_add_f64 rp_add_f32
#define rp_subtract_f64 rp_subtract_f32
#define rp_multiply_f64 rp_multiply_f32
/* Integers: in the unsigned type of the same width, so results wrap modulo 2^bits
 * (NumPy's) with no signed overflow, which C leaves undefined. */
#define rp_set1_i32(a) (a)
#define rp_load_i32(p) (*(p))
#define rp_store_i32(p, v) (*(p) = (v))
#define rp_stream_i32(p, v) (*(p) = (v))
#define rp_add_i32(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define rp_subtract_i32(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define rp_multiply_i32(a, b) ((int32_t)((uint32_t)(a) * (uint32_t)(b)))
#define rp_set1_i64(a) (a)
#define rp_load_i64(p) (*(p))
#define rp_store_i64(p, v) (*(p) = (v))
#define rp_stream_i64(p, v) (*(p) = (v))
#define rp_add_i64(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))
#define rp_subtract_i64(a, b) ((int64_t)((uint64_t)(a) - (uint64_t)(b)))
#define rp_multiply_i64(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))

/* Byte sums (kernels.h): a byte a step. */
typedef uint64_t rp_bytes_t;
#define RP_BYTES_STEP 1
#define rp_bytes_zero() ((uint64_t)0)
#define rp_bytes_add(acc, p) ((acc) + *(const uint8_t *)(const void *)(p))
#define rp_bytes_add_flipped(acc, p) ((acc) + (uint8_t)(*(const uint8_t *)(const void *)(p) ^ 0x80u))
#define rp_bytes_add_nonzero(acc, p) ((acc) + (*(const uint8_t *)(const void *)(p) != 0))
#define rp_bytes_total(acc) (acc)

/* Word sums (kernels.h): a word a step. */
typedef int64_t rp_words_t;
#define RP_WORDS_STEP 2
#define rp_words_zero() ((int64_t)0)
#define rp_words_add(acc, p) ((acc) + *(const int16_t *)(const void *)(p))
#define rp_words_add_flipped(acc, p)                                                               \
    ((acc) + (int16_t)(uint16_t)(*(const uint16_t *)(const void *)(p) ^ 0x8000u))
#define rp_words_total(acc) (acc)

#define rp_stream_fence() ((void)0)

/* The 8-lane accumulator: eight scalars, as NumPy's own loop. */
#define RP_ACC8_SCALAR_TYPE_(ID, name, T, S, kind)                                                     \
    typedef struct {                                                                               \
        T v[8];                                                                                    \
    } rp_a8_##S;
RAPTORS_DTYPES(RP_ACC8_SCALAR_TYPE_)
#define RP_A8_LOAD(S, p) (*(const rp_a8_##S *)(const void *)(p))
#define RP_A8_ADD(S, a, p)                                                                         \
    do {                                                                                           \
        for (int k_ = 0; k_ < 8; k_++)                                                             \
            (a).v[k_] += (p)[k_];                                                                  \
    } while (0)
#define RP_A8_LANE(S, a, k) ((a).v[k])

/* Reading eight elements into a sum's accumulator (see simd_acc8.h): converted as
 * NumPy's cast does, a NaN turned into +0.0 and counted in c. */
#define RP_ACC8_SCALAR_COUNT_(unused, T, S)                                                        \
    typedef struct {                                                                               \
        uint64_t v[8];                                                                             \
    } rp_c8_##S;
RP_SUMS(RP_ACC8_SCALAR_COUNT_, ~)
#define RP_A8_NONAN(S, a, c)                                                                       \
    do {                                                                                           \
        for (int k_ = 0; k_ < 8; k_++) {                                                           \
            const int is_nan_ = (a).v[k_] != (a).v[k_];                                            \
            (a).v[k_] = is_nan_ ? 0 : (a).v[k_];                                                   \
            (c).v[k_] += (uint64_t)is_nan_;                                                        \
        }                                                                                          \
    } while (0)
#define RP_ACC8_SCALAR_FROM_(R, RS, kind, T, S)                                                    \
    static inline rp_a8_##S rp_a8_from_##RS##_##S(const R *p)                                      \
    {                                                                                              \
        rp_a8_##S r;                                                                               \
        for (int k_ = 0; k_ < 8; k_++)                                                             \
            r.v[k_] = RP_CONV_##kind(T, p[k_]);                                                    \
        return r;                                                                                  \
    }
#define RP_ACC8_SCALAR_SOURCE_(ID, name, R, RS, kind) RP_SUMS(RP_ACC8_SCALAR_FROM_, R, RS, kind)
RAPTORS_ALL_DTYPES(RP_ACC8_SCALAR_SOURCE_)
#define RP_C8_TYPE(RS, S) rp_c8_##S
#define RP_READ8(RS, kind, S, NAN, v, p, c)                                                        \
    do {                                                                                           \
        (v) = rp_a8_from_##RS##_##S(p);                                                            \
        if (NAN)                                                                                   \
            RP_A8_NONAN(S, v, c);                                                                  \
    } while (0)
#define RP_A8_PLUS(S, a, w)                                                                        \
    do {                                                                                           \
        rp_a8_##S w_ = (w);                                                                        \
        for (int k_ = 0; k_ < 8; k_++)                                                             \
            (a).v[k_] += w_.v[k_];                                                                 \
    } while (0)
#define RP_C8_TOTAL(S, c)                                                                          \
    ((c).v[0] + (c).v[1] + (c).v[2] + (c).v[3] + (c).v[4] + (c).v[5] + (c).v[6] + (c).v[7])
#define RP_C8_ADD_TO(n, c)                                                                         \
    do {                                                                                           \
        for (int k_ = 0; k_ < 8; k_++)                                                             \
            (n)[k_] += (uint32_t)(c).v[k_];                                                        \
    } while (0)
