/* mqtt.c — the MQTT v5 transport of the device client (libmosquitto).
 *
 * Topics (docs/PROTOCOL.md §5; P = the URL's path, default "sciot"):
 *   publish     P/<id>/register    registration JSON
 *               P/<id>/result      a wire frame
 *   subscribe   P/<id>/registered  registration answer (JSON)
 *               P/<id>/reply       REPLY frame
 *               P/<id>/error       {"error","detail","status","request_id"?}
 * libmosquitto's loop thread (mosquitto_loop_start) keeps the connection,
 * reconnects after a loss (1 s, doubling to 4 s) and the subscriptions are
 * made again on every connection. A call publishes and waits on a
 * condition variable, at most its timeout, for the answer: a reply whose
 * frame carries the request id, or an error naming it (or naming none: the
 * edge could not read the frame). Late answers to earlier requests are
 * dropped by that id. While the client is disconnected calls fail at once,
 * except the very first call, which waits (within its timeout) for the
 * first connection. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "client/client.h"

#define MQ_RX_SLOTS 8
#define MQ_KEEPALIVE_S 30
#define MQ_QOS 1

enum { T_REGISTERED = 0, T_REPLY = 1, T_ERROR = 2, T_COUNT };

typedef struct {
    int kind;
    uint8_t *data;
    size_t len;
} mq_msg;

typedef struct {
    client_transport base;
    struct mosquitto *mosq;
    char host[256];
    int port;
    char url[600];
    char token[160];
    char t_register[400], t_result[400];
    char t_sub[T_COUNT][400];

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int connected, subscribed, sub_mid;
    int waited_first; /* the first call waited for the first connection */
    int conn_rc; /* last CONNACK reason code (0 = accepted) */
    mq_msg rx[MQ_RX_SLOTS];
    int rx_head, rx_n;
    int loop_started;
} mq_t;

static void rx_clear_locked(mq_t *m)
{
    while (m->rx_n > 0) {
        free(m->rx[m->rx_head].data);
        m->rx_head = (m->rx_head + 1) % MQ_RX_SLOTS;
        m->rx_n--;
    }
    m->rx_head = 0;
}

/* ---- callbacks (libmosquitto's thread) -------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags, const mosquitto_property *props)
{
    (void)flags;
    (void)props;
    mq_t *m = obj;
    pthread_mutex_lock(&m->mu);
    m->conn_rc = rc;
    m->connected = rc == 0;
    m->subscribed = 0;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (rc != 0)
        return;
    char *subs[T_COUNT];
    for (int i = 0; i < T_COUNT; i++)
        subs[i] = m->t_sub[i];
    int mid = 0;
    if (mosquitto_subscribe_multiple(mosq, &mid, T_COUNT, subs, MQ_QOS, 0, NULL) == MOSQ_ERR_SUCCESS) {
        pthread_mutex_lock(&m->mu);
        m->sub_mid = mid;
        pthread_mutex_unlock(&m->mu);
    }
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props)
{
    (void)mosq;
    (void)rc;
    (void)props;
    mq_t *m = obj;
    pthread_mutex_lock(&m->mu);
    m->connected = 0;
    m->subscribed = 0;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count, const int *granted,
                         const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    mq_t *m = obj;
    int ok = qos_count == T_COUNT;
    for (int i = 0; ok && i < qos_count; i++)
        ok = granted[i] >= 0 && granted[i] <= 2;
    pthread_mutex_lock(&m->mu);
    if (mid == m->sub_mid && ok) {
        m->subscribed = 1;
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    mq_t *m = obj;
    if (!msg || !msg->topic || msg->payloadlen < 0)
        return;
    int kind = -1;
    for (int i = 0; i < T_COUNT; i++)
        if (!strcmp(msg->topic, m->t_sub[i]))
            kind = i;
    if (kind < 0 || msg->retain)
        return;
    size_t len = (size_t)msg->payloadlen;
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return;
    if (len)
        memcpy(copy, msg->payload, len);
    copy[len] = 0;
    pthread_mutex_lock(&m->mu);
    if (m->rx_n == MQ_RX_SLOTS) {
        free(m->rx[m->rx_head].data);
        m->rx_head = (m->rx_head + 1) % MQ_RX_SLOTS;
        m->rx_n--;
    }
    mq_msg *r = &m->rx[(m->rx_head + m->rx_n) % MQ_RX_SLOTS];
    r->kind = kind;
    r->data = copy;
    r->len = len;
    m->rx_n++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

/* ---- calls ------------------------------------------------------------------------- */

static void wait_until_locked(mq_t *m, uint64_t deadline)
{
    uint32_t left = client_ms_left(deadline);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&m->cv, &m->mu, &ts);
}

/* Error JSON: the request id it names, or 0 when it names none. */
static uint64_t error_request_id(const uint8_t *data, size_t len)
{
    uint64_t rid = 0;
    cJSON *o = cJSON_ParseWithLength((const char *)data, len);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "request_id");
    if (cJSON_IsString(r))
        rid = strtoull(r->valuestring, NULL, 10);
    else if (cJSON_IsNumber(r) && r->valuedouble > 0)
        rid = (uint64_t)r->valuedouble;
    cJSON_Delete(o);
    return rid;
}

/* Publish to `topic` and wait for the answer of kind `want` (T_REGISTERED
 * or T_REPLY with request id rid) or an error. */
static sciot_status call(mq_t *m, const char *topic, const void *data, size_t len, int want, uint64_t rid,
                         uint32_t timeout_ms, mq_msg *ans, sciot_error *err)
{
    uint64_t deadline = client_now_ms() + timeout_ms;
    client_answer_reset(&m->base);
    pthread_mutex_lock(&m->mu);
    if (!m->waited_first) { /* the first call waits for the first connection */
        m->waited_first = 1;
        while (!(m->connected && m->subscribed) && client_ms_left(deadline) > 0)
            wait_until_locked(m, deadline);
    }
    if (!(m->connected && m->subscribed)) {
        int crc = m->conn_rc;
        pthread_mutex_unlock(&m->mu);
        if (crc > 0)
            return sciot_fail(err, SCIOT_ERR_IO, "%s: the broker refused the connection: %s", m->url,
                              mosquitto_reason_string(crc));
        return sciot_fail(err, SCIOT_ERR_IO, "%s: not connected to the MQTT broker", m->url);
    }
    rx_clear_locked(m);
    pthread_mutex_unlock(&m->mu);

    mosquitto_property *props = NULL;
    if (m->token[0])
        mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "token", m->token);
    int rc = mosquitto_publish_v5(m->mosq, NULL, topic, (int)len, data, MQ_QOS, false, props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: publish to %s failed: %s", m->url, topic, mosquitto_strerror(rc));

    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (m->rx_n == 0 && m->connected && client_ms_left(deadline) > 0)
            wait_until_locked(m, deadline);
        if (m->rx_n == 0) {
            int conn = m->connected;
            pthread_mutex_unlock(&m->mu);
            if (!conn)
                return sciot_fail(err, SCIOT_ERR_IO, "%s: lost the connection to the broker", m->url);
            return sciot_fail(err, SCIOT_ERR_IO, "%s: no answer on %s within %u ms (is the edge subscribed?)",
                              m->url, want == T_REPLY ? m->t_sub[T_REPLY] : m->t_sub[T_REGISTERED], timeout_ms);
        }
        mq_msg r = m->rx[m->rx_head];
        m->rx[m->rx_head].data = NULL;
        m->rx_head = (m->rx_head + 1) % MQ_RX_SLOTS;
        m->rx_n--;
        if (r.kind == T_ERROR) {
            uint64_t erid = error_request_id(r.data, r.len);
            if ((want == T_REPLY && (erid == 0 || erid == rid)) || (want == T_REGISTERED && erid == 0)) {
                pthread_mutex_unlock(&m->mu);
                sciot_status s = client_answer_error(&m->base, 0, (const char *)r.data, r.len, err);
                if (m->base.last_status <= 0)
                    m->base.last_status = 400;
                free(r.data);
                return s;
            }
        } else if (r.kind == want && (want != T_REPLY || client_frame_request_id(r.data, r.len) == rid)) {
            pthread_mutex_unlock(&m->mu);
            *ans = r;
            return SCIOT_OK;
        }
        free(r.data); /* late or foreign */
    }
}

static sciot_status mq_reg(client_transport *t, const char *json, char **answer, uint32_t timeout_ms,
                           sciot_error *err)
{
    mq_t *m = (mq_t *)t;
    mq_msg r = {0};
    *answer = NULL;
    sciot_status s = call(m, m->t_register, json, strlen(json), T_REGISTERED, 0, timeout_ms, &r, err);
    if (s)
        return s;
    t->last_status = 200;
    *answer = (char *)r.data;
    return SCIOT_OK;
}

static sciot_status mq_exchange(client_transport *t, const uint8_t *req, size_t req_len, uint8_t *resp,
                                size_t resp_cap, size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    mq_t *m = (mq_t *)t;
    mq_msg r = {0};
    if (req_len > 256u * 1024u * 1024u)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "frame of %zu bytes is too large for MQTT", req_len);
    sciot_status s = call(m, m->t_result, req, req_len, T_REPLY, client_frame_request_id(req, req_len),
                          timeout_ms, &r, err);
    if (s)
        return s;
    return client_take_reply(t, r.data, r.len, resp, resp_cap, resp_len, err);
}

static void mq_destroy(client_transport *t)
{
    mq_t *m = (mq_t *)t;
    if (m->mosq) {
        pthread_mutex_lock(&m->mu);
        int connected = m->connected;
        pthread_mutex_unlock(&m->mu);
        if (m->loop_started) {
            mosquitto_disconnect_v5(m->mosq, MQTT_RC_NORMAL_DISCONNECTION, NULL);
            /* connected: the loop ends after the DISCONNECT; otherwise it may
             * sit in its reconnect delay, which only a cancel interrupts */
            mosquitto_loop_stop(m->mosq, !connected);
        }
        mosquitto_destroy(m->mosq);
    }
    rx_clear_locked(m);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
    mosquitto_lib_cleanup();
}

/* A topic level from the device id: the edge refuses ids with / + # " \ and
 * control characters, so they cannot appear here. */
static int topic_safe(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c == 0x7f || c == '/' || c == '+' || c == '#')
            return 0;
    }
    return 1;
}

sciot_status client_mqtt_open(client_transport **out, const char *url, const char *device_id, const char *token,
                              sciot_error *err)
{
    *out = NULL;
    const char *p = url + 7;
    char host[256];
    const char *host_end;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (!host_end)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': unterminated '['", url);
        snprintf(host, sizeof host, "%.*s", (int)(host_end - p - 1), p + 1);
        host_end++;
    } else {
        host_end = p + strcspn(p, ":/");
        snprintf(host, sizeof host, "%.*s", (int)(host_end - p), p);
    }
    if (!host[0] || strchr(host, '@'))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': expected mqtt://HOST[:PORT][/PREFIX]",
                          url);
    int port = 1883;
    const char *rest = host_end;
    if (*rest == ':') {
        char *end;
        long v = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || v < 1 || v > 65535 || (*end && *end != '/'))
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': bad port", url);
        port = (int)v;
        rest = end;
    } else if (*rest && *rest != '/') {
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': unexpected '%c'", url, *rest);
    }
    char prefix[128] = "sciot";
    if (*rest == '/' && rest[1]) {
        size_t n = strlen(rest + 1);
        while (n > 0 && rest[1 + n - 1] == '/')
            n--;
        if (n == 0 || n >= sizeof prefix)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': topic prefix of 1..127 characters",
                              url);
        snprintf(prefix, sizeof prefix, "%.*s", (int)n, rest + 1);
        if (strpbrk(prefix, "+#") || strstr(prefix, "//") || prefix[0] == '$')
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                              "edge URL '%.200s': the topic prefix may not hold '+', '#', empty levels or a "
                              "leading '$'",
                              url);
    }
    if (!topic_safe(device_id))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "device id '%.70s' cannot be an MQTT topic level", device_id);

    mq_t *m = calloc(1, sizeof *m);
    if (!m)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    mosquitto_lib_init(); /* reference-counted; mq_destroy cleans up */
    m->base.kind = "mqtt";
    m->base.reg = mq_reg;
    m->base.exchange = mq_exchange;
    m->base.destroy = mq_destroy;
    snprintf(m->host, sizeof m->host, "%s", host);
    m->port = port;
    snprintf(m->url, sizeof m->url, "%.500s", url);
    snprintf(m->token, sizeof m->token, "%s", token ? token : "");
    snprintf(m->t_register, sizeof m->t_register, "%s/%s/register", prefix, device_id);
    snprintf(m->t_result, sizeof m->t_result, "%s/%s/result", prefix, device_id);
    static const char *const sub_suffix[T_COUNT] = {"registered", "reply", "error"};
    for (int i = 0; i < T_COUNT; i++)
        snprintf(m->t_sub[i], sizeof m->t_sub[i], "%s/%s/%s", prefix, device_id, sub_suffix[i]);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    m->conn_rc = -1;

    char client_id[160];
    snprintf(client_id, sizeof client_id, "sciot-device-%.64s-%ld", device_id, (long)getpid());
    m->mosq = mosquitto_new(client_id, true, m);
    if (!m->mosq) {
        mq_destroy(&m->base);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "cannot create a libmosquitto client");
    }
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1); /* no 40 ms Nagle/delayed-ACK stalls */
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_subscribe_v5_callback_set(m->mosq, on_subscribe);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    mosquitto_reconnect_delay_set(m->mosq, 1, 4, true);
    int rc = mosquitto_connect_bind_async(m->mosq, host, port, MQ_KEEPALIVE_S, NULL);
    if (rc == MOSQ_ERR_INVAL) {
        mq_destroy(&m->base);
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL '%.200s': %s", url, mosquitto_strerror(rc));
    }
    /* other errors (refused, ...): the loop thread keeps trying */
    rc = mosquitto_loop_start(m->mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
        mq_destroy(&m->base);
        return sciot_fail(err, SCIOT_ERR_IO, "libmosquitto: cannot start its thread: %s", mosquitto_strerror(rc));
    }
    m->loop_started = 1;
    *out = &m->base;
    return SCIOT_OK;
}
