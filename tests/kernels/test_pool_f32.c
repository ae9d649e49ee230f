/* test_pool_f32.c — sciot_avgpool_f32 / sciot_maxpool_f32 against naive
 * references (window clipped to the image, padding not counted) on random
 * shapes, strides, filter sizes, padding and activations; exact cases and
 * argument validation (including windows entirely in the padding). */
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
    trng r = {31337};
    int cases = 0;
    while (cases < 500) {
        sciot_pool_params p;
        memset(&p, 0, sizeof p);
        p.stride_h = trng_int(&r, 1, 3);
        p.stride_w = trng_int(&r, 1, 3);
        p.filter_h = trng_int(&r, 1, 4);
        p.filter_w = trng_int(&r, 1, 4);
        p.pad_h = trng_int(&r, 0, p.filter_h - 1);
        p.pad_w = trng_int(&r, 0, p.filter_w - 1);
        sciot_dims id = {trng_int(&r, 1, 2), trng_int(&r, 1, 9), trng_int(&r, 1, 9),
                         trng_int(&r, 1, 11)};
        int tot_h = id.h + p.pad_h + trng_int(&r, 0, p.pad_h);
        int tot_w = id.w + p.pad_w + trng_int(&r, 0, p.pad_w);
        if (tot_h < p.filter_h || tot_w < p.filter_w)
            continue;
        sciot_dims od = {id.n, (tot_h - p.filter_h) / p.stride_h + 1,
                         (tot_w - p.filter_w) / p.stride_w + 1, id.c};
        int act = cases % 4;
        ref_act_range(act, &p.fact_min, &p.fact_max);
        size_t ni = (size_t)id.n * id.h * id.w * id.c, no = (size_t)od.n * od.h * od.w * od.c;
        float *in = malloc(ni * sizeof *in), *oa = malloc(no * sizeof *oa),
              *om = malloc(no * sizeof *om);
        assert_non_null(in); assert_non_null(oa); assert_non_null(om);
        trng_fill(&r, in, ni, -8.0f, 8.0f);
        assert_int_equal(sciot_avgpool_f32(&p, &id, in, &od, oa), SCIOT_OK);
        assert_int_equal(sciot_maxpool_f32(&p, &id, in, &od, om), SCIOT_OK);
        size_t i = 0;
        for (int b = 0; b < od.n; ++b)
            for (int oy = 0; oy < od.h; ++oy)
                for (int ox = 0; ox < od.w; ++ox)
                    for (int c = 0; c < od.c; ++c, ++i) {
                        double sum = 0, mag = 0, mx = -INFINITY;
                        int cnt = 0;
                        for (int ky = 0; ky < p.filter_h; ++ky)
                            for (int kx = 0; kx < p.filter_w; ++kx) {
                                int iy = oy * p.stride_h - p.pad_h + ky;
                                int ix = ox * p.stride_w - p.pad_w + kx;
                                if (iy < 0 || iy >= id.h || ix < 0 || ix >= id.w)
                                    continue;
                                double v = in[((b * id.h + iy) * id.w + ix) * id.c + c];
                                sum += v;
                                mag += fabs(v);
                                mx = v > mx ? v : mx;
                                ++cnt;
                            }
                        assert_true(cnt > 0);
                        if (!close_to(oa[i], ref_clamp(sum / cnt, p.fact_min, p.fact_max),
                                      mag / cnt, 1e-5, "avgpool", i))
                            fail();
                        assert_true((double)om[i] == ref_clamp(mx, p.fact_min, p.fact_max));
                    }
        free(in); free(oa); free(om);
        ++cases;
    }
}

static void test_exact(void **state)
{
    (void)state;
    /* 4x4 ramp, 2x2 window, stride 2, VALID */
    float in[16], out[4];
    for (int i = 0; i < 16; ++i)
        in[i] = (float)i;
    sciot_pool_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.filter_h = p.filter_w = 2;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims id = {1, 4, 4, 1}, od = {1, 2, 2, 1};
    assert_int_equal(sciot_avgpool_f32(&p, &id, in, &od, out), SCIOT_OK);
    assert_true(out[0] == 2.5f && out[1] == 4.5f && out[2] == 10.5f && out[3] == 12.5f);
    assert_int_equal(sciot_maxpool_f32(&p, &id, in, &od, out), SCIOT_OK);
    assert_true(out[0] == 5.0f && out[1] == 7.0f && out[2] == 13.0f && out[3] == 15.0f);
    sciot_act_range_f32(3, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_avgpool_f32(&p, &id, in, &od, out), SCIOT_OK);
    assert_true(out[0] == 2.5f && out[1] == 4.5f && out[2] == 6.0f && out[3] == 6.0f);
    /* SAME 3x3 stride 1 with pad 1: corner average over 4 taps only */
    float o16[16];
    p.stride_h = p.stride_w = 1;
    p.filter_h = p.filter_w = 3;
    p.pad_h = p.pad_w = 1;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims od4 = {1, 4, 4, 1};
    assert_int_equal(sciot_avgpool_f32(&p, &id, in, &od4, o16), SCIOT_OK);
    assert_true(o16[0] == (0 + 1 + 4 + 5) / 4.0f);
    assert_true(o16[5] == (0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 9.0f);
    /* global average pool (MobileNet head): 1x1 output over 4x4 */
    float g;
    p.filter_h = p.filter_w = 4;
    p.pad_h = p.pad_w = 0;
    sciot_dims o1 = {1, 1, 1, 1};
    assert_int_equal(sciot_avgpool_f32(&p, &id, in, &o1, &g), SCIOT_OK);
    assert_true(g == 7.5f);
}

static void test_invalid(void **state)
{
    (void)state;
    float in[16] = {0}, out[16];
    sciot_pool_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.filter_h = p.filter_w = 2;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims id = {1, 4, 4, 1}, od = {1, 2, 2, 1};
    assert_int_equal(sciot_avgpool_f32(NULL, &id, in, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_maxpool_f32(&p, &id, NULL, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_maxpool_f32(&p, &id, in, &od, NULL), SCIOT_ERR_INVALID_ARG);
    sciot_pool_params q = p;
    q.filter_w = 0;
    assert_int_equal(sciot_avgpool_f32(&q, &id, in, &od, out), SCIOT_ERR_INVALID_ARG);
    q = p;
    q.stride_h = -1;
    assert_int_equal(sciot_maxpool_f32(&q, &id, in, &od, out), SCIOT_ERR_INVALID_ARG);
    sciot_dims bo = {1, 2, 2, 2}; /* channel mismatch */
    assert_int_equal(sciot_avgpool_f32(&p, &id, in, &bo, out), SCIOT_ERR_SHAPE);
    /* last window starts past the image */
    sciot_dims big = {1, 3, 2, 1};
    assert_int_equal(sciot_avgpool_f32(&p, &id, in, &big, out), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_maxpool_f32(&p, &id, in, &big, out), SCIOT_ERR_SHAPE);
    /* first window entirely in the padding */
    q = p;
    q.pad_h = 2;
    assert_int_equal(sciot_avgpool_f32(&q, &id, in, &od, out), SCIOT_ERR_SHAPE);
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
