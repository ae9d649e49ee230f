/* sciot/engine.h — run any operator range [a, b) of a model in one arena.
 *
 * Planning (done once, in sciot_engine_init, before the first run):
 *   1. For the planned range [pa, pb), every non-constant tensor gets a
 *      lifetime [first, last] in operator positions: a tensor that enters the
 *      range (model input or cut tensor of pa) is live from pa; a tensor that
 *      leaves it (cut tensor of pb) stays live to pb; otherwise it lives from
 *      its producer to its last consumer inside the range.
 *   2. Tensors are placed greedily, largest first, each at the lowest
 *      16-byte-aligned offset that does not overlap a tensor whose lifetime
 *      intersects its own (the TFLite Micro greedy planner's strategy).
 *      RESHAPE outputs share their input's storage when the input dies there.
 *   3. The arena's tail holds the persistent part: per-tensor offsets and the
 *      per-operator prepared parameters (per-channel multipliers/shifts,
 *      softmax/logistic constants) and the largest kernel scratch.
 * Cost: O(T^2) in the number of tensors T, once. No allocation afterwards:
 * sciot_engine_run never calls malloc.
 *
 * Running: any [a, b) with pa <= a <= b <= pb. The caller writes the tensors
 * of the cut of a (for a = 0: the model inputs) into the pointers from
 * sciot_engine_tensor(), runs, then reads the cut of b (for b = N: the
 * outputs) from the same pointers.
 *
 * Timing: an optional hook is called before and after each operator. */
#ifndef SCIOT_ENGINE_H
#define SCIOT_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/model.h"
#include "sciot/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* phase 0: about to run op `op`; phase 1: op finished. */
typedef void (*sciot_op_hook)(void *user, int32_t op, int phase);

typedef struct {
    size_t tensor_bytes;       /* activations: peak of the planned layout */
    size_t persistent_bytes;   /* offsets + prepared op params + scratch */
    size_t total_bytes;        /* what the caller must provide (incl. alignment) */
    size_t naive_bytes;        /* sum of all non-constant tensor sizes in range */
} sciot_arena_info;

typedef struct {
    const sciot_model *model;
    int32_t pa, pb;            /* planned range */
    uint8_t *arena;
    size_t arena_size;
    int32_t *offsets;          /* per tensor, -1 = not in arena (const/unused) */
    void *prep;                /* per-op prepared params (engine private) */
    void *scratch;
    size_t scratch_size;
    sciot_arena_info info;
    sciot_op_hook hook;
    void *hook_user;
} sciot_engine;

/* Bytes needed to run [pa, pb) (plan computed without any arena). */
sciot_status sciot_engine_arena_size(const sciot_model *m, int32_t pa, int32_t pb,
                                     sciot_arena_info *info, sciot_error *err);

/* Plan [pa, pb) into `arena` (16-byte aligned, >= info.total_bytes) and
 * prepare every operator. Fails on unsupported operators/dtypes/shapes with
 * a message naming the operator. */
sciot_status sciot_engine_init(sciot_engine *e, const sciot_model *m,
                               int32_t pa, int32_t pb,
                               void *arena, size_t arena_size, sciot_error *err);

/* Pointer to a tensor's data: arena storage for activations, the file's
 * buffer for constants; NULL if the tensor has no storage in this plan. */
void *sciot_engine_tensor(const sciot_engine *e, int32_t t);

void sciot_engine_set_hook(sciot_engine *e, sciot_op_hook hook, void *user);

/* Run operators [a, b). */
sciot_status sciot_engine_run(sciot_engine *e, int32_t a, int32_t b, sciot_error *err);

#ifdef __cplusplus
}
#endif
#endif
