/*
 * The add-reductions: sum, mean, nansum, nanmean (and nancount, the numbers a
 * nanmean divides by, for raptors.dask), of any dtype of ops.h, over
 * any set of axes, in NumPy 2.4's order (shared research: numpy-reduction-
 * order.md, numpy-surface-order.md), decided from the layout as NumPy's
 * iterator decides it:
 *
 * 1. Axes of length 1 are dropped and the rest put in NumPy's iteration order:
 *    sorted by |stride| of the ordering operand (x's strides; for nan* the
 *    dense copy NumPy sums instead: x.ravel('K')), a given out= voting too.
 *    Every axis is walked in increasing index, negative strides included.
 * 2. Neighbouring reduced axes the ordering operand is contiguous across form
 *    one dimension (NumPy coalesces them); D0 is the innermost dimension.
 * 3. D0 kept (COLUMNS): each output is +0 then each of its elements in turn.
 *    D0 reduced (BLOCKS): each output is +0 then pairwise(piece) for pieces of
 *    its leading reduced block D0..Dm, cut by NumPy's buffering rule (pieces()),
 *    in turn over the reduced positions further out. All axes reduced into one
 *    piece is one pairwise tree (threads take subtrees).
 *
 * The additions are in the sum dtype T (float32/float64: the elements are
 * converted as NumPy's cast buffer converts them, NaN read as +0.0 for nan*),
 * or exact 64-bit integer additions, which give the same bits in any order.
 * Threads take outputs, pieces or subtrees, and the partial results are added
 * in NumPy's order, so every thread count gives the same bits.
 */
#include "dispatch.h"
#include "family.h"
#include "layout.h"
#include "plan.h"
#include "threads.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The layout's operands: x as read, out, and the strides that decide the
 * order (x's own, or the dense copy's for nan*). */
enum { X = 0, OUT = 1, ORD = 2 };

/* Elements a piece that spans lines is gathered by, a node of the pairwise tree at a time. */
#define GATHER 1024

typedef struct reduction reduction;
/* Writes an output: the accumulator a, which added `count` elements, `nans` of them NaN. */
typedef void (*store_fn)(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out);

struct reduction {
    const rp_kernel_set *k;
    store_fn store;               /* chosen once per call (store_for) */
    store_fn value_store;         /* with counts: the store of the sum, before its count */
    int op, src, sum_dtype, kind; /* kind: RP_SUM_F32, RP_SUM_F64 or RP_SUM_INT */
    int mean, nan, count;         /* count: nancount, which stores the numbers counted */
    int to_float, float_kind, src_signed; /* an exact integer sum stored as float_kind */
    size_t xes, oes, aes;         /* bytes of an element of x, of out, of an accumulator */
    rp_pairwise_fn pw;
    rp_accumulate_fn acc;
    const char *x;
    char *out, *counts;           /* counts: NULL, or nansum's numbers, laid out as out */
    rp_layout L;                  /* every axis, in iteration order (outermost first) */
    uint64_t per_output;          /* elements each output adds */
    atomic_int empty_slice;       /* a nanmean output had no number (cnt == 0) */
};

/* ---- accumulators: T, or a uint64 for the integer sum ---- */
static void acc_add(const reduction *r, void *a, const void *b)
{
    if (r->kind == RP_SUM_F32) {
        float u, v;
        memcpy(&u, a, sizeof u);
        memcpy(&v, b, sizeof v);
        u += v;
        memcpy(a, &u, sizeof u);
    } else if (r->kind == RP_SUM_F64) {
        double u, v;
        memcpy(&u, a, sizeof u);
        memcpy(&v, b, sizeof v);
        u += v;
        memcpy(a, &u, sizeof u);
    } else {
        uint64_t u, v;
        memcpy(&u, a, sizeof u);
        memcpy(&v, b, sizeof v);
        u += v;
        memcpy(a, &u, sizeof u);
    }
}

/* The platform's default NaN, what 0.0 / 0.0 gives (sign set on x86), without
 * raising invalid: nanmean divides an all-NaN slice under errstate(ignore). */
static double default_nan(void)
{
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
    return -__builtin_nan("");
#else
    return __builtin_nan("");
#endif
}

/* out = the accumulator a, which added `count` elements of which `nans` were
 * NaN: as is (a float sum), its low bits (an integer sum), or divided in
 * double by the count for a mean, as NumPy divides by an intp. */
static void store_general(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    if (r->count) { /* nancount: the numbers, exact (Python asks for no more than the dtype holds) */
        const uint64_t n = count - nans;
        if (r->kind == RP_SUM_F32) {
            const float f = (float)n;
            memcpy(out, &f, sizeof f);
            return;
        }
        if (r->kind == RP_SUM_F64) {
            const double d = (double)n;
            memcpy(out, &d, sizeof d);
            return;
        }
        a = &n;
    }
    if (r->kind == RP_SUM_INT && !r->to_float) {
        uint64_t v;
        memcpy(&v, a, sizeof v);
        switch (r->oes) {
        case 1: { uint8_t w = (uint8_t)v; memcpy(out, &w, 1); break; }
        case 2: { uint16_t w = (uint16_t)v; memcpy(out, &w, 2); break; }
        case 4: { uint32_t w = (uint32_t)v; memcpy(out, &w, 4); break; }
        default: memcpy(out, &v, 8);
        }
        return;
    }
    double v;
    if (r->to_float) { /* exact, |sum| <= 2^24 or 2^53: converted without rounding */
        uint64_t u;
        memcpy(&u, a, sizeof u);
        v = r->src_signed ? (double)(int64_t)u : (double)u;
    } else if (r->kind == RP_SUM_F32) {
        float f;
        memcpy(&f, a, sizeof f);
        v = (double)f;
    } else {
        memcpy(&v, a, sizeof v);
    }
    if (r->mean) {
        const uint64_t n = r->nan ? count - nans : count;
        if (r->nan && n == 0) {
            v = default_nan();
            atomic_store_explicit(&r->empty_slice, 1, memory_order_relaxed);
        } else {
            v = v / (double)n;
        }
    }
    if ((r->to_float ? r->float_kind : r->kind) == RP_SUM_F32) {
        float f = (float)v;
        memcpy(out, &f, sizeof f);
    } else {
        memcpy(out, &v, sizeof v);
    }
}

/* The common cases, chosen once per call (store_for): a float sum as it is; a mean
 * of a float sum, divided in double by the count, as NumPy divides by an intp. */
static void store_sum_f32(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    (void)r, (void)count, (void)nans;
    memcpy(out, a, sizeof(float));
}

static void store_sum_f64(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    (void)r, (void)count, (void)nans;
    memcpy(out, a, sizeof(double));
}

static void store_mean_f32(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    (void)r, (void)nans;
    float f;
    memcpy(&f, a, sizeof f);
    f = (float)((double)f / (double)count);
    memcpy(out, &f, sizeof f);
}

static void store_mean_f64(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    (void)r, (void)nans;
    double v;
    memcpy(&v, a, sizeof v);
    v = v / (double)count;
    memcpy(out, &v, sizeof v);
}

static store_fn store_for(const reduction *r)
{
    if (r->count || r->to_float || r->nan || r->kind == RP_SUM_INT)
        return store_general;
    if (r->mean)
        return r->kind == RP_SUM_F32 ? store_mean_f32 : store_mean_f64;
    return r->kind == RP_SUM_F32 ? store_sum_f32 : store_sum_f64;
}

/* A nansum that also counts its numbers: the sum, then count - nans at the same
 * offset in counts, exact (Python asks for no more than the dtype holds). */
static void store_counted(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    r->value_store(r, a, count, nans, out);
    char *at = r->counts + (out - r->out);
    if (r->kind == RP_SUM_F32) {
        const float f = (float)(count - nans);
        memcpy(at, &f, sizeof f);
    } else {
        const double d = (double)(count - nans);
        memcpy(at, &d, sizeof d);
    }
}

static void store(reduction *r, const void *a, uint64_t count, uint64_t nans, char *out)
{
    r->store(r, a, count, nans, out);
}

/* ---- the dimensions: axes grouped as NumPy coalesces them ---- */
typedef struct {
    int nd;               /* dimensions, innermost first */
    int first[RAPTORS_MAX_DIMS], count[RAPTORS_MAX_DIMS]; /* their axes in r->L */
    int reduced[RAPTORS_MAX_DIMS];
    uint64_t size[RAPTORS_MAX_DIMS];
} dims;

static int is_reduced(const rp_layout *L, int d) { return L->s[OUT][d] == 0; }

static void group_dims(const rp_layout *L, dims *D)
{
    D->nd = 0;
    for (int d = L->nd - 1; d >= 0; d--) {
        const int red = is_reduced(L, d);
        if (D->nd > 0) {
            const int j = D->nd - 1, inner = D->first[j];
            if (red && D->reduced[j] && L->s[ORD][d] == L->s[ORD][inner] * L->n[inner]) {
                D->first[j] = d; /* one more axis, outward */
                D->count[j]++;
                D->size[j] *= (uint64_t)L->n[d];
                continue;
            }
        }
        D->first[D->nd] = d;
        D->count[D->nd] = 1;
        D->reduced[D->nd] = red;
        D->size[D->nd] = (uint64_t)L->n[d];
        D->nd++;
    }
}

/* Merge neighbouring axes x (and out) are one run across, within a dimension
 * (keeping the dimensions), so the kernels see long strided runs. */
static void merge_runs(rp_layout *L, dims *D)
{
    rp_layout M = *L;
    int m = 0;
    int start[RAPTORS_MAX_DIMS]; /* first merged axis of each dimension */
    for (int j = D->nd - 1; j >= 0; j--) { /* outermost dimension first */
        start[j] = m;
        for (int d = D->first[j]; d < D->first[j] + D->count[j]; d++) {
            if (m > start[j] && L->s[X][d] * L->n[d] == M.s[X][m - 1] &&
                L->s[OUT][d] * L->n[d] == M.s[OUT][m - 1]) {
                M.n[m - 1] *= L->n[d];
                for (int k = 0; k < RP_MAX_OPERANDS; k++)
                    M.s[k][m - 1] = L->s[k][d];
                continue;
            }
            M.n[m] = L->n[d];
            for (int k = 0; k < RP_MAX_OPERANDS; k++)
                M.s[k][m] = L->s[k][d];
            m++;
        }
    }
    M.nd = m;
    for (int j = D->nd - 1; j >= 0; j--) {
        const int end = j > 0 ? start[j - 1] : m;
        D->first[j] = start[j];
        D->count[j] = end - start[j];
    }
    *L = M;
}

/* A sub-layout of some of L's axes, in L's order: those of `want` (reduced or kept)
 * within axes [lo, hi). */
static void pick_axes(const rp_layout *L, int lo, int hi, int want_reduced, rp_layout *S)
{
    S->nd = 0;
    S->nops = L->nops;
    for (int d = lo; d < hi; d++) {
        if (is_reduced(L, d) != want_reduced)
            continue;
        S->n[S->nd] = L->n[d];
        for (int k = 0; k < RP_MAX_OPERANDS; k++)
            S->s[k][S->nd] = L->s[k][d];
        S->nd++;
    }
}

/* ---- the pairwise sum of a range of a block (a sub-layout, C order) ---- */
static void gather(const reduction *r, const rp_layout *B, const char *base, size_t a, size_t n,
                   char *buf)
{
    const int in = B->nd - 1;
    const size_t len = (size_t)B->n[in];
    const int64_t s = B->s[X][in];
    while (n > 0) {
        int64_t off[RP_MAX_OPERANDS];
        rp_layout_offsets(B, 0, B->nd, a, off);
        size_t i = a % len, run = len - i < n ? len - i : n;
        const char *p = base + off[X];
        for (size_t e = 0; e < run; e++, buf += r->xes)
            memcpy(buf, p + (int64_t)e * s, r->xes);
        a += run;
        n -= run;
    }
}

/* *res = pairwise sum of elements [a, a + n) of block B at base (NumPy's tree over
 * them); NaNs counted into *nans. */
static void block_sum(const reduction *r, const rp_layout *B, const char *base, size_t a,
                      size_t n, void *res, uint64_t *nans)
{
    const int in = B->nd - 1;
    const size_t len = in >= 0 ? (size_t)B->n[in] : 1;
    if (in < 0 || a / len == (a + n - 1) / len || n == 0) { /* within one line */
        int64_t off[RP_MAX_OPERANDS] = {0, 0, 0};
        if (in >= 0)
            rp_layout_offsets(B, 0, B->nd, a, off);
        r->pw(base + off[X], (ptrdiff_t)(in >= 0 ? B->s[X][in] : 0), n, res, nans);
        return;
    }
    if (n <= GATHER) {
        char buf[GATHER * sizeof(double)];
        gather(r, B, base, a, n, buf);
        r->pw(buf, (ptrdiff_t)r->xes, n, res, nans);
        return;
    }
    size_t n2 = rp_pw_split(n);
    char right[sizeof(double)];
    block_sum(r, B, base, a, n2, res, nans);
    block_sum(r, B, base, a + n2, n - n2, right, nans);
    acc_add(r, res, right);
}

/* ---- one piece, one pairwise tree: threads take subtrees ---- */
#define MAX_SUBTREES 1024
typedef struct {
    const reduction *r;
    const rp_layout *B;
    const char *base;
    size_t target;
    size_t start[MAX_SUBTREES], len[MAX_SUBTREES];
    char part[MAX_SUBTREES * sizeof(double)];
    uint64_t nans[MAX_SUBTREES];
} tree_job;

static int is_subtree(const tree_job *t, size_t n) { return n <= t->target || n <= RP_PW_BLOCK; }

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

static void tree_combine(const tree_job *t, size_t n, size_t *next, void *res)
{
    if (is_subtree(t, n)) {
        memcpy(res, t->part + (*next)++ * t->r->aes, t->r->aes);
        return;
    }
    size_t n2 = rp_pw_split(n);
    char b[sizeof(double)];
    tree_combine(t, n2, next, res);
    tree_combine(t, n - n2, next, b);
    acc_add(t->r, res, b); /* left + right */
}

static void tree_chunk(void *ctx, size_t c)
{
    tree_job *t = ctx;
    t->nans[c] = 0;
    block_sum(t->r, t->B, t->base, t->start[c], t->len[c], t->part + c * t->r->aes, &t->nans[c]);
}

static int tree_sum(const reduction *r, const rp_layout *B, const char *base, size_t n, void *res,
                    uint64_t *nans)
{
    int nt = rp_threads_for(RAPTORS_FAMILY_REDUCE, n * r->xes);
    if (nt <= 1) {
        block_sum(r, B, base, 0, n, res, nans);
        return RAPTORS_OK;
    }
    tree_job *t = malloc(sizeof *t);
    if (t == NULL)
        return RAPTORS_ENOMEM;
    /* About eight subtrees per thread (claimed dynamically); a node splits
     * while bigger than target, so there are fewer than 2 n / target. */
    size_t pieces = (size_t)nt * 8 < MAX_SUBTREES / 4 ? (size_t)nt * 8 : MAX_SUBTREES / 4;
    t->r = r;
    t->B = B;
    t->base = base;
    t->target = n / pieces > 4096 ? n / pieces : 4096;
    if (rp_forced_piece_items() != 0) { /* as forced, within MAX_SUBTREES (< 2 n / target) */
        const size_t least = (2 * n + MAX_SUBTREES - 1) / MAX_SUBTREES;
        t->target = rp_forced_piece_items() > least ? rp_forced_piece_items() : least;
    }
    size_t count = 0, next = 0;
    tree_enumerate(t, 0, n, &count);
    rp_parallel_for(tree_chunk, t, count, nt);
    tree_combine(t, n, &next, res);
    for (size_t c = 0; c < count; c++)
        *nans += t->nans[c];
    free(t);
    return RAPTORS_OK;
}

/* An output that is one pairwise tree of n elements: +0, then the tree's sum, stored. */
static int one_tree(reduction *r, const rp_layout *B, const char *x, size_t n, char *out)
{
    char s[sizeof(double)], acc[sizeof(double)] = {0};
    uint64_t nans = 0;
    const int rc = tree_sum(r, B, x, n, s, &nans);
    if (rc != RAPTORS_OK)
        return rc;
    acc_add(r, acc, s); /* +0 first */
    store(r, acc, r->per_output, nans, out);
    return RAPTORS_OK;
}

/* ---- BLOCKS: D0 reduced ----
 * NumPy's pieces of one output's leading block D0..Dm (numpy-surface-order.md
 * section 0.2): units of `unit` elements, each cut into pieces of `piece`. */
typedef struct {
    size_t unit, piece;
} cut;

static cut pieces(const dims *D, int m, size_t B, int cast)
{
    uint64_t S[RAPTORS_MAX_DIMS];
    for (int j = 0; j <= m; j++)
        S[j] = (j ? S[j - 1] : 1) * D->size[j];
    const size_t n0 = (size_t)D->size[0];
    if (cast && n0 >= B) /* a cast line: B, B, ..., n0 mod B */
        return (cut){n0, B};
    if (m == 0 || 2 * n0 > B) /* each D0 line whole */
        return (cut){n0, n0};
    int b = 1; /* the buffer's core grows while it is below B */
    while (b + 1 <= m && S[b] < B)
        b++;
    const int kept_after = m + 1 < D->nd;
    if (b == m && kept_after && S[m] < B && 3 * S[m] <= 2 * B)
        return (cut){(size_t)S[m], (size_t)S[m]}; /* the whole block */
    const size_t core = (size_t)S[b - 1];
    return (cut){(size_t)S[b], core * (B / core)}; /* whole cores, never crossing D_b */
}

typedef struct {
    reduction *r;
    rp_layout K, R, B;    /* kept axes, reduced axes outside the block, the block */
    size_t outputs, outer, block;
    cut c;
    size_t per_output;    /* pieces per output: outer * ceil-pieces of the block */
    size_t units, unit_pieces;
    rp_pieces chunks;
    /* by pieces (few outputs): one partial sum and NaN count per piece */
    char *part;
    uint64_t *part_nans;
} blocks_job;

/* Piece q (of per_output) of output o: its sum into res. */
static void one_piece(const blocks_job *j, size_t o, size_t q, void *res, uint64_t *nans)
{
    const size_t p = q / (j->units * j->unit_pieces), rest = q % (j->units * j->unit_pieces);
    const size_t u = rest / j->unit_pieces, k = rest % j->unit_pieces;
    int64_t ko[RP_MAX_OPERANDS], ro[RP_MAX_OPERANDS];
    rp_layout_offsets(&j->K, 0, j->K.nd, o, ko);
    rp_layout_offsets(&j->R, 0, j->R.nd, p, ro);
    const size_t a = u * j->c.unit + k * j->c.piece;
    const size_t len = j->c.unit - k * j->c.piece < j->c.piece ? j->c.unit - k * j->c.piece
                                                                  : j->c.piece;
    block_sum(j->r, &j->B, j->r->x + ko[X] + ro[X], a, len, res, nans);
}

static void output_offset(const blocks_job *j, size_t o, char **out)
{
    int64_t ko[RP_MAX_OPERANDS];
    rp_layout_offsets(&j->K, 0, j->K.nd, o, ko);
    *out = j->r->out + ko[OUT];
}

static void by_outputs_chunk(void *ctx, size_t c)
{
    blocks_job *j = ctx;
    const reduction *r = j->r;
    if (j->per_output == 1 && j->B.nd == 1) { /* rows: one pairwise sum each */
        for (size_t o = rp_piece_begin(&j->chunks, c); o < rp_piece_begin(&j->chunks, c + 1);
             o++) {
            char acc[sizeof(double)] = {0}, s[sizeof(double)];
            uint64_t nans = 0;
            int64_t ko[RP_MAX_OPERANDS];
            rp_layout_offsets(&j->K, 0, j->K.nd, o, ko);
            r->pw(r->x + ko[X], (ptrdiff_t)j->B.s[X][0], j->block, s, &nans);
            acc_add(r, acc, s);
            store(j->r, acc, r->per_output, nans, r->out + ko[OUT]);
        }
        return;
    }
    for (size_t o = rp_piece_begin(&j->chunks, c); o < rp_piece_begin(&j->chunks, c + 1); o++) {
        char acc[sizeof(double)] = {0}, s[sizeof(double)];
        uint64_t nans = 0;
        for (size_t q = 0; q < j->per_output; q++) {
            one_piece(j, o, q, s, &nans);
            acc_add(r, acc, s);
        }
        char *out;
        output_offset(j, o, &out);
        store(j->r, acc, r->per_output, nans, out);
    }
}

static void by_pieces_chunk(void *ctx, size_t c)
{
    blocks_job *j = ctx;
    for (size_t i = rp_piece_begin(&j->chunks, c); i < rp_piece_begin(&j->chunks, c + 1); i++) {
        j->part_nans[i] = 0;
        one_piece(j, i / j->per_output, i % j->per_output, j->part + i * j->r->aes,
                  &j->part_nans[i]);
    }
}

static int blocks(reduction *r, const dims *D, size_t bufsize, int cast)
{
    const rp_layout *L = &r->L;
    int m = 0;
    while (m + 1 < D->nd && D->reduced[m + 1])
        m++;
    blocks_job j = {.r = r};
    const int block_lo = D->first[m]; /* the block: the axes of D0..Dm, innermost in L */
    pick_axes(L, block_lo, L->nd, 1, &j.B);
    pick_axes(L, 0, block_lo, 1, &j.R);
    pick_axes(L, 0, L->nd, 0, &j.K);
    j.outputs = rp_layout_size(&j.K, 0, j.K.nd);
    j.outer = rp_layout_size(&j.R, 0, j.R.nd);
    j.block = rp_layout_size(&j.B, 0, j.B.nd);
    j.c = pieces(D, m, bufsize, cast && r->kind != RP_SUM_INT);
    j.units = j.block / j.c.unit;
    j.unit_pieces = (j.c.unit + j.c.piece - 1) / j.c.piece;
    j.per_output = j.outer * j.units * j.unit_pieces;
    const size_t n = j.outputs * j.outer * j.block;
    int nt = rp_threads_for(RAPTORS_FAMILY_REDUCE, n * r->xes);

    if (j.outputs == 1 && j.per_output == 1) { /* one pairwise tree */
        int64_t ko[RP_MAX_OPERANDS];
        rp_layout_offsets(&j.K, 0, j.K.nd, 0, ko);
        return one_tree(r, &j.B, r->x + ko[X], j.block, r->out + ko[OUT]);
    }
    if (j.outputs >= 4 * (size_t)nt || nt <= 1) {
        j.chunks = rp_cut(j.outputs, nt, 8, 1, 1, 0);
        rp_parallel_for(by_outputs_chunk, &j, j.chunks.count, nt);
        return RAPTORS_OK;
    }
    /* Few outputs: threads take pieces, added to their output in order after. */
    const size_t items = j.outputs * j.per_output;
    j.part = malloc(items * r->aes);
    j.part_nans = malloc(items * sizeof *j.part_nans);
    if (j.part == NULL || j.part_nans == NULL) {
        free(j.part);
        free(j.part_nans);
        return RAPTORS_ENOMEM;
    }
    j.chunks = rp_cut(items, nt, 8, 1, 1, 0);
    rp_parallel_for(by_pieces_chunk, &j, j.chunks.count, nt);
    for (size_t o = 0; o < j.outputs; o++) {
        char acc[sizeof(double)] = {0};
        uint64_t nans = 0;
        for (size_t q = 0; q < j.per_output; q++) {
            acc_add(r, acc, j.part + (o * j.per_output + q) * r->aes);
            nans += j.part_nans[o * j.per_output + q];
        }
        char *out;
        output_offset(&j, o, &out);
        store(r, acc, r->per_output, nans, out);
    }
    free(j.part);
    free(j.part_nans);
    return RAPTORS_OK;
}

/* ---- COLUMNS: D0 kept ----
 * A column block: the accumulators of one piece of the innermost (kept) axis,
 * which stay in cache while the reduced positions stream past them. Long
 * pieces matter more than L1: each piece of a line is a new stream for the
 * prefetchers, and at 8 KiB (half a float64 row of 2048) the axis-0 mean of
 * 2048^2 float64 and 4096^2 float32 ran at 0.7x NumPy on Zen 4, at 32-64 KiB at
 * 1.0-1.3x. So a block is a sixteenth of L2, between 8 and 64 KiB. */
#define COLUMN_BLOCK_MAX (64u * 1024u)
static size_t column_block_bytes(void)
{
    size_t b = rp_cache()->l2_bytes / 16;
    return b < 8192 ? 8192 : b > COLUMN_BLOCK_MAX ? COLUMN_BLOCK_MAX : b;
}

/* Each line of a column block starts a new stream that the hardware prefetchers
 * must detect again, at each page: the block of the line PREFETCH_LINES ahead of
 * each line a pass adds is prefetched (a line of a block is read in 80-160 ns at
 * 25 GB/s, L3's and DRAM's latency is 100-300 ns), when x is larger than L2 (else
 * it stays there between calls). Axis-0 mean from L3, 2 threads: 2048^2 float32
 * 1.8 -> 2.1-2.3x NumPy, 1024^2 1.33 -> 1.4-1.5x. */
#define PREFETCH_LINES 2


/* Too few outer positions to go round the threads: they share each one's columns,
 * in bands that each thread claims whole (the additions of a column stay in order).
 * A band is a page of every line -- the hardware prefetchers follow a stream within
 * a page, so shorter pieces of each line run slower (2048^2 float64 on two threads:
 * 1.65x NumPy in 4 KiB bands, 1.11x in 2 KiB) -- or, for lines under two pages,
 * half a line, so that both threads have one. */
static size_t band_columns(size_t cols, size_t es, int nt, size_t most)
{
    static size_t page;
    if (page == 0) {
        const long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    const size_t line = 64 / es, row = cols * es; /* a cache line of elements */
    size_t bytes = row < 2 * page ? (row + (size_t)nt - 1) / (size_t)nt : page;
    size_t b = (bytes / es + line - 1) / line * line;
    if (b < line)
        b = line;
    return b < most ? b : most;
}

typedef struct {
    reduction *r;
    rp_layout K, R;      /* kept axes but the innermost; reduced axes */
    size_t cols, rows;   /* innermost axis; reduced positions */
    int64_t cxs, cos;    /* its strides in x and out */
    size_t block, nblocks;
    int prefetch;        /* contiguous lines of an x larger than L2 */
    rp_pieces chunks;
} columns_job;

/* The kernels count a column's NaNs in 32 bits: emptied into 64-bit totals every
 * NAN_ROWS rows, for which a block has at most WIDE_COLUMNS columns (a pool thread's
 * stack holds acc, nans and wide). The sanitizer build empties them every 3 rows
 * (-DRAPTORS_NAN_ROWS=3), so that its run of the suite takes this path everywhere. */
#ifndef RAPTORS_NAN_ROWS
#define RAPTORS_NAN_ROWS UINT32_MAX
#endif
#define NAN_ROWS ((size_t)RAPTORS_NAN_ROWS)
#define WIDE_COLUMNS (COLUMN_BLOCK_MAX / sizeof(uint64_t))

static void columns_chunk(void *ctx, size_t c)
{
    const columns_job *j = ctx;
    reduction *r = j->r;
    _Alignas(64) char acc[COLUMN_BLOCK_MAX];
    uint32_t nans[COLUMN_BLOCK_MAX / sizeof(float)];
    uint64_t wide[WIDE_COLUMNS];
    for (size_t w = rp_piece_begin(&j->chunks, c); w < rp_piece_begin(&j->chunks, c + 1); w++) {
        const size_t o = w / j->nblocks, c0 = w % j->nblocks * j->block;
        const size_t len = j->cols - c0 < j->block ? j->cols - c0 : j->block;
        int64_t ko[RP_MAX_OPERANDS];
        rp_layout_offsets(&j->K, 0, j->K.nd, o, ko);
        const char *xp = r->x + ko[X] + (int64_t)c0 * j->cxs;
        char *op = r->out + ko[OUT] + (int64_t)c0 * j->cos;
        memset(acc, 0, len * r->aes); /* the identity, +0 */
        if (r->nan)
            memset(nans, 0, len * sizeof *nans);
        int widened = 0;
        for (size_t i0 = 0; i0 < j->rows; i0 += NAN_ROWS) {
            const size_t end = j->rows - i0 > NAN_ROWS ? i0 + NAN_ROWS : j->rows;
            if (j->R.nd == 1) {
                const int64_t rs = j->R.s[X][0];
                const size_t bytes = len * r->xes;
                /* One call for the lines to the next flush, or, prefetching, for the lines a
                 * kernel adds in a pass (RP_LINES_PER_PASS for NaN kernels, else one). A NaN
                 * kernel's passes: a float32 nansum along axis 0, one thread, Intel f6m167,
                 * 1.14x from DRAM, 1.18x from L2 over a line a pass. The other kernels read
                 * one line at a time: four lines a pass are four streams, and the two-thread
                 * axis-0 mean of float32 2048^2 from L3 ran 0.8x as fast with them. */
                const size_t step = !j->prefetch ? end - i0 : r->nan ? RP_LINES_PER_PASS : 1;
                for (size_t i = i0; i < end; i += step) {
                    const size_t k = end - i < step ? end - i : step;
                    const size_t ahead = i + PREFETCH_LINES;
                    for (size_t q = ahead; j->prefetch && q < ahead + k && q < j->rows; q++)
                        for (size_t b = 0; b < bytes; b += 64)
                            __builtin_prefetch(xp + (int64_t)q * rs + (int64_t)b);
                    r->acc(xp + (int64_t)i * rs, (ptrdiff_t)j->cxs, (ptrdiff_t)rs, k, acc, len,
                           nans);
                }
            } else {
                for (size_t i = i0; i < end; i++) {
                    int64_t ro[RP_MAX_OPERANDS];
                    rp_layout_offsets(&j->R, 0, j->R.nd, i, ro);
                    r->acc(xp + ro[X], (ptrdiff_t)j->cxs, 0, 1, acc, len, nans);
                }
            }
            if (r->nan && end < j->rows) { /* (len <= WIDE_COLUMNS: columns() saw to it) */
                if (!widened)
                    memset(wide, 0, len * sizeof *wide);
                widened = 1;
                for (size_t i = 0; i < len; i++) {
                    wide[i] += nans[i];
                    nans[i] = 0;
                }
            }
        }
        /* The accumulators started at the identity already: adding +0.0 again
         * would turn a -0.0 that flush-to-zero made into +0.0. */
        for (size_t i = 0; i < len; i++)
            store(r, acc + i * r->aes, r->per_output,
                  r->nan ? nans[i] + (widened ? wide[i] : 0) : 0, op + (int64_t)i * j->cos);
    }
}

static int columns(reduction *r)
{
    const rp_layout *L = &r->L;
    columns_job j = {.r = r};
    const int in = L->nd - 1;
    pick_axes(L, 0, in, 0, &j.K);
    pick_axes(L, 0, L->nd, 1, &j.R);
    j.cols = (size_t)L->n[in];
    j.cxs = L->s[X][in];
    j.cos = L->s[OUT][in];
    j.rows = rp_layout_size(&j.R, 0, j.R.nd);
    const size_t outer = rp_layout_size(&j.K, 0, j.K.nd);
    const size_t n = outer * j.cols * j.rows;
    int nt = rp_threads_for(RAPTORS_FAMILY_REDUCE, n * r->xes);
    j.block = column_block_bytes() / r->aes;
    if (nt > 1 && outer < (size_t)nt * 2)
        j.block = band_columns(j.cols, r->xes, nt, j.block);
    if (r->nan && j.rows > NAN_ROWS && j.block > WIDE_COLUMNS)
        j.block = WIDE_COLUMNS;
    j.nblocks = (j.cols + j.block - 1) / j.block;
    /* (A block of whole lines reads x as one stream: nothing to prefetch.) */
    j.prefetch = j.cxs == (int64_t)r->xes && n * r->xes > rp_cache()->l2_bytes && j.nblocks > 1;
    j.chunks = rp_cut(outer * j.nblocks, nt, 8, 1, 1, 0);
    rp_parallel_for(columns_chunk, &j, j.chunks.count, nt);
    return RAPTORS_OK;
}

/* The order NumPy's nan* functions add in is that of their copy of x
 * (np.array(x, copy=True): C order if x is C-contiguous, F order if
 * F-contiguous, else axes by descending |stride|, ties to the lower axis, each
 * in increasing index): its strides, for the axes of length > 1. */
static void dense_copy_strides(int ndim, const int64_t *shape, const int64_t *xs, int64_t *cs)
{
    int c = 1, f = 1, perm[RAPTORS_MAX_DIMS], np_ = 0;
    int64_t expect = 0;
    for (int d = ndim - 1, first = 1; d >= 0; d--) /* C-contiguous (length-1 axes aside)? */
        if (shape[d] > 1) {
            if (!first && xs[d] != expect)
                c = 0;
            expect = xs[d] * shape[d];
            if (first && xs[d] <= 0)
                c = 0;
            first = 0;
        }
    for (int d = 0, first = 1; d < ndim; d++)
        if (shape[d] > 1) {
            if (!first && xs[d] != expect)
                f = 0;
            expect = xs[d] * shape[d];
            if (first && xs[d] <= 0)
                f = 0;
            first = 0;
        }
    for (int d = 0; d < ndim; d++)
        perm[np_++] = d;
    if (!c && f && ndim > 1) {
        for (int d = 0; d < ndim; d++)
            perm[d] = ndim - 1 - d;
    } else if (!c && ndim > 1) { /* stable: descending |stride|, ties keep the lower axis outer */
        for (int i = 1; i < ndim; i++) {
            int a = perm[i], p = i;
            while (p > 0 && llabs(xs[perm[p - 1]]) < llabs(xs[a])) {
                perm[p] = perm[p - 1];
                p--;
            }
            perm[p] = a;
        }
    }
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        cs[perm[i]] = s;
        s *= shape[perm[i]] > 0 ? shape[perm[i]] : 1;
    }
}

int rp_reduce(const rp_reduce_call *c)
{
    reduction r = {.op = c->op, .src = c->src, .sum_dtype = c->sum_dtype,
                   .mean = c->op == RAPTORS_OP_MEAN || c->op == RAPTORS_OP_NANMEAN,
                   .x = c->x, .out = c->out, .counts = c->counts};
    const int src_float = rp_dtype_is_float(c->src);
    r.count = c->op == RAPTORS_OP_NANCOUNT;
    r.nan = (c->op == RAPTORS_OP_NANSUM || c->op == RAPTORS_OP_NANMEAN || r.count) && src_float;
    r.xes = rp_element_size(c->src);
    r.oes = rp_element_size(c->sum_dtype);
    if (c->sum_dtype == RAPTORS_DTYPE_FLOAT32)
        r.kind = RP_SUM_F32;
    else if (c->sum_dtype == RAPTORS_DTYPE_FLOAT64)
        r.kind = RP_SUM_F64;
    else if (!src_float && !r.mean && c->sum_dtype != RAPTORS_DTYPE_BOOL)
        r.kind = RP_SUM_INT;
    else
        return RAPTORS_EINVAL; /* a float added as integers, an integer mean, a bool sum */
    r.aes = r.kind == RP_SUM_F32 ? 4 : 8;
    /* Tuning is per float dtype; an integer sum runs on the table tuned for float64. */
    const int tuned = r.kind == RP_SUM_INT ? RAPTORS_DTYPE_FLOAT64 : c->sum_dtype;
    r.k = rp_plan_kernels(RAPTORS_FAMILY_REDUCE, tuned, RP_STORE_PLAIN, c->n * r.xes);
    r.pw = r.k->pairwise[c->src][r.kind][r.nan];
    r.acc = r.k->accumulate[c->src][r.kind][r.nan];
    if (r.pw == NULL || r.acc == NULL)
        return RAPTORS_EINVAL;

    /* NumPy's buffer converts x when its dtype is not the sum's, or it is misaligned or
     * byte-swapped (`cast`); that cuts long lines into bufsize pieces. nan* sum their
     * aligned copy of x, so only a byte-swapped x counts for them. */
    int cast = c->cast || c->src != c->sum_dtype;
    if (!r.nan) {
        if ((uintptr_t)c->x % r.xes != 0)
            cast = 1;
        for (int d = 0; d < c->ndim; d++)
            if (c->shape[d] > 1 && c->xs[d] % (int64_t)r.xes != 0)
                cast = 1;
    }

    int64_t os[RAPTORS_MAX_DIMS], ord[RAPTORS_MAX_DIMS];
    uint64_t reduced_count = 1, outputs = 1;
    for (int d = 0; d < c->ndim; d++) {
        const int red = (c->axes >> d & 1u) != 0;
        os[d] = red ? 0 : c->os[d];
        if (red)
            reduced_count *= (uint64_t)c->shape[d];
        else
            outputs *= (uint64_t)c->shape[d];
    }
    for (int d = 0; d < c->ndim && outputs > 0; d++)
        if (!(c->axes >> d & 1u) && c->shape[d] > 1 && os[d] == 0)
            return RAPTORS_EINVAL; /* two outputs in one place */
    r.per_output = reduced_count;
    /* Integers added in a float whose every partial sum -- at most reduced_count times
     * the largest magnitude -- is an integer the float holds exactly (2^24, 2^53): each
     * addition NumPy makes is exact, so any order gives its bits. Added as integers by
     * the integer kernels (several times faster than converting each element), converted
     * once. (mean of int32 up to 2^22 elements per result, of 16-bit integers 2^37.) */
    const int precision = r.kind == RP_SUM_F32 ? 24 : 53;
    const int magnitude = rp_magnitude_bits(c->src);
    if (r.kind != RP_SUM_INT && !src_float && !r.count && magnitude < precision &&
        reduced_count <= (uint64_t)1 << (precision - magnitude)) {
        r.to_float = 1;
        r.float_kind = r.kind;
        r.src_signed = magnitude % 8 == 7;
        r.kind = RP_SUM_INT;
        r.aes = 8;
        r.k = rp_plan_kernels(RAPTORS_FAMILY_REDUCE, RAPTORS_DTYPE_FLOAT64, RP_STORE_PLAIN,
                              c->n * r.xes);
        r.pw = r.k->pairwise[c->src][r.kind][0];
        r.acc = r.k->accumulate[c->src][r.kind][0];
        if (r.pw == NULL || r.acc == NULL)
            return RAPTORS_EINVAL;
    }
    if (r.kind == RP_SUM_INT)
        cast = 0; /* exact in any order: NumPy's buffer pieces change nothing */
    r.store = store_for(&r);
    if (r.counts != NULL) {
        if (c->op != RAPTORS_OP_NANSUM || !r.nan || r.kind == RP_SUM_INT || r.to_float)
            return RAPTORS_EINVAL; /* counts come with a nansum of floats only */
        r.value_store = r.store;
        r.store = store_counted;
    }
    if (r.nan)
        dense_copy_strides(c->ndim, c->shape, c->xs, ord);
    else
        memcpy(ord, c->xs, (size_t)c->ndim * sizeof *ord);
    const int64_t *strides[3] = {c->xs, os, ord};
    rp_layout_init(&r.L, c->ndim, c->shape, 3, strides, NULL);
    rp_layout_order_numpy(&r.L, 1u << ORD | (c->out_votes ? 1u << OUT : 0u), NULL);

    if (c->n == 0) { /* nothing to add: every output is the identity (a mean: 0 / 0) */
        rp_layout K;
        pick_axes(&r.L, 0, r.L.nd, 0, &K);
        char zero[sizeof(double)] = {0};
        for (size_t o = 0; o < outputs && reduced_count == 0; o++) {
            int64_t ko[RP_MAX_OPERANDS];
            rp_layout_offsets(&K, 0, K.nd, o, ko);
            store(&r, zero, 0, 0, r.out + ko[OUT]);
        }
        return r.empty_slice ? RAPTORS_NOTE_EMPTY_SLICE : RAPTORS_OK;
    }
    if (r.L.nd == 1 && r.L.s[OUT][0] == 0 && !cast && r.L.s[X][0] == (int64_t)r.xes) {
        /* all of one contiguous run (the common call): one pairwise tree */
        const int rc = one_tree(&r, &r.L, r.x, (size_t)r.L.n[0], r.out);
        return rc == RAPTORS_OK && r.empty_slice ? RAPTORS_NOTE_EMPTY_SLICE : rc;
    }
    dims D;
    group_dims(&r.L, &D);
    merge_runs(&r.L, &D);
    int rc;
    if (D.nd == 0) { /* one element, every axis of length 1 */
        char s[sizeof(double)], acc[sizeof(double)] = {0};
        uint64_t nans = 0;
        r.pw(r.x, 0, 1, s, &nans);
        acc_add(&r, acc, s);
        store(&r, acc, 1, nans, r.out);
        rc = RAPTORS_OK;
    } else if (!D.reduced[0]) {
        rc = columns(&r);
    } else {
        rc = blocks(&r, &D, c->bufsize, cast);
    }
    if (rc == RAPTORS_OK && r.empty_slice)
        rc = RAPTORS_NOTE_EMPTY_SLICE;
    return rc;
}
