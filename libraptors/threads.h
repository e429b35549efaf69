/* Internal: the thread pool. Started lazily, once; reused by every call. */
#ifndef RAPTORS_THREADS_H
#define RAPTORS_THREADS_H

#include <stddef.h>

typedef void (*rp_chunk_fn)(void *ctx, size_t chunk);

/* Runs fn(ctx, c) for every c in [0, nchunks) on up to nthreads threads, the
 * caller being one of them, and returns when all chunks are done. Chunks are
 * claimed dynamically, so a worker that the OS does not schedule (another
 * pool spinning on the core, say) costs at most one chunk: the caller takes
 * the rest. If another call holds the pool, this one runs on the caller alone. */
void rp_parallel_for(rp_chunk_fn fn, void *ctx, size_t nchunks, int nthreads);

/* Threads a call may use (raptors_set_num_threads / RAPTORS_NUM_THREADS). */
int rp_num_threads(void);

/* Reads RAPTORS_WAIT_POLICY and RAPTORS_SPIN_US (once). */
void rp_wait_read_env(void);

#endif
