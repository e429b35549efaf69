/*
 * The scale kernel, written once. A kernels_<isa>.c file includes its
 * simd_<isa>.h, then this file once per dtype with RP_T (element type) and
 * RP_S (dtype suffix: f32 / f64) defined.
 *
 * Bit-exactness: every element is one IEEE multiply x*a in the element type,
 * whichever path (vector, peel, tail) computes it; nothing is fused or
 * reassociated, so the result equals NumPy's np.multiply(x, T(a)).
 */
#include <stdint.h>
#include <string.h>

#define RP_CAT3_(a, b, c) a##_##b##_##c
#define RP_CAT3(a, b, c) RP_CAT3_(a, b, c)
#define RP_CAT2_(a, b) a##_##b
#define RP_CAT2(a, b) RP_CAT2_(a, b)
#define RP_FN(name) RP_CAT3(name, RP_ISA, RP_S)   /* e.g. scale_contig_avx512_f32 */
#define RP_VT RP_CAT2(rp_v, RP_S)
#define RP_SET1 RP_CAT2(rp_set1, RP_S)
#define RP_LOAD RP_CAT2(rp_load, RP_S)
#define RP_MUL RP_CAT2(rp_mul, RP_S)
#define RP_STORE RP_CAT2(rp_store, RP_S)
#define RP_STREAM RP_CAT2(rp_stream, RP_S)

/* The unrolled vector loop, written once; STORE is the plain or the streaming
 * store. Four independent vectors per step keep the load and multiply units busy. */
#define RP_VECTOR_LOOP(STORE)                                                                      \
    do {                                                                                           \
        for (; i + 4 * w <= n; i += 4 * w) {                                                       \
            RP_VT v0 = RP_MUL(RP_LOAD(x + i), va);                                                 \
            RP_VT v1 = RP_MUL(RP_LOAD(x + i + w), va);                                             \
            RP_VT v2 = RP_MUL(RP_LOAD(x + i + 2 * w), va);                                         \
            RP_VT v3 = RP_MUL(RP_LOAD(x + i + 3 * w), va);                                         \
            STORE(y + i, v0);                                                                      \
            STORE(y + i + w, v1);                                                                  \
            STORE(y + i + 2 * w, v2);                                                              \
            STORE(y + i + 3 * w, v3);                                                              \
        }                                                                                          \
        for (; i + w <= n; i += w)                                                                 \
            STORE(y + i, RP_MUL(RP_LOAD(x + i), va));                                              \
    } while (0)

RP_TARGET static void RP_FN(scale_contig)(const void *xv, void *yv, size_t n, const void *factor,
                                          int stream)
{
    const RP_T *x = (const RP_T *)xv;
    RP_T *y = (RP_T *)yv;
    const RP_T a = *(const RP_T *)factor;
    const size_t w = sizeof(RP_VT) / sizeof(RP_T); /* lanes */
    const RP_VT va = RP_SET1(a);
    size_t i = 0;

    if (RP_HAS_STREAM && stream) {
        /* Non-temporal stores must be vector-aligned: peel up to the boundary. */
        while (i < n && ((uintptr_t)(y + i) % sizeof(RP_VT)) != 0) {
            y[i] = x[i] * a;
            i++;
        }
        RP_VECTOR_LOOP(RP_STREAM);
        /* Order the weakly-ordered stores before the caller reports completion. */
        rp_stream_fence();
    } else {
        RP_VECTOR_LOOP(RP_STORE);
    }
    for (; i < n; i++)
        y[i] = x[i] * a;
}

/* Strided elements, byte strides: memcpy makes unaligned elements legal and
 * compiles to plain loads and stores when they are aligned. */
RP_TARGET static void RP_FN(scale_strided)(const char *x, ptrdiff_t sx, char *y, ptrdiff_t sy,
                                           size_t n, const void *factor)
{
    const RP_T a = *(const RP_T *)factor;
    for (size_t i = 0; i < n; i++) {
        RP_T v;
        memcpy(&v, x, sizeof v);
        v = v * a;
        memcpy(y, &v, sizeof v);
        x += sx;
        y += sy;
    }
}

#undef RP_FN
#undef RP_VT
#undef RP_SET1
#undef RP_LOAD
#undef RP_MUL
#undef RP_STORE
#undef RP_STREAM
#undef RP_VECTOR_LOOP
