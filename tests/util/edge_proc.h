/* edge_proc.h — drive a real `sciot edge` process and play its devices.
 *
 * Shared by the edge transport tests (tests/edge) and the edge benchmark
 * (bench/bench_edge.c), so it does not depend on cmocka: every function
 * reports failure by its return value and a message on stderr.
 *
 *   ep_start / ep_stop   spawn `sciot edge --model M --port 0 --db D
 *                        [--config C] [extra...]`, wait for its
 *                        "sciot edge: ready http=http://H:PORT ..." line,
 *                        stop it with SIGTERM and return its exit status;
 *   ep_head_*            run a model's head [0, k) once on an input and
 *                        encode cut frames from it for any device id,
 *                        request id, flags and TELEMETRY block (read-only
 *                        after ep_head_run: several threads may encode from
 *                        one head at once). */
#ifndef SCIOT_TEST_EDGE_PROC_H
#define SCIOT_TEST_EDGE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sciot/engine.h"
#include "sciot/model.h"

typedef struct {
    pid_t pid;
    int port; /* the HTTP port from the ready line */
} ep_proc;

/* A free TCP port on 127.0.0.1 (bound, read, released). */
int ep_free_port(void);
/* 1 if something accepts TCP connections on 127.0.0.1:port. */
int ep_port_accepts(int port);
/* Milliseconds of a monotonic clock. */
uint64_t ep_ms_now(void);
void ep_sleep_ms(int ms);

/* Start `bin edge --model model --port 0 --db db [--config config]
 * [extra[0] ...]` (extra NULL-terminated, may be NULL). stdin is /dev/null,
 * stderr is inherited. Waits up to timeout_ms for the ready line. 0 on
 * success (e->pid, e->port set), -1 otherwise (the process is killed). */
int ep_start(ep_proc *e, const char *bin, const char *model, const char *db, const char *config,
             const char *const *extra, int timeout_ms);
/* SIGTERM, wait up to timeout_ms: the exit status, 128 + signal when it
 * died of one, or -1 when it had to be killed. */
int ep_stop(ep_proc *e, int timeout_ms);

typedef struct {
    const sciot_model *m;
    uint8_t sha[32];
    int32_t k;
    sciot_engine e;
    void *arena;
    uint32_t *times; /* [k] device operator times (us) put in the frames */
    int32_t cut[16];
    int32_t n_cut;
} ep_head;

/* Run [0, k) of m on `input` (the model input's bytes). Every operator time
 * in the frames is op_us (0: 500 + i). 0 on success. */
int ep_head_run(ep_head *h, const sciot_model *m, const uint8_t sha[32], const void *input, size_t input_len,
                int32_t k, uint32_t op_us);
void ep_head_free(ep_head *h);

/* Encode a frame from the head: COMPRESS always; LOCAL added when k = N;
 * `flags` may add SCIOT_WIRE_F_TELEMETRY (then prev_rid / prev_rtt_us are
 * written). malloc'd; NULL on failure. */
uint8_t *ep_head_frame(const ep_head *h, const char *device_id, uint64_t rid, uint8_t flags, uint64_t prev_rid,
                       uint32_t prev_rtt_us, size_t *len);

#endif
