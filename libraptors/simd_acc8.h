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

/* Reading eight elements for the nan* reductions: a NaN becomes +0.0 and is
 * counted in c (an integer vector of the same lanes: -1 per NaN subtracted). */
#define RP_LANE_INT_f32 int32_t
#define RP_LANE_INT_f64 int64_t
#define RP_ACC8_READ_(unused, T, S)                                                                \
    typedef RP_LANE_INT_##S rp_c8_##S __attribute__((vector_size(8 * sizeof(T))));                 \
    RP_TARGET static inline rp_a8_##S rp_a8_read_##S(const T *p, int nan, rp_c8_##S *c)            \
    {                                                                                              \
        rp_a8_##S v = RP_A8_LOAD(S, p);                                                            \
        if (!nan)                                                                                  \
            return v;                                                                              \
        rp_c8_##S keep = v == v;                                                                   \
        *c -= ~keep;                                                                               \
        return (rp_a8_##S)((rp_c8_##S)v & keep);                                                   \
    }
RP_SUMS(RP_ACC8_READ_, ~)
#define RP_A8_PLUS(S, a, v) ((a) += (v))
#define RP_C8_TOTAL(S, c)                                                                          \
    ((uint64_t)((c)[0] + (c)[1] + (c)[2] + (c)[3] + (c)[4] + (c)[5] + (c)[6] + (c)[7]))
