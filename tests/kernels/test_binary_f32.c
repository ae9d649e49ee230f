/* test_binary_f32.c — sciot_add_f32 / sciot_mul_f32: equal shapes,
 * numpy-style broadcasting in every dimension (random), the MobileNet
 * batch-norm shapes ([1,1,1,C] against [1,H,W,C], both operand orders),
 * every activation, exact small cases and shape validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sciot/kernels.h"
#include "f32_test_util.h"

typedef sciot_status (*binfn)(const sciot_binary_params *, const sciot_dims *, const float *,
                              const sciot_dims *, const float *, const sciot_dims *, float *);

static size_t count(const sciot_dims *d)
{
    return (size_t)d->n * d->h * d->w * d->c;
}

/* naive broadcast index: coordinate modulo extent (extent is 1 or full) */
static size_t bidx(const sciot_dims *d, int b, int y, int x, int c)
{
    return (((size_t)(b % d->n) * d->h + (size_t)(y % d->h)) * d->w + (size_t)(x % d->w)) *
               d->c + (size_t)(c % d->c);
}

static void check_one(trng *r, int is_mul, const sciot_dims *d1, const sciot_dims *d2, int act)
{
    sciot_dims od = {d1->n > d2->n ? d1->n : d2->n, d1->h > d2->h ? d1->h : d2->h,
                     d1->w > d2->w ? d1->w : d2->w, d1->c > d2->c ? d1->c : d2->c};
    float *a = malloc(count(d1) * sizeof *a), *b = malloc(count(d2) * sizeof *b);
    float *o = malloc(count(&od) * sizeof *o);
    assert_non_null(a); assert_non_null(b); assert_non_null(o);
    trng_fill(r, a, count(d1), -4.0f, 4.0f);
    trng_fill(r, b, count(d2), -4.0f, 4.0f);
    sciot_binary_params p;
    memset(&p, 0, sizeof p);
    ref_act_range(act, &p.fact_min, &p.fact_max);
    binfn fn = is_mul ? sciot_mul_f32 : sciot_add_f32;
    assert_int_equal(fn(&p, d1, a, d2, b, &od, o), SCIOT_OK);
    size_t i = 0;
    for (int n = 0; n < od.n; ++n)
        for (int y = 0; y < od.h; ++y)
            for (int x = 0; x < od.w; ++x)
                for (int c = 0; c < od.c; ++c, ++i) {
                    double va = a[bidx(d1, n, y, x, c)], vb = b[bidx(d2, n, y, x, c)];
                    double want = is_mul ? va * vb : va + vb;
                    double mag = is_mul ? fabs(want) : fabs(va) + fabs(vb);
                    want = ref_clamp(want, p.fact_min, p.fact_max);
                    if (!close_to(o[i], want, mag, 1e-6, is_mul ? "mul" : "add", i)) {
                        fprintf(stderr, "d1 %dx%dx%dx%d d2 %dx%dx%dx%d\n", d1->n, d1->h, d1->w,
                                d1->c, d2->n, d2->h, d2->w, d2->c);
                        fail();
                    }
                }
    free(a); free(b); free(o);
}

static void test_random_broadcast(void **state)
{
    (void)state;
    trng r = {777};
    for (int it = 0; it < 600; ++it) {
        int32_t full[4] = {trng_int(&r, 1, 3), trng_int(&r, 1, 6), trng_int(&r, 1, 6),
                           trng_int(&r, 1, 9)};
        int32_t e1[4], e2[4];
        for (int k = 0; k < 4; ++k) {
            int mode = trng_int(&r, 0, 3); /* 0,1: both full; 2: a=1; 3: b=1 */
            e1[k] = mode == 2 ? 1 : full[k];
            e2[k] = mode == 3 ? 1 : full[k];
        }
        sciot_dims d1 = {e1[0], e1[1], e1[2], e1[3]}, d2 = {e2[0], e2[1], e2[2], e2[3]};
        check_one(&r, it & 1, &d1, &d2, (it >> 1) % 4);
    }
}

static void test_mobilenet_shapes(void **state)
{
    (void)state;
    trng r = {99};
    const int32_t chans[] = {1, 3, 8, 17, 32};
    for (size_t k = 0; k < sizeof chans / sizeof chans[0]; ++k) {
        sciot_dims big = {1, 7, 5, chans[k]}, vec = {1, 1, 1, chans[k]};
        for (int act = 0; act < 4; ++act)
            for (int mul = 0; mul < 2; ++mul) {
                check_one(&r, mul, &big, &vec, act);
                check_one(&r, mul, &vec, &big, act);
                check_one(&r, mul, &big, &big, act);
            }
        /* scalar broadcast */
        sciot_dims one = {1, 1, 1, 1};
        check_one(&r, 1, &big, &one, 0);
        check_one(&r, 0, &one, &big, 3);
        /* both sides broadcast: [1,H,1,C] x [1,1,W,1] */
        sciot_dims hc = {1, 4, 1, chans[k]}, w1 = {1, 1, 6, 1};
        check_one(&r, 0, &hc, &w1, 0);
        check_one(&r, 1, &w1, &hc, 1);
    }
}

static void test_exact(void **state)
{
    (void)state;
    /* batch-norm style: y = x * scale[c] + shift[c] on a [1,2,1,3] tensor */
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const float scale[3] = {2, -1, 0.5f}, shift[3] = {1, 1, -1};
    float t[6], y[6];
    sciot_dims dx = {1, 2, 1, 3}, dv = {1, 1, 1, 3};
    sciot_binary_params p;
    memset(&p, 0, sizeof p);
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    assert_int_equal(sciot_mul_f32(&p, &dx, x, &dv, scale, &dx, t), SCIOT_OK);
    assert_int_equal(sciot_add_f32(&p, &dx, t, &dv, shift, &dx, y), SCIOT_OK);
    const float want[6] = {3, -1, 0.5f, 9, -4, 2};
    for (int i = 0; i < 6; ++i)
        assert_true(y[i] == want[i]);
    sciot_act_range_f32(3, &p.fact_min, &p.fact_max); /* RELU6 */
    assert_int_equal(sciot_add_f32(&p, &dx, t, &dv, shift, &dx, y), SCIOT_OK);
    const float want6[6] = {3, 0, 0.5f, 6, 0, 2};
    for (int i = 0; i < 6; ++i)
        assert_true(y[i] == want6[i]);
    /* in-place use (out == in1) is allowed when shapes are equal */
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    memcpy(t, x, sizeof t);
    assert_int_equal(sciot_add_f32(&p, &dx, t, &dx, x, &dx, t), SCIOT_OK);
    for (int i = 0; i < 6; ++i)
        assert_true(t[i] == 2 * x[i]);
}

static void test_invalid(void **state)
{
    (void)state;
    float buf[64] = {0}, out[64];
    sciot_binary_params p;
    memset(&p, 0, sizeof p);
    sciot_act_range_f32(0, &p.fact_min, &p.fact_max);
    sciot_dims a = {1, 2, 3, 4}, b = {1, 1, 1, 4}, o = {1, 2, 3, 4};
    assert_int_equal(sciot_add_f32(&p, &a, buf, &b, buf, &o, out), SCIOT_OK);
    assert_int_equal(sciot_add_f32(NULL, &a, buf, &b, buf, &o, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_add_f32(&p, NULL, buf, &b, buf, &o, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mul_f32(&p, &a, buf, &b, NULL, &o, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mul_f32(&p, &a, buf, &b, buf, &o, NULL), SCIOT_ERR_INVALID_ARG);
    sciot_dims bad = {1, 1, 1, 3}; /* 3 vs 4: incompatible */
    assert_int_equal(sciot_add_f32(&p, &a, buf, &bad, buf, &o, out), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_mul_f32(&p, &bad, buf, &a, buf, &o, out), SCIOT_ERR_SHAPE);
    sciot_dims bado = {1, 2, 3, 1}; /* output not the broadcast shape */
    assert_int_equal(sciot_add_f32(&p, &a, buf, &b, buf, &bado, out), SCIOT_ERR_SHAPE);
    sciot_dims zero = {1, 0, 1, 4};
    assert_int_equal(sciot_add_f32(&p, &a, buf, &zero, buf, &o, out), SCIOT_ERR_SHAPE);
    sciot_dims a2 = {1, 2, 1, 4}, b2 = {1, 3, 1, 4}; /* 2 vs 3 */
    assert_int_equal(sciot_mul_f32(&p, &a2, buf, &b2, buf, &o, out), SCIOT_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_broadcast),
        cmocka_unit_test(test_mobilenet_shapes),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
