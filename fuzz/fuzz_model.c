/* fuzz_model.c — libFuzzer target for the model reader, the cut analysis,
 * the arena planner and the engine's validation (sciot_engine_init) and
 * dispatch (sciot_engine_run).
 *
 * For every input:
 *   1. copy the bytes into a fresh 16-byte-aligned buffer of exactly `size`
 *      bytes (so ASan flags any read past the end of the "file");
 *   2. sciot_model_storage_size, then sciot_model_parse into exactly `need`
 *      bytes of storage (also exactly sized: ASan flags table overruns);
 *      parse into a deliberately small storage must fail cleanly too;
 *   3. on success: sciot_model_cut / _cut_bytes / _in_cut for every k, with
 *      consistency checks; sciot_engine_arena_size for the whole model and
 *      (small models) every head [0,k);
 *   4. if the whole model's arena is under 16 MB: sciot_engine_init with
 *      exactly total_bytes, and (when its estimated work is small, see
 *      MAX_WORK) sciot_engine_run on zeroed inputs.
 *
 * Invariants that abort (= a finding) besides crashes / sanitizer reports:
 *   - parse with the storage size from pass 1 reports SCIOT_ERR_NO_MEMORY
 *     (pass 1 under-counts);
 *   - a failing call leaves no message in the error record;
 *   - cut() not ascending, or disagreeing with in_cut() / cut_bytes();
 *   - sciot_engine_init fails with exactly the total_bytes that
 *     sciot_engine_arena_size reported, or reports a different plan;
 *   - an engine tensor pointer outside the arena / the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciot/engine.h"
#include "sciot/model.h"

#define MAX_ARENA ((size_t)16 << 20)
/* Estimated work (multiply-accumulates + elements touched) of one run.
 * A valid fuzzed model can describe a convolution of billions of MACs inside
 * a 16 MB arena (a 3 MB constant filter applied to a 1M-element output);
 * running it would only produce libFuzzer timeouts, not findings. Models up
 * to MAX_WORK_ALWAYS (micro_speech, the hand-built seeds, most float layers)
 * run on every input; models up to MAX_WORK (the real int8 models: ~7.5M
 * MACs for person_detect, up to ~25M) on one input in HEAVY_ONE_IN, chosen by
 * a hash of the input so that every input behaves reproducibly. Under ASan a
 * run of those takes ~100 ms, and nearly every mutant of a real model (whose
 * bytes are mostly weights) parses, so running them all would cut the
 * execution rate twentyfold for little coverage; sciot_engine_init (operator
 * validation, filter packing) runs on every model regardless. */
#define MAX_WORK_ALWAYS ((uint64_t)4 << 20)
#define MAX_WORK ((uint64_t)40 << 20)
#define HEAVY_ONE_IN 16
/* Heads [0,k) are sized for every k only for models up to this many ops. */
#define MAX_OPS_ALL_HEADS 256

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_model: invariant failed at %s:%d: %s\n", __FILE__, \
                    __LINE__, #cond);                                                 \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* 16-byte-aligned allocation of exactly `n` bytes (posix_memalign has no
 * size-multiple rule, unlike aligned_alloc under ASan). */
static void *xalloc16(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 16, n ? n : 1))
        return NULL;
    return p;
}

static void check_err(sciot_status s, const sciot_error *err)
{
    if (s == SCIOT_OK)
        return;
    CHECK(err->status == s);
    CHECK(err->msg[0] != 0);
    CHECK(memchr(err->msg, 0, sizeof err->msg) != NULL);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint64_t op_work(const sciot_model *m, const sciot_op *o)
{
    uint64_t w = o->macs;
    for (int32_t k = 0; k < o->n_inputs; k++)
        if (o->inputs[k] >= 0)
            w += m->tensors[o->inputs[k]].elems;
    for (int32_t k = 0; k < o->n_outputs; k++) {
        uint64_t e = m->tensors[o->outputs[k]].elems;
        w += e;
        if (o->code == SCIOT_OP_AVERAGE_POOL_2D || o->code == SCIOT_OP_MAX_POOL_2D)
            w += e * (uint64_t)o->opt.filter_w * (uint64_t)o->opt.filter_h;
    }
    return w;
}

static void check_cuts(const sciot_model *m)
{
    int32_t cap = m->n_tensors > 0 ? m->n_tensors : 1;
    int32_t *cut = malloc((size_t)cap * sizeof *cut);
    CHECK(cut != NULL);
    for (int32_t k = 0; k <= m->n_ops; k++) {
        int32_t n = sciot_model_cut(m, k, cut, cap);
        CHECK(n >= 0 && n <= m->n_tensors);
        size_t bytes = 0;
        for (int32_t j = 0; j < n; j++) {
            CHECK(cut[j] >= 0 && cut[j] < m->n_tensors);
            CHECK(j == 0 || cut[j] > cut[j - 1]);
            CHECK(sciot_model_in_cut(m, k, cut[j]));
            CHECK(!m->tensors[cut[j]].is_const);
            bytes += m->tensors[cut[j]].bytes;
        }
        CHECK(bytes == sciot_model_cut_bytes(m, k));
        /* a too-small cap still returns the full count */
        CHECK(sciot_model_cut(m, k, cut, n > 0 ? n - 1 : 0) == n);
        CHECK(sciot_model_cut(m, k, NULL, 0) == n);
    }
    /* out-of-range arguments */
    CHECK(sciot_model_in_cut(m, -1, 0) == 0);
    CHECK(sciot_model_in_cut(m, m->n_ops + 1, 0) == 0);
    CHECK(sciot_model_in_cut(m, 0, -1) == 0);
    CHECK(sciot_model_in_cut(m, 0, m->n_tensors) == 0);
    free(cut);
}

static void run_engine(const sciot_model *m, uint32_t input_hash)
{
    sciot_arena_info info;
    sciot_error err = {0};
    sciot_status s = sciot_engine_arena_size(m, 0, m->n_ops, &info, &err);
    check_err(s, &err);
    if (s)
        return;
    CHECK(info.total_bytes >= info.tensor_bytes + info.persistent_bytes);
    CHECK(info.tensor_bytes <= info.naive_bytes);

    if (m->n_ops <= MAX_OPS_ALL_HEADS)
        for (int32_t k = 0; k <= m->n_ops; k++) {
            sciot_arena_info hi;
            sciot_error e2 = {0};
            sciot_status s2 = sciot_engine_arena_size(m, 0, k, &hi, &e2);
            check_err(s2, &e2);
            /* the whole model prepares, so every head does */
            CHECK(s2 == SCIOT_OK);
        }

    if (info.total_bytes > MAX_ARENA)
        return;
    uint64_t work = 0;
    for (int32_t i = 0; i < m->n_ops; i++)
        work += op_work(m, &m->ops[i]);
    int run = work <= MAX_WORK_ALWAYS || (work <= MAX_WORK && input_hash % HEAVY_ONE_IN == 0);

    uint8_t *arena = xalloc16(info.total_bytes);
    CHECK(arena != NULL);
    sciot_engine e;
    s = sciot_engine_init(&e, m, 0, m->n_ops, arena, info.total_bytes, &err);
    check_err(s, &err);
    CHECK(s == SCIOT_OK); /* arena_size promised this size is enough */
    CHECK(e.info.tensor_bytes == info.tensor_bytes);
    CHECK(e.info.total_bytes == info.total_bytes);

    /* a much smaller arena fails cleanly */
    if (info.total_bytes > 64) {
        sciot_engine e2;
        sciot_error e2err = {0};
        sciot_status s2 = sciot_engine_init(&e2, m, 0, m->n_ops, arena, info.total_bytes / 2, &e2err);
        check_err(s2, &e2err);
    }

    for (int32_t t = 0; t < m->n_tensors; t++) {
        uint8_t *p = sciot_engine_tensor(&e, t);
        const sciot_tensor *tt = &m->tensors[t];
        if (!p || tt->bytes == 0)
            continue;
        if (tt->is_const)
            CHECK(p >= m->file && p + tt->bytes <= m->file + m->file_len);
        else
            CHECK(p >= e.arena && p + tt->bytes <= e.arena + e.arena_size);
    }
    for (int32_t k = 0; k < m->n_inputs; k++) {
        void *p = sciot_engine_tensor(&e, m->inputs[k]);
        if (p)
            memset(p, 0, m->tensors[m->inputs[k]].bytes);
    }
    if (run) {
        s = sciot_engine_run(&e, 0, m->n_ops, &err);
        check_err(s, &err);
    }
    free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exactly `size` bytes, 16-byte aligned: ASan poisons from byte `size` on */
    uint8_t *file = xalloc16(size);
    if (!file)
        return 0;
    memcpy(file, data, size);

    sciot_error err = {0};
    size_t need = 0;
    sciot_status s = sciot_model_storage_size(file, size, &need, &err);
    check_err(s, &err);
    if (s == SCIOT_OK) {
        CHECK(need > 0);
        void *storage = malloc(need);
        CHECK(storage != NULL);
        sciot_model m;
        s = sciot_model_parse(&m, file, size, storage, need, &err);
        check_err(s, &err);
        CHECK(s != SCIOT_ERR_NO_MEMORY); /* pass 1 sized it */

        if (s == SCIOT_OK) {
            CHECK(m.n_tensors >= 0 && m.n_ops >= 0 && m.n_inputs > 0 && m.n_outputs > 0);
            /* half the storage: must fail cleanly or succeed */
            void *small = malloc(need / 2 + 1);
            CHECK(small != NULL);
            sciot_model m2;
            sciot_error err2 = {0};
            sciot_status s2 = sciot_model_parse(&m2, file, size, small, need / 2, &err2);
            check_err(s2, &err2);
            CHECK(s2 == SCIOT_OK || s2 == SCIOT_ERR_NO_MEMORY);
            free(small);

            check_cuts(&m);
            run_engine(&m, fnv1a(data, size));
        }
        free(storage);
    }
    free(file);
    return 0;
}
