/* cost.c — the cost of every candidate split k = 0..N under an objective
 * (see sciot/planner.h, part 6), and the split-number conventions. */
#include <math.h>
#include <string.h>

#include "sciot/planner.h"

static const char *const obj_names[] = {"latency", "energy", "bytes", "weighted"};
static const char *const obj_units[] = {"ms", "mJ", "bytes", "weighted"};

const char *sciot_objective_name(sciot_objective o)
{
    return (unsigned)o < 4 ? obj_names[o] : "?";
}

const char *sciot_objective_unit(sciot_objective o)
{
    return (unsigned)o < 4 ? obj_units[o] : "?";
}

int sciot_objective_parse(const char *s, sciot_objective *o)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, obj_names[i])) {
            *o = (sciot_objective)i;
            return 0;
        }
    return -1;
}

int32_t sciot_cost_argmin(const double *cost, int32_t n)
{
    int32_t best = -1;
    for (int32_t k = 0; k <= n; k++) {
        double c = cost[k];
        if (isnan(c) || (isinf(c) && c > 0))
            continue;
        if (best < 0 || c < cost[best] - 1e-9 * fabs(cost[best]))
            best = k;
    }
    return best;
}

static bool finite_nonneg(double v)
{
    return isfinite(v) && v >= 0;
}

sciot_status sciot_cost_eval(const sciot_cost_input *in, double *cost, int32_t *best, sciot_error *err)
{
    int32_t n = in->n_ops;
    if (n < 1)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "n_ops: %d, expected >= 1", (int)n);
    if (!in->device_us || !in->edge_us || !in->up_bytes || !cost)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "cost model: missing device_us, edge_us or cut bytes");
    for (int32_t i = 0; i < n; i++) {
        if (!finite_nonneg(in->device_us[i]))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "device_us[%d]: %g is not a time >= 0", (int)i,
                              in->device_us[i]);
        if (!finite_nonneg(in->edge_us[i]))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge_us[%d]: %g is not a time >= 0", (int)i,
                              in->edge_us[i]);
    }
    for (int32_t k = 0; k <= n; k++)
        if (!finite_nonneg(in->up_bytes[k]))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "cut_bytes[%d]: %g is not a size >= 0", (int)k,
                              in->up_bytes[k]);
    if (!finite_nonneg(in->rtt_us))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "rtt: %g is not a time >= 0", in->rtt_us);
    if (!(in->bytes_per_s >= 0))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "bandwidth: %g is not >= 0", in->bytes_per_s);
    if (!finite_nonneg(in->reply_bytes) || !finite_nonneg(in->edge_queue_us))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "reply bytes / edge queue must be >= 0");
    const sciot_power_w *pw = &in->power;
    if (in->objective == SCIOT_OBJ_ENERGY || (in->objective == SCIOT_OBJ_WEIGHTED && in->weights.energy != 0)) {
        if (!finite_nonneg(pw->cpu) || !finite_nonneg(pw->tx) || !finite_nonneg(pw->idle))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "power_w: cpu, tx and idle must be watts >= 0");
    }
    if ((unsigned)in->objective > SCIOT_OBJ_WEIGHTED)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "objective: %d unknown", (int)in->objective);

    double edge_total = 0;
    for (int32_t i = 0; i < n; i++)
        edge_total += in->edge_us[i];
    double dev = 0, edge_before = 0;
    bool no_link = !(in->bytes_per_s > 0);
    for (int32_t k = 0; k <= n; k++) {
        if (k > 0) {
            dev += in->device_us[k - 1];
            edge_before += in->edge_us[k - 1];
        }
        double lat_ms, energy_mj, bytes;
        if (k == n) {
            lat_ms = dev / 1000.0;
            energy_mj = pw->cpu * lat_ms;
            bytes = 0;
        } else if (no_link) {
            cost[k] = INFINITY;
            continue;
        } else {
            double e = edge_total - edge_before;
            if (e < 0)
                e = 0;
            double up_ms = isinf(in->bytes_per_s) ? 0 : in->up_bytes[k] / in->bytes_per_s * 1000.0;
            double down_ms = isinf(in->bytes_per_s) ? 0 : in->reply_bytes / in->bytes_per_s * 1000.0;
            double wait_ms = (in->rtt_us + e + in->edge_queue_us) / 1000.0 + down_ms;
            lat_ms = dev / 1000.0 + up_ms + wait_ms;
            energy_mj = pw->cpu * dev / 1000.0 + pw->tx * up_ms + pw->idle * wait_ms;
            bytes = in->up_bytes[k] + in->reply_bytes;
        }
        switch (in->objective) {
        case SCIOT_OBJ_LATENCY: cost[k] = lat_ms; break;
        case SCIOT_OBJ_ENERGY: cost[k] = energy_mj; break;
        case SCIOT_OBJ_BYTES: cost[k] = bytes; break;
        default:
            cost[k] = in->weights.latency * lat_ms + in->weights.energy * energy_mj +
                      in->weights.bytes * bytes / 1000.0;
            break;
        }
    }
    if (best)
        *best = sciot_cost_argmin(cost, n);
    return SCIOT_OK;
}

int32_t sciot_split_from_layer_index(int32_t index, int32_t n_ops)
{
    if (index == -1)
        return n_ops;
    if (index >= 0 && index < n_ops)
        return index + 1;
    return -1;
}

void sciot_split_edge_ops(int32_t k, int32_t n_ops, int32_t *first, int32_t *count)
{
    if (k < 0)
        k = 0;
    if (k > n_ops)
        k = n_ops;
    *first = k;
    *count = n_ops - k;
}
