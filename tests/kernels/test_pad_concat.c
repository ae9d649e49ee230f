/* test_pad_concat.c — sciot_pad (int8, float and 3-byte elements,
 * asymmetric padding in every dimension, non-zero pad values) and
 * sciot_concat (along each axis of a 4-D tensor with 2-4 inputs, int8 and
 * float) against naive index-by-index references; argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sciot/kernels.h"
#include "f32_test_util.h"

static size_t count(const sciot_dims *d)
{
    return (size_t)d->n * d->h * d->w * d->c;
}

/* ---- pad ------------------------------------------------------------- */

static void pad_case(trng *r, size_t es, const sciot_dims *id, const int32_t before[4],
                     const int32_t after[4])
{
    sciot_dims od = {id->n + before[0] + after[0], id->h + before[1] + after[1],
                     id->w + before[2] + after[2], id->c + before[3] + after[3]};
    size_t ni = count(id), no = count(&od);
    unsigned char *in = malloc(ni * es), *out = malloc(no * es);
    assert_non_null(in); assert_non_null(out);
    for (size_t i = 0; i < ni * es; ++i)
        in[i] = (unsigned char)trng_u32(r);
    unsigned char pv[8];
    for (size_t i = 0; i < es; ++i)
        pv[i] = (unsigned char)trng_u32(r);
    memset(out, 0xA5, no * es);
    assert_int_equal(sciot_pad(es, id, in, before, after, pv, &od, out), SCIOT_OK);
    size_t o = 0;
    for (int b = 0; b < od.n; ++b)
        for (int y = 0; y < od.h; ++y)
            for (int x = 0; x < od.w; ++x)
                for (int c = 0; c < od.c; ++c, ++o) {
                    int ib = b - before[0], iy = y - before[1], ix = x - before[2],
                        ic = c - before[3];
                    const unsigned char *want;
                    if (ib < 0 || ib >= id->n || iy < 0 || iy >= id->h || ix < 0 ||
                        ix >= id->w || ic < 0 || ic >= id->c)
                        want = pv;
                    else
                        want = in + ((((size_t)ib * id->h + iy) * id->w + ix) * id->c + ic) * es;
                    assert_memory_equal(out + o * es, want, es);
                }
    free(in); free(out);
}

static void test_pad_random(void **state)
{
    (void)state;
    trng r = {4242};
    const size_t sizes[] = {1, 4, 3, 2};
    for (int it = 0; it < 400; ++it) {
        size_t es = sizes[it % 4];
        sciot_dims id = {trng_int(&r, 1, 2), trng_int(&r, 1, 6), trng_int(&r, 1, 6),
                         trng_int(&r, 1, 7)};
        int32_t before[4], after[4];
        for (int d = 0; d < 4; ++d) {
            before[d] = trng_int(&r, 0, 3);
            after[d] = trng_int(&r, 0, 3);
        }
        if (it % 5 == 0) { /* MobileNet style: H/W only, asymmetric (0,1) */
            before[0] = after[0] = before[3] = after[3] = 0;
            before[1] = before[2] = 0;
            after[1] = after[2] = 1;
        }
        pad_case(&r, es, &id, before, after);
    }
}

static void test_pad_exact(void **state)
{
    (void)state;
    /* float [1,2,2,1] padded by 1 on top/left, 0 below/right, value -1.5 */
    const float in[4] = {1, 2, 3, 4};
    float out[9];
    const float pv = -1.5f;
    const int32_t before[4] = {0, 1, 1, 0}, after[4] = {0, 0, 0, 0};
    sciot_dims id = {1, 2, 2, 1}, od = {1, 3, 3, 1};
    assert_int_equal(sciot_pad(sizeof(float), &id, in, before, after, &pv, &od, out), SCIOT_OK);
    const float want[9] = {-1.5f, -1.5f, -1.5f, -1.5f, 1, 2, -1.5f, 3, 4};
    assert_memory_equal(out, want, sizeof want);
    /* int8 channel padding with zero point -128 */
    const int8_t in8[4] = {1, 2, 3, 4}; /* [1,1,2,2] */
    int8_t out8[8];
    const int8_t zp = -128;
    const int32_t b8[4] = {0, 0, 0, 1}, a8[4] = {0, 0, 0, 1};
    sciot_dims id8 = {1, 1, 2, 2}, od8 = {1, 1, 2, 4};
    assert_int_equal(sciot_pad(1, &id8, in8, b8, a8, &zp, &od8, out8), SCIOT_OK);
    const int8_t want8[8] = {-128, 1, 2, -128, -128, 3, 4, -128};
    assert_memory_equal(out8, want8, sizeof want8);
    /* no padding at all is a copy */
    const int32_t z[4] = {0, 0, 0, 0};
    assert_int_equal(sciot_pad(1, &id8, in8, z, z, &zp, &id8, out8), SCIOT_OK);
    assert_memory_equal(out8, in8, 4);
}

static void test_pad_invalid(void **state)
{
    (void)state;
    float buf[64] = {0}, out[64];
    const float pv = 0.0f;
    const int32_t b[4] = {0, 1, 1, 0}, a[4] = {0, 1, 1, 0}, neg[4] = {0, -1, 0, 0};
    sciot_dims id = {1, 2, 2, 1}, od = {1, 4, 4, 1}, bad = {1, 4, 3, 1};
    assert_int_equal(sciot_pad(4, &id, buf, b, a, &pv, &od, out), SCIOT_OK);
    assert_int_equal(sciot_pad(0, &id, buf, b, a, &pv, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, NULL, buf, b, a, &pv, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, &id, NULL, b, a, &pv, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, &id, buf, NULL, a, &pv, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, &id, buf, b, a, NULL, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, &id, buf, b, a, &pv, &od, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, &id, buf, neg, a, &pv, &od, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_pad(4, &id, buf, b, a, &pv, &bad, out), SCIOT_ERR_SHAPE);
    sciot_dims zero = {1, 0, 2, 1};
    assert_int_equal(sciot_pad(4, &zero, buf, b, a, &pv, &od, out), SCIOT_ERR_SHAPE);
}

/* ---- concat ---------------------------------------------------------- */

static int32_t dim_at(const sciot_dims *d, int i)
{
    return i == 0 ? d->n : i == 1 ? d->h : i == 2 ? d->w : d->c;
}

static void concat_case(trng *r, size_t es, int axis, int nin)
{
    sciot_dims base = {trng_int(r, 1, 3), trng_int(r, 1, 4), trng_int(r, 1, 4),
                       trng_int(r, 1, 5)};
    sciot_dims d[4];
    unsigned char *bufs[4];
    const void *ptrs[4];
    size_t inner[4];
    int32_t axis_total = 0;
    for (int i = 0; i < nin; ++i) {
        d[i] = base;
        int32_t ext = trng_int(r, 1, 4);
        if (axis == 0) d[i].n = ext;
        else if (axis == 1) d[i].h = ext;
        else if (axis == 2) d[i].w = ext;
        else d[i].c = ext;
        axis_total += ext;
        bufs[i] = malloc(count(&d[i]) * es);
        assert_non_null(bufs[i]);
        for (size_t k = 0; k < count(&d[i]) * es; ++k)
            bufs[i][k] = (unsigned char)trng_u32(r);
        ptrs[i] = bufs[i];
        inner[i] = 1;
        for (int k = axis; k < 4; ++k)
            inner[i] *= (size_t)dim_at(&d[i], k);
    }
    sciot_dims od = base;
    if (axis == 0) od.n = axis_total;
    else if (axis == 1) od.h = axis_total;
    else if (axis == 2) od.w = axis_total;
    else od.c = axis_total;
    size_t outer = 1;
    for (int k = 0; k < axis; ++k)
        outer *= (size_t)dim_at(&base, k);
    unsigned char *out = malloc(count(&od) * es);
    assert_non_null(out);
    assert_int_equal(sciot_concat(es, nin, ptrs, inner, outer, out), SCIOT_OK);
    /* naive: each output coordinate maps to (input, coordinate along axis) */
    size_t o = 0;
    for (int b = 0; b < od.n; ++b)
        for (int y = 0; y < od.h; ++y)
            for (int x = 0; x < od.w; ++x)
                for (int c = 0; c < od.c; ++c, ++o) {
                    int co[4] = {b, y, x, c};
                    int a = co[axis], i = 0;
                    while (a >= dim_at(&d[i], axis)) {
                        a -= dim_at(&d[i], axis);
                        ++i;
                    }
                    co[axis] = a;
                    size_t idx = (((size_t)co[0] * d[i].h + co[1]) * d[i].w + co[2]) * d[i].c +
                                 co[3];
                    assert_memory_equal(out + o * es, bufs[i] + idx * es, es);
                }
    for (int i = 0; i < nin; ++i)
        free(bufs[i]);
    free(out);
}

static void test_concat_random(void **state)
{
    (void)state;
    trng r = {1001};
    for (int it = 0; it < 200; ++it)
        for (int axis = 0; axis < 4; ++axis)
            concat_case(&r, (it & 1) ? sizeof(float) : 1, axis, 2 + it % 3);
}

static void test_concat_exact(void **state)
{
    (void)state;
    /* two [1,1,2,2] floats and one [1,1,2,1] along channels -> [1,1,2,5] */
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c[2] = {9, 10};
    const void *in[3] = {a, b, c};
    const size_t inner[3] = {2, 2, 1};
    float out[10];
    assert_int_equal(sciot_concat(sizeof(float), 3, in, inner, 2, out), SCIOT_OK);
    const float want[10] = {1, 2, 5, 6, 9, 3, 4, 7, 8, 10};
    assert_memory_equal(out, want, sizeof want);
    /* an empty input contributes nothing */
    const size_t inner0[3] = {2, 0, 1};
    assert_int_equal(sciot_concat(sizeof(float), 3, in, inner0, 2, out), SCIOT_OK);
    const float want0[6] = {1, 2, 9, 3, 4, 10};
    assert_memory_equal(out, want0, sizeof want0);
}

static void test_concat_invalid(void **state)
{
    (void)state;
    int8_t a[4] = {0}, out[8];
    const void *in[2] = {a, a}, *in_null[2] = {a, NULL};
    const size_t inner[2] = {2, 2}, huge[2] = {SIZE_MAX / 2, SIZE_MAX / 2};
    assert_int_equal(sciot_concat(1, 2, in, inner, 2, out), SCIOT_OK);
    assert_int_equal(sciot_concat(0, 2, in, inner, 2, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(1, 0, in, inner, 2, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(1, -1, in, inner, 2, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(1, 2, NULL, inner, 2, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(1, 2, in_null, inner, 2, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(1, 2, in, NULL, 2, out), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(1, 2, in, inner, 2, NULL), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_concat(4, 2, in, huge, 1, out), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_concat(1, 2, in, inner, SIZE_MAX / 2, out), SCIOT_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pad_random),
        cmocka_unit_test(test_pad_exact),
        cmocka_unit_test(test_pad_invalid),
        cmocka_unit_test(test_concat_random),
        cmocka_unit_test(test_concat_exact),
        cmocka_unit_test(test_concat_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
