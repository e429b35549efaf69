/*
 * The add-reduction kernels, written once: RP_REDUCE_KERNELS(T, S) defines
 * pairwise_<S> -- NumPy's pairwise summation (@TYPE@_pairwise_sum in
 * numpy/_core/src/umath/loops_utils.h.src) -- and accumulate_<S>, the
 * sequential accumulation NumPy does along a strided axis, on the including
 * variant's vocabulary. kernel_set.h instantiates them for every dtype.
 *
 * The order of additions is NumPy's exactly: a run of n <= 128 elements is a
 * leaf -- n < 8: -0.0 then each element in turn; else eight accumulators
 * seeded with x[0..7], x[i + k] added to accumulator k in steps of 8, combined
 * as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the n % 8 tail one by one --
 * and a longer run is split at rp_pw_split(n). The eight accumulators are
 * rp_a8_<S> (simd_acc8.h), never sixteen: a wider accumulator would change the
 * order.
 */
#include <stdint.h>
#include <string.h>

/* 2^k leaves of exactly RP_PW_BLOCK elements (a run of a power-of-two size,
 * where NumPy's tree is the balanced one), without the recursion. The leaves
 * are summed one after another in address order: each is a chain of dependent
 * additions, and the out-of-order core overlaps consecutive chains by itself.
 * (Interleaving four or eight leaves in the code instead reads four or eight
 * streams 512 bytes apart, which the hardware prefetchers follow poorly: up to
 * 2x slower from DRAM on Zen 4, and no faster from cache.) */
#define RP_PW_FULL(T, S, NL)                                                                       \
    RP_TARGET static T pw_full##NL##_##S(const T *x)                                               \
    {                                                                                              \
        T s[NL];                                                                                   \
        for (size_t j = 0; j < NL; j++)                                                            \
            s[j] = pw_leaf_##S(x + j * RP_PW_BLOCK, RP_PW_BLOCK);                                  \
        for (size_t m = NL; m > 1; m /= 2)                                                         \
            for (size_t j = 0; j < m / 2; j++)                                                     \
                s[j] = s[2 * j] + s[2 * j + 1];                                                    \
        return s[0];                                                                               \
    }

/* Strided or misaligned runs are gathered this many elements at a time, so
 * the leaves run on contiguous data. */
#define RP_PW_GROUP (8 * RP_PW_BLOCK)

#define RP_REDUCE_KERNELS(T, S)                                                                    \
    /* One leaf: NumPy's order for n <= RP_PW_BLOCK elements. */                                   \
    RP_TARGET static inline T pw_leaf_##S(const T *x, size_t n)                                    \
    {                                                                                              \
        T s = (T)-0.0;                                                                             \
        if (n < 8) {                                                                               \
            for (size_t i = 0; i < n; i++)                                                         \
                s += x[i];                                                                         \
            return s;                                                                              \
        }                                                                                          \
        rp_a8_##S r = RP_A8_LOAD(S, x);                                                            \
        size_t i = 8, e = n - n % 8;                                                               \
        for (; i < e; i += 8)                                                                      \
            RP_A8_ADD(S, r, x + i);                                                                \
        s = ((RP_A8_LANE(S, r, 0) + RP_A8_LANE(S, r, 1)) +                                         \
             (RP_A8_LANE(S, r, 2) + RP_A8_LANE(S, r, 3))) +                                        \
            ((RP_A8_LANE(S, r, 4) + RP_A8_LANE(S, r, 5)) +                                         \
             (RP_A8_LANE(S, r, 6) + RP_A8_LANE(S, r, 7)));                                         \
        for (; i < n; i++)                                                                         \
            s += x[i];                                                                             \
        return s;                                                                                  \
    }                                                                                              \
    RP_PW_FULL(T, S, 4)                                                                            \
    RP_PW_FULL(T, S, 8)                                                                            \
    /* The tree over n contiguous elements. */                                                     \
    RP_TARGET static T pw_contig_##S(const T *x, size_t n)                                         \
    {                                                                                              \
        if (n <= RP_PW_BLOCK)                                                                      \
            return pw_leaf_##S(x, n);                                                              \
        if (n == 8 * RP_PW_BLOCK)                                                                  \
            return pw_full8_##S(x);                                                                \
        if (n == 4 * RP_PW_BLOCK)                                                                  \
            return pw_full4_##S(x);                                                                \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pw_contig_##S(x, n2);                                                                \
        T b = pw_contig_##S(x + n2, n - n2);                                                       \
        return a + b;                                                                              \
    }                                                                                              \
    /* The whole tree over n elements at byte stride sx. */                                        \
    RP_TARGET static T pw_tree_##S(const char *x, ptrdiff_t sx, size_t n)                          \
    {                                                                                              \
        if (sx == (ptrdiff_t)sizeof(T) && (uintptr_t)x % sizeof(T) == 0)                           \
            return pw_contig_##S((const T *)(const void *)x, n);                                   \
        if (n <= RP_PW_GROUP) {                                                                    \
            T buf[RP_PW_GROUP];                                                                    \
            for (size_t i = 0; i < n; i++)                                                         \
                memcpy(&buf[i], x + (ptrdiff_t)i * sx, sizeof(T));                                 \
            return pw_contig_##S(buf, n);                                                          \
        }                                                                                          \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pw_tree_##S(x, sx, n2);                                                              \
        T b = pw_tree_##S(x + (ptrdiff_t)n2 * sx, sx, n - n2);                                     \
        return a + b;                                                                              \
    }                                                                                              \
    RP_TARGET static void pairwise_##S(const char *x, ptrdiff_t sx, size_t n, void *result)        \
    {                                                                                              \
        T r = pw_tree_##S(x, sx, n);                                                               \
        memcpy(result, &r, sizeof r);                                                              \
    }                                                                                              \
    RP_TARGET static void accumulate_##S(const char *xb, ptrdiff_t sx, void *accv, size_t n)       \
    {                                                                                              \
        T *acc = (T *)accv;                                                                        \
        size_t i = 0;                                                                              \
        if (sx == (ptrdiff_t)sizeof(T) && (uintptr_t)xb % sizeof(T) == 0) {                        \
            const T *x = (const T *)(const void *)xb;                                              \
            const size_t w = sizeof(rp_v_##S) / sizeof(T);                                         \
            for (; i + 4 * w <= n; i += 4 * w)                                                     \
                for (size_t q = 0; q < 4 * w; q += w)                                              \
                    rp_store_##S(acc + i + q,                                                      \
                                 rp_add_##S(rp_load_##S(acc + i + q), rp_load_##S(x + i + q)));    \
            for (; i < n; i++)                                                                     \
                acc[i] += x[i];                                                                    \
            return;                                                                                \
        }                                                                                          \
        for (; i < n; i++) {                                                                       \
            T v;                                                                                   \
            memcpy(&v, xb + (ptrdiff_t)i * sx, sizeof v);                                          \
            acc[i] += v;                                                                           \
        }                                                                                          \
    }
