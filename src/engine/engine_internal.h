/* engine_internal.h — shared between the planner and the runner. */
#ifndef SCIOT_ENGINE_INTERNAL_H
#define SCIOT_ENGINE_INTERNAL_H

#include "sciot/engine.h"
#include "sciot/kernels.h"

/* Bytes of scratch plan_arena needs. */
size_t plan_scratch_bytes(const sciot_model *m);
/* Plan [pa, pb): fills offsets[n_tensors] (-1: no storage); returns the peak
 * tensor bytes; *naive = sum of planned tensor sizes. */
size_t plan_arena(const sciot_model *m, int32_t pa, int32_t pb, int32_t *offsets, void *scratch,
                  size_t *naive);

#endif
