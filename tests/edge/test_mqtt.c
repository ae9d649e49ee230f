/* test_mqtt.c — the edge's MQTT v5 transport (src/edge/mqtt.c) end to end:
 * a real broker (`mosquitto` on a free loopback port, started here), the real
 * `sciot edge` binary ($SCIOT_BIN) and a libmosquitto client playing the
 * device.
 *
 *   - registration on P/<id>/register answered on P/<id>/registered (device
 *     id, model, n_ops, first decision);
 *   - results for several k (head [0,k) run here with the engine, frame
 *     encoded with sciot_wire_encode) answered on P/<id>/reply with a REPLY
 *     frame that decodes against the model, echoes the request id, carries
 *     the golden outputs and a next decision in [0, N]; a LOCAL report (k=N)
 *     is answered without tensors;
 *   - P/<id>/decision/get answered on P/<id>/decision;
 *   - Response Topic + Correlation Data: the answer goes there, correlation
 *     echoed, User Properties status/edge present;
 *   - errors on P/<id>/error as {"error","detail","status"}: malformed frames
 *     (garbage, truncated, CRC), unknown model (409), oversize payload (413),
 *     frame device id differing from the topic's (400), unknown device (404),
 *     bad JSON, a wrong token (User Property "token") — and the edge keeps
 *     serving afterwards;
 *   - two edge processes in the same shared group: 20 results spread across
 *     both, each answered exactly once;
 *   - both edges stop gracefully (exit status 0; under the sanitizers that
 *     includes no leaks). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "edge/config.h"
#include "edge/mqtt.h"
#include "edge/service.h"
#include "edge_proc.h"
#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/wire.h"
#include "testutil.h"

#define WAIT_MS 30000 /* generous: sanitizer builds on a busy machine */

/* ---- processes ------------------------------------------------------------- */

static char tmpdir[256];
static const char *sciot_bin;
static char model_path[4096];

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(int ms)
{
    ep_sleep_ms(ms);
}

static int free_port(void)
{
    int port = ep_free_port();
    assert_true(port > 0);
    return port;
}

static int port_accepts(int port)
{
    return ep_port_accepts(port);
}

/* Start argv[0] with stdin from /dev/null and stdout (and stderr when
 * `log`) redirected. The child gets SIGKILL if this process dies (a CTest
 * timeout, a crash), so no broker or edge outlives the test. */
static pid_t spawn(char *const argv[], int out_fd, const char *log)
{
    pid_t parent = getpid();
    int log_fd = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
    int null_fd = open("/dev/null", O_RDONLY);
    assert_true(null_fd >= 0 && (!log || log_fd >= 0));
    pid_t pid = fork();
    if (pid == 0) { /* only async-signal-safe calls until execv */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(null_fd, 0);
        if (log_fd >= 0) {
            dup2(log_fd, 1);
            dup2(log_fd, 2);
        }
        if (out_fd >= 0)
            dup2(out_fd, 1);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    assert_true(pid > 0);
    return pid;
}

static const char *find_mosquitto(void)
{
    static char found[4096];
    const char *path = getenv("PATH");
    char dirs[8192];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/local/sbin:/sbin", path ? path : "");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/mosquitto", d);
        if (access(found, X_OK) == 0)
            return found;
    }
    return NULL;
}

typedef struct {
    pid_t pid;
    int port;
} broker;

/* Start mosquitto on a free loopback port, or on b->port when it is set
 * (a restart). */
static void broker_start(broker *b)
{
    const char *bin = find_mosquitto();
    if (!bin)
        fail_msg("the MQTT broker 'mosquitto' is not installed (Debian package 'mosquitto'; "
                 "scripts/setup.sh and .ci/run install it)");
    int fixed = b->port;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!fixed)
            b->port = free_port();
        char conf[512], log[512];
        snprintf(conf, sizeof conf, "%s/mosquitto-%d.conf", tmpdir, b->port);
        snprintf(log, sizeof log, "%s/mosquitto-%d.log", tmpdir, b->port);
        FILE *f = fopen(conf, "w");
        assert_non_null(f);
        /* as root, mosquitto would switch to its own user, which clears the
         * parent-death signal: tell it to stay who we are */
        struct passwd *pw = getpwuid(geteuid());
        fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", b->port);
        if (pw && geteuid() == 0)
            fprintf(f, "user %s\n", pw->pw_name);
        fclose(f);
        char *argv[] = {(char *)bin, "-c", conf, NULL};
        b->pid = spawn(argv, -1, log);
        uint64_t end = ms_now() + 10000;
        int status;
        while (ms_now() < end) {
            if (port_accepts(b->port))
                return;
            if (waitpid(b->pid, &status, WNOHANG) == b->pid)
                break; /* port taken meanwhile? try another */
            sleep_ms(20);
        }
        kill(b->pid, SIGKILL);
        waitpid(b->pid, &status, 0);
        fprintf(stderr, "mosquitto did not start on port %d (log: %s); retrying\n", b->port, log);
    }
    fail_msg("could not start mosquitto");
}

static void broker_stop(broker *b)
{
    if (b->pid <= 0)
        return;
    int status;
    kill(b->pid, SIGTERM);
    waitpid(b->pid, &status, 0);
    b->pid = 0;
}

typedef struct {
    pid_t pid;
    int http_port;
} edge_proc;

/* Start `sciot edge` (with --config FILE when config is not NULL) and wait
 * for its "ready" line. */
static void edge_start_cfg(edge_proc *e, int mqtt_port, const char *name, const char *config)
{
    char db[512], url[64];
    snprintf(db, sizeof db, "%s/%s.db", tmpdir, name);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", mqtt_port);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char *argv[16] = {(char *)sciot_bin, "edge", "--model", model_path, "--port", "0", "--db", db, "--mqtt", url};
    if (config) {
        argv[10] = "--config";
        argv[11] = (char *)config;
    }
    e->pid = spawn(argv, fds[1], NULL);
    close(fds[1]);
    char line[2048];
    size_t n = 0;
    uint64_t end = ms_now() + 120000;
    while (n + 1 < sizeof line && ms_now() < end) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    const char *h = strstr(line, "sciot edge: ready");
    const char *p = h ? strstr(h, "http=") : NULL;
    if (!h || !p)
        fail_msg("sciot edge %s did not print its ready line (got \"%s\")", name, line);
    /* http=http://127.0.0.1:PORT: the last ':' before the next blank */
    const char *sp = strchr(p, ' '), *colon = NULL;
    for (const char *c = p; c < (sp ? sp : p + strlen(p)); c++)
        if (*c == ':')
            colon = c;
    assert_non_null(colon);
    e->http_port = atoi(colon + 1);
    assert_true(e->http_port > 0);
    assert_non_null(strstr(line, url + 7)); /* mqtt=mqtt://127.0.0.1:PORT */
}

static void edge_start(edge_proc *e, int mqtt_port, const char *name)
{
    edge_start_cfg(e, mqtt_port, name, NULL);
}

/* SIGTERM; returns the exit status (or -1 when it had to be killed). */
static int edge_stop(edge_proc *e)
{
    if (e->pid <= 0)
        return 0;
    int status = 0;
    kill(e->pid, SIGTERM);
    uint64_t end = ms_now() + 60000;
    while (ms_now() < end) {
        pid_t r = waitpid(e->pid, &status, WNOHANG);
        if (r == e->pid) {
            e->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        sleep_ms(20);
    }
    kill(e->pid, SIGKILL);
    waitpid(e->pid, &status, 0);
    e->pid = 0;
    return -1;
}

/* POST a JSON body to the edge over HTTP/1.0; returns the status code. */
static int http_post(int port, const char *path, const char *body)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     path, strlen(body), body);
    assert_int_equal(write(s, req, (size_t)n), n);
    char resp[8192];
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof resp && (r = read(s, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)r;
    resp[got] = '\0';
    close(s);
    int status = 0;
    if (sscanf(resp, "HTTP/%*s %d", &status) != 1)
        fail_msg("bad HTTP response: %s", resp);
    return status;
}

/* ---- the device: a libmosquitto client ----------------------------------- */

typedef struct {
    char topic[256];
    uint8_t *payload;
    size_t len;
    uint8_t corr[64];
    int corr_len; /* -1: none */
    char status[16];
    char edge[160];
    char ctype[64];
} rx_msg;

#define RX_MAX 256

typedef struct {
    struct mosquitto *mosq;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rx_msg q[RX_MAX];
    int n;
    int subscribed;
} client;

static void c_on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                         const mosquitto_property *props)
{
    (void)mosq;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    if (c->n < RX_MAX) {
        rx_msg *r = &c->q[c->n];
        memset(r, 0, sizeof *r);
        snprintf(r->topic, sizeof r->topic, "%s", msg->topic);
        r->len = (size_t)msg->payloadlen;
        r->payload = malloc(r->len + 1);
        if (r->len)
            memcpy(r->payload, msg->payload, r->len);
        r->payload[r->len] = '\0';
        void *corr = NULL;
        uint16_t cl = 0;
        r->corr_len = -1;
        if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &cl, false)) {
            r->corr_len = cl < sizeof r->corr ? cl : (int)sizeof r->corr;
            if (corr && r->corr_len)
                memcpy(r->corr, corr, (size_t)r->corr_len);
            free(corr);
        }
        char *ct = NULL;
        if (mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &ct, false)) {
            snprintf(r->ctype, sizeof r->ctype, "%s", ct);
            free(ct);
        }
        char *name = NULL, *value = NULL;
        for (const mosquitto_property *p =
                 mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &name, &value, false);
             p; p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, true)) {
            if (!strcmp(name, "status"))
                snprintf(r->status, sizeof r->status, "%s", value);
            else if (!strcmp(name, "edge"))
                snprintf(r->edge, sizeof r->edge, "%s", value);
            free(name);
            free(value);
            name = value = NULL;
        }
        c->n++;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
}

static void c_on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted,
                           const mosquitto_property *props)
{
    (void)mosq;
    (void)mid;
    (void)props;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < n; i++)
        if (granted[i] >= 0x80)
            c->subscribed = -1;
    if (c->subscribed == 0)
        c->subscribed = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void cv_wait(client *c, uint64_t end)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t left = end > ms_now() ? end - ms_now() : 0;
    if (left > 100)
        left = 100;
    ts.tv_nsec += (long)left * 1000000L;
    while (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

static client *client_start(int port)
{
    client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    char id[64];
    snprintf(id, sizeof id, "test-device-%ld-%d", (long)getpid(), port);
    c->mosq = mosquitto_new(id, true, c);
    assert_non_null(c->mosq);
    assert_int_equal(mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5), 0);
    mosquitto_message_v5_callback_set(c->mosq, c_on_message);
    mosquitto_subscribe_v5_callback_set(c->mosq, c_on_subscribe);
    assert_int_equal(mosquitto_connect_bind_v5(c->mosq, "127.0.0.1", port, 30, NULL, NULL), 0);
    assert_int_equal(mosquitto_loop_start(c->mosq), 0);
    char *subs[] = {"sciot/+/registered", "sciot/+/decision", "sciot/+/reply", "sciot/+/error", "test/#"};
    /* the CONNACK may not be in yet: libmosquitto queues the SUBSCRIBE */
    assert_int_equal(mosquitto_subscribe_multiple(c->mosq, NULL, 5, subs, 1, 0, NULL), 0);
    uint64_t end = ms_now() + WAIT_MS;
    pthread_mutex_lock(&c->mu);
    while (!c->subscribed && ms_now() < end)
        cv_wait(c, end);
    int ok = c->subscribed == 1;
    pthread_mutex_unlock(&c->mu);
    assert_true(ok);
    return c;
}

static void rx_free(rx_msg *r)
{
    free(r->payload);
    r->payload = NULL;
}

static void client_stop(client *c)
{
    if (!c)
        return;
    mosquitto_disconnect(c->mosq);
    mosquitto_loop_stop(c->mosq, false);
    mosquitto_destroy(c->mosq);
    for (int i = 0; i < c->n; i++)
        rx_free(&c->q[i]);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

typedef struct {
    const char *token;
    const char *response_topic;
    const void *corr;
    uint16_t corr_len;
} pub_opts;

static void publish(client *c, const char *topic, const void *payload, size_t len, const pub_opts *o)
{
    mosquitto_property *props = NULL;
    if (o && o->token)
        assert_int_equal(mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "token", o->token), 0);
    if (o && o->response_topic)
        assert_int_equal(mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, o->response_topic), 0);
    if (o && o->corr)
        assert_int_equal(mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, o->corr, o->corr_len), 0);
    assert_int_equal(mosquitto_publish_v5(c->mosq, NULL, topic, (int)len, payload, 1, false, props), 0);
    mosquitto_property_free_all(&props);
}

/* Take the first message whose topic matches `filter` (waits up to ms). */
static int take(client *c, const char *filter, int ms, rx_msg *out)
{
    uint64_t end = ms_now() + (uint64_t)ms;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        for (int i = 0; i < c->n; i++) {
            bool hit = false;
            mosquitto_topic_matches_sub(filter, c->q[i].topic, &hit);
            if (hit) {
                *out = c->q[i];
                memmove(&c->q[i], &c->q[i + 1], (size_t)(c->n - i - 1) * sizeof c->q[0]);
                c->n--;
                pthread_mutex_unlock(&c->mu);
                return 1;
            }
        }
        if (ms_now() >= end)
            break;
        cv_wait(c, end);
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static rx_msg expect(client *c, const char *topic)
{
    rx_msg r;
    if (!take(c, topic, WAIT_MS, &r))
        fail_msg("no message on %s within %d ms", topic, WAIT_MS);
    return r;
}

/* An error message: JSON {"error": code, "detail", "status": status}. */
static void expect_error(client *c, const char *topic, int status, const char *code)
{
    rx_msg r = expect(c, topic);
    cJSON *o = cJSON_ParseWithLength((const char *)r.payload, r.len);
    if (!cJSON_IsObject(o))
        fail_msg("%s: not a JSON object: %s", topic, (const char *)r.payload);
    const cJSON *e = cJSON_GetObjectItem(o, "error"), *d = cJSON_GetObjectItem(o, "detail"),
                *s = cJSON_GetObjectItem(o, "status");
    if (!cJSON_IsString(e) || !cJSON_IsString(d) || !cJSON_IsNumber(s))
        fail_msg("%s: error JSON lacks error/detail/status: %s", topic, (const char *)r.payload);
    if (s->valueint != status || (code && strcmp(e->valuestring, code) != 0))
        fail_msg("%s: expected %d %s, got %s", topic, status, code ? code : "", (const char *)r.payload);
    char st[16];
    snprintf(st, sizeof st, "%d", status);
    assert_string_equal(r.status, st);
    assert_string_equal(r.ctype, "application/json");
    cJSON_Delete(o);
    rx_free(&r);
}

/* ---- the model side -------------------------------------------------------- */

static struct {
    sciot_model m;
    uint8_t sha[32];
    char sha_hex[65];
    uint8_t *input, *golden;
    size_t input_len, golden_len;
    broker b;
    edge_proc e;
    client *c;
} g;

/* Run the head [0, k) on the golden input and encode the cut frame. */
static uint8_t *make_frame(int32_t k, const char *dev, uint64_t rid, uint8_t flags, size_t *len)
{
    const sciot_model *m = &g.m;
    sciot_arena_info info;
    sciot_error err = {0};
    sciot_engine e;
    assert_int_equal(sciot_engine_arena_size(m, 0, k, &info, &err), SCIOT_OK);
    size_t asz = (info.total_bytes + 63) & ~(size_t)63;
    void *arena = aligned_alloc(64, asz ? asz : 64);
    assert_non_null(arena);
    if (sciot_engine_init(&e, m, 0, k, arena, asz ? asz : 64, &err))
        fail_msg("head [0,%d): %s", k, err.msg);
    assert_int_equal(g.input_len, m->tensors[m->inputs[0]].bytes);
    memcpy(sciot_engine_tensor(&e, m->inputs[0]), g.input, g.input_len);
    if (sciot_engine_run(&e, 0, k, &err))
        fail_msg("head [0,%d): %s", k, err.msg);
    uint32_t *times = calloc((size_t)k + 1, sizeof *times);
    for (int32_t i = 0; i < k; i++)
        times[i] = 500 + (uint32_t)i;
    sciot_wire_frame *f = calloc(1, sizeof *f);
    int32_t cut[SCIOT_WIRE_MAX_TENSORS];
    int32_t n_cut = sciot_model_cut(m, k, cut, SCIOT_WIRE_MAX_TENSORS);
    assert_true(n_cut <= SCIOT_WIRE_MAX_TENSORS);
    f->version = SCIOT_WIRE_VERSION;
    f->flags = (uint8_t)(SCIOT_WIRE_F_COMPRESS | flags);
    f->request_id = rid;
    f->device_id_len = (uint8_t)snprintf(f->device_id, sizeof f->device_id, "%s", dev);
    memcpy(f->model_sha256, g.sha, 32);
    f->split = (uint32_t)k;
    f->n_times = (uint32_t)k;
    f->times_in = times;
    f->n_tensors = (uint32_t)n_cut;
    for (int32_t j = 0; j < n_cut; j++) {
        f->tensors[j].index = cut[j];
        f->tensors[j].data = sciot_engine_tensor(&e, cut[j]);
        f->tensors[j].raw_len = (uint32_t)m->tensors[cut[j]].bytes;
    }
    size_t cap = sciot_wire_frame_bound(f);
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    if (sciot_wire_encode(f, m, buf, cap, len, &err))
        fail_msg("encode k=%d: %s", k, err.msg);
    free(f);
    free(times);
    free(arena);
    return buf;
}

/* Decode a REPLY frame; check request id, next decision and (when
 * want_outputs) the golden outputs. Returns the next decision. */
static int32_t check_reply(const rx_msg *r, uint64_t rid, int want_outputs)
{
    sciot_wire_frame *f = calloc(1, sizeof *f);
    sciot_error err = {0};
    if (sciot_wire_decode(r->payload, r->len, &g.m, g.sha, f, &err))
        fail_msg("reply on %s: %s", r->topic, err.msg);
    assert_true(f->flags & SCIOT_WIRE_F_REPLY);
    assert_int_equal(f->request_id, rid);
    assert_true(f->split <= (uint32_t)g.m.n_ops);
    assert_int_equal(f->n_times, 1);
    assert_string_equal(r->status, "200");
    assert_string_equal(r->ctype, "application/octet-stream");
    assert_true(r->edge[0] != '\0');
    if (want_outputs) {
        assert_int_equal(f->n_tensors, g.m.n_outputs);
        int32_t t = g.m.outputs[0];
        assert_int_equal(f->tensors[0].index, t);
        uint8_t *out = malloc(g.m.tensors[t].bytes);
        assert_int_equal(sciot_wire_tensor_read(&f->tensors[0], out, g.m.tensors[t].bytes, &err), SCIOT_OK);
        assert_int_equal(g.golden_len, g.m.tensors[t].bytes);
        assert_memory_equal(out, g.golden, g.golden_len);
        free(out);
    } else {
        assert_int_equal(f->n_tensors, 0);
    }
    int32_t next = (int32_t)f->split;
    free(f);
    return next;
}

static void register_device(client *c, const char *dev, const pub_opts *o)
{
    char topic[160], body[256];
    snprintf(topic, sizeof topic, "sciot/%s/register", dev);
    snprintf(body, sizeof body, "{\"model_sha256\":\"%s\"}", g.sha_hex);
    publish(c, topic, body, strlen(body), o);
    snprintf(topic, sizeof topic, "sciot/%s/registered", dev);
    rx_msg r = expect(c, topic);
    cJSON *j = cJSON_ParseWithLength((const char *)r.payload, r.len);
    assert_true(cJSON_IsObject(j));
    assert_string_equal(cJSON_GetObjectItem(j, "device_id")->valuestring, dev);
    assert_string_equal(cJSON_GetObjectItem(j, "model_sha256")->valuestring, g.sha_hex);
    assert_int_equal(cJSON_GetObjectItem(j, "n_ops")->valueint, g.m.n_ops);
    const cJSON *split = cJSON_GetObjectItem(j, "split");
    assert_true(cJSON_IsNumber(split));
    assert_in_range(split->valueint, 0, g.m.n_ops);
    assert_string_equal(r.status, "200");
    cJSON_Delete(j);
    rx_free(&r);
}

static void send_result(client *c, const char *dev, int32_t k, uint64_t rid, const pub_opts *o)
{
    size_t len;
    uint8_t *fr = make_frame(k, dev, rid, k == g.m.n_ops ? SCIOT_WIRE_F_LOCAL : 0, &len);
    char topic[160];
    snprintf(topic, sizeof topic, "sciot/%s/result", dev);
    publish(c, topic, fr, len, o);
    free(fr);
}

/* ---- setup ----------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    const char *models = tu_require_models();
    sciot_bin = getenv("SCIOT_BIN");
    if (!sciot_bin || access(sciot_bin, X_OK) != 0) {
        fprintf(stderr, "SCIOT_BIN is not set to the sciot executable (CTest sets it): skipping\n");
        exit(77);
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sciot_test_mqtt_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(model_path, sizeof model_path, "%s/person_detect/model.tflite", models);
    sciot_error err = {0};
    if (sciot_model_load_file(&g.m, model_path, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    sciot_sha256(g.m.file, g.m.file_len, g.sha);
    for (int i = 0; i < 32; i++)
        snprintf(g.sha_hex + 2 * i, 3, "%02x", g.sha[i]);
    g.input = tu_read(models, "person_detect/cases/tflm_person_bmp.in.bin", &g.input_len);
    g.golden = tu_read(models, "person_detect/cases/tflm_person_bmp.out.bin", &g.golden_len);
    mosquitto_lib_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g.input);
    free(g.golden);
    sciot_model_free(&g.m);
    mosquitto_lib_cleanup();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return 0;
}

/* one broker, one edge, one device client for the single-edge tests */
static int setup_single(void **state)
{
    (void)state;
    broker_start(&g.b);
    edge_start(&g.e, g.b.port, "single");
    g.c = client_start(g.b.port);
    return 0;
}

static int teardown_single(void **state)
{
    (void)state;
    client_stop(g.c);
    g.c = NULL;
    int st = edge_stop(&g.e);
    broker_stop(&g.b);
    if (st != 0) {
        fprintf(stderr, "sciot edge exited with status %d\n", st);
        return -1;
    }
    return 0;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    client *c = g.c;
    register_device(c, "cam-1", NULL);
    const int32_t n = g.m.n_ops;
    const int32_t ks[] = {0, 1, 7, n / 2, n - 1, n};
    uint64_t rid = 100;
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        send_result(c, "cam-1", ks[i], ++rid, NULL);
        rx_msg r = expect(c, "sciot/cam-1/reply");
        int32_t next = check_reply(&r, rid, ks[i] < n);
        assert_in_range(next, 0, n);
        rx_free(&r);
    }
    /* the decision on request */
    publish(c, "sciot/cam-1/decision/get", "", 0, NULL);
    rx_msg r = expect(c, "sciot/cam-1/decision");
    cJSON *j = cJSON_ParseWithLength((const char *)r.payload, r.len);
    assert_true(cJSON_IsObject(j));
    assert_string_equal(cJSON_GetObjectItem(j, "device_id")->valuestring, "cam-1");
    assert_in_range(cJSON_GetObjectItem(j, "split")->valueint, 0, n);
    cJSON_Delete(j);
    rx_free(&r);
    /* ... also with a JSON body */
    publish(c, "sciot/cam-1/decision/get", "{}", 2, NULL);
    r = expect(c, "sciot/cam-1/decision");
    rx_free(&r);
}

static void test_response_topic(void **state)
{
    (void)state;
    client *c = g.c;
    register_device(c, "cam-2", NULL);
    const char corr[] = "corr-\x01\x02-42";
    pub_opts o = {.response_topic = "test/answers/cam-2", .corr = corr, .corr_len = sizeof corr - 1};
    send_result(c, "cam-2", 5, 7, &o);
    rx_msg r = expect(c, "test/answers/cam-2");
    check_reply(&r, 7, 1);
    assert_int_equal(r.corr_len, (int)sizeof corr - 1);
    assert_memory_equal(r.corr, corr, sizeof corr - 1);
    rx_free(&r);
    /* errors go there too, correlation echoed */
    publish(c, "sciot/cam-2/result", "junk", 4, &o);
    r = expect(c, "test/answers/cam-2");
    assert_int_equal(r.corr_len, (int)sizeof corr - 1);
    assert_string_equal(r.status, "400");
    assert_non_null(strstr((const char *)r.payload, "\"status\":400"));
    rx_free(&r);
    /* a registration answered on a response topic */
    char body[256];
    snprintf(body, sizeof body, "{\"model_sha256\":\"%s\"}", g.sha_hex);
    pub_opts o2 = {.response_topic = "test/answers/reg", .corr = "r1", .corr_len = 2};
    publish(c, "sciot/cam-2/register", body, strlen(body), &o2);
    r = expect(c, "test/answers/reg");
    assert_string_equal(r.status, "200");
    assert_int_equal(r.corr_len, 2);
    assert_non_null(strstr((const char *)r.payload, "\"device_id\":\"cam-2\""));
    rx_free(&r);
    /* a response topic the edge itself listens to is refused (answer on .../error) */
    pub_opts o3 = {.response_topic = "sciot/cam-2/result"};
    publish(c, "sciot/cam-2/decision/get", "", 0, &o3);
    expect_error(c, "sciot/cam-2/error", 400, "bad_response_topic");
    /* nothing else arrived anywhere */
    rx_msg extra;
    assert_false(take(c, "#", 300, &extra));
}

static void test_errors(void **state)
{
    (void)state;
    client *c = g.c;
    register_device(c, "cam-3", NULL);
    const int32_t n = g.m.n_ops;
    /* garbage, truncated, CRC flipped */
    publish(c, "sciot/cam-3/result", "not a frame", 11, NULL);
    expect_error(c, "sciot/cam-3/error", 400, NULL);
    size_t len;
    uint8_t *fr = make_frame(3, "cam-3", 55, 0, &len);
    publish(c, "sciot/cam-3/result", fr, len / 2, NULL);
    expect_error(c, "sciot/cam-3/error", 400, NULL);
    fr[len - 1] ^= 0x5a;
    publish(c, "sciot/cam-3/result", fr, len, NULL);
    expect_error(c, "sciot/cam-3/error", 400, NULL);
    fr[len - 1] ^= 0x5a;
    /* the frame says another device than the topic */
    publish(c, "sciot/cam-3b/result", fr, len, NULL);
    expect_error(c, "sciot/cam-3b/error", 400, "device_id_mismatch");
    free(fr);
    /* an unregistered device */
    fr = make_frame(3, "nobody", 56, 0, &len);
    publish(c, "sciot/nobody/result", fr, len, NULL);
    expect_error(c, "sciot/nobody/error", 404, "unknown_device");
    free(fr);
    publish(c, "sciot/nobody/decision/get", "", 0, NULL);
    expect_error(c, "sciot/nobody/error", 404, "unknown_device");
    /* unknown model */
    const char *bad = "{\"model_sha256\":\"00000000000000000000000000000000000000000000000000000000000000ff\"}";
    publish(c, "sciot/cam-4/register", bad, strlen(bad), NULL);
    expect_error(c, "sciot/cam-4/error", 409, "unknown_model");
    /* registration JSON: not JSON, device id differing from the topic's */
    publish(c, "sciot/cam-4/register", "{oops", 5, NULL);
    expect_error(c, "sciot/cam-4/error", 400, "bad_json");
    char body[256];
    snprintf(body, sizeof body, "{\"device_id\":\"cam-5\",\"model_sha256\":\"%s\"}", g.sha_hex);
    publish(c, "sciot/cam-4/register", body, strlen(body), NULL);
    expect_error(c, "sciot/cam-4/error", 400, "device_id_mismatch");
    publish(c, "sciot/cam-3/decision/get", "[1,2]", 5, NULL);
    expect_error(c, "sciot/cam-3/error", 400, "bad_json");
    /* oversize payload: one byte over the default 8 MiB limit */
    size_t big = (size_t)8 * 1024 * 1024 + 1;
    uint8_t *huge = calloc(1, big);
    memcpy(huge, "SCIW", 4);
    publish(c, "sciot/cam-3/result", huge, big, NULL);
    free(huge);
    expect_error(c, "sciot/cam-3/error", 413, "body_too_large");
    /* a device id the edge cannot use: no answer topic of its own, but a
     * response topic gets the error */
    pub_opts o = {.response_topic = "test/badid"};
    publish(c, "sciot/a\"b/decision/get", "", 0, &o);
    expect_error(c, "test/badid", 400, "bad_device_id");
    /* and it still serves */
    send_result(c, "cam-3", n / 3, 77, NULL);
    rx_msg r = expect(c, "sciot/cam-3/reply");
    check_reply(&r, 77, 1);
    rx_free(&r);
}

static void test_token(void **state)
{
    (void)state;
    client *c = g.c;
    pub_opts good = {.token = "s3cret"}, wrong = {.token = "guess"};
    register_device(c, "cam-tok", &good); /* first use binds the token */
    send_result(c, "cam-tok", 4, 1, &wrong);
    rx_msg r = expect(c, "sciot/cam-tok/error");
    assert_true(!strcmp(r.status, "401") || !strcmp(r.status, "403"));
    rx_free(&r);
    send_result(c, "cam-tok", 4, 2, NULL);
    r = expect(c, "sciot/cam-tok/error");
    assert_true(!strcmp(r.status, "401") || !strcmp(r.status, "403"));
    rx_free(&r);
    send_result(c, "cam-tok", 4, 3, &good);
    r = expect(c, "sciot/cam-tok/reply");
    check_reply(&r, 3, 1);
    rx_free(&r);
    publish(c, "sciot/cam-tok/decision/get", "{\"token\":\"s3cret\"}", 18, NULL);
    r = expect(c, "sciot/cam-tok/decision");
    rx_free(&r);
}

static int drain(client *c, int quiet_ms)
{
    rx_msg r;
    int n = 0;
    while (take(c, "#", quiet_ms, &r)) {
        rx_free(&r);
        n++;
    }
    return n;
}

/* Hundreds of hostile messages — random bytes and mutated frames as
 * results, broken JSON, odd device ids, random response topics and
 * correlation data — and the edge still answers a clean request correctly
 * (in the sanitizer build this also checks the edge's memory safety). */
static void test_garbage(void **state)
{
    (void)state;
    client *c = g.c;
    uint32_t seed = 0x5eed1234u;
    register_device(c, "cam-g", NULL);
    size_t flen;
    uint8_t *frame = make_frame(g.m.n_ops / 2, "cam-g", 9000, 0, &flen);
    const char *ids[] = {"cam-g", "cam-g2", "x", "a\"b", "back\\slash", "sp ace",
                         "0123456789012345678901234567890123456789012345678901234567890123456789"};
    const char *kinds[] = {"register", "decision/get", "result"};
    const char *jsons[] = {"", "{", "[]", "null", "{\"model_sha256\":5}", "{\"device_id\":null}",
                           "{\"model_sha256\":\"", "{\"token\":[1,2,3]}", "\"str\"", "{\"a\":{\"b\":{\"c\":[[[[]]]]}}}"};
    uint8_t *buf = malloc(flen + 64);
    int answers = 0;
    for (int i = 0; i < 400; i++) {
        char topic[200];
        const char *id = ids[tu_rand(&seed) % (sizeof ids / sizeof ids[0])];
        int kind = (int)(tu_rand(&seed) % 3);
        snprintf(topic, sizeof topic, "sciot/%s/%s", id, kinds[kind]);
        size_t len;
        if (kind == 2) {
            int how = (int)(tu_rand(&seed) % 4);
            if (how == 0) { /* random bytes, sometimes with a valid magic */
                len = tu_rand(&seed) % 200;
                for (size_t j = 0; j < len; j++)
                    buf[j] = (uint8_t)tu_rand(&seed);
                if (len >= 4 && (tu_rand(&seed) & 1))
                    memcpy(buf, "SCIW", 4);
            } else if (how == 1) { /* truncated */
                len = tu_rand(&seed) % flen;
                memcpy(buf, frame, len);
            } else { /* a few bytes flipped (the CRC catches most; the header is read before it) */
                len = flen;
                memcpy(buf, frame, len);
                int flips = 1 + (int)(tu_rand(&seed) % 4);
                for (int j = 0; j < flips; j++)
                    buf[tu_rand(&seed) % (how == 2 ? 80 : flen)] ^= (uint8_t)(1u << (tu_rand(&seed) % 8));
            }
        } else {
            const char *j = jsons[tu_rand(&seed) % (sizeof jsons / sizeof jsons[0])];
            len = strlen(j);
            memcpy(buf, j, len);
        }
        char rt[64];
        uint8_t corr[32];
        pub_opts o = {0};
        if (tu_rand(&seed) % 3 == 0) {
            const char *rts[] = {"test/g/answers", "sciot/cam-g/register", "sciot/x/result", "test/g/+/bad"};
            snprintf(rt, sizeof rt, "%s", rts[tu_rand(&seed) % 4]);
            if (strchr(rt, '+') == NULL) /* the client library refuses wildcards itself */
                o.response_topic = rt;
        }
        if (tu_rand(&seed) % 3 == 0) {
            o.corr_len = (uint16_t)(tu_rand(&seed) % sizeof corr);
            for (size_t j = 0; j < o.corr_len; j++)
                corr[j] = (uint8_t)tu_rand(&seed);
            o.corr = o.corr_len ? corr : NULL;
        }
        if (tu_rand(&seed) % 4 == 0)
            o.token = (tu_rand(&seed) & 1) ? "t" : "";
        publish(c, topic, buf, len, &o);
        if (i % 20 == 19)
            answers += drain(c, 0);
    }
    answers += drain(c, 1000);
    fprintf(stderr, "400 hostile requests: %d answers\n", answers);
    assert_true(answers >= 150); /* 4 of the 7 ids are invalid: answered only on a response topic */
    free(buf);
    free(frame);
    /* still serving, correctly */
    send_result(c, "cam-g", 3, 9999, NULL);
    for (;;) {
        rx_msg r = expect(c, "sciot/cam-g/reply");
        uint64_t rid = 0;
        for (int i = 7; i >= 0; i--)
            rid = (rid << 8) | r.payload[12 + i];
        if (rid == 9999) {
            check_reply(&r, 9999, 1);
            rx_free(&r);
            break;
        }
        rx_free(&r);
    }
}

/* Two edges in one shared group (the default "sciot-edge"): each result is
 * answered exactly once, and both take a share. */
static void test_shared_group(void **state)
{
    (void)state;
    broker b = {0};
    edge_proc e1 = {0}, e2 = {0};
    broker_start(&b);
    edge_start(&e1, b.port, "shared1");
    edge_start(&e2, b.port, "shared2");
    client *c = client_start(b.port);
    /* a registration reaches one of them: register with both over HTTP */
    char body[256];
    snprintf(body, sizeof body, "{\"device_id\":\"cam-s\",\"model_sha256\":\"%s\"}", g.sha_hex);
    assert_int_equal(http_post(e1.http_port, "/api/registration", body), 200);
    assert_int_equal(http_post(e2.http_port, "/api/registration", body), 200);
    enum { N_REQ = 20 };
    for (int i = 0; i < N_REQ; i++)
        send_result(c, "cam-s", 2 + i % 5, 1000 + (uint64_t)i, NULL);
    int seen[N_REQ] = {0};
    char edges[2][160] = {"", ""};
    int per_edge[2] = {0, 0};
    for (int i = 0; i < N_REQ; i++) {
        rx_msg r = expect(c, "sciot/cam-s/reply");
        assert_true(r.len >= 20);
        uint64_t rid = 0;
        for (int b8 = 7; b8 >= 0; b8--)
            rid = (rid << 8) | r.payload[12 + b8];
        assert_in_range(rid, 1000, 1000 + N_REQ - 1);
        seen[rid - 1000]++;
        check_reply(&r, rid, 1);
        int slot = !strcmp(edges[0], r.edge) ? 0 : !strcmp(edges[1], r.edge) ? 1 : !edges[0][0] ? 0 : 1;
        if (!edges[slot][0])
            snprintf(edges[slot], sizeof edges[slot], "%s", r.edge);
        assert_string_equal(edges[slot], r.edge);
        per_edge[slot]++;
        rx_free(&r);
    }
    rx_msg extra;
    assert_false(take(c, "sciot/cam-s/#", 500, &extra)); /* no duplicate answers, no errors */
    for (int i = 0; i < N_REQ; i++)
        assert_int_equal(seen[i], 1);
    fprintf(stderr, "shared group: %s answered %d, %s answered %d\n", edges[0], per_edge[0], edges[1], per_edge[1]);
    assert_true(per_edge[0] > 0 && per_edge[1] > 0);
    client_stop(c);
    int s1 = edge_stop(&e1), s2 = edge_stop(&e2);
    broker_stop(&b);
    assert_int_equal(s1, 0);
    assert_int_equal(s2, 0);
}

static uint64_t frame_rid(const rx_msg *r)
{
    assert_true(r->len >= 20);
    uint64_t rid = 0;
    for (int i = 7; i >= 0; i--)
        rid = (rid << 8) | r->payload[12 + i];
    return rid;
}

/* A full queue answers 503 "queue_full" on the error topic (with
 * retry_after_s and the request id) instead of queuing forever; every request
 * gets exactly one answer; results in flight when the edge is told to stop
 * are still answered, and it exits cleanly. */
static void test_backpressure_and_drain(void **state)
{
    (void)state;
    broker b = {0};
    edge_proc e = {0};
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/slow.yaml", tmpdir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs("limits:\n  queue_depth: 2\n  workers: 1\n"
          "delay_simulation:\n  computation:\n    enabled: true\n    type: static\n    value: 1.5\n",
          f);
    fclose(f);
    broker_start(&b);
    edge_start_cfg(&e, b.port, "slow", cfg);
    client *c = client_start(b.port);
    register_device(c, "cam-q", NULL);
    enum { N_REQ = 8 };
    for (int i = 0; i < N_REQ; i++)
        send_result(c, "cam-q", 3, 500 + (uint64_t)i, NULL);
    int seen[N_REQ] = {0}, replies = 0, full = 0;
    for (int i = 0; i < N_REQ; i++) {
        rx_msg r = expect(c, "sciot/cam-q/#");
        uint64_t rid;
        if (strstr(r.topic, "/reply")) {
            rid = frame_rid(&r);
            check_reply(&r, rid, 1);
            replies++;
        } else {
            assert_string_equal(r.topic, "sciot/cam-q/error");
            cJSON *o = cJSON_ParseWithLength((const char *)r.payload, r.len);
            assert_true(cJSON_IsObject(o));
            assert_string_equal(cJSON_GetObjectItem(o, "error")->valuestring, "queue_full");
            assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 503);
            assert_true(cJSON_GetObjectItem(o, "retry_after_s")->valueint >= 1);
            rid = strtoull(cJSON_GetObjectItem(o, "request_id")->valuestring, NULL, 10);
            cJSON_Delete(o);
            full++;
        }
        assert_in_range(rid, 500, 500 + N_REQ - 1);
        seen[rid - 500]++;
        rx_free(&r);
    }
    for (int i = 0; i < N_REQ; i++)
        assert_int_equal(seen[i], 1);
    fprintf(stderr, "queue of 2, one worker: %d replies, %d answered 503\n", replies, full);
    assert_true(replies >= 1 && full >= 1);

    /* two results in flight (one running, one queued), then SIGTERM */
    send_result(c, "cam-q", 4, 600, NULL);
    send_result(c, "cam-q", 4, 601, NULL);
    sleep_ms(120);
    kill(e.pid, SIGTERM);
    int got[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        rx_msg r = expect(c, "sciot/cam-q/#");
        if (!strstr(r.topic, "/reply"))
            fail_msg("in-flight result answered on %s: %s", r.topic, (const char *)r.payload);
        uint64_t rid = frame_rid(&r);
        check_reply(&r, rid, 1);
        assert_in_range(rid, 600, 601);
        got[rid - 600]++;
        rx_free(&r);
    }
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 1);
    int st = edge_stop(&e);
    client_stop(c);
    broker_stop(&b);
    assert_int_equal(st, 0);
}

/* The broker goes away and comes back on the same port: the edge reconnects,
 * subscribes again and serves. */
static void test_reconnect(void **state)
{
    (void)state;
    broker b = {0};
    edge_proc e = {0};
    broker_start(&b);
    edge_start(&e, b.port, "reconnect");
    client *c = client_start(b.port);
    register_device(c, "cam-r", NULL);
    client_stop(c);
    broker_stop(&b);
    sleep_ms(1500); /* the edge notices and backs off */
    broker_start(&b); /* same port */
    c = client_start(b.port);
    /* the edge retries after its backoff: ask until it answers */
    char body[256];
    snprintf(body, sizeof body, "{\"model_sha256\":\"%s\"}", g.sha_hex);
    rx_msg r;
    int answered = 0;
    for (uint64_t end = ms_now() + 60000; !answered && ms_now() < end;) {
        publish(c, "sciot/cam-r/register", body, strlen(body), NULL);
        answered = take(c, "sciot/cam-r/registered", 1000, &r);
    }
    if (!answered)
        fail_msg("the edge did not come back after the broker restarted");
    rx_free(&r);
    while (take(c, "sciot/cam-r/registered", 300, &r)) /* answers to earlier tries */
        rx_free(&r);
    send_result(c, "cam-r", 9, 4242, NULL);
    r = expect(c, "sciot/cam-r/reply");
    check_reply(&r, 4242, 1);
    rx_free(&r);
    client_stop(c);
    int st = edge_stop(&e);
    broker_stop(&b);
    assert_int_equal(st, 0);
}

/* ---- in process: edge_mqtt_start / stop against a service ------------------- */

static edge_service *inproc_service(edge_config *cfg, int mqtt_port)
{
    edge_config_defaults(cfg);
    assert_true(strlen(model_path) < sizeof cfg->model);
    memcpy(cfg->model, model_path, strlen(model_path) + 1);
    snprintf(cfg->db_path, sizeof cfg->db_path, ":memory:");
    cfg->workers = 1;
    cfg->http_enabled = false;
    cfg->mqtt_enabled = true;
    snprintf(cfg->mqtt_host, sizeof cfg->mqtt_host, "127.0.0.1");
    cfg->mqtt_port = mqtt_port;
    edge_service *svc = NULL;
    sciot_error err = {0};
    if (edge_service_create(&svc, cfg, &err))
        fail_msg("edge_service_create: %s", err.msg);
    return svc;
}

/* Settings edge_mqtt_start refuses, each with a message naming it. */
static void test_start_validation(void **state)
{
    (void)state;
    edge_config cfg;
    edge_service *svc = inproc_service(&cfg, 1883);
    struct {
        const char *prefix, *group;
        int qos, port;
        const char *says;
    } bad[] = {
        {"a/+/b", "g", 1, 1883, "prefix"}, {"a/#", "g", 1, 1883, "prefix"}, {"$SYS", "g", 1, 1883, "prefix"},
        {"/a", "g", 1, 1883, "prefix"},    {"a/", "g", 1, 1883, "prefix"},  {"a//b", "g", 1, 1883, "prefix"},
        {"a", "g/h", 1, 1883, "group"},    {"a", "g+", 1, 1883, "group"},   {"a", "g", 3, 1883, "qos"},
        {"a", "g", 1, 0, "port"},          {"a", "g", 1, 70000, "port"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        edge_config c = cfg;
        snprintf(c.mqtt_prefix, sizeof c.mqtt_prefix, "%s", bad[i].prefix);
        snprintf(c.mqtt_shared_group, sizeof c.mqtt_shared_group, "%s", bad[i].group);
        c.mqtt_qos = bad[i].qos;
        c.mqtt_port = bad[i].port;
        edge_mqtt *m = (edge_mqtt *)1;
        sciot_error err = {0};
        assert_int_equal(edge_mqtt_start(&m, svc, &c, &err), SCIOT_ERR_INVALID_ARG);
        assert_null(m);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("case %zu: \"%s\" does not mention %s", i, err.msg, bad[i].says);
    }
    edge_mqtt_stop(NULL); /* a no-op */
    assert_int_equal(edge_mqtt_connected(NULL), 0);
    edge_service_destroy(svc);
}

/* No broker yet: start succeeds (after its bounded wait), keeps retrying
 * with backoff, connects and subscribes once the broker appears, serves;
 * stop is prompt. Stopping while the broker is unreachable is prompt too. */
static void test_broker_late(void **state)
{
    (void)state;
    broker b = {0};
    b.port = free_port();
    edge_config cfg;
    edge_service *svc = inproc_service(&cfg, b.port);
    edge_mqtt *m = NULL;
    sciot_error err = {0};
    uint64_t t0 = ms_now();
    assert_int_equal(edge_mqtt_start(&m, svc, &cfg, &err), SCIOT_OK);
    assert_non_null(m);
    assert_true(ms_now() - t0 < 8000);
    assert_int_equal(edge_mqtt_connected(m), 0);
    broker_start(&b); /* on the port the edge is trying */
    uint64_t end = ms_now() + WAIT_MS;
    while (!edge_mqtt_connected(m) && ms_now() < end)
        sleep_ms(50);
    assert_int_equal(edge_mqtt_connected(m), 1);
    client *c = client_start(b.port);
    /* subscriptions follow the CONNACK: ask until answered */
    char body[256];
    snprintf(body, sizeof body, "{\"model_sha256\":\"%s\"}", g.sha_hex);
    rx_msg r;
    int answered = 0;
    for (end = ms_now() + WAIT_MS; !answered && ms_now() < end;) {
        publish(c, "sciot/late/register", body, strlen(body), NULL);
        answered = take(c, "sciot/late/registered", 500, &r);
    }
    assert_true(answered);
    rx_free(&r);
    drain(c, 300);
    send_result(c, "late", 6, 31, NULL);
    r = expect(c, "sciot/late/reply");
    check_reply(&r, 31, 1);
    rx_free(&r);
    edge_mqtt_stats st;
    edge_mqtt_get_stats(m, &st);
    assert_true(st.received >= 2 && st.answered >= 2);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.errors, 0);
    client_stop(c);
    t0 = ms_now();
    edge_mqtt_stop(m);
    assert_true(ms_now() - t0 < 3000);
    broker_stop(&b);

    /* stop during the backoff, with the broker gone */
    cfg.mqtt_port = free_port();
    assert_int_equal(edge_mqtt_start(&m, svc, &cfg, &err), SCIOT_OK);
    t0 = ms_now();
    edge_mqtt_stop(m);
    assert_true(ms_now() - t0 < 1500);
    edge_service_destroy(svc);
}

int main(void)
{
    const struct CMUnitTest single[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_response_topic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_garbage),
    };
    const struct CMUnitTest own_broker[] = {
        cmocka_unit_test(test_shared_group),
        cmocka_unit_test(test_backpressure_and_drain),
        cmocka_unit_test(test_reconnect),
    };
    const struct CMUnitTest in_process[] = {
        cmocka_unit_test(test_start_validation),
        cmocka_unit_test(test_broker_late),
    };
    if (setup(NULL))
        return 1;
    int rc = _cmocka_run_group_tests("mqtt_single_edge", single, sizeof single / sizeof single[0], setup_single,
                                     teardown_single);
    rc |= _cmocka_run_group_tests("mqtt_own_broker", own_broker, sizeof own_broker / sizeof own_broker[0], NULL,
                                  NULL);
    rc |= _cmocka_run_group_tests("mqtt_in_process", in_process, sizeof in_process / sizeof in_process[0], NULL,
                                  NULL);
    teardown(NULL);
    return rc;
}
