/* test_conv_f32.c — sciot_conv2d_f32 against a naive double-precision
 * reference on random shapes (strides, dilations, padding offsets, groups,
 * bias / no bias, every activation), a hand-computed 3x3 case and argument
 * validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sciot/kernels.h"
#include "f32_test_util.h"

static void ref_conv(const sciot_conv_params *p, const sciot_dims *id, const float *in,
                     const sciot_dims *fd, const float *f, const float *bias,
                     const sciot_dims *od, double *want, double *scale)
{
    int groups = id->c / fd->c, per_group = od->c / groups;
    for (int b = 0; b < od->n; ++b)
        for (int oy = 0; oy < od->h; ++oy)
            for (int ox = 0; ox < od->w; ++ox)
                for (int oc = 0; oc < od->c; ++oc) {
                    double acc = 0, mag = 0;
                    int g = oc / per_group;
                    for (int ky = 0; ky < fd->h; ++ky)
                        for (int kx = 0; kx < fd->w; ++kx)
                            for (int ic = 0; ic < fd->c; ++ic) {
                                int iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                                int ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                                if (iy < 0 || iy >= id->h || ix < 0 || ix >= id->w)
                                    continue;
                                double v = (double)in[((b * id->h + iy) * id->w + ix) * id->c +
                                                      g * fd->c + ic] *
                                           (double)f[((oc * fd->h + ky) * fd->w + kx) * fd->c + ic];
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
    trng r = {0x1234567ULL};
    int cases = 0;
    while (cases < 400) {
        sciot_conv_params p;
        memset(&p, 0, sizeof p);
        p.stride_h = trng_int(&r, 1, 2);
        p.stride_w = trng_int(&r, 1, 2);
        p.dilation_h = trng_int(&r, 1, 2);
        p.dilation_w = trng_int(&r, 1, 2);
        sciot_dims id = {trng_int(&r, 1, 2), trng_int(&r, 1, 9), trng_int(&r, 1, 9), 0};
        sciot_dims fd = {trng_int(&r, 1, 7), trng_int(&r, 1, 4), trng_int(&r, 1, 4),
                         trng_int(&r, 1, 7)};
        int groups = (trng_int(&r, 0, 4) == 0) ? trng_int(&r, 2, 3) : 1;
        id.c = fd.c * groups;
        if (fd.n % groups)
            fd.n = groups * trng_int(&r, 1, 3);
        int eff_h = (fd.h - 1) * p.dilation_h + 1, eff_w = (fd.w - 1) * p.dilation_w + 1;
        p.pad_h = trng_int(&r, 0, eff_h - 1);
        p.pad_w = trng_int(&r, 0, eff_w - 1);
        int tot_h = id.h + p.pad_h + trng_int(&r, 0, p.pad_h);
        int tot_w = id.w + p.pad_w + trng_int(&r, 0, p.pad_w);
        if (tot_h < eff_h || tot_w < eff_w)
            continue;
        sciot_dims od = {id.n, (tot_h - eff_h) / p.stride_h + 1,
                         (tot_w - eff_w) / p.stride_w + 1, fd.n};
        int act = cases % 4;
        ref_act_range(act, &p.fact_min, &p.fact_max);
        int with_bias = trng_int(&r, 0, 3) != 0;

        size_t ni = (size_t)id.n * id.h * id.w * id.c, nf = (size_t)fd.n * fd.h * fd.w * fd.c;
        size_t no = (size_t)od.n * od.h * od.w * od.c;
        float *in = malloc(ni * sizeof *in), *f = malloc(nf * sizeof *f);
        float *bias = malloc((size_t)fd.n * sizeof *bias), *out = malloc(no * sizeof *out);
        double *want = malloc(no * sizeof *want), *scale = malloc(no * sizeof *scale);
        assert_non_null(in); assert_non_null(f); assert_non_null(bias);
        assert_non_null(out); assert_non_null(want); assert_non_null(scale);
        trng_fill(&r, in, ni, -1.0f, 1.0f);
        trng_fill(&r, f, nf, -1.0f, 1.0f);
        trng_fill(&r, bias, (size_t)fd.n, -1.0f, 1.0f);
        if (act == 3) /* spread values so RELU6 clamps at both ends */
            for (size_t i = 0; i < ni; ++i)
                in[i] *= 4.0f;

        size_t ss = sciot_conv2d_f32_scratch_size(&id, &fd, &od);
        unsigned char scratch[16];
        assert_true(ss <= sizeof scratch);
        assert_int_equal(sciot_conv2d_f32(&p, &id, in, &fd, f, with_bias ? bias : NULL, &od,
                                          out, scratch),
                         SCIOT_OK);
        ref_conv(&p, &id, in, &fd, f, with_bias ? bias : NULL, &od, want, scale);
        for (size_t i = 0; i < no; ++i)
            if (!close_to(out[i], want[i], scale[i], 1e-5, "conv", i)) {
                fprintf(stderr, "case %d: in %dx%dx%dx%d f %dx%dx%dx%d s %d,%d d %d,%d p %d,%d\n",
                        cases, id.n, id.h, id.w, id.c, fd.n, fd.h, fd.w, fd.c, p.stride_h,
                        p.stride_w, p.dilation_h, p.dilation_w, p.pad_h, p.pad_w);
                fail();
            }
        free(in); free(f); free(bias); free(out); free(want); free(scale);
        ++cases;
    }
}

/* 3x3 input 1..9, 3x3 all-ones filter, SAME padding (pad 1), stride 1:
 * each output is the sum of its 3x3 neighbourhood inside the image. */
static void test_exact_3x3(void **state)
{
    (void)state;
    const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float f[9], out[9];
    for (int i = 0; i < 9; ++i)
        f[i] = 1.0f;
    const float bias[1] = {0.5f};
    sciot_conv_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
    p.pad_h = p.pad_w = 1;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims id = {1, 3, 3, 1}, fd = {1, 3, 3, 1}, od = {1, 3, 3, 1};
    assert_int_equal(sciot_conv2d_f32(&p, &id, in, &fd, f, bias, &od, out, NULL), SCIOT_OK);
    const float want[9] = {12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f};
    for (int i = 0; i < 9; ++i)
        assert_true(out[i] == want[i]);

    /* VALID, stride 2 on a 5x5 ramp with a 3x3 filter [[1,0,-1]]*3, RELU6 */
    float in5[25], f3[9], out2[4];
    for (int i = 0; i < 25; ++i)
        in5[i] = (float)i;
    for (int ky = 0; ky < 3; ++ky) {
        f3[ky * 3 + 0] = -1.0f;
        f3[ky * 3 + 1] = 0.0f;
        f3[ky * 3 + 2] = 1.0f;
    }
    p.pad_h = p.pad_w = 0;
    p.stride_h = p.stride_w = 2;
    sciot_act_range_f32(3, &p.fact_min, &p.fact_max);
    sciot_dims id5 = {1, 5, 5, 1}, od2 = {1, 2, 2, 1};
    assert_int_equal(sciot_conv2d_f32(&p, &id5, in5, &fd, f3, NULL, &od2, out2, NULL), SCIOT_OK);
    /* each output = 3 rows * (x+2 - x) = 6 -> clamp at 6 */
    for (int i = 0; i < 4; ++i)
        assert_true(out2[i] == 6.0f);
    /* 2 input channels, 2 output channels, 1x1 filter: a channel mix */
    const float in2[4] = {1, 2, 3, 4}; /* 1x1x2x2 */
    const float f11[4] = {1, 10, 100, 1000};
    float o2[4];
    sciot_dims id2 = {1, 1, 2, 2}, fd2 = {2, 1, 1, 2}, od22 = {1, 1, 2, 2};
    p.stride_h = p.stride_w = 1;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_conv2d_f32(&p, &id2, in2, &fd2, f11, NULL, &od22, o2, NULL), SCIOT_OK);
    assert_true(o2[0] == 21.0f && o2[1] == 2100.0f && o2[2] == 43.0f && o2[3] == 4300.0f);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[64] = {0};
    sciot_conv_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims id = {1, 3, 3, 2}, fd = {2, 1, 1, 2}, od = {1, 3, 3, 2};
    assert_int_equal(sciot_conv2d_f32(&p, &id, buf, &fd, buf, NULL, &od, buf + 32, NULL), SCIOT_OK);
    assert_int_equal(sciot_conv2d_f32(NULL, &id, buf, &fd, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_conv2d_f32(&p, &id, NULL, &fd, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_conv2d_f32(&p, &id, buf, &fd, NULL, NULL, &od, buf, NULL),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_conv2d_f32(&p, &id, buf, &fd, buf, NULL, &od, NULL, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_conv_params q = p;
    q.stride_h = 0;
    assert_int_equal(sciot_conv2d_f32(&q, &id, buf, &fd, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_INVALID_ARG);
    q = p;
    q.dilation_w = -1;
    assert_int_equal(sciot_conv2d_f32(&q, &id, buf, &fd, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_INVALID_ARG);
    q = p;
    q.fact_min = 1.0f;
    q.fact_max = 0.0f;
    assert_int_equal(sciot_conv2d_f32(&q, &id, buf, &fd, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_dims bad = id;
    bad.h = 0;
    assert_int_equal(sciot_conv2d_f32(&p, &bad, buf, &fd, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_SHAPE);
    bad = od;
    bad.c = 3; /* != filter n */
    assert_int_equal(sciot_conv2d_f32(&p, &id, buf, &fd, buf, NULL, &bad, buf, NULL),
                     SCIOT_ERR_SHAPE);
    bad = od;
    bad.n = 2; /* batch mismatch */
    assert_int_equal(sciot_conv2d_f32(&p, &id, buf, &fd, buf, NULL, &bad, buf, NULL),
                     SCIOT_ERR_SHAPE);
    sciot_dims bf = {2, 1, 1, 3}; /* filter c does not divide input c */
    sciot_dims bi = {1, 3, 3, 2};
    assert_int_equal(sciot_conv2d_f32(&p, &bi, buf, &bf, buf, NULL, &od, buf, NULL),
                     SCIOT_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_exact_3x3),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
