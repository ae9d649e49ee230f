/* cmd_bench.c — `sciot bench MODEL [--runs N] [--json] [--portable]`:
 * per-operator median time over N runs on a deterministic random input. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "sciot/kernels.h"

static const char help[] =
    "usage: sciot bench MODEL [--runs N] [--warmup W] [--portable] [--json]\n"
    "Runs the whole model N times (default 50, after W=5 warm-up runs) on a\n"
    "fixed pseudo-random input and reports, per operator, the median\n"
    "microseconds and MACs per second, and the median whole-model time.\n"
    "--portable forces the portable C kernels (no SIMD fast path).\n";

typedef struct {
    uint64_t *t;      /* [runs][n_ops] */
    uint64_t start;
    int32_t n_ops;
    int run;
} bench_clock;

static void hook(void *user, int32_t op, int phase)
{
    bench_clock *c = user;
    uint64_t now = sciot_now_us();
    if (phase == 0)
        c->start = now;
    else if (c->run >= 0)
        c->t[(size_t)c->run * (size_t)c->n_ops + (size_t)op] = now - c->start;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return n % 2 ? (double)v[n / 2] : 0.5 * (double)(v[n / 2 - 1] + v[n / 2]);
}

int cmd_bench(int argc, char **argv)
{
    const char *path = NULL;
    long runs = 50, warmup = 5;
    int json = 0, portable = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--portable")) {
            portable = 1;
        } else if (!strcmp(argv[i], "--runs") || !strcmp(argv[i], "--warmup")) {
            long v = i + 1 < argc ? cli_parse_long(argv[i + 1]) : -1;
            if (v < 0 || v > 1000000 || (argv[i][2] == 'r' && v < 1))
                return cli_error("bench", "%s needs a positive number", argv[i]);
            if (argv[i][2] == 'r')
                runs = v;
            else
                warmup = v;
            i++;
        } else if (argv[i][0] == '-') {
            return cli_error("bench", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("bench", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path)
        return cli_error("bench", "missing MODEL (see 'sciot bench --help')");
    cli_session s;
    if (cli_open("bench", path, &s))
        return 1;
    sciot_kernels_force_portable(portable);
    const sciot_model *m = &s.model;
    int32_t n = m->n_ops;
    bench_clock c = {calloc((size_t)runs * (size_t)(n ? n : 1), sizeof(uint64_t)), 0, n, -1};
    uint64_t *total = calloc((size_t)runs, sizeof(uint64_t));
    uint64_t *col = calloc((size_t)runs, sizeof(uint64_t));
    sciot_error err = {0};
    int rc = 0;
    if (!c.t || !total || !col) {
        rc = cli_error("bench", "out of memory");
        goto out;
    }
    cli_fill_random_inputs(&s);
    sciot_engine_set_hook(&s.engine, hook, &c);
    for (long r = -warmup; r < runs; r++) {
        c.run = (int)(r < 0 ? -1 : r);
        uint64_t t0 = sciot_now_us();
        if (sciot_engine_run(&s.engine, 0, n, &err)) {
            rc = cli_error("bench", "%s: %s", path, err.msg);
            goto out;
        }
        if (r >= 0)
            total[r] = sciot_now_us() - t0;
    }
    double med_total = median(total, (size_t)runs);
    uint64_t macs = 0;
    for (int32_t i = 0; i < n; i++)
        macs += m->ops[i].macs;
    cJSON *root = cJSON_CreateObject(), *ops = cJSON_AddArrayToObject(root, "operators");
    if (!json)
        printf("%4s  %-18s %10s %12s %10s\n", "op", "name", "median us", "MACs", "GMAC/s");
    for (int32_t i = 0; i < n; i++) {
        for (long r = 0; r < runs; r++)
            col[r] = c.t[(size_t)r * (size_t)n + (size_t)i];
        double med = median(col, (size_t)runs);
        double gmacs = med > 0 ? (double)m->ops[i].macs / med / 1e3 : 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", i);
        cJSON_AddStringToObject(o, "name", sciot_op_name(m->ops[i].code));
        cJSON_AddNumberToObject(o, "median_us", med);
        cJSON_AddNumberToObject(o, "macs", (double)m->ops[i].macs);
        cJSON_AddNumberToObject(o, "macs_per_s", med > 0 ? (double)m->ops[i].macs / med * 1e6 : 0);
        cJSON_AddItemToArray(ops, o);
        if (!json)
            printf("%4d  %-18s %10.1f %12llu %10.2f\n", i, sciot_op_name(m->ops[i].code), med,
                   (unsigned long long)m->ops[i].macs, gmacs);
    }
    cJSON_AddNumberToObject(root, "runs", (double)runs);
    cJSON_AddStringToObject(root, "kernels", portable ? "portable" : sciot_kernels_fast_path());
    cJSON_AddNumberToObject(root, "total_median_us", med_total);
    cJSON_AddNumberToObject(root, "macs", (double)macs);
    cJSON_AddNumberToObject(root, "macs_per_s", med_total > 0 ? (double)macs / med_total * 1e6 : 0);
    if (json) {
        char *txt = cJSON_PrintUnformatted(root);
        puts(txt);
        free(txt);
    } else {
        printf("total: median %.1f us over %ld runs, %.2f GMAC/s (kernels: %s)\n", med_total, runs,
               med_total > 0 ? (double)macs / med_total / 1e3 : 0.0,
               portable ? "portable" : sciot_kernels_fast_path());
    }
    cJSON_Delete(root);
out:
    free(c.t);
    free(total);
    free(col);
    cli_close(&s);
    return rc;
}
