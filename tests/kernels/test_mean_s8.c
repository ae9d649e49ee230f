/* test_mean_s8.c — MEAN (int8 and float32) as TFLM's EvalMeanHelper /
 * EvalIntegerMean: random 4-D shapes and reduce masks (including the common
 * H,W case), both int8 paths (same quantization: sum / n truncated toward
 * zero; otherwise QuantizedMeanOrSum with the count folded into the
 * multiplier), against a naive reference that scatters every input element
 * into its output slot in row-major order; real-value sanity within 1 LSB;
 * hand cases; float sums in TFLM's order; scratch size; validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static int32_t dimv(const sciot_dims *d, int i)
{
    return i == 0 ? d->n : i == 1 ? d->h : i == 2 ? d->w : d->c;
}

/* Row-major scatter of every input element into its output slot. */
static size_t ref_sums(const sciot_dims *d, const int red[4], const int8_t *x8,
                       const float *xf, int64_t *s8, float *sf, int64_t *n_red)
{
    size_t n_out = 1;
    *n_red = 1;
    for (int i = 0; i < 4; ++i) {
        if (red[i])
            *n_red *= dimv(d, i);
        else
            n_out *= (size_t)dimv(d, i);
    }
    for (size_t o = 0; o < n_out; ++o) {
        if (s8)
            s8[o] = 0;
        if (sf)
            sf[o] = 0.0f;
    }
    int32_t c[4];
    size_t k = 0;
    for (c[0] = 0; c[0] < d->n; ++c[0])
        for (c[1] = 0; c[1] < d->h; ++c[1])
            for (c[2] = 0; c[2] < d->w; ++c[2])
                for (c[3] = 0; c[3] < d->c; ++c[3], ++k) {
                    size_t o = 0;
                    for (int i = 0; i < 4; ++i)
                        if (!red[i])
                            o = o * (size_t)dimv(d, i) + (size_t)c[i];
                    if (s8)
                        s8[o] += x8[k];
                    if (sf)
                        sf[o] += xf[k];
                }
    return n_out;
}

static int8_t ref_mean_q(const sciot_mean_params *p, int64_t sum, int64_t n)
{
    if (p->in_zp == p->out_zp && p->multiplier == (1 << 30) && p->shift == 1)
        return (int8_t)(sum / n);
    int k = 63;
    while (!((uint64_t)n >> k))
        --k;                                  /* 63 - clz64(n) */
    k = k < 32 ? k : 32;
    k = k < 31 + p->shift ? k : 31 + p->shift;
    int32_t m = (int32_t)(((int64_t)p->multiplier << k) / n);
    int32_t s = p->shift - k;
    return (int8_t)ref_clamp32(sciot_mbqm((int32_t)(sum - (int64_t)p->in_zp * n), m, s) + p->out_zp,
                               -128, 127);
}

static void test_mean_random(void **state)
{
    (void)state;
    srng r = {0x3EA7ULL};
    static const int32_t ext[] = {1, 2, 3, 5, 7, 12, 17};
    int checked = 0;
    for (int it = 0; it < 1500; ++it) {
        sciot_dims d = {srng_int(&r, 1, 2), pick(&r, ext, 7), pick(&r, ext, 7), pick(&r, ext, 7)};
        int red[4];
        if (it % 2 == 0) {
            red[0] = 0; red[1] = 1; red[2] = 1; red[3] = 0;
        } else {
            for (int i = 0; i < 4; ++i)
                red[i] = srng_int(&r, 0, 1);
        }
        float si = (float)srng_logu(&r, 0.01, 0.5);
        float so = it % 3 == 0 ? si : (float)srng_logu(&r, 0.01, 0.5);
        int32_t zi = srng_int(&r, -128, 127);
        int32_t zo = it % 3 == 0 ? zi : srng_int(&r, -128, 127);
        sciot_mean_params p;
        sciot_mean_s8_prepare(si, zi, so, zo, &p);
        size_t nin = (size_t)d.n * d.h * d.w * d.c;
        int8_t *x = malloc(nin);
        srng_fill_s8(&r, x, nin);
        int64_t n_red;
        int64_t *sums = malloc(sizeof(int64_t) * nin);
        size_t n_out = ref_sums(&d, red, x, NULL, sums, NULL, &n_red);
        size_t ss = sciot_mean_scratch_size(&d, red);
        assert_int_equal(ss, n_out * sizeof(int32_t));
        int8_t *y = malloc(n_out), *yref = malloc(n_out);
        void *scratch = malloc(ss);
        for (size_t o = 0; o < n_out; ++o) {
            yref[o] = ref_mean_q(&p, sums[o], n_red);
            double q = (double)si * ((double)sums[o] / n_red - zi) / so + zo;
            if (q > -127 && q < 126) {
                assert_true(fabs(yref[o] - q) <= 1.0);
                ++checked;
            }
        }
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            memset(y, 0x55, n_out);
            assert_int_equal(sciot_mean_s8(&p, &d, x, red, y, scratch), SCIOT_OK);
            S8_CHECK_EQ_BYTES(y, yref, n_out, "mean_s8");
        }
        sciot_kernels_force_portable(0);

        /* float: the same shapes, TFLM's summation order, exact */
        float *xf = malloc(sizeof(float) * nin), *sf = malloc(sizeof(float) * n_out);
        float *yf = malloc(sizeof(float) * n_out);
        for (size_t i = 0; i < nin; ++i)
            xf[i] = (float)(srng_unit(&r) * 20.0 - 7.0);
        ref_sums(&d, red, NULL, xf, NULL, sf, &n_red);
        assert_int_equal(sciot_mean_f32(&d, xf, red, yf, scratch), SCIOT_OK);
        for (size_t o = 0; o < n_out; ++o)
            assert_true(yf[o] == sf[o] / (float)n_red);
        free(xf); free(sf); free(yf);
        free(x); free(sums); free(y); free(yref); free(scratch);
    }
    assert_true(checked > 5000);
}

static void test_mean_hand(void **state)
{
    (void)state;
    sciot_mean_params p;
    int red[4] = {0, 1, 1, 0};
    sciot_dims d = {1, 1, 2, 1};
    int8_t y;
    /* same quantization: sum / n in C (toward zero) on the raw values */
    sciot_mean_s8_prepare(0.1f, 5, 0.1f, 5, &p);
    int8_t a[2] = {1, 2}, b[2] = {-1, -2};
    assert_int_equal(sciot_mean_s8(&p, &d, a, red, &y, NULL), SCIOT_OK);
    assert_int_equal(y, 1);
    assert_int_equal(sciot_mean_s8(&p, &d, b, red, &y, NULL), SCIOT_OK);
    assert_int_equal(y, -1);
    /* in_scale = 2 * out_scale: {1, 2} -> 1.5 * 2 = 3 exactly */
    sciot_mean_s8_prepare(0.2f, 0, 0.1f, 0, &p);
    assert_int_equal(sciot_mean_s8(&p, &d, a, red, &y, NULL), SCIOT_OK);
    assert_int_equal(y, 3);
    /* zero points: (sum - zp * n) then rounding: in zp 1, out zp -3, same scale
     * but different zero point takes the requantizing path: (3 - 2)/2 = 0.5 -> 1, -3 + 1 */
    sciot_mean_s8_prepare(0.1f, 1, 0.1f, -3, &p);
    assert_int_equal(sciot_mean_s8(&p, &d, a, red, &y, NULL), SCIOT_OK);
    assert_int_equal(y, -2);
    /* nothing reduced: identity under the same quantization */
    int none[4] = {0, 0, 0, 0};
    int8_t yy[2];
    sciot_mean_s8_prepare(0.1f, 5, 0.1f, 5, &p);
    assert_int_equal(sciot_mean_s8(&p, &d, b, none, yy, NULL), SCIOT_OK);
    assert_int_equal(yy[0], -1);
    assert_int_equal(yy[1], -2);
}

static void test_mean_invalid(void **state)
{
    (void)state;
    sciot_mean_params p;
    sciot_mean_s8_prepare(0.1f, 0, 0.1f, 0, &p);
    int red[4] = {0, 1, 1, 0};
    sciot_dims d = {1, 2, 2, 1}, dz = {1, 0, 2, 1};
    int8_t x[4] = {0}, y[1];
    float xf[4] = {0}, yf[1];
    assert_int_equal(sciot_mean_s8(NULL, &d, x, red, y, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mean_s8(&p, NULL, x, red, y, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mean_s8(&p, &d, x, NULL, y, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mean_s8(&p, &d, x, red, NULL, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mean_s8(&p, &dz, x, red, y, NULL), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_mean_f32(&d, NULL, red, yf, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mean_f32(&dz, xf, red, yf, NULL), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_mean_scratch_size(&dz, red), 0);
    assert_int_equal(sciot_mean_scratch_size(&d, red), sizeof(int32_t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_hand),
        cmocka_unit_test(test_mean_random),
        cmocka_unit_test(test_mean_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
