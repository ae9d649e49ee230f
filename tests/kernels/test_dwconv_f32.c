/* test_dwconv_f32.c — sciot_dwconv_f32 against a naive double-precision
 * reference on random shapes (depth multipliers 1-3, strides, dilations,
 * padding offsets, odd channel counts, every activation), a hand-computed
 * case and argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sciot/kernels.h"
#include "f32_test_util.h"

static void ref_dw(const sciot_conv_params *p, const sciot_dims *id, const float *in,
                   const sciot_dims *fd, const float *f, const float *bias,
                   const sciot_dims *od, double *want, double *scale)
{
    int dm = p->depth_multiplier;
    for (int b = 0; b < od->n; ++b)
        for (int oy = 0; oy < od->h; ++oy)
            for (int ox = 0; ox < od->w; ++ox)
                for (int oc = 0; oc < od->c; ++oc) {
                    int ic = oc / dm;
                    double acc = 0, mag = 0;
                    for (int ky = 0; ky < fd->h; ++ky)
                        for (int kx = 0; kx < fd->w; ++kx) {
                            int iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                            int ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                            if (iy < 0 || iy >= id->h || ix < 0 || ix >= id->w)
                                continue;
                            double v = (double)in[((b * id->h + iy) * id->w + ix) * id->c + ic] *
                                       (double)f[(ky * fd->w + kx) * fd->c + oc];
                            acc += v;
                            mag += fabs(v);
                        }
                    if (bias) {
                        acc += bias[oc];
                        mag += fabs(bias[oc]);
                    }
                    size_t o = ((size_t)(b * od->h + oy) * od->w + ox) * od->c + oc;
                    want[o] = ref_clamp(acc, p->fact_min, p->fact_max);
                    scale[o] = mag;
                }
}

static void test_random(void **state)
{
    (void)state;
    trng r = {0xdeadbeefULL};
    int cases = 0;
    while (cases < 500) {
        sciot_conv_params p;
        memset(&p, 0, sizeof p);
        p.stride_h = trng_int(&r, 1, 2);
        p.stride_w = trng_int(&r, 1, 2);
        p.dilation_h = trng_int(&r, 1, 2);
        p.dilation_w = trng_int(&r, 1, 2);
        p.depth_multiplier = trng_int(&r, 1, 3);
        sciot_dims id = {trng_int(&r, 1, 2), trng_int(&r, 1, 10), trng_int(&r, 1, 10),
                         trng_int(&r, 1, 9)};
        sciot_dims fd = {1, trng_int(&r, 1, 5), trng_int(&r, 1, 5), id.c * p.depth_multiplier};
        int eff_h = (fd.h - 1) * p.dilation_h + 1, eff_w = (fd.w - 1) * p.dilation_w + 1;
        p.pad_h = trng_int(&r, 0, eff_h - 1);
        p.pad_w = trng_int(&r, 0, eff_w - 1);
        int tot_h = id.h + p.pad_h + trng_int(&r, 0, p.pad_h);
        int tot_w = id.w + p.pad_w + trng_int(&r, 0, p.pad_w);
        if (tot_h < eff_h || tot_w < eff_w)
            continue;
        sciot_dims od = {id.n, (tot_h - eff_h) / p.stride_h + 1,
                         (tot_w - eff_w) / p.stride_w + 1, fd.c};
        int act = cases % 4;
        ref_act_range(act, &p.fact_min, &p.fact_max);
        int with_bias = trng_int(&r, 0, 3) != 0;

        size_t ni = (size_t)id.n * id.h * id.w * id.c, nf = (size_t)fd.h * fd.w * fd.c;
        size_t no = (size_t)od.n * od.h * od.w * od.c;
        float *in = malloc(ni * sizeof *in), *f = malloc(nf * sizeof *f);
        float *bias = malloc((size_t)fd.c * sizeof *bias), *out = malloc(no * sizeof *out);
        double *want = malloc(no * sizeof *want), *scale = malloc(no * sizeof *scale);
        assert_non_null(in); assert_non_null(f); assert_non_null(bias);
        assert_non_null(out); assert_non_null(want); assert_non_null(scale);
        trng_fill(&r, in, ni, -3.0f, 3.0f);
        trng_fill(&r, f, nf, -1.0f, 1.0f);
        trng_fill(&r, bias, (size_t)fd.c, -1.0f, 1.0f);

        assert_int_equal(sciot_dwconv_f32(&p, &id, in, &fd, f, with_bias ? bias : NULL, &od, out),
                         SCIOT_OK);
        ref_dw(&p, &id, in, &fd, f, with_bias ? bias : NULL, &od, want, scale);
        for (size_t i = 0; i < no; ++i)
            if (!close_to(out[i], want[i], scale[i], 1e-5, "dwconv", i)) {
                fprintf(stderr, "case %d: in %dx%dx%dx%d k %dx%d dm %d s %d,%d d %d,%d p %d,%d\n",
                        cases, id.n, id.h, id.w, id.c, fd.h, fd.w, p.depth_multiplier,
                        p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_h, p.pad_w);
                fail();
            }
        free(in); free(f); free(bias); free(out); free(want); free(scale);
        ++cases;
    }
}

/* 2x2 input, 2 channels, depth multiplier 2, 2x2 filter, VALID. */
static void test_exact(void **state)
{
    (void)state;
    const float in[8] = {1, 10, 2, 20, 3, 30, 4, 40}; /* [1,2,2,2] */
    /* filter [1,2,2,4]: oc 0,1 read ic 0; oc 2,3 read ic 1 */
    const float f[16] = {1, 0, 1, 0,  1, 1, 0, 0,  1, 0, 0, 1,  1, 1, 1, 1};
    const float bias[4] = {0, 1, 2, 3};
    float out[4];
    sciot_conv_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
    p.depth_multiplier = 2;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims id = {1, 2, 2, 2}, fd = {1, 2, 2, 4}, od = {1, 1, 1, 4};
    assert_int_equal(sciot_dwconv_f32(&p, &id, in, &fd, f, bias, &od, out), SCIOT_OK);
    /* oc0 = 1+2+3+4 = 10; oc1 = 2+4 + 1 = 7; oc2 = 10+40 + 2 = 52;
     * oc3 = 30 + 40 + 3 = 73 */
    assert_true(out[0] == 10.0f);
    assert_true(out[1] == 7.0f);
    assert_true(out[2] == 52.0f);
    assert_true(out[3] == 73.0f);
    sciot_act_range_f32(3, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_dwconv_f32(&p, &id, in, &fd, f, bias, &od, out), SCIOT_OK);
    for (int i = 0; i < 4; ++i)
        assert_true(out[i] == 6.0f);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[64] = {0};
    sciot_conv_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
    p.depth_multiplier = 2;
    sciot_act_range_f32(1, &p.fact_min, &p.fact_max);
    sciot_dims id = {1, 3, 3, 2}, fd = {1, 2, 2, 4}, od = {1, 2, 2, 4};
    assert_int_equal(sciot_dwconv_f32(&p, &id, buf, &fd, buf, NULL, &od, buf + 32), SCIOT_OK);
    assert_int_equal(sciot_dwconv_f32(&p, NULL, buf, &fd, buf, NULL, &od, buf),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_dwconv_f32(&p, &id, buf, &fd, buf, NULL, &od, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_conv_params q = p;
    q.depth_multiplier = 0;
    assert_int_equal(sciot_dwconv_f32(&q, &id, buf, &fd, buf, NULL, &od, buf),
                     SCIOT_ERR_INVALID_ARG);
    q = p;
    q.depth_multiplier = 3; /* 2*3 != 4 */
    assert_int_equal(sciot_dwconv_f32(&q, &id, buf, &fd, buf, NULL, &od, buf), SCIOT_ERR_SHAPE);
    q = p;
    q.pad_h = -1;
    assert_int_equal(sciot_dwconv_f32(&q, &id, buf, &fd, buf, NULL, &od, buf),
                     SCIOT_ERR_INVALID_ARG);
    sciot_dims bf = fd;
    bf.n = 2;
    assert_int_equal(sciot_dwconv_f32(&p, &id, buf, &bf, buf, NULL, &od, buf), SCIOT_ERR_SHAPE);
    sciot_dims bo = od;
    bo.w = -2;
    assert_int_equal(sciot_dwconv_f32(&p, &id, buf, &fd, buf, NULL, &bo, buf), SCIOT_ERR_SHAPE);
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
