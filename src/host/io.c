/* io.c — whole-file reads and writes, and a monotonic clock. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/host.h"

sciot_status sciot_read_file(const char *path, uint8_t **data, size_t *len, sciot_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        return sciot_fail(err, SCIOT_ERR_IO, "%s: cannot seek", path);
    }
    long n = ftell(fp);
    if (n < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return sciot_fail(err, SCIOT_ERR_IO, "%s: cannot size the file", path);
    }
    /* 64-byte aligned so that flatbuffer-aligned weights stay aligned */
    size_t cap = ((size_t)n + 64) & ~(size_t)63;
    uint8_t *buf = aligned_alloc(64, cap ? cap : 64);
    if (!buf) {
        fclose(fp);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: cannot allocate %ld bytes", path, n);
    }
    size_t got = fread(buf, 1, (size_t)n, fp);
    fclose(fp);
    if (got != (size_t)n) {
        free(buf);
        return sciot_fail(err, SCIOT_ERR_IO, "%s: short read (%zu of %ld bytes)", path, got, n);
    }
    *data = buf;
    *len = (size_t)n;
    return SCIOT_OK;
}

sciot_status sciot_write_file(const char *path, const void *data, size_t len, sciot_error *err)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: %s", path, strerror(errno));
    size_t put = fwrite(data, 1, len, fp);
    if (fclose(fp) != 0 || put != len)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: write failed", path);
    return SCIOT_OK;
}

uint64_t sciot_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
