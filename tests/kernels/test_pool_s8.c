/* test_pool_s8.c — int8 AVERAGE_POOL_2D and MAX_POOL_2D against naive
 * references on random shapes (filters 1-4, strides 1-3, SAME/VALID padding
 * offsets, odd channel counts, activation clamps). The average reference
 * counts only taps inside the image and rounds half away from zero in double
 * (which is what TFLM's integer (acc +- n/2) / n computes); hand cases for
 * negative ties; argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static void ref_pool(int is_max, const sciot_pool_params *p, const sciot_dims *in,
                     const int8_t *x, const sciot_dims *out, int8_t *y)
{
    for (int32_t b = 0; b < out->n; ++b)
        for (int32_t oy = 0; oy < out->h; ++oy)
            for (int32_t ox = 0; ox < out->w; ++ox)
                for (int32_t c = 0; c < out->c; ++c) {
                    int32_t sum = 0, cnt = 0, mx = -1000;
                    for (int32_t fy = 0; fy < p->filter_h; ++fy)
                        for (int32_t fx = 0; fx < p->filter_w; ++fx) {
                            int32_t iy = oy * p->stride_h - p->pad_h + fy;
                            int32_t ix = ox * p->stride_w - p->pad_w + fx;
                            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                                continue;
                            int32_t v = x[(((size_t)b * in->h + iy) * in->w + ix) * in->c + c];
                            sum += v;
                            ++cnt;
                            if (v > mx)
                                mx = v;
                        }
                    int32_t v = is_max ? mx : (int32_t)round((double)sum / cnt);
                    y[(((size_t)b * out->h + oy) * out->w + ox) * out->c + c] =
                        (int8_t)ref_clamp32(v, p->act_min, p->act_max);
                }
}

static void test_pool_random(void **state)
{
    (void)state;
    srng r = {0x9001ULL};
    static const int32_t chans[] = {1, 3, 5, 7, 17, 8};
    int done = 0;
    for (int it = 0; done < 800 && it < 5000; ++it) {
        sciot_pool_params p;
        memset(&p, 0, sizeof p);
        p.filter_h = srng_int(&r, 1, 4);
        p.filter_w = srng_int(&r, 1, 4);
        p.stride_h = srng_int(&r, 1, 3);
        p.stride_w = srng_int(&r, 1, 3);
        int same = srng_int(&r, 0, 1);
        sciot_dims in = {srng_int(&r, 1, 2), srng_int(&r, 1, 12), srng_int(&r, 1, 12),
                         pick(&r, chans, 6)};
        int32_t oh, ow;
        if (!geom_1d(same, in.h, p.filter_h, p.stride_h, 1, &oh, &p.pad_h) ||
            !geom_1d(same, in.w, p.filter_w, p.stride_w, 1, &ow, &p.pad_w))
            continue;
        sciot_dims out = {in.n, oh, ow, in.c};
        int32_t zp = srng_int(&r, -128, 127);
        rand_act(&r, (float)srng_logu(&r, 0.01, 0.2), zp, &p.act_min, &p.act_max);
        size_t nin = (size_t)in.n * in.h * in.w * in.c, nout = (size_t)out.n * oh * ow * in.c;
        int8_t *x = malloc(nin), *y = malloc(nout), *yref = malloc(nout);
        srng_fill_s8(&r, x, nin);
        for (int is_max = 0; is_max <= 1; ++is_max) {
            ref_pool(is_max, &p, &in, x, &out, yref);
            for (int portable = 1; portable >= 0; --portable) {
                sciot_kernels_force_portable(portable);
                memset(y, 0x55, nout);
                sciot_status st = is_max ? sciot_maxpool_s8(&p, &in, x, &out, y)
                                         : sciot_avgpool_s8(&p, &in, x, &out, y);
                assert_int_equal(st, SCIOT_OK);
                S8_CHECK_EQ_BYTES(y, yref, nout, is_max ? "maxpool_s8" : "avgpool_s8");
            }
        }
        sciot_kernels_force_portable(0);
        free(x);
        free(y);
        free(yref);
        ++done;
    }
    assert_true(done >= 800);
}

static void test_avgpool_ties(void **state)
{
    (void)state;
    /* 2x2 window over a 2x2 image: averages -1.5 -> -2, 2.5 -> 3,
     * -0.5 -> -1 (ties away from zero) */
    sciot_pool_params p = {2, 2, 2, 2, 0, 0, -128, 127, 0, 0};
    sciot_dims in = {1, 2, 2, 1}, out = {1, 1, 1, 1};
    int8_t y;
    int8_t a[4] = {-1, -2, -1, -2};
    assert_int_equal(sciot_avgpool_s8(&p, &in, a, &out, &y), SCIOT_OK);
    assert_int_equal(y, -2);
    int8_t b[4] = {2, 3, 2, 3};
    assert_int_equal(sciot_avgpool_s8(&p, &in, b, &out, &y), SCIOT_OK);
    assert_int_equal(y, 3);
    int8_t c[4] = {0, -1, 0, -1};
    assert_int_equal(sciot_avgpool_s8(&p, &in, c, &out, &y), SCIOT_OK);
    assert_int_equal(y, -1);
    /* padding taps are not counted: 3x3 window with pad 1 at a corner
     * averages only the 4 valid values */
    sciot_pool_params q = {1, 1, 3, 3, 1, 1, -128, 127, 0, 0};
    sciot_dims in2 = {1, 2, 2, 1}, out2 = {1, 2, 2, 1};
    int8_t d[4] = {10, 11, 12, 13}, y4[4];
    assert_int_equal(sciot_avgpool_s8(&q, &in2, d, &out2, y4), SCIOT_OK);
    for (int i = 0; i < 4; ++i)
        assert_int_equal(y4[i], 12);   /* 46 / 4 = 11.5 -> 12 */
    assert_int_equal(sciot_maxpool_s8(&q, &in2, d, &out2, y4), SCIOT_OK);
    for (int i = 0; i < 4; ++i)
        assert_int_equal(y4[i], 13);
    q.act_max = 12;
    assert_int_equal(sciot_maxpool_s8(&q, &in2, d, &out2, y4), SCIOT_OK);
    assert_int_equal(y4[0], 12);
}

static void test_pool_invalid(void **state)
{
    (void)state;
    sciot_pool_params p = {1, 1, 2, 2, 0, 0, -128, 127, 0, 0};
    sciot_dims in = {1, 3, 3, 2}, out = {1, 2, 2, 2};
    int8_t x[18] = {0}, y[8];
    assert_int_equal(sciot_avgpool_s8(&p, &in, x, &out, y), SCIOT_OK);
    assert_int_equal(sciot_avgpool_s8(NULL, &in, x, &out, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_maxpool_s8(&p, &in, NULL, &out, y), SCIOT_ERR_INVALID_ARG);
    sciot_dims out2 = {1, 2, 2, 3};
    assert_int_equal(sciot_avgpool_s8(&p, &in, x, &out2, y), SCIOT_ERR_SHAPE);
    sciot_pool_params bad = p;
    bad.filter_w = 0;
    assert_int_equal(sciot_maxpool_s8(&bad, &in, x, &out, y), SCIOT_ERR_INVALID_ARG);
    bad = p;
    bad.pad_h = 5;                       /* a window entirely in padding */
    assert_int_equal(sciot_avgpool_s8(&bad, &in, x, &out, y), SCIOT_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_avgpool_ties),
        cmocka_unit_test(test_pool_random),
        cmocka_unit_test(test_pool_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
