/* cmd_run.c — `sciot run MODEL INPUT... [--json]`: one local inference. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

static const char help[] =
    "usage: sciot run MODEL INPUT [INPUT2 ...] [--json]\n"
    "Runs the whole model. Each INPUT feeds the model input of the same position:\n"
    "a file whose size equals the input tensor's bytes is used as is; any other\n"
    "file is decoded as an image (PNG, JPEG, BMP, ... or raw RGB565 of H*W*2 bytes),\n"
    "converted to the input's channels, resized to its height and width, and\n"
    "quantized with its scale and zero point (pixels as values in [0, 1]).\n"
    "--json prints {\"outputs\":[{\"tensor\",\"dtype\",\"shape\",\"scale\",\"zero_point\",\n"
    "\"data\"}],\"time_us\"}.\n";

static cJSON *tensor_json(const sciot_model *m, int32_t t, const void *data)
{
    const sciot_tensor *tt = &m->tensors[t];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "tensor", t);
    cJSON_AddStringToObject(o, "dtype", sciot_dtype_name(tt->dtype));
    cJSON *shape = cJSON_AddArrayToObject(o, "shape");
    for (int32_t d = 0; d < tt->rank; d++)
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(tt->dims[d]));
    cJSON_AddNumberToObject(o, "scale", tt->scale);
    cJSON_AddNumberToObject(o, "zero_point", tt->zero_point);
    cJSON *arr = cJSON_AddArrayToObject(o, "data");
    for (size_t i = 0; i < tt->elems; i++) {
        double v;
        switch (tt->dtype) {
        case SCIOT_INT8: v = ((const int8_t *)data)[i]; break;
        case SCIOT_UINT8: v = ((const uint8_t *)data)[i]; break;
        case SCIOT_INT16: v = ((const int16_t *)data)[i]; break;
        case SCIOT_INT32: v = ((const int32_t *)data)[i]; break;
        case SCIOT_FLOAT32: v = ((const float *)data)[i]; break;
        default: v = 0; break;
        }
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v));
    }
    return o;
}

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

int cmd_run(int argc, char **argv)
{
    const char *path = NULL;
    const char *inputs[64];
    int n_inputs = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
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
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *outs = cJSON_AddArrayToObject(root, "outputs");
        for (int32_t k = 0; k < m->n_outputs; k++)
            cJSON_AddItemToArray(outs, tensor_json(m, m->outputs[k], sciot_engine_tensor(&s.engine, m->outputs[k])));
        cJSON_AddNumberToObject(root, "time_us", (double)dt);
        char *txt = cJSON_PrintUnformatted(root);
        puts(txt);
        free(txt);
        cJSON_Delete(root);
    } else {
        for (int32_t k = 0; k < m->n_outputs; k++)
            print_text(m, m->outputs[k], sciot_engine_tensor(&s.engine, m->outputs[k]));
        printf("time %llu us\n", (unsigned long long)dt);
    }
out:
    cli_close(&s);
    return rc;
}
