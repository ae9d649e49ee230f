/* test_softmax_f32.c — sciot_softmax_f32 against a double-precision
 * reference for random rows, several betas, large inputs (max-subtraction
 * keeps exp finite), exact small cases and argument validation. */
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
    trng r = {2024};
    const float betas[] = {1.0f, 0.5f, 2.0f, 0.001f};
    for (int it = 0; it < 300; ++it) {
        int32_t outer = trng_int(&r, 1, 5), depth = trng_int(&r, 1, 1001);
        float beta = betas[it % 4];
        float range = (it % 5 == 0) ? 200.0f : 10.0f;
        size_t n = (size_t)outer * depth;
        float *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
        assert_non_null(in); assert_non_null(out);
        trng_fill(&r, in, n, -range, range);
        if (it % 7 == 0)
            for (size_t i = 0; i < n; ++i)
                in[i] += 1000.0f; /* would overflow exp without max-subtraction */
        assert_int_equal(sciot_softmax_f32(beta, outer, depth, in, out), SCIOT_OK);
        for (int o = 0; o < outer; ++o) {
            const float *x = in + (size_t)o * depth;
            double mx = -INFINITY, sum = 0, tot = 0;
            for (int c = 0; c < depth; ++c)
                mx = x[c] > mx ? x[c] : mx;
            for (int c = 0; c < depth; ++c)
                sum += exp(((double)x[c] - mx) * beta);
            for (int c = 0; c < depth; ++c) {
                double want = exp(((double)x[c] - mx) * beta) / sum;
                /* exp of a float argument: relative error grows with |arg| */
                double arg = fabs(((double)x[c] - mx) * beta);
                double rel = 2e-6 + 1.2e-7 * arg;
                float got = out[(size_t)o * depth + c];
                if (!close_to(got, want, fabs(want), rel, "softmax", (size_t)c))
                    fail();
                tot += got;
            }
            assert_true(fabs(tot - 1.0) < 1e-4);
        }
        free(in); free(out);
    }
}

static void test_exact(void **state)
{
    (void)state;
    const float in[6] = {1, 1, 1, 1, 0, -1000};
    float out[6];
    assert_int_equal(sciot_softmax_f32(1.0f, 2, 3, in, out), SCIOT_OK);
    for (int i = 0; i < 3; ++i)
        assert_true(fabsf(out[i] - 1.0f / 3.0f) < 1e-7f);
    assert_true(fabs(out[3] - 1.0 / (1.0 + exp(-1.0))) < 1e-7);
    assert_true(out[5] == 0.0f);
    /* depth 1 is always 1 */
    float one;
    const float v = 123.0f;
    assert_int_equal(sciot_softmax_f32(1.0f, 1, 1, &v, &one), SCIOT_OK);
    assert_true(one == 1.0f);
    /* beta 0: uniform */
    assert_int_equal(sciot_softmax_f32(0.0f, 1, 3, in + 3, out), SCIOT_OK);
    for (int i = 0; i < 3; ++i)
        assert_true(fabsf(out[i] - 1.0f / 3.0f) < 1e-7f);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[4] = {0};
    assert_int_equal(sciot_softmax_f32(1.0f, 1, 4, NULL, buf), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_softmax_f32(1.0f, 1, 4, buf, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_softmax_f32(1.0f, 0, 4, buf, buf), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_softmax_f32(1.0f, 1, -1, buf, buf), SCIOT_ERR_SHAPE);
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
