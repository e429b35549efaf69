/*
 * The add-reduction kernels, written once: NumPy's pairwise summation
 * (@TYPE@_pairwise_sum in numpy/_core/src/umath/loops_utils.h.src) and the
 * sequential accumulation NumPy does along a strided axis. kernel_set.h
 * includes this file once per dtype with RP_T and RP_S defined.
 *
 * The order of additions is NumPy's exactly (see
 * shared/research/numpy-reduction-order.md): a run of n <= 128 elements is a
 * leaf -- n < 8: -0.0 then each element in turn; else eight accumulators seeded
 * with x[0..7], x[i + k] added to accumulator k in steps of 8, combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the n % 8 tail one by one -- and a
 * longer run is split at rp_pw_split(n). The eight accumulators are the eight
 * lanes of one 8-element vector (RP_ACC8_VECTOR), never sixteen: a wider
 * accumulator would change the order. Speed comes instead from summing up to
 * four leaves side by side (independent dependency chains).
 */
#include <stdint.h>
#include <string.h>

#define RP_A8 RP_CAT2(rp_a8, RP_S)
#define RP_RFN(name) RP_CAT3(name, RP_ISA, RP_S)

#if RP_ACC8_VECTOR
/* Eight lanes in one (GCC/Clang generic) vector: one ymm for float32, one zmm
 * or two ymm for float64, two or four NEON registers. Element-aligned loads. */
typedef RP_T RP_A8 __attribute__((vector_size(8 * sizeof(RP_T)), aligned(sizeof(RP_T)), may_alias));
#define RP_A8_LOAD(p) (*(const RP_A8 *)(const void *)(p))
#define RP_A8_ADD(a, p) ((a) += RP_A8_LOAD(p))
#define RP_A8_LANE(a, k) ((a)[k])
#else
/* The scalar variant: eight scalar accumulators, as NumPy's own loop. */
typedef struct {
    RP_T v[8];
} RP_A8;
static inline RP_A8 RP_RFN(a8_load)(const RP_T *p)
{
    RP_A8 a;
    memcpy(a.v, p, sizeof a.v);
    return a;
}
#define RP_A8_LOAD(p) RP_RFN(a8_load)(p)
#define RP_A8_ADD(a, p)                                                                            \
    do {                                                                                           \
        for (int k_ = 0; k_ < 8; k_++)                                                             \
            (a).v[k_] += (p)[k_];                                                                  \
    } while (0)
#define RP_A8_LANE(a, k) ((a).v[k])
#endif

/* Finish a leaf of m >= 8 elements at p whose accumulators r hold everything
 * before element i0: the rest of the full steps of 8, the combination, the tail. */
#define RP_LEAF_FINISH(r, p, i0, m, out)                                                           \
    do {                                                                                           \
        size_t i_ = (i0), e_ = (m) - (m) % 8;                                                      \
        for (; i_ < e_; i_ += 8)                                                                   \
            RP_A8_ADD(r, (p) + i_);                                                                \
        RP_T s_ = ((RP_A8_LANE(r, 0) + RP_A8_LANE(r, 1)) + (RP_A8_LANE(r, 2) + RP_A8_LANE(r, 3))) + \
                  ((RP_A8_LANE(r, 4) + RP_A8_LANE(r, 5)) + (RP_A8_LANE(r, 6) + RP_A8_LANE(r, 7))); \
        for (; i_ < (m); i_++)                                                                     \
            s_ += (p)[i_];                                                                         \
        (out) = s_;                                                                                \
    } while (0)

/* Leaf sums of k leaves, each of at least 8 elements at x + start[j]. Four at
 * a time share one loop up to the shortest, so four additions are in flight. */
RP_TARGET static void RP_RFN(pw_leaves)(const RP_T *x, const size_t *start, const size_t *len,
                                        size_t k, RP_T *res)
{
    size_t j = 0;
    for (; j + 4 <= k; j += 4) {
        const RP_T *p0 = x + start[j], *p1 = x + start[j + 1];
        const RP_T *p2 = x + start[j + 2], *p3 = x + start[j + 3];
        size_t common = len[j];
        for (size_t q = 1; q < 4; q++)
            common = len[j + q] < common ? len[j + q] : common;
        common -= common % 8;
        RP_A8 r0 = RP_A8_LOAD(p0), r1 = RP_A8_LOAD(p1), r2 = RP_A8_LOAD(p2), r3 = RP_A8_LOAD(p3);
        size_t i = 8;
        for (; i < common; i += 8) {
            RP_A8_ADD(r0, p0 + i);
            RP_A8_ADD(r1, p1 + i);
            RP_A8_ADD(r2, p2 + i);
            RP_A8_ADD(r3, p3 + i);
        }
        RP_LEAF_FINISH(r0, p0, i, len[j], res[j]);
        RP_LEAF_FINISH(r1, p1, i, len[j + 1], res[j + 1]);
        RP_LEAF_FINISH(r2, p2, i, len[j + 2], res[j + 2]);
        RP_LEAF_FINISH(r3, p3, i, len[j + 3], res[j + 3]);
    }
    for (; j < k; j++) {
        const RP_T *p = x + start[j];
        RP_A8 r = RP_A8_LOAD(p);
        RP_LEAF_FINISH(r, p, 8, len[j], res[j]);
    }
}

/* The leaves of the run [s, s + n), in order. */
static void RP_RFN(pw_enumerate)(size_t s, size_t n, size_t *start, size_t *len, size_t *k)
{
    if (n <= RP_PW_BLOCK) {
        start[*k] = s;
        len[*k] = n;
        ++*k;
        return;
    }
    size_t n2 = rp_pw_split(n);
    RP_RFN(pw_enumerate)(s, n2, start, len, k);
    RP_RFN(pw_enumerate)(s + n2, n - n2, start, len, k);
}

/* The leaf sums combined in the shape of the tree (left before right). */
static RP_T RP_RFN(pw_combine)(size_t n, const RP_T *sums, size_t *next)
{
    if (n <= RP_PW_BLOCK)
        return sums[(*next)++];
    size_t n2 = rp_pw_split(n);
    RP_T a = RP_RFN(pw_combine)(n2, sums, next);
    RP_T b = RP_RFN(pw_combine)(n - n2, sums, next);
    return a + b;
}

/* A run of at most RP_PW_GROUP contiguous elements: its leaves side by side. */
#define RP_PW_GROUP (4 * RP_PW_BLOCK)
RP_TARGET static RP_T RP_RFN(pw_group)(const RP_T *x, size_t n)
{
    if (n < 8) {
        RP_T r = (RP_T)-0.0;
        for (size_t i = 0; i < n; i++)
            r += x[i];
        return r;
    }
    size_t start[8], len[8], k = 0, next = 0; /* a run of <= 512 has <= 8 leaves of >= 57 */
    RP_T sums[8];
    RP_RFN(pw_enumerate)(0, n, start, len, &k);
    RP_RFN(pw_leaves)(x, start, len, k, sums);
    return RP_RFN(pw_combine)(n, sums, &next);
}

/* The whole tree over n elements at byte stride sx. Strided or misaligned
 * groups are gathered first, so the leaves always run on contiguous data. */
RP_TARGET static RP_T RP_RFN(pw_tree)(const char *x, ptrdiff_t sx, size_t n)
{
    if (n <= RP_PW_GROUP) {
        if (sx == (ptrdiff_t)sizeof(RP_T) && (uintptr_t)x % sizeof(RP_T) == 0)
            return RP_RFN(pw_group)((const RP_T *)(const void *)x, n);
        RP_T buf[RP_PW_GROUP];
        for (size_t i = 0; i < n; i++)
            memcpy(&buf[i], x + (ptrdiff_t)i * sx, sizeof(RP_T));
        return RP_RFN(pw_group)(buf, n);
    }
    size_t n2 = rp_pw_split(n);
    RP_T a = RP_RFN(pw_tree)(x, sx, n2);
    RP_T b = RP_RFN(pw_tree)(x + (ptrdiff_t)n2 * sx, sx, n - n2);
    return a + b;
}

RP_TARGET static void RP_RFN(pairwise)(const char *x, ptrdiff_t sx, size_t n, void *result)
{
    RP_T r = RP_RFN(pw_tree)(x, sx, n);
    memcpy(result, &r, sizeof r);
}

RP_TARGET static void RP_RFN(accumulate)(const char *xb, ptrdiff_t sx, void *accv, size_t n)
{
    RP_T *acc = (RP_T *)accv;
    size_t i = 0;
    if (sx == (ptrdiff_t)sizeof(RP_T) && (uintptr_t)xb % sizeof(RP_T) == 0) {
        const RP_T *x = (const RP_T *)(const void *)xb;
        const size_t w = sizeof(RP_CAT2(rp_v, RP_S)) / sizeof(RP_T);
        for (; i + 4 * w <= n; i += 4 * w)
            for (size_t q = 0; q < 4; q++)
                RP_CAT2(rp_store, RP_S)(acc + i + q * w,
                                       RP_CAT2(rp_load, RP_S)(acc + i + q * w) +
                                           RP_CAT2(rp_load, RP_S)(x + i + q * w));
        for (; i < n; i++)
            acc[i] += x[i];
        return;
    }
    for (; i < n; i++) {
        RP_T v;
        memcpy(&v, xb + (ptrdiff_t)i * sx, sizeof v);
        acc[i] += v;
    }
}

#undef RP_A8
#undef RP_RFN
#undef RP_A8_LOAD
#undef RP_A8_ADD
#undef RP_A8_LANE
#undef RP_LEAF_FINISH
#undef RP_PW_GROUP
