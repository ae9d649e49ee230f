/* cmd_run.c — `sciot run MODEL INPUT... [--json]`: one local inference. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "sciot/wire.h"

static const char help[] =
    "usage: sciot run MODEL INPUT [INPUT2 ...] [--json]\n"
    "Runs the whole model. Each INPUT feeds the model input of the same position:\n"
    "a file whose size equals the input tensor's bytes is used as is; any other\n"
    "file is decoded as an image (PNG, JPEG, BMP, ... or raw RGB565 of H*W*2 bytes),\n"
    "converted to the input's channels, resized to its height and width, and\n"
    "quantized with its scale and zero point (pixels as values in [0, 1]).\n"
    "--json prints {\"outputs\":[{\"tensor\",\"dtype\",\"shape\",\"scale\",\"zero_point\",\n"
    "\"data\"}],\"time_us\"}.\n"
    "\n"
    "--split K      run operators [0, K) as the device would, encode the cut into a\n"
    "               wire frame, decode it as the edge would, run [K, N) from the\n"
    "               decoded tensors; JSON adds \"split\":K,\"frame_bytes\":B.\n"
    "--split all    do that for every K = 0..N and fail if any output differs\n"
    "               from the whole-model run.\n"
    "--no-compress  send raw payloads (default: run-length coded when smaller).\n";


static void print_text(const sciot_model *m, int32_t t, const void *data)
{
    const sciot_tensor *tt = &m->tensors[t];
    printf("output tensor %d '%s' %s [", t, tt->name, sciot_dtype_name(tt->dtype));
    for (int32_t d = 0; d < tt->rank; d++)
        printf(d ? ",%d" : "%d", tt->dims[d]);
    printf("]:");
    size_t best = 0;
    double bestv = -1e300;
    for (size_t i = 0; i < tt->elems; i++) {
        double v = tt->dtype == SCIOT_FLOAT32 ? ((const float *)data)[i] : ((const int8_t *)data)[i];
        if (v > bestv) {
            bestv = v;
            best = i;
        }
        if (i < 32)
            printf(tt->dtype == SCIOT_FLOAT32 ? " %g" : " %.0f", v);
    }
    if (tt->elems > 32)
        printf(" ... (%zu values)", tt->elems);
    printf("\n  argmax %zu\n", best);
}


/* An engine planned for [a, b) with its own arena. */
typedef struct {
    sciot_engine e;
    void *arena;
} side;

static int side_open(const sciot_model *m, int32_t a, int32_t b, side *sd, sciot_error *err)
{
    sciot_arena_info info;
    sd->arena = NULL;
    if (sciot_engine_arena_size(m, a, b, &info, err))
        return 1;
    sd->arena = aligned_alloc(64, (info.total_bytes + 63) & ~(size_t)63);
    if (!sd->arena) {
        sciot_fail(err, SCIOT_ERR_NO_MEMORY, "no memory for a %zu-byte arena", info.total_bytes);
        return 1;
    }
    return sciot_engine_init(&sd->e, m, a, b, sd->arena, info.total_bytes, err) != SCIOT_OK;
}

typedef struct {
    uint64_t start;
    uint32_t *times;
} op_timer;

static void time_hook(void *user, int32_t op, int phase)
{
    op_timer *t = user;
    uint64_t now = sciot_now_us();
    if (phase == 0)
        t->start = now;
    else
        t->times[op] = (uint32_t)(now - t->start);
}

/* Device head [0, k) -> frame -> edge tail [k, N). On success the tail
 * engine in `tail` holds the outputs; *frame_bytes is the encoded size. */
static int split_once(const sciot_model *m, const uint8_t sha[32], const char *const *inputs, int32_t k,
                      int compress, side *tail, size_t *frame_bytes, uint64_t *time_us, sciot_error *err)
{
    side head = {0};
    uint8_t *buf = NULL;
    uint32_t *times = calloc((size_t)m->n_ops + 1, sizeof *times);
    sciot_wire_frame *f = calloc(1, sizeof *f), *g = calloc(1, sizeof *g);
    int32_t cut[SCIOT_WIRE_MAX_TENSORS];
    int rc = 1;
    tail->arena = NULL;
    if (!times || !f || !g) {
        sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    if (side_open(m, 0, k, &head, err) || side_open(m, k, m->n_ops, tail, err))
        goto out;
    for (int32_t i = 0; i < m->n_inputs; i++)
        if (sciot_load_input(inputs[i], &m->tensors[m->inputs[i]], sciot_engine_tensor(&head.e, m->inputs[i]), err))
            goto out;
    uint64_t t0 = sciot_now_us();
    op_timer timer = {0, times};
    sciot_engine_set_hook(&head.e, time_hook, &timer);
    if (sciot_engine_run(&head.e, 0, k, err))
        goto out;
    int32_t n_cut = sciot_model_cut(m, k, cut, SCIOT_WIRE_MAX_TENSORS);
    if (n_cut > SCIOT_WIRE_MAX_TENSORS) {
        sciot_fail(err, SCIOT_ERR_LENGTH, "split %d: the cut has %d tensors, a frame carries at most %d", k, n_cut,
                   SCIOT_WIRE_MAX_TENSORS);
        goto out;
    }
    f->version = SCIOT_WIRE_VERSION;
    f->flags = compress ? SCIOT_WIRE_F_COMPRESS : 0;
    f->request_id = 1;
    f->device_id_len = (uint8_t)snprintf(f->device_id, sizeof f->device_id, "sciot-run");
    memcpy(f->model_sha256, sha, 32);
    f->split = (uint32_t)k;
    f->n_times = (uint32_t)k;
    f->times_in = times;
    f->n_tensors = (uint32_t)n_cut;
    for (int32_t j = 0; j < n_cut; j++) {
        f->tensors[j].index = cut[j];
        f->tensors[j].data = sciot_engine_tensor(&head.e, cut[j]);
        f->tensors[j].raw_len = (uint32_t)m->tensors[cut[j]].bytes;
    }
    size_t cap = sciot_wire_frame_bound(f), len = 0;
    buf = malloc(cap);
    if (!buf) {
        sciot_fail(err, SCIOT_ERR_NO_MEMORY, "no memory for a %zu-byte frame", cap);
        goto out;
    }
    if (sciot_wire_encode(f, m, buf, cap, &len, err))
        goto out;
    /* the edge's side: only the bytes cross over */
    if (sciot_wire_decode(buf, len, m, sha, g, err))
        goto out;
    for (uint32_t j = 0; j < g->n_tensors; j++) {
        const sciot_wire_tensor *t = &g->tensors[j];
        if (sciot_wire_tensor_read(t, sciot_engine_tensor(&tail->e, t->index), m->tensors[t->index].bytes, err))
            goto out;
    }
    if (sciot_engine_run(&tail->e, k, m->n_ops, err))
        goto out;
    *time_us = sciot_now_us() - t0;
    *frame_bytes = len;
    rc = 0;
out:
    free(head.arena);
    free(buf);
    free(times);
    free(f);
    free(g);
    return rc;
}

static int outputs_equal(const sciot_model *m, const sciot_engine *a, const sciot_engine *b)
{
    for (int32_t k = 0; k < m->n_outputs; k++) {
        int32_t t = m->outputs[k];
        if (memcmp(sciot_engine_tensor(a, t), sciot_engine_tensor(b, t), m->tensors[t].bytes) != 0)
            return 0;
    }
    return 1;
}

static void print_outputs(const sciot_model *m, const sciot_engine *e, int json, uint64_t dt, int32_t split,
                          size_t frame_bytes)
{
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *outs = cJSON_AddArrayToObject(root, "outputs");
        for (int32_t k = 0; k < m->n_outputs; k++)
            cJSON_AddItemToArray(outs, sciot_tensor_json(m, m->outputs[k], sciot_engine_tensor(e, m->outputs[k])));
        cJSON_AddNumberToObject(root, "time_us", (double)dt);
        if (split >= 0) {
            cJSON_AddNumberToObject(root, "split", split);
            cJSON_AddNumberToObject(root, "frame_bytes", (double)frame_bytes);
        }
        char *txt = cJSON_PrintUnformatted(root);
        puts(txt);
        free(txt);
        cJSON_Delete(root);
    } else {
        for (int32_t k = 0; k < m->n_outputs; k++)
            print_text(m, m->outputs[k], sciot_engine_tensor(e, m->outputs[k]));
        if (split >= 0)
            printf("split %d, frame %zu bytes\n", split, frame_bytes);
        printf("time %llu us\n", (unsigned long long)dt);
    }
}

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *split_arg = NULL;
    const char *inputs[64];
    int n_inputs = 0, json = 0, compress = 1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--no-compress")) {
            compress = 0;
        } else if (!strcmp(argv[i], "--split")) {
            if (i + 1 >= argc)
                return cli_error("run", "--split needs K or 'all'");
            split_arg = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("run", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else if (n_inputs < 64) {
            inputs[n_inputs++] = argv[i];
        } else {
            return cli_error("run", "too many inputs");
        }
    }
    if (!path || n_inputs == 0)
        return cli_error("run", "missing MODEL or INPUT (see 'sciot run --help')");
    cli_session s;
    if (cli_open("run", path, &s))
        return 1;
    const sciot_model *m = &s.model;
    sciot_error err = {0};
    int rc = 0;
    long split = -2; /* -2: none, -1: all */
    if (split_arg) {
        split = !strcmp(split_arg, "all") ? -1 : cli_parse_long(split_arg);
        if (split < -1 || split > m->n_ops) {
            rc = cli_error("run", "--split '%s': expected 0..%d or 'all'", split_arg, m->n_ops);
            goto out;
        }
    }
    if (n_inputs != m->n_inputs) {
        rc = cli_error("run", "%s has %d input(s), %d given", path, m->n_inputs, n_inputs);
        goto out;
    }
    for (int k = 0; k < n_inputs; k++) {
        int32_t t = m->inputs[k];
        if (sciot_load_input(inputs[k], &m->tensors[t], sciot_engine_tensor(&s.engine, t), &err)) {
            rc = cli_error("run", "%s", err.msg);
            goto out;
        }
    }
    uint64_t t0 = sciot_now_us();
    if (sciot_engine_run(&s.engine, 0, m->n_ops, &err)) {
        rc = cli_error("run", "%s: %s", path, err.msg);
        goto out;
    }
    uint64_t dt = sciot_now_us() - t0;
    if (split == -2) {
        print_outputs(m, &s.engine, json, dt, -1, 0);
        goto out;
    }
    uint8_t sha[32];
    sciot_sha256(m->file, m->file_len, sha);
    int32_t k0 = split < 0 ? 0 : (int32_t)split, k1 = split < 0 ? m->n_ops : (int32_t)split;
    cJSON *all = split < 0 && json ? cJSON_CreateArray() : NULL;
    int mismatches = 0;
    for (int32_t k = k0; k <= k1; k++) {
        side tail;
        size_t frame_bytes = 0;
        uint64_t us = 0;
        if (split_once(m, sha, inputs, k, compress, &tail, &frame_bytes, &us, &err)) {
            free(tail.arena);
            cJSON_Delete(all);
            rc = cli_error("run", "%s: split %d: %s", path, k, err.msg);
            goto out;
        }
        int same = outputs_equal(m, &s.engine, &tail.e);
        mismatches += !same;
        if (split >= 0) {
            print_outputs(m, &tail.e, json, us, k, frame_bytes);
        } else if (all) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "split", k);
            cJSON_AddNumberToObject(o, "frame_bytes", (double)frame_bytes);
            cJSON_AddNumberToObject(o, "cut_bytes", (double)sciot_model_cut_bytes(m, k));
            cJSON_AddBoolToObject(o, "match", same);
            cJSON_AddNumberToObject(o, "time_us", (double)us);
            cJSON_AddItemToArray(all, o);
        } else {
            printf("split %3d: cut %7zu bytes, frame %7zu bytes, output %s\n", k, sciot_model_cut_bytes(m, k),
                   frame_bytes, same ? "identical" : "DIFFERS");
        }
        free(tail.arena);
    }
    if (split < 0) {
        if (all) {
            cJSON *root = cJSON_CreateObject();
            cJSON *outs = cJSON_AddArrayToObject(root, "outputs");
            for (int32_t k = 0; k < m->n_outputs; k++)
                cJSON_AddItemToArray(outs,
                                     sciot_tensor_json(m, m->outputs[k], sciot_engine_tensor(&s.engine, m->outputs[k])));
            cJSON_AddNumberToObject(root, "time_us", (double)dt);
            cJSON_AddItemToObject(root, "splits", all);
            cJSON_AddBoolToObject(root, "all_match", mismatches == 0);
            char *txt = cJSON_PrintUnformatted(root);
            puts(txt);
            free(txt);
            cJSON_Delete(root);
        } else {
            printf("%d split points, %d differ from the whole-model run\n", m->n_ops + 1, mismatches);
        }
        if (mismatches)
            rc = cli_error("run", "%s: %d split point(s) give a different output than the whole model", path,
                           mismatches);
    }
out:
    cli_close(&s);
    return rc;
}
