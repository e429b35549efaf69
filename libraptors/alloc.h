/* Internal: the large-buffer pool behind raptors_alloc / raptors_free (see raptors.h). */
#ifndef RAPTORS_ALLOC_H
#define RAPTORS_ALLOC_H

#include <stddef.h>

/* Granule of pooled blocks: one x86-64 / Arm64 transparent huge page. */
#define RP_BLOCK_ALIGN ((size_t)2 << 20)

/* Bytes of freed blocks the pool keeps for reuse (RAPTORS_POOL_BYTES, default below). */
size_t rp_pool_limit(void);
/* Reads RAPTORS_POOL_BYTES and RAPTORS_POOL_IDLE_MS (once). */
void rp_pool_read_env(void);

#endif
