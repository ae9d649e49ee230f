/* test_dwconv_s8.c — sciot_dwconv_s8 against a naive reference on random
 * shapes: depth multipliers 1-3, strides 1-2, dilations 1-2, SAME/VALID
 * padding offsets, odd channel counts, per-channel scales, random zero
 * points, all activations, with and without bias; plus argument validation.
 * The reference pads with the input zero point, accumulates in int64 and
 * requantizes with sciot_mbqm. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

typedef struct {
    sciot_conv_params p;
    sciot_dims in, f, out;
    int8_t *x, *w, *y, *yref;
    int32_t *bias, *mult, *shift;
} dw_case;

static int8_t in_at(const dw_case *c, int32_t b, int32_t y, int32_t x, int32_t ch)
{
    if (y < 0 || y >= c->in.h || x < 0 || x >= c->in.w)
        return (int8_t)(-c->p.input_offset);
    return c->x[(((size_t)b * c->in.h + y) * c->in.w + x) * c->in.c + ch];
}

static void ref_dw(dw_case *c)
{
    const int32_t dm = c->p.depth_multiplier;
    for (int32_t b = 0; b < c->out.n; ++b)
        for (int32_t oy = 0; oy < c->out.h; ++oy)
            for (int32_t ox = 0; ox < c->out.w; ++ox)
                for (int32_t oc = 0; oc < c->out.c; ++oc) {
                    const int32_t ic = oc / dm;
                    int64_t acc = 0;
                    for (int32_t ky = 0; ky < c->f.h; ++ky)
                        for (int32_t kx = 0; kx < c->f.w; ++kx) {
                            int32_t iy = oy * c->p.stride_h - c->p.pad_h + ky * c->p.dilation_h;
                            int32_t ix = ox * c->p.stride_w - c->p.pad_w + kx * c->p.dilation_w;
                            int64_t v = in_at(c, b, iy, ix, ic) + c->p.input_offset;
                            acc += v * c->w[((size_t)ky * c->f.w + kx) * c->f.c + oc];
                        }
                    if (c->bias)
                        acc += c->bias[oc];
                    c->yref[(((size_t)b * c->out.h + oy) * c->out.w + ox) * c->out.c + oc] =
                        ref_requant(acc, c->mult[oc], c->shift[oc], c->p.output_offset,
                                    c->p.act_min, c->p.act_max);
                }
}

static const int32_t odd_ch[] = {1, 3, 5, 7, 17, 8};

static int make_case(srng *r, dw_case *c)
{
    memset(c, 0, sizeof *c);
    int32_t kh = srng_int(r, 1, 3), kw = srng_int(r, 1, 3);
    if (srng_int(r, 0, 9) == 0)
        kh = kw = 5;
    c->p.stride_h = srng_int(r, 1, 2);
    c->p.stride_w = srng_int(r, 1, 2);
    c->p.dilation_h = srng_int(r, 1, 2);
    c->p.dilation_w = srng_int(r, 1, 2);
    c->p.depth_multiplier = srng_int(r, 1, 3);
    int same = srng_int(r, 0, 1);
    int32_t in_c = pick(r, odd_ch, 6), out_c = in_c * c->p.depth_multiplier;
    c->in = (sciot_dims){srng_int(r, 1, 2), srng_int(r, 1, 12), srng_int(r, 1, 12), in_c};
    c->f = (sciot_dims){1, kh, kw, out_c};
    int32_t oh, ow;
    if (!geom_1d(same, c->in.h, kh, c->p.stride_h, c->p.dilation_h, &oh, &c->p.pad_h) ||
        !geom_1d(same, c->in.w, kw, c->p.stride_w, c->p.dilation_w, &ow, &c->p.pad_w))
        return 0;
    c->out = (sciot_dims){c->in.n, oh, ow, out_c};
    int32_t in_zp = srng_int(r, -128, 127), out_zp = srng_int(r, -128, 127);
    float out_scale = (float)srng_logu(r, 0.005, 0.5);
    c->p.input_offset = -in_zp;
    c->p.output_offset = out_zp;
    rand_act(r, out_scale, out_zp, &c->p.act_min, &c->p.act_max);
    size_t nin = (size_t)c->in.n * c->in.h * c->in.w * in_c;
    size_t nf = (size_t)kh * kw * out_c;
    size_t nout = (size_t)c->out.n * oh * ow * out_c;
    c->x = malloc(nin);
    c->w = malloc(nf);
    c->y = malloc(nout);
    c->yref = malloc(nout);
    c->mult = malloc(sizeof(int32_t) * out_c);
    c->shift = malloc(sizeof(int32_t) * out_c);
    srng_fill_s8(r, c->x, nin);
    srng_fill_s8(r, c->w, nf);
    if (srng_int(r, 0, 3) != 0) {
        c->bias = malloc(sizeof(int32_t) * out_c);
        for (int32_t i = 0; i < out_c; ++i)
            c->bias[i] = srng_int(r, -5000, 5000);
    }
    double centre = 60.0 / (128.0 * 100.0 * sqrt((double)kh * kw));
    if (srng_int(r, 0, 7) == 0)
        rand_channel_quant(r, out_c, 0.5, 4.0, c->mult, c->shift);
    else
        rand_channel_quant(r, out_c, centre / 20, centre * 20, c->mult, c->shift);
    return 1;
}

static void free_case(dw_case *c)
{
    free(c->x);
    free(c->w);
    free(c->y);
    free(c->yref);
    free(c->bias);
    free(c->mult);
    free(c->shift);
}

static void test_dwconv_random(void **state)
{
    (void)state;
    srng r = {0xD3C0ULL};
    int done = 0;
    size_t interior = 0, total = 0;
    for (int it = 0; done < 800 && it < 5000; ++it) {
        dw_case c;
        if (!make_case(&r, &c))
            continue;
        ref_dw(&c);
        sciot_channel_quant q = {c.mult, c.shift};
        size_t nout = (size_t)c.out.n * c.out.h * c.out.w * c.out.c;
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            size_t ss = sciot_dwconv_s8_scratch_size(&c.in, &c.f, &c.out);
            void *scratch = ss ? malloc(ss) : NULL;
            memset(c.y, 0x55, nout);
            assert_int_equal(sciot_dwconv_s8(&c.p, &q, &c.in, c.x, &c.f, c.w, c.bias, &c.out,
                                             c.y, scratch),
                             SCIOT_OK);
            free(scratch);
            S8_CHECK_EQ_BYTES(c.y, c.yref, nout, "dwconv_s8");
        }
        sciot_kernels_force_portable(0);
        for (size_t i = 0; i < nout; ++i)
            interior += c.yref[i] > c.p.act_min && c.yref[i] < c.p.act_max;
        total += nout;
        free_case(&c);
        ++done;
    }
    assert_true(done >= 800);
    fprintf(stderr, "dwconv: %zu outputs, %.1f%% unclamped\n", total, 100.0 * interior / total);
    assert_true(interior * 4 > total);
}

/* depth multiplier 2 on one pixel: output channel ic * 2 + m uses filter
 * channel ic * 2 + m. */
static void test_dwconv_hand(void **state)
{
    (void)state;
    sciot_conv_params p = {1, 1, 1, 1, 0, 0, 2, 0, 1, -128, 127, 0, 0};
    sciot_dims in = {1, 1, 1, 2}, f = {1, 1, 1, 4}, out = {1, 1, 1, 4};
    int8_t x[2] = {3, -4};
    int8_t w[4] = {1, 2, 3, 4};
    int32_t m[4] = {1 << 30, 1 << 30, 1 << 30, 1 << 30}, s[4] = {1, 1, 1, 1}; /* 1.0 */
    sciot_channel_quant q = {m, s};
    int8_t y[4];
    assert_int_equal(sciot_dwconv_s8(&p, &q, &in, x, &f, w, NULL, &out, y, NULL), SCIOT_OK);
    assert_int_equal(y[0], 3 + 1);
    assert_int_equal(y[1], 6 + 1);
    assert_int_equal(y[2], -12 + 1);
    assert_int_equal(y[3], -16 + 1);
}

static void test_dwconv_invalid(void **state)
{
    (void)state;
    sciot_conv_params p = {1, 1, 1, 1, 1, 1, 2, 0, 0, -128, 127, 0, 0};
    sciot_dims in = {1, 3, 3, 2}, f = {1, 3, 3, 4}, out = {1, 3, 3, 4};
    int8_t x[18] = {0}, w[36] = {0}, y[36];
    int32_t m[4] = {1 << 30, 1 << 30, 1 << 30, 1 << 30}, s[4] = {0};
    sciot_channel_quant q = {m, s};
    assert_int_equal(sciot_dwconv_s8(&p, &q, &in, x, &f, w, NULL, &out, y, NULL), SCIOT_OK);
    assert_int_equal(sciot_dwconv_s8(&p, &q, &in, x, &f, NULL, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_conv_params bad = p;
    bad.depth_multiplier = 0;
    assert_int_equal(sciot_dwconv_s8(&bad, &q, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    bad = p;
    bad.depth_multiplier = 1;            /* 2 * 1 != 4 */
    assert_int_equal(sciot_dwconv_s8(&bad, &q, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_SHAPE);
    sciot_dims f2 = {2, 3, 3, 4};
    assert_int_equal(sciot_dwconv_s8(&p, &q, &in, x, &f2, w, NULL, &out, y, NULL),
                     SCIOT_ERR_SHAPE);
    sciot_dims out2 = {1, 3, 3, 3};
    assert_int_equal(sciot_dwconv_s8(&p, &q, &in, x, &f, w, NULL, &out2, y, NULL),
                     SCIOT_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dwconv_hand),
        cmocka_unit_test(test_dwconv_random),
        cmocka_unit_test(test_dwconv_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
