/* test_variance.c — the reference variance detector, ported case by case
 * (docs/DESIGN.md §3): FIFO window, CV with the sample standard deviation,
 * strict threshold, n >= 3, cascading re-test flags, flags reset on read;
 * and what the planner does with the flags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciot/planner.h"

typedef struct {
    sciot_vdet d;
    uint64_t mem[4096];
} det;

static void det_init(det *x, int32_t n_ops, uint16_t window)
{
    assert_true(sciot_vdet_mem_size(n_ops, window) <= sizeof x->mem);
    assert_int_equal(sciot_vdet_init(&x->d, n_ops, window, 0.15, x->mem, sizeof x->mem, NULL), SCIOT_OK);
}

static void window_is_fifo(void **st)
{
    (void)st;
    float buf[3];
    sciot_vwin w;
    sciot_vwin_init(&w, buf, 3);
    for (int i = 0; i < 5; i++)
        sciot_vwin_add(&w, i);
    assert_int_equal(w.n, 3);
    assert_true(sciot_vwin_at(&w, 0) == 2.0);
    assert_true(sciot_vwin_at(&w, 1) == 3.0);
    assert_true(sciot_vwin_at(&w, 2) == 4.0);
}

static void stable_series(void **st)
{
    (void)st;
    float buf[10];
    sciot_vwin w;
    sciot_vwin_init(&w, buf, 10);
    for (int i = 0; i < 10; i++)
        sciot_vwin_add(&w, 19e-6 + (i % 2) * 0.2e-6);
    assert_true(sciot_vwin_is_stable(&w, 0.15));
    assert_false(sciot_vwin_is_unstable(&w, 0.15));
    assert_true(sciot_vwin_stats(&w).cv < 0.15);
}

static void unstable_series(void **st)
{
    (void)st;
    float buf[10];
    sciot_vwin w;
    sciot_vwin_init(&w, buf, 10);
    for (int i = 0; i < 10; i++)
        sciot_vwin_add(&w, 100e-6 * (1 + 0.1 * i));
    sciot_vstats s = sciot_vwin_stats(&w);
    assert_true(fabs(s.cv - 0.209) < 0.001); /* sample stdev (n - 1) */
    assert_true(sciot_vwin_is_unstable(&w, 0.15));
    assert_false(sciot_vwin_is_stable(&w, 0.15));
}

static void one_sample_and_threshold(void **st)
{
    (void)st;
    float buf[10];
    sciot_vwin w;
    sciot_vwin_init(&w, buf, 10);
    sciot_vwin_add(&w, 42e-6);
    sciot_vstats s = sciot_vwin_stats(&w);
    assert_int_equal(s.n, 1);
    assert_true(s.stdev == 0 && s.cv == 0);
    assert_true(fabs(s.mean - 42e-6) < 1e-12);
    /* below 3 samples: neither stable nor unstable */
    assert_false(sciot_vwin_is_stable(&w, 0.15));
    assert_false(sciot_vwin_is_unstable(&w, 0.15));
    sciot_vwin_add(&w, 1.0);
    assert_false(sciot_vwin_is_unstable(&w, 0.15));
    /* strict: CV exactly at the threshold is stable. {1, 1, 1 + d} has CV
     * d / (sqrt(3) (1 + d/3)); CV of {0.85, 1, 1.15} is exactly 0.15 */
    sciot_vwin_clear(&w);
    sciot_vwin_add(&w, 0.75);
    sciot_vwin_add(&w, 1.0);
    sciot_vwin_add(&w, 1.25);
    double cv = sciot_vwin_stats(&w).cv; /* 0.25 */
    assert_true(fabs(cv - 0.25) < 1e-6);
    assert_true(sciot_vwin_is_stable(&w, 0.25 + 1e-6));
    assert_false(sciot_vwin_is_unstable(&w, 0.25 + 1e-6));
    assert_true(sciot_vwin_is_unstable(&w, 0.25 - 1e-6));
}

static void device_layer0_step_flags_retest(void **st)
{
    (void)st;
    det x;
    det_init(&x, 4, 10);
    for (int i = 0; i < 5; i++)
        sciot_vdet_add(&x.d, 0, 19e-6);
    assert_false(sciot_vdet_flagged(&x.d, 0));
    for (int i = 0; i < 5; i++)
        sciot_vdet_add(&x.d, 0, 38e-6);
    assert_true(sciot_vwin_is_unstable(sciot_vdet_window(&x.d, 0), 0.15));
    assert_true(sciot_vdet_flagged(&x.d, 0));
    assert_true(sciot_vdet_flagged(&x.d, 1));
    assert_false(sciot_vdet_flagged(&x.d, 2));
}

static void edge_layer0_series_flags(void **st)
{
    (void)st;
    det x;
    det_init(&x, 4, 10);
    for (int i = 0; i < 10; i++)
        sciot_vdet_add(&x.d, 0, 450e-6 * (1 + 0.1 * i));
    assert_true(sciot_vdet_flagged(&x.d, 0));
    uint8_t f[4];
    assert_int_equal(sciot_vdet_take(&x.d, f), 2);
    assert_int_equal(f[0], 1);
    assert_int_equal(f[1], 1);
    assert_int_equal(f[2], 0);
}

static void make_unstable(det *x, int32_t op)
{
    for (int i = 0; i < 10; i++)
        sciot_vdet_add(&x->d, op, 100e-6 * (1 + 0.1 * i));
}

static void make_stable(det *x, int32_t op)
{
    for (int i = 0; i < 10; i++)
        sciot_vdet_add(&x->d, op, 19e-6 + (i % 2) * 0.2e-6);
}

static void cascades(void **st)
{
    (void)st;
    det x;
    uint8_t f[10];
    det_init(&x, 10, 10);
    make_unstable(&x, 5);
    assert_int_equal(sciot_vdet_take(&x.d, f), 2);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f[i], i == 5 || i == 6);

    det_init(&x, 10, 10);
    make_unstable(&x, 2);
    make_unstable(&x, 5);
    make_unstable(&x, 8);
    assert_int_equal(sciot_vdet_take(&x.d, f), 6);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f[i], i == 2 || i == 3 || i == 5 || i == 6 || i == 8 || i == 9);

    /* never beyond the last operator */
    det_init(&x, 10, 10);
    make_unstable(&x, 9);
    assert_int_equal(sciot_vdet_take(&x.d, f), 1);
    assert_int_equal(f[9], 1);

    /* stable operators flag nothing */
    det_init(&x, 10, 10);
    for (int op = 0; op < 10; op++)
        make_stable(&x, op);
    assert_int_equal(sciot_vdet_take(&x.d, f), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f[i], 0);
}

static void flag_resets_after_read(void **st)
{
    (void)st;
    det x;
    det_init(&x, 4, 10);
    make_unstable(&x, 1);
    assert_true(sciot_vdet_take(&x.d, NULL) > 0);
    assert_int_equal(sciot_vdet_take(&x.d, NULL), 0);
    assert_false(sciot_vdet_flagged(&x.d, 1));
    /* still unstable: no new flag until it has been stable again */
    sciot_vdet_add(&x.d, 1, 300e-6);
    assert_int_equal(sciot_vdet_take(&x.d, NULL), 0);
    make_stable(&x, 1);
    make_unstable(&x, 1);
    assert_int_equal(sciot_vdet_take(&x.d, NULL), 2);
}

static void vdet_rejects_bad_memory(void **st)
{
    (void)st;
    sciot_vdet d;
    uint64_t mem[8];
    sciot_error err = {0};
    assert_int_equal(sciot_vdet_init(&d, 100, 10, 0.15, mem, sizeof mem, &err), SCIOT_ERR_NO_MEMORY);
    assert_non_null(strstr(err.msg, "bytes"));
    assert_int_equal(sciot_vdet_init(&d, 4, 0, 0.15, mem, sizeof mem, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "window"));
}

/* ---- what the planner does with the flags ---- */

typedef struct {
    sciot_planner p;
    uint64_t mem[8192];
    float dev[8], edge[8];
} planner_box;

static void box_init(planner_box *b, const sciot_planner_config *c, int32_t n)
{
    double cut[9] = {1000, 800, 600, 400, 200, 100, 50, 20, 10};
    assert_true(sciot_planner_mem_size(n, c) <= sizeof b->mem);
    assert_int_equal(sciot_planner_init(&b->p, c, n, cut, b->mem, sizeof b->mem, NULL), SCIOT_OK);
    for (int i = 0; i < n; i++) {
        b->dev[i] = 1000;
        b->edge[i] = 10;
    }
    sciot_planner_observe_edge_profile(&b->p, 0, n, b->edge, NULL);
    sciot_planner_take_edge_reprofile(&b->p, NULL);
}

/* one offloaded request at split k with the given times */
static void offload(planner_box *b, int32_t k)
{
    sciot_observation o = {.split = k, .device_us = b->dev, .n_device = k, .edge_us = b->edge + k,
                           .has_network = true, .bytes_sent = 400, .net_us = 5000, .edge_queue_us = -1};
    assert_int_equal(sciot_planner_observe(&b->p, &o, NULL), SCIOT_OK);
}

static void local_run(planner_box *b, int32_t n)
{
    sciot_observation o = {.split = n, .device_us = b->dev, .n_device = n, .edge_queue_us = -1};
    assert_int_equal(sciot_planner_observe(&b->p, &o, NULL), SCIOT_OK);
}

static void device_flag_forces_full_local_run(void **st)
{
    (void)st;
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    c.adaptive_explore = false;
    planner_box b;
    box_init(&b, &c, 8);
    b.dev[0] = 19;
    sciot_decision d;
    for (int i = 0; i < 5; i++) {
        sciot_planner_decide(&b.p, &d);
        if (i == 0) {
            assert_int_equal(d.reason, SCIOT_WHY_COLD_START);
            local_run(&b, 8); /* 19 us on operator 0 */
        } else {
            offload(&b, 3);
        }
    }
    sciot_planner_decide(&b.p, &d);
    assert_int_not_equal(d.reason, SCIOT_WHY_RETEST);
    for (int i = 0; i < 5; i++) {
        b.dev[0] = 38;
        offload(&b, 3);
    }
    /* 5 x 19 then 5 x 38 on device operator 0: the next decision re-tests */
    sciot_planner_decide(&b.p, &d);
    assert_int_equal(d.reason, SCIOT_WHY_RETEST);
    assert_int_equal(d.split, 8);
    assert_false(d.run_edge);
    /* the flag was read: the decision after is a normal one */
    local_run(&b, 8);
    sciot_planner_decide(&b.p, &d);
    assert_int_not_equal(d.reason, SCIOT_WHY_RETEST);
}

static void edge_flag_asks_for_reprofile(void **st)
{
    (void)st;
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    planner_box b;
    box_init(&b, &c, 8);
    assert_int_equal(sciot_planner_take_edge_reprofile(&b.p, NULL), 0);
    for (int i = 0; i < 10; i++) {
        b.edge[0] = (float)(450 * (1 + 0.1 * i));
        offload(&b, 0);
    }
    uint8_t f[8];
    assert_int_equal(sciot_planner_take_edge_reprofile(&b.p, f), 2);
    assert_int_equal(f[0], 1);
    assert_int_equal(f[1], 1);
    assert_int_equal(f[2], 0);
    /* read and cleared */
    assert_int_equal(sciot_planner_take_edge_reprofile(&b.p, f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_is_fifo),
        cmocka_unit_test(stable_series),
        cmocka_unit_test(unstable_series),
        cmocka_unit_test(one_sample_and_threshold),
        cmocka_unit_test(device_layer0_step_flags_retest),
        cmocka_unit_test(edge_layer0_series_flags),
        cmocka_unit_test(cascades),
        cmocka_unit_test(flag_resets_after_read),
        cmocka_unit_test(vdet_rejects_bad_memory),
        cmocka_unit_test(device_flag_forces_full_local_run),
        cmocka_unit_test(edge_flag_asks_for_reprofile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
