/* device.c — one split inference on the device, with graceful fallback.
 * See sciot/device.h for the contract; this file has no heap, no OS calls. */
#include "sciot/device.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *sciot_where_name(sciot_where w)
{
    return w == SCIOT_WHERE_SPLIT ? "split" : w == SCIOT_WHERE_EDGE ? "edge" : "local";
}

sciot_status sciot_device_arena_size(const sciot_model *m, size_t *bytes, sciot_error *err)
{
    sciot_arena_info info;
    sciot_status s = sciot_engine_arena_size(m, 0, m ? m->n_ops : 0, &info, err);
    if (s == SCIOT_OK)
        *bytes = info.total_bytes;
    return s;
}

/* Bound of a frame carrying the cut of k (or the outputs, for k < 0) with
 * n_times operator times. */
static size_t frame_bound_for(const sciot_model *m, int32_t k, uint32_t n_times)
{
    sciot_wire_frame f;
    int32_t cut[SCIOT_WIRE_MAX_TENSORS];
    memset(&f, 0, sizeof f);
    int32_t n = k < 0 ? m->n_outputs : sciot_model_cut(m, k, cut, SCIOT_WIRE_MAX_TENSORS);
    if (n > SCIOT_WIRE_MAX_TENSORS)
        n = SCIOT_WIRE_MAX_TENSORS;
    f.n_tensors = (uint32_t)n;
    f.n_times = n_times;
    for (int32_t j = 0; j < n; j++)
        f.tensors[j].raw_len = (uint32_t)m->tensors[k < 0 ? m->outputs[j] : cut[j]].bytes;
    return sciot_wire_frame_bound(&f);
}

size_t sciot_device_frame_cap(const sciot_model *m)
{
    size_t best = 0;
    for (int32_t k = 0; m && k <= m->n_ops; k++) {
        size_t b = frame_bound_for(m, k, (uint32_t)m->n_ops);
        if (b > best)
            best = b;
    }
    return best;
}

size_t sciot_device_reply_cap(const sciot_model *m)
{
    return m ? frame_bound_for(m, -1, 1) : 0;
}

sciot_status sciot_device_init(sciot_device *d, const sciot_model *m, const uint8_t sha256[32], const char *device_id,
                               void *arena, size_t arena_size, uint8_t *tx, size_t tx_cap, uint8_t *rx,
                               size_t rx_cap, uint32_t *times, const sciot_device_platform *pf, sciot_error *err)
{
    sciot_status s;
    if (!d || !m || !sha256 || !device_id || !tx || !rx || !times || !pf || !pf->now_us)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "device init: a required argument is NULL");
    size_t idlen = strlen(device_id);
    if (idlen == 0 || idlen > SCIOT_WIRE_MAX_DEVICE_ID)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "device id '%.70s': 1..%d bytes", device_id,
                          SCIOT_WIRE_MAX_DEVICE_ID);
    memset(d, 0, sizeof *d);
    if (tx_cap < sciot_device_frame_cap(m))
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "frame buffer of %zu bytes, the largest frame needs %zu", tx_cap,
                          sciot_device_frame_cap(m));
    if (rx_cap < sciot_device_reply_cap(m))
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "reply buffer of %zu bytes, a reply needs %zu", rx_cap,
                          sciot_device_reply_cap(m));
    if ((s = sciot_engine_init(&d->engine, m, 0, m->n_ops, arena, arena_size, err)))
        return s;
    d->model = m;
    memcpy(d->model_sha256, sha256, 32);
    memcpy(d->device_id, device_id, idlen + 1);
    d->pf = *pf;
    d->tx = tx;
    d->tx_cap = tx_cap;
    d->rx = rx;
    d->rx_cap = rx_cap;
    d->times = times;
    d->split = m->n_ops;
    d->timeout_ms = 5000;
    d->compress = 1;
    d->slowdown = 1.0f;
    d->next_request_id = 1;
    return SCIOT_OK;
}

void *sciot_device_input(sciot_device *d, int32_t i)
{
    if (!d || i < 0 || i >= d->model->n_inputs)
        return NULL;
    return sciot_engine_tensor(&d->engine, d->model->inputs[i]);
}

const void *sciot_device_output(const sciot_device *d, int32_t i)
{
    if (!d || i < 0 || i >= d->model->n_outputs)
        return NULL;
    return sciot_engine_tensor(&d->engine, d->model->outputs[i]);
}

void sciot_device_set_split(sciot_device *d, int32_t k)
{
    if (d)
        d->split = (k < 0 || k > d->model->n_ops) ? d->model->n_ops : k;
}

/* Run [a, b) with per-operator timing and emulation; returns the time. */
static sciot_status run_timed(sciot_device *d, int32_t a, int32_t b, uint32_t *spent, sciot_error *err)
{
    uint64_t total = 0;
    for (int32_t i = a; i < b; i++) {
        uint64_t t0 = d->pf.now_us(d->pf.ctx);
        sciot_status s = sciot_engine_run(&d->engine, i, i + 1, err);
        if (s)
            return s;
        uint64_t t = d->pf.now_us(d->pf.ctx) - t0;
        double want = d->profile_us ? (double)d->profile_us[i] : (double)t * (double)d->slowdown;
        if (d->pf.delay_us && want > (double)t) {
            d->pf.delay_us(d->pf.ctx, (uint64_t)(want - (double)t));
            t = d->pf.now_us(d->pf.ctx) - t0; /* the emulated time is what is measured */
        }
        d->times[i] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        total += t;
    }
    *spent = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    return SCIOT_OK;
}

/* Encode the cut of k (or, for a LOCAL report, the outputs with every
 * operator's time) into d->tx. */
static sciot_status encode(sciot_device *d, uint64_t id, int32_t k, int local, sciot_error *err)
{
    const sciot_model *m = d->model;
    sciot_wire_frame *f = &d->frame;
    int32_t cut[SCIOT_WIRE_MAX_TENSORS];
    memset(f, 0, sizeof *f);
    f->version = SCIOT_WIRE_VERSION;
    f->flags = (uint8_t)((d->compress ? SCIOT_WIRE_F_COMPRESS : 0) | (local ? SCIOT_WIRE_F_LOCAL : 0));
    if (d->has_prev) {
        f->flags |= SCIOT_WIRE_F_TELEMETRY;
        f->prev_request_id = d->prev_request_id;
        f->prev_rtt_us = d->prev_rtt_us;
    }
    f->request_id = id;
    f->device_id_len = (uint8_t)strlen(d->device_id);
    memcpy(f->device_id, d->device_id, f->device_id_len);
    memcpy(f->model_sha256, d->model_sha256, 32);
    f->split = (uint32_t)k;
    f->n_times = (uint32_t)k;
    f->times_in = d->times;
    int32_t n = sciot_model_cut(m, k, cut, SCIOT_WIRE_MAX_TENSORS);
    if (n > SCIOT_WIRE_MAX_TENSORS)
        return sciot_fail(err, SCIOT_ERR_LENGTH,
                          "the cut of k = %" PRId32 " has %" PRId32 " tensors, a frame carries %d", k, n,
                          SCIOT_WIRE_MAX_TENSORS);
    f->n_tensors = (uint32_t)n;
    for (int32_t j = 0; j < n; j++) {
        f->tensors[j].index = cut[j];
        f->tensors[j].data = sciot_engine_tensor(&d->engine, cut[j]);
        f->tensors[j].raw_len = (uint32_t)m->tensors[cut[j]].bytes;
    }
    return sciot_wire_encode(f, m, d->tx, d->tx_cap, &d->tx_len, err);
}

/* Check a reply to request `id` in d->rx[len]; with outputs, copy them into
 * the engine. Sets the next decision and the edge's processing time. */
static sciot_status take_reply(sciot_device *d, size_t len, uint64_t id, int want_outputs, uint32_t *edge_us,
                               sciot_error *err)
{
    const sciot_model *m = d->model;
    sciot_wire_frame *f = &d->frame;
    sciot_status s = sciot_wire_decode(d->rx, len, m, d->model_sha256, f, err);
    if (s)
        return s;
    if (!(f->flags & SCIOT_WIRE_F_REPLY))
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "the edge's answer is not a REPLY frame");
    if (f->request_id != id)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "reply to request %llu, expected %llu",
                          (unsigned long long)f->request_id, (unsigned long long)id);
    if (want_outputs && f->n_tensors != (uint32_t)m->n_outputs)
        return sciot_fail(err, SCIOT_ERR_MISSING_TENSOR, "reply carries %u tensors, the model has %" PRId32 " outputs",
                          (unsigned)f->n_tensors, m->n_outputs);
    for (uint32_t j = 0; want_outputs && j < f->n_tensors; j++) {
        const sciot_wire_tensor *t = &f->tensors[j];
        if ((s = sciot_wire_tensor_read(t, sciot_engine_tensor(&d->engine, t->index), m->tensors[t->index].bytes,
                                        err)))
            return s;
    }
    *edge_us = f->n_times ? sciot_wire_time(f, 0) : 0;
    sciot_device_set_split(d, (int32_t)f->split);
    return SCIOT_OK;
}

/* Exchange d->tx and take the reply; on success records the telemetry. */
static sciot_status round_trip(sciot_device *d, uint64_t id, int want_outputs, sciot_device_result *r,
                               sciot_error *err)
{
    size_t rlen = 0;
    uint32_t edge_us = 0;
    if (!d->pf.exchange)
        return sciot_fail(err, SCIOT_ERR_IO, "no transport");
    uint64_t t0 = d->pf.now_us(d->pf.ctx);
    sciot_status s = d->pf.exchange(d->pf.ctx, d->tx, d->tx_len, d->rx, d->rx_cap, &rlen, d->timeout_ms, err);
    uint64_t rtt = d->pf.now_us(d->pf.ctx) - t0;
    r->bytes_sent += (uint32_t)d->tx_len;
    if (s)
        return s;
    r->bytes_received += (uint32_t)rlen;
    if ((s = take_reply(d, rlen, id, want_outputs, &edge_us, err)))
        return s;
    r->edge_us = edge_us;
    r->network_us = rtt > edge_us ? (uint32_t)(rtt - edge_us) : 0;
    d->prev_request_id = id;
    d->prev_rtt_us = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
    d->has_prev = 1;
    return SCIOT_OK;
}

static void note_error(sciot_device_result *r, sciot_status s, const sciot_error *e)
{
    r->net_status = s;
    snprintf(r->error, sizeof r->error, "%s", e->msg[0] ? e->msg : sciot_strerror(s));
}

sciot_status sciot_device_infer(sciot_device *d, sciot_device_result *r, sciot_error *err)
{
    sciot_status s;
    sciot_error net = {0};
    if (!d || !r)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "device infer: NULL argument");
    const int32_t n = d->model->n_ops;
    int32_t k = d->split;
    uint64_t id = d->next_request_id++;
    memset(r, 0, sizeof *r);
    r->request_id = id;
    r->split = k;
    uint64_t t0 = d->pf.now_us(d->pf.ctx);
    uint32_t head_us = 0, tail_us = 0;
    if ((s = run_timed(d, 0, k, &head_us, err)))
        return s;
    r->device_us = head_us;
    int local = k == n;
    if (!local) {
        if ((s = encode(d, id, k, 0, &net)) == SCIOT_OK && (s = round_trip(d, id, 1, r, &net)) == SCIOT_OK) {
            d->edge_ok = 1;
            r->where = k == 0 ? SCIOT_WHERE_EDGE : SCIOT_WHERE_SPLIT;
            r->next_split = d->split;
            r->total_us = (uint32_t)(d->pf.now_us(d->pf.ctx) - t0);
            return SCIOT_OK;
        }
        /* the edge failed: finish here, keep the result, report it later */
        note_error(r, s, &net);
        r->fell_back = 1;
        d->edge_ok = 0;
        if ((s = run_timed(d, k, n, &tail_us, err)))
            return s;
        r->device_us += tail_us;
    }
    r->where = SCIOT_WHERE_LOCAL;
    /* The prediction is ready here: that is the request's latency. The
     * report below is bookkeeping for the edge, not on the answer's path. */
    uint32_t answer_us = (uint32_t)(d->pf.now_us(d->pf.ctx) - t0);
    /* A LOCAL report: the outputs and every operator's time. After a
     * fallback it is only queued (the edge just failed); otherwise it is
     * sent now and doubles as a probe of the edge. */
    sciot_error e2 = {0};
    if ((s = encode(d, id, n, 1, &e2)) != SCIOT_OK) {
        if (!r->fell_back)
            note_error(r, s, &e2);
    } else if (r->fell_back) {
        r->report_pending = 1;
        d->split = n;
    } else if ((s = round_trip(d, id, 0, r, &e2)) != SCIOT_OK) {
        note_error(r, s, &e2);
        r->report_pending = 1;
        d->edge_ok = 0;
        d->split = n;
    } else {
        d->edge_ok = 1;
    }
    r->next_split = d->split;
    r->total_us = answer_us;
    return SCIOT_OK;
}

const uint8_t *sciot_device_pending_report(const sciot_device *d, size_t *len)
{
    if (!d || !len)
        return NULL;
    *len = d->tx_len;
    return d->tx;
}

sciot_status sciot_device_send_report(sciot_device *d, const uint8_t *frame, size_t len, sciot_error *err)
{
    sciot_status s;
    sciot_device_result r;
    sciot_wire_frame *f = &d->frame;
    if (!d || !frame || len > d->tx_cap)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "report of %zu bytes does not fit the frame buffer", len);
    /* the request id of the report, to match its reply */
    if ((s = sciot_wire_parse(frame, len, f, err)))
        return s;
    uint64_t id = f->request_id;
    if (frame != d->tx)
        memcpy(d->tx, frame, len);
    d->tx_len = len;
    memset(&r, 0, sizeof r);
    size_t rlen = 0;
    uint32_t edge_us;
    if (!d->pf.exchange)
        return sciot_fail(err, SCIOT_ERR_IO, "no transport");
    if ((s = d->pf.exchange(d->pf.ctx, d->tx, d->tx_len, d->rx, d->rx_cap, &rlen, d->timeout_ms, err))) {
        d->edge_ok = 0;
        return s;
    }
    if ((s = take_reply(d, rlen, id, 0, &edge_us, err)))
        return s;
    d->edge_ok = 1;
    return SCIOT_OK;
}
