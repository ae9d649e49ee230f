/* test_decision.c — the reference local-inference mode (seedable, no global
 * state), split numbering (-1 = run every operator locally), and the
 * planner-level properties of a decision: a full local run has no edge
 * part, an unreachable edge means local runs until a report gets through,
 * near-ties do not flap, memory is the caller's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sciot/planner.h"

static int draws(bool enabled, double p, uint64_t seed, int n)
{
    sciot_local_mode m = {enabled, p};
    sciot_rng r;
    sciot_rng_seed(&r, seed);
    int forced = 0;
    for (int i = 0; i < n; i++)
        forced += sciot_local_mode_draw(&m, &r);
    return forced;
}

static void local_mode_probabilities(void **st)
{
    (void)st;
    assert_int_equal(draws(false, 0.5, 1, 1000), 0);
    assert_int_equal(draws(true, 0.0, 1, 1000), 0);
    assert_int_equal(draws(true, 1.0, 1, 1000), 1000);
    int f = draws(true, 0.3, 42, 1000);
    assert_in_range(f, 250, 350);
    /* seedable: the same seed gives the same sequence */
    assert_int_equal(draws(true, 0.3, 42, 1000), f);
    assert_int_equal(draws(true, 0.1, 7, 1000), draws(true, 0.1, 7, 1000));
    /* disabled draws nothing from the generator */
    sciot_rng a, b;
    sciot_rng_seed(&a, 9);
    sciot_rng_seed(&b, 9);
    sciot_local_mode off = {false, 0.5};
    sciot_local_mode_draw(&off, &a);
    assert_true(sciot_rng_next(&a) == sciot_rng_next(&b));
}

static void layer_index_mapping(void **st)
{
    (void)st;
    /* -1 means run every operator locally */
    assert_int_equal(sciot_split_from_layer_index(-1, 31), 31);
    assert_int_equal(sciot_split_from_layer_index(0, 31), 1);
    assert_int_equal(sciot_split_from_layer_index(30, 31), 31);
    assert_int_equal(sciot_split_from_layer_index(31, 31), -1);
    assert_int_equal(sciot_split_from_layer_index(-2, 31), -1);
    int32_t first, count;
    sciot_split_edge_ops(31, 31, &first, &count);
    assert_int_equal(count, 0); /* full local run: the edge runs nothing */
    sciot_split_edge_ops(0, 31, &first, &count);
    assert_int_equal(first, 0);
    assert_int_equal(count, 31);
    sciot_split_edge_ops(12, 31, &first, &count);
    assert_int_equal(first, 12);
    assert_int_equal(count, 19);
}

typedef struct {
    sciot_planner p;
    uint64_t mem[8192];
    float dev[8], edge[8];
    int32_t n;
} box;

static void box_init(box *b, sciot_planner_config *c, int32_t n)
{
    double cut[9] = {40000, 30000, 20000, 8000, 4000, 2000, 1000, 500, 100};
    b->n = n;
    assert_int_equal(sciot_planner_init(&b->p, c, n, cut, b->mem, sizeof b->mem, NULL), SCIOT_OK);
    for (int i = 0; i < n; i++) {
        b->dev[i] = 10000;
        b->edge[i] = 50;
    }
    sciot_planner_observe_edge_profile(&b->p, 0, n, b->edge, NULL);
    sciot_planner_take_edge_reprofile(&b->p, NULL);
}

/* run decision d in a world with RTT 10 ms and 1 MB/s, edge up or down */
static void run(box *b, const sciot_decision *d, bool edge_down)
{
    sciot_observation o = {.split = d->split, .device_us = b->dev, .edge_queue_us = -1};
    int32_t n = b->n;
    if (edge_down) {
        o.n_device = n;
        o.edge_unreachable = true;
    } else if (d->split < n) {
        double bytes = b->p.up_bytes[d->split];
        o.n_device = d->split;
        o.edge_us = b->edge + d->split;
        o.has_network = true;
        o.bytes_sent = bytes;
        o.net_us = 10000 + bytes;
    } else {
        o.n_device = n;
        o.has_network = true;
        o.bytes_sent = 100 + d->probe_bytes;
        o.net_us = 10000 + o.bytes_sent;
    }
    assert_int_equal(sciot_planner_observe(&b->p, &o, NULL), SCIOT_OK);
}

static void full_local_run_has_no_edge_part(void **st)
{
    (void)st;
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    c.local_mode.enabled = true;
    c.local_mode.probability = 1.0;
    box b;
    box_init(&b, &c, 8);
    sciot_decision d;
    for (int i = 0; i < 20; i++) {
        sciot_planner_decide(&b.p, &d);
        assert_int_equal(d.split, 8);
        assert_false(d.run_edge); /* the edge skips tail inference */
        assert_true(d.reason == SCIOT_WHY_LOCAL_MODE || d.reason == SCIOT_WHY_COLD_START);
        run(&b, &d, false);
    }
    /* p = 0: never forced */
    c.local_mode.probability = 0.0;
    box_init(&b, &c, 8);
    for (int i = 0; i < 50; i++) {
        sciot_planner_decide(&b.p, &d);
        assert_int_not_equal(d.reason, SCIOT_WHY_LOCAL_MODE);
        run(&b, &d, false);
    }
}

static void cold_start_then_best(void **st)
{
    (void)st;
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    c.adaptive_explore = false;
    box b;
    box_init(&b, &c, 8);
    sciot_decision d;
    sciot_planner_decide(&b.p, &d);
    assert_int_equal(d.reason, SCIOT_WHY_COLD_START);
    assert_true(d.forced);
    assert_int_equal(d.split, 8);
    run(&b, &d, false);
    /* the world: 8 x 10 ms on the device, 10 ms RTT, 1 us/byte: the best k
     * balances device prefix and cut bytes. Let the network settle. */
    for (int i = 0; i < 60; i++) {
        sciot_planner_decide(&b.p, &d);
        run(&b, &d, false);
    }
    double cost[9];
    int32_t best;
    double dev[8], edge[8], up[9];
    for (int i = 0; i < 8; i++) {
        dev[i] = 10000;
        edge[i] = 50;
    }
    memcpy(up, b.p.up_bytes, sizeof up);
    sciot_cost_input in = {.n_ops = 8, .device_us = dev, .edge_us = edge, .up_bytes = up, .rtt_us = 10000,
                           .bytes_per_s = 1e6};
    assert_int_equal(sciot_cost_eval(&in, cost, &best, NULL), SCIOT_OK);
    sciot_planner_decide(&b.p, &d);
    assert_true(cost[d.split] <= cost[best] * 1.02);
    assert_true(fabs(sciot_netest_rtt_us(&b.p.net) - 10000) < 500);
}

static void edge_down_runs_locally_and_recovers(void **st)
{
    (void)st;
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    box b;
    box_init(&b, &c, 8);
    sciot_decision d;
    for (int i = 0; i < 30; i++) {
        sciot_planner_decide(&b.p, &d);
        run(&b, &d, false);
    }
    int32_t before = b.p.current;
    assert_true(before < 8);
    /* the edge goes away: the request in flight falls back, every later
     * decision is local (not forced: the planner's choice) */
    sciot_planner_decide(&b.p, &d);
    run(&b, &d, true);
    for (int i = 0; i < 10; i++) {
        sciot_planner_decide(&b.p, &d);
        assert_int_equal(d.split, 8);
        assert_int_equal(d.reason, SCIOT_WHY_EDGE_DOWN);
        assert_false(d.forced);
        run(&b, &d, true);
    }
    /* back: the next local run's report gets through, then offloading */
    sciot_planner_decide(&b.p, &d);
    assert_int_equal(d.split, 8);
    run(&b, &d, false);
    sciot_planner_decide(&b.p, &d);
    assert_int_equal(d.split, before);
}

static void near_ties_do_not_flap(void **st)
{
    (void)st;
    /* two splits with the same expected cost and noisy times: the planner
     * keeps one of them */
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    c.adaptive_explore = false;
    box b;
    box_init(&b, &c, 8);
    sciot_rng r;
    sciot_rng_seed(&r, 5);
    sciot_decision d;
    int changes = 0, prev = -1;
    for (int i = 0; i < 400; i++) {
        sciot_planner_decide(&b.p, &d);
        for (int j = 0; j < 8; j++) {
            b.dev[j] = (float)(2000 * (1 + 0.03 * sciot_rng_normal(&r)));
            b.edge[j] = (float)(50 * (1 + 0.03 * sciot_rng_normal(&r)));
        }
        run(&b, &d, false);
        if (i > 20 && prev >= 0 && d.split != prev && !d.forced)
            changes++;
        prev = d.split;
    }
    assert_true(changes <= 4);
}

static void memory_is_the_callers(void **st)
{
    (void)st;
    sciot_planner_config c;
    sciot_planner_config_default(&c);
    size_t need = sciot_planner_mem_size(59, &c);
    assert_true(need > 0 && need < 16384); /* 59 operators, window 10 */
    static uint64_t mem[2048];
    sciot_planner p;
    double cut[60] = {0};
    sciot_error err = {0};
    assert_int_equal(sciot_planner_init(&p, &c, 59, cut, mem, need - 8, &err), SCIOT_ERR_NO_MEMORY);
    assert_non_null(strstr(err.msg, "59 operators"));
    assert_int_equal(sciot_planner_init(&p, &c, 59, cut, mem, need, &err), SCIOT_OK);
    cut[3] = -1;
    assert_int_equal(sciot_planner_init(&p, &c, 59, cut, mem, need, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "cut_bytes[3]"));
    c.alpha = 0;
    assert_int_equal(sciot_planner_init(&p, &c, 59, cut, mem, need, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "alpha"));
    sciot_planner_config_default(&c);
    c.objective = SCIOT_OBJ_ENERGY;
    assert_int_equal(sciot_planner_init(&p, &c, 59, cut, mem, need, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "power"));
    /* observations are checked */
    sciot_planner_config_default(&c);
    cut[3] = 0;
    assert_int_equal(sciot_planner_init(&p, &c, 59, cut, mem, need, &err), SCIOT_OK);
    sciot_observation o = {.split = 60};
    assert_int_equal(sciot_planner_observe(&p, &o, &err), SCIOT_ERR_SPLIT_RANGE);
    assert_non_null(strstr(err.msg, "split 60"));
}

static void ema_semantics(void **st)
{
    (void)st;
    sciot_ema e = {0};
    sciot_ema_add(&e, 10, 0.2);
    assert_true(e.value == 10); /* first sample sets */
    sciot_ema_add(&e, 20, 0.2);
    assert_true(fabs(e.value - 12) < 1e-12);
    sciot_ema_relearn(&e);
    sciot_ema_add(&e, 40, 0.2);
    assert_true(e.value == 40); /* first sample after a change replaces */
    sciot_ema_add(&e, 20, 0.2);
    assert_true(fabs(e.value - 30) < 1e-12); /* then the mean */
    for (int i = 0; i < 10; i++)
        sciot_ema_add(&e, 30, 0.2);
    sciot_ema_add(&e, 40, 0.2);
    assert_true(fabs(e.value - 32) < 0.01); /* back to alpha */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(local_mode_probabilities),
        cmocka_unit_test(layer_index_mapping),
        cmocka_unit_test(full_local_run_has_no_edge_part),
        cmocka_unit_test(cold_start_then_best),
        cmocka_unit_test(edge_down_runs_locally_and_recovers),
        cmocka_unit_test(near_ties_do_not_flap),
        cmocka_unit_test(memory_is_the_callers),
        cmocka_unit_test(ema_semantics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
