/* Included by each kernels_<isa>.c after its simd header: instantiates every
 * kernel family (scale, element-wise binary, add-reduction) for both dtypes
 * and publishes the variant's table. */
#define RP_CAT3_(a, b, c) a##_##b##_##c
#define RP_CAT3(a, b, c) RP_CAT3_(a, b, c)
#define RP_CAT2_(a, b) a##_##b
#define RP_CAT2(a, b) RP_CAT2_(a, b)

/* The element-wise operations: one expression each, valid on scalars and on
 * every variant's vectors (GCC/Clang vector arithmetic). binary_body.h picks
 * RP_OP_<RP_OPN>. A new operation is a line here, one in kernel_dtype.h, one
 * in the table below and its number in raptors.h. */
#define RP_OP_add(a, b) ((a) + (b))
#define RP_OP_subtract(a, b) ((a) - (b))
#define RP_OP_multiply(a, b) ((a) * (b))

#define RP_T float
#define RP_S f32
#include "kernel_dtype.h"
#undef RP_T
#undef RP_S
#define RP_T double
#define RP_S f64
#include "kernel_dtype.h"
#undef RP_T
#undef RP_S

#define RP_SET_NAME_(isa) rp_kernels_##isa
#define RP_SET_NAME(isa) RP_SET_NAME_(isa)
#define RP_STR_(x) #x
#define RP_STR(x) RP_STR_(x)
#define RP_K_(name, isa, s) name##_##isa##_##s
#define RP_K(name, isa, s) RP_K_(name, isa, s)
#define RP_BOTH(name) {RP_K(name, RP_ISA, f32), RP_K(name, RP_ISA, f64)}

const rp_kernel_set RP_SET_NAME(RP_ISA) = {
    .name = RP_STR(RP_ISA),
    .supported = RP_SUPPORTED,
    .scale_contig = RP_BOTH(scale_contig),
    .scale_strided = RP_BOTH(scale_strided),
    .binary = {[RP_ADD] = RP_BOTH(binary_add),
               [RP_SUBTRACT] = RP_BOTH(binary_subtract),
               [RP_MULTIPLY] = RP_BOTH(binary_multiply)},
    .pairwise = RP_BOTH(pairwise),
    .accumulate = RP_BOTH(accumulate),
};
