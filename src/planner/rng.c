/* rng.c — splitmix64, the reference local-inference mode, and the EMA with
 * fast re-learning (see sciot/planner.h, parts 1 and 2). */
#include <math.h>

#include "sciot/planner.h"

void sciot_rng_seed(sciot_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t sciot_rng_next(sciot_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double sciot_rng_uniform(sciot_rng *r)
{
    return (double)(sciot_rng_next(r) >> 11) * 0x1.0p-53;
}

double sciot_rng_normal(sciot_rng *r)
{
    double u1 = sciot_rng_uniform(r), u2 = sciot_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

bool sciot_local_mode_draw(const sciot_local_mode *m, sciot_rng *r)
{
    if (!m || !m->enabled || !(m->probability > 0))
        return false;
    if (m->probability >= 1)
        return true;
    return sciot_rng_uniform(r) < m->probability;
}

void sciot_ema_add(sciot_ema *e, double x, double alpha)
{
    double a = alpha;
    if (e->relearning) {
        e->warm++;
        double m = 1.0 / e->warm;
        if (m > a)
            a = m;
        else
            e->relearning = 0;
    }
    if (e->n == 0)
        a = 1;
    e->value += a * (x - e->value);
    e->n++;
}

void sciot_ema_relearn(sciot_ema *e)
{
    e->relearning = 1;
    e->warm = 0;
}
