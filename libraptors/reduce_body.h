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

/* Each tree reads a source dtype R (kind `kind`) into the sum's dtype T, converted in the
 * loads as NumPy's cast buffer converts it (RP_READ8: one vector conversion, the
 * identity when R is T), so NumPy's tree over its buffer is built over the source itself;
 * NAN 1 also reads a NaN as +0.0 and counts it (the nan* reductions, which sum NumPy's copy
 * of x with NaN replaced by +0.0). Either way the data is read once. */
#define RP_READ_SCALAR(T, kind, NAN, v, cnt)                                                       \
    ((NAN) && RP_CONV_##kind(T, v) != RP_CONV_##kind(T, v) ? ((cnt)++, (T)0)                       \
                                                           : RP_CONV_##kind(T, v))

/* 2^k leaves of exactly RP_PW_BLOCK elements (a run of a power-of-two size,
 * where NumPy's tree is the balanced one), without the recursion. The leaves
 * are summed one after another in address order: each is a chain of dependent
 * additions, and the out-of-order core overlaps consecutive chains by itself.
 * (Interleaving four or eight leaves in the code instead reads four or eight
 * streams 512 bytes apart, which the hardware prefetchers follow poorly: up to
 * 2x slower from DRAM on Zen 4, and no faster from cache.) */
#define RP_PW_FULL(R, RS, T, S, NL, NAN)                                                           \
    RP_TARGET static T pw_full##NL##_##RS##_##S##_##NAN(const R *x, uint64_t *nans)                \
    {                                                                                              \
        T s[NL];                                                                                   \
        for (size_t j = 0; j < NL; j++)                                                            \
            s[j] = pw_leaf_##RS##_##S##_##NAN(x + j * RP_PW_BLOCK, RP_PW_BLOCK, nans);             \
        for (size_t m = NL; m > 1; m /= 2)                                                         \
            for (size_t j = 0; j < m / 2; j++)                                                     \
                s[j] = s[2 * j] + s[2 * j + 1];                                                    \
        return s[0];                                                                               \
    }

/* Strided or misaligned runs are gathered this many elements at a time, so
 * the leaves run on contiguous data. */
#define RP_PW_GROUP (8 * RP_PW_BLOCK)

#define RP_PAIRWISE_TREE(R, RS, kind, T, S, NAN)                                                   \
    /* One leaf: NumPy's order for n <= RP_PW_BLOCK elements. */                                   \
    RP_TARGET static inline T pw_leaf_##RS##_##S##_##NAN(const R *x, size_t n, uint64_t *nans)     \
    {                                                                                              \
        T s = (T)-0.0;                                                                             \
        uint64_t cnt = 0;                                                                          \
        if (n < 8) {                                                                               \
            for (size_t i = 0; i < n; i++)                                                         \
                s += RP_READ_SCALAR(T, kind, NAN, x[i], cnt);                                      \
            if (NAN)                                                                               \
                *nans += cnt;                                                                      \
            return s;                                                                              \
        }                                                                                          \
        RP_C8_TYPE(RS, S) c = {0};                                                                 \
        rp_a8_##S r, v;                                                                            \
        RP_READ8(RS, kind, S, NAN, r, x, c);                                                       \
        size_t i = 8, e = n - n % 8;                                                               \
        for (; i < e; i += 8) {                                                                    \
            RP_READ8(RS, kind, S, NAN, v, x + i, c);                                               \
            RP_A8_PLUS(S, r, v);                                                                   \
        }                                                                                          \
        s = ((RP_A8_LANE(S, r, 0) + RP_A8_LANE(S, r, 1)) +                                         \
             (RP_A8_LANE(S, r, 2) + RP_A8_LANE(S, r, 3))) +                                        \
            ((RP_A8_LANE(S, r, 4) + RP_A8_LANE(S, r, 5)) +                                         \
             (RP_A8_LANE(S, r, 6) + RP_A8_LANE(S, r, 7)));                                         \
        for (; i < n; i++)                                                                         \
            s += RP_READ_SCALAR(T, kind, NAN, x[i], cnt);                                          \
        if (NAN)                                                                                   \
            *nans += cnt + RP_C8_TOTAL(S, c);                                                      \
        return s;                                                                                  \
    }                                                                                              \
    RP_PW_FULL(R, RS, T, S, 4, NAN)                                                                \
    RP_PW_FULL(R, RS, T, S, 8, NAN)                                                                \
    /* The tree over n contiguous elements. */                                                     \
    RP_TARGET static T pw_contig_##RS##_##S##_##NAN(const R *x, size_t n, uint64_t *nans)          \
    {                                                                                              \
        if (n <= RP_PW_BLOCK)                                                                      \
            return pw_leaf_##RS##_##S##_##NAN(x, n, nans);                                         \
        if (n == 8 * RP_PW_BLOCK)                                                                  \
            return pw_full8_##RS##_##S##_##NAN(x, nans);                                           \
        if (n == 4 * RP_PW_BLOCK)                                                                  \
            return pw_full4_##RS##_##S##_##NAN(x, nans);                                           \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pw_contig_##RS##_##S##_##NAN(x, n2, nans);                                           \
        T b = pw_contig_##RS##_##S##_##NAN(x + n2, n - n2, nans);                                  \
        return a + b;                                                                              \
    }                                                                                              \
    /* The whole tree over n elements at byte stride sx. */                                        \
    RP_TARGET static T pw_tree_##RS##_##S##_##NAN(const char *x, ptrdiff_t sx, size_t n,           \
                                                  uint64_t *nans)                                  \
    {                                                                                              \
        if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)x % sizeof(R) == 0)                           \
            return pw_contig_##RS##_##S##_##NAN((const R *)(const void *)x, n, nans);              \
        if (n <= RP_PW_GROUP) {                                                                    \
            R buf[RP_PW_GROUP];                                                                    \
            for (size_t i = 0; i < n; i++)                                                         \
                memcpy(&buf[i], x + (ptrdiff_t)i * sx, sizeof(R));                                 \
            return pw_contig_##RS##_##S##_##NAN(buf, n, nans);                                     \
        }                                                                                          \
        size_t n2 = rp_pw_split(n);                                                                \
        T a = pw_tree_##RS##_##S##_##NAN(x, sx, n2, nans);                                         \
        T b = pw_tree_##RS##_##S##_##NAN(x + (ptrdiff_t)n2 * sx, sx, n - n2, nans);                \
        return a + b;                                                                              \
    }                                                                                              \
    RP_TARGET static void pairwise_##RS##_##S##_##NAN(const char *x, ptrdiff_t sx, size_t n,       \
                                                      void *result, uint64_t *nans)                \
    {                                                                                              \
        T r = pw_tree_##RS##_##S##_##NAN(x, sx, n, nans);                                          \
        memcpy(result, &r, sizeof r);                                                              \
    }

/* accumulate_<S>: the sequential accumulation along a strided axis, T into T: `rows`
 * lines of n elements, line r at xb + r * rs, added into acc one after another. */
#define RP_REDUCE_KERNELS(T, S)                                                                    \
    RP_TARGET static inline void accumulate_line_##S(const char *xb, ptrdiff_t sx, T *acc,         \
                                                     size_t n)                                     \
    {                                                                                              \
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
    }                                                                                              \
    RP_TARGET static void accumulate_##S(const char *xb, ptrdiff_t sx, ptrdiff_t rs, size_t rows,  \
                                         void *accv, size_t n)                                     \
    {                                                                                              \
        for (size_t r = 0; r < rows; r++)                                                          \
            accumulate_line_##S(xb + (ptrdiff_t)r * rs, sx, (T *)accv, n);                         \
    }

/* ---- Reading any dtype into a sum: RP_READ_KERNELS(R, RS, kind, T, S, NAN) ----
 * pairwise_<RS>_<S>_<NAN> (the tree above) and accumulate_<RS>_<S>_<NAN>: elements of
 * dtype R converted to T as NumPy's cast does, NaN read as +0.0 when NAN is 1, added in
 * NumPy's order. */
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
    RP_PAIRWISE_TREE(R, RS, kind, T, S, NAN)                                                       \
    RP_TARGET static void accumulate_##RS##_##S##_##NAN(const char *xb, ptrdiff_t sx,              \
                                                        ptrdiff_t rs, size_t rows, void *accv,     \
                                                        size_t n, uint32_t *nans)                  \
    {                                                                                              \
        if (RP_IS_FLOAT_##kind && sizeof(R) == sizeof(T) && !(NAN)) {                              \
            accumulate_##S(xb, sx, rs, rows, accv, n); /* R is T */                                \
            return;                                                                                \
        }                                                                                          \
        T *acc = (T *)accv;                                                                        \
        uint64_t k = 0;                                                                            \
        if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)xb % sizeof(R) == 0 &&                        \
            rs % (ptrdiff_t)sizeof(R) == 0) {                                                      \
            /* Eight columns a step, each line's eight read as the trees read (RP_READ8) and */    \
            /* added in turn, the step's NaNs to the columns' 32-bit counters. With NAN, */        \
            /* RP_LINES_PER_PASS lines a pass: the loads and stores of acc and nans bound it. */   \
            const size_t per_pass = (NAN) ? RP_LINES_PER_PASS : 1;                                 \
            for (size_t r0 = 0; r0 < rows; r0 += per_pass) {                                       \
                const size_t lines = rows - r0 < per_pass ? rows - r0 : per_pass;                  \
                const char *xg = xb + (ptrdiff_t)r0 * rs;                                          \
                size_t i = 0;                                                                      \
                for (; i + 8 <= n; i += 8) {                                                       \
                    rp_a8_##S v, a = RP_A8_LOAD(S, acc + i);                                       \
                    RP_C8_TYPE(RS, S) c;                                                           \
                    memset(&c, 0, sizeof c);                                                       \
                    for (size_t r = 0; r < lines; r++) {                                           \
                        const R *p = (const R *)(const void *)(xg + (ptrdiff_t)r * rs);            \
                        RP_READ8(RS, kind, S, NAN, v, p + i, c);                                   \
                        RP_A8_PLUS(S, a, v);                                                       \
                    }                                                                              \
                    memcpy(acc + i, &a, sizeof a);                                                 \
                    if (NAN)                                                                       \
                        RP_C8_ADD_TO(nans + i, c);                                                 \
                }                                                                                  \
                for (size_t r = 0; r < lines; r++) {                                               \
                    const R *p = (const R *)(const void *)(xg + (ptrdiff_t)r * rs);                \
                    for (size_t q = i; q < n; q++) {                                               \
                        T v;                                                                       \
                        RP_READ_ONE(kind, T, NAN, p[q], v, k);                                     \
                        acc[q] += v;                                                               \
                        if (NAN)                                                                   \
                            nans[q] += (uint32_t)(p[q] != p[q]);                                   \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        for (size_t r = 0; r < rows; r++)                                                          \
            for (size_t i = 0; i < n; i++) {                                                       \
                R e;                                                                               \
                T v;                                                                               \
                memcpy(&e, xb + (ptrdiff_t)r * rs + (ptrdiff_t)i * sx, sizeof e);                  \
                RP_READ_ONE(kind, T, NAN, e, v, k);                                                \
                acc[i] += v;                                                                       \
                if (NAN)                                                                           \
                    nans[i] += (uint32_t)(e != e);                                                 \
            }                                                                                      \
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
/* 16-bit values: the vocabulary's word sums (int16 as they are, uint16 biased by -32768,
 * put back after), totalled every RP_WORDS_RUN steps (a lane gains at most 2^16 a step,
 * so it stays under 2^31), then the tail one at a time. */
#define RP_WORDS_RUN 16384
#define RP_WORDS_ADD_SIGNED rp_words_add
#define RP_WORDS_ADD_UNSIGNED rp_words_add_flipped
#define RP_WORDS_ADD_BOOL rp_words_add /* never called: no 16-bit bool */
#define RP_WORDS_ADD_FLOAT rp_words_add
#define RP_WORDS_BIAS_SIGNED 0u
#define RP_WORDS_BIAS_UNSIGNED 32768u
#define RP_WORDS_BIAS_BOOL 0u
#define RP_WORDS_BIAS_FLOAT 0u
/* 8-bit values: the vocabulary's byte sums (bytes as unsigned; int8 biased by +128,
 * taken off after; bool as 0 or 1), then the tail a byte at a time. */
#define RP_BYTES_ADD_UNSIGNED rp_bytes_add
#define RP_BYTES_ADD_SIGNED rp_bytes_add_flipped
#define RP_BYTES_ADD_BOOL rp_bytes_add_nonzero
#define RP_BYTES_ADD_FLOAT rp_bytes_add /* never called: no 8-bit float */
#define RP_BYTES_BIAS_SIGNED 128u
#define RP_BYTES_BIAS_UNSIGNED 0u
#define RP_BYTES_BIAS_BOOL 0u
#define RP_BYTES_BIAS_FLOAT 0u
#define RP_INT_KERNELS(R, RS, kind)                                                                \
    RP_TARGET static void isum_##RS(const char *x, ptrdiff_t sx, size_t n, void *result,           \
                                    uint64_t *nans)                                                \
    {                                                                                              \
        uint64_t s = 0;                                                                            \
        (void)nans;                                                                                \
        if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)x % sizeof(R) == 0) {                         \
            const R *p = (const R *)(const void *)x;                                               \
            if (sizeof(R) == 1) {                                                                  \
                rp_bytes_t acc = rp_bytes_zero();                                                  \
                size_t i = 0;                                                                      \
                for (; i + RP_BYTES_STEP <= n; i += RP_BYTES_STEP)                                 \
                    acc = RP_BYTES_ADD_##kind(acc, x + i);                                         \
                s = rp_bytes_total(acc) - (uint64_t)RP_BYTES_BIAS_##kind * i;                      \
                for (; i < n; i++)                                                                 \
                    s += RP_WIDEN_##kind(p[i]);                                                    \
            } else if (sizeof(R) == 2) {                                                           \
                const size_t step = RP_WORDS_STEP / 2;                                             \
                size_t i = 0;                                                                      \
                while (n - i >= step) {                                                            \
                    const size_t steps = (n - i) / step;                                           \
                    const size_t e = i + (steps < RP_WORDS_RUN ? steps : RP_WORDS_RUN) * step;     \
                    rp_words_t acc = rp_words_zero();                                              \
                    for (; i < e; i += step)                                                       \
                        acc = RP_WORDS_ADD_##kind(acc, x + 2 * i);                                 \
                    s += (uint64_t)(int64_t)rp_words_total(acc);                                   \
                }                                                                                  \
                s += (uint64_t)RP_WORDS_BIAS_##kind * i;                                           \
                for (; i < n; i++)                                                                 \
                    s += RP_WIDEN_##kind(p[i]);                                                    \
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
    RP_TARGET static void iaccumulate_##RS(const char *x, ptrdiff_t sx, ptrdiff_t rs,             \
                                           size_t rows, void *accv, size_t n, uint32_t *nans)      \
    {                                                                                              \
        uint64_t *acc = (uint64_t *)accv;                                                          \
        (void)nans;                                                                                \
        for (size_t r = 0; r < rows; r++, x += rs) {                                               \
            if (sx == (ptrdiff_t)sizeof(R) && (uintptr_t)x % sizeof(R) == 0) {                     \
                const R *p = (const R *)(const void *)x;                                           \
                for (size_t i = 0; i < n; i++)                                                     \
                    acc[i] += RP_WIDEN_##kind(p[i]);                                               \
                continue;                                                                          \
            }                                                                                      \
            for (size_t i = 0; i < n; i++) {                                                       \
                R v;                                                                               \
                memcpy(&v, x + (ptrdiff_t)i * sx, sizeof v);                                       \
                acc[i] += RP_WIDEN_##kind(v);                                                      \
            }                                                                                      \
        }                                                                                          \
    }
