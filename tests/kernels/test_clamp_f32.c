/* test_clamp_f32.c — sciot_act_range_f32 for every fused activation code
 * and sciot_clamp_f32 (RELU / RELU6 / RELU_N1_TO_1 / NONE), including NaN
 * propagation, in-place use and argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sciot/kernels.h"
#include "f32_test_util.h"

static void test_act_range(void **state)
{
    (void)state;
    float lo, hi;
    sciot_act_range_f32(0, &lo, &hi);
    assert_true(lo == -FLT_MAX && hi == FLT_MAX);
    sciot_act_range_f32(1, &lo, &hi);
    assert_true(lo == 0.0f && hi == FLT_MAX);
    sciot_act_range_f32(2, &lo, &hi);
    assert_true(lo == -1.0f && hi == 1.0f);
    sciot_act_range_f32(3, &lo, &hi);
    assert_true(lo == 0.0f && hi == 6.0f);
    sciot_act_range_f32(4, &lo, &hi); /* TANH etc.: not a clamp */
    assert_true(lo == -FLT_MAX && hi == FLT_MAX);
}

static void test_clamp(void **state)
{
    (void)state;
    trng r = {5};
    enum { N = 4096 };
    static float in[N], out[N];
    trng_fill(&r, in, N, -10.0f, 10.0f);
    in[0] = INFINITY;
    in[1] = -INFINITY;
    for (int act = 0; act < 4; ++act) {
        float lo, hi;
        sciot_act_range_f32(act, &lo, &hi);
        assert_int_equal(sciot_clamp_f32(lo, hi, N, in, out), SCIOT_OK);
        for (int i = 0; i < N; ++i)
            assert_true((double)out[i] == ref_clamp(in[i], lo, hi));
    }
    float nan_in = NAN, nan_out = 0.0f;
    assert_int_equal(sciot_clamp_f32(0.0f, 6.0f, 1, &nan_in, &nan_out), SCIOT_OK);
    assert_true(isnan(nan_out));
    float v[3] = {-1.0f, 3.0f, 9.0f};
    assert_int_equal(sciot_clamp_f32(0.0f, 6.0f, 3, v, v), SCIOT_OK);
    assert_true(v[0] == 0.0f && v[1] == 3.0f && v[2] == 6.0f);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[2] = {0};
    assert_int_equal(sciot_clamp_f32(0.0f, 6.0f, 2, NULL, buf), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_clamp_f32(0.0f, 6.0f, 2, buf, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_clamp_f32(6.0f, 0.0f, 2, buf, buf), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_clamp_f32(NAN, 0.0f, 2, buf, buf), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_range),
        cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
