/* test_quantize_s8.c — QUANTIZE float -> int8 (float quotient, round half
 * away from zero, clamp), int8 -> int8 requantization (every input, many
 * scales, against the reference formula and within 1 LSB of the real value),
 * DEQUANTIZE (double product rounded to float); hand cases, validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

/* round half away from zero, written without roundf */
static int32_t rhaz(float v)
{
    double a = fabs((double)v), f = floor(a + 0.5);
    return (int32_t)(v < 0 ? -f : f);
}

static void test_quantize_hand(void **state)
{
    (void)state;
    float in[9] = {0.25f, -0.25f, 0.75f, -0.75f, 1000.0f, -1000.0f, 0.0f, 10.0f, -3.3f};
    int8_t y[9];
    assert_int_equal(sciot_quantize_f32_s8(0.5f, 0, 9, in, y), SCIOT_OK);
    assert_int_equal(y[0], 1);     /* 0.5 -> 1 */
    assert_int_equal(y[1], -1);    /* -0.5 -> -1 */
    assert_int_equal(y[2], 2);     /* 1.5 -> 2 */
    assert_int_equal(y[3], -2);
    assert_int_equal(y[4], 127);
    assert_int_equal(y[5], -128);
    assert_int_equal(y[6], 0);
    assert_int_equal(y[7], 20);
    assert_int_equal(y[8], -7);    /* -6.6 -> -7 */
    assert_int_equal(sciot_quantize_f32_s8(0.5f, -10, 9, in, y), SCIOT_OK);
    assert_int_equal(y[0], -9);
    assert_int_equal(y[4], 127);
    assert_int_equal(y[6], -10);
    float nan_in = NAN;
    assert_int_equal(sciot_quantize_f32_s8(0.5f, 7, 1, &nan_in, y), SCIOT_OK);
    assert_int_equal(y[0], 7);
}

static void test_quantize_random(void **state)
{
    (void)state;
    srng r = {0x0A17ULL};
    for (int it = 0; it < 2000; ++it) {
        float s = (float)srng_logu(&r, 1e-3, 1.0);
        int32_t zp = srng_int(&r, -128, 127);
        float x[64];
        int8_t y[64];
        for (int i = 0; i < 64; ++i) {
            x[i] = (float)((srng_unit(&r) * 300.0 - 150.0) * s);
            if (i % 8 == 0)   /* exact ties */
                x[i] = ((float)srng_int(&r, -140, 140) + 0.5f) * s;
        }
        assert_int_equal(sciot_quantize_f32_s8(s, zp, 64, x, y), SCIOT_OK);
        for (int i = 0; i < 64; ++i)
            assert_int_equal(y[i], ref_clamp32(rhaz(x[i] / s) + zp, -128, 127));
    }
}

static void test_requantize_all_inputs(void **state)
{
    (void)state;
    srng r = {0x2E0ULL};
    int8_t x[256], y[256];
    for (int i = 0; i < 256; ++i)
        x[i] = (int8_t)(i - 128);
    for (int it = 0; it < 1000; ++it) {
        float si = (float)srng_logu(&r, 1e-3, 1.0), so = (float)srng_logu(&r, 1e-3, 1.0);
        int32_t zi = srng_int(&r, -128, 127), zo = srng_int(&r, -128, 127), m, s;
        sciot_quantize_multiplier((double)si / (double)so, &m, &s);
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            assert_int_equal(sciot_requantize_s8(zi, m, s, zo, 256, x, y), SCIOT_OK);
            for (int i = 0; i < 256; ++i) {
                assert_int_equal(y[i], ref_clamp32(sciot_mbqm(x[i] - zi, m, s) + zo, -128, 127));
                double q = (double)si * (x[i] - zi) / so + zo;
                if (q > -127 && q < 126)
                    assert_true(fabs(y[i] - q) <= 1.0);
            }
        }
        sciot_kernels_force_portable(0);
    }
    /* same scale, zero point change by 5 */
    assert_int_equal(sciot_requantize_s8(0, 1 << 30, 1, 5, 256, x, y), SCIOT_OK);
    for (int i = 0; i < 256; ++i)
        assert_int_equal(y[i], ref_clamp32(x[i] + 5, -128, 127));
}

static void test_dequantize(void **state)
{
    (void)state;
    int8_t x[256];
    float y[256];
    for (int i = 0; i < 256; ++i)
        x[i] = (int8_t)(i - 128);
    assert_int_equal(sciot_dequantize_s8_f32(0.1f, 3, 256, x, y), SCIOT_OK);
    for (int i = 0; i < 256; ++i)
        assert_true(y[i] == (float)((double)0.1f * (x[i] - 3)));
    assert_true(y[13 + 128] == 1.0f);   /* 0.1f * 10 rounds to 1.0f */
    assert_true(y[3 + 128] == 0.0f);
}

static void test_quantize_invalid(void **state)
{
    (void)state;
    float f[2] = {0};
    int8_t q[2] = {0};
    assert_int_equal(sciot_quantize_f32_s8(0.0f, 0, 2, f, q), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_quantize_f32_s8(-1.0f, 0, 2, f, q), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_quantize_f32_s8(0.1f, 0, 2, NULL, q), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_quantize_f32_s8(0.1f, 0, 0, NULL, NULL), SCIOT_OK);
    assert_int_equal(sciot_requantize_s8(0, 1 << 30, 40, 0, 2, q, q), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_requantize_s8(0, 1 << 30, 0, 0, 2, NULL, q), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_dequantize_s8_f32(0.1f, 0, 2, q, NULL), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_hand),
        cmocka_unit_test(test_quantize_random),
        cmocka_unit_test(test_requantize_all_inputs),
        cmocka_unit_test(test_dequantize),
        cmocka_unit_test(test_quantize_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
