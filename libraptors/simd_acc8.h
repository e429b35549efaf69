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

/* Reading eight elements into a sum's accumulator: rp_a8_from_<RS>_<S> converts eight
 * elements of any dtype as NumPy's cast does (one vector conversion; the identity when
 * the dtypes are the same), and rp_a8_nonan_<S> turns a NaN into +0.0 and counts it in c
 * (an integer vector of the same lanes: -1 per NaN subtracted), for the nan* reductions. */
#define RP_LANE_INT_f32 int32_t
#define RP_LANE_INT_f64 int64_t
#define RP_ACC8_NONAN_(unused, T, S)                                                               \
    typedef RP_LANE_INT_##S rp_c8_##S __attribute__((vector_size(8 * sizeof(T))));                 \
    RP_TARGET static inline rp_a8_##S rp_a8_nonan_##S(rp_a8_##S v, rp_c8_##S *c)                   \
    {                                                                                              \
        rp_c8_##S keep = v == v;                                                                   \
        *c -= ~keep;                                                                               \
        return (rp_a8_##S)((rp_c8_##S)v & keep);                                                   \
    }
RP_SUMS(RP_ACC8_NONAN_, ~)
#define RP_R8_VALUE_FLOAT(RS, p) (*(const rp_r8_##RS *)(const void *)(p))
#define RP_R8_VALUE_SIGNED RP_R8_VALUE_FLOAT
#define RP_R8_VALUE_UNSIGNED RP_R8_VALUE_FLOAT
#define RP_R8_VALUE_BOOL(RS, p) ((*(const rp_r8_##RS *)(const void *)(p) != 0) & 1)
#define RP_ACC8_FROM_(R, RS, kind, T, S)                                                           \
    RP_TARGET static inline rp_a8_##S rp_a8_from_##RS##_##S(const R *p)                            \
    {                                                                                              \
        return __builtin_convertvector(RP_R8_VALUE_##kind(RS, p), rp_a8_##S);                      \
    }
#define RP_ACC8_SOURCE_(ID, name, R, RS, kind)                                                     \
    typedef R rp_r8_##RS                                                                           \
        __attribute__((vector_size(8 * sizeof(R)), aligned(sizeof(R)), may_alias));                \
    RP_SUMS(RP_ACC8_FROM_, R, RS, kind)
RAPTORS_ALL_DTYPES(RP_ACC8_SOURCE_)
#define RP_A8_PLUS(S, a, v) ((a) += (v))
#define RP_C8_TOTAL(S, c)                                                                          \
    ((uint64_t)((c)[0] + (c)[1] + (c)[2] + (c)[3] + (c)[4] + (c)[5] + (c)[6] + (c)[7]))
