/* test_format.c — the library's formatter (src/common/format.c) against the
 * host C library's snprintf: every conversion, flag, width, precision and
 * length modifier the library's messages use, and more; truncation and the
 * returned length; and that sciot_fail formats with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/format.h"
#include "sciot/status.h"

/* Format with both and compare text and return value. */
#define SAME(...)                                                                                                 \
    do {                                                                                                          \
        char want[512], got[512];                                                                                 \
        int nw = snprintf(want, sizeof want, __VA_ARGS__);                                                        \
        memset(got, 'X', sizeof got);                                                                             \
        int ng = sciot_format(got, sizeof got, __VA_ARGS__);                                                      \
        if (nw != ng || strcmp(want, got))                                                                        \
            fail_msg("format %s: libc \"%s\" (%d), sciot \"%s\" (%d)", #__VA_ARGS__, want, nw, got, ng);          \
    } while (0)

static void integers(void **st)
{
    (void)st;
    SAME("%d %d %d %d", 0, 1, -1, 123456);
    SAME("%d %d", INT_MAX, INT_MIN);
    SAME("%i|%5d|%-5d|%05d|%+d|% d|%+5d|%-+5d|", 42, 42, 42, -42, 42, 42, -3, 3);
    SAME("%.3d|%.0d|%.0d|%8.3d|%-8.3d|", 7, 0, 5, -7, 7);
    const char *volatile zero_and_precision = "%08.3d|%05.0d|"; /* '0' is ignored: the compiler warns */
    SAME(zero_and_precision, 7, 0);
    SAME("%u %u %x %X %o %#x %#X %#o %#o", 0u, UINT_MAX, 0xdeadbeefu, 0xdeadbeefu, 8u, 255u, 255u, 8u, 0u);
    SAME("%02x %08lx %#010x %-#10x|", 5u, 0x1234UL, 255u, 255u);
    SAME("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0xabcUL);
    SAME("%lld %llu %lld", LLONG_MIN, ULLONG_MAX, -5000000000LL);
    SAME("%zu %zx %5zu|", (size_t)123456, (size_t)0xfff, (size_t)0);
    SAME("%jd %ju %td", INTMAX_MIN, UINTMAX_MAX, (ptrdiff_t)-12);
    SAME("%hhd %hhu %hd %hu", 200, 300, 70000, 70000);
    SAME("%" PRId32 " %" PRIu32 " %" PRIx32 " %" PRId64 " %" PRIu64, INT32_MIN, UINT32_MAX, UINT32_MAX, INT64_MIN,
         UINT64_MAX);
    SAME("%*d|%-*d|%*d|%.*d|%.*d|", 6, 1, 6, 1, -6, 1, 4, 3, -1, 3);
}

static void strings_and_chars(void **st)
{
    (void)st;
    SAME("%s|%10s|%-10s|%.2s|%.40s|%.*s|", "abc", "abc", "abc", "abc", "abc", 2, "xyz");
    SAME("%c%c|%3c|%-3c|", 'a', 'b', 'c', 'd');
    SAME("100%% done %s", "");
    SAME("operator %d (%s v%d): %s", 12, "CONV_2D", 3, "filter has 8 input channels");
}

static void floats(void **st)
{
    (void)st;
    SAME("%g %g %g %g %g", 0.0, 1.5, -2.25e-7, 1e300, 123456789.0);
    SAME("%.9g %.9g", 0.007843137718737125, (double)0.1f);
    SAME("%f %.2f %10.3f %-10.1f| %e %E %.3e %G", 3.14159, 2.5, -1.0, 0.25, 12345.678, 1e-10, 6.02e23, 1e-20);
    SAME("%+g % g %#g %08.2f", 1.0, 2.0, 3.0, -1.5);
    SAME("%f", 1e300); /* wider than the internal buffer: the count stays exact */
    SAME("%a %Lg", 1.0, (long double)2.5);
}

static void truncation(void **st)
{
    (void)st;
    char b[8];
    memset(b, 'X', sizeof b);
    assert_int_equal(sciot_format(b, 4, "%s-%d", "abcdef", 12), 9);
    assert_string_equal(b, "abc");
    assert_int_equal(b[4], 'X');
    assert_int_equal(sciot_format(b, 1, "%zu", (size_t)99), 2);
    assert_string_equal(b, "");
    assert_int_equal(sciot_format(NULL, 0, "%lld", -1LL), 2);
}

static void not_conversions(void **st)
{
    (void)st;
    char b[32];
    /* an unknown conversion is copied and reads no argument (formats the
     * compiler would reject, hence the variables) */
    const char *volatile unknown = "a%wb %d", *volatile trailing = "end%";
    assert_int_equal(sciot_format(b, sizeof b, unknown, 7), 6);
    assert_string_equal(b, "a%wb 7");
    assert_int_equal(sciot_format(b, sizeof b, trailing, 0), 4);
    assert_string_equal(b, "end%");
}

static void fail_uses_it(void **st)
{
    (void)st;
    sciot_error e = {0};
    assert_int_equal(sciot_fail(&e, SCIOT_ERR_LENGTH, "frame of %zu bytes, request %llu, tensor %s", (size_t)4096,
                                18446744073709551615ULL, "conv"),
                     SCIOT_ERR_LENGTH);
    assert_string_equal(e.msg, "frame of 4096 bytes, request 18446744073709551615, tensor conv");
    assert_int_equal(e.status, SCIOT_ERR_LENGTH);
    sciot_error_prefix(&e, "model.tflite");
    assert_string_equal(e.msg, "model.tflite: frame of 4096 bytes, request 18446744073709551615, tensor conv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),      cmocka_unit_test(strings_and_chars), cmocka_unit_test(floats),
        cmocka_unit_test(truncation),    cmocka_unit_test(not_conversions),   cmocka_unit_test(fail_uses_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
