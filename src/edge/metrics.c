/* metrics.c — counters, GET /metrics (Prometheus text format 0.0.4),
 * GET /api/devices (every device's state), GET /healthz. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "edge/edge_internal.h"

void edge_count_request(edge_service *s, edge_transport tr)
{
    pthread_mutex_lock(&s->metrics_mu);
    s->requests[tr]++;
    pthread_mutex_unlock(&s->metrics_mu);
}

void edge_count_error(edge_service *s, int status)
{
    pthread_mutex_lock(&s->metrics_mu);
    if (status >= 500)
        s->errors_5xx++;
    else
        s->errors_4xx++;
    if (status == 503)
        s->queue_full++;
    pthread_mutex_unlock(&s->metrics_mu);
}

void edge_count_tail(edge_service *s, int ran_tail, double tail_us, double queue_us)
{
    pthread_mutex_lock(&s->metrics_mu);
    if (ran_tail) {
        s->tails++;
        s->tail_us_sum += tail_us;
    } else {
        s->local_reports++;
    }
    s->queue_us_sum += queue_us;
    pthread_mutex_unlock(&s->metrics_mu);
}

static void set_text(edge_response *out, char *txt, const char *type)
{
    out->status = 200;
    out->content_type = type;
    out->body = (uint8_t *)txt;
    out->len = txt ? strlen(txt) : 0;
}

void edge_health(edge_service *s, edge_response *out)
{
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "model_sha256", s->sha_hex);
    cJSON_AddNumberToObject(o, "n_ops", s->model.n_ops);
    cJSON_AddNumberToObject(o, "uptime_s", (double)(edge_now_ms() - s->started_ms) / 1000.0);
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    set_text(out, txt, "application/json");
}

void edge_devices_json(edge_service *s, edge_response *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model_sha256", s->sha_hex);
    cJSON_AddNumberToObject(root, "n_ops", s->model.n_ops);
    cJSON *arr = cJSON_AddArrayToObject(root, "devices");
    int32_t n = s->model.n_ops;
    pthread_rwlock_rdlock(&s->reg_mu);
    for (int i = 0; i < s->n_devices; i++) {
        edge_device *d = s->devices[i];
        pthread_mutex_lock(&d->mu);
        const sciot_planner *p = &d->planner;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "device_id", d->id);
        cJSON_AddNumberToObject(o, "split", d->has_decision ? d->decision.split : -1);
        cJSON_AddStringToObject(o, "reason", d->has_decision ? sciot_decision_reason_name(d->decision.reason) : "none");
        cJSON_AddNumberToObject(o, "inferences", (double)d->n_inferences);
        cJSON_AddNumberToObject(o, "local_reports", (double)d->n_local_reports);
        cJSON_AddNumberToObject(o, "last_split", d->last_split);
        cJSON_AddStringToObject(o, "last_where", d->last_where);
        cJSON_AddNumberToObject(o, "last_device_ms", d->last_device_ms);
        cJSON_AddNumberToObject(o, "last_edge_ms", d->last_edge_ms);
        cJSON_AddNumberToObject(o, "last_network_ms", d->last_network_ms);
        cJSON_AddNumberToObject(o, "last_total_ms", d->last_total_ms);
        cJSON_AddStringToObject(o, "last_prediction", d->last_prediction);
        cJSON_AddNumberToObject(o, "last_seen_ms", (double)d->last_seen_ms);
        cJSON *est = cJSON_AddObjectToObject(o, "estimates");
        cJSON *dv = cJSON_AddArrayToObject(est, "device_us"), *ev = cJSON_AddArrayToObject(est, "edge_us");
        for (int32_t k = 0; k < n; k++) {
            cJSON_AddItemToArray(dv, p->dev[k].n ? cJSON_CreateNumber(p->dev[k].value) : cJSON_CreateNull());
            cJSON_AddItemToArray(ev, p->edge[k].n ? cJSON_CreateNumber(p->edge[k].value) : cJSON_CreateNull());
        }
        cJSON_AddNumberToObject(est, "rtt_ms", sciot_netest_rtt_us(&p->net) / 1000.0);
        double bw = sciot_netest_bandwidth(&p->net);
        cJSON_AddNumberToObject(est, "bandwidth_bytes_per_s", isfinite(bw) ? bw : 1e12);
        cJSON_AddNumberToObject(est, "network_samples", p->net.n);
        cJSON *fl = cJSON_AddObjectToObject(o, "flags");
        cJSON_AddBoolToObject(fl, "device_retest", p->device_retest);
        cJSON_AddNumberToObject(fl, "device_unstable_ops", p->vdev.n_flagged);
        cJSON_AddNumberToObject(fl, "edge_reprofile_ops", p->n_reprofile);
        cJSON_AddBoolToObject(fl, "edge_down", p->edge_down);
        cJSON *ct = cJSON_AddObjectToObject(o, "counters");
        cJSON_AddNumberToObject(ct, "changes_detected", p->n_changes_detected);
        cJSON_AddNumberToObject(ct, "explorations", p->n_explore);
        cJSON_AddNumberToObject(ct, "forced_local", p->n_forced_local);
        cJSON_AddNumberToObject(ct, "retests", p->n_retest);
        pthread_mutex_unlock(&d->mu);
        cJSON_AddItemToArray(arr, o);
    }
    pthread_rwlock_unlock(&s->reg_mu);
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    set_text(out, txt, "application/json");
}

void edge_metrics_text(edge_service *s, edge_response *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 8192, at = 0;
    char *b = malloc(cap);
    if (!b) {
        edge_response_error(out, 500, "internal", "out of memory");
        return;
    }
    pthread_mutex_lock(&s->metrics_mu);
    uint64_t req[3] = {s->requests[0], s->requests[1], s->requests[2]};
    uint64_t e4 = s->errors_4xx, e5 = s->errors_5xx, qf = s->queue_full, tails = s->tails, lr = s->local_reports;
    double tail_us = s->tail_us_sum, queue_us = s->queue_us_sum;
    uint64_t reprofiles = s->n_reprofiles;
    pthread_mutex_unlock(&s->metrics_mu);
    pthread_mutex_lock(&s->q_mu);
    int qlen = s->q_len, busy = s->busy;
    pthread_mutex_unlock(&s->q_mu);
    pthread_rwlock_rdlock(&s->reg_mu);
    int ndev = s->n_devices;
    pthread_rwlock_unlock(&s->reg_mu);
#define P(...) at += (size_t)snprintf(b + at, cap - at, __VA_ARGS__)
    P("# HELP sciot_requests_total Requests received, by transport.\n# TYPE sciot_requests_total counter\n");
    P("sciot_requests_total{transport=\"http\"} %llu\n", (unsigned long long)req[0]);
    P("sciot_requests_total{transport=\"ws\"} %llu\n", (unsigned long long)req[1]);
    P("sciot_requests_total{transport=\"mqtt\"} %llu\n", (unsigned long long)req[2]);
    P("# HELP sciot_errors_total Requests answered with an error, by class.\n# TYPE sciot_errors_total counter\n");
    P("sciot_errors_total{class=\"4xx\"} %llu\nsciot_errors_total{class=\"5xx\"} %llu\n", (unsigned long long)e4,
      (unsigned long long)e5);
    P("# HELP sciot_rejected_busy_total Requests refused because the queue was full.\n"
      "# TYPE sciot_rejected_busy_total counter\nsciot_rejected_busy_total %llu\n",
      (unsigned long long)qf);
    P("# HELP sciot_tails_total Tails [k, N) run.\n# TYPE sciot_tails_total counter\nsciot_tails_total %llu\n",
      (unsigned long long)tails);
    P("# HELP sciot_local_reports_total Full local runs reported by devices.\n"
      "# TYPE sciot_local_reports_total counter\nsciot_local_reports_total %llu\n",
      (unsigned long long)lr);
    P("# HELP sciot_tail_seconds_total Time spent running tails.\n# TYPE sciot_tail_seconds_total counter\n"
      "sciot_tail_seconds_total %.6f\n",
      tail_us / 1e6);
    P("# HELP sciot_queue_seconds_total Time requests waited for a worker.\n"
      "# TYPE sciot_queue_seconds_total counter\nsciot_queue_seconds_total %.6f\n",
      queue_us / 1e6);
    P("# HELP sciot_queue_length Requests waiting for a worker.\n# TYPE sciot_queue_length gauge\n"
      "sciot_queue_length %d\n",
      qlen);
    P("# HELP sciot_workers_busy Workers running a tail.\n# TYPE sciot_workers_busy gauge\nsciot_workers_busy %d\n",
      busy);
    P("# HELP sciot_workers Worker threads.\n# TYPE sciot_workers gauge\nsciot_workers %d\n", s->n_workers);
    P("# HELP sciot_devices Registered devices.\n# TYPE sciot_devices gauge\nsciot_devices %d\n", ndev);
    P("# HELP sciot_arena_bytes Arena bytes per worker.\n# TYPE sciot_arena_bytes gauge\nsciot_arena_bytes %zu\n",
      s->arena_bytes);
    P("# HELP sciot_edge_reprofiles_total Whole-model self-profiles run after start-up (rate-limited).\n"
      "# TYPE sciot_edge_reprofiles_total counter\nsciot_edge_reprofiles_total %llu\n",
      (unsigned long long)reprofiles);
    P("# HELP sciot_uptime_seconds Seconds since start.\n# TYPE sciot_uptime_seconds gauge\n"
      "sciot_uptime_seconds %.3f\n",
      (double)(edge_now_ms() - s->started_ms) / 1000.0);
#undef P
    set_text(out, b, "text/plain; version=0.0.4");
}
