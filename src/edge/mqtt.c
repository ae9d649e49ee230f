/* mqtt.c — the edge's MQTT v5 transport (libmosquitto). See mqtt.h and
 * docs/PROTOCOL.md §5.
 *
 * Network thread. libmosquitto's own loop thread (mosquitto_loop_start →
 * mosquitto_loop_forever) returns for good when mosquitto_loop reports an
 * error it deems fatal (a protocol error from the broker, a refused
 * authentication, a DNS failure, ...), which would leave the edge deaf until
 * it is restarted. This file therefore runs the same loop on its own thread:
 * mosquitto_loop() while connected; on any error a reconnect after an
 * exponential backoff (1 s doubling to 30 s, reset by an accepted CONNACK)
 * that a stop interrupts at once. The client is put in threaded mode
 * (mosquitto_threaded_set), so publishing from the service's workers is safe,
 * exactly as with mosquitto_loop_start.
 *
 * Every request is answered (or deliberately dropped and counted, when no
 * valid reply topic exists) and nothing in a message can make this code read
 * out of bounds: topics, properties and payloads are length-checked before
 * use; JSON goes through cJSON; frames go to the service, which checks them
 * fully. */
#define _POSIX_C_SOURCE 200809L
#include "edge/mqtt.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "sciot/wire.h"

#define MQ_KEEPALIVE_S 30
#define MQ_START_WAIT_MS 5000
#define MQ_DRAIN_WAIT_MS 2000
#define MQ_QUIT_WAIT_MS 1000
#define MQ_BACKOFF_MIN_MS 1000
#define MQ_BACKOFF_MAX_MS 30000
#define MQ_JSON_MAX (64 * 1024)   /* registration / decision bodies */
#define MQ_TOPIC_MAX 512          /* our own topics: prefix 127 + id 64 + suffix */
#define MQ_DEFAULT_MAX_BODY (8 * 1024 * 1024)

enum { K_REGISTER = 0, K_DECISION = 1, K_RESULT = 2, K_COUNT };

static const char *const k_request_suffix[K_COUNT] = {"register", "decision/get", "result"};
static const char *const k_answer_suffix[K_COUNT] = {"registered", "decision", "reply"};

struct edge_mqtt {
    struct mosquitto *mosq;
    edge_service *svc;
    char prefix[128];
    char client_id[160];
    char host[256];
    int port;
    int qos;
    size_t max_body;
    char *subs[K_COUNT];       /* subscription filters (with $share/<group>/ when shared) */
    char filters[K_COUNT][300];/* the same without $share: what our own subscriptions match */
    char sub_store[K_COUNT][450];

    pthread_t thread;
    int thread_started;

    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t cv;
    int stopping;              /* no new work: answer 503 */
    int quit;                  /* network thread: leave */
    int subscribed;            /* SUBACK of the current connection received */
    int sub_mid;
    int sub_refused_logged;
    long inflight;             /* result completions not yet run */
    long unacked;              /* publishes not yet acknowledged (on_publish) */
    int backoff_attempt;
    edge_mqtt_stats st;

    atomic_int connected;
};

/* ---- small helpers ---------------------------------------------------- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static void lib_init(void) { mosquitto_lib_init(); }

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait on m->cv for at most `ms` milliseconds (m->mu held). */
static void cv_wait_ms(edge_mqtt *m, uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&m->cv, &m->mu, &ts);
}

static void stat_add(edge_mqtt *m, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&m->mu);
    *field += n;
    pthread_mutex_unlock(&m->mu);
}

/* A device id as a topic level: 1..64 bytes of printable characters other
 * than '/', '+', '#', '"' and '\\' (the service's rule for device ids). */
static int valid_device_id(const char *s, size_t n)
{
    if (n == 0 || n > SCIOT_WIRE_MAX_DEVICE_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c == 0x7f || c == '/' || c == '+' || c == '#' || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* Split "P/<id>/<suffix>": returns 1 with *kind and id set, 0 when the topic
 * is not one of our request topics, -1 when it is but the id is invalid. */
static int parse_topic(const edge_mqtt *m, const char *topic, char id[SCIOT_WIRE_MAX_DEVICE_ID + 1], int *kind)
{
    size_t plen = strlen(m->prefix);
    if (strncmp(topic, m->prefix, plen) != 0 || topic[plen] != '/')
        return 0;
    const char *rest = topic + plen + 1;
    const char *slash = strchr(rest, '/');
    if (!slash)
        return 0;
    int k = -1;
    for (int i = 0; i < K_COUNT; i++)
        if (!strcmp(slash + 1, k_request_suffix[i]))
            k = i;
    if (k < 0)
        return 0;
    *kind = k;
    size_t n = (size_t)(slash - rest);
    if (!valid_device_id(rest, n))
        return -1;
    memcpy(id, rest, n);
    id[n] = '\0';
    return 1;
}

/* ---- answering ---------------------------------------------------------- */

/* Where and how to answer one request. */
typedef struct {
    int kind;
    char dev[SCIOT_WIRE_MAX_DEVICE_ID + 1]; /* "" when the topic's id was invalid */
    char *response_topic;                   /* MQTT v5 Response Topic, or NULL */
    void *corr;                             /* Correlation Data, or NULL */
    uint16_t corr_len;
    char *token;                            /* User Property "token", or NULL */
    int have_rid;                           /* result: request id read from the frame header */
    uint64_t rid;
} mq_target;

static void target_free(mq_target *t)
{
    free(t->response_topic);
    free(t->corr);
    free(t->token);
    t->response_topic = NULL;
    t->corr = NULL;
    t->token = NULL;
}

/* {"error","detail","status"[,"retry_after_s"][,"request_id"]} from a
 * service error response (whose body is {"error","detail"}). */
static char *error_json(const edge_response *r, const mq_target *t)
{
    cJSON *o = NULL;
    if (r->body && r->len > 0 && r->len <= MQ_JSON_MAX)
        o = cJSON_ParseWithLength((const char *)r->body, r->len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = cJSON_CreateObject();
        if (!o)
            return NULL;
        cJSON_AddStringToObject(o, "error", r->status == 503 ? "unavailable" : "error");
        char d[64];
        snprintf(d, sizeof d, "status %d", r->status);
        cJSON_AddStringToObject(o, "detail", d);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON_AddNumberToObject(o, "status", r->status);
    if (r->retry_after_s > 0 && !cJSON_GetObjectItemCaseSensitive(o, "retry_after_s"))
        cJSON_AddNumberToObject(o, "retry_after_s", r->retry_after_s);
    if (t->have_rid && !cJSON_GetObjectItemCaseSensitive(o, "request_id")) {
        char rid[24];
        snprintf(rid, sizeof rid, "%llu", (unsigned long long)t->rid);
        cJSON_AddStringToObject(o, "request_id", rid);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* Publish the answer to one request: 2xx to the kind's answer topic, the
 * rest as JSON to .../error; both to the Response Topic when there is one. */
static void publish_answer(edge_mqtt *m, const mq_target *t, const edge_response *r)
{
    int ok = r->status >= 200 && r->status < 300;
    char topic_buf[MQ_TOPIC_MAX];
    const char *topic;
    if (t->response_topic) {
        topic = t->response_topic;
    } else if (t->dev[0]) {
        snprintf(topic_buf, sizeof topic_buf, "%s/%s/%s", m->prefix, t->dev, ok ? k_answer_suffix[t->kind] : "error");
        topic = topic_buf;
    } else {
        stat_add(m, &m->st.dropped, 1);
        return;
    }

    char *json = NULL;
    const void *payload;
    size_t len;
    const char *ctype;
    if (ok) {
        payload = r->body;
        len = r->len;
        ctype = r->content_type ? r->content_type : "application/octet-stream";
    } else {
        json = error_json(r, t);
        if (!json) {
            stat_add(m, &m->st.dropped, 1);
            return;
        }
        payload = json;
        len = strlen(json);
        ctype = "application/json";
    }
    if (len > INT_MAX) {
        free(json);
        stat_add(m, &m->st.dropped, 1);
        return;
    }

    mosquitto_property *props = NULL;
    char status[16];
    snprintf(status, sizeof status, "%d", r->status);
    int prc = mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, ctype);
    prc |= mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "status", status);
    prc |= mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "edge", m->client_id);
    if (t->corr)
        prc |= mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, t->corr, t->corr_len);
    if (prc != MOSQ_ERR_SUCCESS) {
        mosquitto_property_free_all(&props);
        free(json);
        stat_add(m, &m->st.dropped, 1);
        return;
    }

    pthread_mutex_lock(&m->mu);
    m->unacked++;
    pthread_mutex_unlock(&m->mu);
    int mid = 0;
    int rc = mosquitto_publish_v5(m->mosq, &mid, topic, (int)len, len ? payload : NULL, m->qos, false, props);
    pthread_mutex_lock(&m->mu);
    if (rc != MOSQ_ERR_SUCCESS) {
        if (m->unacked > 0)
            m->unacked--;
        m->st.dropped++;
    } else {
        m->st.answered++;
        m->st.errors += !ok;
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    mosquitto_property_free_all(&props);
    free(json);
}

static void answer_error(edge_mqtt *m, const mq_target *t, int status, const char *code, const char *detail)
{
    edge_response r = {0};
    edge_response_error(&r, status, code, "%s", detail);
    if (status == 503 && r.retry_after_s <= 0)
        r.retry_after_s = 1;
    publish_answer(m, t, &r);
    edge_response_free(&r);
}

/* ---- requests ------------------------------------------------------------ */

static void handle_register(edge_mqtt *m, mq_target *t, const char *payload, size_t len)
{
    if (len > MQ_JSON_MAX) {
        char d[96];
        snprintf(d, sizeof d, "registration body of %zu bytes, at most %d", len, MQ_JSON_MAX);
        answer_error(m, t, 413, "body_too_large", d);
        return;
    }
    /* The topic names the device: the body's device_id must agree, and is
     * filled in when absent. What does not parse goes to the service as it
     * is, which answers with its usual error. */
    char *body = NULL;
    size_t body_len = len;
    cJSON *o = len ? cJSON_ParseWithLength(payload, len) : NULL;
    if (cJSON_IsObject(o)) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "device_id");
        if (!id) {
            cJSON_AddStringToObject(o, "device_id", t->dev);
        } else if (!cJSON_IsString(id) || strcmp(id->valuestring, t->dev) != 0) {
            cJSON_Delete(o);
            answer_error(m, t, 400, "device_id_mismatch", "the body's device_id differs from the topic's");
            return;
        }
        body = cJSON_PrintUnformatted(o);
        if (!body) {
            cJSON_Delete(o);
            answer_error(m, t, 500, "internal", "out of memory");
            return;
        }
        body_len = strlen(body);
    } else {
        body = malloc(len + 1);
        if (!body) {
            cJSON_Delete(o);
            answer_error(m, t, 500, "internal", "out of memory");
            return;
        }
        if (len)
            memcpy(body, payload, len);
        body[len] = '\0';
    }
    cJSON_Delete(o);
    edge_response r = {0};
    edge_register(m->svc, EDGE_MQTT, body, body_len, t->token, &r);
    publish_answer(m, t, &r);
    edge_response_free(&r);
    free(body);
}

static void handle_decision(edge_mqtt *m, mq_target *t, const char *payload, size_t len)
{
    if (len > MQ_JSON_MAX) {
        char d[96];
        snprintf(d, sizeof d, "decision request of %zu bytes, at most %d", len, MQ_JSON_MAX);
        answer_error(m, t, 413, "body_too_large", d);
        return;
    }
    char *json_token = NULL;
    if (len > 0) {
        cJSON *o = cJSON_ParseWithLength(payload, len);
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            answer_error(m, t, 400, "bad_json", "a decision request is empty or a JSON object");
            return;
        }
        cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "device_id");
        if (id && (!cJSON_IsString(id) || strcmp(id->valuestring, t->dev) != 0)) {
            cJSON_Delete(o);
            answer_error(m, t, 400, "device_id_mismatch", "the body's device_id differs from the topic's");
            return;
        }
        cJSON *tok = cJSON_GetObjectItemCaseSensitive(o, "token");
        if (cJSON_IsString(tok) && !t->token)
            json_token = strdup(tok->valuestring);
        cJSON_Delete(o);
    }
    edge_response r = {0};
    edge_decision(m->svc, EDGE_MQTT, t->dev, t->token ? t->token : json_token, &r);
    publish_answer(m, t, &r);
    edge_response_free(&r);
    free(json_token);
}

/* A result in flight: where to answer (the service copies the frame and
 * the token before edge_result returns). */
typedef struct {
    edge_mqtt *m;
    mq_target t;
} mq_result;

static void result_done(void *user, edge_response *resp)
{
    mq_result *q = user;
    edge_mqtt *m = q->m;
    publish_answer(m, &q->t, resp);
    target_free(&q->t);
    free(q);
    pthread_mutex_lock(&m->mu);
    m->inflight--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    /* m may be freed from here on */
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void handle_result(edge_mqtt *m, mq_target *t, const uint8_t *payload, size_t len)
{
    /* Peek at the header for the request id and the frame's device id; the
     * service checks the frame itself. A differing id is reported only for
     * a frame that is otherwise intact (else the service names the damage). */
    if (len >= 64 && memcmp(payload, "SCIW", 4) == 0) {
        t->have_rid = 1;
        t->rid = le64(payload + 12);
        size_t l = payload[62];
        if (64 + l <= len && (l != strlen(t->dev) || memcmp(payload + 64, t->dev, l) != 0)) {
            sciot_wire_frame *f = malloc(sizeof *f);
            if (!f) {
                answer_error(m, t, 500, "internal", "out of memory");
                return;
            }
            sciot_error e = {0};
            int intact = sciot_wire_parse(payload, len, f, &e) == SCIOT_OK;
            free(f);
            if (intact) {
                answer_error(m, t, 400, "device_id_mismatch", "the frame's device id differs from the topic's");
                return;
            }
        }
    }
    mq_result *q = calloc(1, sizeof *q);
    if (!q) {
        answer_error(m, t, 503, "internal", "out of memory, try again");
        return;
    }
    q->m = m;
    q->t = *t;
    /* the request now owns the target's strings */
    t->response_topic = NULL;
    t->corr = NULL;
    t->token = NULL;
    pthread_mutex_lock(&m->mu);
    m->inflight++;
    pthread_mutex_unlock(&m->mu);
    edge_result(m->svc, EDGE_MQTT, payload, len, q->t.token, 0, result_done, q);
}

/* Refuse a Response Topic that one of our own subscriptions would receive:
 * answering there would feed our answer back to us as a request. */
static int response_topic_ok(const edge_mqtt *m, const char *rt)
{
    if (mosquitto_pub_topic_check(rt) != MOSQ_ERR_SUCCESS)
        return 0;
    for (int i = 0; i < K_COUNT; i++) {
        bool hit = false;
        if (mosquitto_topic_matches_sub(m->filters[i], rt, &hit) != MOSQ_ERR_SUCCESS || hit)
            return 0;
    }
    return 1;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    edge_mqtt *m = obj;
    if (!msg || !msg->topic)
        return;
    mq_target t = {0};
    int rc = parse_topic(m, msg->topic, t.dev, &t.kind);
    if (rc == 0)
        return; /* not a request topic (cannot happen with our filters) */
    stat_add(m, &m->st.received, 1);
    if (msg->retain) {
        /* a stored request would be replayed at every subscription */
        stat_add(m, &m->st.dropped, 1);
        return;
    }

    /* properties: Response Topic, Correlation Data, User Property "token" */
    char *rt = NULL;
    mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &rt, false);
    void *corr = NULL;
    uint16_t corr_len = 0;
    mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len, false);
    t.corr = corr;
    t.corr_len = corr_len;
    char *name = NULL, *value = NULL;
    for (const mosquitto_property *p = mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &name,
                                                                            &value, false);
         p; p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, true)) {
        if (!t.token && name && !strcmp(name, "token")) {
            t.token = value;
            value = NULL;
        }
        free(name);
        free(value);
        name = value = NULL;
    }

    int bad_rt = 0;
    if (rt) {
        if (response_topic_ok(m, rt)) {
            t.response_topic = rt;
        } else {
            free(rt);
            bad_rt = 1;
        }
    }

    int stopping;
    pthread_mutex_lock(&m->mu);
    stopping = m->stopping;
    pthread_mutex_unlock(&m->mu);

    size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    const void *payload = len ? msg->payload : "";
    if (rc < 0)
        answer_error(m, &t, 400, "bad_device_id",
                     "the topic's device id must be 1..64 printable characters without / + # \" \\");
    else if (bad_rt)
        answer_error(m, &t, 400, "bad_response_topic",
                     "the Response Topic is not a valid topic, or is one of the edge's request topics");
    else if (stopping)
        answer_error(m, &t, 503, "shutting_down", "the edge is shutting down");
    else if ((int64_t)len > (int64_t)m->max_body) {
        char d[96];
        snprintf(d, sizeof d, "payload of %zu bytes, at most %zu", len, m->max_body);
        answer_error(m, &t, 413, "body_too_large", d);
    } else if (t.kind == K_REGISTER)
        handle_register(m, &t, payload, len);
    else if (t.kind == K_DECISION)
        handle_decision(m, &t, payload, len);
    else
        handle_result(m, &t, payload, len);
    target_free(&t);
}

/* ---- connection ---------------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags, const mosquitto_property *props)
{
    (void)flags;
    (void)props;
    edge_mqtt *m = obj;
    if (rc != 0) {
        fprintf(stderr, "sciot edge: mqtt: %s:%d refused the connection: %s\n", m->host, m->port,
                mosquitto_reason_string(rc));
        return;
    }
    atomic_store(&m->connected, 1);
    pthread_mutex_lock(&m->mu);
    int stopping = m->stopping;
    pthread_mutex_unlock(&m->mu);
    if (stopping)
        return;
    int mid = 0;
    int src = mosquitto_subscribe_multiple(mosq, &mid, K_COUNT, m->subs, m->qos, 0, NULL);
    pthread_mutex_lock(&m->mu);
    int reconnected = m->st.connects > 0 && m->backoff_attempt > 0;
    m->st.connects++;
    m->backoff_attempt = 0;
    m->sub_mid = mid;
    m->subscribed = 0;
    pthread_mutex_unlock(&m->mu);
    if (reconnected)
        fprintf(stderr, "sciot edge: mqtt: reconnected to %s:%d\n", m->host, m->port);
    if (src != MOSQ_ERR_SUCCESS)
        fprintf(stderr, "sciot edge: mqtt: subscribe failed: %s\n", mosquitto_strerror(src));
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    edge_mqtt *m = obj;
    pthread_mutex_lock(&m->mu);
    if (mid == m->sub_mid) {
        for (int i = 0; i < n && i < K_COUNT; i++)
            if (granted[i] >= 0x80 && !m->sub_refused_logged) {
                fprintf(stderr, "sciot edge: mqtt: the broker refused subscription %s: %s\n", m->subs[i],
                        mosquitto_reason_string(granted[i]));
                m->sub_refused_logged = 1;
            }
        m->subscribed = 1;
        pthread_cond_broadcast(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    edge_mqtt *m = obj;
    int was = atomic_exchange(&m->connected, 0);
    pthread_mutex_lock(&m->mu);
    m->subscribed = 0;
    int quiet = m->quit || m->stopping;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (was && !quiet)
        fprintf(stderr, "sciot edge: mqtt: connection to %s:%d lost (%s); reconnecting\n", m->host, m->port,
                rc > 0 && rc < 0x80 ? mosquitto_strerror(rc) : mosquitto_reason_string(rc));
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason, const mosquitto_property *props)
{
    (void)mosq;
    (void)mid;
    (void)reason;
    (void)props;
    edge_mqtt *m = obj;
    pthread_mutex_lock(&m->mu);
    if (m->unacked > 0)
        m->unacked--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

/* Sleep the backoff of the current attempt; returns 1 when told to quit. */
static int backoff(edge_mqtt *m, const char *why)
{
    pthread_mutex_lock(&m->mu);
    int a = m->backoff_attempt++;
    uint64_t ms = MQ_BACKOFF_MIN_MS;
    for (int i = 0; i < a && ms < MQ_BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > MQ_BACKOFF_MAX_MS)
        ms = MQ_BACKOFF_MAX_MS;
    if (why && (a == 0 || a % 10 == 9))
        fprintf(stderr, "sciot edge: mqtt: cannot reach %s:%d (%s); retrying in %llu ms\n", m->host, m->port, why,
                (unsigned long long)ms);
    uint64_t end = now_ms() + ms;
    while (!m->quit && now_ms() < end)
        cv_wait_ms(m, end - now_ms());
    int quit = m->quit;
    pthread_mutex_unlock(&m->mu);
    return quit;
}

static const char *conn_error(int rc)
{
    return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

static void *net_thread(void *arg)
{
    edge_mqtt *m = arg;
    int ever_connected = 0, need_connect = 1;
    uint64_t quit_deadline = 0;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        int quit = m->quit;
        pthread_mutex_unlock(&m->mu);
        if (quit && !quit_deadline)
            quit_deadline = now_ms() + MQ_QUIT_WAIT_MS;
        if (quit && (need_connect || now_ms() > quit_deadline))
            break;
        if (need_connect) {
            mosquitto_property *cp = NULL;
            /* tell the broker what we would refuse anyway; payloads a little
             * over the limit still get their 413 answer */
            uint64_t maxpkt = (uint64_t)m->max_body * 2 + 65536;
            if (maxpkt > 268435455u)
                maxpkt = 268435455u;
            mosquitto_property_add_int32(&cp, MQTT_PROP_MAXIMUM_PACKET_SIZE, (uint32_t)maxpkt);
            /* mosquitto_connect_bind_v5 (re)initialises the client: only
             * before the first connection, when no other thread uses it */
            int rc = ever_connected ? mosquitto_reconnect(m->mosq)
                                    : mosquitto_connect_bind_v5(m->mosq, m->host, m->port, MQ_KEEPALIVE_S, NULL, cp);
            mosquitto_property_free_all(&cp);
            if (rc != MOSQ_ERR_SUCCESS) {
                if (backoff(m, conn_error(rc)))
                    break;
                continue;
            }
            ever_connected = 1;
            need_connect = 0;
        }
        int rc = mosquitto_loop(m->mosq, 500, 1);
        if (rc == MOSQ_ERR_SUCCESS)
            continue;
        need_connect = 1;
        atomic_store(&m->connected, 0);
        pthread_mutex_lock(&m->mu);
        quit = m->quit;
        pthread_mutex_unlock(&m->mu);
        if (quit)
            break;
        if (backoff(m, NULL))
            break;
    }
    return NULL;
}

/* ---- start / stop -------------------------------------------------------- */

static int bad_level(const char *s)
{
    return strpbrk(s, "+#") != NULL;
}

sciot_status edge_mqtt_start(edge_mqtt **out, edge_service *svc, const edge_config *cfg, sciot_error *err)
{
    if (!out || !svc || !cfg)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "mqtt: missing argument");
    *out = NULL;
    if (!cfg->mqtt_host[0])
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "mqtt: no broker host");
    if (cfg->mqtt_port <= 0 || cfg->mqtt_port > 65535)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "mqtt: port %d is not in 1..65535", cfg->mqtt_port);
    if (cfg->mqtt_qos < 0 || cfg->mqtt_qos > 2)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "mqtt: qos %d is not 0, 1 or 2", cfg->mqtt_qos);
    const char *prefix = cfg->mqtt_prefix[0] ? cfg->mqtt_prefix : "sciot";
    size_t plen = strlen(prefix);
    if (plen > 100 || prefix[0] == '$' || prefix[0] == '/' || prefix[plen - 1] == '/' || bad_level(prefix) ||
        strstr(prefix, "//") || mosquitto_validate_utf8(prefix, (int)plen) != MOSQ_ERR_SUCCESS)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "mqtt: topic prefix \"%.100s\" must be 1..100 bytes of UTF-8, not start with '$' or '/', "
                          "not end with '/', and hold no '+', '#' or empty level",
                          prefix);
    if (mosquitto_validate_utf8(cfg->mqtt_client_id, (int)strlen(cfg->mqtt_client_id)) != MOSQ_ERR_SUCCESS)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "mqtt: the client id is not valid UTF-8");
    const char *group = cfg->mqtt_shared_group;
    if (strlen(group) > 100 || bad_level(group) || strchr(group, '/') ||
        mosquitto_validate_utf8(group, (int)strlen(group)) != MOSQ_ERR_SUCCESS)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "mqtt: shared group \"%.100s\" must be at most 100 bytes without '/', '+' or '#'", group);

    pthread_once(&lib_once, lib_init);
    edge_mqtt *m = calloc(1, sizeof *m);
    if (!m)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "mqtt: out of memory");
    m->svc = svc;
    snprintf(m->prefix, sizeof m->prefix, "%s", prefix);
    snprintf(m->host, sizeof m->host, "%s", cfg->mqtt_host);
    m->port = cfg->mqtt_port;
    m->qos = cfg->mqtt_qos;
    m->max_body = cfg->max_body_bytes > 0 ? (size_t)cfg->max_body_bytes : MQ_DEFAULT_MAX_BODY;
    if (cfg->mqtt_client_id[0]) {
        snprintf(m->client_id, sizeof m->client_id, "%s", cfg->mqtt_client_id);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned r = (unsigned)ts.tv_nsec ^ ((unsigned)ts.tv_sec << 11) ^ ((unsigned)getpid() * 2654435761u);
        snprintf(m->client_id, sizeof m->client_id, "sciot-edge-%ld-%08x", (long)getpid(), r);
    }
    for (int i = 0; i < K_COUNT; i++) {
        snprintf(m->filters[i], sizeof m->filters[i], "%s/+/%s", m->prefix, k_request_suffix[i]);
        if (group[0])
            snprintf(m->sub_store[i], sizeof m->sub_store[i], "$share/%s/%s", group, m->filters[i]);
        else
            snprintf(m->sub_store[i], sizeof m->sub_store[i], "%s", m->filters[i]);
        m->subs[i] = m->sub_store[i];
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    atomic_init(&m->connected, 0);

    sciot_status st = SCIOT_OK;
    m->mosq = mosquitto_new(m->client_id, true, m);
    if (!m->mosq) {
        st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "mqtt: cannot create a client: %s", strerror(errno));
        goto fail;
    }
    int rc = mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    if (rc == MOSQ_ERR_SUCCESS && cfg->mqtt_username[0])
        rc = mosquitto_username_pw_set(m->mosq, cfg->mqtt_username,
                                       cfg->mqtt_password[0] ? cfg->mqtt_password : NULL);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_threaded_set(m->mosq, true);
    if (rc != MOSQ_ERR_SUCCESS) {
        st = sciot_fail(err, SCIOT_ERR_INVALID_ARG, "mqtt: %s", mosquitto_strerror(rc));
        goto fail;
    }
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_subscribe_v5_callback_set(m->mosq, on_subscribe);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    mosquitto_publish_v5_callback_set(m->mosq, on_publish);

    if (pthread_create(&m->thread, NULL, net_thread, m) != 0) {
        st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "mqtt: cannot start the network thread");
        goto fail;
    }
    m->thread_started = 1;

    /* ready means subscribed, when the broker is there */
    uint64_t end = now_ms() + MQ_START_WAIT_MS;
    pthread_mutex_lock(&m->mu);
    while (!m->subscribed && now_ms() < end)
        cv_wait_ms(m, end - now_ms());
    int subscribed = m->subscribed;
    pthread_mutex_unlock(&m->mu);
    if (!subscribed)
        fprintf(stderr, "sciot edge: mqtt: not connected to %s:%d yet; retrying in the background\n", m->host,
                m->port);
    *out = m;
    return SCIOT_OK;

fail:
    if (m->mosq)
        mosquitto_destroy(m->mosq);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return st;
}

void edge_mqtt_stop(edge_mqtt *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    pthread_mutex_unlock(&m->mu);
    if (atomic_load(&m->connected))
        mosquitto_unsubscribe_multiple(m->mosq, NULL, K_COUNT, m->subs, NULL);

    /* every result handed to the service comes back through result_done */
    pthread_mutex_lock(&m->mu);
    uint64_t t0 = now_ms(), next_note = t0 + 10000;
    while (m->inflight > 0) {
        cv_wait_ms(m, 1000);
        if (now_ms() > next_note && m->inflight > 0) {
            fprintf(stderr, "sciot edge: mqtt: waiting for %ld result(s) in flight\n", m->inflight);
            next_note = now_ms() + 10000;
        }
    }
    /* let the broker acknowledge the answers (bounded) */
    uint64_t end = now_ms() + MQ_DRAIN_WAIT_MS;
    while (m->unacked > 0 && atomic_load(&m->connected) && now_ms() < end)
        cv_wait_ms(m, end - now_ms());
    m->quit = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);

    mosquitto_disconnect(m->mosq);
    if (m->thread_started)
        pthread_join(m->thread, NULL);
    mosquitto_destroy(m->mosq);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int edge_mqtt_connected(const edge_mqtt *m)
{
    return m ? atomic_load(&((edge_mqtt *)m)->connected) : 0;
}

void edge_mqtt_get_stats(edge_mqtt *m, edge_mqtt_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    *out = m->st;
    pthread_mutex_unlock(&m->mu);
}
