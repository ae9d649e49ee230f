/* planjson.c — profile parsing for `sciot plan` and `sciot sim` (see planjson.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/planjson.h"

cJSON *pj_load(const char *cmd, const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    sciot_error err = {0};
    if (sciot_read_file(path, &data, &len, &err)) {
        cli_error(cmd, "%s", err.msg);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)data, len, &end, 0);
    if (!root) {
        size_t at = end && end >= (const char *)data ? (size_t)(end - (const char *)data) : 0;
        cli_error(cmd, "%s: not valid JSON (error near byte %zu)", path, at);
    } else if (!cJSON_IsObject(root)) {
        cli_error(cmd, "%s: expected a JSON object at the top level", path);
        cJSON_Delete(root);
        root = NULL;
    }
    free(data);
    return root;
}

int pj_numbers(const char *cmd, const char *file, const cJSON *obj, const char *field, int32_t expect,
               const char *why, int missing_ok, double **out, int32_t *n)
{
    *out = NULL;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!a) {
        if (missing_ok)
            return 0;
        if (expect >= 0)
            return cli_error(cmd, "%s: missing field '%s' (an array of %d numbers%s%s)", file, field, (int)expect,
                             why ? ", " : "", why ? why : "");
        return cli_error(cmd, "%s: missing field '%s' (an array of numbers, one per operator)", file, field);
    }
    if (!cJSON_IsArray(a))
        return cli_error(cmd, "%s: field '%s' must be an array of numbers", file, field);
    int32_t len = cJSON_GetArraySize(a);
    if (expect >= 0 && len != expect)
        return cli_error(cmd, "%s: field '%s' has %d numbers, expected %d%s%s", file, field, (int)len, (int)expect,
                         why ? " " : "", why ? why : "");
    if (expect < 0 && len < 1)
        return cli_error(cmd, "%s: field '%s' is empty (expected one number per operator)", file, field);
    double *v = malloc(sizeof(double) * (size_t)(len ? len : 1));
    if (!v)
        return cli_error(cmd, "out of memory");
    int32_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || e->valuedouble < 0) {
            free(v);
            if (!cJSON_IsNumber(e))
                return cli_error(cmd, "%s: %s[%d] is not a number", file, field, (int)i);
            return cli_error(cmd, "%s: %s[%d] = %g must be >= 0", file, field, (int)i, e->valuedouble);
        }
        v[i++] = e->valuedouble;
    }
    *out = v;
    *n = len;
    return 0;
}

int pj_number(const char *cmd, const char *file, const cJSON *obj, const char *field, int missing_ok,
              int allow_inf, double *v)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!e) {
        if (missing_ok)
            return 0;
        return cli_error(cmd, "%s: missing field '%s' (a number >= 0)", file, field);
    }
    if (allow_inf && cJSON_IsString(e) && (!strcmp(e->valuestring, "inf") || !strcmp(e->valuestring, "infinity"))) {
        *v = INFINITY;
        return 0;
    }
    if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
        return cli_error(cmd, "%s: field '%s' must be a number%s", file, field, allow_inf ? " or \"inf\"" : "");
    if (e->valuedouble < 0)
        return cli_error(cmd, "%s: field '%s' = %g must be >= 0", file, field, e->valuedouble);
    *v = e->valuedouble;
    return 0;
}

int pj_objective(const char *cmd, const char *file, const cJSON *obj, pj_profile *p)
{
    p->objective = SCIOT_OBJ_LATENCY;
    p->weights = (sciot_weights){1, 0, 0};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, "objective");
    if (o) {
        if (!cJSON_IsString(o) || sciot_objective_parse(o->valuestring, &p->objective))
            return cli_error(cmd, "%s: field 'objective' must be one of \"latency\", \"energy\", \"bytes\", \"weighted\"",
                             file);
    }
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(obj, "power_w");
    if (pw) {
        if (!cJSON_IsObject(pw))
            return cli_error(cmd, "%s: field 'power_w' must be an object {\"cpu\", \"tx\", \"idle\"} in watts", file);
        if (pj_number(cmd, file, pw, "cpu", 0, 0, &p->power.cpu) || pj_number(cmd, file, pw, "tx", 0, 0, &p->power.tx) ||
            pj_number(cmd, file, pw, "idle", 0, 0, &p->power.idle))
            return 1;
        p->has_power = 1;
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(obj, "weights");
    if (w) {
        if (!cJSON_IsObject(w))
            return cli_error(cmd, "%s: field 'weights' must be an object {\"latency\", \"energy\", \"bytes\"}", file);
        p->weights = (sciot_weights){0, 0, 0};
        if (pj_number(cmd, file, w, "latency", 1, 0, &p->weights.latency) ||
            pj_number(cmd, file, w, "energy", 1, 0, &p->weights.energy) ||
            pj_number(cmd, file, w, "bytes", 1, 0, &p->weights.bytes))
            return 1;
    }
    if (p->objective == SCIOT_OBJ_WEIGHTED && !w)
        return cli_error(cmd, "%s: objective \"weighted\" needs field 'weights' {\"latency\", \"energy\", \"bytes\"}", file);
    if (!p->has_power && (p->objective == SCIOT_OBJ_ENERGY || (p->objective == SCIOT_OBJ_WEIGHTED && p->weights.energy > 0)))
        return cli_error(cmd, "%s: objective \"%s\" needs field 'power_w' {\"cpu\", \"tx\", \"idle\"} in watts", file,
                         sciot_objective_name(p->objective));
    return 0;
}

int pj_profile_parse(const char *cmd, const char *file, const cJSON *obj, int network, pj_profile *p)
{
    memset(p, 0, sizeof *p);
    p->bandwidth = INFINITY;
    int32_t n = 0, m = 0;
    char why[64];
    if (pj_numbers(cmd, file, obj, "device_us", -1, NULL, 0, &p->device_us, &n))
        return 1;
    p->n = n;
    snprintf(why, sizeof why, "(one per operator, as device_us)");
    if (pj_numbers(cmd, file, obj, "edge_us", n, why, 0, &p->edge_us, &m))
        return 1;
    snprintf(why, sizeof why, "(one per split k = 0..%d: N + 1)", (int)n);
    if (pj_numbers(cmd, file, obj, "cut_bytes", n + 1, why, 0, &p->cut_bytes, &m))
        return 1;
    if (pj_number(cmd, file, obj, "reply_bytes", 1, 0, &p->reply_bytes) ||
        pj_number(cmd, file, obj, "edge_queue_ms", 1, 0, &p->edge_queue_ms))
        return 1;
    if (network && (pj_number(cmd, file, obj, "rtt_ms", 0, 0, &p->rtt_ms) ||
                    pj_number(cmd, file, obj, "bandwidth_bytes_per_s", 0, 1, &p->bandwidth)))
        return 1;
    return pj_objective(cmd, file, obj, p);
}

void pj_profile_free(pj_profile *p)
{
    free(p->device_us);
    free(p->edge_us);
    free(p->cut_bytes);
    memset(p, 0, sizeof *p);
}
