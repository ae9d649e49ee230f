/* plan.c — tensor lifetimes and greedy arena placement for a range [pa, pb).
 *
 * The set of tensors that need arena storage for the range is
 *     S = cut(pa)  ∪  { outputs of the operators in [pa, pb) }.
 * Lifetimes are closed intervals of operator positions:
 *     start = pa for a tensor of cut(pa), else its producer;
 *     end   = pb for a tensor of cut(pb) (the caller reads it after the run),
 *             else its last consumer (or its start if nothing reads it).
 * Two tensors may share bytes only when their intervals are disjoint; an
 * operator's inputs and outputs always overlap at that operator, so no
 * kernel ever runs in place.
 *
 * Placement follows TFLite Micro's greedy planner: take tensors largest
 * first; put each at the lowest 16-byte-aligned offset where it does not
 * collide with an already placed tensor whose lifetime intersects its own.
 * Cost O(|S|^2 log |S|); memory: a few int32 per tensor of the caller's
 * scratch (plan_scratch_bytes). */
#include <string.h>

#include "engine/engine_internal.h"

size_t plan_scratch_bytes(const sciot_model *m)
{
    /* start, end, order, placed list: 4 int32 arrays */
    return (size_t)m->n_tensors * 4 * sizeof(int32_t);
}

static size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }

size_t plan_arena(const sciot_model *m, int32_t pa, int32_t pb, int32_t *offsets, void *scratch,
                  size_t *naive)
{
    int32_t n = m->n_tensors;
    int32_t *start = scratch, *end = start + n, *order = end + n, *placed = order + n;
    int32_t count = 0, n_placed = 0;
    size_t peak = 0, sum = 0;

    for (int32_t t = 0; t < n; t++) {
        offsets[t] = -1;
        start[t] = -1;
        end[t] = -1;
        if (m->tensors[t].is_const)
            continue;
        int32_t p = m->producer[t];
        if (sciot_model_in_cut(m, pa, t))
            start[t] = pa;
        else if (p >= pa && p < pb)
            start[t] = p;
        else
            continue;
        if (sciot_model_in_cut(m, pb, t))
            end[t] = pb;
        else
            end[t] = m->last_use[t] > start[t] ? m->last_use[t] : start[t];
        order[count++] = t;
        sum += align16(m->tensors[t].bytes);
    }
    /* insertion sort: size descending, then index ascending (deterministic) */
    for (int32_t i = 1; i < count; i++) {
        int32_t t = order[i], j = i - 1;
        size_t bt = m->tensors[t].bytes;
        while (j >= 0 && (m->tensors[order[j]].bytes < bt ||
                          (m->tensors[order[j]].bytes == bt && order[j] > t))) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = t;
    }
    for (int32_t i = 0; i < count; i++) {
        int32_t t = order[i];
        size_t size = align16(m->tensors[t].bytes);
        size_t at = 0;
        /* Scan placed tensors that overlap in time, in offset order; move past
         * each one that collides. `placed` is kept sorted by offset. */
        for (int32_t j = 0; j < n_placed; j++) {
            int32_t u = placed[j];
            if (start[u] > end[t] || start[t] > end[u])
                continue;
            size_t uo = (size_t)offsets[u], ue = uo + align16(m->tensors[u].bytes);
            if (at + size <= uo)
                break; /* fits in the gap before u (list sorted by offset) */
            if (ue > at)
                at = ue;
        }
        offsets[t] = (int32_t)at;
        if (at + size > peak)
            peak = at + size;
        /* insert into placed, sorted by offset */
        int32_t j = n_placed++;
        while (j > 0 && offsets[placed[j - 1]] > (int32_t)at) {
            placed[j] = placed[j - 1];
            j--;
        }
        placed[j] = t;
    }
    if (naive)
        *naive = sum;
    return peak;
}
