/* broadcast.h — numpy-style 4-D broadcasting helpers for the elementwise
 * binary kernels: shape compatibility check and per-input element strides
 * (stride 0 along a broadcast dimension). Header-only, static inline. */
#ifndef SCIOT_KERNELS_BROADCAST_H
#define SCIOT_KERNELS_BROADCAST_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/kernels.h"

static inline int32_t sciot_bcast_dim_(const sciot_dims *d, int i)
{
    switch (i) {
    case 0: return d->n;
    case 1: return d->h;
    case 2: return d->w;
    default: return d->c;
    }
}

/* SCIOT_OK when every dim of a, b, out is positive, a and b broadcast
 * together (equal, or 1 on one side) and out is exactly the broadcast shape. */
static inline sciot_status sciot_bcast_check(const sciot_dims *a, const sciot_dims *b,
                                             const sciot_dims *out)
{
    for (int i = 0; i < 4; ++i) {
        int32_t da = sciot_bcast_dim_(a, i), db = sciot_bcast_dim_(b, i);
        int32_t dout = sciot_bcast_dim_(out, i);
        if (da <= 0 || db <= 0 || dout <= 0)
            return SCIOT_ERR_SHAPE;
        if (da != db && da != 1 && db != 1)
            return SCIOT_ERR_SHAPE;
        if (dout != (da > db ? da : db))
            return SCIOT_ERR_SHAPE;
    }
    return SCIOT_OK;
}

/* Element strides of a (dims d) when indexed with the output's coordinates:
 * s[0..3] for n, h, w, c; 0 where d has extent 1 (broadcast). */
static inline void sciot_bcast_strides(const sciot_dims *d, size_t s[4])
{
    size_t sc = 1;
    size_t sw = (size_t)d->c;
    size_t sh = sw * (size_t)d->w;
    size_t sn = sh * (size_t)d->h;
    s[0] = d->n == 1 ? 0 : sn;
    s[1] = d->h == 1 ? 0 : sh;
    s[2] = d->w == 1 ? 0 : sw;
    s[3] = d->c == 1 ? 0 : sc;
}

static inline int sciot_dims_equal(const sciot_dims *a, const sciot_dims *b)
{
    return a->n == b->n && a->h == b->h && a->w == b->w && a->c == b->c;
}

#endif
