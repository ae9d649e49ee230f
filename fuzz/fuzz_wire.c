/* fuzz_wire.c — libFuzzer target for the wire frame decoder (src/wire/).
 *
 * Model: person_detect, loaded once in LLVMFuzzerInitialize from
 * $SCIOT_MODELS/person_detect/model.tflite (plain stdio + sciot_model_parse,
 * no host library). Without SCIOT_MODELS only the model-free parser runs.
 *
 * Every input is run twice: as it is, and as a copy whose frame_len and
 * CRC-32C are rewritten to match its length (when it has >= 68 bytes).
 * Mutated frames nearly never carry a valid CRC, so without the second pass
 * the fuzzer would hardly get past the CRC to the record walk's aftermath,
 * the model checks and the RLE payloads.
 *
 * Each pass: sciot_wire_parse; with the model, sciot_wire_decode; every
 * tensor of an accepted frame is read with sciot_wire_tensor_read into an
 * exactly sized scratch buffer (ASan sees any overflow).
 *
 * Run (seeds: valid frames of every k of person_detect and fomo_face):
 *   CC=clang cmake -S . -B build-fuzz-wire -G Ninja -DSCIOT_FUZZ=ON -DSCIOT_SANITIZE=ON \
 *       -DSCIOT_BUILD_TESTS=OFF -DSCIOT_BUILD_BENCH=OFF
 *   cmake --build build-fuzz-wire --target fuzz_wire gen_wire_seeds
 *   mkdir -p fuzz/corpus_wire fuzz/corpus_wire-seed fuzz/corpus_wire-artifacts
 *   SCIOT_MODELS=../shared/models build-fuzz-wire/fuzz/gen_wire_seeds fuzz/corpus_wire-seed
 *   SCIOT_MODELS=../shared/models build-fuzz-wire/fuzz/fuzz_wire fuzz/corpus_wire \
 *       fuzz/corpus_wire-seed -max_total_time=600 -max_len=131072 \
 *       -artifact_prefix=fuzz/corpus_wire-artifacts/
 *
 * Invariants that abort (= a finding) besides crashes / sanitizer reports:
 *   - a failure without a message, or with a status outside the library's;
 *   - an accepted frame whose views (times, payloads) leave the input, whose
 *     counts exceed the wire.h limits, whose frame_len differs from the size,
 *     or whose device id is not NUL-terminated at device_id_len;
 *   - decode accepting what parse rejects;
 *   - sciot_wire_tensor_read failing on a tensor of an accepted frame, or
 *     not failing with SCIOT_ERR_NO_MEMORY for a one-byte-short buffer;
 *   - a decoded frame that, re-encoded by sciot_wire_encode (raw and
 *     compressed), does not decode to the same header and tensor bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciot/model.h"
#include "sciot/wire.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz_wire: invariant failed at %s:%d: %s\n", __FILE__, \
                    __LINE__, #cond);                                                \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* parse-only frames may claim raw_len up to 130/2 x their size; skip reading
 * tensors beyond this (it would only test malloc) */
#define MAX_SCRATCH ((size_t)64 << 20)

static sciot_model model;
static uint8_t model_sha[32];
static int have_model;

static void *load_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    void *buf = NULL;
    long n;
    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET) ||
        !(buf = aligned_alloc(16, ((size_t)n + 15) & ~(size_t)15)) || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        fclose(fp);
        return NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("SCIOT_MODELS");
    char path[4096];
    size_t len = 0, need = 0;
    sciot_error err = {0};
    if (!dir || !*dir) {
        fprintf(stderr, "fuzz_wire: SCIOT_MODELS unset: parse only\n");
        return 0;
    }
    snprintf(path, sizeof path, "%s/person_detect/model.tflite", dir);
    uint8_t *file = load_file(path, &len);
    void *storage;
    if (!file || sciot_model_storage_size(file, len, &need, &err) || !(storage = aligned_alloc(16, (need + 15) & ~(size_t)15)) ||
        sciot_model_parse(&model, file, len, storage, need, &err)) {
        fprintf(stderr, "fuzz_wire: cannot load %s (%s): parse only\n", path, err.msg);
        return 0;
    }
    sciot_sha256(file, len, model_sha);
    have_model = 1;
    fprintf(stderr, "fuzz_wire: %s loaded: parse + decode + tensor_read\n", path);
    return 0; /* the model and its file live as long as the process */
}

static void check_err(sciot_status s, const sciot_error *err)
{
    if (s == SCIOT_OK)
        return;
    CHECK(s > SCIOT_OK && s < SCIOT_ERR_COUNT_);
    CHECK(err->status == s);
    CHECK(err->msg[0] != 0);
    CHECK(memchr(err->msg, 0, sizeof err->msg) != NULL);
}

static void check_frame(const sciot_wire_frame *f, const uint8_t *buf, size_t len)
{
    CHECK(f->frame_len == len);
    CHECK(f->n_tensors <= SCIOT_WIRE_MAX_TENSORS);
    CHECK(f->n_times <= SCIOT_WIRE_MAX_OPS);
    CHECK(f->device_id_len <= SCIOT_WIRE_MAX_DEVICE_ID);
    CHECK(f->device_id[f->device_id_len] == 0);
    CHECK(f->times >= buf && (size_t)(f->times - buf) + 4 * (size_t)f->n_times <= len);
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const sciot_wire_tensor *t = &f->tensors[i];
        CHECK(t->rank >= 0 && t->rank <= SCIOT_MAX_RANK);
        /* raw payloads are exactly raw_len; coded ones only with COMPRESS */
        CHECK(t->encoding == SCIOT_WIRE_ENC_RAW ? t->payload_len == t->raw_len
                                                : (f->flags & SCIOT_WIRE_F_COMPRESS) != 0);
        CHECK(t->payload >= buf && (size_t)(t->payload - buf) <= len && t->payload_len <= len - (size_t)(t->payload - buf));
    }
    for (uint32_t i = 0; i < f->n_times; i++)
        (void)sciot_wire_time(f, i);
    CHECK(sciot_wire_time(f, f->n_times) == 0);
}

/* read every tensor; returns malloc'd copies in out[] (caller frees) */
static int read_tensors(const sciot_wire_frame *f, uint8_t **out)
{
    sciot_error err = {0};
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const sciot_wire_tensor *t = &f->tensors[i];
        out[i] = NULL;
        if (t->raw_len > MAX_SCRATCH)
            return 0;
        uint8_t *dst = malloc(t->raw_len ? t->raw_len : 1);
        CHECK(dst != NULL);
        sciot_status s = sciot_wire_tensor_read(t, dst, t->raw_len, &err);
        check_err(s, &err);
        CHECK(s == SCIOT_OK);
        if (t->raw_len) {
            s = sciot_wire_tensor_read(t, dst, t->raw_len - 1, &err);
            CHECK(s == SCIOT_ERR_NO_MEMORY);
            check_err(s, &err);
        }
        out[i] = dst;
    }
    return 1;
}

/* re-encode a decoded frame (raw and compressed) and decode it again */
static void reencode(const sciot_wire_frame *d, uint8_t *const *data)
{
    sciot_wire_frame f = *d, g;
    sciot_error err = {0};
    uint32_t *times = malloc(4 * (size_t)d->n_times + 4);
    CHECK(times != NULL);
    for (uint32_t i = 0; i < d->n_times; i++)
        times[i] = sciot_wire_time(d, i);
    f.times = NULL;
    f.times_in = times;
    for (uint32_t i = 0; i < f.n_tensors; i++) {
        f.tensors[i].data = data[i];
        f.tensors[i].payload = NULL;
    }
    size_t cap = sciot_wire_frame_bound(&f), len;
    uint8_t *buf = malloc(cap);
    CHECK(buf != NULL);
    for (int pass = 0; pass < 2; pass++) {
        f.flags = (uint8_t)(pass ? d->flags | SCIOT_WIRE_F_COMPRESS : d->flags & ~SCIOT_WIRE_F_COMPRESS);
        sciot_status s = sciot_wire_encode(&f, &model, buf, cap, &len, &err);
        check_err(s, &err);
        CHECK(s == SCIOT_OK);
        s = sciot_wire_decode(buf, len, &model, model_sha, &g, &err);
        check_err(s, &err);
        CHECK(s == SCIOT_OK);
        CHECK(g.request_id == d->request_id && g.split == d->split && g.n_times == d->n_times &&
              g.n_tensors == d->n_tensors && g.device_id_len == d->device_id_len &&
              !memcmp(g.device_id, d->device_id, d->device_id_len) && g.flags == f.flags);
        for (uint32_t i = 0; i < g.n_times; i++)
            CHECK(sciot_wire_time(&g, i) == times[i]);
        uint8_t *back[SCIOT_WIRE_MAX_TENSORS];
        CHECK(read_tensors(&g, back));
        for (uint32_t i = 0; i < g.n_tensors; i++) {
            CHECK(g.tensors[i].index == d->tensors[i].index && g.tensors[i].raw_len == d->tensors[i].raw_len);
            CHECK(!memcmp(back[i], data[i], g.tensors[i].raw_len));
            free(back[i]);
        }
    }
    free(buf);
    free(times);
}

static void one(const uint8_t *buf, size_t len)
{
    sciot_wire_frame f;
    sciot_error err = {0};
    uint8_t *data[SCIOT_WIRE_MAX_TENSORS] = {0};
    sciot_status ps = sciot_wire_parse(buf, len, &f, &err);
    check_err(ps, &err);
    if (ps == SCIOT_OK) {
        check_frame(&f, buf, len);
        read_tensors(&f, data); /* stops (0) at a tensor over MAX_SCRATCH */
        for (uint32_t i = 0; i < f.n_tensors; i++) {
            free(data[i]);
            data[i] = NULL;
        }
    }
    if (!have_model)
        return;
    sciot_status ds = sciot_wire_decode(buf, len, &model, model_sha, &f, &err);
    check_err(ds, &err);
    if (ds != SCIOT_OK)
        return;
    CHECK(ps == SCIOT_OK);
    check_frame(&f, buf, len);
    CHECK(f.split <= (uint32_t)model.n_ops);
    if (!(f.flags & SCIOT_WIRE_F_REPLY)) /* a reply's times are the edge's, not k of them */
        CHECK(f.n_times == f.split);
    CHECK(read_tensors(&f, data));
    reencode(&f, data);
    for (uint32_t i = 0; i < f.n_tensors; i++)
        free(data[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    if (size >= 68) { /* the same bytes with a consistent frame_len and CRC */
        uint8_t *fix = malloc(size);
        CHECK(fix != NULL);
        memcpy(fix, data, size);
        fix[8] = (uint8_t)size;
        fix[9] = (uint8_t)(size >> 8);
        fix[10] = (uint8_t)(size >> 16);
        fix[11] = (uint8_t)(size >> 24);
        uint32_t crc = sciot_crc32c(0, fix, size - 4);
        for (int i = 0; i < 4; i++)
            fix[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        one(fix, size);
        free(fix);
    }
    return 0;
}
