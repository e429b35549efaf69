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

/* Bumped whenever a signature, the call protocol (protocol.h) or a list of
 * ops.h changes; the Python binding refuses a library whose number differs
 * from the one it was written for. */
#define RAPTORS_ABI_VERSION 10
#define RAPTORS_VERSION "0.1.0"

/* Largest number of dimensions an operand may have (NumPy's NPY_MAXDIMS). */
#define RAPTORS_MAX_DIMS 64

/* Return codes. X(NAME, value). */
#define RAPTORS_RETURN_CODES(X)                                                                    \
    X(OK, 0)                                                                                       \
    X(EINVAL, -1)   /* a bad block: unknown operation or dtype, shapes that do not broadcast... */ \
    X(ENOMEM, -2)   /* a scratch buffer could not be allocated; nothing useful was written */      \
    X(EOVERLAP, -3) /* an input overlaps out without being the same view; nothing written */       \
    X(ELAYOUT, -4)  /* an ARRAYS call whose arrays are not one C-contiguous shape; nothing written */
#define RAPTORS_RETURN_CODE_(name, value) RAPTORS_##name = value,
enum { RAPTORS_RETURN_CODES(RAPTORS_RETURN_CODE_) };

/* A positive return is success with floating-point exceptions raised by the
 * computation (on any of its threads), these bits ORed -- what NumPy checks after
 * its loops to warn or raise as np.errstate says. */
#define RAPTORS_FP_EXCEPTIONS(X) X(FPE_INVALID, 1) X(FPE_DIVIDE, 2) X(FPE_OVERFLOW, 4) X(FPE_UNDERFLOW, 8)
enum { RAPTORS_FP_EXCEPTIONS(RAPTORS_RETURN_CODE_) };
/* Further success bits: a nanmean had a slice without numbers (NumPy warns
 * "Mean of empty slice" once per call). */
#define RAPTORS_NOTES(X) X(NOTE_EMPTY_SLICE, 16)
enum { RAPTORS_NOTES(RAPTORS_RETURN_CODE_) };

#include "ops.h"
#include "protocol.h"

RAPTORS_API int raptors_abi_version(void);
RAPTORS_API const char *raptors_version(void);

/* What the build recorded plus the current runtime state, as a JSON object. The
 * string stays valid until the next call from the same thread. */
RAPTORS_API const char *raptors_build_info(void);

/* The call protocol (protocol.h) and the lists of ops.h as a JSON object:
 * {"abi": N, "words": {...}, "flags": {...}, "dtype_shift": 8, "operations":
 * {name: id}, "dtypes": {name: id}, "return_codes": {...}, "max_dims": 64,
 * "max_words": N, "all_axes": -1}. A static string. */
RAPTORS_API const char *raptors_protocol(void);

/* The RAPTORS_* environment variables this process gave values the library
 * refused (it used the default instead), as a JSON list of {"name", "value",
 * "instead"}; reads every variable first. Valid until the next call. */
RAPTORS_API const char *raptors_refused_settings(void);

/* Every operation: the block of protocol.h. Results equal NumPy's bit for bit:
 * element-wise, one IEEE operation per element in the element type; sum and
 * mean in NumPy's own order of additions (pairwise in memory order, buffered
 * chunks for views that do not coalesce, sequential along a strided axis),
 * the mean divided in double precision as NumPy's (sum / intp count). out may
 * be an input itself (the same view: in place). Returns a RAPTORS_* code:
 * negative, an error (nothing is written, except ENOMEM midway); 0 or a set of
 * RAPTORS_FPE_* bits, done (the caller's FP status flags are cleared first and
 * left holding what the call raised). */
RAPTORS_API int raptors_call(const int64_t *block);

/* ---- The typed C API: float32/float64 for C callers ----
 * Each builds a block and calls raptors_call, so it behaves exactly as the
 * protocol says. Shapes and strides (in BYTES, any sign and alignment) are
 * the result's; a stride of 0 broadcasts an operand along that axis.
 * Element-wise: out may be x or y itself (the same view); an input that
 * overlaps out otherwise gives RAPTORS_EOVERLAP with nothing written. */
RAPTORS_API int raptors_scale_f32(const float *x, float *y, size_t n, float a);
RAPTORS_API int raptors_scale_f64(const double *x, double *y, size_t n, double a);
RAPTORS_API int raptors_scale_strided_f32(int ndim, const int64_t *shape, const void *x,
                                          const int64_t *x_strides, void *y,
                                          const int64_t *y_strides, float a);
RAPTORS_API int raptors_scale_strided_f64(int ndim, const int64_t *shape, const void *x,
                                          const int64_t *x_strides, void *y,
                                          const int64_t *y_strides, double a);
/* op: RAPTORS_OP_ADD, RAPTORS_OP_SUBTRACT or RAPTORS_OP_MULTIPLY. */
RAPTORS_API int raptors_binary_f32(int op, int ndim, const int64_t *shape, const void *x,
                                   const int64_t *x_strides, const void *y,
                                   const int64_t *y_strides, void *out,
                                   const int64_t *out_strides);
RAPTORS_API int raptors_binary_f64(int op, int ndim, const int64_t *shape, const void *x,
                                   const int64_t *x_strides, const void *y,
                                   const int64_t *y_strides, void *out,
                                   const int64_t *out_strides);
/* op: RAPTORS_SUM or RAPTORS_MEAN. x reduced over `axis` in [0, ndim) or every
 * axis (RAPTORS_ALL_AXES: one element written to out, out_strides unused);
 * otherwise out receives one element per position of the other axes at out +
 * sum(i_d * out_strides[d]) (out_strides[axis] ignored). bufsize: NumPy's
 * np.getbufsize(). */
enum { RAPTORS_SUM = 0, RAPTORS_MEAN = 1 };
RAPTORS_API int raptors_reduce_f32(int op, int ndim, const int64_t *shape, const void *x,
                                   const int64_t *x_strides, int axis, void *out,
                                   const int64_t *out_strides, size_t bufsize);
RAPTORS_API int raptors_reduce_f64(int op, int ndim, const int64_t *shape, const void *x,
                                   const int64_t *x_strides, int axis, void *out,
                                   const int64_t *out_strides, size_t bufsize);

/* Threads used by one call (>= 1). Set returns the previous value, or
 * RAPTORS_EINVAL for n < 1 or n > RAPTORS_MAX_THREADS. */
#define RAPTORS_MAX_THREADS 256
RAPTORS_API int raptors_set_num_threads(int n);
RAPTORS_API int raptors_get_num_threads(void);

/* How long, in microseconds, an idle worker thread stays awake (spinning, then
 * yielding its core) after a call before it sleeps, at least: a call within that
 * time finds it at once, a later one wakes it. While calls keep arriving soon
 * after the workers fell asleep, each worker doubles its own spin time (up to
 * 10000 us, or the time set if more), and halves it back when they stop.
 * RAPTORS_SPIN_US=n sets it at load, RAPTORS_WAIT_POLICY=passive means 0 (never
 * spin) and =active 10000; the default is 1000. Set returns the previous value,
 * or RAPTORS_EINVAL outside [0, 1000000]. */
RAPTORS_API int64_t raptors_set_spin_us(int64_t us);
RAPTORS_API int64_t raptors_get_spin_us(void);

/* What the thread pool did since the library loaded, for diagnosis: out[i] for
 * each RAPTORS_STAT_* below i < n. Returns how many counts there are. */
enum {
    RAPTORS_STAT_PARALLEL, /* calls that handed work to the pool's workers */
    RAPTORS_STAT_WOKE,     /* of those, calls that found a worker asleep and woke it */
    RAPTORS_STAT_BACKOFFS, /* calls slower than the caller alone: the next ones run alone */
    RAPTORS_STAT_ALONE,    /* calls the back-off ran on the caller alone */
    RAPTORS_THREAD_STATS
};
RAPTORS_API int raptors_thread_stats(int64_t *out, int n);

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
 * Calls of `family` on dtype (0 float32, 1 float64; the integer dtypes are not tuned:
 * they run on the active variant) whose stores are of kind
 * `store` (reductions: RAPTORS_STORE_PLAIN) and which move bytes (read +
 * written) in `regime` (at most the L2 size, at most the L3 size, more) run on
 * the variant `name`; NULL or "auto" restores the active one. A variant the
 * user forced (raptors_set_simd with a name, RAPTORS_SIMD) serves every call
 * instead, while it is forced. RAPTORS_EINVAL: an index out of range, or a
 * variant unknown or unsupported here (nothing changes). */
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
 * for reuse, up to a limit in bytes (RAPTORS_POOL_BYTES, default 256 MiB) and
 * for an idle time (RAPTORS_POOL_IDLE_MS, default 1000 ms), so a later
 * allocation of the same size class pays no page faults. A block unused for the
 * idle time is unmapped by a background thread, without any further call. trim
 * unmaps every cached block and returns the bytes released; cached returns the
 * bytes held for reuse. set_limit (bytes; 0: keep none) unmaps the coldest
 * blocks above the new limit and returns the previous limit; set_idle_ms (0:
 * keep none) returns the previous idle time, or RAPTORS_EINVAL for ms < 0. */
RAPTORS_API void *raptors_alloc(size_t nbytes);
RAPTORS_API void raptors_free(void *p, size_t nbytes);
RAPTORS_API size_t raptors_pool_trim(void);
RAPTORS_API size_t raptors_pool_cached(void);
RAPTORS_API size_t raptors_pool_set_limit(size_t nbytes);
RAPTORS_API size_t raptors_pool_get_limit(void);
RAPTORS_API int64_t raptors_pool_set_idle_ms(int64_t ms);
RAPTORS_API int64_t raptors_pool_get_idle_ms(void);
/* The same blocks as the four callbacks of a NumPy memory handler (NEP 49's
 * PyDataMemAllocator; ctx unused), which the Python package installs around the
 * allocation of a large result, so that the result owns its memory as NumPy's
 * do. realloc keeps the block when the size class is unchanged. */
RAPTORS_API void *raptors_handler_malloc(void *ctx, size_t nbytes);
RAPTORS_API void *raptors_handler_calloc(void *ctx, size_t n, size_t size);
RAPTORS_API void *raptors_handler_realloc(void *ctx, void *p, size_t nbytes);
RAPTORS_API void raptors_handler_free(void *ctx, void *p, size_t nbytes);

#ifdef __cplusplus
}
#endif
#endif /* RAPTORS_H */
