/* cdet.c — two-sided CUSUM on the standardised relative error of the
 * latency prediction (see sciot/planner.h, part 5). */
#include <math.h>
#include <string.h>

#include "sciot/planner.h"

void sciot_cdet_config_default(sciot_cdet_config *c)
{
    c->kappa = 1.0;
    c->h = 6.0;
    c->rate = 0.02;
    c->sigma0 = 0.1;
    c->sigma_min = 0.02;
    c->min_shift = 0.03;
    c->refractory = 3;
}

void sciot_cdet_init(sciot_cdet *d, const sciot_cdet_config *c)
{
    memset(d, 0, sizeof *d);
    if (c)
        d->cfg = *c;
    else
        sciot_cdet_config_default(&d->cfg);
    d->sigma = d->cfg.sigma0 > d->cfg.sigma_min ? d->cfg.sigma0 : d->cfg.sigma_min;
}

int sciot_cdet_add(sciot_cdet *d, double predicted, double observed)
{
    if (!(predicted > 0) || !isfinite(predicted) || !isfinite(observed))
        return 0;
    double e = (observed - predicted) / predicted;
    d->n++;
    if (d->quiet) {
        d->quiet--;
        return 0;
    }
    double dev = e - d->mu;
    /* a deviation below min_shift never counts, however quiet the noise */
    double mag = fabs(dev) - d->cfg.min_shift;
    double z = mag > 0 ? (dev > 0 ? mag : -mag) / d->sigma : 0;
    d->g_pos = fmax(0, d->g_pos + z - d->cfg.kappa);
    d->g_neg = fmax(0, d->g_neg - z - d->cfg.kappa);
    /* baseline: winsorised at 3 sigma, and frozen while evidence of a
     * change accumulates, so that a step is not learnt as normal */
    if (fmax(d->g_pos, d->g_neg) < d->cfg.h / 3) {
        double w = fmax(-3 * d->sigma, fmin(3 * d->sigma, dev));
        d->mu += d->cfg.rate * w;
        double s2 = d->sigma * d->sigma + d->cfg.rate * (w * w - d->sigma * d->sigma);
        d->sigma = sqrt(s2 > 0 ? s2 : 0);
        if (d->sigma < d->cfg.sigma_min)
            d->sigma = d->cfg.sigma_min;
    }
    int fired = 0;
    if (d->g_pos > d->cfg.h)
        fired = 1;
    else if (d->g_neg > d->cfg.h)
        fired = -1;
    if (fired) {
        d->g_pos = d->g_neg = 0;
        d->mu = 0;
        d->quiet = d->cfg.refractory;
        d->fired++;
    }
    return fired;
}
