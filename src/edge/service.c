/* service.c — the edge core: registry, planners, worker pool, replies.
 *
 * Design. Transports (http.c, mqtt.c) are thin: they parse their framing and
 * call edge_register / edge_decision / edge_result. Tails run on a fixed
 * pool of workers, each with its own engine and arena over the one shared,
 * read-only model; requests wait in a bounded ring. A full ring is answered
 * at once with 503 + Retry-After instead of queueing forever.
 *
 * Each device has its own planner (sciot/planner.h) behind its own mutex, so
 * devices never contend with each other; the registry lock is only taken to
 * find or add a device. The learned state goes to SQLite (store.c) after
 * every inference of a device at most once a second, on registration, and
 * at shutdown, so that a restart resumes every device where it was.
 *
 * Time accounting: the edge's processing time of a request runs from its
 * arrival to the reply being ready (queueing + tail + simulated computation
 * delay). The reply frame carries it; the device subtracts it from its
 * round trip, which yields the network time without synchronised clocks.
 * Simulated network delay is slept after that measurement, so it lands in
 * the device's round trip and so in the planner's network estimate. */
#include "edge/service.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "edge/edge_internal.h"
#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/wire.h"

/* ---- responses ---------------------------------------------------------- */

void edge_response_free(edge_response *r)
{
    if (r) {
        free(r->body);
        r->body = NULL;
        r->len = 0;
    }
}

static void response_json(edge_response *r, int status, cJSON *root)
{
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    r->status = status;
    r->content_type = "application/json";
    r->body = (uint8_t *)txt;
    r->len = txt ? strlen(txt) : 0;
    r->retry_after_s = 0;
}

void edge_response_error(edge_response *r, int status, const char *code, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "error", code);
    cJSON_AddStringToObject(root, "detail", detail);
    cJSON_AddNumberToObject(root, "status", status);
    response_json(r, status, root);
}

const char *edge_transport_name(edge_transport t)
{
    return t == EDGE_HTTP ? "http" : t == EDGE_WS ? "ws" : "mqtt";
}

int64_t edge_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(double us)
{
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1e6), (long)(fmod(us, 1e6) * 1000.0)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Delay simulation (reference semantics, seconds) -> microseconds. */
static double delay_draw(edge_service *s, const edge_delay *d)
{
    if (!d->enabled)
        return 0;
    double v;
    pthread_mutex_lock(&s->rng_mu);
    switch (d->type) {
    case DELAY_GAUSSIAN: v = d->mean + d->std_dev * sciot_rng_normal(&s->rng); break;
    case DELAY_UNIFORM: v = d->min + (d->max - d->min) * sciot_rng_uniform(&s->rng); break;
    case DELAY_EXPONENTIAL: v = -d->mean * log(1.0 - sciot_rng_uniform(&s->rng)); break;
    default: v = d->value; break;
    }
    pthread_mutex_unlock(&s->rng_mu);
    return v > 0 ? v * 1e6 : 0;
}

/* ---- registry ------------------------------------------------------------ */

static int valid_device_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > SCIOT_WIRE_MAX_DEVICE_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x21 || c == 0x7f || c == '/' || c == '+' || c == '#' || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

edge_device *edge_find_device(edge_service *s, const char *id)
{
    edge_device *d = NULL;
    pthread_rwlock_rdlock(&s->reg_mu);
    for (int i = 0; i < s->n_devices; i++)
        if (!strcmp(s->devices[i]->id, id)) {
            d = s->devices[i];
            break;
        }
    pthread_rwlock_unlock(&s->reg_mu);
    return d;
}

static const char *config_token(const edge_service *s, const char *id)
{
    for (int i = 0; i < s->cfg.n_tokens; i++)
        if (!strcmp(s->cfg.token_device[i], id))
            return s->cfg.token_value[i];
    return NULL;
}

/* Constant-time comparison of two NUL-terminated tokens. */
static int token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = (unsigned)(la ^ lb);
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

/* 0 when the token is acceptable for the device, else fills `out` (401). */
static int check_token(edge_service *s, edge_device *d, const char *id, const char *token, edge_response *out)
{
    const char *want = config_token(s, id);
    if (!want && d && d->token[0])
        want = d->token;
    if (!want) {
        if (s->cfg.auth_required && !(token && *token)) {
            edge_response_error(out, 401, "unauthorized", "device '%s' needs a token (auth.required is on)", id);
            return -1;
        }
        return 0;
    }
    if (!token || !token_equal(want, token)) {
        edge_response_error(out, 401, "unauthorized", "wrong or missing token for device '%s'", id);
        return -1;
    }
    return 0;
}

static void device_free(edge_device *d)
{
    if (!d)
        return;
    pthread_mutex_destroy(&d->mu);
    free(d->planner_mem);
    free(d->latest_input);
    free(d);
}

/* Create a device with a fresh planner (edge profile applied). */
static edge_device *device_new(edge_service *s, const char *id, sciot_error *err)
{
    edge_device *d = calloc(1, sizeof *d);
    if (!d) {
        sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    snprintf(d->id, sizeof d->id, "%s", id);
    pthread_mutex_init(&d->mu, NULL);
    size_t need = sciot_planner_mem_size(s->model.n_ops, &s->pcfg);
    d->planner_mem = malloc(need);
    if (!d->planner_mem ||
        sciot_planner_init(&d->planner, &s->pcfg, s->model.n_ops, s->cut_bytes, d->planner_mem, need, err)) {
        if (!d->planner_mem)
            sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
        device_free(d);
        return NULL;
    }
    if (s->edge_profile_ready)
        sciot_planner_observe_edge_profile(&d->planner, 0, s->model.n_ops, s->edge_profile, NULL);
    d->created_ms = d->last_seen_ms = edge_now_ms();
    d->last_split = -1;
    return d;
}

/* Find or add. NULL with a 4xx/5xx in `out` when the registry is full. */
static edge_device *get_or_add_device(edge_service *s, const char *id, int *created, edge_response *out)
{
    sciot_error err = {0};
    *created = 0;
    edge_device *d = edge_find_device(s, id);
    if (d)
        return d;
    edge_device *nd = device_new(s, id, &err);
    if (!nd) {
        edge_response_error(out, 500, "internal", "cannot create device state: %s", err.msg);
        return NULL;
    }
    pthread_rwlock_wrlock(&s->reg_mu);
    for (int i = 0; i < s->n_devices; i++)
        if (!strcmp(s->devices[i]->id, id)) { /* raced with another registration */
            d = s->devices[i];
            break;
        }
    if (!d && s->n_devices >= s->cfg.max_devices) {
        pthread_rwlock_unlock(&s->reg_mu);
        device_free(nd);
        edge_response_error(out, 503, "too_many_devices", "the edge serves at most %d devices", s->cfg.max_devices);
        return NULL;
    }
    if (!d) {
        s->devices[s->n_devices++] = nd;
        d = nd;
        nd = NULL;
        *created = 1;
    }
    pthread_rwlock_unlock(&s->reg_mu);
    device_free(nd);
    return d;
}

/* ---- decisions ------------------------------------------------------------- */

/* Reference index: k - 1, -1 for a full local run (k = N), null for k = 0. */
static void add_decision_json(cJSON *o, const edge_service *s, const sciot_decision *dec)
{
    int32_t n = s->model.n_ops, k = dec->split;
    cJSON_AddNumberToObject(o, "split", k);
    if (k == 0)
        cJSON_AddNullToObject(o, "offloading_layer_index");
    else
        cJSON_AddNumberToObject(o, "offloading_layer_index", k == n ? -1 : k - 1);
    cJSON_AddStringToObject(o, "reason", sciot_decision_reason_name(dec->reason));
    cJSON_AddBoolToObject(o, "forced", dec->forced);
    if (isfinite(dec->latency_us))
        cJSON_AddNumberToObject(o, "expected_ms", dec->latency_us / 1000.0);
}

/* Next decision for a device; caller holds d->mu. */
static void decide_locked(edge_service *s, edge_device *d)
{
    if (sciot_planner_decide(&d->planner, &d->decision) != SCIOT_OK) {
        memset(&d->decision, 0, sizeof d->decision);
        d->decision.split = s->model.n_ops;
        d->decision.reason = SCIOT_WHY_COLD_START;
    }
    d->has_decision = 1;
}

/* ---- registration / decision / device input -------------------------------- */

void edge_register(edge_service *s, edge_transport tr, const char *json, size_t len, const char *token,
                   edge_response *out)
{
    memset(out, 0, sizeof *out);
    edge_count_request(s, tr);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        edge_response_error(out, 400, "bad_json", "registration body is not a JSON object");
        return;
    }
    const cJSON *jid = cJSON_GetObjectItem(root, "device_id"), *jsha = cJSON_GetObjectItem(root, "model_sha256"),
                *jtok = cJSON_GetObjectItem(root, "token");
    if (!cJSON_IsString(jid) || !valid_device_id(jid->valuestring)) {
        cJSON_Delete(root);
        edge_response_error(out, 400, "bad_device_id",
                            "device_id must be a string of 1..64 printable characters without / + # \" \\");
        return;
    }
    if (!cJSON_IsString(jsha)) {
        cJSON_Delete(root);
        edge_response_error(out, 400, "bad_model_sha256", "model_sha256 (hex string) is missing");
        return;
    }
    if (strcasecmp(jsha->valuestring, s->sha_hex) != 0) {
        edge_response_error(out, 409, "unknown_model", "model %.80s is not served here; this edge serves %s",
                            jsha->valuestring, s->sha_hex);
        cJSON_Delete(root);
        return;
    }
    if (cJSON_IsString(jtok) && (!token || !*token))
        token = jtok->valuestring;
    char id[SCIOT_WIRE_MAX_DEVICE_ID + 1];
    snprintf(id, sizeof id, "%s", jid->valuestring);
    edge_device *d = edge_find_device(s, id);
    if (check_token(s, d, id, token, out)) {
        cJSON_Delete(root);
        return;
    }
    int created;
    d = get_or_add_device(s, id, &created, out);
    if (!d) {
        cJSON_Delete(root);
        return;
    }
    pthread_mutex_lock(&d->mu);
    if (token && *token && !d->token[0] && !config_token(s, id))
        snprintf(d->token, sizeof d->token, "%s", token); /* first use binds the token */
    d->last_seen_ms = edge_now_ms();
    d->registrations++;
    decide_locked(s, d);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", d->id);
    cJSON_AddStringToObject(o, "model_sha256", s->sha_hex);
    cJSON_AddNumberToObject(o, "n_ops", s->model.n_ops);
    cJSON_AddBoolToObject(o, "new", created);
    add_decision_json(o, s, &d->decision);
    edge_persist_device_locked(s, d, 1);
    pthread_mutex_unlock(&d->mu);
    cJSON_Delete(root);
    response_json(out, 200, o);
}

/* The registered device `id` when the request may act for it; NULL after
 * filling `out` (400 bad id, 404 unknown, 401 token). */
static edge_device *authorized_device(edge_service *s, const char *id, const char *token, edge_response *out)
{
    if (!id || !valid_device_id(id)) {
        edge_response_error(out, 400, "bad_device_id", "device_id is missing or invalid");
        return NULL;
    }
    edge_device *d = edge_find_device(s, id);
    if (!d) {
        edge_response_error(out, 404, "unknown_device", "device '%s' is not registered", id);
        return NULL;
    }
    return check_token(s, d, id, token, out) ? NULL : d;
}

void edge_decision(edge_service *s, edge_transport tr, const char *id, const char *token, edge_response *out)
{
    memset(out, 0, sizeof *out);
    edge_count_request(s, tr);
    edge_device *d = authorized_device(s, id, token, out);
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    if (!d->has_decision)
        decide_locked(s, d);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", d->id);
    add_decision_json(o, s, &d->decision);
    pthread_mutex_unlock(&d->mu);
    response_json(out, 200, o);
}

void edge_device_input(edge_service *s, edge_transport tr, const char *id, const char *token, const uint8_t *body,
                       size_t len, edge_response *out)
{
    memset(out, 0, sizeof *out);
    edge_count_request(s, tr);
    edge_device *d = authorized_device(s, id, token, out);
    if (!d)
        return;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        edge_response_error(out, 500, "internal", "out of memory");
        return;
    }
    memcpy(copy, body, len);
    pthread_mutex_lock(&d->mu);
    free(d->latest_input);
    d->latest_input = copy;
    d->latest_input_len = len;
    d->latest_input_ms = edge_now_ms();
    pthread_mutex_unlock(&d->mu);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", id);
    cJSON_AddNumberToObject(o, "bytes", (double)len);
    response_json(out, 200, o);
}

/* ---- results: the worker pool ---------------------------------------------- */

typedef struct {
    uint64_t start;
    float *times;
} op_clock;

static void op_hook(void *user, int32_t op, int phase)
{
    op_clock *c = user;
    uint64_t now = sciot_now_us();
    if (phase == 0)
        c->start = now;
    else
        c->times[op] = (float)(now - c->start);
}

static int status_for(sciot_status st)
{
    switch (st) {
    case SCIOT_ERR_MODEL_MISMATCH: return 409;
    case SCIOT_ERR_NO_MEMORY: return 500;
    default: return 400;
    }
}

static const char *code_for(sciot_status st)
{
    switch (st) {
    case SCIOT_ERR_TRUNCATED: return "truncated";
    case SCIOT_ERR_BAD_MAGIC: return "bad_magic";
    case SCIOT_ERR_BAD_VERSION: return "bad_version";
    case SCIOT_ERR_CRC: return "crc_mismatch";
    case SCIOT_ERR_MODEL_MISMATCH: return "model_mismatch";
    case SCIOT_ERR_SPLIT_RANGE: return "split_out_of_range";
    case SCIOT_ERR_NOT_IN_CUT: return "tensor_not_in_cut";
    case SCIOT_ERR_MISSING_TENSOR: return "missing_tensor";
    case SCIOT_ERR_TENSOR_MISMATCH: return "tensor_mismatch";
    case SCIOT_ERR_LENGTH: return "bad_length";
    default: return "bad_frame";
    }
}

/* Short prediction summary for the history: argmax and up to 8 values. */
static void prediction_summary(const sciot_model *m, const sciot_engine *e, char *buf, size_t cap)
{
    int32_t t = m->outputs[0];
    const sciot_tensor *tt = &m->tensors[t];
    const void *data = sciot_engine_tensor(e, t);
    size_t at = 0, best = 0;
    double bestv = -INFINITY;
    buf[0] = 0;
    if (!data)
        return;
    for (size_t i = 0; i < tt->elems; i++) {
        double v = tt->dtype == SCIOT_FLOAT32 ? ((const float *)data)[i] : ((const int8_t *)data)[i];
        if (v > bestv) {
            bestv = v;
            best = i;
        }
    }
    at += (size_t)snprintf(buf + at, cap - at, "argmax=%zu [", best);
    for (size_t i = 0; i < tt->elems && i < 8 && at < cap; i++) {
        double v = tt->dtype == SCIOT_FLOAT32 ? ((const float *)data)[i] : ((const int8_t *)data)[i];
        at += (size_t)snprintf(buf + at, cap - at, i ? ",%g" : "%g", v);
    }
    if (at < cap)
        snprintf(buf + at, cap - at, "%s]", tt->elems > 8 ? ",..." : "");
}


/* Build the reply: a REPLY frame (or JSON) with the next decision. */
static int build_reply(edge_service *s, edge_worker *w, const sciot_wire_frame *f, int ran_tail,
                       const sciot_decision *next, uint32_t edge_us, int want_json, edge_response *out)
{
    const sciot_model *m = &s->model;
    if (want_json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "request_id", (double)f->request_id);
        cJSON_AddStringToObject(o, "device_id", f->device_id);
        cJSON_AddNumberToObject(o, "edge_us", edge_us);
        add_decision_json(o, s, next);
        cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
        if (ran_tail)
            for (int32_t k = 0; k < m->n_outputs; k++)
                cJSON_AddItemToArray(outs, sciot_tensor_json(m, m->outputs[k], sciot_engine_tensor(&w->engine, m->outputs[k])));
        response_json(out, 200, o);
        return 0;
    }
    sciot_wire_frame *r = &w->reply;
    memset(r, 0, sizeof *r);
    r->version = SCIOT_WIRE_VERSION;
    r->flags = SCIOT_WIRE_F_REPLY;
    r->request_id = f->request_id;
    r->device_id_len = f->device_id_len;
    memcpy(r->device_id, f->device_id, sizeof r->device_id);
    memcpy(r->model_sha256, s->sha, 32);
    r->split = (uint32_t)next->split;
    r->n_times = 1;
    r->times_in = &edge_us;
    r->n_tensors = ran_tail ? (uint32_t)m->n_outputs : 0;
    for (uint32_t k = 0; k < r->n_tensors; k++) {
        r->tensors[k].index = m->outputs[k];
        r->tensors[k].data = sciot_engine_tensor(&w->engine, m->outputs[k]);
        r->tensors[k].raw_len = (uint32_t)m->tensors[m->outputs[k]].bytes;
    }
    size_t cap = sciot_wire_frame_bound(r), len = 0;
    uint8_t *buf = malloc(cap);
    sciot_error err = {0};
    if (!buf || sciot_wire_encode(r, m, buf, cap, &len, &err)) {
        free(buf);
        edge_response_error(out, 500, "internal", "cannot encode the reply: %s", err.msg);
        return -1;
    }
    out->status = 200;
    out->content_type = "application/octet-stream";
    out->body = buf;
    out->len = len;
    return 0;
}

static void process_job(edge_service *s, edge_worker *w, edge_job *job)
{
    const sciot_model *m = &s->model;
    sciot_wire_frame *f = &w->frame;
    sciot_error err = {0};
    edge_response resp = {0};
    uint64_t t_start = sciot_now_us();
    double queue_us = (double)(t_start - job->t_arrival);

    /* payloads are checked once, while the tail's inputs are read below */
    sciot_status st = sciot_wire_decode_opts(job->frame, job->len, m, s->sha, SCIOT_WIRE_DEFER_PAYLOADS, f, &err);
    if (st) {
        edge_response_error(&resp, status_for(st), code_for(st), "%s", err.msg);
        goto done;
    }
    if (f->flags & SCIOT_WIRE_F_REPLY) {
        edge_response_error(&resp, 400, "bad_frame", "a REPLY frame was sent to the edge");
        goto done;
    }
    edge_device *d = edge_find_device(s, f->device_id);
    if (!d) {
        edge_response_error(&resp, 404, "unknown_device", "device '%s' is not registered", f->device_id);
        goto done;
    }
    if (check_token(s, d, f->device_id, job->token[0] ? job->token : NULL, &resp))
        goto done;
    int32_t k = (int32_t)f->split, n = m->n_ops;
    int local = k == n || (f->flags & SCIOT_WIRE_F_LOCAL);
    /* the tail (skipped for a full local run) */
    double comp_delay = delay_draw(s, &s->cfg.delay_computation);
    for (int32_t i = 0; i < n; i++)
        w->edge_times[i] = 0;
    int ran_tail = 0;
    /* Read every tensor of the frame into the worker's arena: the tail's
     * inputs, or a LOCAL report's outputs (its prediction goes into the
     * history). This is also where coded payloads are checked. */
    {
        for (uint32_t j = 0; j < f->n_tensors; j++) {
            const sciot_wire_tensor *t = &f->tensors[j];
            if ((st = sciot_wire_tensor_read(t, sciot_engine_tensor(&w->engine, t->index),
                                             m->tensors[t->index].bytes, &err))) {
                edge_response_error(&resp, 400, code_for(st), "%s", err.msg);
                goto done;
            }
        }
    }
    if (!local) {
        op_clock clk = {0, w->edge_times};
        sciot_engine_set_hook(&w->engine, op_hook, &clk);
        st = sciot_engine_run(&w->engine, k, n, &err);
        sciot_engine_set_hook(&w->engine, NULL, NULL);
        if (st) {
            edge_response_error(&resp, 500, "tail_failed", "%s", err.msg);
            goto done;
        }
        ran_tail = 1;
        /* simulated computation delay lands in the edge's own op times */
        if (comp_delay > 0 && k < n) {
            sleep_us(comp_delay);
            for (int32_t i = k; i < n; i++)
                w->edge_times[i] += (float)(comp_delay / (double)(n - k));
        }
    }
    uint64_t t_tail_end = sciot_now_us();
    char pred[160] = "";
    if (ran_tail || f->n_tensors > 0) /* a LOCAL report's outputs were read above */
        prediction_summary(m, &w->engine, pred, sizeof pred);

    /* planner update and next decision, under the device's lock */
    pthread_mutex_lock(&d->mu);
    for (uint32_t i = 0; i < f->n_times && (int32_t)i < n; i++)
        w->dev_times[i] = (float)sciot_wire_time(f, i);
    sciot_observation ob;
    memset(&ob, 0, sizeof ob);
    ob.split = k;
    ob.device_us = f->n_times ? w->dev_times : NULL;
    ob.n_device = (int32_t)f->n_times;
    ob.edge_us = ran_tail ? w->edge_times + k : NULL;
    ob.edge_queue_us = queue_us;
    double network_ms = -1, device_ms = 0;
    for (uint32_t i = 0; i < f->n_times; i++)
        device_ms += sciot_wire_time(f, i) / 1000.0;
    if ((f->flags & SCIOT_WIRE_F_TELEMETRY) && d->pending && f->prev_request_id == d->pending_request_id &&
        f->prev_rtt_us >= d->pending_edge_us) {
        /* The sample (bytes, round trip) belongs to the previous request.
         * Sent at another split, it is observed on its own at that split:
         * attached to this request, the planner learned the previous
         * frame's size as up_bytes[k] of this one (alternating k = 3 and
         * k = N-2 of person_detect: up_bytes[3] 9.4 KB for 24.5 KB frames,
         * up_bytes[N-2] 21 KB for 244-byte frames). */
        sciot_observation nb;
        memset(&nb, 0, sizeof nb);
        sciot_observation *net = d->pending_split == k ? &ob : &nb;
        nb.split = d->pending_split;
        nb.edge_queue_us = -1;
        net->has_network = true;
        net->bytes_sent = d->pending_bytes_up;
        net->bytes_received = d->pending_bytes_down;
        net->net_us = (double)f->prev_rtt_us - (double)d->pending_edge_us;
        if (net == &nb)
            sciot_planner_observe(&d->planner, &nb, NULL);
        network_ms = net->net_us / 1000.0;
        d->last_network_ms = network_ms;
        d->last_total_ms = f->prev_rtt_us / 1000.0 + d->pending_device_ms;
    }
    sciot_planner_observe(&d->planner, &ob, NULL);
    int32_t reprofile = sciot_planner_take_edge_reprofile(&d->planner, NULL);
    decide_locked(s, d);
    sciot_decision next = d->decision;
    sciot_decision_reason used_reason = d->last_reason_valid ? d->last_reason : SCIOT_WHY_BEST;
    uint64_t t_ready = sciot_now_us();
    uint32_t edge_us = (uint32_t)(t_ready - job->t_arrival);
    /* remember this request so the device's next frame can report its round trip */
    d->pending = 1;
    d->pending_request_id = f->request_id;
    d->pending_split = k;
    d->pending_edge_us = edge_us;
    d->pending_bytes_up = (uint32_t)job->len;
    d->pending_device_ms = device_ms;
    d->last_reason = next.reason;
    d->last_reason_valid = 1;
    d->last_split = k;
    snprintf(d->last_where, sizeof d->last_where, "%s", local ? "local" : k == 0 ? "edge" : "split");
    d->last_device_ms = device_ms;
    d->last_edge_ms = ran_tail ? (double)(t_tail_end - t_start) / 1000.0 : 0;
    d->last_seen_ms = edge_now_ms();
    d->n_inferences++;
    if (local)
        d->n_local_reports++;
    snprintf(d->last_prediction, sizeof d->last_prediction, "%s", pred);
    edge_persist_device_locked(s, d, 0);
    pthread_mutex_unlock(&d->mu);

    if (build_reply(s, w, f, ran_tail, &next, edge_us, job->want_json, &resp) == 0) {
        pthread_mutex_lock(&d->mu);
        d->pending_bytes_down = (uint32_t)resp.len;
        pthread_mutex_unlock(&d->mu);
    }
    /* history row */
    edge_inference_row row = {
        .time_ms = edge_now_ms(),
        .device_id = f->device_id,
        .transport = edge_transport_name(job->tr),
        .request_id = f->request_id,
        .split = k,
        .where = local ? "local" : k == 0 ? "edge" : "split",
        .device_ms = device_ms,
        .network_ms = network_ms,
        .edge_ms = ran_tail ? (double)(t_tail_end - t_start) / 1000.0 : 0,
        .total_ms = -1,
        .bytes_up = (uint32_t)job->len,
        .bytes_down = (uint32_t)resp.len,
        .reason = sciot_decision_reason_name(used_reason),
        .prediction = pred,
    };
    /* A LOCAL report may repeat a request the edge already recorded (its
     * reply was lost, the device fell back and queued the result): at least
     * once delivery, recorded once. */
    int duplicate = local && (f->flags & SCIOT_WIRE_F_LOCAL) && s->store &&
                    edge_store_has_inference(s->store, f->device_id, f->request_id) == 1;
    if (!duplicate) {
        edge_record_inference(s, &row);
        /* durable before the reply: a killed edge never loses a row the
         * device believes delivered (WAL commit, no fsync: cheap) */
        edge_store_flush(s->store, NULL);
    }
    edge_count_tail(s, ran_tail, (double)(t_tail_end - t_start), queue_us);
    if (reprofile > 0)
        edge_reprofile(s, w);

done:
    if (resp.status >= 400)
        edge_count_error(s, resp.status);
    /* simulated network delay: after the edge's measurement, inside the
     * device's round trip */
    sleep_us(delay_draw(s, &s->cfg.delay_network));
    job->done(job->user, &resp);
    edge_response_free(&resp);
}

static void *worker_main(void *arg)
{
    edge_worker *w = arg;
    edge_service *s = w->svc;
    for (;;) {
        pthread_mutex_lock(&s->q_mu);
        while (s->q_len == 0 && !s->stopping)
            pthread_cond_wait(&s->q_cv, &s->q_mu);
        if (s->q_len == 0 && s->stopping) {
            pthread_mutex_unlock(&s->q_mu);
            break;
        }
        edge_job *job = s->queue[s->q_head];
        s->q_head = (s->q_head + 1) % s->q_cap;
        s->q_len--;
        s->busy++;
        pthread_mutex_unlock(&s->q_mu);
        process_job(s, w, job);
        free(job);
        pthread_mutex_lock(&s->q_mu);
        s->busy--;
        pthread_cond_broadcast(&s->idle_cv);
        pthread_mutex_unlock(&s->q_mu);
    }
    return NULL;
}

void edge_result(edge_service *s, edge_transport tr, const uint8_t *frame, size_t len, const char *token,
                 int want_json, edge_done_fn done, void *user)
{
    edge_response resp = {0};
    edge_count_request(s, tr);
    if ((int64_t)len > s->cfg.max_body_bytes) {
        edge_response_error(&resp, 413, "body_too_large", "frame of %zu bytes exceeds the limit of %lld", len,
                            (long long)s->cfg.max_body_bytes);
        edge_count_error(s, 413);
        done(user, &resp);
        edge_response_free(&resp);
        return;
    }
    edge_job *job = malloc(sizeof *job + (len ? len : 1));
    if (!job) {
        edge_response_error(&resp, 500, "internal", "out of memory");
        done(user, &resp);
        edge_response_free(&resp);
        return;
    }
    job->t_arrival = sciot_now_us();
    job->tr = tr;
    job->len = len;
    memcpy(job->frame, frame, len);
    snprintf(job->token, sizeof job->token, "%s", token ? token : "");
    job->want_json = want_json;
    job->done = done;
    job->user = user;
    pthread_mutex_lock(&s->q_mu);
    if (s->stopping || s->q_len >= s->q_cap) {
        int stopping = s->stopping;
        pthread_mutex_unlock(&s->q_mu);
        free(job);
        if (stopping)
            edge_response_error(&resp, 503, "shutting_down", "the edge is shutting down");
        else
            edge_response_error(&resp, 503, "queue_full", "all %d queue slots are taken; retry shortly", s->q_cap);
        resp.retry_after_s = 1;
        edge_count_error(s, 503);
        done(user, &resp);
        edge_response_free(&resp);
        return;
    }
    s->queue[(s->q_head + s->q_len) % s->q_cap] = job;
    s->q_len++;
    pthread_cond_signal(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    edge_response *out;
} waiter;

static void wait_done(void *user, edge_response *resp)
{
    waiter *w = user;
    pthread_mutex_lock(&w->mu);
    *w->out = *resp;
    resp->body = NULL; /* ownership moves to the waiter */
    resp->len = 0;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void edge_result_wait(edge_service *s, edge_transport tr, const uint8_t *frame, size_t len, const char *token,
                      int want_json, edge_response *out)
{
    waiter w;
    memset(out, 0, sizeof *out);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    w.done = 0;
    w.out = out;
    edge_result(s, tr, frame, len, token, want_json, wait_done, &w);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
}

/* ---- edge profile --------------------------------------------------------- */

/* Median per-operator time of `runs` whole-model runs on worker w. */
static void profile_model(edge_service *s, edge_worker *w, int runs, float *out)
{
    const sciot_model *m = &s->model;
    int32_t n = m->n_ops;
    float *all = calloc((size_t)runs * (size_t)n, sizeof *all);
    if (!all)
        return;
    op_clock clk = {0, NULL};
    sciot_engine_set_hook(&w->engine, op_hook, &clk);
    for (int r = 0; r < runs; r++) {
        clk.times = all + (size_t)r * (size_t)n;
        sciot_engine_run(&w->engine, 0, n, NULL);
    }
    sciot_engine_set_hook(&w->engine, NULL, NULL);
    for (int32_t i = 0; i < n; i++) {
        /* insertion sort of one column, median */
        float col[64];
        int cnt = runs < 64 ? runs : 64;
        for (int r = 0; r < cnt; r++) {
            float v = all[(size_t)r * (size_t)n + (size_t)i];
            int j = r - 1;
            while (j >= 0 && col[j] > v) {
                col[j + 1] = col[j];
                j--;
            }
            col[j + 1] = v;
        }
        out[i] = col[cnt / 2];
    }
    free(all);
}

/* A re-profile runs the whole model 5 times on the calling worker, and its
 * result serves every device. Under load each device's planner sees noisy
 * edge times and asks for one on almost every request: bench/bench_edge
 * (FOMO, 64 clients) measured 82% of the edge's CPU in re-profiles and 500
 * tails/s. So at most one re-profile per EDGE_REPROFILE_MIN_MS for all
 * devices together; requests in between are dropped (a device whose edge
 * times stay unstable asks again). */
#define EDGE_REPROFILE_MIN_MS 10000

void edge_reprofile(edge_service *s, edge_worker *w)
{
    int64_t now = edge_now_ms();
    pthread_mutex_lock(&s->metrics_mu);
    int due = now - s->last_reprofile_ms >= EDGE_REPROFILE_MIN_MS;
    if (due) {
        s->last_reprofile_ms = now;
        s->n_reprofiles++;
    }
    pthread_mutex_unlock(&s->metrics_mu);
    if (!due)
        return;
    float *prof = calloc((size_t)s->model.n_ops, sizeof *prof);
    if (!prof)
        return;
    profile_model(s, w, 5, prof);
    pthread_rwlock_rdlock(&s->reg_mu);
    for (int i = 0; i < s->n_devices; i++) {
        edge_device *d = s->devices[i];
        pthread_mutex_lock(&d->mu);
        sciot_planner_observe_edge_profile(&d->planner, 0, s->model.n_ops, prof, NULL);
        pthread_mutex_unlock(&d->mu);
    }
    pthread_rwlock_unlock(&s->reg_mu);
    free(prof);
}

/* ---- lifecycle ------------------------------------------------------------- */

static sciot_status planner_config(const edge_config *c, sciot_planner_config *p, sciot_error *err)
{
    sciot_planner_config_default(p);
    if (sciot_objective_parse(c->objective, &p->objective) != 0)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.objective '%s': expected latency, energy, bytes or weighted",
                          c->objective);
    p->alpha = c->alpha;
    p->var_window = (uint16_t)c->variance_window;
    p->var_threshold = c->variance_threshold;
    p->seed = c->seed;
    p->adaptive_explore = c->adaptive_explore;
    p->hysteresis = c->hysteresis;
    p->local_mode.enabled = c->local_mode_enabled;
    p->local_mode.probability = c->local_mode_probability;
    p->power.cpu = c->power_cpu_w;
    p->power.tx = c->power_tx_w;
    p->power.idle = c->power_idle_w;
    p->weights.latency = c->weight_latency;
    p->weights.energy = c->weight_energy;
    p->weights.bytes = c->weight_bytes;
    return SCIOT_OK;
}

sciot_status edge_service_create(edge_service **out, const edge_config *cfg, sciot_error *err)
{
    sciot_status st;
    edge_service *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    s->cfg = *cfg;
    pthread_rwlock_init(&s->reg_mu, NULL);
    pthread_mutex_init(&s->q_mu, NULL);
    pthread_cond_init(&s->q_cv, NULL);
    pthread_cond_init(&s->idle_cv, NULL);
    pthread_mutex_init(&s->rng_mu, NULL);
    pthread_mutex_init(&s->metrics_mu, NULL);
    sciot_rng_seed(&s->rng, cfg->seed ^ 0x5c107edULL);
    s->started_ms = edge_now_ms();
    if ((st = planner_config(cfg, &s->pcfg, err)))
        goto fail;
    if ((st = sciot_model_load_file(&s->model, cfg->model, err)))
        goto fail;
    s->model_loaded = 1;
    sciot_sha256(s->model.file, s->model.file_len, s->sha);
    for (int j = 0; j < 32; j++)
        snprintf(s->sha_hex + 2 * j, 3, "%02x", s->sha[j]);
    int32_t n = s->model.n_ops;
    s->cut_bytes = calloc((size_t)n + 1, sizeof *s->cut_bytes);
    s->edge_profile = calloc((size_t)n + 1, sizeof *s->edge_profile);
    s->devices = calloc((size_t)cfg->max_devices, sizeof *s->devices);
    s->q_cap = cfg->queue_depth;
    s->queue = calloc((size_t)s->q_cap, sizeof *s->queue);
    s->n_workers = cfg->workers;
    s->workers = calloc((size_t)s->n_workers, sizeof *s->workers);
    if (!s->cut_bytes || !s->edge_profile || !s->devices || !s->queue || !s->workers) {
        st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
        goto fail;
    }
    for (int32_t k = 0; k <= n; k++)
        s->cut_bytes[k] = (double)sciot_model_cut_bytes(&s->model, k);
    sciot_arena_info info;
    if ((st = sciot_engine_arena_size(&s->model, 0, n, &info, err)))
        goto fail;
    for (int i = 0; i < s->n_workers; i++) {
        edge_worker *w = &s->workers[i];
        w->svc = s;
        w->arena = aligned_alloc(64, (info.total_bytes + 63) & ~(size_t)63);
        w->edge_times = calloc((size_t)n + 1, sizeof(float));
        w->dev_times = calloc((size_t)n + 1, sizeof(float));
        if (!w->arena || !w->edge_times || !w->dev_times) {
            st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory for worker arenas");
            goto fail;
        }
        if ((st = sciot_engine_init(&w->engine, &s->model, 0, n, w->arena, info.total_bytes, err))) {
            sciot_error_prefix(err, cfg->model);
            goto fail;
        }
    }
    s->arena_bytes = info.total_bytes;
    /* the edge's own per-operator times, before serving */
    profile_model(s, &s->workers[0], 15, s->edge_profile);
    s->edge_profile_ready = 1;
    if ((st = edge_store_open(&s->store, cfg->db_path, err)))
        goto fail;
    if ((st = edge_load_devices(s, err)))
        goto fail;
    for (int i = 0; i < s->n_workers; i++) {
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
            st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "cannot start worker thread %d", i);
            s->n_started = i;
            goto fail;
        }
    }
    s->n_started = s->n_workers;
    *out = s;
    return SCIOT_OK;
fail:
    edge_service_destroy(s);
    return st;
}

void edge_service_destroy(edge_service *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->q_mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    for (int i = 0; i < s->n_started; i++)
        pthread_join(s->workers[i].thread, NULL);
    /* persist every device, then close the store (flushes history) */
    if (s->store) {
        pthread_rwlock_rdlock(&s->reg_mu);
        for (int i = 0; i < s->n_devices; i++) {
            pthread_mutex_lock(&s->devices[i]->mu);
            edge_persist_device_locked(s, s->devices[i], 1);
            pthread_mutex_unlock(&s->devices[i]->mu);
        }
        pthread_rwlock_unlock(&s->reg_mu);
        edge_store_close(s->store);
    }
    for (int i = 0; i < s->n_devices; i++)
        device_free(s->devices[i]);
    for (int i = 0; s->workers && i < s->n_workers; i++) {
        free(s->workers[i].arena);
        free(s->workers[i].edge_times);
        free(s->workers[i].dev_times);
    }
    free(s->workers);
    free(s->devices);
    free(s->queue);
    free(s->cut_bytes);
    free(s->edge_profile);
    if (s->model_loaded)
        sciot_model_free(&s->model);
    pthread_rwlock_destroy(&s->reg_mu);
    pthread_mutex_destroy(&s->q_mu);
    pthread_cond_destroy(&s->q_cv);
    pthread_cond_destroy(&s->idle_cv);
    pthread_mutex_destroy(&s->rng_mu);
    pthread_mutex_destroy(&s->metrics_mu);
    free(s);
}

const sciot_model *edge_service_model(const edge_service *s)
{
    return &s->model;
}

const char *edge_service_model_sha_hex(const edge_service *s)
{
    return s->sha_hex;
}
