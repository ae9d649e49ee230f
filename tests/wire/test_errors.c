/* test_errors.c — every rejection of docs/PROTOCOL.md with its own status
 * and a message naming the field and the values.
 *
 * Frames are made by encoding a valid cut (fomo_face inside a residual
 * block, two tensors; person_detect for the other-model case) and then
 * either patching field bytes and recomputing the CRC (so the CRC check
 * passes and the semantic check is what fires), or building the frame with
 * the reference writer tw_write from edited fields (rank changes, which
 * move every later byte). Covered:
 *   MODEL_MISMATCH   wrong SHA (argument or header), fomo_face frame against
 *                    person_detect (given SHA and NULL = hash the file)
 *   SPLIT_RANGE      k = N + 1, k = 2^32 - 1, n_times = k - 1 and k + 1
 *   NOT_IN_CUT       cut of k plus a later tensor / a constant, the cut of
 *                    k + 1 labelled k, index -1 and >= n_tensors, duplicates
 *   MISSING_TENSOR   a cut tensor left out, no tensors at all
 *   TENSOR_MISMATCH  dtype, rank, every dim, scale, zero point, raw_len
 *   BAD_MAGIC / BAD_VERSION (version, flag bits, reserved bytes, encoding,
 *                    RLE without COMPRESS) / LENGTH (each count over its
 *                    limit, frame_len over 64 MiB, header_len, records and
 *                    payloads past the CRC, bytes before the CRC, raw
 *                    payload_len, RLE payloads) / CRC
 *   the order of the checks when a frame has two faults;
 *   encoder argument errors and every too-small output buffer;
 *   tensor_read errors; flags LOCAL / REPLY round trip;
 *   the TELEMETRY block (round trip, reserved word -> BAD_VERSION before the
 *   CRC, flag and block disagreeing -> LENGTH); REPLY frames (next decision,
 *   outputs or no tensors, range, non-output tensor); zero-point mask
 *   payloads (read back, a flipped mask bit -> LENGTH, without COMPRESS ->
 *   BAD_VERSION). */
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
static tw_model fomo, person;
static tw_engine fomo_head, person_head;
static int32_t K; /* fomo_face split inside a residual block */
static uint32_t times[4200];

typedef struct {
    uint8_t *b;
    size_t len;
} frame;

static int setup(void **st)
{
    (void)st;
    tw_model_load(&fomo, models, index_json, "fomo_face");
    tw_model_load(&person, models, index_json, "person_detect");
    tw_engine_init(&fomo_head, &fomo.m, 0, fomo.m.n_ops);
    tw_engine_init(&person_head, &person.m, 0, person.m.n_ops);
    K = tw_pick_residual_k(&fomo, &fomo_head);
    TW_CHECK(K >= 0);
    tw_run_head(&person_head, &person, 0, 5);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        times[i] = 3u * (uint32_t)i + 1u;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    tw_engine_free(&fomo_head);
    tw_engine_free(&person_head);
    sciot_model_free(&fomo.m);
    sciot_model_free(&person.m);
    return 0;
}

static frame encode(const sciot_wire_frame *f, const sciot_model *m)
{
    sciot_error err = {0};
    frame fr;
    size_t cap = sciot_wire_frame_bound(f);
    fr.b = malloc(cap);
    if (sciot_wire_encode(f, m, fr.b, cap, &fr.len, &err))
        fail_msg("encode: %s", err.msg);
    return fr;
}

/* the valid fomo_face frame of split K (compressed or not) */
static frame fomo_frame(uint8_t flags, sciot_wire_frame *fout)
{
    sciot_wire_frame f;
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, flags);
    if (fout)
        *fout = f;
    return encode(&f, &fomo.m);
}

/* decode against fomo_face (its SHA) and expect `want`; the message must
 * contain `needle` (if given). Copies into an exactly sized buffer. */
static void expect_m(const frame *fr, const tw_model *tm, const uint8_t *sha, sciot_status want, const char *needle,
                     int line)
{
    sciot_error err = {0};
    sciot_wire_frame f;
    uint8_t *b = malloc(fr->len ? fr->len : 1);
    memcpy(b, fr->b, fr->len);
    sciot_status s = sciot_wire_decode(b, fr->len, &tm->m, sha, &f, &err);
    free(b);
    if (s != want)
        fail_msg("line %d: status %d (%s: %s), expected %d (%s)", line, (int)s, sciot_strerror(s), err.msg, (int)want,
                 sciot_strerror(want));
    if (want != SCIOT_OK) {
        assert_int_equal(err.status, want);
        if (needle && !strstr(err.msg, needle))
            fail_msg("line %d: message \"%s\" lacks \"%s\"", line, err.msg, needle);
    }
}
#define EXPECT(fr, want, needle) expect_m((fr), &fomo, fomo.sha, (want), (needle), __LINE__)

/* parse only (no model) */
static void expect_parse_m(const frame *fr, sciot_status want, const char *needle, int line)
{
    sciot_error err = {0};
    sciot_wire_frame f;
    sciot_status s = sciot_wire_parse(fr->b, fr->len, &f, &err);
    if (s != want)
        fail_msg("line %d: parse status %d (%s), expected %d", line, (int)s, err.msg, (int)want);
    if (want && needle && !strstr(err.msg, needle))
        fail_msg("line %d: message \"%s\" lacks \"%s\"", line, err.msg, needle);
}
#define EXPECT_PARSE(fr, want, needle) expect_parse_m((fr), (want), (needle), __LINE__)

static void fix(frame *fr) { tw_fix_crc(fr->b, fr->len); }

static size_t rec_q(const frame *fr, uint32_t i) /* offset of record i's scale */
{
    size_t r = tw_record_offset(fr->b, i);
    return r + 8 + 4 * (size_t)fr->b[r + 5];
}

/* ---------------------------------------------------------------------- */

static void valid_frames(void **st)
{
    (void)st;
    for (int c = 0; c < 2; c++) {
        frame fr = fomo_frame(c ? SCIOT_WIRE_F_COMPRESS : 0, NULL);
        EXPECT(&fr, SCIOT_OK, NULL);
        EXPECT_PARSE(&fr, SCIOT_OK, NULL);
        free(fr.b);
    }
}

static void model_mismatch(void **st)
{
    (void)st;
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    uint8_t sha[32];
    memcpy(sha, fomo.sha, 32);
    sha[31] ^= 1;
    expect_m(&fr, &fomo, sha, SCIOT_ERR_MODEL_MISMATCH, "SHA-256", __LINE__);
    /* the frame's SHA patched */
    fr.b[20] ^= 0x40;
    fix(&fr);
    EXPECT(&fr, SCIOT_ERR_MODEL_MISMATCH, "SHA-256");
    EXPECT_PARSE(&fr, SCIOT_OK, NULL); /* no model: fine */
    free(fr.b);
    /* a fomo_face frame against person_detect */
    fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    expect_m(&fr, &person, person.sha, SCIOT_ERR_MODEL_MISMATCH, "fc3aec94b4b02dc6", __LINE__);
    expect_m(&fr, &person, NULL, SCIOT_ERR_MODEL_MISMATCH, "808cfdfc0cf3a6fa", __LINE__);
    free(fr.b);
}

static void split_range(void **st)
{
    (void)st;
    const int32_t N = fomo.m.n_ops;
    sciot_wire_frame f;
    char msg[128];
    /* k = N + 1 with N + 1 times and the cut of N */
    tw_run_head(&fomo_head, &fomo, 0, N);
    tw_fill_cut(&f, &fomo, &fomo_head.e, N, times, 0);
    f.split = f.n_times = (uint32_t)N + 1;
    frame fr = encode(&f, &fomo.m);
    snprintf(msg, sizeof msg, "split k is %d, the model has %d operators", N + 1, N);
    EXPECT(&fr, SCIOT_ERR_SPLIT_RANGE, msg);
    /* k = 2^32 - 1 (n_times stays N + 1: the range check comes first) */
    memset(fr.b + 52, 0xFF, 4);
    fix(&fr);
    EXPECT(&fr, SCIOT_ERR_SPLIT_RANGE, "4294967295");
    free(fr.b);
    tw_run_head(&fomo_head, &fomo, 0, K);
    /* n_times = k - 1, k + 1 */
    for (int d = -1; d <= 1; d += 2) {
        tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, SCIOT_WIRE_F_COMPRESS);
        f.n_times = (uint32_t)(K + d);
        fr = encode(&f, &fomo.m);
        snprintf(msg, sizeof msg, "n_times is %d, split k is %d", K + d, K);
        EXPECT(&fr, SCIOT_ERR_SPLIT_RANGE, msg);
        free(fr.b);
    }
}

static void not_in_cut(void **st)
{
    (void)st;
    sciot_wire_frame f;
    frame fr;
    char msg[128];
    const sciot_model *m = &fomo.m;
    /* the cut of K plus the output of operator K (produced on the edge) */
    int32_t later = m->ops[K].outputs[0];
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, 0);
    static uint8_t zeros[1 << 16];
    TW_CHECK(m->tensors[later].bytes <= sizeof zeros);
    f.tensors[f.n_tensors].index = later;
    f.tensors[f.n_tensors].raw_len = (uint32_t)m->tensors[later].bytes;
    f.tensors[f.n_tensors++].data = zeros;
    fr = encode(&f, m);
    snprintf(msg, sizeof msg, "tensor %d is not in the cut of k = %d", later, K);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, msg);
    free(fr.b);
    /* plus a constant (weights) */
    int32_t w = m->ops[0].inputs[1];
    TW_CHECK(m->tensors[w].is_const);
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, 0);
    f.tensors[f.n_tensors].index = w;
    f.tensors[f.n_tensors].raw_len = (uint32_t)m->tensors[w].bytes;
    f.tensors[f.n_tensors++].data = m->tensors[w].data;
    fr = encode(&f, m);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, "not in the cut");
    free(fr.b);
    /* the cut of K + 1 labelled K (times: K) */
    tw_run_head(&fomo_head, &fomo, 0, K + 1);
    tw_fill_cut(&f, &fomo, &fomo_head.e, K + 1, times, SCIOT_WIRE_F_COMPRESS);
    f.split = f.n_times = (uint32_t)K;
    fr = encode(&f, m);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, "is not in the cut of k");
    free(fr.b);
    tw_run_head(&fomo_head, &fomo, 0, K);
    /* index -1 and n_tensors (patched) */
    fr = fomo_frame(0, NULL);
    size_t r1 = tw_record_offset(fr.b, 1);
    tw_le(fr.b + r1, (uint32_t)-1, 4);
    fix(&fr);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, "index -1");
    tw_le(fr.b + r1, (uint32_t)m->n_tensors, 4);
    fix(&fr);
    snprintf(msg, sizeof msg, "index %d, the model has %d tensors", m->n_tensors, m->n_tensors);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, msg);
    free(fr.b);
    /* duplicates: cut + its first tensor again; and [a, a] in place of [a, b] */
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, SCIOT_WIRE_F_COMPRESS);
    f.tensors[2] = f.tensors[0];
    f.n_tensors = 3;
    fr = encode(&f, m);
    snprintf(msg, sizeof msg, "tensor %d appears twice (records 0 and 2)", f.tensors[0].index);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, msg);
    free(fr.b);
    f.tensors[1] = f.tensors[0];
    f.n_tensors = 2;
    fr = encode(&f, m);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, "appears twice");
    free(fr.b);
}

static void missing_tensor(void **st)
{
    (void)st;
    sciot_wire_frame f;
    char msg[128];
    for (int drop = 0; drop < 2; drop++) {
        tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, SCIOT_WIRE_F_COMPRESS);
        int32_t gone = f.tensors[drop].index;
        f.tensors[0] = f.tensors[1 - drop];
        f.n_tensors = 1;
        frame fr = encode(&f, &fomo.m);
        snprintf(msg, sizeof msg, "tensor %d of the cut of k = %d is missing (1 of 2", gone, K);
        EXPECT(&fr, SCIOT_ERR_MISSING_TENSOR, msg);
        free(fr.b);
    }
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, 0);
    f.n_tensors = 0;
    frame fr = encode(&f, &fomo.m);
    EXPECT(&fr, SCIOT_ERR_MISSING_TENSOR, "missing");
    free(fr.b);
}

static void tensor_mismatch(void **st)
{
    (void)st;
    char msg[160];
    for (int c = 0; c < 2; c++) {
        uint8_t flags = c ? SCIOT_WIRE_F_COMPRESS : 0;
        sciot_wire_frame f;
        frame fr = fomo_frame(flags, &f);
        const int32_t i0 = f.tensors[1].index;
        const sciot_tensor *t = &fomo.m.tensors[i0];
        size_t r = tw_record_offset(fr.b, 1), q = rec_q(&fr, 1);
        frame p = {malloc(fr.len), fr.len};
        /* dtype */
        memcpy(p.b, fr.b, fr.len);
        p.b[r + 4] = SCIOT_FLOAT32;
        fix(&p);
        snprintf(msg, sizeof msg, "tensor %d: dtype is float32 (0), the model says int8 (9)", i0);
        EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, msg);
        /* every dim */
        for (int32_t d = 0; d < t->rank; d++) {
            memcpy(p.b, fr.b, fr.len);
            tw_le(p.b + r + 8 + 4 * d, (uint32_t)(t->dims[d] + 1), 4);
            fix(&p);
            snprintf(msg, sizeof msg, "tensor %d: dims[%d] is %d, the model says %d", i0, d, t->dims[d] + 1,
                     t->dims[d]);
            EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, msg);
        }
        /* scale: one ulp off */
        memcpy(p.b, fr.b, fr.len);
        tw_le(p.b + q, tw_ld(p.b + q, 4) + 1, 4);
        fix(&p);
        snprintf(msg, sizeof msg, "tensor %d: scale is", i0);
        EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, msg);
        /* zero point */
        memcpy(p.b, fr.b, fr.len);
        tw_le(p.b + q + 4, (uint32_t)(t->zero_point + 3), 4);
        fix(&p);
        snprintf(msg, sizeof msg, "tensor %d: zero_point is %d, the model says %d", i0, t->zero_point + 3,
                 t->zero_point);
        EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, msg);
        free(p.b);
        free(fr.b);
    }
    /* rank and raw_len: rebuild with the reference writer from edited fields */
    sciot_wire_frame f, d;
    sciot_error err = {0};
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, &f);
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
    int rle = d.tensors[0].encoding != SCIOT_WIRE_ENC_RAW ? 0 : 1;
    assert_int_not_equal(d.tensors[rle].encoding, SCIOT_WIRE_ENC_RAW);
    const sciot_tensor *t0 = &fomo.m.tensors[d.tensors[0].index];
    frame p = {malloc(fr.len + 64), 0};
    sciot_wire_frame e = d;
    e.tensors[0].rank = t0->rank - 1;
    p.len = tw_write(&e, p.b, fr.len + 64);
    snprintf(msg, sizeof msg, "tensor %d: rank is %d, the model says %d", d.tensors[0].index, t0->rank - 1,
             t0->rank);
    EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, msg);
    e = d;
    e.tensors[0].rank = t0->rank + 1;
    e.tensors[0].dims[t0->rank] = 1;
    p.len = tw_write(&e, p.b, fr.len + 64);
    EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, "rank is");
    /* raw_len of the RLE record (raw records must have payload_len = raw_len) */
    e = d;
    e.tensors[rle].raw_len += 1;
    p.len = tw_write(&e, p.b, fr.len + 64);
    snprintf(msg, sizeof msg, "tensor %d: raw_len is %u, the model says %u bytes", d.tensors[rle].index,
             d.tensors[rle].raw_len + 1, d.tensors[rle].raw_len);
    EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, msg);
    EXPECT_PARSE(&p, SCIOT_ERR_LENGTH, "payload of"); /* without the model: the stream is short */
    free(p.b);
    free(fr.b);
}

static void header_format(void **st)
{
    (void)st;
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    frame p = {malloc(fr.len), fr.len};
#define PATCH(off, val)                 \
    do {                                \
        memcpy(p.b, fr.b, fr.len);      \
        p.b[(off)] = (uint8_t)(val);    \
        fix(&p);                        \
    } while (0)
    for (int i = 0; i < 4; i++) {
        PATCH(i, fr.b[i] ^ 0x20);
        EXPECT(&p, SCIOT_ERR_BAD_MAGIC, "expected \"SCIW\"");
        EXPECT_PARSE(&p, SCIOT_ERR_BAD_MAGIC, NULL);
    }
    static const uint8_t versions[] = {0, 2, 0x81, 0xFF};
    for (size_t i = 0; i < sizeof versions; i++) {
        PATCH(4, versions[i]);
        char msg[64];
        snprintf(msg, sizeof msg, "version is %u", versions[i]);
        EXPECT(&p, SCIOT_ERR_BAD_VERSION, msg);
    }
    for (int bit = 4; bit < 8; bit++) { /* bit 3 is TELEMETRY */
        PATCH(5, fr.b[5] | (1u << bit));
        EXPECT(&p, SCIOT_ERR_BAD_VERSION, "unknown bits");
    }
    PATCH(63, 1);
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, "reserved header byte");
    size_t r0 = tw_record_offset(fr.b, 0), r1 = tw_record_offset(fr.b, 1);
    PATCH(r1 + 7, 0x10);
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, "tensor record 1: reserved byte");
    PATCH(r0 + 6, 3);
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, "unknown encoding 3");
    /* RLE payloads in a frame without the COMPRESS flag */
    size_t rle = fr.b[r0 + 6] != SCIOT_WIRE_ENC_RAW ? r0 : r1;
    assert_int_not_equal(fr.b[rle + 6], SCIOT_WIRE_ENC_RAW);
    PATCH(5, fr.b[5] & ~SCIOT_WIRE_F_COMPRESS);
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, "without the COMPRESS flag");
#undef PATCH
    free(p.b);
    free(fr.b);
}

static void lengths_and_counts(void **st)
{
    (void)st;
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    frame p = {malloc(fr.len), fr.len};
#define PATCHN(off, val, n)                   \
    do {                                      \
        memcpy(p.b, fr.b, fr.len);            \
        tw_le(p.b + (off), (val), (n));       \
        fix(&p);                              \
    } while (0)
    PATCHN(60, 17, 2);
    EXPECT(&p, SCIOT_ERR_LENGTH, "n_tensors is 17, at most 16");
    PATCHN(60, 0xFFFF, 2);
    EXPECT(&p, SCIOT_ERR_LENGTH, "n_tensors is 65535");
    PATCHN(56, 4097, 4);
    EXPECT(&p, SCIOT_ERR_LENGTH, "n_times is 4097, at most 4096");
    PATCHN(56, 0xFFFFFFFFu, 4);
    EXPECT(&p, SCIOT_ERR_LENGTH, "n_times is 4294967295");
    PATCHN(62, 65, 1);
    EXPECT(&p, SCIOT_ERR_LENGTH, "device_id_len is 65, at most 64");
    PATCHN(6, tw_ld(fr.b + 6, 2) + 1, 2);
    EXPECT(&p, SCIOT_ERR_LENGTH, "header_len is");
    PATCHN(6, tw_ld(fr.b + 6, 2) - 4, 2);
    EXPECT(&p, SCIOT_ERR_LENGTH, "header_len is");
    /* consistent header_len, but more times than the frame holds */
    memcpy(p.b, fr.b, fr.len);
    tw_le(p.b + 56, 4096, 4);
    tw_le(p.b + 6, 64 + p.b[62] + 4 * 4096, 2);
    fix(&p);
    EXPECT(&p, SCIOT_ERR_LENGTH, "runs past the CRC");
    /* rank 7 */
    size_t r0 = tw_record_offset(fr.b, 0), r1 = tw_record_offset(fr.b, 1);
    PATCHN(r1 + 5, 7, 1);
    EXPECT(&p, SCIOT_ERR_LENGTH, "rank is 7, at most 6");
    PATCHN(r0 + 5, 0xFF, 1);
    EXPECT(&p, SCIOT_ERR_LENGTH, "tensor record 0: rank is 255");
    /* a payload past the CRC, lengths that would wrap */
    size_t q1 = rec_q(&fr, 1);
    PATCHN(q1 + 12, tw_ld(fr.b + q1 + 12, 4) + 1, 4);
    EXPECT(&p, SCIOT_ERR_LENGTH, NULL);
    PATCHN(q1 + 12, 0xFFFFFFFFu, 4);
    EXPECT(&p, SCIOT_ERR_LENGTH, NULL);
    uint32_t ri = fr.b[r0 + 6] != SCIOT_WIRE_ENC_RAW ? 0 : 1; /* the RLE record: payload_len is free */
    size_t qr = rec_q(&fr, ri);
    PATCHN(qr + 12, 0xFFFFFFF0u, 4);
    EXPECT(&p, SCIOT_ERR_LENGTH, "runs past the CRC");
    /* a record shorter: bytes left before the CRC */
    PATCHN(60, 1, 2);
    EXPECT(&p, SCIOT_ERR_LENGTH, "between the last tensor record");
    /* raw payload_len != raw_len */
    frame raw = fomo_frame(0, NULL);
    size_t rq = rec_q(&raw, 1);
    frame rp = {malloc(raw.len), raw.len};
    memcpy(rp.b, raw.b, raw.len);
    tw_le(rp.b + rq + 8, tw_ld(raw.b + rq + 8, 4) - 1, 4);
    tw_fix_crc(rp.b, rp.len);
    EXPECT(&rp, SCIOT_ERR_LENGTH, "raw payload_len is");
    free(rp.b);
    free(raw.b);
    /* frame_len: smaller than the bytes, too small, and over 64 MiB */
    PATCHN(8, fr.len - 1, 4);
    EXPECT(&p, SCIOT_ERR_LENGTH, "bytes received, frame_len is");
    frame small = {malloc(68), 68};
    memcpy(small.b, fr.b, 68);
    tw_le(small.b + 8, 60, 4);
    EXPECT(&small, SCIOT_ERR_LENGTH, NULL); /* 68 bytes, frame_len 60: more bytes than frame_len */
    free(small.b);
    size_t big = SCIOT_WIRE_MAX_FRAME + 8;
    frame huge = {calloc(1, big), big};
    memcpy(huge.b, fr.b, fr.len);
    tw_le(huge.b + 8, big, 4);
    tw_fix_crc(huge.b, big);
    EXPECT(&huge, SCIOT_ERR_LENGTH, "at most 67108864");
    free(huge.b);
    /* an extra byte after the frame */
    frame more = {malloc(fr.len + 1), fr.len + 1};
    memcpy(more.b, fr.b, fr.len);
    more.b[fr.len] = 0;
    EXPECT(&more, SCIOT_ERR_LENGTH, NULL);
    free(more.b);
#undef PATCHN
    free(p.b);
    free(fr.b);
}

static void crc_and_rle(void **st)
{
    (void)st;
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    frame p = {malloc(fr.len), fr.len};
    memcpy(p.b, fr.b, fr.len);
    p.b[fr.len / 2] ^= 0x10;
    EXPECT(&p, SCIOT_ERR_CRC, "CRC-32C field is");
    memcpy(p.b, fr.b, fr.len);
    p.b[fr.len - 1] ^= 0x01;
    EXPECT(&p, SCIOT_ERR_CRC, NULL);
    /* an RLE payload that no longer decodes to raw_len (CRC recomputed):
     * its first control byte changed */
    size_t r0 = tw_record_offset(fr.b, 0), r1 = tw_record_offset(fr.b, 1);
    size_t rle = fr.b[r0 + 6] != SCIOT_WIRE_ENC_RAW ? r0 : r1;
    size_t pay = rle + 24 + 4 * (size_t)fr.b[rle + 5];
    for (int v = 0; v < 256; v += 51) {
        memcpy(p.b, fr.b, fr.len);
        if (p.b[pay] == (uint8_t)v)
            continue;
        p.b[pay] = (uint8_t)v;
        fix(&p);
        sciot_error err = {0};
        sciot_wire_frame f;
        sciot_status s = sciot_wire_decode(p.b, p.len, &fomo.m, fomo.sha, &f, &err);
        /* nearly always a length error; a changed literal/run that happens to
         * decode to raw_len is a valid (different) tensor */
        if (s != SCIOT_OK) {
            assert_int_equal(s, SCIOT_ERR_LENGTH);
            assert_non_null(strstr(err.msg, "payload of"));
            EXPECT_PARSE(&p, SCIOT_ERR_LENGTH, "payload of");
        }
    }
    /* truncate the RLE stream by one token: payload_len - 2, frame shrunk */
    sciot_wire_frame d;
    sciot_error err = {0};
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
    int ri = d.tensors[0].encoding != SCIOT_WIRE_ENC_RAW ? 0 : 1;
    d.tensors[ri].payload_len -= 2;
    frame q = {malloc(fr.len), 0};
    q.len = tw_write(&d, q.b, fr.len);
    EXPECT(&q, SCIOT_ERR_LENGTH, "the stream ends before the raw length");
    /* ... or one byte too many (trailing): borrow the next record's byte */
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
    uint8_t *pl = malloc(d.tensors[ri].payload_len + 2);
    memcpy(pl, d.tensors[ri].payload, d.tensors[ri].payload_len);
    pl[d.tensors[ri].payload_len] = 0x00; /* a literal token ... */
    pl[d.tensors[ri].payload_len + 1] = 0x42;
    d.tensors[ri].payload = pl;
    d.tensors[ri].payload_len += 2;
    free(q.b);
    q.b = malloc(fr.len + 2);
    q.len = tw_write(&d, q.b, fr.len + 2);
    EXPECT(&q, SCIOT_ERR_LENGTH, "bytes left after the raw length");
    free(pl);
    free(q.b);
    free(p.b);
    free(fr.b);
}

/* two faults: the first of PROTOCOL.md's table wins */
static void check_order(void **st)
{
    (void)st;
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    frame p = {malloc(fr.len), fr.len};
    /* bad magic + bad CRC: magic */
    memcpy(p.b, fr.b, fr.len);
    p.b[0] = 'X';
    p.b[100] ^= 1;
    EXPECT(&p, SCIOT_ERR_BAD_MAGIC, NULL);
    /* bad magic, truncated: truncated */
    p.len = fr.len - 1;
    EXPECT(&p, SCIOT_ERR_TRUNCATED, NULL);
    p.len = fr.len;
    /* bad version + oversize count: version */
    memcpy(p.b, fr.b, fr.len);
    p.b[4] = 9;
    tw_le(p.b + 60, 999, 2);
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, NULL);
    /* oversize count + bad CRC: length */
    memcpy(p.b, fr.b, fr.len);
    tw_le(p.b + 60, 999, 2);
    EXPECT(&p, SCIOT_ERR_LENGTH, NULL);
    /* bad CRC + wrong SHA: CRC */
    memcpy(p.b, fr.b, fr.len);
    p.b[25] ^= 1;
    EXPECT(&p, SCIOT_ERR_CRC, NULL);
    /* wrong SHA + k > N: model */
    memcpy(p.b, fr.b, fr.len);
    p.b[25] ^= 1;
    tw_le(p.b + 52, 1000, 4);
    fix(&p);
    EXPECT(&p, SCIOT_ERR_MODEL_MISMATCH, NULL);
    /* k out of range + a tensor not in the cut: split */
    memcpy(p.b, fr.b, fr.len);
    tw_le(p.b + 52, 1000, 4);
    tw_le(p.b + tw_record_offset(p.b, 0), 1, 4);
    fix(&p);
    EXPECT(&p, SCIOT_ERR_SPLIT_RANGE, NULL);
    /* not in cut (record 1) + dims wrong (record 0): not in cut */
    memcpy(p.b, fr.b, fr.len);
    tw_le(p.b + tw_record_offset(p.b, 0) + 8, 7, 4);
    tw_le(p.b + tw_record_offset(p.b, 1), 1, 4);
    fix(&p);
    EXPECT(&p, SCIOT_ERR_NOT_IN_CUT, NULL);
    /* duplicate (so one missing) + dims wrong: not in cut */
    memcpy(p.b, fr.b, fr.len);
    tw_le(p.b + tw_record_offset(p.b, 1), (uint32_t)tw_ld(p.b + tw_record_offset(p.b, 0), 4), 4);
    fix(&p);
    EXPECT(&p, SCIOT_ERR_NOT_IN_CUT, "twice");
    /* wrong SHA + bad RLE payload: model */
    size_t r0 = tw_record_offset(fr.b, 0), r1 = tw_record_offset(fr.b, 1);
    size_t rle = fr.b[r0 + 6] != SCIOT_WIRE_ENC_RAW ? r0 : r1;
    size_t pay = rle + 24 + 4 * (size_t)fr.b[rle + 5];
    memcpy(p.b, fr.b, fr.len);
    p.b[pay] = p.b[pay] >= 0x80 ? 0x00 : 0xFF;
    p.b[30] ^= 1;
    fix(&p);
    EXPECT(&p, SCIOT_ERR_MODEL_MISMATCH, NULL);
    /* zero point wrong + bad RLE: tensor mismatch */
    memcpy(p.b, fr.b, fr.len);
    p.b[pay] = p.b[pay] >= 0x80 ? 0x00 : 0xFF;
    size_t q = rec_q(&fr, 0);
    tw_le(p.b + q + 4, 12345, 4);
    fix(&p);
    EXPECT(&p, SCIOT_ERR_TENSOR_MISMATCH, "zero_point is 12345");
    free(p.b);
    free(fr.b);
}

static void encoder_errors(void **st)
{
    (void)st;
    sciot_wire_frame f;
    sciot_error err = {0};
    size_t len = 123;
    uint8_t buf[256];
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, SCIOT_WIRE_F_COMPRESS);
    assert_int_equal(sciot_wire_encode(NULL, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(len, 0);
    assert_int_equal(sciot_wire_encode(&f, NULL, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    sciot_wire_frame g = f;
    g.n_tensors = 17;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    g = f;
    g.device_id_len = 65;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    g = f;
    g.n_times = 4097;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    g = f;
    g.times_in = NULL;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    g = f;
    g.flags = 0x10;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    g = f;
    g.tensors[1].index = fomo.m.n_tensors;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "tensor record 1: index"));
    g = f;
    g.tensors[0].data = NULL;
    assert_int_equal(sciot_wire_encode(&g, &fomo.m, buf, sizeof buf, &len, &err), SCIOT_ERR_INVALID_ARG);
    /* every too-small buffer: NO_MEMORY, nothing written past cap */
    for (int c = 0; c < 2; c++) {
        f.flags = c ? SCIOT_WIRE_F_COMPRESS : 0;
        size_t full = 0, cap = sciot_wire_frame_bound(&f);
        uint8_t *ref = malloc(cap);
        assert_int_equal(sciot_wire_encode(&f, &fomo.m, ref, cap, &full, &err), SCIOT_OK);
        for (size_t n = 0; n < full; n++) {
            uint8_t *b = malloc(n ? n : 1); /* exact: ASan flags any write past n */
            sciot_status s = sciot_wire_encode(&f, &fomo.m, b, n, &len, &err);
            if (s != SCIOT_ERR_NO_MEMORY)
                fail_msg("cap %zu of %zu: status %d", n, full, (int)s);
            assert_int_equal(len, 0);
            free(b);
        }
        uint8_t *b = malloc(full);
        assert_int_equal(sciot_wire_encode(&f, &fomo.m, b, full, &len, &err), SCIOT_OK);
        assert_int_equal(len, full);
        assert_memory_equal(b, ref, full);
        free(b);
        free(ref);
    }
}

static void tensor_read_errors(void **st)
{
    (void)st;
    sciot_wire_frame d;
    sciot_error err = {0};
    frame fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
    sciot_wire_tensor t = d.tensors[0];
    uint8_t *dst = malloc(t.raw_len);
    assert_int_equal(sciot_wire_tensor_read(&t, dst, t.raw_len - 1, &err), SCIOT_ERR_NO_MEMORY);
    assert_int_equal(sciot_wire_tensor_read(&t, NULL, t.raw_len, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_wire_tensor_read(NULL, dst, t.raw_len, &err), SCIOT_ERR_INVALID_ARG);
    t.encoding = 7;
    assert_int_equal(sciot_wire_tensor_read(&t, dst, t.raw_len, &err), SCIOT_ERR_BAD_VERSION);
    t = d.tensors[0];
    t.encoding = SCIOT_WIRE_ENC_RAW;
    t.payload_len = t.raw_len - 1;
    assert_int_equal(sciot_wire_tensor_read(&t, dst, t.raw_len, &err), SCIOT_ERR_LENGTH);
    free(dst);
    free(fr.b);
    /* parse / decode arguments */
    assert_int_equal(sciot_wire_parse(NULL, 10, &d, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_wire_parse(NULL, 0, &d, &err), SCIOT_ERR_TRUNCATED);
    assert_int_equal(sciot_wire_decode(NULL, 0, NULL, NULL, &d, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_wire_time(NULL, 0), 0);
}

static void flags_round_trip(void **st)
{
    (void)st;
    const int32_t N = fomo.m.n_ops;
    sciot_wire_frame f, d;
    sciot_error err = {0};
    tw_run_head(&fomo_head, &fomo, 0, N);
    static const uint8_t flags[] = {SCIOT_WIRE_F_LOCAL, SCIOT_WIRE_F_LOCAL | SCIOT_WIRE_F_COMPRESS, SCIOT_WIRE_F_REPLY,
                                    SCIOT_WIRE_F_KNOWN};
    for (size_t i = 0; i < sizeof flags; i++) {
        tw_fill_cut(&f, &fomo, &fomo_head.e, N, times, flags[i]);
        f.device_id_len = 64;
        memset(f.device_id, 'd', 64);
        frame fr = encode(&f, &fomo.m);
        assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
        assert_int_equal(d.flags, flags[i]);
        assert_int_equal(d.device_id_len, 64);
        assert_int_equal(strlen(d.device_id), 64);
        free(fr.b);
    }
    /* empty device id, request id 0 */
    tw_fill_cut(&f, &fomo, &fomo_head.e, N, times, 0);
    f.device_id_len = 0;
    f.request_id = 0;
    frame fr = encode(&f, &fomo.m);
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
    assert_string_equal(d.device_id, "");
    free(fr.b);
    tw_run_head(&fomo_head, &fomo, 0, K);
}

/* TELEMETRY block: round trip, its reserved word, its length */
static void telemetry(void **st)
{
    (void)st;
    sciot_wire_frame f, d;
    sciot_error err = {0};
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, SCIOT_WIRE_F_COMPRESS | SCIOT_WIRE_F_TELEMETRY);
    f.prev_request_id = 0xFEDCBA9876543210ull;
    f.prev_rtt_us = 123456789u;
    frame fr = encode(&f, &fomo.m);
    EXPECT(&fr, SCIOT_OK, NULL);
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &fomo.m, fomo.sha, &d, &err), SCIOT_OK);
    assert_true(d.prev_request_id == f.prev_request_id);
    assert_int_equal(d.prev_rtt_us, f.prev_rtt_us);
    assert_int_equal(tw_ld(fr.b + 6, 2), 80 + f.device_id_len + 4 * (uint32_t)K);
    for (int32_t i = 0; i < K; i++)
        assert_int_equal(sciot_wire_time(&d, (uint32_t)i), times[i]);
    /* the reference writer agrees byte for byte */
    frame ref = {malloc(fr.len), 0};
    ref.len = tw_write(&d, ref.b, fr.len);
    assert_int_equal(ref.len, fr.len);
    assert_memory_equal(ref.b, fr.b, fr.len);
    free(ref.b);
    /* reserved word != 0: BAD_VERSION, before the CRC */
    frame p = {malloc(fr.len), fr.len};
    memcpy(p.b, fr.b, fr.len);
    p.b[64 + f.device_id_len + 12] = 1;
    fix(&p);
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, "telemetry reserved field is 0x00000001");
    p.b[fr.len / 2] ^= 0x40; /* and a bad CRC: still BAD_VERSION (table order) */
    EXPECT(&p, SCIOT_ERR_BAD_VERSION, "telemetry reserved");
    /* the flag without the block (or the block without the flag): header_len */
    memcpy(p.b, fr.b, fr.len);
    p.b[5] &= (uint8_t)~SCIOT_WIRE_F_TELEMETRY;
    fix(&p);
    EXPECT(&p, SCIOT_ERR_LENGTH, "header_len is");
    free(p.b);
    free(fr.b);
    fr = fomo_frame(SCIOT_WIRE_F_COMPRESS, NULL);
    fr.b[5] |= SCIOT_WIRE_F_TELEMETRY;
    fix(&fr);
    EXPECT(&fr, SCIOT_ERR_LENGTH, "telemetry 16");
    free(fr.b);
}

/* REPLY frames (PROTOCOL.md section 3): split = the next decision, tensors
 * = the model outputs or none, one time (the edge's) */
static void reply_frames(void **st)
{
    (void)st;
    const sciot_model *m = &fomo.m;
    const int32_t N = m->n_ops;
    sciot_wire_frame f, d;
    sciot_error err = {0};
    uint32_t edge_us = 4321;
    tw_run_head(&fomo_head, &fomo, 0, N);
    tw_fill_cut(&f, &fomo, &fomo_head.e, N, times, SCIOT_WIRE_F_REPLY | SCIOT_WIRE_F_COMPRESS);
    f.split = 7; /* next decision */
    f.n_times = 1;
    f.times_in = &edge_us;
    frame fr = encode(&f, m);
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, m, fomo.sha, &d, &err), SCIOT_OK);
    assert_int_equal(d.split, 7);
    assert_int_equal(sciot_wire_time(&d, 0), edge_us);
    assert_int_equal(d.n_tensors, (uint32_t)m->n_outputs);
    free(fr.b);
    /* no tensors (the answer to a LOCAL report) */
    f.n_tensors = 0;
    fr = encode(&f, m);
    EXPECT(&fr, SCIOT_OK, NULL);
    free(fr.b);
    /* the next decision out of range */
    tw_fill_cut(&f, &fomo, &fomo_head.e, N, times, SCIOT_WIRE_F_REPLY);
    f.split = (uint32_t)N + 1;
    f.n_times = 1;
    f.times_in = &edge_us;
    fr = encode(&f, m);
    EXPECT(&fr, SCIOT_ERR_SPLIT_RANGE, "split k is");
    free(fr.b);
    /* a tensor that is not an output */
    tw_run_head(&fomo_head, &fomo, 0, K);
    tw_fill_cut(&f, &fomo, &fomo_head.e, K, times, SCIOT_WIRE_F_REPLY);
    f.n_times = 1;
    f.times_in = &edge_us;
    fr = encode(&f, m);
    EXPECT(&fr, SCIOT_ERR_NOT_IN_CUT, "is not in the cut of k");
    free(fr.b);
}

/* zero-point mask payloads inside frames */
static void mask_payloads(void **st)
{
    (void)st;
    /* person_detect after 5 operators: one post-ReLU tensor, mask-coded */
    sciot_wire_frame f, d;
    sciot_error err = {0};
    tw_fill_cut(&f, &person, &person_head.e, 5, times, SCIOT_WIRE_F_COMPRESS);
    frame fr = encode(&f, &person.m);
    assert_int_equal(sciot_wire_decode(fr.b, fr.len, &person.m, person.sha, &d, &err), SCIOT_OK);
    uint32_t mi = 0;
    while (mi < d.n_tensors && d.tensors[mi].encoding != SCIOT_WIRE_ENC_ZMASK)
        mi++;
    if (mi == d.n_tensors)
        fail_msg("person_detect k = 5: no mask-coded payload");
    uint8_t *back = malloc(d.tensors[mi].raw_len);
    assert_int_equal(sciot_wire_tensor_read(&d.tensors[mi], back, d.tensors[mi].raw_len, &err), SCIOT_OK);
    assert_memory_equal(back, f.tensors[mi].data, d.tensors[mi].raw_len);
    free(back);
    /* one mask bit more or less: the stream no longer fits raw_len */
    size_t r = tw_record_offset(fr.b, mi), pay = r + 24 + 4 * (size_t)fr.b[r + 5];
    frame p = {malloc(fr.len), fr.len};
    for (int bit = 0; bit < 8; bit++) {
        memcpy(p.b, fr.b, fr.len);
        p.b[pay] ^= (uint8_t)(1u << bit);
        fix(&p);
        expect_m(&p, &person, person.sha, SCIOT_ERR_LENGTH, "mask payload", __LINE__);
        EXPECT_PARSE(&p, SCIOT_ERR_LENGTH, "mask payload");
    }
    /* mask coding without the COMPRESS flag */
    memcpy(p.b, fr.b, fr.len);
    p.b[5] &= (uint8_t)~SCIOT_WIRE_F_COMPRESS;
    fix(&p);
    expect_m(&p, &person, person.sha, SCIOT_ERR_BAD_VERSION, "mask encoding in a frame without the COMPRESS flag",
             __LINE__);
    free(p.b);
    free(fr.b);
}

int main(void)
{
    models = tu_require_models();
    index_json = tw_load_index(models);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_frames),     cmocka_unit_test(model_mismatch),     cmocka_unit_test(split_range),
        cmocka_unit_test(not_in_cut),       cmocka_unit_test(missing_tensor),     cmocka_unit_test(tensor_mismatch),
        cmocka_unit_test(header_format),    cmocka_unit_test(lengths_and_counts), cmocka_unit_test(crc_and_rle),
        cmocka_unit_test(check_order),      cmocka_unit_test(encoder_errors),     cmocka_unit_test(tensor_read_errors),
        cmocka_unit_test(flags_round_trip), cmocka_unit_test(telemetry),    cmocka_unit_test(reply_frames),
        cmocka_unit_test(mask_payloads),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    cJSON_Delete(index_json);
    return rc;
}
