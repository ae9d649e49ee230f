/* test_relu_s8.c — int8 RELU and RELU6 as TFLM: prepare against
 * CalculateReluOpData / Relu6Prepare, every int8 input over many scales and
 * zero points against the reference formulas, RELU within 1 LSB of the real
 * value; RELU6 is TFLM's plain clamp to [zp, zp + round(6 / scale)] of the
 * input; argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static void test_relu_all_inputs(void **state)
{
    (void)state;
    srng r = {0x4E11ULL};
    int8_t x[256], y[256];
    for (int i = 0; i < 256; ++i)
        x[i] = (int8_t)(i - 128);
    for (int it = 0; it < 500; ++it) {
        float si = (float)srng_logu(&r, 0.005, 0.5), so = (float)srng_logu(&r, 0.005, 0.5);
        int32_t zi = srng_int(&r, -128, 127), zo = srng_int(&r, -128, 127);
        sciot_relu_params p;
        sciot_relu_s8_prepare(si, zi, so, zo, 0, &p);
        int32_t m, s;
        sciot_quantize_multiplier((double)si / (double)so, &m, &s);
        assert_int_equal(p.multiplier, m);
        assert_int_equal(p.shift, s);
        assert_int_equal(p.input_offset, zi);
        assert_int_equal(p.output_offset, zo);
        assert_int_equal(p.act_min, zo);
        assert_int_equal(p.act_max, 127);
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            assert_int_equal(sciot_relu_s8(&p, 256, x, y), SCIOT_OK);
            for (int i = 0; i < 256; ++i) {
                int32_t want = ref_clamp32(zo + sciot_mbqm(x[i] - zi, m, s), zo, 127);
                assert_int_equal(y[i], want);
                double real = (double)si * (x[i] - zi);
                double q = (real > 0 ? real : 0) / so + zo;
                if (q < 126)
                    assert_true(fabs(y[i] - q) <= 1.0);
            }
        }
        sciot_kernels_force_portable(0);
    }
}

static void test_relu6_all_inputs(void **state)
{
    (void)state;
    srng r = {0x4E16ULL};
    int8_t x[256], y[256];
    for (int i = 0; i < 256; ++i)
        x[i] = (int8_t)(i - 128);
    for (int it = 0; it < 500; ++it) {
        float s = (float)srng_logu(&r, 0.005, 0.5);
        int32_t zp = srng_int(&r, -128, 127);
        sciot_relu_params p;
        sciot_relu_s8_prepare(s, zp, s, zp, 1, &p);
        int32_t six = ref_clamp32((int32_t)roundf(6.0f / s) + zp, -128, 127);
        assert_int_equal(p.act_min, zp);
        assert_int_equal(p.act_max, six);
        assert_int_equal(sciot_relu_s8(&p, 256, x, y), SCIOT_OK);
        for (int i = 0; i < 256; ++i)
            assert_int_equal(y[i], ref_clamp32(x[i], zp, six));
    }
    /* hand case: scale 0.05, zp -100: six = -100 + 120 = 20 */
    sciot_relu_params p;
    sciot_relu_s8_prepare(0.05f, -100, 0.05f, -100, 1, &p);
    int8_t a[5] = {-128, -100, 0, 20, 127}, b[5];
    assert_int_equal(sciot_relu_s8(&p, 5, a, b), SCIOT_OK);
    assert_int_equal(b[0], -100);
    assert_int_equal(b[1], -100);
    assert_int_equal(b[2], 0);
    assert_int_equal(b[3], 20);
    assert_int_equal(b[4], 20);
}

static void test_relu_invalid(void **state)
{
    (void)state;
    sciot_relu_params p;
    sciot_relu_s8_prepare(0.1f, 0, 0.1f, 0, 0, &p);
    int8_t x[2] = {0}, y[2];
    assert_int_equal(sciot_relu_s8(&p, 2, x, y), SCIOT_OK);
    assert_int_equal(sciot_relu_s8(NULL, 2, x, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_relu_s8(&p, 2, NULL, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_relu_s8(&p, 2, x, NULL), SCIOT_ERR_INVALID_ARG);
    p.act_min = 200;
    assert_int_equal(sciot_relu_s8(&p, 2, x, y), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_all_inputs),
        cmocka_unit_test(test_relu6_all_inputs),
        cmocka_unit_test(test_relu_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
