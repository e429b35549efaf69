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

/* Sum or mean (RAPTORS_OP_SUM / RAPTORS_OP_MEAN) of x over `axis` or every axis
 * (RAPTORS_ALL_AXES: one element written to out), in NumPy's order; n elements (0
 * too); bufsize is np.getbufsize(); buffered: x is a copy NumPy would have cast. */
int rp_reduce(int op, int dtype, int ndim, const int64_t *shape, const char *x,
              const int64_t *xs, int axis, char *out, const int64_t *os, size_t bufsize,
              int buffered, size_t n);

#endif
