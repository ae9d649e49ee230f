/* test_logistic_f32.c — sciot_logistic_f32 against 1 / (1 + exp(-x)) in
 * double on random inputs across and beyond TFLite's cutoffs (-9, 16.619),
 * the cutoff values themselves and argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sciot/kernels.h"
#include "f32_test_util.h"

static void test_random(void **state)
{
    (void)state;
    trng r = {55};
    enum { N = 20000 };
    static float in[N], out[N];
    trng_fill(&r, in, N, -40.0f, 40.0f);
    for (int i = 0; i < 1000; ++i)
        in[i] = trng_float(&r, -1.0f, 1.0f);
    assert_int_equal(sciot_logistic_f32(N, in, out), SCIOT_OK);
    for (size_t i = 0; i < N; ++i) {
        double want = 1.0 / (1.0 + exp(-(double)in[i]));
        /* below -9 TFLite returns exp(x): relative deviation <= exp(x) < 1.3e-4 */
        double rel = in[i] < -9.0f ? 1.3e-4 : 1e-5;
        /* above 16.619 TFLite returns exactly 1 (off by < 6e-8) */
        if (!close_to(out[i], want, fabs(want), rel, "logistic", i))
            fail();
        if (in[i] < -9.0f)
            assert_true(out[i] == expf(in[i]));
        if (in[i] > 16.619047164916992188f)
            assert_true(out[i] == 1.0f);
    }
}

static void test_exact(void **state)
{
    (void)state;
    const float in[5] = {0.0f, 17.0f, -100.0f, -9.0f, 16.619047164916992188f};
    float out[5];
    assert_int_equal(sciot_logistic_f32(5, in, out), SCIOT_OK);
    assert_true(out[0] == 0.5f);
    assert_true(out[1] == 1.0f);
    assert_true(out[2] == expf(-100.0f)); /* tiny, not a division */
    assert_true(out[3] == 1.0f / (1.0f + expf(9.0f)));
    assert_true(fabsf(out[4] - 1.0f) < 2e-7f);
    /* in place */
    float v[2] = {0.0f, 17.0f};
    assert_int_equal(sciot_logistic_f32(2, v, v), SCIOT_OK);
    assert_true(v[0] == 0.5f && v[1] == 1.0f);
    assert_int_equal(sciot_logistic_f32(0, in, out), SCIOT_OK);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[2] = {0};
    assert_int_equal(sciot_logistic_f32(2, NULL, buf), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_logistic_f32(2, buf, NULL), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
