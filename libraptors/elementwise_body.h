/*
 * The element-wise kernel, written once: RP_ELEMENTWISE_KERNEL(T, A, S, name, OP)
 * defines ew_<name>_<S>, out[i] = x[i] OP y[i], on the including variant's
 * vocabulary. kernel_set.h instantiates it for every dtype x arithmetic.
 *
 * Bit-exactness: every element is one IEEE operation x[i] op y[i] in the
 * element type, whichever path (vector, peel, tail, strided) computes it;
 * nothing is fused or reassociated, so the result equals NumPy's ufunc. The
 * scalar paths compute in A, the arithmetic type of T (kernels.h's
 * RP_ARITH_TYPE): T itself for a float, the unsigned type of the same width for
 * a signed integer, so integers wrap modulo 2^bits as NumPy's do and no signed
 * overflow (undefined in C) happens; the vocabulary's vectors wrap natively.
 */
#include <stdint.h>
#include <string.h>

/* Operands at element i as vectors (an array, or a broadcast scalar) and as scalars. */
#define RP_EW_VARR(S, p, v, i) rp_load_##S((p) + (i))
#define RP_EW_VONE(S, p, v, i) (v)
#define RP_EW_SARR(p, s, i) (p)[i]
#define RP_EW_SONE(p, s, i) (s)

/* Peel to vector alignment of the output, the vector loop four vectors a step,
 * the scalar tail. Streaming stores need the alignment; plain ones are faster
 * for it too: NumPy's large arrays start 16 bytes into a cache line, where
 * every unaligned 64-byte store would split a line. */
#define RP_EW_LOOPS(T, A, S, name, OP, XV, YV, XS, YS)                                             \
    do {                                                                                           \
        if (n >= 4 * w)                                                                            \
            while (i < n && (uintptr_t)(o + i) % sizeof(rp_v_##S) != 0) {                          \
                o[i] = (T)((A)XS(x, sx0, i) OP (A)YS(y, sy0, i));                                  \
                i++;                                                                               \
            }                                                                                      \
        if (RP_HAS_STREAM && stream && (uintptr_t)(o + i) % sizeof(rp_v_##S) == 0) {               \
            RP_EW_VLOOP(S, name, rp_stream_##S, XV, YV);                                           \
            rp_stream_fence(); /* order the weakly-ordered stores before returning */              \
        } else {                                                                                   \
            RP_EW_VLOOP(S, name, rp_store_##S, XV, YV);                                            \
        }                                                                                          \
        for (; i < n; i++)                                                                         \
            o[i] = (T)((A)XS(x, sx0, i) OP (A)YS(y, sy0, i));                                      \
    } while (0)
/* Four vectors a step, each stored as soon as it is computed: with the four loads first and
 * the four stores after them, AVX2's 32-byte loop ran 30 % slower than this one from L2
 * (a float32 scale of 64K elements on the Intel VM; AVX-512's loop ran alike either way).
 * The loops run to an end computed first, so the index needs no copy for the loop after. */
#define RP_EW_VLOOP(S, name, STORE, XV, YV)                                                        \
    do {                                                                                           \
        for (const size_t e4_ = i + (n - i) / (4 * w) * (4 * w); i < e4_; i += 4 * w) {            \
            STORE(o + i, rp_##name##_##S(XV(S, x, vx, i), YV(S, y, vy, i)));                       \
            STORE(o + i + w, rp_##name##_##S(XV(S, x, vx, i + w), YV(S, y, vy, i + w)));           \
            STORE(o + i + 2 * w,                                                                   \
                  rp_##name##_##S(XV(S, x, vx, i + 2 * w), YV(S, y, vy, i + 2 * w)));              \
            STORE(o + i + 3 * w,                                                                   \
                  rp_##name##_##S(XV(S, x, vx, i + 3 * w), YV(S, y, vy, i + 3 * w)));              \
        }                                                                                          \
        for (const size_t e1_ = i + (n - i) / w * w; i < e1_; i += w)                              \
            STORE(o + i, rp_##name##_##S(XV(S, x, vx, i), YV(S, y, vy, i)));                       \
    } while (0)

/* The strided loop; LOAD reads the operands that are not broadcast. */
#define RP_EW_STRIDED(T, A, LOAD, OP)                                                              \
    do {                                                                                           \
        for (size_t i = 0; i < n; i++, xb += sx, yb += sy, ob += so) {                             \
            LOAD;                                                                                  \
            r = (T)((A)a OP (A)b);                                                                 \
            memcpy(ob, &r, sizeof r);                                                              \
        }                                                                                          \
    } while (0)

#define RP_ELEMENTWISE_KERNEL(T, A, S, name, OP)                                                   \
    RP_TARGET static void ew_##name##_##S(const char *xb, ptrdiff_t sx, const char *yb,            \
                                          ptrdiff_t sy, char *ob, ptrdiff_t so, size_t n,          \
                                          int stream)                                              \
    {                                                                                              \
        const ptrdiff_t es = (ptrdiff_t)sizeof(T);                                                 \
        if (n == 0)                                                                                \
            return;                                                                                \
        const int aligned = ((uintptr_t)xb | (uintptr_t)yb | (uintptr_t)ob) % sizeof(T) == 0;      \
        if (aligned && so == es && (sx == es || sx == 0) && (sy == es || sy == 0) &&               \
            (sx | sy) != 0) {                                                                      \
            const T *x = (const T *)(const void *)xb;                                              \
            const T *y = (const T *)(const void *)yb;                                              \
            T *o = (T *)(void *)ob;                                                                \
            const size_t w = sizeof(rp_v_##S) / sizeof(T); /* lanes */                             \
            const T sx0 = *x, sy0 = *y;                                                            \
            const rp_v_##S vx = rp_set1_##S(sx0), vy = rp_set1_##S(sy0);                           \
            size_t i = 0;                                                                          \
            if (sx == es && sy == es)                                                              \
                RP_EW_LOOPS(T, A, S, name, OP, RP_EW_VARR, RP_EW_VARR, RP_EW_SARR, RP_EW_SARR);    \
            else if (sx == 0) /* a broadcast scalar on the left: s op y[i] */                      \
                RP_EW_LOOPS(T, A, S, name, OP, RP_EW_VONE, RP_EW_VARR, RP_EW_SONE, RP_EW_SARR);    \
            else /* x[i] op s */                                                                   \
                RP_EW_LOOPS(T, A, S, name, OP, RP_EW_VARR, RP_EW_VONE, RP_EW_SARR, RP_EW_SONE);    \
            return;                                                                                \
        }                                                                                          \
        /* Any other layout: element by element; memcpy makes unaligned elements legal. A          \
         * broadcast operand (stride 0) is read once. */                                           \
        T a, b, r;                                                                                 \
        memcpy(&a, xb, sizeof a);                                                                  \
        memcpy(&b, yb, sizeof b);                                                                  \
        if (sy == 0)                                                                               \
            RP_EW_STRIDED(T, A, memcpy(&a, xb, sizeof a), OP);                                     \
        else if (sx == 0)                                                                          \
            RP_EW_STRIDED(T, A, memcpy(&b, yb, sizeof b), OP);                                     \
        else                                                                                       \
            RP_EW_STRIDED(T, A, (memcpy(&a, xb, sizeof a), memcpy(&b, yb, sizeof b)), OP);         \
    }
