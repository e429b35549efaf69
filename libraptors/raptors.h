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
#define RAPTORS_ABI_VERSION 3
#define RAPTORS_VERSION "0.1.0"

/* Largest number of dimensions the strided entry points accept (NumPy's NPY_MAXDIMS). */
#define RAPTORS_MAX_DIMS 64

/* Return codes. */
enum {
    RAPTORS_OK = 0,
    RAPTORS_EINVAL = -1,   /* bad argument: NULL pointer with n > 0, ndim out of range, ... */
    RAPTORS_ENOMEM = -2,
    RAPTORS_EOVERLAP = -3, /* x and y overlap without being the same array (the _ref entry points) */
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

/* The same, with the data pointers read at call time from *x_ref and *y_ref.
 * For bindings whose cheapest handle on an array is the address of the field
 * that holds its data pointer (ctypes and a NumPy array: id(arr) + offset),
 * which saves fetching the pointer in the interpreter. Also checks overlap:
 * x and y must be equal or disjoint, else RAPTORS_EOVERLAP and nothing is written. */
RAPTORS_API int raptors_scale_f32_ref(const void *const *x_ref, void *const *y_ref, size_t n,
                                      float a);
RAPTORS_API int raptors_scale_f64_ref(const void *const *x_ref, void *const *y_ref, size_t n,
                                      double a);

/* The same over an N-d strided view: shape[ndim]; x_strides/y_strides in BYTES,
 * any sign, any alignment. Elements are visited exactly once each. */
RAPTORS_API int raptors_scale_strided_f32(int ndim, const int64_t *shape,
                                          const void *x, const int64_t *x_strides,
                                          void *y, const int64_t *y_strides, float a);
RAPTORS_API int raptors_scale_strided_f64(int ndim, const int64_t *shape,
                                          const void *x, const int64_t *x_strides,
                                          void *y, const int64_t *y_strides, double a);

/* ---- Element-wise binary operations (NumPy's ufuncs of the same names) ----
 * out = x op y, each element one IEEE operation in the element type, so the
 * result equals NumPy's bit for bit. */
enum { RAPTORS_ADD = 0, RAPTORS_SUBTRACT = 1, RAPTORS_MULTIPLY = 2 };

/* Over an N-d strided view: shape[ndim]; strides in BYTES, any sign and
 * alignment; a stride of 0 broadcasts an operand along that axis (NumPy's
 * broadcasting, done by the caller). out may be x or y itself (the same view:
 * in place); any other overlap of out with an input is the caller's to remove
 * (NumPy reads from a copy). RAPTORS_EINVAL for an unknown op. */
RAPTORS_API int raptors_binary_f32(int op, int ndim, const int64_t *shape,
                                   const void *x, const int64_t *x_strides,
                                   const void *y, const int64_t *y_strides,
                                   void *out, const int64_t *out_strides);
RAPTORS_API int raptors_binary_f64(int op, int ndim, const int64_t *shape,
                                   const void *x, const int64_t *x_strides,
                                   const void *y, const int64_t *y_strides,
                                   void *out, const int64_t *out_strides);

/* n contiguous elements of x, y and out, the data pointers read from *x_ref,
 * *y_ref, *out_ref (as raptors_scale_*_ref). Each input must equal out or be
 * disjoint from it, else RAPTORS_EOVERLAP and nothing is written. */
RAPTORS_API int raptors_binary_f32_ref(int op, const void *const *x_ref, const void *const *y_ref,
                                       void *const *out_ref, size_t n);
RAPTORS_API int raptors_binary_f64_ref(int op, const void *const *x_ref, const void *const *y_ref,
                                       void *const *out_ref, size_t n);

/* ---- Packed calls: every argument in one int64 block ----
 * For bindings whose per-argument cost dominates a small call (ctypes converts
 * each argument, ~0.1 us apiece): the caller fills a block it owns (one per
 * thread) and passes its address alone. a[0] = dtype (0 float32, 1 float64)
 * | op << 4 | flags. With RAPTORS_PACKED_REFS each array address is the
 * address of where the data pointer is kept (as the _ref entry points), else
 * the data pointer itself. With RAPTORS_PACKED_CONTIG the arrays are n
 * contiguous elements and no shape or strides follow. */
#define RAPTORS_PACKED_REFS 0x100
#define RAPTORS_PACKED_CONTIG 0x200
/* raptors_reduce_packed: x is a copy of the caller's data that NumPy would have
 * cast (byte-swapped), so reduce it in NumPy's buffered order. */
#define RAPTORS_PACKED_BUFFERED 0x400

/* a = {code, ndim (or n), x, y, out, x_ndim, y_ndim, shape[ndim] (the
 * result's), x_shape[x_ndim], x_strides[x_ndim], y_shape[y_ndim],
 * y_strides[y_ndim], out_strides[ndim]}: raptors_binary_* with NumPy's
 * broadcasting done here (operands align on the right; a length-1 or missing
 * axis repeats; anything else RAPTORS_EINVAL); a 0-d operand is a scalar. An
 * input that overlaps out without being the same view gives RAPTORS_EOVERLAP,
 * nothing written. With RAPTORS_PACKED_CONTIG: {code, n, x, y, out}. */
RAPTORS_API int raptors_binary_packed(const int64_t *a);

/* a = {code, ndim (or n), x, out, axis, bufsize, shape[ndim], x_strides,
 * out_strides}: raptors_reduce_* (axis RAPTORS_ALL_AXES: one element out). */
RAPTORS_API int raptors_reduce_packed(const int64_t *a);

/* ---- Add-reductions: np.sum and np.mean ----
 * In NumPy's own order of additions (pairwise in memory order, buffered chunks
 * for views that do not coalesce, sequential along a strided axis: see
 * README.md, "Bit for bit"), so the result equals NumPy's bit for bit. The
 * mean divides the sum in double precision, as NumPy's (sum / intp count). */
enum { RAPTORS_SUM = 0, RAPTORS_MEAN = 1 };
#define RAPTORS_ALL_AXES (-1)

/* Reduce the N-d strided view x (byte strides, any sign) over `axis` in
 * [0, ndim), or over every axis (RAPTORS_ALL_AXES: one element written to out,
 * out_strides unused). Otherwise out receives one element per position of the
 * other axes at out + sum(i_d * out_strides[d]); out_strides[axis] is ignored.
 * bufsize is NumPy's np.getbufsize(), which decides how NumPy chunks a view
 * whose axes do not coalesce, and data NumPy must copy (misaligned elements).
 * RAPTORS_ENOMEM when a scratch buffer fails. */
RAPTORS_API int raptors_reduce_f32(int op, int ndim, const int64_t *shape, const void *x,
                                   const int64_t *x_strides, int axis, void *out,
                                   const int64_t *out_strides, size_t bufsize);
RAPTORS_API int raptors_reduce_f64(int op, int ndim, const int64_t *shape, const void *x,
                                   const int64_t *x_strides, int axis, void *out,
                                   const int64_t *out_strides, size_t bufsize);

/* All n contiguous elements at *x_ref into the one element at *out_ref. */
RAPTORS_API int raptors_reduce_f32_ref(int op, const void *const *x_ref, size_t n,
                                       void *const *out_ref);
RAPTORS_API int raptors_reduce_f64_ref(int op, const void *const *x_ref, size_t n,
                                       void *const *out_ref);

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

/* ---- Tuning: which variant serves which calls, and the thresholds ----
 * Measured on the machine by `python -m raptors tune`, whose file the Python
 * package applies at import; without one every call runs on the active variant
 * with thresholds derived from the cache sizes. A tuning only chooses among
 * kernels and paths that give the same bits: it changes speed, never a result.
 *
 * Calls of `family` on dtype (0 float32, 1 float64) whose stores are of kind
 * `store` (reductions: RAPTORS_STORE_PLAIN) and which move bytes (read +
 * written) in `regime` (at most the L2 size, at most the L3 size, more) run on
 * the variant `name`; NULL or "auto" restores the active one. A variant the
 * user forced (raptors_set_simd with a name, RAPTORS_SIMD) serves every call
 * instead, while it is forced. RAPTORS_EINVAL: an index out of range, or a
 * variant unknown or unsupported here (nothing changes). */
enum { RAPTORS_FAMILY_SCALE = 0, RAPTORS_FAMILY_BINARY = 1, RAPTORS_FAMILY_REDUCE = 2 };
enum { RAPTORS_STORE_PLAIN = 0, RAPTORS_STORE_STREAM = 1, RAPTORS_STORE_INPLACE = 2 };
enum { RAPTORS_REGIME_CACHE = 0, RAPTORS_REGIME_LLC = 1, RAPTORS_REGIME_DRAM = 2 };
RAPTORS_API int raptors_set_tuning_simd(int family, int dtype, int store, int regime,
                                        const char *name);
/* The variant that serves those calls now; NULL for an index out of range. */
RAPTORS_API const char *raptors_get_tuning_simd(int family, int dtype, int store, int regime);

/* Thresholds, in bytes moved by a call (read + written), per family or for
 * every family (RAPTORS_FAMILY_ALL; a family's own value wins over it).
 * STREAM_ABOVE: stores bypass the cache (non-temporal) when a call that is not
 * in place moves more (0: always; INT64_MAX: never); STREAM_ABOVE_ONE_THREAD
 * replaces it while the thread count (raptors_set_num_threads) is 1, when set
 * (one core moves data out of L3 more slowly than several). BYTES_PER_THREAD: a call
 * uses one thread per this many bytes, at most the thread count (0 counts as
 * 1). bytes < 0 unsets the value (the derived one applies again).
 * RAPTORS_STREAM_MIN_BYTES and RAPTORS_MIN_BYTES_PER_THREAD in the environment
 * win over both. get returns the value in effect for that family (INT64_MAX:
 * never), RAPTORS_EINVAL for an unknown `which` or family. */
#define RAPTORS_FAMILY_ALL (-1)
enum {
    RAPTORS_TUNE_STREAM_ABOVE_BYTES = 0,
    RAPTORS_TUNE_BYTES_PER_THREAD = 1,
    RAPTORS_TUNE_STREAM_ABOVE_BYTES_ONE_THREAD = 2,
};
RAPTORS_API int raptors_set_tuning_bytes(int which, int family, int64_t bytes);
RAPTORS_API int64_t raptors_get_tuning_bytes(int which, int family);

/* Forget every tuned choice: the active variant and the derived thresholds. */
RAPTORS_API void raptors_clear_tuning(void);

/* Buffers for new arrays: at least nbytes, aligned to 2 MiB, NOT zeroed; NULL
 * when out of memory. Freed blocks (raptors_free with the same nbytes) are kept
 * for reuse up to RAPTORS_POOL_BYTES (default 256 MiB) so a later allocation of
 * the same size class pays no page faults. trim unmaps every cached block and
 * returns the bytes released; cached returns the bytes held for reuse. */
RAPTORS_API void *raptors_alloc(size_t nbytes);
RAPTORS_API void raptors_free(void *p, size_t nbytes);
RAPTORS_API size_t raptors_pool_trim(void);
RAPTORS_API size_t raptors_pool_cached(void);

#ifdef __cplusplus
}
#endif
#endif /* RAPTORS_H */
