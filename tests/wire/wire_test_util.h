/* wire_test_util.h — shared by the tests in tests/wire/ (header-only: every
 * tests/<part>/test_*.c is its own executable).
 *
 *   - models: load an index.json entry, its SHA-256, its golden case;
 *   - heads: an engine planned for [0, N) that runs [0, k) on an input;
 *   - frames: fill a sciot_wire_frame with the cut of k from an engine;
 *   - tw_write: an independent frame writer written from docs/PROTOCOL.md
 *     alone, which writes whatever fields it is given (wrong ones included):
 *     the reference the library encoder is compared with byte for byte, and
 *     the way the tests build malformed frames; tw_fix_crc recomputes the
 *     trailer after a patch. */
#ifndef SCIOT_WIRE_TEST_UTIL_H
#define SCIOT_WIRE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/wire.h"
#include "testutil.h"

#define TW_CHECK(cond)                                                                          \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

static inline cJSON *tw_load_index(const char *models)
{
    size_t len;
    char *txt = (char *)tu_read(models, "index.json", &len);
    txt = realloc(txt, len + 1);
    txt[len] = 0;
    cJSON *j = cJSON_Parse(txt);
    free(txt);
    TW_CHECK(j != NULL);
    return j;
}

static inline int tw_unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return s[2 * n] == 0 ? 0 : -1;
}

static inline int tw_is_int8_model(const char *name)
{
    return strncmp(name, "sciot_fomo_float_layers", 23) != 0;
}

typedef struct {
    char name[256];
    char dir[4096];       /* $SCIOT_MODELS/<name> */
    const cJSON *entry;
    sciot_model m;
    uint8_t sha[32];      /* from index.json, checked against the file */
} tw_model;

static inline void tw_model_load(tw_model *tm, const char *models, const cJSON *index, const char *name)
{
    char path[8300];
    sciot_error err = {0};
    memset(tm, 0, sizeof *tm);
    snprintf(tm->name, sizeof tm->name, "%s", name);
    snprintf(tm->dir, sizeof tm->dir, "%s/%s", models, name);
    tm->entry = cJSON_GetObjectItem(index, name);
    TW_CHECK(tm->entry != NULL);
    snprintf(path, sizeof path, "%s/%s", models, cJSON_GetObjectItem(tm->entry, "model")->valuestring);
    if (sciot_model_load_file(&tm->m, path, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        abort();
    }
    TW_CHECK(tw_unhex(cJSON_GetObjectItem(tm->entry, "sha256")->valuestring, tm->sha, 32) == 0);
}

static inline int tw_n_cases(const tw_model *tm)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(tm->entry, "cases"));
}

static inline const cJSON *tw_case(const tw_model *tm, int c)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(tm->entry, "cases"), c);
}

/* golden file `which` ("inputs"/"outputs") number j of case c */
static inline uint8_t *tw_case_file(const tw_model *tm, int c, const char *which, int j, size_t *len)
{
    const cJSON *arr = cJSON_GetObjectItem(tw_case(tm, c), which);
    return tu_read(tm->dir, cJSON_GetObjectItem(cJSON_GetArrayItem(arr, j), "file")->valuestring, len);
}

/* An engine with its own arena, planned for [pa, pb). */
typedef struct {
    sciot_engine e;
    void *arena;
} tw_engine;

static inline void tw_engine_init(tw_engine *te, const sciot_model *m, int32_t pa, int32_t pb)
{
    sciot_arena_info info;
    sciot_error err = {0};
    TW_CHECK(sciot_engine_arena_size(m, pa, pb, &info, &err) == SCIOT_OK);
    size_t n = (info.total_bytes + 63) & ~(size_t)63;
    te->arena = aligned_alloc(64, n ? n : 64);
    TW_CHECK(te->arena != NULL);
    if (sciot_engine_init(&te->e, m, pa, pb, te->arena, info.total_bytes, &err)) {
        fprintf(stderr, "engine [%d,%d): %s\n", pa, pb, err.msg);
        abort();
    }
}

static inline void tw_engine_free(tw_engine *te)
{
    free(te->arena);
    te->arena = NULL;
}

/* Load case c's inputs into an engine planned from 0 and run [0, k). */
static inline void tw_run_head(tw_engine *te, const tw_model *tm, int c, int32_t k)
{
    const sciot_model *m = &tm->m;
    sciot_error err = {0};
    for (int j = 0; j < m->n_inputs; j++) {
        size_t len;
        uint8_t *d = tw_case_file(tm, c, "inputs", j, &len);
        TW_CHECK(len == m->tensors[m->inputs[j]].bytes);
        memcpy(sciot_engine_tensor(&te->e, m->inputs[j]), d, len);
        free(d);
    }
    if (sciot_engine_run(&te->e, 0, k, &err)) {
        fprintf(stderr, "%s head [0,%d): %s\n", tm->name, k, err.msg);
        abort();
    }
}

/* Fill f's tensors with the cut of k (data from the engine), its header with
 * the model's SHA, split k, k times and a device id. Returns the cut size. */
static inline int32_t tw_fill_cut(sciot_wire_frame *f, const tw_model *tm, const sciot_engine *e, int32_t k,
                                  const uint32_t *times, uint8_t flags)
{
    int32_t cut[SCIOT_WIRE_MAX_TENSORS];
    int32_t n = sciot_model_cut(&tm->m, k, cut, SCIOT_WIRE_MAX_TENSORS);
    TW_CHECK(n <= SCIOT_WIRE_MAX_TENSORS);
    memset(f, 0, sizeof *f);
    f->flags = flags;
    f->request_id = 0x8877665544332211ull ^ (uint64_t)k;
    f->device_id_len = (uint8_t)snprintf(f->device_id, sizeof f->device_id, "esp32-s3/%.40s", tm->name);
    memcpy(f->model_sha256, tm->sha, 32);
    f->split = (uint32_t)k;
    f->n_times = (uint32_t)k;
    f->times_in = times;
    f->n_tensors = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        f->tensors[i].index = cut[i];
        f->tensors[i].data = sciot_engine_tensor(e, cut[i]);
        f->tensors[i].raw_len = (uint32_t)tm->m.tensors[cut[i]].bytes;
        TW_CHECK(f->tensors[i].data != NULL);
    }
    return n;
}

/* The split point inside a residual block (two cut tensors) whose
 * compressed frame carries at least one RLE payload, with the smallest such
 * frame; -1 if none. Leaves the head run to that k. */
static inline int32_t tw_pick_residual_k(const tw_model *tm, tw_engine *head)
{
    static uint32_t times[SCIOT_WIRE_MAX_OPS];
    int32_t best_k = -1;
    size_t best = SIZE_MAX;
    for (int32_t k = 0; k <= tm->m.n_ops; k++) {
        if (sciot_model_cut(&tm->m, k, NULL, 0) != 2)
            continue;
        sciot_wire_frame f, d;
        sciot_error err = {0};
        size_t len;
        tw_run_head(head, tm, 0, k);
        tw_fill_cut(&f, tm, &head->e, k, times, SCIOT_WIRE_F_COMPRESS);
        size_t cap = sciot_wire_frame_bound(&f);
        uint8_t *buf = malloc(cap);
        TW_CHECK(sciot_wire_encode(&f, &tm->m, buf, cap, &len, &err) == SCIOT_OK);
        TW_CHECK(sciot_wire_parse(buf, len, &d, &err) == SCIOT_OK);
        int rle = 0;
        for (uint32_t i = 0; i < d.n_tensors; i++)
            rle += d.tensors[i].encoding != SCIOT_WIRE_ENC_RAW;
        if (rle && len < best) {
            best = len;
            best_k = k;
        }
        free(buf);
    }
    if (best_k >= 0)
        tw_run_head(head, tm, 0, best_k);
    return best_k;
}

/* ---- reference writer (from docs/PROTOCOL.md) --------------------------- */

static inline void tw_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t tw_ld(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Writes f's fields as they are: version, flags, counts, each record's
 * dtype/rank/encoding/dims/quantization/raw_len/payload_len and payload
 * (payload_len bytes from .payload, or from .data when .payload is NULL).
 * Times come from times_in, else from the times view; with flag TELEMETRY
 * the 16-byte block (prev_request_id, prev_rtt_us, reserved 0) precedes
 * them. header_len and frame_len are computed; the CRC too. Returns the length (cap must do). */
static inline size_t tw_write(const sciot_wire_frame *f, uint8_t *out, size_t cap)
{
    size_t pos = 64;
    TW_CHECK(cap >= 64 + f->device_id_len + 4 * (size_t)f->n_times + 4);
    memset(out, 0, 64);
    memcpy(out, "SCIW", 4);
    out[4] = f->version;
    out[5] = f->flags;
    tw_le(out + 6, 64 + f->device_id_len + ((f->flags & SCIOT_WIRE_F_TELEMETRY) ? 16 : 0) + 4 * (uint64_t)f->n_times,
          2);
    tw_le(out + 12, f->request_id, 8);
    memcpy(out + 20, f->model_sha256, 32);
    tw_le(out + 52, f->split, 4);
    tw_le(out + 56, f->n_times, 4);
    tw_le(out + 60, f->n_tensors, 2);
    out[62] = f->device_id_len;
    memcpy(out + pos, f->device_id, f->device_id_len);
    pos += f->device_id_len;
    if (f->flags & SCIOT_WIRE_F_TELEMETRY) { /* prev_request_id, prev_rtt_us, reserved */
        TW_CHECK(cap - pos >= 16 + 4 * (size_t)f->n_times + 4);
        tw_le(out + pos, f->prev_request_id, 8);
        tw_le(out + pos + 8, f->prev_rtt_us, 4);
        tw_le(out + pos + 12, 0, 4);
        pos += 16;
    }
    for (uint32_t i = 0; i < f->n_times; i++, pos += 4)
        tw_le(out + pos, f->times_in ? f->times_in[i] : tw_ld(f->times + 4 * i, 4), 4);
    for (uint32_t i = 0; i < f->n_tensors && i < SCIOT_WIRE_MAX_TENSORS; i++) {
        const sciot_wire_tensor *w = &f->tensors[i];
        TW_CHECK(cap - pos >= 24 + 4 * (size_t)w->rank + w->payload_len + 4);
        tw_le(out + pos, (uint32_t)w->index, 4);
        out[pos + 4] = (uint8_t)w->dtype;
        out[pos + 5] = (uint8_t)w->rank;
        out[pos + 6] = w->encoding;
        out[pos + 7] = 0;
        pos += 8;
        for (int d = 0; d < w->rank; d++, pos += 4)
            tw_le(out + pos, (uint32_t)w->dims[d], 4);
        uint32_t sb;
        memcpy(&sb, &w->scale, 4);
        tw_le(out + pos, sb, 4);
        tw_le(out + pos + 4, (uint32_t)w->zero_point, 4);
        tw_le(out + pos + 8, w->raw_len, 4);
        tw_le(out + pos + 12, w->payload_len, 4);
        pos += 16;
        if (w->payload_len)
            memcpy(out + pos, w->payload ? w->payload : (const uint8_t *)w->data, w->payload_len);
        pos += w->payload_len;
    }
    tw_le(out + 8, pos + 4, 4);
    tw_le(out + pos, sciot_crc32c(0, out, pos), 4);
    return pos + 4;
}

/* Recompute the trailer of a frame of `len` bytes after a patch. */
static inline void tw_fix_crc(uint8_t *buf, size_t len)
{
    tw_le(buf + len - 4, sciot_crc32c(0, buf, len - 4), 4);
}

/* Offset of record i of a frame (walking the records as they are). */
static inline size_t tw_record_offset(const uint8_t *buf, uint32_t i)
{
    size_t pos = (size_t)tw_ld(buf + 6, 2);
    for (uint32_t j = 0; j < i; j++) {
        uint8_t rank = buf[pos + 5];
        pos += 24 + 4 * (size_t)rank + (size_t)tw_ld(buf + pos + 20 + 4 * rank, 4);
    }
    return pos;
}

#endif
