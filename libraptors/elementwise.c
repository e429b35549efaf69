/*
 * The element-wise family (add, subtract, multiply, scale): out = x op y over
 * an N-d layout whose operands are already broadcast to the result (call.c).
 * The layout is compacted (any order of elements is allowed), then the plan
 * (plan.c) chooses streaming stores, the thread count and the variant from the
 * bytes moved, and the pieces run row by row through the variant's kernel.
 */
#include "family.h"
#include "layout.h"
#include "plan.h"
#include "threads.h"

#define CACHE_LINE 64
/* Pieces per thread, claimed dynamically: many enough that the threads finish
 * within a piece of each other, big enough that claiming costs nothing. */
#define PIECES_PER_THREAD 16
#define MIN_PIECE_BYTES (32u * 1024u)

typedef struct {
    rp_elementwise_fn fn;
    int stream;
    rp_layout L; /* operands x, y, out */
    const char *x, *y;
    char *out;
    rp_pieces pieces;
} ew_job;

static void run_row(void *ctx, const int64_t *off, size_t len)
{
    const ew_job *j = ctx;
    const int last = j->L.nd - 1;
    j->fn(j->x + off[0], (ptrdiff_t)j->L.s[0][last], j->y + off[1], (ptrdiff_t)j->L.s[1][last],
          j->out + off[2], (ptrdiff_t)j->L.s[2][last], len, j->stream);
}

static void run_piece(void *ctx, size_t c)
{
    ew_job *j = ctx;
    rp_layout_walk(&j->L, rp_piece_begin(&j->pieces, c), rp_piece_begin(&j->pieces, c + 1),
                   run_row, j);
}

int rp_elementwise(int family, int arith, int dtype, int ndim, const int64_t *shape,
                   const char *x, const int64_t *xs, const char *y, const int64_t *ys, char *out,
                   const int64_t *os, size_t n)
{
    const size_t es = rp_element_size(dtype);
    ew_job j; /* not zeroed: its layout is 2 KiB that rp_layout_init fills as far as needed */
    j.x = x;
    j.y = y;
    j.out = out;
    if (ndim == 1) { /* one axis (every contiguous call): nothing to drop, order or merge */
        j.L.nd = 1;
        j.L.n[0] = shape[0];
        j.L.s[0][0] = xs[0];
        j.L.s[1][0] = ys[0];
        j.L.s[2][0] = os[0];
    } else {
        const int64_t *const strides[3] = {xs, ys, os};
        rp_layout_init(&j.L, ndim, shape, 3, strides, NULL);
        rp_layout_compact(&j.L, 2);
    }
    /* Bytes moved: out, plus each input that is not broadcast along the inner
     * axis (a broadcast row is re-read from the cache). */
    const int last = j.L.nd - 1, in_place = out == x || out == y;
    size_t bytes = n * es * (size_t)(1 + (j.L.s[0][last] != 0) + (j.L.s[1][last] != 0));
    j.stream = rp_want_stream(family, in_place, bytes);
    j.fn = rp_plan_kernels(family, dtype, rp_store_kind(in_place, j.stream), bytes)
               ->elementwise[arith][dtype];
    /* Pieces start on cache lines of out when its rows are contiguous. */
    size_t head = 0, line = CACHE_LINE / es;
    uintptr_t mis = (uintptr_t)out % CACHE_LINE;
    if (j.L.s[2][last] == (int64_t)es && mis % es == 0 && mis != 0)
        head = (CACHE_LINE - mis) / es;
    const int nt = rp_threads_for(family, bytes);
    j.pieces = rp_cut(n, nt, PIECES_PER_THREAD, MIN_PIECE_BYTES / es, line, head);
    if (j.pieces.count == 1 && j.L.nd == 1) /* one run */
        j.fn(x, (ptrdiff_t)j.L.s[0][0], y, (ptrdiff_t)j.L.s[1][0], out, (ptrdiff_t)j.L.s[2][0], n,
             j.stream);
    else if (j.pieces.count == 1)
        run_piece(&j, 0);
    else
        rp_parallel_for(run_piece, &j, j.pieces.count, nt);
    return RAPTORS_OK;
}
