/* netest.c — round-trip latency and bandwidth from (bytes, round trip minus
 * edge processing) samples: a prior, directional forgetting and outlier
 * clipping in information form (see sciot/planner.h, part 4 for the why). */
#include <math.h>
#include <string.h>

#include "sciot/planner.h"

#define B_MIN 1e-3 /* us per kB: 1e12 bytes/s */
#define SCALE_RATE 0.1
#define WARMUP 3

void sciot_netest_config_default(sciot_netest_config *c)
{
    c->forget = 0.9;
    c->prior_weight = 0.5;
    c->x_ref_bytes = 16384;
    c->clip = 3.0;
    c->shift_run = 3;
    c->relearn_keep = 1e-3;
}

/* theta = R^-1 r, then the clamped (a, b) on the boundary of a >= 0, b >= B_MIN. */
static void solve(sciot_netest *e)
{
    double det = e->R[0] * e->R[2] - e->R[1] * e->R[1];
    if (det > 1e-12 * e->R[0] * e->R[2] && det > 0) {
        e->theta[0] = (e->R[2] * e->r[0] - e->R[1] * e->r[1]) / det;
        e->theta[1] = (e->R[0] * e->r[1] - e->R[1] * e->r[0]) / det;
    }
    double a = e->theta[0], b = e->theta[1];
    if (a < 0) {
        a = 0;
        b = e->R[2] > 0 ? e->r[1] / e->R[2] : b;
    }
    if (!(b >= B_MIN)) {
        b = B_MIN;
        a = e->R[0] > 0 ? (e->r[0] - e->R[1] * b) / e->R[0] : a;
        if (a < 0)
            a = 0;
    }
    e->a = a;
    e->b = b;
}

void sciot_netest_init(sciot_netest *e, const sciot_netest_config *c, double prior_rtt_us,
                       double prior_bytes_per_s)
{
    memset(e, 0, sizeof *e);
    if (c)
        e->cfg = *c;
    else
        sciot_netest_config_default(&e->cfg);
    if (!(prior_rtt_us >= 0) || !isfinite(prior_rtt_us))
        prior_rtt_us = 20000;
    if (!(prior_bytes_per_s > 0))
        prior_bytes_per_s = 1e6;
    double w = e->cfg.prior_weight > 0 ? e->cfg.prior_weight : 0.5;
    double xr = (e->cfg.x_ref_bytes > 0 ? e->cfg.x_ref_bytes : 16384) / 1000.0;
    e->theta[0] = prior_rtt_us;
    e->theta[1] = 1e9 / prior_bytes_per_s;
    e->R[0] = 2 * w;
    e->R[1] = w * xr;
    e->R[2] = w * xr * xr;
    e->r[0] = e->R[0] * e->theta[0] + e->R[1] * e->theta[1];
    e->r[1] = e->R[1] * e->theta[0] + e->R[2] * e->theta[1];
    e->since_relearn = 0; /* the prior is not data: no clipping until WARMUP samples */
    solve(e);
}

static void keep_theta(sciot_netest *e)
{
    e->r[0] = e->R[0] * e->theta[0] + e->R[1] * e->theta[1];
    e->r[1] = e->R[1] * e->theta[0] + e->R[2] * e->theta[1];
}

void sciot_netest_relearn(sciot_netest *e)
{
    double k = e->cfg.relearn_keep > 0 ? e->cfg.relearn_keep : 1e-3;
    e->R[0] *= k;
    e->R[1] *= k;
    e->R[2] *= k;
    keep_theta(e);
    e->since_relearn = 0;
    e->run_len = 0;
    e->run_sign = 0;
}

int sciot_netest_add(sciot_netest *e, double bytes_sent, double bytes_received, double net_us)
{
    double bytes = bytes_sent + bytes_received;
    if (!isfinite(net_us) || net_us < 0 || !isfinite(bytes) || bytes < 0)
        return -1;
    double x = bytes / 1000.0, y = net_us;
    double pred = e->theta[0] + e->theta[1] * x;
    double res = y - pred;
    int ret = 0;
    double floor_scale = 0.01 * fabs(pred) + 1.0;
    if (e->scale < floor_scale)
        e->scale = e->scale > 0 ? floor_scale : 0;
    /* outlier bound on the predictive spread: noise plus what the fit does
     * not know at this x (a first sample at a new size is not an outlier) */
    double det = e->R[0] * e->R[2] - e->R[1] * e->R[1];
    double lev = det > 0 ? (e->R[2] - 2 * e->R[1] * x + e->R[0] * x * x) / det : 0;
    double bound = e->cfg.clip * e->scale * sqrt(1 + (lev > 0 ? lev : 0));
    if (e->since_relearn >= WARMUP && e->scale > 0 && fabs(res) > bound) {
        int16_t s = res > 0 ? 1 : -1;
        if (s == e->run_sign)
            e->run_len++;
        else {
            e->run_sign = s;
            e->run_len = 1;
        }
        e->run_x = x;
        if (e->run_len >= e->cfg.shift_run) {
            sciot_netest_relearn(e); /* a level shift: take it */
            ret = 2;
        } else {
            y = pred + s * bound;
            ret = 1;
        }
    } else if (x >= 0.2 * e->run_x) {
        e->run_len = 0;
        e->run_sign = 0;
    }
    /* robust scale: mean absolute residual, winsorised at `clip` scales so
     * that a level shift (or the re-learning after one) cannot inflate it by
     * more than SCALE_RATE * (clip - 1) per sample */
    double ar = fabs(y - pred);
    if (e->scale <= 0)
        e->scale = ar > floor_scale ? ar : floor_scale;
    else
        e->scale += SCALE_RATE * (fmin(ar, e->cfg.clip * e->scale) - e->scale);
    /* directional forgetting along phi = (1, x): keep theta, drop (1 - forget)
     * of the information in the excited direction only */
    double v0 = e->R[0] + e->R[1] * x, v1 = e->R[1] + e->R[2] * x;
    double q = v0 + v1 * x;
    double f = 1.0 - e->cfg.forget;
    if (q > 0 && f > 0) {
        e->R[0] -= f * v0 * v0 / q;
        e->R[1] -= f * v0 * v1 / q;
        e->R[2] -= f * v1 * v1 / q;
        keep_theta(e);
    }
    e->R[0] += 1;
    e->R[1] += x;
    e->R[2] += x * x;
    e->r[0] += y;
    e->r[1] += x * y;
    solve(e);
    e->n++;
    if (e->since_relearn < UINT16_MAX)
        e->since_relearn++;
    return ret;
}

double sciot_netest_rtt_us(const sciot_netest *e)
{
    return e->a;
}

double sciot_netest_bandwidth(const sciot_netest *e)
{
    return 1e9 / e->b;
}

double sciot_netest_predict_us(const sciot_netest *e, double bytes)
{
    return e->a + e->b * bytes / 1000.0;
}

double sciot_netest_diff_stdev_us(const sciot_netest *e, double x1, double x0)
{
    double d0 = 1, d1 = x1 / 1000.0;
    if (x0 >= 0) {
        d0 = 0;
        d1 = (x1 - x0) / 1000.0;
    }
    double det = e->R[0] * e->R[2] - e->R[1] * e->R[1];
    if (!(det > 0))
        return INFINITY;
    double quad = (e->R[2] * d0 * d0 - 2 * e->R[1] * d0 * d1 + e->R[0] * d1 * d1) / det;
    double s = e->scale > 0 ? 1.25 * e->scale : 0.1 * sciot_netest_predict_us(e, x1);
    return s * sqrt(quad > 0 ? quad : 0);
}
