/* Portable variant: runs everywhere; also the fallback for odd layouts. */
#include "kernels.h"
#include "simd_scalar.h"

static int always(void) { return 1; }
#define RP_SUPPORTED always
#include "kernel_set.h"
