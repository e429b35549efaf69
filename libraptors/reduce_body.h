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
 * accumulator would change the order.
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

/* One leaf: NumPy's order for n <= RP_PW_BLOCK elements. */
RP_TARGET static inline RP_T RP_RFN(pw_leaf)(const RP_T *x, size_t n)
{
    RP_T s = (RP_T)-0.0;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            s += x[i];
        return s;
    }
    RP_A8 r = RP_A8_LOAD(x);
    RP_LEAF_FINISH(r, x, 8, n, s);
    return s;
}

/* 2^k leaves of exactly RP_PW_BLOCK elements (a run of a power-of-two size,
 * where NumPy's tree is the balanced one), without the recursion. The leaves
 * are summed one after another in address order: each is a chain of dependent
 * additions, and the out-of-order core overlaps consecutive chains by itself.
 * (Interleaving four or eight leaves in the code instead reads four or eight
 * streams 512 bytes apart, which the hardware prefetchers follow poorly: up to
 * 2x slower from DRAM on Zen 4, and no faster from cache.) */
#define RP_PW_FULL(NL)                                                                             \
    RP_TARGET static RP_T RP_RFN(pw_full##NL)(const RP_T *x)                                       \
    {                                                                                              \
        RP_T s[NL];                                                                                \
        for (size_t j = 0; j < NL; j++)                                                            \
            s[j] = RP_RFN(pw_leaf)(x + j * RP_PW_BLOCK, RP_PW_BLOCK);                              \
        for (size_t m = NL; m > 1; m /= 2)                                                         \
            for (size_t j = 0; j < m / 2; j++)                                                     \
                s[j] = s[2 * j] + s[2 * j + 1];                                                    \
        return s[0];                                                                               \
    }
RP_PW_FULL(4)
RP_PW_FULL(8)
#undef RP_PW_FULL

/* The tree over n contiguous elements. */
RP_TARGET static RP_T RP_RFN(pw_contig)(const RP_T *x, size_t n)
{
    if (n <= RP_PW_BLOCK)
        return RP_RFN(pw_leaf)(x, n);
    if (n == 8 * RP_PW_BLOCK)
        return RP_RFN(pw_full8)(x);
    if (n == 4 * RP_PW_BLOCK)
        return RP_RFN(pw_full4)(x);
    size_t n2 = rp_pw_split(n);
    RP_T a = RP_RFN(pw_contig)(x, n2);
    RP_T b = RP_RFN(pw_contig)(x + n2, n - n2);
    return a + b;
}

/* The whole tree over n elements at byte stride sx. Strided or misaligned
 * runs are gathered a group at a time, so the leaves run on contiguous data. */
#define RP_PW_GROUP (8 * RP_PW_BLOCK)
RP_TARGET static RP_T RP_RFN(pw_tree)(const char *x, ptrdiff_t sx, size_t n)
{
    if (sx == (ptrdiff_t)sizeof(RP_T) && (uintptr_t)x % sizeof(RP_T) == 0)
        return RP_RFN(pw_contig)((const RP_T *)(const void *)x, n);
    if (n <= RP_PW_GROUP) {
        RP_T buf[RP_PW_GROUP];
        for (size_t i = 0; i < n; i++)
            memcpy(&buf[i], x + (ptrdiff_t)i * sx, sizeof(RP_T));
        return RP_RFN(pw_contig)(buf, n);
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
