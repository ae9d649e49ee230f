/* model_file.c — sciot_model_load_file: read + both parse passes with malloc. */
#include <stdlib.h>

#include "host/host.h"

typedef struct {
    uint8_t *file;
    void *storage;
} owned_model;

sciot_status sciot_model_load_file(sciot_model *m, const char *path, sciot_error *err)
{
    uint8_t *data = NULL;
    size_t len = 0, need = 0;
    sciot_status s;
    if (!m || !path)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "no model path");
    if ((s = sciot_read_file(path, &data, &len, err)))
        return s;
    if ((s = sciot_model_storage_size(data, len, &need, err)))
        goto fail;
    owned_model *own = malloc(sizeof *own);
    void *storage = malloc(need);
    if (!own || !storage) {
        free(own);
        free(storage);
        s = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory for %zu bytes of model tables", need);
        goto fail;
    }
    if ((s = sciot_model_parse(m, data, len, storage, need, err))) {
        free(own);
        free(storage);
        goto fail;
    }
    own->file = data;
    own->storage = storage;
    m->owned = own;
    return SCIOT_OK;
fail:
    free(data);
    sciot_error_prefix(err, path);
    return s;
}

void sciot_model_free(sciot_model *m)
{
    if (m && m->owned) {
        owned_model *own = m->owned;
        free(own->file);
        free(own->storage);
        free(own);
        m->owned = NULL;
    }
}
