/*
 * The element-wise binary kernel, written once. kernel_set.h includes this file
 * once per operation x dtype with RP_T (element type), RP_S (dtype suffix),
 * RP_OPN (operation name) and RP_BINOP(a, b) (the operation, the same expression
 * on scalars and on the variant's vectors) defined.
 *
 * Bit-exactness: every element is one IEEE operation x[i] op y[i] in the
 * element type, whichever path (vector, peel, tail, strided) computes it;
 * nothing is fused or reassociated, so the result equals NumPy's ufunc.
 */
#include <stdint.h>
#include <string.h>

#define RP_BCAT_(a, b, c, d) a##_##b##_##c##_##d
#define RP_BCAT(a, b, c, d) RP_BCAT_(a, b, c, d)
#define RP_BFN RP_BCAT(binary, RP_OPN, RP_ISA, RP_S) /* e.g. binary_add_avx512_f32 */
#define RP_BINOP RP_CAT2(RP_OP, RP_OPN)
#define RP_BVT RP_CAT2(rp_v, RP_S)
#define RP_BSET1 RP_CAT2(rp_set1, RP_S)
#define RP_BLOAD RP_CAT2(rp_load, RP_S)
#define RP_BSTORE RP_CAT2(rp_store, RP_S)
#define RP_BSTREAM RP_CAT2(rp_stream, RP_S)

/* Operands as vectors at element i (an array, or a broadcast scalar) and as scalars. */
#define RP_VARR_X(i) RP_BLOAD(x + (i))
#define RP_VARR_Y(i) RP_BLOAD(y + (i))
#define RP_VONE_X(i) vx
#define RP_VONE_Y(i) vy
#define RP_SARR_X(i) x[i]
#define RP_SARR_Y(i) y[i]
#define RP_SONE_X(i) sx0
#define RP_SONE_Y(i) sy0

/* The unrolled vector loop: four independent vectors per step. */
#define RP_BIN_VLOOP(STORE, XV, YV)                                                                \
    do {                                                                                           \
        for (; i + 4 * w <= n; i += 4 * w) {                                                       \
            RP_BVT v0 = RP_BINOP(XV(i), YV(i));                                                       \
            RP_BVT v1 = RP_BINOP(XV(i + w), YV(i + w));                                               \
            RP_BVT v2 = RP_BINOP(XV(i + 2 * w), YV(i + 2 * w));                                       \
            RP_BVT v3 = RP_BINOP(XV(i + 3 * w), YV(i + 3 * w));                                       \
            STORE(o + i, v0);                                                                      \
            STORE(o + i + w, v1);                                                                  \
            STORE(o + i + 2 * w, v2);                                                              \
            STORE(o + i + 3 * w, v3);                                                              \
        }                                                                                          \
        for (; i + w <= n; i += w)                                                                 \
            STORE(o + i, RP_BINOP(XV(i), YV(i)));                                                     \
    } while (0)

/* Peel to vector alignment of the output, vector loop, scalar tail. Streaming
 * stores need the alignment; plain ones are faster for it too: NumPy's large
 * arrays start 16 bytes into a cache line, where every unaligned 64-byte store
 * would split a line. */
#define RP_BIN_LOOPS(XV, YV, XS, YS)                                                               \
    do {                                                                                           \
        if (n >= 4 * w)                                                                            \
            while (i < n && (uintptr_t)(o + i) % sizeof(RP_BVT) != 0) {                            \
                o[i] = RP_BINOP(XS(i), YS(i));                                                        \
                i++;                                                                               \
            }                                                                                      \
        if (RP_HAS_STREAM && stream && (uintptr_t)(o + i) % sizeof(RP_BVT) == 0) {                 \
            RP_BIN_VLOOP(RP_BSTREAM, XV, YV);                                                      \
            rp_stream_fence(); /* order the weakly-ordered stores before returning */             \
        } else {                                                                                   \
            RP_BIN_VLOOP(RP_BSTORE, XV, YV);                                                       \
        }                                                                                          \
        for (; i < n; i++)                                                                         \
            o[i] = RP_BINOP(XS(i), YS(i));                                                            \
    } while (0)

RP_TARGET static void RP_BFN(const char *xb, ptrdiff_t sx, const char *yb, ptrdiff_t sy, char *ob,
                             ptrdiff_t so, size_t n, int stream)
{
    const ptrdiff_t es = (ptrdiff_t)sizeof(RP_T);
    const int aligned = ((uintptr_t)xb | (uintptr_t)yb | (uintptr_t)ob) % sizeof(RP_T) == 0;
    if (aligned && so == es && (sx == es || sx == 0) && (sy == es || sy == 0) &&
        (sx | sy) != 0) {
        const RP_T *x = (const RP_T *)(const void *)xb;
        const RP_T *y = (const RP_T *)(const void *)yb;
        RP_T *o = (RP_T *)(void *)ob;
        const size_t w = sizeof(RP_BVT) / sizeof(RP_T); /* lanes */
        size_t i = 0;
        if (sx == es && sy == es) {
            RP_BIN_LOOPS(RP_VARR_X, RP_VARR_Y, RP_SARR_X, RP_SARR_Y);
        } else if (sx == 0) { /* a broadcast scalar on the left: s op y[i] */
            const RP_T sx0 = *x;
            const RP_BVT vx = RP_BSET1(sx0);
            RP_BIN_LOOPS(RP_VONE_X, RP_VARR_Y, RP_SONE_X, RP_SARR_Y);
        } else { /* x[i] op s */
            const RP_T sy0 = *y;
            const RP_BVT vy = RP_BSET1(sy0);
            RP_BIN_LOOPS(RP_VARR_X, RP_VONE_Y, RP_SARR_X, RP_SONE_Y);
        }
        return;
    }
    /* Any other layout: element by element; memcpy makes unaligned elements legal. */
    for (size_t i = 0; i < n; i++) {
        RP_T a, b, r;
        memcpy(&a, xb, sizeof a);
        memcpy(&b, yb, sizeof b);
        r = RP_BINOP(a, b);
        memcpy(ob, &r, sizeof r);
        xb += sx;
        yb += sy;
        ob += so;
    }
}

#undef RP_BCAT_
#undef RP_BCAT
#undef RP_BFN
#undef RP_BINOP
#undef RP_BVT
#undef RP_BSET1
#undef RP_BLOAD
#undef RP_BSTORE
#undef RP_BSTREAM
#undef RP_VARR_X
#undef RP_VARR_Y
#undef RP_VONE_X
#undef RP_VONE_Y
#undef RP_SARR_X
#undef RP_SARR_Y
#undef RP_SONE_X
#undef RP_SONE_Y
#undef RP_BIN_VLOOP
#undef RP_BIN_LOOPS
