/* planjson.h — JSON input of `sciot plan` and `sciot sim`: a profile
 * (device_us, edge_us, cut_bytes, network, objective) with errors that name
 * the field and the expected length. */
#ifndef SCIOT_CLI_PLANJSON_H
#define SCIOT_CLI_PLANJSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "sciot/planner.h"

typedef struct {
    int32_t n;          /* operators */
    double *device_us;  /* [n] */
    double *edge_us;    /* [n] */
    double *cut_bytes;  /* [n + 1] */
    double rtt_ms;
    double bandwidth;   /* bytes/s, may be INFINITY */
    double reply_bytes;
    double edge_queue_ms;
    sciot_objective objective;
    sciot_power_w power;
    sciot_weights weights;
    int has_power;
} pj_profile;

/* Parse a JSON file; on error prints "sciot CMD: FILE: ..." and returns NULL. */
cJSON *pj_load(const char *cmd, const char *path);
/* An array field of numbers >= 0. expect >= 0: required length (why says
 * what it must match). Returns a malloc'd array in *out (n in *n), or prints
 * an error and returns non-zero. missing_ok: absent field -> 0 with *out NULL. */
int pj_numbers(const char *cmd, const char *file, const cJSON *obj, const char *field, int32_t expect,
               const char *why, int missing_ok, double **out, int32_t *n);
/* A number field >= 0 (or "inf" when allow_inf). missing_ok: keep *v. */
int pj_number(const char *cmd, const char *file, const cJSON *obj, const char *field, int missing_ok,
              int allow_inf, double *v);
/* objective / power_w / weights of obj into p (defaults: latency). */
int pj_objective(const char *cmd, const char *file, const cJSON *obj, pj_profile *p);
/* device_us, edge_us, cut_bytes (+ the rest when `network`): a whole profile. */
int pj_profile_parse(const char *cmd, const char *file, const cJSON *obj, int network, pj_profile *p);
void pj_profile_free(pj_profile *p);

#endif
