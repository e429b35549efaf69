/* Included by each kernels_<isa>.c after its simd_<isa>.h (and RP_SUPPORTED):
 * instantiates every family body for every dtype of ops.h -- the element-wise
 * one once per arithmetic of kernels.h, the reductions once per source dtype x
 * sum kind (RP_SUMS, and the integer sum) x NaN handling -- and publishes the
 * variant's table. The matrix is the lists; nothing here names a dtype or an
 * operation. */
#include "elementwise_body.h"
#include "reduce_body.h"

#define RP_EW_INSTANCE_(T, A, S, name, op) RP_ELEMENTWISE_KERNEL(T, A, S, name, op)
#define RP_DTYPE_INSTANCES_(ID, dname, T, S, kind)                                                 \
    RP_ARITHMETIC(RP_EW_INSTANCE_, T, RP_ARITH_TYPE(kind, T), S)
RAPTORS_DTYPES(RP_DTYPE_INSTANCES_)
#define RP_SUM_INSTANCES_(unused, T, S) RP_REDUCE_KERNELS(T, S)
RP_SUMS(RP_SUM_INSTANCES_, ~)

/* Every source dtype into every float sum, NaNs read (0) or skipped (1), and
 * the integer sum (of a float: a zero, never called -- reduce.c refuses it). */
#define RP_READ_INSTANCES_(R, RS, kind, T, S)                                                      \
    RP_READ_KERNELS(R, RS, kind, T, S, 0)                                                          \
    RP_READ_KERNELS(R, RS, kind, T, S, 1)
#define RP_SOURCE_INSTANCES_(ID, dname, R, RS, kind)                                               \
    RP_SUMS(RP_READ_INSTANCES_, R, RS, kind)                                                       \
    RP_INT_KERNELS(R, RS, kind)
RAPTORS_ALL_DTYPES(RP_SOURCE_INSTANCES_)

#define RP_EW_ENTRY_(ID, S, name, op) .elementwise[RP_ARITH_##name][RAPTORS_DTYPE_##ID] = ew_##name##_##S,
#define RP_DTYPE_ENTRIES_(ID, dname, T, S, kind) RP_ARITHMETIC(RP_EW_ENTRY_, ID, S)
#define RP_SUM_ID_f32 RP_SUM_F32
#define RP_SUM_ID_f64 RP_SUM_F64
#define RP_READ_ENTRY_(ID, RS, T, S)                                                               \
    .pairwise[RAPTORS_DTYPE_##ID][RP_SUM_ID_##S][0] = pairwise_##RS##_##S##_0,                     \
    .pairwise[RAPTORS_DTYPE_##ID][RP_SUM_ID_##S][1] = pairwise_##RS##_##S##_1,                     \
    .accumulate[RAPTORS_DTYPE_##ID][RP_SUM_ID_##S][0] = accumulate_##RS##_##S##_0,                 \
    .accumulate[RAPTORS_DTYPE_##ID][RP_SUM_ID_##S][1] = accumulate_##RS##_##S##_1,
#define RP_SOURCE_ENTRIES_(ID, dname, R, RS, kind)                                                 \
    RP_SUMS(RP_READ_ENTRY_, ID, RS)                                                                \
    .pairwise[RAPTORS_DTYPE_##ID][RP_SUM_INT][0] = isum_##RS,                                      \
    .accumulate[RAPTORS_DTYPE_##ID][RP_SUM_INT][0] = iaccumulate_##RS,

#define RP_SET_NAME_(isa) rp_kernels_##isa
#define RP_SET_NAME(isa) RP_SET_NAME_(isa)
#define RP_STR_(x) #x
#define RP_STR(x) RP_STR_(x)

const rp_kernel_set RP_SET_NAME(RP_ISA) = {
    .name = RP_STR(RP_ISA),
    .supported = RP_SUPPORTED,
    RAPTORS_DTYPES(RP_DTYPE_ENTRIES_)
    RAPTORS_ALL_DTYPES(RP_SOURCE_ENTRIES_)
};
