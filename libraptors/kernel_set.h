/* Included by each kernels_<isa>.c after its simd header: instantiates the
 * kernel body for both dtypes and publishes the variant's table. */
#define RP_T float
#define RP_S f32
#include "scale_body.h"
#undef RP_T
#undef RP_S
#define RP_T double
#define RP_S f64
#include "scale_body.h"
#undef RP_T
#undef RP_S

#define RP_SET_NAME_(isa) rp_kernels_##isa
#define RP_SET_NAME(isa) RP_SET_NAME_(isa)
#define RP_STR_(x) #x
#define RP_STR(x) RP_STR_(x)
#define RP_K_(name, isa, s) name##_##isa##_##s
#define RP_K(name, isa, s) RP_K_(name, isa, s)

const rp_kernel_set RP_SET_NAME(RP_ISA) = {
    .name = RP_STR(RP_ISA),
    .supported = RP_SUPPORTED,
    .scale_contig = {RP_K(scale_contig, RP_ISA, f32), RP_K(scale_contig, RP_ISA, f64)},
    .scale_strided = {RP_K(scale_strided, RP_ISA, f32), RP_K(scale_strided, RP_ISA, f64)},
};
