/* config.c — `sciot edge` configuration: defaults, YAML loading (libyaml
 * document API), the MQTT URL, validation. See config.h and docs/EDGE.md.
 *
 * Loading walks the YAML tree against one table of keys (dotted paths):
 * a mapping at a path that prefixes some key is a section and is walked
 * into; a path in the table is a value, parsed by its kind; anything else is
 * an unknown key. Every error names the file, the key and the value, and the
 * line. Values are range-checked while loading (so that the message can name
 * the line); edge_config_validate repeats the checks for values that came
 * from elsewhere (command line) and adds the cross-field ones. */
#include "edge/config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "sciot/planner.h"

/* ---- defaults ------------------------------------------------------------ */

/* Zero-filled, so that equal configs are equal bytes. */
static void set_str(char *dst, size_t cap, const char *src)
{
    memset(dst, 0, cap);
    snprintf(dst, cap, "%s", src);
}
#define SET_STR(field, s) set_str((field), sizeof(field), (s))

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > 1024 ? 1024 : (int)n;
}

void edge_config_defaults(edge_config *c)
{
    memset(c, 0, sizeof *c);

    c->http_enabled = true;
    SET_STR(c->http_host, "127.0.0.1");
    c->http_port = 8000;
    SET_STR(c->ep_registration, "/api/registration");
    SET_STR(c->ep_device_input, "/api/device_input");
    SET_STR(c->ep_offloading_layer, "/api/offloading_layer");
    SET_STR(c->ep_result, "/api/device_inference_result");

    c->ws_enabled = true;
    SET_STR(c->ws_path, "/ws");

    c->mqtt_enabled = false;
    SET_STR(c->mqtt_host, "127.0.0.1");
    c->mqtt_port = 1883;
    SET_STR(c->mqtt_prefix, "sciot");
    SET_STR(c->mqtt_shared_group, "sciot-edge");
    c->mqtt_qos = 1;

    c->delay_computation.type = DELAY_STATIC;
    c->delay_network.type = DELAY_STATIC;

    c->local_mode_enabled = false;
    c->local_mode_probability = 0.1;

    SET_STR(c->db_path, "sciot_edge.db");

    c->auth_required = false;
    c->n_tokens = 0;

    c->max_body_bytes = 8 << 20;
    c->max_devices = 1024;
    c->queue_depth = 64;
    c->workers = online_cpus();
    c->request_timeout_s = 30;

    SET_STR(c->objective, "latency");
    c->alpha = 0.2;
    c->variance_window = 10;
    c->variance_threshold = 0.15;
    c->seed = 1;
    c->adaptive_explore = true;
    c->hysteresis = 0.02;
    c->power_cpu_w = 0.5;
    c->power_tx_w = 1.0;
    c->power_idle_w = 0.1;
    c->weight_latency = 1;
    c->weight_energy = 0;
    c->weight_bytes = 0;
}

/* ---- MQTT URL -------------------------------------------------------------- */

/* mqtt://host[:port][/] ; host may be a bracketed IPv6 literal. */
static sciot_status parse_mqtt_url(const char *url, char host[256], int *port, sciot_error *err)
{
    static const char scheme[] = "mqtt://";
    if (!url)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL missing");
    if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
        const char *sep = strstr(url, "://");
        if (sep)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                              "MQTT URL '%s': unsupported scheme '%.*s' (only mqtt:// is supported)", url,
                              (int)(sep - url), url);
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': expected mqtt://host[:port]", url);
    }
    const char *h = url + sizeof scheme - 1, *hend, *rest;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (!hend)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': unterminated '[' in the host", url);
        h++;
        rest = hend + 1;
    } else {
        hend = h + strcspn(h, ":/");
        rest = hend;
    }
    size_t hlen = (size_t)(hend - h);
    if (hlen == 0)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': empty host", url);
    if (hlen >= 256)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': host longer than 255 characters", url);
    for (size_t i = 0; i < hlen; i++)
        if (h[i] == '@' || h[i] == ' ' || (unsigned char)h[i] < 0x20)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                              "MQTT URL '%s': bad character in the host (credentials go in "
                              "communication.mqtt.username/password)",
                              url);
    long p = 1883;
    if (*rest == ':') {
        char *end;
        const char *ps = rest + 1;
        if (*ps < '0' || *ps > '9')
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': bad port", url);
        errno = 0;
        p = strtol(ps, &end, 10);
        if (errno || p < 1 || p > 65535 || (*end && strcmp(end, "/") != 0))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': port must be 1..65535", url);
    } else if (*rest && strcmp(rest, "/") != 0) {
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "MQTT URL '%s': unexpected '%s' after the host", url, rest);
    }
    memcpy(host, h, hlen);
    host[hlen] = 0;
    *port = (int)p;
    return SCIOT_OK;
}

sciot_status edge_config_set_mqtt_url(edge_config *c, const char *url, sciot_error *err)
{
    char host[256];
    int port;
    sciot_status st = parse_mqtt_url(url, host, &port, err);
    if (st)
        return st;
    set_str(c->mqtt_host, sizeof c->mqtt_host, host);
    c->mqtt_port = port;
    c->mqtt_enabled = true;
    return SCIOT_OK;
}

/* ---- the key table ---------------------------------------------------------- */

typedef enum {
    K_STR,       /* char[size] */
    K_BOOL,      /* bool */
    K_INT,       /* int in [lo, hi] */
    K_I64,       /* int64_t in [lo, hi] */
    K_U64,       /* uint64_t */
    K_DBL,       /* double in [lo, hi] (lo_open: lo excluded) */
    K_DELAYTYPE, /* edge_delay_type */
    K_OBJECTIVE, /* char[size], one of sciot_objective_parse's names */
    K_MQTTURL,   /* mqtt_host + mqtt_port */
    K_TOKENS,    /* mapping DEVICE_ID: TOKEN */
    K_WORKERS,   /* int, 0 = online CPUs */
} key_kind;

typedef struct {
    const char *path;
    key_kind kind;
    size_t off, size;
    double lo, hi;
    int lo_open, hi_open;
} key_desc;

#define OFF(f) offsetof(edge_config, f)
#define SZ(f) sizeof(((edge_config *)0)->f)
#define KSTR(p, f) {p, K_STR, OFF(f), SZ(f), 0, 0, 0, 0}
#define KBOOL(p, f) {p, K_BOOL, OFF(f), 0, 0, 0, 0, 0}
#define KINT(p, f, lo, hi) {p, K_INT, OFF(f), 0, lo, hi, 0, 0}
#define KI64(p, f, lo, hi) {p, K_I64, OFF(f), 0, lo, hi, 0, 0}
#define KDBL(p, f, lo, hi, lo_open, hi_open) {p, K_DBL, OFF(f), 0, lo, hi, lo_open, hi_open}

#define MAX_BODY_LIMIT 4294967295.0 /* frame lengths are 32-bit */

#define DELAY_KEYS(sec, f)                                                            \
    KBOOL("delay_simulation." sec ".enabled", f.enabled),                             \
        {"delay_simulation." sec ".type", K_DELAYTYPE, OFF(f.type), 0, 0, 0, 0, 0},  \
        KDBL("delay_simulation." sec ".value", f.value, 0, 3600, 0, 0),              \
        KDBL("delay_simulation." sec ".mean", f.mean, 0, 3600, 0, 0),                \
        KDBL("delay_simulation." sec ".std_dev", f.std_dev, 0, 3600, 0, 0),          \
        KDBL("delay_simulation." sec ".min", f.min, 0, 3600, 0, 0),                  \
        KDBL("delay_simulation." sec ".max", f.max, 0, 3600, 0, 0)

static const key_desc keys[] = {
    KSTR("model", model),

    KBOOL("communication.http.enabled", http_enabled),
    KSTR("communication.http.host", http_host),
    KINT("communication.http.port", http_port, 0, 65535),
    KSTR("communication.http.endpoints.registration", ep_registration),
    KSTR("communication.http.endpoints.device_input", ep_device_input),
    KSTR("communication.http.endpoints.offloading_layer", ep_offloading_layer),
    KSTR("communication.http.endpoints.device_inference_result", ep_result),
    KSTR("communication.http.tls.certificate", tls_certificate),

    KBOOL("communication.websocket.enabled", ws_enabled),
    KSTR("communication.websocket.path", ws_path),

    KBOOL("communication.mqtt.enabled", mqtt_enabled),
    {"communication.mqtt.url", K_MQTTURL, 0, 0, 0, 0, 0, 0},
    KSTR("communication.mqtt.topic_prefix", mqtt_prefix),
    KSTR("communication.mqtt.shared_group", mqtt_shared_group),
    KSTR("communication.mqtt.username", mqtt_username),
    KSTR("communication.mqtt.password", mqtt_password),
    KSTR("communication.mqtt.client_id", mqtt_client_id),
    KINT("communication.mqtt.qos", mqtt_qos, 0, 2),

    DELAY_KEYS("computation", delay_computation),
    DELAY_KEYS("network", delay_network),

    KBOOL("local_inference_mode.enabled", local_mode_enabled),
    KDBL("local_inference_mode.probability", local_mode_probability, 0, 1, 0, 0),

    KSTR("database.path", db_path),

    KBOOL("auth.required", auth_required),
    {"auth.tokens", K_TOKENS, 0, 0, 0, 0, 0, 0},

    KI64("limits.max_body_bytes", max_body_bytes, 1, MAX_BODY_LIMIT),
    KINT("limits.max_devices", max_devices, 1, 1000000),
    KINT("limits.queue_depth", queue_depth, 1, 1000000),
    {"limits.workers", K_WORKERS, OFF(workers), 0, 0, 1024, 0, 0},
    KINT("limits.request_timeout_s", request_timeout_s, 1, 86400),

    {"planner.objective", K_OBJECTIVE, OFF(objective), SZ(objective), 0, 0, 0, 0},
    KDBL("planner.alpha", alpha, 0, 1, 1, 0),
    KINT("planner.variance_window", variance_window, 1, SCIOT_VWIN_MAX),
    KDBL("planner.variance_threshold", variance_threshold, 0, 1e9, 1, 0),
    {"planner.seed", K_U64, OFF(seed), 0, 0, 0, 0, 0},
    KBOOL("planner.adaptive_explore", adaptive_explore),
    KDBL("planner.hysteresis", hysteresis, 0, 1, 0, 1),
    KDBL("planner.power_w.cpu", power_cpu_w, 0, 1e6, 0, 0),
    KDBL("planner.power_w.tx", power_tx_w, 0, 1e6, 0, 0),
    KDBL("planner.power_w.idle", power_idle_w, 0, 1e6, 0, 0),
    KDBL("planner.weights.latency", weight_latency, 0, 1e9, 0, 0),
    KDBL("planner.weights.energy", weight_energy, 0, 1e9, 0, 0),
    KDBL("planner.weights.bytes", weight_bytes, 0, 1e9, 0, 0),
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static const char *const delay_type_names[] = {"static", "gaussian", "uniform", "exponential"};

/* ---- loading ------------------------------------------------------------------ */

typedef struct {
    edge_config *c;
    const char *file;
    yaml_document_t *doc;
    sciot_error *err;
    int tokens_seen;
} loader;

static unsigned long line_of(const yaml_node_t *n)
{
    return (unsigned long)n->start_mark.line + 1;
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a sequence";
    default: return "a scalar";
    }
}

/* A plain scalar that YAML reads as null ("", "~", "null"). */
static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static sciot_status bad(loader *L, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': %s (line %lu)", L->file, key, detail,
                      line_of(n));
}

/* The scalar's text, or an error naming the key when n is not a scalar. */
static sciot_status scalar(loader *L, const yaml_node_t *n, const char *key, const char *expected,
                           const char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': expected %s, got %s (line %lu)", L->file,
                          key, expected, node_kind(n), line_of(n));
    *out = (const char *)n->data.scalar.value;
    return SCIOT_OK;
}

/* Numbers and booleans must be plain scalars: "8000" in quotes is a string. */
static sciot_status plain_scalar(loader *L, const yaml_node_t *n, const char *key, const char *expected,
                                 const char **out)
{
    sciot_status st = scalar(L, n, key, expected, out);
    if (st)
        return st;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': expected %s, got the string \"%.64s\" (line %lu)",
                          L->file, key, expected, *out, line_of(n));
    return SCIOT_OK;
}

/* Copy a scalar's text (s: its value, or "" for a null) into dst[cap],
 * zero-filling the rest so that equal configs are equal bytes. */
static sciot_status copy_str(loader *L, const yaml_node_t *n, const char *key, const char *s, char *dst,
                             size_t cap)
{
    size_t len = strlen(s);
    size_t want = is_null(n) ? 0 : n->data.scalar.length;
    if (len >= cap)
        return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG,
                          "%s: key '%s': value '%.40s...' is %zu characters long, at most %zu allowed (line %lu)",
                          L->file, key, s, len, cap - 1, line_of(n));
    if (len != want)
        return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': value contains a NUL character (line %lu)",
                          L->file, key, line_of(n));
    memset(dst, 0, cap);
    memcpy(dst, s, len);
    return SCIOT_OK;
}

static int parse_bool(const char *s, bool *out)
{
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (!*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') /* strtoull accepts "-1" and " 1" */
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_dbl(const char *s, double *out)
{
    char *end;
    if (!*s || strchr(" \t\n\r\f\v", *s))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE && fabs(v) > 1) /* overflow; underflow to a denormal/0 is fine */
        return -1;
    if (end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static void range_text(const key_desc *k, char *buf, size_t cap)
{
    if (k->kind == K_DBL)
        snprintf(buf, cap, "%c%g, %g%c", k->lo_open ? '(' : '[', k->lo, k->hi, k->hi_open ? ')' : ']');
    else
        snprintf(buf, cap, "[%.0f, %.0f]", k->lo, k->hi);
}

static sciot_status out_of_range(loader *L, const yaml_node_t *n, const key_desc *k, const char *s)
{
    char r[96];
    range_text(k, r, sizeof r);
    return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': value %.64s is out of range %s (line %lu)",
                      L->file, k->path, s, r, line_of(n));
}

static sciot_status load_tokens(loader *L, const yaml_node_t *n, const char *key)
{
    edge_config *c = L->c;
    if (is_null(n)) {
        c->n_tokens = 0;
        return SCIOT_OK;
    }
    if (n->type != YAML_MAPPING_NODE)
        return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG,
                          "%s: key '%s': expected a mapping of device id to token, got %s (line %lu)", L->file, key,
                          node_kind(n), line_of(n));
    /* The file's mapping replaces the list. */
    c->n_tokens = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(L->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(L->doc, p->value);
        const char *dev = "", *tok = "";
        sciot_status st;
        if (!kn || !vn)
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': malformed mapping", L->file, key);
        if ((st = scalar(L, kn, key, "device ids as keys", &dev)))
            return st;
        char path[160];
        snprintf(path, sizeof path, "%s.%.64s", key, dev);
        if ((st = scalar(L, vn, path, "a token string", &tok)))
            return st;
        if (!*dev)
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': empty device id (line %lu)", L->file,
                              key, line_of(kn));
        if (!*tok || is_null(vn))
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': empty token (line %lu)", L->file, path,
                              line_of(vn));
        if (c->n_tokens >= EDGE_MAX_TOKENS)
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': more than %d tokens (line %lu)", L->file,
                              key, EDGE_MAX_TOKENS, line_of(kn));
        for (int i = 0; i < c->n_tokens; i++)
            if (!strcmp(c->token_device[i], dev))
                return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': device '%s' appears twice (line %lu)",
                                  L->file, key, dev, line_of(kn));
        if ((st = copy_str(L, kn, key, dev, c->token_device[c->n_tokens], sizeof c->token_device[0])))
            return st;
        if ((st = copy_str(L, vn, path, tok, c->token_value[c->n_tokens], sizeof c->token_value[0])))
            return st;
        c->n_tokens++;
    }
    return SCIOT_OK;
}

static sciot_status load_value(loader *L, const key_desc *k, const yaml_node_t *n)
{
    char *base = (char *)L->c;
    const char *s = "";
    sciot_status st;
    switch (k->kind) {
    case K_STR:
        if ((st = scalar(L, n, k->path, "a string", &s)))
            return st;
        if (is_null(n))
            s = "";
        return copy_str(L, n, k->path, s, base + k->off, k->size);
    case K_BOOL: {
        bool b;
        if ((st = plain_scalar(L, n, k->path, "a boolean (true/false/yes/no)", &s)))
            return st;
        if (parse_bool(s, &b))
            return bad(L, n, k->path, "expected a boolean (true/false/yes/no), got '%.64s'", s);
        *(bool *)(base + k->off) = b;
        return SCIOT_OK;
    }
    case K_INT:
    case K_I64:
    case K_WORKERS: {
        int64_t v;
        if ((st = plain_scalar(L, n, k->path, "an integer", &s)))
            return st;
        if (parse_i64(s, &v))
            return bad(L, n, k->path, "expected an integer, got '%.64s'", s);
        if ((double)v < k->lo || (double)v > k->hi)
            return out_of_range(L, n, k, s);
        if (k->kind == K_I64)
            *(int64_t *)(base + k->off) = v;
        else if (k->kind == K_WORKERS && v == 0)
            *(int *)(base + k->off) = online_cpus();
        else
            *(int *)(base + k->off) = (int)v;
        return SCIOT_OK;
    }
    case K_U64: {
        uint64_t v;
        if ((st = plain_scalar(L, n, k->path, "an unsigned integer", &s)))
            return st;
        if (parse_u64(s, &v))
            return bad(L, n, k->path, "expected an unsigned 64-bit integer, got '%.64s'", s);
        *(uint64_t *)(base + k->off) = v;
        return SCIOT_OK;
    }
    case K_DBL: {
        double v;
        if ((st = plain_scalar(L, n, k->path, "a number", &s)))
            return st;
        if (parse_dbl(s, &v))
            return bad(L, n, k->path, "expected a finite number, got '%.64s'", s);
        if (v < k->lo || v > k->hi || (k->lo_open && v == k->lo) || (k->hi_open && v == k->hi))
            return out_of_range(L, n, k, s);
        *(double *)(base + k->off) = v;
        return SCIOT_OK;
    }
    case K_DELAYTYPE: {
        if ((st = scalar(L, n, k->path, "a delay type", &s)))
            return st;
        for (int i = 0; i < 4; i++)
            if (!strcmp(s, delay_type_names[i])) {
                *(edge_delay_type *)(base + k->off) = (edge_delay_type)i;
                return SCIOT_OK;
            }
        return bad(L, n, k->path, "unknown delay type '%.64s' (static, gaussian, uniform or exponential)", s);
    }
    case K_OBJECTIVE: {
        sciot_objective o;
        if ((st = scalar(L, n, k->path, "an objective", &s)))
            return st;
        if (sciot_objective_parse(s, &o))
            return bad(L, n, k->path, "unknown objective '%.64s' (latency, energy, bytes or weighted)", s);
        return copy_str(L, n, k->path, s, base + k->off, k->size);
    }
    case K_MQTTURL: {
        char host[256];
        int port;
        if ((st = scalar(L, n, k->path, "a URL mqtt://host:port", &s)))
            return st;
        sciot_error e = {0};
        if (parse_mqtt_url(s, host, &port, &e))
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': %s (line %lu)", L->file, k->path, e.msg,
                              line_of(n));
        set_str(L->c->mqtt_host, sizeof L->c->mqtt_host, host);
        L->c->mqtt_port = port;
        return SCIOT_OK;
    }
    case K_TOKENS:
        return load_tokens(L, n, k->path);
    }
    return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': internal error", L->file, k->path);
}

/* Is `path` a section, i.e. a strict dotted prefix of some key? */
static int is_section(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strncmp(keys[i].path, path, len) && keys[i].path[len] == '.')
            return 1;
    return 0;
}

static const key_desc *find_key(const char *path)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].path, path))
            return &keys[i];
    return NULL;
}

static sciot_status load_mapping(loader *L, const yaml_node_t *map, const char *prefix)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(L->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(L->doc, p->value);
        if (!kn || !vn)
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: malformed mapping under '%s'", L->file,
                              *prefix ? prefix : "(top level)");
        if (kn->type != YAML_SCALAR_NODE)
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: %s as a key under '%s' (line %lu)", L->file,
                              node_kind(kn), *prefix ? prefix : "(top level)", line_of(kn));
        const char *name = (const char *)kn->data.scalar.value;
        /* Duplicate keys: YAML forbids them, libyaml does not check. */
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *qn = yaml_document_get_node(L->doc, q->key);
            if (qn && qn->type == YAML_SCALAR_NODE && !strcmp((const char *)qn->data.scalar.value, name))
                return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: duplicate key '%s%s%s' (line %lu)", L->file,
                                  prefix, *prefix ? "." : "", name, line_of(kn));
        }
        char path[256];
        int len = snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", name);
        if (len < 0 || (size_t)len >= sizeof path || strchr(name, '.') || !*name ||
            strlen(name) != kn->data.scalar.length)
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: unknown key '%.200s' (line %lu)", L->file, path,
                              line_of(kn));
        const key_desc *k = find_key(path);
        sciot_status st;
        if (k) {
            if ((st = load_value(L, k, vn)))
                return st;
        } else if (is_section(path)) {
            if (is_null(vn))
                continue; /* "tls:" with nothing under it */
            if (vn->type != YAML_MAPPING_NODE)
                return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: key '%s': expected a mapping, got %s (line %lu)",
                                  L->file, path, node_kind(vn), line_of(vn));
            if ((st = load_mapping(L, vn, path)))
                return st;
        } else {
            return sciot_fail(L->err, SCIOT_ERR_INVALID_ARG, "%s: unknown key '%s' (line %lu)", L->file, path,
                              line_of(kn));
        }
    }
    return SCIOT_OK;
}

static sciot_status yaml_error(const char *path, const yaml_parser_t *p, sciot_error *err)
{
    const char *what = p->problem ? p->problem : "malformed YAML";
    if (p->context)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: YAML syntax error at line %lu, column %lu: %s %s started at line %lu",
                          path, (unsigned long)p->problem_mark.line + 1, (unsigned long)p->problem_mark.column + 1,
                          what, p->context, (unsigned long)p->context_mark.line + 1);
    return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: YAML syntax error at line %lu, column %lu: %s", path,
                      (unsigned long)p->problem_mark.line + 1, (unsigned long)p->problem_mark.column + 1, what);
}

sciot_status edge_config_load(edge_config *c, const char *path, sciot_error *err)
{
    if (!c || !path)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge config: NULL config or path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));

    yaml_parser_t parser;
    yaml_document_t doc;
    sciot_status st = SCIOT_OK;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: cannot initialise the YAML parser", path);
    }
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        st = yaml_error(path, &parser, err);
        yaml_parser_delete(&parser);
        fclose(f);
        return st;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) {
        /* A second document in the stream is a mistake, not something to ignore. */
        yaml_document_t doc2;
        if (!yaml_parser_load(&parser, &doc2)) {
            st = yaml_error(path, &parser, err);
        } else {
            if (yaml_document_get_root_node(&doc2))
                st = sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: more than one YAML document (line %lu)", path,
                                (unsigned long)doc2.start_mark.line + 1);
            yaml_document_delete(&doc2);
        }
    }
    if (!st && root && !is_null(root)) {
        if (root->type != YAML_MAPPING_NODE) {
            st = sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: expected a mapping at the top level, got %s (line %lu)",
                            path, node_kind(root), line_of(root));
        } else {
            /* Load into a copy: a failed load leaves *c as it was. */
            edge_config *tmp = malloc(sizeof *tmp);
            if (!tmp) {
                st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: out of memory", path);
            } else {
                memcpy(tmp, c, sizeof *tmp);
                loader L = {tmp, path, &doc, err, 0};
                st = load_mapping(&L, root, "");
                if (!st)
                    memcpy(c, tmp, sizeof *c);
                free(tmp);
            }
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return st;
}

/* ---- validation ----------------------------------------------------------------- */

static sciot_status check_delay(const edge_delay *d, const char *name, sciot_error *err)
{
    if ((unsigned)d->type > DELAY_EXPONENTIAL)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "delay_simulation.%s.type: unknown type %d", name, (int)d->type);
    const double v[5] = {d->value, d->mean, d->std_dev, d->min, d->max};
    static const char *const vn[5] = {"value", "mean", "std_dev", "min", "max"};
    for (int i = 0; i < 5; i++)
        if (!(v[i] >= 0 && v[i] <= 3600))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "delay_simulation.%s.%s: %g s not in [0, 3600]", name, vn[i],
                              v[i]);
    if (d->enabled && d->type == DELAY_UNIFORM && d->min > d->max)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "delay_simulation.%s: min %g > max %g", name, d->min, d->max);
    return SCIOT_OK;
}

static sciot_status check_endpoint(const char *v, const char *key, sciot_error *err)
{
    if (v[0] != '/')
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: '%s' must start with '/'", key, v);
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' || (unsigned char)*p >= 0x7f)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: '%s' contains a character not allowed in a path", key, v);
    return SCIOT_OK;
}

/* MQTT topic levels: no wildcards, no '/' in the prefix's ends, no NUL. */
static sciot_status check_topic_part(const char *v, const char *key, int allow_empty, int allow_slash,
                                     sciot_error *err)
{
    if (!*v && !allow_empty)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: must not be empty", key);
    if (strpbrk(v, "+#") || (!allow_slash && strchr(v, '/')))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: '%s' must not contain '+', '#'%s", key, v,
                          allow_slash ? "" : " or '/'");
    if (allow_slash && *v && (v[0] == '/' || v[strlen(v) - 1] == '/' || strstr(v, "//")))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: '%s' has an empty topic level", key, v);
    if (v[0] == '$')
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s: '%s' must not start with '$'", key, v);
    return SCIOT_OK;
}

sciot_status edge_config_validate(const edge_config *c, sciot_error *err)
{
    sciot_status st;
    if (!c)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge config: NULL");
    if (!c->http_enabled && !c->ws_enabled && !c->mqtt_enabled)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "no transport enabled (communication.http, .websocket and .mqtt are all disabled)");
    if (c->http_port < 0 || c->http_port > 65535)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "communication.http.port: %d not in [0, 65535]", c->http_port);
    if ((c->http_enabled || c->ws_enabled) && !c->http_host[0])
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "communication.http.host: must not be empty");
    if (c->http_enabled) {
        const char *eps[4] = {c->ep_registration, c->ep_device_input, c->ep_offloading_layer, c->ep_result};
        static const char *const names[4] = {
            "communication.http.endpoints.registration", "communication.http.endpoints.device_input",
            "communication.http.endpoints.offloading_layer", "communication.http.endpoints.device_inference_result"};
        for (int i = 0; i < 4; i++) {
            if ((st = check_endpoint(eps[i], names[i], err)))
                return st;
            for (int j = 0; j < i; j++)
                if (!strcmp(eps[i], eps[j]))
                    return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "%s and %s are the same path '%s'", names[j],
                                      names[i], eps[i]);
        }
    }
    if (c->ws_enabled && (st = check_endpoint(c->ws_path, "communication.websocket.path", err)))
        return st;
    if (c->mqtt_port < 1 || c->mqtt_port > 65535)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "communication.mqtt.url: port %d not in [1, 65535]",
                          c->mqtt_port);
    if (c->mqtt_enabled && !c->mqtt_host[0])
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "communication.mqtt.url: empty host");
    if (c->mqtt_qos < 0 || c->mqtt_qos > 2)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "communication.mqtt.qos: %d not in [0, 2]", c->mqtt_qos);
    if ((st = check_topic_part(c->mqtt_prefix, "communication.mqtt.topic_prefix", 0, 1, err)) ||
        (st = check_topic_part(c->mqtt_shared_group, "communication.mqtt.shared_group", 1, 0, err)))
        return st;
    if (c->mqtt_password[0] && !c->mqtt_username[0])
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "communication.mqtt.password given without a username");
    if ((st = check_delay(&c->delay_computation, "computation", err)) ||
        (st = check_delay(&c->delay_network, "network", err)))
        return st;
    if (!(c->local_mode_probability >= 0 && c->local_mode_probability <= 1))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "local_inference_mode.probability: %g not in [0, 1]",
                          c->local_mode_probability);
    if (!c->db_path[0])
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "database.path: must not be empty (\":memory:\" for none)");
    if (c->n_tokens < 0 || c->n_tokens > EDGE_MAX_TOKENS)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "auth.tokens: %d entries, at most %d", c->n_tokens,
                          EDGE_MAX_TOKENS);
    for (int i = 0; i < c->n_tokens; i++)
        if (!c->token_device[i][0] || !c->token_value[i][0])
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "auth.tokens: entry %d has an empty device id or token", i);
    if (c->max_body_bytes < 1 || (double)c->max_body_bytes > MAX_BODY_LIMIT)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "limits.max_body_bytes: %" PRId64 " not in [1, %.0f]",
                          c->max_body_bytes, MAX_BODY_LIMIT);
    if (c->max_devices < 1 || c->max_devices > 1000000)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "limits.max_devices: %d not in [1, 1000000]", c->max_devices);
    if (c->queue_depth < 1 || c->queue_depth > 1000000)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "limits.queue_depth: %d not in [1, 1000000]", c->queue_depth);
    if (c->workers < 1 || c->workers > 1024)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "limits.workers: %d not in [1, 1024]", c->workers);
    if (c->request_timeout_s < 1 || c->request_timeout_s > 86400)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "limits.request_timeout_s: %d not in [1, 86400]",
                          c->request_timeout_s);
    sciot_objective o;
    if (sciot_objective_parse(c->objective, &o))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "planner.objective: unknown objective '%s' (latency, energy, bytes or weighted)",
                          c->objective);
    if (!(c->alpha > 0 && c->alpha <= 1))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.alpha: %g not in (0, 1]", c->alpha);
    if (c->variance_window < 1 || c->variance_window > SCIOT_VWIN_MAX)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.variance_window: %d not in [1, %d]", c->variance_window,
                          SCIOT_VWIN_MAX);
    if (!(c->variance_threshold > 0) || !isfinite(c->variance_threshold))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.variance_threshold: %g must be > 0",
                          c->variance_threshold);
    if (!(c->hysteresis >= 0 && c->hysteresis < 1))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.hysteresis: %g not in [0, 1)", c->hysteresis);
    const double pw[3] = {c->power_cpu_w, c->power_tx_w, c->power_idle_w};
    static const char *const pn[3] = {"cpu", "tx", "idle"};
    for (int i = 0; i < 3; i++)
        if (!(pw[i] >= 0) || !isfinite(pw[i]))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.power_w.%s: %g W must be >= 0", pn[i], pw[i]);
    const double w[3] = {c->weight_latency, c->weight_energy, c->weight_bytes};
    static const char *const wn[3] = {"latency", "energy", "bytes"};
    for (int i = 0; i < 3; i++)
        if (!(w[i] >= 0) || !isfinite(w[i]))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.weights.%s: %g must be >= 0", wn[i], w[i]);
    if (o == SCIOT_OBJ_WEIGHTED && w[0] + w[1] + w[2] <= 0)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "planner.weights: all zero with objective 'weighted'");
    return SCIOT_OK;
}
