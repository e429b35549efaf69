/* The typed C API of raptors.h: each entry point builds a block (protocol.h)
 * on its stack and passes it to raptors_call -- one path for every caller. */
#include "raptors.h"

#include <string.h>

#define CALL_WORDS RAPTORS_CALL_MAX_WORDS
#define CODE(op, dtype) ((int64_t)(op) | (int64_t)(dtype) << RAPTORS_CALL_DTYPE_SHIFT)

static int64_t word(const void *p) { return (int64_t)(intptr_t)p; }

/* A general block: x of the result's shape (strides xs), y of the result's
 * shape (ys) or 0-d (ys == NULL), out (os; NULL for a reduction over all axes). */
static int general(int64_t code, int ndim, const int64_t *shape, const void *x,
                   const int64_t *xs, const void *y, const int64_t *ys, void *out,
                   const int64_t *os, int64_t axis, int64_t bufsize)
{
    int64_t b[CALL_WORDS]; /* every word the call reads is written below */
    if (ndim < 0 || ndim > RAPTORS_MAX_DIMS || (ndim > 0 && (shape == NULL || xs == NULL)))
        return RAPTORS_EINVAL;
    const size_t nd = (size_t)ndim, row = nd * sizeof(int64_t);
    b[RAPTORS_CALL_CODE] = code;
    b[RAPTORS_CALL_NDIM] = ndim;
    b[RAPTORS_CALL_X] = word(x);
    b[RAPTORS_CALL_Y] = word(y);
    b[RAPTORS_CALL_OUT] = word(out);
    b[RAPTORS_CALL_AXIS] = axis;
    b[RAPTORS_CALL_BUFSIZE] = bufsize;
    b[RAPTORS_CALL_X_NDIM] = ndim;
    b[RAPTORS_CALL_Y_NDIM] = ys ? ndim : 0;
    int64_t *w = b + RAPTORS_CALL_SHAPE;
    if (nd) {
        memcpy(w, shape, row);
        memcpy(w += nd, shape, row); /* x's shape */
        memcpy(w += nd, xs, row);
        w += nd;
        if (ys) {
            memcpy(w, shape, row);
            memcpy(w += nd, ys, row);
            w += nd;
        }
        if (os)
            memcpy(w, os, row);
    }
    return raptors_call(b);
}

static int scale_contig(int dtype, const void *x, void *y, size_t n, const void *a)
{
    if (n > INT64_MAX)
        return RAPTORS_EINVAL;
    int64_t b[RAPTORS_CALL_SHAPE] = {0};
    b[RAPTORS_CALL_CODE] = CODE(RAPTORS_OP_SCALE, dtype) | RAPTORS_CALL_CONTIG |
                           RAPTORS_CALL_SCALAR_Y;
    b[RAPTORS_CALL_NDIM] = (int64_t)n;
    b[RAPTORS_CALL_X] = word(x);
    b[RAPTORS_CALL_Y] = word(a);
    b[RAPTORS_CALL_OUT] = word(y);
    return raptors_call(b);
}

int raptors_scale_f32(const float *x, float *y, size_t n, float a)
{
    return scale_contig(RAPTORS_DTYPE_FLOAT32, x, y, n, &a);
}

int raptors_scale_f64(const double *x, double *y, size_t n, double a)
{
    return scale_contig(RAPTORS_DTYPE_FLOAT64, x, y, n, &a);
}

int raptors_scale_strided_f32(int ndim, const int64_t *shape, const void *x,
                              const int64_t *x_strides, void *y, const int64_t *y_strides, float a)
{
    if (ndim > 0 && y_strides == NULL)
        return RAPTORS_EINVAL;
    return general(CODE(RAPTORS_OP_SCALE, RAPTORS_DTYPE_FLOAT32), ndim, shape, x, x_strides, &a,
                   NULL, y, y_strides, 0, 1);
}

int raptors_scale_strided_f64(int ndim, const int64_t *shape, const void *x,
                              const int64_t *x_strides, void *y, const int64_t *y_strides, double a)
{
    if (ndim > 0 && y_strides == NULL)
        return RAPTORS_EINVAL;
    return general(CODE(RAPTORS_OP_SCALE, RAPTORS_DTYPE_FLOAT64), ndim, shape, x, x_strides, &a,
                   NULL, y, y_strides, 0, 1);
}

static int binary(int dtype, int op, int ndim, const int64_t *shape, const void *x,
                  const int64_t *xs, const void *y, const int64_t *ys, void *out,
                  const int64_t *os)
{
    if (op != RAPTORS_OP_ADD && op != RAPTORS_OP_SUBTRACT && op != RAPTORS_OP_MULTIPLY)
        return RAPTORS_EINVAL;
    if (ndim > 0 && (ys == NULL || os == NULL))
        return RAPTORS_EINVAL;
    static const int64_t none = 0;
    return general(CODE(op, dtype), ndim, shape, x, xs, y, ndim ? ys : &none, out, os, 0, 1);
}

int raptors_binary_f32(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, const void *y, const int64_t *y_strides,
                       void *out, const int64_t *out_strides)
{
    return binary(RAPTORS_DTYPE_FLOAT32, op, ndim, shape, x, x_strides, y, y_strides, out,
                  out_strides);
}

int raptors_binary_f64(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, const void *y, const int64_t *y_strides,
                       void *out, const int64_t *out_strides)
{
    return binary(RAPTORS_DTYPE_FLOAT64, op, ndim, shape, x, x_strides, y, y_strides, out,
                  out_strides);
}

static int reduce(int dtype, int op, int ndim, const int64_t *shape, const void *x,
                  const int64_t *xs, int axis, void *out, const int64_t *os, size_t bufsize)
{
    int64_t zeros[RAPTORS_MAX_DIMS] = {0};
    if (op != RAPTORS_SUM && op != RAPTORS_MEAN)
        return RAPTORS_EINVAL;
    if (axis != RAPTORS_ALL_AXES && ndim > 0 && os == NULL)
        return RAPTORS_EINVAL;
    if (ndim < 0 || ndim > RAPTORS_MAX_DIMS || bufsize > INT64_MAX)
        return RAPTORS_EINVAL;
    if (axis == RAPTORS_ALL_AXES || os == NULL)
        os = zeros;
    else if (axis >= 0 && axis < ndim) { /* out_strides[axis] is ignored: the protocol wants 0 */
        memcpy(zeros, os, (size_t)ndim * sizeof *os);
        zeros[axis] = 0;
        os = zeros;
    }
    if (axis != RAPTORS_ALL_AXES && (axis < 0 || axis >= ndim))
        return RAPTORS_EINVAL;
    return general(CODE(op == RAPTORS_SUM ? RAPTORS_OP_SUM : RAPTORS_OP_MEAN, dtype), ndim, shape,
                   x, xs, NULL, NULL, out, os,
                   axis == RAPTORS_ALL_AXES ? RAPTORS_ALL_AXES : (int64_t)1 << axis,
                   (int64_t)bufsize);
}

int raptors_reduce_f32(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, int axis, void *out, const int64_t *out_strides,
                       size_t bufsize)
{
    return reduce(RAPTORS_DTYPE_FLOAT32, op, ndim, shape, x, x_strides, axis, out, out_strides,
                  bufsize);
}

int raptors_reduce_f64(int op, int ndim, const int64_t *shape, const void *x,
                       const int64_t *x_strides, int axis, void *out, const int64_t *out_strides,
                       size_t bufsize)
{
    return reduce(RAPTORS_DTYPE_FLOAT64, op, ndim, shape, x, x_strides, axis, out, out_strides,
                  bufsize);
}
