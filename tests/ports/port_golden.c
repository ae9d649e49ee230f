/* port_golden.c — the golden test of a port, self-contained: the library
 * and libc only (no cJSON, stb or cmocka, which a cross sysroot lacks), so
 * that it links statically for any target (aarch64 under qemu-user: see
 * scripts/cross-aarch64.sh).
 *
 * For every model and case in $SCIOT_MODELS/index.json:
 *   - the model is parsed with the two-pass reader into malloc'd storage
 *     and run whole by the engine; int8 outputs must equal the golden bytes,
 *     float32 outputs must be within 1e-5 relative or 3e-5 absolute (as in
 *     tests/engine/test_golden.c);
 *   - the first case of every int8 model also goes through the device
 *     core at every split k in [0, N]: the device runs [0, k), encodes the frame, the transport fails
 *     (no edge), and it runs [k, N) itself; the prediction must still be the
 *     golden bytes, with the fallback recorded.
 * Prints one line per model and "N passed, N failed" at the end; exits 0
 * when all passed, 1 otherwise, 77 when the models are missing. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sciot/device.h"
#include "sciot/engine.h"
#include "sciot/model.h"
#include "sciot/wire.h"

/* ---- a small JSON reader (objects, arrays, strings, numbers, literals) -- */
typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct jnode {
    jtype t;
    char *key;          /* member name inside an object */
    char *s;            /* J_STR */
    double num;         /* J_NUM, J_BOOL */
    struct jnode *kid;  /* J_ARR, J_OBJ */
    size_t n;
} jnode;

typedef struct {
    const char *p, *end;
    int bad;
} jparser;

static void jskip(jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static char *jstring(jparser *j)
{
    if (j->p >= j->end || *j->p != '"')
        return j->bad = 1, NULL;
    j->p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\' && j->p < j->end) {
            char e = *j->p++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            if (e == 'u') { /* only names and paths matter here: non-ASCII becomes '?' */
                unsigned v = 0;
                for (int k = 0; k < 4 && j->p < j->end; k++, j->p++)
                    v = v * 16 + (unsigned)(*j->p <= '9' ? *j->p - '0' : (*j->p | 32) - 'a' + 10);
                c = v < 128 ? (char)v : '?';
            }
        }
        if (n + 2 > cap)
            s = realloc(s, cap *= 2);
        s[n++] = c;
    }
    if (j->p >= j->end)
        j->bad = 1;
    else
        j->p++;
    s[n] = 0;
    return s;
}

static void jvalue(jparser *j, jnode *v);

static void jlist(jparser *j, jnode *v, char close, int members)
{
    size_t cap = 0;
    j->p++;
    jskip(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return;
    }
    while (!j->bad) {
        if (v->n == cap)
            v->kid = realloc(v->kid, (cap = cap ? cap * 2 : 4) * sizeof *v->kid);
        jnode *k = &v->kid[v->n++];
        memset(k, 0, sizeof *k);
        jskip(j);
        if (members) {
            k->key = jstring(j);
            jskip(j);
            if (j->p >= j->end || *j->p++ != ':') {
                j->bad = 1;
                return;
            }
        }
        jvalue(j, k);
        jskip(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return;
        }
        j->bad = 1;
    }
}

static void jvalue(jparser *j, jnode *v)
{
    jskip(j);
    if (j->p >= j->end) {
        j->bad = 1;
        return;
    }
    char c = *j->p;
    if (c == '{') {
        v->t = J_OBJ;
        jlist(j, v, '}', 1);
    } else if (c == '[') {
        v->t = J_ARR;
        jlist(j, v, ']', 0);
    } else if (c == '"') {
        v->t = J_STR;
        v->s = jstring(j);
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
        v->t = J_BOOL;
        v->num = c == 't';
        j->p += c == 't' ? 4 : 5;
    } else if (!strncmp(j->p, "null", 4)) {
        v->t = J_NULL;
        j->p += 4;
    } else {
        char *e;
        v->t = J_NUM;
        v->num = strtod(j->p, &e);
        if (e == j->p)
            j->bad = 1;
        j->p = e;
    }
}

static const jnode *jget(const jnode *o, const char *key)
{
    for (size_t i = 0; o && o->t == J_OBJ && i < o->n; i++)
        if (o->kid[i].key && !strcmp(o->kid[i].key, key))
            return &o->kid[i];
    return NULL;
}

static const char *jstr(const jnode *o, const char *key)
{
    const jnode *v = jget(o, key);
    return v && v->t == J_STR ? v->s : NULL;
}

/* ---- files ---------------------------------------------------------- */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* 16-byte aligned, as the model reader wants */
    uint8_t *b = aligned_alloc(16, ((size_t)(n > 0 ? n : 1) + 15) & ~(size_t)15);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static uint8_t *read_rel(const char *dir, const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    uint8_t *b = read_file(path, len);
    if (!b)
        fprintf(stderr, "cannot read %s\n", path);
    return b;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the device platform: a clock and a transport that always fails ---- */
static uint64_t pf_now_us(void *ctx)
{
    (void)ctx;
    return (uint64_t)(now_s() * 1e6);
}

static sciot_status pf_exchange(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                                size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    (void)ctx, (void)req, (void)req_len, (void)resp, (void)resp_cap, (void)timeout_ms;
    *resp_len = 0;
    return sciot_fail(err, SCIOT_ERR_IO, "no edge in this test");
}

/* ---- checks ----------------------------------------------------------- */
static int same(int dtype, const void *got, const void *want, size_t bytes, char *why, size_t cap)
{
    if (dtype != SCIOT_FLOAT32) {
        for (size_t i = 0; i < bytes; i++)
            if (((const uint8_t *)got)[i] != ((const uint8_t *)want)[i]) {
                snprintf(why, cap, "byte %zu: got %d, want %d", i, ((const int8_t *)got)[i],
                         ((const int8_t *)want)[i]);
                return 0;
            }
        return 1;
    }
    for (size_t i = 0; i < bytes / 4; i++) {
        float g, w;
        memcpy(&g, (const uint8_t *)got + 4 * i, 4);
        memcpy(&w, (const uint8_t *)want + 4 * i, 4);
        double d = fabs((double)g - (double)w);
        if (!(d <= 3e-5 || d <= 1e-5 * fabs((double)w))) {
            snprintf(why, cap, "element %zu: got %.9g, want %.9g", i, (double)g, (double)w);
            return 0;
        }
    }
    return 1;
}

typedef struct {
    uint8_t **in, **out;
    size_t *in_len, *out_len;
} case_data;

static int outputs_match(const sciot_model *m, const void *const *got, const case_data *cd, const char *what)
{
    char why[160];
    for (int32_t k = 0; k < m->n_outputs; k++) {
        const sciot_tensor *t = &m->tensors[m->outputs[k]];
        if (cd->out_len[k] != t->bytes || !same(t->dtype, got[k], cd->out[k], t->bytes, why, sizeof why)) {
            fprintf(stderr, "  %s: output %d: %s\n", what, (int)k,
                    cd->out_len[k] != t->bytes ? "size differs from the golden file" : why);
            return 0;
        }
    }
    return 1;
}

/* The engine alone, [0, N). */
static int run_engine(const sciot_model *m, const case_data *cd, const char *what)
{
    sciot_error err = {0};
    sciot_arena_info info;
    sciot_engine e;
    if (sciot_engine_arena_size(m, 0, m->n_ops, &info, &err)) {
        fprintf(stderr, "  %s: %s\n", what, err.msg);
        return 0;
    }
    void *arena = aligned_alloc(16, (info.total_bytes + 15) & ~(size_t)15);
    int ok = 0;
    if (sciot_engine_init(&e, m, 0, m->n_ops, arena, info.total_bytes, &err) == SCIOT_OK) {
        for (int32_t k = 0; k < m->n_inputs; k++)
            memcpy(sciot_engine_tensor(&e, m->inputs[k]), cd->in[k], cd->in_len[k]);
        if (sciot_engine_run(&e, 0, m->n_ops, &err) == SCIOT_OK) {
            const void *got[16];
            for (int32_t k = 0; k < m->n_outputs && k < 16; k++)
                got[k] = sciot_engine_tensor(&e, m->outputs[k]);
            ok = outputs_match(m, got, cd, what);
        }
    }
    if (err.msg[0])
        fprintf(stderr, "  %s: %s\n", what, err.msg);
    free(arena);
    return ok;
}

/* The device core at every split, the edge unreachable. */
static int run_device_splits(const sciot_model *m, const uint8_t *file, size_t file_len, const case_data *cd,
                             const char *what)
{
    sciot_error err = {0};
    size_t arena_bytes = 0;
    if (sciot_device_arena_size(m, &arena_bytes, &err)) {
        fprintf(stderr, "  %s: %s\n", what, err.msg);
        return 0;
    }
    size_t txc = sciot_device_frame_cap(m), rxc = sciot_device_reply_cap(m);
    void *arena = aligned_alloc(16, (arena_bytes + 15) & ~(size_t)15);
    uint8_t *tx = malloc(txc), *rx = malloc(rxc);
    uint32_t *times = calloc((size_t)m->n_ops + 1, sizeof *times);
    sciot_device *d = malloc(sizeof *d);
    uint8_t sha[32];
    sciot_sha256(file, file_len, sha);
    const sciot_device_platform pf = {.now_us = pf_now_us, .exchange = pf_exchange};
    int ok = 1;
    if (sciot_device_init(d, m, sha, "aarch64-port-test", arena, arena_bytes, tx, txc, rx, rxc, times, &pf, &err)) {
        fprintf(stderr, "  %s: device init: %s\n", what, err.msg);
        ok = 0;
    }
    for (int32_t k = 0; ok && k <= m->n_ops; k++) {
        sciot_device_result r;
        for (int32_t j = 0; j < m->n_outputs; j++) /* a stale output must not pass */
            memset((void *)(uintptr_t)sciot_device_output(d, j), 0x55, m->tensors[m->outputs[j]].bytes);
        for (int32_t j = 0; j < m->n_inputs; j++)
            memcpy(sciot_device_input(d, j), cd->in[j], cd->in_len[j]);
        sciot_device_set_split(d, k);
        if (sciot_device_infer(d, &r, &err)) {
            fprintf(stderr, "  %s: k = %" PRId32 ": %s\n", what, k, err.msg);
            ok = 0;
            break;
        }
        const void *got[16];
        for (int32_t j = 0; j < m->n_outputs && j < 16; j++)
            got[j] = sciot_device_output(d, j);
        char w[600];
        snprintf(w, sizeof w, "%s device k = %" PRId32, what, k);
        ok = outputs_match(m, got, cd, w);
        int want_fallback = k < m->n_ops;
        if (ok && (r.split != k || r.fell_back != want_fallback || r.where != SCIOT_WHERE_LOCAL ||
                   r.net_status != SCIOT_ERR_IO || !r.report_pending)) {
            fprintf(stderr, "  %s: split %" PRId32 " fell_back %d where %s status %d report_pending %d\n", w, r.split,
                    r.fell_back, sciot_where_name(r.where), (int)r.net_status, r.report_pending);
            ok = 0;
        }
    }
    free(d);
    free(times);
    free(rx);
    free(tx);
    free(arena);
    return ok;
}

int main(int argc, char **argv)
{
    const char *models = getenv("SCIOT_MODELS");
    char idx[4096];
    if (!models || !*models) {
        printf("SKIP: SCIOT_MODELS is not set\n");
        return 77;
    }
    snprintf(idx, sizeof idx, "%s/index.json", models);
    size_t jlen;
    uint8_t *jtext = read_file(idx, &jlen);
    if (!jtext) {
        printf("SKIP: no %s\n", idx);
        return 77;
    }
    jparser jp = {(const char *)jtext, (const char *)jtext + jlen, 0};
    jnode root;
    memset(&root, 0, sizeof root);
    jvalue(&jp, &root);
    if (jp.bad || root.t != J_OBJ) {
        fprintf(stderr, "%s: not the JSON object expected\n", idx);
        return 1;
    }
    const char *only = argc > 1 ? argv[1] : NULL; /* optional: one model */
    int passed = 0, failed = 0;
    double t_all = now_s();
    for (size_t i = 0; i < root.n; i++) {
        const jnode *entry = &root.kid[i];
        const char *mrel = jstr(entry, "model");
        const jnode *cases = jget(entry, "cases");
        if (!mrel || !cases || cases->t != J_ARR || (only && strcmp(only, entry->key)))
            continue;
        char mdir[4096];
        snprintf(mdir, sizeof mdir, "%s/%s", models, entry->key);
        double t0 = now_s();
        size_t flen, need = 0;
        uint8_t *file = read_rel(models, mrel, &flen);
        sciot_model m;
        sciot_error err = {0};
        void *storage = NULL;
        int ok = file != NULL;
        if (ok && (sciot_model_storage_size(file, flen, &need, &err) ||
                   sciot_model_parse(&m, file, flen, storage = malloc(need ? need : 1), need, &err))) {
            fprintf(stderr, "  %s: %s\n", entry->key, err.msg);
            ok = 0;
        }
        int int8 = ok && m.tensors[m.outputs[0]].dtype == SCIOT_INT8;
        int n_cases = 0, n_ok = 0;
        for (size_t c = 0; ok && c < cases->n; c++) {
            const jnode *kase = &cases->kid[c], *ins = jget(kase, "inputs"), *outs = jget(kase, "outputs");
            char what[512];
            snprintf(what, sizeof what, "%s/%s", entry->key, jstr(kase, "case") ? jstr(kase, "case") : "?");
            if (!ins || !outs || ins->n != (size_t)m.n_inputs || outs->n != (size_t)m.n_outputs || ins->n > 16 ||
                outs->n > 16) {
                fprintf(stderr, "  %s: inputs/outputs do not match the model\n", what);
                n_cases++;
                continue;
            }
            uint8_t *in[16] = {0}, *out[16] = {0};
            size_t in_len[16] = {0}, out_len[16] = {0};
            int files_ok = 1;
            for (size_t k = 0; k < ins->n; k++) {
                const char *f = jstr(&ins->kid[k], "file");
                in[k] = f ? read_rel(mdir, f, &in_len[k]) : NULL;
                files_ok &= in[k] != NULL && in_len[k] == m.tensors[m.inputs[k]].bytes;
            }
            for (size_t k = 0; k < outs->n; k++) {
                const char *f = jstr(&outs->kid[k], "file");
                out[k] = f ? read_rel(mdir, f, &out_len[k]) : NULL;
                files_ok &= out[k] != NULL;
            }
            case_data cd = {in, out, in_len, out_len};
            int case_ok = files_ok && run_engine(&m, &cd, what);
            if (case_ok && int8 && c == 0) /* the first case of each int8 model */
                case_ok = run_device_splits(&m, file, flen, &cd, what);
            n_cases++;
            n_ok += case_ok;
            if (!case_ok)
                fprintf(stderr, "FAIL %s\n", what);
            for (size_t k = 0; k < 16; k++) {
                free(in[k]);
                free(out[k]);
            }
        }
        if (!ok)
            n_cases++;
        printf("%-40s %-7s %2d/%2d cases %s%s  %.2f s\n", entry->key, int8 ? "int8" : "float32", n_ok, n_cases,
               n_ok == n_cases ? "ok" : "FAILED", int8 ? " (engine; device core at every split)" : " (engine)",
               now_s() - t0);
        passed += n_ok;
        failed += n_cases - n_ok;
        free(storage);
        free(file);
    }
    printf("total %.1f s\n", now_s() - t_all);
    printf("%d passed, %d failed\n", passed, failed);
    return failed || !passed ? 1 : 0;
}
