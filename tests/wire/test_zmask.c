/* test_zmask.c — the zero-point mask coding (wire encoding 2,
 * docs/PROTOCOL.md): per group of 8 raw bytes a mask byte (bit i set when
 * byte i differs from the fill byte) and the differing bytes.
 *   - round trips on every length 0..300 (every partial last group) and on
 *     random data of every density of fill bytes, for several fill bytes;
 *     the encoded size equals sciot_zmask_size and ceil(n/8) + differing;
 *   - capacity: exactly the size works, one byte less returns 0 and writes
 *     nothing past cap;
 *   - malformed streams: mask bits for bytes past raw_len (overrun), a
 *     missing mask or data byte (underrun), bytes after the last group
 *     (trailing); random streams never write past raw_len. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wire/wire_internal.h"

#define GUARD 16

static void round_trip(const uint8_t *src, size_t n, uint8_t fill)
{
    size_t want = (n + 7) / 8, at;
    for (size_t i = 0; i < n; i++)
        want += src[i] != fill;
    assert_int_equal(sciot_zmask_size(src, n, fill), want);
    uint8_t *enc = malloc(want + GUARD), *dec = malloc(n + 1);
    memset(enc, 0xA5, want + GUARD);
    size_t e = sciot_zmask_encode(src, n, fill, enc, want);
    assert_int_equal(e, want);
    for (size_t i = want; i < want + GUARD; i++)
        assert_int_equal(enc[i], 0xA5);
    assert_int_equal(sciot_zmask_walk(enc, e, fill, dec, n, &at), SCIOT_RLE_OK);
    if (n)
        assert_memory_equal(dec, src, n);
    assert_int_equal(sciot_zmask_walk(enc, e, fill, NULL, n, &at), SCIOT_RLE_OK);
    if (want) {
        memset(enc, 0xA5, want + GUARD);
        assert_int_equal(sciot_zmask_encode(src, n, fill, enc, want - 1), 0);
        for (size_t i = want - 1; i < want + GUARD; i++)
            assert_int_equal(enc[i], 0xA5);
    }
    free(enc);
    free(dec);
}

static void every_length(void **st)
{
    (void)st;
    uint8_t buf[300];
    uint32_t s = 5;
    static const uint8_t fills[] = {0x80, 0x00, 0xFF, 0x7F};
    for (size_t f = 0; f < sizeof fills; f++)
        for (size_t n = 0; n <= sizeof buf; n++) {
            for (size_t i = 0; i < n; i++)
                buf[i] = tu_rand(&s) % 3 ? fills[f] : (uint8_t)tu_rand(&s);
            round_trip(buf, n, fills[f]);
        }
}

static void every_density(void **st)
{
    (void)st;
    uint8_t *buf = malloc(20000);
    uint32_t s = 11;
    for (int pct = 0; pct <= 100; pct += 5) {
        size_t n = 1000 + tu_rand(&s) % 19000;
        for (size_t i = 0; i < n; i++)
            buf[i] = (int)(tu_rand(&s) % 100) < pct ? 0x80 : (uint8_t)(0x81 + tu_rand(&s) % 127);
        round_trip(buf, n, 0x80);
    }
    free(buf);
}

static void malformed(void **st)
{
    (void)st;
    uint8_t out[64];
    size_t at;
    static const struct {
        const char *what;
        uint8_t s[12];
        size_t len, raw;
        sciot_rle_result want;
    } bad[] = {
        {"mask bit past raw_len (partial group)", {0x08, 1}, 2, 3, SCIOT_RLE_OVERRUN},
        {"high mask bit past raw_len", {0x80, 9}, 2, 7, SCIOT_RLE_OVERRUN},
        {"no mask byte", {0}, 0, 1, SCIOT_RLE_UNDERRUN},
        {"second group's mask missing", {0x00}, 1, 9, SCIOT_RLE_UNDERRUN},
        {"data byte missing", {0x03, 7}, 2, 8, SCIOT_RLE_UNDERRUN},
        {"trailing byte", {0x00, 0x00}, 2, 8, SCIOT_RLE_TRAILING},
        {"trailing after data", {0x01, 4, 5}, 3, 4, SCIOT_RLE_TRAILING},
        {"bytes for raw_len 0", {0x00}, 1, 0, SCIOT_RLE_TRAILING},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *src = malloc(bad[i].len ? bad[i].len : 1); /* exact: ASan sees over-reads */
        memcpy(src, bad[i].s, bad[i].len);
        sciot_rle_result r = sciot_zmask_walk(src, bad[i].len, 0x80, out, bad[i].raw, &at);
        if (r != bad[i].want)
            fail_msg("%s: result %d, expected %d", bad[i].what, (int)r, (int)bad[i].want);
        assert_int_equal(sciot_zmask_walk(src, bad[i].len, 0x80, NULL, bad[i].raw, &at), bad[i].want);
        free(src);
    }
    /* a valid one: fill 0x80, bytes 1 and 3 differ */
    static const uint8_t ok[] = {0x0A, 5, 6, 0x00};
    static const uint8_t want[] = {0x80, 5, 0x80, 6, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    assert_int_equal(sciot_zmask_walk(ok, sizeof ok, 0x80, out, 10, &at), SCIOT_RLE_OK);
    assert_memory_equal(out, want, 10);
}

static void random_streams(void **st)
{
    (void)st;
    uint32_t s = 3;
    uint8_t src[48], dst[512];
    size_t at;
    int ok = 0;
    for (int trial = 0; trial < 200000; trial++) {
        size_t len = tu_rand(&s) % sizeof src, raw = tu_rand(&s) % 64;
        for (size_t i = 0; i < len; i++)
            src[i] = (uint8_t)(tu_rand(&s) & tu_rand(&s)); /* sparse masks */
        memset(dst, 0xEE, sizeof dst);
        sciot_rle_result r = sciot_zmask_walk(src, len, 0x80, dst, raw, &at);
        assert_true(at <= len);
        for (size_t i = raw; i < sizeof dst; i++)
            assert_int_equal(dst[i], 0xEE);
        if (r == SCIOT_RLE_OK) {
            ok++;
            /* re-encoding never takes more bytes (a set mask bit with a
             * data byte equal to the fill is accepted, not produced) and
             * decodes to the same bytes */
            uint8_t re[64], back[64];
            size_t e = sciot_zmask_encode(dst, raw, 0x80, re, sizeof re);
            assert_true(e <= len);
            assert_int_equal(sciot_zmask_walk(re, e, 0x80, back, raw, &at), SCIOT_RLE_OK);
            if (raw)
                assert_memory_equal(back, dst, raw);
        }
    }
    assert_true(ok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_length),
        cmocka_unit_test(every_density),
        cmocka_unit_test(malformed),
        cmocka_unit_test(random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
