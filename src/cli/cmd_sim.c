/* cmd_sim.c — `sciot sim SCENARIO [--json]`: trace-driven simulation of the
 * planner against an oracle.
 *
 * Each request draws one realisation of the world: every operator's device
 * and edge time, the round trip and the transfer speed, each with log-normal
 * noise of CV `noise_cv` around the phase's true values. The planner decides
 * from what it has observed so far and is then shown only what the system
 * would measure for the split it chose: the device times of the operators
 * the device ran, the edge times of those the edge ran, the round trip minus
 * the edge's processing time; a full local run is reported to the edge
 * afterwards (a small frame, off the critical path) when the edge is up. An
 * edge that is down refuses connections at once: the device pays a connect
 * attempt (`connect_fail_ms`, default the phase's RTT) and runs everything
 * locally. The oracle knows the phase's true conditions and picks the k with
 * the lowest expected latency; the planner's k, the oracle's k and the static
 * policies are all scored on the same realised times of the request. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/planjson.h"
#include "sciot/planner.h"

static const char help[] =
    "usage: sciot sim SCENARIO [--json] [--seed N] [--local-p P] [--no-adaptive]\n"
    "                 [--retest-needed] [--trace FILE]\n"
    "Trace-driven simulation of the split planner against an oracle that knows\n"
    "the true conditions. SCENARIO is JSON: device_us, edge_us, cut_bytes (or\n"
    "\"profile\": FILE with them, or \"model\": MODEL.tflite with \"bench\":\n"
    "`sciot bench --json` output for the edge and \"device_scale\" or\n"
    "\"device_bench\"), noise_cv, requests, seed, and phases: [{\"at\": request,\n"
    "\"rtt_ms\", \"bandwidth_bytes_per_s\", \"device_slowdown\", \"edge_slowdown\",\n"
    "\"edge_down\", \"edge_queue_ms\"}] (unset fields keep the previous phase's).\n"
    "Optional: reply_bytes (64), report_bytes (64 + 4N), connect_fail_ms,\n"
    "registration_profile (true: the device registers with one measured run;\n"
    "false: the planner starts cold with a full local run),\n"
    "net_outlier_p / net_outlier_x (network spikes), planner {alpha, hysteresis,\n"
    "adaptive_exploration, explore_budget, local_inference_mode {enabled,\n"
    "probability}, prior_rtt_ms, prior_bandwidth_bytes_per_s}.\n"
    "retest (\"full\": any device variance flag forces a full local run, the\n"
    "reference semantics; \"needed\": only flags the split would not re-measure).\n"
    "--local-p P enables the reference local-inference mode with probability P;\n"
    "--no-adaptive turns the adaptive exploration off; --trace writes a CSV row\n"
    "per request. Paths in the scenario are relative to its directory;\n"
    "${SCIOT_MODELS} expands to that environment variable.\n";

#define RECONVERGE_STREAK 10

typedef struct {
    int32_t at;
    double rtt_us, bw, dev_slow, edge_slow, queue_us, connect_us;
    int down;
    /* derived */
    int32_t oracle_k;
    double oracle_exp;
} phase;

typedef struct {
    pj_profile prof;
    double noise_cv, reply_bytes, report_bytes, connect_ms, out_p, out_x;
    bool registration;
    int32_t requests;
    uint64_t seed;
    phase *ph;
    int32_t n_ph;
    sciot_planner_config cfg;
} scenario;

static void path_join(char *out, size_t cap, const char *base_file, const char *rel)
{
    const char *models = getenv("SCIOT_MODELS");
    const char *pfx[] = {"${SCIOT_MODELS}", "$SCIOT_MODELS"};
    for (int i = 0; i < 2; i++) {
        size_t l = strlen(pfx[i]);
        if (!strncmp(rel, pfx[i], l)) {
            snprintf(out, cap, "%s%s", models ? models : "", rel + l);
            return;
        }
    }
    const char *slash = strrchr(base_file, '/');
    if (rel[0] == '/' || !slash)
        snprintf(out, cap, "%s", rel);
    else
        snprintf(out, cap, "%.*s/%s", (int)(slash - base_file), base_file, rel);
}

static int bench_times(const char *file, int32_t n, double scale, double *out)
{
    cJSON *b = pj_load("sim", file);
    if (!b)
        return 1;
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(b, "operators");
    int rc = 0;
    if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) != n) {
        rc = cli_error("sim", "%s: 'operators' must be an array of %d entries (one per model operator), got %d", file,
                       (int)n, cJSON_IsArray(ops) ? cJSON_GetArraySize(ops) : -1);
    } else {
        int32_t i = 0;
        const cJSON *o;
        cJSON_ArrayForEach(o, ops)
        {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "median_us");
            if (!cJSON_IsNumber(m) || m->valuedouble < 0) {
                rc = cli_error("sim", "%s: operators[%d].median_us missing or negative", file, (int)i);
                break;
            }
            out[i++] = m->valuedouble * scale;
        }
    }
    cJSON_Delete(b);
    return rc;
}

/* device/edge/cut from a model file and bench output. */
static int from_model(const char *file, const cJSON *root, scenario *s)
{
    char path[1024], bpath[1024];
    const cJSON *mj = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *bj = cJSON_GetObjectItemCaseSensitive(root, "bench");
    if (!cJSON_IsString(mj) || !cJSON_IsString(bj))
        return cli_error("sim", "%s: 'model' needs 'bench' (a `sciot bench --json` output file), both strings", file);
    if (strstr(mj->valuestring, "SCIOT_MODELS") && !getenv("SCIOT_MODELS"))
        return cli_error("sim", "%s: 'model' is %s but SCIOT_MODELS is not set", file, mj->valuestring);
    path_join(path, sizeof path, file, mj->valuestring);
    sciot_model m;
    sciot_error err = {0};
    if (sciot_model_load_file(&m, path, &err))
        return cli_error("sim", "%s: model: %s", file, err.msg);
    int32_t n = m.n_ops;
    pj_profile *p = &s->prof;
    p->n = n;
    p->device_us = calloc((size_t)n, sizeof(double));
    p->edge_us = calloc((size_t)n, sizeof(double));
    p->cut_bytes = calloc((size_t)n + 1, sizeof(double));
    for (int32_t k = 0; k <= n; k++)
        p->cut_bytes[k] = (double)sciot_model_cut_bytes(&m, k);
    sciot_model_free(&m);
    path_join(bpath, sizeof bpath, file, bj->valuestring);
    if (bench_times(bpath, n, 1.0, p->edge_us))
        return 1;
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(root, "device_bench");
    double scale = 0;
    if (cJSON_IsString(db)) {
        path_join(bpath, sizeof bpath, file, db->valuestring);
        return bench_times(bpath, n, 1.0, p->device_us);
    }
    if (pj_number("sim", file, root, "device_scale", 0, 0, &scale))
        return 1;
    for (int32_t i = 0; i < n; i++)
        p->device_us[i] = p->edge_us[i] * scale;
    return 0;
}

static int get_bool(const char *file, const cJSON *o, const char *field, bool *v)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!e)
        return 0;
    if (!cJSON_IsBool(e))
        return cli_error("sim", "%s: field '%s' must be true or false", file, field);
    *v = cJSON_IsTrue(e);
    return 0;
}

static int parse_planner(const char *file, const cJSON *o, sciot_planner_config *c)
{
    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return cli_error("sim", "%s: field 'planner' must be an object", file);
    double v;
    if (!pj_number("sim", file, o, "alpha", 1, 0, &c->alpha) &&
        !pj_number("sim", file, o, "hysteresis", 1, 0, &c->hysteresis) &&
        !pj_number("sim", file, o, "explore_budget", 1, 0, &c->explore_budget) &&
        !pj_number("sim", file, o, "explore_drift", 1, 0, &c->explore_drift) && !get_bool(file, o, "adaptive_exploration", &c->adaptive_explore)) {
        v = c->prior_rtt_us / 1000.0;
        if (pj_number("sim", file, o, "prior_rtt_ms", 1, 0, &v))
            return 1;
        c->prior_rtt_us = v * 1000.0;
        if (pj_number("sim", file, o, "prior_bandwidth_bytes_per_s", 1, 0, &c->prior_bytes_per_s))
            return 1;
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(o, "retest");
        if (rt) {
            if (cJSON_IsString(rt) && !strcmp(rt->valuestring, "full"))
                c->retest = SCIOT_RETEST_FULL;
            else if (cJSON_IsString(rt) && !strcmp(rt->valuestring, "needed"))
                c->retest = SCIOT_RETEST_NEEDED;
            else
                return cli_error("sim", "%s: planner.retest must be \"full\" or \"needed\"", file);
        }
        const cJSON *lm = cJSON_GetObjectItemCaseSensitive(o, "local_inference_mode");
        if (lm) {
            if (!cJSON_IsObject(lm))
                return cli_error("sim", "%s: planner.local_inference_mode must be {\"enabled\", \"probability\"}", file);
            if (get_bool(file, lm, "enabled", &c->local_mode.enabled) ||
                pj_number("sim", file, lm, "probability", 1, 0, &c->local_mode.probability))
                return 1;
            if (c->local_mode.probability > 1)
                return cli_error("sim", "%s: planner.local_inference_mode.probability %g must be in [0, 1]", file,
                                 c->local_mode.probability);
        }
        if (!(c->alpha > 0 && c->alpha <= 1))
            return cli_error("sim", "%s: planner.alpha %g must be in (0, 1]", file, c->alpha);
        if (!(c->hysteresis < 1))
            return cli_error("sim", "%s: planner.hysteresis %g must be in [0, 1)", file, c->hysteresis);
        return 0;
    }
    return 1;
}

static int parse_scenario(const char *file, scenario *s)
{
    memset(s, 0, sizeof *s);
    cJSON *root = pj_load("sim", file);
    if (!root)
        return 1;
    int rc = 1;
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(root, "profile");
    if (cJSON_GetObjectItemCaseSensitive(root, "model")) {
        if (from_model(file, root, s))
            goto out;
    } else if (prof) {
        char path[1024];
        if (!cJSON_IsString(prof)) {
            cli_error("sim", "%s: field 'profile' must be a file name", file);
            goto out;
        }
        path_join(path, sizeof path, file, prof->valuestring);
        cJSON *pr = pj_load("sim", path);
        if (!pr)
            goto out;
        int r = pj_profile_parse("sim", path, pr, 0, &s->prof);
        cJSON_Delete(pr);
        if (r)
            goto out;
    } else if (pj_profile_parse("sim", file, root, 0, &s->prof)) {
        goto out;
    }
    int32_t n = s->prof.n;
    double req = 0, seed = 1;
    s->noise_cv = 0.1;
    s->reply_bytes = 64;
    s->report_bytes = 64 + 4.0 * n;
    s->connect_ms = -1;
    s->out_x = 5;
    s->registration = true;
    if (pj_number("sim", file, root, "requests", 0, 0, &req) || pj_number("sim", file, root, "seed", 1, 0, &seed) ||
        pj_number("sim", file, root, "noise_cv", 1, 0, &s->noise_cv) ||
        pj_number("sim", file, root, "reply_bytes", 1, 0, &s->reply_bytes) ||
        pj_number("sim", file, root, "report_bytes", 1, 0, &s->report_bytes) ||
        pj_number("sim", file, root, "connect_fail_ms", 1, 0, &s->connect_ms) ||
        pj_number("sim", file, root, "net_outlier_p", 1, 0, &s->out_p) ||
        pj_number("sim", file, root, "net_outlier_x", 1, 0, &s->out_x) ||
        get_bool(file, root, "registration_profile", &s->registration))
        goto out;
    if (req < 1 || req > 1e7 || req != floor(req)) {
        cli_error("sim", "%s: field 'requests' = %g must be an integer in [1, 10000000]", file, req);
        goto out;
    }
    s->requests = (int32_t)req;
    s->seed = (uint64_t)seed;
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(root, "phases");
    if (!cJSON_IsArray(ph) || cJSON_GetArraySize(ph) < 1) {
        cli_error("sim", "%s: missing field 'phases' (an array of {\"at\", \"rtt_ms\", \"bandwidth_bytes_per_s\", ...}, the first at 0)",
                  file);
        goto out;
    }
    s->n_ph = cJSON_GetArraySize(ph);
    s->ph = calloc((size_t)s->n_ph, sizeof(phase));
    phase prev = {0, -1, -1, 1, 1, 0, -1, 0, 0, 0};
    int32_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ph)
    {
        char where[64];
        snprintf(where, sizeof where, "%s: phases[%d]", file, (int)i);
        phase q = prev;
        double at = -1, rtt = prev.rtt_us / 1000.0, qms = prev.queue_us / 1000.0;
        bool down = prev.down;
        if (!cJSON_IsObject(e)) {
            cli_error("sim", "%s must be an object", where);
            goto out;
        }
        if (pj_number("sim", where, e, "at", 0, 0, &at) || pj_number("sim", where, e, "rtt_ms", i > 0, 0, &rtt) ||
            pj_number("sim", where, e, "bandwidth_bytes_per_s", i > 0, 1, &q.bw) ||
            pj_number("sim", where, e, "device_slowdown", 1, 0, &q.dev_slow) ||
            pj_number("sim", where, e, "edge_slowdown", 1, 0, &q.edge_slow) ||
            pj_number("sim", where, e, "edge_queue_ms", 1, 0, &qms) || get_bool(where, e, "edge_down", &down))
            goto out;
        if ((i == 0 && at != 0) || (i > 0 && at <= prev.at) || at >= s->requests || at != floor(at)) {
            cli_error("sim", "%s: 'at' = %g must be %s and below requests (%d)", where, at,
                      i == 0 ? "0 for the first phase" : "an integer above the previous phase's", (int)s->requests);
            goto out;
        }
        if (!(q.dev_slow > 0) || !(q.edge_slow > 0)) {
            cli_error("sim", "%s: device_slowdown and edge_slowdown must be > 0", where);
            goto out;
        }
        q.at = (int32_t)at;
        q.rtt_us = rtt * 1000.0;
        q.queue_us = qms * 1000.0;
        q.down = down;
        q.connect_us = s->connect_ms >= 0 ? s->connect_ms * 1000.0 : q.rtt_us;
        s->ph[i++] = q;
        prev = q;
    }
    sciot_planner_config_default(&s->cfg);
    s->cfg.seed = s->seed ^ 0x5eedull;
    s->cfg.reply_bytes = s->reply_bytes;
    if (parse_planner(file, cJSON_GetObjectItemCaseSensitive(root, "planner"), &s->cfg))
        goto out;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* Expected latency of k under a phase's true conditions. */
static double expected(const scenario *s, const phase *q, int32_t k)
{
    const pj_profile *p = &s->prof;
    double d = 0, e = 0;
    for (int32_t i = 0; i < p->n; i++) {
        if (i < k)
            d += p->device_us[i] * q->dev_slow;
        else
            e += p->edge_us[i] * q->edge_slow;
    }
    if (k == p->n)
        return d;
    if (q->down) {
        double all = 0;
        for (int32_t i = 0; i < p->n; i++)
            all += p->device_us[i] * q->dev_slow;
        return q->connect_us + all;
    }
    double tr = q->bw > 0 ? (isinf(q->bw) ? 0 : (p->cut_bytes[k] + s->reply_bytes) / q->bw * 1e6) : INFINITY;
    return d + q->rtt_us + tr + e + q->queue_us;
}

typedef struct {
    double *d, *e; /* realised per-op times */
    double rtt, tf, spike;
} draw;

static double lognormal(sciot_rng *r, double cv)
{
    if (cv <= 0)
        return 1;
    double s2 = log(1 + cv * cv);
    return exp(sqrt(s2) * sciot_rng_normal(r) - 0.5 * s2);
}

static double net_time(const scenario *s, const phase *q, const draw *w, double bytes)
{
    double tr = q->bw > 0 ? (isinf(q->bw) ? 0 : bytes / q->bw * 1e6 * w->tf) : INFINITY;
    return (w->rtt + tr) * w->spike;
}

static double realised(const scenario *s, const phase *q, const draw *w, int32_t k)
{
    int32_t n = s->prof.n;
    double t = 0;
    if (k < n && q->down) {
        for (int32_t i = 0; i < n; i++)
            t += w->d[i];
        return q->connect_us + t;
    }
    for (int32_t i = 0; i < k; i++)
        t += w->d[i];
    if (k == n)
        return t;
    for (int32_t i = k; i < n; i++)
        t += w->e[i];
    return t + net_time(s, q, w, s->prof.cut_bytes[k] + s->reply_bytes) + q->queue_us;
}

static void reprofile(sciot_planner *pl, const scenario *s, const phase *q, sciot_rng *r, uint8_t *flags, float *buf)
{
    if (q->down)
        return;
    if (!sciot_planner_take_edge_reprofile(pl, flags))
        return;
    for (int32_t i = 0; i < s->prof.n; i++)
        if (flags[i]) {
            buf[0] = (float)(s->prof.edge_us[i] * q->edge_slow * lognormal(r, s->noise_cv));
            sciot_planner_observe_edge_profile(pl, i, 1, buf, NULL);
        }
}

int cmd_sim(int argc, char **argv)
{
    const char *file = NULL, *trace = NULL;
    int json = 0, no_adaptive = 0, retest_needed = 0;
    double local_p = -1, seed_override = -1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--no-adaptive")) {
            no_adaptive = 1;
        } else if (!strcmp(argv[i], "--retest-needed")) {
            retest_needed = 1;
        } else if (!strcmp(argv[i], "--local-p") || !strcmp(argv[i], "--seed") || !strcmp(argv[i], "--trace")) {
            if (i + 1 >= argc)
                return cli_error("sim", "%s needs a value", argv[i]);
            const char *v = argv[++i];
            if (argv[i - 1][2] == 't') {
                trace = v;
                continue;
            }
            char *end;
            double x = strtod(v, &end);
            if (*end || !(x >= 0) || (argv[i - 1][2] == 'l' && x > 1))
                return cli_error("sim", "%s: '%s' is not a valid value", argv[i - 1], v);
            if (argv[i - 1][2] == 'l')
                local_p = x;
            else
                seed_override = x;
        } else if (argv[i][0] == '-') {
            return cli_error("sim", "unknown option '%s'", argv[i]);
        } else if (!file) {
            file = argv[i];
        } else {
            return cli_error("sim", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!file)
        return cli_error("sim", "missing SCENARIO (see 'sciot sim --help')");
    scenario s;
    if (parse_scenario(file, &s)) {
        pj_profile_free(&s.prof);
        free(s.ph);
        return 1;
    }
    if (seed_override >= 0) {
        s.seed = (uint64_t)seed_override;
        s.cfg.seed = s.seed ^ 0x5eedull;
    }
    if (local_p >= 0) {
        s.cfg.local_mode.enabled = true;
        s.cfg.local_mode.probability = local_p;
    }
    if (no_adaptive)
        s.cfg.adaptive_explore = false;
    if (retest_needed)
        s.cfg.retest = SCIOT_RETEST_NEEDED;
    int32_t n = s.prof.n, R = s.requests;
    for (int32_t j = 0; j < s.n_ph; j++) {
        phase *q = &s.ph[j];
        q->oracle_k = 0;
        q->oracle_exp = expected(&s, q, 0);
        for (int32_t k = 1; k <= n; k++) {
            double c = expected(&s, q, k);
            if (c < q->oracle_exp - 1e-9 * q->oracle_exp) {
                q->oracle_exp = c;
                q->oracle_k = k;
            }
        }
    }
    size_t mem_len = sciot_planner_mem_size(n, &s.cfg);
    void *mem = aligned_alloc(64, (mem_len + 63) & ~(size_t)63);
    draw w = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double)), 0, 0, 0};
    float *fd = calloc((size_t)n + 1, sizeof(float)), *fe = calloc((size_t)n + 1, sizeof(float));
    uint8_t *flags = calloc((size_t)n, 1);
    double *stat = calloc((size_t)n + 1, sizeof(double));
    uint8_t *ok = calloc((size_t)R, 1), *forced = calloc((size_t)R, 1);
    FILE *tf = trace ? fopen(trace, "w") : NULL;
    sciot_planner pl;
    sciot_error err = {0};
    int rc = 0;
    if (!mem || !w.d || !w.e || !fd || !fe || !flags || !stat || !ok || !forced) {
        rc = cli_error("sim", "out of memory");
        goto done;
    }
    if (trace && !tf) {
        rc = cli_error("sim", "%s: cannot write the trace", trace);
        goto done;
    }
    if (sciot_planner_init(&pl, &s.cfg, n, s.prof.cut_bytes, mem, mem_len, &err)) {
        rc = cli_error("sim", "%s: %s", file, err.msg);
        goto done;
    }
    if (tf)
        fprintf(tf, "request,phase,k,reason,oracle_k,planner_ms,oracle_ms,expected_ratio\n");
    sciot_rng world;
    sciot_rng_seed(&world, s.seed);
    reprofile(&pl, &s, &s.ph[0], &world, flags, fd); /* the edge profiles itself at start */
    if (s.registration) {
        /* the device registers with one measured run of its operators */
        for (int32_t i = 0; i < n; i++)
            w.d[i] = s.prof.device_us[i] * s.ph[0].dev_slow * lognormal(&world, s.noise_cv);
        sciot_planner_set_device_profile(&pl, w.d);
    }
    double sum_pl = 0, sum_or = 0, sum_dev = 0, sum_off = 0, regret = 0, probe_bytes = 0;
    int32_t probes = 0;
    int32_t acc = 0, changes = 0, forced_local = 0, explorations = 0, retests = 0, down_req = 0, down_local = 0,
            conn_fail = 0, prev_k = -1, pi = 0;
    for (int32_t r = 0; r < R; r++) {
        while (pi + 1 < s.n_ph && s.ph[pi + 1].at <= r)
            pi++;
        const phase *q = &s.ph[pi];
        for (int32_t i = 0; i < n; i++) {
            w.d[i] = s.prof.device_us[i] * q->dev_slow * lognormal(&world, s.noise_cv);
            w.e[i] = s.prof.edge_us[i] * q->edge_slow * lognormal(&world, s.noise_cv);
        }
        w.rtt = q->rtt_us * lognormal(&world, s.noise_cv);
        w.tf = lognormal(&world, s.noise_cv);
        w.spike = s.out_p > 0 && sciot_rng_uniform(&world) < s.out_p ? s.out_x : 1;
        sciot_decision d;
        sciot_planner_decide(&pl, &d);
        int32_t k = d.split, ko = q->oracle_k;
        double t_pl = realised(&s, q, &w, k), t_or = realised(&s, q, &w, ko);
        sum_pl += t_pl;
        sum_or += t_or;
        sum_dev += realised(&s, q, &w, n);
        sum_off += realised(&s, q, &w, 0);
        for (int32_t j = 0; j <= n; j++)
            stat[j] += realised(&s, q, &w, j);
        regret += (t_pl - t_or) / t_or;
        double ek = expected(&s, q, k);
        if (k == ko || ek <= 1.01 * q->oracle_exp)
            acc++;
        ok[r] = ek <= 1.05 * q->oracle_exp;
        forced[r] = d.forced;
        if (d.forced && k == n)
            forced_local++;
        explorations += d.reason == SCIOT_WHY_EXPLORE;
        retests += d.reason == SCIOT_WHY_RETEST;
        if (prev_k >= 0 && k != prev_k)
            changes++;
        prev_k = k;
        if (q->down) {
            down_req++;
            down_local++; /* by construction every request completes locally */
            conn_fail += k < n;
        }
        /* what the system observes */
        sciot_observation o = {.split = k, .edge_queue_us = q->queue_us};
        for (int32_t i = 0; i < n; i++) {
            fd[i] = (float)w.d[i];
            fe[i] = (float)w.e[i];
        }
        o.device_us = fd;
        if (q->down) {
            o.n_device = n;
            o.edge_unreachable = true;
        } else if (k < n) {
            o.n_device = k;
            o.edge_us = fe + k;
            o.has_network = true;
            o.bytes_sent = s.prof.cut_bytes[k];
            o.bytes_received = s.reply_bytes;
            o.net_us = net_time(&s, q, &w, s.prof.cut_bytes[k] + s.reply_bytes);
        } else {
            o.n_device = n;
            o.has_network = true; /* the local run's report */
            o.bytes_sent = s.report_bytes + d.probe_bytes;
            o.bytes_received = s.reply_bytes;
            o.net_us = net_time(&s, q, &w, o.bytes_sent + s.reply_bytes);
            probes += d.probe_bytes > 0;
            probe_bytes += d.probe_bytes;
        }
        if (sciot_planner_observe(&pl, &o, &err)) {
            rc = cli_error("sim", "request %d: %s", (int)r, err.msg);
            goto done;
        }
        reprofile(&pl, &s, q, &world, flags, fd);
        if (tf)
            fprintf(tf, "%d,%d,%d,%s,%d,%.4f,%.4f,%.4f\n", (int)r, (int)pi, (int)k, sciot_decision_reason_name(d.reason),
                    (int)ko, t_pl / 1000, t_or / 1000, ek / q->oracle_exp);
    }
    int32_t best_k = 0;
    for (int32_t j = 1; j <= n; j++)
        if (stat[j] < stat[best_k])
            best_k = j;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "planner_ms", sum_pl / R / 1000);
    cJSON_AddNumberToObject(out, "oracle_ms", sum_or / R / 1000);
    cJSON_AddNumberToObject(out, "device_only_ms", sum_dev / R / 1000);
    cJSON_AddNumberToObject(out, "edge_only_ms", sum_off / R / 1000);
    cJSON_AddNumberToObject(out, "best_static_ms", stat[best_k] / R / 1000);
    cJSON_AddNumberToObject(out, "best_static_k", best_k);
    cJSON_AddNumberToObject(out, "regret_pct", regret / R * 100);
    cJSON_AddNumberToObject(out, "decision_accuracy_pct", 100.0 * acc / R);
    cJSON_AddNumberToObject(out, "changes_per_100", 100.0 * changes / R);
    /* reconvergence after every phase change: requests (forced decisions not
     * counted) until the planner's k is within 5% of the oracle's expected
     * cost and stays there for RECONVERGE_STREAK non-forced requests; strict:
     * the same counting every request */
    cJSON *rec = cJSON_AddArrayToObject(out, "reconverge_requests");
    cJSON *strict = cJSON_AddArrayToObject(out, "reconverge_strict");
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t j = 1; j < s.n_ph; j++) {
            int32_t a = s.ph[j].at, b = j + 1 < s.n_ph ? s.ph[j + 1].at : R, found = -1, counted = 0;
            for (int32_t r0 = a; r0 < b && found < 0; r0++) {
                if (pass == 0 && forced[r0])
                    continue;
                int32_t streak = 0;
                for (int32_t r = r0; r < b && streak < RECONVERGE_STREAK; r++) {
                    if (pass == 0 && forced[r])
                        continue;
                    if (!ok[r])
                        break;
                    streak++;
                }
                if (streak >= RECONVERGE_STREAK)
                    found = counted;
                counted++;
            }
            cJSON_AddItemToArray(pass ? strict : rec, found >= 0 ? cJSON_CreateNumber(found) : cJSON_CreateNull());
        }
    }
    cJSON_AddNumberToObject(out, "forced_local", forced_local);
    cJSON_AddNumberToObject(out, "explorations", explorations);
    cJSON_AddNumberToObject(out, "retests", retests);
    cJSON_AddNumberToObject(out, "changes_detected", pl.n_changes_detected);
    cJSON_AddNumberToObject(out, "probes", probes);
    cJSON_AddNumberToObject(out, "probe_kb", probe_bytes / 1000);
    cJSON_AddNumberToObject(out, "edge_down_requests", down_req);
    cJSON_AddNumberToObject(out, "edge_down_local", down_local);
    cJSON_AddNumberToObject(out, "connect_failures", conn_fail);
    cJSON_AddNumberToObject(out, "requests", R);
    cJSON_AddNumberToObject(out, "seed", (double)s.seed);
    cJSON *pha = cJSON_AddArrayToObject(out, "phases");
    for (int32_t j = 0; j < s.n_ph; j++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "at", s.ph[j].at);
        cJSON_AddNumberToObject(o, "oracle_k", s.ph[j].oracle_k);
        cJSON_AddNumberToObject(o, "oracle_expected_ms", s.ph[j].oracle_exp / 1000);
        cJSON_AddItemToArray(pha, o);
    }
    if (json) {
        char *txt = cJSON_PrintUnformatted(out);
        puts(txt);
        free(txt);
    } else {
        char *txt = cJSON_Print(out);
        printf("%s: %d requests, %d operators, %d phases\n%s\n", file, (int)R, (int)n, (int)s.n_ph, txt);
        free(txt);
    }
    cJSON_Delete(out);
done:
    if (tf)
        fclose(tf);
    free(mem);
    free(w.d);
    free(w.e);
    free(fd);
    free(fe);
    free(flags);
    free(stat);
    free(ok);
    free(forced);
    free(s.ph);
    pj_profile_free(&s.prof);
    return rc;
}
