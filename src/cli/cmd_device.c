/* cmd_device.c — `sciot device`: the Linux device client.
 *
 * The device core (sciot/device.h) does one split inference per request
 * and falls back to a local run when the edge fails; this file gives it a
 * clock, a transport (src/client/: HTTP, WebSocket, MQTT) and the on-disk
 * queue of LOCAL reports the edge has not received yet, and handles
 * registration:
 *   - at start, and again when the edge comes back: an exchange succeeds
 *     after failures, or the edge answers 404 unknown_device (it lost its
 *     state); no registration is attempted while the edge is down, so a
 *     request never pays for more than one timeout;
 *   - every inference whose LOCAL report could not be delivered is queued
 *     (written atomically); after every successful exchange the queue is
 *     sent, oldest first, each file deleted once the edge took it.
 * Output: one line per inference (JSON with --json), warnings and a summary
 * on stderr. Exit 0 whenever every inference produced a prediction, edge or
 * no edge. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "client/client.h"
#include "sciot/device.h"
#include "sciot/wire.h"

static const char help[] =
    "usage: sciot device --model M [--edge URL] [--input FILE|DIR] [--count N] [--interval MS]\n"
    "                    [--device-id ID] [--token T] [--timeout-ms MS] [--json]\n"
    "                    [--queue DIR] [--queue-max N] [--slowdown X | --profile FILE] [--no-compress]\n"
    "Runs the model as a device of a split-computing edge: each request runs the\n"
    "operators [0, k) here, sends the cut to the edge and takes the prediction and\n"
    "the next decision k from its reply; when the edge fails, the rest runs here.\n"
    "\n"
    "  --edge URL        http://HOST:PORT, ws://HOST:PORT/ws or mqtt://HOST:PORT[/PREFIX]\n"
    "                    (none: every inference local, nothing sent)\n"
    "  --model M         the .tflite model (the edge must serve the same file)\n"
    "  --input FILE|DIR  an image or a raw tensor, or a directory of them, cycled in\n"
    "                    name order (none: deterministic pseudo-random input)\n"
    "  --count N         inferences (default 10; 0: until SIGINT/SIGTERM)\n"
    "  --interval MS     start a request every MS ms (default 0: back to back)\n"
    "  --device-id ID    default dev-<hostname>\n"
    "  --token T         the device's token (Authorization: Bearer / JSON / MQTT property)\n"
    "  --timeout-ms MS   bound of every call, connection set-up included (default 5000)\n"
    "  --json            one JSON object per inference on stdout\n"
    "  --queue DIR       undelivered LOCAL reports (default ./sciot_device_queue_<ID>)\n"
    "  --queue-max N     at most N queued reports; the oldest goes first (default 1000)\n"
    "  --slowdown X      every operator takes X times its measured time (X >= 1)\n"
    "  --profile FILE    JSON {\"device_us\":[one number per operator]}: operator times\n"
    "                    to emulate (e.g. measured on an ESP32-S3)\n"
    "  --no-compress     send raw tensor payloads\n"
    "JSON line: request, request_id, input, split, next_split, where (split|local|edge),\n"
    "device_ms, network_ms, edge_ms, total_ms, bytes_sent, bytes_received, error (null or\n"
    "why it ran locally), queued, output (first output tensor, raw values, <= 4096).\n"
    "Details: docs/DEVICE.md.\n";

#define OUTPUT_MAX_VALUES 4096

typedef struct {
    const char *edge, *model, *input, *device_id, *token, *queue, *profile;
    long count, interval_ms, timeout_ms, queue_max;
    double slowdown;
    int json, compress;
} dev_opts;

typedef struct {
    dev_opts o;
    char device_id[SCIOT_WIRE_MAX_DEVICE_ID + 1];
    char sha_hex[65];
    sciot_model model;
    sciot_device dev;
    void *arena;
    uint8_t *tx, *rx, *qbuf;
    uint32_t *times;
    float *profile_us;
    char **inputs;
    size_t n_inputs;
    client_transport *tr;
    client_queue *q;
    /* edge state */
    int registered, edge_up, warned_down, warned_refused;
    /* totals */
    uint64_t n, n_where[3], fallbacks, registrations;
    double sum_total_where[3], sum_device, sum_network, sum_edge, sum_total;
    uint64_t n_net; /* inferences with a network part (split/edge) */
    uint64_t queued, delivered, dropped, rejected;
} dev_run;

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- platform ------------------------------------------------------------------ */

static uint64_t pf_now_us(void *ctx)
{
    (void)ctx;
    return sciot_now_us();
}

static void pf_delay_us(void *ctx, uint64_t us)
{
    (void)ctx;
    struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static sciot_status pf_exchange(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                                size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    dev_run *st = ctx;
    return st->tr->exchange(st->tr, req, req_len, resp, resp_cap, resp_len, timeout_ms, err);
}

/* ---- small helpers ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The input files: FILE, or the regular files of DIR in name order. */
static int list_inputs(dev_run *st, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cli_error("device", "--input %s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) {
        st->inputs = malloc(sizeof *st->inputs);
        if (!st->inputs || !(st->inputs[0] = strdup(path)))
            return cli_error("device", "out of memory");
        st->n_inputs = 1;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return cli_error("device", "--input %s: %s", path, strerror(errno));
    size_t cap = 16;
    st->inputs = malloc(cap * sizeof *st->inputs);
    struct dirent *e;
    while (st->inputs && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!full)
            break;
        snprintf(full, len, "%s/%s", path, e->d_name);
        if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(full);
            continue;
        }
        if (st->n_inputs == cap) {
            char **ni = realloc(st->inputs, 2 * cap * sizeof *ni);
            if (!ni) {
                free(full);
                break;
            }
            st->inputs = ni;
            cap *= 2;
        }
        st->inputs[st->n_inputs++] = full;
    }
    closedir(d);
    if (!st->inputs)
        return cli_error("device", "out of memory");
    if (st->n_inputs == 0)
        return cli_error("device", "--input %s: no files in the directory", path);
    qsort(st->inputs, st->n_inputs, sizeof *st->inputs, cmp_str);
    return 0;
}

static int load_profile(dev_run *st, const char *path)
{
    uint8_t *data;
    size_t len;
    sciot_error err = {0};
    if (sciot_read_file(path, &data, &len, &err))
        return cli_error("device", "--profile: %s", err.msg);
    cJSON *o = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "device_us");
    int32_t n = st->model.n_ops;
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(o);
        return cli_error("device", "--profile %s: expected a JSON object {\"device_us\": [%d numbers]}", path, n);
    }
    if (cJSON_GetArraySize(a) != n) {
        int got = cJSON_GetArraySize(a);
        cJSON_Delete(o);
        return cli_error("device", "--profile %s: %d times, the model has %d operators", path, got, n);
    }
    st->profile_us = malloc((size_t)n * sizeof *st->profile_us);
    if (!st->profile_us) {
        cJSON_Delete(o);
        return cli_error("device", "out of memory");
    }
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > 1e9) {
            cJSON_Delete(o);
            return cli_error("device", "--profile %s: device_us[%d] is not a number of microseconds in [0, 1e9]",
                             path, i);
        }
        st->profile_us[i++] = (float)v->valuedouble;
    }
    cJSON_Delete(o);
    return 0;
}

static void default_device_id(char *out, size_t cap)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    size_t n = (size_t)snprintf(out, cap, "dev-");
    for (const char *p = host; *p && n + 1 < cap && n < SCIOT_WIRE_MAX_DEVICE_ID; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '.';
        out[n++] = ok ? c : '_';
    }
    out[n] = 0;
}

/* The edge's rule: 1..64 printable characters without / + # " \ (and
 * spaces, which topics and paths do not like either). */
static int valid_device_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SCIOT_WIRE_MAX_DEVICE_ID)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '+' || c == '#' || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void print_output_values(dev_run *st, FILE *f, size_t max_values)
{
    const sciot_model *m = &st->model;
    const sciot_tensor *t = &m->tensors[m->outputs[0]];
    const void *p = sciot_device_output(&st->dev, 0);
    size_t n = t->elems < max_values ? t->elems : max_values;
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        switch (t->dtype) {
        case SCIOT_INT8: fprintf(f, "%d", ((const int8_t *)p)[i]); break;
        case SCIOT_UINT8: fprintf(f, "%u", ((const uint8_t *)p)[i]); break;
        case SCIOT_INT16: fprintf(f, "%d", ((const int16_t *)p)[i]); break;
        case SCIOT_INT32: fprintf(f, "%d", ((const int32_t *)p)[i]); break;
        case SCIOT_FLOAT32: {
            float v = ((const float *)p)[i];
            if (isfinite(v))
                fprintf(f, "%.9g", v);
            else
                fputs("null", f);
            break;
        }
        default: fputs("null", f); break;
        }
    }
    if (n < t->elems)
        fputs(",...", f);
    fputc(']', f);
}

/* ---- registration, queue ------------------------------------------------------------- */

static void warn_down(dev_run *st, const char *why)
{
    if (st->warned_down)
        return;
    st->warned_down = 1;
    if (st->q)
        fprintf(stderr,
                "sciot device: warning: edge %s unavailable (%s); running locally, results queued in %s\n",
                st->o.edge, why, client_queue_dir(st->q));
    else
        fprintf(stderr, "sciot device: warning: edge %s unavailable (%s); running locally\n", st->o.edge, why);
}

/* An error answer that repeating will not change. */
static int permanent_refusal(int status)
{
    return status == 400 || status == 409 || status == 413 || status == 415 || status == 422;
}

static int do_register(dev_run *st, const char *why)
{
    sciot_error err = {0};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", st->device_id);
    cJSON_AddStringToObject(o, "model_sha256", st->sha_hex);
    if (st->o.token)
        cJSON_AddStringToObject(o, "token", st->o.token);
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!body)
        return 0;
    char *answer = NULL;
    sciot_status s = st->tr->reg(st->tr, body, &answer, (uint32_t)st->o.timeout_ms, &err);
    free(body);
    if (s) {
        st->registered = 0;
        if (permanent_refusal(st->tr->last_status) || st->tr->last_status == 401) {
            if (!st->warned_refused)
                fprintf(stderr, "sciot device: warning: edge %s refused the registration: %s; running locally\n",
                        st->o.edge, err.msg);
            st->warned_refused = 1;
            st->edge_up = 1; /* it answers; it just does not take us (yet) */
        } else {
            st->edge_up = 0;
            warn_down(st, err.msg);
        }
        return 0;
    }
    cJSON *a = cJSON_Parse(answer);
    free(answer);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(a, "split");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(a, "n_ops");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(a, "reason");
    if (!cJSON_IsNumber(k) || (cJSON_IsNumber(n) && n->valueint != st->model.n_ops)) {
        fprintf(stderr, "sciot device: warning: edge %s: unexpected registration answer; running locally\n",
                st->o.edge);
        cJSON_Delete(a);
        st->registered = 0;
        return 0;
    }
    sciot_device_set_split(&st->dev, k->valueint);
    fprintf(stderr, "sciot device: registered with %s (%s) as %s: split %d of %d (%s)\n", st->o.edge, why,
            st->device_id, st->dev.split, st->model.n_ops, cJSON_IsString(reason) ? reason->valuestring : "-");
    cJSON_Delete(a);
    st->registered = 1;
    st->edge_up = 1;
    st->warned_down = 0;
    st->warned_refused = 0;
    st->registrations++;
    return 1;
}

static int is_unknown_device(const client_transport *t)
{
    return t->last_status == 404 && !strcmp(t->last_code, "unknown_device");
}

static void queue_pending(dev_run *st)
{
    size_t len = 0;
    sciot_error err = {0};
    const uint8_t *f = sciot_device_pending_report(&st->dev, &len);
    int dropped = 0;
    uint64_t dseq = 0;
    if (!f || !len)
        return;
    if (client_queue_push(st->q, f, len, &dropped, &dseq, &err)) {
        fprintf(stderr, "sciot device: warning: cannot queue a report: %s\n", err.msg);
        return;
    }
    st->queued++;
    if (dropped) {
        st->dropped++;
        fprintf(stderr, "sciot device: warning: queue full (%ld reports): dropped the oldest (#%llu)\n",
                st->o.queue_max, (unsigned long long)dseq);
    }
}

/* Send the queued reports, oldest first; stop at the first failure. */
static void drain(dev_run *st)
{
    int reregistered = 0;
    size_t cap = sciot_device_frame_cap(&st->model);
    while (client_queue_len(st->q) > 0 && !stop_requested) {
        size_t len = 0;
        uint64_t seq = 0;
        sciot_error err = {0};
        sciot_status s = client_queue_peek(st->q, st->qbuf, cap, &len, &seq, &err);
        if (s == SCIOT_OK) {
            sciot_wire_frame f;
            s = sciot_wire_parse(st->qbuf, len, &f, &err);
            if (s == SCIOT_OK && (memcmp(f.model_sha256, st->dev.model_sha256, 32) != 0 ||
                                  strcmp(f.device_id, st->device_id) != 0 || !(f.flags & SCIOT_WIRE_F_LOCAL)))
                s = sciot_fail(&err, SCIOT_ERR_MODEL_MISMATCH, "a report of another device or model");
        }
        if (s == SCIOT_ERR_IO)
            return; /* cannot read it now: leave it */
        if (s) {
            fprintf(stderr, "sciot device: warning: queued report #%llu is unusable (%s): deleted\n",
                    (unsigned long long)seq, err.msg);
            client_queue_pop(st->q, NULL);
            st->rejected++;
            continue;
        }
        s = sciot_device_send_report(&st->dev, st->qbuf, len, &err);
        if (s == SCIOT_OK) {
            client_queue_pop(st->q, NULL);
            st->delivered++;
            continue;
        }
        if (is_unknown_device(st->tr) && !reregistered) {
            reregistered = 1;
            if (do_register(st, "the edge does not know this device"))
                continue;
            return;
        }
        if (st->tr->last_status >= 400 && permanent_refusal(st->tr->last_status)) {
            fprintf(stderr, "sciot device: warning: the edge refused queued report #%llu (%s): deleted\n",
                    (unsigned long long)seq, err.msg);
            client_queue_pop(st->q, NULL);
            st->rejected++;
            continue;
        }
        st->edge_up = 0;
        warn_down(st, err.msg);
        return;
    }
}

/* ---- one request ------------------------------------------------------------------- */

static void after_inference(dev_run *st, sciot_device_result *r, int *queued)
{
    *queued = 0;
    if (!st->tr)
        return;
    int ok = r->net_status == SCIOT_OK && !r->fell_back && !r->report_pending;
    if (ok) {
        if (!st->registered || !st->edge_up || st->warned_down) {
            if (st->warned_down)
                fprintf(stderr, "sciot device: edge %s is reachable again\n", st->o.edge);
            st->edge_up = 1;
            st->warned_down = 0;
            do_register(st, "the edge is back");
        }
        drain(st);
        return;
    }
    const client_transport *t = st->tr;
    int refused = t->last_status >= 400 && permanent_refusal(t->last_status);
    if (r->report_pending && st->q && !refused) {
        queue_pending(st);
        *queued = 1;
    }
    if (is_unknown_device(t)) {
        st->registered = 0;
        if (do_register(st, "the edge does not know this device"))
            drain(st);
        return;
    }
    if (refused) {
        if (!st->warned_refused)
            fprintf(stderr, "sciot device: warning: edge %s refuses this device's frames (%s); running locally\n",
                    st->o.edge, r->error);
        st->warned_refused = 1;
        return;
    }
    st->edge_up = 0;
    warn_down(st, r->error);
}

static void print_result(dev_run *st, uint64_t i, const char *input, const sciot_device_result *r, int queued)
{
    /* the decision the next request will use (a registration or a drained
     * report may have replaced the reply's) */
    int32_t next_split = st->dev.split;
    const sciot_model *m = &st->model;
    int local = r->where == SCIOT_WHERE_LOCAL;
    /* a local run: the edge ran no operator; network is the report's trip */
    double device_ms = r->device_us / 1000.0, edge_ms = local ? 0.0 : r->edge_us / 1000.0;
    double network_ms = r->network_us / 1000.0, total_ms = r->total_us / 1000.0;
    const char *error = st->tr && r->error[0] ? r->error : NULL;
    const sciot_tensor *out = &m->tensors[m->outputs[0]];
    FILE *f = stdout;
    if (st->o.json) {
        fprintf(f, "{\"request\":%llu,\"request_id\":%llu,\"input\":", (unsigned long long)i,
                (unsigned long long)r->request_id);
        if (input)
            json_string(f, input);
        else
            fputs("null", f);
        fprintf(f,
                ",\"split\":%d,\"next_split\":%d,\"n_ops\":%d,\"where\":\"%s\",\"device_ms\":%.3f,"
                "\"network_ms\":%.3f,\"edge_ms\":%.3f,\"total_ms\":%.3f,\"bytes_sent\":%u,\"bytes_received\":%u,"
                "\"fell_back\":%s,\"error\":",
                r->split, next_split, m->n_ops, sciot_where_name(r->where), device_ms, network_ms, edge_ms,
                total_ms, r->bytes_sent, r->bytes_received, r->fell_back ? "true" : "false");
        if (error)
            json_string(f, error);
        else
            fputs("null", f);
        fprintf(f, ",\"queued\":%s,\"output\":", queued ? "true" : "false");
        if (out->elems <= OUTPUT_MAX_VALUES)
            print_output_values(st, f, OUTPUT_MAX_VALUES);
        else
            fputs("null", f);
        fputs("}\n", f);
    } else {
        fprintf(f, "#%llu %-5s k=%d/%d device %.2f ms network %.2f ms edge %.2f ms total %.2f ms sent %u B ",
                (unsigned long long)i, sciot_where_name(r->where), r->split, m->n_ops, device_ms, network_ms,
                edge_ms, total_ms, r->bytes_sent);
        print_output_values(st, f, 8);
        if (error)
            fprintf(f, "  (%s: %s)", r->fell_back ? "fell back" : "not delivered", error);
        fputc('\n', f);
    }
    fflush(f);
    st->n++;
    st->n_where[r->where]++;
    st->sum_total_where[r->where] += total_ms;
    st->fallbacks += r->fell_back != 0;
    st->sum_device += device_ms;
    st->sum_total += total_ms;
    if (!local) {
        st->n_net++;
        st->sum_network += network_ms;
        st->sum_edge += edge_ms;
    }
}

static void print_summary(dev_run *st)
{
    double n = st->n ? (double)st->n : 1.0, nn = st->n_net ? (double)st->n_net : 1.0;
    fprintf(stderr, "sciot device: %llu inferences: split %llu, local %llu, edge %llu; %llu fell back to local",
            (unsigned long long)st->n, (unsigned long long)st->n_where[SCIOT_WHERE_SPLIT],
            (unsigned long long)st->n_where[SCIOT_WHERE_LOCAL], (unsigned long long)st->n_where[SCIOT_WHERE_EDGE],
            (unsigned long long)st->fallbacks);
    fprintf(stderr, "; mean total %.2f ms, device %.2f ms", st->sum_total / n, st->sum_device / n);
    if (st->n_net)
        fprintf(stderr, "; with the edge (%llu): network %.2f ms, edge %.2f ms", (unsigned long long)st->n_net,
                st->sum_network / nn, st->sum_edge / nn);
    fputc('\n', stderr);
    if (st->tr) {
        const char *state = st->edge_up && st->registered ? "reachable"
                            : st->warned_refused         ? "refuses this device"
                            : st->registrations          ? "unavailable at the end"
                                                         : "never reachable";
        fprintf(stderr, "sciot device: edge %s %s; %llu registration(s)", st->o.edge, state,
                (unsigned long long)st->registrations);
        if (st->q)
            fprintf(stderr, "; queue %s: %llu queued, %llu delivered, %llu dropped (full), %llu unusable, %zu pending",
                    client_queue_dir(st->q), (unsigned long long)st->queued, (unsigned long long)st->delivered,
                    (unsigned long long)st->dropped, (unsigned long long)st->rejected, client_queue_len(st->q));
        fputc('\n', stderr);
    }
}

/* ---- main ---------------------------------------------------------------------------- */

static int parse_opts(int argc, char **argv, dev_opts *o)
{
    memset(o, 0, sizeof *o);
    o->count = 10;
    o->timeout_ms = 5000;
    o->queue_max = 1000;
    o->slowdown = 1.0;
    o->compress = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *lp = NULL;
        long lo = 0, hi = 0;
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        } else if (!strcmp(a, "--no-compress")) {
            o->compress = 0;
            continue;
        }
        if (!v)
            return cli_error("device", "unknown or incomplete option '%s' (see 'sciot device --help')", a);
        if (!strcmp(a, "--edge"))
            o->edge = v;
        else if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--input"))
            o->input = v;
        else if (!strcmp(a, "--device-id"))
            o->device_id = v;
        else if (!strcmp(a, "--token"))
            o->token = v;
        else if (!strcmp(a, "--queue"))
            o->queue = v;
        else if (!strcmp(a, "--profile"))
            o->profile = v;
        else if (!strcmp(a, "--count"))
            lp = &o->count, lo = 0, hi = 1000000000L;
        else if (!strcmp(a, "--interval"))
            lp = &o->interval_ms, lo = 0, hi = 86400000L;
        else if (!strcmp(a, "--timeout-ms"))
            lp = &o->timeout_ms, lo = 1, hi = 3600000L;
        else if (!strcmp(a, "--queue-max"))
            lp = &o->queue_max, lo = 1, hi = 10000000L;
        else if (!strcmp(a, "--slowdown")) {
            char *end;
            o->slowdown = strtod(v, &end);
            if (end == v || *end || !isfinite(o->slowdown) || o->slowdown < 1.0 || o->slowdown > 10000.0)
                return cli_error("device", "--slowdown '%s': expected a number in [1, 10000]", v);
        } else
            return cli_error("device", "unknown option '%s' (see 'sciot device --help')", a);
        if (lp) {
            long x = cli_parse_long(v);
            if (x < lo || x > hi)
                return cli_error("device", "%s '%s': expected an integer in [%ld, %ld]", a, v, lo, hi);
            *lp = x;
        }
        i++;
    }
    if (!o->model)
        return cli_error("device", "no model: give --model M (see 'sciot device --help')");
    if (o->profile && o->slowdown != 1.0)
        return cli_error("device", "--slowdown and --profile exclude each other");
    return 0;
}

static void run_free(dev_run *st)
{
    client_transport_close(st->tr);
    client_queue_close(st->q);
    for (size_t i = 0; i < st->n_inputs; i++)
        free(st->inputs[i]);
    free(st->inputs);
    free(st->arena);
    free(st->tx);
    free(st->rx);
    free(st->qbuf);
    free(st->times);
    free(st->profile_us);
    sciot_model_free(&st->model);
}

static int setup(dev_run *st)
{
    sciot_error err = {0};
    const dev_opts *o = &st->o;
    if (o->device_id)
        snprintf(st->device_id, sizeof st->device_id, "%s", o->device_id);
    else
        default_device_id(st->device_id, sizeof st->device_id);
    if (!valid_device_id(o->device_id ? o->device_id : st->device_id))
        return cli_error("device", "--device-id '%.80s': 1..64 printable characters without spaces, / + # \" \\",
                         o->device_id);

    uint8_t *file;
    size_t flen;
    if (sciot_read_file(o->model, &file, &flen, &err))
        return cli_error("device", "%s", err.msg);
    uint8_t sha[32];
    sciot_sha256(file, flen, sha);
    free(file);
    for (int i = 0; i < 32; i++)
        snprintf(st->sha_hex + 2 * i, 3, "%02x", sha[i]);
    if (sciot_model_load_file(&st->model, o->model, &err))
        return cli_error("device", "%s", err.msg);
    const sciot_model *m = &st->model;
    if (m->n_inputs != 1 && o->input)
        return cli_error("device", "%s has %d inputs; --input feeds models of one input", o->model, m->n_inputs);
    if (m->n_outputs < 1)
        return cli_error("device", "%s has no output", o->model);
    if (o->input && list_inputs(st, o->input))
        return 1;
    if (o->profile && load_profile(st, o->profile))
        return 1;

    size_t arena = 0;
    if (sciot_device_arena_size(m, &arena, &err))
        return cli_error("device", "%s: %s", o->model, err.msg);
    size_t tx_cap = sciot_device_frame_cap(m), rx_cap = sciot_device_reply_cap(m);
    st->arena = aligned_alloc(64, (arena + 63) & ~(size_t)63);
    st->tx = malloc(tx_cap);
    st->rx = malloc(rx_cap);
    st->qbuf = malloc(tx_cap);
    st->times = calloc((size_t)m->n_ops + 1, sizeof *st->times);
    if (!st->arena || !st->tx || !st->rx || !st->qbuf || !st->times)
        return cli_error("device", "out of memory (arena %zu bytes, frames %zu)", arena, tx_cap);
    sciot_device_platform pf = {st, pf_now_us, pf_delay_us, o->edge ? pf_exchange : NULL};
    if (sciot_device_init(&st->dev, m, sha, st->device_id, st->arena, arena, st->tx, tx_cap, st->rx, rx_cap,
                          st->times, &pf, &err))
        return cli_error("device", "%s", err.msg);
    st->dev.timeout_ms = (uint32_t)o->timeout_ms;
    st->dev.compress = o->compress;
    st->dev.slowdown = (float)o->slowdown;
    st->dev.profile_us = st->profile_us;
    /* request ids unique across runs (queued reports of an earlier run
     * keep theirs): microseconds of the wall clock at start */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    st->dev.next_request_id = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;

    if (o->edge) {
        if (client_transport_open(&st->tr, o->edge, st->device_id, o->token, &err))
            return cli_error("device", "--edge: %s", err.msg);
        char qdir[1024];
        if (o->queue)
            snprintf(qdir, sizeof qdir, "%s", o->queue);
        else
            snprintf(qdir, sizeof qdir, "./sciot_device_queue_%s", st->device_id);
        if (client_queue_open(&st->q, qdir, (size_t)o->queue_max, &err))
            return cli_error("device", "%s", err.msg);
        if (client_queue_len(st->q))
            fprintf(stderr, "sciot device: %zu report(s) of an earlier run queued in %s\n", client_queue_len(st->q),
                    qdir);
    }
    return 0;
}

static void fill_pseudo_random(dev_run *st, uint32_t seed)
{
    const sciot_model *m = &st->model;
    for (int32_t k = 0; k < m->n_inputs; k++) {
        uint32_t x = seed * 2654435761u + 1u + (uint32_t)k;
        sciot_fill_random(&m->tensors[m->inputs[k]], sciot_device_input(&st->dev, k), &x);
    }
}

static void sleep_until_us(uint64_t t)
{
    for (;;) {
        uint64_t now = sciot_now_us();
        if (now >= t || stop_requested)
            return;
        uint64_t us = t - now;
        struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
        nanosleep(&ts, NULL); /* a signal ends it early: stop_requested is checked */
    }
}

int cmd_device(int argc, char **argv)
{
    static dev_run st; /* large (the device struct): not on the stack */
    memset(&st, 0, sizeof st);
    int rc = parse_opts(argc, argv, &st.o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    stop_requested = 0;

    if (setup(&st)) {
        run_free(&st);
        return 1;
    }
    if (st.tr)
        do_register(&st, "start");

    const sciot_model *m = &st.model;
    int status = 0;
    uint64_t t_start = sciot_now_us();
    for (uint64_t i = 0; (st.o.count == 0 || i < (uint64_t)st.o.count) && !stop_requested; i++) {
        if (st.o.interval_ms > 0 && i > 0)
            sleep_until_us(t_start + i * (uint64_t)st.o.interval_ms * 1000u);
        if (stop_requested)
            break;
        const char *input = NULL;
        sciot_error err = {0};
        if (st.n_inputs) {
            input = st.inputs[i % st.n_inputs];
            if (sciot_load_input(input, &m->tensors[m->inputs[0]], sciot_device_input(&st.dev, 0), &err)) {
                status = cli_error("device", "%s", err.msg);
                break;
            }
        } else {
            fill_pseudo_random(&st, (uint32_t)i);
        }
        sciot_device_result r;
        if (sciot_device_infer(&st.dev, &r, &err)) {
            status = cli_error("device", "inference %llu: %s", (unsigned long long)(i + 1), err.msg);
            break;
        }
        int queued = 0;
        after_inference(&st, &r, &queued);
        print_result(&st, i + 1, input, &r, queued);
    }
    print_summary(&st);
    run_free(&st);
    return status;
}
