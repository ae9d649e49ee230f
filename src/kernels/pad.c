/* pad.c — PAD / PADV2 for any element size: copies a 4-D NHWC tensor into
 * the middle of a larger one, filling `before[d]` elements ahead of and
 * `after[d]` elements behind dimension d (0 = n, 1 = h, 2 = w, 3 = c) with
 * the element at `pad_value`. out dims must equal in + before + after. */
#include <string.h>
#include "sciot/kernels.h"

/* Fill `count` elements of `elem_size` bytes at dst with *value. */
static void fill(unsigned char *dst, size_t count, const unsigned char *value,
                 size_t elem_size)
{
    if (count == 0)
        return;
    if (elem_size == 1) {
        memset(dst, value[0], count);
        return;
    }
    memcpy(dst, value, elem_size);
    /* Doubling copies from the already-filled prefix. */
    size_t done = 1;
    while (done < count) {
        size_t n = done < count - done ? done : count - done;
        memcpy(dst + done * elem_size, dst, n * elem_size);
        done += n;
    }
}

sciot_status sciot_pad(size_t elem_size, const sciot_dims *in_dims, const void *in,
                       const int32_t before[4], const int32_t after[4],
                       const void *pad_value, const sciot_dims *out_dims, void *out)
{
    if (elem_size == 0 || !in_dims || !in || !before || !after || !pad_value ||
        !out_dims || !out)
        return SCIOT_ERR_INVALID_ARG;
    const int32_t id[4] = {in_dims->n, in_dims->h, in_dims->w, in_dims->c};
    const int32_t od[4] = {out_dims->n, out_dims->h, out_dims->w, out_dims->c};
    for (int d = 0; d < 4; ++d) {
        if (before[d] < 0 || after[d] < 0)
            return SCIOT_ERR_INVALID_ARG;
        if (id[d] <= 0 || od[d] <= 0 ||
            (int64_t)id[d] + before[d] + after[d] != (int64_t)od[d])
            return SCIOT_ERR_SHAPE;
    }

    const unsigned char *src = (const unsigned char *)in;
    const unsigned char *pv = (const unsigned char *)pad_value;
    unsigned char *dst = (unsigned char *)out;
    const size_t row_in = (size_t)id[3] * elem_size;           /* one input c-run */
    const size_t row_out = (size_t)od[3] * elem_size;          /* one output c-run */
    const size_t plane_out = row_out * (size_t)od[2];          /* one output row of w */
    const size_t image_out = plane_out * (size_t)od[1];        /* one output batch */

    for (int32_t b = 0; b < od[0]; ++b) {
        unsigned char *ob = dst + (size_t)b * image_out;
        if (b < before[0] || b >= before[0] + id[0]) {
            fill(ob, image_out / elem_size, pv, elem_size);
            continue;
        }
        for (int32_t y = 0; y < od[1]; ++y) {
            unsigned char *oy = ob + (size_t)y * plane_out;
            if (y < before[1] || y >= before[1] + id[1]) {
                fill(oy, plane_out / elem_size, pv, elem_size);
                continue;
            }
            for (int32_t x = 0; x < od[2]; ++x) {
                unsigned char *ox = oy + (size_t)x * row_out;
                if (x < before[2] || x >= before[2] + id[2]) {
                    fill(ox, (size_t)od[3], pv, elem_size);
                    continue;
                }
                const size_t in_idx =
                    (((size_t)(b - before[0]) * id[1] + (size_t)(y - before[1])) * id[2] +
                     (size_t)(x - before[2]));
                fill(ox, (size_t)before[3], pv, elem_size);
                memcpy(ox + (size_t)before[3] * elem_size, src + in_idx * row_in, row_in);
                fill(ox + (size_t)before[3] * elem_size + row_in, (size_t)after[3], pv,
                     elem_size);
            }
        }
    }
    return SCIOT_OK;
}
