/* planner.c — the per-device planner (see sciot/planner.h, part 7).
 *
 * The planner is a small state machine fed by two calls: decide() before a
 * request and observe() after it. Everything it knows comes from
 * observations (what the device and the edge measured), so the same code
 * can run on the edge for each device or on the device itself. The costs of
 * the last decision stay in the state for inspection (dashboard, tests). */
#include <math.h>
#include <string.h>

#include "sciot/planner.h"

#define NEVER UINT32_MAX

static const char *const reason_names[] = {"best", "hold", "edge_down", "cold_start", "retest", "local_mode",
                                           "explore"};

const char *sciot_decision_reason_name(sciot_decision_reason r)
{
    return (unsigned)r <= SCIOT_WHY_EXPLORE ? reason_names[r] : "?";
}

void sciot_planner_config_default(sciot_planner_config *c)
{
    memset(c, 0, sizeof *c);
    c->objective = SCIOT_OBJ_LATENCY;
    c->weights.latency = 1;
    c->alpha = 0.2;
    c->var_window = SCIOT_VAR_WINDOW_DEFAULT;
    c->var_threshold = SCIOT_VAR_THRESHOLD_DEFAULT;
    c->local_mode.enabled = false;
    c->local_mode.probability = 0.1;
    c->seed = 1;
    c->adaptive_explore = true;
    c->explore_budget = 0.01;
    c->explore_gain = 0.05;
    c->explore_drift = 0.0025;
    c->explore_max = 3.0;
    c->stale_factor = 0.5;
    c->explore_boost = 0.5;
    c->hysteresis = 0.02;
    c->explore_repeat = 10;
    c->explore_gap = 4;
    c->probe_every = 4;
    c->scale_shift = 1.25;
    c->prior_rtt_us = 20000;
    c->prior_bytes_per_s = 1e6;
    c->reply_bytes = 0;
    sciot_netest_config_default(&c->net);
    sciot_cdet_config_default(&c->cdet);
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

size_t sciot_planner_mem_size(int32_t n_ops, const sciot_planner_config *c)
{
    if (n_ops < 1 || !c)
        return 0;
    size_t n = (size_t)n_ops;
    return 2 * align8(n * sizeof(sciot_ema)) + 2 * align8(n * sizeof(uint32_t)) +
           3 * align8((n + 1) * sizeof(double)) + 2 * align8(n * sizeof(double)) + align8(n) +
           2 * sciot_vdet_mem_size(n_ops, c->var_window);
}

static void *take(uint8_t **p, size_t bytes)
{
    void *r = *p;
    *p += align8(bytes);
    return r;
}

sciot_status sciot_planner_init(sciot_planner *p, const sciot_planner_config *c, int32_t n_ops,
                                const double *cut_bytes, void *mem, size_t mem_len, sciot_error *err)
{
    if (!p || !c)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: NULL planner or config");
    if (n_ops < 1)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: n_ops %d must be >= 1", (int)n_ops);
    if (!(c->alpha > 0 && c->alpha <= 1))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: alpha %g not in (0, 1]", c->alpha);
    if (c->local_mode.enabled && !(c->local_mode.probability >= 0 && c->local_mode.probability <= 1))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: local mode probability %g not in [0, 1]",
                          c->local_mode.probability);
    if (!(c->hysteresis >= 0 && c->hysteresis < 1))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: hysteresis %g not in [0, 1)", c->hysteresis);
    bool uses_energy = c->objective == SCIOT_OBJ_ENERGY || (c->objective == SCIOT_OBJ_WEIGHTED && c->weights.energy > 0);
    if (uses_energy && !(c->power.cpu > 0 || c->power.tx > 0 || c->power.idle > 0))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: objective %s needs power.cpu, power.tx or power.idle > 0",
                          sciot_objective_name(c->objective));
    if ((unsigned)c->objective > SCIOT_OBJ_WEIGHTED)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: objective %d unknown", (int)c->objective);
    size_t need = sciot_planner_mem_size(n_ops, c);
    if (!mem || mem_len < need || ((uintptr_t)mem & 7u))
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "planner: needs %zu bytes of 8-aligned memory for %d operators, got %zu",
                          need, (int)n_ops, mem ? mem_len : 0);
    if (!cut_bytes)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: cut_bytes missing");
    for (int32_t k = 0; k <= n_ops; k++)
        if (!(cut_bytes[k] >= 0) || !isfinite(cut_bytes[k]))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner: cut_bytes[%d] = %g is not a size >= 0", (int)k,
                              cut_bytes[k]);
    memset(p, 0, sizeof *p);
    memset(mem, 0, need);
    p->cfg = *c;
    p->n_ops = n_ops;
    size_t n = (size_t)n_ops;
    uint8_t *m = mem;
    p->dev = take(&m, n * sizeof(sciot_ema));
    p->edge = take(&m, n * sizeof(sciot_ema));
    p->dev_seen = take(&m, n * sizeof(uint32_t));
    p->edge_seen = take(&m, n * sizeof(uint32_t));
    p->up_bytes = take(&m, (n + 1) * sizeof(double));
    p->cost = take(&m, (n + 1) * sizeof(double));
    p->lat = take(&m, (n + 1) * sizeof(double));
    p->dev_est = take(&m, n * sizeof(double));
    p->edge_est = take(&m, n * sizeof(double));
    p->reprofile = take(&m, n);
    size_t vsz = sciot_vdet_mem_size(n_ops, c->var_window);
    sciot_status st = sciot_vdet_init(&p->vdev, n_ops, c->var_window, c->var_threshold, m, vsz, err);
    if (st)
        return st;
    m += vsz;
    st = sciot_vdet_init(&p->vedge, n_ops, c->var_window, c->var_threshold, m, vsz, err);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        p->dev_seen[i] = p->edge_seen[i] = NEVER;
        p->reprofile[i] = 1; /* the edge has not profiled itself yet */
    }
    p->n_reprofile = n_ops;
    memcpy(p->up_bytes, cut_bytes, (n + 1) * sizeof(double));
    sciot_netest_init(&p->net, &c->net, c->prior_rtt_us, c->prior_bytes_per_s);
    sciot_cdet_init(&p->cdet, &c->cdet);
    sciot_rng_seed(&p->rng, c->seed);
    p->current = -1;
    p->last_explored = -1;
    return SCIOT_OK;
}

void sciot_planner_set_device_profile(sciot_planner *p, const double *us)
{
    for (int32_t i = 0; i < p->n_ops; i++) {
        if (!(us[i] >= 0))
            continue;
        if (p->dev[i].n == 0)
            p->dev_known++;
        sciot_ema_add(&p->dev[i], us[i], p->cfg.alpha);
        p->dev_seen[i] = p->now;
    }
}

static void add_edge(sciot_planner *p, int32_t i, double t)
{
    sciot_ema_add(&p->edge[i], t, p->cfg.alpha);
    sciot_vdet_add(&p->vedge, i, t);
    p->edge_seen[i] = p->now;
}

sciot_status sciot_planner_observe_edge_profile(sciot_planner *p, int32_t first, int32_t n, const float *us,
                                                sciot_error *err)
{
    if (first < 0 || n < 0 || first + n > p->n_ops || (n && !us))
        return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE, "edge profile: ops [%d, %d) outside [0, %d)", (int)first,
                          (int)(first + n), (int)p->n_ops);
    for (int32_t i = 0; i < n; i++)
        if (us[i] >= 0 && isfinite(us[i]))
            add_edge(p, first + i, us[i]);
    return SCIOT_OK;
}

/* ---- cost of every k from the current estimates ------------------------ */

static double conv_factor(const sciot_planner_config *c)
{
    double pmax = fmax(c->power.cpu, fmax(c->power.tx, c->power.idle));
    switch (c->objective) {
    case SCIOT_OBJ_LATENCY: return 1e-3;
    case SCIOT_OBJ_ENERGY: return pmax * 1e-3;
    case SCIOT_OBJ_BYTES: return 0;
    default: return (c->weights.latency + c->weights.energy * pmax) * 1e-3;
    }
}

static void estimate_costs(sciot_planner *p)
{
    int32_t n = p->n_ops;
    for (int32_t i = 0; i < n; i++) {
        p->dev_est[i] = p->dev[i].n ? p->dev[i].value : 0;
        p->edge_est[i] = p->edge[i].n ? p->edge[i].value : 0;
        if (p->dev_est[i] < 0)
            p->dev_est[i] = 0;
        if (p->edge_est[i] < 0)
            p->edge_est[i] = 0;
    }
    sciot_cost_input in = {
        .n_ops = n,
        .device_us = p->dev_est,
        .edge_us = p->edge_est,
        .up_bytes = p->up_bytes,
        .reply_bytes = p->cfg.reply_bytes,
        .rtt_us = sciot_netest_rtt_us(&p->net),
        .bytes_per_s = sciot_netest_bandwidth(&p->net),
        .edge_queue_us = p->edge_queue_us,
        .objective = p->cfg.objective,
        .power = p->cfg.power,
        .weights = p->cfg.weights,
    };
    if (sciot_cost_eval(&in, p->cost, NULL, NULL) != SCIOT_OK) {
        for (int32_t k = 0; k <= n; k++)
            p->cost[k] = k == n ? 0 : INFINITY;
    }
    in.objective = SCIOT_OBJ_LATENCY;
    if (sciot_cost_eval(&in, p->lat, NULL, NULL) == SCIOT_OK)
        for (int32_t k = 0; k <= n; k++)
            p->lat[k] *= 1000.0; /* ms -> us */
}

/* Staleness factor of an operator last measured at `seen`. */
static double staleness(const sciot_planner *p, uint32_t seen)
{
    const sciot_planner_config *c = &p->cfg;
    if (seen == NEVER)
        return c->explore_max;
    double f = c->explore_drift * (double)(p->now - seen);
    if (f > c->explore_max)
        f = c->explore_max;
    if (p->change_at && seen < p->change_at && f < c->stale_factor)
        f = c->stale_factor;
    return f;
}

/* Uncertainty of cost(k) - cost(cur), objective units. */
static double uncertainty(const sciot_planner *p, int32_t k, int32_t cur)
{
    int32_t n = p->n_ops, lo = k < cur ? k : cur, hi = k < cur ? cur : k;
    double us = 0;
    for (int32_t i = lo; i < hi; i++)
        us += p->dev_est[i] * staleness(p, p->dev_seen[i]) + p->edge_est[i] * staleness(p, p->edge_seen[i]);
    double xk = p->up_bytes[k < n ? k : 0] + p->cfg.reply_bytes;
    double xc = p->up_bytes[cur < n ? cur : 0] + p->cfg.reply_bytes;
    if (k < n && cur < n)
        us += 2 * sciot_netest_diff_stdev_us(&p->net, xk, xc);
    else if (k < n)
        us += 2 * sciot_netest_diff_stdev_us(&p->net, xk, -1);
    else if (cur < n)
        us += 2 * sciot_netest_diff_stdev_us(&p->net, xc, -1);
    return us * conv_factor(&p->cfg);
}

/* Spend the exploration budget on a run of k instead of sel. Forced runs
 * (re-tests, local mode) empty it but do not borrow: a mandated local run
 * that costs a hundred requests' worth of budget must not silence the
 * exploration for a hundred requests. */
static void charge(sciot_planner *p, int32_t k, int32_t sel)
{
    double d = p->cost[k] - p->cost[sel];
    if (isfinite(d) && d > 0)
        p->budget -= d;
    if (p->budget < 0)
        p->budget = 0;
}

static void fill(sciot_planner *p, sciot_decision *d, int32_t k, sciot_decision_reason why, bool forced,
                 int32_t best)
{
    d->split = k;
    d->run_edge = k < p->n_ops;
    d->forced = forced;
    d->reason = why;
    d->cost = p->cost[k];
    d->latency_us = p->lat[k];
    d->best = best;
    d->probe_bytes = 0;
    if (forced && k == p->n_ops)
        p->n_forced_local++;
}

/* A local run: ask for a padded report when the link could matter. */
static void maybe_probe(sciot_planner *p, sciot_decision *d)
{
    const sciot_planner_config *c = &p->cfg;
    int32_t n = p->n_ops;
    if (d->split != n || !c->probe_every || c->objective != SCIOT_OBJ_LATENCY ||
        (p->now - p->last_probe_at < c->probe_every && !p->probe_again))
        return;
    int32_t ko = sciot_cost_argmin(p->cost, n - 1);
    if (ko < 0)
        return;
    /* the cost of ko with an infinitely fast link */
    double t = sciot_netest_rtt_us(&p->net) + p->edge_queue_us;
    for (int32_t i = 0; i < n; i++)
        t += i < ko ? p->dev_est[i] : p->edge_est[i];
    if (t / 1000.0 >= p->cost[n] * (1 - c->hysteresis))
        return;
    d->probe_bytes = p->up_bytes[ko];
    p->last_probe_at = p->now;
    p->n_probes++;
}

sciot_status sciot_planner_decide(sciot_planner *p, sciot_decision *d)
{
    const sciot_planner_config *c = &p->cfg;
    int32_t n = p->n_ops;
    estimate_costs(p);
    if (p->edge_down) {
        p->device_retest = false; /* the local run re-measures everything */
        sciot_vdet_take(&p->vdev, NULL);
        fill(p, d, n, SCIOT_WHY_EDGE_DOWN, false, n);
        return SCIOT_OK;
    }
    if (p->dev_known < n) {
        fill(p, d, n, SCIOT_WHY_COLD_START, true, n);
        return SCIOT_OK;
    }
    int32_t best = sciot_cost_argmin(p->cost, n);
    int32_t sel = p->current;
    sciot_decision_reason why = SCIOT_WHY_BEST;
    /* no hysteresis for `explore_repeat` requests after a detected change:
     * the current split has no claim to keep while the world re-settles */
    double h = p->change_at && p->now - p->change_at < c->explore_repeat ? 0 : c->hysteresis;
    if (sel < 0 || sel > n || !isfinite(p->cost[sel]) || p->cost[best] < p->cost[sel] * (1 - h))
        sel = best;
    else if (sel != best)
        why = SCIOT_WHY_HOLD;
    p->current = sel;
    /* the exploration budget earns a share of the current cost */
    double cap = 0;
    for (int32_t k = 0; k <= n; k++) {
        double dlt = p->cost[k] - p->cost[sel];
        if (isfinite(dlt) && dlt > cap)
            cap = dlt;
    }
    p->max_delta = cap;
    p->budget += c->explore_budget * p->cost[sel];
    if (p->budget > cap)
        p->budget = cap;

    if (p->device_retest) {
        p->device_retest = false;
        sciot_vdet_take(&p->vdev, NULL);
        p->n_retest++;
        charge(p, n, sel);
        fill(p, d, n, SCIOT_WHY_RETEST, sel != n, sel);
        return SCIOT_OK;
    }
    if (sciot_local_mode_draw(&c->local_mode, &p->rng)) {
        charge(p, n, sel);
        fill(p, d, n, SCIOT_WHY_LOCAL_MODE, sel != n, sel);
        return SCIOT_OK;
    }
    bool gap_ok = p->last_explored < 0 || p->now - p->last_explored_at >= c->explore_gap;
    if (c->adaptive_explore && c->objective != SCIOT_OBJ_BYTES && gap_ok) {
        /* the cheapest plausible candidate: cheap probes come first, and
         * with the side-wide rescale one cheap probe of the device (or the
         * edge) tells whether the whole side changed */
        int32_t ke = -1;
        double bar = p->cost[sel] * (1 - fmax(c->hysteresis, c->explore_gain));
        for (int32_t k = 0; k <= n; k++) {
            if (k == sel || !isfinite(p->cost[k]) || p->cost[k] - p->cost[sel] > p->budget)
                continue;
            if (k == p->last_explored && p->now - p->last_explored_at < c->explore_repeat)
                continue;
            if (p->cost[k] - uncertainty(p, k, sel) < bar && (ke < 0 || p->cost[k] < p->cost[ke]))
                ke = k;
        }
        if (ke >= 0) {
            charge(p, ke, sel);
            p->n_explore++;
            p->last_explored = ke;
            p->last_explored_at = p->now;
            fill(p, d, ke, SCIOT_WHY_EXPLORE, true, sel);
            return SCIOT_OK;
        }
    }
    fill(p, d, sel, why, false, sel);
    maybe_probe(p, d);
    return SCIOT_OK;
}

/* ---- observations ------------------------------------------------------ */

static double predict_latency(const sciot_planner *p, int32_t k)
{
    int32_t n = p->n_ops;
    double t = 0;
    for (int32_t i = 0; i < k; i++)
        t += p->dev[i].value;
    if (k == n)
        return t;
    for (int32_t i = k; i < n; i++)
        t += p->edge[i].value;
    return t + sciot_netest_predict_us(&p->net, p->up_bytes[k] + p->cfg.reply_bytes) + p->edge_queue_us;
}

/* ratio of this request's times to the estimates over [a, b) (0: none). */
static double side_ratio(const sciot_ema *est, const float *obs, int32_t a, int32_t b)
{
    double so = 0, se = 0;
    for (int32_t i = a; i < b; i++) {
        if (!est[i].n || !(obs[i - a] >= 0))
            continue;
        so += (double)obs[i - a];
        se += est[i].value;
    }
    return se > 0 && so > 0 ? so / se : 0;
}

static void rescale(sciot_planner *p, sciot_ema *est, int32_t a, int32_t b, double ratio)
{
    double lim = p->cfg.scale_shift > 1 ? p->cfg.scale_shift : 1.25;
    if (!(ratio > 0) || (ratio < lim && ratio > 1 / lim))
        return;
    for (int32_t i = a; i < b; i++)
        est[i].value *= ratio;
    if (b > a)
        p->n_rescaled++;
}

static void relearn_all(sciot_planner *p)
{
    for (int32_t i = 0; i < p->n_ops; i++) {
        sciot_ema_relearn(&p->dev[i]);
        sciot_ema_relearn(&p->edge[i]);
        if (!p->reprofile[i]) {
            p->reprofile[i] = 1;
            p->n_reprofile++;
        }
    }
    p->n_changes_detected++;
    /* a second alarm while the last change is being re-learnt (typically an
     * exploration whose prediction was still off) is the same change: keep
     * what the network estimator learnt since, and the exploration state */
    if (p->change_at && p->now - p->change_at < p->cfg.explore_repeat)
        return;
    sciot_netest_relearn(&p->net);
    p->change_at = p->now;
    double boost = p->cfg.explore_boost * (p->current >= 0 ? p->cost[p->current] : 0);
    if (isfinite(boost) && p->budget < boost)
        p->budget = boost;
}

sciot_status sciot_planner_observe(sciot_planner *p, const sciot_observation *o, sciot_error *err)
{
    int32_t n = p->n_ops;
    if (!o)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "observation: NULL");
    if (o->split < 0 || o->split > n)
        return sciot_fail(err, SCIOT_ERR_SPLIT_RANGE, "observation: split %d not in [0, %d]", (int)o->split, (int)n);
    if (o->n_device < 0 || o->n_device > n || (o->n_device && !o->device_us))
        return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE, "observation: n_device %d not in [0, %d] or no times",
                          (int)o->n_device, (int)n);
    bool edge_ran = !o->edge_unreachable && o->split < n && o->edge_us;
    /* prediction before learning from this request */
    bool can_check = p->dev_known == n && !o->edge_unreachable;
    double pred = can_check ? predict_latency(p, o->split) : 0, real = 0;
    for (int32_t i = 0; i < o->n_device; i++)
        real += (double)o->device_us[i];
    if (o->split < n) {
        if (edge_ran && o->has_network && o->n_device == o->split) {
            real += o->net_us + (o->edge_queue_us > 0 ? o->edge_queue_us : 0);
            for (int32_t i = o->split; i < n; i++)
                real += (double)o->edge_us[i - o->split];
        } else {
            can_check = false;
        }
    } else if (o->n_device != n) {
        can_check = false;
    }

    double dev_ratio = o->n_device ? side_ratio(p->dev, o->device_us, 0, o->n_device) : 0;
    double edge_ratio = edge_ran ? side_ratio(p->edge, o->edge_us, o->split, n) : 0;
    bool full_local = o->n_device == n;
    p->now++;
    for (int32_t i = 0; i < o->n_device; i++) {
        double t = o->device_us[i];
        if (!(t >= 0) || !isfinite(t))
            continue;
        if (p->dev[i].n == 0)
            p->dev_known++;
        sciot_ema_add(&p->dev[i], t, p->cfg.alpha);
        if (sciot_vdet_add(&p->vdev, i, t) && !full_local &&
            (p->cfg.retest == SCIOT_RETEST_FULL || i + 1 >= o->n_device))
            p->device_retest = true; /* a full local run is its own re-test */
        p->dev_seen[i] = p->now;
    }
    if (edge_ran)
        for (int32_t i = o->split; i < n; i++) {
            double t = o->edge_us[i - o->split];
            if (t >= 0 && isfinite(t))
                add_edge(p, i, t);
        }
    if (o->has_network && !o->edge_unreachable) {
        int r = sciot_netest_add(&p->net, o->bytes_sent, o->bytes_received, o->net_us);
        if (r == 1)
            p->n_outliers++;
        p->probe_again = r == 1 && o->split == n;
        if (o->split < n && r >= 0 && o->bytes_sent > 0)
            p->up_bytes[o->split] += 0.5 * (o->bytes_sent - p->up_bytes[o->split]);
    }
    if (o->edge_queue_us >= 0)
        p->edge_queue_us = o->edge_queue_us;
    if (o->edge_unreachable)
        p->edge_down = true;
    else if (o->has_network || edge_ran)
        p->edge_down = false;
    if (can_check && sciot_cdet_add(&p->cdet, pred, real) != 0) {
        relearn_all(p);
        /* this request is the first sample after the change: it replaces
         * the stale values of the operators it measured */
        for (int32_t i = 0; i < o->n_device; i++)
            if (o->device_us[i] >= 0 && isfinite(o->device_us[i]))
                sciot_ema_add(&p->dev[i], o->device_us[i], p->cfg.alpha);
        if (edge_ran)
            for (int32_t i = o->split; i < n; i++)
                if (o->edge_us[i - o->split] >= 0 && isfinite(o->edge_us[i - o->split]))
                    sciot_ema_add(&p->edge[i], o->edge_us[i - o->split], p->cfg.alpha);
        /* a change seen on the measured operators of a side is assumed to
         * apply to that side's other operators until they are measured */
        rescale(p, p->dev, o->n_device, n, dev_ratio);
        if (edge_ran)
            rescale(p, p->edge, 0, o->split, edge_ratio);
    }
    return SCIOT_OK;
}

int32_t sciot_planner_take_edge_reprofile(sciot_planner *p, uint8_t *flags)
{
    int32_t count = 0;
    for (int32_t i = 0; i < p->n_ops; i++) {
        uint8_t f = (p->reprofile[i] || sciot_vdet_flagged(&p->vedge, i)) ? 1 : 0;
        if (flags)
            flags[i] = f;
        count += f;
        p->reprofile[i] = 0;
    }
    sciot_vdet_take(&p->vedge, NULL);
    p->n_reprofile = 0;
    return count;
}

const double *sciot_planner_costs(const sciot_planner *p)
{
    return p->cost;
}

const double *sciot_planner_latencies(const sciot_planner *p)
{
    return p->lat;
}
