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
