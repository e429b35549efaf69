/* What the build recorded (compiler, flags, commit: see the Makefile, which
 * writes build_config.h) and the runtime state, reported as one JSON object. */
#include "raptors.h"
#include "dispatch.h"
#include "plan.h"
#include "threads.h"
#include "build_config.h"

#include <stdio.h>
#include <string.h>

/* JSON string escaping for the few characters a flag or a compiler banner can hold. */
static void put_escaped(char *dst, size_t cap, const char *src)
{
    size_t o = strlen(dst);
    for (; *src && o + 7 < cap; src++) {
        unsigned char ch = (unsigned char)*src;
        if (ch == '"' || ch == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", ch);
        } else {
            dst[o++] = (char)ch;
        }
    }
    dst[o] = '\0';
}

static void put_field(char *dst, size_t cap, const char *key, const char *value)
{
    size_t o = strlen(dst);
    snprintf(dst + o, cap - o, "%s\"%s\": \"", o > 1 ? ", " : "", key);
    put_escaped(dst, cap, value);
    o = strlen(dst);
    snprintf(dst + o, cap - o, "\"");
}

const char *raptors_build_info(void)
{
    static _Thread_local char buf[8192];
    const rp_cache_info *c = rp_cache();
    buf[0] = '{';
    buf[1] = '\0';
    put_field(buf, sizeof buf, "version", RAPTORS_VERSION);
    put_field(buf, sizeof buf, "compiler", RAPTORS_BUILD_CC);
    put_field(buf, sizeof buf, "cflags", RAPTORS_BUILD_CFLAGS);
    put_field(buf, sizeof buf, "target", RAPTORS_BUILD_TARGET);
    put_field(buf, sizeof buf, "git_commit", RAPTORS_BUILD_GIT);
    put_field(buf, sizeof buf, "simd", raptors_get_simd());
    put_field(buf, sizeof buf, "simd_available", rp_available_simd());
    size_t o = strlen(buf);
    snprintf(buf + o, sizeof buf - o,
             ", \"abi_version\": %d, \"num_threads\": %d, \"l1d_bytes\": %zu, \"l2_bytes\": %zu,"
             " \"l3_bytes\": %zu",
             RAPTORS_ABI_VERSION, rp_num_threads(), c->l1d_bytes, c->l2_bytes, c->l3_bytes);
    o = strlen(buf);
    snprintf(buf + o, sizeof buf - o,
             ", \"spin_us\": %lld, \"pool_max_bytes\": %zu, \"pool_idle_ms\": %lld",
             (long long)raptors_get_spin_us(), raptors_pool_get_limit(),
             (long long)raptors_pool_get_idle_ms());
    rp_plan_json(buf, sizeof buf - 1);
    o = strlen(buf);
    snprintf(buf + o, sizeof buf - o, "}");
    return buf;
}
