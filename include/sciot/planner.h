/* sciot/planner.h — the split planner: learn from measurements, detect
 * change, decide the split point k per device and per request.
 *
 * No network code and no heap: every structure lives in caller memory
 * (sciot_planner_mem_size() tells how much for N operators), so the same
 * code runs on the edge (one planner per device) and on a microcontroller.
 * No global state: the random source lives in the planner.
 *
 * Split numbering: k = number of operators the device runs (0..N). k = 0 is
 * full offload (the device sends its input), k = N is a full local run. The
 * reference system's `offloading_layer_index` is k - 1 with -1 meaning "run
 * everything locally" (see sciot_split_from_layer_index and docs/PLANNER.md).
 *
 * Times are microseconds, sizes bytes, bandwidth bytes per second.
 *
 * The parts, each documented where it is declared below:
 *   1. sciot_rng, sciot_local_mode   seedable PRNG, reference local-inference mode
 *   2. sciot_ema                     per-operator smoothing with fast re-learning
 *   3. sciot_vwin, sciot_vdet        the reference variance detector
 *   4. sciot_netest                  RTT / bandwidth separation (no clock sync)
 *   5. sciot_cdet                    change detector on the latency prediction error
 *   6. sciot_cost_*                  cost of every candidate k, objectives
 *   7. sciot_planner                 the per-device planner that glues them,
 *                                    with uncertainty-driven exploration and
 *                                    hysteresis. */
#ifndef SCIOT_PLANNER_H
#define SCIOT_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sciot/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * 1. Random source and the reference local-inference mode
 *
 * sciot_rng is splitmix64: 8 bytes of state, full 2^64 period, passes
 * BigCrush, one multiply-xorshift chain per draw. It is seeded explicitly,
 * so every decision sequence is reproducible from (config, observations).
 *
 * Local-inference mode (reference semantics): with `enabled` and
 * probability p (default 0.1) a decision is forced to a full local run
 * (k = N) to refresh the device times of operators beyond the current split.
 * Contract: disabled or p <= 0 never forces and draws nothing from the
 * generator; p >= 1 always forces; otherwise one draw, forced if u < p.
 * ====================================================================== */
typedef struct {
    uint64_t s;
} sciot_rng;

void sciot_rng_seed(sciot_rng *r, uint64_t seed);
uint64_t sciot_rng_next(sciot_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double sciot_rng_uniform(sciot_rng *r);
/* Standard normal (Box-Muller; two uniforms per draw). */
double sciot_rng_normal(sciot_rng *r);

typedef struct {
    bool enabled;
    double probability; /* p, default 0.1 */
} sciot_local_mode;

/* true: force this decision to a full local run. */
bool sciot_local_mode_draw(const sciot_local_mode *m, sciot_rng *r);

/* ========================================================================
 * 2. Exponential moving average with fast re-learning
 *
 * Reference semantics: the first sample sets the value, later samples move
 * it by alpha (default 0.2): v += alpha * (x - v).
 *
 * Fast re-learning (after a detected change): sciot_ema_relearn() restarts a
 * warm-up in which the weight of the m-th new sample is max(alpha, 1/m), i.e.
 * the estimate is the plain mean of the samples since the change until that
 * mean has as much weight as the EMA would give it; then normal EMA again.
 * The first post-change sample therefore replaces the stale value at once.
 * Cost O(1), 16 bytes.
 * ====================================================================== */
typedef struct {
    double value;
    uint32_t n;     /* samples seen (0: no value yet) */
    uint16_t warm;  /* samples since sciot_ema_relearn(), while relearning */
    uint16_t relearning;
} sciot_ema;

void sciot_ema_add(sciot_ema *e, double x, double alpha);
void sciot_ema_relearn(sciot_ema *e);

/* ========================================================================
 * 3. Variance detection (reference semantics, docs/DESIGN.md §3)
 *
 * sciot_vwin: a FIFO window of the last `cap` measurements of one operator
 * on one side (default cap 10; at most SCIOT_VWIN_MAX). Statistics:
 * mean, sample standard deviation (n - 1 in the denominator), CV = stdev /
 * mean. A window with one sample reports stdev 0 and cv 0.
 *   unstable  <=>  n >= 3 and CV > threshold   (strict, threshold 0.15)
 *   is_stable <=>  n >= 3 and CV <= threshold  (false below 3 samples)
 *
 * sciot_vdet: one window per operator plus flags. When operator i becomes
 * unstable, i and i + 1 are flagged for re-test (i's output is i + 1's
 * input); never beyond the last operator. Flags are raised on the
 * transition into instability, not on every unstable sample: an operator
 * that stays noisy asks for one re-test, not one per request (a re-test
 * cannot make a genuinely noisy operator quiet, and re-testing every
 * request would pin the device to local runs). It re-arms once the window
 * is stable again. sciot_vdet_take() returns the flags and clears them: the
 * re-test flag resets once it is read.
 *
 * In the planner, device-side flags make the next decision a full local run
 * (re-measures every device operator); edge-side flags become an edge
 * re-profile request (sciot_planner_take_edge_reprofile).
 * Cost: add is O(cap) (two-pass statistics over the window).
 * Memory: sciot_vdet_mem_size(n_ops, cap) bytes of caller memory.
 * ====================================================================== */
#define SCIOT_VWIN_MAX 64
#define SCIOT_VAR_WINDOW_DEFAULT 10
#define SCIOT_VAR_THRESHOLD_DEFAULT 0.15

typedef struct {
    float *buf;
    uint16_t cap, n, head; /* head: index of the oldest sample */
} sciot_vwin;

typedef struct {
    uint16_t n;
    double mean, stdev, cv;
} sciot_vstats;

void sciot_vwin_init(sciot_vwin *w, float *buf, uint16_t cap);
void sciot_vwin_clear(sciot_vwin *w);
void sciot_vwin_add(sciot_vwin *w, double x);
/* i-th sample, oldest first (i < n). */
double sciot_vwin_at(const sciot_vwin *w, uint16_t i);
sciot_vstats sciot_vwin_stats(const sciot_vwin *w);
bool sciot_vwin_is_stable(const sciot_vwin *w, double threshold);
bool sciot_vwin_is_unstable(const sciot_vwin *w, double threshold);

typedef struct {
    int32_t n_ops;
    uint16_t window;
    double threshold;
    sciot_vwin *win;  /* [n_ops] */
    uint8_t *state;   /* [n_ops]: bit 0 flagged, bit 1 currently unstable */
    int32_t n_flagged;
} sciot_vdet;

size_t sciot_vdet_mem_size(int32_t n_ops, uint16_t window);
sciot_status sciot_vdet_init(sciot_vdet *d, int32_t n_ops, uint16_t window, double threshold, void *mem,
                             size_t mem_len, sciot_error *err);
/* Add a measurement of operator op; true if op just became unstable (and
 * op, op + 1 were flagged). Out-of-range op is ignored (returns false). */
bool sciot_vdet_add(sciot_vdet *d, int32_t op, double t);
bool sciot_vdet_flagged(const sciot_vdet *d, int32_t op);
/* Number of flagged operators; copies the flags (0/1, n_ops bytes) to
 * `flags` when not NULL; clears them. */
int32_t sciot_vdet_take(sciot_vdet *d, uint8_t *flags);
const sciot_vwin *sciot_vdet_window(const sciot_vdet *d, int32_t op);
/* Clear every window and flag (e.g. a new model). */
void sciot_vdet_reset(sciot_vdet *d);

/* ========================================================================
 * 4. Network estimator: RTT and bandwidth from round trips, no clock sync
 *
 * What. Each offloaded request gives one sample (x, y): x = bytes sent +
 * bytes received, y = the device-measured round-trip time minus the
 * processing time the edge reports. Both clocks measure only their own
 * intervals, so no synchronisation is needed. Model: y = a + b x with
 * a = RTT and b = 1 / bandwidth; the estimator fits (a, b).
 *
 * Why this estimator. A plain least-squares fit fails in the planner's
 * regime: the planner keeps choosing the same split, so x is constant for
 * long runs and (a, b) is not identifiable from those samples; RLS with
 * exponential forgetting then "winds up" (the covariance of the unexcited
 * direction grows without bound) and one outlier throws the estimate
 * anywhere. We use, in information form (R = 2x2 information matrix,
 * r = information vector, estimate theta = R^-1 r):
 *   - a prior: pseudo-observations worth `prior_weight` samples at x = 0
 *     (pins the RTT to the prior RTT) and at x = x_ref (pins the prior
 *     bandwidth), so the fit is defined from the first sample on;
 *   - directional forgetting (Kulhavy & Karny 1984): before adding a sample
 *     with regressor phi = (1, x), information is discounted by `forget`
 *     only along phi. Information about directions the current samples do
 *     not excite is kept, so a long run at one x forgets the old value of
 *     a + b x (it tracks drift) but not what earlier samples at other sizes
 *     (or the prior) said about how to split it between a and b;
 *   - outlier clipping (Huber-like): a residual beyond `clip` predictive
 *     spreads (scale = running mean absolute residual, times
 *     sqrt(1 + phi' R^-1 phi): a first sample at a size the fit has not
 *     seen is information, not an outlier) is clipped to that bound, so
 *     one spike moves the estimate by at most a bounded amount; `shift_run`
 *     consecutive outliers on the same side are a level shift, not
 *     outliers: the estimator relearns and accepts them (a sample in
 *     between that is 5x smaller than the outliers does not break the
 *     run: it says nothing about the bandwidth);
 *   - sciot_netest_relearn() (called by the planner when the change detector
 *     fires) scales all information down by `relearn_keep`: the estimate
 *     stays, but new samples dominate at once.
 * Estimates are clamped to a >= 0 and bandwidth <= 1e12 B/s by solving the
 * constrained problem on the boundary.
 * Cost: O(1) per sample (2x2 algebra), about 100 bytes of state.
 * Contract: samples with y < 0 or non-finite values are ignored.
 * ====================================================================== */
typedef struct {
    double forget;       /* directional forgetting factor, default 0.9 */
    double prior_weight; /* pseudo-samples per prior point, default 0.5 */
    double x_ref_bytes;  /* size of the second prior point, default 16384 */
    double clip;         /* outlier bound in robust scales, default 3 */
    uint16_t shift_run;  /* same-side outliers that mean a shift, default 3 */
    double relearn_keep; /* information kept by relearn, default 1e-3 */
} sciot_netest_config;

typedef struct {
    sciot_netest_config cfg;
    double R[3];     /* information matrix (R00, R01, R11), x in kB */
    double r[2];
    double theta[2]; /* a (us), b (us per kB), unclamped */
    double a, b;     /* clamped estimates */
    double scale;    /* robust residual scale (us), 0: unknown */
    int16_t run_sign;
    uint16_t run_len;
    double run_x;    /* kB of the last outlier of the run */
    uint32_t n;      /* samples accepted */
    uint16_t since_relearn;
} sciot_netest;

void sciot_netest_config_default(sciot_netest_config *c);
void sciot_netest_init(sciot_netest *e, const sciot_netest_config *c, double prior_rtt_us,
                       double prior_bytes_per_s);
/* One sample; returns 1 if it was clipped as an outlier, 2 if it completed
 * a level shift (the estimator relearned), 0 otherwise, -1 if ignored. */
int sciot_netest_add(sciot_netest *e, double bytes_sent, double bytes_received, double net_us);
void sciot_netest_relearn(sciot_netest *e);
double sciot_netest_rtt_us(const sciot_netest *e);
double sciot_netest_bandwidth(const sciot_netest *e); /* bytes per second */
/* Expected round trip (minus edge processing) for x bytes in total. */
double sciot_netest_predict_us(const sciot_netest *e, double bytes);
/* Standard deviation of the predicted difference between x1 and x0 bytes
 * (x0 < 0: of the prediction at x1 itself). Grows where the data are thin. */
double sciot_netest_diff_stdev_us(const sciot_netest *e, double x1, double x0);

/* ========================================================================
 * 5. Change detector on the latency prediction error
 *
 * What. Two-sided CUSUM (a Page-Hinkley test with a slowly adapting
 * baseline) on the relative error e = (observed - predicted) / predicted of
 * each request's end-to-end latency. With z = (e - mu) / sigma,
 *   g+ = max(0, g+ + z - kappa),  g- = max(0, g- - z - kappa),
 * and the detector fires when g+ or g- exceeds h. mu and sigma are slow EMAs
 * (rate `rate`) of e and of its spread, updated with the sample winsorised
 * at 3 sigma and only while g+ and g- are below h / 3, so a step does not
 * teach the detector that it is normal;
 * sigma never goes below sigma_min (a deterministic system still needs a
 * relative change of some size to count). After firing both sums restart
 * and `refractory` samples are ignored while the estimators re-learn.
 * Why. The prediction error is the one signal that covers every cause at
 * once (network, device, edge); a standardised CUSUM detects a shift of s
 * sigmas in about h / (s - kappa) samples — a 10x bandwidth drop in one —
 * while with kappa = 1, h = 6 false alarms on Gaussian noise are rarer than
 * one in 10^4 samples. `min_shift` is a floor on the relative error that
 * counts (changes below 3% are not worth a re-exploration).
 * Cost O(1), 64 bytes.
 * ====================================================================== */
typedef struct {
    double kappa;     /* default 1.0 */
    double h;         /* default 6.0 */
    double rate;      /* baseline EMA rate, default 0.02 */
    double sigma0;    /* initial relative spread, default 0.1 */
    double sigma_min; /* default 0.02 */
    double min_shift; /* default 0.03 */
    uint16_t refractory; /* default 3 */
} sciot_cdet_config;

typedef struct {
    sciot_cdet_config cfg;
    double mu, sigma, g_pos, g_neg;
    uint32_t n;
    uint16_t quiet;
    uint32_t fired;
} sciot_cdet;

void sciot_cdet_config_default(sciot_cdet_config *c);
void sciot_cdet_init(sciot_cdet *d, const sciot_cdet_config *c);
/* +1: latency rose, -1: fell, 0: no change. Ignores non-positive predictions. */
int sciot_cdet_add(sciot_cdet *d, double predicted, double observed);

/* ========================================================================
 * 6. Cost model over every candidate k = 0..N
 *
 * For k < N (the edge runs [k, N)):
 *   latency(k) = D(k) + RTT + (up(k) + reply) / bw + E(k) + queue
 * for k = N: latency(N) = D(N). D(k) = sum of device times of [0, k),
 * E(k) = sum of edge times of [k, N), up(k) = bytes of the cut of k (the
 * frame actually sent, compressed where it compresses), reply = bytes of
 * the answer. bw = 0 makes every k < N infeasible (cost +inf); bw = +inf
 * makes transfers free.
 * Objectives (unit):
 *   latency (ms);
 *   energy (mJ) of the device: cpu W * D(k) + tx W * up(k)/bw
 *        + idle W * (RTT + reply/bw + E(k) + queue);
 *   bytes (bytes on the air: up(k) + reply, 0 for k = N);
 *   weighted: w.latency * ms + w.energy * mJ + w.bytes * kB.
 * The decision is the k with the smallest cost; ties go to the smaller k
 * (costs within 1e-9 relative are ties), as the reference takes the
 * earliest layer. Cost O(N).
 * ====================================================================== */
typedef enum {
    SCIOT_OBJ_LATENCY = 0,
    SCIOT_OBJ_ENERGY,
    SCIOT_OBJ_BYTES,
    SCIOT_OBJ_WEIGHTED,
} sciot_objective;

typedef struct {
    double cpu, tx, idle; /* watts */
} sciot_power_w;

typedef struct {
    double latency, energy, bytes;
} sciot_weights;

typedef struct {
    int32_t n_ops;
    const double *device_us; /* [n_ops] */
    const double *edge_us;   /* [n_ops] */
    const double *up_bytes;  /* [n_ops + 1] */
    double reply_bytes;
    double rtt_us;
    double bytes_per_s;      /* 0: offload impossible; INFINITY allowed */
    double edge_queue_us;
    sciot_objective objective;
    sciot_power_w power;
    sciot_weights weights;
} sciot_cost_input;

/* Name <-> objective ("latency", "energy", "bytes", "weighted"). */
const char *sciot_objective_name(sciot_objective o);
int sciot_objective_parse(const char *s, sciot_objective *o); /* 0 ok */
/* Unit of the objective's cost ("ms", "mJ", "bytes", "weighted"). */
const char *sciot_objective_unit(sciot_objective o);

/* Fill cost[0..N] (+INFINITY where infeasible); *best = argmin with the
 * smaller-k tie-break. Errors name the field that is wrong. */
sciot_status sciot_cost_eval(const sciot_cost_input *in, double *cost, int32_t *best, sciot_error *err);
/* argmin of cost[0..n] with the tie-break (-1 if all infeasible). */
int32_t sciot_cost_argmin(const double *cost, int32_t n);

/* Reference offloading_layer_index -> k: -1 means run every operator
 * locally (k = N); i in [0, N - 1] means the device runs 0..i (k = i + 1).
 * Returns -1 for anything else. (The reference never offloads everything,
 * so k = 0 has no reference index; `sciot plan` prints null for it.) */
int32_t sciot_split_from_layer_index(int32_t index, int32_t n_ops);
/* Operators the edge runs for split k: [*first, *first + *count). A full
 * local run (k = N) gives count 0: the edge skips tail inference. */
void sciot_split_edge_ops(int32_t k, int32_t n_ops, int32_t *first, int32_t *count);

/* ========================================================================
 * 7. The per-device planner
 *
 * State: per operator an EMA and a variance window for each side, the last
 * request at which it was measured, the learned frame bytes of each k, the
 * network estimator, the change detector, the PRNG, the exploration budget
 * and the current split. All in caller memory (sciot_planner_mem_size).
 *
 * Decision (sciot_planner_decide), in order:
 *   1. edge unreachable (last observation)      -> k = N, not forced; the
 *      device's report of that local run probes the edge; the first
 *      successful report ends the state;
 *   2. no device times yet (cold start)         -> k = N, forced;
 *   3. a device-side variance flag              -> k = N, forced (re-test);
 *   4. local-inference mode draws "local"       -> k = N, forced;
 *   5. exploitation: c(k) for every k from the smoothed estimates; the
 *      best k replaces the current split only if it is better by the
 *      hysteresis margin (default 2%): near-ties do not flap. For
 *      `explore_repeat` requests after a detected change there is no
 *      margin: the old split has no claim while the estimates re-settle;
 *   6. exploration: for every k, an uncertainty u(k) of c(k) - c(current)
 *      is the sum of (a) the estimate of each operator whose side differs
 *      between k and the current split times a staleness factor that grows
 *      with the requests since it was measured (drift per request, default
 *      0.25%: +-50% after 200 requests; capped at 3), and (b) two standard
 *      deviations of the network estimator's predicted transfer
 *      difference. If some k has
 *      c(k) - u(k) below the current cost by `explore_gain` (default 5%),
 *      that k is plausibly better by a margin worth a look; the cheapest
 *      such k that the budget can pay for is run once. (Smaller possible
 *      gains are left to the estimators: near-ties would otherwise be
 *      explored over and over. Cheapest first: one cheap look at a stale
 *      side, with the side-wide rescale below, tells whether that whole
 *      side changed.)
 *      Explorations spend a budget that earns `explore_budget` (default 1%)
 *      of the current cost per request, and an exploration of k costs
 *      c(k) - c(current): exploration costs at most that share of the
 *      objective in expectation, cheap near-ties are explored often,
 *      expensive candidates rarely, candidates whose data are fresh never.
 *      Forced local runs (3, 4) are charged to the same budget, down to
 *      zero (they do not borrow from future explorations).
 * Re-test policy (`retest`): SCIOT_RETEST_FULL (default, the reference
 * semantics of docs/DESIGN.md §3): any device-side flag makes the next
 * decision a full local run. SCIOT_RETEST_NEEDED: only a flag on an
 * operator the current split does not run (i + 1 == k, or beyond) does;
 * flagged operators inside the prefix are re-measured by the next request
 * anyway. With 10% timing noise the reference threshold (CV > 0.15) flags
 * about 0.5% of operators per request by chance, so FULL costs a device
 * running k operators ~0.005 k (c(N) / c(k) - 1) of regret
 * (docs/PLANNER.md has the numbers).
 * Device-side flags raised by the samples of a full local run do not ask
 * for another one: that run has just re-measured every device operator
 * (without this rule, operators that only local runs measure, whose windows
 * span hundreds of requests, would chain re-test after re-test).
 * An exploration of k is not repeated within `explore_repeat` requests, and
 * two explorations are at least `explore_gap` requests apart: the requests
 * in between run the current split, which re-measures the operators whose
 * staleness made the candidate look promising (exploring k < current
 * measures the edge side of [k, current), the current split the device
 * side; both are needed to compare them).
 * Network probes. While the device runs locally because offloading costs
 * too much, a better link cannot be seen: the only round trips are the
 * local-run reports, a few hundred bytes, which measure the RTT but not
 * the bandwidth. So every `probe_every` requests, if some k < N would win
 * with an infinitely fast link, the decision asks the device to pad its
 * report (sent after the local result, off the critical path) to the size
 * of the best offload candidate's cut (`probe_bytes`): the bandwidth stays
 * measured at no latency cost. A probe that the estimator found to be an
 * outlier is followed by another at the next local run, so a level shift
 * is confirmed within a few requests. Latency objective only (a probe
 * costs radio energy and bytes on the air).
 * When the change detector fires: every EMA relearns, the network
 * estimator relearns, the edge is asked to re-profile every operator, every
 * operator's knowledge is marked stale (staleness factor `stale_factor`,
 * default 0.5) and the budget is topped up to `explore_boost` (default
 * 0.5) of the current cost: re-exploration of the plausible candidates
 * starts at once, a handful of them, not a sweep. If the operators
 * measured by the request that fired changed together by more than
 * `scale_shift` (say all 4x slower: a busy or throttled device), the
 * operators of that side that were not measured are rescaled by the same
 * ratio — a device-wide cause is the likely one — until measured again.
 * The samples of the request that fired replace the stale values of the
 * operators it measured. A second alarm within `explore_repeat` requests
 * (typically an exploration whose prediction was still off) is the same
 * change: the EMAs relearn again, but what the network estimator learnt
 * since the first alarm is kept.
 *
 * Observation (sciot_planner_observe): one per completed request, with what
 * the system measured: device times of the operators the device ran, edge
 * times of those the edge ran, the round trip minus edge processing time
 * and the bytes each way, or that the edge could not be reached. The
 * prediction for that k is compared with the realised latency (the change
 * detector) before the estimators are updated.
 * Cost: decide and observe are O(N) (O(N * window) for the variance
 * windows of the operators measured); no allocation.
 * ====================================================================== */
typedef enum {
    SCIOT_RETEST_FULL = 0, /* any device flag: next decision is a full local run */
    SCIOT_RETEST_NEEDED,   /* only flags the current split would not re-measure */
} sciot_retest_policy;

typedef struct {
    sciot_objective objective;
    sciot_power_w power;
    sciot_weights weights;
    sciot_retest_policy retest; /* default SCIOT_RETEST_FULL */
    double alpha;          /* EMA, default 0.2 */
    uint16_t var_window;   /* default 10 */
    double var_threshold;  /* default 0.15 */
    sciot_local_mode local_mode; /* default disabled, p = 0.1 */
    uint64_t seed;
    bool adaptive_explore; /* default true */
    double explore_budget; /* default 0.01 */
    double explore_gain;   /* smallest optimistic gain worth exploring, default 0.05 */
    double explore_drift;  /* staleness growth per request, default 0.0025 */
    double explore_max;    /* staleness cap, default 3 */
    double stale_factor;   /* after a change, default 0.5 */
    double explore_boost;  /* budget granted on a change, share of the current cost, default 0.5 */
    double hysteresis;     /* default 0.02 */
    uint16_t explore_repeat; /* requests before the same k is explored again, default 10 */
    uint16_t explore_gap;  /* requests between two explorations, default 4 */
    uint16_t probe_every;  /* network probe period while local, default 4 (0: off) */
    double scale_shift;    /* device/edge-wide rescale on a change beyond this ratio, default 1.25 */
    double prior_rtt_us;   /* default 20 ms */
    double prior_bytes_per_s; /* default 1e6 */
    double reply_bytes;    /* default 0 */
    sciot_netest_config net;
    sciot_cdet_config cdet;
} sciot_planner_config;

void sciot_planner_config_default(sciot_planner_config *c);

typedef enum {
    SCIOT_WHY_BEST = 0,   /* lowest expected cost */
    SCIOT_WHY_HOLD,       /* kept: the best is not better by the hysteresis margin */
    SCIOT_WHY_EDGE_DOWN,  /* edge unreachable: local */
    SCIOT_WHY_COLD_START, /* no device times yet: local */
    SCIOT_WHY_RETEST,     /* device-side variance flag: local */
    SCIOT_WHY_LOCAL_MODE, /* reference local-inference mode: local */
    SCIOT_WHY_EXPLORE,    /* exploration of a plausibly better k */
} sciot_decision_reason;

const char *sciot_decision_reason_name(sciot_decision_reason r);

typedef struct {
    int32_t split;    /* k */
    bool run_edge;    /* false for k = N: the edge skips tail inference */
    bool forced;      /* not the planner's best estimate (cold/retest/local mode/explore) */
    sciot_decision_reason reason;
    double cost;      /* expected cost of split, objective units */
    double latency_us;/* expected end-to-end latency of split */
    int32_t best;     /* the exploitation choice (after hysteresis) */
    double probe_bytes; /* > 0: pad the local-run report to this many bytes */
} sciot_decision;

typedef struct {
    int32_t split;            /* k the device was asked to run */
    const float *device_us;   /* device times of ops [0, n_device) (NULL: none) */
    int32_t n_device;         /* k, or N when the device ran everything */
    const float *edge_us;     /* edge times of ops [split, N) (NULL: edge did not run) */
    bool edge_unreachable;    /* connection refused / timed out */
    bool has_network;         /* a round trip was timed (a request or a local-run report) */
    double bytes_sent, bytes_received;
    double net_us;            /* round trip minus the edge's reported processing time */
    double edge_queue_us;     /* edge queueing delay (< 0: unknown / unchanged) */
} sciot_observation;

typedef struct {
    sciot_planner_config cfg;
    int32_t n_ops;
    sciot_ema *dev, *edge;       /* [n] */
    uint32_t *dev_seen, *edge_seen; /* [n] request index of last measurement */
    double *up_bytes;            /* [n + 1] learned frame bytes per k */
    double *dev_est, *edge_est;  /* [n] estimates used by the cost model */
    double *cost, *lat;          /* [n + 1] last decision's costs, latencies */
    sciot_vdet vdev, vedge;
    uint8_t *reprofile;          /* [n] edge re-profile request flags */
    int32_t n_reprofile;
    sciot_netest net;
    sciot_cdet cdet;
    sciot_rng rng;
    double edge_queue_us;
    double budget;               /* exploration budget, objective units */
    double max_delta;            /* largest finite c(k) - c(current) at the last decision */
    uint32_t now;                /* observations so far */
    uint32_t change_at;          /* `now` at the last detected change (0: none) */
    int32_t dev_known;           /* device operators with at least one measurement */
    int32_t last_explored;       /* k of the last exploration (-1: none) */
    uint32_t last_explored_at;
    uint32_t last_probe_at;
    uint32_t n_probes;
    bool probe_again;            /* the last probe was an outlier */
    int32_t current;             /* current exploitation split (-1: none) */
    bool edge_down;
    bool device_retest;          /* a device-side flag is pending */
    /* counters */
    uint32_t n_changes_detected, n_explore, n_forced_local, n_retest, n_outliers, n_rescaled;
} sciot_planner;

/* Bytes of caller memory for a planner of n_ops operators (window from c). */
size_t sciot_planner_mem_size(int32_t n_ops, const sciot_planner_config *c);
/* cut_bytes[0..n_ops]: bytes of the cut of each k (initial frame sizes). */
sciot_status sciot_planner_init(sciot_planner *p, const sciot_planner_config *c, int32_t n_ops,
                                const double *cut_bytes, void *mem, size_t mem_len, sciot_error *err);
/* Optional initial device times (e.g. a registration profile). */
void sciot_planner_set_device_profile(sciot_planner *p, const double *device_us);
/* Edge self-profile of ops [first, first + n) (start-up or re-profile). */
sciot_status sciot_planner_observe_edge_profile(sciot_planner *p, int32_t first, int32_t n, const float *us,
                                                sciot_error *err);
sciot_status sciot_planner_decide(sciot_planner *p, sciot_decision *d);
sciot_status sciot_planner_observe(sciot_planner *p, const sciot_observation *o, sciot_error *err);
/* Edge re-profile request: number of flagged operators; copies the flags
 * (0/1 per op) to `flags` when not NULL; clears the request. */
int32_t sciot_planner_take_edge_reprofile(sciot_planner *p, uint8_t *flags);
/* Costs / expected latencies of every k from the last decision ([n + 1]). */
const double *sciot_planner_costs(const sciot_planner *p);
const double *sciot_planner_latencies(const sciot_planner *p);

#ifdef __cplusplus
}
#endif
#endif
