/*
 * libraptors: fast, bit-exact numeric kernels.
 *
 * Every entry point is safe to call from several threads at once. None of them
 * touches the floating-point environment (rounding mode, FTZ/DAZ).
 */
#ifndef RAPTORS_H
#define RAPTORS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RAPTORS_API __attribute__((visibility("default")))
#else
#define RAPTORS_API
#endif

/* Bumped whenever a signature or a struct in this header changes; the Python
 * binding refuses a library whose number differs from the one it was written for. */
#define RAPTORS_ABI_VERSION 1
#define RAPTORS_VERSION "0.1.0"

/* Largest number of dimensions the strided entry points accept (NumPy's NPY_MAXDIMS). */
#define RAPTORS_MAX_DIMS 64

/* Return codes. */
enum {
    RAPTORS_OK = 0,
    RAPTORS_EINVAL = -1,   /* bad argument: NULL pointer with n > 0, ndim out of range, ... */
    RAPTORS_ENOMEM = -2,
};

RAPTORS_API int raptors_abi_version(void);
RAPTORS_API const char *raptors_version(void);

/* What the build recorded plus the current runtime state, as a JSON object. The
 * string stays valid until the next call from the same thread. */
RAPTORS_API const char *raptors_build_info(void);

/* y[i] = a * x[i] for i in [0, n) over contiguous elements. y may equal x (in
 * place); any other overlap is the caller's business. No alignment needed. */
RAPTORS_API int raptors_scale_f32(const float *x, float *y, size_t n, float a);
RAPTORS_API int raptors_scale_f64(const double *x, double *y, size_t n, double a);

/* The same over an N-d strided view: shape[ndim]; x_strides/y_strides in BYTES,
 * any sign, any alignment. Elements are visited exactly once each. */
RAPTORS_API int raptors_scale_strided_f32(int ndim, const int64_t *shape,
                                          const void *x, const int64_t *x_strides,
                                          void *y, const int64_t *y_strides, float a);
RAPTORS_API int raptors_scale_strided_f64(int ndim, const int64_t *shape,
                                          const void *x, const int64_t *x_strides,
                                          void *y, const int64_t *y_strides, double a);

/* Threads used by one call (>= 1). Set returns the previous value, or
 * RAPTORS_EINVAL for n < 1 or n > RAPTORS_MAX_THREADS. */
#define RAPTORS_MAX_THREADS 256
RAPTORS_API int raptors_set_num_threads(int n);
RAPTORS_API int raptors_get_num_threads(void);

/* SIMD variant in use ("avx512", "avx2", "neon", "scalar"). Select one by name,
 * or "auto" for the best the CPU supports; returns RAPTORS_EINVAL if unknown or
 * unsupported here. */
RAPTORS_API const char *raptors_get_simd(void);
RAPTORS_API int raptors_set_simd(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* RAPTORS_H */
