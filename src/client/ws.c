/* ws.c — the WebSocket transport of the device client (civetweb's client).
 *
 * civetweb's client connects and runs the upgrade handshake synchronously
 * with its own (long) timeouts, so the connection is set up on a helper
 * thread and the caller waits for it on a condition variable, at most its
 * timeout. An attempt that outlives its caller keeps running; the next call
 * waits for the same attempt instead of starting another, and an attempt
 * nobody wants any more closes its connection itself.
 *
 * Once connected, civetweb's reader thread hands every message to on_data,
 * which queues it; the caller writes its frame and waits (condition
 * variable, deadline) for the binary REPLY frame with its request id, or a
 * text {"type":"error",...}. Replies to other request ids (answers that
 * arrived after their caller gave up) are dropped. A timeout or a write
 * error closes the connection; the next call connects again. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <civetweb.h>

#include "client/client.h"

#define WS_RX_SLOTS 8
#define WS_MSG_MAX (8u * 1024u * 1024u)

typedef struct ws_attempt ws_attempt;

typedef struct {
    int op; /* MG_WEBSOCKET_OPCODE_TEXT or _BINARY */
    uint8_t *data;
    size_t len;
} ws_msg;

typedef struct {
    client_transport base;
    char host[256];
    int port;
    int tls;
    char path[1024]; /* with ?token=... */
    char url[1100];  /* for messages */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct mg_connection *conn; /* the connection in use, or NULL */
    int closed;                 /* the edge closed `conn` (or its reader thread ended) */
    ws_attempt *pending;        /* a connection being set up */
    ws_msg rx[WS_RX_SLOTS];     /* received, not yet taken */
    int rx_head, rx_n;
} ws_t;

struct ws_attempt {
    ws_t *w;
    int done;       /* the helper thread finished */
    int abandoned;  /* the transport is going away: close what you get */
    struct mg_connection *conn;
    char errbuf[256];
};

/* ---- civetweb callbacks (reader thread) --------------------------------------- */

static int on_data(struct mg_connection *c, int bits, char *data, size_t len, void *user)
{
    ws_t *w = user;
    int op = bits & 0x0f;
    if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) {
        pthread_mutex_lock(&w->mu);
        if (c == w->conn)
            w->closed = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        return 0;
    }
    if (op != MG_WEBSOCKET_OPCODE_TEXT && op != MG_WEBSOCKET_OPCODE_BINARY)
        return 1;
    if (len > WS_MSG_MAX)
        return 1;
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return 1;
    if (len)
        memcpy(copy, data, len);
    copy[len] = 0;
    pthread_mutex_lock(&w->mu);
    if (c != w->conn) { /* not (or no longer) ours */
        pthread_mutex_unlock(&w->mu);
        free(copy);
        return 1;
    }
    if (w->rx_n == WS_RX_SLOTS) { /* drop the oldest */
        free(w->rx[w->rx_head].data);
        w->rx_head = (w->rx_head + 1) % WS_RX_SLOTS;
        w->rx_n--;
    }
    ws_msg *m = &w->rx[(w->rx_head + w->rx_n) % WS_RX_SLOTS];
    m->op = op;
    m->data = copy;
    m->len = len;
    w->rx_n++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 1;
}

static void on_close(const struct mg_connection *c, void *user)
{
    ws_t *w = user;
    pthread_mutex_lock(&w->mu);
    if (c == w->conn)
        w->closed = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void rx_clear_locked(ws_t *w)
{
    while (w->rx_n > 0) {
        free(w->rx[w->rx_head].data);
        w->rx_head = (w->rx_head + 1) % WS_RX_SLOTS;
        w->rx_n--;
    }
    w->rx_head = 0;
}

/* Close a connection: a close frame first, so that the edge answers with
 * its own and civetweb's reader thread ends at once (mg_close_connection
 * joins it). */
static void conn_close(struct mg_connection *c)
{
    if (!c)
        return;
    mg_websocket_client_write(c, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe8", 2);
    mg_close_connection(c);
}

/* ---- connecting ---------------------------------------------------------------- */

/* civetweb's client leaves Nagle's algorithm on and writes a message's
 * header and payload with two send()s: the payload then waits for the
 * edge's delayed ACK (40 ms on Linux) on every request. Its API does not
 * expose the socket, so set TCP_NODELAY on every socket of this process
 * connected to the edge's address (there is one; a second would be an
 * abandoned attempt, for which it is harmless). */
static void set_nodelay_to(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    char ps[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ps, sizeof ps, "%d", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0)
        return;
    struct rlimit rl;
    int maxfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = 3; fd < maxfd; fd++) {
        struct stat sb;
        if (fstat(fd, &sb) != 0 || !S_ISSOCK(sb.st_mode))
            continue;
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        if (getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
            continue;
        for (const struct addrinfo *a = res; a; a = a->ai_next) {
            if (a->ai_family != peer.ss_family || a->ai_addrlen != pl)
                continue;
            int same = 0;
            if (peer.ss_family == AF_INET) {
                const struct sockaddr_in *x = (const void *)&peer, *y = (const void *)a->ai_addr;
                same = x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
            } else if (peer.ss_family == AF_INET6) {
                const struct sockaddr_in6 *x = (const void *)&peer, *y = (const void *)a->ai_addr;
                same = x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
            }
            if (same) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                break;
            }
        }
    }
    freeaddrinfo(res);
}

static void *attempt_main(void *arg)
{
    ws_attempt *a = arg;
    ws_t *w = a->w;
    char eb[256] = "";
    struct mg_connection *c =
        mg_connect_websocket_client(w->host, w->port, w->tls, eb, sizeof eb, w->path, NULL, on_data, on_close, w);
    if (c)
        set_nodelay_to(w->host, w->port);
    pthread_mutex_lock(&w->mu);
    a->done = 1;
    a->conn = c;
    snprintf(a->errbuf, sizeof a->errbuf, "%s", eb);
    int abandoned = a->abandoned;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (abandoned) {
        conn_close(c);
        free(a);
    }
    return NULL;
}

/* Drop the current connection (caller holds mu; it is released meanwhile). */
static void drop_locked(ws_t *w)
{
    struct mg_connection *c = w->conn;
    w->conn = NULL;
    w->closed = 0;
    rx_clear_locked(w);
    if (c) {
        pthread_mutex_unlock(&w->mu);
        conn_close(c);
        pthread_mutex_lock(&w->mu);
    }
}

/* Make sure a connection is up by the deadline (mu held). */
static sciot_status connect_locked(ws_t *w, uint64_t deadline, sciot_error *err)
{
    if (w->conn && !w->closed)
        return SCIOT_OK;
    if (w->conn)
        drop_locked(w);
    if (!w->pending) {
        ws_attempt *a = calloc(1, sizeof *a);
        if (!a)
            return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
        a->w = w;
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &at, attempt_main, a);
        pthread_attr_destroy(&at);
        if (rc) {
            free(a);
            return sciot_fail(err, SCIOT_ERR_IO, "cannot start a thread: %s", strerror(rc));
        }
        w->pending = a;
    }
    ws_attempt *a = w->pending;
    while (!a->done) {
        uint32_t left = client_ms_left(deadline);
        if (!left)
            return sciot_fail(err, SCIOT_ERR_IO, "%s: no WebSocket connection within the timeout", w->url);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
    w->pending = NULL;
    struct mg_connection *c = a->conn;
    char eb[256];
    snprintf(eb, sizeof eb, "%s", a->errbuf);
    free(a);
    if (!c)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: %s", w->url, eb[0] ? eb : "cannot connect");
    w->conn = c;
    w->closed = 0;
    rx_clear_locked(w);
    return SCIOT_OK;
}

/* Wait for the next message until the deadline (mu held); 1 with *m, 0 on
 * timeout, -1 when the connection closed. */
static int next_msg_locked(ws_t *w, uint64_t deadline, ws_msg *m)
{
    for (;;) {
        if (w->rx_n > 0) {
            *m = w->rx[w->rx_head];
            w->rx[w->rx_head].data = NULL;
            w->rx_head = (w->rx_head + 1) % WS_RX_SLOTS;
            w->rx_n--;
            return 1;
        }
        if (w->closed || !w->conn)
            return -1;
        uint32_t left = client_ms_left(deadline);
        if (!left)
            return 0;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
}

/* Send one message and wait for its answer. want_binary: a frame exchange
 * (answer: a binary frame with request id `rid`, or a text error);
 * otherwise a registration (answer: text "registered" or "error"). On
 * success the answer is in *ans (caller frees ans->data). */
static sciot_status call(ws_t *w, int op, const void *data, size_t len, uint64_t rid, uint32_t timeout_ms,
                         ws_msg *ans, sciot_error *err)
{
    uint64_t deadline = client_now_ms() + timeout_ms;
    sciot_status s;
    client_answer_reset(&w->base);
    pthread_mutex_lock(&w->mu);
    if ((s = connect_locked(w, deadline, err))) {
        pthread_mutex_unlock(&w->mu);
        return s;
    }
    rx_clear_locked(w);
    struct mg_connection *c = w->conn;
    pthread_mutex_unlock(&w->mu);
    /* the write itself: small frames go into the socket buffer at once */
    int wr = mg_websocket_client_write(c, op, (const char *)data, len);
    pthread_mutex_lock(&w->mu);
    if (wr <= 0 || (size_t)wr < len) {
        drop_locked(w);
        pthread_mutex_unlock(&w->mu);
        return sciot_fail(err, SCIOT_ERR_IO, "%s: the connection broke while sending", w->url);
    }
    for (;;) {
        ws_msg m = {0};
        int got = next_msg_locked(w, deadline, &m);
        if (got <= 0) {
            drop_locked(w);
            pthread_mutex_unlock(&w->mu);
            if (got == 0)
                return sciot_fail(err, SCIOT_ERR_IO, "%s: no answer within %u ms", w->url, timeout_ms);
            return sciot_fail(err, SCIOT_ERR_IO, "%s: the edge closed the connection", w->url);
        }
        if (m.op == MG_WEBSOCKET_OPCODE_BINARY) {
            if (op == MG_WEBSOCKET_OPCODE_BINARY && client_frame_request_id(m.data, m.len) == rid) {
                pthread_mutex_unlock(&w->mu);
                *ans = m;
                return SCIOT_OK;
            }
            free(m.data); /* a late answer to an earlier request */
            continue;
        }
        cJSON *o = cJSON_ParseWithLength((const char *)m.data, m.len);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
        int is_error = cJSON_IsString(type) && !strcmp(type->valuestring, "error");
        int is_reg = cJSON_IsString(type) && !strcmp(type->valuestring, "registered");
        cJSON_Delete(o);
        if (is_error) {
            pthread_mutex_unlock(&w->mu);
            s = client_answer_error(&w->base, 0, (const char *)m.data, m.len, err);
            if (w->base.last_status <= 0)
                w->base.last_status = 400;
            free(m.data);
            return s;
        }
        if (is_reg && op == MG_WEBSOCKET_OPCODE_TEXT) {
            pthread_mutex_unlock(&w->mu);
            *ans = m;
            return SCIOT_OK;
        }
        free(m.data); /* something else (a late "registered", a decision, ...) */
    }
}

static sciot_status ws_reg(client_transport *t, const char *json, char **answer, uint32_t timeout_ms,
                           sciot_error *err)
{
    ws_t *w = (ws_t *)t;
    *answer = NULL;
    /* the HTTP body plus "type":"register" */
    cJSON *o = cJSON_Parse(json);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "registration body is not a JSON object");
    }
    cJSON_AddStringToObject(o, "type", "register");
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!txt)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    ws_msg m = {0};
    sciot_status s = call(w, MG_WEBSOCKET_OPCODE_TEXT, txt, strlen(txt), 0, timeout_ms, &m, err);
    free(txt);
    if (s)
        return s;
    t->last_status = 200;
    *answer = (char *)m.data;
    return SCIOT_OK;
}

static sciot_status ws_exchange(client_transport *t, const uint8_t *req, size_t req_len, uint8_t *resp,
                                size_t resp_cap, size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    ws_t *w = (ws_t *)t;
    ws_msg m = {0};
    sciot_status s = call(w, MG_WEBSOCKET_OPCODE_BINARY, req, req_len, client_frame_request_id(req, req_len),
                          timeout_ms, &m, err);
    if (s)
        return s;
    return client_take_reply(t, m.data, m.len, resp, resp_cap, resp_len, err);
}

static void ws_destroy(client_transport *t)
{
    ws_t *w = (ws_t *)t;
    pthread_mutex_lock(&w->mu);
    drop_locked(w);
    ws_attempt *a = w->pending;
    int busy = a && !a->done;
    if (busy) {
        /* its thread is still in civetweb: it closes what it gets and frees
         * the attempt; `w` stays allocated for it (the process is ending) */
        a->abandoned = 1;
        w->pending = NULL;
        pthread_mutex_unlock(&w->mu);
        return;
    }
    if (a) {
        conn_close(a->conn);
        free(a);
        w->pending = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    mg_exit_library();
    free(w);
}

static void append_escaped(char *dst, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(dst);
    for (; *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            dst[n++] = (char)c;
        } else {
            dst[n++] = '%';
            dst[n++] = hex[c >> 4];
            dst[n++] = hex[c & 15];
        }
    }
    dst[n] = 0;
}

sciot_status client_ws_open(client_transport **out, const char *url, const char *token, sciot_error *err)
{
    *out = NULL;
    int tls = !strncasecmp(url, "wss://", 6);
    const char *p = url + (tls ? 6 : 5);
    const char *host_end;
    char host[256];
    if (*p == '[') { /* [v6]:port */
        host_end = strchr(p, ']');
        if (!host_end)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': unterminated '['", url);
        snprintf(host, sizeof host, "%.*s", (int)(host_end - p - 1), p + 1);
        host_end++;
    } else {
        host_end = p + strcspn(p, ":/?");
        snprintf(host, sizeof host, "%.*s", (int)(host_end - p), p);
    }
    if (!host[0] || strlen(host) > 253)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': no host", url);
    int port = tls ? 443 : 80;
    const char *rest = host_end;
    if (*rest == ':') {
        char *end;
        long v = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || v < 1 || v > 65535 || (*end && *end != '/' && *end != '?'))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': bad port", url);
        port = (int)v;
        rest = end;
    } else if (*rest && *rest != '/' && *rest != '?') {
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': unexpected '%c'", url, *rest);
    }
    if (strlen(rest) > 800)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': path too long", url);
    ws_t *w = calloc(1, sizeof *w);
    if (!w)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    w->base.kind = "ws";
    w->base.reg = ws_reg;
    w->base.exchange = ws_exchange;
    w->base.destroy = ws_destroy;
    snprintf(w->host, sizeof w->host, "%s", host);
    w->port = port;
    w->tls = tls;
    snprintf(w->path, sizeof w->path, "%s", *rest == '/' ? rest : "/ws");
    if (*rest == '?') /* a query without a path */
        snprintf(w->path, sizeof w->path, "/ws%s", rest);
    if (token && *token) {
        strncat(w->path, strchr(w->path, '?') ? "&token=" : "?token=", sizeof w->path - strlen(w->path) - 1);
        append_escaped(w->path, sizeof w->path, token);
    }
    snprintf(w->url, sizeof w->url, "%s", url);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    mg_init_library(tls ? MG_FEATURES_TLS : 0);
    *out = &w->base;
    return SCIOT_OK;
}
