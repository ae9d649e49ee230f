/* test_roundtrip.c — split inference through the wire, for every model of
 * $SCIOT_MODELS/index.json and every split point k in 0..N, raw and with
 * SCIOT_WIRE_F_COMPRESS:
 *
 *   device: an engine planned for [0, N) runs the head [0, k) on the golden
 *           input of the model's first case; the cut of k is encoded;
 *   edge:   the frame is decoded against the model (from a copy at an odd
 *           address: no alignment assumptions), every cut tensor is read with
 *           sciot_wire_tensor_read into a fresh engine planned for [k, N) on
 *           its own arena, the tail [k, N) runs;
 *   check:  the outputs equal the golden outputs byte for byte (int8 models;
 *           the float32 layer models are compared with the engine's own
 *           unsplit run, byte for byte too), the decoded header fields, times
 *           and tensor records equal what was encoded, the payloads read back
 *           equal the head's tensors, the frame fits sciot_wire_frame_bound,
 *           and the library encoder's bytes equal those of the independent
 *           reference writer (tw_write) fed with the parsed fields.
 * Every further case of the int8 models is checked the same way at a few
 * split points (k = 0, a middle one, N - 1, N). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_test_util.h"

static const char *models;
static cJSON *index_json;

typedef struct {
    size_t frames, raw_bytes, frame_bytes[2];
    int rle_payloads;
} stats;

/* one frame: encode the cut of k from `head`, decode, tail, compare.
 * want[j]: expected output j */
static void through_the_wire(const tw_model *tm, const tw_engine *head, int32_t k, uint8_t flags,
                             uint8_t *const *want, stats *st)
{
    const sciot_model *m = &tm->m;
    const int32_t N = m->n_ops;
    sciot_error err = {0};
    sciot_wire_frame f, d;
    uint32_t *times = malloc(sizeof(uint32_t) * (size_t)(k + 1));
    for (int32_t i = 0; i < k; i++)
        times[i] = 1000u * (uint32_t)i + 17u + (i == 3 ? 0xF0000000u : 0u);
    int32_t n = tw_fill_cut(&f, tm, &head->e, k, times, flags);

    size_t bound = sciot_wire_frame_bound(&f), len = 0;
    uint8_t *buf = malloc(bound);
    if (sciot_wire_encode(&f, m, buf, bound, &len, &err))
        fail_msg("%s k=%d: encode: %s", tm->name, k, err.msg);
    assert_true(len <= bound);
    assert_true(len >= 68);
    /* decode from an odd address */
    uint8_t *odd = malloc(len + 1);
    memcpy(odd + 1, buf, len);
    memset(&d, 0x5A, sizeof d);
    if (sciot_wire_decode(odd + 1, len, m, tm->sha, &d, &err))
        fail_msg("%s k=%d flags=%u: decode: %s", tm->name, k, flags, err.msg);
    /* NULL SHA: the decoder hashes the model file itself */
    sciot_wire_frame d2;
    assert_int_equal(sciot_wire_decode(odd + 1, len, m, NULL, &d2, &err), SCIOT_OK);
    assert_int_equal(sciot_wire_parse(odd + 1, len, &d2, &err), SCIOT_OK);

    /* header fields */
    assert_int_equal(d.version, SCIOT_WIRE_VERSION);
    assert_int_equal(d.flags, flags);
    assert_true(d.request_id == f.request_id);
    assert_int_equal(d.device_id_len, f.device_id_len);
    assert_string_equal(d.device_id, f.device_id);
    assert_memory_equal(d.model_sha256, tm->sha, 32);
    assert_int_equal(d.split, (uint32_t)k);
    assert_int_equal(d.n_times, (uint32_t)k);
    assert_int_equal(d.n_tensors, (uint32_t)n);
    assert_int_equal(d.frame_len, len);
    for (int32_t i = 0; i < k; i++)
        assert_int_equal(sciot_wire_time(&d, (uint32_t)i), times[i]);
    assert_int_equal(sciot_wire_time(&d, (uint32_t)k), 0); /* out of range */

    /* the tail, on its own arena */
    tw_engine tail;
    tw_engine_init(&tail, m, k, N);
    for (int32_t i = 0; i < n; i++) {
        const sciot_wire_tensor *w = &d.tensors[i];
        const sciot_tensor *t = &m->tensors[w->index];
        assert_int_equal(w->index, f.tensors[i].index);
        assert_int_equal(w->dtype, t->dtype);
        assert_int_equal(w->rank, t->rank);
        for (int32_t j = 0; j < t->rank; j++)
            assert_int_equal(w->dims[j], t->dims[j]);
        assert_memory_equal(&w->scale, &t->scale, sizeof(float));
        assert_int_equal(w->zero_point, t->zero_point);
        assert_int_equal(w->raw_len, t->bytes);
        assert_true(w->payload >= odd + 1 && w->payload + w->payload_len <= odd + 1 + len);
        if (w->encoding == SCIOT_WIRE_ENC_RLE || w->encoding == SCIOT_WIRE_ENC_ZMASK) {
            assert_true(flags & SCIOT_WIRE_F_COMPRESS);
            assert_true(w->payload_len < w->raw_len);
            st->rle_payloads++;
        } else {
            assert_int_equal(w->encoding, SCIOT_WIRE_ENC_RAW);
            assert_int_equal(w->payload_len, w->raw_len);
        }
        /* too small a destination */
        if (t->bytes)
            assert_int_equal(sciot_wire_tensor_read(w, sciot_engine_tensor(&tail.e, w->index), t->bytes - 1, &err),
                             SCIOT_ERR_NO_MEMORY);
        void *dst = sciot_engine_tensor(&tail.e, w->index);
        assert_non_null(dst);
        if (sciot_wire_tensor_read(w, dst, t->bytes, &err))
            fail_msg("%s k=%d: tensor_read %d: %s", tm->name, k, w->index, err.msg);
        assert_memory_equal(dst, f.tensors[i].data, t->bytes);
        st->raw_bytes += t->bytes;
    }
    if (sciot_engine_run(&tail.e, k, N, &err))
        fail_msg("%s tail [%d,%d): %s", tm->name, k, N, err.msg);
    for (int32_t j = 0; j < m->n_outputs; j++) {
        const sciot_tensor *t = &m->tensors[m->outputs[j]];
        if (memcmp(sciot_engine_tensor(&tail.e, m->outputs[j]), want[j], t->bytes))
            fail_msg("%s k=%d flags=%u: output %d differs from the golden output", tm->name, k, flags, j);
    }
    tw_engine_free(&tail);

    /* the reference writer, fed with the parsed fields, writes the same bytes */
    uint8_t *ref = malloc(len);
    assert_int_equal(tw_write(&d, ref, len), len);
    assert_memory_equal(ref, buf, len);
    free(ref);

    st->frames++;
    st->frame_bytes[(flags & SCIOT_WIRE_F_COMPRESS) != 0] += len;
    free(odd);
    free(buf);
    free(times);
}

static void model_all_splits(const char *name, int all_cases)
{
    tw_model tm;
    stats st = {0};
    tw_model_load(&tm, models, index_json, name);
    const sciot_model *m = &tm.m;
    const int32_t N = m->n_ops;
    tw_engine head;
    tw_engine_init(&head, m, 0, N);
    int n_cases = all_cases ? tw_n_cases(&tm) : 1;
    for (int c = 0; c < n_cases; c++) {
        uint8_t *want[8];
        assert_true(m->n_outputs <= 8);
        if (tw_is_int8_model(name)) {
            for (int32_t j = 0; j < m->n_outputs; j++) {
                size_t len;
                want[j] = tw_case_file(&tm, c, "outputs", j, &len);
                assert_int_equal(len, m->tensors[m->outputs[j]].bytes);
            }
        } else { /* float32: our own unsplit run */
            tw_run_head(&head, &tm, c, N);
            for (int32_t j = 0; j < m->n_outputs; j++) {
                size_t b = m->tensors[m->outputs[j]].bytes;
                want[j] = malloc(b);
                memcpy(want[j], sciot_engine_tensor(&head.e, m->outputs[j]), b);
            }
        }
        for (int32_t k = 0; k <= N; k++) {
            if (c > 0 && k != 0 && k != N / 2 && k != N - 1 && k != N)
                continue;
            tw_run_head(&head, &tm, c, k);
            through_the_wire(&tm, &head, k, 0, want, &st);
            through_the_wire(&tm, &head, k, SCIOT_WIRE_F_COMPRESS, want, &st);
        }
        for (int32_t j = 0; j < m->n_outputs; j++)
            free(want[j]);
    }
    fprintf(stderr, "%-40s N=%3d: %zu frames, raw cut bytes %zu, frames %zu raw / %zu compressed, %d RLE payloads\n",
            name, N, st.frames, st.raw_bytes / 2, st.frame_bytes[0], st.frame_bytes[1], st.rle_payloads);
    assert_true(st.frames >= 2 * (size_t)(N + 1));
    tw_engine_free(&head);
    sciot_model_free(&tm.m);
}

static void person_detect(void **s) { (void)s; model_all_splits("person_detect", 1); }
static void fomo_face(void **s) { (void)s; model_all_splits("fomo_face", 1); }
static void mobilenetv2_tire(void **s) { (void)s; model_all_splits("mobilenetv2_tire", 1); }
static void micro_speech(void **s) { (void)s; model_all_splits("micro_speech", 1); }

/* every other model of the index (the float32 layer models) */
static void other_models(void **s)
{
    (void)s;
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, index_json)
    {
        if (!strcmp(e->string, "person_detect") || !strcmp(e->string, "fomo_face") ||
            !strcmp(e->string, "mobilenetv2_tire") || !strcmp(e->string, "micro_speech"))
            continue;
        model_all_splits(e->string, 0);
        n++;
    }
    fprintf(stderr, "%d further models\n", n);
}

int main(void)
{
    models = tu_require_models();
    index_json = tw_load_index(models);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(person_detect), cmocka_unit_test(fomo_face), cmocka_unit_test(mobilenetv2_tire),
        cmocka_unit_test(micro_speech),  cmocka_unit_test(other_models),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cJSON_Delete(index_json);
    return rc;
}
