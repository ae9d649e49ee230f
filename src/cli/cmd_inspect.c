/* cmd_inspect.c — `sciot inspect MODEL [--json]`: what a model is made of
 * and what every split point costs (cut tensors, bytes, head arena). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "sciot/kernels.h"
#include "sciot/wire.h"

static const char help[] =
    "usage: sciot inspect MODEL [--input FILE]... [--json]\n"
    "Per operator: index, name, version, input/output tensors with shapes and\n"
    "dtypes, MACs. Per split point k = 0..N (k operators on the device): the cut\n"
    "tensors, their bytes raw and compressed (RLE or zero-point mask; on a pseudo-random input run\n"
    "through the model, or --input FILE), and the arena bytes the head [0, k) needs\n"
    "with the portable kernels (what a microcontroller provides). Totals, and the\n"
    "model's SHA-256 (its identity on the wire).\n";

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

/* Run the model operator by operator on the given inputs (or pseudo-random
 * ones); after operator k-1 every tensor of the cut of k is still live in the
 * whole-model plan, so encode it then: rle[k] = payload bytes with run-length
 * coding where it helps, frame[k] = the whole compressed wire frame. */
static int cut_sizes(cli_session *s, const char *const *inputs, int n_inputs, size_t *rle, size_t *frame,
                     uint8_t sha[32], sciot_error *err)
{
    const sciot_model *m = &s->model;
    sciot_wire_frame *f = calloc(1, sizeof *f);
    uint32_t *times = calloc((size_t)m->n_ops + 1, sizeof *times);
    uint8_t *buf = NULL;
    int rc = 1;
    sciot_sha256(m->file, m->file_len, sha);
    if (!f || !times) {
        sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    if (n_inputs && n_inputs != m->n_inputs) {
        sciot_fail(err, SCIOT_ERR_INVALID_ARG, "the model has %d input(s), %d --input given", m->n_inputs, n_inputs);
        goto out;
    }
    if (!n_inputs)
        cli_fill_random_inputs(s);
    for (int k = 0; k < n_inputs; k++)
        if (sciot_load_input(inputs[k], &m->tensors[m->inputs[k]], sciot_engine_tensor(&s->engine, m->inputs[k]), err))
            goto out;
    for (int32_t k = 0; k <= m->n_ops; k++) {
        if (k > 0 && sciot_engine_run(&s->engine, k - 1, k, err))
            goto out;
        int32_t cut[SCIOT_WIRE_MAX_TENSORS];
        int32_t nc = sciot_model_cut(m, k, cut, SCIOT_WIRE_MAX_TENSORS);
        memset(f, 0, sizeof *f);
        rle[k] = frame[k] = 0;
        if (nc > SCIOT_WIRE_MAX_TENSORS)
            continue; /* not sendable in one frame: reported as 0 */
        f->version = SCIOT_WIRE_VERSION;
        f->flags = SCIOT_WIRE_F_COMPRESS;
        memcpy(f->model_sha256, sha, 32);
        f->split = f->n_times = (uint32_t)k;
        f->times_in = times;
        f->n_tensors = (uint32_t)nc;
        for (int32_t j = 0; j < nc; j++) {
            f->tensors[j].index = cut[j];
            f->tensors[j].data = sciot_engine_tensor(&s->engine, cut[j]);
            f->tensors[j].raw_len = (uint32_t)m->tensors[cut[j]].bytes;
        }
        size_t cap = sciot_wire_frame_bound(f), len = 0;
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
            sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
            goto out;
        }
        buf = nb;
        if (sciot_wire_encode(f, m, buf, cap, &len, err))
            goto out;
        sciot_wire_frame g;
        if (sciot_wire_parse(buf, len, &g, err))
            goto out;
        for (uint32_t j = 0; j < g.n_tensors; j++)
            rle[k] += g.tensors[j].payload_len;
        frame[k] = len;
    }
    rc = 0;
out:
    free(f);
    free(times);
    free(buf);
    return rc;
}

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL, *inputs[64];
    int json = 0, n_inputs = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--input")) {
            if (i + 1 >= argc || n_inputs >= 64)
                return cli_error("inspect", "--input needs a file");
            inputs[n_inputs++] = argv[++i];
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
    /* head arenas as a device needs them: portable kernels, no packed weights */
    sciot_kernels_force_portable(1);
    for (int32_t k = 0; k <= n; k++) {
        if (sciot_engine_arena_size(m, 0, k, &heads[k], &err)) {
            sciot_kernels_force_portable(0);
            free(cut);
            free(heads);
            cli_close(&s);
            return cli_error("inspect", "%s: %s", path, err.msg);
        }
    }
    sciot_kernels_force_portable(0);
    size_t *rle = calloc((size_t)n + 1, sizeof *rle), *frame = calloc((size_t)n + 1, sizeof *frame);
    uint8_t sha[32];
    int rc = rle && frame ? cut_sizes(&s, inputs, n_inputs, rle, frame, sha, &err) : -1;
    if (rc) {
        free(cut);
        free(heads);
        free(rle);
        free(frame);
        cli_close(&s);
        return rc < 0 ? cli_error("inspect", "out of memory") : cli_error("inspect", "%s", err.msg);
    }
    char sha_hex[65];
    for (int j = 0; j < 32; j++)
        snprintf(sha_hex + 2 * j, 3, "%02x", sha[j]);
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
        cJSON_AddStringToObject(root, "sha256", sha_hex);
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
            cJSON_AddNumberToObject(js, "cut_bytes_compressed", (double)rle[k]);
            cJSON_AddNumberToObject(js, "frame_bytes", (double)frame[k]);
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
        printf("%s: %d operators, %d tensors, %.2f M MACs, %zu weight bytes\nsha256 %s\n", path, n,
               m->n_tensors, (double)macs / 1e6, weights, sha_hex);
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
        printf("\n%4s  %-28s %10s %10s %10s %12s\n", "k", "cut tensors", "cut bytes", "compressed", "frame",
               "head arena");
        for (int32_t k = 0; k <= n; k++) {
            int32_t c = sciot_model_cut(m, k, cut, m->n_tensors + 1);
            char cs[64] = "";
            size_t at = 0;
            for (int32_t j = 0; j < c && at < sizeof cs; j++)
                at += (size_t)snprintf(cs + at, sizeof cs - at, j ? ",%d" : "%d", cut[j]);
            printf("%4d  %-28s %10zu %10zu %10zu %12zu\n", k, cs, sciot_model_cut_bytes(m, k), rle[k], frame[k],
                   heads[k].total_bytes);
        }
        printf("\narena: %zu bytes (activations %zu, naive sum of tensors %zu)\n", heads[n].total_bytes,
               heads[n].tensor_bytes, heads[n].naive_bytes);
    }
    free(cut);
    free(heads);
    free(rle);
    free(frame);
    cli_close(&s);
    return 0;
}
