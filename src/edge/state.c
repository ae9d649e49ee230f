/* state.c — what the edge remembers across restarts.
 *
 * A device's learned state is its planner: the smoothed per-operator times
 * of both sides with their variance windows, the learned frame sizes, the
 * network estimator, the change detector, the random source, the current
 * split and the counters. It is stored as one JSON document per device
 * (devices.state_json; doubles are printed so that they read back to the
 * same bits) plus one row per operator and side (device_estimates) for
 * queries. Restoring writes the values back into a planner initialised with
 * the same configuration; a document for another operator count is ignored
 * (the device relearns) rather than trusted. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "edge/edge_internal.h"

static cJSON *doubles(const double *v, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
    return a;
}

static int read_doubles(const cJSON *a, double *v, int32_t n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return -1;
    for (int32_t i = 0; i < n; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, i);
        v[i] = cJSON_IsNumber(x) ? x->valuedouble : INFINITY;
    }
    return 0;
}

static cJSON *ema_json(const sciot_ema *e, const uint32_t *seen, const sciot_vdet *vd, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "v", e[i].value);
        cJSON_AddNumberToObject(o, "n", e[i].n);
        cJSON_AddNumberToObject(o, "warm", e[i].warm);
        cJSON_AddNumberToObject(o, "relearning", e[i].relearning);
        cJSON_AddNumberToObject(o, "seen", seen[i]);
        const sciot_vwin *w = sciot_vdet_window(vd, i);
        cJSON *win = cJSON_AddArrayToObject(o, "window");
        for (uint16_t k = 0; w && k < w->n; k++)
            cJSON_AddItemToArray(win, cJSON_CreateNumber(sciot_vwin_at(w, k)));
        cJSON_AddNumberToObject(o, "vstate", vd->state[i]);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static double num(const cJSON *o, const char *k, double dflt)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : dflt;
}

static int ema_read(const cJSON *a, sciot_ema *e, uint32_t *seen, sciot_vdet *vd, int32_t n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return -1;
    vd->n_flagged = 0;
    for (int32_t i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(a, i);
        e[i].value = num(o, "v", 0);
        e[i].n = (uint32_t)num(o, "n", 0);
        e[i].warm = (uint16_t)num(o, "warm", 0);
        e[i].relearning = (uint16_t)num(o, "relearning", 0);
        seen[i] = (uint32_t)num(o, "seen", 0);
        sciot_vwin *w = &vd->win[i];
        sciot_vwin_clear(w);
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "window"))
        {
            if (cJSON_IsNumber(x))
                sciot_vwin_add(w, x->valuedouble);
        }
        vd->state[i] = (uint8_t)num(o, "vstate", 0);
        vd->n_flagged += vd->state[i] & 1;
    }
    return 0;
}

cJSON *edge_planner_to_json(const sciot_planner *p)
{
    int32_t n = p->n_ops;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "format", 1);
    cJSON_AddNumberToObject(o, "n_ops", n);
    cJSON_AddItemToObject(o, "device", ema_json(p->dev, p->dev_seen, &p->vdev, n));
    cJSON_AddItemToObject(o, "edge", ema_json(p->edge, p->edge_seen, &p->vedge, n));
    cJSON_AddItemToObject(o, "up_bytes", doubles(p->up_bytes, n + 1));
    cJSON *net = cJSON_AddObjectToObject(o, "net");
    cJSON_AddItemToObject(net, "R", doubles(p->net.R, 3));
    cJSON_AddItemToObject(net, "r", doubles(p->net.r, 2));
    cJSON_AddItemToObject(net, "theta", doubles(p->net.theta, 2));
    cJSON_AddNumberToObject(net, "a", p->net.a);
    cJSON_AddNumberToObject(net, "b", p->net.b);
    cJSON_AddNumberToObject(net, "scale", p->net.scale);
    cJSON_AddNumberToObject(net, "run_sign", p->net.run_sign);
    cJSON_AddNumberToObject(net, "run_len", p->net.run_len);
    cJSON_AddNumberToObject(net, "n", p->net.n);
    cJSON_AddNumberToObject(net, "since_relearn", p->net.since_relearn);
    cJSON *cd = cJSON_AddObjectToObject(o, "cdet");
    cJSON_AddNumberToObject(cd, "mu", p->cdet.mu);
    cJSON_AddNumberToObject(cd, "sigma", p->cdet.sigma);
    cJSON_AddNumberToObject(cd, "g_pos", p->cdet.g_pos);
    cJSON_AddNumberToObject(cd, "g_neg", p->cdet.g_neg);
    cJSON_AddNumberToObject(cd, "n", p->cdet.n);
    cJSON_AddNumberToObject(cd, "quiet", p->cdet.quiet);
    cJSON_AddNumberToObject(cd, "fired", p->cdet.fired);
    char rng[24];
    snprintf(rng, sizeof rng, "%016" PRIx64, p->rng.s);
    cJSON_AddStringToObject(o, "rng", rng);
    cJSON_AddNumberToObject(o, "edge_queue_us", p->edge_queue_us);
    cJSON_AddNumberToObject(o, "budget", p->budget);
    cJSON_AddNumberToObject(o, "max_delta", isfinite(p->max_delta) ? p->max_delta : 0);
    cJSON_AddNumberToObject(o, "now", p->now);
    cJSON_AddNumberToObject(o, "change_at", p->change_at);
    cJSON_AddNumberToObject(o, "dev_known", p->dev_known);
    cJSON_AddNumberToObject(o, "current", p->current);
    cJSON_AddBoolToObject(o, "edge_down", p->edge_down);
    cJSON_AddBoolToObject(o, "device_retest", p->device_retest);
    cJSON_AddNumberToObject(o, "n_changes_detected", p->n_changes_detected);
    cJSON_AddNumberToObject(o, "n_explore", p->n_explore);
    cJSON_AddNumberToObject(o, "n_forced_local", p->n_forced_local);
    cJSON_AddNumberToObject(o, "n_retest", p->n_retest);
    cJSON_AddNumberToObject(o, "n_outliers", p->n_outliers);
    return o;
}

int edge_planner_from_json(sciot_planner *p, const cJSON *o)
{
    int32_t n = p->n_ops;
    if (!cJSON_IsObject(o) || num(o, "format", 0) != 1 || num(o, "n_ops", -1) != n)
        return -1;
    if (ema_read(cJSON_GetObjectItemCaseSensitive(o, "device"), p->dev, p->dev_seen, &p->vdev, n) ||
        ema_read(cJSON_GetObjectItemCaseSensitive(o, "edge"), p->edge, p->edge_seen, &p->vedge, n) ||
        read_doubles(cJSON_GetObjectItemCaseSensitive(o, "up_bytes"), p->up_bytes, n + 1))
        return -1;
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(o, "net"), *cd = cJSON_GetObjectItemCaseSensitive(o, "cdet");
    if (read_doubles(cJSON_GetObjectItemCaseSensitive(net, "R"), p->net.R, 3) ||
        read_doubles(cJSON_GetObjectItemCaseSensitive(net, "r"), p->net.r, 2) ||
        read_doubles(cJSON_GetObjectItemCaseSensitive(net, "theta"), p->net.theta, 2))
        return -1;
    p->net.a = num(net, "a", p->net.a);
    p->net.b = num(net, "b", p->net.b);
    p->net.scale = num(net, "scale", 0);
    p->net.run_sign = (int16_t)num(net, "run_sign", 0);
    p->net.run_len = (uint16_t)num(net, "run_len", 0);
    p->net.n = (uint32_t)num(net, "n", 0);
    p->net.since_relearn = (uint16_t)num(net, "since_relearn", 0);
    p->cdet.mu = num(cd, "mu", p->cdet.mu);
    p->cdet.sigma = num(cd, "sigma", p->cdet.sigma);
    p->cdet.g_pos = num(cd, "g_pos", 0);
    p->cdet.g_neg = num(cd, "g_neg", 0);
    p->cdet.n = (uint32_t)num(cd, "n", 0);
    p->cdet.quiet = (uint16_t)num(cd, "quiet", 0);
    p->cdet.fired = (uint32_t)num(cd, "fired", 0);
    const cJSON *rng = cJSON_GetObjectItemCaseSensitive(o, "rng");
    if (cJSON_IsString(rng))
        p->rng.s = strtoull(rng->valuestring, NULL, 16);
    p->edge_queue_us = num(o, "edge_queue_us", 0);
    p->budget = num(o, "budget", 0);
    p->max_delta = num(o, "max_delta", 0);
    p->now = (uint32_t)num(o, "now", 0);
    p->change_at = (uint32_t)num(o, "change_at", 0);
    p->dev_known = (int32_t)num(o, "dev_known", 0);
    p->current = (int32_t)num(o, "current", -1);
    p->edge_down = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "edge_down"));
    p->device_retest = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "device_retest"));
    p->n_changes_detected = (uint32_t)num(o, "n_changes_detected", 0);
    p->n_explore = (uint32_t)num(o, "n_explore", 0);
    p->n_forced_local = (uint32_t)num(o, "n_forced_local", 0);
    p->n_retest = (uint32_t)num(o, "n_retest", 0);
    p->n_outliers = (uint32_t)num(o, "n_outliers", 0);
    return 0;
}

void edge_persist_device_locked(edge_service *s, edge_device *d, int force)
{
    int64_t now = edge_now_ms();
    if (!s->store || (!force && now - d->persisted_ms < 1000))
        return;
    int32_t n = s->model.n_ops;
    double *dev = malloc(sizeof(double) * (size_t)n), *edge = malloc(sizeof(double) * (size_t)n);
    uint32_t *dn = malloc(sizeof(uint32_t) * (size_t)n), *en = malloc(sizeof(uint32_t) * (size_t)n);
    cJSON *st = edge_planner_to_json(&d->planner);
    char *txt = cJSON_PrintUnformatted(st);
    cJSON_Delete(st);
    if (dev && edge && dn && en && txt) {
        for (int32_t i = 0; i < n; i++) {
            dev[i] = d->planner.dev[i].value;
            edge[i] = d->planner.edge[i].value;
            dn[i] = d->planner.dev[i].n;
            en[i] = d->planner.edge[i].n;
        }
        edge_device_row row = {
            .device_id = d->id,
            .token = d->token[0] ? d->token : NULL,
            .model_sha256 = s->sha_hex,
            .split = d->has_decision ? d->decision.split : -1,
            .state_json = txt,
            .n_ops = n,
            .dev_ema = dev,
            .edge_ema = edge,
            .dev_n = dn,
            .edge_n = en,
        };
        sciot_error err = {0};
        if (edge_store_put_device(s->store, &row, &err) == SCIOT_OK)
            d->persisted_ms = now;
        else
            fprintf(stderr, "sciot edge: warning: cannot persist device '%s': %s\n", d->id, err.msg);
    }
    free(txt);
    free(dev);
    free(edge);
    free(dn);
    free(en);
}

typedef struct {
    edge_service *s;
    int loaded, skipped;
} load_ctx;

static void load_one(void *user, const edge_device_row *r)
{
    load_ctx *c = user;
    edge_service *s = c->s;
    if (!r->model_sha256 || strcmp(r->model_sha256, s->sha_hex) != 0 || s->n_devices >= s->cfg.max_devices) {
        c->skipped++;
        return; /* another model's device: its state means nothing here */
    }
    sciot_error err = {0};
    edge_device *d = calloc(1, sizeof *d);
    if (!d)
        return;
    snprintf(d->id, sizeof d->id, "%s", r->device_id);
    pthread_mutex_init(&d->mu, NULL);
    size_t need = sciot_planner_mem_size(s->model.n_ops, &s->pcfg);
    d->planner_mem = malloc(need);
    if (!d->planner_mem ||
        sciot_planner_init(&d->planner, &s->pcfg, s->model.n_ops, s->cut_bytes, d->planner_mem, need, &err)) {
        free(d->planner_mem);
        pthread_mutex_destroy(&d->mu);
        free(d);
        c->skipped++;
        return;
    }
    cJSON *st = r->state_json ? cJSON_Parse(r->state_json) : NULL;
    if (!st || edge_planner_from_json(&d->planner, st) != 0) {
        /* unreadable state: start from the edge profile, keep the device;
         * a fresh planner, since a failed read may have filled part of it
         * (estimates without dev_known: cold start for ever) */
        sciot_planner_init(&d->planner, &s->pcfg, s->model.n_ops, s->cut_bytes, d->planner_mem, need, NULL);
        if (s->edge_profile_ready)
            sciot_planner_observe_edge_profile(&d->planner, 0, s->model.n_ops, s->edge_profile, NULL);
    }
    cJSON_Delete(st);
    if (r->token)
        snprintf(d->token, sizeof d->token, "%s", r->token);
    d->created_ms = d->last_seen_ms = d->persisted_ms = edge_now_ms();
    d->last_split = r->split;
    if (r->split >= 0 && r->split <= s->model.n_ops) {
        d->decision.split = r->split;
        d->decision.reason = SCIOT_WHY_BEST;
        d->decision.latency_us = INFINITY;
        d->has_decision = 1;
    }
    s->devices[s->n_devices++] = d;
    c->loaded++;
}

sciot_status edge_load_devices(edge_service *s, sciot_error *err)
{
    load_ctx c = {s, 0, 0};
    sciot_status st = edge_store_load_devices(s->store, load_one, &c, err);
    if (st == SCIOT_OK && (c.loaded || c.skipped))
        fprintf(stderr, "sciot edge: resumed %d device(s) from %s%s\n", c.loaded, s->cfg.db_path,
                c.skipped ? " (others belong to another model)" : "");
    return st;
}

void edge_record_inference(edge_service *s, const edge_inference_row *row)
{
    sciot_error err = {0};
    if (s->store && edge_store_add_inference(s->store, row, &err) != SCIOT_OK)
        fprintf(stderr, "sciot edge: warning: history row for '%s' not stored: %s\n", row->device_id, err.msg);
}
