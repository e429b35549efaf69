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
    static const int64_t one = 1, zero = 0;
    if (op < 0 || op >= RP_NBINARY || ndim < 0 || ndim > RAPTORS_MAX_DIMS)
        return RAPTORS_EINVAL;
    if (ndim > 0 && (shape == NULL || xs == NULL || ys == NULL || os == NULL))
        return RAPTORS_EINVAL;
    const size_t es = rp_element_size(dtype);
    size_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return RAPTORS_EINVAL;
        if (shape[d] == 0)
            return RAPTORS_OK;
        if ((uint64_t)shape[d] > SIZE_MAX / 3 / es / n)
            return RAPTORS_EINVAL;
        n *= (size_t)shape[d];
    }
    if (x == NULL || y == NULL || out == NULL)
        return RAPTORS_EINVAL;
    binary_job j = {.fn = rp_active_kernels()->binary[op][dtype], .n = n, .ndim = ndim,
                    .shape = shape, .xs = xs, .ys = ys, .os = os, .x = x, .y = y, .out = out};
    if (ndim == 0) { /* a 0-d array: one element */
        j.ndim = 1;
        j.shape = &one;
        j.xs = j.ys = j.os = &zero;
    }
    /* Bytes moved: out, plus each input that is not broadcast along the inner
     * axis (a broadcast row is re-read from the cache). */
    const int last = j.ndim - 1;
    size_t bytes = n * es * (size_t)(1 + (j.xs[last] != 0) + (j.ys[last] != 0));
    j.stream = rp_want_stream(out == x || out == y, bytes);
    int nt = rp_threads_for(bytes);
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
