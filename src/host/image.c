/* image.c — turn an input file into a model input tensor.
 *
 * A file whose size equals the tensor's bytes is copied as is (raw tensor).
 * Otherwise it is decoded with stb_image (PNG, JPEG, BMP, GIF, PGM/PPM, ...)
 * or, when its size is H*W*2 for the tensor's H x W, read as raw RGB565
 * (big-endian pixel words, as ESP32 cameras deliver them). The image is
 * converted to the tensor's channel count (1: luminance, 3: RGB), resized
 * to H x W with stb_image_resize, and quantized as pixel/255 in [0,1]:
 * int8 q = clamp(round(v / scale) + zero_point); float32 gets v itself. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_resize.h>

#include "host/host.h"

static int tensor_hwc(const sciot_tensor *t, int *h, int *w, int *c)
{
    if (t->rank == 4 && t->dims[0] == 1) {
        *h = t->dims[1];
        *w = t->dims[2];
        *c = t->dims[3];
    } else if (t->rank == 3) {
        *h = t->dims[0];
        *w = t->dims[1];
        *c = t->dims[2];
    } else {
        return 0;
    }
    return *h > 0 && *w > 0 && (*c == 1 || *c == 3);
}

static unsigned char *rgb565_decode(const uint8_t *p, int w, int h, int c)
{
    unsigned char *out = malloc((size_t)w * h * (size_t)c);
    if (!out)
        return NULL;
    for (int i = 0; i < w * h; i++) {
        unsigned v = ((unsigned)p[2 * i] << 8) | p[2 * i + 1];
        unsigned r = ((v >> 11) & 31) * 255 / 31, g = ((v >> 5) & 63) * 255 / 63, b = (v & 31) * 255 / 31;
        if (c == 3) {
            out[3 * i] = (unsigned char)r;
            out[3 * i + 1] = (unsigned char)g;
            out[3 * i + 2] = (unsigned char)b;
        } else {
            out[i] = (unsigned char)((299 * r + 587 * g + 114 * b + 500) / 1000);
        }
    }
    return out;
}

sciot_status sciot_load_input(const char *path, const sciot_tensor *t, void *dst, sciot_error *err)
{
    uint8_t *data;
    size_t len;
    sciot_status s = sciot_read_file(path, &data, &len, err);
    if (s)
        return s;
    if (len == t->bytes) {
        memcpy(dst, data, len);
        free(data);
        return SCIOT_OK;
    }
    int th, tw, tc;
    if (!tensor_hwc(t, &th, &tw, &tc)) {
        free(data);
        return sciot_fail(err, SCIOT_ERR_SHAPE,
                          "%s: %zu bytes is not the input's %zu bytes, and input '%s' is not an image "
                          "tensor (NHWC with 1 or 3 channels)",
                          path, len, t->bytes, t->name);
    }
    if (t->dtype != SCIOT_INT8 && t->dtype != SCIOT_FLOAT32) {
        free(data);
        return sciot_fail(err, SCIOT_ERR_UNSUPPORTED_DTYPE, "%s: images can feed int8 or float32 inputs, not %s",
                          path, sciot_dtype_name(t->dtype));
    }
    int w, h, c;
    unsigned char *px;
    if (len == (size_t)th * tw * 2) {
        w = tw;
        h = th;
        px = rgb565_decode(data, w, h, tc);
    } else {
        if (len > INT32_MAX) {
            free(data);
            return sciot_fail(err, SCIOT_ERR_IMAGE, "%s: file too large for an image", path);
        }
        px = stbi_load_from_memory(data, (int)len, &w, &h, &c, tc);
    }
    free(data);
    if (!px)
        return sciot_fail(err, SCIOT_ERR_IMAGE, "%s: neither a raw tensor of %zu bytes nor a decodable image (%s)",
                          path, t->bytes, stbi_failure_reason() ? stbi_failure_reason() : "unknown format");
    unsigned char *img = px;
    unsigned char *rs = NULL;
    if (w != tw || h != th) {
        rs = malloc((size_t)tw * th * (size_t)tc);
        if (!rs || !stbir_resize_uint8(px, w, h, 0, rs, tw, th, 0, tc)) {
            free(rs);
            free(px);
            return sciot_fail(err, SCIOT_ERR_IMAGE, "%s: resize %dx%d -> %dx%d failed", path, w, h, tw, th);
        }
        img = rs;
    }
    size_t n = (size_t)tw * th * (size_t)tc;
    if (t->dtype == SCIOT_INT8) {
        float scale = t->scale > 0 ? t->scale : 1.0f / 255.0f;
        int8_t *q = dst;
        for (size_t i = 0; i < n; i++) {
            float v = (float)img[i] / 255.0f;
            long r = lroundf(v / scale) + t->zero_point;
            q[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
        }
    } else {
        float *f = dst;
        for (size_t i = 0; i < n; i++)
            f[i] = (float)img[i] / 255.0f;
    }
    free(rs);
    free(px);
    return SCIOT_OK;
}
