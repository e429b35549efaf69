/*
 * Runtime ISA dispatch, kept apart from the kernels (as in xxHash's
 * xxh_x86dispatch.c): the variants are compiled side by side, each with its own
 * target attribute, and the best one the running CPU supports is chosen once.
 * RAPTORS_SIMD=auto|avx512|avx2|neon|scalar (or raptors_set_simd) forces one.
 */
#include "dispatch.h"
#include "raptors.h"

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

const rp_kernel_set *rp_active_kernels(void)
{
    const rp_kernel_set *k = atomic_load_explicit(&active, memory_order_acquire);
    if (k == NULL) {
        const char *env = getenv("RAPTORS_SIMD");
        k = find_variant(env);
        if (k == NULL) {
            /* An unknown or unsupported request must not crash the host process. */
            fprintf(stderr, "raptors: RAPTORS_SIMD=%s is unknown or unsupported here; using auto\n",
                    env);
            k = best_supported();
        }
        atomic_store_explicit(&active, k, memory_order_release);
    }
    return k;
}

const char *raptors_get_simd(void) { return rp_active_kernels()->name; }

int raptors_set_simd(const char *name)
{
    const rp_kernel_set *k = find_variant(name);
    if (k == NULL)
        return RAPTORS_EINVAL;
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
static size_t sysfs_cache_size(int want_level, int want_data)
{
    for (int idx = 0; idx < 8; idx++) {
        char path[128], buf[64];
        int level = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            break;
        if (fscanf(f, "%d", &level) != 1)
            level = 0;
        fclose(f);
        if (level != want_level)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fscanf(f, "%63s", buf) != 1)
            buf[0] = '\0';
        fclose(f);
        if (want_data && strcmp(buf, "Data") != 0 && strcmp(buf, "Unified") != 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        unsigned long v = 0;
        char unit = 0;
        int got = fscanf(f, "%lu%c", &v, &unit);
        fclose(f);
        if (got < 1)
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
    rp_cache_info c = {sysfs_cache_size(1, 1), sysfs_cache_size(2, 1), sysfs_cache_size(3, 1)};
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
