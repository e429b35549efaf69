/* Internal: the two families' entry points, called by call.c once a block is
 * decoded and checked (operands non-NULL, shapes counted, overlap refused). */
#ifndef RAPTORS_FAMILY_H
#define RAPTORS_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "raptors.h"

/* out = x arith y over shape, every operand's strides broadcast to ndim axes;
 * n elements (> 0). family: the tuning class (RAPTORS_FAMILY_*). */
int rp_elementwise(int family, int arith, int dtype, int ndim, const int64_t *shape,
                   const char *x, const int64_t *xs, const char *y, const int64_t *ys, char *out,
                   const int64_t *os, size_t n);

/* A reduction (sum, mean, nansum, nanmean) of x, dtype src, over the axes whose
 * bits are set in `axes`, into out of dtype sum_dtype -- the dtype the additions
 * run in (float32/float64) or an integer dtype (exact integer additions, the low
 * bits kept). n: x's elements (0 too); out's strides os (ignored along reduced
 * axes); bufsize: np.getbufsize(); cast: x is a copy NumPy would have cast
 * (byte-swapped); out_votes: out was given, so its strides vote in the order;
 * counts: NULL, or for a nansum of floats into a float dtype where each output's
 * numbers (not NaN) are stored, in out's dtype and at out's offsets. */
typedef struct {
    int op, src, sum_dtype, ndim;
    const int64_t *shape, *xs, *os;
    uint64_t axes;
    const char *x;
    char *out, *counts;
    size_t bufsize, n;
    int cast, out_votes;
} rp_reduce_call;
int rp_reduce(const rp_reduce_call *c);

#endif
