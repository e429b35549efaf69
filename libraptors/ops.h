/*
 * The one list of operations and the one list of dtypes. Everything that names
 * an operation or a dtype is generated from these X-macro lists: the ids of
 * raptors.h, the kernel tables (kernel_set.h), the protocol description Python
 * reads at import (raptors_protocol), the tuning's names. Adding an operation
 * is a line here (and its arithmetic in kernels.h if it is new); adding a dtype
 * is a line here and its vocabulary in each simd_<isa>.h.
 */
#ifndef RAPTORS_OPS_H
#define RAPTORS_OPS_H

/* X(ID, name, family, arithmetic): family ELEMENTWISE computes out = x arith y
 * element by element, REDUCE adds along axes. A family's tuning class
 * (RAPTORS_FAMILY_*) is named by `tuned_as`. Scale is multiply by a 0-d
 * operand in x's dtype, measured and tuned apart from the binary operations. */
#define RAPTORS_OPERATIONS(X)                                                                      \
    X(ADD, add, ELEMENTWISE, add, BINARY)                                                          \
    X(SUBTRACT, subtract, ELEMENTWISE, subtract, BINARY)                                           \
    X(MULTIPLY, multiply, ELEMENTWISE, multiply, BINARY)                                           \
    X(SCALE, scale, ELEMENTWISE, multiply, SCALE)                                                  \
    X(SUM, sum, REDUCE, sum, REDUCE)                                                               \
    X(MEAN, mean, REDUCE, mean, REDUCE)

/* X(ID, name, C type, suffix): NumPy's name, the element type, the suffix of
 * the vocabulary (rp_load_<suffix>, ...) and of the kernels. */
#define RAPTORS_DTYPES(X)                                                                          \
    X(FLOAT32, float32, float, f32)                                                                \
    X(FLOAT64, float64, double, f64)

#define RAPTORS_OP_ID_(ID, name, family, arith, tuned_as) RAPTORS_OP_##ID,
enum { RAPTORS_OPERATIONS(RAPTORS_OP_ID_) RAPTORS_NOPS };
#define RAPTORS_DTYPE_ID_(ID, name, T, S) RAPTORS_DTYPE_##ID,
enum { RAPTORS_DTYPES(RAPTORS_DTYPE_ID_) RAPTORS_NDTYPES };

/* The tuning classes (raptors_set_tuning_*): which calls a tuning tells apart. */
enum { RAPTORS_FAMILY_SCALE = 0, RAPTORS_FAMILY_BINARY = 1, RAPTORS_FAMILY_REDUCE = 2 };

#endif
