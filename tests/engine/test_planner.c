/* test_planner.c — the arena planner and the split property, on every model
 * in $SCIOT_MODELS (skipped when unset).
 *
 * For every model and every head [0,k), every tail [k,N) and a few middle
 * ranges [a,b):
 *   - sciot_engine_init with exactly sciot_engine_arena_size()'s total_bytes
 *     succeeds at any arena alignment, and reports the same plan;
 *   - the real minimum at a given alignment is (bytes lost aligning the start)
 *     + align16(tensor_bytes) + persistent_bytes: one byte less fails with
 *     SCIOT_ERR_ARENA, and so do much smaller arenas (total_bytes - 16 with a
 *     misaligned start, half, less than the persistent part, 0) — never a
 *     crash. (With a 16-byte-aligned arena total_bytes - 16 is enough: the
 *     last 16 bytes of total_bytes are the slack for aligning the start.)
 *   - the layout: lifetimes are recomputed here from the operators alone
 *     (producers, consumers, model inputs/outputs, the cut definition of
 *     sciot/model.h), and no two tensors whose lifetimes intersect share a
 *     byte (a RESHAPE output may alias its input when the input dies there,
 *     as sciot/engine.h allows); every planned tensor lies inside the
 *     activation area, 16-byte aligned; the persistent part (offsets, op
 *     parameters, scratch) lies after it inside the arena; tensors outside
 *     the range have no storage.
 * Split property: for person_detect and fomo_face and every k, the head
 * [0,k) on one engine, the cut tensors copied into a second engine planned
 * for [k,N), the tail run there: the output equals TFLite Micro's golden
 * output byte for byte (arenas filled with garbage first).
 * tensor_bytes < naive_bytes for every whole model of 3+ operators.
 * sciot_engine_run performs no heap allocation: malloc & co. are counted
 * (glibc: this file defines them over __libc_malloc & co.; under ASan, whose
 * runtime owns malloc: the sanitizer allocator hooks), and the counter is
 * checked to see this test's own allocations first. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sciot/engine.h"
#include "sciot/model.h"
#include "testutil.h"

/* ---- counting heap allocations ------------------------------------------ */

static volatile int alloc_counting;
static volatile long alloc_count;

/* Sanitizers that own malloc (ASan, TSan, MSan, HWASan): use their hooks. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCIOT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(hwaddress_sanitizer)
#define SCIOT_TEST_ASAN 1
#endif
#endif

#ifdef SCIOT_TEST_ASAN
/* The sanitizer runtime calls these on every malloc/calloc/realloc/
 * aligned allocation of the program. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (alloc_counting)
        alloc_count++;
}
static void on_free(const volatile void *p) { (void)p; }
static void install_alloc_counter(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
#else
/* glibc: the executable's definitions interpose the C library's for the
 * whole process; glibc's own entry points do the work. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *memalign(size_t align, size_t n);

#define COUNT() do { if (alloc_counting) alloc_count++; } while (0)
void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { COUNT(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void *memalign(size_t align, size_t n) { COUNT(); return __libc_memalign(align, n); }
void *aligned_alloc(size_t align, size_t n) { COUNT(); return __libc_memalign(align, n); }
int posix_memalign(void **p, size_t align, size_t n)
{
    COUNT();
    if (align < sizeof(void *) || (align & (align - 1)))
        return 22; /* EINVAL */
    *p = __libc_memalign(align, n);
    return *p ? 0 : 12; /* ENOMEM */
}
#undef COUNT
static void install_alloc_counter(void) {}
#endif

/* ---- models ------------------------------------------------------------- */

static const char *models;
static cJSON *index_json;

typedef struct {
    char name[256];
    const cJSON *entry;
    sciot_model m;
} zoo_model;

static zoo_model zoo[96];
static int n_zoo;

/* 16-byte-aligned buffer with room for `slack` extra bytes of misalignment,
 * filled with garbage. */
static uint8_t *garbage_arena(size_t size, size_t slack)
{
    void *p = NULL;
    assert_int_equal(posix_memalign(&p, 16, size + slack + 1), 0);
    memset(p, 0xA5, size + slack + 1);
    return p;
}

/* ---- independent lifetimes ---------------------------------------------- */

typedef struct {
    int32_t n;
    int32_t *producer;   /* op writing t, -1 */
    int32_t *last_read;  /* last op reading t, -1 */
    uint8_t *is_in, *is_out;
} graph;

static void graph_init(graph *g, const sciot_model *m)
{
    g->n = m->n_tensors;
    g->producer = malloc((size_t)g->n * sizeof(int32_t) + 1);
    g->last_read = malloc((size_t)g->n * sizeof(int32_t) + 1);
    g->is_in = calloc((size_t)g->n + 1, 1);
    g->is_out = calloc((size_t)g->n + 1, 1);
    for (int32_t t = 0; t < g->n; t++)
        g->producer[t] = g->last_read[t] = -1;
    for (int32_t i = 0; i < m->n_ops; i++) {
        const sciot_op *o = &m->ops[i];
        for (int32_t k = 0; k < o->n_inputs; k++)
            if (o->inputs[k] >= 0)
                g->last_read[o->inputs[k]] = i;
        for (int32_t k = 0; k < o->n_outputs; k++)
            g->producer[o->outputs[k]] = i;
    }
    for (int32_t k = 0; k < m->n_inputs; k++)
        g->is_in[m->inputs[k]] = 1;
    for (int32_t k = 0; k < m->n_outputs; k++)
        g->is_out[m->outputs[k]] = 1;
}

static void graph_free(graph *g)
{
    free(g->producer);
    free(g->last_read);
    free(g->is_in);
    free(g->is_out);
}

/* The cut definition of sciot/model.h, from the graph alone. */
static int cut_has(const sciot_model *m, const graph *g, int32_t k, int32_t t)
{
    if (m->tensors[t].is_const)
        return 0;
    int exists = g->is_in[t] || (g->producer[t] >= 0 && g->producer[t] < k);
    int needed = g->is_out[t] || g->last_read[t] >= k;
    return exists && needed;
}

/* Lifetime of t in a plan of [pa,pb): [start, end] in op positions, or 0 if
 * t needs no storage. */
static int lifetime(const sciot_model *m, const graph *g, int32_t pa, int32_t pb, int32_t t, int32_t *start,
                    int32_t *end)
{
    if (cut_has(m, g, pa, t))
        *start = pa;
    else if (g->producer[t] >= pa && g->producer[t] < pb && !m->tensors[t].is_const)
        *start = g->producer[t];
    else
        return 0;
    if (cut_has(m, g, pb, t))
        *end = pb;
    else
        *end = g->last_read[t] > *start ? g->last_read[t] : *start;
    return 1;
}

/* A RESHAPE at op i whose input u dies there may share u's storage. */
static int reshape_alias(const sciot_model *m, const graph *g, int32_t pb, int32_t t, int32_t u)
{
    int32_t i = g->producer[t];
    if (i < 0 || m->ops[i].code != SCIOT_OP_RESHAPE || m->ops[i].n_inputs < 1 || m->ops[i].inputs[0] != u)
        return 0;
    return g->last_read[u] == i && !cut_has(m, g, pb, u) && i < pb;
}

static void check_layout(const zoo_model *z, const graph *g, const sciot_engine *e, int32_t pa, int32_t pb)
{
    const sciot_model *m = &z->m;
    int32_t n = m->n_tensors;
    int32_t *start = malloc((size_t)n * 4 + 4), *end = malloc((size_t)n * 4 + 4);
    uint8_t *live = calloc((size_t)n + 1, 1);
    size_t sum = 0;
    for (int32_t t = 0; t < n; t++) {
        live[t] = (uint8_t)lifetime(m, g, pa, pb, t, &start[t], &end[t]);
        int32_t off = e->offsets[t];
        if (!live[t]) {
            if (off != -1)
                fail_msg("%s [%d,%d): tensor %d needs no storage but has offset %d", z->name, pa, pb, t, off);
            if (!m->tensors[t].is_const)
                assert_null(sciot_engine_tensor(e, t));
            continue;
        }
        sum += (m->tensors[t].bytes + 15) & ~(size_t)15;
        if (off < 0 || off % 16 != 0 || (size_t)off + m->tensors[t].bytes > e->info.tensor_bytes)
            fail_msg("%s [%d,%d): tensor %d at offset %d (+%zu) outside the %zu activation bytes", z->name, pa,
                     pb, t, off, m->tensors[t].bytes, e->info.tensor_bytes);
        assert_ptr_equal(sciot_engine_tensor(e, t), e->arena + off);
    }
    for (int32_t t = 0; t < n; t++) {
        if (!live[t] || m->tensors[t].bytes == 0)
            continue;
        for (int32_t u = t + 1; u < n; u++) {
            if (!live[u] || m->tensors[u].bytes == 0)
                continue;
            if (start[t] > end[u] || start[u] > end[t])
                continue; /* lifetimes disjoint */
            size_t ot = (size_t)e->offsets[t], ou = (size_t)e->offsets[u];
            if (ot + m->tensors[t].bytes <= ou || ou + m->tensors[u].bytes <= ot)
                continue; /* bytes disjoint */
            if (ot == ou && (reshape_alias(m, g, pb, t, u) || reshape_alias(m, g, pb, u, t)))
                continue;
            fail_msg("%s [%d,%d): tensors %d [%d,%d] at %zu+%zu and %d [%d,%d] at %zu+%zu are live together "
                     "and overlap",
                     z->name, pa, pb, t, start[t], end[t], ot, m->tensors[t].bytes, u, start[u], end[u], ou,
                     m->tensors[u].bytes);
        }
    }
    assert_int_equal(e->info.naive_bytes, sum);
    assert_true(e->info.tensor_bytes <= e->info.naive_bytes);
    /* the persistent part follows the activations, inside the arena */
    const uint8_t *act_end = e->arena + e->info.tensor_bytes, *arena_end = e->arena + e->arena_size;
    assert_true((const uint8_t *)e->offsets >= act_end);
    assert_true((const uint8_t *)(e->offsets + n) <= arena_end);
    if (e->scratch_size) {
        assert_true((const uint8_t *)e->scratch >= act_end);
        assert_true((const uint8_t *)e->scratch + e->scratch_size <= arena_end);
    }
    free(start);
    free(end);
    free(live);
}

/* Plan [pa,pb): exact size at every alignment, the true minimum, smaller
 * arenas; then the layout. */
static void check_plan(const zoo_model *z, const graph *g, int32_t pa, int32_t pb, int sweep)
{
    const sciot_model *m = &z->m;
    sciot_arena_info info;
    sciot_engine e;
    sciot_error err = {0};
    if (sciot_engine_arena_size(m, pa, pb, &info, &err))
        fail_msg("%s [%d,%d): arena size: %s", z->name, pa, pb, err.msg);
    assert_true(info.total_bytes >= ((info.tensor_bytes + 15) & ~(size_t)15) + info.persistent_bytes);
    uint8_t *buf = garbage_arena(info.total_bytes, 16);

    static const size_t misalign[] = {0, 1, 8, 15};
    for (size_t a = 0; a < (sweep ? 4u : 1u); a++) {
        uint8_t *arena = buf + misalign[a];
        size_t lost = (16 - misalign[a]) % 16;
        size_t min = lost + ((info.tensor_bytes + 15) & ~(size_t)15) + info.persistent_bytes;
        assert_true(min <= info.total_bytes);
        if (sciot_engine_init(&e, m, pa, pb, arena, info.total_bytes, &err))
            fail_msg("%s [%d,%d) with exactly total_bytes %zu (start +%zu): %s", z->name, pa, pb,
                     info.total_bytes, misalign[a], err.msg);
        assert_int_equal(e.info.tensor_bytes, info.tensor_bytes);
        assert_int_equal(e.info.persistent_bytes, info.persistent_bytes);
        assert_int_equal(e.info.total_bytes, info.total_bytes);
        assert_int_equal(e.info.naive_bytes, info.naive_bytes);
        assert_int_equal(e.pa, pa);
        assert_int_equal(e.pb, pb);
        assert_int_equal((uintptr_t)e.arena % 16, 0);
        if (a == 0)
            check_layout(z, g, &e, pa, pb);
        if (!sweep)
            continue;
        assert_int_equal(sciot_engine_init(&e, m, pa, pb, arena, min, &err), SCIOT_OK);
        size_t smaller[6] = {min - 1, min / 2, info.persistent_bytes - 1, 15, 0, 0};
        int n_smaller = 5;
        if (misalign[a] == 1)
            smaller[n_smaller++] = info.total_bytes - 16;
        for (int s = 0; s < n_smaller; s++) {
            memset(&err, 0, sizeof err);
            sciot_status st = sciot_engine_init(&e, m, pa, pb, arena, smaller[s], &err);
            if (st != SCIOT_ERR_ARENA)
                fail_msg("%s [%d,%d): arena of %zu bytes (start +%zu, minimum %zu): status %s (%s)", z->name,
                         pa, pb, smaller[s], misalign[a], min, sciot_strerror(st), err.msg);
            assert_true(err.msg[0] != 0);
        }
    }
    free(buf);
}

static void plans_all_models(void **st)
{
    (void)st;
    int plans = 0;
    for (int i = 0; i < n_zoo; i++) {
        const zoo_model *z = &zoo[i];
        int32_t N = z->m.n_ops;
        graph g;
        graph_init(&g, &z->m);
        for (int32_t k = 0; k <= N; k++) {
            check_plan(z, &g, 0, k, 1); /* heads */
            check_plan(z, &g, k, N, 0); /* tails */
            plans += 2;
        }
        int32_t mid[][2] = {{N / 4, 3 * N / 4}, {1, N > 1 ? N - 1 : 1}, {N / 2, N / 2}, {N / 3, N / 2 + 1}};
        for (int r = 0; r < 4; r++) {
            int32_t a = mid[r][0], b = mid[r][1];
            if (a > b || b > N)
                continue;
            check_plan(z, &g, a, b, 1);
            plans++;
        }
        /* the whole model: planning saves memory */
        sciot_arena_info info;
        sciot_error err = {0};
        assert_int_equal(sciot_engine_arena_size(&z->m, 0, N, &info, &err), SCIOT_OK);
        assert_true(info.tensor_bytes <= info.naive_bytes);
        if (N >= 3 && info.tensor_bytes >= info.naive_bytes)
            fail_msg("%s: planned %zu bytes, naive %zu", z->name, info.tensor_bytes, info.naive_bytes);
        if (!strchr(z->name, '/'))
            fprintf(stderr, "%-18s %3d ops: activations %7zu bytes planned, %7zu naive; total arena %7zu\n",
                    z->name, N, info.tensor_bytes, info.naive_bytes, info.total_bytes);
        graph_free(&g);
    }
    fprintf(stderr, "%d models, %d plans checked\n", n_zoo, plans);
}

static void bad_ranges(void **st)
{
    (void)st;
    const sciot_model *m = &zoo[0].m;
    sciot_arena_info info;
    sciot_engine e;
    sciot_error err = {0};
    uint8_t *arena = garbage_arena(1 << 16, 0);
    assert_int_equal(sciot_engine_arena_size(m, -1, 1, &info, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_arena_size(m, 2, 1, &info, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_arena_size(m, 0, m->n_ops + 1, &info, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_arena_size(NULL, 0, 0, &info, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_init(&e, m, 0, m->n_ops + 1, arena, 1 << 16, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_init(&e, m, 0, 1, NULL, 1 << 16, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_init(NULL, m, 0, 1, arena, 1 << 16, &err), SCIOT_ERR_INVALID_ARG);
    /* running outside the planned range */
    assert_int_equal(sciot_engine_arena_size(m, 1, 2, &info, &err), SCIOT_OK);
    assert_true(info.total_bytes <= (1 << 16));
    assert_int_equal(sciot_engine_init(&e, m, 1, 2, arena, info.total_bytes, &err), SCIOT_OK);
    assert_int_equal(sciot_engine_run(&e, 0, 2, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_run(&e, 1, 3, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_run(&e, 2, 1, &err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_engine_run(&e, 1, 1, &err), SCIOT_OK);
    free(arena);
}

/* ---- split property ----------------------------------------------------- */

static const zoo_model *find(const char *name)
{
    for (int i = 0; i < n_zoo; i++)
        if (!strcmp(zoo[i].name, name))
            return &zoo[i];
    return NULL;
}

typedef struct {
    sciot_engine e;
    uint8_t *buf;
} planned;

static void plan(planned *p, const sciot_model *m, int32_t pa, int32_t pb)
{
    sciot_arena_info info;
    sciot_error err = {0};
    assert_int_equal(sciot_engine_arena_size(m, pa, pb, &info, &err), SCIOT_OK);
    p->buf = garbage_arena(info.total_bytes, 0);
    if (sciot_engine_init(&p->e, m, pa, pb, p->buf, info.total_bytes, &err))
        fail_msg("[%d,%d): %s", pa, pb, err.msg);
}

/* Head [0,k) then tail [k,N) on two engines; returns the number of cases. */
static int split_model(const char *name)
{
    const zoo_model *z = find(name);
    assert_non_null(z);
    const sciot_model *m = &z->m;
    int32_t N = m->n_ops, cut[64];
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/%s", models, name);
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->n_outputs, 1);
    const sciot_tensor *out_t = &m->tensors[m->outputs[0]];
    int cases = 0, runs = 0;
    const cJSON *kase;
    cJSON_ArrayForEach(kase, cJSON_GetObjectItem(z->entry, "cases"))
    {
        size_t in_len, want_len;
        const char *in_file =
            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(kase, "inputs"), 0), "file")->valuestring;
        const char *out_file =
            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(kase, "outputs"), 0), "file")->valuestring;
        uint8_t *in = tu_read(mdir, in_file, &in_len);
        uint8_t *want = tu_read(mdir, out_file, &want_len);
        assert_int_equal(in_len, m->tensors[m->inputs[0]].bytes);
        assert_int_equal(want_len, out_t->bytes);
        /* every k for the first case, a few for the others */
        for (int32_t k = 0; k <= N; k++) {
            if (cases > 0 && k != 0 && k != N / 2 && k != N - 1)
                continue;
            planned head, tail;
            sciot_error err = {0};
            plan(&head, m, 0, k);
            plan(&tail, m, k, N);
            memcpy(sciot_engine_tensor(&head.e, m->inputs[0]), in, in_len);
            if (sciot_engine_run(&head.e, 0, k, &err))
                fail_msg("%s head [0,%d): %s", name, k, err.msg);
            int32_t nc = sciot_model_cut(m, k, cut, 64);
            assert_true(nc >= 1 && nc <= 64);
            for (int32_t j = 0; j < nc; j++) {
                void *src = sciot_engine_tensor(&head.e, cut[j]), *dst = sciot_engine_tensor(&tail.e, cut[j]);
                assert_non_null(src);
                assert_non_null(dst);
                memcpy(dst, src, m->tensors[cut[j]].bytes);
            }
            if (sciot_engine_run(&tail.e, k, N, &err))
                fail_msg("%s tail [%d,%d): %s", name, k, N, err.msg);
            const int8_t *got = sciot_engine_tensor(&tail.e, m->outputs[0]);
            for (size_t b = 0; b < want_len; b++)
                if ((uint8_t)got[b] != want[b])
                    fail_msg("%s case %s split at %d (cut of %d tensors): output byte %zu is %d, golden %d", name,
                             cJSON_GetObjectItem(kase, "case")->valuestring, k, nc, b, got[b], (int8_t)want[b]);
            runs++;
            free(head.buf);
            free(tail.buf);
        }
        free(in);
        free(want);
        cases++;
    }
    fprintf(stderr, "%s: %d cases, %d split runs match the golden outputs\n", name, cases, runs);
    return cases;
}

static void split_person_detect(void **st) { (void)st; assert_true(split_model("person_detect") > 0); }
static void split_fomo_face(void **st) { (void)st; assert_true(split_model("fomo_face") > 0); }

/* ---- no allocation while running ---------------------------------------- */

static void no_heap_in_run(void **st)
{
    (void)st;
    /* the counter works: it sees this test's own allocations */
    alloc_count = 0;
    alloc_counting = 1;
    void *volatile probe = malloc(24);
    void *volatile probe2 = calloc(3, 8);
    alloc_counting = 0;
    free(probe);
    free(probe2);
    assert_true(alloc_count >= 2);

    long total_runs = 0;
    for (int i = 0; i < n_zoo; i++) {
        const sciot_model *m = &zoo[i].m;
        int32_t N = m->n_ops;
        planned whole, head, tail;
        sciot_error err = {0};
        plan(&whole, m, 0, N);
        plan(&head, m, 0, N / 2);
        plan(&tail, m, N / 2, N);
        for (int32_t k = 0; k < m->n_inputs; k++)
            memset(sciot_engine_tensor(&whole.e, m->inputs[k]), 0, m->tensors[m->inputs[k]].bytes);
        alloc_count = 0;
        alloc_counting = 1;
        sciot_status s = SCIOT_OK;
        for (int r = 0; r < 3 && !s; r++) {
            s = sciot_engine_run(&whole.e, 0, N, &err);
            if (!s)
                s = sciot_engine_run(&head.e, 0, N / 2, &err);
            if (!s)
                s = sciot_engine_run(&tail.e, N / 2, N, &err);
            for (int32_t a = 0; a < N && !s; a += 7)
                s = sciot_engine_run(&whole.e, a, a + 1, &err);
            total_runs += 4;
        }
        alloc_counting = 0;
        if (s)
            fail_msg("%s: %s", zoo[i].name, err.msg);
        if (alloc_count)
            fail_msg("%s: sciot_engine_run allocated %ld times", zoo[i].name, alloc_count);
        free(whole.buf);
        free(head.buf);
        free(tail.buf);
    }
    fprintf(stderr, "%ld runs over %d models without a heap allocation (%s counter)\n", total_runs, n_zoo,
#ifdef SCIOT_TEST_ASAN
            "sanitizer-hook"
#else
            "glibc-interposition"
#endif
    );
}

int main(void)
{
    size_t len;
    install_alloc_counter();
    models = tu_require_models();
    char *txt = (char *)tu_read(models, "index.json", &len);
    txt = realloc(txt, len + 1);
    txt[len] = 0;
    index_json = cJSON_Parse(txt);
    free(txt);
    if (!index_json) {
        fprintf(stderr, "index.json does not parse\n");
        return 1;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, index_json)
    {
        char path[4096];
        sciot_error err = {0};
        if (n_zoo == (int)(sizeof zoo / sizeof zoo[0]))
            break;
        zoo_model *z = &zoo[n_zoo];
        snprintf(z->name, sizeof z->name, "%s", entry->string);
        snprintf(path, sizeof path, "%s/%s", models, cJSON_GetObjectItem(entry, "model")->valuestring);
        z->entry = entry;
        if (sciot_model_load_file(&z->m, path, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        n_zoo++;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plans_all_models),
        cmocka_unit_test(bad_ranges),
        cmocka_unit_test(split_person_detect),
        cmocka_unit_test(split_fomo_face),
        cmocka_unit_test(no_heap_in_run),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int i = 0; i < n_zoo; i++)
        sciot_model_free(&zoo[i].m);
    cJSON_Delete(index_json);
    return rc;
}
