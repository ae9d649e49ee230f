/* test_models_corrupt.c — the reader on every shared int8 model, intact,
 * truncated and with single bytes flipped. Needs $SCIOT_MODELS (skipped
 * otherwise). Run it under ASan too (-DSCIOT_SANITIZE=ON): every truncated
 * image is an exact-size heap copy, so a read past the cut is reported.
 *
 * Truncation. A .tflite file ends with the constant buffers; the reader reads
 * only what the model references (tables, vectors, the buffers of its
 * tensors) and never looks at unreferenced bytes: buffer 0 (empty by
 * convention), buffers of metadata and signature defs, alignment padding.
 * So the correct behaviour is:
 *   - any cut below the end of the last referenced byte fails with
 *     SCIOT_ERR_TRUNCATED or SCIOT_ERR_OUT_OF_RANGE (every reference is
 *     bounds-checked and a cut cannot change a value, only the length);
 *   - a cut at or past that byte may parse, and then it must give exactly the
 *     model the whole file gives (same tensors, data offsets, quantization,
 *     operators, options) — TFLite Micro, which skips the flatbuffer verifier
 *     too, behaves the same.
 * The test computes a lower bound of the last referenced byte independently
 * (the end of the last constant tensor's data in the intact model) and checks
 * that no shorter cut is ever accepted.
 *
 * Flips. 20000 single-byte flips per model (seeded xorshift, half anywhere in
 * the file, half in the structure bytes outside the tensor data, where flips
 * change offsets/counts/indices): the reader must return either an error
 * with a message or a model; a model that parses must be internally
 * consistent and the engine's arena sizing (which validates every operator)
 * must not crash on it.
 *
 * Also: person_detect's int32 biases declare quantized_dimension 3 on a 1-D
 * tensor with one scale per element; TFLM accepts that and so must we. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sciot/engine.h"
#include "sciot/model.h"
#include "testutil.h"

#define N_FLIPS 20000
#define SMALL_CUTS 4096
#define CUT_STEP 97

static const char *models;
static cJSON *index_json;

typedef struct {
    char name[256];
    uint8_t *img;
    size_t len;
    void *storage;
    sciot_model m;
} loaded;

static loaded zoo[16];
static int n_zoo;

static sciot_status parse(sciot_model *m, void **storage, const uint8_t *img, size_t len, sciot_error *err)
{
    size_t need = 0;
    *storage = NULL;
    memset(err, 0, sizeof *err);
    sciot_status s = sciot_model_storage_size(img, len, &need, err);
    if (s == SCIOT_OK) {
        *storage = malloc(need);
        assert_non_null(*storage);
        s = sciot_model_parse(m, img, len, *storage, need, err);
        assert_int_not_equal(s, SCIOT_ERR_NO_MEMORY); /* pass 1 sized it */
    }
    if (s != SCIOT_OK) {
        assert_int_equal(err->status, s);
        assert_true(err->msg[0] != 0);
        assert_non_null(memchr(err->msg, 0, sizeof err->msg));
        free(*storage);
        *storage = NULL;
    }
    return s;
}

/* Same model: every field the rest of the library reads. Data pointers are
 * compared as offsets into their files. */
static int same_model(const sciot_model *a, const sciot_model *b, char *why, size_t cap)
{
#define DIFF(...) do { snprintf(why, cap, __VA_ARGS__); return 0; } while (0)
    if (a->n_tensors != b->n_tensors || a->n_ops != b->n_ops || a->n_inputs != b->n_inputs ||
        a->n_outputs != b->n_outputs)
        DIFF("counts %d/%d/%d/%d vs %d/%d/%d/%d", a->n_tensors, a->n_ops, a->n_inputs, a->n_outputs,
             b->n_tensors, b->n_ops, b->n_inputs, b->n_outputs);
    for (int32_t k = 0; k < a->n_inputs; k++)
        if (a->inputs[k] != b->inputs[k])
            DIFF("input %d", k);
    for (int32_t k = 0; k < a->n_outputs; k++)
        if (a->outputs[k] != b->outputs[k])
            DIFF("output %d", k);
    for (int32_t t = 0; t < a->n_tensors; t++) {
        const sciot_tensor *x = &a->tensors[t], *y = &b->tensors[t];
        if (strcmp(x->name, y->name) || x->dtype != y->dtype || x->rank != y->rank ||
            memcmp(x->dims, y->dims, sizeof x->dims) || x->elems != y->elems || x->bytes != y->bytes ||
            x->is_const != y->is_const)
            DIFF("tensor %d header", t);
        if ((x->data == NULL) != (y->data == NULL) ||
            (x->data && (const uint8_t *)x->data - a->file != (const uint8_t *)y->data - b->file))
            DIFF("tensor %d data offset", t);
        if (x->q.n_scales != y->q.n_scales || x->q.quantized_dimension != y->q.quantized_dimension ||
            x->scale != y->scale || x->zero_point != y->zero_point)
            DIFF("tensor %d quantization", t);
        for (int32_t k = 0; k < x->q.n_scales; k++)
            if (x->q.scales[k] != y->q.scales[k] || x->q.zero_points[k] != y->q.zero_points[k])
                DIFF("tensor %d scale %d", t, k);
        if (a->producer[t] != b->producer[t] || a->first_use[t] != b->first_use[t] ||
            a->last_use[t] != b->last_use[t])
            DIFF("tensor %d producer/consumers", t);
    }
    for (int32_t i = 0; i < a->n_ops; i++) {
        const sciot_op *x = &a->ops[i], *y = &b->ops[i];
        if (x->code != y->code || x->version != y->version || x->n_inputs != y->n_inputs ||
            x->n_outputs != y->n_outputs || x->macs != y->macs)
            DIFF("operator %d header", i);
        if (memcmp(x->inputs, y->inputs, (size_t)x->n_inputs * 4) ||
            memcmp(x->outputs, y->outputs, (size_t)x->n_outputs * 4))
            DIFF("operator %d tensors", i);
        if (memcmp(&x->opt, &y->opt, sizeof x->opt))
            DIFF("operator %d options", i);
    }
    return 1;
#undef DIFF
}

/* Internal consistency of any model the reader accepts. */
static void check_consistent(const sciot_model *m)
{
    assert_true(m->n_inputs > 0 && m->n_outputs > 0);
    for (int32_t k = 0; k < m->n_inputs; k++)
        assert_true(m->inputs[k] >= 0 && m->inputs[k] < m->n_tensors);
    for (int32_t k = 0; k < m->n_outputs; k++)
        assert_true(m->outputs[k] >= 0 && m->outputs[k] < m->n_tensors);
    for (int32_t t = 0; t < m->n_tensors; t++) {
        const sciot_tensor *x = &m->tensors[t];
        assert_true(x->rank >= 0 && x->rank <= SCIOT_MAX_RANK);
        assert_int_equal(x->bytes, x->elems * sciot_dtype_size(x->dtype));
        if (x->is_const) {
            const uint8_t *d = x->data;
            assert_true(d >= m->file && d + x->bytes <= m->file + m->file_len);
        }
        assert_true(x->q.n_scales >= 0);
        assert_true(m->producer[t] >= -1 && m->producer[t] < m->n_ops);
        assert_true(m->last_use[t] >= m->first_use[t]);
    }
    for (int32_t i = 0; i < m->n_ops; i++) {
        const sciot_op *o = &m->ops[i];
        assert_true(o->n_outputs >= 1);
        for (int32_t k = 0; k < o->n_inputs; k++)
            assert_true(o->inputs[k] >= -1 && o->inputs[k] < m->n_tensors);
        for (int32_t k = 0; k < o->n_outputs; k++) {
            assert_true(o->outputs[k] >= 0 && o->outputs[k] < m->n_tensors);
            assert_int_equal(m->producer[o->outputs[k]], i);
        }
    }
}

static void models_parse(void **st)
{
    (void)st;
    assert_true(n_zoo >= 4);
    for (int z = 0; z < n_zoo; z++) {
        loaded *l = &zoo[z];
        check_consistent(&l->m);
        sciot_arena_info info;
        sciot_error err = {0};
        assert_int_equal(sciot_engine_arena_size(&l->m, 0, l->m.n_ops, &info, &err), SCIOT_OK);
        fprintf(stderr, "%-18s %8zu bytes, %3d operators, %4d tensors\n", l->name, l->len, l->m.n_ops,
                l->m.n_tensors);
    }
}

/* End of the last constant tensor's data: a lower bound of the end of the
 * last byte the reader must read. */
static size_t last_data_end(const sciot_model *m)
{
    size_t end = 0;
    for (int32_t t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].is_const) {
            size_t e = (size_t)((const uint8_t *)m->tensors[t].data - m->file) + m->tensors[t].bytes;
            if (e > end)
                end = e;
        }
    return end;
}

static void truncations(void **st)
{
    (void)st;
    for (int z = 0; z < n_zoo; z++) {
        loaded *l = &zoo[z];
        size_t must_fail_below = last_data_end(&l->m);
        size_t tried = 0, accepted = 0, smallest_accepted = l->len;
        assert_true(must_fail_below > 0 && must_fail_below <= l->len);
        for (size_t len = 0; len < l->len; len = len < SMALL_CUTS ? len + 1 : len + CUT_STEP) {
            /* exact-size, 16-byte-aligned copy: ASan reports any read past `len` */
            void *cut = NULL;
            assert_int_equal(posix_memalign(&cut, 16, len ? len : 1), 0);
            memcpy(cut, l->img, len);
            sciot_model m;
            void *storage;
            sciot_error err;
            sciot_status s = parse(&m, &storage, cut, len, &err);
            tried++;
            if (s == SCIOT_OK) {
                char why[128];
                if (len < must_fail_below)
                    fail_msg("%s cut to %zu bytes (data runs to %zu) was accepted", l->name, len,
                             must_fail_below);
                if (!same_model(&l->m, &m, why, sizeof why))
                    fail_msg("%s cut to %zu bytes parses to a different model: %s", l->name, len, why);
                accepted++;
                if (len < smallest_accepted)
                    smallest_accepted = len;
            } else if (s != SCIOT_ERR_TRUNCATED && s != SCIOT_ERR_OUT_OF_RANGE) {
                fail_msg("%s cut to %zu bytes: %s (%s), expected truncated / out of range", l->name, len,
                         sciot_strerror(s), err.msg);
            }
            free(storage);
            free(cut);
        }
        fprintf(stderr, "%-18s %zu cuts, %zu accepted (shortest %zu of %zu bytes; data ends at %zu)\n",
                l->name, tried, accepted, smallest_accepted, l->len, must_fail_below);
    }
}

static void byte_flips(void **st)
{
    (void)st;
    for (int z = 0; z < n_zoo; z++) {
        loaded *l = &zoo[z];
        /* structure bytes: everything outside the constant tensors' data */
        uint8_t *is_data = calloc(l->len, 1);
        size_t *structure = malloc(l->len * sizeof *structure);
        size_t n_structure = 0;
        for (int32_t t = 0; t < l->m.n_tensors; t++)
            if (l->m.tensors[t].is_const)
                memset(is_data + ((const uint8_t *)l->m.tensors[t].data - l->img), 1, l->m.tensors[t].bytes);
        for (size_t k = 0; k < l->len; k++)
            if (!is_data[k])
                structure[n_structure++] = k;
        assert_true(n_structure > 0);

        uint32_t rng = 0x5c107u + (uint32_t)z * 7919u;
        int parsed_ok = 0, rejected = 0, sized = 0;
        int by_status[SCIOT_ERR_COUNT_] = {0};
        for (int n = 0; n < N_FLIPS; n++) {
            size_t at = (n & 1) ? structure[tu_rand(&rng) % n_structure] : tu_rand(&rng) % l->len;
            uint8_t x = (uint8_t)(tu_rand(&rng) % 255u + 1u);
            l->img[at] ^= x;
            sciot_model m;
            void *storage;
            sciot_error err;
            sciot_status s = parse(&m, &storage, l->img, l->len, &err);
            if (s == SCIOT_OK) {
                parsed_ok++;
                check_consistent(&m);
                /* the engine validates every operator; it must not crash */
                sciot_arena_info info;
                sciot_error e2 = {0};
                sciot_status s2 = sciot_engine_arena_size(&m, 0, m.n_ops, &info, &e2);
                if (s2 == SCIOT_OK)
                    sized++;
                else
                    assert_true(e2.msg[0] != 0);
            } else {
                assert_true((unsigned)s < SCIOT_ERR_COUNT_);
                by_status[s]++;
                rejected++;
            }
            free(storage);
            l->img[at] ^= x;
        }
        free(is_data);
        free(structure);
        /* restored: still the same model */
        sciot_model m;
        void *storage;
        sciot_error err;
        char why[128];
        assert_int_equal(parse(&m, &storage, l->img, l->len, &err), SCIOT_OK);
        assert_true(same_model(&l->m, &m, why, sizeof why));
        free(storage);
        fprintf(stderr, "%-18s %d flips: %d parse (%d of them size an arena), %d rejected:", l->name, N_FLIPS,
                parsed_ok, sized, rejected);
        for (int s = 1; s < SCIOT_ERR_COUNT_; s++)
            if (by_status[s])
                fprintf(stderr, " %s %d;", sciot_strerror((sciot_status)s), by_status[s]);
        fprintf(stderr, "\n");
        assert_true(rejected > 0);
        assert_true(parsed_ok > 0);
    }
}

static void person_detect_bias_quantized_dimension(void **st)
{
    (void)st;
    loaded *l = NULL;
    for (int z = 0; z < n_zoo; z++)
        if (!strcmp(zoo[z].name, "person_detect"))
            l = &zoo[z];
    assert_non_null(l);
    int biases = 0;
    for (int32_t i = 0; i < l->m.n_ops; i++) {
        const sciot_op *o = &l->m.ops[i];
        if (o->code != SCIOT_OP_CONV_2D && o->code != SCIOT_OP_DEPTHWISE_CONV_2D)
            continue;
        assert_true(o->n_inputs >= 3 && o->inputs[2] >= 0);
        const sciot_tensor *b = &l->m.tensors[o->inputs[2]];
        assert_int_equal(b->dtype, SCIOT_INT32);
        assert_int_equal(b->rank, 1);
        assert_true(b->is_const);
        if (b->q.quantized_dimension == 3) {
            /* beyond the rank: one scale per element */
            assert_int_equal((size_t)b->q.n_scales, b->elems);
            biases++;
        }
    }
    fprintf(stderr, "person_detect: %d biases with quantized_dimension 3\n", biases);
    assert_true(biases > 0);
    /* and the engine accepts the model */
    sciot_arena_info info;
    sciot_engine e;
    sciot_error err = {0};
    assert_int_equal(sciot_engine_arena_size(&l->m, 0, l->m.n_ops, &info, &err), SCIOT_OK);
    void *arena = aligned_alloc(16, (info.total_bytes + 15) & ~(size_t)15);
    assert_int_equal(sciot_engine_init(&e, &l->m, 0, l->m.n_ops, arena, info.total_bytes, &err), SCIOT_OK);
    free(arena);
}

int main(void)
{
    size_t len;
    models = tu_require_models();
    char *txt = (char *)tu_read(models, "index.json", &len);
    txt = realloc(txt, len + 1);
    txt[len] = 0;
    index_json = cJSON_Parse(txt);
    free(txt);
    if (!index_json) {
        fprintf(stderr, "index.json does not parse\n");
        return 1;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, index_json)
    {
        if (!strncmp(entry->string, "sciot_fomo_float_layers", 23) || n_zoo == 16)
            continue; /* the int8 models */
        loaded *l = &zoo[n_zoo++];
        sciot_error err;
        snprintf(l->name, sizeof l->name, "%s", entry->string);
        l->img = tu_read(models, cJSON_GetObjectItem(entry, "model")->valuestring, &l->len);
        if (parse(&l->m, &l->storage, l->img, l->len, &err) != SCIOT_OK) {
            fprintf(stderr, "%s: %s\n", l->name, err.msg);
            return 1;
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(models_parse),
        cmocka_unit_test(person_detect_bias_quantized_dimension),
        cmocka_unit_test(truncations),
        cmocka_unit_test(byte_flips),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int z = 0; z < n_zoo; z++) {
        free(zoo[z].img);
        free(zoo[z].storage);
    }
    cJSON_Delete(index_json);
    return rc;
}
