/* client_harness.h — what the `sciot device` tests share (header-only: each
 * tests/device/test_client_*.c is its own executable).
 *
 * Processes: the real `sciot edge` ($SCIOT_BIN edge ..., stdout to a file
 * polled for its "sciot edge: ready http=http://127.0.0.1:PORT" line), the
 * real `sciot device` ($SCIOT_BIN device ... --json, stdout and stderr to
 * files), a `mosquitto` broker on a free loopback port, and a fake edge
 * (a thread that accepts TCP connections and never answers). Every wait is
 * bounded; whatever a test started is stopped by the test. */
#ifndef SCIOT_TEST_CLIENT_HARNESS_H
#define SCIOT_TEST_CLIENT_HARNESS_H

#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "edge_proc.h"
#include "testutil.h"

/* each test uses a part of these */
#pragma GCC diagnostic ignored "-Wunused-function"

extern char **environ;

/* ---- environment ------------------------------------------------------------ */

static char h_tmp[512];
static const char *h_bin;
static char h_model[4096];
static char h_input[4096];
static int8_t h_golden[16];
static size_t h_golden_n;

static uint64_t h_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void h_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* cmocka group setup: models, binary, temporary directory. */
static int h_setup(void **state)
{
    (void)state;
    const char *models = tu_require_models();
    h_bin = getenv("SCIOT_BIN");
    if (!h_bin || access(h_bin, X_OK) != 0) {
        fprintf(stderr, "SCIOT_BIN is not set to the sciot binary: skipped\n");
        exit(77);
    }
    snprintf(h_model, sizeof h_model, "%s/person_detect/model.tflite", models);
    snprintf(h_input, sizeof h_input, "%s/person_detect/cases/tflm_person_bmp.in.bin", models);
    size_t n;
    uint8_t *g = tu_read(models, "person_detect/cases/tflm_person_bmp.out.bin", &n);
    if (n > sizeof h_golden)
        n = sizeof h_golden;
    memcpy(h_golden, g, n);
    h_golden_n = n;
    free(g);
    const char *t = getenv("TMPDIR");
    snprintf(h_tmp, sizeof h_tmp, "%s/sciot_devtest_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(h_tmp)) {
        perror("mkdtemp");
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void h_rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            h_rm_rf(p);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int h_teardown(void **state)
{
    (void)state;
    if (!getenv("SCIOT_KEEP_TMP"))
        h_rm_rf(h_tmp);
    else
        fprintf(stderr, "kept %s\n", h_tmp);
    return 0;
}

/* ---- sockets ------------------------------------------------------------------ */

static int h_free_port(void)
{
    int port = ep_free_port();
    assert_true(port > 0);
    return port;
}

static int h_port_accepts(int port)
{
    return ep_port_accepts(port);
}

/* GET path over HTTP/1.0; returns the malloc'd body (NULL on failure). */
static char *h_http_get(int port, const char *path)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return NULL;
    }
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(s, req, (size_t)n) != n) {
        close(s);
        return NULL;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap + 1);
    ssize_t r;
    while (buf && (r = read(s, buf + got, cap - got)) > 0) {
        got += (size_t)r;
        if (got == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    close(s);
    if (!buf)
        return NULL;
    buf[got] = 0;
    char *body = strstr(buf, "\r\n\r\n");
    if (!body) {
        free(buf);
        return NULL;
    }
    char *out = strdup(body + 4);
    free(buf);
    return out;
}

/* One device's entry of GET /api/devices (a cJSON object to delete with
 * *root), or NULL. */
static cJSON *h_edge_device(int port, const char *device_id, cJSON **root)
{
    char *body = h_http_get(port, "/api/devices");
    *root = body ? cJSON_Parse(body) : NULL;
    free(body);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(*root, "devices");
    const cJSON *d;
    cJSON_ArrayForEach(d, arr)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "device_id");
        if (cJSON_IsString(id) && !strcmp(id->valuestring, device_id))
            return (cJSON *)d;
    }
    return NULL;
}

static double h_num(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* ---- processes ------------------------------------------------------------------- */

static pid_t h_spawn(char *const argv[], const char *out_path, const char *err_path)
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    return pid;
}

/* Wait up to ms for pid; its exit status (128 + signal), or -1 on timeout. */
static int h_wait(pid_t pid, int ms)
{
    uint64_t end = h_ms() + (uint64_t)ms;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0 || h_ms() >= end)
            return -1;
        h_sleep_ms(10);
    }
}

static void h_kill_wait(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static char *h_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = n > 0 ? fread(b, 1, (size_t)n, f) : 0;
    b[got] = 0;
    fclose(f);
    return b;
}

typedef struct {
    pid_t pid;
    int port;
    char out[600], err[600];
} h_edge;

/* Start `sciot edge --model M --port PORT --db DB [--config C] [--mqtt U]`
 * and wait (60 s at most) for its ready line. 0 on success; -1 when it
 * exited or did not get ready (it is killed then). */
static int h_edge_try_start(h_edge *e, const char *name, int port, const char *db, const char *config,
                            const char *mqtt_url)
{
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    snprintf(e->out, sizeof e->out, "%s/%s.out", h_tmp, name);
    snprintf(e->err, sizeof e->err, "%s/%s.err", h_tmp, name);
    char *argv[16];
    int k = 0;
    argv[k++] = (char *)h_bin;
    argv[k++] = "edge";
    argv[k++] = "--model";
    argv[k++] = h_model;
    argv[k++] = "--port";
    argv[k++] = ports;
    argv[k++] = "--db";
    argv[k++] = (char *)db;
    if (config) {
        argv[k++] = "--config";
        argv[k++] = (char *)config;
    }
    if (mqtt_url) {
        argv[k++] = "--mqtt";
        argv[k++] = (char *)mqtt_url;
    }
    argv[k] = NULL;
    e->pid = h_spawn(argv, e->out, e->err);
    uint64_t end = h_ms() + 60000;
    while (h_ms() < end) {
        char *o = h_slurp(e->out);
        const char *r = strstr(o, "sciot edge: ready http=http://127.0.0.1:");
        if (r && strchr(r, '\n')) {
            e->port = atoi(r + strlen("sciot edge: ready http=http://127.0.0.1:"));
            free(o);
            return e->port > 0 ? 0 : -1;
        }
        free(o);
        int status;
        if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
            e->pid = 0;
            return -1;
        }
        h_sleep_ms(20);
    }
    h_kill_wait(e->pid);
    e->pid = 0;
    return -1;
}

static void h_edge_start(h_edge *e, const char *name, int port, const char *db, const char *config,
                         const char *mqtt_url)
{
    /* a fixed port may still be held for a moment by the killed edge */
    for (int attempt = 0; attempt < 20; attempt++) {
        if (h_edge_try_start(e, name, port, db, config, mqtt_url) == 0)
            return;
        if (port == 0)
            break;
        h_sleep_ms(250);
    }
    char *err = h_slurp(e->err);
    fail_msg("sciot edge %s did not start (stderr: %s)", name, err);
    free(err);
}

/* SIGTERM, then wait: the exit status. */
static int h_edge_stop(h_edge *e)
{
    if (e->pid <= 0)
        return 0;
    kill(e->pid, SIGTERM);
    int st = h_wait(e->pid, 60000);
    if (st < 0)
        h_kill_wait(e->pid);
    e->pid = 0;
    return st;
}

typedef struct {
    pid_t pid;
    int port;
} h_broker;

static const char *h_find_mosquitto(void)
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

/* mosquitto on a free loopback port, Nagle off (as a broker serving
 * request/answer traffic should be: with it, every hop can wait for a
 * delayed ACK). */
static void h_broker_start(h_broker *b)
{
    const char *bin = h_find_mosquitto();
    if (!bin)
        fail_msg("the MQTT broker 'mosquitto' is not installed (Debian package 'mosquitto')");
    for (int attempt = 0; attempt < 5; attempt++) {
        b->port = h_free_port();
        char conf[600], out[600], err[600];
        snprintf(conf, sizeof conf, "%s/mosquitto-%d.conf", h_tmp, b->port);
        snprintf(out, sizeof out, "%s/mosquitto-%d.out", h_tmp, b->port);
        snprintf(err, sizeof err, "%s/mosquitto-%d.err", h_tmp, b->port);
        FILE *f = fopen(conf, "w");
        assert_non_null(f);
        fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n",
                b->port);
        fclose(f);
        char *argv[] = {(char *)bin, "-c", conf, NULL};
        b->pid = h_spawn(argv, out, err);
        uint64_t end = h_ms() + 10000;
        while (h_ms() < end) {
            if (h_port_accepts(b->port))
                return;
            int status;
            if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
                b->pid = 0;
                break;
            }
            h_sleep_ms(20);
        }
        h_kill_wait(b->pid);
        b->pid = 0;
    }
    fail_msg("could not start mosquitto");
}

static void h_broker_stop(h_broker *b)
{
    if (b->pid <= 0)
        return;
    kill(b->pid, SIGTERM);
    if (h_wait(b->pid, 10000) < 0)
        h_kill_wait(b->pid);
    b->pid = 0;
}

/* ---- the device ---------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    char out[600], err[600];
    uint64_t t0;
} h_device;

/* Start `sciot device --model M --input PERSON --json ...extra` (extra is
 * NULL-terminated). */
static void h_device_start(h_device *d, const char *name, const char *const *extra)
{
    snprintf(d->out, sizeof d->out, "%s/%s.jsonl", h_tmp, name);
    snprintf(d->err, sizeof d->err, "%s/%s.err", h_tmp, name);
    char *argv[64];
    int k = 0;
    argv[k++] = (char *)h_bin;
    argv[k++] = "device";
    argv[k++] = "--model";
    argv[k++] = h_model;
    argv[k++] = "--input";
    argv[k++] = h_input;
    argv[k++] = "--json";
    for (int i = 0; extra && extra[i] && k < 63; i++)
        argv[k++] = (char *)extra[i];
    argv[k] = NULL;
    d->t0 = h_ms();
    d->pid = h_spawn(argv, d->out, d->err);
}

/* Wait for the device (ms at most; killed and failed after that); its exit
 * status; *wall_ms the time since it started. */
static int h_device_wait(h_device *d, int ms, uint64_t *wall_ms)
{
    int st = h_wait(d->pid, ms);
    if (wall_ms)
        *wall_ms = h_ms() - d->t0;
    if (st < 0) {
        h_kill_wait(d->pid);
        d->pid = 0;
        char *err = h_slurp(d->err);
        fail_msg("sciot device did not finish within %d ms (stderr: %s)", ms, err);
        free(err);
    }
    d->pid = 0;
    return st;
}

/* The JSON lines of a device's output (array of cJSON objects; the caller
 * deletes the array). */
static cJSON *h_lines(const char *path)
{
    char *txt = h_slurp(path);
    cJSON *arr = cJSON_CreateArray();
    for (char *save = NULL, *l = strtok_r(txt, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(l);
        if (!o)
            fail_msg("not a JSON line: %s", l);
        cJSON_AddItemToArray(arr, o);
    }
    free(txt);
    return arr;
}

static int h_count_lines(const char *path)
{
    char *txt = h_slurp(path);
    int n = 0;
    for (char *p = txt; *p; p++)
        n += *p == '\n';
    free(txt);
    return n;
}

/* Every line's output is the golden prediction. */
static void h_check_outputs(const cJSON *lines)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        const cJSON *out = cJSON_GetObjectItemCaseSensitive(l, "output");
        assert_true(cJSON_IsArray(out));
        assert_int_equal(cJSON_GetArraySize(out), (int)h_golden_n);
        for (size_t i = 0; i < h_golden_n; i++) {
            const cJSON *v = cJSON_GetArrayItem(out, (int)i);
            assert_true(cJSON_IsNumber(v));
            if (v->valueint != h_golden[i])
                fail_msg("request %g: output[%zu] = %d, golden %d", h_num(l, "request"), i, v->valueint,
                         h_golden[i]);
        }
    }
}

/* `where` agrees with `split` (N: local, 0: edge, else split). */
static void h_check_where(const cJSON *lines)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        int k = (int)h_num(l, "split"), n = (int)h_num(l, "n_ops");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(l, "where");
        assert_true(cJSON_IsString(w));
        const char *want = k == n ? "local" : k == 0 ? "edge" : "split";
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "fell_back")))
            want = "local";
        if (strcmp(w->valuestring, want) != 0)
            fail_msg("request %g: split %d of %d but where '%s'", h_num(l, "request"), k, n, w->valuestring);
    }
}

/* The split of registration `nth` (1-based) from the device's stderr
 * ("... registered with URL (...) as ID: split K of N"), -1 if absent. */
static int h_registered_split(const char *err_path, int nth)
{
    char *txt = h_slurp(err_path);
    int k = -1, seen = 0;
    for (char *p = txt; (p = strstr(p, "sciot device: registered with ")) != NULL; p++) {
        char *s = strstr(p, ": split ");
        if (s && ++seen == nth) {
            k = atoi(s + 8);
            break;
        }
    }
    free(txt);
    return k;
}

static int h_file_contains(const char *path, const char *needle)
{
    char *txt = h_slurp(path);
    int r = strstr(txt, needle) != NULL;
    free(txt);
    return r;
}

static int h_dir_frames(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".frame") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* A per-operator device profile (microseconds), ESP32-S3-like in shape:
 * the early, large-resolution layers cost most. Written to DIR/profile.json. */
static void h_write_profile(char *path, size_t cap, int n_ops)
{
    snprintf(path, cap, "%s/profile.json", h_tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"device_us\":[", f);
    for (int i = 0; i < n_ops; i++)
        fprintf(f, "%s%d", i ? "," : "", 400 + (n_ops - i) * 40);
    fputs("]}\n", f);
    fclose(f);
}

/* A run against a live edge: `n` lines, no error, golden outputs, `where`
 * consistent, and every split the one the edge decided: the first the
 * registration's, each next one the previous reply's (next_split), the
 * last next_split the edge's current decision; the edge counted n. */
static void h_check_split_run(const h_device *d, const h_edge *e, const char *device_id, int n)
{
    cJSON *lines = h_lines(d->out);
    assert_int_equal(cJSON_GetArraySize(lines), n);
    h_check_outputs(lines);
    h_check_where(lines);
    int reg = h_registered_split(d->err, 1);
    assert_true(reg >= 0);
    int prev = reg, non_local = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(l, "error");
        if (!cJSON_IsNull(err))
            fail_msg("request %g fell back: %s", h_num(l, "request"), cJSON_IsString(err) ? err->valuestring : "?");
        if ((int)h_num(l, "split") != prev)
            fail_msg("request %g used split %g, the edge had decided %d", h_num(l, "request"), h_num(l, "split"),
                     prev);
        prev = (int)h_num(l, "next_split");
        non_local += (int)h_num(l, "split") < (int)h_num(l, "n_ops");
        assert_true(h_num(l, "total_ms") > 0);
        assert_true(h_num(l, "bytes_sent") > 0);
    }
    /* the emulated device is slow: the edge must have offloaded some */
    assert_true(non_local > 0);
    cJSON *root;
    cJSON *dev = h_edge_device(e->port, device_id, &root);
    assert_non_null(dev);
    assert_int_equal((int)h_num(dev, "split"), prev);
    assert_int_equal((int)h_num(dev, "inferences"), n);
    cJSON_Delete(root);
    cJSON_Delete(lines);
}

/* A 20-request run of device `dev-<tag>` against a fresh edge reached at
 * url_fmt (printf with the edge's port): every output golden, every split the
 * edge's, nothing left queued, the edge stops cleanly. */
static void h_split_run(const char *tag, const char *url_fmt, int n_ops)
{
    char db[600], q[600], prof[600], url[96], edge_name[32], dev[32];
    snprintf(db, sizeof db, "%s/%s.db", h_tmp, tag);
    snprintf(q, sizeof q, "%s/q-%s", h_tmp, tag);
    snprintf(edge_name, sizeof edge_name, "edge-%s", tag);
    snprintf(dev, sizeof dev, "dev-%s", tag);
    h_write_profile(prof, sizeof prof, n_ops);
    h_edge e;
    h_edge_start(&e, edge_name, 0, db, NULL, NULL);
    snprintf(url, sizeof url, url_fmt, e.port);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "20", "--device-id", dev, "--queue", q, "--profile", prof, NULL};
    h_device_start(&d, dev, args);
    assert_int_equal(h_device_wait(&d, 50000, NULL), 0);
    h_check_split_run(&d, &e, dev, 20);
    assert_int_equal(h_dir_frames(q), 0);
    assert_int_equal(h_edge_stop(&e), 0);
}

/* ---- a fake edge: accepts, never answers --------------------------------------- */

typedef struct {
    int lfd, port;
    pthread_t th;
    volatile int stop;
    int fds[256];
    int n;
} h_fake;

static void *h_fake_main(void *arg)
{
    h_fake *f = arg;
    while (!f->stop) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(f->lfd, NULL, NULL);
        if (c < 0)
            continue;
        if (f->n < 256)
            f->fds[f->n++] = c; /* held open, never read */
        else
            close(c);
    }
    return NULL;
}

static void h_fake_start(h_fake *f)
{
    memset(f, 0, sizeof *f);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t l = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->lfd, 64), 0);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &l), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, h_fake_main, f), 0);
}

static void h_fake_stop(h_fake *f)
{
    f->stop = 1;
    pthread_join(f->th, NULL);
    for (int i = 0; i < f->n; i++)
        close(f->fds[i]);
    close(f->lfd);
}

#endif
