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

/* Each tree is instantiated twice: NAN 0 reads the elements, NAN 1 reads a NaN
 * as +0.0 and counts it (the nan* reductions, which sum NumPy's copy of x with
 * NaN replaced by +0.0) -- in the loads themselves (rp_a8_read_<S>), so the data
 * is read once and the tree is the one NumPy builds over its copy. */
#define RP_READ_SCALAR(T, NAN, v, cnt) ((NAN) && (v) != (v) ? ((cnt)++, (T)0) : (v))

/* 2^k leaves of exactly RP_PW_BLOCK elements (a run of a power-of-two size,
 * where NumPy's tree is the balanced one), without the recursion. The leaves
 * are summed one after another in address order: each is a chain of dependent
 * additions, and the out-of-order core overlaps consecutive chains by itself.
 * (Interleaving four or eight leaves in the code instead reads four or eight
 * streams 512 bytes apart, which the hardware prefetchers follow poorly: up to
 * 2x slower from DRAM on Zen 4, and no faster from cache.) */
#define RP_PW_FULL(T, S, NL, NAN)                                                                  \
    RP_TARGET static T pw_full##NL##_##S##_##NAN(const T *x, uint64_t *nans)                       \
    {                                                                                              \
        T s[NL];                                                                                   \
        for (size_t j = 0; j < NL; j++)                                                            \
            s[j] = pw_leaf_##S##_##NAN(x + j * RP_PW_BLOCK, RP_PW_BLOCK, nans);                    \
        for (size_t m = NL; m > 1; m /= 2)                                                         \
            for (size_t j = 0; j < m / 2; j++)                                                     \
                s[j] = s[2 * j] + s[2 * j + 1];                                                    \
        return s[0];                                                                               \
    }

/* Strided or misaligned runs are gathered this many elements at a time, so
 * the leaves run on contiguous data. */
#define RP_PW_GROUP (8 * RP_PW_BLOCK)

#define RP_PAIRWISE_TREE(T, S, NAN)                                                                \
    /* One leaf: NumPy's order for n <= RP_PW_BLOCK elements. */                                   \
    RP_TARGET static inline T pw_leaf_##S##_##NAN(const T *x, size_t n, uint64_t *nans)            \
    {                                                                                              \
        T s = (T)-0.0;                                                                             \
        uint64_t cnt = 0;                                                                          \
        if (n < 8) {                                                                               \
            for (size_t i = 0; i < n; i++)                                                         \
                s += RP_READ_SCALAR(T, NAN, x[i], cnt);                                            \
            if (NAN)                                                                               \
                *nans += cnt;                                                                      \
            return s;                                                                              \
        }                                                                                          \
        rp_c8_##S c = {0};                                                                         \
        rp_a8_##S r = rp_a8_read_##S(x, NAN, &c);                                                  \
        size_t i = 8, e = n - n % 8;                                                               \
        for (; i < e; i += 8)                                                                      \
            RP_A8_PLUS(S, r, rp_a8_read_##S(x + i, NAN, &c));                                      \
        s = ((RP_A8_LANE(S, r, 0) + RP_A8_LANE(S, r, 1)) +                                         \
             (RP_A8_LANE(S, r, 2) + RP_A8_LANE(S, r, 3))) +                                        \
            ((RP_A8_LANE(S, r, 4) + RP_A8_LANE(S, r, 5)) +                                         \
             (RP_A8_LANE(S, r, 6) + RP_A8_LANE(S, r, 7)));                                         \
        for (; i < n; i++)                                                                         \
            s += RP_READ_SCALAR(T, NAN, x[i], cnt);                                                \
        if (NAN)                                                                                   \
            *nans += cnt + RP_C8_TOTAL(S, c);                                                      \
        return s;                                                                                  \
    }                                                                                              \
    RP_PW_FULL(T, S, 4, NAN)                                                                       \
    RP_PW_FULL(T, S, 8, NAN)                                                                       \
    /* The tree over n contiguous elements. */                                                     \
    RP_TARGET static T pw_contig_##S##_##NAN(const T *x, size_t n, uint64_t *nans)                 \
    {                                                                                              \
        if (n <= RP_PW_BLOCK)                                                                      \
            return pw_leaf_##S##_##NAN(x, n, nans);                                                \
        if (n == 8 * RP_PW_BLOCK)                                                                  \
            return pw_full8_##S##_##NAN(x, nans);                                                  \
        if (n == 4 * RP_PW_BLOCK)                                                                  \
            return pw_full4_##S##_##NAN(x, nans);                                                  \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pw_contig_##S##_##NAN(x, n2, nans);                                                  \
        T b = pw_contig_##S##_##NAN(x + n2, n - n2, nans);                                         \
        return a + b;                                                                              \
    }                                                                                              \
    /* The whole tree over n elements at byte stride sx. */                                        \
    RP_TARGET static T pw_tree_##S##_##NAN(const char *x, ptrdiff_t sx, size_t n, uint64_t *nans)  \
    {                                                                                              \
        if (sx == (ptrdiff_t)sizeof(T) && (uintptr_t)x % sizeof(T) == 0)                           \
            return pw_contig_##S##_##NAN((const T *)(const void *)x, n, nans);                     \
        if (n <= RP_PW_GROUP) {                                                                    \
            T buf[RP_PW_GROUP];                                                                    \
            for (size_t i = 0; i < n; i++)                                                         \
                memcpy(&buf[i], x + (ptrdiff_t)i * sx, sizeof(T));                                 \
            return pw_contig_##S##_##NAN(buf, n, nans);                                            \
        }                                                                                          \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pw_tree_##S##_##NAN(x, sx, n2, nans);                                                \
        T b = pw_tree_##S##_##NAN(x + (ptrdiff_t)n2 * sx, sx, n - n2, nans);                       \
        return a + b;                                                                              \
    }

#define RP_REDUCE_KERNELS(T, S)                                                                    \
    RP_PAIRWISE_TREE(T, S, 0)                                                                      \
    RP_PAIRWISE_TREE(T, S, 1)                                                                      \
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

/* ---- Reading any dtype into a sum: RP_READ_KERNELS(R, RS, kind, T, S, NAN) ----
 * pairwise_<RS>_<S>_<NAN> and accumulate_<RS>_<S>_<NAN>: elements of dtype R
 * (kind FLOAT, SIGNED, UNSIGNED or BOOL) converted to T as NumPy's cast does
 * (C conversion; a bool is 0 or 1), NaN read as +0.0 when NAN is 1, then added
 * in NumPy's order. The conversion fills a group of at most RP_PW_GROUP
 * elements at a time -- a node of the pairwise tree -- so the tree over the
 * converted values is the one NumPy builds over its buffer. Reading R as T
 * itself is the trees above. */
#define RP_CONV_FLOAT(T, v) ((T)(v))
#define RP_CONV_SIGNED(T, v) ((T)(v))
#define RP_CONV_UNSIGNED(T, v) ((T)(v))
#define RP_CONV_BOOL(T, v) ((T)((v) != 0))
#define RP_IS_FLOAT_FLOAT 1
#define RP_IS_FLOAT_SIGNED 0
#define RP_IS_FLOAT_UNSIGNED 0
#define RP_IS_FLOAT_BOOL 0
/* One element v of R into *dst (T); with NAN, a NaN is +0.0 and counted in k. */
#define RP_READ_ONE(kind, T, NAN, v, dst, k)                                                       \
    do {                                                                                           \
        if (NAN) {                                                                                 \
            const int nan_ = (v) != (v);                                                           \
            (dst) = nan_ ? (T)0 : RP_CONV_##kind(T, v);                                            \
            (k) += (uint64_t)nan_;                                                                 \
        } else {                                                                                   \
            (dst) = RP_CONV_##kind(T, v);                                                          \
        }                                                                                          \
    } while (0)

#define RP_READ_KERNELS(R, RS, kind, T, S, NAN)                                                    \
    RP_TARGET static T pwr_##RS##_##S##_##NAN(const char *x, ptrdiff_t sx, size_t n,               \
                                              uint64_t *nans)                                      \
    {                                                                                              \
        if (RP_IS_FLOAT_##kind && sizeof(R) == sizeof(T))                                          \
            return pw_tree_##S##_##NAN(x, sx, n, nans); /* R is T */                               \
        if (n <= RP_PW_GROUP) {                                                                    \
            T buf[RP_PW_GROUP];                                                                    \
            uint64_t k = 0;                                                                        \
            if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)x % sizeof(R) == 0) {                     \
                const R *p = (const R *)(const void *)x;                                           \
                for (size_t i = 0; i < n; i++)                                                     \
                    RP_READ_ONE(kind, T, NAN, p[i], buf[i], k);                                    \
            } else {                                                                               \
                for (size_t i = 0; i < n; i++) {                                                   \
                    R v;                                                                           \
                    memcpy(&v, x + (ptrdiff_t)i * sx, sizeof v);                                   \
                    RP_READ_ONE(kind, T, NAN, v, buf[i], k);                                       \
                }                                                                                  \
            }                                                                                      \
            if (NAN)                                                                               \
                *nans += k;                                                                        \
            return pw_contig_##S##_0(buf, n, NULL);                                                \
        }                                                                                          \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pwr_##RS##_##S##_##NAN(x, sx, n2, nans);                                             \
        T b = pwr_##RS##_##S##_##NAN(x + (ptrdiff_t)n2 * sx, sx, n - n2, nans);                    \
        return a + b;                                                                              \
    }                                                                                              \
    RP_TARGET static void pairwise_##RS##_##S##_##NAN(const char *x, ptrdiff_t sx, size_t n,       \
                                                      void *result, uint64_t *nans)                \
    {                                                                                              \
        T r = pwr_##RS##_##S##_##NAN(x, sx, n, nans);                                              \
        memcpy(result, &r, sizeof r);                                                              \
    }                                                                                              \
    RP_TARGET static void accumulate_##RS##_##S##_##NAN(const char *xb, ptrdiff_t sx, void *accv,  \
                                                        size_t n, uint64_t *nans)                  \
    {                                                                                              \
        if (RP_IS_FLOAT_##kind && sizeof(R) == sizeof(T) && !(NAN)) {                              \
            accumulate_##S(xb, sx, accv, n); /* R is T */                                          \
            return;                                                                                \
        }                                                                                          \
        T *acc = (T *)accv;                                                                        \
        uint64_t k = 0;                                                                            \
        if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)xb % sizeof(R) == 0) {                        \
            const R *p = (const R *)(const void *)xb;                                              \
            for (size_t i = 0; i < n; i++) {                                                       \
                T v;                                                                               \
                RP_READ_ONE(kind, T, NAN, p[i], v, k);                                             \
                acc[i] += v;                                                                       \
                if (NAN)                                                                           \
                    nans[i] += (uint64_t)(p[i] != p[i]);                                           \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            R r;                                                                                   \
            T v;                                                                                   \
            memcpy(&r, xb + (ptrdiff_t)i * sx, sizeof r);                                          \
            RP_READ_ONE(kind, T, NAN, r, v, k);                                                    \
            acc[i] += v;                                                                           \
            if (NAN)                                                                               \
                nans[i] += (uint64_t)(r != r);                                                     \
        }                                                                                          \
        (void)k;                                                                                   \
    }

/* ---- Integer sums: RP_INT_KERNELS(R, RS, kind) ----
 * isum_<RS> and iaccumulate_<RS>: modular 64-bit addition of the values widened
 * as NumPy's cast widens them (sign- or zero-extended; a bool is 0 or 1). Exact
 * in any order, so the plain loop is free to vectorize. */
#define RP_WIDEN_SIGNED(v) ((uint64_t)(int64_t)(v))
#define RP_WIDEN_UNSIGNED(v) ((uint64_t)(v))
#define RP_WIDEN_BOOL(v) ((uint64_t)((v) != 0))
#define RP_WIDEN_FLOAT(v) ((void)(v), (uint64_t)0) /* never called: no integer sum of a float */
/* Values of at most 16 bits are added in 32-bit lanes first, RP_NARROW_RUN at a time
 * (too few to leave 32 bits: |sum| <= 2^15 * 2^16), which vectorizes four times wider than
 * 64-bit lanes; the run's exact sum then joins the 64-bit one. */
#define RP_NARROW_RUN 65536
static inline uint32_t rp_narrow_signed(int32_t v) { return (uint32_t)v; }
#define RP_NARROW_SIGNED(v) rp_narrow_signed((int32_t)(v)) /* (sizeof(v) <= 2 here) */
#define RP_NARROW_UNSIGNED(v) ((uint32_t)(v))
#define RP_NARROW_BOOL(v) ((uint32_t)((v) != 0))
#define RP_NARROW_FLOAT(v) ((void)(v), (uint32_t)0)
#define RP_RUN_TO64_SIGNED(s) ((uint64_t)(int64_t)(int32_t)(s))
#define RP_RUN_TO64_UNSIGNED(s) ((uint64_t)(s))
#define RP_RUN_TO64_BOOL(s) ((uint64_t)(s))
#define RP_RUN_TO64_FLOAT(s) ((uint64_t)(s))
#define RP_INT_KERNELS(R, RS, kind)                                                                \
    RP_TARGET static void isum_##RS(const char *x, ptrdiff_t sx, size_t n, void *result,           \
                                    uint64_t *nans)                                                \
    {                                                                                              \
        uint64_t s = 0;                                                                            \
        (void)nans;                                                                                \
        if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)x % sizeof(R) == 0) {                         \
            const R *p = (const R *)(const void *)x;                                               \
            if (sizeof(R) <= 2) {                                                                  \
                for (size_t i = 0; i < n;) {                                                       \
                    const size_t e = n - i < RP_NARROW_RUN ? n : i + RP_NARROW_RUN;                \
                    uint32_t run = 0;                                                              \
                    for (; i < e; i++)                                                             \
                        run = (uint32_t)(run + RP_NARROW_##kind(p[i]));                            \
                    s += RP_RUN_TO64_##kind(run);                                                  \
                }                                                                                  \
            } else {                                                                               \
                for (size_t i = 0; i < n; i++)                                                     \
                    s += RP_WIDEN_##kind(p[i]);                                                    \
            }                                                                                      \
        } else {                                                                                   \
            for (size_t i = 0; i < n; i++) {                                                       \
                R v;                                                                               \
                memcpy(&v, x + (ptrdiff_t)i * sx, sizeof v);                                       \
                s += RP_WIDEN_##kind(v);                                                           \
            }                                                                                      \
        }                                                                                          \
        memcpy(result, &s, sizeof s);                                                              \
    }                                                                                              \
    RP_TARGET static void iaccumulate_##RS(const char *x, ptrdiff_t sx, void *accv, size_t n,      \
                                           uint64_t *nans)                                         \
    {                                                                                              \
        uint64_t *acc = (uint64_t *)accv;                                                          \
        (void)nans;                                                                                \
        if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)x % sizeof(R) == 0) {                         \
            const R *p = (const R *)(const void *)x;                                               \
            for (size_t i = 0; i < n; i++)                                                         \
                acc[i] += RP_WIDEN_##kind(p[i]);                                                   \
            return;                                                                                \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            R v;                                                                                   \
            memcpy(&v, x + (ptrdiff_t)i * sx, sizeof v);                                           \
            acc[i] += RP_WIDEN_##kind(v);                                                          \
        }                                                                                          \
    }
