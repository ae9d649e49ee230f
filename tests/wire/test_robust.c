/* test_robust.c — a damaged frame is never accepted and never crashes.
 *
 * Sample frames: fomo_face at the split point inside a residual block whose
 * cut holds two tensors (the block input kept for the ADD, and the branch)
 * with the fewest bytes, once RLE-compressed and once raw, made from the
 * golden input. Each is put in an exactly sized heap buffer (ASan sees any
 * read past its end) and:
 *   - every byte position XORed with 0x01, 0x80 and 0xFF: sciot_wire_parse
 *     and sciot_wire_decode both reject it with a message (CRC-32C detects
 *     every error within 32 consecutive bits; flips of frame_len are caught
 *     earlier as TRUNCATED or LENGTH);
 *   - every truncation to 0..len-1 bytes: SCIOT_ERR_TRUNCATED (PROTOCOL.md
 *     checks truncation first: fewer than 68 bytes, or fewer than frame_len);
 *   - every pair of adjacent bytes swapped (when different), random
 *     multi-byte damage: rejected;
 *   - random damage with frame_len and the CRC recomputed, so the semantic
 *     checks are what fire: either rejected with a message, or accepted with
 *     every tensor readable (random payload bytes of a raw tensor are a valid
 *     tensor). */
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
static tw_model fomo;
static uint8_t *frames[2];
static size_t frame_lens[2];
static int32_t sample_k;

static int setup(void **st)
{
    (void)st;
    sciot_error err = {0};
    tw_model_load(&fomo, models, index_json, "fomo_face");
    const sciot_model *m = &fomo.m;
    tw_engine head;
    tw_engine_init(&head, m, 0, m->n_ops);
    /* inside a residual block (two cut tensors), an RLE payload when compressed */
    sample_k = tw_pick_residual_k(&fomo, &head);
    TW_CHECK(sample_k >= 0);
    int32_t cut[2];
    sciot_model_cut(m, sample_k, cut, 2);
    /* residual: one of the two is read by an ADD at or after k */
    int add = 0;
    for (int32_t o = sample_k; o < m->n_ops; o++)
        if (m->ops[o].code == SCIOT_OP_ADD)
            for (int32_t i = 0; i < m->ops[o].n_inputs; i++)
                add |= m->ops[o].inputs[i] == cut[0] || m->ops[o].inputs[i] == cut[1];
    TW_CHECK(add);

    uint32_t times[64];
    for (int i = 0; i < 64; i++)
        times[i] = 500u + (uint32_t)i;
    for (int c = 0; c < 2; c++) {
        sciot_wire_frame f;
        tw_fill_cut(&f, &fomo, &head.e, sample_k, times, c == 0 ? SCIOT_WIRE_F_COMPRESS : 0);
        size_t cap = sciot_wire_frame_bound(&f);
        uint8_t *buf = malloc(cap);
        TW_CHECK(sciot_wire_encode(&f, m, buf, cap, &frame_lens[c], &err) == SCIOT_OK);
        frames[c] = malloc(frame_lens[c]);
        memcpy(frames[c], buf, frame_lens[c]);
        free(buf);
    }
    tw_engine_free(&head);
    /* the compressed sample does carry coded (RLE or mask) payloads */
    sciot_wire_frame d;
    TW_CHECK(sciot_wire_decode(frames[0], frame_lens[0], m, fomo.sha, &d, &err) == SCIOT_OK);
    TW_CHECK(d.n_tensors == 2);
    int rle = 0;
    for (uint32_t i = 0; i < d.n_tensors; i++)
        rle += d.tensors[i].encoding != SCIOT_WIRE_ENC_RAW;
    fprintf(stderr, "fomo_face k = %d: cut %d,%d; frames of %zu bytes (%d coded payloads) and %zu bytes (raw)\n",
            sample_k, cut[0], cut[1], frame_lens[0], rle, frame_lens[1]);
    TW_CHECK(rle >= 1);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    free(frames[0]);
    free(frames[1]);
    sciot_model_free(&fomo.m);
    return 0;
}

/* decode a copy of `src` in an exactly sized buffer; returns the status of
 * decode (parse must agree on rejection) */
static sciot_status try_frame(const uint8_t *src, size_t len)
{
    sciot_error err = {0};
    sciot_wire_frame f;
    uint8_t *b = malloc(len ? len : 1);
    memcpy(b, src, len);
    sciot_status sp = sciot_wire_parse(b, len, &f, &err);
    if (sp) {
        assert_int_equal(err.status, sp);
        assert_true(err.msg[0] != 0);
    }
    memset(&err, 0, sizeof err);
    sciot_status sd = sciot_wire_decode(b, len, &fomo.m, fomo.sha, &f, &err);
    if (sd) {
        assert_int_equal(err.status, sd);
        assert_true(err.msg[0] != 0);
    } else {
        assert_int_equal(sp, SCIOT_OK);
        for (uint32_t i = 0; i < f.n_tensors; i++) {
            uint8_t *dst = malloc(f.tensors[i].raw_len);
            assert_int_equal(sciot_wire_tensor_read(&f.tensors[i], dst, f.tensors[i].raw_len, &err), SCIOT_OK);
            free(dst);
        }
    }
    if (sp && sd == SCIOT_OK)
        fail_msg("decode accepted what parse rejected (%d)", (int)sp);
    free(b);
    return sd;
}

static void every_byte_flip(void **st)
{
    (void)st;
    static const uint8_t masks[] = {0x01, 0x80, 0xFF};
    for (int c = 0; c < 2; c++) {
        size_t len = frame_lens[c];
        uint8_t *b = malloc(len);
        int by_status[SCIOT_ERR_COUNT_] = {0};
        assert_int_equal(try_frame(frames[c], len), SCIOT_OK);
        for (size_t i = 0; i < len; i++)
            for (size_t j = 0; j < sizeof masks; j++) {
                memcpy(b, frames[c], len);
                b[i] ^= masks[j];
                sciot_status s = try_frame(b, len);
                if (s == SCIOT_OK)
                    fail_msg("%s frame: byte %zu ^ 0x%02x accepted", c ? "raw" : "compressed", i, masks[j]);
                by_status[s]++;
            }
        fprintf(stderr, "%s frame, %zu flips:", c ? "raw" : "compressed", 3 * len);
        for (int s = 1; s < SCIOT_ERR_COUNT_; s++)
            if (by_status[s])
                fprintf(stderr, " %s %d,", sciot_strerror((sciot_status)s), by_status[s]);
        fprintf(stderr, "\n");
        free(b);
    }
}

static void every_truncation(void **st)
{
    (void)st;
    for (int c = 0; c < 2; c++)
        for (size_t n = 0; n < frame_lens[c]; n++) {
            sciot_status s = try_frame(frames[c], n);
            if (s != SCIOT_ERR_TRUNCATED)
                fail_msg("%s frame cut to %zu of %zu bytes: status %d", c ? "raw" : "compressed", n, frame_lens[c],
                         (int)s);
        }
    /* one byte too many: LENGTH (more bytes than frame_len) */
    uint8_t *b = malloc(frame_lens[0] + 1);
    memcpy(b, frames[0], frame_lens[0]);
    b[frame_lens[0]] = 0;
    assert_int_equal(try_frame(b, frame_lens[0] + 1), SCIOT_ERR_LENGTH);
    free(b);
}

static void swaps_and_random_damage(void **st)
{
    (void)st;
    uint32_t s = 2024;
    for (int c = 0; c < 2; c++) {
        size_t len = frame_lens[c];
        uint8_t *b = malloc(len);
        for (size_t i = 0; i + 1 < len; i++) {
            if (frames[c][i] == frames[c][i + 1])
                continue;
            memcpy(b, frames[c], len);
            b[i] = frames[c][i + 1];
            b[i + 1] = frames[c][i];
            assert_int_not_equal(try_frame(b, len), SCIOT_OK);
        }
        for (int trial = 0; trial < 3000; trial++) {
            memcpy(b, frames[c], len);
            int n = 1 + (int)(tu_rand(&s) % 8);
            int changed = 0;
            for (int j = 0; j < n; j++) {
                size_t at = tu_rand(&s) % len;
                uint8_t v = (uint8_t)tu_rand(&s);
                changed |= b[at] != v;
                b[at] = v;
            }
            if (changed && memcmp(b, frames[c], len))
                assert_int_not_equal(try_frame(b, len), SCIOT_OK);
        }
        free(b);
    }
}

static void damage_behind_a_valid_crc(void **st)
{
    (void)st;
    uint32_t s = 77;
    int accepted = 0, rejected = 0;
    for (int c = 0; c < 2; c++) {
        size_t len = frame_lens[c];
        uint8_t *b = malloc(len);
        for (int trial = 0; trial < 20000; trial++) {
            memcpy(b, frames[c], len);
            int n = 1 + (int)(tu_rand(&s) % 3);
            for (int j = 0; j < n; j++) {
                /* mostly the header and the record heads, where it matters */
                size_t span = tu_rand(&s) % 4 ? (len < 400 ? len : 400) : len;
                b[tu_rand(&s) % (span - 4)] ^= (uint8_t)(1u << (tu_rand(&s) % 8));
            }
            tw_fix_crc(b, len);
            if (try_frame(b, len) == SCIOT_OK)
                accepted++;
            else
                rejected++;
        }
        free(b);
    }
    fprintf(stderr, "damage behind a valid CRC: %d rejected, %d accepted (payload bytes)\n", rejected, accepted);
    assert_true(rejected > 0);
}

int main(void)
{
    models = tu_require_models();
    index_json = tw_load_index(models);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_byte_flip),
        cmocka_unit_test(every_truncation),
        cmocka_unit_test(swaps_and_random_damage),
        cmocka_unit_test(damage_behind_a_valid_crc),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    cJSON_Delete(index_json);
    return rc;
}
