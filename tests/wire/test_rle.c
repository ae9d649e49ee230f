/* test_rle.c — the run-length coder of docs/PROTOCOL.md.
 *   - round trips: random bytes, small alphabets (many short runs), all-equal
 *     buffers of every length 1..1000, a run of every length 1..300 at the
 *     start, middle and end of a literal, back-to-back runs, literals of
 *     every length around the 128-byte token limit, empty input;
 *   - exact encoded sizes at the token boundaries (runs of 2, 3, 130, 131,
 *     literals of 128, 129) and the output bound;
 *   - capacity: an exact-size buffer works, one byte less returns 0, and
 *     nothing is written past `cap` (guard bytes);
 *   - rejection of malformed streams with SCIOT_ERR_LENGTH: overrun (literal
 *     or run past raw_len), underrun (stream ends, token cut), trailing
 *     bytes; random token streams never decode to anything but exactly
 *     raw_len bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciot/wire.h"
#include "testutil.h"

#define GUARD 16

/* encode (into an exactly bounded buffer with guard bytes), check the bound
 * and the guards, decode, compare; returns the encoded size */
static size_t round_trip(const uint8_t *src, size_t n)
{
    size_t bound = sciot_rle_bound(n);
    uint8_t *enc = malloc(bound + GUARD), *dec = malloc(n + 1);
    memset(enc, 0xA5, bound + GUARD);
    size_t e = sciot_rle_encode(src, n, enc, bound);
    if (n)
        assert_true(e > 0);
    else
        assert_int_equal(e, 0);
    assert_true(e <= bound);
    for (size_t i = bound; i < bound + GUARD; i++)
        assert_int_equal(enc[i], 0xA5);
    assert_int_equal(sciot_rle_decode(enc, e, dec, n), SCIOT_OK);
    if (n)
        assert_memory_equal(dec, src, n);
    /* the same stream against a wrong raw length is an error */
    if (n)
        assert_int_equal(sciot_rle_decode(enc, e, dec, n - 1), SCIOT_ERR_LENGTH);
    uint8_t *big = malloc(n + 2);
    assert_int_equal(sciot_rle_decode(enc, e, big, n + 1), SCIOT_ERR_LENGTH);
    /* capacity: exactly e works, e - 1 returns 0 and writes nothing past it */
    if (e) {
        memset(enc, 0xA5, bound + GUARD);
        assert_int_equal(sciot_rle_encode(src, n, enc, e), e);
        memset(enc, 0xA5, bound + GUARD);
        assert_int_equal(sciot_rle_encode(src, n, enc, e - 1), 0);
        for (size_t i = e - 1; i < bound + GUARD; i++)
            assert_int_equal(enc[i], 0xA5);
    }
    free(big);
    free(enc);
    free(dec);
    return e;
}

static void random_data(void **st)
{
    (void)st;
    uint32_t s = 99;
    uint8_t *buf = malloc(70000);
    for (int trial = 0; trial < 200; trial++) {
        size_t n = tu_rand(&s) % (trial < 100 ? 600 : 70000);
        unsigned alphabet = 1u + tu_rand(&s) % (trial % 4 == 0 ? 256 : 4);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)(tu_rand(&s) % alphabet);
        /* sprinkle long runs */
        for (int r = 0; r < 5 && n; r++) {
            size_t at = tu_rand(&s) % n, len = tu_rand(&s) % 400;
            if (len > n - at)
                len = n - at;
            memset(buf + at, (int)(tu_rand(&s) & 0xFF), len);
        }
        round_trip(buf, n);
    }
    /* uniformly random bytes hardly shrink: at most len + len/128 + 1 */
    for (size_t i = 0; i < 65536; i++)
        buf[i] = (uint8_t)tu_rand(&s);
    size_t e = round_trip(buf, 65536);
    assert_true(e <= sciot_rle_bound(65536));
    free(buf);
}

static void all_equal(void **st)
{
    (void)st;
    uint8_t buf[1000];
    for (int v = 0; v < 256; v += 85) {
        memset(buf, v, sizeof buf);
        for (size_t n = 1; n <= sizeof buf; n++) {
            size_t e = round_trip(buf, n);
            /* floor(n/130) full runs, then the rest: 0, 1-2 (literal), 3+ (run) */
            size_t full = n / 130, rest = n % 130;
            size_t want = 2 * full + (rest == 0 ? 0 : rest < 3 ? 1 + rest : 2);
            assert_int_equal(e, want);
        }
    }
}

static void runs_at_every_boundary(void **st)
{
    (void)st;
    uint8_t buf[1024];
    for (size_t r = 1; r <= 300; r++) {
        for (int where = 0; where < 4; where++) {
            size_t n = 0;
            if (where != 0) /* literal before: distinct bytes */
                for (int i = 0; i < 5; i++)
                    buf[n++] = (uint8_t)(10 + i);
            memset(buf + n, 0x77, r);
            n += r;
            if (where == 1 || where == 3)
                for (int i = 0; i < 7; i++)
                    buf[n++] = (uint8_t)(40 + i);
            if (where == 3) { /* a second, different run right after */
                memset(buf + n, 0x78, r);
                n += r;
            }
            round_trip(buf, n);
        }
    }
    /* exact sizes of a lone run at the token boundaries */
    static const struct {
        size_t run, enc;
    } sz[] = {{1, 2}, {2, 3}, {3, 2}, {4, 2}, {129, 2}, {130, 2}, {131, 4}, {132, 5}, {133, 4}, {260, 4}, {261, 6}, {262, 7}, {263, 6}};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        uint8_t enc[16];
        memset(buf, 0, sz[i].run);
        assert_int_equal(sciot_rle_encode(buf, sz[i].run, enc, sizeof enc), sz[i].enc);
    }
    /* a run of exactly 3 is one run token: 0x80, value */
    uint8_t enc[8], three[3] = {9, 9, 9};
    assert_int_equal(sciot_rle_encode(three, 3, enc, sizeof enc), 2);
    assert_int_equal(enc[0], 0x80);
    assert_int_equal(enc[1], 9);
    /* 130: 0xFF, value */
    memset(buf, 5, 130);
    assert_int_equal(sciot_rle_encode(buf, 130, enc, sizeof enc), 2);
    assert_int_equal(enc[0], 0xFF);
}

static void literals_at_every_boundary(void **st)
{
    (void)st;
    uint8_t buf[600];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 8)); /* no two neighbours equal */
    for (size_t n = 1; n <= sizeof buf; n++) {
        size_t e = round_trip(buf, n);
        assert_int_equal(e, n + (n + 127) / 128); /* literal tokens of 128 */
    }
    uint8_t enc[300];
    assert_int_equal(sciot_rle_encode(buf, 128, enc, sizeof enc), 129);
    assert_int_equal(enc[0], 0x7F);
    assert_int_equal(sciot_rle_encode(buf, 129, enc, sizeof enc), 131);
    assert_int_equal(enc[0], 0x7F);
    assert_int_equal(enc[129], 0x00);
    /* worst case of the bound: "a bbb c ddd ..." -- literal, run, literal */
    for (size_t i = 0; i + 4 <= sizeof buf; i += 4) {
        buf[i] = (uint8_t)(i / 4 * 2);
        memset(buf + i + 1, (uint8_t)(i / 4 * 2 + 1), 3);
    }
    size_t e = round_trip(buf, sizeof buf);
    assert_true(e <= sciot_rle_bound(sizeof buf));
}

static void empty(void **st)
{
    (void)st;
    uint8_t out[4] = {0}, src[1] = {0};
    assert_int_equal(sciot_rle_encode(src, 0, out, sizeof out), 0);
    assert_int_equal(sciot_rle_encode(NULL, 0, out, sizeof out), 0);
    assert_int_equal(sciot_rle_decode(NULL, 0, NULL, 0), SCIOT_OK);
    assert_int_equal(sciot_rle_decode(src, 0, out, 0), SCIOT_OK);
    assert_int_equal(sciot_rle_decode(src, 0, out, 1), SCIOT_ERR_LENGTH); /* underrun */
    assert_int_equal(sciot_rle_decode(src, 1, out, 0), SCIOT_ERR_LENGTH); /* trailing */
    assert_true(sciot_rle_bound(1) >= 2);
    assert_int_equal(sciot_rle_bound(SIZE_MAX), SIZE_MAX); /* saturates */
    assert_int_equal(sciot_rle_encode(src, 1, out, 1), 0);   /* no room */
    assert_int_equal(sciot_rle_decode(src, 1, NULL, 1), SCIOT_ERR_INVALID_ARG);
}

static void malformed(void **st)
{
    (void)st;
    uint8_t out[300];
    static const struct {
        const char *what;
        uint8_t s[8];
        size_t len, raw;
    } bad[] = {
        {"literal past raw_len", {0x05, 1, 2, 3, 4, 5, 6}, 7, 3},
        {"run past raw_len", {0x80, 9}, 2, 2},
        {"long run past raw_len", {0xFF, 9}, 2, 129},
        {"second token past raw_len", {0x00, 1, 0x80, 2}, 4, 3},
        {"stream ends early", {0x05, 1, 2}, 3, 6},
        {"literal cut", {0x03, 1, 2, 3}, 4, 4},
        {"run token without its byte", {0x80}, 1, 3},
        {"no tokens for raw_len", {0}, 0, 5},
        {"tokens end before raw_len", {0x80, 1}, 2, 4},
        {"trailing bytes after raw_len", {0x80, 1, 0x00}, 3, 3},
        {"trailing token", {0x00, 7, 0x80, 1}, 4, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *src = malloc(bad[i].len ? bad[i].len : 1); /* exact: ASan sees over-reads */
        memcpy(src, bad[i].s, bad[i].len);
        sciot_status s = sciot_rle_decode(src, bad[i].len, out, bad[i].raw);
        if (s != SCIOT_ERR_LENGTH)
            fail_msg("%s: status %d", bad[i].what, (int)s);
        free(src);
    }
    /* the valid versions decode */
    static const uint8_t ok[] = {0x02, 1, 2, 3, 0x81, 7, 0x00, 8};
    assert_int_equal(sciot_rle_decode(ok, sizeof ok, out, 8), SCIOT_OK);
    static const uint8_t want[] = {1, 2, 3, 7, 7, 7, 7, 8};
    assert_memory_equal(out, want, 8);
}

static void random_streams(void **st)
{
    (void)st;
    uint32_t s = 7;
    uint8_t src[64], dst[2048];
    int ok = 0;
    for (int trial = 0; trial < 200000; trial++) {
        size_t len = tu_rand(&s) % sizeof src, raw = tu_rand(&s) % 300;
        for (size_t i = 0; i < len; i++)
            src[i] = (uint8_t)tu_rand(&s);
        memset(dst, 0xEE, sizeof dst);
        sciot_status r = sciot_rle_decode(src, len, dst, raw);
        assert_true(r == SCIOT_OK || r == SCIOT_ERR_LENGTH);
        for (size_t i = raw; i < sizeof dst; i++) /* never writes past raw_len */
            assert_int_equal(dst[i], 0xEE);
        if (r == SCIOT_OK) {
            ok++;
            /* re-encoding the result round-trips */
            uint8_t re[400];
            size_t e = sciot_rle_encode(dst, raw, re, sizeof re);
            uint8_t back[300];
            assert_int_equal(sciot_rle_decode(re, e, back, raw), SCIOT_OK);
            if (raw)
                assert_memory_equal(back, dst, raw);
        }
    }
    assert_true(ok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_data),
        cmocka_unit_test(all_equal),
        cmocka_unit_test(runs_at_every_boundary),
        cmocka_unit_test(literals_at_every_boundary),
        cmocka_unit_test(empty),
        cmocka_unit_test(malformed),
        cmocka_unit_test(random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
