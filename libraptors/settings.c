/* The RAPTORS_* environment variables (settings.h) and the ones refused. */
#include "settings.h"
#include "alloc.h"
#include "dispatch.h"
#include "plan.h"
#include "raptors.h"
#include "threads.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REFUSED 8
static struct {
    char name[40], value[64], takes[96], instead[64];
} refused[MAX_REFUSED];
static int nrefused;
static pthread_mutex_t refused_lock = PTHREAD_MUTEX_INITIALIZER;

void rp_env_refuse(const char *name, const char *value, const char *takes, const char *instead)
{
    pthread_mutex_lock(&refused_lock);
    if (nrefused < MAX_REFUSED) {
        snprintf(refused[nrefused].name, sizeof refused[0].name, "%s", name);
        snprintf(refused[nrefused].value, sizeof refused[0].value, "%s", value);
        snprintf(refused[nrefused].takes, sizeof refused[0].takes, "%s", takes);
        snprintf(refused[nrefused].instead, sizeof refused[0].instead, "%s", instead);
        nrefused++;
    }
    pthread_mutex_unlock(&refused_lock);
}

int rp_env_size(const char *name, size_t *v, const char *takes, const char *instead)
{
    const char *s = getenv(name);
    if (s == NULL || s[0] == '\0')
        return 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || x > SIZE_MAX) { /* "-1", "1e6", "xyz" */
        rp_env_refuse(name, s, takes, instead);
        return 0;
    }
    *v = (size_t)x;
    return 1;
}

/* JSON string escaping for a value someone typed. */
static size_t put_string(char *dst, size_t o, size_t cap, const char *s)
{
    if (o < cap)
        dst[o++] = '"';
    for (; *s && o + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(dst + o, cap - o, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
        else
            dst[o++] = (char)c;
    }
    if (o < cap)
        dst[o++] = '"';
    return o;
}

const char *raptors_refused_settings(void)
{
    static char buf[2048];
    /* Read every setting now (each is read once, on first use). */
    rp_active_kernels();
    rp_num_threads();
    rp_wait_read_env();
    rp_plan_read_env();
    rp_pool_read_env();
    pthread_mutex_lock(&refused_lock);
    size_t o = 0, cap = sizeof buf - 4;
    buf[o++] = '[';
    for (int i = 0; i < nrefused && o < cap; i++) {
        o += (size_t)snprintf(buf + o, cap - o, "%s{\"name\": ", i ? ", " : "");
        o = put_string(buf, o, cap, refused[i].name);
        o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ", \"value\": ");
        o = put_string(buf, o, cap, refused[i].value);
        o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ", \"takes\": ");
        o = put_string(buf, o, cap, refused[i].takes);
        o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ", \"instead\": ");
        o = put_string(buf, o, cap, refused[i].instead);
        if (o < cap)
            buf[o++] = '}';
    }
    buf[o < cap ? o : cap] = '\0';
    strcat(buf, "]");
    pthread_mutex_unlock(&refused_lock);
    return buf;
}
