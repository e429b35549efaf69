/*
 * Public element-wise binary entry points (add, subtract, multiply): check
 * arguments, choose streaming stores and the thread count from the size, split
 * the elements into chunks and hand each row of a chunk to the active SIMD
 * variant's kernel for the operation.
 */
#include "raptors.h"
#include "dispatch.h"
#include "kernels.h"
#include "plan.h"
#include "threads.h"

#include <stdint.h>
#include <stdlib.h>

#define CACHE_LINE 64
/* As in scale.c: enough chunks per thread that the threads finish close
 * together, chunks big enough that claiming them costs nothing. */
#define CHUNKS_PER_THREAD 16
#define MIN_CHUNK_BYTES (32u * 1024u)

typedef struct {
    rp_binary_fn fn;
    size_t n;     /* elements in all */
    size_t chunk; /* elements per chunk */
    int stream;
    int ndim; /* >= 1; the last axis is the inner loop */
    const int64_t *shape, *xs, *ys, *os;
    const char *x, *y;
    char *out;
} binary_job;

/* Elements [c * chunk, (c + 1) * chunk) in C order of the view, row by row. */
static void run_chunk(void *ctx, size_t c)
{
    const binary_job *j = ctx;
    size_t b = c * j->chunk, e = b + j->chunk < j->n ? b + j->chunk : j->n;
    const int last = j->ndim - 1;
    const size_t inner = (size_t)j->shape[last];
    while (b < e) {
        size_t row = b / inner, col = b % inner;
        size_t len = inner - col < e - b ? inner - col : e - b;
        int64_t xo = (int64_t)col * j->xs[last], yo = (int64_t)col * j->ys[last],
                oo = (int64_t)col * j->os[last];
        for (int d = last - 1; d >= 0; d--) {
            int64_t i = (int64_t)(row % (size_t)j->shape[d]);
            row /= (size_t)j->shape[d];
            xo += i * j->xs[d];
            yo += i * j->ys[d];
            oo += i * j->os[d];
        }
        j->fn(j->x + xo, (ptrdiff_t)j->xs[last], j->y + yo, (ptrdiff_t)j->ys[last], j->out + oo,
              (ptrdiff_t)j->os[last], len, j->stream);
        b += len;
    }
}

static int binary(int dtype, int op, int ndim, const int64_t *shape, const void *x,
                  const int64_t *xs, const void *y, const int64_t *ys, void *out,
                  const int64_t *os)
{
    if (op < 0 || op >= RP_NBINARY || ndim < 0 || ndim > RAPTORS_MAX_DIMS)
        return RAPTORS_EINVAL;
    if (ndim > 0 && (shape == NULL || xs == NULL || ys == NULL || os == NULL))
        return RAPTORS_EINVAL;
    const size_t es = rp_element_size(dtype);
    size_t n;
    if (rp_count_elements(ndim, shape, es, 3, &n) != RAPTORS_OK)
        return RAPTORS_EINVAL;
    if (n == 0)
        return RAPTORS_OK;
    if (x == NULL || y == NULL || out == NULL)
        return RAPTORS_EINVAL;
    /* Element-wise work allows any order: drop length-1 axes, put the smallest
     * output stride innermost (a stable insertion sort), merge neighbours that
     * are one run in all three arrays, so the inner loop is as long as it gets. */
    int64_t dims[4][RAPTORS_MAX_DIMS]; /* length, x, y, out strides */
    int nd = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1)
            continue;
        int p = nd++;
        for (; p > 0 && llabs(dims[3][p - 1]) < llabs(os[d]); p--)
            for (int k = 0; k < 4; k++)
                dims[k][p] = dims[k][p - 1];
        dims[0][p] = shape[d];
        dims[1][p] = xs[d];
        dims[2][p] = ys[d];
        dims[3][p] = os[d];
    }
    int m = 0;
    for (int d = 0; d < nd; d++) {
        if (m > 0 && dims[1][m - 1] == dims[1][d] * dims[0][d] &&
            dims[2][m - 1] == dims[2][d] * dims[0][d] && dims[3][m - 1] == dims[3][d] * dims[0][d]) {
            dims[0][m - 1] *= dims[0][d];
            for (int k = 1; k < 4; k++)
                dims[k][m - 1] = dims[k][d];
        } else {
            for (int k = 0; k < 4; k++)
                dims[k][m] = dims[k][d];
            m++;
        }
    }
    if (m == 0) { /* a single element */
        dims[0][0] = 1;
        dims[1][0] = dims[2][0] = dims[3][0] = 0;
        m = 1;
    }
    binary_job j = {.n = n, .ndim = m,
                    .shape = dims[0], .xs = dims[1], .ys = dims[2], .os = dims[3],
                    .x = x, .y = y, .out = out};
    /* Bytes moved: out, plus each input that is not broadcast along the inner
     * axis (a broadcast row is re-read from the cache). */
    const int last = j.ndim - 1;
    size_t bytes = n * es * (size_t)(1 + (j.xs[last] != 0) + (j.ys[last] != 0));
    j.stream = rp_want_stream_family(RP_FAM_BINARY, out == x || out == y, bytes);
    j.fn = rp_plan_kernels(RP_FAM_BINARY, dtype, rp_store_kind(out == x || out == y, j.stream),
                           bytes)->binary[op][dtype];
    int nt = rp_threads_for_family(RP_FAM_BINARY, bytes);
    if (nt <= 1) {
        j.chunk = n;
        run_chunk(&j, 0);
        return RAPTORS_OK;
    }
    size_t line = CACHE_LINE / es, want = (size_t)nt * CHUNKS_PER_THREAD;
    size_t chunk = (n + want - 1) / want;
    if (chunk < MIN_CHUNK_BYTES / es)
        chunk = MIN_CHUNK_BYTES / es;
    j.chunk = (chunk + line - 1) / line * line; /* whole cache lines */
    rp_parallel_for(run_chunk, &j, (n + j.chunk - 1) / j.chunk, nt);
    return RAPTORS_OK;
}

/* Equal or disjoint. */
static int overlaps(const void *a, const void *b, size_t nbytes)
{
    uintptr_t p = (uintptr_t)a, q = (uintptr_t)b;
    return p != q && (p < q ? q - p : p - q) < nbytes;
}

static int binary_ref(int dtype, int op, const void *const *x_ref, const void *const *y_ref,
                      void *const *out_ref, size_t n)
{
    const size_t es = rp_element_size(dtype);
    if (x_ref == NULL || y_ref == NULL || out_ref == NULL || n > (size_t)INT64_MAX / es)
        return RAPTORS_EINVAL;
    const void *x = *x_ref, *y = *y_ref;
    void *out = *out_ref;
    if (overlaps(x, out, n * es) || overlaps(y, out, n * es))
        return RAPTORS_EOVERLAP;
    const int64_t shape = (int64_t)n, stride = (int64_t)es;
    return binary(dtype, op, 1, &shape, x, &stride, y, &stride, out, &stride);
}

/* The byte range [lo, hi) an N-d view touches. */
static void extent(int ndim, const int64_t *shape, const char *p, const int64_t *st, size_t es,
                   uintptr_t *lo, uintptr_t *hi)
{
    intptr_t a = 0, b = 0;
    for (int d = 0; d < ndim; d++) {
        intptr_t span = (intptr_t)(shape[d] - 1) * (intptr_t)st[d];
        if (span < 0)
            a += span;
        else
            b += span;
    }
    *lo = (uintptr_t)p + (uintptr_t)a;
    *hi = (uintptr_t)p + (uintptr_t)b + es;
}

/* Does input v overlap out without being the very same view? */
static int bad_overlap(int ndim, const int64_t *shape, const char *v, const int64_t *vs,
                       const char *out, const int64_t *os, size_t es)
{
    uintptr_t vlo, vhi, olo, ohi;
    extent(ndim, shape, v, vs, es, &vlo, &vhi);
    extent(ndim, shape, out, os, es, &olo, &ohi);
    if (vhi <= olo || ohi <= vlo)
        return 0;
    if (v != out)
        return 1;
    for (int d = 0; d < ndim; d++)
        if (shape[d] > 1 && vs[d] != os[d])
            return 1;
    return 0;
}

/* An operand's strides broadcast to the result's ndim axes (NumPy's rule: its
 * axes align on the right; 0 along an axis it lacks or has of length 1). */
static int broadcast_strides(int ndim, const int64_t *shape, int vnd, const int64_t *vshape,
                             const int64_t *vstrides, int64_t *out)
{
    if (vnd < 0 || vnd > ndim)
        return RAPTORS_EINVAL;
    for (int d = 0; d < ndim; d++) {
        int k = d - (ndim - vnd);
        if (k < 0 || vshape[k] == 1)
            out[d] = 0;
        else if (vshape[k] == shape[d])
            out[d] = vstrides[k];
        else
            return RAPTORS_EINVAL;
    }
    return RAPTORS_OK;
}

int raptors_binary_packed(const int64_t *a)
{
    if (a == NULL)
        return RAPTORS_EINVAL;
    const int64_t code = a[0];
    const int dtype = rp_packed_dtype(code), op = rp_packed_op(code);
    if (dtype < 0)
        return RAPTORS_EINVAL;
    const char *x = rp_packed_addr(code, a[2]), *y = rp_packed_addr(code, a[3]);
    char *out = rp_packed_addr(code, a[4]);
    const int64_t es = (int64_t)rp_element_size(dtype);
    int ndim = 1;
    const int64_t *shape = &a[1], *xs = &es, *ys = &es, *os = &es;
    int64_t xb[RAPTORS_MAX_DIMS], yb[RAPTORS_MAX_DIMS];
    if (!(code & RAPTORS_PACKED_CONTIG)) {
        if (a[1] < 0 || a[1] > RAPTORS_MAX_DIMS || a[5] < 0 || a[6] < 0)
            return RAPTORS_EINVAL;
        ndim = (int)a[1];
        const int xnd = (int)a[5], ynd = (int)a[6];
        if (xnd > ndim || ynd > ndim)
            return RAPTORS_EINVAL;
        shape = a + 7;
        const int64_t *xshape = shape + ndim, *xst = xshape + xnd;
        const int64_t *yshape = xst + xnd, *yst = yshape + ynd;
        os = yst + ynd;
        if (broadcast_strides(ndim, shape, xnd, xshape, xst, xb) != RAPTORS_OK ||
            broadcast_strides(ndim, shape, ynd, yshape, yst, yb) != RAPTORS_OK)
            return RAPTORS_EINVAL;
        xs = xb;
        ys = yb;
    }
    for (int d = 0; d < ndim; d++)
        if (shape[d] <= 0)
            return shape[d] == 0 ? RAPTORS_OK : RAPTORS_EINVAL;
    if (x == NULL || y == NULL || out == NULL)
        return RAPTORS_EINVAL;
    if (bad_overlap(ndim, shape, x, xs, out, os, (size_t)es) ||
        bad_overlap(ndim, shape, y, ys, out, os, (size_t)es))
        return RAPTORS_EOVERLAP;
    return binary(dtype, op, ndim, shape, x, xs, y, ys, out, os);
}

int raptors_binary_f32(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, const void *y, const int64_t *y_strides,
                       void *out, const int64_t *out_strides)
{
    return binary(RP_F32, op, ndim, shape, x, x_strides, y, y_strides, out, out_strides);
}

int raptors_binary_f64(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, const void *y, const int64_t *y_strides,
                       void *out, const int64_t *out_strides)
{
    return binary(RP_F64, op, ndim, shape, x, x_strides, y, y_strides, out, out_strides);
}

int raptors_binary_f32_ref(int op, const void *const *x_ref, const void *const *y_ref,
                           void *const *out_ref, size_t n)
{
    return binary_ref(RP_F32, op, x_ref, y_ref, out_ref, n);
}

int raptors_binary_f64_ref(int op, const void *const *x_ref, const void *const *y_ref,
                           void *const *out_ref, size_t n)
{
    return binary_ref(RP_F64, op, x_ref, y_ref, out_ref, n);
}
