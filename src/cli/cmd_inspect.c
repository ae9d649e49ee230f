/* cmd_inspect.c — `sciot inspect MODEL [--json]`: what a model is made of
 * and what every split point costs (cut tensors, bytes, head arena). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

static const char help[] =
    "usage: sciot inspect MODEL [--json]\n"
    "Per operator: index, name, version, input/output tensors with shapes and\n"
    "dtypes, MACs. Per split point k = 0..N (k operators on the device): the cut\n"
    "tensors, their bytes and the arena bytes the head [0, k) needs. Totals.\n";

static cJSON *int_array(const int32_t *v, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* "inputs": [indices], "input_shapes": [[dims]], "input_dtypes": [names] */
static void add_tensor_lists(cJSON *o, const sciot_model *m, const int32_t *idx, int32_t n, const char *what)
{
    char key[32], k_shapes[32], k_dtypes[32];
    snprintf(key, sizeof key, "%ss", what);
    snprintf(k_shapes, sizeof k_shapes, "%s_shapes", what);
    snprintf(k_dtypes, sizeof k_dtypes, "%s_dtypes", what);
    cJSON *shapes = cJSON_CreateArray(), *dtypes = cJSON_CreateArray();
    for (int32_t k = 0; k < n; k++) {
        if (idx[k] < 0) {
            cJSON_AddItemToArray(shapes, cJSON_CreateNull());
            cJSON_AddItemToArray(dtypes, cJSON_CreateNull());
            continue;
        }
        const sciot_tensor *t = &m->tensors[idx[k]];
        cJSON_AddItemToArray(shapes, int_array(t->dims, t->rank));
        cJSON_AddItemToArray(dtypes, cJSON_CreateString(sciot_dtype_name(t->dtype)));
    }
    cJSON_AddItemToObject(o, key, int_array(idx, n));
    cJSON_AddItemToObject(o, k_shapes, shapes);
    cJSON_AddItemToObject(o, k_dtypes, dtypes);
}

static void fmt_shape(char *buf, size_t cap, const sciot_tensor *t)
{
    size_t at = 0;
    at += (size_t)snprintf(buf + at, cap - at, "[");
    for (int32_t d = 0; d < t->rank && at < cap; d++)
        at += (size_t)snprintf(buf + at, cap - at, d ? ",%d" : "%d", t->dims[d]);
    if (at < cap)
        snprintf(buf + at, cap - at, "]");
}

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-') {
            return cli_error("inspect", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("inspect", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!path)
        return cli_error("inspect", "missing MODEL (see 'sciot inspect --help')");

    cli_session s;
    if (cli_open("inspect", path, &s))
        return 1;
    const sciot_model *m = &s.model;
    sciot_error err = {0};
    int32_t n = m->n_ops;
    int32_t *cut = malloc(sizeof(int32_t) * (size_t)(m->n_tensors + 1));
    sciot_arena_info *heads = calloc((size_t)n + 1, sizeof *heads);
    if (!cut || !heads) {
        free(cut);
        free(heads);
        cli_close(&s);
        return cli_error("inspect", "out of memory");
    }
    for (int32_t k = 0; k <= n; k++) {
        if (sciot_engine_arena_size(m, 0, k, &heads[k], &err)) {
            free(cut);
            free(heads);
            cli_close(&s);
            return cli_error("inspect", "%s: %s", path, err.msg);
        }
    }
    uint64_t macs = 0;
    size_t weights = 0;
    for (int32_t i = 0; i < n; i++)
        macs += m->ops[i].macs;
    for (int32_t t = 0; t < m->n_tensors; t++)
        if (m->tensors[t].is_const)
            weights += m->tensors[t].bytes;

    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "model", path);
        cJSON_AddNumberToObject(root, "file_bytes", (double)m->file_len);
        cJSON_AddItemToObject(root, "inputs", int_array(m->inputs, m->n_inputs));
        cJSON_AddItemToObject(root, "outputs", int_array(m->outputs, m->n_outputs));
        cJSON *ops = cJSON_AddArrayToObject(root, "operators");
        for (int32_t i = 0; i < n; i++) {
            const sciot_op *o = &m->ops[i];
            cJSON *jo = cJSON_CreateObject();
            cJSON_AddNumberToObject(jo, "index", i);
            cJSON_AddStringToObject(jo, "name", sciot_op_name(o->code));
            cJSON_AddNumberToObject(jo, "version", o->version);
            add_tensor_lists(jo, m, o->inputs, o->n_inputs, "input");
            add_tensor_lists(jo, m, o->outputs, o->n_outputs, "output");
            cJSON_AddNumberToObject(jo, "macs", (double)o->macs);
            cJSON_AddItemToArray(ops, jo);
        }
        cJSON *splits = cJSON_AddArrayToObject(root, "splits");
        for (int32_t k = 0; k <= n; k++) {
            int32_t c = sciot_model_cut(m, k, cut, m->n_tensors + 1);
            cJSON *js = cJSON_CreateObject();
            cJSON_AddNumberToObject(js, "k", k);
            cJSON_AddItemToObject(js, "cut", int_array(cut, c));
            cJSON_AddNumberToObject(js, "cut_bytes", (double)sciot_model_cut_bytes(m, k));
            cJSON_AddNumberToObject(js, "head_arena_bytes", (double)heads[k].total_bytes);
            cJSON_AddNumberToObject(js, "head_tensor_bytes", (double)heads[k].tensor_bytes);
            cJSON_AddItemToArray(splits, js);
        }
        cJSON *tot = cJSON_AddObjectToObject(root, "totals");
        cJSON_AddNumberToObject(tot, "operators", n);
        cJSON_AddNumberToObject(tot, "tensors", m->n_tensors);
        cJSON_AddNumberToObject(tot, "macs", (double)macs);
        cJSON_AddNumberToObject(tot, "weight_bytes", (double)weights);
        cJSON_AddNumberToObject(tot, "arena_bytes", (double)heads[n].total_bytes);
        cJSON_AddNumberToObject(tot, "tensor_arena_bytes", (double)heads[n].tensor_bytes);
        cJSON_AddNumberToObject(tot, "naive_tensor_bytes", (double)heads[n].naive_bytes);
        char *txt = cJSON_PrintUnformatted(root);
        puts(txt);
        free(txt);
        cJSON_Delete(root);
    } else {
        printf("%s: %d operators, %d tensors, %.2f M MACs, %zu weight bytes\n", path, n, m->n_tensors,
               (double)macs / 1e6, weights);
        printf("%4s  %-18s %3s  %-24s %-24s %-6s %12s\n", "op", "name", "v", "inputs", "output", "dtype", "MACs");
        for (int32_t i = 0; i < n; i++) {
            const sciot_op *o = &m->ops[i];
            char ins[64] = "", sh[48];
            size_t at = 0;
            for (int32_t k = 0; k < o->n_inputs && at < sizeof ins; k++)
                at += (size_t)snprintf(ins + at, sizeof ins - at, k ? ",%d" : "%d", o->inputs[k]);
            const sciot_tensor *t = &m->tensors[o->outputs[0]];
            fmt_shape(sh, sizeof sh, t);
            char outs[64];
            snprintf(outs, sizeof outs, "%d %s", o->outputs[0], sh);
            printf("%4d  %-18s %3d  %-24s %-24s %-6s %12llu\n", i, sciot_op_name(o->code), o->version, ins, outs,
                   sciot_dtype_name(t->dtype), (unsigned long long)o->macs);
        }
        printf("\n%4s  %-28s %10s %12s\n", "k", "cut tensors", "cut bytes", "head arena");
        for (int32_t k = 0; k <= n; k++) {
            int32_t c = sciot_model_cut(m, k, cut, m->n_tensors + 1);
            char cs[64] = "";
            size_t at = 0;
            for (int32_t j = 0; j < c && at < sizeof cs; j++)
                at += (size_t)snprintf(cs + at, sizeof cs - at, j ? ",%d" : "%d", cut[j]);
            printf("%4d  %-28s %10zu %12zu\n", k, cs, sciot_model_cut_bytes(m, k), heads[k].total_bytes);
        }
        printf("\narena: %zu bytes (activations %zu, naive sum of tensors %zu)\n", heads[n].total_bytes,
               heads[n].tensor_bytes, heads[n].naive_bytes);
    }
    free(cut);
    free(heads);
    cli_close(&s);
    return 0;
}
