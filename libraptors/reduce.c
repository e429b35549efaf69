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
#include "dispatch.h"
#include "family.h"
#include "layout.h"
#include "plan.h"
#include "threads.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The layout's operands. */
enum { X = 0, OUT = 1 };

/* ---- typed scalar steps, outside the kernels ---- */
static void add_to(int dtype, void *acc, const void *v)
{
    if (dtype == RAPTORS_DTYPE_FLOAT32)
        *(float *)acc += *(const float *)v;
    else
        *(double *)acc += *(const double *)v;
}

/* out = s, divided by count for a mean: (float)((double)s / (double)count) --
 * NumPy divides by an intp, in double. */
static void store(int dtype, int op, const void *s, size_t count, char *out)
{
    if (dtype == RAPTORS_DTYPE_FLOAT32) {
        float v = *(const float *)s;
        if (op == RAPTORS_OP_MEAN)
            v = (float)((double)v / (double)count);
        memcpy(out, &v, sizeof v);
    } else {
        double v = *(const double *)s;
        if (op == RAPTORS_OP_MEAN)
            v = v / (double)count;
        memcpy(out, &v, sizeof v);
    }
}

/* out = +0.0 + s (the identity NumPy writes first), then as store(). */
static void finish(int dtype, int op, const void *s, size_t count, char *out)
{
    char v[sizeof(double)];
    memset(v, 0, sizeof v);
    add_to(dtype, v, s);
    store(dtype, op, v, count, out);
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
    int nt = rp_threads_for(RAPTORS_FAMILY_REDUCE, n * es);
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
    const rp_layout *L; /* all axes, outermost first */
    int nouter;         /* axes outside D */
    int core_at;        /* first axis of the core (D is core_at - 1) */
    size_t core;        /* elements of one core */
    size_t per_seg;     /* cores (positions along D) per segment */
    size_t pieces;      /* segments per position of the outer axes */
    size_t nsegs;
    rp_pieces chunks;   /* segments per thread's piece */
    char *part;         /* one element per segment */
    int failed;
} seg_job;

/* Copy positions [d0, d1) of D at outer offset xo, each a whole core, into buf. */
static void seg_gather(const seg_job *j, const char *xo, size_t d0, size_t d1, char *buf)
{
    const rp_layout *L = j->L;
    const int last = L->nd - 1;
    const int64_t Ds = L->s[X][j->core_at - 1], ls = L->s[X][last];
    const size_t len = (size_t)L->n[last], lines = j->core / len;
    int64_t off[RP_MAX_OPERANDS];
    for (size_t d = d0; d < d1; d++)
        for (size_t l = 0; l < lines; l++) {
            rp_layout_offsets(L, j->core_at, last - j->core_at, l, off);
            const char *src = xo + (int64_t)d * Ds + off[X];
            for (size_t i = 0; i < len; i++, buf += j->es)
                memcpy(buf, src + (int64_t)i * ls, j->es);
        }
}

static void seg_chunk(void *ctx, size_t c)
{
    seg_job *j = ctx;
    const rp_layout *L = j->L;
    size_t s0 = rp_piece_begin(&j->chunks, c), s1 = rp_piece_begin(&j->chunks, c + 1);
    const size_t Dn = (size_t)L->n[j->core_at - 1];
    const int64_t Ds = L->s[X][j->core_at - 1];
    /* No copy for a piece of a line (core_at == nd: cores of one element) or a
     * whole line, unbuffered: the kernel reads them where they are. */
    const int piece = j->core_at == L->nd;
    const int direct = piece || (j->per_seg == 1 && j->core_at == L->nd - 1);
    char *buf = direct ? NULL : malloc(j->per_seg * j->core * j->es);
    if (!direct && buf == NULL) {
        j->failed = 1;
        return;
    }
    for (size_t s = s0; s < s1; s++) {
        size_t o = s / j->pieces, d0 = s % j->pieces * j->per_seg;
        size_t d1 = d0 + j->per_seg < Dn ? d0 + j->per_seg : Dn;
        int64_t off[RP_MAX_OPERANDS];
        rp_layout_offsets(L, 0, j->nouter, o, off);
        if (direct) {
            j->k->pairwise[j->dtype](j->x + off[X] + (int64_t)d0 * Ds,
                                     (ptrdiff_t)(piece ? Ds : L->s[X][j->core_at]),
                                     piece ? d1 - d0 : j->core, j->part + s * j->es);
            continue;
        }
        seg_gather(j, j->x + off[X], d0, d1, buf);
        j->k->pairwise[j->dtype](buf, (ptrdiff_t)j->es, (d1 - d0) * j->core, j->part + s * j->es);
    }
    free(buf);
}

static int segments_sum(const rp_kernel_set *k, int dtype, const char *x, const rp_layout *L,
                        size_t bufsize, int buffered, void *res)
{
    const size_t es = rp_element_size(dtype);
    seg_job j = {.k = k, .dtype = dtype, .es = es, .x = x, .L = L};
    int at = L->nd;
    size_t core = 1, total = rp_layout_size(L, 0, L->nd);
    while (at > 0 && core * (size_t)L->n[at - 1] <= bufsize)
        core *= (size_t)L->n[--at];
    if (at == 0) { /* the whole view fits one buffer: one segment */
        at = 1;
        core /= (size_t)L->n[0];
        j.per_seg = (size_t)L->n[0];
    } else if (at == L->nd && buffered) { /* a line longer than the buffer, copied: */
        j.per_seg = bufsize;                 /* pieces of bufsize elements */
    } else if (at == L->nd) { /* a line longer than the buffer: line by line, unbuffered */
        at = L->nd - 1;
        core = (size_t)L->n[at];
        j.per_seg = 1;
    } else {
        j.per_seg = bufsize / core;
    }
    j.core_at = at;
    j.core = core;
    j.nouter = at - 1;
    j.pieces = ((size_t)L->n[at - 1] + j.per_seg - 1) / j.per_seg;
    j.nsegs = total / core / (size_t)L->n[at - 1] * j.pieces;
    j.part = malloc(j.nsegs * es);
    if (j.part == NULL)
        return RAPTORS_ENOMEM;
    int nt = rp_threads_for(RAPTORS_FAMILY_REDUCE, total * es);
    j.chunks = rp_cut(j.nsegs, nt, 8, 1, 1, 0);
    rp_parallel_for(seg_chunk, &j, j.chunks.count, nt);
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
    const rp_layout *L; /* the other axes: they index the outputs (ROWS) or the column runs */
    int nouter;
    size_t nouter_total;
    size_t R;          /* length of the reduced axis */
    size_t bufsize;
    int buffered;      /* NumPy copies the input (cast): lines cut at bufsize */
    ptrdiff_t rs;      /* its byte stride */
    /* COLUMNS only: the innermost other axis (L's last), in blocks. */
    size_t block, nblocks;
    rp_pieces chunks;  /* work items per thread's piece */
} axis_job;

static void rows_chunk(void *ctx, size_t c)
{
    const axis_job *j = ctx;
    size_t b = rp_piece_begin(&j->chunks, c), e = rp_piece_begin(&j->chunks, c + 1);
    for (size_t i = b; i < e; i++) {
        int64_t off[RP_MAX_OPERANDS];
        char s[sizeof(double)];
        rp_layout_offsets(j->L, 0, j->nouter, i, off);
        if (j->buffered && j->R > j->bufsize) { /* a copied line, in buffer-sized pieces */
            char piece[sizeof(double)];
            memset(s, 0, j->es);
            for (size_t p = 0; p < j->R; p += j->bufsize) {
                size_t len = j->R - p < j->bufsize ? j->R - p : j->bufsize;
                j->k->pairwise[j->dtype](j->x + off[X] + (ptrdiff_t)p * j->rs, j->rs, len, piece);
                add_to(j->dtype, s, piece);
            }
        } else {
            j->k->pairwise[j->dtype](j->x + off[X], j->rs, j->R, s);
        }
        finish(j->dtype, j->op, s, j->R, j->out + off[OUT]);
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
    const int in = j->nouter; /* the inner axis */
    const size_t cols = (size_t)j->L->n[in];
    const int64_t ixs = j->L->s[X][in], ios = j->L->s[OUT][in];
    size_t b = rp_piece_begin(&j->chunks, c), e = rp_piece_begin(&j->chunks, c + 1);
    _Alignas(64) char acc[COLUMN_BLOCK_MAX];
    for (size_t w = b; w < e; w++) {
        size_t o = w / j->nblocks, blk = w % j->nblocks;
        size_t c0 = blk * j->block;
        size_t len = cols - c0 < j->block ? cols - c0 : j->block;
        int64_t off[RP_MAX_OPERANDS];
        rp_layout_offsets(j->L, 0, j->nouter, o, off);
        const char *xp = j->x + off[X] + (int64_t)c0 * ixs;
        char *op = j->out + off[OUT] + (int64_t)c0 * ios;
        memset(acc, 0, len * j->es); /* the identity, +0.0 */
        for (size_t r = 0; r < j->R; r++)
            j->k->accumulate[j->dtype](xp + (ptrdiff_t)r * j->rs, (ptrdiff_t)ixs, acc, len);
        for (size_t i = 0; i < len; i++) {
            /* The accumulators started at the identity already: adding +0.0 again
             * would turn a -0.0 that flush-to-zero made into +0.0. */
            store(j->dtype, j->op, acc + i * j->es, j->R, op + (int64_t)i * ios);
        }
    }
}

int rp_reduce(int op, int dtype, int ndim, const int64_t *shape, const char *x,
              const int64_t *xs, int axis, char *out, const int64_t *os, size_t bufsize,
              int buffered, size_t n)
{
    const size_t es = rp_element_size(dtype);
    const int empty = n == 0;
    const rp_kernel_set *k = rp_plan_kernels(RAPTORS_FAMILY_REDUCE, dtype, RP_STORE_PLAIN, n * es);
    /* NumPy copies misaligned data into its buffer (an aligning cast), which
     * changes the order as a byte-swapping cast does. */
    if ((uintptr_t)x % es != 0)
        buffered = 1;
    for (int d = 0; d < ndim; d++)
        if (shape[d] > 1 && xs[d] % (int64_t)es != 0)
            buffered = 1;

    /* The axes, length 1 dropped, in NumPy's iteration order; the reduced one
     * (if any, and not of length 1) at reduced_at. */
    int64_t no_out[RAPTORS_MAX_DIMS];
    for (int d = 0; d < ndim; d++)
        no_out[d] = 0;
    const int64_t *strides[2] = {xs, axis == RAPTORS_ALL_AXES ? no_out : os};
    rp_layout L;
    int reduced_at = axis;
    rp_layout_init(&L, ndim, shape, 2, strides, &reduced_at);
    if (reduced_at >= 0)
        L.s[OUT][reduced_at] = 0;
    rp_layout_order_numpy(&L, X, &reduced_at);
    char zero[sizeof(double)] = {0};

    if (axis == RAPTORS_ALL_AXES) {
        if (empty) {
            finish(dtype, op, zero, 0, out);
            return RAPTORS_OK;
        }
        rp_layout_merge(&L);
        char s[sizeof(double)];
        int rc;
        if (L.nd == 0) /* one element */
            rc = tree_sum(k, dtype, x, (ptrdiff_t)es, 1, s);
        else if (L.nd == 1 && !buffered)
            rc = tree_sum(k, dtype, x, (ptrdiff_t)L.s[X][0], (size_t)L.n[0], s);
        else
            rc = segments_sum(k, dtype, x, &L, bufsize, buffered, s);
        if (rc == RAPTORS_OK)
            finish(dtype, op, s, n, out);
        return rc;
    }

    if (empty && shape[axis] != 0)
        return RAPTORS_OK; /* no outputs */
    /* The reduced axis innermost: ROWS; else COLUMNS, along the innermost axis. */
    const int innermost = reduced_at < 0 || reduced_at == L.nd - 1;
    if (reduced_at >= 0)
        rp_layout_remove(&L, reduced_at);
    axis_job j = {.k = k, .dtype = dtype, .op = op, .es = es, .x = x, .out = out, .L = &L,
                  .nouter = L.nd, .nouter_total = rp_layout_size(&L, 0, L.nd),
                  .R = (size_t)shape[axis], .rs = (ptrdiff_t)xs[axis], .bufsize = bufsize,
                  .buffered = buffered};
    if (j.R == 0) { /* every output is the identity (a mean: 0 / 0) */
        for (size_t i = 0; i < j.nouter_total; i++) {
            int64_t off[RP_MAX_OPERANDS];
            rp_layout_offsets(&L, 0, L.nd, i, off);
            finish(dtype, op, zero, 0, out + off[OUT]);
        }
        return RAPTORS_OK;
    }
    int nt = rp_threads_for(RAPTORS_FAMILY_REDUCE, n * es);
    if (innermost) {
        j.chunks = rp_cut(j.nouter_total, nt, 8, 1, 1, 0);
        rp_parallel_for(rows_chunk, &j, j.chunks.count, nt);
        return RAPTORS_OK;
    }
    /* COLUMNS: the innermost axis runs in blocks, the rest index them. */
    const size_t cols = (size_t)L.n[L.nd - 1], block = column_block_bytes() / es;
    j.nouter = L.nd - 1;
    j.nouter_total /= cols;
    /* Threads take whole outer positions. Splitting the columns of one position
     * between threads instead (each reading a piece of every line) measured 2-5x
     * slower than one thread on the shared Zen 4 VM, where a worker that loses
     * its core holds half the work and nothing is left to steal. */
    if (j.nouter_total < (size_t)nt)
        nt = j.nouter_total > 1 ? (int)j.nouter_total : 1;
    j.block = block;
    j.nblocks = (cols + block - 1) / block;
    j.chunks = rp_cut(j.nouter_total * j.nblocks, nt, 8, 1, 1, 0);
    rp_parallel_for(columns_chunk, &j, j.chunks.count, nt);
    return RAPTORS_OK;
}
