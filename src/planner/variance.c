/* variance.c — the reference variance detector (see sciot/planner.h, part 3):
 * a FIFO window per operator, CV with the sample standard deviation, and
 * re-test flags that cascade to the next operator. */
#include <math.h>
#include <string.h>

#include "sciot/planner.h"

#define ST_FLAGGED 1u
#define ST_UNSTABLE 2u

void sciot_vwin_init(sciot_vwin *w, float *buf, uint16_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->n = 0;
    w->head = 0;
}

void sciot_vwin_clear(sciot_vwin *w)
{
    w->n = 0;
    w->head = 0;
}

void sciot_vwin_add(sciot_vwin *w, double x)
{
    if (!w->cap)
        return;
    if (w->n < w->cap) {
        w->buf[(w->head + w->n) % w->cap] = (float)x;
        w->n++;
    } else {
        w->buf[w->head] = (float)x; /* overwrite the oldest */
        w->head = (uint16_t)((w->head + 1) % w->cap);
    }
}

double sciot_vwin_at(const sciot_vwin *w, uint16_t i)
{
    return i < w->n ? (double)w->buf[(w->head + i) % w->cap] : 0.0;
}

sciot_vstats sciot_vwin_stats(const sciot_vwin *w)
{
    sciot_vstats s = {w->n, 0, 0, 0};
    if (!w->n)
        return s;
    double sum = 0;
    for (uint16_t i = 0; i < w->n; i++)
        sum += sciot_vwin_at(w, i);
    s.mean = sum / w->n;
    if (w->n < 2)
        return s; /* one sample: stdev 0, cv 0 */
    double ss = 0;
    for (uint16_t i = 0; i < w->n; i++) {
        double d = sciot_vwin_at(w, i) - s.mean;
        ss += d * d;
    }
    s.stdev = sqrt(ss / (w->n - 1));
    s.cv = s.mean != 0 ? s.stdev / fabs(s.mean) : 0;
    return s;
}

bool sciot_vwin_is_stable(const sciot_vwin *w, double threshold)
{
    if (w->n < 3)
        return false;
    return sciot_vwin_stats(w).cv <= threshold;
}

bool sciot_vwin_is_unstable(const sciot_vwin *w, double threshold)
{
    if (w->n < 3)
        return false;
    return sciot_vwin_stats(w).cv > threshold;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

size_t sciot_vdet_mem_size(int32_t n_ops, uint16_t window)
{
    if (n_ops < 0)
        return 0;
    size_t n = (size_t)n_ops;
    return align8(n * sizeof(sciot_vwin)) + align8(n * window * sizeof(float)) + align8(n);
}

sciot_status sciot_vdet_init(sciot_vdet *d, int32_t n_ops, uint16_t window, double threshold, void *mem,
                             size_t mem_len, sciot_error *err)
{
    if (n_ops < 1)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "variance detector: n_ops %d must be >= 1", (int)n_ops);
    if (window < 1 || window > SCIOT_VWIN_MAX)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "variance detector: window %u not in [1, %d]",
                          (unsigned)window, SCIOT_VWIN_MAX);
    if (!(threshold >= 0))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "variance detector: threshold %g must be >= 0", threshold);
    size_t need = sciot_vdet_mem_size(n_ops, window);
    if (!mem || mem_len < need || ((uintptr_t)mem & 7u))
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "variance detector: needs %zu bytes of 8-aligned memory, got %zu",
                          need, mem ? mem_len : 0);
    size_t n = (size_t)n_ops;
    uint8_t *p = mem;
    d->n_ops = n_ops;
    d->window = window;
    d->threshold = threshold;
    d->win = (sciot_vwin *)(void *)p;
    p += align8(n * sizeof(sciot_vwin));
    float *buf = (float *)(void *)p;
    p += align8(n * window * sizeof(float));
    d->state = p;
    for (size_t i = 0; i < n; i++)
        sciot_vwin_init(&d->win[i], buf + i * window, window);
    memset(d->state, 0, n);
    d->n_flagged = 0;
    return SCIOT_OK;
}

static void flag(sciot_vdet *d, int32_t op)
{
    if (op < d->n_ops && !(d->state[op] & ST_FLAGGED)) {
        d->state[op] |= ST_FLAGGED;
        d->n_flagged++;
    }
}

bool sciot_vdet_add(sciot_vdet *d, int32_t op, double t)
{
    if (op < 0 || op >= d->n_ops)
        return false;
    sciot_vwin_add(&d->win[op], t);
    bool unstable = sciot_vwin_is_unstable(&d->win[op], d->threshold);
    bool was = (d->state[op] & ST_UNSTABLE) != 0;
    if (!unstable) {
        /* re-arm only once the window is positively stable again */
        if (sciot_vwin_is_stable(&d->win[op], d->threshold))
            d->state[op] &= (uint8_t)~ST_UNSTABLE;
        return false;
    }
    d->state[op] |= ST_UNSTABLE;
    if (was)
        return false;
    flag(d, op);
    flag(d, op + 1); /* its output is the next operator's input */
    return true;
}

bool sciot_vdet_flagged(const sciot_vdet *d, int32_t op)
{
    return op >= 0 && op < d->n_ops && (d->state[op] & ST_FLAGGED);
}

int32_t sciot_vdet_take(sciot_vdet *d, uint8_t *flags)
{
    int32_t n = d->n_flagged;
    for (int32_t i = 0; i < d->n_ops; i++) {
        if (flags)
            flags[i] = (d->state[i] & ST_FLAGGED) ? 1 : 0;
        d->state[i] &= (uint8_t)~ST_FLAGGED;
    }
    d->n_flagged = 0;
    return n;
}

const sciot_vwin *sciot_vdet_window(const sciot_vdet *d, int32_t op)
{
    return op >= 0 && op < d->n_ops ? &d->win[op] : NULL;
}

void sciot_vdet_reset(sciot_vdet *d)
{
    for (int32_t i = 0; i < d->n_ops; i++)
        sciot_vwin_clear(&d->win[i]);
    memset(d->state, 0, (size_t)d->n_ops);
    d->n_flagged = 0;
}
