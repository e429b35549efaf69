/* Included by kernel_set.h once per dtype (RP_T, RP_S defined): every kernel
 * family's body, the element-wise binary one once per operation. */
#include "scale_body.h"
#include "reduce_body.h"
#define RP_OPN add
#include "binary_body.h"
#undef RP_OPN
#define RP_OPN subtract
#include "binary_body.h"
#undef RP_OPN
#define RP_OPN multiply
#include "binary_body.h"
#undef RP_OPN
