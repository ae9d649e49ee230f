/* cli.h — the `sciot` command: one function per subcommand. */
#ifndef SCIOT_CLI_H
#define SCIOT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/model.h"

int cmd_inspect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_edge(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_link(int argc, char **argv);

/* One-line error on stderr ("sciot run: ..."), returns 1. */
int cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int cli_is_help(const char *arg);
/* Parse a non-negative integer option value; -1 if malformed. */
long cli_parse_long(const char *s);

/* A model with an engine planned for [0, N) and its arena (malloc'd). */
typedef struct {
    sciot_model model;
    sciot_engine engine;
    void *arena;
} cli_session;

int cli_open(const char *cmd, const char *path, cli_session *s);
/* Fill every model input with deterministic xorshift32 bytes (float inputs:
 * values in [0, 1)). */
void cli_fill_random_inputs(cli_session *s);
void cli_close(cli_session *s);

#endif
