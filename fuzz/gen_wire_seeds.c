/* gen_wire_seeds.c — seed corpus for fuzz_wire: valid frames of every split
 * point k of person_detect and fomo_face, raw and RLE-compressed, made the
 * way a device makes them (head [0,k) run on the first golden case input,
 * the cut encoded with sciot_wire_encode).
 *
 *   gen_wire_seeds OUT_DIR [MODELS_DIR]     (MODELS_DIR: default $SCIOT_MODELS)
 *
 * Writes OUT_DIR/<model>_k<NN>_<raw|rle>.bin (fuzz/corpus_wire/ is git-ignored). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/wire.h"

static int fail(const char *what, const sciot_error *err)
{
    fprintf(stderr, "gen_wire_seeds: %s: %s\n", what, err ? err->msg : "failed");
    return 1;
}

static int gen_model(const char *out, const char *models, const cJSON *index, const char *name, int *written)
{
    char path[8300];
    sciot_error err = {0};
    sciot_model m;
    sciot_engine e;
    sciot_arena_info info;
    uint8_t *file, *in;
    size_t file_len, in_len;
    uint8_t sha[32];
    const cJSON *entry = cJSON_GetObjectItem(index, name);
    if (!entry)
        return fail(name, NULL);
    snprintf(path, sizeof path, "%s/%s", models, cJSON_GetObjectItem(entry, "model")->valuestring);
    if (sciot_read_file(path, &file, &file_len, &err))
        return fail(path, &err);
    sciot_sha256(file, file_len, sha);
    free(file);
    if (sciot_model_load_file(&m, path, &err))
        return fail(path, &err);
    const cJSON *in0 = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(entry, "cases"), 0), "inputs"), 0);
    snprintf(path, sizeof path, "%s/%s/%s", models, name, cJSON_GetObjectItem(in0, "file")->valuestring);
    if (sciot_read_file(path, &in, &in_len, &err))
        return fail(path, &err);
    if (m.n_inputs != 1 || in_len != m.tensors[m.inputs[0]].bytes)
        return fail("input size", NULL);
    if (sciot_engine_arena_size(&m, 0, m.n_ops, &info, &err))
        return fail(name, &err);
    void *arena = aligned_alloc(64, (info.total_bytes + 63) & ~(size_t)63);
    if (sciot_engine_init(&e, &m, 0, m.n_ops, arena, info.total_bytes, &err))
        return fail(name, &err);
    uint32_t *times = calloc((size_t)m.n_ops + 1, sizeof *times);
    for (int32_t k = 0; k <= m.n_ops; k++) {
        int32_t cut[SCIOT_WIRE_MAX_TENSORS];
        int32_t n = sciot_model_cut(&m, k, cut, SCIOT_WIRE_MAX_TENSORS);
        sciot_wire_frame f;
        memcpy(sciot_engine_tensor(&e, m.inputs[0]), in, in_len);
        if (sciot_engine_run(&e, 0, k, &err))
            return fail(name, &err);
        if (k > 0)
            times[k - 1] = 100u + 37u * (uint32_t)k;
        if (n > SCIOT_WIRE_MAX_TENSORS)
            return fail("cut too large", NULL);
        memset(&f, 0, sizeof f);
        f.request_id = 1000u + (uint64_t)k;
        f.device_id_len = (uint8_t)snprintf(f.device_id, sizeof f.device_id, "seed-%s", name);
        memcpy(f.model_sha256, sha, 32);
        f.split = f.n_times = (uint32_t)k;
        f.times_in = times;
        f.n_tensors = (uint32_t)n;
        for (int32_t i = 0; i < n; i++) {
            f.tensors[i].index = cut[i];
            f.tensors[i].data = sciot_engine_tensor(&e, cut[i]);
            f.tensors[i].raw_len = (uint32_t)m.tensors[cut[i]].bytes;
        }
        size_t cap = sciot_wire_frame_bound(&f), len;
        uint8_t *buf = malloc(cap);
        for (int c = 0; c < 2; c++) {
            f.flags = (uint8_t)(c ? SCIOT_WIRE_F_COMPRESS : 0) | (k == m.n_ops ? SCIOT_WIRE_F_LOCAL : 0);
            if (sciot_wire_encode(&f, &m, buf, cap, &len, &err))
                return fail(name, &err);
            snprintf(path, sizeof path, "%s/%s_k%02d_%s.bin", out, name, (int)k, c ? "rle" : "raw");
            if (sciot_write_file(path, buf, len, &err))
                return fail(path, &err);
            (*written)++;
        }
        free(buf);
    }
    free(times);
    free(arena);
    free(in);
    sciot_model_free(&m);
    return 0;
}

int main(int argc, char **argv)
{
    const char *models = argc > 2 ? argv[2] : getenv("SCIOT_MODELS");
    char path[4096];
    uint8_t *txt;
    size_t len;
    sciot_error err = {0};
    int written = 0, rc = 0;
    if (argc < 2 || argc > 3 || !models) {
        fprintf(stderr, "usage: gen_wire_seeds OUT_DIR [MODELS_DIR]   (or set SCIOT_MODELS)\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/index.json", models);
    if (sciot_read_file(path, &txt, &len, &err))
        return fail(path, &err);
    cJSON *index = cJSON_ParseWithLength((const char *)txt, len);
    free(txt);
    if (!index)
        return fail("index.json does not parse", NULL);
    rc |= gen_model(argv[1], models, index, "person_detect", &written);
    rc |= gen_model(argv[1], models, index, "fomo_face", &written);
    cJSON_Delete(index);
    fprintf(stderr, "gen_wire_seeds: %d frames in %s\n", written, argv[1]);
    return rc;
}
