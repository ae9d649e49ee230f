/* bench_edge.c — the edge server under load over HTTP on loopback.
 *
 * C concurrent keep-alive clients (default 64: one thread and one libcurl
 * easy handle each, each its own registered device) POST cut frames of a
 * model (default fomo_face) at a split k (default N/2) to
 * /api/device_inference_result as fast as the edge answers, for a fixed
 * duration after a warm-up. Reported:
 *
 *   - tails per second (answered requests, and the edge's own
 *     sciot_tails_total over the same window);
 *   - client-side latency p50 / p90 / p99 / max;
 *   - the edge process's CPU time per request (utime + stime of
 *     /proc/<pid>/stat before/after: every thread of the process: HTTP,
 *     workers, SQLite) next to the tail's own compute time, from the edge's
 *     GET /metrics (sciot_tail_seconds_total / sciot_tails_total: decoding
 *     the cut into the arena and running [k, N)) and from `sciot bench`
 *     (sum of the per-operator medians of [k, N), measured alone before the
 *     load), and the overhead ratio (CPU per request - tail) / tail;
 *   - the clients' own CPU per request (they share the machine);
 *   - the exact command line.
 *
 * The edge is started here (`sciot edge`, --bin, with a throwaway database
 * and limits.workers = --workers) unless --url names a running one (then
 * --pid PID gives its CPU time).
 *
 *   sciot_bench_edge [--bin SCIOT] [--model M] [--input FILE] [--k K]
 *                    [--clients C] [--duration S] [--warmup S] [--workers W]
 *                    [--url http://127.0.0.1:PORT [--pid PID]] [--no-check]
 *
 * Every client checks its first reply against the golden output when one
 * is found next to the input (cases/X.in.bin -> cases/X.out.bin). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "edge_proc.h"
#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/model.h"
#include "sciot/wire.h"

/* ---- options ------------------------------------------------------------------- */

static struct {
    const char *bin, *model, *input, *url;
    int32_t k;
    int clients, workers, check;
    double duration, warmup;
    long pid;
} opt = {NULL, NULL, NULL, NULL, -1, 64, 2, 1, 10.0, 2.0, 0};

static sciot_model model;
static uint8_t sha[32];
static char sha_hex[65];
static uint8_t *golden;
static size_t golden_len;
static char base_url[256];

/* phases: 0 warm-up, 1 measuring, 2 stop */
static atomic_int phase;
static _Atomic uint64_t t_measure_start, t_measure_end;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- HTTP ---------------------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} sink;

static size_t sink_cb(char *p, size_t sz, size_t n, void *u)
{
    sink *s = u;
    size_t add = sz * n;
    if (s->len + add + 1 > s->cap) {
        size_t nc = (s->len + add + 1) * 2;
        uint8_t *nb = realloc(s->buf, nc);
        if (!nb)
            return 0;
        s->buf = nb;
        s->cap = nc;
    }
    memcpy(s->buf + s->len, p, add);
    s->len += add;
    s->buf[s->len] = 0;
    return add;
}

/* Set a handle up for POST or GET of `path`; the body stays the caller's. */
static void setup_handle(CURL *c, const char *path, const void *body, size_t len, struct curl_slist *hdrs,
                         sink *out)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
}

static long http_get(CURL *c, const char *path, sink *out)
{
    long status = 0;
    out->len = 0;
    curl_easy_reset(c);
    setup_handle(c, path, NULL, 0, NULL, out);
    if (curl_easy_perform(c) != CURLE_OK)
        return -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

typedef struct {
    double tails, tail_s, requests_http, errors_4xx, errors_5xx, busy;
    int ok;
} edge_metrics;

static double metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return NAN;
}

static edge_metrics get_metrics(CURL *c)
{
    edge_metrics m;
    memset(&m, 0, sizeof m);
    sink s = {0};
    if (http_get(c, "/metrics", &s) == 200 && s.buf) {
        const char *t = (const char *)s.buf;
        m.tails = metric(t, "sciot_tails_total");
        m.tail_s = metric(t, "sciot_tail_seconds_total");
        m.requests_http = metric(t, "sciot_requests_total{transport=\"http\"}");
        m.errors_4xx = metric(t, "sciot_errors_total{class=\"4xx\"}");
        m.errors_5xx = metric(t, "sciot_errors_total{class=\"5xx\"}");
        m.busy = metric(t, "sciot_rejected_busy_total");
        m.ok = isfinite(m.tails) && isfinite(m.tail_s);
    }
    free(s.buf);
    return m;
}

/* utime + stime of a process, seconds; < 0 when unreadable. */
static double proc_cpu_s(long pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt
     * cminflt majflt cmajflt utime(14) stime(15) */
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- clients ---------------------------------------------------------------------- */

typedef struct {
    int idx;
    const ep_head *head;
    pthread_barrier_t *ready;
    char dev[32];
    /* results */
    uint32_t *lat_us;
    size_t n_lat, cap_lat;
    uint64_t ok_total, busy, errors;
    int checked, check_failed;
    char err[256];
} client;

static void lat_add(client *c, uint32_t us)
{
    if (c->n_lat == c->cap_lat) {
        size_t nc = c->cap_lat ? c->cap_lat * 2 : 4096;
        uint32_t *nb = realloc(c->lat_us, nc * sizeof *nb);
        if (!nb)
            return;
        c->lat_us = nb;
        c->cap_lat = nc;
    }
    c->lat_us[c->n_lat++] = us;
}

static int check_reply(const uint8_t *buf, size_t len, char *err, size_t cap)
{
    sciot_wire_frame *f = calloc(1, sizeof *f);
    sciot_error e = {0};
    int ok = 0;
    if (!f)
        return 0;
    if (sciot_wire_decode(buf, len, &model, sha, f, &e))
        snprintf(err, cap, "reply: %.200s", e.msg);
    else if (f->n_tensors != (uint32_t)model.n_outputs)
        snprintf(err, cap, "reply with %u tensors", f->n_tensors);
    else if (golden) {
        uint8_t *out = malloc(golden_len);
        if (out && !sciot_wire_tensor_read(&f->tensors[0], out, golden_len, &e) && !memcmp(out, golden, golden_len))
            ok = 1;
        else
            snprintf(err, cap, "the prediction differs from the golden output");
        free(out);
    } else {
        ok = 1;
    }
    free(f);
    return ok;
}

static void *client_main(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();
    sink s = {0};
    char body[256];
    size_t flen = 0;
    uint8_t *fr = ep_head_frame(c->head, c->dev, (uint64_t)c->idx + 1, 0, 0, 0, &flen);
    struct curl_slist *jh = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *bh = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    bh = curl_slist_append(bh, "Expect:");
    long status = 0;
    if (!h || !fr || !jh || !bh) {
        snprintf(c->err, sizeof c->err, "out of memory");
        goto wait;
    }
    /* register */
    snprintf(body, sizeof body, "{\"device_id\":\"%s\",\"model_sha256\":\"%s\"}", c->dev, sha_hex);
    setup_handle(h, "/api/registration", body, strlen(body), jh, &s);
    if (curl_easy_perform(h) != CURLE_OK || (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), status != 200)) {
        snprintf(c->err, sizeof c->err, "registration failed (status %ld)", status);
        goto wait;
    }
    /* the frame request: set up once, performed again and again on the
     * same keep-alive connection */
    curl_easy_reset(h);
    setup_handle(h, "/api/device_inference_result", fr, flen, bh, &s);
wait:
    pthread_barrier_wait(c->ready);
    if (c->err[0])
        goto out;
    while (atomic_load(&phase) != 2) {
        s.len = 0;
        uint64_t t0 = now_us();
        CURLcode rc = curl_easy_perform(h);
        uint64_t t1 = now_us();
        status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK) {
            c->errors++;
            if (!c->err[0])
                snprintf(c->err, sizeof c->err, "%s", curl_easy_strerror(rc));
            continue;
        }
        if (status == 503) {
            c->busy++;
            continue;
        }
        if (status != 200) {
            c->errors++;
            if (!c->err[0])
                snprintf(c->err, sizeof c->err, "status %ld: %.200s", status, s.buf ? (const char *)s.buf : "");
            continue;
        }
        if (opt.check && !c->checked) {
            c->checked = 1;
            c->check_failed = !check_reply(s.buf, s.len, c->err, sizeof c->err);
        }
        c->ok_total++;
        /* count requests that both started and ended inside the window */
        if (atomic_load(&phase) == 1 && t0 >= atomic_load(&t_measure_start) && atomic_load(&t_measure_end) == 0)
            lat_add(c, (uint32_t)(t1 - t0));
    }
out:
    curl_slist_free_all(jh);
    curl_slist_free_all(bh);
    free(s.buf);
    free(fr);
    if (h)
        curl_easy_cleanup(h);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- `sciot bench`: per-operator medians of [k, N) ------------------------------ */

static double op_bench_tail_us(int32_t k)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' bench '%s' --runs 200 --json 2>/dev/null", opt.bin, opt.model);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NAN;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    pclose(p);
    if (!buf)
        return NAN;
    buf[n] = 0;
    /* {"operators":[{"index":i,...,"median_us":x,...}, ...] */
    double sum = 0;
    int found = 0;
    for (const char *q = strstr(buf, "\"index\":"); q; q = strstr(q + 1, "\"index\":")) {
        int idx = atoi(q + 8);
        const char *m = strstr(q, "\"median_us\":");
        if (!m)
            break;
        if (idx >= k && idx < model.n_ops) {
            sum += strtod(m + 12, NULL);
            found++;
        }
    }
    free(buf);
    return found == model.n_ops - k ? sum : NAN;
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(void)
{
    fputs("usage: sciot_bench_edge [--bin SCIOT] [--model M] [--input FILE] [--k K] [--clients C]\n"
          "                        [--duration S] [--warmup S] [--workers W]\n"
          "                        [--url http://127.0.0.1:PORT [--pid PID]] [--no-check]\n",
          stderr);
}

int main(int argc, char **argv)
{
    static char bin_default[4096], model_default[4096], input_default[4096], golden_path[4096];
    const char *models = getenv("SCIOT_MODELS");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(name) (!strcmp(a, name) && v && (++i, 1))
        if (TAKE("--bin"))
            opt.bin = v;
        else if (TAKE("--model"))
            opt.model = v;
        else if (TAKE("--input"))
            opt.input = v;
        else if (TAKE("--url"))
            opt.url = v;
        else if (TAKE("--k"))
            opt.k = (int32_t)atoi(v);
        else if (TAKE("--clients"))
            opt.clients = atoi(v);
        else if (TAKE("--workers"))
            opt.workers = atoi(v);
        else if (TAKE("--duration"))
            opt.duration = atof(v);
        else if (TAKE("--warmup"))
            opt.warmup = atof(v);
        else if (TAKE("--pid"))
            opt.pid = atol(v);
        else if (!strcmp(a, "--no-check"))
            opt.check = 0;
        else {
            usage();
            return 2;
        }
#undef TAKE
    }
    if (opt.clients < 1 || opt.clients > 1024 || opt.duration <= 0 || opt.warmup < 0 || opt.workers < 1) {
        usage();
        return 2;
    }
    if (!opt.bin) {
        opt.bin = getenv("SCIOT_BIN");
        if (!opt.bin) {
            /* build/bench/sciot_bench_edge -> build/sciot */
            snprintf(bin_default, sizeof bin_default, "%s", argv[0]);
            char *slash = strrchr(bin_default, '/');
            if (slash)
                snprintf(slash + 1, sizeof bin_default - (size_t)(slash + 1 - bin_default), "../sciot");
            else
                snprintf(bin_default, sizeof bin_default, "../sciot");
            opt.bin = bin_default;
        }
    }
    if (!opt.model) {
        if (!models)
            models = "../shared/models";
        snprintf(model_default, sizeof model_default, "%s/fomo_face/model.tflite", models);
        opt.model = model_default;
        if (!opt.input) {
            snprintf(input_default, sizeof input_default, "%s/fomo_face/cases/openmv_faces_crop.in.bin", models);
            opt.input = input_default;
        }
    }
    printf("command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");

    sciot_error err = {0};
    if (sciot_model_load_file(&model, opt.model, &err)) {
        fprintf(stderr, "sciot_bench_edge: %s\n", err.msg);
        return 1;
    }
    sciot_sha256(model.file, model.file_len, sha);
    for (int j = 0; j < 32; j++)
        snprintf(sha_hex + 2 * j, 3, "%02x", sha[j]);
    int32_t n = model.n_ops;
    if (opt.k < 0)
        opt.k = n / 2;
    if (opt.k >= n) {
        fprintf(stderr, "sciot_bench_edge: --k %d: the tail [k, N) must not be empty (N = %d)\n", opt.k, n);
        return 2;
    }
    /* the input: a file, or xorshift bytes */
    const sciot_tensor *in_t = &model.tensors[model.inputs[0]];
    uint8_t *input = malloc(in_t->bytes);
    if (!input)
        return 1;
    if (opt.input) {
        if (sciot_load_input(opt.input, in_t, input, &err)) {
            fprintf(stderr, "sciot_bench_edge: %s\n", err.msg);
            return 1;
        }
        /* cases/X.in.bin -> cases/X.out.bin */
        size_t l = strlen(opt.input);
        if (l > 7 && !strcmp(opt.input + l - 7, ".in.bin")) {
            snprintf(golden_path, sizeof golden_path, "%.*s.out.bin", (int)(l - 7), opt.input);
            if (sciot_read_file(golden_path, &golden, &golden_len, &err) ||
                golden_len != model.tensors[model.outputs[0]].bytes) {
                free(golden);
                golden = NULL;
                golden_path[0] = 0;
            }
        }
    } else {
        uint32_t s = 1;
        for (size_t i = 0; i < in_t->bytes; i++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            input[i] = (uint8_t)s;
        }
    }
    ep_head head;
    if (ep_head_run(&head, &model, sha, input, in_t->bytes, opt.k, 0))
        return 1;
    size_t frame_len = 0;
    uint8_t *probe = ep_head_frame(&head, "probe", 1, 0, 0, 0, &frame_len);
    free(probe);

    /* the tail's compute time measured alone, before any load */
    double bench_tail_us = op_bench_tail_us(opt.k);

    /* the edge */
    ep_proc edge = {0, 0};
    char tmpdir[] = "/tmp/sciot_bench_edge_XXXXXX";
    int own = !opt.url;
    signal(SIGPIPE, SIG_IGN);
    if (own) {
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            return 1;
        }
        char db[256], cfg[256];
        snprintf(db, sizeof db, "%s/bench.db", tmpdir);
        snprintf(cfg, sizeof cfg, "%s/bench.yaml", tmpdir);
        FILE *f = fopen(cfg, "w");
        if (!f)
            return 1;
        fprintf(f, "limits:\n  workers: %d\n  queue_depth: %d\n", opt.workers,
                opt.clients * 2 > 64 ? opt.clients * 2 : 64);
        fclose(f);
        if (ep_start(&edge, opt.bin, opt.model, db, cfg, NULL, 120000))
            return 1;
        opt.pid = edge.pid;
        snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", edge.port);
    } else {
        snprintf(base_url, sizeof base_url, "%s", opt.url);
        size_t l = strlen(base_url);
        if (l && base_url[l - 1] == '/')
            base_url[l - 1] = 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *ctl = curl_easy_init();

    printf("edge: %s (pid %ld, %s), model %s, N = %d, k = %d, cut frame %zu bytes, %d clients, "
           "warm-up %.1f s, measured %.1f s\n",
           base_url, opt.pid, own ? "started here" : "running", opt.model, n, opt.k, frame_len, opt.clients,
           opt.warmup, opt.duration);
    if (own)
        printf("edge workers: %d (limits.workers), online CPUs: %ld\n", opt.workers, sysconf(_SC_NPROCESSORS_ONLN));

    client *cl = calloc((size_t)opt.clients, sizeof *cl);
    pthread_t *th = calloc((size_t)opt.clients, sizeof *th);
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)opt.clients + 1);
    for (int i = 0; i < opt.clients; i++) {
        cl[i].idx = i;
        cl[i].head = &head;
        cl[i].ready = &ready;
        snprintf(cl[i].dev, sizeof cl[i].dev, "bench-%03d", i);
        if (pthread_create(&th[i], NULL, client_main, &cl[i]) != 0) {
            fprintf(stderr, "cannot start client thread %d\n", i);
            return 1;
        }
    }
    pthread_barrier_wait(&ready); /* every client registered */
    struct timespec ts = {(time_t)opt.warmup, (long)(fmod(opt.warmup, 1.0) * 1e9)};
    nanosleep(&ts, NULL);

    edge_metrics m0 = get_metrics(ctl);
    double cpu0 = opt.pid > 0 ? proc_cpu_s(opt.pid) : -1, self0 = self_cpu_s();
    double w0 = now_s();
    atomic_store(&t_measure_start, now_us());
    atomic_store(&phase, 1);
    ts.tv_sec = (time_t)opt.duration;
    ts.tv_nsec = (long)(fmod(opt.duration, 1.0) * 1e9);
    nanosleep(&ts, NULL);
    atomic_store(&t_measure_end, now_us());
    double w1 = now_s();
    double cpu1 = opt.pid > 0 ? proc_cpu_s(opt.pid) : -1, self1 = self_cpu_s();
    edge_metrics m1 = get_metrics(ctl);
    atomic_store(&phase, 2);
    for (int i = 0; i < opt.clients; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&ready);

    /* results */
    size_t n_lat = 0;
    uint64_t busy = 0, errors = 0;
    int checked = 0, check_failed = 0;
    const char *first_err = NULL;
    for (int i = 0; i < opt.clients; i++) {
        n_lat += cl[i].n_lat;
        busy += cl[i].busy;
        errors += cl[i].errors;
        checked += cl[i].checked;
        check_failed += cl[i].check_failed;
        if (cl[i].err[0] && !first_err)
            first_err = cl[i].err;
    }
    uint32_t *all = malloc((n_lat ? n_lat : 1) * sizeof *all);
    size_t at = 0;
    for (int i = 0; i < opt.clients; i++) {
        if (cl[i].n_lat)
            memcpy(all + at, cl[i].lat_us, cl[i].n_lat * sizeof *all);
        at += cl[i].n_lat;
    }
    qsort(all, n_lat, sizeof *all, cmp_u32);
    double wall = w1 - w0;
    double tails = m1.ok && m0.ok ? m1.tails - m0.tails : NAN;
    double tail_us = tails > 0 ? (m1.tail_s - m0.tail_s) / tails * 1e6 : NAN;
    double cpu_req_us = cpu0 >= 0 && cpu1 >= 0 && tails > 0 ? (cpu1 - cpu0) / tails * 1e6 : NAN;
#define PCT(p) (n_lat ? all[(size_t)((double)(n_lat - 1) * (p))] / 1000.0 : NAN)
    printf("\nthroughput: %.0f tails/s (edge counter: %.0f tails in %.2f s); %.0f answered/s at the clients\n",
           tails / wall, tails, wall, (double)n_lat / wall);
    printf("latency (client, ms): p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (%zu requests)\n", PCT(0.50), PCT(0.90),
           PCT(0.99), n_lat ? all[n_lat - 1] / 1000.0 : NAN, n_lat);
    printf("edge CPU per request: %.1f us (utime+stime of pid %ld: %.2f s over %.2f s = %.2f cores)\n", cpu_req_us,
           opt.pid, cpu1 - cpu0, wall, (cpu1 - cpu0) / wall);
    printf("tail compute per request: %.1f us (edge metrics: sciot_tail_seconds_total / sciot_tails_total: decode "
           "of the cut + run [%d, %d))\n",
           tail_us, opt.k, n);
    printf("tail compute per request: %.1f us (sciot bench: sum of per-operator medians of [%d, %d), measured "
           "alone)\n",
           bench_tail_us, opt.k, n);
    printf("overhead (CPU per request - tail) / tail: %.0f%% against the edge's tail time, %.0f%% against the "
           "per-operator medians\n",
           100.0 * (cpu_req_us - tail_us) / tail_us, 100.0 * (cpu_req_us - bench_tail_us) / bench_tail_us);
    printf("engine limit at %d workers: %.0f tails/s (workers / tail time from the per-operator medians)\n",
           opt.workers, opt.workers / (bench_tail_us / 1e6));
    printf("clients' CPU per request (same machine): %.1f us\n", tails > 0 ? (self1 - self0) / tails * 1e6 : NAN);
    printf("503 (queue full): %llu; errors: %llu; edge counters over the window: requests %.0f, 4xx %.0f, 5xx "
           "%.0f\n",
           (unsigned long long)busy, (unsigned long long)errors, m1.requests_http - m0.requests_http,
           m1.errors_4xx - m0.errors_4xx, m1.errors_5xx - m0.errors_5xx);
    if (opt.check)
        printf("predictions checked: %d clients, %d differ from %s\n", checked, check_failed,
               golden_path[0] ? golden_path : "(no golden output: decoded only)");
    if (first_err)
        printf("first client error: %s\n", first_err);
#undef PCT
    int rc = (check_failed || errors) ? 1 : 0;
    if (own) {
        int st = ep_stop(&edge, 60000);
        if (st != 0) {
            fprintf(stderr, "sciot edge exited with status %d\n", st);
            rc = 1;
        }
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    for (int i = 0; i < opt.clients; i++)
        free(cl[i].lat_us);
    free(cl);
    free(th);
    free(all);
    free(input);
    free(golden);
    ep_head_free(&head);
    curl_easy_cleanup(ctl);
    curl_global_cleanup();
    sciot_model_free(&model);
    return rc;
}
