/* Internal: the one N-d layout module. Every family describes its operands as
 * an rp_layout -- axes (outermost first) with each operand's byte strides --
 * and uses these routines to broadcast, drop, order and merge axes, walk the
 * elements, measure extents and overlap, and cut the work into pieces for the
 * threads. */
#ifndef RAPTORS_LAYOUT_H
#define RAPTORS_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "raptors.h"

#define RP_MAX_OPERANDS 3

typedef struct {
    int nd;   /* axes */
    int nops; /* operands */
    int64_t n[RAPTORS_MAX_DIMS];                   /* lengths, outermost first */
    int64_t s[RP_MAX_OPERANDS][RAPTORS_MAX_DIMS];  /* byte strides, any sign */
} rp_layout;

/* The element count of an N-d shape into *n (0 when an axis is empty):
 * RAPTORS_EINVAL for a negative length, or for more elements than `arrays`
 * buffers of them could address (n * es * arrays must fit in a size_t). */
int rp_count_elements(int ndim, const int64_t *shape, size_t es, size_t arrays, size_t *n);

/* An operand's strides broadcast to the result's ndim axes (NumPy's rule: its
 * axes align on the right; 0 along an axis it lacks or has of length 1);
 * RAPTORS_EINVAL when a length differs otherwise. */
int rp_broadcast_strides(int ndim, const int64_t *shape, int vnd, const int64_t *vshape,
                         const int64_t *vstrides, int64_t *out);

/* The axes of shape with each operand's strides, length-1 axes dropped (the
 * strides of operands past nops are 0, so every routine may read three). When
 * at != NULL, *at names an axis of shape on entry and its position in the
 * layout on return (-1: it was dropped). */
void rp_layout_init(rp_layout *L, int ndim, const int64_t *shape, int nops,
                    const int64_t *const *strides, int *at);

/* For work in any order (element-wise): the smallest |stride| of operand
 * `key` innermost (a stable sort), then neighbours that are one run in every
 * operand merged, so the inner loop is as long as it gets. No axes (a single
 * element) becomes one axis of length 1. */
void rp_layout_compact(rp_layout *L, int key);

/* NumPy's npyiter_find_best_axis_ordering: a stable insertion sort, from the
 * innermost axis out, that moves an axis inward past another when the operands
 * in `voters` (a bit per operand) agree its |stride| is smaller; an operand
 * with a zero stride on either abstains, one against is a veto (C order wins
 * a conflict), and when all abstain the search goes on. *at follows its axis. */
void rp_layout_order_numpy(rp_layout *L, unsigned voters, int *at);

/* Merge neighbours that are one run in every operand (no reordering). */
void rp_layout_merge(rp_layout *L);

/* Remove axis k. */
void rp_layout_remove(rp_layout *L, int k);

/* The elements of axes [first, first + count). */
size_t rp_layout_size(const rp_layout *L, int first, int count);

/* Each operand's byte offset of position idx (C order) of axes [first, first + count).
 * Inline and in registers: the row-by-row paths call it once per row. */
static inline void rp_layout_offsets(const rp_layout *L, int first, int count, size_t idx,
                                     int64_t *off)
{
    int64_t o0 = 0, o1 = 0, o2 = 0;
    for (int d = first + count - 1; d >= first; d--) {
        const size_t len = (size_t)L->n[d];
        const int64_t i = (int64_t)(idx % len);
        idx /= len;
        o0 += i * L->s[0][d];
        o1 += i * L->s[1][d];
        o2 += i * L->s[2][d];
    }
    off[0] = o0;
    off[1] = o1;
    off[2] = o2;
}

/* Elements [b, e) in C order, in runs along the innermost axis: fn(ctx, off,
 * len) with each operand's byte offset of the run's first element. */
typedef void (*rp_run_fn)(void *ctx, const int64_t *off, size_t len);
void rp_layout_walk(const rp_layout *L, size_t b, size_t e, rp_run_fn fn, void *ctx);

/* Does input v (strides vs over shape) overlap out (strides os) without being
 * the very same view? Elements of es bytes. */
int rp_bad_overlap(int ndim, const int64_t *shape, const char *v, const int64_t *vs,
                   const char *out, const int64_t *os, size_t es);

/* Work cut into pieces that threads claim one at a time: piece 0 is items
 * [0, head + size), piece c > 0 starts at head + c * size. */
typedef struct {
    size_t items, head, size, count;
} rp_pieces;

/* About per_thread pieces per thread (one piece when nt <= 1), each at least
 * min_size items, a multiple of align; the first boundary after head items
 * (so that later pieces start at an aligned address). */
rp_pieces rp_cut(size_t items, int nt, size_t per_thread, size_t min_size, size_t align,
                 size_t head);
static inline size_t rp_piece_begin(const rp_pieces *p, size_t c)
{
    if (c == 0)
        return 0;
    if (c >= p->count)
        return p->items;
    return p->head + c * p->size;
}

#endif
