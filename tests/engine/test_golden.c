/* test_golden.c — every model and case in $SCIOT_MODELS/index.json against
 * the outputs of TensorFlow Lite Micro's reference kernels: int8 byte for
 * byte, float32 within 1e-5 relative (or 3e-5 absolute). Where per-operator
 * goldens exist (ops/<case>/opNN_*.bin) every operator's output is checked
 * as it is produced (through the engine's timing hook), with the fast
 * kernels and again with the portable kernels forced. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/kernels.h"
#include "testutil.h"

static const char *models;
static cJSON *index_json;

static int close_enough(int dtype, const void *got, const void *want, size_t bytes, char *why, size_t cap)
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
    const float *g = got, *w = want;
    for (size_t i = 0; i < bytes / 4; i++) {
        double d = fabs((double)g[i] - (double)w[i]);
        if (d > 3e-5 && d > 1e-5 * fabs((double)w[i])) {
            snprintf(why, cap, "element %zu: got %.9g, want %.9g", i, (double)g[i], (double)w[i]);
            return 0;
        }
    }
    return 1;
}

typedef struct {
    const sciot_model *m;
    sciot_engine *e;
    char dir[8300];
    char *files[512];
    int n_files;
    int failures, checked;
} op_check;

static void load_op_files(op_check *c, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    c->n_files = 0;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    if (!d)
        return;
    while ((de = readdir(d)) && c->n_files < 512)
        if (!strncmp(de->d_name, "op", 2))
            c->files[c->n_files++] = strdup(de->d_name);
    closedir(d);
}

static void op_hook(void *user, int32_t op, int phase)
{
    op_check *c = user;
    if (phase != 1)
        return;
    for (int k = 0; k < c->n_files; k++) {
        if (atoi(c->files[k] + 2) != op || c->files[k][2 + (op >= 100 ? 3 : 2)] != '_')
            continue;
        size_t len;
        uint8_t *want = tu_read(c->dir, c->files[k], &len);
        int32_t t = c->m->ops[op].outputs[0];
        const sciot_tensor *tt = &c->m->tensors[t];
        char why[160];
        c->checked++;
        if (len != tt->bytes) {
            fprintf(stderr, "%s/%s: %zu bytes, tensor %d has %zu\n", c->dir, c->files[k], len, t, tt->bytes);
            c->failures++;
        } else if (!close_enough(tt->dtype, sciot_engine_tensor(c->e, t), want, len, why, sizeof why)) {
            fprintf(stderr, "%s/%s: operator %d (%s): %s\n", c->dir, c->files[k], op,
                    sciot_op_name(c->m->ops[op].code), why);
            c->failures++;
        }
        free(want);
    }
}

static int run_case(const char *name, const cJSON *entry, const cJSON *kase, int portable)
{
    char path[4096], mdir[4096];
    sciot_model m;
    sciot_engine e;
    sciot_error err = {0};
    sciot_arena_info info;
    int failures = 0;
    const char *mrel = cJSON_GetObjectItem(entry, "model")->valuestring;
    snprintf(path, sizeof path, "%s/%s", models, mrel);
    snprintf(mdir, sizeof mdir, "%s/%s", models, name);
    if (sciot_model_load_file(&m, path, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    assert_int_equal(sciot_engine_arena_size(&m, 0, m.n_ops, &info, &err), SCIOT_OK);
    void *arena = aligned_alloc(64, (info.total_bytes + 63) & ~(size_t)63);
    if (sciot_engine_init(&e, &m, 0, m.n_ops, arena, info.total_bytes, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        free(arena);
        sciot_model_free(&m);
        return 1;
    }
    const cJSON *ins = cJSON_GetObjectItem(kase, "inputs"), *outs = cJSON_GetObjectItem(kase, "outputs");
    assert_int_equal(cJSON_GetArraySize(ins), m.n_inputs);
    assert_int_equal(cJSON_GetArraySize(outs), m.n_outputs);
    for (int k = 0; k < m.n_inputs; k++) {
        size_t len;
        uint8_t *d = tu_read(mdir, cJSON_GetObjectItem(cJSON_GetArrayItem(ins, k), "file")->valuestring, &len);
        assert_int_equal(len, m.tensors[m.inputs[k]].bytes);
        memcpy(sciot_engine_tensor(&e, m.inputs[k]), d, len);
        free(d);
    }
    op_check oc = {.m = &m, .e = &e};
    const cJSON *ops_dir = cJSON_GetObjectItem(kase, "ops_dir");
    if (cJSON_IsString(ops_dir)) {
        char od[8300];
        snprintf(od, sizeof od, "%s/%s", mdir, ops_dir->valuestring);
        load_op_files(&oc, od);
        assert_int_equal(oc.n_files, m.n_ops);
        sciot_engine_set_hook(&e, op_hook, &oc);
    }
    sciot_kernels_force_portable(portable);
    sciot_status s = sciot_engine_run(&e, 0, m.n_ops, &err);
    sciot_kernels_force_portable(0);
    if (s) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        failures++;
    }
    assert_int_equal(oc.checked, oc.n_files);
    failures += oc.failures;
    for (int k = 0; k < m.n_outputs && !s; k++) {
        size_t len;
        const sciot_tensor *t = &m.tensors[m.outputs[k]];
        uint8_t *want = tu_read(mdir, cJSON_GetObjectItem(cJSON_GetArrayItem(outs, k), "file")->valuestring, &len);
        char why[160];
        if (len != t->bytes || !close_enough(t->dtype, sciot_engine_tensor(&e, m.outputs[k]), want, len, why,
                                             sizeof why)) {
            fprintf(stderr, "%s case %s output %d: %s\n", name, cJSON_GetObjectItem(kase, "case")->valuestring, k,
                    len != t->bytes ? "size differs" : why);
            failures++;
        }
        free(want);
    }
    for (int k = 0; k < oc.n_files; k++)
        free(oc.files[k]);
    free(arena);
    sciot_model_free(&m);
    return failures;
}

static void run_all(int portable, int int8_models)
{
    int cases = 0, failures = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, index_json)
    {
        int is_float = strncmp(entry->string, "sciot_fomo_float_layers", 23) == 0;
        if (is_float == int8_models)
            continue;
        const cJSON *kase;
        cJSON_ArrayForEach(kase, cJSON_GetObjectItem(entry, "cases"))
        {
            int f = run_case(entry->string, entry, kase, portable);
            if (f)
                fprintf(stderr, "FAIL %s/%s (%s kernels)\n", entry->string,
                        cJSON_GetObjectItem(kase, "case")->valuestring, portable ? "portable" : "fast");
            failures += f != 0;
            cases++;
        }
    }
    fprintf(stderr, "%d cases, %d failed (%s kernels)\n", cases, failures, portable ? "portable" : "fast");
    assert_true(cases > 0);
    assert_int_equal(failures, 0);
}

static void int8_models_fast(void **st) { (void)st; run_all(0, 1); }
static void int8_models_portable(void **st) { (void)st; run_all(1, 1); }
static void float_layers_fast(void **st) { (void)st; run_all(0, 0); }
static void float_layers_portable(void **st) { (void)st; run_all(1, 0); }

int main(void)
{
    size_t len;
    models = tu_require_models();
    char *txt = (char *)tu_read(models, "index.json", &len);
    txt = realloc(txt, len + 1);
    txt[len] = 0;
    index_json = cJSON_Parse(txt);
    free(txt);
    if (!index_json) {
        fprintf(stderr, "index.json does not parse\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(int8_models_fast),
        cmocka_unit_test(int8_models_portable),
        cmocka_unit_test(float_layers_fast),
        cmocka_unit_test(float_layers_portable),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cJSON_Delete(index_json);
    return rc;
}
