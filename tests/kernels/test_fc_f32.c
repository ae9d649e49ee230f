/* test_fc_f32.c — sciot_fc_f32 against a naive double-precision reference
 * on random sizes with every activation, bias / no bias, an exact case and
 * argument validation. */
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
    trng r = {42};
    for (int it = 0; it < 300; ++it) {
        int32_t batches = trng_int(&r, 1, 4), inf = trng_int(&r, 1, 300),
                units = trng_int(&r, 1, 37);
        sciot_fc_params p;
        memset(&p, 0, sizeof p);
        int act = it % 4;
        ref_act_range(act, &p.fact_min, &p.fact_max);
        int with_bias = it % 3 != 0;
        float *in = malloc((size_t)batches * inf * sizeof *in);
        float *w = malloc((size_t)units * inf * sizeof *w);
        float *bias = malloc((size_t)units * sizeof *bias);
        float *out = malloc((size_t)batches * units * sizeof *out);
        assert_non_null(in); assert_non_null(w); assert_non_null(bias); assert_non_null(out);
        trng_fill(&r, in, (size_t)batches * inf, -2.0f, 2.0f);
        trng_fill(&r, w, (size_t)units * inf, -0.5f, 0.5f);
        trng_fill(&r, bias, (size_t)units, -1.0f, 1.0f);
        assert_int_equal(sciot_fc_f32(&p, batches, inf, units, in, w, with_bias ? bias : NULL,
                                      out),
                         SCIOT_OK);
        for (int b = 0; b < batches; ++b)
            for (int u = 0; u < units; ++u) {
                double acc = 0, mag = 0;
                for (int d = 0; d < inf; ++d) {
                    double v = (double)in[b * inf + d] * w[u * inf + d];
                    acc += v;
                    mag += fabs(v);
                }
                if (with_bias) {
                    acc += bias[u];
                    mag += fabs(bias[u]);
                }
                if (!close_to(out[b * units + u], ref_clamp(acc, p.fact_min, p.fact_max), mag,
                              1e-5, "fc", (size_t)(b * units + u)))
                    fail();
            }
        free(in); free(w); free(bias); free(out);
    }
}

static void test_exact(void **state)
{
    (void)state;
    const float in[6] = {1, 2, 3, -1, -2, -3};       /* 2 batches x 3 */
    const float w[6] = {1, 1, 1, 1, 0, -1};          /* 2 units x 3 */
    const float bias[2] = {0.5f, -0.25f};
    float out[4];
    sciot_fc_params p;
    memset(&p, 0, sizeof p);
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_fc_f32(&p, 2, 3, 2, in, w, bias, out), SCIOT_OK);
    assert_true(out[0] == 6.5f && out[1] == -2.25f && out[2] == -5.5f && out[3] == 1.75f);
    sciot_act_range_f32(1, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_fc_f32(&p, 2, 3, 2, in, w, NULL, out), SCIOT_OK);
    assert_true(out[0] == 6.0f && out[1] == 0.0f && out[2] == 0.0f && out[3] == 2.0f);
    sciot_act_range_f32(2, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_fc_f32(&p, 2, 3, 2, in, w, NULL, out), SCIOT_OK);
    assert_true(out[0] == 1.0f && out[1] == -1.0f && out[2] == -1.0f && out[3] == 1.0f);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[16] = {0};
    sciot_fc_params p;
    memset(&p, 0, sizeof p);
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_fc_f32(NULL, 1, 2, 2, buf, buf, NULL, buf + 8), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_f32(&p, 1, 2, 2, NULL, buf, NULL, buf + 8), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_f32(&p, 1, 2, 2, buf, NULL, NULL, buf + 8), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_f32(&p, 1, 2, 2, buf, buf, NULL, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_f32(&p, 0, 2, 2, buf, buf, NULL, buf + 8), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_fc_f32(&p, 1, -2, 2, buf, buf, NULL, buf + 8), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_fc_f32(&p, 1, 2, 0, buf, buf, NULL, buf + 8), SCIOT_ERR_SHAPE);
    p.fact_min = 2.0f;
    p.fact_max = 1.0f;
    assert_int_equal(sciot_fc_f32(&p, 1, 2, 2, buf, buf, NULL, buf + 8), SCIOT_ERR_INVALID_ARG);
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
