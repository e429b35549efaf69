/* Included by each kernels_<isa>.c after its simd_<isa>.h (and RP_SUPPORTED):
 * instantiates every family body for every dtype of ops.h (the element-wise
 * one once per arithmetic of kernels.h) and publishes the variant's table.
 * The matrix is the two lists; nothing here names a dtype or an operation. */
#include "elementwise_body.h"
#include "reduce_body.h"

#define RP_EW_INSTANCE_(T, S, name, op) RP_ELEMENTWISE_KERNEL(T, S, name, op)
#define RP_DTYPE_INSTANCES_(ID, dname, T, S)                                                       \
    RP_ARITHMETIC(RP_EW_INSTANCE_, T, S)                                                           \
    RP_REDUCE_KERNELS(T, S)
RAPTORS_DTYPES(RP_DTYPE_INSTANCES_)

#define RP_EW_ENTRY_(ID, S, name, op) .elementwise[RP_ARITH_##name][RAPTORS_DTYPE_##ID] = ew_##name##_##S,
#define RP_DTYPE_ENTRIES_(ID, dname, T, S)                                                         \
    RP_ARITHMETIC(RP_EW_ENTRY_, ID, S)                                                             \
    .pairwise[RAPTORS_DTYPE_##ID] = pairwise_##S, .accumulate[RAPTORS_DTYPE_##ID] = accumulate_##S,

#define RP_SET_NAME_(isa) rp_kernels_##isa
#define RP_SET_NAME(isa) RP_SET_NAME_(isa)
#define RP_STR_(x) #x
#define RP_STR(x) RP_STR_(x)

const rp_kernel_set RP_SET_NAME(RP_ISA) = {
    .name = RP_STR(RP_ISA),
    .supported = RP_SUPPORTED,
    RAPTORS_DTYPES(RP_DTYPE_ENTRIES_)
};
