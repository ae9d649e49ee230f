/* tensor_json.c — one tensor as JSON, for the CLI and the edge's answers;
 * deterministic noise inputs for benchmarks and demos. */
#include <cjson/cJSON.h>

#include "host/host.h"

cJSON *sciot_tensor_json(const sciot_model *m, int32_t t, const void *data)
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
    for (size_t i = 0; data && i < tt->elems; i++) {
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

void sciot_fill_random(const sciot_tensor *t, void *dst, uint32_t *state)
{
    uint8_t *p = dst;
    uint32_t x = *state ? *state : 1u;
    for (size_t b = 0; b < t->bytes; b++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[b] = (uint8_t)(x >> 24);
    }
    if (t->dtype == SCIOT_FLOAT32)
        for (size_t e = 0; e < t->elems; e++)
            ((float *)p)[e] = (float)(p[4 * e] & 0xff) / 255.0f;
    *state = x;
}
