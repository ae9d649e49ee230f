/* test_softmax_s8.c — int8 SOFTMAX: prepare against TFLite's
 * PreprocessSoftmaxScaling / CalculateInputRadius, the kernel against an
 * independent transcription of TFLM's reference_ops::Softmax (gemmlowp_ref.h)
 * on random rows, within 1 LSB of double-precision softmax, and exact values
 * derived by hand from the fixed-point definitions (equal inputs of depth
 * 1, 2, 4, 8 give 127, 0, -64, -96); argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"
#include "gemmlowp_ref.h"

static int clz_u32(uint32_t x)
{
    int n = 0;
    while (n < 32 && !(x & (0x80000000u >> n)))
        ++n;
    return n;
}

static void ref_softmax(const sciot_softmax_params *p, int32_t depth, const int8_t *x,
                        int8_t *y)
{
    int32_t mx = -128;
    for (int32_t c = 0; c < depth; ++c)
        mx = x[c] > mx ? x[c] : mx;
    fx sum = fx_make(0, 12);
    for (int32_t c = 0; c < depth; ++c) {
        int32_t d = x[c] - mx;
        if (d >= p->diff_min) {
            fx e = g_exp_neg(fx_make(g_srdhm(d * (1 << p->input_left_shift), p->input_multiplier), 5));
            sum = fx_add(sum, fx_rescale(e, 12));
        }
    }
    int h = clz_u32((uint32_t)sum.raw);
    int exponent = 12 - h + 31 - 8;
    fx scale = g_one_over_one_plus_x(
        fx_make((int32_t)(((uint32_t)sum.raw << h) - 0x80000000u), 0));
    for (int32_t c = 0; c < depth; ++c) {
        int32_t d = x[c] - mx;
        if (d >= p->diff_min) {
            fx e = g_exp_neg(fx_make(g_srdhm(d * (1 << p->input_left_shift), p->input_multiplier), 5));
            y[c] = (int8_t)ref_clamp32(g_rdiv(fx_mul(scale, e).raw, exponent) - 128, -128, 127);
        } else {
            y[c] = -128;
        }
    }
}

static void test_prepare(void **state)
{
    (void)state;
    sciot_softmax_params p;
    /* scale 1/16, beta 1: 2^-4 * 2^26 = 2^22 -> (1<<30, 23); radius 31 * 2^26 / 2^23 */
    sciot_softmax_s8_prepare(0.0625f, 1.0f, -128, &p);
    assert_int_equal(p.input_multiplier, 1 << 30);
    assert_int_equal(p.input_left_shift, 23);
    assert_int_equal(p.diff_min, -248);
    assert_int_equal(p.output_zp, -128);
    srng r = {0x50F7ULL};
    for (int i = 0; i < 1000; ++i) {
        float s = (float)srng_logu(&r, 1e-3, 2.0), beta = i % 3 ? 1.0f : (float)srng_logu(&r, 0.1, 3);
        sciot_softmax_s8_prepare(s, beta, -128, &p);
        double real = (double)beta * (double)s * 67108864.0;
        if (real > 2147483647.0)
            real = 2147483647.0;
        int32_t m, sh;
        sciot_quantize_multiplier(real, &m, &sh);
        assert_int_equal(p.input_multiplier, m);
        assert_int_equal(p.input_left_shift, sh);
        double radius = floor(31.0 * 67108864.0 / ldexp(1.0, sh));
        assert_int_equal(p.diff_min, -(int32_t)radius);
    }
}

static void check_rows(const sciot_softmax_params *p, int32_t outer, int32_t depth,
                       const int8_t *x, float scale, float beta, int *lsb_checked)
{
    size_t n = (size_t)outer * depth;
    int8_t *y = malloc(n), *yref = malloc(n);
    for (int32_t o = 0; o < outer; ++o)
        ref_softmax(p, depth, x + (size_t)o * depth, yref + (size_t)o * depth);
    for (int portable = 1; portable >= 0; --portable) {
        sciot_kernels_force_portable(portable);
        memset(y, 0x55, n);
        assert_int_equal(sciot_softmax_s8(p, outer, depth, x, y), SCIOT_OK);
        S8_CHECK_EQ_BYTES(y, yref, n, "softmax_s8");
    }
    sciot_kernels_force_portable(0);
    /* double precision: |y - (256 p - 128)| <= 1 */
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *xr = x + (size_t)o * depth;
        int32_t mx = -128;
        for (int32_t c = 0; c < depth; ++c)
            mx = xr[c] > mx ? xr[c] : mx;
        double sum = 0;
        for (int32_t c = 0; c < depth; ++c)
            sum += exp((double)beta * scale * (xr[c] - mx));
        for (int32_t c = 0; c < depth; ++c) {
            double q = 256.0 * exp((double)beta * scale * (xr[c] - mx)) / sum - 128.0;
            q = q > 127 ? 127 : q;
            double got = y[(size_t)o * depth + c];
            if (fabs(got - q) > 1.0) {
                fprintf(stderr, "softmax: got %g want %g (depth %d scale %g)\n", got, q,
                        (int)depth, (double)scale);
                fail();
            }
            ++*lsb_checked;
        }
    }
    free(y);
    free(yref);
}

static void test_softmax_random(void **state)
{
    (void)state;
    srng r = {0x5AF7ULL};
    static const int32_t depths[] = {1, 2, 3, 5, 7, 17, 100, 511};
    int lsb = 0;
    for (int it = 0; it < 400; ++it) {
        float scale = (float)srng_logu(&r, 0.005, 1.0);
        float beta = it % 4 ? 1.0f : (float)srng_logu(&r, 0.2, 2.0);
        sciot_softmax_params p;
        sciot_softmax_s8_prepare(scale, beta, -128, &p);
        int32_t depth = pick(&r, depths, 8), outer = srng_int(&r, 1, 4);
        size_t n = (size_t)outer * depth;
        int8_t *x = malloc(n);
        int lo = srng_int(&r, -128, 127), hi = srng_int(&r, -128, 127);
        if (lo > hi) { int t = lo; lo = hi; hi = t; }
        for (size_t i = 0; i < n; ++i)
            x[i] = (int8_t)srng_int(&r, lo, hi);
        check_rows(&p, outer, depth, x, scale, beta, &lsb);
        free(x);
    }
    assert_true(lsb > 10000);
}

static void test_softmax_known(void **state)
{
    (void)state;
    sciot_softmax_params p;
    sciot_softmax_s8_prepare(0.1f, 1.0f, -128, &p);
    static const struct { int32_t depth; int8_t want; } cases[] = {
        {1, 127}, {2, 0}, {4, -64}, {8, -96}, {3, -43}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        int8_t x[8], y[8], yref[8];
        for (int i = 0; i < 8; ++i)
            x[i] = (int8_t)(17 - 30 * (int)k);
        assert_int_equal(sciot_softmax_s8(&p, 1, cases[k].depth, x, y), SCIOT_OK);
        ref_softmax(&p, cases[k].depth, x, yref);
        for (int32_t i = 0; i < cases[k].depth; ++i) {
            assert_int_equal(yref[i], cases[k].want);
            assert_int_equal(y[i], cases[k].want);
        }
    }
    /* a value below diff_min gives exactly -128, the max then gets 127 */
    sciot_softmax_s8_prepare(1.0f, 1.0f, -128, &p);  /* 2^26: shift 27, radius 15 */
    assert_int_equal(p.diff_min, -15);
    int8_t x2[2] = {100, 60}, y2[2];
    assert_int_equal(sciot_softmax_s8(&p, 1, 2, x2, y2), SCIOT_OK);
    assert_int_equal(y2[0], 127);
    assert_int_equal(y2[1], -128);
}

static void test_softmax_invalid(void **state)
{
    (void)state;
    sciot_softmax_params p;
    sciot_softmax_s8_prepare(0.1f, 1.0f, -128, &p);
    int8_t x[4] = {0}, y[4];
    assert_int_equal(sciot_softmax_s8(&p, 1, 4, x, y), SCIOT_OK);
    assert_int_equal(sciot_softmax_s8(NULL, 1, 4, x, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_softmax_s8(&p, 1, 4, NULL, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_softmax_s8(&p, 1, 4, x, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_softmax_s8(&p, 0, 4, x, y), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_softmax_s8(&p, 1, 0, x, y), SCIOT_ERR_SHAPE);
    sciot_softmax_params bad = p;
    bad.output_zp = 0;                    /* TFLM requires -128 */
    assert_int_equal(sciot_softmax_s8(&bad, 1, 4, x, y), SCIOT_ERR_INVALID_ARG);
    /* TFLM checks 0 <= exponent <= 31, i.e. a sum of exps below 512: 512
     * equal values fail there (TFLITE_CHECK); 511 are fine */
    static int8_t big[512], bigy[512];
    assert_int_equal(sciot_softmax_s8(&p, 1, 512, big, bigy), SCIOT_ERR_OUT_OF_RANGE);
    assert_int_equal(sciot_softmax_s8(&p, 1, 511, big, bigy), SCIOT_OK);
    bad = p;
    bad.input_left_shift = 31;
    assert_int_equal(sciot_softmax_s8(&bad, 1, 4, x, y), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare),
        cmocka_unit_test(test_softmax_known),
        cmocka_unit_test(test_softmax_random),
        cmocka_unit_test(test_softmax_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
