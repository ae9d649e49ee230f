/* test_logistic_s8.c — int8 LOGISTIC: prepare against logistic_common.cc's
 * formulas, the kernel against an independent transcription of
 * reference_integer_ops::Logistic (gemmlowp_ref.h) for every int8 input over
 * many scales / zero points, within 1 LSB of double-precision sigmoid, exact
 * known values (input = zero point gives 0, beyond the radius saturates);
 * argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"
#include "gemmlowp_ref.h"

static int8_t ref_logistic(const sciot_logistic_params *p, int8_t v)
{
    int32_t x = v - p->input_zero_point;
    if (x <= -p->input_range_radius)
        return -128;
    if (x >= p->input_range_radius)
        return 127;
    int s = p->input_left_shift;
    int32_t xs = s > 0 ? x * (1 << s) : x;
    int32_t q4 = g_rdiv(g_srdhm(xs, p->input_multiplier), s > 0 ? 0 : -s);
    int32_t q0 = g_logistic(fx_make(q4, 4)).raw;
    return (int8_t)ref_clamp32(g_rdiv(q0, 23) - 128, -128, 127);
}

static void test_prepare(void **state)
{
    (void)state;
    sciot_logistic_params p;
    /* scale 1/16: 2^-4 * 2^27 = 2^23 -> frexp 0.5, 24; radius 15 * 2^27 / 2^24 */
    sciot_logistic_s8_prepare(0.0625f, 3, &p);
    assert_int_equal(p.input_zero_point, 3);
    assert_int_equal(p.input_multiplier, 1 << 30);
    assert_int_equal(p.input_left_shift, 24);
    assert_int_equal(p.input_range_radius, 120);
    srng r = {0x1061ULL};
    for (int i = 0; i < 1000; ++i) {
        float s = (float)srng_logu(&r, 1e-3, 1.0);
        sciot_logistic_s8_prepare(s, 0, &p);
        int e;
        double q = frexp((double)s * 134217728.0, &e);
        assert_int_equal(p.input_multiplier, (int32_t)round(q * 2147483648.0));
        assert_int_equal(p.input_left_shift, e);
        assert_int_equal(p.input_range_radius, (int32_t)floor(15.0 * 134217728.0 / ldexp(1.0, e)));
    }
}

static void test_logistic_all_inputs(void **state)
{
    (void)state;
    srng r = {0x51C0ULL};
    int8_t x[256], y[256], yref[256];
    for (int i = 0; i < 256; ++i)
        x[i] = (int8_t)(i - 128);
    for (int it = 0; it < 400; ++it) {
        float s = (float)srng_logu(&r, 0.002, 0.5);
        int32_t zp = srng_int(&r, -128, 127);
        sciot_logistic_params p;
        sciot_logistic_s8_prepare(s, zp, &p);
        for (int i = 0; i < 256; ++i)
            yref[i] = ref_logistic(&p, x[i]);
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            memset(y, 0x55, sizeof y);
            assert_int_equal(sciot_logistic_s8(&p, 256, x, y), SCIOT_OK);
            S8_CHECK_EQ_BYTES(y, yref, 256, "logistic_s8");
        }
        sciot_kernels_force_portable(0);
        for (int i = 0; i < 256; ++i) {
            double want = 256.0 / (1.0 + exp(-(double)s * (x[i] - zp))) - 128.0;
            want = want > 127 ? 127 : want;
            if (fabs(y[i] - want) > 1.0) {
                fprintf(stderr, "logistic(%d; s=%g zp=%d) = %d, real %g\n", x[i], (double)s,
                        (int)zp, y[i], want);
                fail();
            }
        }
        /* input at the zero point: logistic(0) = 1/2 exactly -> 0 */
        int8_t z = (int8_t)zp, yz;
        assert_int_equal(sciot_logistic_s8(&p, 1, &z, &yz), SCIOT_OK);
        assert_int_equal(yz, 0);
    }
}

static void test_logistic_saturation(void **state)
{
    (void)state;
    sciot_logistic_params p;
    sciot_logistic_s8_prepare(0.0625f, 0, &p);   /* radius 120 */
    int8_t x[6] = {-128, -120, -119, 119, 120, 127}, y[6];
    assert_int_equal(sciot_logistic_s8(&p, 6, x, y), SCIOT_OK);
    assert_int_equal(y[0], -128);
    assert_int_equal(y[1], -128);
    assert_int_equal(y[4], 127);
    assert_int_equal(y[5], 127);
    /* sigmoid(+-7.4375) * 256 - 128 = +-127.85: -128 and 127 after rounding */
    assert_int_equal(y[2], -128);
    assert_int_equal(y[3], 127);
}

static void test_logistic_invalid(void **state)
{
    (void)state;
    sciot_logistic_params p;
    sciot_logistic_s8_prepare(0.1f, 0, &p);
    int8_t x[2] = {0}, y[2];
    assert_int_equal(sciot_logistic_s8(&p, 2, x, y), SCIOT_OK);
    assert_int_equal(sciot_logistic_s8(&p, 0, NULL, NULL), SCIOT_OK);
    assert_int_equal(sciot_logistic_s8(NULL, 2, x, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_logistic_s8(&p, 2, NULL, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_logistic_s8(&p, 2, x, NULL), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare),
        cmocka_unit_test(test_logistic_saturation),
        cmocka_unit_test(test_logistic_all_inputs),
        cmocka_unit_test(test_logistic_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
