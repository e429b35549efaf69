/*
 * Public scale entry points: check arguments, choose streaming stores and the
 * thread count from the size and the caches, split the elements into chunks
 * and hand them to the kernels of the SIMD variant planned for the call
 * (plan.c: the active one, or a tuning's choice).
 */
#include "raptors.h"
#include "dispatch.h"
#include "kernels.h"
#include "plan.h"
#include "threads.h"

#include <stdint.h>
#include <string.h>

#define CACHE_LINE 64
/* Chunks per thread, claimed dynamically: many enough that the threads finish
 * within a chunk of each other (the pool reads a longer wait as contention and
 * backs off to one thread), few enough that claiming stays negligible. */
#define CHUNKS_PER_THREAD 16
#define MIN_CHUNK_BYTES (32u * 1024u)

typedef struct {
    const rp_kernel_set *k;
    int dtype;
    size_t elsize;
    union {
        float f32;
        double f64;
    } factor;
    const char *x;
    char *y;
    size_t n;           /* elements in all */
    size_t chunk;       /* elements per chunk */
    size_t head;        /* elements before the first cache-line boundary of y */
    int stream;
    /* Strided layout (ndim >= 1): the last dimension is the inner loop. */
    int ndim;
    const int64_t *shape, *xs, *ys;
} scale_job;

static size_t chunk_begin(const scale_job *j, size_t c)
{
    if (c == 0)
        return 0;
    size_t b = j->head + c * j->chunk;
    return b < j->n ? b : j->n;
}

static void run_contig_chunk(void *ctx, size_t c)
{
    const scale_job *j = ctx;
    size_t b = chunk_begin(j, c), e = chunk_begin(j, c + 1);
    if (e > b)
        j->k->scale_contig[j->dtype](j->x + b * j->elsize, j->y + b * j->elsize, e - b, &j->factor,
                                     j->stream);
}

/* Elements [b, e) of the strided view, walked row by row along the last axis. */
static void run_strided_chunk(void *ctx, size_t c)
{
    const scale_job *j = ctx;
    size_t b = chunk_begin(j, c), e = chunk_begin(j, c + 1);
    const int last = j->ndim - 1;
    const size_t inner = (size_t)j->shape[last];
    const int64_t sx = j->xs[last], sy = j->ys[last];
    const size_t es = j->elsize;
    const int contig_inner = sx == (int64_t)es && sy == (int64_t)es;

    while (b < e) {
        size_t row = b / inner, col = b % inner;
        size_t len = inner - col < e - b ? inner - col : e - b;
        const char *xp = j->x;
        char *yp = j->y;
        for (int d = last - 1; d >= 0; d--) {
            size_t i = row % (size_t)j->shape[d];
            row /= (size_t)j->shape[d];
            xp += (int64_t)i * j->xs[d];
            yp += (int64_t)i * j->ys[d];
        }
        xp += (int64_t)col * sx;
        yp += (int64_t)col * sy;
        if (contig_inner && (uintptr_t)xp % es == 0 && (uintptr_t)yp % es == 0)
            j->k->scale_contig[j->dtype](xp, yp, len, &j->factor, 0);
        else
            j->k->scale_strided[j->dtype](xp, (ptrdiff_t)sx, yp, (ptrdiff_t)sy, len, &j->factor);
        b += len;
    }
}

static void plan_chunks(scale_job *j, size_t bytes)
{
    int nt = rp_threads_for_family(RP_FAM_SCALE, bytes);
    if (nt <= 1) {  /* one thread: one chunk, no per-chunk peel and tail */
        j->chunk = j->head = j->n;
        (j->ndim ? run_strided_chunk : run_contig_chunk)(j, 0);
        return;
    }
    size_t line = CACHE_LINE / j->elsize;
    size_t want = (size_t)nt * CHUNKS_PER_THREAD;
    size_t chunk = (j->n + want - 1) / want;
    if (chunk < MIN_CHUNK_BYTES / j->elsize)
        chunk = MIN_CHUNK_BYTES / j->elsize;
    chunk = (chunk + line - 1) / line * line;  /* whole cache lines */
    j->chunk = chunk ? chunk : 1;
    uintptr_t mis = (uintptr_t)j->y % CACHE_LINE;
    j->head = j->chunk;
    if (mis % j->elsize == 0 && mis != 0)
        j->head = (CACHE_LINE - mis) / j->elsize + j->chunk;
    size_t nchunks = 1;
    if (j->n > j->head)
        nchunks += (j->n - j->head + j->chunk - 1) / j->chunk;
    rp_parallel_for(j->ndim ? run_strided_chunk : run_contig_chunk, j, nchunks, nt);
}

static int scale_strided(int dtype, int ndim, const int64_t *shape, const void *x,
                         const int64_t *xs, void *y, const int64_t *ys, const void *factor);

static int scale_contig(int dtype, const void *x, void *y, size_t n, const void *factor)
{
    if (n == 0)
        return RAPTORS_OK;
    const size_t es = rp_element_size(dtype);
    if (x == NULL || y == NULL || n > SIZE_MAX / 2 / es)
        return RAPTORS_EINVAL;
    if ((uintptr_t)x % es != 0 || (uintptr_t)y % es != 0) {
        /* Misaligned elements: the strided path reads them byte-wise. */
        const int64_t shape = (int64_t)n, stride = (int64_t)es;
        return scale_strided(dtype, 1, &shape, x, &stride, y, &stride, factor);
    }
    scale_job j = {.dtype = dtype, .elsize = es, .x = x, .y = y, .n = n};
    memcpy(&j.factor, factor, es);
    j.stream = rp_want_stream_family(RP_FAM_SCALE, x == y, 2 * n * es);
    j.k = rp_plan_kernels(RP_FAM_SCALE, dtype, rp_store_kind(x == y, j.stream), 2 * n * es);
    plan_chunks(&j, 2 * n * es);
    return RAPTORS_OK;
}

static int scale_strided(int dtype, int ndim, const int64_t *shape, const void *x,
                         const int64_t *xs, void *y, const int64_t *ys, const void *factor)
{
    static const int64_t one = 1, zero = 0;
    if (ndim < 0 || ndim > RAPTORS_MAX_DIMS)
        return RAPTORS_EINVAL;
    if (ndim > 0 && (shape == NULL || xs == NULL || ys == NULL))
        return RAPTORS_EINVAL;
    const size_t es = rp_element_size(dtype);
    size_t n;
    if (rp_count_elements(ndim, shape, es, 2, &n) != RAPTORS_OK)
        return RAPTORS_EINVAL;
    if (n == 0)
        return RAPTORS_OK;
    if (x == NULL || y == NULL)
        return RAPTORS_EINVAL;
    scale_job j = {.k = rp_plan_kernels(RP_FAM_SCALE, dtype, rp_store_kind(x == y, 0), 2 * n * es),
                   .dtype = dtype, .elsize = es, .x = x, .y = y, .n = n,
                   .ndim = ndim, .shape = shape, .xs = xs, .ys = ys};
    if (ndim == 0) {  /* a 0-d array: one element */
        j.ndim = 1;
        j.shape = &one;
        j.xs = j.ys = &zero;
    }
    memcpy(&j.factor, factor, es);
    plan_chunks(&j, 2 * n * es);
    return RAPTORS_OK;
}

int raptors_scale_f32(const float *x, float *y, size_t n, float a)
{
    return scale_contig(RP_F32, x, y, n, &a);
}

int raptors_scale_f64(const double *x, double *y, size_t n, double a)
{
    return scale_contig(RP_F64, x, y, n, &a);
}

/* Equal or disjoint; a partial overlap would need a snapshot of x first. */
static int overlaps(const void *x, const void *y, size_t nbytes)
{
    uintptr_t a = (uintptr_t)x, b = (uintptr_t)y;
    return a != b && (a < b ? b - a : a - b) < nbytes;
}

/* The _ref entry points read the data pointers from where the caller keeps them
 * (an ndarray's data field), so the Python side needs no object to fetch them. */
static int scale_ref(int dtype, const void *const *x_ref, void *const *y_ref, size_t n,
                     const void *factor)
{
    const size_t es = rp_element_size(dtype);
    if (x_ref == NULL || y_ref == NULL)
        return RAPTORS_EINVAL;
    if (n <= SIZE_MAX / es && overlaps(*x_ref, *y_ref, n * es))
        return RAPTORS_EOVERLAP;
    return scale_contig(dtype, *x_ref, *y_ref, n, factor);
}

int raptors_scale_f32_ref(const void *const *x_ref, void *const *y_ref, size_t n, float a)
{
    return scale_ref(RP_F32, x_ref, y_ref, n, &a);
}

int raptors_scale_f64_ref(const void *const *x_ref, void *const *y_ref, size_t n, double a)
{
    return scale_ref(RP_F64, x_ref, y_ref, n, &a);
}

int raptors_scale_strided_f32(int ndim, const int64_t *shape, const void *x,
                              const int64_t *x_strides, void *y, const int64_t *y_strides, float a)
{
    return scale_strided(RP_F32, ndim, shape, x, x_strides, y, y_strides, &a);
}

int raptors_scale_strided_f64(int ndim, const int64_t *shape, const void *x,
                              const int64_t *x_strides, void *y, const int64_t *y_strides, double a)
{
    return scale_strided(RP_F64, ndim, shape, x, x_strides, y, y_strides, &a);
}

int raptors_abi_version(void) { return RAPTORS_ABI_VERSION; }
const char *raptors_version(void) { return RAPTORS_VERSION; }
