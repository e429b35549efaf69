/*
 * Runtime ISA dispatch, kept apart from the kernels (as in xxHash's
 * xxh_x86dispatch.c): the variants are compiled side by side, each with its own
 * target attribute, and the best one the running CPU supports is chosen once.
 * RAPTORS_SIMD=auto|avx512|avx2|neon|scalar (or raptors_set_simd) forces one:
 * then every call runs on it, whatever a tuning chose (plan.c).
 */
#include "dispatch.h"
#include "raptors.h"
#include "settings.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Best first. */
static const rp_kernel_set *const variants[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &rp_kernels_avx512,
    &rp_kernels_avx2,
#endif
#if defined(__aarch64__)
    &rp_kernels_neon,
#endif
    &rp_kernels_scalar,
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

static _Atomic(const rp_kernel_set *) active;
/* Did the user name a variant (not "auto")? Then a tuning's choices are ignored. */
static _Atomic int forced;

static const rp_kernel_set *best_supported(void)
{
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i]->supported())
            return variants[i];
    return &rp_kernels_scalar;
}

static const rp_kernel_set *find_variant(const char *name)
{
    if (name == NULL || strcmp(name, "auto") == 0 || name[0] == '\0')
        return best_supported();
    for (size_t i = 0; i < NVARIANTS; i++)
        if (strcmp(variants[i]->name, name) == 0)
            return variants[i]->supported() ? variants[i] : NULL;
    return NULL;
}

static int names_variant(const char *name)
{
    return name != NULL && name[0] != '\0' && strcmp(name, "auto") != 0;
}

const rp_kernel_set *rp_active_kernels(void)
{
    const rp_kernel_set *k = atomic_load_explicit(&active, memory_order_acquire);
    if (k == NULL) {
        const char *env = getenv("RAPTORS_SIMD");
        k = find_variant(env);
        const rp_kernel_set *none = NULL;
        const int refused = k == NULL; /* unknown or unsupported here: auto, and say so */
        if (refused)
            k = best_supported();
        /* The first thread to get here decides (and says so once); the others use it. */
        if (atomic_compare_exchange_strong(&active, &none, k)) {
            if (refused) {
                char takes[96];
                snprintf(takes, sizeof takes, "auto or a variant this CPU runs: %s",
                         rp_available_simd());
                rp_env_refuse("RAPTORS_SIMD", env, takes, "auto");
            }
            else if (names_variant(env))
                atomic_store_explicit(&forced, 1, memory_order_relaxed);
        } else {
            k = none;
        }
    }
    return k;
}

int rp_simd_forced(void)
{
    rp_active_kernels(); /* RAPTORS_SIMD read */
    return atomic_load_explicit(&forced, memory_order_relaxed);
}

const rp_kernel_set *rp_find_variant(const char *name)
{
    return names_variant(name) ? find_variant(name) : NULL;
}

const char *raptors_get_simd(void) { return rp_active_kernels()->name; }

int raptors_set_simd(const char *name)
{
    const rp_kernel_set *k = find_variant(name);
    if (k == NULL)
        return RAPTORS_EINVAL;
    rp_active_kernels(); /* RAPTORS_SIMD read first, so it cannot override this later */
    atomic_store_explicit(&forced, names_variant(name), memory_order_relaxed);
    atomic_store_explicit(&active, k, memory_order_release);
    return RAPTORS_OK;
}

static char available[128];
static pthread_once_t available_once = PTHREAD_ONCE_INIT;

static void list_available(void)
{
    for (size_t i = 0; i < NVARIANTS; i++) {
        if (!variants[i]->supported())
            continue;
        if (available[0] != '\0')
            strncat(available, ",", sizeof available - strlen(available) - 1);
        strncat(available, variants[i]->name, sizeof available - strlen(available) - 1);
    }
}

const char *rp_available_simd(void)
{
    pthread_once(&available_once, list_available);
    return available;
}

/* Cache sizes from sysfs (Linux, any architecture), else sysconf where glibc
 * knows them. */

/* The first line of cpu0's cache/index<idx>/<field> into buf; 0 if unreadable. */
static int sysfs_cache_field(int idx, const char *field, char *buf, int len)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", idx, field);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int ok = fgets(buf, len, f) != NULL;
    fclose(f);
    return ok;
}

/* The data (or unified) cache of this level, in bytes; 0 if sysfs does not say. */
static size_t sysfs_cache_size(int want_level)
{
    char buf[64];
    for (int idx = 0; sysfs_cache_field(idx, "level", buf, sizeof buf); idx++) {
        if (strtol(buf, NULL, 10) != want_level)
            continue;
        if (!sysfs_cache_field(idx, "type", buf, sizeof buf) ||
            (strncmp(buf, "Data", 4) != 0 && strncmp(buf, "Unified", 7) != 0))
            continue;
        unsigned long v = 0;
        char unit = 0;
        if (!sysfs_cache_field(idx, "size", buf, sizeof buf) ||
            sscanf(buf, "%lu%c", &v, &unit) < 1)
            continue;
        if (unit == 'K')
            v *= 1024UL;
        else if (unit == 'M')
            v *= 1024UL * 1024UL;
        return v;
    }
    return 0;
}

static size_t sysconf_size(int name)
{
    long v = sysconf(name);
    return v > 0 ? (size_t)v : 0;
}

static rp_cache_info cache_info;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void read_cache_info(void)
{
    rp_cache_info c = {sysfs_cache_size(1), sysfs_cache_size(2), sysfs_cache_size(3)};
#ifdef _SC_LEVEL1_DCACHE_SIZE
    if (c.l1d_bytes == 0)
        c.l1d_bytes = sysconf_size(_SC_LEVEL1_DCACHE_SIZE);
    if (c.l2_bytes == 0)
        c.l2_bytes = sysconf_size(_SC_LEVEL2_CACHE_SIZE);
    if (c.l3_bytes == 0)
        c.l3_bytes = sysconf_size(_SC_LEVEL3_CACHE_SIZE);
#else
    (void)sysconf_size;
#endif
    cache_info = c;
}

const rp_cache_info *rp_cache(void)
{
    pthread_once(&cache_once, read_cache_info);
    return &cache_info;
}
