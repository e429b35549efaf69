/* The one N-d layout module (layout.h). */
#include "layout.h"
#include "plan.h"

#include <stdlib.h>

int rp_count_elements(int ndim, const int64_t *shape, size_t es, size_t arrays, size_t *n)
{
    size_t count = 1;
    int empty = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return RAPTORS_EINVAL;
        if (shape[d] == 0)
            empty = 1;
        else if ((uint64_t)shape[d] > SIZE_MAX / arrays / es / count)
            return RAPTORS_EINVAL;
        else
            count *= (size_t)shape[d];
    }
    *n = empty ? 0 : count;
    return RAPTORS_OK;
}

int rp_broadcast_strides(int ndim, const int64_t *shape, int vnd, const int64_t *vshape,
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

void rp_layout_init(rp_layout *L, int ndim, const int64_t *shape, int nops,
                    const int64_t *const *strides, int *at)
{
    int mark = at ? *at : -1, found = -1;
    L->nd = 0;
    L->nops = nops;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1)
            continue;
        if (d == mark)
            found = L->nd;
        L->n[L->nd] = shape[d];
        for (int k = 0; k < RP_MAX_OPERANDS; k++)
            L->s[k][L->nd] = k < nops ? strides[k][d] : 0;
        L->nd++;
    }
    if (at)
        *at = found;
}

static void move_axis(rp_layout *L, int from, int to)
{
    int64_t n = L->n[from], s[RP_MAX_OPERANDS];
    for (int k = 0; k < L->nops; k++)
        s[k] = L->s[k][from];
    int step = from < to ? 1 : -1;
    for (int i = from; i != to; i += step) {
        L->n[i] = L->n[i + step];
        for (int k = 0; k < L->nops; k++)
            L->s[k][i] = L->s[k][i + step];
    }
    L->n[to] = n;
    for (int k = 0; k < L->nops; k++)
        L->s[k][to] = s[k];
}

void rp_layout_compact(rp_layout *L, int key)
{
    for (int d = 1; d < L->nd; d++) { /* stable insertion sort, |stride| descending */
        int p = d;
        while (p > 0 && llabs(L->s[key][p - 1]) < llabs(L->s[key][d]))
            p--;
        if (p != d)
            move_axis(L, d, p);
    }
    rp_layout_merge(L);
    if (L->nd == 0) { /* a single element */
        L->nd = 1;
        L->n[0] = 1;
        for (int k = 0; k < L->nops; k++)
            L->s[k][0] = 0;
    }
}

void rp_layout_order_numpy(rp_layout *L, unsigned voters, int *at)
{
    const int nd = L->nd;
    /* i counts from the innermost axis (nd - 1) outward, as NumPy's perm. */
    for (int i0 = 1; i0 < nd; i0++) {
        const int a0 = nd - 1 - i0;
        int pos = i0;
        for (int i1 = i0 - 1; i1 >= 0; i1--) {
            const int a1 = nd - 1 - i1;
            int ambiguous = 1, swap = 0;
            for (int k = 0; k < L->nops; k++) {
                const int64_t v = L->s[k][a0], w = L->s[k][a1];
                if (!(voters >> k & 1u) || v == 0 || w == 0)
                    continue; /* abstains */
                if (llabs(w) <= llabs(v))
                    swap = 0; /* one operand against: no swap */
                else if (ambiguous)
                    swap = 1;
                ambiguous = 0;
            }
            if (ambiguous)
                continue;
            if (!swap)
                break;
            pos = i1;
        }
        if (pos == i0)
            continue;
        int from = a0, to = nd - 1 - pos; /* to > from: move the axis inward */
        move_axis(L, from, to);
        if (at == NULL)
            continue;
        if (*at == from)
            *at = to;
        else if (*at > from && *at <= to)
            (*at)--;
    }
}

void rp_layout_merge(rp_layout *L)
{
    int m = 0;
    for (int d = 0; d < L->nd; d++) {
        int run = m > 0;
        for (int k = 0; k < L->nops && run; k++)
            run = L->s[k][m - 1] == L->s[k][d] * L->n[d];
        if (run) {
            L->n[m - 1] *= L->n[d];
            for (int k = 0; k < L->nops; k++)
                L->s[k][m - 1] = L->s[k][d];
        } else {
            L->n[m] = L->n[d];
            for (int k = 0; k < L->nops; k++)
                L->s[k][m] = L->s[k][d];
            m++;
        }
    }
    L->nd = m;
}

void rp_layout_remove(rp_layout *L, int k)
{
    move_axis(L, k, L->nd - 1);
    L->nd--;
}

size_t rp_layout_size(const rp_layout *L, int first, int count)
{
    size_t n = 1;
    for (int d = first; d < first + count; d++)
        n *= (size_t)L->n[d];
    return n;
}

void rp_layout_walk(const rp_layout *L, size_t b, size_t e, rp_run_fn fn, void *ctx)
{
    const int last = L->nd - 1;
    const size_t inner = (size_t)L->n[last];
    int64_t idx[RAPTORS_MAX_DIMS], off[RP_MAX_OPERANDS];
    size_t row = b / inner, col = b % inner;
    /* The first run's position, then an odometer over the outer axes. */
    rp_layout_offsets(L, 0, last, row, off);
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = (int64_t)(row % (size_t)L->n[d]);
        row /= (size_t)L->n[d];
    }
    while (b < e) {
        size_t len = inner - col < e - b ? inner - col : e - b;
        int64_t run[RP_MAX_OPERANDS];
        for (int k = 0; k < RP_MAX_OPERANDS; k++)
            run[k] = off[k] + (int64_t)col * L->s[k][last];
        fn(ctx, run, len);
        b += len;
        col = 0;
        for (int d = last - 1; d >= 0; d--) { /* the next row */
            for (int k = 0; k < RP_MAX_OPERANDS; k++)
                off[k] += L->s[k][d];
            if (++idx[d] < L->n[d])
                break;
            for (int k = 0; k < RP_MAX_OPERANDS; k++)
                off[k] -= L->n[d] * L->s[k][d];
            idx[d] = 0;
        }
    }
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

int rp_bad_overlap(int ndim, const int64_t *shape, const char *v, const int64_t *vs,
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

rp_pieces rp_cut(size_t items, int nt, size_t per_thread, size_t min_size, size_t align,
                 size_t head)
{
    rp_pieces p = {.items = items, .head = 0, .size = items ? items : 1, .count = 1};
    if (nt <= 1 || items == 0)
        return p;
    size_t want = (size_t)nt * per_thread;
    size_t size = (items + want - 1) / want;
    if (size < min_size)
        size = min_size;
    if (rp_forced_piece_items() != 0)
        size = rp_forced_piece_items();
    if (align > 1)
        size = (size + align - 1) / align * align;
    p.size = size ? size : 1;
    p.head = head < items ? head : 0;
    p.count = items - p.head <= p.size ? 1 : (items - p.head + p.size - 1) / p.size;
    return p;
}
