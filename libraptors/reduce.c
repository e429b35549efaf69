/*
 * Public add-reduction entry points (sum, mean). The order of additions is
 * NumPy 2.4's (shared/research/numpy-reduction-order.md), decided here from the
 * memory layout as NumPy's iterator decides it:
 *
 *   all axes, view coalesces into one run  -> +0.0 + pairwise(run)        (TREE)
 *   all axes, axes that do not coalesce    -> +0.0 + pw(buffer0) + ...   (SEGMENTS)
 *   one axis, innermost in memory          -> out[i] = +0.0 + pw(line i) (ROWS)
 *   one axis, strided                      -> out = ((+0.0 + x[0]) + x[1]) + ... (COLUMNS)
 *
 * Length-1 axes are dropped and axes ordered by |stride|, as NumPy's iterator
 * does; negative strides are walked as they are (logical order: a reduction's
 * iterator never flips them, NPY_ITER_DONT_NEGATE_STRIDES). Threads take whole
 * subtrees of the pairwise tree, whole segments, rows or column blocks, and partial results are combined in
 * NumPy's order, so every thread count gives the same bits.
 */
#include "raptors.h"
#include "dispatch.h"
#include "kernels.h"
#include "plan.h"
#include "threads.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t n;      /* length */
    int64_t xs, os; /* byte strides in x and in out (any sign) */
} axis_t;

/* The view's axes with length-1 axes dropped. */
typedef struct {
    int nd;
    axis_t a[RAPTORS_MAX_DIMS];
} dims_t;

/* Byte offsets in x and out of position `idx` of the axes d[0..nd) (C order). */
static void offsets(const axis_t *d, int nd, size_t idx, int64_t *xo, int64_t *oo)
{
    int64_t x = 0, o = 0;
    for (int k = nd - 1; k >= 0; k--) {
        int64_t i = (int64_t)(idx % (size_t)d[k].n);
        idx /= (size_t)d[k].n;
        x += i * d[k].xs;
        o += i * d[k].os;
    }
    *xo = x;
    *oo = o;
}

/* NumPy's npyiter_find_best_axis_ordering for x alone (the result, which the
 * iterator allocates, has no say): a stable insertion sort, from the innermost
 * axis out, that moves an axis inward past those with a larger |stride|. A
 * zero stride (a broadcast axis) is ambiguous: compared with it, nothing
 * moves, and the search goes on past it. *at follows the axis it names. */
static void order_axes(dims_t *d, int *at)
{
    axis_t *a = d->a;
    const int nd = d->nd;
    /* i counts from the innermost axis (a[nd - 1]) outward, as NumPy's perm. */
    for (int i0 = 1; i0 < nd; i0++) {
        const axis_t v = a[nd - 1 - i0];
        int pos = i0;
        for (int i1 = i0 - 1; i1 >= 0; i1--) {
            const int64_t w = a[nd - 1 - i1].xs;
            if (v.xs == 0 || w == 0)
                continue; /* ambiguous */
            if (llabs(w) <= llabs(v.xs))
                break;
            pos = i1;
        }
        if (pos == i0)
            continue;
        int from = nd - 1 - i0, to = nd - 1 - pos; /* to > from: move v inward */
        for (int i = from; i < to; i++)
            a[i] = a[i + 1];
        a[to] = v;
        if (*at == from)
            *at = to;
        else if (*at > from && *at <= to)
            (*at)--;
    }
}

/* ---- typed scalar steps, outside the kernels ---- */
static void add_to(int dtype, void *acc, const void *v)
{
    if (dtype == RP_F32)
        *(float *)acc += *(const float *)v;
    else
        *(double *)acc += *(const double *)v;
}

/* out = +0.0 + s (the identity NumPy writes first), divided by count for a mean:
 * (float)((double)s / (double)count) -- NumPy divides by an intp, in double. */
static void finish(int dtype, int op, const void *s, size_t count, char *out)
{
    if (dtype == RP_F32) {
        float v = 0.0f + *(const float *)s;
        if (op == RAPTORS_MEAN)
            v = (float)((double)v / (double)count);
        memcpy(out, &v, sizeof v);
    } else {
        double v = 0.0 + *(const double *)s;
        if (op == RAPTORS_MEAN)
            v = v / (double)count;
        memcpy(out, &v, sizeof v);
    }
}

/* ---- TREE: one run, threads take subtrees ---- */
#define MAX_SUBTREES 1024
typedef struct {
    rp_pairwise_fn pw;
    const char *x;
    ptrdiff_t sx;
    size_t es, target;
    size_t start[MAX_SUBTREES], len[MAX_SUBTREES];
    char *part; /* one element per subtree */
} tree_job;

static int is_subtree(const tree_job *t, size_t n)
{
    return n <= t->target || n <= RP_PW_BLOCK;
}

static void tree_enumerate(tree_job *t, size_t s, size_t n, size_t *k)
{
    if (is_subtree(t, n)) {
        t->start[*k] = s;
        t->len[*k] = n;
        ++*k;
        return;
    }
    size_t n2 = rp_pw_split(n);
    tree_enumerate(t, s, n2, k);
    tree_enumerate(t, s + n2, n - n2, k);
}

static void tree_combine(const tree_job *t, int dtype, size_t n, size_t *next, void *res)
{
    if (is_subtree(t, n)) {
        memcpy(res, t->part + (*next)++ * t->es, t->es);
        return;
    }
    size_t n2 = rp_pw_split(n);
    char b[sizeof(double)];
    tree_combine(t, dtype, n2, next, res);
    tree_combine(t, dtype, n - n2, next, b);
    add_to(dtype, res, b); /* left + right */
}

static void tree_chunk(void *ctx, size_t c)
{
    tree_job *t = ctx;
    t->pw(t->x + (ptrdiff_t)t->start[c] * t->sx, t->sx, t->len[c], t->part + c * t->es);
}

/* NumPy's pairwise sum of the run into res (no identity). */
static int tree_sum(const rp_kernel_set *k, int dtype, const char *x, ptrdiff_t sx, size_t n,
                    void *res)
{
    const size_t es = rp_element_size(dtype);
    int nt = rp_threads_for_family(RP_FAM_REDUCE, n * es);
    if (nt <= 1) {
        k->pairwise[dtype](x, sx, n, res);
        return RAPTORS_OK;
    }
    tree_job *t = malloc(sizeof *t);
    char part[MAX_SUBTREES * sizeof(double)];
    if (t == NULL)
        return RAPTORS_ENOMEM;
    /* About eight subtrees per thread (claimed dynamically); a node splits
     * while bigger than target, so there are fewer than 2 n / target. */
    size_t pieces = (size_t)nt * 8 < MAX_SUBTREES / 4 ? (size_t)nt * 8 : MAX_SUBTREES / 4;
    *t = (tree_job){.pw = k->pairwise[dtype], .x = x, .sx = sx, .es = es,
                    .target = n / pieces > 4096 ? n / pieces : 4096, .part = part};
    size_t count = 0, next = 0;
    tree_enumerate(t, 0, n, &count);
    rp_parallel_for(tree_chunk, t, count, nt);
    tree_combine(t, dtype, n, &next, res);
    free(t);
    return RAPTORS_OK;
}

/* ---- SEGMENTS: all axes of a view that does not coalesce ----
 * NumPy's buffered iterator (2.3+, npyiter_find_buffering_setup) picks a core:
 * the most innermost axes whose product fits in bufsize elements. Each buffer
 * holds k = bufsize / core whole cores along the next axis out (D), never
 * crossing the end of D, and is summed as one pairwise run. A line longer than
 * bufsize is summed on its own, unbuffered -- unless NumPy must copy the input
 * anyway (misaligned or byte-swapped data: `buffered`), when it is cut into
 * pieces of bufsize elements. The segments are folded in order:
 * ((+0.0 + pw(seg0)) + pw(seg1)) + ... */
typedef struct {
    const rp_kernel_set *k;
    int dtype;
    size_t es;
    const char *x;
    const axis_t *dims; /* all axes, outermost first */
    int nouter;         /* axes outside D */
    int core_at;        /* first axis of the core (D is core_at - 1) */
    int nd;
    size_t core;        /* elements of one core */
    size_t per_seg;     /* cores (positions along D) per segment */
    size_t pieces;      /* segments per position of the outer axes */
    size_t nsegs, segs_per_chunk;
    char *part;         /* one element per segment */
    int failed;
} seg_job;

/* Copy positions [d0, d1) of D at outer offset xo, each a whole core, into buf. */
static void seg_gather(const seg_job *j, const char *xo, size_t d0, size_t d1, char *buf)
{
    const axis_t *D = &j->dims[j->core_at - 1], *line = &j->dims[j->nd - 1];
    const size_t L = (size_t)line->n, lines = j->core / L;
    for (size_t d = d0; d < d1; d++)
        for (size_t l = 0; l < lines; l++) {
            int64_t lo, unused;
            offsets(j->dims + j->core_at, j->nd - j->core_at - 1, l, &lo, &unused);
            const char *src = xo + (int64_t)d * D->xs + lo;
            for (size_t i = 0; i < L; i++, buf += j->es)
                memcpy(buf, src + (int64_t)i * line->xs, j->es);
        }
}

static void seg_chunk(void *ctx, size_t c)
{
    seg_job *j = ctx;
    size_t s0 = c * j->segs_per_chunk;
    size_t s1 = s0 + j->segs_per_chunk < j->nsegs ? s0 + j->segs_per_chunk : j->nsegs;
    const axis_t *D = &j->dims[j->core_at - 1];
    /* No copy for a piece of a line (core_at == nd: cores of one element) or a
     * whole line, unbuffered: the kernel reads them where they are. */
    const int direct = j->core_at == j->nd || (j->per_seg == 1 && j->core_at == j->nd - 1);
    char *buf = direct ? NULL : malloc(j->per_seg * j->core * j->es);
    if (!direct && buf == NULL) {
        j->failed = 1;
        return;
    }
    for (size_t s = s0; s < s1; s++) {
        size_t o = s / j->pieces, d0 = s % j->pieces * j->per_seg;
        size_t d1 = d0 + j->per_seg < (size_t)D->n ? d0 + j->per_seg : (size_t)D->n;
        int64_t xo, unused;
        offsets(j->dims, j->nouter, o, &xo, &unused);
        if (direct) {
            const int piece = j->core_at == j->nd;
            j->k->pairwise[j->dtype](j->x + xo + (int64_t)d0 * D->xs,
                                     (ptrdiff_t)(piece ? D->xs : D[1].xs),
                                     piece ? d1 - d0 : j->core, j->part + s * j->es);
            continue;
        }
        seg_gather(j, j->x + xo, d0, d1, buf);
        j->k->pairwise[j->dtype](buf, (ptrdiff_t)j->es, (d1 - d0) * j->core, j->part + s * j->es);
    }
    free(buf);
}

static int segments_sum(const rp_kernel_set *k, int dtype, const char *x, const dims_t *d,
                        size_t bufsize, int buffered, void *res)
{
    const size_t es = rp_element_size(dtype);
    seg_job j = {.k = k, .dtype = dtype, .es = es, .x = x, .dims = d->a, .nd = d->nd};
    int at = d->nd;
    size_t core = 1, total = 1;
    for (int i = 0; i < d->nd; i++)
        total *= (size_t)d->a[i].n;
    while (at > 0 && core * (size_t)d->a[at - 1].n <= bufsize)
        core *= (size_t)d->a[--at].n;
    if (at == 0) { /* the whole view fits one buffer: one segment */
        at = 1;
        core /= (size_t)d->a[0].n;
        j.per_seg = (size_t)d->a[0].n;
    } else if (at == d->nd && buffered) { /* a line longer than the buffer, copied: */
        j.per_seg = bufsize;                 /* pieces of bufsize elements */
    } else if (at == d->nd) { /* a line longer than the buffer: line by line, unbuffered */
        at = d->nd - 1;
        core = (size_t)d->a[at].n;
        j.per_seg = 1;
    } else {
        j.per_seg = bufsize / core;
    }
    j.core_at = at;
    j.core = core;
    j.nouter = at - 1;
    j.pieces = ((size_t)d->a[at - 1].n + j.per_seg - 1) / j.per_seg;
    j.nsegs = total / core / (size_t)d->a[at - 1].n * j.pieces;
    j.part = malloc(j.nsegs * es);
    if (j.part == NULL)
        return RAPTORS_ENOMEM;
    int nt = rp_threads_for_family(RP_FAM_REDUCE, total * es);
    size_t want = (size_t)nt * 8;
    j.segs_per_chunk = nt <= 1 ? j.nsegs : (j.nsegs + want - 1) / want;
    rp_parallel_for(seg_chunk, &j, (j.nsegs + j.segs_per_chunk - 1) / j.segs_per_chunk, nt);
    if (j.failed) {
        free(j.part);
        return RAPTORS_ENOMEM;
    }
    memset(res, 0, es); /* +0.0, then each segment in turn */
    for (size_t s = 0; s < j.nsegs; s++)
        add_to(dtype, res, j.part + s * es);
    free(j.part);
    return RAPTORS_OK;
}

/* ---- ROWS and COLUMNS: one axis ---- */
typedef struct {
    const rp_kernel_set *k;
    int dtype, op;
    size_t es;
    const char *x;
    char *out;
    const axis_t *outer; /* other axes, indexing the outputs (ROWS) or the column runs */
    int nouter;
    size_t nouter_total;
    size_t R;          /* length of the reduced axis */
    size_t bufsize;
    int buffered;      /* NumPy copies the input (cast): lines cut at bufsize */
    ptrdiff_t rs;      /* its byte stride (>= 0) */
    /* COLUMNS only: the innermost other axis, in blocks. */
    axis_t inner;
    size_t block, nblocks;
    size_t per_chunk;  /* work items per chunk */
} axis_job;

static void rows_chunk(void *ctx, size_t c)
{
    const axis_job *j = ctx;
    size_t b = c * j->per_chunk, e = b + j->per_chunk < j->nouter_total ? b + j->per_chunk
                                                                        : j->nouter_total;
    for (size_t i = b; i < e; i++) {
        int64_t xo, oo;
        char s[sizeof(double)];
        offsets(j->outer, j->nouter, i, &xo, &oo);
        if (j->buffered && j->R > j->bufsize) { /* a copied line, in buffer-sized pieces */
            char piece[sizeof(double)];
            memset(s, 0, j->es);
            for (size_t p = 0; p < j->R; p += j->bufsize) {
                size_t len = j->R - p < j->bufsize ? j->R - p : j->bufsize;
                j->k->pairwise[j->dtype](j->x + xo + (ptrdiff_t)p * j->rs, j->rs, len, piece);
                add_to(j->dtype, s, piece);
            }
        } else {
            j->k->pairwise[j->dtype](j->x + xo, j->rs, j->R, s);
        }
        finish(j->dtype, j->op, s, j->R, j->out + oo);
    }
}

/* A column block: the accumulators of one piece of the inner axis, which stay
 * in cache while the reduced axis streams past them. Long pieces matter more
 * than L1: each piece of a line is a new stream for the prefetchers, and at
 * 8 KiB (half a float64 row of 2048) the axis-0 mean of 2048^2 float64 and
 * 4096^2 float32 ran at 0.7x NumPy on Zen 4, at 32-64 KiB at 1.0-1.3x. So a
 * block is a sixteenth of L2, between 8 and 64 KiB. */
#define COLUMN_BLOCK_MAX (64u * 1024u)
static size_t column_block_bytes(void)
{
    size_t b = rp_cache()->l2_bytes / 16;
    return b < 8192 ? 8192 : b > COLUMN_BLOCK_MAX ? COLUMN_BLOCK_MAX : b;
}

static void columns_chunk(void *ctx, size_t c)
{
    const axis_job *j = ctx;
    size_t total = j->nouter_total * j->nblocks;
    size_t b = c * j->per_chunk, e = b + j->per_chunk < total ? b + j->per_chunk : total;
    _Alignas(64) char acc[COLUMN_BLOCK_MAX];
    for (size_t w = b; w < e; w++) {
        size_t o = w / j->nblocks, blk = w % j->nblocks;
        size_t c0 = blk * j->block;
        size_t len = (size_t)j->inner.n - c0 < j->block ? (size_t)j->inner.n - c0 : j->block;
        int64_t xo, oo;
        offsets(j->outer, j->nouter, o, &xo, &oo);
        const char *xp = j->x + xo + (int64_t)c0 * j->inner.xs;
        char *op = j->out + oo + (int64_t)c0 * j->inner.os;
        memset(acc, 0, len * j->es); /* the identity, +0.0 */
        for (size_t r = 0; r < j->R; r++)
            j->k->accumulate[j->dtype](xp + (ptrdiff_t)r * j->rs, (ptrdiff_t)j->inner.xs, acc, len);
        for (size_t i = 0; i < len; i++) {
            /* finish() adds +0.0 again: harmless, (+0.0 + s) + 0.0 == +0.0 + s. */
            finish(j->dtype, j->op, acc + i * j->es, j->R, op + (int64_t)i * j->inner.os);
        }
    }
}

static size_t chunk_items(size_t items, int nt)
{
    size_t want = (size_t)nt * 8;
    return nt <= 1 ? (items ? items : 1) : (items + want - 1) / want;
}

static int reduce(int dtype, int op, int ndim, const int64_t *shape, const void *xv,
                  const int64_t *xs, int axis, void *outv, const int64_t *os, size_t bufsize,
                  int buffered)
{
    if ((op != RAPTORS_SUM && op != RAPTORS_MEAN) || ndim < 0 || ndim > RAPTORS_MAX_DIMS ||
        axis < RAPTORS_ALL_AXES || axis >= ndim || bufsize == 0)
        return RAPTORS_EINVAL;
    if ((ndim > 0 && (shape == NULL || xs == NULL)) || outv == NULL ||
        (axis != RAPTORS_ALL_AXES && os == NULL))
        return RAPTORS_EINVAL;
    const size_t es = rp_element_size(dtype);
    const char *x = xv;
    char *out = outv;
    size_t n;
    if (rp_count_elements(ndim, shape, es, 2, &n) != RAPTORS_OK)
        return RAPTORS_EINVAL;
    const int empty = n == 0;
    const rp_kernel_set *k = rp_plan_kernels(RP_FAM_REDUCE, dtype, RP_STORE_PLAIN, n * es);
    if (!empty && x == NULL)
        return RAPTORS_EINVAL;
    /* NumPy copies misaligned data into its buffer (an aligning cast), which
     * changes the order as a byte-swapping cast does. */
    if ((uintptr_t)x % es != 0)
        buffered = 1;
    for (int d = 0; d < ndim; d++)
        if (shape[d] > 1 && xs[d] % (int64_t)es != 0)
            buffered = 1;

    /* The axes, length 1 dropped, in NumPy's iteration order; the reduced one
     * (if any, and not of length 1) marked by reduced_at. */
    dims_t dims = {0};
    char zero[sizeof(double)] = {0};
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1)
            continue;
        axis_t a = {shape[d], xs[d], axis == RAPTORS_ALL_AXES || d == axis ? 0 : os[d]};
        dims.a[dims.nd++] = a;
    }
    int reduced_at = -1;
    if (axis != RAPTORS_ALL_AXES && shape[axis] != 1) {
        for (int d = 0; d < axis; d++)
            reduced_at += shape[d] != 1;
        reduced_at++;
    }
    order_axes(&dims, &reduced_at);

    if (axis == RAPTORS_ALL_AXES) {
        if (empty) {
            finish(dtype, op, zero, 0, out);
            return RAPTORS_OK;
        }
        /* Merge neighbours that are one run. */
        int m = 0;
        for (int i = 0; i < dims.nd; i++) {
            if (m > 0 && dims.a[m - 1].xs == dims.a[i].xs * dims.a[i].n) {
                dims.a[m - 1].n *= dims.a[i].n;
                dims.a[m - 1].xs = dims.a[i].xs;
            } else {
                dims.a[m++] = dims.a[i];
            }
        }
        dims.nd = m;
        char s[sizeof(double)];
        int rc;
        if (dims.nd == 0) /* one element */
            rc = tree_sum(k, dtype, x, (ptrdiff_t)es, 1, s);
        else if (dims.nd == 1 && !buffered)
            rc = tree_sum(k, dtype, x, (ptrdiff_t)dims.a[0].xs, (size_t)dims.a[0].n, s);
        else
            rc = segments_sum(k, dtype, x, &dims, bufsize, buffered, s);
        if (rc == RAPTORS_OK)
            finish(dtype, op, s, n, out);
        return rc;
    }

    if (empty && shape[axis] != 0)
        return RAPTORS_OK; /* no outputs */
    /* The reduced axis innermost: ROWS; else COLUMNS, along the innermost axis. */
    const int innermost = reduced_at < 0 || reduced_at == dims.nd - 1;
    if (reduced_at >= 0) {
        for (int i = reduced_at; i + 1 < dims.nd; i++)
            dims.a[i] = dims.a[i + 1];
        dims.nd--;
    }
    axis_job j = {.k = k, .dtype = dtype, .op = op, .es = es, .x = x, .out = out,
                  .outer = dims.a, .nouter = dims.nd, .nouter_total = 1,
                  .R = (size_t)shape[axis], .rs = (ptrdiff_t)xs[axis], .bufsize = bufsize,
                  .buffered = buffered};
    for (int i = 0; i < dims.nd; i++)
        j.nouter_total *= (size_t)dims.a[i].n;
    if (j.R == 0) { /* every output is the identity (a mean: 0 / 0) */
        for (size_t i = 0; i < j.nouter_total; i++) {
            int64_t xo, oo;
            offsets(dims.a, dims.nd, i, &xo, &oo);
            finish(dtype, op, zero, 0, out + oo);
        }
        return RAPTORS_OK;
    }
    int nt = rp_threads_for_family(RP_FAM_REDUCE, n * es);
    if (innermost) {
        j.per_chunk = chunk_items(j.nouter_total, nt);
        rp_parallel_for(rows_chunk, &j, (j.nouter_total + j.per_chunk - 1) / j.per_chunk, nt);
        return RAPTORS_OK;
    }
    /* COLUMNS: the innermost axis runs in blocks, the rest index them. */
    j.inner = dims.a[dims.nd - 1];
    j.nouter = dims.nd - 1;
    j.nouter_total /= (size_t)j.inner.n;
    size_t cols = (size_t)j.inner.n, block = column_block_bytes() / es;
    /* Threads take whole outer positions. Splitting the columns of one position
     * between threads instead (each reading a piece of every line) measured 2-5x
     * slower than one thread on the shared Zen 4 VM, where a worker that loses
     * its core holds half the work and nothing is left to steal. */
    if (j.nouter_total < (size_t)nt)
        nt = j.nouter_total > 1 ? (int)j.nouter_total : 1;
    j.block = block;
    j.nblocks = (cols + block - 1) / block;
    size_t items = j.nouter_total * j.nblocks;
    j.per_chunk = chunk_items(items, nt);
    rp_parallel_for(columns_chunk, &j, (items + j.per_chunk - 1) / j.per_chunk, nt);
    return RAPTORS_OK;
}

int raptors_reduce_f32(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, int axis, void *out, const int64_t *out_strides,
                       size_t bufsize)
{
    return reduce(RP_F32, op, ndim, shape, x, x_strides, axis, out, out_strides, bufsize, 0);
}

int raptors_reduce_f64(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, int axis, void *out, const int64_t *out_strides,
                       size_t bufsize)
{
    return reduce(RP_F64, op, ndim, shape, x, x_strides, axis, out, out_strides, bufsize, 0);
}

int raptors_reduce_packed(const int64_t *a)
{
    if (a == NULL)
        return RAPTORS_EINVAL;
    const int64_t code = a[0];
    const int dtype = rp_packed_dtype(code), op = rp_packed_op(code);
    if (dtype < 0)
        return RAPTORS_EINVAL;
    const void *x = rp_packed_addr(code, a[2]);
    void *out = rp_packed_addr(code, a[3]);
    if (a[5] <= 0)
        return RAPTORS_EINVAL;
    if (code & RAPTORS_PACKED_CONTIG) {
        const int64_t es = (int64_t)rp_element_size(dtype);
        return reduce(dtype, op, 1, &a[1], x, &es, RAPTORS_ALL_AXES, out, NULL, (size_t)a[5],
                      (code & RAPTORS_PACKED_BUFFERED) != 0);
    }
    if (a[1] < 0 || a[1] > RAPTORS_MAX_DIMS || a[4] < RAPTORS_ALL_AXES || a[4] >= a[1])
        return RAPTORS_EINVAL;
    const int ndim = (int)a[1];
    const int64_t *shape = a + 6, *xs = shape + ndim, *os = xs + ndim;
    return reduce(dtype, op, ndim, shape, x, xs, (int)a[4], out, os, (size_t)a[5],
                  (code & RAPTORS_PACKED_BUFFERED) != 0);
}

static int reduce_ref(int dtype, int op, const void *const *x_ref, size_t n, void *const *out_ref)
{
    const size_t es = rp_element_size(dtype);
    if (x_ref == NULL || out_ref == NULL || n > (size_t)INT64_MAX / es)
        return RAPTORS_EINVAL;
    const int64_t shape = (int64_t)n, stride = (int64_t)es;
    return reduce(dtype, op, 1, &shape, *x_ref, &stride, RAPTORS_ALL_AXES, *out_ref, NULL, 1, 0);
}

int raptors_reduce_f32_ref(int op, const void *const *x_ref, size_t n, void *const *out_ref)
{
    return reduce_ref(RP_F32, op, x_ref, n, out_ref);
}

int raptors_reduce_f64_ref(int op, const void *const *x_ref, size_t n, void *const *out_ref)
{
    return reduce_ref(RP_F64, op, x_ref, n, out_ref);
}
