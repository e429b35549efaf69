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
    X(MEAN, mean, REDUCE, mean, REDUCE)                                                            \
    X(NANSUM, nansum, REDUCE, sum, REDUCE)                                                         \
    X(NANMEAN, nanmean, REDUCE, mean, REDUCE)                                                      \
    X(NANCOUNT, nancount, REDUCE, sum, REDUCE)

/* X(ID, name, C type, suffix, kind): NumPy's name, the element type, the suffix
 * of the vocabulary (rp_load_<suffix>, ...) and of the kernels, and the kind
 * (FLOAT, SIGNED, UNSIGNED, BOOL: how a value converts for a reduction).
 * RAPTORS_DTYPES are the arithmetic dtypes: each has a vocabulary in every
 * simd_<isa>.h and element-wise kernels (integers wrap modulo 2^bits, as NumPy's);
 * the floats among them, listed first, are the dtypes reductions add in and the
 * only ones a tuning names. RAPTORS_READ_DTYPES are read by reductions only (summed
 * exactly as integers, or converted to the float dtype of the additions). */
#define RAPTORS_DTYPES(X)                                                                          \
    X(FLOAT32, float32, float, f32, FLOAT)                                                         \
    X(FLOAT64, float64, double, f64, FLOAT)                                                        \
    X(INT32, int32, int32_t, i32, SIGNED)                                                          \
    X(INT64, int64, int64_t, i64, SIGNED)
#define RAPTORS_READ_DTYPES(X)                                                                     \
    X(INT8, int8, int8_t, i8, SIGNED)                                                              \
    X(INT16, int16, int16_t, i16, SIGNED)                                                          \
    X(UINT8, uint8, uint8_t, u8, UNSIGNED)                                                         \
    X(UINT16, uint16, uint16_t, u16, UNSIGNED)                                                     \
    X(UINT32, uint32, uint32_t, u32, UNSIGNED)                                                     \
    X(UINT64, uint64, uint64_t, u64, UNSIGNED)                                                     \
    X(BOOL, bool, uint8_t, b8, BOOL)
/* Every dtype a call may name: the arithmetic ones first (their ids index the
 * element-wise tables and the tuning), then the ones reductions read. */
#define RAPTORS_ALL_DTYPES(X) RAPTORS_DTYPES(X) RAPTORS_READ_DTYPES(X)

#define RAPTORS_OP_ID_(ID, name, family, arith, tuned_as) RAPTORS_OP_##ID,
enum { RAPTORS_OPERATIONS(RAPTORS_OP_ID_) RAPTORS_NOPS };
#define RAPTORS_DTYPE_ID_(ID, name, T, S, kind) RAPTORS_DTYPE_##ID,
enum { RAPTORS_ALL_DTYPES(RAPTORS_DTYPE_ID_) RAPTORS_NALL_DTYPES };
#define RAPTORS_DTYPE_ONE_(ID, name, T, S, kind) +1
enum { RAPTORS_NDTYPES = 0 RAPTORS_DTYPES(RAPTORS_DTYPE_ONE_) };


/* The tuning classes (raptors_set_tuning_*): which calls a tuning tells apart. */
enum { RAPTORS_FAMILY_SCALE = 0, RAPTORS_FAMILY_BINARY = 1, RAPTORS_FAMILY_REDUCE = 2 };

#endif
