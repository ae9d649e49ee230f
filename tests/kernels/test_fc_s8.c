/* test_fc_s8.c — sciot_fc_s8 against a naive int64 reference on random
 * sizes (odd feature counts, batches, filter offsets, per-channel and
 * per-tensor scales, all activations, with and without bias), a hand case,
 * and argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static void test_fc_random(void **state)
{
    (void)state;
    srng r = {0xFC01ULL};
    static const int32_t sizes[] = {1, 3, 5, 7, 17, 64, 250};
    size_t interior = 0, total = 0;
    for (int it = 0; it < 500; ++it) {
        int32_t batches = srng_int(&r, 1, 3), in_f = pick(&r, sizes, 7),
                units = pick(&r, sizes, 6);
        sciot_fc_params p;
        memset(&p, 0, sizeof p);
        p.input_offset = -srng_int(&r, -128, 127);
        p.filter_offset = srng_int(&r, 0, 3) == 0 ? -srng_int(&r, -10, 10) : 0;
        p.output_offset = srng_int(&r, -128, 127);
        rand_act(&r, (float)srng_logu(&r, 0.01, 0.5), p.output_offset, &p.act_min, &p.act_max);
        int8_t *x = malloc((size_t)batches * in_f), *w = malloc((size_t)units * in_f);
        int8_t *y = malloc((size_t)batches * units), *yref = malloc((size_t)batches * units);
        int32_t *mult = malloc(sizeof(int32_t) * units), *shift = malloc(sizeof(int32_t) * units);
        int32_t *bias = NULL;
        srng_fill_s8(&r, x, (size_t)batches * in_f);
        srng_fill_s8(&r, w, (size_t)units * in_f);
        if (srng_int(&r, 0, 3)) {
            bias = malloc(sizeof(int32_t) * units);
            for (int32_t u = 0; u < units; ++u)
                bias[u] = srng_int(&r, -30000, 30000);
        }
        double centre = 60.0 / (128.0 * 100.0 * sqrt((double)in_f));
        rand_channel_quant(&r, units, centre / 10, centre * 10, mult, shift);
        if (srng_int(&r, 0, 1))             /* per-tensor */
            for (int32_t u = 1; u < units; ++u) {
                mult[u] = mult[0];
                shift[u] = shift[0];
            }
        for (int32_t b = 0; b < batches; ++b)
            for (int32_t u = 0; u < units; ++u) {
                int64_t acc = 0;
                for (int32_t k = 0; k < in_f; ++k)
                    acc += (int64_t)(x[b * in_f + k] + p.input_offset) *
                           (w[u * in_f + k] + p.filter_offset);
                if (bias)
                    acc += bias[u];
                yref[b * units + u] = ref_requant(acc, mult[u], shift[u], p.output_offset,
                                                  p.act_min, p.act_max);
            }
        sciot_channel_quant q = {mult, shift};
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            memset(y, 0x55, (size_t)batches * units);
            assert_int_equal(sciot_fc_s8(&p, &q, batches, in_f, units, x, w, bias, y), SCIOT_OK);
            S8_CHECK_EQ_BYTES(y, yref, (size_t)batches * units, "fc_s8");
        }
        sciot_kernels_force_portable(0);
        for (int32_t i = 0; i < batches * units; ++i)
            interior += yref[i] > p.act_min && yref[i] < p.act_max;
        total += (size_t)batches * units;
        free(x); free(w); free(y); free(yref); free(mult); free(shift); free(bias);
    }
    fprintf(stderr, "fc: %zu outputs, %.1f%% unclamped\n", total, 100.0 * interior / total);
    assert_true(interior * 4 > total);
}

static void test_fc_hand(void **state)
{
    (void)state;
    sciot_fc_params p = {2, -1, 5, -128, 127, 0, 0};
    int8_t x[3] = {1, -2, 3};          /* +2: 3, 0, 5 */
    int8_t w[6] = {1, 1, 1, 2, 3, -4}; /* -1: (0,0,0), (1,2,-5) */
    int32_t bias[2] = {10, -1};
    int32_t m[2] = {1 << 30, 1 << 30}, s[2] = {0, 1};
    sciot_channel_quant q = {m, s};
    int8_t y[2];
    assert_int_equal(sciot_fc_s8(&p, &q, 1, 3, 2, x, w, bias, y), SCIOT_OK);
    assert_int_equal(y[0], 5 + 5);                  /* (0 + 10) * 0.5 */
    assert_int_equal(y[1], 5 + (3 - 25 - 1));       /* (3 + 0 - 25 - 1) * 1.0 */
}

static void test_fc_invalid(void **state)
{
    (void)state;
    sciot_fc_params p = {0, 0, 0, -128, 127, 0, 0};
    int8_t x[4] = {0}, w[4] = {0}, y[2];
    int32_t m[2] = {1 << 30, 1 << 30}, s[2] = {0, 0};
    sciot_channel_quant q = {m, s};
    assert_int_equal(sciot_fc_s8(&p, &q, 1, 2, 2, x, w, NULL, y), SCIOT_OK);
    assert_int_equal(sciot_fc_s8(NULL, &q, 1, 2, 2, x, w, NULL, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_s8(&p, NULL, 1, 2, 2, x, w, NULL, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_s8(&p, &q, 1, 2, 2, NULL, w, NULL, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_s8(&p, &q, 1, 2, 2, x, w, NULL, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_fc_s8(&p, &q, 0, 2, 2, x, w, NULL, y), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_fc_s8(&p, &q, 1, -1, 2, x, w, NULL, y), SCIOT_ERR_SHAPE);
    p.act_min = 100;
    p.act_max = 99;
    assert_int_equal(sciot_fc_s8(&p, &q, 1, 2, 2, x, w, NULL, y), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_hand),
        cmocka_unit_test(test_fc_random),
        cmocka_unit_test(test_fc_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
