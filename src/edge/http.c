/* http.c — HTTP and WebSocket transports on one civetweb server.
 *
 * Every handler reads its input with a hard limit, calls the service
 * (service.h) and writes the edge_response it gets back. Bodies over
 * limits.max_body_bytes are refused with 413 before they are read; errors
 * are JSON {"error","detail","status"}. civetweb runs a thread per
 * connection; tails themselves run on the service's worker pool.
 *
 * Tokens: "Authorization: Bearer T", "X-SCIoT-Token: T" or ?token=T.
 *
 * WebSocket (cfg.ws_path, default /ws): text messages are JSON control
 * messages {"type":"register"|"decision", ...}, answered with the HTTP
 * response object plus "type" and "status"; binary messages are wire frames
 * answered with a binary REPLY frame, or a text {"type":"error", ...}. */
#include "edge/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <civetweb.h>

#include "edge/edge_internal.h"

struct edge_http {
    struct mg_context *ctx;
    edge_service *svc;
    edge_config cfg;
    int port;
};

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* The status line, the headers and a small body leave in one mg_write,
 * i.e. one send() and one TCP segment. (mg_response_header_send sends the
 * headers on their own: a second send per request, ~14% of the edge's CPU
 * under load in bench/bench_edge.) Bodies over the stack buffer follow in a
 * second write. */
static void send_response(struct mg_connection *c, const edge_response *r, int close_after)
{
    char buf[4096], retry[48] = "";
    if (r->retry_after_s > 0)
        snprintf(retry, sizeof retry, "Retry-After: %d\r\n", r->retry_after_s);
    int hl = snprintf(buf, sizeof buf,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
                      "%s%s\r\n",
                      r->status, reason_phrase(r->status), r->content_type ? r->content_type : "application/json",
                      r->len, retry, close_after ? "Connection: close\r\n" : "");
    if (hl < 0 || (size_t)hl >= sizeof buf)
        return; /* cannot happen: content types are short constants */
    if (r->len && r->len <= sizeof buf - (size_t)hl) {
        memcpy(buf + hl, r->body, r->len);
        mg_write(c, buf, (size_t)hl + r->len);
        return;
    }
    mg_write(c, buf, (size_t)hl);
    if (r->len)
        mg_write(c, r->body, r->len);
}

static void send_error(struct mg_connection *c, int status, const char *code, const char *detail, int close_after)
{
    edge_response r = {0};
    edge_response_error(&r, status, code, "%s", detail);
    send_response(c, &r, close_after);
    edge_response_free(&r);
}

/* Read the body (at most max bytes). Returns a malloc'd buffer (NUL added)
 * or NULL after answering the request with the error. */
static uint8_t *read_body(struct mg_connection *c, edge_service *s, size_t *len)
{
    const struct mg_request_info *ri = mg_get_request_info(c);
    long long max = s->cfg.max_body_bytes;
    char msg[160];
    if (ri->content_length > max) {
        snprintf(msg, sizeof msg, "body of %lld bytes exceeds the limit of %lld", ri->content_length, max);
        edge_count_error(s, 413);
        send_error(c, 413, "body_too_large", msg, 1);
        return NULL;
    }
    size_t cap = ri->content_length >= 0 ? (size_t)ri->content_length : 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        send_error(c, 500, "internal", "out of memory", 1);
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            if (ri->content_length >= 0)
                break;
            if ((long long)cap > max) {
                free(buf);
                snprintf(msg, sizeof msg, "chunked body exceeds the limit of %lld bytes", max);
                edge_count_error(s, 413);
                send_error(c, 413, "body_too_large", msg, 1);
                return NULL;
            }
            size_t ncap = cap * 2;
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                send_error(c, 500, "internal", "out of memory", 1);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        int got = mg_read(c, buf + n, cap - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    if (ri->content_length >= 0 && (long long)n != ri->content_length) {
        free(buf);
        send_error(c, 400, "truncated_body", "the connection closed before the whole body arrived", 1);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static void get_token(struct mg_connection *c, char *tok, size_t cap)
{
    const char *a = mg_get_header(c, "Authorization");
    const char *x = mg_get_header(c, "X-SCIoT-Token");
    const struct mg_request_info *ri = mg_get_request_info(c);
    tok[0] = 0;
    if (a && !strncasecmp(a, "Bearer ", 7))
        snprintf(tok, cap, "%s", a + 7);
    else if (x)
        snprintf(tok, cap, "%s", x);
    else if (ri->query_string)
        mg_get_var(ri->query_string, strlen(ri->query_string), "token", tok, cap);
}

static int get_query(struct mg_connection *c, const char *name, char *dst, size_t cap)
{
    const struct mg_request_info *ri = mg_get_request_info(c);
    dst[0] = 0;
    if (!ri->query_string)
        return -1;
    return mg_get_var(ri->query_string, strlen(ri->query_string), name, dst, cap);
}

static int method_is(struct mg_connection *c, const char *m, edge_service *s)
{
    if (!strcmp(mg_get_request_info(c)->request_method, m))
        return 1;
    char msg[64];
    snprintf(msg, sizeof msg, "use %s", m);
    edge_count_error(s, 405);
    send_error(c, 405, "method_not_allowed", msg, 0);
    return 0;
}

static int h_registration(struct mg_connection *c, void *user)
{
    edge_service *s = user;
    if (!method_is(c, "POST", s))
        return 405;
    size_t len;
    uint8_t *body = read_body(c, s, &len);
    if (!body)
        return 413;
    char tok[130];
    get_token(c, tok, sizeof tok);
    edge_response r;
    edge_register(s, EDGE_HTTP, (const char *)body, len, tok[0] ? tok : NULL, &r);
    if (r.status >= 400)
        edge_count_error(s, r.status);
    send_response(c, &r, 0);
    int st = r.status;
    edge_response_free(&r);
    free(body);
    return st;
}

static int h_offloading_layer(struct mg_connection *c, void *user)
{
    edge_service *s = user;
    if (!method_is(c, "GET", s))
        return 405;
    char id[80], tok[130];
    get_query(c, "device_id", id, sizeof id);
    get_token(c, tok, sizeof tok);
    edge_response r;
    edge_decision(s, EDGE_HTTP, id, tok[0] ? tok : NULL, &r);
    if (r.status >= 400)
        edge_count_error(s, r.status);
    send_response(c, &r, 0);
    int st = r.status;
    edge_response_free(&r);
    return st;
}

static int h_device_input(struct mg_connection *c, void *user)
{
    edge_service *s = user;
    if (!method_is(c, "POST", s))
        return 405;
    char id[80], tok[130];
    get_query(c, "device_id", id, sizeof id);
    if (!id[0]) {
        const char *h = mg_get_header(c, "X-SCIoT-Device");
        snprintf(id, sizeof id, "%s", h ? h : "");
    }
    get_token(c, tok, sizeof tok);
    size_t len;
    uint8_t *body = read_body(c, s, &len);
    if (!body)
        return 413;
    edge_response r;
    edge_device_input(s, EDGE_HTTP, id, tok[0] ? tok : NULL, body, len, &r);
    if (r.status >= 400)
        edge_count_error(s, r.status);
    send_response(c, &r, 0);
    int st = r.status;
    edge_response_free(&r);
    free(body);
    return st;
}

static int h_result(struct mg_connection *c, void *user)
{
    edge_service *s = user;
    if (!method_is(c, "POST", s))
        return 405;
    char tok[130];
    get_token(c, tok, sizeof tok);
    const char *accept = mg_get_header(c, "Accept");
    int want_json = accept && strstr(accept, "application/json") && !strstr(accept, "octet-stream");
    size_t len;
    uint8_t *body = read_body(c, s, &len);
    if (!body)
        return 413;
    edge_response r;
    edge_result_wait(s, EDGE_HTTP, body, len, tok[0] ? tok : NULL, want_json, &r);
    send_response(c, &r, 0);
    int st = r.status;
    edge_response_free(&r);
    free(body);
    return st;
}

static int h_get(struct mg_connection *c, void *user, void (*fn)(edge_service *, edge_response *))
{
    edge_service *s = user;
    if (!method_is(c, "GET", s))
        return 405;
    edge_response r;
    fn(s, &r);
    send_response(c, &r, 0);
    edge_response_free(&r);
    return 200;
}

static int h_devices(struct mg_connection *c, void *user) { return h_get(c, user, edge_devices_json); }
static int h_metrics(struct mg_connection *c, void *user) { return h_get(c, user, edge_metrics_text); }
static int h_health(struct mg_connection *c, void *user) { return h_get(c, user, edge_health); }

static int h_not_found(struct mg_connection *c, void *user)
{
    edge_service *s = user;
    char msg[300];
    snprintf(msg, sizeof msg, "no endpoint %.200s", mg_get_request_info(c)->local_uri);
    edge_count_error(s, 404);
    send_error(c, 404, "not_found", msg, 0);
    return 404;
}

/* ---- WebSocket ----------------------------------------------------------------- */

typedef struct {
    char token[130];
} ws_conn;

static int ws_connect(const struct mg_connection *c, void *user)
{
    (void)user;
    ws_conn *wc = calloc(1, sizeof *wc);
    if (!wc)
        return 1; /* refuse */
    get_token((struct mg_connection *)c, wc->token, sizeof wc->token);
    mg_set_user_connection_data(c, wc);
    return 0;
}

static void ws_send_text(struct mg_connection *c, const char *txt)
{
    mg_websocket_write(c, MG_WEBSOCKET_OPCODE_TEXT, txt, strlen(txt));
}

static void ws_send_response(struct mg_connection *c, const char *type, const edge_response *r)
{
    if (r->content_type && !strcmp(r->content_type, "application/octet-stream") && r->status == 200) {
        mg_websocket_write(c, MG_WEBSOCKET_OPCODE_BINARY, (const char *)r->body, r->len);
        return;
    }
    cJSON *o = r->body ? cJSON_ParseWithLength((const char *)r->body, r->len) : NULL;
    if (!o)
        o = cJSON_CreateObject();
    cJSON_DeleteItemFromObject(o, "type");
    cJSON_AddStringToObject(o, "type", r->status >= 400 ? "error" : type);
    if (!cJSON_GetObjectItem(o, "status"))
        cJSON_AddNumberToObject(o, "status", r->status);
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (txt)
        ws_send_text(c, txt);
    free(txt);
}

static int ws_data(struct mg_connection *c, int bits, char *data, size_t len, void *user)
{
    edge_service *s = user;
    ws_conn *wc = mg_get_user_connection_data(c);
    int op = bits & 0x0f;
    edge_response r = {0};
    if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE)
        return 0;
    if (op != MG_WEBSOCKET_OPCODE_TEXT && op != MG_WEBSOCKET_OPCODE_BINARY)
        return 1; /* ping/pong/continuation: civetweb handles */
    if ((long long)len > s->cfg.max_body_bytes) {
        edge_response_error(&r, 413, "body_too_large", "message of %zu bytes exceeds the limit of %lld", len,
                            (long long)s->cfg.max_body_bytes);
        edge_count_error(s, 413);
        ws_send_response(c, "error", &r);
        edge_response_free(&r);
        return 1;
    }
    const char *tok = wc && wc->token[0] ? wc->token : NULL;
    if (op == MG_WEBSOCKET_OPCODE_BINARY) {
        edge_result_wait(s, EDGE_WS, (const uint8_t *)data, len, tok, 0, &r);
        ws_send_response(c, "reply", &r);
        edge_response_free(&r);
        return 1;
    }
    cJSON *msg = cJSON_ParseWithLength(data, len);
    const cJSON *type = cJSON_GetObjectItem(msg, "type");
    const cJSON *jtok = cJSON_GetObjectItem(msg, "token");
    if (cJSON_IsString(jtok))
        tok = jtok->valuestring;
    if (!cJSON_IsString(type)) {
        edge_response_error(&r, 400, "bad_message", "expected a JSON object with \"type\": \"register\" or \"decision\"");
        edge_count_error(s, 400);
    } else if (!strcmp(type->valuestring, "register")) {
        edge_register(s, EDGE_WS, data, len, tok, &r);
    } else if (!strcmp(type->valuestring, "decision")) {
        const cJSON *id = cJSON_GetObjectItem(msg, "device_id");
        edge_decision(s, EDGE_WS, cJSON_IsString(id) ? id->valuestring : NULL, tok, &r);
    } else {
        edge_response_error(&r, 400, "bad_message", "unknown message type '%.40s'", type->valuestring);
        edge_count_error(s, 400);
    }
    ws_send_response(c, cJSON_IsString(type) && !strcmp(type->valuestring, "register") ? "registered" : "decision",
                     &r);
    edge_response_free(&r);
    cJSON_Delete(msg);
    return 1;
}

static void ws_close(const struct mg_connection *c, void *user)
{
    (void)user;
    free(mg_get_user_connection_data(c));
    mg_set_user_connection_data(c, NULL);
}

/* ---- lifecycle -------------------------------------------------------------------- */

static int log_message(const struct mg_connection *c, const char *msg)
{
    (void)c;
    fprintf(stderr, "sciot edge: http: %s\n", msg);
    return 1;
}

sciot_status edge_http_start(edge_http **out, edge_service *svc, const edge_config *cfg, sciot_error *err)
{
    edge_http *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    h->svc = svc;
    h->cfg = *cfg;
    char ports[300], threads[16], timeout[16];
    int tls = cfg->tls_certificate[0] != 0;
    snprintf(ports, sizeof ports, "%s:%d%s", cfg->http_host, cfg->http_port, tls ? "s" : "");
    /* one thread per connection in civetweb: room for 64 keep-alive clients and more */
    snprintf(threads, sizeof threads, "%d", 96);
    snprintf(timeout, sizeof timeout, "%d", cfg->request_timeout_s * 1000);
    const char *opts[32];
    int k = 0;
    opts[k++] = "listening_ports";
    opts[k++] = ports;
    opts[k++] = "num_threads";
    opts[k++] = threads;
    opts[k++] = "enable_keep_alive";
    opts[k++] = "yes";
    opts[k++] = "keep_alive_timeout_ms";
    opts[k++] = "30000";
    opts[k++] = "request_timeout_ms";
    opts[k++] = timeout;
    opts[k++] = "tcp_nodelay";
    opts[k++] = "1";
    if (tls) {
        opts[k++] = "ssl_certificate";
        opts[k++] = cfg->tls_certificate;
    }
    opts[k] = NULL;
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = log_message;
    if (tls)
        mg_init_library(MG_FEATURES_TLS);
    else
        mg_init_library(0);
    h->ctx = mg_start(&cb, NULL, opts);
    if (!h->ctx) {
        free(h);
        return sciot_fail(err, SCIOT_ERR_IO, "cannot listen on %s (port taken, or bad TLS certificate '%s')", ports,
                          cfg->tls_certificate);
    }
    mg_set_request_handler(h->ctx, cfg->ep_registration, h_registration, svc);
    mg_set_request_handler(h->ctx, cfg->ep_offloading_layer, h_offloading_layer, svc);
    mg_set_request_handler(h->ctx, cfg->ep_device_input, h_device_input, svc);
    mg_set_request_handler(h->ctx, cfg->ep_result, h_result, svc);
    mg_set_request_handler(h->ctx, "/api/devices", h_devices, svc);
    mg_set_request_handler(h->ctx, "/metrics", h_metrics, svc);
    mg_set_request_handler(h->ctx, "/healthz", h_health, svc);
    if (cfg->ws_enabled)
        mg_set_websocket_handler(h->ctx, cfg->ws_path, ws_connect, NULL, ws_data, ws_close, svc);
    mg_set_request_handler(h->ctx, "**", h_not_found, svc);
    struct mg_server_port sp[4];
    int n = mg_get_server_ports(h->ctx, 4, sp);
    h->port = n > 0 ? sp[0].port : cfg->http_port;
    *out = h;
    return SCIOT_OK;
}

int edge_http_port(const edge_http *h)
{
    return h ? h->port : 0;
}

void edge_http_stop(edge_http *h)
{
    if (!h)
        return;
    mg_stop(h->ctx); /* waits for every handler to return */
    mg_exit_library();
    free(h);
}
