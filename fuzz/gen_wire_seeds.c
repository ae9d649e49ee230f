/* gen_wire_seeds.c — seed corpus for fuzz_wire: valid frames of every split
 * point k of person_detect and fomo_face, raw and RLE-compressed, made the
 * way a device makes them (head [0,k) run on the first golden case input,
 * the cut encoded with sciot_wire_encode); for person_detect (the model
 * fuzz_wire decodes against) also TELEMETRY and REPLY frames and CRC-valid
 * frames the decoder rejects later (a duplicate, a missing and an extra
 * tensor), so the fuzzer starts inside those paths.
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
        /* person_detect only (the model fuzz_wire decodes against): frames
         * that start the fuzzer inside the deeper paths -- TELEMETRY, REPLY
         * (outputs / none), and CRC-valid frames the decoder rejects after
         * the CRC (duplicate, missing, extra tensor) */
        if (!strcmp(name, "person_detect") && (k == 5 || k == m.n_ops)) {
            static const char *const kinds[] = {"telemetry", "reply", "reply_empty", "dup", "missing", "extra"};
            sciot_wire_frame g = f;
            for (int v = 0; v < 6; v++) {
                g = f;
                g.flags = SCIOT_WIRE_F_COMPRESS;
                if (v == 0) {
                    g.flags |= SCIOT_WIRE_F_TELEMETRY;
                    g.prev_request_id = 999;
                    g.prev_rtt_us = 45678;
                } else if (v <= 2) {
                    if (k != m.n_ops)
                        continue;
                    g.flags |= SCIOT_WIRE_F_REPLY;
                    g.split = 7; /* next decision */
                    g.n_times = 1;
                    if (v == 2)
                        g.n_tensors = 0;
                } else if (v == 3 && n > 0 && n < SCIOT_WIRE_MAX_TENSORS) {
                    g.tensors[n] = g.tensors[0];
                    g.n_tensors = (uint32_t)n + 1;
                } else if (v == 4) {
                    g.n_tensors = 0;
                } else if (v == 5 && n < SCIOT_WIRE_MAX_TENSORS) {
                    g.tensors[n].index = m.outputs[0];
                    g.tensors[n].data = sciot_engine_tensor(&e, m.outputs[0]);
                    g.tensors[n].raw_len = (uint32_t)m.tensors[m.outputs[0]].bytes;
                    g.n_tensors = (uint32_t)n + 1;
                } else {
                    continue;
                }
                size_t gcap = sciot_wire_frame_bound(&g);
                uint8_t *gb = malloc(gcap);
                if (sciot_wire_encode(&g, &m, gb, gcap, &len, &err))
                    return fail(name, &err);
                snprintf(path, sizeof path, "%s/%s_k%02d_%s.bin", out, name, (int)k, kinds[v]);
                if (sciot_write_file(path, gb, len, &err))
                    return fail(path, &err);
                (*written)++;
                free(gb);
            }
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
