#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "host/host.h"

const char *tu_models_dir(void)
{
    const char *d = getenv("SCIOT_MODELS");
    char p[4096];
    struct stat st;
    if (!d || !*d)
        return NULL;
    snprintf(p, sizeof p, "%s/index.json", d);
    return stat(p, &st) == 0 ? d : NULL;
}

const char *tu_require_models(void)
{
    const char *d = tu_models_dir();
    if (!d) {
        fprintf(stderr, "SCIOT_MODELS is not set to the shared model directory: skipping\n");
        exit(77);
    }
    return d;
}

uint8_t *tu_read(const char *dir, const char *rel, size_t *len)
{
    char p[4096];
    uint8_t *data;
    sciot_error err = {0};
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (sciot_read_file(p, &data, len, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return data;
}

uint32_t tu_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}
